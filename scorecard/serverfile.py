"""The server file: how the command line finds the running app that holds the database.

While the app runs it owns the database file, so the command line sends the
commands that can run inside the app to it instead (docs/api.md, "The command
line while the app runs"). When the app starts it writes `<database>.server.json`
beside the database, readable and writable by its own account only: the address
of its command endpoint, its pid and host, and a secret made fresh at every
start. Only that account (or root) can read the secret, and only it may ask the
app to run a command; a request without it is refused. The file is removed when
the app stops; one left behind by an app that died names a pid no longer alive,
and its secret died with that app (docs/security.md, "The server file").
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import json
import os
import secrets
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from scorecard.liveness import pid_alive, this_host

SUFFIX = ".server.json"


class ServerFileError(RuntimeError):
    """The server file exists but cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class ServerFile:
    url: str  # the command endpoint, e.g. http://127.0.0.1:8501/api/v1/cli
    pid: int
    host: str  # liveness.this_host() of the app
    secret: str
    db: str  # the database the app holds, resolved
    started_at: str  # ISO, UTC

    def running_here(self) -> bool:
        """True when the app that wrote this runs on this host and is still alive."""
        return self.host == this_host() and pid_alive(self.pid)


def server_file_path(db: Path | str) -> Path:
    """`<database>.server.json`, beside the database (its resolved path)."""
    resolved = Path(db).resolve()
    return resolved.with_name(resolved.name + SUFFIX)


_published: dict[Path, ServerFile] = {}
_lock = threading.Lock()


def publish(db: Path | str, url: str) -> ServerFile:
    """Write this process's server file for `db` (owner-only), replacing any left by an app that died.

    Call it only while holding the database: then any file already there is stale.
    """
    target = server_file_path(db)
    info = ServerFile(
        url=url,
        pid=os.getpid(),
        host=this_host(),
        secret=secrets.token_urlsafe(32),
        db=str(Path(db).resolve()),
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    staging = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}")
    # O_EXCL on a fresh name and mode 0600 at creation: the secret is never readable by
    # another account, not even for a moment, and no planted link is followed.
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(asdict(info), fh, indent=2)
            fh.write("\n")
        os.replace(staging, target)  # readers see the old file or the whole new one
    except BaseException:
        with contextlib.suppress(OSError):
            staging.unlink()
        raise
    with _lock:
        _published[target] = info
    return info


def withdraw(db: Path | str) -> None:
    """Remove this process's server file for `db`, if the file there is still this process's."""
    target = server_file_path(db)
    with _lock:
        mine = _published.pop(target, None)
    if mine is None:
        return
    try:
        current = read_server_file(db)
    except ServerFileError:
        return
    if current is not None and hmac.compare_digest(current.secret, mine.secret):
        with contextlib.suppress(FileNotFoundError):
            target.unlink()


def published(db: Path | str) -> ServerFile | None:
    """The server file this process wrote for `db`, if it is serving it."""
    with _lock:
        return _published.get(server_file_path(db))


def secret_matches(db: Path | str, presented: str | None) -> bool:
    """True when `presented` is the secret of this process's server file for `db` (constant-time)."""
    mine = published(db)
    if mine is None or not presented:
        return False
    return hmac.compare_digest(presented.encode("utf-8", "replace"), mine.secret.encode("ascii"))


def local_caller(db: Path | str, client_host: str | None) -> bool:
    """True for a caller on this machine: a loopback address, or the address the app's endpoint names."""
    if not client_host:
        return False
    try:
        address = ipaddress.ip_address(client_host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    if address.is_loopback or (mapped is not None and mapped.is_loopback):
        return True
    mine = published(db)
    served = urlsplit(mine.url).hostname if mine is not None else None
    try:
        return served is not None and ipaddress.ip_address(served) == address
    except ValueError:  # the app listens on a host name: only loopback callers, then
        return False


def read_server_file(db: Path | str) -> ServerFile | None:
    """The server file beside `db`; None when there is none."""
    path = server_file_path(db)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except PermissionError as exc:
        raise ServerFileError(
            f"{path} cannot be read ({exc.strerror}): the app runs under another account. "
            "Run the command as the account that runs the app."
        ) from exc
    except OSError as exc:
        raise ServerFileError(f"{path} cannot be read ({exc.strerror}).") from exc
    try:
        raw = json.loads(text)
        return ServerFile(
            url=str(raw["url"]),
            pid=int(raw["pid"]),
            host=str(raw["host"]),
            secret=str(raw["secret"]),
            db=str(raw["db"]),
            started_at=str(raw["started_at"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise ServerFileError(
            f"{path} is not a server file this version can read. If no app is running, delete it; "
            "otherwise restart the app, which writes it again."
        ) from exc
