"""A manager launches a suggested contest from the Contests page; a rep sees it on their scorecard.

The seeded team (tests/factories_ui.py) logged nothing after Wednesday morning,
so by Thursday 10:00 meetings are a team gap. The contest runs Thu–Fri, so
the other browser tests, which look from Wednesday, never see it running.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSCODE, Server
from tests.browser.helpers import no_exception, open_app, settle, shot

pytestmark = pytest.mark.browser

THURSDAY = "2026-11-19T10:00"
THURSDAY_NOON = "2026-11-19T12:00"


def test_launch_from_the_page_then_standings_on_a_reps_scorecard(server: Server, page: Page) -> None:
    open_app(page, f"{server.url}/contests?as_of={THURSDAY}")
    no_exception(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("button", name="Launch")).to_have_count(0)  # locked: no launch without the passcode

    main.locator(".st-key-manager_gate_page_input input").fill(PASSCODE)
    main.get_by_role("button", name="Unlock").click()
    settle(page)
    suggestion = main.locator(".st-key-suggestion-meetings")
    expect(suggestion).to_be_visible()
    expect(suggestion.get_by_text("Budget: ")).to_be_visible()  # the arithmetic is shown
    suggestion.get_by_role("button", name="Launch").click()
    settle(page)
    no_exception(page)
    expect(main.get_by_text("Launched contest")).to_be_visible()
    expect(main.locator('div[class*="st-key-contest-"]').first).to_be_visible()
    shot(page, "contests-launched", full_page=True)

    open_app(page, f"{server.url}/?rep=ana-lopez&as_of={THURSDAY_NOON}")
    no_exception(page)
    expect(page.get_by_text("Your contests")).to_be_visible()
    shot(page, "contests-on-rep-scorecard", full_page=True)
