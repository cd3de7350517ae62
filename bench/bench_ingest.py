"""Ingest at scale against DuckDB's bare CSV load of the same file.

Targets (issue "Data in"): ingesting a 1,000,000-row activity CSV end to end
takes at most 3x `CREATE TABLE t AS SELECT * FROM read_csv(file)`; re-ingesting
it (all duplicates) at most the same; peak memory under 2 GiB. Every case runs
in a fresh child process that reports its own wall time and peak RSS. The
machine is shared, so each case runs `rounds` times (alternating, fresh
databases) and the best time of each is compared; peak RSS is the worst seen.

Run alone: `python -m bench ingest` or `python bench/bench_ingest.py [ROWS]`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
SEED = 20261120
MAX_RATIO = 3.0
MAX_RSS_MB = 2048.0

_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
mode, path, db = sys.argv[1], sys.argv[2], sys.argv[3]
if mode == "baseline":
    import duckdb
    start = time.perf_counter()
    con = duckdb.connect(db)
    con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [path])
    con.close()
    elapsed = time.perf_counter() - start
    extra = {{}}
else:
    from scorecard.ingest import IngestOptions, ingest_path
    from scorecard.store import Store
    start = time.perf_counter()
    store = Store(db)
    result = ingest_path(store, path, IngestOptions(source="bench"))
    store.close()
    elapsed = time.perf_counter() - start
    extra = {{"added": result.rows_added, "duplicate": result.rows_duplicate, "rejected": result.rows_rejected}}
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"seconds": elapsed, "peak_rss_mb": peak_mb, **extra}}))
"""


def make_csv(rows: int, path: Path) -> Path:
    """A Salesforce-style activity export with US 12-hour dates, fixed seed."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    reps = [f"Rep {i:03d}" for i in range(200)]
    kinds = ["Call", "Call", "Call", "Email", "Meeting", "Demo", "Proposal sent"]
    results = ["Connected", "No answer", "Left voicemail", "", "Busy"]
    base = datetime(2026, 1, 1, 8, 0)
    idx = pl.int_range(0, rows, eager=True).alias("i")
    rnd = pl.Series("r", range(rows)).shuffle(seed=SEED)
    frame = pl.DataFrame({"i": idx, "r": rnd}).with_columns(
        when=pl.lit(base) + pl.duration(minutes=(pl.col("r") * 7919) % (330 * 24 * 60)),
    )
    frame = frame.select(
        pl.format("00T{}", pl.col("i").cast(pl.String).str.pad_start(10, "0")).alias("Activity ID"),
        pl.col("r").mod(len(reps)).replace_strict(dict(enumerate(reps))).alias("Assigned"),
        pl.format("Follow-up {}", pl.col("r").mod(997)).alias("Subject"),
        pl.col("when").dt.strftime("%-m/%-d/%Y %-I:%M %p").alias("Date"),
        pl.col("r").mod(len(kinds)).replace_strict(dict(enumerate(kinds))).alias("Type"),
        (pl.col("r") // 7).mod(len(results)).replace_strict(dict(enumerate(results))).alias("Call Result"),
        pl.lit("Completed").alias("Status"),
    )
    frame.write_csv(path)
    return path


def _child(mode: str, csv_path: Path, db: Path) -> dict[str, float]:
    code = _CHILD.format(root=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", code, mode, str(csv_path), str(db)], check=True, capture_output=True, text=True
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _best(runs: list[dict[str, float]]) -> dict[str, float]:
    best = dict(min(runs, key=lambda r: r["seconds"]))
    best["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
    return best


def run(rows: int = 1_000_000, rounds: int = 3) -> list[dict[str, object]]:
    csv_path = make_csv(rows, OUT / f"activities_{rows}.csv")
    base_db, db = OUT / "baseline.duckdb", OUT / "ingest.duckdb"
    stale = (base_db, db, Path(f"{db}.wal"), Path(f"{base_db}.wal"))
    cases: dict[str, list[dict[str, float]]] = {"baseline": [], "first": [], "again": []}
    for _ in range(rounds):
        for path in stale:
            path.unlink(missing_ok=True)
        cases["baseline"].append(_child("baseline", csv_path, base_db))
        cases["first"].append(_child("ingest", csv_path, db))
        cases["again"].append(_child("ingest", csv_path, db))
    for path in stale:
        path.unlink(missing_ok=True)
    baseline, first, again = (_best(cases[k]) for k in ("baseline", "first", "again"))
    floor = baseline["seconds"]
    out: list[dict[str, object]] = [
        {"bench": "ingest", "case": "duckdb CREATE TABLE AS read_csv", "rows": rows, "seconds": floor,
         "peak_rss_mb": baseline["peak_rss_mb"], "ratio": 1.0, "target": "floor", "ok": True},
    ]
    for case, got in (("ingest (all new)", first), ("re-ingest (all duplicates)", again)):
        ratio = got["seconds"] / floor
        out.append(
            {"bench": "ingest", "case": case, "rows": rows, "seconds": got["seconds"], "peak_rss_mb": got["peak_rss_mb"],
             "ratio": ratio, "target": f"<= {MAX_RATIO:g}x, < {MAX_RSS_MB:g} MB",
             "ok": ratio <= MAX_RATIO and got["peak_rss_mb"] < MAX_RSS_MB,
             "added": int(got.get("added", 0)), "duplicate": int(got.get("duplicate", 0))}
        )
    return out


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    from bench.__main__ import render

    n = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("BENCH_INGEST_ROWS", "1000000"))
    table = run(n)
    print(render(table))
    sys.exit(0 if all(r["ok"] for r in table) else 1)
