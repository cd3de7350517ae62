"""Shared pytest setup: every test gets its own database, never data/scorecard.duckdb."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scorecard.localpg import LocalPostgres
from scorecard.store import Store, close_all_stores
from tests.factories import TEST_PG_DSN, current_backend, database_location, new_store


@pytest.fixture(autouse=True)
def _isolated_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[None]:
    # A run on a lake ($SCORECARD_TEST_BACKEND) puts the default database there too.
    if current_backend() == "ducklake-postgres":
        monkeypatch.setenv(TEST_PG_DSN, request.getfixturevalue("postgres").dsn)
    location, data_path = database_location(tmp_path)
    monkeypatch.setenv("SCORECARD_DB", location)
    if data_path is not None:
        monkeypatch.setenv("SCORECARD_DATA_PATH", str(data_path))
    else:
        monkeypatch.delenv("SCORECARD_DATA_PATH", raising=False)
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
