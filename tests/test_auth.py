"""The manager passcode: env first, then secrets.toml, else generated once, owner-only."""

from __future__ import annotations

import stat
from pathlib import Path
from types import SimpleNamespace

import pytest

from scorecard.auth import (
    PASSCODE_FILE,
    SESSION_SECRET_FILE,
    TRUSTED_PROXIES_ENV,
    Throttle,
    check_passcode,
    client_address,
    manager_passcode,
    revoke_session,
    server_secret,
    session_token,
    session_valid,
)


def test_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('manager_passcode = "from-secrets"\n')
    monkeypatch.setenv("SCORECARD_MANAGER_PASSCODE", "from-env")
    assert manager_passcode(tmp_path, secrets_file=secrets) == "from-env"
    assert not (tmp_path / PASSCODE_FILE).exists()


def test_secrets_file_when_no_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCORECARD_MANAGER_PASSCODE")
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('manager_passcode = "from-secrets"\n')
    assert manager_passcode(tmp_path, secrets_file=secrets) == "from-secrets"


def test_generated_once_owner_only_and_only_its_place_is_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SCORECARD_MANAGER_PASSCODE")
    data = tmp_path / "data"
    first = manager_passcode(data, secrets_file=tmp_path / "missing.toml")
    assert len(first) >= 12
    path = data / PASSCODE_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # The console (often a shared log) says where it is and how to read it, never the passcode.
    printed = capsys.readouterr()
    assert first not in printed.err and first not in printed.out
    assert str(path) in printed.err and f"cat {path}" in printed.err
    # The next start reads the same passcode and prints nothing.
    assert manager_passcode(data, secrets_file=tmp_path / "missing.toml") == first
    assert capsys.readouterr().err == ""


def test_broken_secrets_file_falls_back_to_generated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCORECARD_MANAGER_PASSCODE")
    secrets = tmp_path / "secrets.toml"
    secrets.write_text("this is not toml = = \n")
    value = manager_passcode(tmp_path, secrets_file=secrets)
    assert (tmp_path / PASSCODE_FILE).read_text().strip() == value


def test_check_passcode() -> None:
    assert check_passcode("s3cret", "s3cret")
    assert check_passcode(" s3cret ", "s3cret")  # pasted with spaces
    assert not check_passcode("s3cret!", "s3cret")
    assert not check_passcode("", "s3cret")
    assert not check_passcode(None, "s3cret")
    assert not check_passcode("", "")


# -- throttling --------------------------------------------------------------------


def test_one_client_is_locked_out_after_a_few_wrong_guesses(caplog: pytest.LogCaptureFixture) -> None:
    throttle = Throttle(client_free=5, global_free=100, base_s=30)
    now = 1_000.0
    results = [throttle.attempt("10.0.0.9", f"guess-{i}", "s3cret", now + i * 0.3) for i in range(45)]
    assert [r.ok for r in results].count(True) == 0
    # Five guesses are compared; from the sixth on, the client waits and nothing is compared.
    assert all(r.wait_s == 0 for r in results[:5]) and all(r.wait_s > 0 for r in results[6:])
    # Even the right passcode is refused while the wait runs ...
    assert not throttle.attempt("10.0.0.9", "s3cret", "s3cret", now + 20).ok
    # ... and other clients are not affected.
    assert throttle.attempt("10.0.0.7", "s3cret", "s3cret", now + 20).ok
    # After the wait, the right passcode works and clears the count.
    later = now + 14 + throttle.wait_s("10.0.0.9", now + 14) + 1
    assert throttle.attempt("10.0.0.9", "s3cret", "s3cret", later).ok
    assert throttle.wait_s("10.0.0.9", later) == 0
    # Failed attempts are logged with the client, never with the guess.
    assert "10.0.0.9" in caplog.text and "guess-" not in caplog.text and "s3cret" not in caplog.text


def test_the_wait_doubles_with_each_further_wrong_guess() -> None:
    throttle = Throttle(client_free=2, global_free=100, base_s=10, max_s=60)
    waits = []
    now = 0.0
    for _ in range(7):
        now += throttle.wait_s("c", now) + 0.01
        waits.append(throttle.attempt("c", "x", "s3cret", now).wait_s)
    assert waits[:2] == [0, 0]
    assert [round(w) for w in waits[2:]] == [10, 20, 40, 60, 60]


def test_guessing_from_many_clients_locks_everyone() -> None:
    throttle = Throttle(client_free=5, global_free=20, base_s=30, window_s=900)
    now = 5_000.0
    for i in range(21):  # one guess each from 21 addresses
        throttle.attempt(f"10.0.1.{i}", "wrong", "s3cret", now + i)
    assert throttle.wait_s("10.9.9.9", now + 22) > 0
    assert not throttle.attempt("10.9.9.9", "s3cret", "s3cret", now + 22).ok
    assert throttle.attempt("10.9.9.9", "s3cret", "s3cret", now + 22 + 31).ok
    # Old guesses leave the window: a slow trickle never adds up to a lockout.
    slow = Throttle(client_free=5, global_free=20, window_s=60)
    for i in range(40):
        slow.attempt(f"10.0.2.{i}", "wrong", "s3cret", 10_000.0 + i * 10)
    assert slow.wait_s("anyone", 10_000.0 + 400) == 0


# -- signed sessions ------------------------------------------------------------------


def test_session_tokens_expire_are_bound_to_the_passcode_and_cannot_be_forged(tmp_path: Path) -> None:
    secret = server_secret(tmp_path)
    assert stat.S_IMODE((tmp_path / SESSION_SECRET_FILE).stat().st_mode) == 0o600
    assert server_secret(tmp_path) == secret  # kept across restarts
    now = 1_700_000_000.0
    token = session_token(secret, "s3cret", now, seconds=3600)
    assert set(token) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
    assert session_valid(token, secret, "s3cret", now + 3599)
    assert not session_valid(token, secret, "s3cret", now + 3600)  # expired
    assert not session_valid(token, secret, "new-passcode", now)  # the passcode changed: everyone signs in again
    assert not session_valid(token, b"another server", "s3cret", now)
    version, expires, nonce, mac = token.split(".")
    assert not session_valid(f"{version}.{int(expires) + 86400}.{nonce}.{mac}", secret, "s3cret", now + 4000)
    assert not session_valid(f"{version}.{expires}.{nonce}.{mac[:-2]}AA", secret, "s3cret", now)
    for junk in ("", "v1", "v1.x.y.z", "v2." + token[3:], token + ".x", None):
        assert not session_valid(junk, secret, "s3cret", now)
    revoke_session(token)
    assert not session_valid(token, secret, "s3cret", now)


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "client"),
    [
        (None, None, (), "local"),  # the manager's own machine, straight to the app
        ("203.0.113.7", None, (), "203.0.113.7"),  # straight to the app from elsewhere
        ("203.0.113.7", "198.51.100.1", (), "203.0.113.7"),  # a header from a client nobody trusts proves nothing
        (None, "198.51.100.1", (), "198.51.100.1"),  # nginx beside the app, as deploy/ configures it
        (None, "10.0.0.9, 198.51.100.1", (), "198.51.100.1"),  # what the client wrote itself is left of it
        (None, "198.51.100.1, 127.0.0.1", (), "198.51.100.1"),  # two proxies on this machine
        ("10.1.2.3", "198.51.100.1", ("10.1.0.0/16",), "198.51.100.1"),  # a load balancer on another machine
        ("10.1.2.3", "198.51.100.1", ("10.9.0.0/16", "not a network"), "10.1.2.3"),  # ... but not that one
        (None, "127.0.0.1", (), "local"),
        (None, "garbage", (), "local"),
        ("::1", "2001:db8::5", (), "2001:db8::5"),
    ],
)
def test_the_throttle_sees_the_browser_behind_a_proxy_it_trusts(
    peer: str | None, forwarded: str | None, trusted: tuple[str, ...], client: str
) -> None:
    assert client_address(peer, forwarded, trusted) == client


def test_the_gate_counts_guesses_per_browser_behind_nginx(monkeypatch: pytest.MonkeyPatch) -> None:
    from scorecard import ui

    def connection(forwarded: str) -> SimpleNamespace:
        return SimpleNamespace(ip_address=None, headers={"X-Forwarded-For": forwarded})

    monkeypatch.setattr(ui.st, "context", connection("198.51.100.1"))
    first = ui.client_id()
    monkeypatch.setattr(ui.st, "context", connection("198.51.100.2"))
    assert (first, ui.client_id()) == ("198.51.100.1", "198.51.100.2")
    monkeypatch.setenv(TRUSTED_PROXIES_ENV, "192.0.2.0/24")
    monkeypatch.setattr(ui.st, "context", SimpleNamespace(ip_address="192.0.2.10", headers={"X-Forwarded-For": "198.51.100.3"}))
    assert ui.client_id() == "198.51.100.3"
