"""Minimal .xlsx files written as raw OOXML parts, one cell at a time."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
</Types>"""
_ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>
</Relationships>"""
# Style 0: General. Style 1: built-in date (14). Style 2: custom date-time. Style 3: a number format (not a date).
_STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd\\ hh:mm"/><numFmt numFmtId="165" formatCode="&quot;$&quot;#,##0.00"/></numFmts>
<cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs>
<cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="165"/></cellXfs>
</styleSheet>"""


@dataclass(frozen=True)
class Formula:
    """A formula cell; `cached` None writes no <v> (as libraries that never calculate do)."""

    formula: str
    cached: str | None = None
    text: bool = False  # the cached value is a string (t="str")


@dataclass(frozen=True)
class Error:
    code: str = "#N/A"


@dataclass(frozen=True)
class Styled:
    """A number shown through a cell format: style 1 date, 2 date-time, 3 currency."""

    value: float
    style: int


@dataclass(frozen=True)
class Inline:
    text: str


Cell = str | int | float | bool | Formula | Error | Styled | Inline | None


def column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _cell(ref: str, value: Cell, shared: dict[str, int]) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    if isinstance(value, Styled):
        return f'<c r="{ref}" s="{value.style}"><v>{value.value!r}</v></c>'
    if isinstance(value, Inline):
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(value.text)}</t></is></c>'
    if isinstance(value, Error):
        return f'<c r="{ref}" t="e"><f>1/0</f><v>{escape(value.code)}</v></c>'
    if isinstance(value, Formula):
        kind = ' t="str"' if value.text else ""
        cached = "" if value.cached is None else f"<v>{escape(value.cached)}</v>"
        return f'<c r="{ref}"{kind}><f>{escape(value.formula)}</f>{cached}</c>'
    index = shared.setdefault(value, len(shared))
    return f'<c r="{ref}" t="s"><v>{index}</v></c>'


def workbook(
    rows: Sequence[Sequence[Cell]],
    *,
    start_row: int = 1,
    extra: dict[str, Cell] | None = None,
    date1904: bool = False,
    doctype: bool = False,
    bad_shared_index: bool = False,
    omit: tuple[str, ...] = (),
) -> bytes:
    """An .xlsx whose first sheet holds `rows` from `start_row`, plus `extra` cells by reference (e.g. {"XFD3": ""})."""
    shared: dict[str, int] = {}
    by_row: dict[int, list[str]] = {}
    for i, row in enumerate(rows):
        r = start_row + i
        by_row.setdefault(r, []).extend(_cell(f"{column_letters(c)}{r}", v, shared) for c, v in enumerate(row))
    for ref, value in (extra or {}).items():
        r = int("".join(ch for ch in ref if ch.isdigit()))
        by_row.setdefault(r, []).append(_cell(ref, value, shared))
    body = "".join(f'<row r="{r}">{"".join(cells)}</row>' for r, cells in sorted(by_row.items()))
    if bad_shared_index:
        body = body.replace("<v>0</v>", "<v>999999</v>", 1)
    doctype_decl = '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>' if doctype else ""
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{doctype_decl}'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{body}</sheetData></worksheet>"
    )
    strings = "".join(f"<si><t xml:space=\"preserve\">{escape(s)}</t></si>" for s in shared)
    parts = {
        "[Content_Types].xml": _CONTENT_TYPES,
        "_rels/.rels": _ROOT_RELS,
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<workbookPr date1904="{int(date1904)}"/><sheets><sheet name="Export" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": _WORKBOOK_RELS,
        "xl/styles.xml": _STYLES,
        "xl/sharedStrings.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(shared)}">{strings}</sst>'
        ),
        "xl/worksheets/sheet1.xml": sheet,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book:
        for name, text in parts.items():
            if name not in omit:
                book.writestr(name, text)
    return buffer.getvalue()
