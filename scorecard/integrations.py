"""Settings of what comes in (CRM webhook credentials) and what goes out (channels, digest times).

Stored as JSON values in `integration_settings`. Secrets (webhook URLs, the
SMTP password, webhook credentials) are needed in the clear to send and to
check, so they live in the database like the rest of the team's state; they
are never shown back: `masked()` gives "set · ends …abcd".
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import time
from typing import Any
from urllib.parse import urlsplit

from scorecard.store import Store, upsert

SECURITY = ("starttls", "ssl", "none")


@dataclass(frozen=True)
class Integrations:
    # -- in: CRM webhooks ----------------------------------------------------------
    public_url: str | None = None  # how the CRMs reach this server (HubSpot signs this URL)
    hubspot_client_secret: str | None = None
    pipedrive_user: str | None = None
    pipedrive_password: str | None = None
    salesforce_org_id: str | None = None
    salesforce_endpoint_key: str | None = None  # the ?key= of the Outbound Message endpoint URL
    salesforce_flow_secret: str | None = None  # the X-Scorecard-Secret header of a Flow HTTP callout
    currency_code: str | None = None  # amounts in another currency are rejected
    # -- out: channels ---------------------------------------------------------------
    slack_webhook_url: str | None = None
    teams_webhook_url: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str | None = None
    manager_email: str | None = None
    app_url: str | None = None  # the base of every rep's link in a digest
    # -- out: when -------------------------------------------------------------------
    digests_enabled: bool = False
    digest_time: time = time(8, 0)  # each rep's morning digest, team time, working days
    standup_time: time = time(8, 30)  # the manager's stand-up summary (and flag alerts)
    standings_time: time = time(16, 0)  # daily contest standings

    @property
    def email_ready(self) -> bool:
        return bool(self.smtp_host and self.smtp_from)


SECRETS = frozenset(
    {
        "hubspot_client_secret",
        "pipedrive_password",
        "salesforce_endpoint_key",
        "salesforce_flow_secret",
        "slack_webhook_url",
        "teams_webhook_url",
        "smtp_password",
    }
)
_FIELDS = {f.name: f for f in dataclasses.fields(Integrations)}
_TIMES = ("digest_time", "standup_time", "standings_time")
_URLS = ("public_url", "slack_webhook_url", "teams_webhook_url", "app_url")
_EMAILS = ("smtp_from", "manager_email")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


class InvalidIntegration(ValueError):
    """One or more fields failed validation: `errors` maps field -> message; nothing was saved."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def masked(value: str | None) -> str:
    """'set · ends …abcd' for a stored secret, 'not set' otherwise; never the value."""
    if not value:
        return "not set"
    return f"set · ends …{value[-4:]}" if len(value) >= 12 else "set"


def load_integrations(store: Store) -> Integrations:
    values: dict[str, Any] = {}
    for key, raw in store.fetchall("SELECT key, value FROM integration_settings"):
        if key in _FIELDS:
            value = json.loads(raw)
            values[key] = time.fromisoformat(value) if key in _TIMES and value else value
    return Integrations(**values)


def _clean(name: str, value: Any) -> Any:
    """The typed value of one field from a form or the command line; raises ValueError with what to do."""
    if name in _TIMES:
        if isinstance(value, time):
            return value.replace(second=0, microsecond=0)
        try:
            return time.fromisoformat(str(value).strip())
        except ValueError:
            raise ValueError("use a time such as 08:00") from None
    if name == "digests_enabled":
        return bool(value)
    if name == "smtp_port":
        try:
            port = int(value)
        except (TypeError, ValueError):
            raise ValueError("use a port number such as 587") from None
        if not 0 < port < 65536:
            raise ValueError("a port is between 1 and 65535")
        return port
    text = " ".join(str(value or "").split()) if name not in SECRETS else str(value or "").strip()
    if not text:
        return None
    if name in _URLS:
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("use a full address starting with https://")
        return text.rstrip("/") if name in ("public_url", "app_url") else text
    if name in _EMAILS and not _EMAIL.match(text):
        raise ValueError(f"{text!r} is not an email address")
    if name == "smtp_security" and text not in SECURITY:
        raise ValueError(f"choose one of: {', '.join(SECURITY)}")
    if name == "currency_code" and not (len(text) == 3 and text.isalpha()):
        raise ValueError("use a three-letter currency code such as USD")
    return text.upper() if name == "currency_code" else text


def update_integrations(store: Store, changes: Mapping[str, Any], *, clear: Iterable[str] = ()) -> Integrations:
    """Validate and save `changes`; an empty secret keeps the stored one (use `clear` to remove it)."""
    current = load_integrations(store)
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name, raw in changes.items():
        if name not in _FIELDS:
            errors[name] = "not a setting"
            continue
        if name in SECRETS and not str(raw or "").strip():
            continue  # a blank secret field means "unchanged": the stored value is never shown to edit
        try:
            values[name] = _clean(name, raw)
        except ValueError as exc:
            errors[name] = str(exc)
    for name in clear:
        values[name] = None
    if errors:
        raise InvalidIntegration(errors)
    updated = dataclasses.replace(current, **values)
    with store.write() as cur:
        for name, value in values.items():
            encoded = value.strftime("%H:%M") if isinstance(value, time) else value
            upsert(cur, "integration_settings", ("key",), {"key": name, "value": json.dumps(encoded)})
    return updated
