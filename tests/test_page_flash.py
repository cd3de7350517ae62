"""Flash report page (AppTest): last completed week by default, lead first, CSV and printable view."""

from __future__ import annotations

from pathlib import Path

from tests.ui_apptest import app, app_store_closed, seeded_db, texts  # noqa: F401

PAGE = "pages/flash.py"
AS_OF = "2026-11-18T14:00"


def test_flash_defaults_to_last_completed_week_lead_first(tmp_path: Path) -> None:
    seeded_db(tmp_path)
    at = app(PAGE, tmp_path, as_of=AS_OF).run()
    assert not at.exception
    assert "Week of Nov 9, 2026" in texts(at)
    frame = at.dataframe[0].value
    columns = list(frame.columns)
    assert columns[0] == "Rep"
    assert columns.index("Conversations") < columns.index("Calls") < columns.index("Deals won")
    assert frame["Rep"].tolist()[-1].lower().startswith("team")
    downloads = {d.label for d in at.get("download_button")}
    assert downloads == {"Download CSV", "Download Markdown"}
    assert at.table  # the printable view


def test_flash_current_week_so_far(tmp_path: Path) -> None:
    seeded_db(tmp_path)
    at = app(PAGE, tmp_path, as_of=AS_OF).run()
    week = at.selectbox(key="flash_week")
    week.select_index(0).run()
    assert not at.exception
    assert "Week of Nov 16, 2026" in texts(at)
