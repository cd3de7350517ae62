"""Goals, PTO and quotas from small CSV files a manager keeps in a spreadsheet.

Each import is all or nothing: every row is checked first, and a single bad
row writes nothing. The error lists every bad row with its line number,
column and reason, and says what to do, so one round of fixes is enough.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from scorecard.calendar import week_of
from scorecard.catalog import Catalog, load_catalog, normalize_label
from scorecard.goals import (
    QUOTA_PERIODS,
    GoalChange,
    QuotaChange,
    add_pto_rows,
    set_goals,
    set_quotas,
)
from scorecard.roster import match_key
from scorecard.settings import load_settings
from scorecard.store import Store

MAX_PTO_RANGE_DAYS = 366
_PERIOD_WORDS = {"month": "month", "monthly": "month", "quarter": "quarter", "quarterly": "quarter"}
_NO_GOAL = {"none", "no goal", "-"}


@dataclass(frozen=True)
class RowError:
    line: int  # line in the file, header = 1
    column: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column!r}: {self.reason}"


class ImportRejected(ValueError):
    """Nothing was written; `errors` lists every problem found."""

    def __init__(self, kind: str, errors: list[RowError], hint: str) -> None:
        self.kind = kind
        self.errors = errors
        self.hint = hint
        shown = "\n".join(f"  - {e}" for e in errors[:50])
        more = f"\n  … and {len(errors) - 50} more" if len(errors) > 50 else ""
        self.message = f"{kind} import rejected, nothing was written. Fix these rows and import again:\n{shown}{more}\n{hint}"
        super().__init__(self.message)


@dataclass(frozen=True)
class ImportResult:
    kind: str  # goals | pto | quotas
    rows_read: int
    rows_written: int
    reps: list[str] = field(default_factory=list)  # slugs touched

    @property
    def summary(self) -> str:
        return f"{self.kind}: {self.rows_written} written from {self.rows_read} rows for {len(self.reps)} reps"


Source = Path | str | bytes


# -- reading -------------------------------------------------------------------


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _rows(source: Source) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """Header (normalised names) and (line number, row) pairs; blank lines are skipped."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    text = _decode(data)
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] = []
    for record in reader:
        if any(cell.strip() for cell in record):
            header = [normalize_label(cell) for cell in record]
            break

    def body() -> Iterator[tuple[int, dict[str, str]]]:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            line = reader.line_num
            yield line, {name: (record[i].strip() if i < len(record) else "") for i, name in enumerate(header)}

    return header, body()


class RepResolver:
    """Slug, email, display name or alias → rep_id, matched as ingest matches reps (roster.match_key)."""

    def __init__(self, store: Store) -> None:
        self.keys: dict[str, set[int]] = {}
        self.slugs: dict[int, str] = {}
        for rep_id, slug, name, email, aliases in store.fetchall(
            "SELECT rep_id, slug, display_name, email, aliases FROM reps"
        ):
            self.slugs[int(rep_id)] = str(slug)
            for key in [slug, name, email, *(aliases or [])]:
                if key:
                    self.keys.setdefault(match_key(key), set()).add(int(rep_id))

    def resolve(self, text: str) -> tuple[int | None, str]:
        hits = self.keys.get(match_key(text), set())
        if len(hits) == 1:
            return next(iter(hits)), ""
        if not text.strip():
            return None, "empty; give the rep's slug, email or name"
        if not hits:
            return None, f"no rep called {text!r}; use a slug, email or name from the roster (or add the rep first)"
        return None, f"{text!r} matches several reps; use the rep's slug or email instead"


def _number(text: str) -> float | None:
    cleaned = text.replace(" ", "").replace("\u00a0", "")
    if re.fullmatch(r"-?\d{1,3}(\.\d{3})+(,\d+)?", cleaned):  # 1.234,5
        cleaned = cleaned.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"-?\d+,\d{1,2}", cleaned):  # 2,5
        cleaned = cleaned.replace(",", ".")
    else:
        cleaned = cleaned.replace(",", "")
    cleaned = cleaned.lstrip("$€£")
    try:
        return float(cleaned)
    except ValueError:
        return None


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def _require(header: list[str], required: tuple[str, ...], kind: str, hint: str) -> None:
    missing = [name for name in required if name not in header]
    if missing:
        errors = [RowError(1, name, f"missing column (found: {', '.join(header) or 'nothing'})") for name in missing]
        raise ImportRejected(kind, errors, hint)


def _parse_effective(row: dict[str, str], default: date, line: int, errors: list[RowError]) -> date | None:
    text = row.get("effective_from", "")
    if not text:
        return default
    parsed = _date(text)
    if parsed is None:
        errors.append(RowError(line, "effective_from", f"{text!r} is not a date; write it as YYYY-MM-DD"))
    return parsed


def _default_effective(store: Store, today: date) -> date:
    return week_of(today, load_settings(store).week_start).start


# -- goals ---------------------------------------------------------------------

GOALS_HINT = "Columns: rep, metric, weekly_goal, optional effective_from (YYYY-MM-DD; default: the start of this week)."


def _metric_key(catalog: Catalog, text: str) -> str | None:
    wanted = normalize_label(text)
    for metric in catalog.metrics.values():
        if wanted in (metric.key, normalize_label(metric.label), normalize_label(metric.unit)):
            return metric.key
    return None


def import_goals_csv(store: Store, source: Source, *, today: date) -> ImportResult:
    """Import weekly goals; `today` (team-local) dates goals without an `effective_from`."""
    header, rows = _rows(source)
    _require(header, ("rep", "metric", "weekly_goal"), "Goals", GOALS_HINT)
    catalog = load_catalog(store)
    reps = RepResolver(store)
    default = _default_effective(store, today)
    errors: list[RowError] = []
    changes: dict[tuple[int, str, date], GoalChange] = {}
    read = 0
    for line, row in rows:
        read += 1
        before = len(errors)
        rep_id, why = reps.resolve(row["rep"])
        if rep_id is None:
            errors.append(RowError(line, "rep", why))
        metric = _metric_key(catalog, row["metric"])
        if metric is None:
            errors.append(RowError(line, "metric", f"{row['metric']!r} is not a metric; use one of {', '.join(catalog.metrics)}"))
        goal = _goal_value(row["weekly_goal"], line, errors)
        effective = _parse_effective(row, default, line, errors)
        if len(errors) > before or rep_id is None or metric is None or effective is None:
            continue
        key = (rep_id, metric, effective)
        if key in changes:
            errors.append(RowError(line, "metric", f"a second goal for {reps.slugs[rep_id]} / {metric} from {effective}; keep one row"))
            continue
        changes[key] = GoalChange(rep_id, metric, goal, effective)
    if errors:
        raise ImportRejected("Goals", errors, GOALS_HINT)
    written = set_goals(store, catalog, changes.values(), source="import") if changes else 0
    return ImportResult("goals", read, written, sorted({reps.slugs[c.rep_id] for c in changes.values()}))


def _goal_value(text: str, line: int, errors: list[RowError]) -> float | None:
    if normalize_label(text) in _NO_GOAL:
        return None  # "no goal from this date on"
    value = _number(text)
    if value is None or value < 0:
        reason = "empty" if not text else f"{text!r} is not a number of zero or more"
        errors.append(RowError(line, "weekly_goal", f"{reason}; write a number such as 8, or 'none' to remove the goal"))
    return value


# -- PTO -----------------------------------------------------------------------

PTO_HINT = "Columns: rep and date, or rep, start and end (YYYY-MM-DD, both days included)."


def _pto_days(row: dict[str, str], ranged: bool, line: int, errors: list[RowError]) -> list[date]:
    if not ranged:
        day = _date(row["date"])
        if day is None:
            errors.append(RowError(line, "date", f"{row['date']!r} is not a date; write it as YYYY-MM-DD"))
            return []
        return [day]
    start, end = _date(row["start"]), _date(row["end"])
    for name, value in (("start", start), ("end", end)):
        if value is None:
            errors.append(RowError(line, name, f"{row[name]!r} is not a date; write it as YYYY-MM-DD"))
    if start is None or end is None:
        return []
    if end < start:
        errors.append(RowError(line, "end", f"{end} is before start {start}; swap them"))
        return []
    if (end - start).days >= MAX_PTO_RANGE_DAYS:
        errors.append(RowError(line, "end", f"a range of more than {MAX_PTO_RANGE_DAYS} days; split it or check the year"))
        return []
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def import_pto_csv(store: Store, source: Source) -> ImportResult:
    """Import PTO days: one day per row, or inclusive start–end ranges."""
    header, rows = _rows(source)
    ranged = "start" in header or "end" in header
    _require(header, ("rep", "start", "end") if ranged else ("rep", "date"), "PTO", PTO_HINT)
    reps = RepResolver(store)
    errors: list[RowError] = []
    days: set[tuple[int, date]] = set()
    read = 0
    for line, row in rows:
        read += 1
        rep_id, why = reps.resolve(row["rep"])
        if rep_id is None:
            errors.append(RowError(line, "rep", why))
        found = _pto_days(row, ranged, line, errors)
        if rep_id is not None:
            days |= {(rep_id, day) for day in found}
    if errors:
        raise ImportRejected("PTO", errors, PTO_HINT)
    written = add_pto_rows(store, days)
    return ImportResult("pto", read, written, sorted({reps.slugs[rep_id] for rep_id, _ in days}))


# -- quotas --------------------------------------------------------------------

QUOTAS_HINT = (
    "Columns: rep, amount, period (month or quarter), optional effective_from "
    "(YYYY-MM-DD; default: the start of this week)."
)


def import_quotas_csv(store: Store, source: Source, *, today: date) -> ImportResult:
    """Import quotas (amount per month or quarter, effective-dated)."""
    header, rows = _rows(source)
    _require(header, ("rep", "amount", "period"), "Quotas", QUOTAS_HINT)
    reps = RepResolver(store)
    default = _default_effective(store, today)
    errors: list[RowError] = []
    changes: dict[tuple[int, date], QuotaChange] = {}
    read = 0
    for line, row in rows:
        read += 1
        before = len(errors)
        rep_id, why = reps.resolve(row["rep"])
        if rep_id is None:
            errors.append(RowError(line, "rep", why))
        amount = _number(row["amount"])
        if amount is None or amount <= 0:
            errors.append(RowError(line, "amount", f"{row['amount']!r} is not an amount above zero; write it as 40000"))
        period = _PERIOD_WORDS.get(normalize_label(row["period"]))
        if period is None:
            errors.append(RowError(line, "period", f"{row['period']!r}: write {' or '.join(QUOTA_PERIODS)}"))
        effective = _parse_effective(row, default, line, errors)
        if len(errors) > before or rep_id is None or amount is None or period is None or effective is None:
            continue
        if (rep_id, effective) in changes:
            errors.append(RowError(line, "rep", f"a second quota for {reps.slugs[rep_id]} from {effective}; keep one row"))
            continue
        changes[(rep_id, effective)] = QuotaChange(rep_id, amount, period, effective)
    if errors:
        raise ImportRejected("Quotas", errors, QUOTAS_HINT)
    written = set_quotas(store, changes.values())
    return ImportResult("quotas", read, written, sorted({reps.slugs[c.rep_id] for c in changes.values()}))

