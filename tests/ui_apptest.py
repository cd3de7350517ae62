"""AppTest plumbing for page tests: run the real router (app.py) on one page of a seeded database.

Pages are run through app.py rather than on their own: a page file named like the
package (pages/scorecard.py) would otherwise shadow it on sys.path.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from scorecard.store import forget_store
from tests.factories_ui import seed_file

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 60


def seeded_db(tmp_path: Path) -> Path:
    """Seed the database the autouse fixture points SCORECARD_DB at; the seeding store is closed after."""
    path = Path(os.environ["SCORECARD_DB"])
    seed_file(path)
    return path


@pytest.fixture(autouse=True)
def app_store_closed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No inbox watcher in page tests, and the app's process-wide store closed after each test."""
    monkeypatch.setenv("SCORECARD_INBOX", "off")
    yield
    forget_store(os.environ["SCORECARD_DB"])


def app(page: str, tmp_path: Path, **query: str) -> AppTest:
    """The app on `page` with `query` parameters; page tests never start the inbox watcher."""
    os.environ["SCORECARD_INBOX"] = "off"
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(page)
    return at


def texts(at: AppTest) -> str:
    """All visible text of a run, for loose assertions."""
    parts: list[str] = []
    for kind in ("title", "subheader", "markdown", "caption", "text", "error", "warning", "info", "success"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    return "\n".join(parts).replace("\\", "")
