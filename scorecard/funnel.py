"""Goals worked backwards from quota through each rep's own funnel.

A rep's quota becomes a weekly revenue need, then deals (÷ average deal
size), then each earlier step of the funnel (÷ that step's conversion rate),
down to conversations. Rates come from the trailing window of completed weeks
before `as_of` (settings.rate_window_weeks), each shrunk toward the team's:

    rate = (successes + k · team_rate) ÷ (trials + k)

so a rep with a long history is judged by their own numbers and a new rep by
the team's. Every derived goal carries its arithmetic in words, because a
manager will only accept a number they can check.

Nothing here writes goals except `accept_derived`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import polars as pl

from scorecard.calendar import week_of
from scorecard.catalog import Catalog, Metric, load_catalog
from scorecard.goals import GoalChange, quotas_in_force, set_goals, weekly_goals
from scorecard.settings import TeamSettings, load_settings
from scorecard.store import Store

BLANKET_COVERAGE = 3.0
WEEKS_PER_YEAR = 52
PERIODS_PER_YEAR = {"month": 12, "quarter": 4}


@dataclass(frozen=True)
class Step:
    """One division in the chain: upstream units ÷ rate = downstream units needed."""

    key: str  # rate key, e.g. "proposal_to_won"
    upstream: Metric
    downstream: Metric

    @property
    def label(self) -> str:
        return "win rate" if self.key.endswith("_to_won") else f"{self.upstream.unit_one} → {self.downstream.unit_one} rate"


@dataclass(frozen=True)
class Funnel:
    metrics: list[Metric]  # conversations … deals, in funnel order
    steps: list[Step]  # same order: conversation→meeting first, proposal→won last
    deals: Metric
    revenue: Metric


def funnel_of(catalog: Catalog) -> Funnel:
    """The funnel from the catalog: funnel steps in order, plus the revenue metric of the last step."""
    metrics = catalog.funnel()
    if len(metrics) < 2:
        raise ValueError("the metric catalog defines no funnel (funnel_step)")
    deals = metrics[-1]
    revenue = next(
        (m for m in catalog.metrics.values() if m.measure == "amount" and set(m.classes) & set(deals.classes)),
        None,
    )
    if revenue is None:
        raise ValueError(f"the metric catalog has no amount metric for {deals.key}")
    steps = []
    for up, down in zip(metrics, metrics[1:], strict=False):
        target = "won" if down is deals else down.unit_one
        steps.append(Step(f"{up.unit_one}_to_{target}", up, down))
    return Funnel(metrics, steps, deals, revenue)


@dataclass(frozen=True)
class RateEstimate:
    key: str
    successes: float
    trials: float
    team_rate: float | None
    rate: float | None  # shrunk; None when neither the rep nor the team has history


@dataclass(frozen=True)
class DerivedGoals:
    rep_id: int
    slug: str
    name: str
    quota_amount: float | None
    quota_period: str | None
    weekly: dict[str, float]  # rounded up to a sensible step: the goal to set
    exact: dict[str, float]  # before rounding
    rates: dict[str, float]  # rate key -> shrunk rate used
    avg_deal_size: float | None
    required_coverage: float | None  # 1 ÷ win rate
    explanation: list[str]
    notes: list[str]
    weekly_revenue: float | None = None
    team_rates: dict[str, float] = field(default_factory=dict)

    @property
    def derivable(self) -> bool:
        return bool(self.weekly)


# -- history -------------------------------------------------------------------


def rate_window(as_of: datetime, settings: TeamSettings) -> tuple[date, date]:
    """[start, end): the completed weeks before the week of `as_of`.

    The current week is left out: half a week of meetings against a full
    week of conversations would bend every rate.
    """
    current = week_of(as_of.date(), settings.week_start)
    return current.start - timedelta(weeks=settings.rate_window_weeks), current.start


@dataclass(frozen=True)
class _History:
    per_rep: dict[int, dict[str, float]]
    per_team: dict[str, dict[str, float]]
    overall: dict[str, float]


def _history(store: Store, funnel: Funnel, start: date, end: date, team: str | None = None) -> _History:
    keys = [m.key for m in funnel.metrics] + [funnel.revenue.key]
    frame = store.frame(
        """
        SELECT d.rep_id, r.team, d.metric, sum(d.n)::DOUBLE AS n, sum(d.amount)::DOUBLE AS amount
        FROM daily_rollups d JOIN reps r USING (rep_id)
        WHERE d.day >= ? AND d.day < ? AND list_contains(?, d.metric) AND (? IS NULL OR r.team = ?)
        GROUP BY ALL
        """,
        [start, end, keys, team, team],
    )
    per_rep: dict[int, dict[str, float]] = {}
    per_team: dict[str, dict[str, float]] = {}
    overall: dict[str, float] = {}
    amount_metrics = {funnel.revenue.key}
    for rep_id, team_name, metric, n, amount in frame.iter_rows():
        value = float(amount if metric in amount_metrics else n)
        for bucket in (per_rep.setdefault(int(rep_id), {}), per_team.setdefault(str(team_name), {}), overall):
            bucket[metric] = bucket.get(metric, 0.0) + value
    return _History(per_rep, per_team, overall)


def _ratio(counts: Mapping[str, float], num: str, den: str) -> float | None:
    trials = counts.get(den, 0.0)
    if trials <= 0:
        return None
    return counts.get(num, 0.0) / trials


def shrink(successes: float, trials: float, team_value: float | None, k: float) -> float | None:
    """(successes + k · team) ÷ (trials + k); the rep's own ratio when there is no team value."""
    if team_value is None:
        return successes / trials if trials > 0 else None
    if trials + k <= 0:
        return team_value
    return (successes + k * team_value) / (trials + k)


def _team_ratio(teams: list[Mapping[str, float]], num: str, den: str) -> float | None:
    """The rep's team's ratio; all reps' when the team has no trials for it."""
    for counts in teams:
        value = _ratio(counts, num, den)
        if value is not None:
            return value
    return None


# -- formatting ----------------------------------------------------------------


def _money(value: float, currency: str) -> str:
    return f"{currency}{value:,.0f}"


def _pct(rate: float) -> str:
    shown = rate * 100
    return f"{shown:.0f}%" if shown >= 10 or shown == round(shown) else f"{shown:.1f}%"


def _num(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{value:.2f}".rstrip("0").rstrip(".")


def round_up(value: float) -> float:
    """A goal a rep can count to: whole units from 1 up, tenths below 1 (a deal every few weeks)."""
    if value <= 0:
        return 0.0
    if value >= 1:
        return float(math.ceil(value - 1e-9))
    return max(0.1, math.ceil(value * 10 - 1e-9) / 10)


def coverage_words(required: float) -> str:
    blanket = f"{BLANKET_COVERAGE:g}×"
    if abs(required - BLANKET_COVERAGE) < 0.25:
        return f"about the blanket {blanket}: {blanket} fits this rep."
    if required > BLANKET_COVERAGE:
        return f"above the blanket {blanket}: at {blanket} this rep is under-covered and will miss the number."
    return f"below the blanket {blanket}: {blanket} over-covers this rep; {required:.1f}× is enough."


# -- derivation ----------------------------------------------------------------


def _estimates(
    funnel: Funnel, own: Mapping[str, float], teams: list[Mapping[str, float]], k: float
) -> tuple[dict[str, RateEstimate], RateEstimate]:
    rates: dict[str, RateEstimate] = {}
    for step in funnel.steps:
        team_rate = _team_ratio(teams, step.downstream.key, step.upstream.key)
        if team_rate is not None:
            team_rate = min(team_rate, 1.0)
        successes = own.get(step.downstream.key, 0.0)
        trials = own.get(step.upstream.key, 0.0)
        # A zero rate cannot be divided by; the team's rate is the fallback (k = 0 can get here).
        rate = shrink(min(successes, trials), trials, team_rate, k) or team_rate or None
        rates[step.key] = RateEstimate(step.key, successes, trials, team_rate, rate)
    team_avg = _team_ratio(teams, funnel.revenue.key, funnel.deals.key) or None
    deals = own.get(funnel.deals.key, 0.0)
    revenue = own.get(funnel.revenue.key, 0.0)
    avg = shrink(revenue, deals, team_avg, k) or team_avg
    avg_deal = RateEstimate("avg_deal_size", revenue, deals, team_avg, avg)
    return rates, avg_deal


def _rate_line(step: Step, est: RateEstimate, k: float, weeks: int) -> str:
    assert est.rate is not None
    own = f"{est.successes:g} of {est.trials:g} {step.upstream.unit} in {weeks} weeks"
    if est.team_rate is None:
        return f"{step.label.capitalize()} {_pct(est.rate)}: the rep's own {own} (no team history to lean on)."
    return (
        f"{step.label.capitalize()} {_pct(est.rate)} = ({est.successes:g} + {k:g} × team {_pct(est.team_rate)}) ÷ "
        f"({est.trials:g} + {k:g}): own {own}, shrunk toward the team's."
    )


def _history_notes(funnel: Funnel, rates: dict[str, RateEstimate], own: Mapping[str, float], k: float, weeks: int) -> list[str]:
    notes: list[str] = []
    if not any(own.values()):
        notes.append(f"No activity in the last {weeks} weeks: the team's rates are used as they are.")
        return notes
    win = rates[funnel.steps[-1].key]
    if win.trials > 0 and win.successes == 0:
        notes.append(
            f"No won deals from {win.trials:g} {funnel.steps[-1].upstream.unit} in the last {weeks} weeks: "
            "the win rate leans on the team's instead of dividing by zero."
        )
    for step in funnel.steps:
        est = rates[step.key]
        if est.successes > est.trials > 0:
            notes.append(
                f"More {step.downstream.unit} ({est.successes:g}) than {step.upstream.unit} ({est.trials:g}) in the window: "
                f"the {step.label} is capped at 100%."
            )
        elif 0 < est.trials < k:
            notes.append(f"Only {est.trials:g} {step.upstream.unit} in {weeks} weeks: the {step.label} is mostly the team's.")
    return notes


def derive_for_rep(
    rep: tuple[int, str, str, str],
    quota: tuple[float, str] | None,
    own: Mapping[str, float],
    teams: list[Mapping[str, float]],
    funnel: Funnel,
    settings: TeamSettings,
) -> DerivedGoals:
    """Derive one rep's weekly goals; `rep` is (rep_id, slug, name, team)."""
    rep_id, slug, name, _team = rep
    k, weeks, cur = settings.shrinkage_k, settings.rate_window_weeks, settings.currency
    rates, avg_deal = _estimates(funnel, own, teams, k)
    notes = _history_notes(funnel, rates, own, k, weeks)
    used = {key: est.rate for key, est in rates.items() if est.rate is not None}
    team_rates = {key: est.team_rate for key, est in rates.items() if est.team_rate is not None}
    win = rates[funnel.steps[-1].key].rate
    coverage = 1 / win if win else None
    base = {
        "rep_id": rep_id,
        "slug": slug,
        "name": name,
        "quota_amount": quota[0] if quota else None,
        "quota_period": quota[1] if quota else None,
        "rates": used,
        "avg_deal_size": avg_deal.rate,
        "required_coverage": coverage,
        "team_rates": team_rates,
    }
    missing = [step for step in funnel.steps if rates[step.key].rate is None]
    if quota is None:
        notes.append("No quota set: goals cannot be derived. Set one with `python -m scorecard quotas import FILE`.")
    if avg_deal.rate is None or missing:
        what = ["average deal size"] if avg_deal.rate is None else []
        what += [step.label for step in missing]
        notes.append(
            f"Goals cannot be derived: neither this rep nor the team has history (or any successes) for the "
            f"{', '.join(what)} in the last {weeks} weeks."
        )
    if quota is None or avg_deal.rate is None or missing:
        return DerivedGoals(**base, weekly={}, exact={}, explanation=[], notes=notes)  # type: ignore[arg-type]

    amount, period = quota
    per_year = PERIODS_PER_YEAR[period]
    need = amount * per_year / WEEKS_PER_YEAR
    exact: dict[str, float] = {funnel.deals.key: need / avg_deal.rate}
    chain = [
        f"Per week: {_money(need, cur)} ({_money(amount, cur)} a {period} × {per_year} ÷ {WEEKS_PER_YEAR}) "
        f"÷ {_money(avg_deal.rate, cur)} average deal = {_num(exact[funnel.deals.key])} {funnel.deals.unit}"
    ]
    for step in reversed(funnel.steps):
        rate = used[step.key]
        exact[step.upstream.key] = exact[step.downstream.key] / rate
        chain.append(f"÷ {_pct(rate)} {step.label} = {_num(exact[step.upstream.key])} {step.upstream.unit}")
    exact = {m.key: exact[m.key] for m in funnel.metrics}  # funnel order, for reading
    weekly = {key: round_up(value) for key, value in exact.items()}
    explanation = ["; ".join(chain) + "."]
    explanation.append(
        "Weekly goals, rounded up: "
        + ", ".join(f"{m.units(weekly[m.key])}" for m in funnel.metrics)
        + "."
    )
    deals_own = f"{avg_deal.trials:g} won deals in {weeks} weeks"
    if avg_deal.team_rate is None:
        explanation.append(f"Average deal {_money(avg_deal.rate, cur)}: the rep's own {deals_own}.")
    else:
        explanation.append(
            f"Average deal {_money(avg_deal.rate, cur)} = ({_money(avg_deal.successes, cur)} + {k:g} × team "
            f"{_money(avg_deal.team_rate, cur)}) ÷ ({avg_deal.trials:g} + {k:g}): own {deals_own}, shrunk toward the team's."
        )
    explanation += [_rate_line(step, rates[step.key], k, weeks) for step in funnel.steps]
    assert coverage is not None
    explanation.append(
        f"Pipeline coverage needed: {coverage:.1f}× (1 ÷ {_pct(used[funnel.steps[-1].key])} win rate), "
        + coverage_words(coverage)
    )
    return DerivedGoals(
        **base,  # type: ignore[arg-type]
        weekly=weekly,
        exact=exact,
        explanation=explanation,
        notes=notes,
        weekly_revenue=need,
    )


def derive_goals(store: Store, as_of: datetime, *, team: str | None = None) -> list[DerivedGoals]:
    """Every active rep's goals derived from their quota in force at `as_of` (ordered by name)."""
    catalog = load_catalog(store)
    settings = load_settings(store)
    funnel = funnel_of(catalog)
    start, end = rate_window(as_of, settings)
    history = _history(store, funnel, start, end)
    quotas = {
        int(rep_id): (float(amount), str(period))
        for rep_id, amount, period, _ in quotas_in_force(store, as_of.date()).iter_rows()
    }
    reps = store.fetchall(
        "SELECT rep_id, slug, display_name, team FROM reps WHERE active AND (? IS NULL OR team = ?) ORDER BY display_name",
        [team, team],
    )
    result = []
    for rep_id, slug, name, rep_team in reps:
        result.append(
            derive_for_rep(
                (int(rep_id), str(slug), str(name), str(rep_team)),
                quotas.get(int(rep_id)),
                history.per_rep.get(int(rep_id), {}),
                [history.per_team.get(str(rep_team), {}), history.overall],
                funnel,
                settings,
            )
        )
    return result


def accept_derived(
    store: Store,
    derived: Iterable[DerivedGoals],
    rep_ids: Iterable[int] | None = None,
    *,
    effective_from: date,
    metrics: Iterable[str] | None = None,
) -> int:
    """Write derived goals (source "derived") from `effective_from`; returns the number of goals written.

    Only the lead metrics of the funnel are written by default: deals are a
    result, shown for the arithmetic but not set as an activity goal. Weeks
    that ended before `effective_from` keep their old goals.
    """
    catalog = load_catalog(store)
    wanted = set(rep_ids) if rep_ids is not None else None
    keys = set(metrics) if metrics is not None else {m.key for m in funnel_of(catalog).metrics if m.is_lead}
    changes = [
        GoalChange(d.rep_id, metric, goal, effective_from)
        for d in derived
        if wanted is None or d.rep_id in wanted
        for metric, goal in d.weekly.items()
        if metric in keys
    ]
    if not changes:
        return 0
    return set_goals(store, catalog, changes, source="derived")


def current_vs_derived(store: Store, as_of: datetime, *, team: str | None = None) -> pl.DataFrame:
    """Per rep and funnel metric: the weekly goal in force this week beside the derived one.

    Columns: rep_id, slug, name, metric, label, current_goal, current_source,
    derived_goal, derived_exact (nulls where there is no goal / no derivation).
    """
    catalog = load_catalog(store)
    settings = load_settings(store)
    funnel = funnel_of(catalog)
    derived = derive_goals(store, as_of, team=team)
    period_end = week_of(as_of.date(), settings.week_start).end
    current = {
        (int(rep_id), str(metric)): (float(goal), str(source))
        for rep_id, metric, goal, source in weekly_goals(store, catalog, period_end).iter_rows()
    }
    rows = []
    for d in derived:
        for m in funnel.metrics:
            goal, source = current.get((d.rep_id, m.key), (None, None))
            rows.append((d.rep_id, d.slug, d.name, m.key, m.label, goal, source, d.weekly.get(m.key), d.exact.get(m.key)))
    return pl.DataFrame(
        rows,
        schema={
            "rep_id": pl.Int32,
            "slug": pl.String,
            "name": pl.String,
            "metric": pl.String,
            "label": pl.String,
            "current_goal": pl.Float64,
            "current_source": pl.String,
            "derived_goal": pl.Float64,
            "derived_exact": pl.Float64,
        },
        orient="row",
    )


def value_per_unit(store: Store, as_of: datetime, team: str | None = None) -> dict[str, float]:
    """Revenue one unit of each funnel metric is worth, from the team's own funnel.

    Rates and deal size are the team's (all reps, or `team`) over the
    trailing window, unshrunk. See `funnel_values` for what is left out.
    """
    catalog = load_catalog(store)
    settings = load_settings(store)
    start, end = rate_window(as_of, settings)
    return funnel_values(catalog, _history(store, funnel_of(catalog), start, end, team).overall)


def funnel_values(catalog: Catalog, totals: Mapping[str, float]) -> dict[str, float]:
    """What one unit of each funnel metric is worth in revenue, given window totals.

    A deal is worth the average deal size; a proposal the average deal × the
    win rate; and so on up to conversations. Without revenue history the
    result is `{}`; a metric whose value cannot be computed (no trials for a
    rate on its way to revenue) is left out, so callers treat a missing key
    as "unknown", never as zero.
    """
    funnel = funnel_of(catalog)
    avg = _ratio(totals, funnel.revenue.key, funnel.deals.key)
    if not avg:
        return {}
    values = {funnel.deals.key: avg}
    for step in reversed(funnel.steps):
        rate = _ratio(totals, step.downstream.key, step.upstream.key)
        if rate is None:
            break
        values[step.upstream.key] = values[step.downstream.key] * min(rate, 1.0)
    return values


def derived_to_json(d: DerivedGoals) -> dict[str, object]:
    """The `goals derive --json` shape for one rep."""
    return {
        "rep_id": d.rep_id,
        "slug": d.slug,
        "name": d.name,
        "quota": None if d.quota_amount is None else {"amount": d.quota_amount, "period": d.quota_period},
        "weekly_revenue": d.weekly_revenue,
        "weekly": d.weekly,
        "exact": d.exact,
        "rates": d.rates,
        "team_rates": d.team_rates,
        "avg_deal_size": d.avg_deal_size,
        "required_coverage": d.required_coverage,
        "blanket_coverage": BLANKET_COVERAGE,
        "explanation": d.explanation,
        "notes": d.notes,
    }
