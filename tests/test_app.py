"""The router: navigation, the default page, the sidebar gate, and the /?view=standup route."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.ui_apptest import APP, TIMEOUT, app_store_closed, seeded_db, texts  # noqa: F401


def test_default_page_is_my_scorecard_with_freshness_and_gate(tmp_path: Path) -> None:
    seeded_db(tmp_path)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert at.title[0].value == "My scorecard"
    sidebar = "\n".join(str(c.value) for c in at.sidebar.caption)
    assert "Data through" in sidebar
    assert at.sidebar.text_input(key="manager_gate_sidebar_input") is not None


def test_sidebar_gate_unlocks_manager_mode(tmp_path: Path) -> None:
    seeded_db(tmp_path)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.sidebar.text_input(key="manager_gate_sidebar_input").input("test-passcode")
    at.sidebar.button[0].click().run()
    assert at.session_state["manager_unlocked"] is True
    assert "Manager mode is on" in "\n".join(str(c.value) for c in at.sidebar.caption)
    at.sidebar.button(key="manager_lock").click().run()
    assert at.session_state["manager_unlocked"] is False


def test_view_standup_routes_to_the_stand_up_screen(tmp_path: Path) -> None:
    seeded_db(tmp_path)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["view"] = "standup"
    at.query_params["as_of"] = "2026-11-18T14:00"
    at.run()
    assert not at.exception
    assert "Team pace this week" in texts(at)


def test_a_page_run_without_the_router_is_sent_through_it(tmp_path: Path) -> None:
    # A deep link (/team) before the router's first run in a process starts the page alone.
    seeded_db(tmp_path)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["as_of"] = "2026-11-18T14:00"
    at.run()
    at.run()  # AppTest re-detects the legacy pages/ mode on every run, like a cold server
    assert not at.exception
    assert "Data through" in "\n".join(str(c.value) for c in at.sidebar.caption)
    assert at.sidebar.text_input(key="manager_gate_sidebar_input") is not None


def test_first_start_without_a_passcode_generates_one_readable_only_by_its_owner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded_db(tmp_path)
    monkeypatch.delenv("SCORECARD_MANAGER_PASSCODE")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    stored = tmp_path / ".manager_passcode"
    assert stored.exists() and stored.read_text().strip()
    assert stored.stat().st_mode & 0o777 == 0o600
