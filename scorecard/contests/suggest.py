"""Suggesting contests: one for each team gap on a count metric, sized and explained.

Only a team gap (team pace below the threshold AND most reps behind) earns a
contest: one rep behind is a coaching conversation (a flag). Every count
metric that is a team gap gets a contest or spiff, except vanity metrics
(calls, dials), which never do: that is the promise (docs/contests.md).

The diagnosis of the ratio feeding a gap metric shapes the contest, never
replaces it. When that ratio has really fallen (completed weeks, enough
volume, a significance test: see diagnosis.py) while the activity feeding it
is coming in as usual, the contest rewards converting (meetings booked from
conversations, not more dials) and a skills session comes attached. A ratio
that fell with no count gap behind it gets a coaching action.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from scorecard.calendar import Period, period_for, working_time
from scorecard.catalog import Catalog, Metric, load_catalog
from scorecard.contests import _data
from scorecard.contests._data import RepInfo, RepPace, ceil_units
from scorecard.contests.diagnosis import RatioCheck, check_ratios, converting_worth, evidence_lines
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
from scorecard.store import Reads, Store

# Weeks of history used to split a race into divisions by past performance.
DIVISION_HISTORY_WEEKS = 4

Focus = Literal["volume", "conversion"]


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
    # "conversion": the feeding ratio fell while its volume held up, so the contest
    # rewards the converted outcome (`converted`) and a skills session comes with it.
    focus: Focus = "volume"
    converted: str = ""
    skills_session: str = ""
    evidence: tuple[str, ...] = ()  # ratio claims, each with the counts behind it

    @property
    def window_target(self) -> float:
        """The team's total target in the window (Σ of the reps' own targets)."""
        return sum(r.target for r in self.rep_targets)


def contest_eligible(metric: Metric) -> bool:
    """A count a contest can reward: never a vanity metric (calls, dials), never an amount."""
    return metric.measure == "count" and not metric.vanity


# -- where the numbers come from -----------------------------------------------------------


def team_gap_metrics(store: Store, as_of: datetime, team: str | None) -> list[str]:
    """Metrics that are team gaps, as the team view decides them."""
    return [m.metric for m in team_view(store, as_of, team=team).metrics if m.is_team_gap]


def active_contest_metrics(store: Reads, as_of: datetime, team: str | None) -> set[str]:
    """Metrics with a contest running or scheduled: one contest per metric at a time."""
    rows = store.fetchall(
        "SELECT DISTINCT metric FROM contests WHERE status <> 'cancelled' AND end_day >= ? "
        "AND (? IS NULL OR team IS NULL OR team = ?)",
        [as_of.date(), team, team],
    )
    return {str(r[0]) for r in rows}


# -- a ratio that fell with no count gap: coaching ---------------------------------------------


def coaching_suggestion(
    check: RatioCheck, catalog: Catalog, window: Window, team: str | None
) -> Suggestion:
    r = check.ratio
    num, den = catalog.metrics[r.numerator], catalog.metrics[r.denominator]
    usual, recent = f"{check.usual_rate:.0%}", f"{check.recent_rate:.0%}"
    rationale = (
        f"{r.label} has fallen over completed weeks: {check.comparison.text} "
        f"{den.label} are coming in as usual and {num.label.lower()} are not a team gap this week. "
        "The activity is there; the conversion is not. A volume race would reward more of the same, "
        "so this is a skills action, not a contest."
    )
    announcement = (
        f"Skills focus: {r.label}.\n"
        f"Where we are: {recent} over the last {check.windows.recent_successes.weeks} completed weeks "
        f"against our usual {usual}.\n"
        f"What we'll do: {r.coaching}\n"
        "No prize, no race: we'll look at the rate together again once the next weeks are complete."
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
        arithmetic=(
            *evidence_lines(check, catalog),
            f"A fall counts below {r.gap_below:.0%} of the usual rate with p below {r.significance:g}; "
            f"here {check.comparison.relative or 0:.0%} of usual.",
        ),
        rationale=rationale,
        announcement=announcement,
        why_format=f"A competency gap with no count gap behind it: {r.coaching}",
        team=team,
        skills_session=r.coaching,
        evidence=(check.comparison.text,),
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
    conversion: RatioCheck | None = None,
) -> Suggestion | None:
    """The contest for one team-gap metric; shaped to reward converting when `conversion` fell."""
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
    if conversion is not None:
        suggestion = _rewarding_conversion(suggestion, conversion, catalog)
    return dataclasses.replace(suggestion, announcement=announcement(suggestion, settings))


def _rewarding_conversion(s: Suggestion, check: RatioCheck, catalog: Catalog) -> Suggestion:
    """The same contest, aimed at the conversion that fell: the diagnosis shapes it, never replaces it."""
    r = check.ratio
    den = catalog.metrics[r.denominator]
    converted = r.converted or f"{s.unit} from {den.unit}"
    worth = converting_worth(check, catalog)
    return dataclasses.replace(
        s,
        focus="conversion",
        converted=converted,
        skills_session=r.coaching,
        evidence=(check.comparison.text,),
        rationale=(
            f"{s.rationale} The cause is conversion, not activity. {r.label}: {check.comparison.text} "
            f"{den.label} are coming in as usual, so this contest rewards {converted}: more {den.unit} "
            f"alone earn nothing. A skills session comes with it: {r.coaching}"
        ),
        arithmetic=(*s.arithmetic, *evidence_lines(check, catalog), *([worth] if worth else [])),
        why_format=(
            f"{s.why_format} What counts is {converted}, because the {den.unit} are there and the "
            "conversion is what fell."
        ),
    )


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
    if s.focus == "conversion":
        lines.append(
            f"What counts: {s.converted}. Convert what is already in front of you: more dials alone earn nothing."
        )
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
    if s.skills_session:
        lines.append(f"Skills session on {_day(s.start)}, before we start: {s.skills_session}")
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


def _conversion_gaps(checks: list[RatioCheck]) -> dict[str, RatioCheck]:
    """Per converted metric, the fallen ratio that feeds it (the clearest one if several do)."""
    found: dict[str, RatioCheck] = {}
    for check in sorted((c for c in checks if c.is_gap), key=lambda c: c.comparison.p_value or 0.0):
        found.setdefault(check.ratio.numerator, check)
    return found


def suggest_contests(store: Store, as_of: datetime, team: str | None = None) -> list[Suggestion]:
    """A contest for every count metric that is a team gap (none running for it yet), shaped by the
    ratio feeding it; a coaching action for each ratio that fell with no count gap behind it."""
    settings, catalog = load_settings(store), load_catalog(store)
    reps = _data.reps_in_scope(store, team)
    if not reps:
        return []
    window = contest_window(as_of, settings)
    busy = active_contest_metrics(store, as_of, team)
    gaps = team_gap_metrics(store, as_of, team)
    checks = check_ratios(store, catalog, settings, as_of, [r.rep_id for r in reps], gaps)
    fell = _conversion_gaps(checks)
    eligible = [m for m in gaps if m in catalog.metrics and contest_eligible(catalog.metrics[m])]
    todo = [m for m in eligible if m not in busy]
    values = value_per_unit(store, as_of, team=team) if todo else {}
    result = [
        s
        for m in todo
        if (s := volume_suggestion(store, catalog, settings, m, as_of, team, reps, values, fell.get(m)))
    ]
    # A count gap with a contest (suggested or running) carries its ratio; any other fall is coached.
    covered = {s.metric for s in result} | (busy & set(eligible))
    result.extend(
        coaching_suggestion(c, catalog, window, team) for c in checks if c.is_gap and c.ratio.numerator not in covered
    )
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
        "focus": s.focus,
        "converted": s.converted,
        "skills_session": s.skills_session,
        "evidence": list(s.evidence),
    }
