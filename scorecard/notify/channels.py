"""Sending one message through one channel: Slack- or Teams-compatible incoming webhooks, or SMTP."""

from __future__ import annotations

import json
import smtplib
import ssl
import urllib.error
import urllib.request
from typing import Any

from scorecard.integrations import Integrations
from scorecard.notify.text import Message, email_message, slack_payload, teams_payload

TIMEOUT_S = 15.0
CHANNELS = ("slack", "teams", "email")


class DeliveryError(RuntimeError):
    """A send failed; the message says what the other end answered (kept on Settings)."""


def post_json(url: str, payload: dict[str, Any]) -> None:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode("utf-8"), method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read()[:200].decode("utf-8", errors="replace")
        raise DeliveryError(f"the webhook answered {exc.code}: {detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"the webhook could not be reached: {reason}") from None


def send_email(settings: Integrations, to: str, message: Message) -> None:
    if not settings.email_ready or settings.smtp_host is None or settings.smtp_from is None:
        raise DeliveryError("email is not set up: enter the SMTP host and the From address on Settings")
    mail = email_message(message, settings.smtp_from, to)
    try:
        if settings.smtp_security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_S, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_S)
        with smtp:
            if settings.smtp_security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            smtp.send_message(mail)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"the mail server refused or could not be reached: {exc}") from None


def send(settings: Integrations, channel: str, recipient: str, message: Message) -> None:
    """Send through `channel`; raises DeliveryError with the other end's answer."""
    if channel == "slack":
        if not settings.slack_webhook_url:
            raise DeliveryError("no Slack webhook URL is set on Settings")
        post_json(settings.slack_webhook_url, slack_payload(message))
    elif channel == "teams":
        if not settings.teams_webhook_url:
            raise DeliveryError("no Teams webhook URL is set on Settings")
        post_json(settings.teams_webhook_url, teams_payload(message))
    elif channel == "email":
        send_email(settings, recipient, message)
    else:
        raise DeliveryError(f"unknown channel {channel!r}")


def team_channels(settings: Integrations) -> list[tuple[str, str]]:
    """(channel, recipient) for messages to the whole team: the chat channels set up, else the manager's inbox."""
    found = [("slack", "team channel")] if settings.slack_webhook_url else []
    found += [("teams", "team channel")] if settings.teams_webhook_url else []
    if not found and settings.email_ready and settings.manager_email:
        found.append(("email", settings.manager_email))
    return found
