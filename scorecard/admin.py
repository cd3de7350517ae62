"""Manager edits: the roster, merging duplicate reps, the label mapping, team settings.

Every edit is validated in full before anything is written, and then written
in one transaction: invalid input changes nothing, and a failed write leaves
nothing behind. Changes that affect what events count toward (a merge, a
mapping change) rebuild the rollups inside that same transaction, so history
never disagrees with the events.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any, Literal

import duckdb
import polars as pl

from scorecard.catalog import (
    ACTIVITY_CLASSES,
    OUTCOME_CLASSES,
    Catalog,
    load_catalog,
    normalize_label,
    shipped_catalog,
)
from scorecard.coaching import log as coaching_log
from scorecard.rollups import mark_touched, refresh_rollups
from scorecard.roster import match_key
from scorecard.settings import WEEKDAY_NAMES, InvalidSetting, TeamSettings, load_settings, save_settings
from scorecard.store import Reads, Snapshot, Store, upsert

LabelKind = Literal["activity", "outcome"]
LABEL_KINDS: tuple[LabelKind, ...] = ("activity", "outcome")

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Deliberately loose: it catches typos (missing @, spaces, no domain dot) without
# pretending to implement RFC 5322.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
MAX_NAME = 100


class InvalidInput(ValueError):
    """One or more fields failed validation; `errors` maps field name -> message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{name}: {message}" for name, message in self.errors.items()))


class UnknownRep(LookupError):
    pass


# -- roster -----------------------------------------------------------------


@dataclass(frozen=True)
class RepEdit:
    """Every editable field of a rep; a form shows the current values and submits them all."""

    display_name: str
    slug: str
    email: str | None
    team: str
    active: bool
    aliases: tuple[str, ...] = ()


def rep_edit(store: Reads, rep_id: int) -> RepEdit:
    """The rep's current editable fields."""
    row = store.fetchone("SELECT display_name, slug, email, team, active, aliases FROM reps WHERE rep_id = ?", [rep_id])
    if row is None:
        raise UnknownRep(f"no rep with id {rep_id}")
    name, slug, email, team, active, aliases = row
    return RepEdit(display_name=name, slug=slug, email=email, team=team, active=bool(active), aliases=tuple(aliases or ()))


def _clean_aliases(aliases: Iterable[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    kept: list[str] = []
    for alias in aliases:
        text = " ".join(str(alias).split())
        key = match_key(text)
        if key and key not in seen:
            seen.add(key)
            kept.append(text)
    return tuple(kept)


def _names_of_others(store: Reads, rep_id: int) -> dict[str, str]:
    """Every name an upload could use for another rep (normalised) -> that rep's display name."""
    taken: dict[str, str] = {}
    for name, slug, email, aliases in store.fetchall(
        "SELECT display_name, slug, email, aliases FROM reps WHERE rep_id <> ?", [rep_id]
    ):
        for text in (name, slug, email, *(aliases or ())):
            if text:
                taken.setdefault(match_key(text), name)
    return taken


def validate_rep_edit(store: Reads, rep_id: int, edit: RepEdit) -> RepEdit:
    """The edit with whitespace tidied; raises InvalidInput naming every bad field."""
    errors: dict[str, str] = {}
    name = " ".join(edit.display_name.split())
    slug = edit.slug.strip().lower()
    email = (edit.email or "").strip() or None
    team = " ".join(edit.team.split())
    aliases = _clean_aliases(edit.aliases)

    if not name:
        errors["display_name"] = "a name is required"
    elif len(name) > MAX_NAME:
        errors["display_name"] = f"keep the name under {MAX_NAME} characters"
    if not _SLUG.match(slug):
        errors["slug"] = "use lower-case letters, digits and single hyphens (for example jane-doe)"
    elif store.scalar("SELECT count(*) FROM reps WHERE slug = ? AND rep_id <> ?", [slug, rep_id]):
        errors["slug"] = f"{slug!r} is already another rep's link; pick another"
    if email is not None:
        if not _EMAIL.match(email):
            errors["email"] = f"{email!r} is not an email address (name@company.com)"
        elif store.scalar("SELECT count(*) FROM reps WHERE lower(email) = lower(?) AND rep_id <> ?", [email, rep_id]):
            errors["email"] = f"{email} already belongs to another rep; merge the two reps instead"
    if not team:
        errors["team"] = "a team name is required"
    elif len(team) > MAX_NAME:
        errors["team"] = f"keep the team name under {MAX_NAME} characters"

    taken = _names_of_others(store, rep_id)
    clashes = [f"{alias!r} (used by {taken[match_key(alias)]})" for alias in aliases if match_key(alias) in taken]
    if clashes:
        errors["aliases"] = "already another rep's name or alias: " + ", ".join(clashes) + "; merge the reps instead"
    if "display_name" not in errors and match_key(name) in taken:
        errors["display_name"] = f"{name!r} is already another rep's name or alias; merge the reps instead"
    if errors:
        raise InvalidInput(errors)
    return RepEdit(display_name=name, slug=slug, email=email, team=team, active=bool(edit.active), aliases=aliases)


def update_rep(store: Store, rep_id: int, edit: RepEdit) -> RepEdit:
    """Validate and save a rep's fields; returns what was stored.

    A renamed rep keeps the old name as an alias, so the next export that still
    spells it the old way lands on the same person instead of creating a new rep.
    """
    with store.write() as cur:
        # Checked inside the write: writers take turns, on a lake across every process too, so no other
        # write can take the name, email or link between the check and the save (a lake has no UNIQUE).
        now = Snapshot(cur)
        current = rep_edit(now, rep_id)
        clean = validate_rep_edit(now, rep_id, edit)
        aliases = clean.aliases
        if match_key(current.display_name) != match_key(clean.display_name):
            aliases = _clean_aliases((*aliases, current.display_name))
        aliases = tuple(a for a in aliases if match_key(a) != match_key(clean.display_name))
        stored = dataclasses.replace(clean, aliases=aliases)
        cur.execute(
            "UPDATE reps SET display_name = ?, slug = ?, email = ?, team = ?, active = ?, aliases = ? WHERE rep_id = ?",
            [stored.display_name, stored.slug, stored.email, stored.team, stored.active, list(stored.aliases), rep_id],
        )
    return stored


def roster_table(store: Store) -> pl.DataFrame:
    """Every rep (inactive too) with how much activity they have: for the roster page."""
    return store.frame(
        """
        SELECT r.rep_id, r.display_name AS name, r.slug, r.email, r.team, r.active,
               array_to_string(r.aliases, ', ') AS aliases,
               count(e.event_id) AS events, max(e.occurred_at) AS last_activity
        FROM reps r LEFT JOIN events e USING (rep_id)
        GROUP BY ALL
        ORDER BY r.active DESC, r.display_name, r.rep_id
        """
    )


@dataclass(frozen=True)
class MergeResult:
    kept_rep_id: int
    removed_rep_id: int
    removed_name: str
    events_moved: int
    goals_moved: int
    goals_dropped: int  # the merged rep's goals for a metric and date the kept rep already had
    pto_days_added: int
    quotas_moved: int
    contest_entries_moved: int
    aliases: tuple[str, ...]


# (table, key columns besides rep_id): rows of the merged rep move over unless
# the kept rep already has a row with the same key, in which case the kept
# rep's row wins and the merged one is dropped.
_KEYED_TABLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("goals", ("metric", "effective_from")),
    ("pto", ("day",)),
    ("quotas", ("effective_from",)),
    ("contest_participants", ("contest_id",)),
)


def _move_keyed_rows(cur: duckdb.DuckDBPyConnection, table: str, keys: tuple[str, ...], keep: int, merge: int) -> tuple[int, int]:
    """Move one table's rows from `merge` to `keep`; returns (moved, dropped)."""
    same_key = " AND ".join(f"k.{col} = m.{col}" for col in keys)
    dropped = cur.execute(
        f"DELETE FROM {table} m WHERE m.rep_id = ? AND EXISTS (SELECT 1 FROM {table} k WHERE k.rep_id = ? AND {same_key})",
        [merge, keep],
    ).fetchone()
    moved = cur.execute(f"UPDATE {table} SET rep_id = ? WHERE rep_id = ?", [keep, merge]).fetchone()
    return (int(moved[0]) if moved else 0), (int(dropped[0]) if dropped else 0)


def merge_reps(store: Store, keep_id: int, merge_id: int) -> MergeResult:
    """Fold `merge_id` into `keep_id` (the same person under two names), in one transaction.

    Events, goals, PTO, quotas, contest entries and the coaching log move to the kept rep; where
    both have a goal or quota for the same date the kept rep's wins. The merged
    rep's name, slug and email become aliases of the kept rep so future uploads
    resolve to them, the merged rep is deleted, and the rollups of every
    rep-day involved are rebuilt.
    """
    if keep_id == merge_id:
        raise InvalidInput({"merge": "choose two different reps"})
    keep = rep_edit(store, keep_id)
    merged = rep_edit(store, merge_id)
    catalog = load_catalog(store)
    email = keep.email or merged.email
    extra = [merged.display_name, merged.slug, *merged.aliases]
    if merged.email and merged.email != email:
        extra.append(merged.email)
    aliases = tuple(
        a for a in _clean_aliases((*keep.aliases, *extra)) if match_key(a) != match_key(keep.display_name)
    )
    with store.write() as cur:
        # Both reps' rows for every day the merged rep has events: the merged
        # rep's rollups disappear, the kept rep's are recounted with the new events.
        mark_touched(
            cur,
            "SELECT ?::INTEGER, CAST(occurred_at AS DATE) FROM events WHERE rep_id = ? "
            "UNION SELECT ?::INTEGER, CAST(occurred_at AS DATE) FROM events WHERE rep_id = ?",
            [keep_id, merge_id, merge_id, merge_id],
        )
        moved_events = cur.execute("UPDATE events SET rep_id = ? WHERE rep_id = ?", [keep_id, merge_id]).fetchone()
        counts = {table: _move_keyed_rows(cur, table, keys, keep_id, merge_id) for table, keys in _KEYED_TABLES}
        coaching_log.move_rep(cur, keep_id, merge_id)
        # Rollups of days without events are not in the touched set; clear them all.
        cur.execute("DELETE FROM daily_rollups WHERE rep_id = ?", [merge_id])
        cur.execute("DELETE FROM reps WHERE rep_id = ?", [merge_id])
        cur.execute("UPDATE reps SET aliases = ?, email = ? WHERE rep_id = ?", [list(aliases), email, keep_id])
        refresh_rollups(cur, catalog, touched=True)
    return MergeResult(
        kept_rep_id=keep_id,
        removed_rep_id=merge_id,
        removed_name=merged.display_name,
        events_moved=int(moved_events[0]) if moved_events else 0,
        goals_moved=counts["goals"][0],
        goals_dropped=counts["goals"][1],
        pto_days_added=counts["pto"][0],
        quotas_moved=counts["quotas"][0],
        contest_entries_moved=counts["contest_participants"][0],
        aliases=aliases,
    )


# -- label mapping ------------------------------------------------------------


def _targets_for(kind: LabelKind) -> tuple[str, ...]:
    return ACTIVITY_CLASSES if kind == "activity" else OUTCOME_CLASSES


def _label_column(kind: LabelKind) -> str:
    return "activity_label" if kind == "activity" else "outcome_label"


def label_counts(store: Store) -> pl.DataFrame:
    """Every distinct label in the events with its event count and current mapping.

    Columns: kind, label, events, target (current class, null when unmapped),
    shipped_target, source (override | shipped | unmapped | blank), metrics
    (comma-separated metric keys an activity label counts toward). Unmapped
    first, then by number of events.
    """
    catalog = load_catalog(store)
    shipped = shipped_catalog()
    rows: list[tuple[str, str, int, str | None, str | None, str, str]] = []
    for kind in LABEL_KINDS:
        column = _label_column(kind)
        current = catalog.activity_classes if kind == "activity" else catalog.outcome_classes
        base = shipped.activity_classes if kind == "activity" else shipped.outcome_classes
        for label, events in store.fetchall(
            f"SELECT coalesce({column}, '') AS label, count(*) FROM events GROUP BY ALL ORDER BY 1"
        ):
            if kind == "outcome" and not label:
                continue  # most non-call events carry no outcome; that is not a gap
            target = current.get(label)
            if not label:
                source = "blank"
            elif (kind, label) in catalog.overrides:
                source = "override"
            elif target is None:
                source = "unmapped"
            else:
                source = "shipped"
            metrics = ", ".join(catalog.metrics_for(label, "")) if kind == "activity" else ""
            rows.append((kind, label, int(events), target, base.get(label), source, metrics))
    frame = pl.DataFrame(
        rows,
        schema={
            "kind": pl.String,
            "label": pl.String,
            "events": pl.Int64,
            "target": pl.String,
            "shipped_target": pl.String,
            "source": pl.String,
            "metrics": pl.String,
        },
        orient="row",
    )
    order = {"unmapped": 0, "blank": 1, "override": 2, "shipped": 3}
    return frame.with_columns(_order=pl.col("source").replace_strict(order, return_dtype=pl.Int8)).sort(
        ["kind", "_order", "events", "label"], descending=[False, False, True, False]
    ).drop("_order")


@dataclass(frozen=True)
class MappingChange:
    kind: LabelKind
    label: str
    old_target: str | None
    new_target: str | None
    events_with_label: int
    events_moved: int  # events whose metrics changed
    metric_changes: dict[str, float] = field(default_factory=dict)  # metric -> change in total value


def _with_target(catalog: Catalog, kind: LabelKind, label: str, target: str | None) -> Catalog:
    mapping = dict(catalog.activity_classes if kind == "activity" else catalog.outcome_classes)
    if target is None:
        mapping.pop(label, None)
    else:
        mapping[label] = target
    if kind == "activity":
        return dataclasses.replace(catalog, activity_classes=mapping)
    return dataclasses.replace(catalog, outcome_classes=mapping)


def _events_moved(store: Store, kind: LabelKind, label: str, before: Catalog, after: Catalog) -> int:
    column = _label_column(kind)
    moved = 0
    for activity, outcome, n in store.fetchall(
        f"SELECT coalesce(activity_label, ''), coalesce(outcome_label, ''), count(*) FROM events WHERE {column} = ? GROUP BY ALL",
        [label],
    ):
        if sorted(before.metrics_for(activity, outcome)) != sorted(after.metrics_for(activity, outcome)):
            moved += int(n)
    return moved


_TOTALS_SQL = "SELECT metric, sum(n), sum(amount) FROM daily_rollups GROUP BY ALL"


def _totals(rows: Iterable[tuple[Any, ...]], catalog: Catalog) -> dict[str, float]:
    """Each metric's total value: event count, or amount for amount metrics."""
    totals: dict[str, float] = {}
    for metric, n, amount in rows:
        spec = catalog.metrics.get(metric)
        totals[metric] = float(amount if spec is not None and spec.measure == "amount" else n)
    return totals


def set_label_target(store: Store, kind: str, label: str, target: str | None) -> MappingChange:
    """Map a raw label to a class (or, with `target=None`, back to the shipped mapping).

    The override is stored and every rollup rebuilt in one transaction, so the
    whole history re-maps at once without a re-upload. An override equal to the
    shipped mapping is not stored: the label simply follows the shipped file.
    """
    errors: dict[str, str] = {}
    if kind not in LABEL_KINDS:
        raise InvalidInput({"kind": f"must be one of {', '.join(LABEL_KINDS)}"})
    label_kind: LabelKind = "activity" if kind == "activity" else "outcome"
    key = normalize_label(label)
    if not key:
        errors["label"] = "a blank label cannot be mapped; fix the export's type or subject column instead"
    if target is not None and target not in _targets_for(label_kind):
        errors["target"] = f"{target!r} is not a {kind} class; use one of {', '.join(_targets_for(label_kind))}"
    if errors:
        raise InvalidInput(errors)

    shipped = shipped_catalog()
    shipped_target = (shipped.activity_classes if label_kind == "activity" else shipped.outcome_classes).get(key)
    with store.write() as cur:
        # Read under the write lock so no other change to the mapping can interleave.
        before = load_catalog(store)
        totals_before = _totals(store.fetchall(_TOTALS_SQL), before)
        old = (before.activity_classes if label_kind == "activity" else before.outcome_classes).get(key)
        new = shipped_target if target is None else target
        if target is None or target == shipped_target:
            cur.execute("DELETE FROM label_map WHERE kind = ? AND label = ?", [label_kind, key])
        else:
            upsert(cur, "label_map", ("kind", "label"), {"kind": label_kind, "label": key, "target": target})
        after = _with_target(before, label_kind, key, new)
        refresh_rollups(cur, after, touched=False)
        # This transaction's own view, before it commits.
        totals_after = _totals(cur.execute(_TOTALS_SQL).fetchall(), after)
    events_with_label = int(
        store.scalar(f"SELECT count(*) FROM events WHERE {_label_column(label_kind)} = ?", [key]) or 0
    )
    changes = {
        metric: totals_after.get(metric, 0.0) - totals_before.get(metric, 0.0)
        for metric in sorted(set(totals_before) | set(totals_after))
        if totals_after.get(metric, 0.0) != totals_before.get(metric, 0.0)
    }
    return MappingChange(
        kind=label_kind,
        label=key,
        old_target=old,
        new_target=new,
        events_with_label=events_with_label,
        events_moved=_events_moved(store, label_kind, key, before, after),
        metric_changes=changes,
    )


def clear_label_target(store: Store, kind: str, label: str) -> MappingChange:
    """Drop the team's override for a label; it follows the shipped mapping again."""
    return set_label_target(store, kind, label, None)


# -- settings -----------------------------------------------------------------

_DEFAULTS = TeamSettings()
_EDITABLE = tuple(f.name for f in dataclasses.fields(TeamSettings) if f.name != "extra")


def _coerce_weekday(value: Any) -> int:
    if isinstance(value, str) and not value.strip().isdigit():
        names = [n.lower() for n in WEEKDAY_NAMES]
        text = value.strip().lower()
        matches = [i for i, n in enumerate(names) if n.startswith(text[:3])] if len(text) >= 3 else []
        if len(matches) != 1:
            raise ValueError(f"{value!r} is not a weekday; use Monday … Sunday")
        return matches[0]
    return int(value)


def _coerce_time(value: Any) -> time:
    if isinstance(value, time):
        return value
    text = str(value).strip()
    try:
        return time.fromisoformat(text if len(text) > 2 else f"{int(text):02d}:00")
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a time of day; use HH:MM such as 09:00") from exc


def parse_dates(value: Any) -> tuple[date, ...]:
    """Dates from a list or from text, one per line or separated by commas (ISO: 2026-12-24)."""
    parts = [p.strip() for p in re.split(r"[\r\n,;]+", value) if p.strip()] if isinstance(value, str) else list(value or ())
    days: set[date] = set()
    for part in parts:
        if isinstance(part, date):
            days.add(part)
            continue
        try:
            days.add(date.fromisoformat(str(part).strip()))
        except ValueError as exc:
            raise ValueError(f"{part!r} is not a date; write dates as YYYY-MM-DD (2026-12-24)") from exc
    return tuple(sorted(days))


def _coerce_float(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{value!r} is not a number") from exc
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError("must be a finite number")
    return number


def _coerce(name: str, value: Any) -> Any:
    if name == "week_start":
        return _coerce_weekday(value)
    if name == "working_days":
        days = tuple(sorted({_coerce_weekday(v) for v in (value or ())}))
        return days
    if name in ("day_start", "day_end"):
        return _coerce_time(value)
    if name == "custom_holidays":
        return parse_dates(value)
    if name in ("holiday_country", "holiday_subdivision"):
        text = str(value or "").strip()
        return text.upper() if text else None
    default = getattr(_DEFAULTS, name)
    if isinstance(default, bool):
        return bool(value)
    if isinstance(default, int):
        number = _coerce_float(value)
        if number != int(number):
            raise ValueError(f"{value!r} must be a whole number")
        return int(number)
    if isinstance(default, float):
        return _coerce_float(value)
    text = str(value).strip()
    if not text:
        raise ValueError("cannot be empty")
    return text


def validate_settings(base: TeamSettings, changes: Mapping[str, Any]) -> TeamSettings:
    """`base` with `changes` applied; raises InvalidInput naming every bad field."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name, raw in changes.items():
        if name not in _EDITABLE:
            errors[name] = "not a team setting"
            continue
        try:
            values[name] = _coerce(name, raw)
        except (ValueError, TypeError) as exc:
            errors[name] = str(exc)
    candidate = dataclasses.replace(base, **values)
    # TeamSettings.validated stops at the first problem. Report it, put that
    # field back (to the stored value, then to the default) and check again, so
    # one submit names every bad field.
    fallbacks: dict[str, list[Any]] = {}
    for _ in range(2 * len(_EDITABLE)):
        try:
            candidate.validated()
            break
        except InvalidSetting as exc:
            errors.setdefault(exc.field, exc.message)
            queue = fallbacks.setdefault(exc.field, [getattr(base, exc.field), getattr(_DEFAULTS, exc.field)])
            if not queue:
                break
            candidate = dataclasses.replace(candidate, **{exc.field: queue.pop(0)})
    if errors:
        raise InvalidInput(errors)
    return candidate


def update_settings(store: Store, changes: Mapping[str, Any]) -> TeamSettings:
    """Apply form values to the stored team settings; invalid input changes nothing."""
    settings = validate_settings(load_settings(store), changes)
    save_settings(store, settings)
    return settings
