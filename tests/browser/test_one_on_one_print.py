"""The 1:1 prep page prints as the prep alone: no sidebar, no rep picker, no forms."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSCODE, Server
from tests.browser.helpers import no_exception, open_app, settle, shot

pytestmark = pytest.mark.browser

AS_OF = "2026-11-18T14:00"


def test_the_prep_page_prints_clean(server: Server, page: Page) -> None:
    page.set_viewport_size({"width": 1280, "height": 2000})
    open_app(page, f"{server.url}/one_on_one?rep=chloe-park&as_of={AS_OF}")
    main = page.get_by_test_id("stMain")
    expect(main.locator('[data-testid="stTable"]')).to_have_count(0)  # locked: no prep
    main.locator(".st-key-manager_gate_page_input input").fill(PASSCODE)
    main.get_by_role("button", name="Unlock").click()
    settle(page)
    no_exception(page)
    table = main.locator('[data-testid="stTable"]').first
    form = main.get_by_role("button", name="Save the 1:1")
    expect(table).to_be_visible()
    expect(form).to_be_visible()
    expect(page.get_by_test_id("stSidebar")).to_be_visible()

    page.emulate_media(media="print")
    expect(table).to_be_visible()
    expect(main.get_by_text("Ask together:")).to_be_visible()
    expect(form).to_be_hidden()
    expect(main.locator(".st-key-noprint-pick")).to_be_hidden()
    expect(main.get_by_text("To print: Ctrl+P")).to_be_hidden()
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()
    shot(page, "one-on-one-print", full_page=True)
