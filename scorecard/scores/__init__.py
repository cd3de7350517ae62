"""Scores: the personal scorecard, the team view and the weekly flash report.

Every function takes an explicit `as_of` (naive, team-local) so any moment can
be replayed. Pace, goals in force and status come from one engine,
`scorecard.scores.pace` (rules in docs/pace.md).
"""

from __future__ import annotations

from scorecard.scores._reps import Rep, UnknownRep
from scorecard.scores.export import scorecard_to_json, team_view_to_json
from scorecard.scores.flash import FlashReport, flash_report
from scorecard.scores.personal import (
    MetricScore,
    OneThing,
    RatioScore,
    RepScorecard,
    rep_scorecard,
    rep_scorecards,
    unit_values,
)
from scorecard.scores.team import RedFlag, TeamMetric, TeamView, team_view

__all__ = [
    "FlashReport",
    "MetricScore",
    "OneThing",
    "RatioScore",
    "RedFlag",
    "Rep",
    "RepScorecard",
    "TeamMetric",
    "TeamView",
    "UnknownRep",
    "flash_report",
    "unit_values",
    "rep_scorecard",
    "rep_scorecards",
    "scorecard_to_json",
    "team_view",
    "team_view_to_json",
]
