"""What each team gap calls for, in one sentence for the Team page.

The Team page and the Contests page must never disagree, so the sentences are
built from the very suggestions the Contests page lists (suggest_contests)
and the contests already running or scheduled, never from a rule of their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from scorecard.catalog import Catalog
from scorecard.contests.lifecycle import Contest
from scorecard.contests.suggest import Suggestion, contest_eligible
from scorecard.scores import TeamMetric

GapKind = Literal["contest", "running", "no_window", "result", "vanity", "coaching"]


@dataclass(frozen=True)
class GapAction:
    key: str  # a metric key, or a ratio key for a coaching action
    label: str
    kind: GapKind
    text: str


def _contest_text(label: str, s: Suggestion) -> str:
    text = (
        f"Team gap on {label}: most of the team is behind. That calls for a rally, not individual coaching: "
        f"the Contests page suggests a {label.lower()} contest"
    )
    if s.focus == "conversion":
        text += (
            f" that rewards {s.converted}, with a skills session attached, because the conversion fell "
            "while the activity feeding it held up"
        )
    return text + "."


def _for_metric(
    metric: TeamMetric, catalog: Catalog, suggested: dict[str, Suggestion], running: dict[str, Contest]
) -> GapAction:
    key, label = metric.metric, metric.label
    spec = catalog.metrics.get(key)
    if spec is not None and spec.vanity:
        text = f"The team is behind on {label}, a volume measure that never gets a contest: look at what it should lead to."
        return GapAction(key, label, "vanity", text)
    if spec is None or not contest_eligible(spec):
        text = f"The team is behind on {label}. A result is not steered directly: look at the activities that lead to it."
        return GapAction(key, label, "result", text)
    if key in suggested:
        return GapAction(key, label, "contest", _contest_text(label, suggested[key]))
    if key in running:
        c = running[key]
        text = (
            f"Team gap on {label}: most of the team is behind. A {label.lower()} contest is already on "
            f"(#{c.contest_id}, until {c.end:%a %b} {c.end.day}): see Contests. One contest per metric at a time."
        )
        return GapAction(key, label, "running", text)
    text = (
        f"Team gap on {label}: most of the team is behind, but no contest fits the coming window "
        "(nobody with a goal has working time in it). Rally the team in person."
    )
    return GapAction(key, label, "no_window", text)


def gap_actions(
    metrics: Iterable[TeamMetric],
    suggestions: Sequence[Suggestion],
    contests: Sequence[Contest],
    catalog: Catalog,
    team: str | None = None,
) -> list[GapAction]:
    """One action per team gap (in the order given), then one per coaching action.

    `suggestions` are suggest_contests' for the same moment and team; `contests`
    the ones running or scheduled (current_contests).
    """
    suggested = {s.metric: s for s in suggestions if s.format != "coaching"}
    running = {
        c.metric: c for c in contests if c.status != "cancelled" and (team is None or c.team in (None, team))
    }
    actions = [_for_metric(m, catalog, suggested, running) for m in metrics if m.is_team_gap]
    coaching = (
        "has fallen over completed weeks while the activity feeding it held up: "
        "the Contests page suggests a coaching action, not a contest."
    )
    actions.extend(
        GapAction(s.metric, s.label, "coaching", f"{s.label} {coaching}") for s in suggestions if s.format == "coaching"
    )
    return actions
