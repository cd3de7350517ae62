"""Bytes to an all-string Polars frame: encoding, delimiter, header row, xlsx.

Every value is read as text first; validation happens later, column by column.
Each row carries `__line`, the 1-based line (or sheet row) a spreadsheet user
would see, so rejected rows can be found in the original file.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath

import charset_normalizer
import polars as pl

from scorecard.ingest.errors import FileRejected

LINE = "__line"
DELIMITERS = (",", ";", "\t", "|")
CSV_SUFFIXES = {".csv", ".txt", ".tsv", ".tab", ""}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
_HEAD_LINES = 60
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")


@dataclass(frozen=True)
class RawTable:
    frame: pl.DataFrame  # header columns as strings, plus LINE
    columns: list[str]
    header_line: int
    skipped_before: int  # non-blank title lines above the header
    encoding: str
    delimiter: str | None


def read_table(name: str, data: bytes, known_labels: set[str]) -> RawTable:
    """Read an upload into strings; raises FileRejected for anything that is not a table."""
    suffix = PurePath(name).suffix.lower()
    if not data or not data.strip():
        raise FileRejected(name, "the file is empty. Export the report again and upload the new file.")
    if data.startswith(b"PK\x03\x04") or suffix in XLSX_SUFFIXES:
        return _read_xlsx(name, data, known_labels)
    if suffix == ".xls":
        raise FileRejected(name, "old Excel .xls files are not supported. Save it as .xlsx or CSV and upload that.")
    if suffix not in CSV_SUFFIXES:
        raise FileRejected(name, f"unsupported file type {suffix!r}. Upload a CSV (.csv, .txt, .tsv) or Excel (.xlsx) export.")
    text, encoding = decode(name, data)
    return _read_text(name, text, encoding, data if encoding == "utf-8" else None, known_labels)


def decode(name: str, data: bytes) -> tuple[str, str]:
    """Text and encoding: BOMs first, then strict UTF-8, then charset-normalizer's best guess."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding.replace("-sig", "")), encoding
            except UnicodeDecodeError as exc:
                raise FileRejected(name, f"the file starts as {encoding} text but is damaged at byte {exc.start}. Export it again.") from exc
    if b"\x00" in data[:8192]:
        raise FileRejected(name, "this is not a text table (binary content). Upload the CSV or .xlsx export of the report.")
    try:
        text, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        text, encoding = _decode_legacy(name, data, exc.start)
    if len(_CONTROL.findall(text[:8192])) > 8:
        raise FileRejected(name, "this is not a text table (binary content). Upload the CSV or .xlsx export of the report.")
    return text, encoding


def _decode_legacy(name: str, data: bytes, bad_at: int) -> tuple[str, str]:
    # Sample the head and the neighbourhood of the first non-UTF-8 byte: that is where the evidence is.
    sample = data[:32768] + b"\n" + data[max(0, bad_at - 16384): bad_at + 16384]
    matches = charset_normalizer.from_bytes(sample)
    best = matches.best()
    candidates = [best.encoding] if best is not None else []
    if best is not None:
        # Short samples often score cp1250/cp1252/cp1257 the same; Western exports are the common case.
        tied = {m.encoding for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)}
        candidates = [e for e in ("cp1252", "iso8859_15", "latin_1") if e in tied] + candidates
    candidates += ["cp1252", "latin-1"]
    for encoding in candidates:
        try:
            return data.decode(encoding), codecs.lookup(encoding).name
        except (UnicodeDecodeError, LookupError):
            continue
    raise FileRejected(name, "the text encoding could not be recognised. Export the report as UTF-8 CSV.")  # pragma: no cover


def _normal(label: str) -> str:
    return " ".join(label.replace("\ufeff", "").split()).lower()


def _sniff(name: str, lines: list[str]) -> str:
    best: tuple[int, int, int] = (0, 0, 0)
    chosen = ""
    for rank, delimiter in enumerate(DELIMITERS):
        # Title and footer lines are single cells under every delimiter: only wider rows are evidence.
        counts = [len(row) for row in csv.reader(lines, delimiter=delimiter) if len(row) > 1]
        if not counts:
            continue
        width, frequency = Counter(counts).most_common(1)[0]
        score = (frequency, width, -rank)
        if score > best:
            best, chosen = score, delimiter
    if not chosen:
        raise FileRejected(
            name, "no columns found: the file has no comma, semicolon, tab or | separated table. Upload the CSV or .xlsx export."
        )
    return chosen


def _header_index(rows: list[list[str]], known_labels: set[str]) -> int:
    """First row naming at least two known columns; else the first row as wide as the table."""
    widths = [sum(1 for c in row if c.strip()) for row in rows]
    for i, row in enumerate(rows):
        if sum(1 for cell in row if _normal(cell) in known_labels) >= 2:
            return i
    width = Counter(w for w in widths if w > 1).most_common(1)
    target = width[0][0] if width else 1
    return next((i for i, w in enumerate(widths) if w >= target), 0)


def _read_text(name: str, text: str, encoding: str, utf8: bytes | None, known_labels: set[str]) -> RawTable:
    head = text[:262144].split("\n")[:_HEAD_LINES]
    head = [line.rstrip("\r") for line in head]
    delimiter = _sniff(name, head)
    rows = [next(csv.reader([line], delimiter=delimiter), []) for line in head]
    candidates = [i for i, row in enumerate(rows) if any(c.strip() for c in row)]
    header_at = candidates[_header_index([rows[i] for i in candidates], known_labels)]
    offset = sum(len(line) + 1 for line in text.split("\n", header_at)[:header_at])
    body = utf8[len(text[:offset].encode()):] if utf8 is not None else text[offset:].encode()
    try:
        frame = pl.read_csv(
            io.BytesIO(body),
            separator=delimiter,
            infer_schema=False,
            truncate_ragged_lines=True,
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError as exc:
        raise FileRejected(name, f"the table could not be read ({str(exc).splitlines()[0]}). Export the report again as CSV.") from exc
    # One line per row (the usual case) unless a quoted cell holds a line break.
    lines = body.count(b"\n") + (0 if body.endswith(b"\n") else 1)
    frame = _with_lines(frame, header_at + 1, multiline_possible=lines != frame.height + 1)
    return RawTable(
        frame=frame,
        columns=[c for c in frame.columns if c != LINE],
        header_line=header_at + 1,
        skipped_before=sum(1 for i in candidates if i < header_at),
        encoding=encoding,
        delimiter=delimiter,
    )


def _with_lines(frame: pl.DataFrame, header_line: int, *, multiline_possible: bool = True) -> pl.DataFrame:
    """Add the 1-based file line of each row, counting line breaks inside quoted cells."""
    frame = frame.rename({c: c.replace("\ufeff", "").strip() or f"column {i + 1}" for i, c in enumerate(frame.columns)})
    multiline = [c for c in frame.columns if multiline_possible and frame[c].str.contains("\n", literal=True).any()]
    if multiline:
        extra = pl.sum_horizontal(pl.col(c).str.count_matches("\n", literal=True).fill_null(0) for c in multiline)
        start = header_line + 1 + pl.int_range(pl.len(), dtype=pl.Int64) + extra.cum_sum().shift(1, fill_value=0)
    else:
        start = header_line + 1 + pl.int_range(pl.len(), dtype=pl.Int64)
    return frame.with_columns(start.cast(pl.Int64).alias(LINE))


def _read_xlsx(name: str, data: bytes, known_labels: set[str]) -> RawTable:
    try:
        sheet = pl.read_excel(
            io.BytesIO(data), engine="calamine", has_header=False, infer_schema_length=0, raise_if_empty=False
        )
    except Exception as exc:  # fastexcel raises its own exception types for damaged workbooks
        raise FileRejected(name, "the Excel file is damaged or not really .xlsx. Open it in Excel, save it again as .xlsx, and upload that.") from exc
    if sheet.height == 0:
        raise FileRejected(name, "the first sheet of the workbook is empty. Put the export on the first sheet and upload again.")
    sheet = sheet.select(pl.all().cast(pl.String))
    head = [[cell or "" for cell in row] for row in sheet.head(_HEAD_LINES).iter_rows()]
    candidates = [i for i, row in enumerate(head) if any(c.strip() for c in row)]
    header_at = candidates[_header_index([head[i] for i in candidates], known_labels)]
    names = _unique(cell.strip() or f"column {i + 1}" for i, cell in enumerate(head[header_at]))
    body = sheet.slice(header_at + 1).rename(dict(zip(sheet.columns, names, strict=True)))
    body = body.with_columns((header_at + 2 + pl.int_range(pl.len(), dtype=pl.Int64)).alias(LINE))
    return RawTable(
        frame=body,
        columns=names,
        header_line=header_at + 1,
        skipped_before=sum(1 for i in candidates if i < header_at),
        encoding="xlsx",
        delimiter=None,
    )


def _unique(names: Iterable[str]) -> list[str]:
    seen: Counter[str] = Counter()
    out = []
    for label in names:
        seen[label] += 1
        out.append(label if seen[label] == 1 else f"{label}_{seen[label]}")
    return out
