"""A full AppTest run of the personal scorecard page at 1,000 reps × 104 weeks.

Times whole script runs of the app (router, sidebar, gate, the page and every
chart) for a rep's link, the way Streamlit runs them: the first run in a fresh
process (cold caches), a new session for another rep (a rep opening their link
while others are already using the app), and a rerun of an open page (what the
live refresh does when nothing changed). Target: median under 300 ms.

The data is the scores benchmark's (bench_scores.build): rollups for the whole
history and raw events for the last weeks, written directly with a fixed seed.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

from bench.bench_scores import AS_OF, OUT, build

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TARGET_MS = 300.0


def _session(rep: int) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["rep"] = f"rep-{rep}"
    at.query_params["as_of"] = AS_OF.isoformat()
    return at


def _timed_run(at: AppTest) -> float:
    start = time.perf_counter()
    at.run()
    elapsed = (time.perf_counter() - start) * 1000
    if at.exception:
        raise RuntimeError(f"the page failed: {at.exception[0].message}")
    if not any("of pace" in str(m.value) or "pace" in str(m.value) for m in at.markdown):
        raise RuntimeError("the page rendered without metric cards")
    return elapsed


def run(*, reps: int = 1000, weeks: int = 104, runs: int = 15) -> list[dict[str, Any]]:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"page-{reps}x{weeks}.duckdb"
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    build(path, reps=reps, weeks=weeks).close()
    os.environ.update(SCORECARD_DB=str(path), SCORECARD_INBOX="off", SCORECARD_MANAGER_PASSCODE="bench")

    first = _timed_run(_session(1))
    new_sessions = [_timed_run(_session(2 + i * 37 % (reps - 2))) for i in range(runs)]
    open_page = _session(reps // 2)
    open_page.run()
    reruns = [_timed_run(open_page) for _ in range(runs)]

    def row(case: str, median_ms: float, *, judged: bool) -> dict[str, Any]:
        figure: dict[str, Any] = {"bench": "page_apptest", "case": case, "median_ms": round(median_ms, 1)}
        if judged:
            figure.update(target=f"< {TARGET_MS:.0f} ms", ok=median_ms < TARGET_MS)
        else:
            figure["target"] = "info"
        return figure

    scale = f"{reps} reps × {weeks} weeks"
    return [
        row(f"{scale}, first run in a fresh process", first, judged=False),
        row(f"{scale}, a new session per rep link (median of {runs})", statistics.median(new_sessions), judged=True),
        row(f"{scale}, rerun of an open page (median of {runs})", statistics.median(reruns), judged=True),
    ]


if __name__ == "__main__":
    for figure in run():
        print(figure)
