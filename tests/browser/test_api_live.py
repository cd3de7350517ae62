"""An API POST shows on an open scorecard within five seconds, nobody touching the page."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from scorecard.api.tokens import create_token
from scorecard.store import Store
from tests.browser.conftest import PASSCODE
from tests.browser.helpers import card_value, no_exception, open_app, settle
from tests.factories_ui import seed_file
from tests.serving import ServerProcess

pytestmark = pytest.mark.browser

AS_OF = "2026-11-18T14:00"


@pytest.fixture
def api_server(_chromium_available: None, tmp_path: Path) -> Iterator[tuple[ServerProcess, str]]:
    db = tmp_path / "scorecard.duckdb"
    seed_file(db)
    with Store(db) as store:
        token = create_token(store, "browser-test").plain
    (tmp_path / "inbox").mkdir()
    app = ServerProcess(db, tmp_path / "inbox", tmp_path / "server.log", passcode=PASSCODE).start()
    try:
        yield app, token
    finally:
        app.stop()


def _post(server: ServerProcess, token: str, events: list[dict[str, str]]) -> dict[str, object]:
    request = urllib.request.Request(
        f"{server.url}/api/v1/events",
        data=json.dumps(events).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 202
        return dict(json.loads(response.read()))


def test_an_api_post_updates_an_open_scorecard(api_server: tuple[ServerProcess, str], page: Page) -> None:
    server, token = api_server
    open_app(page, f"{server.url}/?rep=ben-carter&as_of={AS_OF}")
    value = card_value(page, "meetings")
    before = int(value.inner_text())
    events = [
        {"id": f"live-{i}", "rep": "Ben Carter", "type": "Meeting", "occurred_at": f"2026-11-18T{10 + i:02d}:15:00-05:00",
         "subject": "*bold* <b>x</b>"}  # fmt: skip
        for i in range(2)
    ]
    assert _post(server, token, events)["added"] == 2
    expect(value).to_have_text(str(before + 2), timeout=5_000)
    settle(page)
    no_exception(page)
    assert "Traceback" not in server.log_text()
