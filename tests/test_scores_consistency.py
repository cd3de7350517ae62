"""Every score equals a straightforward recompute from the raw tables, on random teams (fixed seeds).

The app reads weekly and daily rollups, a day's events and memoised pieces;
the recompute (tests/factories_pace.py) loops over the stored events. Counts,
goals as set, statuses, streaks, flags and tiers must match exactly; derived
ratios, sums over reps and money amounts to 1e-12 relative, since float
results depend on the order of operations (Polars may divide by a constant as
a multiplication by its inverse, and adds a column in its own order). The
comparison runs again after writes that rebuild rollups.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from scorecard.admin import merge_reps, set_label_target
from scorecard.calendar import period_for
from scorecard.contests import _data
from scorecard.ingest import undo_batch
from scorecard.scores import MetricScore, flash_report, rep_scorecard, team_view
from scorecard.settings import load_settings, save_settings
from scorecard.store import Store
from tests.factories_pace import Recompute, random_team

MOMENTS = (
    datetime(2026, 11, 18, 13, 0),  # a Wednesday afternoon
    datetime(2026, 11, 16, 8, 30),  # Monday before the day starts: nothing expected yet
    datetime(2026, 11, 13, 18, 45),  # Friday after close: the week is whole
    datetime(2026, 11, 25, 11, 15, 30),  # Thanksgiving week (a holiday on Thursday)
    datetime(2026, 11, 28, 23, 30),  # after the last activity, as a live page is: read from the rollups
)


def close(ours: Any, theirs: Any) -> bool:
    if theirs is None or ours is None:
        return ours is theirs
    return bool(ours == pytest.approx(theirs, rel=1e-12, abs=1e-9))


def assert_peers(m: MetricScore, peers: tuple[float, float] | None, truth: Recompute) -> None:
    median, percentile = peers if peers else (None, None)
    exact = truth.catalog.metrics[m.metric].measure == "count"
    assert m.team_median == median if exact else close(m.team_median, median), m.metric
    assert m.percentile == percentile, m.metric


def check_scorecards(store: Store, truth: Recompute, as_of: datetime) -> None:
    for rep_id, info in truth.reps.items():
        sc = rep_scorecard(store, info["slug"], as_of)
        period = truth.week(as_of.date())
        wt = truth.hours(rep_id, period, as_of)
        hours = (sc.working_time.available_hours, sc.working_time.elapsed_hours)
        assert hours == (wt.available_hours, wt.elapsed_hours)
        for m in sc.metrics:
            want = truth.cell(rep_id, m.metric, period, as_of)
            exact = truth.catalog.metrics[m.metric].measure == "count"
            got = {
                "actual": m.actual,
                "weekly_goal": m.weekly_goal,
                "goal": m.goal,
                "expected": m.expected_to_date,
                "pace": m.pace,
                "projected": m.projected,
            }
            for name, value in got.items():
                where = (info["slug"], m.metric, name, as_of)
                plain = exact and name in ("actual", "weekly_goal")
                assert value == want[name] if plain else close(value, want[name]), where
            assert m.status == want["status"], (info["slug"], m.metric)
            trend = truth.trend(rep_id, m.metric, as_of)
            assert m.trend == trend if exact else all(map(close, m.trend, trend)), (info["slug"], m.metric)
            assert m.streak_weeks == (truth.streak(rep_id, m.metric, as_of) if m.weekly_goal is not None else 0)
            assert_peers(m, truth.peers(rep_id, m.metric, period, as_of), truth)


def check_month_cards(store: Store, truth: Recompute, as_of: datetime) -> None:
    """The month view: a period that starts inside a week."""
    month = period_for("month", as_of.date(), truth.settings)
    for rep_id, info in truth.reps.items():
        sc = rep_scorecard(store, info["slug"], as_of, period_kind="month")
        for m in sc.metrics:
            want = truth.cell(rep_id, m.metric, month, as_of)
            assert close(m.actual, want["actual"]) and close(m.goal, want["goal"]), (info["slug"], m.metric)
            assert (m.status, m.weekly_goal) == (want["status"], want["weekly_goal"]), (info["slug"], m.metric)
            assert_peers(m, truth.peers(rep_id, m.metric, month, as_of), truth)
            trend = truth.trend(rep_id, m.metric, as_of)
            assert all(map(close, m.trend, trend)), (info["slug"], m.metric)


def check_team_views(store: Store, truth: Recompute, as_of: datetime) -> None:
    for team in (None, "Sales", "East"):
        view = team_view(store, as_of, team=team)
        want = truth.team_metrics(team, as_of)
        assert [m.metric for m in view.metrics] == [w["metric"] for w in want], team
        for m, w in zip(view.metrics, want, strict=True):
            for name, value in w.items():
                assert close(getattr(m, name), value) if isinstance(value, float) else getattr(m, name) == value, (
                    team,
                    m.metric,
                    name,
                )
        assert {(f.rep.slug, f.metric, f.weeks_missed) for f in view.flags} == truth.flags(team, as_of), team
        assert {tier: {r.slug for r in reps} for tier, reps in view.tiers.items()} == truth.tiers(team, as_of), team
        trend = {(w, m): v for w, m, v in view.trend.iter_rows()}
        want_trend = truth.team_trend(team, as_of)
        assert trend.keys() == want_trend.keys(), team
        assert all(close(trend[k], want_trend[k]) for k in trend), team


def check_flash(store: Store, truth: Recompute, as_of: datetime) -> None:
    week = truth.week(as_of.date())
    report = flash_report(store, week.start, as_of=as_of)
    by_slug = {row["slug"]: row for row in report.frame.iter_rows(named=True) if row["slug"]}
    for rep_id in truth.team(None):
        row = by_slug[truth.reps[rep_id]["slug"]]
        for m in truth.catalog.ordered():
            want = truth.cell(rep_id, m.key, week, as_of)
            assert close(row[m.label], want["actual"]), (rep_id, m.key)
            if f"{m.label} goal" in row:
                assert close(row[f"{m.label} goal"], want["goal"]), (rep_id, m.key)


def check_contests(store: Store, truth: Recompute, as_of: datetime) -> None:
    settings = load_settings(store)
    ids = sorted(truth.reps)
    for metric in ("conversations", "meetings", "revenue_won"):
        for first, last in ((as_of.date() - timedelta(days=9), as_of.date()), (date(2026, 9, 1), date(2026, 10, 2))):
            got = _data.metric_totals(store, truth.catalog, metric, first, last, as_of, ids)
            for rep_id in ids:
                assert close(got.get(rep_id, 0.0), truth.actual(rep_id, metric, first, last, as_of)), (metric, rep_id)
    reps = _data.reps_in_scope(store, None)
    for metric in ("meetings", "proposals"):
        period, paces = _data.period_paces(store, truth.catalog, settings, metric, as_of, reps)
        assert period == period_for("week", as_of.date(), settings)
        want = {r.rep_id: truth.cell(r.rep_id, metric, period, as_of) for r in reps}
        assert {p.rep.rep_id for p in paces} == {r for r, w in want.items() if w["weekly_goal"] is not None}
        for p in paces:
            w = want[p.rep.rep_id]
            assert (p.weekly_goal, p.actual) == (w["weekly_goal"], w["actual"])
            got = (p.period_goal, p.fraction, p.expected, p.pace, p.projected)
            assert all(map(close, got, (w["goal"], w["fraction"], w["expected"], w["pace"], w["projected"]))), p


def check_division_history(store: Store, truth: Recompute, as_of: datetime) -> None:
    """Contests seed divisions with each rep's average share of their own weekly goal over completed weeks."""
    ids = sorted(truth.reps)
    for metric in ("meetings", "conversations"):
        got = _data.weekly_history(store, truth.catalog, truth.settings, metric, as_of.date(), 4, ids)
        want = {}
        for rep_id in ids:
            shares = []
            for week in reversed(truth.completed_weeks(as_of, 4)):
                goal = truth.weekly_goal(rep_id, metric, week) or 0.0
                if goal > 0 and truth.has_activity(rep_id, None, week.start, week.end, datetime.max):
                    shares.append(truth.actual(rep_id, metric, week.start, week.end, datetime.max) / goal)
            if shares:
                want[rep_id] = sum(shares) / len(shares)
        assert got == want, metric


def check_everything(store: Store) -> None:
    truth = Recompute(store)
    check_month_cards(store, truth, MOMENTS[0])
    check_division_history(store, truth, MOMENTS[0])
    for as_of in MOMENTS:
        check_scorecards(store, truth, as_of)
        check_team_views(store, truth, as_of)
        check_flash(store, truth, as_of)
        check_contests(store, truth, as_of)


@pytest.mark.slow
@pytest.mark.parametrize("seed", (3, 17))
def test_scores_match_a_recompute_through_every_change(store: Store, seed: int) -> None:
    team = random_team(store, seed)
    check_everything(store)
    undo_batch(store, team.batches[2])
    set_label_target(store, "activity", "Webinar", "meeting")
    check_everything(store)
    merge_reps(store, team.reps["Cy Diaz"], team.reps["Di Evans"])
    save_settings(store, dataclasses.replace(load_settings(store), week_start=6, working_days=(6, 0, 1, 2, 3)))
    check_everything(store)


def test_scores_without_weekly_rollups_on_the_team_week_match_too(store: Store) -> None:
    """Weekly rollups cut on another day than the setting (a file written by hand) are not used."""
    random_team(store, 8)
    with store.write() as cur:
        cur.execute("UPDATE meta SET value = '3' WHERE key = 'weekly_rollups_week_start'")
        cur.execute("UPDATE weekly_rollups SET n = n + 100")  # wrong on purpose: must never be read
    truth = Recompute(store)
    check_scorecards(store, truth, MOMENTS[0])
    check_team_views(store, truth, MOMENTS[0])
    check_contests(store, truth, MOMENTS[0])
