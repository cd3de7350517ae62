"""The first sheet of an .xlsx workbook, read as text cells, in memory bounded by the filled cells.

Why not calamine (fastexcel): it builds a dense grid of the sheet's used
range before anything else, so one stray cell (an empty string in column
DZZ, a value in row 1,048,576) turns a 500 KB workbook into gigabytes, or a
crash. This reader streams the sheet's XML and keeps only cells that hold a
value, so memory follows what is filled, and refuses workbooks whose parts
or cell counts are beyond any export.

Cells come out as the text a CSV export would carry: numbers as written in
the file, date-formatted numbers as ISO date-times, booleans as TRUE/FALSE.
Formula cells give their saved value; a formula with no saved value, or an
error value (#N/A), is reported per cell so the caller can reject the row
rather than read a blank or a 0 as data.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO
from xml.parsers import expat

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_STRICT = "http://purl.oclc.org/ooxml/spreadsheetml/main"
_REL_ID = "http://schemas.openxmlformats.org/officeDocument/2006/relationships id"
_STRICT_REL_ID = "http://purl.oclc.org/ooxml/officeDocument/relationships id"

MAX_PART_BYTES = 512 * 1024 * 1024  # one XML part, uncompressed
MAX_ELEMENTS = 40_000_000  # XML elements in one part, filled or not
MAX_CELLS = 5_000_000  # filled cells kept

# Built-in number formats that show dates or times (ECMA-376 18.8.30, plus the CJK date ids).
_DATE_FORMAT_IDS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])
_QUOTED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.')
_DATE_TOKENS = re.compile(r"[dmyhs]", re.IGNORECASE)
_REF = re.compile(r"([A-Z]{1,3})(\d+)$")


class BadWorkbook(Exception):
    """The workbook is damaged or is not an .xlsx file."""


class TooBig(Exception):
    """The workbook is beyond what an export holds; the message says which limit."""


@dataclass
class Sheet:
    """Filled cells by column: row indices (0-based) and their text."""

    cells: dict[int, tuple[array[int], list[str]]] = field(default_factory=dict)
    # (row, column) -> "no value" | "number" (a formula showing a number) | "error:#N/A"
    formula_issues: dict[tuple[int, int], str] = field(default_factory=dict)
    height: int = 0  # 1 + the last row holding a filled cell
    count: int = 0


def read_first_sheet(data: bytes) -> Sheet:
    """Raises BadWorkbook or TooBig."""
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise BadWorkbook(str(exc)) from exc
    with book:
        names = set(book.namelist())
        sheet_path, date1904 = _first_sheet(book, names)
        shared = _shared_strings(book, names)
        date_styles = _date_styles(book, names)
        return _read_sheet(book, sheet_path, shared, date_styles, date1904)


def _open(book: zipfile.ZipFile, name: str) -> IO[bytes]:
    info = book.getinfo(name)
    if info.file_size > MAX_PART_BYTES:
        raise TooBig(f"part {name} unpacks to {info.file_size // 1_048_576:,} MB")
    try:
        return book.open(info)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError) as exc:
        raise BadWorkbook(str(exc)) from exc


def _parse(
    book: zipfile.ZipFile,
    name: str,
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None] | None = None,
    text: Callable[[str], None] | None = None,
    *,
    counted: bool = False,
) -> None:
    """Stream one XML part through expat, counting bytes and elements against the limits.

    `counted`: `start` counts the elements itself (the sheet reader does, to save a call per element).
    """
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    elements = 0

    def on_start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal elements
        elements += 1
        if elements > MAX_ELEMENTS:
            raise TooBig(f"part {name} has more than {MAX_ELEMENTS:,} XML elements")
        start(tag, attrs)

    def no_doctype(*_args: object) -> None:
        # Workbooks never declare a DTD; one here can only be an entity-expansion attack.
        raise BadWorkbook(f"{name} declares a document type")

    parser.StartElementHandler = start if counted else on_start
    parser.StartDoctypeDeclHandler = no_doctype
    if end is not None:
        parser.EndElementHandler = end
    if text is not None:
        parser.CharacterDataHandler = text
    read = 0
    with _open(book, name) as fh:
        try:
            while chunk := fh.read(1 << 20):
                read += len(chunk)
                if read > MAX_PART_BYTES:
                    raise TooBig(f"part {name} unpacks to more than {MAX_PART_BYTES // 1_048_576:,} MB")
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except expat.ExpatError as exc:
            raise BadWorkbook(f"{name}: {exc}") from exc
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:  # zlib and CRC errors while streaming
            raise BadWorkbook(f"{name}: {exc}") from exc


def _local(tag: str) -> tuple[str, str]:
    ns, _, local = tag.rpartition(" ")
    return ns, local


def _first_sheet(book: zipfile.ZipFile, names: set[str]) -> tuple[str, bool]:
    if "xl/workbook.xml" not in names:
        raise BadWorkbook("no xl/workbook.xml")
    sheets: list[str] = []
    flags = {"date1904": False}

    def on_workbook(tag: str, attrs: dict[str, str]) -> None:
        _, local = _local(tag)
        if local == "sheet":
            rel = attrs.get(_REL_ID) or attrs.get(_STRICT_REL_ID)
            if rel:
                sheets.append(rel)
        elif local == "workbookPr":
            flags["date1904"] = attrs.get("date1904", "").lower() in ("1", "true")

    _parse(book, "xl/workbook.xml", on_workbook)
    targets: dict[str, str] = {}

    def on_rels(tag: str, attrs: dict[str, str]) -> None:
        if _local(tag)[1] == "Relationship" and "Id" in attrs and "Target" in attrs:
            targets[attrs["Id"]] = attrs["Target"]

    if "xl/_rels/workbook.xml.rels" in names:
        _parse(book, "xl/_rels/workbook.xml.rels", on_rels)
    for rel in sheets[:1]:
        target = targets.get(rel, "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        if path in names:
            return path, flags["date1904"]
    if "xl/worksheets/sheet1.xml" in names:
        return "xl/worksheets/sheet1.xml", flags["date1904"]
    raise BadWorkbook("the workbook has no worksheet")


def _shared_strings(book: zipfile.ZipFile, names: set[str]) -> list[str]:
    path = next((n for n in ("xl/sharedStrings.xml", "xl/SharedStrings.xml") if n in names), None)
    if path is None:
        return []
    strings: list[str] = []
    parts: list[str] = []
    state = {"t": False, "phonetic": 0}

    def start(tag: str, _attrs: dict[str, str]) -> None:
        local = _local(tag)[1]
        if local == "si":
            parts.clear()
        elif local == "rPh":
            state["phonetic"] += 1  # phonetic guides repeat the text in kana: not part of the value
        elif local == "t" and not state["phonetic"]:
            state["t"] = True

    def end(tag: str) -> None:
        local = _local(tag)[1]
        if local == "si":
            strings.append("".join(parts))
        elif local == "rPh":
            state["phonetic"] -= 1
        elif local == "t":
            state["t"] = False

    def text(data: str) -> None:
        if state["t"]:
            parts.append(data)

    _parse(book, path, start, end, text)
    return strings


def _is_date_format(code: str) -> bool:
    bare = _QUOTED.sub("", code)
    return bare.lower() != "general" and bool(_DATE_TOKENS.search(bare))


def _date_styles(book: zipfile.ZipFile, names: set[str]) -> frozenset[int]:
    """Indexes of the cell formats (the `s` of a cell) that show a date or time."""
    if "xl/styles.xml" not in names:
        return frozenset()
    custom: dict[int, bool] = {}
    formats: list[int] = []
    state = {"in_xfs": False}

    def start(tag: str, attrs: dict[str, str]) -> None:
        local = _local(tag)[1]
        if local == "numFmt" and attrs.get("numFmtId", "").isdigit():
            custom[int(attrs["numFmtId"])] = _is_date_format(attrs.get("formatCode", ""))
        elif local == "cellXfs":
            state["in_xfs"] = True
        elif local == "xf" and state["in_xfs"]:
            raw = attrs.get("numFmtId", "0")
            formats.append(int(raw) if raw.isdigit() else 0)

    def end(tag: str) -> None:
        if _local(tag)[1] == "cellXfs":
            state["in_xfs"] = False

    _parse(book, "xl/styles.xml", start, end)
    return frozenset(
        i for i, fmt in enumerate(formats) if custom.get(fmt, fmt in _DATE_FORMAT_IDS)
    )


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def serial_text(serial: float, date1904: bool) -> str:
    """An Excel date serial as ISO text, to the millisecond (serials carry float noise below that)."""
    base = datetime(1904, 1, 1) if date1904 else datetime(1899, 12, 30)
    moment = base + timedelta(milliseconds=round(serial * 86_400_000))
    if moment.hour == moment.minute == moment.second == moment.microsecond == 0:
        return f"{moment:%Y-%m-%d}"
    return moment.isoformat(sep=" ", timespec="milliseconds" if moment.microsecond else "seconds")


_C, _V, _F, _T, _ROW = 1, 2, 3, 4, 5
_TAGS = {f"{ns} {local}": code for ns in (_MAIN, _STRICT) for local, code in (("c", _C), ("v", _V), ("f", _F), ("t", _T), ("row", _ROW))}


class _SheetReader:
    """expat callbacks for one worksheet; keeps filled cells only. Tight on purpose: they run per XML element."""

    def __init__(self, shared: list[str], date_styles: frozenset[int], date1904: bool) -> None:
        self.shared = shared
        self.date_styles = date_styles
        self.date1904 = date1904
        self.sheet = Sheet()
        self.row = -1
        self.col = -1
        self.kind = "n"
        self.style = "0"
        self.formula = False
        self.has_value = False
        self.parts: list[str] = []
        self.collecting = False
        self.in_cell = False
        self.elements = 0
        self.columns: dict[str, int] = {}

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self.elements += 1
        code = _TAGS.get(tag)
        if code is None:
            if self.elements > MAX_ELEMENTS:
                raise TooBig(f"the sheet has more than {MAX_ELEMENTS:,} XML elements")
            return
        if code == _C:
            ref = attrs.get("r")
            found = _REF.match(ref) if ref else None
            if found:
                letters = found.group(1)
                col = self.columns.get(letters)
                if col is None:
                    col = self.columns[letters] = _column_index(letters)
                self.col = col
                self.row = int(found.group(2)) - 1
            else:
                self.col += 1
            self.kind = attrs.get("t", "n")
            self.style = attrs.get("s", "0")
            self.formula = self.has_value = False
            self.parts = []
            self.in_cell = True
        elif not self.in_cell:
            if code == _ROW:
                raw = attrs.get("r", "")
                self.row = int(raw) - 1 if raw.isdigit() else self.row + 1
                self.col = -1
        elif code == _V:
            self.collecting = self.has_value = True
        elif code == _T:
            self.collecting = True  # inline string text; rich runs are concatenated
        elif code == _F:
            self.formula = True

    def end(self, tag: str) -> None:
        code = _TAGS.get(tag)
        if code == _C:
            self.in_cell = self.collecting = False
            self._finish()
        elif code in (_V, _T):
            self.collecting = False

    def text(self, data: str) -> None:
        if self.collecting:
            self.parts.append(data)

    def _finish(self) -> None:
        raw = "".join(self.parts)
        kind = self.kind
        if self.row < 0 or self.col < 0:
            raise BadWorkbook("a cell has no valid position")
        if self.formula and not self.has_value:
            self.sheet.formula_issues[(self.row, self.col)] = "no value"
            return
        if kind == "s":
            try:
                text = self.shared[int(raw)]
            except (ValueError, IndexError) as exc:
                raise BadWorkbook(f"cell {(self.row, self.col)} points at a missing shared string") from exc
        elif kind == "inlineStr" or kind == "str" or kind == "d":
            text = raw
        elif kind == "b":
            text = "TRUE" if raw.strip() == "1" else "FALSE"
        elif kind == "e":
            self.sheet.formula_issues[(self.row, self.col)] = f"error:{raw.strip()}"
            return
        else:
            text = self._number(raw.strip())
            if self.formula and text:
                self.sheet.formula_issues[(self.row, self.col)] = "number"
        if not text or text.isspace():
            return
        self._keep(text)

    def _number(self, raw: str) -> str:
        if raw and self.style != "0" and self.style.isdigit() and int(self.style) in self.date_styles:
            try:
                return serial_text(float(raw), self.date1904)
            except (ValueError, OverflowError):
                return raw
        return raw

    def _keep(self, text: str) -> None:
        sheet = self.sheet
        sheet.count += 1
        if sheet.count > MAX_CELLS:
            raise TooBig(f"the sheet has more than {MAX_CELLS:,} filled cells")
        column = sheet.cells.get(self.col)
        if column is None:
            column = sheet.cells[self.col] = (array("l"), [])
        column[0].append(self.row)
        column[1].append(text)
        if self.row >= sheet.height:
            sheet.height = self.row + 1


def _read_sheet(book: zipfile.ZipFile, path: str, shared: list[str], date_styles: frozenset[int], date1904: bool) -> Sheet:
    reader = _SheetReader(shared, date_styles, date1904)
    _parse(book, path, reader.start, reader.end, reader.text, counted=True)
    sheet = reader.sheet
    for row, _col in sheet.formula_issues:
        sheet.height = max(sheet.height, row + 1)
    return sheet
