"""API tokens: created once, stored as a scrypt hash, checked in constant time, scoped, revocable.

A token reads `sct_<id>_<secret>`. The id is public (it finds the row); only
`scrypt(secret, salt)` is stored, so the database never holds a usable token.
The plain token is shown once, when it is created.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from scorecard.store import Store

SCOPES = ("events:write", "read")
DEFAULT_RATE_PER_MINUTE = 600
PREFIX = "sct"
_TOKEN = re.compile(r"^sct_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")
# scrypt cost: ~50 ms per check on one core. Checks that passed are remembered
# (below), so only a token's first request in a process pays it.
_N, _R, _P = 2**14, 8, 1


class TokenError(ValueError):
    """A token could not be created or revoked; the message says why and what to do."""


@dataclass(frozen=True)
class Token:
    token_id: str
    name: str
    scopes: tuple[str, ...]
    rate_per_minute: int
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None = None


@dataclass(frozen=True)
class NewToken:
    token: Token
    plain: str  # shown once, never stored


def _hash(secret: str, salt: bytes) -> bytes:
    return hashlib.scrypt(secret.encode("ascii"), salt=salt, n=_N, r=_R, p=_P, dklen=32)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def create_token(
    store: Store, name: str, scopes: tuple[str, ...] = ("events:write",), *, rate_per_minute: int = DEFAULT_RATE_PER_MINUTE
) -> NewToken:
    """A new token; the name must be free among tokens not revoked."""
    name = " ".join(name.split())
    if not _NAME.match(name):
        raise TokenError("a token name is 1–64 letters, digits, spaces, dots, dashes or underscores (e.g. crm-sync)")
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise TokenError(f"unknown scope {unknown[0] if unknown else '(none)'!r}; scopes are: {', '.join(SCOPES)}")
    if rate_per_minute < 1:
        raise TokenError("the rate limit is at least 1 request a minute")
    token_id, secret, salt = secrets.token_hex(6), secrets.token_urlsafe(32), secrets.token_bytes(16)
    with store.write() as cur:
        taken = cur.execute("SELECT 1 FROM api_tokens WHERE name = ? AND revoked_at IS NULL", [name]).fetchall()
        if taken:
            raise TokenError(f"a token called {name!r} exists; revoke it first or choose another name")
        cur.execute(
            "INSERT INTO api_tokens VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
            [token_id, name, list(dict.fromkeys(scopes)), salt, _hash(secret, salt), rate_per_minute, _now()],
        )
    token = Token(token_id, name, tuple(dict.fromkeys(scopes)), rate_per_minute, _now(), None)
    return NewToken(token, f"{PREFIX}_{token_id}_{secret}")


def list_tokens(store: Store, *, include_revoked: bool = False) -> list[Token]:
    """Tokens, newest first; the last use comes from the audit log (API writes)."""
    where = "" if include_revoked else "WHERE t.revoked_at IS NULL"
    rows = store.fetchall(
        f"""SELECT t.token_id, t.name, t.scopes, t.rate_per_minute, t.created_at, t.revoked_at,
                   (SELECT max(a.logged_at) FROM api_audit a WHERE a.caller = t.name AND a.logged_at >= t.created_at)
            FROM api_tokens t {where} ORDER BY t.created_at DESC"""
    )
    return [Token(str(i), str(n), tuple(s), int(r), c, v, u) for i, n, s, r, c, v, u in rows]


def revoke_token(store: Store, name: str) -> Token:
    """Revoke the live token called `name`; it stops working at once."""
    revoked_at = _now()
    with store.write() as cur:
        # Read, then update, in one transaction under the write lock (a lake has no UPDATE … RETURNING).
        live = "FROM api_tokens WHERE name = ? AND revoked_at IS NULL"
        rows = cur.execute(
            f"SELECT token_id, name, scopes, rate_per_minute, created_at, CAST(? AS TIMESTAMP) {live}",
            [revoked_at, " ".join(name.split())],
        ).fetchall()
        cur.execute(f"UPDATE api_tokens SET revoked_at = ? WHERE token_id IN (SELECT token_id {live})",
                    [revoked_at, " ".join(name.split())])
    if not rows:
        raise TokenError(f"no live token is called {name!r}; list them with `python -m scorecard tokens list`")
    i, n, s, r, c, v = rows[0]
    _verified.forget(str(i))
    return Token(str(i), str(n), tuple(s), int(r), c, v)


class _Verified:
    """Digests of secrets that passed scrypt once in this process, per token id.

    The row is still read on every request, so a revoked token fails at once;
    this only spares the scrypt cost on a token's later requests.
    """

    def __init__(self) -> None:
        self._seen: dict[tuple[str, bytes], bytes] = {}
        self._lock = threading.Lock()

    def matches(self, token_id: str, stored: bytes, secret: str) -> bool | None:
        with self._lock:
            known = self._seen.get((token_id, stored))
        if known is None:
            return None
        return hmac.compare_digest(known, hashlib.sha256(secret.encode("ascii")).digest())

    def remember(self, token_id: str, stored: bytes, secret: str) -> None:
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen.clear()
            self._seen[(token_id, stored)] = hashlib.sha256(secret.encode("ascii")).digest()

    def forget(self, token_id: str) -> None:
        with self._lock:
            for key in [k for k in self._seen if k[0] == token_id]:
                del self._seen[key]


_verified = _Verified()


def verify_token(store: Store, presented: str | None) -> Token | None:
    """The live token `presented` is, or None (unknown, malformed, revoked or wrong secret)."""
    found = _TOKEN.match((presented or "").strip())
    if found is None:
        return None
    token_id, secret = found.groups()
    row = store.fetchone(
        "SELECT name, scopes, rate_per_minute, created_at, salt, secret_hash FROM api_tokens "
        "WHERE token_id = ? AND revoked_at IS NULL",
        [token_id],
    )
    if row is None:
        return None
    name, scopes, rate, created, salt, stored = row
    stored = bytes(stored)
    ok = _verified.matches(token_id, stored, secret)
    if ok is None:
        ok = hmac.compare_digest(_hash(secret, bytes(salt)), stored)
        if ok:
            _verified.remember(token_id, stored, secret)
    return Token(token_id, str(name), tuple(scopes), int(rate), created, None) if ok else None
