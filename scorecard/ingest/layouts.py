"""Which CRM export a header row comes from, and which column carries which field.

The aliases are data (`data/layouts.toml`); this module only scores them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from scorecard.ingest.errors import FileRejected

LAYOUTS_FILE = Path(__file__).resolve().parent.parent.parent / "data" / "layouts.toml"

FIELDS: tuple[str, ...] = (
    "rep",
    "occurred_at",
    "type",
    "outcome",
    "subject",
    "amount",
    "record_id",
    "stage",
    "email",
    "team",
    "created_at",
    "done",
    "currency",
    "attendees",
)
FIELD_HELP: dict[str, str] = {
    "rep": "the rep's name (or email)",
    "occurred_at": "the date of the activity (or the close date of a deal)",
    "type": "the activity type",
    "stage": "the deal stage or status",
    "currency": "the currency of the amount",
    "attendees": "who else took part (attendees or a second owner)",
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "activity": ("rep", "occurred_at", "type"),
    "deal": ("rep", "occurred_at", "stage"),
}


@dataclass(frozen=True)
class Layout:
    name: str
    crm: str
    kind: str  # activity | deal
    aliases: dict[str, tuple[str, ...]]  # field -> normalised labels, best first
    hints: tuple[str, ...]


@dataclass(frozen=True)
class Detected:
    layout: Layout
    column_map: dict[str, str]  # field -> column as written in the file
    score: int


def normal(label: str) -> str:
    return " ".join(label.replace("\ufeff", "").split()).lower()


@lru_cache(maxsize=1)
def load_layouts() -> tuple[Layout, ...]:
    with open(LAYOUTS_FILE, "rb") as fh:
        doc = tomllib.load(fh)
    layouts = []
    for name, spec in doc["layouts"].items():
        aliases = {f: tuple(normal(a) for a in spec[f]) for f in FIELDS if f in spec}
        layouts.append(
            Layout(
                name=name,
                crm=str(spec["crm"]),
                kind=str(spec["kind"]),
                aliases=aliases,
                hints=tuple(normal(h) for h in spec.get("hints", ())),
            )
        )
    return tuple(layouts)


def known_labels() -> set[str]:
    return {a for layout in load_layouts() for labels in layout.aliases.values() for a in labels}


def _match(layout: Layout, columns: list[str]) -> Detected:
    by_label: dict[str, str] = {}
    for name in columns:
        by_label.setdefault(normal(name), name)
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for field, labels in layout.aliases.items():
        for label in labels:
            column = by_label.get(label)
            if column is not None and column not in used:
                mapping[field] = column
                used.add(column)
                break
    hints = sum(1 for h in layout.hints if h in by_label and by_label[h] not in used)
    return Detected(layout=layout, column_map=mapping, score=2 * len(mapping) + hints)


def _complete(layout: Layout, mapping: dict[str, str]) -> bool:
    needed = REQUIRED[layout.kind]
    # An activity export without a type column can still be read from its subject.
    return all(f in mapping or (f == "type" and "subject" in mapping) for f in needed)


def detect_layout(file_name: str, columns: list[str], column_map: dict[str, str] | None = None) -> Detected:
    """The best-scoring complete layout, with explicit `column_map` entries applied on top."""
    override = dict(column_map or {})
    missing = [c for c in override.values() if c not in columns]
    if missing:
        raise FileRejected(
            file_name,
            f"column {missing[0]!r} given in the column mapping is not in the file. Its columns are: {', '.join(columns)}.",
        )
    matches = []
    for layout in load_layouts():
        found = _match(layout, columns)
        mapping = {f: c for f, c in found.column_map.items() if c not in override.values()}
        mapping.update(override)
        matches.append(Detected(layout=layout, column_map=mapping, score=found.score + 3 * len(override)))
    complete = [m for m in matches if _complete(m.layout, m.column_map)]
    if complete:
        return max(complete, key=lambda m: m.score)  # max keeps the first of equals: generic is listed last
    best = max(matches, key=lambda m: m.score)
    absent = [FIELD_HELP.get(f, f) for f in REQUIRED[best.layout.kind] if f not in best.column_map]
    raise FileRejected(
        file_name,
        f"no column found for {' and '.join(absent)}. The columns are: {', '.join(columns) or '(none)'}. "
        "Map them explicitly (--map FIELD=COLUMN, or the mapping step on the Upload page), "
        "or export the report with those columns.",
    )
