"""Several processes on one inbox: each file is claimed by one, imported once, and never lost to a claimer that died."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from scorecard import inbox as inbox_module
from scorecard.inbox import InboxOutcome, process_inbox, start_inbox_watcher
from scorecard.ingest import IngestOptions, ingest_bytes
from scorecard.liveness import this_host
from scorecard.store import Store
from tests.factories_ingest import GENERIC_HEADER, csv_bytes

ROOT = Path(__file__).resolve().parent.parent


def _data(n: int) -> bytes:
    rows = [[f"Rep {n % 5}", f"2026-11-{2 + n % 20:02d} {9 + i:02d}:00", "Meeting", "", f"claim-{n}-{i}"] for i in range(3)]
    return csv_bytes(GENERIC_HEADER, rows)


def _drop(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    os.utime(path, (time.time() - 10, time.time() - 10))  # settled
    return path


def _dead_pid() -> int:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    return int(gone.stdout)  # reaped by subprocess.run: no process has it now


def _claim(inbox: Path, tag: str, name: str, data: bytes, *, touched_ago_s: float = 0.0) -> Path:
    folder = inbox / "claimed" / tag
    folder.mkdir(parents=True)
    (folder / name).write_bytes(data)
    if touched_ago_s:
        then = time.time() - touched_ago_s
        os.utime(folder, (then, then))
    return folder


def _batches(store: Store) -> Counter[str]:
    return Counter(str(name) for (name,) in store.fetchall("SELECT file_name FROM batches"))


DRAIN_S = 60  # a file left in the inbox or a claim never taken over fails the test, not hangs it


def _until_drained(store: Store, inbox: Path, start: threading.Barrier, results: list[InboxOutcome]) -> None:
    start.wait()
    quiet, deadline = 0, time.monotonic() + DRAIN_S
    while quiet < 3 and time.monotonic() < deadline:
        outcomes = process_inbox(store, inbox)
        results.extend(outcomes)
        busy = any(p.name not in ("done", "failed") for p in inbox.iterdir())
        quiet = 0 if outcomes or busy else quiet + 1
        time.sleep(0.01)


def _two_watchers(store: Store, inbox: Path) -> tuple[list[InboxOutcome], list[InboxOutcome]]:
    start = threading.Barrier(2)
    first: list[InboxOutcome] = []
    second: list[InboxOutcome] = []
    threads = [threading.Thread(target=_until_drained, args=(store, inbox, start, r)) for r in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert not any(t.is_alive() for t in threads)
    return first, second


def test_two_watchers_on_one_inbox_import_every_file_exactly_once(store: Store, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    names = [f"drop-{n:03d}.csv" for n in range(40)]
    for n, name in enumerate(names):
        _drop(inbox, name, _data(n))
    first, second = _two_watchers(store, inbox)
    taken = Counter(o.file_name for o in [*first, *second])
    assert taken == Counter(names), "every file is taken by exactly one watcher"
    assert all(o.ok for o in [*first, *second])
    assert _batches(store) == Counter(names)
    assert store.scalar("SELECT count(*) FROM events") == 3 * len(names)
    assert sorted(p.name.split("-", 1)[1] for p in (inbox / "done").iterdir()) == names
    assert sorted(p.name for p in inbox.iterdir()) == ["done"]  # no claim left behind


_WORKER = """
import json, sys, time
from pathlib import Path
from scorecard.inbox import process_inbox
from scorecard.store import Store

db, inbox, go = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
store = Store(db)
print("ready", flush=True)
while not go.exists():
    time.sleep(0.005)
taken, quiet, deadline = [], 0, time.monotonic() + 60
while quiet < 20 and time.monotonic() < deadline:
    outcomes = process_inbox(store, inbox)
    taken += [o.file_name for o in outcomes if o.ok]
    busy = any(p.name not in ("done", "failed") for p in inbox.iterdir())
    quiet = 0 if outcomes or busy else quiet + 1
    time.sleep(0.01)
store.close()
print(json.dumps(taken), flush=True)
"""


@pytest.mark.slow
def test_two_processes_on_one_inbox_import_every_file_exactly_once(tmp_path: Path) -> None:
    """Two replicas (here each with a database of its own): every file lands in exactly one of them, once."""
    inbox = tmp_path / "inbox"
    names = [f"drop-{n:03d}.csv" for n in range(60)]
    for n, name in enumerate(names):
        _drop(inbox, name, _data(n))
    go = tmp_path / "go"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(tmp_path / f"replica-{i}.duckdb"), str(inbox), str(go)],
            cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        for i in range(2)
    ]
    for worker in workers:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
    go.touch()
    taken = []
    for worker in workers:
        out, _ = worker.communicate(timeout=300)
        assert worker.returncode == 0
        taken.append(json.loads(out))
    assert Counter([*taken[0], *taken[1]]) == Counter(names)
    in_databases: Counter[str] = Counter()
    for i in range(2):
        with Store(tmp_path / f"replica-{i}.duckdb") as replica:
            in_databases += _batches(replica)
            assert sorted(_batches(replica)) == sorted(taken[i])
    assert in_databases == Counter(names)
    assert sorted(p.name for p in inbox.iterdir()) == ["done"]


def test_a_claim_left_by_a_dead_pid_is_imported_exactly_once(store: Store, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    since = int(time.time() * 1000) - 5_000
    _claim(inbox, f"{this_host()}~{_dead_pid()}~{since}~0a0b0c0d", "orphan.csv", _data(1))
    _drop(inbox, "fresh.csv", _data(2))
    first, second = _two_watchers(store, inbox)
    assert Counter(o.file_name for o in [*first, *second]) == Counter(["orphan.csv", "fresh.csv"])
    assert _batches(store) == Counter(["orphan.csv", "fresh.csv"])
    assert store.scalar("SELECT count(*) FROM events") == 6
    assert sorted(p.name.split("-", 1)[1] for p in (inbox / "done").iterdir()) == ["fresh.csv", "orphan.csv"]
    assert not (inbox / "claimed").exists()


def test_a_dead_claimer_that_had_committed_is_not_imported_again(store: Store, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    since = int(time.time() * 1000) - 1_000
    data = _data(3)
    # The claimer committed its batch, then died before moving the file to done/.
    ingest_bytes(store, "committed.csv", data, IngestOptions(source="inbox"))
    _claim(inbox, f"{this_host()}~{_dead_pid()}~{since}~01020304", "committed.csv", data)
    (outcome,) = process_inbox(store, inbox)
    assert outcome.ok and outcome.result is None and outcome.moved_to.parent == inbox / "done"
    assert _batches(store) == Counter(["committed.csv"])
    # The same file imported before the claim was made is an earlier drop: this claim is imported.
    later = int(time.time() * 1000) + 1
    time.sleep(0.01)
    _claim(inbox, f"{this_host()}~{_dead_pid()}~{later}~05060708", "committed.csv", data)
    (outcome,) = process_inbox(store, inbox)
    assert outcome.ok and outcome.result is not None and outcome.result.rows_duplicate == 3
    assert _batches(store) == Counter({"committed.csv": 2})


def test_live_claims_are_left_alone_and_silent_ones_taken_over(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCORECARD_INBOX_STALE_AFTER", "30")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    now = int(time.time() * 1000)
    here, alive = this_host(), os.getppid()
    _claim(inbox, f"{here}~{alive}~{now}~00000001", "live-here.csv", _data(1))
    _claim(inbox, f"other-host.ns1~{os.getpid()}~{now}~00000002", "live-there.csv", _data(2), touched_ago_s=10)
    _claim(inbox, f"other-host.ns1~{alive}~{now}~00000003", "silent-there.csv", _data(3), touched_ago_s=60)
    _claim(inbox, f"{here}~{alive}~{now}~00000004", "reused-pid.csv", _data(4), touched_ago_s=60)
    _claim(inbox, f"{here}~{os.getpid()}~{now}~00000005", "earlier-me.csv", _data(5))
    (inbox / "claimed" / "stray.csv").write_bytes(_data(6))
    outcomes = {o.file_name: o for o in process_inbox(store, inbox)}
    assert {n for n, o in outcomes.items() if o.ok} == {"silent-there.csv", "reused-pid.csv", "earlier-me.csv"}
    assert not outcomes["stray.csv"].ok and "claimed/" in (outcomes["stray.csv"].reason or "")
    assert _batches(store) == Counter(["silent-there.csv", "reused-pid.csv", "earlier-me.csv"])
    left = sorted(p.name for folder in (inbox / "claimed").iterdir() for p in folder.iterdir())
    assert left == ["live-here.csv", "live-there.csv"]


def test_a_long_import_keeps_its_claim_alive(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCORECARD_INBOX_STALE_AFTER", "2")  # a heartbeat every half second
    inbox = tmp_path / "inbox"
    _drop(inbox, "slow.csv", _data(1))
    seen: list[float] = []
    real = inbox_module.ingest_bytes

    def slow(*args: object, **kwargs: object) -> object:
        (folder,) = list((inbox / "claimed").iterdir())
        claimed_at = folder.stat().st_mtime
        time.sleep(1.6)
        seen.extend([claimed_at, folder.stat().st_mtime])
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(inbox_module, "ingest_bytes", slow)
    (outcome,) = process_inbox(store, inbox)
    assert outcome.ok
    assert seen[1] - seen[0] >= 1.0, "the claim folder was touched while the import ran"


def test_a_bad_stale_time_is_refused_at_start(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for bad in ("soon", "0", "-5", "nan", "inf"):
        monkeypatch.setenv("SCORECARD_INBOX_STALE_AFTER", bad)
        with pytest.raises(ValueError, match="SCORECARD_INBOX_STALE_AFTER=.* is not a number of seconds"):
            start_inbox_watcher(store, tmp_path / "inbox")
