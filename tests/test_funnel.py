"""Goals derived from quota through each rep's own funnel, checked against hand arithmetic.

Team history in the window (tests/factories_funnel.py):
    veteran: 400 conversations, 160 meetings, 80 opportunities, 40 proposals, 20 won × $5,000
    other:   400 conversations,  80 meetings, 40 opportunities, 32 proposals,  8 won × $15,000
    zero:     40 conversations,  10 meetings,  5 opportunities,  4 proposals,  0 won
    new:     nothing in the window
    team:    840, 250, 125, 76, 28 won, $220,000
k = 10 (default).
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import pytest

from scorecard.catalog import load_catalog
from scorecard.funnel import (
    DerivedGoals,
    accept_derived,
    current_vs_derived,
    derive_goals,
    round_up,
    value_per_unit,
)
from scorecard.goals import QuotaChange, set_quotas, weekly_goals
from scorecard.settings import TeamSettings, save_settings
from scorecard.store import Store
from tests.factories import add_rep
from tests.factories_funnel import AS_OF, WEEK_START, funnel_team

K = 10
TEAM_CM = 250 / 840
TEAM_MO = 125 / 250
TEAM_OP = 76 / 125
TEAM_WIN = 28 / 76
TEAM_AVG = 220_000 / 28


@pytest.fixture
def team(store: Store) -> dict[str, int]:
    return funnel_team(store)


def _by_id(store: Store, rep_id: int) -> DerivedGoals:
    return next(d for d in derive_goals(store, AS_OF) if d.rep_id == rep_id)


def test_long_history_own_rates_dominate(store: Store, team: dict[str, int]) -> None:
    d = _by_id(store, team["veteran"])
    cm = (160 + K * TEAM_CM) / (400 + K)
    mo = (80 + K * TEAM_MO) / (160 + K)
    op = (40 + K * TEAM_OP) / (80 + K)
    win = (20 + K * TEAM_WIN) / (40 + K)
    avg = (100_000 + K * TEAM_AVG) / (20 + K)
    assert d.rates == pytest.approx(
        {"conversation_to_meeting": cm, "meeting_to_opportunity": mo, "opportunity_to_proposal": op, "proposal_to_won": win}
    )
    # Own rates (0.4, 0.5, 0.5, 0.5) are far closer than the team's.
    assert abs(cm - 0.4) < abs(cm - TEAM_CM) and abs(win - 0.5) < abs(win - TEAM_WIN)
    assert d.avg_deal_size == pytest.approx(avg)
    deals = 40_000 * 12 / 52 / avg
    proposals = deals / win
    opportunities = proposals / op
    meetings = opportunities / mo
    conversations = meetings / cm
    assert d.exact == pytest.approx(
        {"deals_won": deals, "proposals": proposals, "opportunities": opportunities, "meetings": meetings, "conversations": conversations}
    )
    # By hand: 9,230.77 ÷ 5,952.38 = 1.551 deals; ÷ .4737 = 3.274; ÷ .512 = 6.394; ÷ .5 = 12.79; ÷ .3975 = 32.17
    assert d.weekly == {"conversations": 33, "meetings": 13, "opportunities": 7, "proposals": 4, "deals_won": 2}
    assert d.required_coverage == pytest.approx(1 / win)
    assert d.weekly_revenue == pytest.approx(9230.769, rel=1e-6)


def test_explanation_spells_out_the_arithmetic(store: Store, team: dict[str, int]) -> None:
    d = _by_id(store, team["veteran"])
    first = d.explanation[0]
    assert first.startswith("Per week: $9,231 ($40,000 a month × 12 ÷ 52) ÷ $5,952 average deal = 1.55 deals")
    assert "÷ 47% win rate = 3.27 proposals" in first
    assert "÷ 40% conversation → meeting rate = 32.2 conversations" in first
    assert any(line.startswith("Win rate 47% = (20 + 10 × team 37%) ÷ (40 + 10)") for line in d.explanation)
    coverage = d.explanation[-1]
    assert "2.1×" in coverage and "blanket 3×" in coverage and "over-covers" in coverage
    other = _by_id(store, team["other"])
    assert "under-covered" in other.explanation[-1]
    assert other.quota_period == "quarter"
    assert other.weekly_revenue == pytest.approx(90_000 * 4 / 52)


def test_new_rep_uses_team_rates(store: Store, team: dict[str, int]) -> None:
    d = _by_id(store, team["new"])
    assert d.rates == pytest.approx(
        {"conversation_to_meeting": TEAM_CM, "meeting_to_opportunity": TEAM_MO, "opportunity_to_proposal": TEAM_OP, "proposal_to_won": TEAM_WIN}
    )
    assert d.avg_deal_size == pytest.approx(TEAM_AVG)
    deals = 30_000 * 12 / 52 / TEAM_AVG
    assert d.exact["conversations"] == pytest.approx(deals / TEAM_WIN / TEAM_OP / TEAM_MO / TEAM_CM)
    # By hand: 6,923.08 ÷ 7,857.14 = 0.881 deals; ÷ .3684 = 2.392; ÷ .608 = 3.934; ÷ .5 = 7.867; ÷ .2976 = 26.43
    assert d.weekly["conversations"] == 27
    assert any("No activity in the last 13 weeks" in note for note in d.notes)


def test_zero_wins_leans_on_team_without_dividing_by_zero(store: Store, team: dict[str, int]) -> None:
    d = _by_id(store, team["zero"])
    win = (0 + K * TEAM_WIN) / (4 + K)
    assert d.rates["proposal_to_won"] == pytest.approx(win)
    assert d.avg_deal_size == pytest.approx(TEAM_AVG)  # no deals of their own: all team
    assert d.required_coverage == pytest.approx(1 / win)
    assert d.weekly and all(v > 0 for v in d.weekly.values())
    assert any("No won deals" in note and "dividing by zero" in note for note in d.notes)


def test_zero_wins_with_no_shrinkage_falls_back_to_team(store: Store, team: dict[str, int]) -> None:
    save_settings(store, dataclasses.replace(TeamSettings(), shrinkage_k=0.0))
    d = _by_id(store, team["zero"])
    assert d.rates["proposal_to_won"] == pytest.approx(TEAM_WIN)
    assert d.rates["conversation_to_meeting"] == pytest.approx(10 / 40)  # own rate exactly with k = 0


def test_no_history_anywhere_says_goals_cannot_be_derived(store: Store) -> None:
    rep = add_rep(store, "Solo Start")
    set_quotas(store, [QuotaChange(rep, 10_000, "month", date(2026, 1, 1))])
    (d,) = derive_goals(store, AS_OF)
    assert d.weekly == {} and d.exact == {} and not d.derivable
    assert d.required_coverage is None and d.avg_deal_size is None
    assert any("cannot be derived" in note for note in d.notes)
    assert value_per_unit(store, AS_OF) == {}


def test_no_quota_is_a_note_not_an_error(store: Store, team: dict[str, int]) -> None:
    rep = add_rep(store, "Quota Less")
    d = _by_id(store, rep)
    assert d.weekly == {} and d.quota_amount is None
    assert any("No quota set" in note for note in d.notes)
    assert d.rates  # rates are still shown: the team's


def test_quota_is_effective_dated(store: Store, team: dict[str, int]) -> None:
    set_quotas(store, [QuotaChange(team["new"], 60_000, "month", date(2026, 12, 1))])
    assert _by_id(store, team["new"]).quota_amount == 30_000
    later = next(d for d in derive_goals(store, datetime(2026, 12, 2, 12)) if d.rep_id == team["new"])
    assert later.quota_amount == 60_000


def test_value_per_unit_walks_the_team_funnel(store: Store, team: dict[str, int]) -> None:
    values = value_per_unit(store, AS_OF)
    assert values["deals_won"] == pytest.approx(TEAM_AVG)
    assert values["proposals"] == pytest.approx(TEAM_AVG * TEAM_WIN)
    assert values["opportunities"] == pytest.approx(TEAM_AVG * TEAM_WIN * TEAM_OP)
    assert values["meetings"] == pytest.approx(TEAM_AVG * TEAM_WIN * TEAM_OP * TEAM_MO)
    assert values["conversations"] == pytest.approx(TEAM_AVG * TEAM_WIN * TEAM_OP * TEAM_MO * TEAM_CM)
    assert value_per_unit(store, AS_OF, team="No such team") == {}


def test_derive_writes_nothing_and_accept_is_effective_dated(store: Store, team: dict[str, int]) -> None:
    catalog = load_catalog(store)
    derived = derive_goals(store, AS_OF)
    assert store.scalar("SELECT count(*) FROM goals") == 0
    written = accept_derived(store, derived, rep_ids=[team["veteran"]], effective_from=WEEK_START)
    assert written == 4  # the lead metrics of the funnel; deals are a result, not an activity goal
    this_week = weekly_goals(store, catalog, date(2026, 11, 22)).filter(rep_id=team["veteran"])
    goals = dict(zip(this_week["metric"], this_week["weekly_goal"], strict=True))
    assert goals == {"conversations": 33, "meetings": 13, "opportunities": 7, "proposals": 4}
    assert set(this_week["source"]) == {"derived"}
    last_week = weekly_goals(store, catalog, date(2026, 11, 15)).filter(rep_id=team["veteran"])
    assert set(last_week["source"]) == {"default"}  # past weeks keep what they had
    untouched = weekly_goals(store, catalog, date(2026, 11, 22)).filter(rep_id=team["other"])
    assert set(untouched["source"]) == {"default"}


def test_current_vs_derived_frame(store: Store, team: dict[str, int]) -> None:
    frame = current_vs_derived(store, AS_OF)
    assert frame.columns == [
        "rep_id", "slug", "name", "metric", "label", "current_goal", "current_source", "derived_goal", "derived_exact",
    ]
    row = frame.filter(slug="vera-long", metric="conversations").row(0, named=True)
    assert row["current_goal"] == 8 and row["current_source"] == "default" and row["derived_goal"] == 33
    assert frame.filter(slug="vera-long", metric="deals_won")["current_goal"].to_list() == [None]


@pytest.mark.parametrize(("value", "expected"), [(0, 0), (0.04, 0.1), (0.31, 0.4), (1.0, 1), (1.0000000001, 1), (3.2, 4), (12.01, 13)])
def test_round_up(value: float, expected: float) -> None:
    assert round_up(value) == expected
