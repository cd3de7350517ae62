"""The leader's own scorecard: lead from the front.

A manager is measured like a rep: a few activities with weekly goals (data/leader.toml,
or the manager's own, effective-dated), each goal prorated to the manager's
working time, pace during the week. The activities:

- joint customer meetings and joint calls: an exported meeting or connected call
  whose attendees (or second owner) column names the manager and someone else,
  or that is the manager's own and names a rep; plus the ones logged in the app;
- 1:1s held (the coaching log) and coaching sessions (logged in the app).

Log in the app only what the exports do not carry, or it counts twice.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path

import polars as pl

from scorecard.calendar import Period, WorkingTime, period_for, working_time
from scorecard.catalog import Catalog, load_catalog
from scorecard.coaching.log import direct_reports, managers, people
from scorecard.goals import pto_days
from scorecard.roster import Rep, match_key
from scorecard.scores.pace import score
from scorecard.settings import TeamSettings, load_settings
from scorecard.store import Store

LEADER_FILE = Path(__file__).resolve().parent.parent.parent / "data" / "leader.toml"
RECENT_WEEKS = 4  # completed weeks shown beside this week
EPSILON = 1e-9
# What separates people in an attendees cell: "Ana Lopez; Ben Carter", "ana@x.com, ben@x.com".
_SEPARATORS = re.compile(r"[;,|\n]+")
_ANGLE_EMAIL = re.compile(r"<([^<>@\s]+@[^<>\s]+)>")


@dataclass(frozen=True)
class LeaderMetric:
    key: str
    label: str
    unit: str
    unit_one: str
    default_weekly_goal: float | None
    per_direct_report: bool
    order: int

    def units(self, value: float) -> str:
        shown = f"{value:g}"
        return f"{shown} {self.unit_one if value == 1 else self.unit}"


@lru_cache(maxsize=1)
def leader_metrics() -> tuple[LeaderMetric, ...]:
    """The leader's metrics as shipped (data/leader.toml), in order."""
    with open(LEADER_FILE, "rb") as fh:
        doc = tomllib.load(fh)
    found = [
        LeaderMetric(
            key=key,
            label=str(spec["label"]),
            unit=str(spec["unit"]),
            unit_one=str(spec.get("unit_one", spec["unit"])),
            default_weekly_goal=None if spec.get("default_weekly_goal") is None else float(spec["default_weekly_goal"]),
            per_direct_report=bool(spec.get("per_direct_report", False)),
            order=int(spec.get("order", 99)),
        )
        for key, spec in doc["leader_metrics"].items()
    ]
    return tuple(sorted(found, key=lambda m: m.order))


@dataclass(frozen=True)
class LeaderScore:
    metric: str
    label: str
    actual: float
    from_exports: int  # of `actual`, found in uploaded exports
    logged: int  # of `actual`, logged in the app
    weekly_goal: float | None
    goal: float | None  # prorated to the manager's working time this week
    expected_to_date: float | None
    pace: float | None
    status: str | None
    recent: tuple[tuple[date, float, float | None], ...]  # completed weeks, oldest first: (week start, actual, goal)
    summary: str

    @property
    def recent_on_goal(self) -> int:
        return sum(1 for _w, actual, goal in self.recent if goal and actual >= goal - EPSILON)

    @property
    def recent_with_goal(self) -> int:
        return sum(1 for _w, _a, goal in self.recent if goal)


@dataclass(frozen=True)
class LeaderCard:
    leader: Rep
    reports: tuple[Rep, ...]
    as_of: datetime
    period: Period
    working_time: WorkingTime
    metrics: list[LeaderScore]


def leaders_in_scope(store: Store, team: str | None) -> list[tuple[Rep, tuple[Rep, ...]]]:
    """Managers with active direct reports (in `team`, or anywhere), with those reports, by name."""
    everyone = people(store)
    reports: dict[int, list[Rep]] = {}
    for rep_id, boss in managers(store).items():
        rep = everyone.get(rep_id)
        if rep is not None and rep.active and (team is None or rep.team == team) and boss in everyone:
            reports.setdefault(boss, []).append(rep)
    order = sorted(reports, key=lambda b: (everyone[b].display_name, b))
    return [(everyone[b], tuple(sorted(reports[b], key=lambda r: r.display_name))) for b in order]


def leader_cards(store: Store, as_of: datetime, *, team: str | None = None) -> list[LeaderCard]:
    """The scorecard of every manager with reps in scope, as of `as_of`."""
    return [leader_card(store, boss, reports, as_of) for boss, reports in leaders_in_scope(store, team)]


def leader_card(store: Store, leader: Rep, reports: tuple[Rep, ...], as_of: datetime) -> LeaderCard:
    settings, catalog = load_settings(store), load_catalog(store)
    period = period_for("week", as_of.date(), settings)
    weeks = [period_for("week", period.start - timedelta(weeks=k), settings) for k in range(RECENT_WEEKS, 0, -1)]
    first = weeks[0].start
    pto = pto_days(store, first, period.end).get(leader.rep_id, set())
    wt = working_time(period, as_of, settings, pto)
    exported = _joint_from_exports(store, catalog, leader, datetime.combine(first, time.min), as_of, settings)
    logged = _logged(store, leader.rep_id, first, as_of.date(), settings)
    # A per-report default counts every active report, whichever team is on screen.
    goals = _goals(store, leader.rep_id, len(direct_reports(store, leader.rep_id)), [*weeks, period])
    scores = []
    for metric in leader_metrics():
        history = []
        for week in weeks:
            done = working_time(week, datetime.combine(week.end, time.max), settings, pto)
            weekly = goals[(metric.key, week.start)]
            actual = exported[(metric.key, week.start)] + logged[(metric.key, week.start)]
            history.append((week.start, float(actual), None if weekly is None else weekly * done.goal_scale))
        scores.append(
            _score(
                metric,
                exported[(metric.key, period.start)],
                logged[(metric.key, period.start)],
                goals[(metric.key, period.start)],
                wt,
                settings,
                tuple(history),
            )
        )
    return LeaderCard(leader, reports, as_of, period, wt, scores)


def _score(
    metric: LeaderMetric,
    exported: int,
    logged: int,
    weekly: float | None,
    wt: WorkingTime,
    settings: TeamSettings,
    recent: tuple[tuple[date, float, float | None], ...],
) -> LeaderScore:
    """Pace as for a rep (docs/pace.md), by the same engine: the goal prorated to working time, expected, status."""
    actual = float(exported + logged)
    cell = pl.DataFrame(
        {"actual": [actual], "weekly_goal": [weekly], "available": [wt.available_hours], "elapsed": [wt.elapsed_hours]},
        schema={"actual": pl.Float64, "weekly_goal": pl.Float64, "available": pl.Float64, "elapsed": pl.Float64},
    )
    scored = score(cell, settings, wt.standard_week_hours).row(0, named=True)
    goal, expected, pace, status = scored["goal"], scored["expected"], scored["pace"], scored["status"]
    if goal is None:
        summary = metric.units(actual)
    elif wt.available_hours <= 0:
        summary = f"{actual:g} of {metric.units(round(goal, 1))} · off all week"
    elif pace is None:
        summary = f"{actual:g} of {metric.units(round(goal, 1))} · pace not started yet"
    else:
        summary = f"{actual:g} of {metric.units(round(goal, 1))} · {pace:.0%} of pace"
    return LeaderScore(
        metric.key, metric.label, actual, exported, logged, weekly, goal, expected, pace, status, recent, summary
    )


def _goals(store: Store, leader_id: int, reports: int, weeks: list[Period]) -> dict[tuple[str, date], float | None]:
    """The weekly goal in force per (metric, week): the latest own goal effective by the week's last day, else the default."""
    rows = store.fetchall(
        "SELECT metric, weekly_goal, effective_from FROM leader_goals WHERE leader_id = ? ORDER BY effective_from, set_at",
        [leader_id],
    )
    result: dict[tuple[str, date], float | None] = {}
    for metric in leader_metrics():
        default = metric.default_weekly_goal
        if default is not None and metric.per_direct_report:
            default *= reports
        for week in weeks:
            goal = default
            for key, weekly, effective in rows:
                if key == metric.key and effective <= week.end:
                    goal = None if weekly is None else float(weekly)
            result[(metric.key, week.start)] = goal
    return result


def _logged(store: Store, leader_id: int, first: date, last: date, settings: TeamSettings) -> Counter[tuple[str, date]]:
    """(metric, week start) -> sessions and 1:1s logged by the manager, held from `first` to `last`."""
    counts: Counter[tuple[str, date]] = Counter()
    rows = store.fetchall(
        "SELECT kind, held_on FROM coaching_sessions WHERE leader_id = ? AND held_on BETWEEN ? AND ? "
        "UNION ALL SELECT 'one_on_one', held_on FROM one_on_ones WHERE leader_id = ? AND held_on BETWEEN ? AND ?",
        [leader_id, first, last, leader_id, first, last],
    )
    metric_of = {
        "joint_meeting": "joint_meetings",
        "joint_call": "joint_calls",
        "coaching": "coaching_sessions",
        "one_on_one": "one_on_ones",
    }
    for kind, held_on in rows:
        metric = metric_of.get(str(kind))
        if metric is not None:
            counts[(metric, period_for("week", held_on, settings).start)] += 1
    return counts


def _name_index(everyone: dict[int, Rep]) -> dict[str, int]:
    """Every way an export may name a roster entry (name, email, link, alias) -> its id."""
    index: dict[str, int] = {}
    for rep in everyone.values():
        for text in (rep.display_name, rep.email or "", rep.slug, *rep.aliases):
            key = match_key(text)
            if key:
                index.setdefault(key, rep.rep_id)
    return index


def named_in(raw: str, index: dict[str, int]) -> set[int]:
    """The roster entries an attendees cell names ("Ana Lopez; Ben <ben@x.com>")."""
    found = set()
    whole = index.get(match_key(raw))
    if whole is not None:
        found.add(whole)
    for piece in _SEPARATORS.split(raw):
        email = _ANGLE_EMAIL.search(piece)
        for text in (piece, _ANGLE_EMAIL.sub("", piece), email.group(1) if email else ""):
            hit = index.get(match_key(text))
            if hit is not None:
                found.add(hit)
    return found


def _joint_kind(catalog: Catalog, activity: str, outcome: str) -> str | None:
    """A meeting is a joint meeting; a conversation, or a call that connected, a joint call."""
    klass = catalog.activity_class(activity)
    if klass == "meeting":
        return "joint_meetings"
    if klass == "conversation" or (klass == "call" and catalog.is_connect(outcome)):
        return "joint_calls"
    return None


def _joint_from_exports(
    store: Store, catalog: Catalog, leader: Rep, start: datetime, end: datetime, settings: TeamSettings
) -> Counter[tuple[str, date]]:
    """(metric, week start) -> exported meetings and calls from `start` to `end` the manager took part in with someone."""
    rows = store.fetchall(
        "SELECT e.rep_id, e.occurred_at, coalesce(e.activity_label, ''), coalesce(e.outcome_label, ''), a.raw "
        "FROM event_attendees a JOIN events e USING (event_id) WHERE e.occurred_at >= ? AND e.occurred_at <= ?",
        [start, end],
    )
    index = _name_index(people(store)) if rows else {}
    counts: Counter[tuple[str, date]] = Counter()
    for owner, when, activity, outcome, raw in rows:
        present = named_in(str(raw), index) | {int(owner)}
        if leader.rep_id not in present or len(present) < 2:
            continue
        kind = _joint_kind(catalog, str(activity), str(outcome))
        if kind is not None:
            counts[(kind, period_for("week", when.date(), settings).start)] += 1
    return counts
