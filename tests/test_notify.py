"""Digests and alerts through a real local webhook receiver and a real SMTP server: what, to whom, once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from scorecard import contests
from scorecard.cli import main
from scorecard.integrations import load_integrations, masked, update_integrations
from scorecard.notify import outbox
from scorecard.notify.text import Message, email_message, slack_payload, teams_payload
from scorecard.store import Store
from tests.factories_ui import seed_team
from tests.receivers import SmtpReceiver, WebhookReceiver

# Wednesday Nov 18, 2026, 12:00 in New York (the default team zone): after every default send time.
NOON_UTC = datetime(2026, 11, 18, 17, 0)
HOSTILE = '*bold* <http://x|y> @channel <b>html</b> =HYPERLINK("http://evil","x")'


@pytest.fixture
def receivers() -> Iterator[tuple[WebhookReceiver, SmtpReceiver]]:
    with WebhookReceiver() as hooks, SmtpReceiver() as smtp:
        yield hooks, smtp


def _configure(store: Store, hooks: WebhookReceiver, smtp: SmtpReceiver, **extra: object) -> None:
    update_integrations(
        store,
        {
            "slack_webhook_url": f"{hooks.url}/slack",
            "teams_webhook_url": f"{hooks.url}/teams",
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "smtp_security": "none",
            "smtp_from": "scorecard@example.com",
            "manager_email": "manager@example.com",
            "app_url": "https://scorecard.example.com",
            "digests_enabled": True,
            **extra,
        },
    )


@pytest.fixture
def team(store: Store) -> Store:
    seed_team(store)
    with store.write() as cur:
        cur.execute("UPDATE reps SET email = slug || '@example.com'")
        cur.execute("UPDATE reps SET display_name = ? WHERE slug = 'ana-lopez'", [HOSTILE])
    return store


def _mail_to(smtp: SmtpReceiver, address: str) -> list[str]:
    return [str(mail["Subject"]) for rcpt, mail in smtp.messages if address in rcpt]


def test_a_sweep_sends_each_digest_once_to_the_right_people(team: Store, receivers: tuple[WebhookReceiver, SmtpReceiver]) -> None:
    hooks, smtp = receivers
    _configure(team, hooks, smtp)
    planned, sent, failed = outbox.sweep(team, NOON_UTC)
    assert failed == 0 and planned == sent
    # Every rep's morning digest, by email, to that rep.
    ben = [m for rcpt, m in smtp.messages if rcpt == ["ben-carter@example.com"]]
    assert len(ben) == 1
    text = ben[0].get_body(("plain",)).get_content()
    assert "Your one thing today:" in text and "of 4 meetings · " in text and "% of pace" in text
    assert "https://scorecard.example.com/?rep=ben-carter" in text
    # The stand-up summary: to the team channels and the manager; flags counted, not named.
    (standup,) = hooks.received("/slack")
    assert "Stand-up" in standup["text"] and "red flag" in standup["text"] and "Chloe Park" not in standup["text"]
    assert len(hooks.received("/teams")) == 1
    manager = _mail_to(smtp, "manager@example.com")
    assert any(s.startswith("Stand-up") for s in manager)
    # Red flags: the manager's inbox only, one per rep and metric.
    flags = [s for s in manager if s.startswith("Red flag")]
    assert flags and all(not s.startswith("Red flag") for s in _mail_to(smtp, "chloe-park@example.com"))
    assert not any("Red flag" in json.dumps(body) for _, body in hooks.posts)
    # A second sweep, and a later one the same day, send nothing more.
    assert outbox.sweep(team, NOON_UTC) == (0, 0, 0)
    assert outbox.sweep(team, NOON_UTC + timedelta(hours=3)) == (0, 0, 0)
    assert len(hooks.posts) == 2
    assert team.scalar("SELECT count(*) FROM deliveries WHERE status <> 'sent'") == 0


def test_nothing_is_due_before_its_time_on_a_day_off_or_when_off(team: Store, receivers: tuple[WebhookReceiver, SmtpReceiver]) -> None:
    hooks, smtp = receivers
    _configure(team, hooks, smtp, digests_enabled=False)
    assert outbox.sweep(team, NOON_UTC) == (0, 0, 0)
    update_integrations(team, {"digests_enabled": True})
    assert outbox.sweep(team, datetime(2026, 11, 18, 12, 30)) == (0, 0, 0)  # 07:30 in New York
    assert outbox.sweep(team, datetime(2026, 11, 21, 17, 0)) == (0, 0, 0)  # Saturday
    assert outbox.sweep(team, datetime(2026, 11, 26, 17, 0)) == (0, 0, 0)  # Thanksgiving
    assert smtp.messages == [] and hooks.posts == []


def test_failures_are_retried_with_backoff_then_given_up(team: Store, receivers: tuple[WebhookReceiver, SmtpReceiver]) -> None:
    hooks, smtp = receivers
    _configure(team, hooks, smtp, teams_webhook_url=f"{hooks.url}/teams")
    hooks.fail_next = 2  # the first two posts fail
    outbox.sweep(team, NOON_UTC)
    pending = team.fetchall("SELECT channel, attempts, last_error FROM deliveries WHERE status = 'pending'")
    assert sorted(c for c, _, _ in pending) == ["slack", "teams"]
    assert all(a == 1 and "500" in e for _, a, e in pending)
    assert outbox.sweep(team, NOON_UTC + timedelta(seconds=30)) == (0, 0, 0)  # still backing off
    assert outbox.sweep(team, NOON_UTC + timedelta(seconds=61)) == (0, 2, 0)
    assert len(hooks.received("/slack")) == 1 and len(hooks.received("/teams")) == 1
    # A channel that never answers is given up after the last attempt, and shown as failed.
    update_integrations(team, {"slack_webhook_url": "http://127.0.0.1:9/nobody-listens"})
    with team.write() as cur:
        cur.execute("UPDATE deliveries SET status = 'pending', attempts = ?, next_attempt_at = ? WHERE channel = 'slack'",
                    [outbox.MAX_ATTEMPTS - 1, NOON_UTC])  # fmt: skip
    outbox.sweep(team, NOON_UTC + timedelta(minutes=5))
    (row,) = [r for r in outbox.recent_deliveries(team) if r["channel"] == "slack"]
    assert row["status"] == "failed" and "could not be reached" in str(row["last_error"])


def test_hostile_names_stay_text_in_every_channel(team: Store, receivers: tuple[WebhookReceiver, SmtpReceiver]) -> None:
    hooks, smtp = receivers
    _configure(team, hooks, smtp)
    outbox.sweep(team, NOON_UTC)
    (ana,) = [m for rcpt, m in smtp.messages if rcpt == ["ana-lopez@example.com"]]
    assert " ".join(HOSTILE.split()) in str(ana["Subject"])
    html = ana.get_body(("html",)).get_content()
    assert "<b>html</b>" not in html and "&lt;b&gt;html&lt;/b&gt;" in html and "&lt;http://x|y&gt;" in html
    message = Message("test", "k", HOSTILE, (HOSTILE,))
    slack = slack_payload(message)
    assert slack["mrkdwn"] is False and "<" not in slack["text"] and "&lt;http://x|y&gt;" in slack["text"]
    assert "@channel" not in slack["text"] and "@\u2060channel" in slack["text"] and "*bold*" in slack["text"]
    card = json.dumps(teams_payload(message))
    assert "\\\\*bold\\\\*" in card and "<b>" not in card and "&lt;b&gt;" in card
    assert "=HYPERLINK" in card  # shown as written: a chat message is no spreadsheet
    mail = email_message(Message("test", "k", "line\r\nBcc: victim@example.com", ()), "a@example.com", "b@example.com")
    assert mail["Bcc"] is None and "\n" not in str(mail["Subject"])


def test_contest_launch_and_daily_standings_go_to_the_team(team: Store, receivers: tuple[WebhookReceiver, SmtpReceiver]) -> None:
    hooks, smtp = receivers
    as_of = datetime(2026, 11, 18, 16, 30)
    suggestion = next(s for s in contests.suggest_contests(team, as_of) if s.format != "coaching")
    contest_id = contests.launch_contest(team, suggestion, as_of)
    _configure(team, hooks, smtp)
    outbox.sweep(team, NOON_UTC)
    launches = [b for b in hooks.received("/slack") if b["text"].startswith("New contest")]
    assert len(launches) == 1 and suggestion.label in launches[0]["text"]
    assert not any("standings" in b["text"] for b in hooks.received("/slack"))  # standings come at 16:00
    outbox.sweep(team, datetime(2026, 11, 18, 21, 5))  # 16:05 in New York
    standings = [b for b in hooks.received("/slack") if "standings" in b["text"]]
    assert len(standings) == 1 and "Ben Carter: " in standings[0]["text"] and "%)" in standings[0]["text"]
    assert team.scalar("SELECT count(*) FROM deliveries WHERE key = ?", [f"contest:launch:{contest_id}"]) == 2


def test_digest_preview_says_what_would_go_where(team: Store, receivers: tuple[WebhookReceiver, SmtpReceiver],
                                                 tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    hooks, smtp = receivers
    _configure(team, hooks, smtp)
    outbox.sweep(team, NOON_UTC)
    team.close()
    assert main(["digest", "--preview", "--as-of", "2026-11-18T12:00", "--json", "--db", str(team.path)]) == 0
    rows = json.loads(capsys.readouterr().out)
    ben = next(r for r in rows if r["key"] == "digest:rep:ben-carter:2026-11-18")
    assert (ben["channel"], ben["to"], ben["status"]) == ("email", "ben-carter@example.com", "sent")
    assert {r["channel"] for r in rows if r["kind"] == "standup"} == {"slack", "teams", "email"}
    assert all(r["to"] == "manager@example.com" for r in rows if r["kind"] == "flag_alert")
    assert main(["digest", "--preview", "--as-of", "2026-11-21T12:00", "--db", str(team.path)]) == 0
    assert "nothing is due" in capsys.readouterr().out


def test_secrets_are_never_shown_back_and_a_test_message_reaches_every_channel(
    store: Store, receivers: tuple[WebhookReceiver, SmtpReceiver]
) -> None:
    hooks, smtp = receivers
    _configure(store, hooks, smtp, smtp_password="hunter2-is-long-enough")
    settings = load_integrations(store)
    assert masked(settings.smtp_password) == "set · ends …ough" and masked(None) == "not set"
    update_integrations(store, {"smtp_password": ""})  # a blank secret keeps the stored one
    assert load_integrations(store).smtp_password == "hunter2-is-long-enough"
    results = outbox.send_test(store)
    assert set(results.values()) == {"sent"} and len(results) == 3
    assert len(hooks.posts) == 2 and _mail_to(smtp, "manager@example.com") == ["Team Scorecard: test message"]
