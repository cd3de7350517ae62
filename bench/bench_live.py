"""Live pages under load, in `make bench`'s table: see `bench.live` (run alone: `python -m bench live`).

`make bench` runs the default sizes (25, 100 and 200 open pages) on the file,
then 25 and 100 pages on one DuckLake (a throwaway PostgreSQL catalog) served
by one replica and by three behind nginx: about a quarter of an hour in all.
500 pages on the 1,000-rep × 104-week demo is `python -m bench live --sizes 500`.
A size is "ok" when nothing failed: every page rendered, stayed connected,
showed the new data and finished.
"""

from __future__ import annotations

from collections.abc import Sequence

from bench.live import DEFAULT_SIZES, Lake, SizeResult, fmt_spread, run_sizes, spread, write_json
from scorecard.localpg import LocalPostgres

LAKE_SIZES = (25, 100)
LAKE_REPLICAS = (1, 3)


def run(sizes: tuple[int, ...] = DEFAULT_SIZES) -> list[dict[str, object]]:
    rows = _rows(run_sizes(sizes), "the file")
    with LocalPostgres() as pg:
        for replicas in LAKE_REPLICAS:
            where = "a DuckLake, 1 replica" if replicas == 1 else f"a DuckLake, {replicas} replicas behind nginx"
            rows += _rows(run_sizes(LAKE_SIZES, lake=Lake(replicas, pg.dsn)), where)
    return rows


def _rows(results: Sequence[SizeResult], where: str) -> list[dict[str, object]]:
    path = write_json(results)
    return [
        {
            "bench": "live",
            "case": f"{r.n} open pages ({r.reps} reps × {r.weeks} weeks), {where}",
            "first_render": fmt_spread(spread(r.render_s)),
            "idle_cpu_pct": round(r.idle_cpu_pct, 1),
            "rss_per_page_mb": round(r.rss_per_page / 2**20, 2),
            "fanout": fmt_spread(spread(r.fanout_shown_s)),
            "errors": r.error_total,
            "target": "no errors",
            "ok": r.error_total == 0,
            "json": path.name,
        }
        for r in results
    ]


def main(argv: list[str]) -> int:
    """`python -m bench live [OPTIONS]`: the benchmark's own table and JSON (see `bench.live`)."""
    from bench.live import main as live_main

    return live_main(argv)
