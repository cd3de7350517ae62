"""Peer coaching: pair a rep who converts significantly below their team with a teammate who has been strong for weeks.

For each competency ratio (data/metrics.toml), within each team:

- A learner converts significantly below the rest of the team, by the evidence
  rule (`coaching.evidence`): completed weeks, minimum volume, a significance test.
- A coach has the volume to mean something (the ratio's `min_trials`), is not
  significantly below the rest of the team, and was at or above the team's rate
  in each of the last few completed weeks, with activity in each of them.
- Nobody is paired with their own manager, either way round, and nobody is
  named twice in one ratio.
- Pairs rotate: each week coaches are offered in a different order (worked out
  from the week, so the suggestion is the same all week and on every screen).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from scorecard.calendar import period_for
from scorecard.catalog import Catalog, load_catalog
from scorecard.coaching.evidence import STRONG_WEEKS, RatioCounts, rep_evidence, team_counts
from scorecard.coaching.log import managers, people
from scorecard.roster import Rep
from scorecard.settings import load_settings
from scorecard.store import Store


@dataclass(frozen=True)
class PeerPair:
    ratio: str
    ratio_label: str
    team: str
    week_start: date
    coach: Rep
    learner: Rep
    coach_rate: float
    learner_rate: float
    evidence: str


def suggest_pairs(store: Store, as_of: datetime, *, team: str | None = None) -> list[PeerPair]:
    """This week's suggested pairs (of one team, or of every team), by ratio then learner."""
    settings = load_settings(store)
    week = period_for("week", as_of.date(), settings).start
    everyone = people(store)
    teams = sorted({r.team for r in everyone.values() if r.active and (team is None or r.team == team)})
    bosses = managers(store)
    catalog = load_catalog(store)
    pairs: list[PeerPair] = []
    for name in teams:
        for counts in team_counts(store, name, as_of).values():
            pairs += _ratio_pairs(counts, name, week, everyone, bosses, catalog)
    order = {key: i for i, key in enumerate(catalog.ratios)}
    return sorted(pairs, key=lambda p: (order[p.ratio], p.team, p.learner.display_name, p.learner.rep_id))


def _strong(counts: RatioCounts, rep_id: int, team_rate: float) -> bool:
    """At or above the team's rate in each of the last completed weeks, with activity in each."""
    weeks = counts.weekly.get(rep_id, ())
    return len(weeks) == STRONG_WEEKS and all(n > 0 and x / n >= team_rate for x, n in weeks)


def _ratio_pairs(
    counts: RatioCounts,
    team: str,
    week: date,
    everyone: dict[int, Rep],
    bosses: dict[int, int],
    catalog: Catalog,
) -> list[PeerPair]:
    ratio = counts.ratio
    team_rate = counts.rate_of().rate
    if team_rate is None:
        return []
    evidence = {r: rep_evidence(counts, r, everyone[r].display_name, catalog) for r in counts.rep_ids}
    learners = sorted((r for r, e in evidence.items() if e.verdict == "lower"), key=lambda r: _by_name(everyone, r))
    coaches = sorted(
        (
            r
            for r, e in evidence.items()
            if r not in learners
            and counts.trials.get(r, 0) >= ratio.min_trials
            and e.verdict in ("higher", "no_change")
            and _strong(counts, r, team_rate)
        ),
        key=lambda r: _by_name(everyone, r),
    )
    if not learners or not coaches:
        return []

    def allowed(coach: int, learner: int) -> bool:
        return bosses.get(learner) != coach and bosses.get(coach) != learner

    matched = _match(learners, _preferences(learners, coaches, _week_number(week), allowed))
    result = []
    for learner, coach in matched.items():
        mine, theirs = evidence[learner], evidence[coach]
        assert mine.rep is not None and theirs.rep is not None  # both were tested
        result.append(
            PeerPair(
                ratio=ratio.key,
                ratio_label=ratio.label,
                team=team,
                week_start=week,
                coach=everyone[coach],
                learner=everyone[learner],
                coach_rate=theirs.rep.rate or 0.0,
                learner_rate=mine.rep.rate or 0.0,
                evidence=f"{mine.text} {_coach_text(counts, everyone[coach], team_rate, catalog)}",
            )
        )
    return result


def _by_name(everyone: dict[int, Rep], rep_id: int) -> tuple[str, int]:
    return (everyone[rep_id].display_name, rep_id)


def _week_number(week: date) -> int:
    return week.toordinal() // 7


def _preferences(
    learners: list[int], coaches: list[int], week_number: int, allowed: Callable[[int, int], bool]
) -> dict[int, list[int]]:
    """Each learner's coaches in this week's order: the list turns by one a week, and by one per learner."""
    prefs = {}
    for i, learner in enumerate(learners):
        start = (week_number + i) % len(coaches)
        turned = coaches[start:] + coaches[:start]
        prefs[learner] = [c for c in turned if allowed(c, learner)]
    return prefs


def _match(learners: list[int], prefs: dict[int, list[int]]) -> dict[int, int]:
    """learner -> coach, each coach at most once, as many pairs as the rules allow.

    Augmenting paths (Kuhn's method): a learner takes their first free coach
    and, when all are taken, asks whether a coach's learner can move to
    another, so a forbidden pair never leaves someone unpaired needlessly.
    """
    learner_of: dict[int, int] = {}

    def assign(learner: int, seen: set[int]) -> bool:
        for coach in prefs[learner]:
            if coach in seen:
                continue
            seen.add(coach)
            if coach not in learner_of or assign(learner_of[coach], seen):
                learner_of[coach] = learner
                return True
        return False

    for learner in learners:
        assign(learner, set())
    return {learner: coach for coach, learner in learner_of.items()}


def _coach_text(counts: RatioCounts, coach: Rep, team_rate: float, catalog: Catalog) -> str:
    # "from", not "of": in a single week the outcomes can outnumber the activity feeding them.
    num, den = catalog.metrics[counts.ratio.numerator], catalog.metrics[counts.ratio.denominator]
    weeks = "; ".join(
        f"week of {w:%b} {w.day}: {x} {num.unit} from {n} {den.unit}"
        for w, (x, n) in zip(counts.weeks, counts.weekly[coach.rep_id], strict=True)
    )
    x, n = counts.successes.get(coach.rep_id, 0), counts.trials.get(coach.rep_id, 0)
    return (
        f"{coach.display_name}: at or above the team's {team_rate:.0%} in each of the last {STRONG_WEEKS} "
        f"completed weeks ({weeks}); {x:,} of {n:,} over the window."
    )


def pair_to_json(pair: PeerPair) -> dict[str, Any]:
    return {
        "ratio": pair.ratio,
        "ratio_label": pair.ratio_label,
        "team": pair.team,
        "week_start": pair.week_start.isoformat(),
        "coach": pair.coach.slug,
        "coach_name": pair.coach.display_name,
        "learner": pair.learner.slug,
        "learner_name": pair.learner.display_name,
        "coach_rate": round(pair.coach_rate, 6),
        "learner_rate": round(pair.learner_rate, 6),
        "evidence": pair.evidence,
    }
