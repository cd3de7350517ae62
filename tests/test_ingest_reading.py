"""Reading files: encodings, delimiters, title lines, footers, line numbers, xlsx."""

from __future__ import annotations

import codecs
import io
from datetime import datetime

import polars as pl
import pytest

from scorecard.ingest import IngestOptions, ingest_bytes
from scorecard.ingest.layouts import known_labels
from scorecard.ingest.reading import LINE, decode, read_table
from scorecard.store import Store
from tests.factories_ingest import SF_FOOTER, SF_HEADER, csv_bytes, event_set

ROWS = [
    ["a1", "José Núñez", "Café call", "11/20/2026 4:12 PM", "Call", "Connected", "Completed"],
    ["a2", "Ana López", "Demo €", "11/21/2026 9:05 AM", "Meeting", "", "Completed"],
]


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [
        ("utf-8", ","),
        ("utf-8-sig", ";"),
        ("utf-16", "\t"),  # Excel "Unicode text": UTF-16 LE with BOM, tab separated
        ("utf-16-be-bom", "\t"),
        ("cp1252", ","),
        ("cp1252", "|"),
        ("latin-1", ";"),
    ],
)
def test_encodings_and_delimiters_read_the_same_events(store: Store, encoding: str, delimiter: str) -> None:
    rows = ROWS if encoding != "latin-1" else [[c.replace("€", "EUR") for c in r] for r in ROWS]
    text = csv_bytes(SF_HEADER, rows, delimiter=delimiter).decode()
    data = codecs.BOM_UTF16_BE + text.encode("utf-16-be") if encoding == "utf-16-be-bom" else text.encode(encoding)
    result = ingest_bytes(store, "export.csv", data)
    assert result.rows_added == 2
    names = {e[0] for e in event_set(store)}
    assert names == {"José Núñez", "Ana López"}
    subjects = {e[4] for e in event_set(store)}
    assert ("Demo €" if encoding != "latin-1" else "Demo EUR") in subjects


def test_cp1252_is_detected_not_assumed() -> None:
    data = "Rep;Date;Type\nJosé Núñez;2026-11-20;Llamada con señor Peña — €50\n".encode("cp1252")
    text, encoding = decode("x.csv", data)
    assert "Núñez" in text and "€" in text
    assert encoding in {"cp1252", "windows-1252"}


def test_salesforce_footer_and_title_lines_are_skipped_not_rejected(store: Store) -> None:
    title = '"Activities with Calls"\n"As of 11/22/2026"\n\n'
    data = (title + csv_bytes(SF_HEADER, ROWS, footer=SF_FOOTER).decode()).encode()
    result = ingest_bytes(store, "sf.csv", data)
    assert (result.rows_added, result.rows_rejected) == (2, 0)
    assert result.rows_skipped == 2 + 5  # two title lines, the blank line and four footer lines
    assert result.layout == "salesforce_activity"


@pytest.mark.parametrize(
    "summary",
    [
        ["Grand Total (2 records)", "", "", "", "", "", ""],
        ["Total", "", "", "", "", "", ""],
        ["Count: 2", "", "", "", "", "", ""],
    ],
)
def test_summary_rows_are_skipped(store: Store, summary: list[str]) -> None:
    data = csv_bytes(SF_HEADER, [*ROWS, summary])
    result = ingest_bytes(store, "sf.csv", data)
    assert (result.rows_added, result.rows_rejected, result.rows_skipped) == (2, 0, 1)


def test_hubspot_style_totals_row_is_skipped(store: Store) -> None:
    header = ["Deal Name", "Deal Stage", "Close Date", "Amount", "Deal owner", "Record ID"]
    rows = [["Big", "Closed Won", "2026-11-20", "1000", "Ana López", "1"], ["Totals", "", "", "1000", "", ""]]
    result = ingest_bytes(store, "hs.csv", csv_bytes(header, rows))
    assert (result.rows_added, result.rows_rejected, result.rows_skipped) == (1, 0, 1)


def test_line_numbers_count_title_lines_and_quoted_line_breaks() -> None:
    data = b'Report\n\nrep,date,type,notes\nAna,2026-11-20,Call,"two\nlines"\nBo,2026-11-21,Call,x\n'
    raw = read_table("x.csv", data, known_labels())
    assert raw.frame[LINE].to_list() == [4, 6]
    assert raw.header_line == 3


def test_rejected_row_line_number_matches_the_file(store: Store) -> None:
    data = b'Report title\nrep,date,type\nAna,2026-11-20,Call\nAna,not a date,Call\n'
    result = ingest_bytes(store, "x.csv", data)
    assert result.rows_rejected == 1
    line, column, reason = store.fetchall("SELECT line_no, column_name, reason FROM rejected_rows")[0]
    assert (line, column) == (4, "date")
    assert "not a date" in reason


def test_xlsx_round_trip(store: Store) -> None:
    frame = pl.DataFrame(
        {
            "Activity ID": ["x1", "x2", "x3"],
            "Assigned": ["Ana López", "Bo", "Bo"],
            "Subject": ["c", "d", "e"],
            "Date": [datetime(2026, 11, 20, 16, 12), datetime(2026, 11, 21, 9, 0), datetime(2026, 11, 22)],
            "Type": ["Call", "Meeting", "Call"],
            "Call Result": ["Connected", None, "No answer"],
        }
    )
    buffer = io.BytesIO()
    frame.write_excel(buffer)
    result = ingest_bytes(store, "export.xlsx", buffer.getvalue())
    assert (result.rows_added, result.rows_rejected, result.layout) == (3, 0, "salesforce_activity")
    when = sorted(e[1] for e in event_set(store))
    assert when == [datetime(2026, 11, 20, 16, 12), datetime(2026, 11, 21, 9, 0), datetime(2026, 11, 22)]


def test_xlsx_excel_serial_dates(store: Store) -> None:
    frame = pl.DataFrame({"rep": ["Ana"], "date": [46346.5], "type": ["Call"]})
    buffer = io.BytesIO()
    frame.write_excel(buffer)
    ingest_bytes(store, "serial.xlsx", buffer.getvalue())
    assert event_set(store)[0][1] == datetime(2026, 11, 20, 12, 0)


def test_semicolon_file_with_decimal_comma_amounts(store: Store) -> None:
    text = "rep;date;type;amount\nAna;20.11.2026;Closed Won;1.234,50 €\nAna;21.11.2026;Closed Won;99,90\n"
    ingest_bytes(store, "eu.csv", text.encode("utf-8"), IngestOptions())
    assert sorted(e[5] for e in event_set(store)) == [99.9, 1234.5]


def test_a_real_row_that_starts_like_a_footer_word_is_rejected_not_skipped(store: Store) -> None:
    data = b"rep,date,type\nAna,2026-11-20,Call\nSummer Smith,someday,Call\nCountess Olenska,2026-11-21,Call\n"
    result = ingest_bytes(store, "x.csv", data)
    assert (result.rows_added, result.rows_rejected, result.rows_skipped) == (2, 1, 0)
