"""Ingest: CRM export files (CSV or .xlsx) into events, one atomic batch per file.

    result = ingest_path(store, "activities.csv", IngestOptions(date_order="dayfirst"))

A file goes through reading (encoding, delimiter, header row), layout
detection (data/layouts.toml), vectorised validation, rep resolution,
de-duplication against stored events (new, corrected, already stored; the
rules are in docs/identity.md), and a single write transaction with the
daily rollups. A file-level problem raises FileRejected and writes nothing;
AmbiguousDates, AmbiguousAmounts and AmbiguousSource say what to ask.
"""

from __future__ import annotations

from scorecard.ingest.errors import AmbiguousAmounts, AmbiguousDates, AmbiguousSource, BatchNotFound, FileRejected
from scorecard.ingest.layouts import FIELDS, detect_layout, load_layouts
from scorecard.ingest.model import IngestOptions, IngestResult, Progress
from scorecard.ingest.pipeline import (
    FilePreview,
    ingest_bytes,
    ingest_path,
    name_options,
    order_from_name,
    preview_file,
)
from scorecard.ingest.reading import path_problem
from scorecard.ingest.undo import (
    Freshness,
    UndoResult,
    batch_rejects,
    csv_safe,
    data_freshness,
    list_batches,
    undo_batch,
)

__all__ = [
    "FIELDS",
    "AmbiguousAmounts",
    "AmbiguousDates",
    "AmbiguousSource",
    "BatchNotFound",
    "FilePreview",
    "FileRejected",
    "Freshness",
    "IngestOptions",
    "IngestResult",
    "Progress",
    "UndoResult",
    "batch_rejects",
    "csv_safe",
    "data_freshness",
    "detect_layout",
    "ingest_bytes",
    "ingest_path",
    "list_batches",
    "load_layouts",
    "name_options",
    "order_from_name",
    "path_problem",
    "preview_file",
    "undo_batch",
]
