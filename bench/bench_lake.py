"""The DuckLake backend against the single file: reads, a large import, and many small imports before and after maintenance.

`python -m bench lake [--reps R --weeks W --runs N --ingest-rows N --batches N --skip ...]`

Everything on a lake runs on a PostgreSQL catalog: a throwaway server
(scorecard.localpg.LocalPostgres) with a fresh catalog database per case, and
the Parquet files in a folder under bench/out/. Three parts (docs/scale-out.md):

1. `scores`: the same data built by `bench_scores.build` into a file and into a
   lake, measured by `bench_scores._measure` (a rep's scorecard and the team
   view, warm and cold): the lake's figure as a ratio of the file's, target
   at most 2x.
2. `ingest`: the 1,000,000-row activity export of `bench_ingest.make_csv`
   imported into a new lake and into a new file, each in a child process of its
   own (best of `rounds`), the lake's time as a ratio of the file's.
3. `batches`: a rep's scorecard on the lake (warm and cold) before, after
   `--batches` (1,000) small inbox-sized imports of a dozen rows each, after
   `Store.maintain()`, and after a maintenance that also expires every older
   snapshot, with the number of Parquet files the newest snapshot reads at each
   point. A lake adds files with every import; maintenance merges them.

The machine is shared: each row carries the load average when it was measured.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import bench_ingest, bench_scores
from bench.bench_scores import AS_OF, OUT
from scorecard.ingest import IngestOptions, ingest_bytes
from scorecard.localpg import LocalPostgres
from scorecard.scores import rep_scorecard
from scorecard.store import DATA_PATH_ENV, Store

MAX_RATIO = 2.0
PARTS = ("scores", "ingest", "batches")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


class Lakes:
    """Fresh PostgreSQL-catalog lakes on one throwaway server, each with its own data folder."""

    def __init__(self, pg: LocalPostgres, folder: Path) -> None:
        self.pg, self.folder = pg, folder

    def new(self) -> tuple[str, Path]:
        import psycopg

        name = f"bench_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.pg.dsn, autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{name}"')  # a name made here, of hex digits
        return f"ducklake:postgres:{self.pg.dsn} dbname={name}", self.folder / name


@contextmanager
def _data_path(folder: Path) -> Iterator[None]:
    """SCORECARD_DATA_PATH for the stores (and child processes) opened inside, as an app server would have it."""
    before = os.environ.get(DATA_PATH_ENV)
    os.environ[DATA_PATH_ENV] = str(folder)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(DATA_PATH_ENV, None)
        else:
            os.environ[DATA_PATH_ENV] = before


# -- 1. reads ----------------------------------------------------------------------------------------------
def scores(lakes: Lakes, tmp: Path, reps: int, weeks: int, runs: int) -> list[dict[str, Any]]:
    file = bench_scores.build(tmp / "scores.duckdb", reps=reps, weeks=weeks)
    try:
        on_file, _ = bench_scores._measure(file, reps, runs)
    finally:
        file.close()
    spec, folder = lakes.new()
    with _data_path(folder):
        lake = bench_scores.build(Path(spec), reps=reps, weeks=weeks)
        try:
            on_lake, _ = bench_scores._measure(lake, reps, runs)
            foreign = _cold_after_another_process(lake, reps, runs)
        finally:
            lake.close()
    wanted = {("rep_scorecard", "warm"), ("rep_scorecard", bench_scores.COLD), ("team_view", "warm"),
              ("team_view", bench_scores.COLD)}  # fmt: skip
    rows = []
    load = _load()
    for f, k in zip(on_file, on_lake, strict=True):
        if (f["bench"], f["case"]) not in wanted:
            continue
        ratio = k["median_ms"] / f["median_ms"] if f["median_ms"] else None
        rows.append(
            {
                "bench": "lake",
                "case": f"{f['bench']} {f['case']}, {reps} reps × {weeks} weeks",
                "file_ms": f["median_ms"],
                "lake_ms": k["median_ms"],
                "ratio": None if ratio is None else round(ratio, 2),
                "target": f"lake ≤ {MAX_RATIO:g}× file",
                "ok": ratio is not None and ratio <= MAX_RATIO,
                "load": load,
            }
        )
    file_cold = next(f for f in on_file if (f["bench"], f["case"]) == ("rep_scorecard", bench_scores.COLD))
    rows.append(
        {
            "bench": "lake",
            "case": f"rep_scorecard cold, the upload by another process (a second replica), {reps} reps × {weeks} weeks",
            "file_ms": file_cold["median_ms"],
            "lake_ms": round(foreign, 2),
            "ratio": round(foreign / file_cold["median_ms"], 2),
            "target": "info: the file has no other process",
            "ok": True,
            "load": _load(),
        }
    )
    return rows


def _cold_after_another_process(lake: Store, reps: int, runs: int) -> float:
    """Median ms of a rep's scorecard right after another process's upload to the same lake.

    Timed once this store has noticed the new snapshot, as a live page re-runs
    then. Such a reader has no days handed over: it reads the change log and
    the day's events from the lake.
    """
    slug, _ = bench_scores._pick(reps)
    with Store(lake.path) as other:
        upload = bench_scores._upload(other)

        def noticed() -> None:
            seen = lake.data_version()
            upload()
            while lake.data_version() == seen:
                time.sleep(0.02)

        return bench_scores._median_ms(lambda i: rep_scorecard(lake, slug, AS_OF + timedelta(seconds=i)), runs, noticed)


# -- 2. one large import ---------------------------------------------------------------------------------------
def ingest(lakes: Lakes, tmp: Path, rows: int, rounds: int) -> list[dict[str, Any]]:
    csv_path = bench_ingest.make_csv(rows, OUT / f"activities_{rows}.csv")
    file_runs, lake_runs = [], []
    for k in range(rounds):
        db = tmp / f"ingest-{k}.duckdb"
        file_runs.append(bench_ingest._child("ingest", csv_path, db))
        db.unlink(missing_ok=True)
        Path(f"{db}.wal").unlink(missing_ok=True)
        spec, folder = lakes.new()
        with _data_path(folder):  # the child inherits it
            lake_runs.append(bench_ingest._child("ingest", csv_path, Path(spec)))
        shutil.rmtree(folder, ignore_errors=True)
    on_file, on_lake = bench_ingest._best(file_runs), bench_ingest._best(lake_runs)
    ratio = on_lake["seconds"] / on_file["seconds"]
    return [
        {"bench": "lake", "case": "ingest (all new), file", "rows": rows, "seconds": on_file["seconds"],
         "peak_rss_mb": on_file["peak_rss_mb"], "target": "floor", "ok": True, "load": _load()},
        {"bench": "lake", "case": "ingest (all new), lake", "rows": rows, "seconds": on_lake["seconds"],
         "peak_rss_mb": on_lake["peak_rss_mb"], "ratio": round(ratio, 2), "target": f"≤ {MAX_RATIO:g}× file",
         "ok": ratio <= MAX_RATIO, "load": _load()},
    ]  # fmt: skip


# -- 3. many small imports, then maintenance ------------------------------------------------------------------
def small_export(k: int, reps: int, rows: int = 12) -> bytes:
    """An inbox-sized export: a dozen activities of a few reps on the as-of week's Monday and Tuesday."""
    monday = AS_OF.date() - timedelta(days=AS_OF.weekday())
    lines = ["rep,date,type,outcome,id"]
    kinds = (("Call", "Connected"), ("Call", "No answer"), ("Meeting", ""), ("Email", ""))
    for i in range(rows):
        rep = 1 + (k * rows + i) % reps
        day = monday + timedelta(days=i % 2)
        kind, outcome = kinds[i % len(kinds)]
        lines.append(f"Rep {rep:04d},{day} {9 + i % 8:02d}:{(k + i) % 60:02d},{kind},{outcome},small-{k}-{i}")
    return ("\n".join(lines) + "\n").encode()


def _card_ms(store: Store, slug: str, runs: int) -> tuple[float, float]:
    """(warm, cold) medians of one rep's scorecard."""

    def card(i: int) -> object:
        return rep_scorecard(store, slug, AS_OF + timedelta(seconds=i))

    warm = bench_scores._median_ms(card, runs)
    cold = bench_scores._median_ms(card, max(3, runs // 2), before=bench_scores._upload(store))
    return warm, cold


def batches(lakes: Lakes, reps: int, weeks: int, runs: int, count: int) -> list[dict[str, Any]]:
    spec, folder = lakes.new()
    slug, _ = bench_scores._pick(reps)
    out = []
    with _data_path(folder):
        store = bench_scores.build(Path(spec), reps=reps, weeks=weeks)
        try:
            store.maintain()  # the build's own files merged: the "before" is a tidy lake

            def point(case: str, extra: dict[str, Any]) -> None:
                warm, cold = _card_ms(store, slug, runs)
                out.append(
                    {"bench": "lake", "case": f"rep_scorecard {case}", "warm_ms": round(warm, 2), "cold_ms": round(cold, 2),
                     "files": store.lake_file_count(), "load": _load(), **extra}
                )  # fmt: skip

            point("before the small imports", {})
            started = time.perf_counter()
            for k in range(count):
                ingest_bytes(store, f"small-{k}.csv", small_export(k, reps), IngestOptions(source="inbox", as_of=AS_OF))
            per_batch = (time.perf_counter() - started) / max(count, 1)
            point(f"after {count:,} small imports", {"seconds": round(per_batch, 3), "note": "seconds per import"})
            done = store.maintain()
            point("after maintenance", {"seconds": round(done.seconds, 2), "note": "seconds the maintenance took"})
            # The documented window keeps a week of snapshots, and with them the catalog's rows for every
            # replaced file; this shows what the read costs once those are gone too.
            gone = store.maintain(keep_snapshots=timedelta(0))
            point(
                "after expiring every older snapshot",
                {"seconds": round(gone.seconds, 2), "note": f"{gone.snapshots_expired:,} snapshots expired"},
            )
            base = out[0]["warm_ms"]
            for row in out[1:]:
                row["ratio"] = round(row["warm_ms"] / base, 2)
            out[2]["target"] = "after maintenance ≤ 1.5× before (warm)"
            out[2]["ok"] = out[2]["warm_ms"] <= 1.5 * base
        finally:
            store.close()
    shutil.rmtree(folder, ignore_errors=True)
    return out


def run(
    *,
    reps: int = bench_scores.REPS,
    weeks: int = 104,
    runs: int = 15,
    ingest_rows: int = 1_000_000,
    rounds: int = 2,
    small_batches: int = 1000,
    parts: Sequence[str] = PARTS,
) -> list[dict[str, Any]]:
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="lake-", dir=OUT))
    rows: list[dict[str, Any]] = []
    try:
        with LocalPostgres() as pg:  # in a temporary folder of its own, which the postgres user can reach
            lakes = Lakes(pg, tmp / "lakes")
            if "scores" in parts:
                rows += scores(lakes, tmp, reps, weeks, runs)
            if "ingest" in parts:
                rows += ingest(lakes, tmp, ingest_rows, rounds)
            if "batches" in parts:
                rows += batches(lakes, reps, weeks, runs, small_batches)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    from bench.__main__ import render

    parser = argparse.ArgumentParser(prog="python -m bench lake", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--reps", type=int, default=bench_scores.REPS)
    parser.add_argument("--weeks", type=int, default=104)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--ingest-rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2, help="ingest rounds per backend (best is kept)")
    parser.add_argument("--batches", type=int, default=1000, help="small imports before maintenance")
    parser.add_argument("--only", action="append", choices=PARTS, help="run only this part (repeatable)")
    args = parser.parse_args(argv)
    rows = run(
        reps=args.reps, weeks=args.weeks, runs=args.runs, ingest_rows=args.ingest_rows, rounds=args.rounds,
        small_batches=args.batches, parts=args.only or PARTS,
    )  # fmt: skip
    print(f"load average {_load()}, {os.cpu_count()} cores")
    print(render(rows))
    return 0 if all(row.get("ok", True) is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
