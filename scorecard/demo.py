"""A demo team that tells a story, entering through the real ingest path.

`build_demo` writes CRM export files (a Salesforce activity report, a HubSpot
calls export, a Pipedrive won-deals export) and ingests them like any upload,
then sets the team's quotas, goals and PTO. Everything is generated from the
seed and relative to `as_of`, so a demo can be replayed exactly.

The story, repeated every ten reps:
  0  top performer: beats every goal by a wide margin
  1  ramping new hire: joined ten weeks ago, activity growing week on week
  2  on PTO the whole of this week
  3  keeps missing conversations: below goal for the last four completed weeks
  4–9  steady reps with ordinary week-to-week variation
This week the whole team is behind on meetings (about half of pace for
everyone but the top performer), and roughly on pace on everything else.
The cause shows in the completed weeks: for the last four of them, everyone
but the top performer has had as many conversations as usual (a few more,
even) but turned only about half the usual share of them into meetings.
That needs SLIP_WEEKS + SLIP_BASELINE_WEEKS of history (a usual rate to fall
from); shorter demos, such as the committed samples, have no slip.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from scorecard.calendar import day_elapsed_hours, hours_per_day, team_working_days, week_of, working_time
from scorecard.catalog import DATA_DIR, load_catalog
from scorecard.goals import GoalChange, QuotaChange, add_pto_rows, set_goals, set_quotas
from scorecard.settings import TeamSettings, load_settings
from scorecard.store import Store

Progress = Callable[[float, str], None]

DEMO_TEAM = "Demo team"
DEFAULT_OUT = DATA_DIR / "samples" / "demo"
BEHIND_METRIC = "meetings"
PROFILES = ("top_performer", "ramping_hire", "pto_this_week", "missing_conversations") + ("steady",) * 6
CHUNK_WEEKS = 13
RAMP_WEEKS_AGO = 10
MISSED_WEEKS = 4
SLIP_WEEKS = 4
SLIP_BASELINE_WEEKS = 13
SLIP_KEEP = 0.5  # share of their usual rate at which conversations still become meetings
SLIP_EFFORT = 1.1  # meanwhile the team works the phones a little harder

# Event kinds, in funnel order; the metric each one adds to.
KINDS = ("no_connect", "conversation", "meeting", "opportunity", "proposal", "deal")
GOAL_METRICS = {"conversation": "conversations", "meeting": "meetings", "opportunity": "opportunities", "proposal": "proposals"}

_FIRST = ["Ana", "Ben", "Carla", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kofi", "Lena", "Marco", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tara", "Umar", "Vera", "Wen", "Ximena", "Yusuf", "Zoe", "Alba", "Bruno", "Chloe", "Dario", "Esme", "Felix", "Gita", "Hana", "Ivan", "Juno", "Kai", "Lucia", "Mateo", "Noor"]
_LAST = ["Lopez", "Okafor", "Schmidt", "Patel", "Rossi", "Nguyen", "Kowalski", "Haddad", "Silva", "Moreau", "Tanaka", "Byrne", "Costa", "Ivanova", "Mensah", "Larsen", "Dubois", "Novak", "Reyes", "Fischer", "Kim", "Ahmed", "Jensen", "Morales", "Brennan", "Sato", "Weber", "Popescu", "Ortiz", "Lindqvist", "Adeyemi", "Varga", "Castro", "Hughes", "Yilmaz", "Berg", "Santos", "Kaur", "Walsh", "Romero"]
_COMPANIES = ("Acme Corp", "Globex", "Initech", "Umbrella Health", "Stark Supply", "Wayne Logistics", "Hooli", "Vandelay Imports")


@dataclass(frozen=True)
class DemoRep:
    name: str
    email: str
    profile: str
    goals: dict[str, float]  # weekly goal per metric key
    quota: float  # per month
    rep_id: int | None = None


@dataclass(frozen=True)
class DemoFile:
    path: Path
    layout: str  # salesforce_activity | hubspot_calls | pipedrive_deals
    rows: int
    date_order: str | None  # the order the file's dates are written in, for ingest


@dataclass(frozen=True)
class DemoPlan:
    as_of: datetime
    seed: int
    reps: list[DemoRep]
    events: pl.DataFrame  # rep (idx), at (datetime), kind (str), amount (f64), serial (i64)
    first_week: date
    weeks: int  # completed weeks of history; the current week follows them
    pto: dict[int, list[date]]  # rep index -> days


@dataclass(frozen=True)
class DemoResult:
    as_of: datetime
    seed: int
    reps: list[DemoRep]
    files: list[DemoFile]
    batch_ids: list[int]
    events_generated: int
    events_added: int
    behind_metric: str
    seconds: float
    layouts: list[str] = field(default_factory=list)


# -- the team ------------------------------------------------------------------


def _names(rng: np.random.Generator, count: int) -> list[tuple[str, str]]:
    combos = len(_FIRST) * len(_LAST)
    if count > combos:
        raise ValueError(f"the demo has names for at most {combos} reps")
    picks = rng.permutation(combos)[:count]
    return [(_FIRST[i % len(_FIRST)], _LAST[i // len(_FIRST)]) for i in picks]


def _team(rng: np.random.Generator, count: int) -> tuple[list[DemoRep], np.ndarray]:
    """Reps with goals and quotas, and their true weekly means per kind (reps × kinds)."""
    names = _names(rng, count)
    profiles = [PROFILES[i % len(PROFILES)] for i in range(count)]
    top = np.array([p == "top_performer" for p in profiles])
    conversations = np.where(top, 14.0, rng.uniform(8, 12, count))
    connect = rng.uniform(0.3, 0.4, count)
    to_meeting = np.where(top, 0.5, rng.uniform(0.38, 0.48, count))
    to_opportunity = np.where(top, 0.6, rng.uniform(0.45, 0.58, count))
    to_proposal = np.where(top, 0.7, rng.uniform(0.55, 0.68, count))
    win = np.where(top, 0.42, rng.uniform(0.2, 0.34, count))
    deal_size = np.where(top, 11_000.0, rng.uniform(6_000, 11_000, count))
    meetings = conversations * to_meeting
    opportunities = meetings * to_opportunity
    proposals = opportunities * to_proposal
    deals = proposals * win
    means = np.column_stack([conversations * (1 / connect - 1), conversations, meetings, opportunities, proposals, deals])
    # The top performer's goals sit well below what they do; everyone else's just below.
    headroom = np.where(top, 1.3, 1.05)
    reps = []
    for i, (first, last) in enumerate(names):
        goals = {
            metric: float(max(1, round(means[i, KINDS.index(kind)] / headroom[i])))
            for kind, metric in GOAL_METRICS.items()
        }
        quota = float(max(1000, round(deals[i] / headroom[i] * deal_size[i] * 52 / 12, -3)))
        email = f"{first.lower()}.{last.lower()}@demo.example"
        reps.append(DemoRep(f"{first} {last}", email, profiles[i], goals, quota))
    return reps, np.column_stack([means, deal_size])


def _week_days(first_week: date, weeks: int, settings: TeamSettings) -> np.ndarray:
    """Working-day offsets (0–6) per week, padded with -1: (weeks × 7)."""
    table = np.full((weeks, 7), -1, dtype=np.int64)
    for w in range(weeks):
        start = first_week + timedelta(weeks=w)
        days = team_working_days(week_of(start, settings.week_start), settings)
        table[w, : len(days)] = [(d - start).days for d in days]
    return table


# -- events ----------------------------------------------------------------------


def _history_counts(
    rng: np.random.Generator, reps: list[DemoRep], means: np.ndarray, weeks: int, workdays: np.ndarray, per_week: int
) -> np.ndarray:
    """Weekly event counts (reps × weeks × kinds) for the completed weeks."""
    count = len(reps)
    busy = rng.lognormal(0.0, 0.18, (count, weeks))
    ago = weeks - np.arange(weeks)  # 1 = last completed week
    ramping = np.array([r.profile == "ramping_hire" for r in reps])
    since_hire = RAMP_WEEKS_AGO - ago  # 0 = the week they joined
    ramp = np.clip(0.3 + 0.7 * since_hire / 8, 0.0, 1.0) * (since_hire >= 0)
    scale = busy * np.where(ramping[:, None], ramp[None, :], 1.0)
    scale *= ((workdays >= 0).sum(axis=1) / per_week)[None, :]
    expected = scale[:, :, None] * means[:, None, : len(KINDS)]
    slip = _slip_cells(reps, ago, weeks)
    conv = KINDS.index("conversation")
    expected[:, :, conv] *= np.where(slip, SLIP_EFFORT, 1.0)
    counts: np.ndarray = rng.poisson(expected)
    missing = np.array([r.profile == "missing_conversations" for r in reps])
    if missing.any():
        goal = np.array([r.goals["conversations"] for r in reps])
        last = ago <= MISSED_WEEKS
        counts[np.ix_(missing, last, np.array([conv]))] = np.floor(goal[missing] * 0.55).astype(np.int64)[:, None, None]
    if slip.any():
        # Meetings now come from each week's own conversations, at a lower rate than the rep's usual.
        meeting = KINDS.index("meeting")
        usual = means[:, meeting] / means[:, conv]
        booked = rng.binomial(counts[:, :, conv], np.minimum(usual * SLIP_KEEP, 1.0)[:, None])
        counts[:, :, meeting] = np.where(slip, booked, counts[:, :, meeting])
    return counts


def _slip_cells(reps: list[DemoRep], ago: np.ndarray, weeks: int) -> np.ndarray:
    """(reps × weeks): where conversion to meetings slips; nowhere when the history is too short to show it."""
    if weeks < SLIP_WEEKS + SLIP_BASELINE_WEEKS:
        return np.zeros((len(reps), weeks), dtype=bool)
    slipping = np.array([r.profile != "top_performer" for r in reps])
    return slipping[:, None] & (ago <= SLIP_WEEKS)[None, :]


def _history_events(
    rng: np.random.Generator, counts: np.ndarray, first_week: date, workdays: np.ndarray, settings: TeamSettings
) -> pl.DataFrame:
    _, week_n, kind_n = counts.shape
    cell = np.repeat(np.arange(counts.size), counts.ravel())
    rep, rest = np.divmod(cell, week_n * kind_n)
    week, kind = np.divmod(rest, kind_n)
    available = (workdays >= 0).sum(axis=1)
    pick = np.floor(rng.random(cell.size) * available[week]).astype(np.int64)
    offset_days = workdays[week, pick] + 7 * week
    day_seconds = int(hours_per_day(settings) * 3600)
    start = datetime.combine(first_week, settings.day_start)
    seconds = offset_days * 86_400 + (rng.random(cell.size) * day_seconds).astype(np.int64) // 60 * 60
    at = np.datetime64(start, "s") + seconds.astype("timedelta64[s]")
    return pl.DataFrame({"rep": rep.astype(np.int32), "at": at.astype("datetime64[us]"), "kind": kind.astype(np.int8)})


def _current_counts(
    rng: np.random.Generator, reps: list[DemoRep], means: np.ndarray, as_of: datetime, settings: TeamSettings, pto: dict[int, list[date]]
) -> np.ndarray:
    """This week's counts so far: pace set on purpose, so the story holds for any seed."""
    week = week_of(as_of.date(), settings.week_start)
    counts = np.zeros((len(reps), len(KINDS)), dtype=np.int64)
    for i, rep in enumerate(reps):
        wt = working_time(week, as_of, settings, pto.get(i, ()))
        share = wt.elapsed_hours / wt.standard_week_hours
        if share <= 0:
            continue
        for kind, metric in GOAL_METRICS.items():
            factor = 1.3 if rep.profile == "top_performer" else 1.1
            behind = (metric == BEHIND_METRIC and rep.profile != "top_performer") or (
                metric == "conversations" and rep.profile == "missing_conversations"
            )
            expected = rep.goals[metric] * share
            # Floor for the behind ones, ceiling for the rest: the side of pace each lands on is certain.
            counts[i, KINDS.index(kind)] = math.floor(expected * 0.55) if behind else math.ceil(expected * factor)
        conv = counts[i, KINDS.index("conversation")]
        connect = means[i, KINDS.index("conversation")] / (means[i, 0] + means[i, 1])
        counts[i, 0] = round(conv * (1 / connect - 1))
        counts[i, KINDS.index("deal")] = rng.poisson(means[i, KINDS.index("deal")] * share)
    return counts


def _current_events(
    rng: np.random.Generator, counts: np.ndarray, as_of: datetime, settings: TeamSettings, pto: dict[int, list[date]]
) -> pl.DataFrame:
    week = week_of(as_of.date(), settings.week_start)
    frames = []
    for i in range(counts.shape[0]):
        days = [d for d in team_working_days(week, settings) if d not in set(pto.get(i, ()))]
        opens = [datetime.combine(d, settings.day_start) for d in days]
        elapsed = np.array([day_elapsed_hours(d, as_of, settings) for d in days]) * 3600
        total = int(counts[i].sum())
        if total == 0 or elapsed.sum() <= 0:
            continue
        # Uniform over the working time elapsed so far: nothing after as_of.
        point = rng.random(total) * elapsed.sum()
        cum = np.cumsum(elapsed)
        day_idx = np.searchsorted(cum, point, side="right")
        within = point - np.concatenate([[0.0], cum])[day_idx]
        base = np.array([np.datetime64(o, "s") for o in opens])
        at = base[day_idx] + (np.floor(within / 60) * 60).astype("timedelta64[s]")
        kinds = np.repeat(np.arange(len(KINDS)), counts[i])
        frames.append(pl.DataFrame({"rep": np.full(total, i, dtype=np.int32), "at": at.astype("datetime64[us]"), "kind": kinds.astype(np.int8)}))
    if not frames:
        return pl.DataFrame(schema={"rep": pl.Int32, "at": pl.Datetime("us"), "kind": pl.Int8})
    return pl.concat([f.with_columns(pl.col("at").cast(pl.Datetime("us"))) for f in frames])


def plan_demo(as_of: datetime, *, reps: int = 10, weeks: int = 26, seed: int = 7, settings: TeamSettings | None = None) -> DemoPlan:
    """Generate the team and every event, in memory; deterministic for (as_of, reps, weeks, seed)."""
    if reps < 1 or weeks < 1:
        raise ValueError("the demo needs at least one rep and one week")
    settings = settings or TeamSettings()
    rng = np.random.default_rng(seed)
    team, means = _team(rng, reps)
    current = week_of(as_of.date(), settings.week_start)
    first_week = current.start - timedelta(weeks=weeks)
    pto = {
        i: [d for d in team_working_days(current, settings)]
        for i, rep in enumerate(team)
        if rep.profile == "pto_this_week"
    }
    workdays = _week_days(first_week, weeks, settings)
    history = _history_events(
        rng, _history_counts(rng, team, means, weeks, workdays, len(settings.working_days)), first_week, workdays, settings
    )
    now = _current_events(rng, _current_counts(rng, team, means, as_of, settings, pto), as_of, settings, pto)
    events = pl.concat([history.with_columns(pl.col("at").cast(pl.Datetime("us"))), now]).sort("at", "rep", "kind")
    deal = KINDS.index("deal")
    is_deal = (events["kind"] == deal).to_numpy()
    sizes = means[events["rep"].to_numpy(), len(KINDS)]
    amounts = np.round(sizes * rng.lognormal(-0.06, 0.35, len(events)) / 100) * 100
    events = events.with_columns(
        amount=pl.Series(np.where(is_deal, amounts, np.nan)).fill_nan(None),
        serial=pl.int_range(1, len(events) + 1, dtype=pl.Int64),
        kind=pl.col("kind").replace_strict(dict(enumerate(KINDS)), return_dtype=pl.String),
    )
    return DemoPlan(as_of, seed, team, events, first_week, weeks, pto)


# -- export files ----------------------------------------------------------------


def _salesforce(chunk: pl.DataFrame, names: pl.DataFrame) -> pl.DataFrame:
    rows = chunk.filter(pl.col("kind").is_in(["meeting", "opportunity", "proposal"])).join(names, on="rep")
    types = {"meeting": "Meeting", "opportunity": "Opportunity created", "proposal": "Proposal sent"}
    subjects = {"meeting": "Discovery meeting", "opportunity": "New opportunity", "proposal": "Proposal sent"}
    company = pl.col("serial") % len(_COMPANIES)
    return rows.select(
        pl.format("00T{}", pl.col("serial").cast(pl.String).str.pad_start(12, "0")).alias("Activity ID"),
        pl.col("name").alias("Assigned"),
        pl.col("email").alias("Assigned: Email"),
        pl.col("at").dt.strftime("%m/%d/%Y %I:%M %p").alias("Date"),
        pl.col("kind").replace_strict(types).alias("Type"),
        pl.format("{} – {}", pl.col("kind").replace_strict(subjects), company.replace_strict(dict(enumerate(_COMPANIES)))).alias("Subject"),
        pl.lit("Completed").alias("Status"),
        company.replace_strict(dict(enumerate(_COMPANIES))).alias("Company / Account"),
    )


def _hubspot(chunk: pl.DataFrame, names: pl.DataFrame) -> pl.DataFrame:
    rows = chunk.filter(pl.col("kind").is_in(["no_connect", "conversation"])).join(names, on="rep")
    missed = ("No answer", "Left voicemail", "Busy")
    connected = pl.col("kind") == "conversation"
    seconds = pl.when(connected).then(90 + pl.col("serial") * 37 % 900).otherwise(8 + pl.col("serial") % 30)
    return rows.select(
        (pl.col("serial") + 51_000_000_000).cast(pl.String).alias("Record ID"),
        pl.col("at").dt.strftime("%Y-%m-%d %H:%M").alias("Activity date"),
        pl.col("name").alias("Activity assigned to"),
        pl.lit("Call").alias("Activity type"),
        pl.when(connected).then(pl.lit("Connected")).otherwise(
            (pl.col("serial") % 3).replace_strict(dict(enumerate(missed)), return_dtype=pl.String)
        ).alias("Call outcome"),
        pl.format("Call with {}", (pl.col("serial") % len(_COMPANIES)).replace_strict(dict(enumerate(_COMPANIES)))).alias("Call title"),
        pl.lit("Outbound").alias("Call direction"),
        pl.format(
            "00:{}:{}",
            (seconds // 60).cast(pl.String).str.pad_start(2, "0"),
            (seconds % 60).cast(pl.String).str.pad_start(2, "0"),
        ).alias("Call duration (HH:mm:ss)"),
    )


def _pipedrive(chunk: pl.DataFrame, names: pl.DataFrame) -> pl.DataFrame:
    rows = chunk.filter(pl.col("kind") == "deal").join(names, on="rep")
    company = (pl.col("serial") % len(_COMPANIES)).replace_strict(dict(enumerate(_COMPANIES)))
    return rows.select(
        (pl.col("serial") + 700_000).cast(pl.String).alias("Deal - ID"),
        pl.format("{} deal", company).alias("Deal - Title"),
        pl.col("name").alias("Deal - Owner"),
        pl.col("amount").cast(pl.Int64).cast(pl.String).alias("Deal - Value"),
        pl.lit("USD").alias("Deal - Currency"),
        pl.lit("won").alias("Deal - Status"),
        pl.col("at").dt.strftime("%Y-%m-%d %H:%M:%S").alias("Deal - Won time"),
        company.alias("Deal - Organization"),
        pl.lit("Closed").alias("Deal - Stage"),
    )


def _salesforce_footer(as_of: datetime) -> str:
    stamp = f"{as_of:%m/%d/%Y} {as_of:%I:%M %p}".replace(" 0", " ")
    return (
        '\n"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."\n'
        '"Confidential Information - Do Not Distribute"\n'
        f'"Generated By:  Demo Manager  {stamp}"\n'
        '"Demo Co"\n'
    )


LAYOUTS = (
    ("salesforce_activity", "salesforce_activities", _salesforce, "monthfirst"),
    ("hubspot_calls", "hubspot_calls", _hubspot, None),
    ("pipedrive_deals", "pipedrive_won_deals", _pipedrive, None),
)


def write_files(plan: DemoPlan, out_dir: Path, *, weeks_per_file: int = CHUNK_WEEKS, progress: Progress | None = None) -> list[DemoFile]:
    """Write the plan as CRM exports, one file per layout per chunk of weeks, oldest first."""
    out_dir.mkdir(parents=True, exist_ok=True)
    names = pl.DataFrame(
        {"rep": list(range(len(plan.reps))), "name": [r.name for r in plan.reps], "email": [r.email for r in plan.reps]},
        schema={"rep": pl.Int32, "name": pl.String, "email": pl.String},
    )
    last_week = plan.first_week + timedelta(weeks=plan.weeks)
    total_weeks = plan.weeks + 1
    starts = list(range(0, total_weeks, weeks_per_file))
    files: list[DemoFile] = []
    for n, first in enumerate(starts):
        lo = plan.first_week + timedelta(weeks=first)
        hi = min(lo + timedelta(weeks=weeks_per_file), last_week + timedelta(weeks=1))
        chunk = plan.events.filter((pl.col("at") >= datetime.combine(lo, datetime.min.time())) & (pl.col("at") < datetime.combine(hi, datetime.min.time())))
        for layout, stem, build, order in LAYOUTS:
            frame = build(chunk, names)
            if frame.is_empty():
                continue
            path = out_dir / f"{stem}_{lo:%Y-%m-%d}_to_{hi - timedelta(days=1):%Y-%m-%d}.csv"
            if layout == "salesforce_activity":
                path.write_text(frame.write_csv(quote_style="always") + _salesforce_footer(plan.as_of), encoding="utf-8")
            else:
                frame.write_csv(path)
            files.append(DemoFile(path, layout, frame.height, order))
        if progress:
            progress(0.3 * (n + 1) / len(starts), f"wrote export files for {lo:%b %d, %Y}")
    return files


# -- into the database -------------------------------------------------------------


def _ingest(
    store: Store, files: list[DemoFile], as_of: datetime, progress: Progress | None
) -> tuple[list[int], int]:
    from scorecard.ingest import IngestOptions, ingest_path

    batch_ids, added = [], 0
    for n, demo_file in enumerate(files):
        # The demo's "now" is the upload moment, so a demo built for a later date keeps all its rows.
        options = IngestOptions(source="demo", date_order=demo_file.date_order, as_of=as_of)  # type: ignore[arg-type]
        result = ingest_path(store, demo_file.path, options)
        batch_ids.append(int(result.batch_id))
        added += int(result.rows_added)
        if progress:
            progress(0.3 + 0.6 * (n + 1) / len(files), f"ingested {demo_file.path.name}")
    return batch_ids, added


def _finish_team(store: Store, plan: DemoPlan, batch_ids: list[int]) -> list[DemoRep]:
    """Label the demo reps, then give them quotas, goals and PTO."""
    ids = dict(
        store.fetchall(
            "SELECT display_name, rep_id FROM reps WHERE list_contains(?, display_name)", [[r.name for r in plan.reps]]
        )
    )
    with store.write() as cur:
        cur.execute(
            "UPDATE reps SET team = ?, is_demo = TRUE WHERE rep_id IN "
            "(SELECT DISTINCT e.rep_id FROM events e JOIN batch_events b USING (event_id) WHERE list_contains(?, b.batch_id))",
            [DEMO_TEAM, batch_ids],
        )
    reps = [DemoRep(r.name, r.email, r.profile, r.goals, r.quota, int(ids[r.name])) for r in plan.reps if r.name in ids]
    start = plan.first_week
    set_quotas(store, [QuotaChange(r.rep_id, r.quota, "month", start) for r in reps if r.rep_id is not None])
    set_goals(
        store,
        load_catalog(store),
        [GoalChange(r.rep_id, metric, goal, start) for r in reps if r.rep_id is not None for metric, goal in r.goals.items()],
        source="manual",
    )
    rep_ids = {plan.reps[i].name: days for i, days in plan.pto.items()}
    add_pto_rows(store, [(r.rep_id, d) for r in reps if r.rep_id is not None for d in rep_ids.get(r.name, [])])
    return reps


def build_demo(
    store: Store,
    as_of: datetime,
    reps: int = 10,
    weeks: int = 26,
    seed: int = 7,
    out_dir: Path = DEFAULT_OUT,
    progress: Progress | None = None,
) -> DemoResult:
    """Generate the demo team, write its exports to `out_dir`, and ingest them (source "demo")."""
    started = time.perf_counter()
    if progress:
        progress(0.0, f"generating {reps} reps × {weeks} weeks")
    plan = plan_demo(as_of, reps=reps, weeks=weeks, seed=seed, settings=load_settings(store))
    files = write_files(plan, Path(out_dir), progress=progress)
    batch_ids, added = _ingest(store, files, plan.as_of, progress)
    team = _finish_team(store, plan, batch_ids)
    if progress:
        progress(1.0, f"demo team ready: {len(team)} reps, {added:,} events")
    return DemoResult(
        as_of=as_of,
        seed=seed,
        reps=team,
        files=files,
        batch_ids=batch_ids,
        events_generated=plan.events.height,
        events_added=added,
        behind_metric=BEHIND_METRIC,
        seconds=time.perf_counter() - started,
        layouts=sorted({f.layout for f in files}),
    )


# -- removing the demo team (and bringing it back) -------------------------------------

_REMOVED_KEY = "demo_removed"  # meta: JSON {"batches": [...], "reps": [...], "at": ISO}


class DemoNotRemoved(LookupError):
    """There is no removed demo team to bring back."""


@dataclass(frozen=True)
class DemoPresence:
    reps: int  # active demo reps
    batches: list[int]  # live demo batches
    real_batches: int  # live batches that are not the demo's
    removed: bool  # a removal that can still be undone


@dataclass(frozen=True)
class DemoRemoval:
    batches: list[int]
    reps: list[int]
    events: int  # parked (removal) or brought back (undo)


def demo_presence(store: Store) -> DemoPresence:
    batches = [int(b) for (b,) in store.fetchall("SELECT batch_id FROM batches WHERE source = 'demo' AND status = 'live' ORDER BY 1")]
    real = int(store.scalar("SELECT count(*) FROM batches WHERE source <> 'demo' AND status = 'live'") or 0)
    reps = int(store.scalar("SELECT count(*) FROM reps WHERE is_demo AND active") or 0)
    removed = store.scalar("SELECT count(*) FROM meta WHERE key = ?", [_REMOVED_KEY]) == 1
    return DemoPresence(reps=reps, batches=batches, real_batches=real, removed=removed)


def offer_removal(store: Store) -> bool:
    """True once real data sits beside a demo team that is still there."""
    presence = demo_presence(store)
    return bool(presence.batches or presence.reps) and presence.real_batches > 0


# Events of the demo batches that no live batch of real data also carried.
_DEMO_ONLY = """
SELECT be.event_id FROM batch_events be JOIN batches b USING (batch_id)
WHERE b.source = 'demo' AND b.status = 'live'
EXCEPT
SELECT be.event_id FROM batch_events be JOIN batches b USING (batch_id)
WHERE b.source <> 'demo' AND b.status = 'live'
"""


def remove_demo(store: Store, now_utc: datetime) -> DemoRemoval:
    """Undo every demo batch and deactivate the demo reps, in one transaction; `restore_demo` reverses it.

    The demo's events are parked (not deleted), so bringing the team back
    restores exactly what was there. Events a real upload also carried stay.
    """
    from scorecard.rollups import mark_touched, refresh_rollups

    catalog = load_catalog(store)
    with store.write() as cur:
        if cur.execute("SELECT count(*) FROM meta WHERE key = ?", [_REMOVED_KEY]).fetchone() != (0,):
            raise ValueError("the demo team was already removed; bring it back first (python -m scorecard demo --restore)")
        batches = [int(b) for (b,) in cur.execute("SELECT batch_id FROM batches WHERE source = 'demo' AND status = 'live' ORDER BY 1").fetchall()]
        reps = [int(r) for (r,) in cur.execute("SELECT rep_id FROM reps WHERE is_demo AND active ORDER BY 1").fetchall()]
        if not batches and not reps:
            raise ValueError("there is no demo team to remove")
        cur.execute(f"CREATE TEMP TABLE _demo_only AS {_DEMO_ONLY}")
        mark_touched(cur, "SELECT e.rep_id, CAST(e.occurred_at AS DATE) FROM events e SEMI JOIN _demo_only d USING (event_id)")
        cur.execute("DELETE FROM parked_events")
        cur.execute("INSERT INTO parked_events BY NAME SELECT e.* FROM events e SEMI JOIN _demo_only d USING (event_id)")
        parked = int(cur.execute("SELECT count(*) FROM parked_events").fetchone()[0])  # type: ignore[index]
        cur.execute("DELETE FROM events e USING _demo_only d WHERE e.event_id = d.event_id")
        cur.execute("DROP TABLE _demo_only")
        refresh_rollups(cur, catalog, touched=True)
        stamp = now_utc.replace(tzinfo=None)
        cur.execute("UPDATE batches SET status = 'undone', undone_at = ? WHERE list_contains(?, batch_id)", [stamp, batches])
        cur.execute("UPDATE reps SET active = FALSE WHERE list_contains(?, rep_id)", [reps])
        record = json.dumps({"batches": batches, "reps": reps, "at": stamp.isoformat()})
        cur.execute("INSERT INTO meta VALUES (?, ?)", [_REMOVED_KEY, record])
    return DemoRemoval(batches=batches, reps=reps, events=parked)


def restore_demo(store: Store) -> DemoRemoval:
    """Bring a removed demo team back: its batches live again, its reps active, its events in place."""
    from scorecard.rollups import mark_touched, refresh_rollups

    catalog = load_catalog(store)
    with store.write() as cur:
        row = cur.execute("SELECT value FROM meta WHERE key = ?", [_REMOVED_KEY]).fetchone()
        if row is None:
            raise DemoNotRemoved("the demo team has not been removed, so there is nothing to bring back")
        record = json.loads(row[0])
        batches, reps = [int(b) for b in record["batches"]], [int(r) for r in record["reps"]]
        # An event a real upload brought in meanwhile (same identity) is not added twice.
        cur.execute("DELETE FROM parked_events p USING events e WHERE p.event_key = e.event_key")
        back = int(cur.execute("SELECT count(*) FROM parked_events").fetchone()[0])  # type: ignore[index]
        cur.execute("INSERT INTO events BY NAME SELECT * FROM parked_events")
        mark_touched(cur, "SELECT rep_id, CAST(occurred_at AS DATE) FROM parked_events")
        refresh_rollups(cur, catalog, touched=True)
        cur.execute("DELETE FROM parked_events")
        cur.execute("UPDATE batches SET status = 'live', undone_at = NULL WHERE list_contains(?, batch_id)", [batches])
        cur.execute("UPDATE reps SET active = TRUE WHERE list_contains(?, rep_id)", [reps])
        cur.execute("DELETE FROM meta WHERE key = ?", [_REMOVED_KEY])
    return DemoRemoval(batches=batches, reps=reps, events=back)
