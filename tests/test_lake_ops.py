"""A lake's upkeep and moving a team between a file and a lake (docs/scale-out.md, "Maintenance", "Moving a team")."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from scorecard import maintenance
from scorecard.cli import main
from scorecard.ingest import IngestOptions, ingest_bytes
from scorecard.ingest.undo import undo_batch
from scorecard.localpg import LocalPostgres
from scorecard.move import MoveRefused, move
from scorecard.store import MAINTAINED_AT_KEY, Store, backend_for, lake_users
from tests.factories import database_location, fresh_pg_database
from tests.factories_ingest import GENERIC_HEADER, csv_bytes, generic_rows
from tests.factories_ui import seed_file
from tests.serving import ROOT

BATCHES = 15


@pytest.fixture(params=["ducklake-sqlite", "ducklake-postgres"])
def lake_spec(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    pg_dsn = request.getfixturevalue("postgres").dsn if request.param == "ducklake-postgres" else None
    yield _location(tmp_path, "lake.duckdb", request.param, pg_dsn)


def _location(tmp_path: Path, name: str, backend: str, pg_dsn: str | None = None) -> tuple[str, Path]:
    """A new lake's spec and its data folder (a SQLite catalog's is beside it)."""
    location, data_path = database_location(tmp_path, name, backend=backend, pg_dsn=pg_dsn)
    folder = data_path or backend_for(location).data_path
    assert folder is not None
    return location, folder


def _small_batches(store: Store, n: int) -> list[int]:
    """`n` inbox-sized exports (a dozen rows each, on different days), each its own batch."""
    batches = []
    for k in range(n):
        rows = [[r[0], r[1], r[2], r[3], f"{r[4]}-{k}"] for r in generic_rows(12, start_day=1 + k % 5)]
        result = ingest_bytes(store, f"small-{k}.csv", csv_bytes(GENERIC_HEADER, rows), IngestOptions(source="inbox"))
        batches.append(result.batch_id)
    return batches


def _report(db: str, capsys: pytest.CaptureFixture[str], *extra: str) -> Any:
    capsys.readouterr()
    assert main(["report", "--db", db, "--as-of", "2026-11-20T18:00", "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def _numbers(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table the app reads, sorted (the lake's own bookkeeping in meta aside)."""
    out = {}
    for (table,) in store.fetchall("SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"):
        if table == "changes":  # what each write changed: the store's own history
            continue
        where = " WHERE key NOT LIKE 'next_id:%' AND key NOT IN ('data_version', 'maintained_at')" if table == "meta" else ""
        out[str(table)] = sorted(store.fetchall(f'SELECT * FROM "{table}"{where}'), key=repr)
    return out


def _files_on_disk(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*.parquet"))


@pytest.mark.slow
def test_maintenance_merges_small_batches_and_every_number_stays(
    lake_spec: tuple[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spec, data_path = lake_spec
    monkeypatch.setenv("SCORECARD_DATA_PATH", str(data_path))
    with Store(spec) as lake:
        batches = _small_batches(lake, BATCHES)
        listed_before = int(lake.scalar("SELECT count(*) FROM ducklake_list_files('lake', 'events')"))
        files_before = lake.lake_file_count()
        numbers = _numbers(lake)
    team, rep = _report(spec, capsys), _report(spec, capsys, "--rep", "rep-1")
    assert listed_before >= BATCHES // 2, "each small batch should have left files of its own"

    with Store(spec) as lake:
        done = lake.maintain()  # the documented windows: nothing is old enough to expire or delete yet
        assert done.ran and done.files_before == files_before and done.files_after < files_before / 3
        assert int(lake.scalar("SELECT count(*) FROM ducklake_list_files('lake', 'events')")) < listed_before
        assert _numbers(lake) == numbers
        on_disk = _files_on_disk(data_path)
        # Zero windows: every old snapshot expires and every unneeded file goes from the disk.
        gone = lake.maintain(keep_snapshots=timedelta(0), keep_files=timedelta(0))
        assert gone.snapshots_expired > BATCHES and gone.files_deleted > 0
        assert _files_on_disk(data_path) < on_disk
        assert int(lake.scalar("SELECT count(*) FROM ducklake_snapshots('lake')")) <= 2
        assert _numbers(lake) == numbers
    assert _report(spec, capsys) == team and _report(spec, capsys, "--rep", "rep-1") == rep

    # Undo is the app's own rows, not an old snapshot: it still works once every snapshot before it is gone.
    with Store(spec) as lake:
        undone = undo_batch(lake, batches[0])
        assert undone.events_removed == 12
        assert lake.scalar("SELECT count(*) FROM events WHERE first_batch_id = ?", [batches[0]]) == 0
        assert lake.scalar("SELECT count(*) FROM events") == 12 * (BATCHES - 1)


def test_of_replicas_on_one_schedule_one_does_the_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    location, data_path = _location(tmp_path, "sched.duckdb", "ducklake-sqlite")
    monkeypatch.setenv("SCORECARD_DATA_PATH", str(data_path))
    with Store(location) as first, Store(location) as second:
        assert maintenance.run_if_due(first) is None, "a new lake has nothing to tidy, and stays new for setup"
        _small_batches(first, 3)
        ran = maintenance.run_if_due(first)
        assert ran is not None and ran.ran
        assert maintenance.run_if_due(second) is None, "the other replica found it done"
        # Even one that decided before the first finished skips it under the lock.
        assert not second.maintain(unless_done_within=maintenance.every()).ran
        later = datetime.now(UTC) + timedelta(hours=7)
        again = maintenance.run_if_due(second, now=later)
        assert again is not None and again.ran
        monkeypatch.setenv(maintenance.EVERY_ENV, "off")
        assert maintenance.run_if_due(second, now=later + timedelta(days=30)) is None
        assert second.scalar("SELECT count(*) FROM meta WHERE key = ?", [MAINTAINED_AT_KEY]) == 1
    monkeypatch.setenv(maintenance.EVERY_ENV, "soon")
    with pytest.raises(ValueError, match="SCORECARD_MAINTAIN_EVERY"):
        maintenance.every()


def test_maintain_on_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "team.duckdb"
    seed_file(file)
    assert main(["maintain", "--db", str(file)]) == 0
    assert "checkpointed" in capsys.readouterr().out
    location, data_path = _location(tmp_path, "cli.duckdb", "ducklake-sqlite")
    monkeypatch.setenv("SCORECARD_DATA_PATH", str(data_path))
    with Store(location) as lake:
        _small_batches(lake, 4)
    assert main(["maintain", "--db", location]) == 0
    said = capsys.readouterr().out
    assert "data files read by the newest snapshot" in said and location in said


# -- moving a team -----------------------------------------------------------------------------------------
def _tables_of_file(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        out = {}
        for (table,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE table_name <> 'changes' ORDER BY 1"
        ).fetchall():
            # changes is what each write changed, the file's own history, like data_version.
            # data_version counts this file's own writes (the move's commit is one); it is not the team's data.
            where = " WHERE key <> 'data_version'" if table == "meta" else ""
            out[str(table)] = sorted(con.execute(f'SELECT * FROM "{table}"{where}').fetchall(), key=repr)
        return out
    finally:
        con.close()


def _next_ids(db: str) -> dict[str, int]:
    with Store(db) as store:
        return store.sequence_last_values()


@pytest.mark.slow
def test_a_team_moves_to_a_lake_and_back_losing_nothing(
    lake_spec: tuple[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec, data_path = lake_spec
    source = tmp_path / "team.duckdb"
    seed_file(source)
    with Store(source) as store:  # an undone batch: its ids were handed out and must never come back
        undo_batch(store, int(store.scalar("SELECT max(batch_id) FROM batches")))
        rows = store.fetchall("SELECT count(*) FROM events")
    before_ids = _next_ids(str(source))
    team = _report(str(source), capsys)
    rep = _report(str(source), capsys, "--rep", "ana-lopez")
    original = _tables_of_file(source)

    capsys.readouterr()
    assert main(["move", "--from", str(source), "--to", spec, "--to-data-path", str(data_path)]) == 0
    assert "Point SCORECARD_DB at the target" in capsys.readouterr().out
    back = tmp_path / "back.duckdb"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SCORECARD_DATA_PATH", str(data_path))
        assert _report(spec, capsys) == team and _report(spec, capsys, "--rep", "ana-lopez") == rep
        assert _next_ids(spec) == before_ids
        assert main(["move", "--from", spec, "--to", str(back), "--json"]) == 0
        copied = json.loads(capsys.readouterr().out)["rows"]
    assert copied["events"] == rows[0][0]
    assert _tables_of_file(back) == original
    assert _report(str(back), capsys) == team
    assert _next_ids(str(back)) == before_ids

    # New work after the move continues past every id the team ever handed out.
    export = csv_bytes(GENERIC_HEADER, generic_rows(5))
    with Store(back) as store:
        result = ingest_bytes(store, "after.csv", export, IngestOptions(source="cli"))
        assert result.batch_id == before_ids["batch_id_seq"] + 1
        new_events = store.fetchall("SELECT min(event_id) FROM events WHERE first_batch_id = ?", [result.batch_id])
        assert new_events[0][0] == before_ids["event_id_seq"] + 1
    with Store(spec, data_path=data_path) as lake:
        result = ingest_bytes(lake, "after.csv", export, IngestOptions(source="cli"))
        assert result.batch_id == before_ids["batch_id_seq"] + 1
        assert lake.scalar("SELECT count(*) FROM (SELECT event_id FROM events GROUP BY 1 HAVING count(*) > 1)") == 0


def _hold(path: Path) -> subprocess.Popen[str]:
    """Another process with `path` open read-write, as the running app has it."""
    code = "import sys, time; from scorecard.store import Store; s = Store(sys.argv[1]); print('held', flush=True); time.sleep(600)"
    proc = subprocess.Popen([sys.executable, "-c", code, str(path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_move_refuses_a_target_with_a_team_a_missing_source_and_a_source_in_use(
    tmp_path: Path, postgres: LocalPostgres, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "team.duckdb"
    seed_file(source)
    taken = tmp_path / "taken.duckdb"
    seed_file(taken)
    with pytest.raises(MoveRefused, match="already holds a team"):
        move(source, taken)
    with pytest.raises(MoveRefused, match="does not exist"):
        move(tmp_path / "typo.duckdb", tmp_path / "new.duckdb")
    assert not (tmp_path / "new.duckdb").exists() and not (tmp_path / "typo.duckdb").exists()
    holder = _hold(source)  # the running app holds the file
    try:
        with pytest.raises(MoveRefused, match="Stop the app"):
            move(source, tmp_path / "new.duckdb")
    finally:
        holder.kill()
        holder.wait()
    assert not (tmp_path / "new.duckdb").exists()

    spec = f"ducklake:postgres:{fresh_pg_database(postgres.dsn)}"
    monkeypatch.setenv("SCORECARD_DATA_PATH", str(tmp_path / "pg-lake"))
    move(source, spec)
    with Store(spec) as replica:  # an app server on the lake
        assert replica.scalar("SELECT count(*) FROM reps") == 5
        assert lake_users(spec), "an open lake shows its users"
        with pytest.raises(MoveRefused, match="is in use"):
            move(spec, tmp_path / "out.duckdb")
    assert not (tmp_path / "out.duckdb").exists()
    assert _users_gone(spec), "a closed store must leave no session on the catalog"
    sqlite_lake = f"ducklake:sqlite:{tmp_path / 'side.sqlite'}"
    with Store(sqlite_lake, data_path=tmp_path / "side.files"):
        assert lake_users(sqlite_lake) == [], "this process's own handle is not another user"


def test_a_failed_move_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "team.duckdb"
    seed_file(source)
    target = f"ducklake:sqlite:{tmp_path / 'new.sqlite'}"
    import scorecard.move as moving

    real = moving._copy_table
    calls = []

    def failing(*args: Any) -> int:
        calls.append(args[2])
        if len(calls) == 10:  # part-way through the tables
            raise duckdb.IOException("disk full")
        return real(*args)

    monkeypatch.setattr(moving, "_copy_table", failing)
    with pytest.raises(duckdb.IOException):
        move(source, target, data_path=tmp_path / "new.files")
    assert not (tmp_path / "new.sqlite").exists() and not (tmp_path / "new.files").exists()

    # An empty lake that existed before keeps existing, still empty.
    calls.clear()
    with Store(target, data_path=tmp_path / "new.files"):
        pass
    with pytest.raises(duckdb.IOException):
        move(source, target, data_path=tmp_path / "new.files")
    with Store(target, data_path=tmp_path / "new.files") as lake:
        assert lake.scalar("SELECT count(*) FROM reps") == 0 and lake.scalar("SELECT count(*) FROM events") == 0
    monkeypatch.setattr(moving, "_copy_table", real)
    assert move(source, target, data_path=tmp_path / "new.files").counts["reps"] == 5


def test_event_keys_are_written_as_the_same_digits_duckdb_would_spell() -> None:
    """The fast key text (store.key_text) equals DuckDB's own slow cast, at every edge of the 128 bits."""
    from scorecard.store import key_text

    edges = [0, 1, 9, 10**19 - 1, 10**19, 10**19 + 1, 2**64 - 1, 2**64, 2**127 - 1, 2**127, 2**127 + 10**19, 2**128 - 1]
    con = duckdb.connect()
    try:
        con.execute("CREATE TABLE k AS SELECT CAST(v AS UHUGEINT) AS v FROM (SELECT unnest(?::VARCHAR[]) AS v)", [[str(e) for e in edges]])
        con.execute("INSERT INTO k SELECT CAST(hash(i) AS UHUGEINT) * 18446744073709551557 FROM range(5000) t(i)")
        wrong = con.execute(f"SELECT count(*) FROM k WHERE {key_text('v')} <> CAST(v AS VARCHAR)").fetchall()[0][0]
        spelled = [r[0] for r in con.execute(f"SELECT {key_text('v')} FROM k LIMIT {len(edges)}").fetchall()]
    finally:
        con.close()
    assert wrong == 0
    assert spelled == [str(e) for e in edges]


def _users_gone(spec: str, timeout_s: float = 10.0) -> bool:
    """PostgreSQL ends a session's backend a moment after its client hangs up; a loaded machine makes that moment longer."""
    deadline = time.monotonic() + timeout_s
    while lake_users(spec) and time.monotonic() < deadline:
        time.sleep(0.1)
    return lake_users(spec) == []
