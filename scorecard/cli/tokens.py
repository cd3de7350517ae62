"""`tokens create|list|revoke`: API tokens for the HTTP API (docs/api.md)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from scorecard.api.tokens import DEFAULT_RATE_PER_MINUTE, SCOPES, TokenError, create_token, list_tokens, revoke_token
from scorecard.cli import add_command
from scorecard.store import Store


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    tokens = add_command(sub, "tokens", _tokens, "API tokens: create (printed once), list, revoke")
    actions = tokens.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create a token and print it once")
    create.add_argument("--name", required=True, help="who uses it, e.g. crm-sync")
    create.add_argument(
        "--scope", action="append", choices=SCOPES, help="events:write (default) or read; repeat for both"
    )
    create.add_argument("--rate", type=int, default=DEFAULT_RATE_PER_MINUTE, help="requests a minute (default 600)")
    create.add_argument("--json", action="store_true", help='print {"name": …, "token": …}')
    listing = actions.add_parser("list", help="tokens that work (with --all, revoked ones too)")
    listing.add_argument("--all", action="store_true", help="include revoked tokens")
    listing.add_argument("--json", action="store_true", help="print JSON")
    revoke = actions.add_parser("revoke", help="stop a token working at once")
    revoke.add_argument("name")
    for action in (create, listing, revoke):
        # `--db` is accepted after the action too (tokens create --name x --db FILE).
        action.add_argument("--db", type=Path, default=argparse.SUPPRESS, help="database file")


def _tokens(args: argparse.Namespace, store: Store) -> int:
    try:
        if args.action == "create":
            return _create(args, store)
        if args.action == "revoke":
            token = revoke_token(store, args.name)
            print(f"revoked {token.name} ({', '.join(token.scopes)})")
            return 0
    except TokenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return _list(args, store)


def _create(args: argparse.Namespace, store: Store) -> int:
    new = create_token(store, args.name, tuple(args.scope or ("events:write",)), rate_per_minute=args.rate)
    if args.json:
        print(json.dumps({"name": new.token.name, "token": new.plain, "scopes": list(new.token.scopes)}))
    else:
        print(new.plain)
        print(
            f"token {new.token.name!r} ({', '.join(new.token.scopes)}, {new.token.rate_per_minute} requests a minute). "
            "It is shown only now: keep it somewhere safe.",
            file=sys.stderr,
        )
    return 0


def _list(args: argparse.Namespace, store: Store) -> int:
    tokens = list_tokens(store, include_revoked=args.all)
    if args.json:
        rows = [
            {
                "name": t.name,
                "scopes": list(t.scopes),
                "rate_per_minute": t.rate_per_minute,
                "created_at": t.created_at.isoformat() + "Z",
                "last_used_at": None if t.last_used_at is None else t.last_used_at.isoformat() + "Z",
                "revoked_at": None if t.revoked_at is None else t.revoked_at.isoformat() + "Z",
            }
            for t in tokens
        ]
        print(json.dumps(rows, indent=2))
        return 0
    if not tokens:
        print("no tokens yet: python -m scorecard tokens create --name NAME")
        return 0
    for t in tokens:
        used = f"last write {t.last_used_at:%Y-%m-%d %H:%M} UTC" if t.last_used_at else "no writes yet"
        state = f" · revoked {t.revoked_at:%Y-%m-%d %H:%M} UTC" if t.revoked_at else ""
        print(f"{t.name}  {', '.join(t.scopes)}  {t.rate_per_minute}/min  created {t.created_at:%Y-%m-%d %H:%M} UTC · {used}{state}")
    return 0
