"""Sizing a contest: its window, its format and its budget, each explainable in one line.

The rules are those of docs/contests.md: short windows on a
period boundary, never winner-take-all on raw volume, a budget that is a share
of the gross profit that closing the gap is expected to bring.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from scorecard.calendar import period_for, team_working_days
from scorecard.settings import TeamSettings

Format = Literal["threshold", "team_goal", "division_race", "coaching"]
FORMATS: tuple[Format, ...] = ("threshold", "team_goal", "division_race", "coaching")

# Spread of reps' pace (population standard deviation, in pace units: 0.30 =
# 30 percentage points) from which one shared bar would be out of reach for
# some and trivial for others, so reps race on % of their own goal instead.
WIDE_SPREAD = 0.30
# A race needs at least two divisions of two reps to be worth running.
MIN_RACE_REPS = 4
# Pace above this counts as ">= 200%" in the spread so one outlier cannot make it wide alone.
PACE_CAP = 2.0
MIN_REMAINING_DAYS = 2
MAX_WINDOW_DAYS = 14


@dataclass(frozen=True)
class Window:
    start: date
    end: date  # inclusive
    this_week: bool


def remaining_working_days(as_of: datetime, settings: TeamSettings) -> list[date]:
    """Working days of the current week not yet closed at `as_of`."""
    week = period_for("week", as_of.date(), settings)
    return [
        d
        for d in team_working_days(week, settings)
        if d >= as_of.date() and as_of < datetime.combine(d, settings.day_end)
    ]


def contest_window(as_of: datetime, settings: TeamSettings) -> Window:
    """The rest of this week when two working days remain, else next week's working days."""
    remaining = remaining_working_days(as_of, settings)
    if len(remaining) >= MIN_REMAINING_DAYS:
        return Window(remaining[0], remaining[-1], True)
    following = period_for("week", as_of.date(), settings).next(settings)
    days = team_working_days(following, settings) or following.days
    return Window(days[0], days[-1], False)


def check_window(start: date, end: date) -> None:
    if end < start:
        raise ValueError("a contest must end on or after the day it starts")
    if (end - start).days + 1 > MAX_WINDOW_DAYS:
        raise ValueError("keep contests short: at most two weeks")


def pace_spread(paces: Sequence[float]) -> float:
    capped = [min(p, PACE_CAP) for p in paces]
    return statistics.pstdev(capped) if len(capped) > 1 else 0.0


def choose_format(paces: Sequence[float], team_pace: float, settings: TeamSettings) -> tuple[Format, str]:
    """The format that fits how the team is spread, and one line saying why."""
    spread = pace_spread(paces)
    low, high = (min(paces), max(paces)) if paces else (0.0, 0.0)
    spread_text = f"reps' pace runs from {low:.0%} to {high:.0%} (spread ±{spread * 100:.0f} points)"
    if spread >= WIDE_SPREAD and len(paces) >= MIN_RACE_REPS:
        return "division_race", (
            f"Wide spread: {spread_text}. One shared bar would be out of reach for some and easy for others, "
            "so reps race on % of their OWN goal, in divisions of similar past performance."
        )
    if team_pace >= settings.at_risk_from:
        return "team_goal", (
            f"Small, shared gap: the team is at {team_pace:.0%} of pace and {spread_text}. "
            "A collective goal pulls everyone the last stretch together."
        )
    return "threshold", (
        f"Most reps are behind by similar amounts: {spread_text}. "
        "An open-ended threshold lets every rep who reaches their target win; nobody is competing for one prize."
    )


def round_budget(amount: float) -> float:
    """To the nearest $25 under $500, $50 under $2,000, else $100."""
    if amount <= 0:
        return 0.0
    step = 25 if amount < 500 else 50 if amount < 2000 else 100
    return float(max(step, math.floor(amount / step + 0.5) * step))


def prize_each(budget: float, winners: int) -> float:
    """A budget split into equal prizes, rounded down to $5 so the total never exceeds it."""
    if winners <= 0 or budget <= 0:
        return 0.0
    return float(math.floor(budget / winners / 5) * 5)


def money(amount: float, currency: str) -> str:
    return f"{currency}{amount:,.0f}"


@dataclass(frozen=True)
class Budget:
    units: float
    value_per_unit: float
    gross_margin: float
    share: float
    expected_gross_profit: float
    raw: float
    budget: float
    lines: tuple[str, ...]


def size_budget(units: float, unit_words: str, value_per_unit: float, settings: TeamSettings) -> Budget:
    """units × value per unit × margin = expected gross profit; × share = budget (rounded)."""
    c = settings.currency
    gross = units * value_per_unit * settings.gross_margin
    raw = gross * settings.contest_share
    budget = round_budget(raw)
    lines = [
        f"Value of one {unit_words} downstream: {money(value_per_unit, c)} of revenue "
        "(the team's own conversion rates through the funnel × average deal size).",
        f"Expected gross profit of closing the gap: {units:g} × {money(value_per_unit, c)} × "
        f"{settings.gross_margin:.0%} margin = {money(gross, c)}.",
        f"Budget: {money(gross, c)} × {settings.contest_share:.0%} share = {money(raw, c)}, rounded to {money(budget, c)}.",
    ]
    if value_per_unit <= 0:
        lines.append("No won revenue to value this activity yet, so there is no cash budget: pick a non-cash prize.")
    return Budget(
        units, value_per_unit, settings.gross_margin, settings.contest_share, gross, raw, budget, tuple(lines)
    )
