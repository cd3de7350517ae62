"""The team page and the flash report render in a real browser (and leave screenshots to look at)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server
from tests.browser.helpers import no_exception, open_app, settle, shot

pytestmark = pytest.mark.browser

AS_OF = "2026-11-18T14:00"


def test_team_page(server: Server, page: Page) -> None:
    page.set_viewport_size({"width": 1440, "height": 2400})
    open_app(page, f"{server.url}/team?as_of={AS_OF}")
    expect(page.get_by_role("heading", name="Team totals")).to_be_visible()
    expect(page.get_by_text("Conversations to have")).to_be_visible()
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
    settle(page)
    no_exception(page)
    shot(page, "team-page")


def test_flash_page(server: Server, page: Page) -> None:
    page.set_viewport_size({"width": 1440, "height": 1400})
    open_app(page, f"{server.url}/flash?as_of={AS_OF}")
    expect(page.get_by_text("Week of Nov 9, 2026").first).to_be_visible()
    expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible()
    expect(page.get_by_role("button", name="Download CSV", exact=True)).to_be_visible()
    settle(page)
    no_exception(page)
    shot(page, "flash-page")
