"""Bytes to an all-string Polars frame: encoding, delimiter, header row, xlsx.

Every value is read as text first; validation happens later, column by column.
Each row carries `__line`, the 1-based line (or sheet row) a spreadsheet user
would see, so rejected rows can be found in the original file.

Hostile or broken input ends in FileRejected with a message naming the file
and what to do, in memory bounded by the file's size: paths that are not
regular files, files over MAX_FILE_BYTES, lines over MAX_LINE_BYTES, binary
content, and text that decoded wrong (mojibake) are refused before parsing.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import stat
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePath

import charset_normalizer
import numpy as np
import polars as pl

from scorecard.ingest import xlsx
from scorecard.ingest.errors import FileRejected

LINE = "__line"
DELIMITERS = (",", ";", "\t", "|")
CSV_SUFFIXES = {".csv", ".txt", ".tsv", ".tab", ""}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
_HEAD_LINES = 60
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")
MAX_FILE_BYTES = 512 * 1024 * 1024
MAX_LINE_BYTES = 1024 * 1024  # no export row is this long; a longer line is not a table
MAX_NUL_SHARE = 0.001  # a few stray NUL bytes are stripped; more means binary content
MAX_XLSX_GRID = 30_000_000  # columns x rows of the table built from a sheet's filled cells
_MOJIBAKE_START = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]+"
)
# The same test for Polars (Rust regex): a cell worth a closer look.
_SUSPECT = (
    "\uFFFD|[\u0080-\u009F]|[\u00C2-\u00F4][\u0080-\u00BF\u0152\u0153\u0160\u0161\u0178\u017D\u017E\u0192\u02C6\u02DC"
    "\u2013\u2014\u2018-\u201E\u2020-\u2022\u2026\u2030\u2039\u203A\u20AC\u2122]"
    "|[A-Za-z\u00C0-\u024F][\u0370-\u03FF\u0400-\u04FF\u0590-\u05FF\u0600-\u06FF\u0E00-\u0E7F]"
    "|[\u0370-\u03FF\u0400-\u04FF\u0590-\u05FF\u0600-\u06FF\u0E00-\u0E7F][A-Za-z\u00C0-\u024F]"
)
csv.field_size_limit(MAX_LINE_BYTES + 1)


@dataclass(frozen=True)
class RawTable:
    frame: pl.DataFrame  # header columns as strings, plus LINE
    columns: list[str]
    header_line: int
    skipped_before: int  # non-blank title lines above the header
    encoding: str
    delimiter: str | None
    notes: list[str] = field(default_factory=list)  # what reading changed, for the upload summary
    # Sheet cells that hold no usable value: column -> {line: "no value" | "number" | "error:#N/A"}
    cell_issues: dict[str, dict[int, str]] = field(default_factory=dict)


def path_problem(path: Path) -> str | None:
    """Why `path` cannot be read as an upload, without opening it (a FIFO would block); None if it can."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return "there is no such file. Check the path"
    except OSError as exc:
        return f"cannot be read ({exc.strerror}). Check the path and permissions"
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        return "is a folder, not a file. Give (or drop) the export files inside it one by one"
    if stat.S_ISFIFO(mode):
        return "is a named pipe (FIFO), not a file. Save the export to a regular file and give that"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a file. Give the path of the exported CSV or .xlsx file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a file. Give the path of the exported CSV or .xlsx file"
    if not stat.S_ISREG(mode):
        return "is not a regular file. Give the path of the exported CSV or .xlsx file"
    if info.st_size > MAX_FILE_BYTES:
        return f"is {info.st_size / 1_048_576:,.0f} MB; uploads are limited to {MAX_FILE_BYTES // 1_048_576} MB. Export a shorter date range"
    return None


def read_path(path: Path) -> bytes:
    """The bytes of an upload on disk, refusing anything but a regular file of bounded size."""
    problem = path_problem(path)
    if problem is not None:
        raise FileRejected(path.name or str(path), problem + ". Nothing was imported.")
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)  # bounded even if the file grows after the check
    except OSError as exc:
        raise FileRejected(path.name, f"cannot be read ({exc.strerror}). Check the path and permissions.") from exc
    if len(data) > MAX_FILE_BYTES:
        raise FileRejected(path.name, f"is larger than {MAX_FILE_BYTES // 1_048_576} MB. Export a shorter date range.")
    return data


def read_table(name: str, data: bytes, known_labels: set[str]) -> RawTable:
    """Read an upload into strings; raises FileRejected for anything that is not a table."""
    suffix = PurePath(name).suffix.lower()
    if len(data) > MAX_FILE_BYTES:
        raise FileRejected(name, f"is larger than {MAX_FILE_BYTES // 1_048_576} MB. Export a shorter date range.")
    if not data or data.isspace():  # isspace scans without copying a large upload
        raise FileRejected(name, "the file is empty. Export the report again and upload the new file.")
    if data.startswith(b"PK\x03\x04") or suffix in XLSX_SUFFIXES:
        table = _read_xlsx(name, data, known_labels)
    elif suffix == ".xls":
        raise FileRejected(name, "old Excel .xls files are not supported. Save it as .xlsx or CSV and upload that.")
    elif suffix not in CSV_SUFFIXES:
        raise FileRejected(name, f"unsupported file type {suffix!r}. Upload a CSV (.csv, .txt, .tsv) or Excel (.xlsx) export.")
    else:
        data, notes = _strip_nul(name, data)
        _check_line_length(name, data)
        text, encoding, decoded = decode_with_notes(name, data)
        notes.extend(decoded)
        if "\n" not in text and "\r" in text:
            # Classic Mac OS line endings: CR alone ends each line.
            text, encoding = text.replace("\r", "\n"), encoding + " (CR line endings)"
            notes.append("lines end with CR only (old Mac format); read as ordinary lines")
        utf8 = data if encoding == "utf-8" else None
        table = _read_text(name, text, encoding, utf8, known_labels)
        table.notes.extend(notes)
        if text.isascii():  # O(1) in CPython: pure ASCII cannot hold mojibake
            return table
    _check_garbled(name, table)
    return table


def _strip_nul(name: str, data: bytes) -> tuple[bytes, list[str]]:
    """A few stray NUL bytes (a flaky export or copy) are removed with a note; many mean binary content."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data, []  # UTF-16 text is half NUL bytes by design
    count = data.count(b"\x00")
    if not count:
        return data, []
    first = data.index(b"\x00")
    line = data.count(b"\n", 0, first) + 1
    if count > max(8, len(data) * MAX_NUL_SHARE) or first < 512 and count > 2:
        raise FileRejected(
            name,
            f"this is not a text table (binary content: {count:,} NUL bytes, the first on line {line}). "
            "Upload the CSV or .xlsx export of the report.",
        )
    noun = "byte" if count == 1 else "bytes"
    return data.replace(b"\x00", b""), [f"removed {count} NUL {noun} (invisible control characters; the first on line {line})"]


def _check_line_length(name: str, data: bytes) -> None:
    """Refuse a line longer than MAX_LINE_BYTES, scanning in chunks so memory stays bounded."""
    if len(data) <= MAX_LINE_BYTES:
        return
    view = np.frombuffer(data, dtype=np.uint8)
    chunk = 8 * 1024 * 1024
    last_break = -1  # CR and LF both end a line here; CRLF just makes an empty one
    for start in range(0, len(view), chunk):
        part = view[start:start + chunk]
        breaks = np.flatnonzero((part == 10) | (part == 13)) + start
        if breaks.size:
            gaps = np.diff(breaks, prepend=last_break)
            if int(gaps.max()) > MAX_LINE_BYTES:
                at = int(np.argmax(gaps > MAX_LINE_BYTES))
                _too_long(name, data, int(breaks[at] - gaps[at]) + 1, int(gaps[at]))
            last_break = int(breaks[-1])
        if start + len(part) - last_break > MAX_LINE_BYTES:
            _too_long(name, data, last_break + 1, start + len(part) - last_break)


def _too_long(name: str, data: bytes, begins: int, length: int) -> None:
    # Classic Mac files end lines with CR alone; count those there (find() scans without copying).
    newline = b"\r" if data.find(b"\n", 0, begins) == -1 and data.find(b"\r", 0, begins) != -1 else b"\n"
    line = data.count(newline, 0, begins) + 1
    raise FileRejected(
        name,
        f"line {line:,} is over {max(length // 1_048_576, 1):,} MB long (the limit is {MAX_LINE_BYTES // 1_048_576} MB per line), "
        "so this is not a table of rows. Export the report again as CSV or .xlsx.",
    )


def _mojibake(text: str) -> str | None:
    """The repaired text when `text` is UTF-8 that was decoded as cp1252/latin-1 ("JosÃ©" -> "José")."""
    fixed = text
    for run in _MOJIBAKE_START.findall(text):
        for legacy in ("cp1252", "latin-1"):
            try:
                repaired = run.encode(legacy).decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
            fixed = fixed.replace(run, repaired, 1)
            break
    return fixed if fixed != text else None


_LATIN = "A-Za-z\u00c0-\u024f"
_OTHER_SCRIPTS = "\u0370-\u03ff\u0400-\u04ff\u0590-\u05ff\u0600-\u06ff\u0e00-\u0e7f"
# A Latin letter touching a Greek, Cyrillic, Hebrew, Arabic or Thai one: no real word does that, a wrong code page does.
_MIXED_SCRIPT = re.compile(f"[{_LATIN}][{_OTHER_SCRIPTS}]|[{_OTHER_SCRIPTS}][{_LATIN}]")
_C1 = re.compile("[\u0080-\u009f]")


def _garble_evidence(text: str) -> str | None:
    """The first piece of `text` that shows it was decoded with the wrong encoding, or None."""
    if "\ufffd" in text:
        return "\ufffd"
    for pattern in (_MIXED_SCRIPT, _C1):
        found = pattern.search(text)
        if found:
            return found.group()
    return next((run for run in _MOJIBAKE_START.findall(text) if _mojibake(run)), None)


def _check_garbled(name: str, table: RawTable) -> None:
    """Refuse a file whose text decoded wrong: it would create reps with garbled names."""
    frame = table.frame
    for column in table.columns:
        if _garble_evidence(column) is not None:
            _garbled(name, table.header_line, column, column)
    suspects = frame.select(pl.any_horizontal(pl.col(c).str.contains(_SUSPECT).fill_null(False) for c in table.columns).alias("s"))
    hits = suspects["s"].arg_true()
    if hits.len() == 0:
        return
    # Look closer at a bounded sample: one confirmed cell is enough to refuse.
    for row in frame[hits.head(200)].select(LINE, *table.columns).iter_rows(named=True):
        for column in table.columns:
            cell = row[column]
            if cell and _garble_evidence(cell) is not None:
                _garbled(name, int(row[LINE]), column, cell)


def _garbled(name: str, line: int, column: str, cell: str) -> None:
    shown = cell if len(cell) <= 60 else cell[:57] + "..."
    repaired = _mojibake(cell)
    if "\ufffd" in cell:
        what = f"holds {shown!r}, with the replacement character \ufffd where letters were lost in an earlier conversion"
    elif repaired:
        what = f"holds {shown!r}, which looks like {repaired[:60]!r} saved with the wrong text encoding"
    else:
        what = f"holds {shown!r}, letters of different alphabets run together: the text was read with the wrong encoding"
    raise FileRejected(
        name,
        f"the text looks garbled: line {line}, column {column!r} {what}. Nothing was imported, so no rep gets a garbled name. "
        "Export the report again as UTF-8 (in Excel: Save As > CSV UTF-8) and upload that file.",
    )


def decode(name: str, data: bytes) -> tuple[str, str]:
    """Text and encoding: BOMs first, then UTF-8, then charset-normalizer's best guess."""
    text, encoding, _notes = decode_with_notes(name, data)
    return text, encoding


def decode_with_notes(name: str, data: bytes) -> tuple[str, str, list[str]]:
    """Like `decode`, plus what the summary should say about the decoding (stray non-UTF-8 bytes)."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding.replace("-sig", "")), encoding, []
            except UnicodeDecodeError as exc:
                raise FileRejected(name, f"the file starts as {encoding} text but is damaged at byte {exc.start}. Export it again.") from exc
    if b"\x00" in data[:8192]:  # callers strip stray NULs first; what is left is binary
        raise FileRejected(name, "this is not a text table (binary content). Upload the CSV or .xlsx export of the report.")
    notes: list[str] = []
    try:
        text, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        mixed = _mostly_utf8(data)
        if mixed is not None:
            text, encoding, note = mixed
            notes.append(note)
        else:
            text, encoding = _decode_legacy(name, data, exc.start)
    if len(_CONTROL.findall(text[:8192])) > 8:
        raise FileRejected(name, "this is not a text table (binary content). Upload the CSV or .xlsx export of the report.")
    return text, encoding, notes


_STRAY = re.compile("[\udc80-\udcff]")
_WINDOWS = ("cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258", "iso8859_15", "latin_1")


def _stray_char(found: re.Match[str]) -> str:
    byte = bytes([ord(found.group()) - 0xDC00])
    try:
        return byte.decode("cp1252")
    except UnicodeDecodeError:
        return byte.decode("latin-1")


def _mostly_utf8(data: bytes) -> tuple[str, str, str] | None:
    """UTF-8 text with a few bytes from a legacy encoding (one pasted name), decoded byte by byte as Windows-1252.

    Decoding the whole file as cp1252 instead would garble every accented
    letter the UTF-8 part spells right. It is "mostly UTF-8" when its valid
    multi-byte sequences outnumber the stray bytes; a legacy file has
    almost none (each accented letter there is one byte followed by ASCII).
    """
    text = data.decode("utf-8", errors="surrogateescape")
    stray = len(_STRAY.findall(text))
    multibyte = len(data) - len(text)  # each valid k-byte sequence shortens the text by k - 1
    if multibyte < stray:
        return None
    first = _STRAY.search(text)
    line = text.count("\n", 0, first.start()) + 1 if first else 1
    noun = "byte" if stray == 1 else "bytes"
    fixed = _STRAY.sub(_stray_char, text)
    return fixed, "utf-8+cp1252", f"{stray} {noun} that were not UTF-8 (the first on line {line}) read as Windows-1252 letters"


def _decode_legacy(name: str, data: bytes, bad_at: int) -> tuple[str, str]:
    """Decode a file that is not UTF-8, with the first plausible of the likely code pages.

    charset-normalizer ranks code pages on a sample; on the short samples
    exports give it, it often ranks a DOS, Baltic or Vietnamese page first.
    Exports come from Windows software, so Windows code pages as clean as the
    best guess go first (the Western one among equals), and a candidate whose
    text shows signs of a wrong decoding (`_garble_evidence`) is passed over.
    """
    # Sample the head and the neighbourhood of the first non-UTF-8 byte: that is where the evidence is.
    sample = data[:32768] + b"\n" + data[max(0, bad_at - 16384): bad_at + 16384]
    matches = charset_normalizer.from_bytes(sample)
    best = matches.best()
    candidates: list[str] = []
    if best is not None:
        windows = [m for m in matches if m.encoding in _WINDOWS and m.chaos <= best.chaos + 0.01]
        lead = windows[0] if windows else best
        tied = {m.encoding for m in windows if (m.chaos, m.coherence) == (lead.chaos, lead.coherence)}
        candidates = [e for e in ("cp1252", "iso8859_15", "latin_1") if e in tied] + [lead.encoding, best.encoding]
        candidates += [m.encoding for m in matches if m.encoding in _WINDOWS]
    candidates += ["cp1252", "latin-1"]
    decodable: list[str] = []
    for encoding in dict.fromkeys(candidates):
        try:
            head = sample.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        decodable.append(encoding)
        if _garble_evidence(head) is None:
            return data.decode(encoding), codecs.lookup(encoding).name
    # Every reading looks wrong: take the Western one, whose garbling the later check names precisely.
    for encoding in ("cp1252", *decodable):
        try:
            return data.decode(encoding), codecs.lookup(encoding).name
        except UnicodeDecodeError:
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
    try:
        delimiter = _sniff(name, head)
        rows = [next(csv.reader([line], delimiter=delimiter), []) for line in head]
    except csv.Error as exc:
        raise FileRejected(name, f"the table could not be read ({exc}). Export the report again as CSV.") from exc
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
        if "not properly escaped" in str(exc):
            raise FileRejected(
                name,
                "the table could not be read: a cell opens a quote (\") that is never closed, so the rest of the file "
                f"runs into it ({str(exc).splitlines()[0][:80]}...). Fix the quote in the export, or export the report again as CSV.",
            ) from exc
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
        sheet = xlsx.read_first_sheet(data)
    except xlsx.TooBig as exc:
        raise FileRejected(name, f"the workbook is too large to read safely ({exc}). Export the report as CSV instead.") from exc
    except xlsx.BadWorkbook as exc:
        raise FileRejected(name, "the Excel file is damaged or not really .xlsx. Open it in Excel, save it again as .xlsx, and upload that.") from exc
    if sheet.height == 0 or not sheet.cells:
        raise FileRejected(name, "the first sheet of the workbook is empty. Put the export on the first sheet and upload again.")
    head = _sheet_head(sheet)
    candidates = [i for i, row in enumerate(head) if any(c.strip() for c in row)]
    header_at = candidates[_header_index([head[i] for i in candidates], known_labels)]
    # Columns: every one with a filled cell, in sheet order (empty columns of a huge used range are never built).
    order = sorted(sheet.cells)
    if len(order) * (sheet.height - header_at) > MAX_XLSX_GRID:
        raise FileRejected(
            name,
            f"the sheet's filled cells span {len(order):,} columns and {sheet.height:,} rows, far more than an export. "
            "Delete the stray cells far from the table (or copy the table to a new workbook) and upload again, or export as CSV.",
        )
    header = head[header_at]
    names = _unique(((header[c] if c < len(header) else "").strip() or f"column {c + 1}") for c in order)
    height = sheet.height - header_at - 1
    columns = {}
    for label, c in zip(names, order, strict=True):
        rows, values = sheet.cells[c]
        full: list[str | None] = [None] * max(height, 0)
        for r, v in zip(rows, values, strict=True):
            if r > header_at:
                full[r - header_at - 1] = v
        columns[label] = pl.Series(label, full, dtype=pl.String)
    body = pl.DataFrame(columns, schema={label: pl.String for label in names})
    body = body.with_columns((header_at + 2 + pl.int_range(pl.len(), dtype=pl.Int64)).alias(LINE))
    by_index = dict(zip(order, names, strict=True))
    issues: dict[str, dict[int, str]] = {}
    for (r, c), kind in sheet.formula_issues.items():
        if r > header_at and c in by_index:
            issues.setdefault(by_index[c], {})[r + 1] = kind
    return RawTable(
        frame=body,
        columns=names,
        header_line=header_at + 1,
        skipped_before=sum(1 for i in candidates if i < header_at),
        encoding="xlsx",
        delimiter=None,
        cell_issues=issues,
    )


def _sheet_head(sheet: xlsx.Sheet) -> list[list[str]]:
    """The first rows of the sheet as lists of text, for finding the header row."""
    rows = min(sheet.height, _HEAD_LINES)
    width = max(sheet.cells) + 1
    head = [[""] * width for _ in range(rows)]
    for c, (row_ids, values) in sheet.cells.items():
        for r, v in zip(row_ids, values, strict=True):
            if r >= rows:
                break  # rows are appended in sheet order
            head[r][c] = v
    return head


def _unique(names: Iterable[str]) -> list[str]:
    seen: Counter[str] = Counter()
    out = []
    for label in names:
        seen[label] += 1
        out.append(label if seen[label] == 1 else f"{label}_{seen[label]}")
    return out
