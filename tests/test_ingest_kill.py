"""A process killed with SIGKILL in the middle of an ingest leaves a clean database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.bench_ingest import make_csv
from scorecard.ingest import ingest_bytes
from scorecard.store import Store
from tests.factories_ingest import GENERIC_HEADER, csv_bytes, generic_rows, recount, rollups

ROOT = Path(__file__).resolve().parent.parent
ROWS = 300_000
CHILD = """
import sys
from pathlib import Path
from scorecard.ingest import ingest_path
from scorecard.store import Store
db, csv, marker = sys.argv[1:4]
def progress(fraction, text):
    if fraction >= 0.55:  # inside the write transaction
        Path(marker).touch()
store = Store(db)
ingest_path(store, csv, progress=progress)
store.close()
Path(marker + ".committed").touch()
"""


@pytest.mark.slow
def test_sigkill_mid_ingest_leaves_no_partial_batch(tmp_path: Path) -> None:
    big = make_csv(ROWS, tmp_path / "big.csv")
    killed_mid_batch = 0
    for attempt, delay in enumerate((0.0, 0.05, 0.3, 1.0)):
        db = tmp_path / f"k{attempt}.duckdb"
        with Store(db) as store:
            ingest_bytes(store, "small.csv", csv_bytes(GENERIC_HEADER, generic_rows(7)))
        marker = tmp_path / f"marker{attempt}"
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(db), str(big), str(marker)], cwd=ROOT)
        deadline = time.monotonic() + 120
        while not marker.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(delay)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        committed = Path(f"{marker}.committed").exists()
        with Store(db) as store:
            events = store.scalar("SELECT count(*) FROM events")
            batches = store.scalar("SELECT count(*) FROM batches")
            links = store.scalar("SELECT count(*) FROM batch_events")
            assert events in (7, 7 + ROWS), f"partial rows after kill: {events}"
            assert batches == (2 if events > 7 else 1)
            assert links == events
            assert store.scalar("SELECT count(*) FROM reps") == (3 + 200 if events > 7 else 3)
            assert rollups(store) == recount(store)
        if events == 7 and not committed:
            killed_mid_batch += 1
    assert killed_mid_batch >= 1, "never managed to kill the ingest before it committed"
