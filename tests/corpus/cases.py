"""Every corpus file with what ingest must do with it.

A case either fails as a whole (`error` and the words its message must
carry: which file, which line or column, what to do) and then changes no
table, or imports: exactly `added` events, exactly the `rejects` rows
(line, column, words of the reason), and the `notes` the summary shows.
Row-level cases may also `check` the stored events.
"""

from __future__ import annotations

import codecs
import gzip
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scorecard.ingest import AmbiguousAmounts, AmbiguousDates, FileRejected, IngestOptions
from scorecard.store import Store
from tests.corpus.xlsx import Cell, Error, Formula, Inline, Styled, workbook

AS_OF = datetime(2026, 11, 23, 12, 0)  # the Monday after the exports' week; every case uploads "now"
SEED = 20261123
HEADER = "rep,date,type,outcome,id\n"
GOOD = "Ana Lopez,2026-11-18 10:00,Call,Connected,1\nBo Brown,2026-11-19 11:30,Meeting,,2\n"
SF_DEALS = "Opportunity ID;Opportunity Owner;Stage;Close Date;Amount;Created Date\n"

Check = Callable[[Store, int], None]  # (store, batch id of the upload)
_OF_BATCH = "FROM events e JOIN batch_events b USING (event_id) JOIN reps r USING (rep_id) WHERE b.batch_id = ?"


@dataclass(frozen=True)
class Case:
    name: str  # the file name the upload carries
    data: bytes
    error: type[Exception] | None = FileRejected  # None: the file imports
    words: tuple[str, ...] = ()  # in the error message
    added: int = 0
    rejects: tuple[tuple[int, str, str], ...] = ()  # (line, column, words in the reason)
    notes: tuple[str, ...] = ()  # words in the result's notes
    options: dict[str, Any] = field(default_factory=dict)
    check: Check | None = None
    cli: bool = True  # also run through `python -m scorecard ingest` (options-free cases)

    def ingest_options(self) -> IngestOptions:
        return IngestOptions(as_of=AS_OF, **self.options)


def _amounts(*expected: tuple[str, float, str | None]) -> Check:
    """The stored (record id, amount, currency) of the named events."""

    def check(store: Store, batch_id: int) -> None:
        got = {r: (a, c) for r, a, c in store.fetchall(f"SELECT e.record_id, e.amount, e.currency {_OF_BATCH}", [batch_id])}
        for record, amount, currency in expected:
            assert got[record] == (amount, currency), (record, got.get(record))

    return check


def _reps(*names: str) -> Check:
    def check(store: Store, batch_id: int) -> None:
        got = store.fetchall(f"SELECT DISTINCT r.display_name {_OF_BATCH}", [batch_id])
        assert sorted(r[0] for r in got) == sorted(names), got

    return check


def _dates(*expected: tuple[str, datetime]) -> Check:
    def check(store: Store, batch_id: int) -> None:
        got = dict(store.fetchall(f"SELECT e.record_id, e.occurred_at {_OF_BATCH}", [batch_id]))
        for record, when in expected:
            assert got[record] == when, (record, got.get(record))

    return check


def _cp1252(text: str) -> bytes:
    return text.encode("cp1252")


def _generic(*rows: str, header: str = HEADER) -> bytes:
    return (header + "".join(r + "\n" for r in rows)).encode()


def _random_binary(size: int) -> bytes:
    return random.Random(SEED).randbytes(size)


# -- what exports look like in the wild -------------------------------------------------------

_EU_DEALS = (
    SF_DEALS
    + "006A;José Núñez;Closed Won;20.11.2026;7.662,67;01.10.2026\n"
    + "006B;Zoë Ørsted;Closed Won;21.11.2026;1.234;02.10.2026\n"
    + "006C;José Núñez;Closed Won;19.11.2026;12,50 €;03.10.2026\n"
)

FORMAT_CASES = [
    Case(
        "mac-classic.csv",
        (HEADER + GOOD).replace("\n", "\r").encode(),
        error=None, added=2, notes=("CR only",),
    ),
    Case(
        "mac-eu-deals.csv",
        _cp1252(_EU_DEALS.replace("\n", "\r")),
        error=None, added=6, notes=("CR only", "decimal comma"),
        check=_amounts(("006A", 7662.67, None), ("006B", 1234.0, None), ("006C", 12.5, "EUR")),
    ),
    Case(
        "eu-deals-cp1252.csv",
        _cp1252(_EU_DEALS),
        error=None, added=6, notes=("decimal comma",),
        check=_amounts(("006A", 7662.67, None), ("006B", 1234.0, None), ("006C", 12.5, "EUR")),
    ),
    Case(
        "unicode-text-cr.txt",
        codecs.BOM_UTF16_LE + (HEADER + GOOD).replace(",", "\t").replace("\n", "\r").encode("utf-16-le"),
        error=None, added=2,
    ),
    Case(
        "amounts-every-convention.csv",
        (
            "rep,date,type,amount,id\n"
            "Ana,2026-11-18,Closed Won,\"$1,234.56\",a\n"
            "Ana,2026-11-18,Closed Won,(1,234.56),b\n"
            "Ana,2026-11-18,Closed Won,\"1'234.56\",c\n"
            "Ana,2026-11-18,Closed Won,EUR 12,d\n"
            "Ana,2026-11-18,Closed Won,12 €,e\n"
            "Ana,2026-11-18,Closed Won,-,f\n"
            "Ana,2026-11-18,Closed Won,$ -,g\n"
            "Ana,2026-11-18,Closed Won,1\u202f234.5,h\n"
            "Ana,2026-11-18,Closed Won,£7,i\n"
        ).replace("(1,234.56)", '"(1,234.56)"').encode(),
        error=None, added=9,
        check=_amounts(
            ("a", 1234.56, "$"), ("b", -1234.56, None), ("c", 1234.56, None), ("d", 12.0, "EUR"), ("e", 12.0, "EUR"),
            ("f", 0.0, None), ("g", 0.0, "$"), ("h", 1234.5, None), ("i", 7.0, "GBP"),
        ),
    ),
    Case(
        "amounts-spaces-comma.csv",
        "rep;date;type;amount;id\nAna;2026-11-18;Closed Won;1\u00a0234,56;a\nAna;2026-11-18;Closed Won;1\u202f234,5 EUR;b\n".encode(),
        error=None, added=2, notes=("decimal comma",),
        check=_amounts(("a", 1234.56, None), ("b", 1234.5, "EUR")),
    ),
    Case(
        "amounts-mixed-conventions.csv",
        b'rep,date,type,amount,id\nAna,2026-11-18,Closed Won,"1,234.56",a\nAna,2026-11-18,Closed Won,"2,000.10",b\n'
        b'Ana,2026-11-18,Closed Won,"1.234,56",c\n',
        error=None, added=2, rejects=((4, "amount", "decimal comma but this file's amounts use a decimal point"),),
    ),
    Case(
        "amounts-unreadable.csv",
        b"rep,date,type,amount,id\nAna,2026-11-18,Closed Won,12 apples,a\nAna,2026-11-18,Closed Won,5,b\n",
        error=None, added=1, rejects=((2, "amount", "unreadable amount 12 apples"),),
    ),
    Case(
        "amounts-currency-clash.csv",
        b"rep,date,type,amount,currency,id\nAna,2026-11-18,Closed Won,EUR 5,USD,a\nAna,2026-11-18,Closed Won,$5,CAD,b\n",
        error=None, added=1, rejects=((2, "currency", "says EUR but column 'currency' says USD"),),
        check=_amounts(("b", 5.0, "CAD")),
    ),
    Case(
        "amounts-ambiguous.csv",
        b'rep,date,type,amount,id\nAna,2026-11-18,Closed Won,"1,234",a\nAna,2026-11-19,Closed Won,"2,500",b\n',
        error=AmbiguousAmounts, words=("'amount'", "1,234", "--decimal-comma", "--decimal-point", "Upload page"),
    ),
    Case(
        "amounts-ambiguous-dots.csv",
        b"rep;date;type;amount;id\nAna;2026-11-18;Closed Won;1.234;a\nAna;2026-11-19;Closed Won;2.500;b\n",
        error=AmbiguousAmounts, words=("1.234", "--decimal-comma"),
    ),
    Case(
        "amounts-ambiguous-answered.csv",
        b"rep;date;type;amount;id\nAna;2026-11-18;Closed Won;1.234;a\nAna;2026-11-19;Closed Won;2.500;b\n",
        error=None, added=2, options={"decimal_mark": "comma"}, cli=False,
        check=_amounts(("a", 1234.0, None), ("b", 2500.0, None)),
    ),
    Case(
        "amounts.decimal-point.csv",
        b"rep;date;type;amount;id\nAna;2026-11-18;Closed Won;1.234;a\n",
        error=None, added=1, check=_amounts(("a", 1.234, None)),
    ),
    Case(
        "ragged-rows.csv",
        (HEADER + "Ana Lopez,2026-11-18 10:00,Call,Connected,1,extra,cells\nBo Brown,2026-11-19 11:30,Meeting\n").encode(),
        error=None, added=2,
    ),
    Case(
        "tab-separated-latin1.tsv",
        "rep\tdate\ttype\tid\nJosé Núñez\t2026-11-18\tCall\t1\nFrançois Roché\t2026-11-19\tCall\t2\n".encode("latin-1"),
        error=None, added=2, check=_reps("José Núñez", "François Roché"),
    ),
]

# -- NUL bytes, very long lines, binary content ---------------------------------------------------

NUL_CASES = [
    Case(
        "one-nul.csv",
        (HEADER + "Ana Lopez,2026-11-18 10:00,Call,Conn\x00ected,1\nBo Brown,2026-11-19 11:30,Meeting,,2\n").encode(),
        error=None, added=2, notes=("removed 1 NUL byte", "line 2"),
    ),
    Case(
        "nul-in-name.csv",
        (HEADER + "Ana Lopez,2026-11-18 10:00,Call,Connected,1\n" * 40 + "Bo\x00b,2026-11-19 11:30,Meeting,,2\n").encode(),
        error=None, added=2, notes=("line 42",), check=_reps("Ana Lopez", "Bob"),
    ),
    Case("nul-flood.csv", (HEADER + GOOD).encode() + b"\x00" * 4096, words=("binary content", "NUL bytes")),
    Case("nul-at-start.csv", b"\x00\x00\x00" + (HEADER + GOOD).encode(), words=("binary content", "line 1")),
    Case("utf16-without-bom.csv", (HEADER + GOOD).encode("utf-16-le"), words=("not a text table",)),
    Case("only-nul.csv", b"\x00" * 1000, words=("binary content",)),
    Case("gzip-named-csv.csv", gzip.compress((HEADER + GOOD).encode(), mtime=0), words=("not a text table",)),
    Case("random-bytes.csv", _random_binary(4096), words=("not a text table",)),
    Case("one-50mb-line.csv", b"a" * 50_000_000, words=("line 1", "MB long", "not a table of rows")),
    Case("header-then-50mb-row.csv", HEADER.encode() + b"x," * 25_000_000 + b"\n", words=("line 2", "MB long")),
    Case(
        "2mb-line-inside.csv",
        (HEADER + GOOD).encode() + b"Cy," + b"y" * 2_000_000 + b",Call,,3\n" + GOOD.encode(),
        words=("line 4", "MB long"),
    ),
]

# -- dates that parse but cannot be right ---------------------------------------------------------

DATE_CASES = [
    Case(
        "year-9999.csv",
        _generic("Ana Lopez,2026-11-18 10:00,Call,Connected,1", "Ana Lopez,9999-12-31,Call,Connected,2"),
        error=None, added=1, rejects=((3, "date", "9999-12-31 is more than a day after this upload (2026-11-23 12:00)"),),
    ),
    Case(
        "year-1999.csv",
        _generic("Ana Lopez,2026-11-18 10:00,Call,Connected,1", "Ana Lopez,12/31/1999,Call,Connected,2"),
        error=None, added=1, rejects=((3, "date", "12/31/1999 is before 2000"),),
    ),
    Case(
        "year-1900.csv",
        _generic("Ana Lopez,1900-01-01,Call,Connected,1", "Bo Brown,2026-11-19,Call,,2"),
        error=None, added=1, rejects=((2, "date", "before 2000"),),
    ),
    Case(
        "two-days-ahead.csv",
        _generic("Ana Lopez,2026-11-24 06:00,Call,Connected,1", "Ana Lopez,2026-11-25 13:00,Call,Connected,2"),
        error=None, added=1, rejects=((3, "date", "more than a day after this upload"),), cli=False,
        check=_dates(("1", datetime(2026, 11, 24, 6, 0))),
    ),
    Case(
        "all-in-the-future.csv",
        _generic("Ana Lopez,2999-01-01,Call,Connected,1", "Bo Brown,3000-02-02,Call,,2"),
        words=("every one of its 2 rows", "line 2", "'date'", "more than a day after"),
    ),
    Case(
        "created-in-1970.csv",
        b"Opportunity ID,Opportunity Owner,Stage,Close Date,Amount,Created Date\n"
        b"006A,Ana,Closed Won,11/20/2026,100,01/01/1970\n006B,Ana,Closed Won,11/20/2026,50,10/01/2026\n",
        error=None, added=2, rejects=((2, "Created Date", "created date 01/01/1970 is before 2000"),),
    ),
]

# -- text that decoded wrong ---------------------------------------------------------------------

_MOJIBAKE = "José Núñez".encode().decode("cp1252")  # 'JosÃ© NÃºÃ±ez'
_MOJIBAKE_EARLY = "Zoë Ørsted".encode().decode("cp1252")  # garbled before this file was saved as cp1252

TEXT_CASES = [
    Case(
        "mojibake-rep.csv",
        (HEADER + f"{_MOJIBAKE},2026-11-18 10:00,Call,Connected,1\n").encode(),
        words=("garbled", "line 2", "column 'rep'", "José Núñez", "UTF-8"),
    ),
    Case(
        "mojibake-subject.csv",
        ("rep,date,type,subject,id\nAna,2026-11-18,Call,Itâ€™s done,1\n").encode(),
        words=("garbled", "column 'subject'", "It’s done"),
    ),
    Case(
        "mojibake-header.csv",
        (f"rep,date,type,{'Año'.encode().decode('cp1252')}\nAna,2026-11-18,Call,x\n").encode(),
        words=("garbled", "line 1", "Año"),
    ),
    Case(
        "replacement-char.csv",
        (HEADER + "Jos\ufffd N\ufffd\ufffdez,2026-11-18 10:00,Call,Connected,1\n").encode(),
        words=("garbled", "line 2", "replacement character"),
    ),
    Case(
        "utf8-with-one-stray-byte.csv",
        (HEADER + "José Núñez,2026-11-18 10:00,Call,Connected,1\n").encode() + b"Zo\xeb Brown,2026-11-19,Call,,2\n",
        error=None, added=2, notes=("1 byte that were not UTF-8 (the first on line 3)",),
        check=_reps("José Núñez", "Zoë Brown"),
    ),
    Case(
        "cp1252-file-with-utf8-mojibake.csv",
        _cp1252("rep,date,type,id\nJosé Núñez,2026-11-18 10:00,Call,1\n" + f"{_MOJIBAKE_EARLY},2026-11-19,Call,2\n"),
        words=("garbled", "line 3", "column 'rep'", "Zoë Ørsted"),
    ),
    Case(
        "latin-french-not-garbled.csv",
        "rep,date,type,subject,id\nSão Paulo Ândrea,2026-11-18,Call,«café» à 10h,1\nÉlodie Ünal,2026-11-18,Call,Ça va,2\n".encode(),
        error=None, added=2, check=_reps("São Paulo Ândrea", "Élodie Ünal"),
    ),
]

# -- names ----------------------------------------------------------------------------------------

NAME_CASES = [
    Case(
        "invisible-marks.csv",
        _generic(
            "\ufeffAna\u200b Lopez,2026-11-18 10:00,Call,Connected,1",
            "\u200eAna  Lopez\u200f,2026-11-18 11:00,Call,Connected,2",
            "Ana\u00a0Lopez\u2060,2026-11-18 12:00,Call,Connected,3",
        ),
        error=None, added=3, check=_reps("Ana Lopez"),
    ),
    Case(
        "decomposed-accents.csv",
        _generic("Jose\u0301 Nu\u0301n\u0303ez,2026-11-18 10:00,Call,Connected,1", "José Núñez,2026-11-18 11:00,Call,,2"),
        error=None, added=2, check=_reps("José Núñez"),
    ),
    Case(
        "name-too-long.csv",
        _generic("Ana Lopez,2026-11-18 10:00,Call,Connected,1", "x" * 500 + ",2026-11-18 11:00,Call,,2"),
        error=None, added=1, rejects=((3, "rep", "500 characters long (at most 100)"),),
    ),
    Case(
        "name-only-invisible.csv",
        _generic("Ana Lopez,2026-11-18 10:00,Call,Connected,1", "\u200b\u200f,2026-11-18 11:00,Call,,2"),
        error=None, added=1, rejects=((3, "rep", "no rep name"),),
    ),
    Case(
        "accent-twins.csv",
        _generic("Ana López,2026-11-18 10:00,Call,Connected,1", "Ana Lopez,2026-11-18 11:00,Call,,2"),
        error=None, added=2, notes=("'Ana Lopez' differs from 'Ana López' only by accents", "Roster page"),
        check=_reps("Ana López", "Ana Lopez"),
    ),
]

# -- workbooks ------------------------------------------------------------------------------------

_XL_HEADER: list[Cell] = ["rep", "date", "type", "outcome", "id"]


def _formula_row(record: str) -> list[Cell]:
    return [Formula("=B1", "0"), "2026-11-18", "Call", "", record]


def _xl_rows(n: int) -> list[list[Any]]:
    return [[f"Rep {i % 3}", f"2026-11-{10 + i % 9:02d} 09:00", "Call", "Connected", f"x{i}"] for i in range(n)]


XLSX_CASES = [
    Case("stray-empty-cell-far-right.xlsx", workbook([_XL_HEADER, *_xl_rows(30)], extra={"CXZ3": ""}), error=None, added=30),
    Case(
        "stray-value-far-corner.xlsx",
        workbook([_XL_HEADER, *_xl_rows(30)], extra={"XFD1048576": "x"}),
        error=None, added=30,
    ),
    Case("stray-value-column-xfd.xlsx", workbook([_XL_HEADER, *_xl_rows(5)], extra={"XFD3": "note"}), error=None, added=5),
    Case(
        "formula-rep-showing-zero.xlsx",
        workbook([_XL_HEADER, ["Ana", "2026-11-18", "Call", "", "1"], [Formula("=VLOOKUP(A1,Reps,2)", "0"), "2026-11-18", "Call", "", "2"]]),
        error=None, added=1, rejects=((3, "rep", "formula showing the number 0"),), check=_reps("Ana"),
    ),
    Case(
        "formula-rep-no-saved-value.xlsx",
        workbook([_XL_HEADER, ["Ana", "2026-11-18", "Call", "", "1"], [Formula("=A2"), "2026-11-18", "Call", "", "2"]]),
        error=None, added=1, rejects=((3, "rep", "formula with no saved value"),), check=_reps("Ana"),
    ),
    Case(
        "formula-rep-with-text-value.xlsx",
        workbook([_XL_HEADER, [Formula('=PROPER("bo brown")', "Bo Brown", text=True), "2026-11-18", "Call", "", "1"]]),
        error=None, added=1, check=_reps("Bo Brown"),
    ),
    Case(
        "formula-amount.xlsx",
        workbook([["rep", "date", "type", "amount", "id"], ["Ana", "2026-11-18", "Closed Won", Formula("=2*600", "1200"), "d1"]]),
        error=None, added=1, check=_amounts(("d1", 1200.0, None)),
    ),
    Case(
        "error-cell-rep.xlsx",
        workbook([_XL_HEADER, ["Ana", "2026-11-18", "Call", "", "1"], [Error("#N/A"), "2026-11-18", "Call", "", "2"]]),
        error=None, added=1, rejects=((3, "rep", "spreadsheet error #N/A"),),
    ),
    Case(
        "every-rep-a-formula.xlsx",
        workbook([_XL_HEADER, *[_formula_row(str(i)) for i in range(3)]]),
        words=("every one of its 3 rows", "formula showing the number 0"),
    ),
    Case(
        "date-styles-1904.xlsx",
        workbook(
            [["rep", "date", "type", "id"], ["Ana", Styled(44882.5, 2), "Call", "a"], ["Ana", Styled(44883.0, 1), "Call", "b"]],
            date1904=True,
        ),
        error=None, added=2, check=_dates(("a", datetime(2026, 11, 18, 12, 0)), ("b", datetime(2026, 11, 19))),
    ),
    Case(
        "serial-1900-date.xlsx",
        workbook([["rep", "date", "type", "id"], ["Ana", Styled(1.0, 1), "Call", "a"], ["Ana", Styled(46344.25, 2), "Call", "b"]]),
        error=None, added=1, rejects=((2, "date", "before 2000"),),
    ),
    Case(
        "inline-strings-and-booleans.xlsx",
        workbook([["rep", "date", "type", "subject", "id"], [Inline("Cy Inline"), "2026-11-18", "Call", True, "a"]]),
        error=None, added=1, check=_reps("Cy Inline"),
    ),
    Case(
        "title-rows-above-table.xlsx",
        workbook([["Activity report"], [], _XL_HEADER, ["Ana", "2026-11-18", "Call", "", "1"], ["Ana", "someday", "Call", "", "2"]], start_row=2),
        error=None, added=1, rejects=((6, "date", "someday"),),
    ),
    Case(
        "currency-format-amount.xlsx",
        workbook([["rep", "date", "type", "amount", "id"], ["Ana", "2026-11-18", "Closed Won", Styled(1234.5, 3), "d"]]),
        error=None, added=1, check=_amounts(("d", 1234.5, None)),
    ),
    Case(
        "mojibake-in-workbook.xlsx",
        workbook([_XL_HEADER, [_MOJIBAKE, "2026-11-18", "Call", "", "1"]]),
        words=("garbled", "line 2", "column 'rep'"),
    ),
    Case("doctype-bomb.xlsx", workbook([_XL_HEADER, *_xl_rows(2)], doctype=True), words=("damaged",)),
    Case("no-workbook-part.xlsx", workbook([_XL_HEADER, *_xl_rows(2)], omit=("xl/workbook.xml",)), words=("damaged",)),
    Case("missing-shared-string.xlsx", workbook([_XL_HEADER, *_xl_rows(2)], bad_shared_index=True), words=("damaged",)),
    Case("truncated.xlsx", workbook([_XL_HEADER, *_xl_rows(50)])[:400], words=("damaged",)),
    Case("empty-sheet.xlsx", workbook([]), words=("first sheet", "empty")),
    Case("header-only.xlsx", workbook([_XL_HEADER]), words=("no data rows",)),
]

# -- the kinds of bad file the app always refused -------------------------------------------------

CLASSIC_CASES = [
    Case("empty.csv", b"", words=("empty",)),
    Case("whitespace.csv", b" \r\n\t\n", words=("empty",)),
    Case("header-only.csv", HEADER.encode(), words=("no data rows",)),
    Case("chart.png.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + _random_binary(64), words=("not a text table",)),
    Case("report.pdf", b"%PDF-1.4 ...", words=("unsupported file type", ".pdf")),
    Case("report.xls", b"\xd0\xcf\x11\xe0 old", words=(".xls", "xlsx")),
    Case("zip-garbage.xlsx", b"PK\x03\x04" + b"garbage" * 20, words=("damaged",)),
    Case("text-named.xlsx", (HEADER + GOOD).encode(), words=("damaged",)),
    Case("damaged-utf16.csv", b"\xff\xfe" + "rep\tdate\n".encode("utf-16-le") + b"\x00\xd8", words=("damaged",)),
    Case("no-rep-column.csv", b"date,type\n2026-11-20,Call\n", words=("no column found", "rep", "--map")),
    Case("no-columns.csv", b"just some notes\nand more notes\n", words=("no columns found",)),
    Case("page.html.csv", b"<html><body>\n<table>\n<tr><td>Ana</td></tr>\n</table>\n</body></html>\n", words=("no columns found",)),
    Case("every-date-bad.csv", b"rep,date,type\nAna,soon,Call\nBo,later,Call\n", words=("every one of its 2 rows", "line 2", "'date'")),
    Case(
        "strict-one-bad.csv",
        _generic("Ana Lopez,2026-11-18,Call,,1", "Bo Brown,not a date,Call,,2"),
        words=("strict", "line 3", "not a date"), options={"strict": True}, cli=False,
    ),
    Case("dates-ambiguous.csv", b"rep,date,type\nAna,01/02/2026,Call\nAna,02/03/2026,Call\n", error=AmbiguousDates, words=("--dayfirst", "01/02/2026")),
    Case(
        "only-lost-deals.csv",
        b"Opportunity ID,Opportunity Owner,Stage,Close Date,Amount\n1,Ana,Closed Lost,2026-11-20,5\n",
        words=("nothing to import",),
    ),
    Case(
        "unterminated-quote.csv",
        (HEADER + 'Ana Lopez,2026-11-18,"Call,Connected,1\nBo Brown,2026-11-19,Call,,2\n').encode(),
        words=("quote", "never closed", "Fix the quote"),
    ),
]

CASES: list[Case] = [*FORMAT_CASES, *NUL_CASES, *DATE_CASES, *TEXT_CASES, *NAME_CASES, *XLSX_CASES, *CLASSIC_CASES]
