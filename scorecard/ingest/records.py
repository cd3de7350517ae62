"""Events stated one by one (the HTTP API, CRM webhooks) into one batch, as a file's rows are.

    outcome = ingest_records(store, [{"id": "c-1", "rep": "Ana Lopez", "type": "Call",
                                      "occurred_at": "2026-11-18T10:30:00-05:00"}],
                             RecordOptions(channel="api", label="API (token crm-sync)"))

Each record is checked field by field (a row that fails is rejected with the
field and what to do, and kept with the batch's rejected rows), converted to
the team's time zone, and turned into the same prepared frame a file becomes.
The write is the file path's own (`commit_prepared`): the same rep matching,
event identity, de-duplication, daily totals, upload history and undo.
Record ids are namespaced by CRM and kind as a file's are, so an event sent
by a webhook and the same record in that CRM's export are one event.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from scorecard.catalog import Catalog, load_catalog, normalize_label
from scorecard.ingest.identity import record_source
from scorecard.ingest.layouts import Detected, Layout
from scorecard.ingest.model import IngestOptions, IngestResult, Prepared
from scorecard.ingest.writing import AfterCommit, commit_prepared
from scorecard.settings import load_settings
from scorecard.store import Store

FIELDS = ("id", "rep", "type", "occurred_at", "outcome", "subject", "amount", "currency", "source")
MAX_TEXT = 2000  # characters in one text field
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")  # a rep given as an email address, not a name with an @ in it
_REJECT_SCHEMA = {"line_no": pl.Int32, "column_name": pl.String, "reason": pl.String, "raw": pl.String}


@dataclass(frozen=True)
class RecordOptions:
    channel: str  # the batch's source in the upload history: api | webhook
    label: str  # the batch's name in the upload history
    crm: str = "API"  # with `kind`, the namespace of record ids (as a file's layout gives it)
    kind: str = "activity"  # activity | deal
    layout: str = "api"  # shown as the batch's layout in the upload history
    strict: bool = False  # refuse the whole request when any row is rejected
    currency: str | None = None  # the team's currency code; amounts in another one are rejected


@dataclass(frozen=True)
class RowProblem:
    row: int  # 1-based position in the request
    field: str
    reason: str

    def as_json(self) -> dict[str, object]:
        return {"row": self.row, "field": self.field, "reason": self.reason}


class RecordsRejected(ValueError):
    """Nothing was written: every row failed, or some did in strict mode."""

    def __init__(self, message: str, problems: Sequence[RowProblem]) -> None:
        super().__init__(message)
        self.message = message
        self.problems = list(problems)


@dataclass(frozen=True)
class RecordsOutcome:
    result: IngestResult
    problems: list[RowProblem] = field(default_factory=list)


@dataclass(frozen=True)
class _Row:
    row: int
    record_id: str
    rep: str | None
    email: str | None
    occurred_at: datetime
    raw_type: str
    raw_outcome: str | None
    raw_subject: str | None
    amount: float | None


class _Invalid(Exception):
    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field_name
        self.reason = reason


def _text(record: Mapping[str, Any], name: str, *, required: bool, what: str) -> str | None:
    value = record.get(name)
    if isinstance(value, bool) or (value is not None and not isinstance(value, str | int | float)):
        raise _Invalid(name, f"must be text; send {what} as a JSON string")
    text = None if value is None else str(value).strip()
    if not text:
        if required:
            raise _Invalid(name, f"is missing; send {what}")
        return None
    if len(text) > MAX_TEXT:
        raise _Invalid(name, f"is {len(text):,} characters long; send at most {MAX_TEXT:,}")
    return text


def _moment(record: Mapping[str, Any], zone: ZoneInfo) -> datetime:
    text = _text(record, "occurred_at", required=True, what="when it happened, e.g. 2026-11-18T10:30:00-05:00")
    assert text is not None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _Invalid("occurred_at", f"{text!r} is not an ISO 8601 date-time; send e.g. 2026-11-18T10:30:00-05:00") from None
    if moment.tzinfo is None:
        raise _Invalid(
            "occurred_at", f"{text!r} has no UTC offset; add one, e.g. 2026-11-18T10:30:00-05:00 or 2026-11-18T15:30:00Z"
        )
    # Events are stored naive in the team's time zone, as exports give them.
    return moment.astimezone(zone).replace(tzinfo=None)


def _amount(record: Mapping[str, Any], team_currency: str | None) -> float | None:
    value = record.get("amount")
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _Invalid("amount", f"{value!r} is not a number; send a JSON number such as 1234.5")
    currency = _text(record, "currency", required=False, what="a currency code such as USD")
    if currency is not None:
        if len(currency) != 3 or not currency.isalpha():
            raise _Invalid("currency", f"{currency!r} is not a currency code; send three letters such as USD")
        if team_currency and currency.upper() != team_currency.upper():
            raise _Invalid(
                "currency", f"the amount is in {currency.upper()} but the team counts {team_currency.upper()}: convert it before sending"
            )
    return float(value)


def _source_matches(record: Mapping[str, Any], crm: str) -> None:
    source = _text(record, "source", required=False, what="the CRM the event comes from")
    if source is not None and source.casefold() != crm.casefold():
        raise _Invalid("source", f"is {source!r} but this request's events are from {crm!r}: send each source in its own request")


def _row(position: int, record: object, zone: ZoneInfo, options: RecordOptions) -> _Row:
    if not isinstance(record, Mapping):
        raise _Invalid("", "is not a JSON object; send each event as an object with id, rep, type and occurred_at")
    record_id = _text(record, "id", required=True, what="the event's id in your CRM, so a retry is recognised")
    rep = _text(record, "rep", required=True, what="the rep's name or email")
    kind = _text(record, "type", required=True, what="the activity type, e.g. Call or Meeting")
    outcome = _text(record, "outcome", required=False, what="the outcome, e.g. Connected")
    subject = _text(record, "subject", required=False, what="a subject line")
    moment = _moment(record, zone)
    amount = _amount(record, options.currency)
    _source_matches(record, options.crm)
    assert record_id is not None and rep is not None and kind is not None
    email = rep if _EMAIL.match(rep) else None
    return _Row(position, record_id, None if email else rep, email, moment, kind, outcome, subject, amount)


def _raw(record: object) -> str:
    try:
        return json.dumps(record, ensure_ascii=False, default=str)[:20_000]
    except (TypeError, ValueError):
        return json.dumps(str(record))[:20_000]


def check_records(records: Sequence[object], zone: ZoneInfo, options: RecordOptions) -> tuple[list[_Row], list[RowProblem], list[str]]:
    """Valid rows, the problems of the others (row, field, reason) and the others' raw JSON."""
    rows: list[_Row] = []
    problems: list[RowProblem] = []
    raws: list[str] = []
    for position, record in enumerate(records, start=1):
        try:
            rows.append(_row(position, record, zone, options))
        except _Invalid as bad:
            problems.append(RowProblem(position, bad.field, bad.reason))
            raws.append(_raw(record))
    return rows, problems, raws


def _events(rows: list[_Row]) -> pl.DataFrame:
    """The frame the file path's prepare builds: one row per event, labels normalised."""
    activity = [normalize_label(r.raw_type) for r in rows]
    frame = pl.DataFrame(
        {
            "seq": list(range(len(rows))),
            "line_no": [r.row for r in rows],
            "rep": [r.rep for r in rows],
            "email": [r.email for r in rows],
            "team": [None] * len(rows),
            "occurred_at": [r.occurred_at for r in rows],
            "raw_type": [r.raw_type for r in rows],
            "raw_outcome": [r.raw_outcome for r in rows],
            "raw_subject": [r.raw_subject for r in rows],
            "amount": [r.amount for r in rows],
            # Amounts in another currency are rejected above, so a stated amount is in the team's.
            "currency": [None] * len(rows),
            "record_id": [r.record_id for r in rows],
            "activity_label": activity,
            "outcome_label": [normalize_label(r.raw_outcome) for r in rows],
        },
        schema={
            "seq": pl.UInt32,
            "line_no": pl.Int64,
            "rep": pl.String,
            "email": pl.String,
            "team": pl.String,
            "occurred_at": pl.Datetime("us"),
            "raw_type": pl.String,
            "raw_outcome": pl.String,
            "raw_subject": pl.String,
            "amount": pl.Float64,
            "currency": pl.String,
            "record_id": pl.String,
            "activity_label": pl.String,
            "outcome_label": pl.String,
        },
    )
    return frame


def _unmapped(events: pl.DataFrame, catalog: Catalog) -> dict[str, int]:
    counts = events.group_by("activity_label").len().rows()
    unmapped = {str(label): int(n) for label, n in counts if catalog.activity_class(str(label)) is None}
    return dict(sorted(unmapped.items(), key=lambda kv: (-kv[1], kv[0])))


def prepare_records(
    records: Sequence[object], options: RecordOptions, zone: str, catalog: Catalog, digest: str
) -> tuple[Prepared, list[RowProblem]]:
    """Validate in memory; raises RecordsRejected (nothing to write) or returns the prepared batch."""
    if not records:
        raise RecordsRejected("the request carries no events; send at least one", [])
    rows, problems, raws = check_records(records, ZoneInfo(zone), options)
    if not rows:
        raise RecordsRejected(f"every one of the {len(records)} events was rejected; nothing was written", problems)
    if problems and options.strict:
        raise RecordsRejected(f"{len(problems)} of {len(records)} events were rejected and strict mode is on; nothing was written", problems)
    events = _events(rows)
    rejects = pl.DataFrame(
        {
            "line_no": [p.row for p in problems],
            "column_name": [p.field for p in problems],
            "reason": [p.reason for p in problems],
            "raw": raws,
        },
        schema=_REJECT_SCHEMA,
    )
    layout = Layout(name=options.layout, crm=options.crm, kind=options.kind, aliases={}, hints=())
    prepared = Prepared(
        file_name=options.label,
        columns=list(FIELDS),
        detected=Detected(layout=layout, column_map={f: f for f in FIELDS}, score=0),
        events=events,
        rejects=rejects,
        rows_read=len(records),
        rows_skipped=0,
        unmapped_labels=_unmapped(events, catalog),
        date_order=None,
        warnings=[],
        sha256=digest,
        # Namespaced as the same CRM's exports are, so a webhook and an export of one record count once.
        record_source=record_source(options.crm, options.kind, None, None),
        source_given=True,  # never a generic sheet: no clash of sheets to guard against
    )
    return prepared, problems


def ingest_records(
    store: Store,
    records: Sequence[object],
    options: RecordOptions,
    *,
    body: bytes = b"",
    after: AfterCommit | None = None,
) -> RecordsOutcome:
    """One request's events as one batch in one transaction; `after` runs inside it (the audit row)."""
    settings = load_settings(store)
    catalog = load_catalog(store)
    prepared, problems = prepare_records(records, options, settings.timezone, catalog, hashlib.sha256(body).hexdigest())
    result = commit_prepared(store, prepared, IngestOptions(source=options.channel), after=after)
    return RecordsOutcome(result, problems)
