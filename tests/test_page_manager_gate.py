"""The manager gate (AppTest): lockout, a signed cookie that survives a new session, OIDC, private rep links."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from scorecard import auth, links, ui
from scorecard.admin import update_settings
from scorecard.store import open_store
from tests.ui_apptest import APP, TIMEOUT, app, seeded_db, texts

SETTINGS = "pages/manage_settings.py"
SCORECARD = "pages/scorecard.py"
ROSTER = "pages/manage_roster.py"
AS_OF = "2026-11-18T14:00"


def _sign_in(at: AppTest, passcode: str) -> AppTest:
    at.sidebar.text_input(key="manager_gate_sidebar_input").input(passcode)
    return next(b for b in at.sidebar.button if b.label == "Unlock").click().run()


def _cookie_set_by(at: AppTest) -> str | None:
    for element in at.get("html"):
        match = re.search(rf"{auth.SESSION_COOKIE}=([^;]*); Path=/; Max-Age=(\d+)", element.proto.body)
        if match:
            return match.group(1)
    return None


def _browser_sends(monkeypatch: pytest.MonkeyPatch, cookies: dict[str, str]) -> None:
    """What the browser sends when a new tab connects (AppTest cannot seed st.context.cookies)."""
    monkeypatch.setattr(ui, "request_cookies", lambda: dict(cookies))


def _manager_page_open(at: AppTest) -> bool:
    return not at.exception and "for managers" not in texts(at) and at.download_button(key="backup_download") is not None


def test_wrong_guesses_lock_the_client_out_and_even_the_right_passcode_waits(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    seeded_db(tmp_path)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    for i in range(auth.THROTTLE.client_free):
        _sign_in(at, f"guess-{i}")
        assert "not right" in texts(at)
    _sign_in(at, "guess-last")
    assert "Too many wrong passcodes" in texts(at)
    _sign_in(at, "test-passcode")
    assert "Too many wrong passcodes" in texts(at) and not ui_unlocked(at)
    assert "guess-" not in caplog.text and "test-passcode" not in caplog.text
    # A fresh tab from the same address is still paused: the count is per client, not per session.
    again = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    _sign_in(again, "test-passcode")
    assert "Too many wrong passcodes" in texts(again) and not ui_unlocked(again)


def test_guesses_from_many_addresses_pause_everyone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seeded_db(tmp_path)
    address = iter(f"10.0.0.{i}" for i in range(1000))
    current = {"ip": "10.0.0.250"}
    monkeypatch.setattr(ui, "client_id", lambda: current["ip"])
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    for _ in range(auth.THROTTLE.global_free + 1):
        current["ip"] = next(address)
        _sign_in(at, "wrong")
    current["ip"] = "192.0.2.1"  # never guessed before
    _sign_in(at, "test-passcode")
    assert "Too many wrong passcodes" in texts(at) and not ui_unlocked(at)


def ui_unlocked(at: AppTest) -> bool:
    return "manager_unlocked" in at.session_state and bool(at.session_state["manager_unlocked"])


def test_sign_in_survives_a_new_session_through_the_signed_cookie(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seeded_db(tmp_path)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    _sign_in(at, "test-passcode")
    token = _cookie_set_by(at)
    assert token and auth.session_valid(token, auth.server_secret(tmp_path), "test-passcode", time.time())
    assert (tmp_path / auth.SESSION_SECRET_FILE).stat().st_mode & 0o777 == 0o600

    # A reload or a new tab: a new session whose browser sends the cookie.
    _browser_sends(monkeypatch, {auth.SESSION_COOKIE: token})
    assert _manager_page_open(app(SETTINGS, tmp_path).run())

    # Locking signs the cookie out on the server and tells the browser to drop it.
    reloaded = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    reloaded.sidebar.button(key="manager_lock").click().run()
    assert not ui_unlocked(reloaded)
    assert _cookie_set_by(reloaded) == ""
    assert not _manager_page_open(app(SETTINGS, tmp_path).run())


@pytest.mark.parametrize("kind", ["expired", "forged", "other-passcode", "garbage"])
def test_an_expired_or_forged_cookie_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    seeded_db(tmp_path)
    secret = auth.server_secret(tmp_path)
    now = time.time()
    good = auth.session_token(secret, "test-passcode", now)
    version, expires, nonce, mac = good.split(".")
    token = {
        "expired": auth.session_token(secret, "test-passcode", now - 2 * auth.SESSION_SECONDS),
        "forged": f"{version}.{int(expires) + 10**6}.{nonce}.{mac}",
        "other-passcode": auth.session_token(secret, "an-old-passcode", now),
        "garbage": "<script>alert(1)</script>",
    }[kind]
    _browser_sends(monkeypatch, {auth.SESSION_COOKIE: token})
    at = app(SETTINGS, tmp_path).run()
    assert not at.exception and "for managers" in texts(at) and not _manager_page_open(at)
    # The genuine token still works, so the refusals above are about the token alone.
    _browser_sends(monkeypatch, {auth.SESSION_COOKIE: good})
    assert _manager_page_open(app(SETTINGS, tmp_path).run())


def test_oidc_sign_in_opens_manager_pages_only_for_listed_emails(tmp_path: Path) -> None:
    seeded_db(tmp_path)
    auth_section = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32}
    for email, allowed in (("boss@acme.com", True), ("BOSS@acme.com", True), ("rep@acme.com", False)):
        at = app(SETTINGS, tmp_path)
        at.secrets["auth"] = auth_section
        at.secrets["manager_emails"] = ["boss@acme.com"]
        at.user = {"is_logged_in": True, "email": email, "email_verified": True}
        at.run()
        assert _manager_page_open(at) is allowed, email
    # Without [auth] configured, a user record alone never unlocks anything.
    at = app(SETTINGS, tmp_path)
    at.user = {"is_logged_in": True, "email": "boss@acme.com"}
    at.run()
    assert not _manager_page_open(at)
    # With [auth] configured and nobody signed in, the page offers the company sign-in beside the passcode.
    at = app(SETTINGS, tmp_path)
    at.secrets["auth"] = auth_section
    at.user = {}
    at.run()
    assert any(b.label == "Sign in with your company account" for b in at.button)


def test_private_links_off_by_default_then_only_the_signed_link_opens_a_scorecard(tmp_path: Path) -> None:
    db = seeded_db(tmp_path)
    # Off: the page asks "Who are you?" and lists names, and /?rep=slug opens.
    at = app(SCORECARD, tmp_path, as_of=AS_OF).run()
    assert at.selectbox(key="rep_pick") is not None and "Ana Lopez" in at.selectbox(key="rep_pick").options
    assert app(SCORECARD, tmp_path, rep="ana-lopez", as_of=AS_OF).run().title[0].value == "Ana Lopez"

    store = open_store(db)
    update_settings(store, {"private_links": True})
    ana = int(store.scalar("SELECT rep_id FROM reps WHERE slug = 'ana-lopez'"))
    token = links.rep_token(store, ana)

    for query in ({}, {"rep": "ana-lopez"}, {"rep": "ana-lopez", "t": "wrong"}, {"rep": "nobody"},
                  {"rep": "ben-carter", "t": token}):  # fmt: skip
        at = app(SCORECARD, tmp_path, as_of=AS_OF, **query).run()
        shown = texts(at)
        assert not at.exception and "personal link" in shown, query
        assert not at.selectbox and "Ana Lopez" not in shown and "Ben Carter" not in shown, query

    at = app(SCORECARD, tmp_path, rep="ana-lopez", t=token, as_of=AS_OF).run()
    assert not at.exception and at.title[0].value == "Ana Lopez"
    assert f"t={token}" in at.code[-1].value  # "Copy my link" carries the token

    # Rotating the link: the old one stops working at once, the new one opens.
    new = links.rotate(store, ana)
    assert new != token
    assert "personal link" in texts(app(SCORECARD, tmp_path, rep="ana-lopez", t=token, as_of=AS_OF).run())
    assert app(SCORECARD, tmp_path, rep="ana-lopez", t=new, as_of=AS_OF).run().title[0].value == "Ana Lopez"
    # A manager sees any scorecard without a token.
    at = app(SCORECARD, tmp_path, rep="ana-lopez", as_of=AS_OF)
    at.session_state["manager_unlocked"] = True
    assert at.run().title[0].value == "Ana Lopez"


def test_roster_page_lists_and_rotates_private_links(tmp_path: Path) -> None:
    db = seeded_db(tmp_path)
    store = open_store(db)
    at = app(ROSTER, tmp_path)
    at.session_state["manager_unlocked"] = True
    at.run()
    assert "Private links are off" in texts(at)

    update_settings(store, {"private_links": True})
    at.run()
    ana = int(store.scalar("SELECT rep_id FROM reps WHERE slug = 'ana-lopez'"))
    before = links.rep_token(store, ana)
    table = next(d.value for d in at.dataframe if "link" in d.value.columns.str.lower())
    assert any(f"?rep=ana-lopez&t={before}" in link for link in table.iloc[:, 1])
    at.selectbox(key="link_rep").set_value(ana)
    at.button(key="link_rotate").click().run()
    assert not at.exception
    assert "New link made for Ana Lopez" in texts(at)
    after = links.rep_token(store, ana)
    assert after != before
    assert not links.token_ok(store, "ana-lopez", before) and links.token_ok(store, "ana-lopez", after)


def test_settings_page_turns_private_links_on(tmp_path: Path) -> None:
    db = seeded_db(tmp_path)
    at = app(SETTINGS, tmp_path)
    at.session_state["manager_unlocked"] = True
    at.run()
    at.checkbox(key="s_private_links").check()
    next(b for b in at.button if b.label == "Save settings").click().run()
    assert not at.exception
    from scorecard.settings import load_settings

    assert load_settings(open_store(db)).private_links is True
