"""CLI commands for data in: ingest, batches, undo, rejects.

All four run through the app while it holds the database, so they write only to
`out()` and `err()`, and `ingest` reads its files through `input_files()`.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from scorecard.calendar import parse_as_of
from scorecard.cli import UsageError, add_command, err, input_files, out
from scorecard.ingest import (
    FIELDS,
    BatchNotFound,
    FileRejected,
    IngestOptions,
    IngestResult,
    batch_rejects,
    csv_safe,
    ingest_bytes,
    list_batches,
    undo_batch,
)
from scorecard.ingest.values import DateOrder, DecimalMark
from scorecard.settings import load_settings
from scorecard.store import Store

DEMO_NOTE = (
    "Your first real data is in, beside the demo team ({reps} demo reps).\n"
    "  Remove the demo team with:  python -m scorecard demo --remove   (undo: python -m scorecard demo --restore)"
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ingest = add_command(
        sub, "ingest", _ingest, "import CRM export files (CSV or .xlsx), one upload batch per file",
        through_app=True, reads="files",
    )  # fmt: skip
    ingest.add_argument("files", nargs="+", type=Path, metavar="FILE")
    ingest.add_argument(
        "--map", action="append", default=[], metavar="FIELD=COLUMN",
        help=f"use COLUMN for FIELD (fields: {', '.join(FIELDS)}); repeatable",
    )
    order = ingest.add_mutually_exclusive_group()
    order.add_argument("--dayfirst", action="store_true", help="dates are day/month/year")
    order.add_argument("--monthfirst", action="store_true", help="dates are month/day/year")
    decimal = ingest.add_mutually_exclusive_group()
    decimal.add_argument("--decimal-comma", action="store_true", help="amounts use a decimal comma (1.234,50)")
    decimal.add_argument("--decimal-point", action="store_true", help="amounts use a decimal point (1,234.50)")
    ingest.add_argument(
        "--source", metavar="NAME", default=None,
        help="the source the file's record ids belong to (e.g. the sheet's name); give the same name on every upload of it",
    )
    ingest.add_argument("--strict", action="store_true", help="refuse a file if any row is rejected")
    ingest.add_argument(
        "--as-of", dest="as_of", default=None,
        help="the moment of the upload, ISO, team-local when naive (default: now); dates more than a day after it are rejected",
    )
    batches = add_command(sub, "batches", _batches, "list uploads, newest first", through_app=True)
    batches.add_argument("--json", action="store_true", help="print JSON")
    undo = add_command(sub, "undo", _undo, "undo an upload (keeps events another upload also carried)", through_app=True)
    undo.add_argument("batch_id", type=int, metavar="BATCH_ID")
    rejects = add_command(sub, "rejects", _rejects, "show the rejected rows of an upload", through_app=True)
    rejects.add_argument("batch_id", type=int, metavar="BATCH_ID")
    rejects.add_argument("--csv", action="store_true", help="print CSV (safe to open in a spreadsheet)")


def parse_map(items: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for item in items:
        field, sep, column = item.partition("=")
        field, column = field.strip(), column.strip()
        if not sep or not field or not column:
            raise UsageError(f"--map {item!r} must look like FIELD=COLUMN, e.g. --map rep='Assigned To'")
        if field not in FIELDS:
            raise UsageError(f"--map: unknown field {field!r}; fields are: {', '.join(FIELDS)}")
        mapping[field] = column
    return mapping


def _summary(path: Path, r: IngestResult) -> str:
    changed = "".join(
        f", {n} {label}" for n, label in ((r.rows_corrected, "corrected"), (r.rows_outdated, "older than a correction, not applied")) if n
    )
    lines = [
        f"{path.name}: batch {r.batch_id} ({r.layout}) — {r.rows_read} rows read, {r.rows_added} added, "
        f"{r.rows_duplicate} already present, {r.rows_rejected} rejected, {r.rows_skipped} skipped{changed}"
    ]
    lines += [f"  note: {note}" for note in r.notes]
    if r.new_reps:
        more = f" and {len(r.new_reps) - 10} more" if len(r.new_reps) > 10 else ""
        lines.append(f"  new reps ({len(r.new_reps)}): {', '.join(r.new_reps[:10])}{more}")
    if r.unmapped_labels:
        shown = ", ".join(f"{label or '(blank)'} ({n})" for label, n in list(r.unmapped_labels.items())[:10])
        lines.append(f"  labels counting toward no metric (map them on the Mapping page): {shown}")
    if r.rows_rejected:
        lines.append(f"  see the rejected rows with: python -m scorecard rejects {r.batch_id}")
    return "\n".join(lines)


def _ingest(args: argparse.Namespace, store: Store) -> int:
    from scorecard import demo

    mapping = parse_map(args.map)
    files = input_files(args.files)  # on this disk, or as sent to the app by the command line
    missing = [str(f.path) for f in files if f.missing()]
    if missing:
        raise UsageError(f"no such file: {', '.join(missing)} (nothing was imported)")
    # Folders, pipes and devices are refused before anything is read or imported.
    problems = [f"{f.path}: {problem}" for f in files if (problem := f.problem())]
    if problems:
        raise UsageError("; ".join(problems) + " (nothing was imported)")
    order: DateOrder | None = "dayfirst" if args.dayfirst else "monthfirst" if args.monthfirst else None
    decimal: DecimalMark | None = "comma" if args.decimal_comma else "point" if args.decimal_point else None
    try:
        as_of = parse_as_of(args.as_of, load_settings(store)) if args.as_of else None
    except ValueError as exc:
        raise UsageError(f"--as-of {args.as_of!r} is not an ISO date or datetime") from exc
    try:
        options = IngestOptions(
            column_map=mapping, date_order=order, decimal_mark=decimal, source_name=args.source, strict=args.strict,
            source="cli", as_of=as_of,
        )
    except ValueError as exc:
        raise UsageError(f"--source {args.source!r}: {exc}") from exc
    first_real = not demo.demo_presence(store).real_batches
    failed = 0
    for file in files:
        try:
            result = ingest_bytes(store, file.path.name, file.read(), options)  # what ingest_path does with a path
        except FileRejected as exc:
            failed += 1
            print(f"error: {exc}", file=err())
            continue
        print(_summary(file.path, result), file=out())
    if first_real and demo.offer_removal(store):
        print(DEMO_NOTE.format(reps=demo.demo_presence(store).reps), file=out())
    return 1 if failed else 0


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return value


def _batches(args: argparse.Namespace, store: Store) -> int:
    frame = list_batches(store)
    if args.json:
        rows = [
            {k: _plain(v) for k, v in row.items()} | {"unmapped_labels": json.loads(row["unmapped_labels"] or "{}")}
            for row in frame.iter_rows(named=True)
        ]
        print(json.dumps(rows, indent=2, ensure_ascii=False), file=out())
        return 0
    if frame.height == 0:
        print("no uploads yet", file=out())
        return 0
    for row in frame.iter_rows(named=True):
        print(
            f"{row['id']:>5}  {row['status']:<6}  {row['uploaded_at']:%Y-%m-%d %H:%M}  {row['file']}  "
            f"+{row['rows_added']} added, {row['rows_duplicate']} dup, {row['rows_rejected']} rejected"
            + (f", {row['rows_corrected']} corrected" if row["rows_corrected"] else ""),
            file=out(),
        )
    return 0


def _undo(args: argparse.Namespace, store: Store) -> int:
    try:
        result = undo_batch(store, args.batch_id)
    except BatchNotFound as exc:
        print(f"error: {exc}", file=err())
        return 1
    print(
        f"batch {result.batch_id} undone: {result.events_removed} events removed, "
        f"{result.events_kept_shared} kept because another upload also carried them"
        + (f", {result.events_restored} back to the version before this upload corrected them" if result.events_restored else ""),
        file=out(),
    )
    return 0


def _rejects(args: argparse.Namespace, store: Store) -> int:
    try:
        frame = batch_rejects(store, args.batch_id)
    except BatchNotFound as exc:
        print(f"error: {exc}", file=err())
        return 1
    stream = out()
    if args.csv:
        stream.buffer.write(csv_safe(frame))
        stream.flush()
        return 0
    if frame.height == 0:
        print(f"batch {args.batch_id} has no rejected rows", file=stream)
    for line_no, column, reason, _raw in frame.iter_rows():
        print(f"line {line_no}, column {column}: {reason}", file=stream)
    return 0
