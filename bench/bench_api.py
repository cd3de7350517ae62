"""The HTTP API under load: events a second through POST /api/v1/events, and a POST reaching open pages.

`python -m bench api [--pages 100] [--requests 200]`

1. Throughput: `streamlit run server.py` on the 200-rep × 26-week demo (the
   live benchmark's, built with the project's own command). Events go in
   batches of 1 (`--requests` sequential requests), 100 (30 requests) and
   10,000 (3 requests), each event new (unique ids, the demo's reps). Events
   a second = events sent ÷ wall time of the requests, one client, keep-alive.
2. Fan-out: a fresh server, `--pages` rep scorecards opened with the project's
   tab client (bench/live_client.py), then one POST carrying a new Meeting
   for every open page's rep. Per page: seconds from the POST being sent
   until its Meetings card shows one more (and until that run finished).

Figures are printed with the load average: the client shares the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.live import SizeRun, Watched, _number, fmt_spread, meeting_time, spread
from bench.live_server import AppServer, Rep, Team, demo_db, read_team

BATCHES = ((1, 200), (100, 30), (10_000, 3))
DEMO = (200, 26)


def make_token(db: Path) -> str:
    from scorecard.api.tokens import create_token
    from scorecard.store import Store

    with Store(db) as store:
        return create_token(store, "bench", ("events:write", "read"), rate_per_minute=1_000_000).plain


def events(reps: Sequence[Rep], n: int, tag: str, when: datetime, zone: ZoneInfo) -> list[dict[str, str]]:
    stamp = when.replace(tzinfo=zone).isoformat()
    return [
        {"id": f"{tag}-{i}", "rep": reps[i % len(reps)].email or reps[i % len(reps)].name,
         "type": "Meeting" if i % 3 == 0 else "Call", "occurred_at": stamp, "source": "Bench"}  # fmt: skip
        for i in range(n)
    ]


def post(conn: http.client.HTTPConnection, token: str, payload: list[dict[str, str]]) -> dict[str, object]:
    conn.request("POST", "/api/v1/events", body=json.dumps(payload).encode(),
                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})  # fmt: skip
    resp = conn.getresponse()
    body = json.loads(resp.read())
    if resp.status != 202:
        raise RuntimeError(f"POST answered {resp.status}: {body}")
    return dict(body)


def throughput(db: Path, team: Team, batches: Sequence[tuple[int, int]] = BATCHES) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="api-bench-") as tmp:
        server = AppServer(db, Path(tmp))
        token = make_token(server.db)
        server.start()
        zone = ZoneInfo(team.timezone)
        when = meeting_time(datetime.now(zone), team.day_start, team.day_end)
        try:
            conn = http.client.HTTPConnection(server.host, server.port, timeout=600)
            post(conn, token, events(team.reps, 1, "warm", when, zone))  # token check, imports
            for size, requests in batches:
                payloads = [events(team.reps, size, f"b{size}-{r}", when, zone) for r in range(requests)]
                started = time.perf_counter()
                added = sum(int(post(conn, token, p)["added"]) for p in payloads)  # type: ignore[call-overload]
                wall = time.perf_counter() - started
                rows.append({"bench": "api", "case": f"POST batches of {size:,}", "rows": size * requests,
                             "seconds": round(wall, 2), "events_per_s": round(size * requests / wall),
                             "ms_per_request": round(1000 * wall / requests, 1), "ok": added == size * requests})  # fmt: skip
            conn.close()
        finally:
            server.stop()
    return rows


class ApiFanout(SizeRun):
    """The live benchmark's open storm, with the new data arriving by one API POST instead of the inbox."""

    def __init__(self, n: int, db: Path, team: Team, workdir: Path) -> None:
        super().__init__(n, db, team, DEMO, idle_s=2.0, workdir=workdir)
        self.token = make_token(self.server.db)
        self.post_s: float | None = None

    async def _fanout(self) -> None:
        zone = ZoneInfo(self.team.timezone)
        when = meeting_time(datetime.now(zone), self.team.day_start, self.team.day_end)
        watched = [
            Watched(page, rep, (_number(page.events.metric_values[-1][1]) or 0.0) + 1)
            for page, rep in zip(self.pages, self.reps, strict=True)
            if page.events.metric_values
        ]
        payload = [{"id": f"fan-{self.n}-{i}-{int(time.time())}", "rep": w.rep.email or w.rep.name, "type": "Meeting",
                    "occurred_at": when.replace(tzinfo=zone).isoformat()} for i, w in enumerate(watched)]  # fmt: skip
        conn = http.client.HTTPConnection(self.server.host, self.server.port, timeout=120)
        start = time.perf_counter()
        await asyncio.to_thread(post, conn, self.token, payload)
        self.post_s = time.perf_counter() - start
        conn.close()
        deadline = start + 60.0 + 0.5 * self.n
        while time.perf_counter() < deadline and not all(w.times(start)[1] is not None for w in watched):
            await asyncio.sleep(0.1)
        await asyncio.sleep(2.0)
        self._fanout_figures(watched, start)


def fanout(db: Path, team: Team, pages: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="api-fanout-") as tmp:
        run = ApiFanout(pages, db, team, Path(tmp))
        result = asyncio.run(run.measure())
    return {
        "bench": "api",
        "case": f"POST → {pages} open pages show it",
        "rows": pages,
        "post_s": None if run.post_s is None else round(run.post_s, 2),
        "shown": fmt_spread(spread(result.fanout_shown_s)),
        "finished": fmt_spread(spread(result.fanout_done_s)),
        "errors": result.error_total,
        "target": "every page within 5 s",
        "ok": result.error_total == 0 and bool(result.fanout_shown_s) and max(result.fanout_shown_s) <= 5.0,
        "load_avg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def run(pages: int = 100, requests: int = 200) -> list[dict[str, object]]:
    db = demo_db(*DEMO)
    team = read_team(db)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    rows = throughput(db, team, ((1, requests), *BATCHES[1:]))
    for row in rows:
        row["load_avg"] = load
    rows.append(fanout(db, team, pages))
    return rows


def main(argv: list[str]) -> int:
    from bench.__main__ import render

    parser = argparse.ArgumentParser(prog="python -m bench api", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pages", type=int, default=100, help="open pages in the fan-out (default 100)")
    parser.add_argument("--requests", type=int, default=200, help="requests of one event each (default 200)")
    args = parser.parse_args(argv)
    rows = run(args.pages, args.requests)
    print(f"{os.cpu_count()} cores")
    print(render(rows))
    return 0 if all(row.get("ok", True) is not False for row in rows) else 1
