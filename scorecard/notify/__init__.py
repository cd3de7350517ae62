"""Digests and alerts out to Slack, Teams and email, on the team's clock (docs/digests.md).

- `outbox`     when each message is due, at-least-once delivery with idempotency keys, retries
- `compose`    what each message says, from the same scores the pages show
- `text`       each channel's body, with text from uploads shown as text
- `channels`   sending through Slack- or Teams-compatible webhooks and SMTP
- `scheduler`  the server's background thread that sweeps the outbox
"""

from __future__ import annotations
