"""A rep opens their link, sees their cards, and sees new data arrive without reloading."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Server
from tests.browser.helpers import card_value, no_exception, open_app, settle, shot

pytestmark = pytest.mark.browser

AS_OF = "2026-11-18T14:00"


def test_rep_link_shows_name_and_cards(server: Server, page: Page) -> None:
    open_app(page, f"{server.url}/?rep=ana-lopez&as_of={AS_OF}")
    expect(page.get_by_role("heading", name="Ana Lopez")).to_be_visible()
    expect(page.get_by_text("THE ONE THING THIS WEEK")).to_be_visible()
    expect(card_value(page, "conversations")).to_have_text("6")
    expect(page.get_by_text("6 of 8 conversations · 143% of pace")).to_be_visible()
    page.get_by_text("Copy my link").click()
    expect(page.locator('[data-testid="stCode"]')).to_contain_text(f"{server.url}/?rep=ana-lopez")
    no_exception(page)
    page.set_viewport_size({"width": 1280, "height": 2600})  # the app scrolls inside its own container
    settle(page)
    shot(page, "scorecard-laptop")


def test_rep_link_on_a_phone(server: Server, page: Page) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    open_app(page, f"{server.url}/?rep=ana-lopez&as_of={AS_OF}")
    expect(page.get_by_role("heading", name="Ana Lopez")).to_be_visible()
    no_exception(page)
    shot(page, "scorecard-phone-top")
    page.set_viewport_size({"width": 390, "height": 3400})
    settle(page)
    shot(page, "scorecard-phone-full")


def test_inbox_file_updates_the_open_page_without_reload(server: Server, page: Page) -> None:
    open_app(page, f"{server.url}/?rep=ben-carter&as_of={AS_OF}")
    value = card_value(page, "meetings")
    before = int(value.inner_text())
    rows = "".join(f"Ben Carter,2026-11-18 1{i}:15,Meeting,\n" for i in range(3))
    partial = server.inbox / "monday-export.csv.part"
    partial.write_text("Rep,Date,Type,Outcome\n" + rows, encoding="utf-8")
    partial.rename(server.inbox / "monday-export.csv")
    started = time.monotonic()
    # Nobody touches the page: the inbox watcher ingests, the data version moves, the page reruns.
    expect(value).to_have_text(str(before + 3), timeout=20_000)
    assert time.monotonic() - started < 15
    settle(page)
    no_exception(page)
    assert (server.inbox / "done").is_dir()
