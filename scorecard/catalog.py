"""Metric definitions and the export-label mapping, as data.

Shipped defaults live in `data/metrics.toml` and `data/labels.toml`; a team's
label overrides live in the database (`label_map`). An event's metrics follow
from two normalised labels it carries: its activity label (what kind of
activity) and its outcome label (did the call connect).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

from scorecard.store import Reads

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

ACTIVITY_CLASSES = ("call", "conversation", "meeting", "opportunity", "proposal", "deal_won", "none")
OUTCOME_CLASSES = ("connect", "no_connect")

_SPACES = re.compile(r"\s+")


def normalize_label(raw: str | None) -> str:
    """Lower case, trimmed, inner white space collapsed; '' for missing."""
    if raw is None:
        return ""
    return _SPACES.sub(" ", str(raw)).strip().lower()


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str
    unit_one: str
    kind: Literal["lead", "lag"]
    measure: Literal["count", "amount"]
    classes: tuple[str, ...]
    connected_classes: tuple[str, ...] = ()
    default_weekly_goal: float | None = None
    vanity: bool = False
    funnel_step: int | None = None
    order: int = 99

    @property
    def is_lead(self) -> bool:
        return self.kind == "lead"

    def units(self, value: float) -> str:
        """'1 meeting', '5 meetings', '$1,200'."""
        if self.measure == "amount":
            return f"{self.unit}{value:,.0f}"
        shown = f"{value:g}" if value != int(value) else f"{int(value)}"
        return f"{shown} {self.unit_one if value == 1 else self.unit}"


@dataclass(frozen=True)
class Ratio:
    key: str
    label: str
    numerator: str
    denominator: str
    format: Literal["percent", "currency"]
    coaching: str
    # How a fall in the ratio is judged (docs/contests.md, "Is the conversion really down?").
    # Only completed weeks count; the numerator is counted `lag_weeks` after the
    # denominator, because conversions land weeks after the activity that feeds them.
    converted: str = ""  # the converted outcome in words: "meetings booked from conversations"
    lag_weeks: int = 0
    recent_weeks: int = 4
    baseline_weeks: int = 13
    min_trials: int = 30  # fewest denominator events in each window before any claim
    gap_below: float = 0.75  # a fall counts only below this share of the usual rate ...
    significance: float = 0.05  # ... and when a two-proportion test says it is not noise


@dataclass(frozen=True)
class Catalog:
    metrics: Mapping[str, Metric]
    ratios: Mapping[str, Ratio]
    activity_classes: Mapping[str, str]  # normalised label -> class
    outcome_classes: Mapping[str, str]  # normalised label -> connect | no_connect
    overrides: Mapping[tuple[str, str], str] = field(default_factory=dict)

    def ordered(self) -> list[Metric]:
        """Lead metrics first (the doctrine), then lag; each group in catalog order."""
        return sorted(self.metrics.values(), key=lambda m: (m.kind != "lead", m.order))

    def funnel(self) -> list[Metric]:
        return sorted((m for m in self.metrics.values() if m.funnel_step), key=lambda m: m.funnel_step or 0)

    def activity_class(self, label: str) -> str | None:
        return self.activity_classes.get(normalize_label(label))

    def is_connect(self, outcome_label: str) -> bool:
        return self.outcome_classes.get(normalize_label(outcome_label)) == "connect"

    def metrics_for(self, activity_label: str, outcome_label: str) -> list[str]:
        """The metric keys one event counts toward (possibly none)."""
        klass = self.activity_class(activity_label)
        if klass is None:
            return []
        connected = self.is_connect(outcome_label)
        # A call with a connect outcome is a conversation, and so it counts where
        # conversations count (calls included).
        effective = "conversation" if klass == "call" and connected else klass
        hits = []
        for metric in self.metrics.values():
            if effective in metric.classes or (klass in metric.connected_classes and connected):
                hits.append(metric.key)
        return hits

    def is_mapped(self, activity_label: str) -> bool:
        return self.activity_class(activity_label) is not None


def _read_toml(name: str) -> dict[str, object]:
    with open(DATA_DIR / name, "rb") as fh:
        return tomllib.load(fh)


@lru_cache(maxsize=1)
def _shipped() -> tuple[dict[str, Metric], dict[str, Ratio], dict[str, str], dict[str, str]]:
    metrics_doc = _read_toml("metrics.toml")
    metrics: dict[str, Metric] = {}
    for key, spec in dict(metrics_doc["metrics"]).items():  # type: ignore[call-overload]
        metrics[key] = Metric(
            key=key,
            label=spec["label"],
            unit=spec["unit"],
            unit_one=spec.get("unit_one", spec["unit"]),
            kind=spec["kind"],
            measure=spec["measure"],
            classes=tuple(spec.get("classes", ())),
            connected_classes=tuple(spec.get("connected_classes", ())),
            default_weekly_goal=spec.get("default_weekly_goal"),
            vanity=bool(spec.get("vanity", False)),
            funnel_step=spec.get("funnel_step"),
            order=int(spec.get("order", 99)),
        )
    ratios = {
        key: Ratio(key=key, **spec)
        for key, spec in dict(metrics_doc.get("ratios", {})).items()  # type: ignore[call-overload]
    }
    labels_doc = _read_toml("labels.toml")
    activity = _invert(dict(labels_doc["activity"]).items())  # type: ignore[call-overload]
    outcome = _invert(dict(labels_doc["outcome"]).items())  # type: ignore[call-overload]
    return metrics, ratios, activity, outcome


def _invert(groups: Iterable[tuple[str, list[str]]]) -> dict[str, str]:
    return {normalize_label(label): klass for klass, labels in groups for label in labels}


def shipped_catalog() -> Catalog:
    """The catalog as shipped, with no team overrides."""
    metrics, ratios, activity, outcome = _shipped()
    return Catalog(metrics=metrics, ratios=ratios, activity_classes=activity, outcome_classes=outcome)


def load_catalog(store: Reads | None = None) -> Catalog:
    """The shipped catalog with the team's label overrides from `store` applied."""
    base = shipped_catalog()
    if store is None:
        return base
    overrides = {(kind, label): target for kind, label, target in store.fetchall("SELECT kind, label, target FROM label_map")}
    activity = dict(base.activity_classes)
    outcome = dict(base.outcome_classes)
    for (kind, label), target in overrides.items():
        (activity if kind == "activity" else outcome)[label] = target
    return Catalog(
        metrics=base.metrics,
        ratios=base.ratios,
        activity_classes=activity,
        outcome_classes=outcome,
        overrides=overrides,
    )
