"""Upload page (AppTest): it asks for the decimal mark and for a sheet's source, and shows corrections and merge proposals."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from scorecard.ingest import list_batches
from scorecard.ui import get_store
from tests.ui_apptest import app, app_store_closed, seeded_db, texts  # noqa: F401

PAGE = "pages/upload.py"


def _unlocked(tmp_path: Path) -> AppTest:
    seeded_db(tmp_path)
    at = app(PAGE, tmp_path).run()
    at.text_input(key="manager_gate_page_input").input("test-passcode")
    at.button[0].click().run()
    assert not at.exception
    return at


def _import_button(at: AppTest) -> list[object]:
    return [b for b in at.button if b.label.startswith("Import")]


def test_ambiguous_amounts_ask_for_the_decimal_mark_before_import(tmp_path: Path) -> None:
    at = _unlocked(tmp_path)
    data = b'Rep,Date,Type,Amount,Id\nAna Lopez,2026-11-17,Closed Won,"1,234",d1\nBen Carter,2026-11-17,Closed Won,"2,500",d2\n'
    at.file_uploader[0].set_value(("deals.csv", data, "text/csv")).run()
    assert not at.exception
    mark = next(r for r in at.radio if r.key and r.key.startswith("decimal:"))
    assert mark.options == ["Decimal comma (1.234,50)", "Decimal point (1,234.50)"]
    assert not _import_button(at)
    assert "'1,234'" in texts(at)
    mark.set_value("point").run()
    assert not at.exception
    assert list(at.dataframe[0].value["amount"]) == [1234.0, 2500.0]
    next(b for b in at.button if b.label.startswith("Import 2 rows")).click().run()
    assert not at.exception
    assert "Imported as batch" in texts(at)


def test_summary_proposes_a_merge_for_an_accent_only_twin(tmp_path: Path) -> None:
    at = _unlocked(tmp_path)
    data = "Rep,Date,Type\nAna López,2026-11-17 10:00,Call\n".encode()
    at.file_uploader[0].set_value(("week.csv", data, "text/csv")).run()
    next(b for b in at.button if b.label.startswith("Import")).click().run()
    assert not at.exception
    body = texts(at)
    assert "merge them on the Roster page" in body
    assert "'Ana López' looks like 'Ana Lopez'" in body


def test_a_clashing_sheet_asks_for_its_source_and_then_imports(tmp_path: Path) -> None:
    at = _unlocked(tmp_path)
    first = b"Rep,Date,Type,Id\nAna Lopez,2026-11-17,Call,1\nBen Carter,2026-11-17,Call,2\n"
    at.file_uploader[0].set_value(("team-a.csv", first, "text/csv")).run()
    next(b for b in at.button if b.label.startswith("Import")).click().run()
    assert "Imported as batch" in texts(at)
    other = b"Rep,Date,Type,Id\nChloe Park,2026-11-17,Call,1\nDev Patel,2026-11-17,Call,2\n"
    at.file_uploader[0].set_value(("team-b.csv", other, "text/csv")).run()
    next(b for b in at.button if b.label.startswith("Import")).click().run()
    assert not at.exception
    assert at.error and "different sheet numbered the same way" in at.error[0].value.replace("\\", "")
    store = get_store()
    batches_before = list_batches(store).height
    assert not _import_button(at)  # it waits for a source name
    at.text_input(key=next(t.key for t in at.text_input if t.key and t.key.startswith("source:"))).input("Team B").run()
    assert "record ids of source Team B" in texts(at)
    next(b for b in at.button if b.label.startswith("Import")).click().run()
    assert not at.exception
    assert "Imported as batch" in texts(at)
    assert list_batches(store).height == batches_before + 1
    assert list_batches(store)["record_source"][0] == "team b"
