"""API tokens: shown once, stored hashed, scoped, revocable; the rate limiter; the tokens command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scorecard.api.ratelimit import RateLimiter, retry_after
from scorecard.api.tokens import TokenError, create_token, list_tokens, revoke_token, verify_token
from scorecard.cli import main
from scorecard.store import Store


def test_a_token_is_stored_only_as_a_hash_and_verifies(store: Store) -> None:
    new = create_token(store, "crm-sync", ("events:write", "read"))
    token_id, secret = new.plain.split("_")[1], new.plain.split("_", 2)[2]
    salt, stored = store.fetchone("SELECT salt, secret_hash FROM api_tokens WHERE token_id = ?", [token_id]) or ()
    assert secret.encode() not in bytes(stored) and len(bytes(stored)) == 32 and len(bytes(salt)) == 16
    found = verify_token(store, new.plain)
    assert found is not None and found.name == "crm-sync" and found.scopes == ("events:write", "read")
    assert verify_token(store, new.plain) is not None  # the second check is the remembered one
    assert verify_token(store, new.plain[:-1] + ("A" if new.plain[-1] != "A" else "B")) is None
    assert verify_token(store, "sct_000000000000_" + secret) is None
    assert verify_token(store, "") is None and verify_token(store, None) is None


def test_revoking_stops_a_token_at_once_and_frees_its_name(store: Store) -> None:
    new = create_token(store, "bot")
    assert verify_token(store, new.plain) is not None
    revoke_token(store, "bot")
    assert verify_token(store, new.plain) is None
    with pytest.raises(TokenError):
        revoke_token(store, "bot")
    again = create_token(store, "bot")
    assert verify_token(store, again.plain) is not None and verify_token(store, new.plain) is None
    assert [t.name for t in list_tokens(store)] == ["bot"] and len(list_tokens(store, include_revoked=True)) == 2


def test_names_and_scopes_are_checked(store: Store) -> None:
    create_token(store, "bot")
    with pytest.raises(TokenError, match="exists"):
        create_token(store, "bot")
    with pytest.raises(TokenError, match="scope"):
        create_token(store, "other", ("admin",))
    with pytest.raises(TokenError, match="name"):
        create_token(store, "<script>")


def test_the_rate_limiter_refills_at_the_tokens_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0])
    allowed = sum(1 for _ in range(30) if limiter.take("t", 60) == 0.0)
    assert allowed == 10  # ten seconds' worth at one a second
    wait = limiter.take("t", 60)
    assert 0 < wait <= 1.0 and retry_after(wait) == "1"
    now[0] += 1.0
    assert limiter.take("t", 60) == 0.0 and limiter.take("t", 60) > 0
    assert limiter.take("other", 60) == 0.0  # per token


def test_the_tokens_command_prints_the_token_once_as_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "cli.duckdb")
    assert main(["tokens", "create", "--name", "ci", "--scope", "read", "--json", "--db", db]) == 0
    created = json.loads(capsys.readouterr().out)
    assert created["name"] == "ci" and created["token"].startswith("sct_") and created["scopes"] == ["read"]
    assert main(["tokens", "list", "--db", db]) == 0
    listing = capsys.readouterr().out
    assert "ci" in listing and created["token"] not in listing
    assert main(["tokens", "revoke", "ci", "--db", db]) == 0
    assert main(["tokens", "revoke", "ci", "--db", db]) == 1
    with Store(db) as store:
        assert verify_token(store, created["token"]) is None
