"""`make scale-demo`: the scaled-out app on one machine, started and stopped as one.

It starts a throwaway PostgreSQL (initdb in a temporary folder, on a free
port), creates a DuckLake on it with the demo team, starts the app replicas
(three by default) on that one store, and nginx in front with sticky sessions
(deploy/nginx-site.conf). Ctrl-C stops everything and removes the folder.
See docs/scale-out.md.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from types import FrameType

from scorecard.localpg import LocalPostgres
from scorecard.replicas import ROOT, AppServer, Nginx


def _say(text: str) -> None:
    print(text, flush=True)


def _create_lake(spec: str, env: dict[str, str], reps: int) -> None:
    _say(f"creating the DuckLake and the demo team ({reps} reps)…")
    subprocess.run(
        [sys.executable, "-m", "scorecard", "demo", "--reps", str(reps), "--db", spec],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip


def run(replicas: int, port: int, reps: int, keep: Path | None) -> int:
    folder = keep or Path(tempfile.mkdtemp(prefix="scorecard-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    stopping = False

    def stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    # Ctrl-C (SIGINT) and SIGTERM both stop everything. SIGINT is handled here rather than left to Python's
    # KeyboardInterrupt: a shell starts a background job with SIGINT ignored, and Python then never raises it.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with ExitStack() as stack:
        # Under root the server runs as the postgres user, which cannot enter our private temporary folder:
        # it gets a temporary folder of its own unless everything is kept in one folder.
        pg = LocalPostgres(folder / "postgres") if keep is not None else LocalPostgres()
        _say(f"starting PostgreSQL in {pg.folder}…")
        stack.enter_context(pg)
        spec = f"ducklake:postgres:{pg.dsn}"
        data_path = folder / "lake"
        inbox = folder / "inbox"
        inbox.mkdir(exist_ok=True)
        env = {**os.environ, "SCORECARD_DB": spec, "SCORECARD_DATA_PATH": str(data_path)}
        _create_lake(spec, env, reps)
        passcode = os.environ.get("SCORECARD_MANAGER_PASSCODE") or secrets.token_urlsafe(9)
        servers = []
        for n in range(replicas):
            server = AppServer(
                spec, inbox, folder / f"replica-{n + 1}.log", passcode=passcode, env={"SCORECARD_DATA_PATH": str(data_path)}
            )
            stack.callback(server.stop)
            server.start()
            servers.append(server)
            _say(f"replica {n + 1} on {server.url} (log {server.log})")
        proxy = Nginx([f"127.0.0.1:{s.port}" for s in servers], folder / "nginx", port=port)
        stack.callback(proxy.stop)
        proxy.start()
        _say(
            f"\nTeam Scorecard, {replicas} replicas on one DuckLake, behind nginx: {proxy.url}\n"
            f"manager passcode: {passcode}\n"
            f"inbox shared by every replica: {inbox}\n"
            "Ctrl-C stops everything."
        )
        while not stopping:
            for n, server in enumerate(servers):
                if server.proc is not None and server.proc.poll() is not None:
                    _say(f"replica {n + 1} exited; see {server.log}")
                    server.proc = None
            if all(server.proc is None for server in servers):
                _say("every replica has exited")
                break
            time.sleep(0.5)
        _say("\nstopping nginx, the replicas and PostgreSQL…")
    if keep is None:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scorecard.scale_demo", description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=3, help="app replicas (default 3)")
    parser.add_argument("--port", type=int, default=8080, help="nginx port (default 8080)")
    parser.add_argument("--reps", type=int, default=10, help="demo team size (default 10)")
    parser.add_argument("--keep", type=Path, default=None, help="keep everything in this folder instead of a temporary one")
    args = parser.parse_args(argv)
    if args.replicas < 1:
        parser.error("--replicas must be at least 1")
    return run(args.replicas, args.port, args.reps, args.keep)


if __name__ == "__main__":
    raise SystemExit(main())
