"""One `streamlit run server.py` per test session, on a seeded temporary database, and a Chromium to drive it.

The browser tests use the system Chromium (Debian's `chromium`). Without it they
skip locally; on CI (`CI` set) a missing browser is a failure, not a skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.factories_ui import seed_file
from tests.serving import ServerProcess

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
PASSCODE = "browser-test-passcode"

Server = ServerProcess


@pytest.fixture(scope="session")
def _chromium_available() -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; on CI the browser tests must run (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); browser tests skipped outside CI")


@pytest.fixture(scope="session")
def server(_chromium_available: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app (`streamlit run server.py`) on a free port, over a seeded database and its own inbox."""
    base = tmp_path_factory.mktemp("browser-app")
    db = base / "scorecard.duckdb"
    inbox = base / "inbox"
    inbox.mkdir()
    seed_file(db)
    app = ServerProcess(db, inbox, base / "streamlit.log", passcode=PASSCODE).start()
    try:
        yield app
    finally:
        app.stop()


@pytest.fixture(scope="session")
def browser(_chromium_available: None) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: object, request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh page (1280×900 unless the test resizes it); a screenshot is kept when the test fails."""
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    context.set_default_timeout(30_000)
    tab = context.new_page()
    try:
        yield tab
    finally:
        if getattr(request.node, "rep_call_failed", False):
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(ARTIFACTS / f"failed-{request.node.name}.png"), full_page=True)
        context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if call.when == "call" and report.failed:  # type: ignore[attr-defined]
        item.rep_call_failed = True  # type: ignore[attr-defined]
    return report
