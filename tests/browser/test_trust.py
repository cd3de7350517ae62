"""In a real browser: hostile names render as text, and a manager sign-in survives a reload and a new tab.

These run their own app on a database seeded with the hostile team (tests/factories_hostile.py),
so what Streamlit's Markdown renderer makes of escaped text is checked, not assumed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from scorecard.text import WORD_JOINER
from tests.browser.conftest import Server
from tests.browser.helpers import no_exception, open_app, settle, shot
from tests.factories_hostile import HOSTILE_NAMES, seed_hostile_file, visible
from tests.serving import ServerProcess

pytestmark = pytest.mark.browser

AS_OF = "2026-11-18T14:00"
PASSCODE = "trust-browser-passcode"


@pytest.fixture(scope="module")
def hostile_server(_chromium_available: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    base = tmp_path_factory.mktemp("hostile-app")
    db = base / "scorecard.duckdb"
    seed_hostile_file(db)
    inbox = base / "inbox"
    inbox.mkdir()
    app = ServerProcess(db, inbox, base / "streamlit.log", passcode=PASSCODE).start()
    try:
        yield app
    finally:
        app.stop()


def _no_markup_from_names(page: Page) -> None:
    main = page.locator('[data-testid="stMain"]')
    expect(main.locator('a[href*="evil"]:not([href^="#"]), a[href^="javascript"], a[href^="mailto:"]')).to_have_count(0)
    expect(main.locator('[data-testid="stIconMaterial"]', has_text="warning")).to_have_count(0)
    expect(main.locator("img[src='x'], b, u, i, del, s, .katex")).to_have_count(0)
    # Markup made from a name would wrap exactly these words; the page's own bold may wrap a whole (literal) name.
    expect(main.locator("strong", has_text=re.compile(r"^Bold$"))).to_have_count(0)
    expect(main.locator("em", has_text=re.compile(r"^Rep$"))).to_have_count(0)
    expect(main.locator("code", has_text=re.compile(r"^code$"))).to_have_count(0)
    expect(main.locator("a", has_text=re.compile(r"^click me$"))).to_have_count(0)


def test_flash_report_printable_table_shows_names_as_text(hostile_server: Server, page: Page) -> None:
    page.set_viewport_size({"width": 1600, "height": 1400})
    open_app(page, f"{hostile_server.url}/flash?as_of={AS_OF}")
    page.get_by_role("tab", name="Printable").click()
    table = page.locator('[data-testid="stTable"]')
    table.wait_for()
    settle(page)
    no_exception(page)
    text = table.inner_text().replace(WORD_JOINER, "")  # invisible; keeps bare addresses from becoming links
    for name in HOSTILE_NAMES:
        assert visible(name) in text, name
    _no_markup_from_names(page)
    shot(page, "hostile-flash-printable")


@pytest.mark.parametrize("index", range(len(HOSTILE_NAMES)))
def test_scorecard_title_and_team_pages_show_names_as_text(hostile_server: Server, page: Page, index: int) -> None:
    from scorecard.roster import slugify

    name = HOSTILE_NAMES[index]
    open_app(page, f"{hostile_server.url}/?rep={slugify(name)}&as_of={AS_OF}")
    no_exception(page)
    assert page.locator("h1").first.inner_text().replace(WORD_JOINER, "") == visible(name)
    _no_markup_from_names(page)
    if index == 0:
        page.set_viewport_size({"width": 1440, "height": 2400})
        open_app(page, f"{hostile_server.url}/team?as_of={AS_OF}")
        no_exception(page)
        _no_markup_from_names(page)
        shot(page, "hostile-team")


def _sign_in(page: Page) -> None:
    page.get_by_text("Manager sign-in").click()
    page.get_by_label("Manager passcode").first.fill(PASSCODE)
    page.get_by_role("button", name="Unlock").first.click()
    expect(page.get_by_text("Manager mode is on")).to_be_visible()
    settle(page)


def test_sign_in_survives_a_reload_and_a_new_tab_until_locked(hostile_server: Server, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        open_app(page, f"{hostile_server.url}/?as_of={AS_OF}")
        _sign_in(page)
        cookies = {c["name"]: c for c in context.cookies()}
        assert "scorecard_manager" in cookies and cookies["scorecard_manager"]["sameSite"] == "Strict"

        page.reload()
        settle(page)
        expect(page.get_by_text("Manager mode is on")).to_be_visible()
        tab = context.new_page()
        open_app(tab, f"{hostile_server.url}/manage_settings")
        expect(tab.get_by_role("button", name="Download a backup")).to_be_visible()

        tab.get_by_role("button", name="Lock manager pages").click()
        settle(tab)
        expect(tab.get_by_text("This page is for managers")).to_be_visible()
        page.reload()
        settle(page)
        expect(page.get_by_text("Manager sign-in")).to_be_visible()
        assert "scorecard_manager" not in {c["name"] for c in context.cookies()}
    finally:
        context.close()


def test_a_new_browser_without_the_cookie_is_not_signed_in(hostile_server: Server, page: Page) -> None:
    open_app(page, f"{hostile_server.url}/manage_settings")
    expect(page.get_by_text("This page is for managers")).to_be_visible()
    expect(page.get_by_role("button", name="Download a backup")).to_have_count(0)


def test_no_passcode_is_printed_in_the_server_log(hostile_server: Server) -> None:
    assert PASSCODE not in Path(hostile_server.log).read_text(errors="replace")
