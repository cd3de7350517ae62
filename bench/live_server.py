"""The app under test: a demo database, `streamlit run server.py` on it, and what the process costs.

The demo is built with the project's own command (`python -m scorecard demo`)
once per size and day and kept under bench/out/: the demo's story is relative
to the moment it is built ("this week"), so a copy from another day would show
an empty week. Each measured size gets a fresh copy and a fresh server, so one
size's pages, caches and uploads never leak into the next one's figures.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from datetime import time as dt_time
from pathlib import Path

import duckdb

from scorecard.replicas import Nginx
from tests.serving import ServerProcess

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PASSCODE = "bench"
STARTUP_TIMEOUT_S = 180.0
LOG_PROBLEMS = ("Traceback", "Error", "Exception")
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Rep:
    slug: str
    name: str
    email: str | None


@dataclass(frozen=True)
class Team:
    """What the benchmark needs to know about the demo, read before the server locks the file."""

    reps: list[Rep]
    timezone: str
    day_start: dt_time
    day_end: dt_time


def demo_db(reps: int, weeks: int, *, today: date | None = None) -> Path:
    """The demo database for (reps, weeks), built today with the project's CLI; cached under bench/out/."""
    day = today or date.today()
    # Named for the DuckDB that wrote it too: another version may not read it.
    path = OUT / f"live-demo-{reps}x{weeks}-{day:%Y%m%d}-duckdb{duckdb.__version__}.duckdb"
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob(f"live-demo-{reps}x{weeks}-*.duckdb*"):
        old.unlink()
    building = path.with_name(".building-" + path.name)
    exports = OUT / f"live-demo-exports-{reps}x{weeks}"
    building.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "scorecard", "demo", "--reps", str(reps), "--weeks", str(weeks),
           "--db", str(building), "--out", str(exports)]  # fmt: skip
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True)
    shutil.rmtree(exports, ignore_errors=True)
    building.replace(path)  # only a complete database is ever cached
    return path


def read_team(db: Path) -> Team:
    """Reps (slug, display name, email) and the team's clock, from the demo database."""
    from scorecard import roster
    from scorecard.settings import load_settings
    from scorecard.store import Store

    store = Store(db, read_only=True)
    try:
        frame = roster.list_reps(store)
        settings = load_settings(store)
    finally:
        store.close()
    reps = [Rep(r["slug"], r["display_name"], r["email"]) for r in frame.iter_rows(named=True)]
    return Team(reps, settings.timezone, settings.day_start, settings.day_end)


@dataclass(frozen=True)
class ProcSample:
    at: float  # perf_counter seconds
    cpu_s: float  # user + system CPU seconds used by the process so far
    rss_bytes: int


def sample(pid: int) -> ProcSample:
    """CPU time (utime + stime from /proc/PID/stat) and resident memory (VmRSS) of `pid`, now."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The command name (field 2) may hold spaces; the fields after it start past its ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    cpu_s = (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime, stime: fields 14 and 15
    rss = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) * 1024
    return ProcSample(time.perf_counter(), cpu_s, rss)


def cpu_percent(before: ProcSample, after: ProcSample) -> float:
    """CPU used between two samples, as a percentage of one core."""
    wall = after.at - before.at
    return 100.0 * (after.cpu_s - before.cpu_s) / wall if wall > 0 else 0.0


class AppServer(ServerProcess):
    """The app as the tests run it (tests/serving.py), on a copy of the demo with its own inbox and log."""

    def __init__(self, db: Path, workdir: Path) -> None:
        self.workdir = workdir
        copy = workdir / "scorecard.duckdb"
        shutil.copyfile(db, copy)
        inbox = workdir / "inbox"
        inbox.mkdir()
        super().__init__(copy, inbox, workdir / "streamlit.log", passcode=PASSCODE, startup_timeout_s=STARTUP_TIMEOUT_S)

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise RuntimeError("the server is not running")
        return self.proc.pid

    def sample(self) -> ProcSample:
        return sample(self.pid)

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_text()[-chars:] if self.log.exists() else ""

    def log_problems(self) -> list[str]:
        """Log lines that report a failure (Traceback, Error, Exception)."""
        if not self.log.exists():
            return []
        lines = self.log.read_text(errors="replace").splitlines()
        return [line for line in lines if any(word in line for word in LOG_PROBLEMS)]


class LakeReplicas:
    """The demo moved into a DuckLake with a PostgreSQL catalog, `count` app replicas on it, and nginx in front of two or more.

    It stands in for `AppServer` in the live benchmark: `host`/`port` are what
    the tabs connect to (nginx's, whose cookie keeps each tab on one replica, or
    the one replica's), the inbox is shared by every replica, and `sample()`
    sums the replicas' CPU and memory. Maintenance is off: it would run once
    at the first start of a new lake and colour the first size's figures.
    """

    def __init__(self, db: Path, workdir: Path, count: int, pg_dsn: str) -> None:
        from scorecard.move import move

        self.workdir = workdir
        self.inbox = workdir / "inbox"
        self.inbox.mkdir()
        self.data_path = workdir / "lake"
        self.spec = f"ducklake:postgres:{_fresh_database(pg_dsn)}"
        move(db, self.spec, data_path=self.data_path)
        env = {"SCORECARD_DATA_PATH": str(self.data_path), "SCORECARD_MAINTAIN_EVERY": "off"}
        self.replicas = [
            AppServerOnLake(self.spec, self.inbox, workdir / f"replica-{n + 1}.log", env) for n in range(count)
        ]
        self.proxy: Nginx | None = None
        self.host = "127.0.0.1"
        self.port = 0

    def start(self) -> None:
        for replica in self.replicas:
            replica.start()
        if len(self.replicas) > 1:
            self.proxy = Nginx([f"127.0.0.1:{r.port}" for r in self.replicas], self.workdir / "nginx").start()
            self.port = self.proxy.port
        else:
            self.port = self.replicas[0].port

    def stop(self) -> None:
        if self.proxy is not None:
            self.proxy.stop()
        for replica in self.replicas:
            replica.stop()

    def sample(self) -> ProcSample:
        parts = [sample(r.proc.pid) for r in self.replicas if r.proc is not None]
        return ProcSample(time.perf_counter(), sum(p.cpu_s for p in parts), sum(p.rss_bytes for p in parts))

    def log_problems(self) -> list[str]:
        lines = [line for r in self.replicas if r.log.exists() for line in r.log.read_text(errors="replace").splitlines()]
        return [line for line in lines if any(word in line for word in LOG_PROBLEMS)]


class AppServerOnLake(ServerProcess):
    """One replica: the tests' server process on the lake, with the lake's data folder and the bench's passcode."""

    def __init__(self, spec: str, inbox: Path, log: Path, env: dict[str, str]) -> None:
        super().__init__(spec, inbox, log, passcode=PASSCODE, startup_timeout_s=STARTUP_TIMEOUT_S)
        self.extra_env.update(env)


def _fresh_database(dsn: str) -> str:
    import uuid

    import psycopg

    name = f"live_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')  # a name made here, of hex digits
    return f"{dsn} dbname={name}"
