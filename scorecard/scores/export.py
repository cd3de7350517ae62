"""JSON shapes of `python -m scorecard report --json` (issues 3 and 4): nulls where undefined."""

from __future__ import annotations

import math
from typing import Any

from scorecard.calendar import Period
from scorecard.scores._reps import Rep
from scorecard.scores.personal import RepScorecard
from scorecard.scores.team import TeamView


def _num(value: float | None) -> float | None:
    if value is None or math.isnan(value) or math.isinf(value):
        return None
    return round(float(value), 6)


def _period(period: Period) -> dict[str, str]:
    return {"kind": period.kind, "start": period.start.isoformat(), "end": period.end.isoformat()}


def _rep(rep: Rep) -> dict[str, Any]:
    return {"slug": rep.slug, "name": rep.display_name, "team": rep.team}


def scorecard_to_json(sc: RepScorecard) -> dict[str, Any]:
    wt = sc.working_time
    return {
        "rep": _rep(sc.rep),
        "as_of": sc.as_of.isoformat(),
        "period": _period(sc.period),
        "working_time": {
            "available_hours": _num(wt.available_hours),
            "elapsed_hours": _num(wt.elapsed_hours),
            "fraction": _num(wt.fraction),
        },
        "metrics": [
            {
                "metric": m.metric,
                "label": m.label,
                "kind": m.kind,
                "actual": _num(m.actual),
                "weekly_goal": _num(m.weekly_goal),
                "goal": _num(m.goal),
                "expected_to_date": _num(m.expected_to_date),
                "pace": _num(m.pace),
                "projected": _num(m.projected),
                "status": m.status,
                "team_median": _num(m.team_median),
                "percentile": _num(m.percentile),
                "streak_weeks": m.streak_weeks,
                "trend": [_num(v) for v in m.trend],
                "summary": m.summary,
            }
            for m in sc.metrics
        ],
        "ratios": [
            {"ratio": r.key, "label": r.label, "format": r.format, "rep": _num(r.rep_value), "team": _num(r.team_value)}
            for r in sc.ratios
        ],
        "one_thing": None
        if sc.one_thing is None
        else {
            "metric": sc.one_thing.metric,
            "label": sc.one_thing.label,
            "shortfall": _num(sc.one_thing.shortfall),
            "value_per_unit": _num(sc.one_thing.value_per_unit),
            "reason": sc.one_thing.reason,
        },
    }


def team_view_to_json(tv: TeamView) -> dict[str, Any]:
    return {
        "as_of": tv.as_of.isoformat(),
        "period": _period(tv.period),
        "team": tv.team,
        "teams": tv.teams,
        "metrics": [
            {
                "metric": m.metric,
                "label": m.label,
                "team_actual": _num(m.team_actual),
                "team_expected": _num(m.team_expected),
                "team_pace": _num(m.team_pace),
                "reps_with_goal": m.reps_with_goal,
                "reps_behind": m.reps_behind,
                "reps_below_pace": m.reps_below_pace,
                "is_team_gap": m.is_team_gap,
            }
            for m in tv.metrics
        ],
        "flags": [
            {
                "rep": f.rep.slug,
                "name": f.rep.display_name,
                "metric": f.metric,
                "weeks_missed": f.weeks_missed,
                "questions": f.questions,
            }
            for f in tv.flags
        ],
        "tiers": {tier: [r.slug for r in reps] for tier, reps in tv.tiers.items()},
        "shout_outs": [r.slug for r in tv.shout_outs],
        "leaderboard": [
            {"rep": slug, "name": name, "pct_of_goal": _num(pct)} for slug, name, pct in tv.leaderboard.iter_rows()
        ],
    }
