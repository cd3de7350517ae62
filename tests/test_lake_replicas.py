"""Several app processes and the command line on one DuckLake with a real PostgreSQL catalog (docs/scale-out.md).

Each test gets its own catalog database on the session's PostgreSQL server and
its own data folder; the team is a seeded file moved into the lake with the
`move` command. The app servers are real `streamlit run server.py` processes
(scorecard.replicas.AppServer), and the pages are opened with the project's tab
client, as in tests/test_server_live.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest

from bench.bench_ingest import make_csv
from bench.live import drop_into_inbox, fanout_csv, meeting_time
from bench.live_client import SUCCESS, PageClient
from bench.live_server import Team, read_team
from scorecard.localpg import LocalPostgres
from scorecard.replicas import AppServer
from scorecard.serverfile import SUFFIX
from scorecard.store import Store
from tests.factories import fresh_pg_database
from tests.factories_ui import seed_file
from tests.serving import PASSCODE, ROOT

pytestmark = pytest.mark.slow

METRIC = "Meetings"
SEEN_WITHIN_S = 5.0
T = TypeVar("T")


@dataclass
class Lake:
    spec: str
    data_path: Path
    folder: Path

    @property
    def env(self) -> dict[str, str]:
        return {"SCORECARD_DB": self.spec, "SCORECARD_DATA_PATH": str(self.data_path)}

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """`python -m scorecard ARGS` on this lake, as a user runs it beside the app servers."""
        env = {**os.environ, **self.env}
        done = subprocess.run([sys.executable, "-m", "scorecard", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        if check:
            assert done.returncode == 0, done.stderr
        return done

    def replica(self, name: str, inbox: Path, **env: str) -> AppServer:
        return AppServer(self.spec, inbox, self.folder / f"{name}.log", passcode=PASSCODE, env={**self.env, **env})


@pytest.fixture
def lake(tmp_path: Path, postgres: LocalPostgres, monkeypatch: pytest.MonkeyPatch) -> Lake:
    """A PostgreSQL-catalog lake holding a seeded team, moved in from a file with `move`."""
    team = tmp_path / "team.duckdb"
    seed_file(team)
    made = Lake(f"ducklake:postgres:{fresh_pg_database(postgres.dsn)}", tmp_path / "lake", tmp_path)
    made.cli("move", "--from", str(team), "--to", made.spec, "--to-data-path", str(made.data_path))
    monkeypatch.setenv("SCORECARD_DATA_PATH", str(made.data_path))
    return made


@pytest.fixture
def servers() -> Iterator[list[AppServer]]:
    started: list[AppServer] = []
    yield started
    for server in started:
        server.stop()


def _run(scenario: Coroutine[Any, Any, T]) -> T:
    """Run `scenario` on an event loop of its own (Playwright may hold the main thread's)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, scenario).result()


def _wait(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} within {timeout_s:.0f} s")


def _value(page: PageClient) -> float | None:
    values = page.events.metric_values
    return float(values[-1][1].replace(",", "")) if values else None


def _shows(page: PageClient, target: float) -> bool:
    ev = page.events
    if _value(page) != target or not ev.finishes:
        return False
    last_finish, status = ev.finishes[-1]
    return status in SUCCESS and last_finish >= ev.metric_values[-1][0]


def _done(inbox: Path) -> list[Path]:
    return sorted((inbox / "done").iterdir()) if (inbox / "done").is_dir() else []


def _problems(server: AppServer) -> list[str]:
    return [line for line in server.log_text().splitlines() if "Traceback" in line or "Error" in line]


def _no_server_files(lake: Lake) -> None:
    """No replica wrote a server file for the lake, anywhere it could have (each would overwrite the others')."""
    found = [p for p in (lake.folder, lake.data_path, ROOT) for p in p.glob(f"*{SUFFIX}")]
    found += [p for p in ROOT.iterdir() if p.name.startswith("ducklake:")]
    assert found == []


def test_two_replicas_and_the_command_line_share_one_lake(
    lake: Lake, servers: list[AppServer], tmp_path: Path, postgres: LocalPostgres
) -> None:
    team: Team = read_team(Path(lake.spec))
    reps = team.reps[:3]
    inbox_a, inbox_b = tmp_path / "inbox-a", tmp_path / "inbox-b"
    inbox_a.mkdir()
    inbox_b.mkdir()
    a, b = lake.replica("a", inbox_a), lake.replica("b", inbox_b)
    servers += [a, b]
    for server in servers:
        server.start()

    # The schedule runs in the servers (one replica per run: tests/test_lake_ops.py).
    def maintained() -> bool:
        with Store(lake.spec, read_only=True) as store:
            return store.scalar("SELECT count(*) FROM meta WHERE key = 'maintained_at'") == 1

    _wait(maintained, 90, "a replica should have maintained the new lake")
    _no_server_files(lake)

    zone = ZoneInfo(team.timezone)
    exports: list[Path] = []

    async def scenario() -> list[tuple[str, float]]:
        pages_b = [PageClient("127.0.0.1", b.port, f"rep={r.slug}", expect_text=r.name, track_metric=METRIC) for r in reps]
        pages_a = [PageClient("127.0.0.1", a.port, f"rep={r.slug}", expect_text=r.name, track_metric=METRIC) for r in reps]
        pages = pages_a + pages_b
        tasks = []
        for page in pages:
            await page.open()
            tasks.append(asyncio.create_task(page.run()))
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not all(p.events.rendered_at for p in pages):
            await asyncio.sleep(0.1)
        assert all(p.events.rendered_at for p in pages), "every page renders"
        base = {id(p): _value(p) or 0.0 for p in pages}
        seen: list[tuple[str, float]] = []

        async def until_shown(targets: list[PageClient], bump: float, how: str, committed: Callable[[], bool]) -> None:
            while not committed():
                await asyncio.sleep(0.02)
            at = time.monotonic()
            while time.monotonic() - at < 30 and not all(_shows(p, base[id(p)] + bump) for p in targets):
                await asyncio.sleep(0.05)
            assert all(_shows(p, base[id(p)] + bump) for p in targets), [(_value(p), base[id(p)] + bump) for p in targets]
            seen.append((how, time.monotonic() - at))

        # 1. An inbox drop imported by replica A shows on the pages open on replica B.
        when = meeting_time(datetime.now(zone), team.day_start, team.day_end)
        text = fanout_csv(reps, when, "via-a")
        exports.append(tmp_path / "via-a.monthfirst.csv")
        exports[-1].write_text(text, encoding="utf-8")
        drop_into_inbox(inbox_a, "via-a.monthfirst.csv", text)
        await until_shown(pages_b, 1, "inbox of A -> pages on B", lambda: bool(_done(inbox_a)))

        # 2. The command line imports into the lake while both run: pages on both replicas show it.
        when = meeting_time(datetime.now(zone), team.day_start, team.day_end)
        exports.append(tmp_path / "via-cli.monthfirst.csv")
        exports[-1].write_text(fanout_csv(reps, when, "via-cli"), encoding="utf-8")
        imported = await asyncio.to_thread(lake.cli, "ingest", "--monthfirst", str(exports[-1]))
        await until_shown(pages, 2, "command line -> pages on A and B", lambda: imported.returncode == 0)
        for page in pages:
            await page.close()
        await asyncio.gather(*tasks, return_exceptions=True)
        assert [p.events.exceptions for p in pages if p.events.exceptions] == []
        return seen

    seen = _run(scenario())
    print("; ".join(f"{how}: {seconds:.2f} s" for how, seconds in seen))  # shown with -rA
    for how, seconds in seen:
        assert seconds <= SEEN_WITHIN_S, f"{how}: {seconds:.1f} s"

    # `report --json` through the command line while both replicas run equals the same data in one file.
    as_of = (datetime.now(zone) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    on_lake = [json.loads(lake.cli("report", "--json", "--as-of", as_of, *rep).stdout) for rep in ([], ["--rep", reps[0].slug])]
    file = tmp_path / "same.duckdb"
    seed_file(file)
    for export in exports:
        lake.cli("ingest", "--monthfirst", "--db", str(file), str(export))
    in_file = [json.loads(lake.cli("report", "--db", str(file), "--json", "--as-of", as_of, *rep).stdout) for rep in ([], ["--rep", reps[0].slug])]
    assert on_lake == in_file
    _no_server_files(lake)
    assert [p for s in servers for p in _problems(s)] == []


def test_a_replica_killed_mid_import_leaves_nothing_and_the_other_imports_the_file_once(
    lake: Lake, servers: list[AppServer], tmp_path: Path
) -> None:
    rows = 200_000
    export = make_csv(rows, tmp_path / "exports" / "big.csv")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    with Store(lake.spec) as store:
        events_before = int(store.scalar("SELECT count(*) FROM events"))
        batches_before = int(store.scalar("SELECT count(*) FROM batches"))
    # Maintenance off: this test watches the inbox alone.
    a = lake.replica("a", inbox, SCORECARD_MAINTAIN_EVERY="off")
    b = lake.replica("b", inbox, SCORECARD_MAINTAIN_EVERY="off")
    servers += [a, b]
    for server in servers:
        server.start()
    drop_into_inbox(inbox, "big.monthfirst.csv", export.read_text(encoding="utf-8"))

    def claimed_by() -> AppServer | None:
        folders = list((inbox / "claimed").iterdir()) if (inbox / "claimed").is_dir() else []
        for server in servers:
            if server.proc is not None and any(f"~{server.proc.pid}~" in f.name for f in folders):
                return server
        return None

    _wait(lambda: claimed_by() is not None, 30, "a replica should claim the file")
    claimer = claimed_by()
    assert claimer is not None
    time.sleep(0.5)  # into reading and matching 200,000 rows
    assert _done(inbox) == [], "the import should still be running when the replica dies"
    claimer.kill()
    other = b if claimer is a else a

    _wait(lambda: bool(_done(inbox)), 300, "the other replica should take the claim over and import the file")
    assert [p.name.endswith("big.monthfirst.csv") for p in _done(inbox)] == [True]
    assert not (inbox / "failed").exists()
    assert "is gone; importing it here" in other.log_text()
    with Store(lake.spec) as store:
        batches = store.fetchall("SELECT batch_id, rows_added FROM batches WHERE file_name = 'big.monthfirst.csv'")
        assert len(batches) == 1, "imported exactly once"
        assert int(store.scalar("SELECT count(*) FROM batches")) == batches_before + 1
        added = int(batches[0][1])
        assert added > rows * 0.9
        assert int(store.scalar("SELECT count(*) FROM events")) == events_before + added
        assert int(store.scalar("SELECT count(*) FROM batch_events WHERE batch_id = ?", [batches[0][0]])) == added
    other.stop()
    # What the killed import had written never became part of the lake; maintenance clears those files away.
    with Store(lake.spec) as store:
        store.maintain(keep_snapshots=timedelta(0), keep_files=timedelta(0))
        listed = {
            Path(str(row[0])).name
            for (table,) in store.fetchall("SELECT table_name FROM duckdb_tables() WHERE database_name = 'lake'")
            for row in store.fetchall(
                "SELECT data_file FROM ducklake_list_files('lake', ?) "
                "UNION ALL SELECT delete_file FROM ducklake_list_files('lake', ?) WHERE delete_file IS NOT NULL",
                [str(table), str(table)],
            )
        }
    assert {p.name for p in lake.data_path.rglob("*.parquet")} - listed == set()
