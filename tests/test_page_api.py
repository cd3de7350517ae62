"""Pages (AppTest) with data from the API: hostile text shows as text; Settings' tokens, secrets and channels."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from scorecard.api.tokens import list_tokens, verify_token
from scorecard.ingest.records import RecordOptions, ingest_records
from scorecard.integrations import load_integrations
from scorecard.roster import slugify
from scorecard.store import open_store
from scorecard.ui import escape_md
from tests.receivers import WebhookReceiver
from tests.ui_apptest import app, seeded_db, texts

AS_OF = "2026-11-18T14:00"
HOSTILE = '*bold* <http://x|y> @channel <b>html</b> =HYPERLINK("http://evil","x")'


def _markdown_with(at: AppTest, needle: str) -> list[str]:
    return [str(m.value) for m in at.markdown if needle in str(m.value)]


def test_api_events_with_hostile_text_render_as_text(tmp_path: Path) -> None:
    db = seeded_db(tmp_path)
    store = open_store(db)
    events = [
        {"id": f"h-{i}", "rep": HOSTILE, "type": "Meeting", "subject": HOSTILE, "occurred_at": f"2026-11-1{6 + i}T10:00:00-05:00"}
        for i in range(2)
    ]
    ingest_records(store, events, RecordOptions("api", "API events (bot)"))
    name = " ".join(HOSTILE.split())
    at = app("pages/scorecard.py", tmp_path, rep=slugify(name), as_of=AS_OF).run()
    assert not at.exception
    assert at.title[0].value == escape_md(name)  # markdown-escaped: shown literally
    # Wherever the name reaches a markdown element, its markup is escaped.
    for body in _markdown_with(at, "bold"):
        assert "\\*bold\\*" in body and "<b>" not in body
    team = app("pages/team.py", tmp_path, as_of=AS_OF).run()
    assert not team.exception
    for body in _markdown_with(team, "bold"):
        assert "\\*bold\\*" in body and "<b>" not in body
    upload = app("pages/upload.py", tmp_path)
    upload.session_state["manager_unlocked"] = True
    upload.run()
    assert not upload.exception
    assert any("API events (bot)" in str(frame.value) for frame in upload.dataframe)


def _settings(tmp_path: Path) -> AppTest:
    at = app("pages/manage_settings.py", tmp_path)
    at.session_state["manager_unlocked"] = True
    return at.run()


def test_a_token_created_on_settings_is_shown_once_and_works(tmp_path: Path) -> None:
    db = seeded_db(tmp_path)
    at = _settings(tmp_path)
    at.text_input(key="api_token_name").input("zapier")
    next(b for b in at.button if b.label == "Create token").click().run()
    assert not at.exception
    shown = [c.value for c in at.code if c.value.startswith("sct_")]
    assert len(shown) == 1 and "Copy it now" in texts(at)
    assert verify_token(open_store(db), shown[0]) is not None
    at.run()
    assert not [c.value for c in at.code if c.value.startswith("sct_")]  # never again
    at.selectbox(key="api_token_revoke").set_value("zapier").run()
    next(b for b in at.button if b.label == "Revoke").click().run()
    assert not at.exception and list_tokens(open_store(db)) == []
    assert verify_token(open_store(db), shown[0]) is None


def test_secrets_are_masked_after_saving_and_the_test_button_sends(tmp_path: Path) -> None:
    db = seeded_db(tmp_path)
    with WebhookReceiver() as hooks:
        at = _settings(tmp_path)
        url = f"{hooks.url}/slack/T000/B000/XXXXabcd"
        at.text_input(key="int_slack_webhook_url").input(url)
        next(b for b in at.button if b.label == "Save channels").click().run()
        assert not at.exception and "Channels saved" in texts(at)
        assert load_integrations(open_store(db)).slack_webhook_url == url
        label = at.text_input(key="int_slack_webhook_url").label
        assert "set · ends …abcd" in label and at.text_input(key="int_slack_webhook_url").value == ""
        assert url not in texts(at) and all(url not in str(t.value) for t in at.text_input)
        next(b for b in at.button if b.label == "Send a test message").click().run()
        assert not at.exception and "sent" in texts(at)
        assert len(hooks.received("/slack/T000/B000/XXXXabcd")) == 1
