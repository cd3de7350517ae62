"""Open pages stay live: new data shows up without a reload, across a server restart, and on the TV."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSCODE
from tests.browser.helpers import card_value, no_exception, open_app, settle
from tests.factories_ui import seed_file
from tests.serving import ServerProcess

pytestmark = pytest.mark.browser

AS_OF = "2026-11-18T14:00"


@pytest.fixture
def own_server(_chromium_available: None, tmp_path: Path) -> Iterator[ServerProcess]:
    """A server of this test's own, which the test may restart."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    seed_file(tmp_path / "scorecard.duckdb")
    app = ServerProcess(tmp_path / "scorecard.duckdb", inbox, tmp_path / "server.log", passcode=PASSCODE).start()
    try:
        yield app
    finally:
        app.stop()


def _drop(inbox: Path, name: str, rep: str, when: str, kind: str, count: int) -> None:
    rows = "".join(f"{rep},{when}:{10 + i:02d},{kind},\n" for i in range(count))
    partial = inbox / f".{name}"
    partial.write_text("Rep,Date,Type,Outcome\n" + rows, encoding="utf-8")
    partial.rename(inbox / name)


def test_an_open_page_keeps_updating_across_a_server_restart(own_server: ServerProcess, page: Page) -> None:
    open_app(page, f"{own_server.url}/?rep=ben-carter&as_of={AS_OF}")
    value = card_value(page, "meetings")
    before = int(value.inner_text())
    _drop(own_server.inbox, "first.csv", "Ben Carter", "2026-11-18 11", "Meeting", 2)
    expect(value).to_have_text(str(before + 2), timeout=15_000)

    own_server.restart()
    # Nobody reloads: the tab reconnects by itself and draws again.
    expect(page.get_by_role("heading", name="Ben Carter")).to_be_visible(timeout=30_000)
    settle(page)
    _drop(own_server.inbox, "second.csv", "Ben Carter", "2026-11-18 12", "Meeting", 3)
    expect(card_value(page, "meetings")).to_have_text(str(before + 5), timeout=15_000)
    settle(page)
    no_exception(page)
    assert "Traceback" not in own_server.log_text()


def test_the_standup_keeps_rotating_and_shows_new_data(own_server: ServerProcess, page: Page) -> None:
    page.set_viewport_size({"width": 1920, "height": 1080})
    open_app(page, f"{own_server.url}/?view=standup&as_of={AS_OF}")
    dots = page.get_by_text("●", exact=False).first
    first = dots.inner_text()
    # The slides move on by themselves (every 15 s)...
    expect(dots).not_to_have_text(first, timeout=25_000)
    # ...and new data reaches the screen without anyone touching it.
    page.goto(f"{own_server.url}/?view=standup&as_of={AS_OF}&slide=gaps")
    settle(page)
    tile = page.locator('div[class*="st-key-tvtile-"][class*="-meetings"]').first
    before = tile.inner_text()
    _drop(own_server.inbox, "standup.csv", "Ben Carter", "2026-11-18 09", "Meeting", 6)
    expect(tile).not_to_have_text(before, timeout=15_000)
    settle(page)
    no_exception(page)
