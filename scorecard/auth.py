"""The manager passcode, sign-in throttling, and signed manager sessions.

Passcode order: `$SCORECARD_MANAGER_PASSCODE`, else `manager_passcode` in
`.streamlit/secrets.toml`, else one generated on first start and kept in
`data/.manager_passcode`, readable only by its owner. The console says where
it was saved and how to read it, never the passcode itself: server logs are
read by more people than the manager.

Wrong guesses are throttled per client and across all clients (see
`Throttle`). A successful sign-in can be carried to new tabs by a cookie whose
value is signed with a server secret (`data/.session_secret`, owner-only) and
bound to the current passcode, so changing the passcode signs everyone out.
No Streamlit here: `scorecard.ui` wires this to the pages.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import ipaddress
import logging
import os
import secrets
import sys
import threading
import tomllib
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ENV_VAR = "SCORECARD_MANAGER_PASSCODE"
PASSCODE_FILE = ".manager_passcode"
SESSION_SECRET_FILE = ".session_secret"
SECRETS_FILE = Path(__file__).resolve().parent.parent / ".streamlit" / "secrets.toml"
SESSION_COOKIE = "scorecard_manager"
SESSION_SECONDS = 12 * 3600  # a working day: a manager signs in once a day per browser

log = logging.getLogger(__name__)


def _from_secrets(secrets_file: Path) -> str | None:
    try:
        with open(secrets_file, "rb") as fh:
            value = tomllib.load(fh).get("manager_passcode")
    except (OSError, tomllib.TOMLDecodeError):
        return None
    return str(value) if value else None


def _from_file(path: Path) -> str | None:
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return value or None


def _create_private(path: Path, value: str) -> bool:
    """Write `value` to a new owner-only file; False when the file already exists (another process won)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value + "\n")
    os.chmod(path, 0o600)
    return True


def _generate(path: Path) -> str:
    """Create the passcode file exclusively, so two starting processes agree on one value."""
    value = secrets.token_urlsafe(12)
    if not _create_private(path, value):
        existing = _from_file(path)
        if existing:
            return existing
        raise FileExistsError(f"{path} exists but is empty; delete it and restart to generate a new passcode")
    # Where, not what: the console often ends up in shared logs.
    print(
        f"Team Scorecard: a manager passcode was generated and saved in {path} (readable only by this account).\n"
        f"  Show it with:  cat {path}\n"
        f"  Or set {ENV_VAR} (or manager_passcode in .streamlit/secrets.toml) to choose your own.",
        file=sys.stderr,
        flush=True,
    )
    return value


def manager_passcode(data_dir: Path, *, secrets_file: Path = SECRETS_FILE) -> str:
    """The passcode that unlocks manager actions; generated on first use when none is configured."""
    from_env = os.environ.get(ENV_VAR, "").strip()
    if from_env:
        return from_env
    from_secrets = _from_secrets(secrets_file)
    if from_secrets:
        return from_secrets
    path = data_dir / PASSCODE_FILE
    return _from_file(path) or _generate(path)


def passcode_source(data_dir: Path, *, secrets_file: Path = SECRETS_FILE) -> str:
    """Where the manager passcode comes from, in words (never the passcode itself)."""
    if os.environ.get(ENV_VAR, "").strip():
        return f"the {ENV_VAR} environment variable"
    if _from_secrets(secrets_file):
        return f"{secrets_file} (manager_passcode)"
    return str(data_dir / PASSCODE_FILE)


def check_passcode(given: str | None, expected: str) -> bool:
    """Constant-time comparison; an empty entry never unlocks."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.strip().encode("utf-8"), expected.encode("utf-8"))


# -- throttling wrong guesses ---------------------------------------------------

# Proxies whose X-Forwarded-For is believed: the machine's own (nginx beside the
# replicas), plus any listed in this variable (addresses or networks, comma-separated).
TRUSTED_PROXIES_ENV = "SCORECARD_TRUSTED_PROXIES"


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, extra: Sequence[str]) -> bool:
    if address.is_loopback:
        return True
    for entry in extra:
        with contextlib.suppress(ValueError):
            if address in ipaddress.ip_network(entry.strip(), strict=False):
                return True
    return False


def client_address(peer: str | None, forwarded_for: str | None, trusted: Sequence[str] = ()) -> str:
    """Who is guessing: the connection's address, or, behind a trusted proxy, the client it forwarded for.

    `peer` is None for a connection from this machine (as Streamlit reports
    it), which is how nginx beside the app connects. A proxy appends the address
    it saw to X-Forwarded-For, so the chain is read from the right and the first
    address that is not a trusted proxy is the client's; anything further left
    was written by the client and proves nothing. "local": this machine, or no
    address to go by.
    """
    chain = [*(forwarded_for or "").split(","), peer or "127.0.0.1"]
    for hop in reversed(chain):
        try:
            address = ipaddress.ip_address(hop.strip())
        except ValueError:
            break
        if not _trusted(address, trusted):
            return str(address)
    return "local"


def trusted_proxies() -> list[str]:
    """The extra proxies from SCORECARD_TRUSTED_PROXIES (the machine's own are always trusted)."""
    return [part for part in os.environ.get(TRUSTED_PROXIES_ENV, "").split(",") if part.strip()]


@dataclass(frozen=True)
class Attempt:
    ok: bool
    wait_s: float = 0.0  # > 0: refused without checking; try again after this many seconds


@dataclass
class Throttle:
    """Backoff after wrong passcodes, per client and across all clients.

    A client gets `client_free` wrong guesses, then waits `base_s`, doubling
    with each further wrong guess up to `max_s`. Across all clients, more than
    `global_free` wrong guesses within `window_s` make everyone wait the same
    way: guessing from many addresses gains nothing. While a wait runs, no
    guess is even compared. A correct passcode clears that client's count.
    """

    client_free: int = 5
    global_free: int = 20
    window_s: float = 900.0
    base_s: float = 30.0
    max_s: float = 3600.0
    _clients: dict[str, tuple[int, float]] = field(default_factory=dict)  # client -> (wrong in a row, locked until)
    _recent: deque[float] = field(default_factory=deque)
    _global_until: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _backoff(self, over: int) -> float:
        return float(min(self.max_s, self.base_s * 2 ** min(over, 20)))

    def wait_s(self, client: str, now: float) -> float:
        with self._lock:
            _, until = self._clients.get(client, (0, 0.0))
            return max(0.0, until - now, self._global_until - now)

    def attempt(self, client: str, given: str | None, expected: str, now: float) -> Attempt:
        """Check `given` unless a wait is running; count and log a wrong one (never the guess itself)."""
        wait = self.wait_s(client, now)
        if wait > 0:
            log.warning("manager sign-in refused from %s: locked for another %.0f s", client, wait)
            return Attempt(False, wait)
        if check_passcode(given, expected):
            with self._lock:
                self._clients.pop(client, None)
            return Attempt(True)
        return Attempt(False, self._failed(client, now))

    def _failed(self, client: str, now: float) -> float:
        with self._lock:
            wrong, until = self._clients.get(client, (0, 0.0))
            wrong += 1
            if wrong > self.client_free:
                until = now + self._backoff(wrong - self.client_free - 1)
            self._clients[client] = (wrong, until)
            if len(self._clients) > _MAX_CLIENTS:  # many addresses must not grow this without bound
                self._clients = {c: v for c, v in self._clients.items() if v[1] > now}
            self._recent.append(now)
            while self._recent and self._recent[0] < now - self.window_s:
                self._recent.popleft()
            if len(self._recent) > self.global_free:
                self._global_until = max(self._global_until, now + self._backoff(len(self._recent) - self.global_free - 1))
            wait = max(0.0, until - now, self._global_until - now)
        log.warning(
            "manager sign-in: wrong passcode from %s (%d in a row; %d from all clients in %.0f min)%s",
            client, wrong, len(self._recent), self.window_s / 60, f"; locked for {wait:.0f} s" if wait else "",
        )  # fmt: skip
        return wait


_MAX_CLIENTS = 10_000
THROTTLE = Throttle()  # one per process: the app's sessions share it


# -- signed manager sessions -----------------------------------------------------


def server_secret(data_dir: Path) -> bytes:
    """The key that signs manager cookies: `data/.session_secret`, created owner-only on first use."""
    path = data_dir / SESSION_SECRET_FILE
    existing = _from_file(path)
    if existing is None:
        _create_private(path, secrets.token_hex(32))
        existing = _from_file(path)
    if not existing:
        raise RuntimeError(f"{path} is empty; delete it and restart (everyone will have to sign in again)")
    return bytes.fromhex(existing) if _is_hex(existing) else existing.encode("utf-8")


def _is_hex(text: str) -> bool:
    try:
        bytes.fromhex(text)
    except ValueError:
        return False
    return True


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _session_mac(secret: bytes, passcode: str, expires: int, nonce: str) -> str:
    # Bound to the passcode: changing it invalidates every session at once.
    bound = hashlib.sha256(passcode.encode("utf-8")).hexdigest()
    return _b64(hmac.new(secret, f"manager|{expires}|{nonce}|{bound}".encode(), hashlib.sha256).digest())


def session_token(secret: bytes, passcode: str, now: float, *, seconds: int = SESSION_SECONDS) -> str:
    """`v1.<expires>.<nonce>.<mac>`: only characters that need no quoting in a cookie."""
    expires = int(now) + seconds
    nonce = secrets.token_hex(8)
    return f"v1.{expires}.{nonce}.{_session_mac(secret, passcode, expires, nonce)}"


def session_nonce(token: str) -> str | None:
    parts = token.split(".")
    return parts[2] if len(parts) == 4 else None


_revoked: set[str] = set()
_revoked_lock = threading.Lock()


def revoke_session(token: str) -> None:
    """Sign a cookie out on this server (the browser is told to drop it too)."""
    nonce = session_nonce(token)
    if nonce:
        with _revoked_lock:
            _revoked.add(nonce)


def session_valid(token: str | None, secret: bytes, passcode: str, now: float) -> bool:
    """True for an unexpired, unrevoked token this server signed for the current passcode."""
    if not token or not passcode:
        return False
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != "v1" or not parts[1].isdigit():
        return False
    expires, nonce, mac = int(parts[1]), parts[2], parts[3]
    if expires <= now:
        return False
    with _revoked_lock:
        if nonce in _revoked:
            return False
    return hmac.compare_digest(mac.encode("ascii", "replace"), _session_mac(secret, passcode, expires, nonce).encode("ascii"))
