"""Restores while the inbox watcher imports: every import lands in the file that is live when it commits."""

from __future__ import annotations

import os
import random
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scorecard import inbox as inbox_module
from scorecard.backup import backup_bytes, restore
from scorecard.store import Store, forget_store, open_store
from tests.factories import add_counts, add_rep
from tests.factories_ingest import GENERIC_HEADER, csv_bytes

RESTORES = 10
MAX_FILES = 150  # bounded, so a slow machine drains the inbox in time
# Imports that fell wholly between two restores (or after the last) and so must be found exactly where
# expected. On a loaded machine more of them overlap a restore; a few strict ones still catch a lost import.
MIN_STRICT = RESTORES // 2


@dataclass
class Window:
    name: str
    start: float
    end: float
    ok: bool = True


@dataclass
class Restored:
    start: float
    end: float
    previous: Path


def _file(n: int) -> bytes:
    rows = [[f"Rep {n % 4}", f"2026-03-{2 + n % 4:02d} {9 + i:02d}:00", "Meeting", "", f"race-{n}-{i}"] for i in range(3)]
    return csv_bytes(GENERIC_HEADER, rows)


def _has_batch(where: Path | Store, name: str) -> bool:
    """In the live store (open in this process), or in a kept copy opened read-only."""
    sql = "SELECT count(*) FROM batches WHERE file_name = ?"
    if isinstance(where, Store):
        return bool(where.scalar(sql, [name]))
    with Store(where, read_only=True) as copy:
        return bool(copy.scalar(sql, [name]))


@pytest.mark.slow
def test_restores_under_a_running_inbox_watcher_lose_no_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    live = tmp_path / "data" / "scorecard.duckdb"
    store = open_store(live)
    add_counts(store, add_rep(store, "Ann"), datetime(2026, 3, 2, 10), {"meetings": 2})
    backup = backup_bytes(store)
    inbox = tmp_path / "inbox"
    inbox.mkdir()

    windows: list[Window] = []
    real_process = inbox_module.process_file

    def recorded(store_: Store, path: Path) -> inbox_module.InboxOutcome:
        window = Window(path.name, time.monotonic(), 0.0)
        outcome = real_process(store_, path)
        window.end, window.ok = time.monotonic(), outcome.ok
        windows.append(window)
        return outcome

    monkeypatch.setattr(inbox_module, "process_file", recorded)
    stop = threading.Event()
    dropped: list[str] = []

    def drop_files() -> None:
        n = 0
        while not stop.is_set() and n < MAX_FILES:
            name = f"drop-{n:03d}.csv"
            staged = inbox / f".{name}"  # dotfiles are ignored until renamed into place
            staged.write_bytes(_file(n))
            old = time.time() - 10
            os.utime(staged, (old, old))
            staged.rename(inbox / name)
            dropped.append(name)
            n += 1
            stop.wait(0.03)

    watcher = inbox_module.start_inbox_watcher(store, inbox, interval_s=0.005)
    dropper = threading.Thread(target=drop_files, daemon=True)
    dropper.start()
    restores: list[Restored] = []
    rng = random.Random(11)
    try:
        for i in range(RESTORES):
            time.sleep(rng.uniform(0.02, 0.12))
            started = time.monotonic()
            result = restore(live, backup, now_utc=datetime(2026, 3, 6, 15, 30, i, tzinfo=UTC))
            assert result.previous_copy is not None
            restores.append(Restored(started, time.monotonic(), result.previous_copy))
        time.sleep(0.2)
    finally:
        stop.set()
        dropper.join(30)
        deadline = time.monotonic() + 180
        while len(windows) < len(dropped) and time.monotonic() < deadline:
            time.sleep(0.05)
        inbox_module.stop_inbox_watcher(inbox, timeout_s=120)
    assert not watcher.is_alive()

    reasons = [p.read_text() for p in (inbox / "failed").glob("*.reason.txt")] if (inbox / "failed").exists() else []
    assert reasons == [], f"an import failed during a restore: {reasons}"
    assert sorted(w.name for w in windows) == sorted(dropped)
    strict = 0
    for window in windows:
        assert window.ok, window.name
        later = [r for r in restores if r.end > window.start]
        if not later:
            assert _has_batch(store, window.name), f"{window.name} was imported after the last restore but is missing"
            strict += 1
            continue
        following = later[0]
        if following.start > window.end:
            # Imported between two restores: the next restore kept exactly that state aside.
            assert _has_batch(following.previous, window.name), f"{window.name} was lost before restore at {following.start}"
            strict += 1
        else:
            # Overlapped a restore: it landed either before the swap or after it.
            places: list[Path | Store] = [r.previous for r in later]
            assert any(_has_batch(p, window.name) for p in [*places, store]), window.name
    assert strict >= MIN_STRICT, f"only {strict} imports fell between restores; the test did not exercise the race"
    forget_store(live)
