"""Contests and spiffs: suggest them from team gaps, size them, launch, track, pay out, measure.

docs/contests.md states the rules: a contest for every count metric the whole
team is behind on (never a vanity metric), shaped by a tested diagnosis of
the ratio feeding it; never winner-take-all on raw volume; short, one per
metric at a time; sized from the gross profit the gap is worth; measured
afterwards against comparable periods.
"""

from __future__ import annotations

from scorecard.contests.actions import GapAction, gap_actions
from scorecard.contests.diagnosis import RatioCheck, check_ratios
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
from scorecard.contests.suggest import (
    RepTarget,
    Suggestion,
    contest_eligible,
    edit_suggestion,
    suggest_contests,
    suggestion_to_json,
)

__all__ = [
    "FORMATS",
    "Contest",
    "ContestError",
    "ContestResults",
    "Format",
    "GapAction",
    "Lift",
    "Payout",
    "PeriodRate",
    "RatioCheck",
    "RepStanding",
    "RepTarget",
    "Suggestion",
    "Window",
    "cancel_contest",
    "check_ratios",
    "contest_eligible",
    "contest_history",
    "contest_results",
    "contest_standings",
    "contest_to_json",
    "contest_window",
    "current_contests",
    "edit_suggestion",
    "gap_actions",
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
