"""Has a conversion ratio really fallen? Completed windows, minimum volumes, a significance test.

A suggestion may only say "conversion is down" with evidence: the rate over
the last completed weeks against the team's usual rate before them, each
window large enough, the difference tested (scorecard.stats), and the counts
shown. The week in progress is never used: its conversions have not landed.
Each ratio's lag, windows and thresholds are data (data/metrics.toml).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from scorecard.calendar import period_for
from scorecard.catalog import Catalog, Ratio
from scorecard.contests import _data
from scorecard.settings import TeamSettings
from scorecard.stats import Comparison, Labels, Proportion, RateWindows, Span, compare_rates, completed_windows
from scorecard.store import Store


@dataclass(frozen=True)
class RatioCheck:
    """One conversion ratio, recent completed weeks against the weeks before."""

    ratio: Ratio
    windows: RateWindows
    comparison: Comparison
    trials_per_week_recent: float | None  # the feeding activity, per week that had any
    trials_per_week_baseline: float | None
    feeding_is_team_gap: bool  # the feeding activity is itself a team gap this week
    volume_normal: bool  # the feeding activity is coming in as usual

    @property
    def fell(self) -> bool:
        """Significantly lower, and by enough to matter."""
        relative = self.comparison.relative
        return self.comparison.verdict == "lower" and relative is not None and relative < self.ratio.gap_below

    @property
    def is_gap(self) -> bool:
        """A competency gap: the conversion fell while the activity feeding it did not."""
        return self.fell and self.volume_normal

    @property
    def usual_rate(self) -> float:
        return self.comparison.baseline.rate or 0.0

    @property
    def recent_rate(self) -> float:
        return self.comparison.recent.rate or 0.0


def _day(d: date) -> str:
    return f"{d:%b} {d.day}"


def _labels(catalog: Catalog, ratio: Ratio, windows: RateWindows) -> Labels:
    num, den = catalog.metrics[ratio.numerator], catalog.metrics[ratio.denominator]
    recent, lag = windows.recent_successes, windows.lag_weeks
    dates = f"{_day(recent.start)} – {_day(recent.end)}"
    when = f"over the last {recent.weeks} completed weeks ({dates})"
    if lag:
        # The outcome is counted later than the activity that fed it: say so next to the dates.
        when = (
            f"over the last {recent.weeks} completed weeks ({num.unit} {dates}, "
            f"from the {den.unit} {lag} week{'s' if lag != 1 else ''} before)"
        )
    return Labels(
        trials=den.unit,
        successes=num.unit,
        recent=when,
        baseline=f"over the {windows.baseline_successes.weeks} weeks before",
    )


def _closed_total(store: Store, catalog: Catalog, metric: str, span: Span, rep_ids: list[int]) -> int:
    # As of the first moment after the span: whole days only, all read from rollups.
    after = datetime.combine(span.end + timedelta(days=1), time.min)
    return round(_data.team_total(store, catalog, metric, span.start, span.end, after, rep_ids))


def _weeks_with_data(
    store: Store, metric: str, span: Span, rep_ids: list[int], settings: TeamSettings
) -> int:
    """Weeks of the span in which the team logged any of `metric` (a short history is not a slump)."""
    days = store.fetchall(
        "SELECT DISTINCT day FROM daily_rollups WHERE metric = ? AND day BETWEEN ? AND ? "
        "AND list_contains(?::INTEGER[], rep_id)",
        [metric, span.start, span.end, rep_ids],
    )
    return len({period_for("week", d[0], settings).start for d in days})


def _per_week(total: int, weeks: int) -> float | None:
    return total / weeks if weeks else None


def diagnosable(catalog: Catalog, ratio: Ratio) -> bool:
    """A share of one count in another: the only kind a two-proportion test can judge."""
    num, den = catalog.metrics.get(ratio.numerator), catalog.metrics.get(ratio.denominator)
    return (
        ratio.format == "percent"
        and num is not None
        and den is not None
        and num.measure == "count"
        and den.measure == "count"
    )


def check_ratio(
    store: Store,
    catalog: Catalog,
    settings: TeamSettings,
    ratio: Ratio,
    as_of: datetime,
    rep_ids: list[int],
    team_gaps: Collection[str],
) -> RatioCheck | None:
    """The evidence on one ratio as of `as_of`; None when its counts are not a share (more
    outcomes than feeding events, e.g. meetings that did not come from conversations)."""
    current = period_for("week", as_of.date(), settings)
    windows = completed_windows(
        current.start, recent_weeks=ratio.recent_weeks, baseline_weeks=ratio.baseline_weeks, lag_weeks=ratio.lag_weeks
    )
    counts = {
        name: _closed_total(store, catalog, metric, span, rep_ids)
        for name, metric, span in (
            ("recent_x", ratio.numerator, windows.recent_successes),
            ("recent_n", ratio.denominator, windows.recent_trials),
            ("base_x", ratio.numerator, windows.baseline_successes),
            ("base_n", ratio.denominator, windows.baseline_trials),
        )
    }
    if counts["recent_x"] > counts["recent_n"] or counts["base_x"] > counts["base_n"]:
        return None
    comparison = compare_rates(
        Proportion(counts["recent_x"], counts["recent_n"]),
        Proportion(counts["base_x"], counts["base_n"]),
        labels=_labels(catalog, ratio, windows),
        significance=ratio.significance,
        min_trials=ratio.min_trials,
    )
    recent = _per_week(
        counts["recent_n"], _weeks_with_data(store, ratio.denominator, windows.recent_trials, rep_ids, settings)
    )
    usual = _per_week(
        counts["base_n"], _weeks_with_data(store, ratio.denominator, windows.baseline_trials, rep_ids, settings)
    )
    feeding_gap = ratio.denominator in team_gaps
    # "As usual" uses the team-gap bar: below it the feeding activity would itself be short.
    steady = recent is not None and (usual is None or recent >= settings.team_gap_pace_below * usual)
    return RatioCheck(ratio, windows, comparison, recent, usual, feeding_gap, steady and not feeding_gap)


def check_ratios(
    store: Store,
    catalog: Catalog,
    settings: TeamSettings,
    as_of: datetime,
    rep_ids: list[int],
    team_gaps: Collection[str],
) -> list[RatioCheck]:
    """Every conversion ratio of the catalog, judged on completed weeks."""
    checks = []
    for ratio in catalog.ratios.values():
        if not diagnosable(catalog, ratio):
            continue
        check = check_ratio(store, catalog, settings, ratio, as_of, rep_ids, team_gaps)
        if check is not None:
            checks.append(check)
    return checks


def evidence_lines(check: RatioCheck, catalog: Catalog) -> tuple[str, ...]:
    """The claim with its counts, and what the feeding activity did meanwhile."""
    den = catalog.metrics[check.ratio.denominator]
    lines = [f"{check.ratio.label}, completed weeks only: {check.comparison.text}"]
    if check.trials_per_week_recent is not None and check.trials_per_week_baseline:
        lines.append(
            f"{den.label} meanwhile: {check.trials_per_week_recent:.0f} a week recently against "
            f"{check.trials_per_week_baseline:.0f} a week before "
            f"({check.trials_per_week_recent / check.trials_per_week_baseline:.0%} of usual)."
        )
    return tuple(lines)


def converting_worth(check: RatioCheck, catalog: Catalog) -> str | None:
    """What getting back to the usual rate is worth a week, at the recent feeding volume."""
    per_week = check.trials_per_week_recent
    if per_week is None:
        return None
    num, den = catalog.metrics[check.ratio.numerator], catalog.metrics[check.ratio.denominator]
    usual, recent = per_week * check.usual_rate, per_week * check.recent_rate
    return (
        f"Converting is the lever: at the usual {check.usual_rate:.0%}, the {per_week:.0f} {den.unit} a week the "
        f"team has been having would bring about {usual:.0f} {num.unit} a week, not the {recent:.0f} they bring "
        f"at {check.recent_rate:.0%}."
    )
