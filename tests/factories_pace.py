"""Random teams (fixed seeds) and a straightforward recompute of every score from the raw tables.

The recompute reads events, goals, PTO, reps and settings as they are stored
and applies docs/pace.md and docs/team-gaps.md with plain loops: no rollups,
no caches, no Polars. Tests compare the app's numbers with it.
"""

from __future__ import annotations

import random
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from scorecard.calendar import Period, WorkingTime, last_weeks, period_for, working_time
from scorecard.catalog import load_catalog
from scorecard.ingest import ingest_bytes
from scorecard.settings import load_settings
from scorecard.store import Store
from tests.factories import add_rep
from tests.factories_ingest import csv_bytes

HEADER = ["rep", "date", "type", "outcome", "subject", "amount", "id"]
# Raw (type, outcome) pairs an export carries: mapped, connected, unmapped, and one the tests re-map.
KINDS = [
    ("Call", "No answer"),
    ("Call", "Connected"),
    ("Call", "Voicemail"),
    ("Meeting", ""),
    ("Opportunity created", ""),
    ("Proposal sent", ""),
    ("Closed Won", ""),
    ("Webinar", ""),
]
WEIGHTS = [6, 4, 2, 3, 2, 1, 1, 2]
FIRST_DAY = date(2026, 9, 7)  # a Monday; eleven full weeks before the week of 2026-11-23
LAST_DAY = date(2026, 11, 28)
TEAMS = {
    "Ana Lopez": "Sales",
    "Bo Chen": "Sales",
    "Cy Diaz": "Sales",
    "Di Evans": "Sales",
    "Ed Fox": "East",
    "Flo Gray": "East",
}


@dataclass(frozen=True)
class RandomTeam:
    reps: dict[str, int]  # display name -> rep_id
    batches: list[int]


def random_team(store: Store, seed: int) -> RandomTeam:
    """Six reps in two teams with random goals, PTO and ~11 weeks of events, ingested as three files."""
    rng = random.Random(seed)
    reps = {name: add_rep(store, name, team=team) for name, team in TEAMS.items()}
    late = rng.choice(list(reps))  # one rep whose data begins mid-way
    rows: list[list[Any]] = []
    day = FIRST_DAY
    while day <= LAST_DAY:
        for name in reps:
            if name == late and day < FIRST_DAY + timedelta(weeks=5):
                continue
            busy = 0 if day.weekday() >= 5 and rng.random() < 0.8 else rng.randint(0, 9)
            for _ in range(busy):
                rows.append(_row(rng, name, day, len(rows), seed))
        day += timedelta(days=1)
    rng.shuffle(rows)
    cuts = sorted(rng.sample(range(1, len(rows)), 2))
    batches = [
        ingest_bytes(store, f"part-{i}.csv", csv_bytes(HEADER, part)).batch_id
        for i, part in enumerate((rows[: cuts[0]], rows[cuts[0] : cuts[1]], rows[cuts[1] :]))
    ]
    _random_goals_and_pto(store, rng, reps)
    return RandomTeam(reps=reps, batches=batches)


def _row(rng: random.Random, name: str, day: date, serial: int, seed: int) -> list[Any]:
    kind, outcome = rng.choices(KINDS, WEIGHTS)[0]
    moment = datetime.combine(day, time(rng.randint(7, 19), rng.randint(0, 59), rng.randint(0, 59)))
    amount = f"{rng.randint(500, 90000) / 100:.2f}" if kind == "Closed Won" and rng.random() < 0.9 else ""
    return [name, moment.strftime("%Y-%m-%d %H:%M:%S"), kind, outcome, "", amount, f"id-{seed}-{serial}"]


def _random_goals_and_pto(store: Store, rng: random.Random, reps: dict[str, int]) -> None:
    from scorecard.goals import GoalChange, add_pto, set_goals

    catalog = load_catalog(store)
    changes = []
    for rep_id in reps.values():
        for _ in range(rng.randint(0, 4)):
            metric = rng.choice(list(catalog.metrics))
            value = None if rng.random() < 0.2 else float(rng.choice([0, 1, 2, 3, 5, 8, 12]))
            changes.append(GoalChange(rep_id, metric, value, FIRST_DAY + timedelta(days=rng.randint(-10, 80))))
    set_goals(store, catalog, changes)
    for rep_id in rng.sample(list(reps.values()), 3):
        start = FIRST_DAY + timedelta(days=rng.randint(0, 80))
        add_pto(store, rep_id, [start + timedelta(days=i) for i in range(rng.randint(1, 6))])


# -- the recompute -----------------------------------------------------------------


class Recompute:
    """Every score, recomputed from the raw tables with plain loops."""

    def __init__(self, store: Store) -> None:
        self.settings = load_settings(store)
        self.catalog = load_catalog(store)
        self.reps = {
            int(r[0]): {"slug": r[1], "name": r[2], "team": r[3], "active": bool(r[4])}
            for r in store.fetchall("SELECT rep_id, slug, display_name, team, active FROM reps")
        }
        self.goal_rows: dict[tuple[int, str], list[tuple[date, float | None]]] = defaultdict(list)
        goals = store.fetchall("SELECT rep_id, metric, weekly_goal, effective_from FROM goals")
        for rep_id, metric, goal, since in goals:
            self.goal_rows[(int(rep_id), metric)].append((since, goal))
        self.pto: dict[int, set[date]] = defaultdict(set)
        for rep_id, day in store.fetchall("SELECT rep_id, day FROM pto"):
            self.pto[int(rep_id)].add(day)
        # rep -> day -> [(moment, metric, value, the event's amount)]
        self.events: dict[int, dict[date, list[tuple[datetime, str, float, float]]]] = defaultdict(
            lambda: defaultdict(list)
        )
        amounts = {m.key for m in self.catalog.metrics.values() if m.measure == "amount"}
        for rep_id, moment, activity, outcome, amount in store.fetchall(
            "SELECT rep_id, occurred_at, activity_label, outcome_label, amount FROM events"
        ):
            for metric in self.catalog.metrics_for(activity or "", outcome or ""):
                value = float(amount or 0.0) if metric in amounts else 1.0
                self.events[int(rep_id)][moment.date()].append((moment, metric, value, float(amount or 0.0)))

    # -- facts -------------------------------------------------------------------
    def week(self, day: date) -> Period:
        return period_for("week", day, self.settings)

    def actual(self, rep_id: int, metric: str, first: date, last: date, as_of: datetime) -> float:
        """Events of `metric` on days first..last that happened by `as_of`."""
        total = 0.0
        for day, events in self.events[rep_id].items():
            if first <= day <= last:
                total += sum(v for moment, m, v, _amount in events if m == metric and moment <= as_of)
        return total

    def has_activity(self, rep_id: int, metric: str | None, first: date, last: date, as_of: datetime) -> bool:
        return any(
            moment <= as_of and (metric is None or m == metric)
            for day, events in self.events[rep_id].items()
            if first <= day <= last
            for moment, m, _v, _amount in events
        )

    def first_day(self, rep_id: int) -> date | None:
        days = [day for day, events in self.events[rep_id].items() if events]
        return min(days) if days else None

    def weekly_goal(self, rep_id: int, metric: str, period: Period) -> float | None:
        rows = [(since, goal) for since, goal in self.goal_rows.get((rep_id, metric), []) if since <= period.end]
        if rows:  # (rep, metric, effective_from) is unique: the latest row wins
            return max(rows, key=lambda row: row[0])[1]
        default = self.catalog.metrics[metric].default_weekly_goal
        return None if default is None else float(default)

    def hours(self, rep_id: int, period: Period, as_of: datetime) -> WorkingTime:
        return working_time(period, as_of, self.settings, {d for d in self.pto[rep_id] if period.contains(d)})

    def team(self, team: str | None) -> list[int]:
        return [r for r, info in self.reps.items() if info["active"] and (team is None or info["team"] == team)]

    # -- the score ---------------------------------------------------------------
    def cell(self, rep_id: int, metric: str, period: Period, as_of: datetime) -> dict[str, Any]:
        actual = self.actual(rep_id, metric, period.start, period.end, as_of)
        weekly = self.weekly_goal(rep_id, metric, period)
        wt = self.hours(rep_id, period, as_of)
        fraction = wt.elapsed_hours / wt.available_hours if wt.available_hours > 0 else None
        goal = None if weekly is None else weekly * wt.available_hours / wt.standard_week_hours
        expected = None if goal is None else goal * (fraction or 0.0)
        pace = actual / expected if expected else None
        return {
            "actual": actual,
            "weekly_goal": weekly,
            "goal": goal,
            "fraction": fraction,
            "expected": expected,
            "pace": pace,
            "projected": actual / fraction if fraction else None,
            "status": self.status(pace),
        }

    def status(self, pace: float | None) -> str | None:
        if pace is None:
            return None
        if pace >= self.settings.on_pace_at:
            return "on_pace"
        return "at_risk" if pace >= self.settings.at_risk_from else "behind"

    # -- the personal scorecard ----------------------------------------------------
    def streak(self, rep_id: int, metric: str, as_of: datetime) -> int:
        weeks = last_weeks(as_of.date(), self.settings, 27)[:-1]
        streak = 0
        for week in reversed(weeks):
            c = self.cell(rep_id, metric, week, as_of)
            if c["weekly_goal"] is None:
                break
            if c["goal"] > 0:
                if c["actual"] < c["goal"]:
                    break
                streak += 1
        return streak

    def trend(self, rep_id: int, metric: str, as_of: datetime) -> list[float]:
        return [
            self.actual(rep_id, metric, w.start, w.end, as_of) for w in last_weeks(as_of.date(), self.settings, 12)
        ]

    def peers(self, rep_id: int, metric: str, period: Period, as_of: datetime) -> tuple[float, float] | None:
        """(team median, percentile) of the rep's actual among teammates with a goal or activity."""
        mates = self.team(self.reps[rep_id]["team"])
        counted = {
            r
            for r in mates
            if any(self.weekly_goal(r, m, period) is not None for m in self.catalog.metrics)
            or self.has_activity(r, None, period.start, period.end, as_of)
        } | {rep_id}
        active = [r for r in counted if self.has_activity(r, metric, period.start, period.end, as_of)]
        if not active:
            return None
        values = sorted(self.actual(r, metric, period.start, period.end, as_of) for r in counted)
        mine = self.actual(rep_id, metric, period.start, period.end, as_of)
        return float(statistics.median(values)), 100 * sum(1 for v in values if v <= mine) / len(values)

    # -- the team view ---------------------------------------------------------------
    def team_metrics(self, team: str | None, as_of: datetime) -> list[dict[str, Any]]:
        week = self.week(as_of.date())
        s = self.settings
        out = []
        for m in self.catalog.ordered():
            cells = [self.cell(r, m.key, week, as_of) for r in self.team(team)]
            cells = [c for c in cells if c["weekly_goal"] is not None and c["weekly_goal"] > 0]
            if not cells:
                continue
            actual, expected = sum(c["actual"] for c in cells), sum(c["expected"] for c in cells)
            counted = [c for c in cells if c["expected"] > 0]
            below = [c for c in counted if c["pace"] < s.on_pace_at]
            pace = actual / expected if expected > 0 else None
            share = len(below) / len(counted) if counted else 0.0
            out.append(
                {
                    "metric": m.key,
                    "team_actual": actual,
                    "team_expected": expected,
                    "team_pace": pace,
                    "status": self.status(pace),
                    "reps_with_goal": len(cells),
                    "reps_behind": sum(1 for c in cells if c["status"] == "behind"),
                    "reps_below_pace": len(below),
                    "reps_expected": len(counted),
                    "is_team_gap": not m.vanity
                    and pace is not None
                    and pace < s.team_gap_pace_below
                    and share >= s.team_gap_share_behind - 1e-9,
                }
            )
        return out

    def completed_weeks(self, as_of: datetime, count: int) -> list[Period]:
        return last_weeks(as_of.date(), self.settings, count + 1)[:-1]

    def counts_from(self, rep_id: int, weeks: list[Period]) -> date | None:
        """The first of `weeks` that counts for a rep: none before their data begins."""
        first = self.first_day(rep_id)
        if first is None:
            return None
        return max(weeks[0].start, self.week(first).start)

    def flags(self, team: str | None, as_of: datetime) -> set[tuple[str, str, int]]:
        weeks = self.completed_weeks(as_of, 12)
        lead = [m.key for m in self.catalog.ordered() if m.is_lead and not m.vanity]
        flags = set()
        for r in self.team(team):
            since = self.counts_from(r, weeks)
            for metric in lead:
                missed = 0
                for week in reversed(weeks):
                    if since is None or week.start < since:
                        break
                    c = self.cell(r, metric, week, as_of)
                    if c["weekly_goal"] is None or c["weekly_goal"] <= 0:
                        break
                    if c["goal"] > 0:
                        if c["actual"] >= c["goal"]:
                            break
                        missed += 1
                if missed >= self.settings.flag_after_weeks:
                    flags.add((self.reps[r]["slug"], metric, missed))
        return flags

    def tiers(self, team: str | None, as_of: datetime) -> dict[str, set[str]]:
        weeks = self.completed_weeks(as_of, 12)[-4:]
        scored = [m.key for m in self.catalog.ordered() if not m.vanity]
        tiers: dict[str, set[str]] = {"autopilot": set(), "watch": set(), "coach": set()}
        for r in self.team(team):
            since = self.counts_from(r, self.completed_weeks(as_of, 12))
            hits = []
            for week in weeks:
                if since is None or week.start < since:
                    continue
                for metric in scored:
                    c = self.cell(r, metric, week, as_of)
                    if c["goal"] is not None and c["goal"] > 0:
                        hits.append(c["actual"] >= c["goal"])
            if hits:
                share = sum(hits) / len(hits)
                tier = "autopilot" if share >= 0.9 else "coach" if share < 0.5 else "watch"
                tiers[tier].add(self.reps[r]["slug"])
        return tiers

    def team_trend(self, team: str | None, as_of: datetime) -> dict[tuple[date, str], float]:
        weeks = self.completed_weeks(as_of, 12)
        sums: dict[tuple[date, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
        for r in self.team(team):
            since = self.counts_from(r, weeks)
            for week in weeks:
                if since is None or week.start < since:
                    continue
                for metric in self.catalog.metrics:
                    c = self.cell(r, metric, week, as_of)
                    if c["goal"] is not None and c["goal"] > 0:
                        sums[(week.start, metric)][0] += c["actual"]
                        sums[(week.start, metric)][1] += c["goal"]
        return {key: a / g for key, (a, g) in sums.items()}

    # -- rollups ---------------------------------------------------------------------
    def weekly_rollups(self) -> dict[tuple[int, date, str], tuple[int, float]]:
        """(rep, week start, metric) -> (events, their amounts), as the weekly rollups must hold them."""
        out: dict[tuple[int, date, str], list[float]] = defaultdict(lambda: [0, 0.0])
        for rep_id, days in self.events.items():
            for day, events in days.items():
                for _moment, metric, _value, amount in events:
                    cell = out[(rep_id, self.week(day).start, metric)]
                    cell[0] += 1
                    cell[1] += amount
        return {k: (int(v[0]), v[1]) for k, v in out.items()}
