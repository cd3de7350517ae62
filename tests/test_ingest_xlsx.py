"""Workbooks: memory bounded by the filled cells, formula cells read as their value or rejected, limits that say so."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
import xlsxwriter

from scorecard.ingest import FileRejected, IngestOptions, batch_rejects, ingest_bytes, reading, xlsx
from scorecard.store import Store
from tests.corpus.xlsx import Formula, workbook
from tests.factories_ingest import event_set, snapshot

ROOT = Path(__file__).resolve().parent.parent
AS_OF = datetime(2026, 11, 23, 12, 0)
OPTIONS = IngestOptions(as_of=AS_OF)
HEADER = ["rep", "date", "type", "outcome", "id"]


def _export(path: Path, rows: int, stray: tuple[int, int, str] | None) -> Path:
    """A ~500 KB export as Excel writes it, with one stray cell far from the table (an empty string, a space)."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Export")
    sheet.write_row(0, 0, HEADER)
    for i in range(1, rows):
        sheet.write_row(i, 0, [f"Rep {i % 7}", f"2026-11-{1 + i % 20:02d}", "Call", "Connected", str(i)])
    if stray is not None:
        sheet.write_string(*stray)
    book.close()
    return path


# Peak memory from VmHWM: ru_maxrss would carry over the (large) test process's peak across fork and exec.
_MEASURE = """
import json, sys
sys.path.insert(0, {root!r})
from scorecard.ingest.reading import read_table
from scorecard.ingest.layouts import known_labels
data = open(sys.argv[1], "rb").read()
table = read_table("export.xlsx", data, known_labels())
peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({{"rows": table.frame.height, "columns": table.columns, "peak_mb": peak_kb / 1024}}))
"""


@pytest.mark.parametrize(
    ("stray", "extra_columns"),
    [
        ((2, 3000, ""), []),  # an empty string in column DLM: the used range becomes 20,000 x 3,001 cells
        ((2, 3000, " "), []),
        ((2, 16383, "note"), ["column 16384"]),  # a value in the last column, XFD
    ],
)
def test_a_stray_far_cell_keeps_memory_bounded(tmp_path: Path, stray: tuple[int, int, str], extra_columns: list[str]) -> None:
    path = _export(tmp_path / "export.xlsx", 20_000, stray)
    assert path.stat().st_size < 600_000
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE.format(root=str(ROOT)), str(path)], capture_output=True, text=True, check=True, timeout=300
    )
    found = json.loads(out.stdout)
    assert found["rows"] == 19_999
    assert found["columns"] == [*HEADER, *extra_columns]
    # A dense reader of the used range needed over 2 GB for the first two; the process itself is ~150 MB.
    assert found["peak_mb"] < 450, found


def test_a_value_in_the_last_cell_of_the_sheet_is_read_not_a_crash(store: Store, tmp_path: Path) -> None:
    path = _export(tmp_path / "corner.xlsx", 50, (1_048_575, 16_383, "x"))
    result = ingest_bytes(store, "corner.xlsx", path.read_bytes(), OPTIONS)
    assert (result.rows_added, result.rows_rejected) == (49, 0)


def test_formulas_written_by_a_library_that_never_calculates(store: Store, tmp_path: Path) -> None:
    """xlsxwriter saves 0 as every formula's value unless told otherwise: a rep called "0" must never appear."""
    book = xlsxwriter.Workbook(str(tmp_path / "f.xlsx"))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["rep", "date", "type", "amount", "id"])
    sheet.write_row(1, 0, ["Ana", "2026-11-18", "Closed Won", 100, "a"])
    sheet.write_formula(2, 0, "=A2", None)  # saved value 0
    sheet.write_row(2, 1, ["2026-11-18", "Closed Won", 200, "b"])
    sheet.write_row(3, 0, ["Bo", "2026-11-18", "Closed Won"])
    sheet.write_formula(3, 3, "=D2*2", None, 200)  # a number where a number belongs: read
    sheet.write_string(3, 4, "c")
    sheet.write_formula(4, 0, '="Cy"', None, "Cy")  # a text value saved: read
    sheet.write_row(4, 1, ["2026-11-18", "Closed Won", 50, "d"])
    book.close()
    before = snapshot(store)
    result = ingest_bytes(store, "f.xlsx", (tmp_path / "f.xlsx").read_bytes(), OPTIONS)
    assert (result.rows_added, result.rows_rejected) == (3, 1)
    assert [r[:2] for r in batch_rejects(store, result.batch_id).select("line_no", "column").rows()] == [(3, "rep")]
    assert "formula showing the number 0" in batch_rejects(store, result.batch_id)["reason"][0]
    assert sorted((e[0], e[5]) for e in event_set(store)) == [("Ana", 100.0), ("Bo", 200.0), ("Cy", 50.0)]
    assert "0" not in {r[0] for r in store.fetchall("SELECT display_name FROM reps")}
    assert before["reps"] == []


@pytest.mark.parametrize(
    ("limit", "value", "words"),
    [
        ("MAX_CELLS", 20, "more than 20 filled cells"),
        ("MAX_ELEMENTS", 30, "more than 30 XML elements"),
        ("MAX_PART_BYTES", 400, "unpacks to"),
    ],
)
def test_workbook_limits_refuse_clearly(store: Store, monkeypatch: pytest.MonkeyPatch, limit: str, value: int, words: str) -> None:
    monkeypatch.setattr(xlsx, limit, value)
    data = workbook([HEADER, *[["Ana", "2026-11-18", "Call", "", str(i)] for i in range(10)]])
    with pytest.raises(FileRejected) as err:
        ingest_bytes(store, "big.xlsx", data, OPTIONS)
    assert str(err.value).startswith("big.xlsx: the workbook is too large to read safely")
    assert words in str(err.value) and "Export the report as CSV" in str(err.value)
    assert store.scalar("SELECT count(*) FROM batches") == 0


def test_a_table_spread_over_a_huge_grid_is_refused(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "MAX_XLSX_GRID", 1000)
    data = workbook([HEADER, ["Ana", "2026-11-18", "Call", "", "1"]], extra={"XFD5000": "x"})
    with pytest.raises(FileRejected, match=r"filled cells span 6 columns and 5,000 rows.*Delete the stray cells"):
        ingest_bytes(store, "spread.xlsx", data, OPTIONS)


def test_formula_without_value_in_an_unmapped_column_is_harmless(store: Store) -> None:
    data = workbook([[*HEADER, "region"], ["Ana", "2026-11-18", "Call", "", "1", Formula("=NOW()")]])
    assert ingest_bytes(store, "n.xlsx", data, OPTIONS).rows_added == 1


@pytest.mark.parametrize(
    ("serial", "date1904", "text"),
    [
        (46344.0, False, "2026-11-18"),
        (46344.5, False, "2026-11-18 12:00:00"),
        (46344.68888888889, False, "2026-11-18 16:32:00"),
        (44882.25, True, "2026-11-18 06:00:00"),
        (46344.0000001, False, "2026-11-18 00:00:00.009"),
    ],
)
def test_serial_dates(serial: float, date1904: bool, text: str) -> None:
    assert xlsx.serial_text(serial, date1904) == text
