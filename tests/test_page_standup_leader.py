"""Stand-up screen (AppTest): the manager's own scorecard as a slide, only when the setting turns it on."""

from __future__ import annotations

import dataclasses
import os
from datetime import date
from pathlib import Path

from scorecard import coaching
from scorecard.settings import load_settings, save_settings
from scorecard.store import Store, open_store
from tests.factories_ui import seed_file
from tests.ui_apptest import app, app_store_closed, texts  # noqa: F401

PAGE = "pages/standup.py"
AS_OF = "2026-11-18T14:00"


def _seed(*, on_standup: bool) -> None:
    path = Path(os.environ["SCORECARD_DB"])
    reps = seed_file(path)
    store = Store(path)
    try:
        maria = coaching.add_manager(store, "Maria Boss", "maria@example.com", "East")
        coaching.set_manager(store, list(reps.values()), maria)
        coaching.log_session(store, "joint_meeting", date(2026, 11, 17), leader_id=maria, rep_id=reps["chloe-park"])
        save_settings(store, dataclasses.replace(load_settings(store), leader_on_standup=on_standup))
    finally:
        store.close()


def test_the_lead_slide_when_the_setting_is_on(tmp_path: Path) -> None:
    _seed(on_standup=True)
    at = app(PAGE, tmp_path, as_of=AS_OF, slide="lead").run()
    assert not at.exception
    body = texts(at)
    assert "Lead from the front: the manager's week" in body
    assert "Maria Boss" in body
    assert ("Joint customer meetings", "1") in [(m.label, m.value) for m in at.metric]
    assert "●" in body and body.count("○") == 3  # the fourth of four slides


def test_no_lead_slide_when_the_setting_is_off(tmp_path: Path) -> None:
    _seed(on_standup=False)
    at = app(PAGE, tmp_path, as_of=AS_OF, slide="lead").run()
    assert not at.exception
    body = texts(at)
    assert "Lead from the front" not in body
    assert body.count("○") == 2  # three slides


def test_the_setting_is_saved_from_the_settings_page(tmp_path: Path) -> None:
    seed_file(Path(os.environ["SCORECARD_DB"]))
    at = app("pages/manage_settings.py", tmp_path)
    at.session_state["manager_unlocked"] = True
    at.run()
    assert at.checkbox(key="s_leader_on_standup").value is False
    at.checkbox(key="s_leader_on_standup").check()
    next(b for b in at.button if b.label == "Save settings").click().run()
    assert not at.exception
    assert load_settings(open_store(os.environ["SCORECARD_DB"])).leader_on_standup is True
