"""A contest's life: launched once with fixed rules, tracked daily, paid out, or cancelled.

Rules cannot change after launch, so there is deliberately no update: a change
is a cancellation plus a new contest, and every standing ever published stays
explainable by the rules it was published under.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

import polars as pl

from scorecard.catalog import load_catalog
from scorecard.contests import _data
from scorecard.contests.sizing import Format, check_window
from scorecard.contests.suggest import Suggestion, active_contest_metrics
from scorecard.store import Snapshot, Store, next_ids

State = Literal["scheduled", "running", "finished", "cancelled"]


class ContestError(ValueError):
    """A contest cannot be launched or changed as asked; the message says why."""


@dataclass(frozen=True)
class Contest:
    contest_id: int
    metric: str
    label: str
    format: Format
    team: str | None
    start: date
    end: date  # inclusive
    target: float  # team units to gain
    window_target: float  # Σ of the participants' own targets
    budget: float
    prize: float
    divisions: tuple[str, ...]
    rationale: str
    announcement: str
    status: str  # running | cancelled (finished is derived from the end date)
    launched_at: datetime
    cancelled_at: datetime | None
    rules: Mapping[str, Any] = field(default_factory=dict)

    def state(self, as_of: datetime) -> State:
        if self.status == "cancelled":
            return "cancelled"
        if as_of.date() < self.start:
            return "scheduled"
        return "running" if as_of.date() <= self.end else "finished"


@dataclass(frozen=True)
class RepStanding:
    """A rep's place in one running contest, for their own scorecard."""

    contest_id: int
    metric: str
    label: str
    format: Format
    start: date
    end: date
    division: str | None
    actual: float
    target: float
    pct_of_target: float
    reached: bool
    rank: int
    of: int  # participants in the rep's division (or the whole contest)
    prize: float
    team_actual: float
    team_target: float
    summary: str


_COLUMNS = "contest_id, metric, format, team, start_day, end_day, rules, budget, rationale, announcement, status, launched_at, cancelled_at"


def _contest(row: tuple[Any, ...]) -> Contest:
    rules = json.loads(row[6])
    return Contest(
        contest_id=int(row[0]),
        metric=str(row[1]),
        label=str(rules.get("label", row[1])),
        format=row[2],
        team=row[3],
        start=row[4],
        end=row[5],
        target=float(rules.get("target", 0)),
        window_target=float(rules.get("window_target", 0)),
        budget=float(row[7]),
        prize=float(rules.get("prize", 0)),
        divisions=tuple(rules.get("divisions", ())),
        rationale=row[8] or "",
        announcement=row[9] or "",
        status=str(row[10]),
        launched_at=row[11],
        cancelled_at=row[12],
        rules=rules,
    )


def get_contest(store: Store, contest_id: int) -> Contest:
    row = store.fetchone(f"SELECT {_COLUMNS} FROM contests WHERE contest_id = ?", [contest_id])
    if row is None:
        raise ContestError(f"there is no contest {contest_id}")
    return _contest(row)


def list_contests(store: Store) -> list[Contest]:
    return [_contest(r) for r in store.fetchall(f"SELECT {_COLUMNS} FROM contests ORDER BY start_day, contest_id")]


def _rules(s: Suggestion) -> str:
    return json.dumps(
        {
            "label": s.label,
            "unit": s.unit,
            "unit_one": s.unit_one,
            "target": s.target,
            "window_target": s.window_target,
            "prize": s.prize,
            "divisions": list(s.divisions),
            "value_per_unit": s.value_per_unit,
            "expected_gross_profit": s.expected_gross_profit,
            "arithmetic": list(s.arithmetic),
            "why_format": s.why_format,
            "targets": {str(r.rep_id): r.target for r in s.rep_targets},
            # What the contest rewards, kept with the rules it was launched under.
            "focus": s.focus,
            "converted": s.converted,
            "skills_session": s.skills_session,
            "evidence": list(s.evidence),
        }
    )


def launch_contest(store: Store, suggestion: Suggestion, launched_at: datetime) -> int:
    """Store a suggestion (as suggested or edited) as a contest with fixed rules; returns its id."""
    if suggestion.format == "coaching":
        raise ContestError("a coaching action is not a contest: share it with the team instead")
    try:
        check_window(suggestion.start, suggestion.end)
    except ValueError as exc:
        raise ContestError(str(exc)) from exc
    if not suggestion.rep_targets:
        raise ContestError("a contest needs at least one participant")
    if suggestion.budget < 0:
        raise ContestError("the budget cannot be negative")
    with store.write() as cur:
        # Checked inside the write: writers take turns, on a lake across every process too, so two
        # launches for one metric cannot both find it free.
        start = datetime.combine(suggestion.start, launched_at.time())
        if suggestion.metric in active_contest_metrics(Snapshot(cur), start, suggestion.team):
            raise ContestError(f"{suggestion.label} already has a contest: run one contest per metric at a time")
        contest_id = next_ids(cur, "contest_id_seq")[0]
        cur.execute(
            "INSERT INTO contests (contest_id, metric, format, team, start_day, end_day, rules, budget, rationale, "
            "announcement, launched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                contest_id,
                suggestion.metric,
                suggestion.format,
                suggestion.team,
                suggestion.start,
                suggestion.end,
                _rules(suggestion),
                suggestion.budget,
                suggestion.rationale,
                suggestion.announcement,
                launched_at,
            ],
        )
        cur.executemany(
            "INSERT INTO contest_participants (contest_id, rep_id, target, division) VALUES (?, ?, ?, ?)",
            [[contest_id, r.rep_id, r.target, r.division] for r in suggestion.rep_targets],
        )
    return contest_id


def cancel_contest(store: Store, contest_id: int, when: datetime) -> None:
    contest = get_contest(store, contest_id)
    if contest.status == "cancelled":
        raise ContestError(f"contest {contest_id} is already cancelled")
    with store.write() as cur:
        cur.execute(
            "UPDATE contests SET status = 'cancelled', cancelled_at = ? WHERE contest_id = ?", [when, contest_id]
        )


def running_contests(store: Store, as_of: datetime) -> list[Contest]:
    return [c for c in list_contests(store) if c.state(as_of) == "running"]


def current_contests(store: Store, as_of: datetime) -> list[Contest]:
    """Running contests and those launched to start later (next week's), soonest first."""
    return [c for c in list_contests(store) if c.state(as_of) in ("running", "scheduled")]


def recent_results(store: Store, as_of: datetime, days: int = 14) -> list[ContestResults]:
    """Results of contests that ended in the last `days` days: the payout lists still to act on."""
    return [
        contest_results(store, c.contest_id, as_of)
        for c in reversed(list_contests(store))
        if c.state(as_of) == "finished" and (as_of.date() - c.end).days <= days
    ]


def contest_standings(store: Store, contest_id: int, as_of: datetime) -> pl.DataFrame:
    """Each participant's actual in the window up to `as_of` against their own target, ranked within division."""
    contest = get_contest(store, contest_id)
    people = store.frame(
        "SELECT p.rep_id, r.slug, r.display_name AS name, coalesce(p.division, '') AS division, p.target "
        "FROM contest_participants p JOIN reps r USING (rep_id) WHERE p.contest_id = ? ORDER BY r.display_name",
        [contest_id],
    )
    actuals = _data.metric_totals(
        store, load_catalog(store), contest.metric, contest.start, contest.end, as_of, people["rep_id"].to_list()
    )
    frame = people.with_columns(
        actual=pl.col("rep_id").replace_strict(actuals, default=0.0, return_dtype=pl.Float64),
        target=pl.col("target").cast(pl.Float64),
    ).with_columns(
        pct_of_target=pl.when(pl.col("target") > 0).then(pl.col("actual") / pl.col("target")).otherwise(0.0),
    )
    return (
        frame.with_columns(
            reached=pl.col("actual") >= pl.col("target"),
            rank=pl.col("pct_of_target").rank("min", descending=True).over("division").cast(pl.Int64),
        )
        .select("rep_id", "slug", "name", "division", "actual", "target", "pct_of_target", "reached", "rank")
        .sort("division", "rank", "name")
    )


def _summary(contest: Contest, actual: float, target: float, rank: int, of: int, team_actual: float) -> str:
    unit = str(contest.rules.get("unit", contest.metric))
    if contest.format == "team_goal":
        return f"Team {contest.label.lower()} push: the team has {team_actual:g} of {contest.window_target:g}; you've added {actual:g}."
    line = f"{contest.label} push: {actual:g} of your {target:g} {unit} ({actual / target:.0%})" if target else ""
    if contest.format == "division_race":
        line += f" · #{rank} of {of} in your division"
    return line + f" · ends {contest.end:%a %b} {contest.end.day}"


def standings_for_rep(store: Store, rep_id: int, as_of: datetime) -> list[RepStanding]:
    result = []
    for contest in running_contests(store, as_of):
        frame = contest_standings(store, contest.contest_id, as_of)
        mine = frame.filter(pl.col("rep_id") == rep_id)
        if mine.is_empty():
            continue
        row = mine.row(0, named=True)
        division = row["division"] or None
        of = frame.filter(pl.col("division") == row["division"]).height
        team_actual = float(frame["actual"].sum())
        result.append(
            RepStanding(
                contest_id=contest.contest_id,
                metric=contest.metric,
                label=contest.label,
                format=contest.format,
                start=contest.start,
                end=contest.end,
                division=division,
                actual=row["actual"],
                target=row["target"],
                pct_of_target=row["pct_of_target"],
                reached=row["reached"],
                rank=row["rank"],
                of=of,
                prize=contest.prize,
                team_actual=team_actual,
                team_target=contest.window_target,
                summary=_summary(contest, row["actual"], row["target"], row["rank"], of, team_actual),
            )
        )
    return result


@dataclass(frozen=True)
class Payout:
    rep_id: int
    slug: str
    name: str
    division: str | None
    amount: float
    reason: str


@dataclass(frozen=True)
class ContestResults:
    contest: Contest
    finished: bool  # False while it runs: the payouts are then what it would pay now
    standings: pl.DataFrame
    team_actual: float
    team_target: float
    team_reached: bool
    payouts: tuple[Payout, ...]
    cost: float


def _payouts(contest: Contest, standings: pl.DataFrame, team_reached: bool) -> list[Payout]:
    rows = standings.to_dicts()
    if contest.format == "threshold":
        return [
            Payout(r["rep_id"], r["slug"], r["name"], r["division"] or None, contest.prize, "reached their target")
            for r in rows
            if r["reached"]
        ]
    if contest.format == "team_goal":
        if not team_reached:
            return []
        return [
            Payout(r["rep_id"], r["slug"], r["name"], None, contest.prize, "the team reached its goal") for r in rows
        ]
    payouts = []
    for division in sorted({r["division"] for r in rows}):
        top = [r for r in rows if r["division"] == division and r["rank"] == 1 and r["actual"] > 0]
        for r in top:
            # A tie at the top shares the division's prize.
            payouts.append(
                Payout(
                    r["rep_id"],
                    r["slug"],
                    r["name"],
                    division or None,
                    contest.prize / len(top),
                    f"top of {division} ({r['pct_of_target']:.0%} of own target)",
                )
            )
    return payouts


def contest_results(store: Store, contest_id: int, as_of: datetime) -> ContestResults:
    """Winners and the payout list (final once the contest has ended)."""
    contest = get_contest(store, contest_id)
    standings = contest_standings(store, contest_id, as_of)
    team_actual = float(standings["actual"].sum()) if standings.height else 0.0
    team_reached = team_actual >= contest.window_target > 0
    payouts = [] if contest.status == "cancelled" else _payouts(contest, standings, team_reached)
    return ContestResults(
        contest=contest,
        finished=contest.state(as_of) in ("finished", "cancelled"),
        standings=standings,
        team_actual=team_actual,
        team_target=contest.window_target,
        team_reached=team_reached,
        payouts=tuple(payouts),
        cost=float(sum(p.amount for p in payouts)),
    )


def contest_to_json(contest: Contest, as_of: datetime, standings: pl.DataFrame | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": contest.contest_id,
        "metric": contest.metric,
        "label": contest.label,
        "format": contest.format,
        "team": contest.team,
        "start": contest.start.isoformat(),
        "end": contest.end.isoformat(),
        "state": contest.state(as_of),
        "target": contest.target,
        "window_target": contest.window_target,
        "budget": contest.budget,
        "prize": contest.prize,
    }
    if standings is not None:
        data["standings"] = [
            {
                "rep": r["slug"],
                "name": r["name"],
                "division": r["division"] or None,
                "actual": r["actual"],
                "target": r["target"],
                "pct_of_target": round(r["pct_of_target"], 4),
                "reached": r["reached"],
                "rank": r["rank"],
            }
            for r in standings.to_dicts()
        ]
    return data
