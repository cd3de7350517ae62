"""Suggesting contests: one for each team gap, sized and explained.

Only a team gap (DESIGN.md: team pace below the threshold AND most reps behind)
earns a contest: one rep behind is a coaching conversation (a flag), and vanity
metrics never get one. A competency gap — a conversion ratio well below the
team's own trailing rate while the volume feeding it is fine — gets a coaching
action instead of a volume race, because more volume would not fix it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from scorecard.calendar import Period, period_for, working_time
from scorecard.catalog import Catalog, Ratio, load_catalog
from scorecard.contests import _data
from scorecard.contests._data import RepInfo, RepPace, ceil_units
from scorecard.contests.sizing import (
    Format,
    Window,
    check_window,
    choose_format,
    contest_window,
    money,
    prize_each,
    size_budget,
)
from scorecard.funnel import value_per_unit
from scorecard.goals import pto_days, weekly_goals
from scorecard.scores import team_view
from scorecard.settings import TeamSettings, load_settings
from scorecard.store import Store

# A ratio is a competency gap when this week's rate is below this share of the
# team's own trailing rate, with enough volume on both sides to mean something.
RATIO_GAP_BELOW = 0.75
MIN_DENOMINATOR_NOW = 5
MIN_DENOMINATOR_TRAILING = 20
# Weeks of history used to split a race into divisions by past performance.
DIVISION_HISTORY_WEEKS = 4


@dataclass(frozen=True)
class RepTarget:
    """One participant's target in the contest window.

    `target` = what the rep needs in the window to reach their own full goal:
    their normal pace for the window plus their own `shortfall` (units short
    of the goal at their current run rate).
    """

    rep_id: int
    slug: str
    name: str
    target: float
    shortfall: float
    pace: float | None
    division: str | None = None


@dataclass(frozen=True)
class Suggestion:
    metric: str  # a metric key, or a ratio key for a coaching action
    label: str
    format: Format
    start: date
    end: date  # inclusive
    target: float  # team units to gain: the gap to the full-period goal
    rep_targets: tuple[RepTarget, ...]
    divisions: tuple[str, ...]
    budget: float
    prize: float  # per winner: each rep who reaches (threshold, team goal) or each division winner (race)
    expected_gross_profit: float
    value_per_unit: float
    arithmetic: tuple[str, ...]
    rationale: str
    announcement: str
    why_format: str
    team: str | None = None
    unit: str = ""
    unit_one: str = ""

    @property
    def window_target(self) -> float:
        """The team's total target in the window (Σ of the reps' own targets)."""
        return sum(r.target for r in self.rep_targets)


# -- where the numbers come from -----------------------------------------------------------


def team_gap_metrics(store: Store, as_of: datetime, team: str | None) -> list[str]:
    """Metrics that are team gaps, as the team view decides them."""
    return [m.metric for m in team_view(store, as_of, team=team).metrics if m.is_team_gap]


def active_contest_metrics(store: Store, as_of: datetime, team: str | None) -> set[str]:
    """Metrics with a contest running or scheduled: one contest per metric at a time."""
    rows = store.fetchall(
        "SELECT DISTINCT metric FROM contests WHERE status <> 'cancelled' AND end_day >= ? "
        "AND (? IS NULL OR team IS NULL OR team = ?)",
        [as_of.date(), team, team],
    )
    return {str(r[0]) for r in rows}


# -- competency gaps -------------------------------------------------------------------------


@dataclass(frozen=True)
class RatioGap:
    ratio: Ratio
    current: float
    trailing: float
    numerator_now: float
    denominator_now: float
    numerator_trailing: float
    denominator_trailing: float


def ratio_gaps(
    store: Store, catalog: Catalog, settings: TeamSettings, as_of: datetime, reps: list[RepInfo]
) -> list[RatioGap]:
    period = period_for("week", as_of.date(), settings)
    fraction = working_time(period, as_of, settings).fraction
    if not fraction:
        return []
    weeks = settings.rate_window_weeks
    trail_start = period.start - timedelta(weeks=weeks)
    trail_end = period.start - timedelta(days=1)
    closed = datetime.combine(trail_end, time.max)
    ids = [r.rep_id for r in reps]
    gaps = []
    for ratio in catalog.ratios.values():
        if ratio.numerator not in catalog.metrics or ratio.denominator not in catalog.metrics:
            continue
        num_now = _data.team_total(store, catalog, ratio.numerator, period.start, period.end, as_of, ids)
        den_now = _data.team_total(store, catalog, ratio.denominator, period.start, period.end, as_of, ids)
        num_trail = _data.team_total(store, catalog, ratio.numerator, trail_start, trail_end, closed, ids)
        den_trail = _data.team_total(store, catalog, ratio.denominator, trail_start, trail_end, closed, ids)
        if den_now < MIN_DENOMINATOR_NOW or den_trail < MIN_DENOMINATOR_TRAILING or num_trail <= 0:
            continue
        current, trailing = num_now / den_now, num_trail / den_trail
        weeks_with_data = _weeks_with_data(store, ratio.denominator, trail_start, trail_end, ids, settings)
        volume_fine = den_now / fraction >= settings.team_gap_pace_below * den_trail / max(weeks_with_data, 1)
        if current < RATIO_GAP_BELOW * trailing and volume_fine:
            gaps.append(RatioGap(ratio, current, trailing, num_now, den_now, num_trail, den_trail))
    return gaps


def _weeks_with_data(store: Store, metric: str, start: date, end: date, ids: list[int], settings: TeamSettings) -> int:
    days = store.fetchall(
        "SELECT DISTINCT day FROM daily_rollups WHERE metric = ? AND day BETWEEN ? AND ? AND list_contains(?::INTEGER[], rep_id)",
        [metric, start, end, ids],
    )
    return len({period_for("week", d[0], settings).start for d in days})


def _ratio_value(ratio: Ratio, value: float, currency: str) -> str:
    return money(value, currency) if ratio.format == "currency" else f"{value:.0%}"


def coaching_suggestion(gap: RatioGap, window: Window, settings: TeamSettings, team: str | None) -> Suggestion:
    r, c = gap.ratio, settings.currency
    now, trailing = _ratio_value(r, gap.current, c), _ratio_value(r, gap.trailing, c)
    arithmetic = (
        f"This week: {now} ({gap.numerator_now:g} {r.numerator} from {gap.denominator_now:g} {r.denominator}).",
        f"Trailing {settings.rate_window_weeks} weeks: {trailing} ({gap.numerator_trailing:g} from {gap.denominator_trailing:g}).",
        f"Below {RATIO_GAP_BELOW:.0%} of the team's own rate, while {r.denominator} volume is on its usual pace.",
    )
    rationale = (
        f"{r.label} has dropped to {now} against the team's own {trailing} over the last {settings.rate_window_weeks} weeks, "
        f"while {r.denominator} are coming in as usual. The activity is there; the conversion is not. "
        "A volume race would reward more of the same, so this is a skills action, not a contest."
    )
    announcement = (
        f"Skills focus this week: {r.label}.\n"
        f"Where we are: {now} this week against our usual {trailing}.\n"
        f"What we'll do: {r.coaching}\n"
        "No prize, no race: we'll look at the rate together again at the end of the week."
    )
    return Suggestion(
        metric=r.key,
        label=r.label,
        format="coaching",
        start=window.start,
        end=window.end,
        target=0.0,
        rep_targets=(),
        divisions=(),
        budget=0.0,
        prize=0.0,
        expected_gross_profit=0.0,
        value_per_unit=0.0,
        arithmetic=arithmetic,
        rationale=rationale,
        announcement=announcement,
        why_format=f"A competency gap: {r.coaching}",
        team=team,
    )


# -- volume contests -------------------------------------------------------------------------


def _rep_targets(
    store: Store,
    catalog: Catalog,
    settings: TeamSettings,
    metric: str,
    as_of: datetime,
    paces: list[RepPace],
    window: Window,
) -> list[RepTarget]:
    span = Period("week", window.start, window.end)
    pto = pto_days(store, window.start, window.end)
    ids = [p.rep.rep_id for p in paces]
    if window.this_week:
        week = period_for("week", as_of.date(), settings)
        before = window.start - timedelta(days=1)
        prior = _data.metric_totals(
            store, catalog, metric, week.start, before, datetime.combine(window.start, time.min), ids
        )
        goal_of = {p.rep.rep_id: p.weekly_goal for p in paces}
    else:
        goals = weekly_goals(store, catalog, window.end)
        goal_of = {
            int(r): float(g) for r, m, g in goals.select("rep_id", "metric", "weekly_goal").iter_rows() if m == metric
        }
    targets = []
    for p in paces:
        scale = working_time(
            span, datetime.combine(window.start, time.min), settings, pto.get(p.rep.rep_id, ())
        ).goal_scale
        if scale <= 0 or p.rep.rep_id not in goal_of:
            continue
        normal = goal_of[p.rep.rep_id] * scale
        need = max(p.period_goal - prior.get(p.rep.rep_id, 0.0), normal) if window.this_week else normal + p.shortfall
        targets.append(RepTarget(p.rep.rep_id, p.rep.slug, p.rep.name, max(ceil_units(need), 1.0), p.shortfall, p.pace))
    return targets


def _divide(
    store: Store, catalog: Catalog, settings: TeamSettings, metric: str, as_of: datetime, targets: list[RepTarget]
) -> tuple[list[RepTarget], tuple[str, ...]]:
    """Divisions of similar past performance (% of own goal, last 4 completed weeks), strongest first."""
    history = _data.weekly_history(
        store, catalog, settings, metric, as_of.date(), DIVISION_HISTORY_WEEKS, [t.rep_id for t in targets]
    )
    ordered = sorted(targets, key=lambda t: (-history.get(t.rep_id, t.pace or 0.0), t.name))
    count = 2 if len(ordered) < 9 else 3
    names = tuple(f"Division {chr(ord('A') + i)}" for i in range(count))
    size, extra = divmod(len(ordered), count)
    result: list[RepTarget] = []
    at = 0
    for i, name in enumerate(names):
        n = size + (1 if i < extra else 0)
        result.extend(dataclasses.replace(t, division=name) for t in ordered[at : at + n])
        at += n
    return result, names


def _rationale(label: str, unit: str, paces: list[RepPace], gap: float) -> str:
    actual = sum(p.actual for p in paces)
    expected = sum(p.expected for p in paces)
    goal = sum(p.period_goal for p in paces)
    with_pace = [p for p in paces if p.pace is not None]
    behind = sum(1 for p in with_pace if (p.pace or 0.0) < 1.0)
    return (
        f"The whole team is behind on {label.lower()}: {actual:g} so far against {expected:.1f} expected by now "
        f"({actual / expected:.0%} of pace), with {behind} of {len(with_pace)} reps below pace. "
        f"At this rate the team finishes about {gap:g} {unit} short of its goal of {round(goal, 1):g}. "
        "When everyone is behind it is a team problem, so rally the team rather than coach one rep."
    )


def volume_suggestion(
    store: Store,
    catalog: Catalog,
    settings: TeamSettings,
    metric: str,
    as_of: datetime,
    team: str | None,
    reps: list[RepInfo],
    values: dict[str, float],
) -> Suggestion | None:
    spec = catalog.metrics[metric]
    _, paces = _data.period_paces(store, catalog, settings, metric, as_of, reps)
    if not paces:
        return None
    actual, expected = sum(p.actual for p in paces), sum(p.expected for p in paces)
    projected = sum(p.projected if p.projected is not None else p.actual for p in paces)
    gap = ceil_units(max(sum(p.period_goal for p in paces) - projected, expected - actual, 0.0))
    if gap <= 0 or expected <= 0:
        return None
    window = contest_window(as_of, settings)
    targets = _rep_targets(store, catalog, settings, metric, as_of, paces, window)
    if not targets:
        return None
    kind, why = choose_format([p.pace for p in paces if p.pace is not None], actual / expected, settings)
    divisions: tuple[str, ...] = ()
    if kind == "division_race":
        targets, divisions = _divide(store, catalog, settings, metric, as_of, targets)
    budget = size_budget(gap, spec.unit_one, values.get(metric, 0.0), settings)
    suggestion = Suggestion(
        metric=metric,
        label=spec.label,
        format=kind,
        start=window.start,
        end=window.end,
        target=gap,
        rep_targets=tuple(targets),
        divisions=divisions,
        budget=budget.budget,
        prize=prize_each(budget.budget, len(divisions) if divisions else len(targets)),
        expected_gross_profit=budget.expected_gross_profit,
        value_per_unit=budget.value_per_unit,
        arithmetic=(
            f"Gap to close: {gap:g} {spec.unit} (the team's goal for the week minus where its current pace lands).",
            *budget.lines,
        ),
        rationale=_rationale(spec.label, spec.unit, paces, gap),
        announcement="",
        why_format=why,
        team=team,
        unit=spec.unit,
        unit_one=spec.unit_one,
    )
    return dataclasses.replace(suggestion, announcement=announcement(suggestion, settings))


# -- words -----------------------------------------------------------------------------------


def _day(d: date) -> str:
    return f"{d:%a} {d:%b} {d.day}"


def _units(s: Suggestion, n: float) -> str:
    return f"{n:g} {s.unit_one if n == 1 else s.unit}"


def announcement(s: Suggestion, settings: TeamSettings) -> str:
    """Text ready to paste into chat or email."""
    c = settings.currency
    prize = money(s.prize, c) if s.prize > 0 else "a prize (announced today)"
    lines = [f"{s.label} push: {_day(s.start)} – {_day(s.end)}"]
    if s.format == "threshold":
        lines.append(
            f"Everyone who reaches their own {s.label.lower()} target by {_day(s.end)} earns {prize}. No limit on winners."
        )
    elif s.format == "team_goal":
        lines.append(
            f"Team goal: {_units(s, s.window_target)} together by {_day(s.end)}. If we make it, everyone earns {prize}."
        )
    else:
        lines.append(
            f"A race on % of YOUR OWN target, not raw numbers, in {len(s.divisions)} divisions of similar past results. "
            f"The top of each division earns {prize}."
        )
    by_division: dict[str | None, list[RepTarget]] = {}
    for r in s.rep_targets:
        by_division.setdefault(r.division, []).append(r)
    for division, members in by_division.items():
        head = f"{division}: " if division else ("Fair shares: " if s.format == "team_goal" else "Targets: ")
        lines.append(head + " · ".join(f"{r.name} {_units(s, r.target)}" for r in members))
    lines.append("Standings are published every day on the Contests page and on your scorecard.")
    lines.append(f"Prizes are paid out right after it ends on {_day(s.end)}.")
    return "\n".join(lines)


def edit_suggestion(
    s: Suggestion,
    settings: TeamSettings,
    *,
    target: float | None = None,
    budget: float | None = None,
    start: date | None = None,
    end: date | None = None,
) -> Suggestion:
    """A manager's edit before launch: new numbers, the arithmetic and announcement redone to match.

    Changing the team target scales each rep's own shortfall by the same factor.
    """
    if s.format == "coaching":
        raise ValueError("a coaching action has no target or budget to edit")
    new_start, new_end = start or s.start, end or s.end
    check_window(new_start, new_end)
    new_target = s.target if target is None else float(target)
    if new_target <= 0:
        raise ValueError("the target must be at least one unit")
    factor = new_target / s.target if s.target else 1.0
    reps = tuple(
        dataclasses.replace(
            r,
            target=max(ceil_units(r.target - r.shortfall + r.shortfall * factor), 1.0),
            shortfall=r.shortfall * factor,
        )
        for r in s.rep_targets
    )
    new_budget = s.budget if budget is None else float(budget)
    if new_budget < 0:
        raise ValueError("the budget cannot be negative")
    notes = []
    if new_target != s.target:
        notes.append(f"Edited: target {new_target:g} {s.unit} (suggested {s.target:g}).")
    if new_budget != s.budget:
        notes.append(
            f"Edited: budget {money(new_budget, settings.currency)} (suggested {money(s.budget, settings.currency)})."
        )
    if (new_start, new_end) != (s.start, s.end):
        notes.append(f"Edited: window {_day(new_start)} – {_day(new_end)} (suggested {_day(s.start)} – {_day(s.end)}).")
    edited = dataclasses.replace(
        s,
        target=new_target,
        budget=new_budget,
        start=new_start,
        end=new_end,
        rep_targets=reps,
        prize=prize_each(new_budget, len(s.divisions) if s.divisions else len(reps)),
        expected_gross_profit=new_target * s.value_per_unit * settings.gross_margin,
        arithmetic=(*s.arithmetic, *notes),
    )
    return dataclasses.replace(edited, announcement=announcement(edited, settings))


# -- the entry point -------------------------------------------------------------------------


def suggest_contests(store: Store, as_of: datetime, team: str | None = None) -> list[Suggestion]:
    """One suggestion per team gap on a lead, non-vanity metric, and a coaching action per competency gap."""
    settings, catalog = load_settings(store), load_catalog(store)
    reps = _data.reps_in_scope(store, team)
    if not reps:
        return []
    window = contest_window(as_of, settings)
    busy = active_contest_metrics(store, as_of, team)
    competency = ratio_gaps(store, catalog, settings, as_of, reps)
    coached = {g.ratio.numerator for g in competency}
    eligible = [
        m
        for m in team_gap_metrics(store, as_of, team)
        if m in catalog.metrics
        and not catalog.metrics[m].vanity
        and catalog.metrics[m].is_lead
        and m not in busy
        and m not in coached
    ]
    values = value_per_unit(store, as_of, team=team) if eligible else {}
    result = [s for m in eligible if (s := volume_suggestion(store, catalog, settings, m, as_of, team, reps, values))]
    result.extend(coaching_suggestion(g, window, settings, team) for g in competency)
    order = {m.key: m.order for m in catalog.metrics.values()}
    return sorted(
        result,
        key=lambda s: order.get(
            s.metric, order.get(catalog.ratios[s.metric].numerator, 99) if s.metric in catalog.ratios else 99
        ),
    )


def suggestion_to_json(s: Suggestion) -> dict[str, Any]:
    return {
        "metric": s.metric,
        "label": s.label,
        "format": s.format,
        "start": s.start.isoformat(),
        "end": s.end.isoformat(),
        "target": s.target,
        "window_target": s.window_target,
        "rep_targets": [
            {
                "rep": r.slug,
                "name": r.name,
                "target": r.target,
                "shortfall": round(r.shortfall, 2),
                "division": r.division,
            }
            for r in s.rep_targets
        ],
        "divisions": list(s.divisions),
        "budget": s.budget,
        "prize": s.prize,
        "expected_gross_profit": round(s.expected_gross_profit, 2),
        "value_per_unit": round(s.value_per_unit, 2),
        "arithmetic": list(s.arithmetic),
        "rationale": s.rationale,
        "why_format": s.why_format,
        "announcement": s.announcement,
    }
