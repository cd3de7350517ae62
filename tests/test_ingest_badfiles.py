"""A corpus of bad files: each is refused with a clear message and changes no table at all."""

from __future__ import annotations

import io
import os
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from scorecard.ingest import AmbiguousDates, FileRejected, IngestOptions, ingest_bytes
from scorecard.store import Store
from tests.factories_ingest import GENERIC_HEADER, SF_FOOTER, csv_bytes, generic_rows, snapshot


def _empty_workbook() -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    book.add_worksheet("Sheet1")
    book.close()
    return buffer.getvalue()


def _header_only_workbook() -> bytes:
    buffer = io.BytesIO()
    pl.DataFrame({"rep": [], "date": [], "type": []}, schema={"rep": pl.String, "date": pl.String, "type": pl.String}).write_excel(buffer)
    return buffer.getvalue()


BAD_ROWS = [["Ana", "not a date", "Call", "", "1"], ["Bo", "", "Call", "", "2"]]
# (file name, content, options, words the message must contain)
CORPUS: dict[str, tuple[str, bytes, IngestOptions, tuple[str, ...]]] = {
    "empty": ("empty.csv", b"", IngestOptions(), ("empty",)),
    "blank lines only": ("blank.csv", b"\n \r\n\t\n", IngestOptions(), ("empty",)),
    "header only": ("header.csv", b"rep,date,type\n", IngestOptions(), ("no data rows",)),
    "header and footer only": ("sf.csv", b"Assigned,Date,Type,Subject\n" + SF_FOOTER.encode(), IngestOptions(), ("no data rows",)),
    "png image": ("chart.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(64), IngestOptions(), ("not a text table",)),
    "random binary": ("dump.csv", bytes(range(256)) * 8, IngestOptions(), ("not a text table",)),
    "pdf extension": ("report.pdf", b"%PDF-1.4 ...", IngestOptions(), ("unsupported file type", ".pdf")),
    "old xls": ("report.xls", b"\xd0\xcf\x11\xe0 old", IngestOptions(), (".xls", "xlsx")),
    "corrupt xlsx": ("report.xlsx", b"PK\x03\x04" + b"garbage" * 20, IngestOptions(), ("damaged",)),
    "text named xlsx": ("report.xlsx", b"rep,date,type\nAna,2026-11-20,Call\n", IngestOptions(), ("damaged",)),
    "empty workbook": ("book.xlsx", _empty_workbook(), IngestOptions(), ("empty",)),
    "header-only workbook": ("book2.xlsx", _header_only_workbook(), IngestOptions(), ("no data rows",)),
    "damaged utf-16": ("u16.csv", b"\xff\xfe" + "rep\tdate\n".encode("utf-16-le") + b"\x00\xd8", IngestOptions(), ("damaged",)),
    "no date column": ("nodate.csv", b"rep,type\nAna,Call\n", IngestOptions(), ("no column found", "date")),
    "no rep column": ("norep.csv", b"date,type\n2026-11-20,Call\n", IngestOptions(), ("no column found", "rep")),
    "no type column": ("notype.csv", b"rep,date,amount\nAna,2026-11-20,5\n", IngestOptions(), ("no column found", "type")),
    "not delimited": ("notes.csv", b"just some notes\nand more notes\n", IngestOptions(), ("no columns found",)),
    "html saved as csv": ("print.csv", b"<html><body>\n<table>\n<tr><td>Ana</td></tr>\n</table>\n</body></html>\n", IngestOptions(), ("no columns found",)),
    "every date bad": ("dates.csv", b"rep,date,type\nAna,soon,Call\nBo,later,Call\n", IngestOptions(), ("every one of its 2 rows", "line 2", "date")),
    "every row bad in different ways": ("bad.csv", csv_bytes(GENERIC_HEADER, BAD_ROWS), IngestOptions(), ("every one", "line 3")),
    "strict with one bad row": (
        "strict.csv",
        csv_bytes(GENERIC_HEADER, [*generic_rows(3), BAD_ROWS[0]]),
        IngestOptions(strict=True),
        ("strict", "line 5", "not a date"),
    ),
    "ambiguous dates": ("amb.csv", b"rep,date,type\nAna,01/02/2026,Call\nAna,02/03/2026,Call\n", IngestOptions(), ("--dayfirst", "01/02/2026")),
    "mapped column missing": ("map.csv", b"rep,date,type\nAna,2026-11-20,Call\n", IngestOptions(column_map={"rep": "Owner"}), ("'Owner'", "not in the file")),
    "only lost deals": (
        "deals.csv",
        b"Opportunity ID,Opportunity Owner,Stage,Close Date,Amount\n1,Ana,Closed Lost,2026-11-20,5\n",
        IngestOptions(),
        ("nothing to import",),
    ),
}


@pytest.fixture
def busy_store(store: Store) -> Store:
    """A store with a live batch, a rejected row and an undone batch, so every table has content."""
    good = ingest_bytes(store, "good.csv", csv_bytes(GENERIC_HEADER, [*generic_rows(10), BAD_ROWS[0]]))
    assert good.rows_rejected == 1
    undone = ingest_bytes(store, "other.csv", csv_bytes(GENERIC_HEADER, generic_rows(3, start_day=25)))
    from scorecard.ingest import undo_batch

    undo_batch(store, undone.batch_id)
    return store


@pytest.mark.parametrize("kind", sorted(CORPUS))
def test_bad_file_is_refused_clearly_and_changes_nothing(busy_store: Store, kind: str, tmp_path: Path) -> None:
    name, data, options, words = CORPUS[kind]
    before = snapshot(busy_store)
    with pytest.raises(FileRejected) as err:
        ingest_bytes(busy_store, name, data, options)
    message = str(err.value)
    assert message.startswith(f"{name}: ")
    assert err.value.file_name == name
    for word in words:
        assert word in message, f"{kind}: {word!r} not in {message!r}"
    if kind == "ambiguous dates":
        assert isinstance(err.value, AmbiguousDates)
    assert snapshot(busy_store) == before


def test_corpus_is_broad_enough() -> None:
    assert len(CORPUS) >= 20
