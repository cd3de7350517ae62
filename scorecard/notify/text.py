"""Messages as each channel needs them, with text from uploads and events kept as text.

A message is plain lines composed from our data (names, labels and
subjects came from exports and events, so any of it may be hostile: markup,
links, mentions, HTML, spreadsheet formulas). Each channel gets a body in
which such text shows literally:

- Slack-compatible webhooks: `mrkdwn` off, `&`, `<`, `>` escaped (so no link or
  `<!channel>` can be formed), and `@` followed by a word joiner so a plain
  `@channel` or `@here` notifies nobody in receivers that parse mentions.
- Teams: an Adaptive Card whose text blocks have markdown characters
  backslash-escaped and HTML characters as entities.
- Email: plain text, plus an HTML part built with every value escaped.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from typing import Any

_WORD_JOINER = "\u2060"
_TEAMS_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")
_HEADER_BREAKS = re.compile(r"[\r\n]+")


@dataclass(frozen=True)
class Message:
    kind: str  # rep_digest | standup | contest_launch | contest_standings | flag_alert | test
    key: str  # idempotency key, e.g. digest:rep:ana-lopez:2026-11-18
    subject: str
    lines: tuple[str, ...]
    link: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @staticmethod
    def from_json(text: str) -> Message:
        data = json.loads(text)
        return Message(data["kind"], data["key"], data["subject"], tuple(data["lines"]), data.get("link"))

    @property
    def plain(self) -> str:
        body = "\n".join(self.lines)
        return f"{body}\n\n{self.link}" if self.link else body


def slack_escape(text: str) -> str:
    """Literal text for a Slack message: entities for & < >, and no mention can fire."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("@", "@" + _WORD_JOINER)


def slack_payload(message: Message) -> dict[str, Any]:
    text = "\n".join([message.subject, "", *message.lines])
    if message.link:
        text += f"\n\n{message.link}"
    return {"text": slack_escape(text), "mrkdwn": False, "unfurl_links": False, "unfurl_media": False}


def teams_escape(text: str) -> str:
    """Literal text for an Adaptive Card text block: markdown escaped, HTML as entities."""
    return _TEAMS_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def teams_payload(message: Message) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": teams_escape(message.subject), "weight": "Bolder", "size": "Medium", "wrap": True}
    ]
    blocks += [{"type": "TextBlock", "text": teams_escape(line), "wrap": True} for line in message.lines if line]
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": blocks,
    }
    if message.link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open the scorecard", "url": message.link}]
    return {
        "type": "message",
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}],
    }


def email_message(message: Message, sender: str, to: str) -> EmailMessage:
    mail = EmailMessage()
    # Header values never carry a line break: that would start a new header.
    mail["Subject"] = _HEADER_BREAKS.sub(" ", message.subject)
    mail["From"] = sender
    mail["To"] = to
    mail.set_content(message.plain)
    items = "".join(f"<p>{html.escape(line)}</p>" for line in message.lines if line)
    link = f'<p><a href="{html.escape(message.link)}">{html.escape(message.link)}</a></p>' if message.link else ""
    mail.add_alternative(
        f"<!doctype html><html><body><h2>{html.escape(message.subject)}</h2>{items}{link}</body></html>", subtype="html"
    )
    return mail
