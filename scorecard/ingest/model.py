"""What an upload is asked to do, what it found in the file, and what it did."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import polars as pl

from scorecard.ingest.identity import check_source_name
from scorecard.ingest.layouts import FIELDS, Detected
from scorecard.ingest.values import DateOrder, DecimalMark
from scorecard.roster import MergeProposal

Progress = Callable[[float, str], None]


def noop(_fraction: float, _text: str) -> None:
    return None


@dataclass(frozen=True)
class IngestOptions:
    column_map: dict[str, str] = field(default_factory=dict)
    date_order: DateOrder | None = None
    strict: bool = False
    source: str = "cli"  # the channel: upload | cli | inbox | demo
    decimal_mark: DecimalMark | None = None
    # The record-id source (docs/identity.md); None = decided by the layout and id column.
    source_name: str | None = None
    # The moment of the upload, team-local and naive: dates more than a day after it are refused.
    # None = now. Tests pass it so that nothing depends on the clock.
    as_of: datetime | None = None

    def __post_init__(self) -> None:
        unknown = [f for f in self.column_map if f not in FIELDS]
        if unknown:
            raise ValueError(f"unknown field {unknown[0]!r} in the column mapping; fields are: {', '.join(FIELDS)}")
        if self.date_order not in (None, "dayfirst", "monthfirst"):
            raise ValueError("date_order must be 'dayfirst', 'monthfirst' or None")
        if self.decimal_mark not in (None, "comma", "point"):
            raise ValueError("decimal_mark must be 'comma', 'point' or None")
        if self.source_name is not None:
            problem = check_source_name(self.source_name)
            if problem:
                raise ValueError(problem)


@dataclass(frozen=True)
class IngestResult:
    batch_id: int
    file_name: str
    layout: str
    rows_read: int
    rows_added: int
    rows_duplicate: int  # already stored as they are (including rows matched in another source)
    rows_rejected: int
    rows_skipped: int
    new_reps: list[str]
    unmapped_labels: dict[str, int]
    data_from: datetime | None
    data_to: datetime | None
    rows_corrected: int = 0  # records stored before with different details: this upload's version now counts
    rows_outdated: int = 0  # records repeating a version a later upload already corrected: not applied
    record_source: str = ""
    matched_sources: dict[str, int] = field(default_factory=dict)  # other source -> rows that matched its events
    merge_proposals: list[MergeProposal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Prepared:
    """A file validated in memory, ready to be written."""

    file_name: str
    columns: list[str]  # every column of the file, matched or not
    detected: Detected
    events: pl.DataFrame  # one row per event to link (duplicates included)
    rejects: pl.DataFrame  # line_no, column_name, reason, raw
    rows_read: int
    rows_skipped: int
    unmapped_labels: dict[str, int]
    date_order: DateOrder | None
    warnings: list[str]
    sha256: str
    record_source: str = ""
    source_given: bool = False
    decimal: str = "."
