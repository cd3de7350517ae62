"""Contests and spiffs: suggest them from team gaps, size them, launch, track, pay out, measure.

DESIGN.md ("Contest and spiff rules") is the doctrine: a contest only for a
metric the whole team is behind on, never winner-take-all on raw volume,
short, one per metric at a time, sized from the gross profit the gap is worth,
and measured afterwards against comparable periods.
"""

from __future__ import annotations

from scorecard.contests.lifecycle import (
    Contest,
    ContestError,
    ContestResults,
    Payout,
    RepStanding,
    cancel_contest,
    contest_results,
    contest_standings,
    contest_to_json,
    current_contests,
    get_contest,
    launch_contest,
    list_contests,
    recent_results,
    running_contests,
    standings_for_rep,
)
from scorecard.contests.lift import Lift, PeriodRate, contest_history, measure_lift
from scorecard.contests.sizing import FORMATS, Format, Window, contest_window, round_budget
from scorecard.contests.suggest import RepTarget, Suggestion, edit_suggestion, suggest_contests, suggestion_to_json

__all__ = [
    "FORMATS",
    "Contest",
    "ContestError",
    "ContestResults",
    "Format",
    "Lift",
    "Payout",
    "PeriodRate",
    "RepStanding",
    "RepTarget",
    "Suggestion",
    "Window",
    "cancel_contest",
    "contest_history",
    "contest_results",
    "contest_standings",
    "contest_to_json",
    "contest_window",
    "current_contests",
    "edit_suggestion",
    "get_contest",
    "launch_contest",
    "list_contests",
    "measure_lift",
    "recent_results",
    "round_budget",
    "running_contests",
    "standings_for_rep",
    "suggest_contests",
    "suggestion_to_json",
]
