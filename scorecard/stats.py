"""Evidence for rate claims: is a rate really different, or is it noise?

Counts in, a result out that carries the counts, the rates, the p-value and a
verdict in plain words. Used for team conversion ratios (contests) and usable
as is for one rep's ratios (a 1:1), since it only ever sees counts.

Two rules keep a claim honest (docs/contests.md explains them to managers):

- Only completed windows. A ratio measured inside the week in progress mixes
  activity whose conversions have not landed yet; `completed_windows` never
  returns a day of the period in progress, and counts the converted outcome
  `lag_weeks` after the activity that feeds it.
- Minimum volumes, then a test. Below `min_trials` in either window, or with
  too few expected outcomes for the normal approximation, the verdict is
  "not enough data" and no rate is claimed. Otherwise a pooled two-proportion
  z-test decides whether the difference is larger than chance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

Verdict = Literal["lower", "higher", "no_change", "not_enough_data"]

# The normal approximation behind the z-test holds when each window is expected
# (at the pooled rate) to hold at least this many successes and as many failures.
MIN_EXPECTED = 5
DEFAULT_MIN_TRIALS = 30
DEFAULT_SIGNIFICANCE = 0.05


@dataclass(frozen=True)
class Proportion:
    """`successes` out of `trials`: 36 meetings from 120 conversations."""

    successes: int
    trials: int

    def __post_init__(self) -> None:
        if self.trials < 0 or self.successes < 0:
            raise ValueError("counts cannot be negative")
        if self.successes > self.trials:
            raise ValueError(f"{self.successes} successes out of {self.trials} trials is not a share")

    @property
    def rate(self) -> float | None:
        return self.successes / self.trials if self.trials else None


@dataclass(frozen=True)
class ZTest:
    z: float  # positive when the first rate is the higher one
    p_value: float  # two-sided


def two_proportion_test(a: Proportion, b: Proportion) -> ZTest:
    """Pooled two-sided z-test of "a and b have the same underlying rate".

    z = (p_a − p_b) / √(p̂(1 − p̂)(1/n_a + 1/n_b)), p̂ = (x_a + x_b) / (n_a + n_b);
    p = P(|Z| ≥ |z|) = erfc(|z| / √2). When both groups are all successes or
    all failures there is no variation to test: z = 0, p = 1.
    """
    if a.trials == 0 or b.trials == 0:
        raise ValueError("each group needs at least one trial")
    pooled = (a.successes + b.successes) / (a.trials + b.trials)
    variance = pooled * (1 - pooled) * (1 / a.trials + 1 / b.trials)
    if variance <= 0:
        return ZTest(0.0, 1.0)
    z = (a.successes / a.trials - b.successes / b.trials) / math.sqrt(variance)
    return ZTest(z, min(1.0, math.erfc(abs(z) / math.sqrt(2))))


@dataclass(frozen=True)
class Labels:
    """Words for the verdict: what the trials and successes are, and what each window is."""

    trials: str = "trials"  # "conversations"
    successes: str = "successes"  # "meetings"
    recent: str = "recently"  # "over the last 4 completed weeks"
    baseline: str = "before"  # "over the 13 weeks before"


@dataclass(frozen=True)
class Comparison:
    recent: Proportion
    baseline: Proportion
    verdict: Verdict
    z: float | None  # None when there was not enough data to test
    p_value: float | None
    significance: float
    min_trials: int
    text: str  # the claim in plain words, with every count behind it

    @property
    def difference(self) -> float | None:
        """Recent rate minus baseline rate (−0.14 = 14 points lower)."""
        r, b = self.recent.rate, self.baseline.rate
        return None if r is None or b is None else r - b

    @property
    def relative(self) -> float | None:
        """Recent rate as a share of the baseline rate (0.68 = 32% below usual)."""
        r, b = self.recent.rate, self.baseline.rate
        return None if r is None or not b else r / b


def format_p(p: float) -> str:
    """'p = 0.003', 'p = 0.31', 'p < 0.001'."""
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


def _share(p: Proportion) -> str:
    return f"{p.rate:.0%}" if p.rate is not None else "–"


def counts_text(recent: Proportion, baseline: Proportion, labels: Labels) -> str:
    """'30% (36 of 120 conversations → meetings) over … vs 44% (180 of 410) over …'."""
    return (
        f"{_share(recent)} ({recent.successes:,} of {recent.trials:,} {labels.trials} → {labels.successes}) "
        f"{labels.recent} vs {_share(baseline)} ({baseline.successes:,} of {baseline.trials:,}) {labels.baseline}"
    )


def _too_little(recent: Proportion, baseline: Proportion, min_trials: int, min_expected: int) -> str | None:
    """Why no fair test can be made on these counts, or None when one can."""
    if recent.trials < min_trials or baseline.trials < min_trials:
        return f"at least {min_trials:,} in each window are needed"
    pooled = (recent.successes + baseline.successes) / (recent.trials + baseline.trials)
    smallest = min(n * share for n in (recent.trials, baseline.trials) for share in (pooled, 1 - pooled))
    if smallest < min_expected:
        return f"too few outcomes either way for a fair test (at least {min_expected} of each expected in each window)"
    return None


def compare_rates(
    recent: Proportion,
    baseline: Proportion,
    *,
    labels: Labels | None = None,
    significance: float = DEFAULT_SIGNIFICANCE,
    min_trials: int = DEFAULT_MIN_TRIALS,
    min_expected: int = MIN_EXPECTED,
) -> Comparison:
    """Is the recent rate really lower or higher than the baseline, and how sure is that?"""
    if not 0 < significance < 1:
        raise ValueError("significance must be between 0 and 1")
    words = labels or Labels()
    counts = counts_text(recent, baseline, words)
    reason = _too_little(recent, baseline, max(1, min_trials), min_expected)
    if reason is not None:
        text = (
            f"Not enough data for a claim: {recent.trials:,} {words.trials} {words.recent} and "
            f"{baseline.trials:,} {words.baseline}; {reason}."
        )
        return Comparison(recent, baseline, "not_enough_data", None, None, significance, min_trials, text)
    test = two_proportion_test(recent, baseline)
    verdict: Verdict = "no_change"
    meaning = "within normal variation, so no claim is made"
    if test.p_value < significance:
        verdict = "lower" if test.z < 0 else "higher"
        meaning = "a real drop, larger than chance" if verdict == "lower" else "a real rise, larger than chance"
    text = f"{counts}; {format_p(test.p_value)}: {meaning}."
    return Comparison(recent, baseline, verdict, test.z, test.p_value, significance, min_trials, text)


# -- completed windows ---------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    start: date
    end: date  # inclusive

    @property
    def weeks(self) -> int:
        return ((self.end - self.start).days + 1) // 7


@dataclass(frozen=True)
class RateWindows:
    """Where each count of a recent-vs-usual rate comparison is taken from.

    The successes (the converted outcome) are counted over whole completed
    weeks; the trials (the activity that feeds them) over the same number of
    weeks, `lag_weeks` earlier, so each window's conversions have had time to land.
    """

    recent_successes: Span
    recent_trials: Span
    baseline_successes: Span
    baseline_trials: Span
    lag_weeks: int


def completed_windows(current_start: date, *, recent_weeks: int, baseline_weeks: int, lag_weeks: int = 0) -> RateWindows:
    """Windows that all end before `current_start`, the first day of the period in progress.

    The recent window is the `recent_weeks` completed weeks just before it; the
    baseline is the `baseline_weeks` before that.
    """
    if recent_weeks < 1 or baseline_weeks < 1 or lag_weeks < 0:
        raise ValueError("windows need at least one week each and a lag of zero or more weeks")
    week = timedelta(weeks=1)

    def span(first_week: date, weeks: int) -> Span:
        return Span(first_week, first_week + week * weeks - timedelta(days=1))

    recent_start = current_start - week * recent_weeks
    baseline_start = recent_start - week * baseline_weeks
    lag = week * lag_weeks
    return RateWindows(
        recent_successes=span(recent_start, recent_weeks),
        recent_trials=span(recent_start - lag, recent_weeks),
        baseline_successes=span(baseline_start, baseline_weeks),
        baseline_trials=span(baseline_start - lag, baseline_weeks),
        lag_weeks=lag_weeks,
    )
