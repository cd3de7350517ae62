"""A manager unlocks the Upload page, drops a CSV, imports it and sees the summary."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSCODE, Server
from tests.browser.helpers import no_exception, open_app, settle, shot

pytestmark = pytest.mark.browser


def test_upload_flow(server: Server, page: Page, tmp_path_factory: pytest.TempPathFactory) -> None:
    export = tmp_path_factory.mktemp("export") / "week-47.csv"
    export.write_text(
        "Rep,Date,Type,Outcome\n"
        "Dev Patel,2026-11-17 10:00,Call,Connected\n"
        "Dev Patel,2026-11-17 11:00,Meeting,\n"
        "Farah Idris,2026-11-17 12:00,Call,No answer\n"
        "Dev Patel,yesterday-ish,Call,Connected\n",
        encoding="utf-8",
    )
    open_app(page, f"{server.url}/upload")
    expect(page.get_by_text("This page is for managers")).to_be_visible()
    expect(page.locator('input[type="file"]')).to_have_count(0)
    page.get_by_label("Manager passcode").last.fill(PASSCODE)
    page.get_by_role("button", name="Unlock").last.click()
    settle(page)
    page.locator('input[type="file"]').set_input_files(str(export))
    settle(page)
    expect(page.get_by_text("Detected layout")).to_be_visible()
    page.get_by_role("button", name="Import 4 rows").click()
    expect(page.get_by_text("Imported as batch")).to_be_visible(timeout=30_000)
    settle(page)
    expect(page.get_by_text("Farah Idris")).to_be_visible()
    expect(page.get_by_role("button", name="Download the 1 rejected row (CSV)")).to_be_visible()
    expect(page.get_by_text("Rejected rows (kept with the upload")).to_be_visible()
    no_exception(page)
    page.set_viewport_size({"width": 1280, "height": 2000})
    settle(page)
    shot(page, "upload-summary")
