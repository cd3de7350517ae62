"""Private rep links: `/?rep=<slug>&t=<token>`, signed and rotatable (the `private_links` setting).

A token is an HMAC of the rep's id and link version under a key kept in the
database itself (`meta`), so links survive a backup and restore or a move to
another server, exactly as the rest of the team's state does. Rotating a
rep's link bumps their version: the old link stops working at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

import polars as pl

from scorecard.store import Store, insert_missing, upsert

_KEY = "link_key"
_VERSION = "link_version:"  # + rep_id
TOKEN_PARAM = "t"


def _key(store: Store) -> bytes:
    stored = store.scalar("SELECT value FROM meta WHERE key = ?", [_KEY])
    if stored is None:
        with store.write() as cur:
            # Inside the write lock: the first writer's key wins, later ones read it back.
            insert_missing(cur, "meta", ("key",), {"key": _KEY, "value": secrets.token_hex(32)})
            stored = cur.execute("SELECT value FROM meta WHERE key = ?", [_KEY]).fetchone()[0]  # type: ignore[index]
    return bytes.fromhex(str(stored))


def _versions(store: Store) -> dict[int, int]:
    rows = store.fetchall("SELECT key, value FROM meta WHERE starts_with(key, ?)", [_VERSION])
    return {int(str(k)[len(_VERSION) :]): int(v) for k, v in rows}


def _sign(key: bytes, rep_id: int, version: int) -> str:
    digest = hmac.new(key, f"rep-link|{rep_id}|{version}".encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def rep_token(store: Store, rep_id: int) -> str:
    return _sign(_key(store), rep_id, _versions(store).get(rep_id, 0))


def rotate(store: Store, rep_id: int) -> str:
    """A new link for the rep; the old one stops working. Returns the new token."""
    key = _key(store)
    with store.write() as cur:
        row = cur.execute("SELECT value FROM meta WHERE key = ?", [f"{_VERSION}{rep_id}"]).fetchone()
        version = (int(row[0]) if row else 0) + 1
        upsert(cur, "meta", ("key",), {"key": f"{_VERSION}{rep_id}", "value": str(version)})
    return _sign(key, rep_id, version)


def token_ok(store: Store, slug: str, token: str | None) -> bool:
    """True when `token` is the current link token of the rep at `slug`."""
    if not token or not slug:
        return False
    row = store.fetchone("SELECT rep_id FROM reps WHERE slug = ?", [slug])
    if row is None:
        return False
    return hmac.compare_digest(token.encode("ascii", "replace"), rep_token(store, int(row[0])).encode("ascii"))


def rep_link(base_url: str, slug: str, token: str | None) -> str:
    """The link a rep bookmarks; with a token when links are private."""
    link = f"{base_url.rstrip('/')}/?rep={slug}"
    return f"{link}&{TOKEN_PARAM}={token}" if token else link


def rep_links(store: Store, base_url: str) -> pl.DataFrame:
    """Every active rep's private link, for the manager to copy."""
    reps = store.fetchall("SELECT rep_id, display_name, slug FROM reps WHERE active ORDER BY display_name, rep_id")
    key, versions = _key(store), _versions(store)
    rows = [(int(i), str(n), str(s), rep_link(base_url, str(s), _sign(key, int(i), versions.get(int(i), 0)))) for i, n, s in reps]
    return pl.DataFrame(rows, schema={"rep_id": pl.Int64, "name": pl.String, "slug": pl.String, "link": pl.String}, orient="row")
