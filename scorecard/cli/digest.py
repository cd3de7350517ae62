"""`digest --preview`: what the scheduler would send by a moment, to whom, through which channel."""

from __future__ import annotations

import argparse
import json

from scorecard.calendar import parse_as_of
from scorecard.cli import UsageError, add_command
from scorecard.notify.outbox import preview
from scorecard.settings import load_settings
from scorecard.store import Store


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    digest = add_command(sub, "digest", _digest, "digests and alerts: preview what would be sent")
    digest.add_argument("--preview", action="store_true", required=True, help="print, send nothing")
    digest.add_argument("--as-of", dest="as_of", help="team-local ISO date-time (default: now)")
    digest.add_argument("--json", action="store_true", help="print JSON")


def _digest(args: argparse.Namespace, store: Store) -> int:
    settings = load_settings(store)
    try:
        as_of = parse_as_of(args.as_of, settings)
    except ValueError as exc:
        raise UsageError(f"--as-of {args.as_of!r} is not an ISO date or datetime") from exc
    planned = preview(store, as_of)
    if args.json:
        rows = [
            {
                "key": p.message.key,
                "kind": p.message.kind,
                "channel": p.channel,
                "to": p.recipient,
                "status": p.status or "not sent",
                "subject": p.message.subject,
                "text": p.message.plain,
            }
            for p in planned
        ]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if not planned:
        print(f"nothing is due by {as_of:%a %Y-%m-%d %H:%M} (a day off, an earlier time, or no channel set up on Settings)")
        return 0
    for p in planned:
        print(f"── {p.message.kind} · {p.channel} → {p.recipient} · {p.status or 'not sent'} · {p.message.key}")
        print(p.message.subject)
        print(p.message.plain)
        print()
    return 0
