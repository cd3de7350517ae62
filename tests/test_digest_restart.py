"""The server's scheduler sends each digest once, and a restart sends none of them again."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from scorecard.integrations import update_integrations
from scorecard.settings import load_settings, save_settings
from scorecard.store import Store
from tests.factories_ui import seed_file
from tests.receivers import SmtpReceiver, WebhookReceiver
from tests.serving import ServerProcess

pytestmark = pytest.mark.slow


def _until(check: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return check()


def test_a_digest_is_sent_once_across_a_restart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCORECARD_SCHEDULER_INTERVAL", "0.5")
    db = tmp_path / "scorecard.duckdb"
    seed_file(db)
    (tmp_path / "inbox").mkdir()
    with WebhookReceiver() as hooks, SmtpReceiver() as smtp:
        with Store(db) as store:
            with store.write() as cur:
                cur.execute("UPDATE reps SET email = slug || '@example.com'")
            # Every day a working day and every send time passed, so the digests are due whenever this runs.
            settings = load_settings(store)
            save_settings(store, type(settings)(**{**settings.__dict__, "working_days": tuple(range(7)), "holiday_country": None}))
            update_integrations(store, {
                "slack_webhook_url": f"{hooks.url}/slack", "smtp_host": "127.0.0.1", "smtp_port": smtp.port,
                "smtp_security": "none", "smtp_from": "scorecard@example.com", "manager_email": "manager@example.com",
                "digests_enabled": True, "digest_time": "00:00", "standup_time": "00:00", "standings_time": "00:00",
            })  # fmt: skip
        server = ServerProcess(db, tmp_path / "inbox", tmp_path / "server.log")
        server.start()
        try:
            assert _until(lambda: len(hooks.received("/slack")) >= 1 and len(smtp.messages) >= 6, 60), server.log_text()[-3000:]
            time.sleep(2)  # a few more sweeps: nothing new
            posts, mails = len(hooks.posts), len(smtp.messages)
            digests = sorted(r[0] for r, m in smtp.messages if str(m["Subject"]).startswith("Your scorecard"))
            assert digests == [f"{slug}@example.com" for slug in ("ana-lopez", "ben-carter", "chloe-park", "dev-patel", "emma-stone")]
            server.restart()
            time.sleep(4)  # eight sweeps of the new process
            assert (len(hooks.posts), len(smtp.messages)) == (posts, mails)
        finally:
            server.stop()
        assert "Traceback" not in server.log_text()
    with Store(db) as store:
        assert store.scalar("SELECT count(*) FROM deliveries WHERE status <> 'sent'") == 0
        assert store.scalar("SELECT count(*) FROM deliveries WHERE attempts <> 1") == 0
