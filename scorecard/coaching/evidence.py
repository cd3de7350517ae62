"""A rep's conversion ratios against the rest of their team, with the evidence rule.

The same rule as a team's fall in conversion (docs/contests.md): completed
weeks only, the converted outcome counted `lag_weeks` after the activity that
feeds it, a minimum volume, then a two-proportion test (`scorecard.stats`).
A difference is marked only when the test says it is larger than chance.

The rep is compared with the rest of the team (their own numbers left out), so
the two groups are separate and a big producer does not pull "the team" toward
themselves. The window is the team's rate window (`rate_window_weeks`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from scorecard.calendar import period_for
from scorecard.catalog import Catalog, Ratio, load_catalog
from scorecard.contests.diagnosis import diagnosable
from scorecard.roster import Rep
from scorecard.settings import load_settings
from scorecard.stats import (
    Comparison,
    Labels,
    Proportion,
    RateWindows,
    compare_rates,
    completed_windows,
    counts_text,
    format_p,
)
from scorecard.store import Store
from scorecard.viewcache import cached

STRONG_WEEKS = 3  # a peer coach is at or above the team's rate this many completed weeks running


@dataclass(frozen=True)
class RatioCounts:
    """One ratio's counts for a team over completed weeks, per rep."""

    ratio: Ratio
    windows: RateWindows  # the recent_* spans are the window used
    successes: dict[int, int]  # rep_id -> converted outcomes in the window
    trials: dict[int, int]  # rep_id -> feeding activity in the window (lag earlier)
    weeks: tuple[date, ...]  # the last STRONG_WEEKS completed weeks (of the outcome), newest first
    weekly: dict[int, tuple[tuple[int, int], ...]]  # rep_id -> (successes, trials) in each of `weeks`
    rep_ids: tuple[int, ...]  # the active reps of the team

    def rate_of(self, rep_ids: set[int] | None = None) -> Proportion:
        """The pooled share of `rep_ids` (everyone for None); a share is never above 100%."""
        ids = self.rep_ids if rep_ids is None else tuple(r for r in self.rep_ids if r in rep_ids)
        x = sum(self.successes.get(r, 0) for r in ids)
        n = sum(self.trials.get(r, 0) for r in ids)
        return Proportion(min(x, n), n)


@dataclass(frozen=True)
class RatioEvidence:
    """A rep's rate on one ratio against the rest of the team."""

    ratio: Ratio
    rep: Proportion | None  # None when the counts are not a share (more outcomes than feeding events)
    rest: Proportion
    comparison: Comparison | None
    text: str  # the comparison in plain words with every count

    @property
    def verdict(self) -> str:
        return self.comparison.verdict if self.comparison is not None else "not_enough_data"

    @property
    def meaningful(self) -> bool:
        """Marked on screen: the difference is larger than chance."""
        return self.verdict in ("lower", "higher")


def team_counts(store: Store, team: str, as_of: datetime) -> dict[str, RatioCounts]:
    """Per diagnosable ratio, the team's counts in completed weeks before as_of's week (cached)."""
    settings = load_settings(store)
    current = period_for("week", as_of.date(), settings).start
    return cached(store, _team_counts, team, current)


def _team_counts(store: Store, team: str, current: date) -> dict[str, RatioCounts]:
    catalog, settings = load_catalog(store), load_settings(store)
    ids = [int(r[0]) for r in store.fetchall("SELECT rep_id FROM reps WHERE active AND team = ?", [team])]
    ratios = [r for r in catalog.ratios.values() if diagnosable(catalog, r)]
    if not ids or not ratios:
        return {}
    plan = {
        r.key: completed_windows(
            current, recent_weeks=max(settings.rate_window_weeks, STRONG_WEEKS), baseline_weeks=1, lag_weeks=r.lag_weeks
        )
        for r in ratios
    }
    first = min(w.recent_trials.start for w in plan.values())
    metrics = sorted({m for r in ratios for m in (r.numerator, r.denominator)})
    weekly = _weekly(store, metrics, first, current, ids, settings.week_start)
    weeks = tuple(current - timedelta(weeks=k) for k in range(1, STRONG_WEEKS + 1))
    return {r.key: _counts(r, plan[r.key], weekly, weeks, ids) for r in ratios}


Weekly = dict[tuple[int, str], dict[date, int]]


def _weekly(store: Store, metrics: list[str], start: date, current: date, ids: list[int], week_start: int) -> Weekly:
    """(rep_id, metric) -> {week start: count} over the whole weeks from `start` up to `current` (excluded).

    Summed per week in the database: every window here is made of whole weeks,
    and a large team then sends back a row per rep, metric and week, not per day.
    """
    rows = store.fetchall(
        "SELECT rep_id, metric, day - CAST((isodow(day) - 1 - ? + 7) % 7 AS INTEGER) AS week, sum(n) "
        "FROM daily_rollups WHERE day >= ? AND day < ? AND list_contains(?::VARCHAR[], metric) "
        "AND list_contains(?::INTEGER[], rep_id) GROUP BY ALL",
        [week_start, start, current, metrics, ids],
    )
    out: Weekly = defaultdict(dict)
    for rep_id, metric, week, n in rows:
        out[(int(rep_id), str(metric))][week] = int(n)
    return out


def _total(weekly: Weekly, rep_id: int, metric: str, start: date, end: date) -> int:
    return sum(n for week, n in weekly.get((rep_id, metric), {}).items() if start <= week <= end)


def _counts(ratio: Ratio, windows: RateWindows, weekly: Weekly, weeks: tuple[date, ...], ids: list[int]) -> RatioCounts:
    lag = timedelta(weeks=ratio.lag_weeks)
    num, den = ratio.numerator, ratio.denominator
    s, t = windows.recent_successes, windows.recent_trials
    return RatioCounts(
        ratio=ratio,
        windows=windows,
        successes={r: _total(weekly, r, num, s.start, s.end) for r in ids},
        trials={r: _total(weekly, r, den, t.start, t.end) for r in ids},
        weeks=weeks,
        weekly={
            r: tuple((_total(weekly, r, num, w, w), _total(weekly, r, den, w - lag, w - lag)) for w in weeks)
            for r in ids
        },
        rep_ids=tuple(ids),
    )


def _day(d: date) -> str:
    return f"{d:%b} {d.day}"


def window_text(counts: RatioCounts, catalog: Catalog) -> str:
    """'the 13 completed weeks Aug 24 – Nov 22' (with the lag, when there is one)."""
    s, lag = counts.windows.recent_successes, counts.ratio.lag_weeks
    text = f"the {s.weeks} completed weeks {_day(s.start)} – {_day(s.end)}"
    if lag:
        den = catalog.metrics[counts.ratio.denominator]
        text += f", against the {den.unit} {lag} week{'s' if lag != 1 else ''} earlier"
    return text


def rep_evidence(counts: RatioCounts, rep_id: int, name: str, catalog: Catalog) -> RatioEvidence:
    """`rep_id` against the rest of the team on one ratio."""
    ratio = counts.ratio
    num, den = catalog.metrics[ratio.numerator], catalog.metrics[ratio.denominator]
    rest = counts.rate_of(set(counts.rep_ids) - {rep_id})
    x, n = counts.successes.get(rep_id, 0), counts.trials.get(rep_id, 0)
    if x > n:
        text = (
            f"{name}: {x} {num.unit} from {n} {den.unit}, so not a share of them "
            f"(some {num.unit} come from elsewhere): no rate is claimed."
        )
        return RatioEvidence(ratio, None, rest, None, text)
    mine = Proportion(x, n)
    labels = Labels(trials=den.unit, successes=num.unit, recent=f"for {name}", baseline="for the rest of the team")
    comparison = compare_rates(
        mine, rest, labels=labels, significance=ratio.significance, min_trials=ratio.min_trials
    )
    return RatioEvidence(ratio, mine, rest, comparison, _evidence_text(comparison, labels))


def _evidence_text(comparison: Comparison, labels: Labels) -> str:
    if comparison.verdict == "not_enough_data" or comparison.p_value is None:
        return comparison.text
    # The stats module words a change over time; this is one rep against their peers.
    counts = counts_text(comparison.recent, comparison.baseline, labels)
    meaning = {
        "lower": "significantly below the rest of the team, larger than chance",
        "higher": "significantly above the rest of the team, larger than chance",
        "no_change": "within normal variation, so no difference is claimed",
    }[comparison.verdict]
    return f"{counts}; {format_p(comparison.p_value)}: {meaning}."


def rep_ratios(store: Store, rep: Rep, as_of: datetime) -> list[RatioEvidence]:
    """Every diagnosable ratio of `rep` against the rest of their team, as of `as_of`."""
    catalog = load_catalog(store)
    counts = team_counts(store, rep.team, as_of)
    return [rep_evidence(c, rep.rep_id, rep.display_name, catalog) for c in counts.values() if rep.rep_id in c.rep_ids]
