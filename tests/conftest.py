"""Shared pytest setup: every test gets its own database, never data/scorecard.duckdb."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scorecard.localpg import LocalPostgres
from scorecard.store import Store, close_all_stores
from tests.factories import new_store


@pytest.fixture(autouse=True)
def _isolated_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SCORECARD_DB", str(tmp_path / "scorecard.duckdb"))
    monkeypatch.setenv("SCORECARD_MANAGER_PASSCODE", "test-passcode")
    yield
    # Pages open process-wide stores; close them so no test inherits another's files.
    close_all_stores()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = new_store(tmp_path, "fixture.duckdb")
    yield s
    s.close()


@pytest.fixture(autouse=True)
def _fresh_sign_in_throttle(monkeypatch: pytest.MonkeyPatch) -> None:
    """Wrong passcodes in one test must not lock the next one out (the throttle is process-wide)."""
    from scorecard import auth

    monkeypatch.setattr(auth, "THROTTLE", auth.Throttle())


@pytest.fixture(scope="session")
def postgres() -> Iterator[LocalPostgres]:
    """One real PostgreSQL server for the session, in a temporary folder on a free port."""
    with LocalPostgres() as server:
        yield server
