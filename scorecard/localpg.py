"""A throwaway PostgreSQL server in a folder, for `make scale-demo` and the tests.

It uses the machine's own PostgreSQL programs (Debian's `postgresql` package:
`initdb`, `pg_ctl`), initialises a cluster in a temporary folder, and listens
on 127.0.0.1 on a free port with trust authentication for one local user.
PostgreSQL refuses to run as root, so under root the server runs as the
`postgres` system user, which then owns the folder.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

_SEARCH = ("/usr/lib/postgresql",)
USER = "scorecard"
DATABASE = "scorecard"


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server programs are not installed on this machine."""


def server_bin_dir() -> Path:
    """The folder holding `initdb` and `pg_ctl`: `$SCORECARD_PG_BIN`, else the newest Debian install."""
    env = os.environ.get("SCORECARD_PG_BIN")
    if env:
        return Path(env)
    found = shutil.which("initdb")
    if found:  # Debian links only some programs onto PATH; the real folder has them all
        return Path(found).resolve().parent
    for root in map(Path, _SEARCH):
        versions = sorted(root.glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
        if versions:
            return versions[-1].parent
    raise PostgresUnavailable(
        "PostgreSQL's server programs (initdb, pg_ctl) were not found. "
        "Install Debian's `postgresql` package (apt-get install postgresql) or set SCORECARD_PG_BIN."
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalPostgres:
    """Start with `with LocalPostgres() as pg:`; `pg.dsn` is a libpq connection string."""

    def __init__(self, folder: Path | None = None, port: int | None = None) -> None:
        self._own_folder = folder is None
        self.folder = Path(folder or tempfile.mkdtemp(prefix="scorecard-pg-"))
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.bin = server_bin_dir()
        self._as_postgres = os.geteuid() == 0
        self.started = False

    @property
    def data_dir(self) -> Path:
        return self.folder / "cluster"

    @property
    def dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} dbname={DATABASE} user={USER}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    def start(self) -> LocalPostgres:
        if self._as_postgres:
            entry = pwd.getpwnam("postgres")
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
            reachable = subprocess.run(["runuser", "-u", "postgres", "--", "test", "-x", str(self.folder)], check=False)
            if reachable.returncode != 0:
                raise RuntimeError(
                    f"PostgreSQL runs as the postgres user here (the server refuses root), and that user cannot reach "
                    f"{self.folder}: a folder above it is private. Choose a folder under /tmp, or one the postgres user can enter."
                )
        self._checked(self._run("initdb", "-D", str(self.data_dir), "-U", USER, "--auth=trust", "-E", "UTF8", "--no-sync"))
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._checked(self._run("pg_ctl", "-D", str(self.data_dir), "-o", options, "-l", str(self.folder / "server.log"), "-w", "start"))
        self.started = True
        self._checked(self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, DATABASE))
        return self

    def stop(self) -> None:
        if self.started:
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")
            self.started = False
        if self._own_folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    def wait_ready(self, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._run("pg_isready", "-h", "127.0.0.1", "-p", str(self.port)).returncode == 0:
                return
            time.sleep(0.2)
        raise TimeoutError(f"PostgreSQL on port {self.port} did not become ready in {timeout_s:.0f} s")

    def _checked(self, done: subprocess.CompletedProcess[str]) -> None:
        if done.returncode != 0:
            log = self.folder / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"PostgreSQL command failed: {done.args}\n{done.stdout}{done.stderr}{tail}")

    def __enter__(self) -> LocalPostgres:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
