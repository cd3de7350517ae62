"""Live pages under load: many open rep scorecards, an idle hold, and new data pushed to all of them.

`python -m bench live [--sizes 25,100,200] [--reps R --weeks W] [--fidelity] [--lake [--replicas N]]`

For each size N the app is started afresh (`streamlit run server.py` on a copy
of the demo database, see `bench.live_server`) and N tabs are opened with the
protocol client in `bench.live_client`, each on a different rep's
`/?rep=<slug>`:

1. Open storm: the N tabs open evenly over a ramp (25→5 s, 100→10 s,
   200→20 s, 500→40 s). First render = from the tab's first GET until its
   first full run has finished and the rep's name is on the page.
2. Idle: every tab stays open for `--idle` seconds (30). The server's CPU
   (% of one core, from /proc/PID/stat) and RSS over that hold; RSS per page =
   (RSS with N open - RSS before opening) / N. Nothing should move: frames
   sent and received by the tabs in the hold are counted too.
3. Fan-out: a Salesforce activity export with one new "Meeting" today for
   every open tab's rep is dropped into the inbox (written as a dotfile, then
   renamed). Per tab: time from the file appearing until the "Meetings" card
   shows its first value + 1, and until that run has finished.
4. Errors: disconnects, exception elements, runs that did not finish
   successfully, failing log lines, tabs never rendered or never updated, and
   tabs that showed the new number but never finished (stale half-pages).

It prints one markdown table and writes every raw number to
bench/out/live-<timestamp>.json. Sizes above 200 use the 1,000-rep ×
104-week demo (the issue's scale), smaller ones 200 reps × 26 weeks, unless
`--reps/--weeks` say otherwise. `--fidelity` instead compares one page in
headless Chromium with the same page in the client (`bench.live_fidelity`).

`--lake` serves the same demo from a DuckLake with a PostgreSQL catalog (a
throwaway server; the demo file is moved in with `move`), and `--replicas N`
starts N app replicas on it with nginx in front (deploy/nginx-site.conf): the
tabs connect to nginx, whose cookie keeps each on one replica, and the inbox is
shared by all. Server CPU and RSS are then summed over the replicas.

The client runs in this process and shares the machine with the server:
figures are reported with the load average and this process's own CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import math
import os
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.live_client import SUCCESS, PageClient
from bench.live_server import OUT, AppServer, LakeReplicas, Rep, Team, cpu_percent, demo_db, read_team

DEFAULT_SIZES = (25, 100, 200)
RAMP_S = {25: 5.0, 100: 10.0, 200: 20.0, 500: 40.0}
IDLE_S = 30.0
SETTLE_S = 2.0  # after start-up / the last render, before a baseline is read
METRIC = "Meetings"
SALESFORCE_COLUMNS = (
    "Activity ID",
    "Assigned",
    "Assigned: Email",
    "Date",
    "Type",
    "Subject",
    "Status",
    "Company / Account",
)


def demo_scale(n: int) -> tuple[int, int]:
    """(reps, weeks) of the demo a size runs on: the issue's 1,000 × 104 above 200 pages."""
    return (1000, 104) if n > 200 else (200, 26)


def ramp_seconds(n: int) -> float:
    return RAMP_S.get(n, max(5.0, n / 12.5))


# -- figures ---------------------------------------------------------------------------------
def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile (0..1) with linear interpolation between ranks; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


@dataclass(frozen=True)
class Spread:
    p50: float
    p95: float
    max: float
    count: int


def spread(values: Sequence[float]) -> Spread | None:
    if not values:
        return None
    return Spread(percentile(values, 0.5) or 0.0, percentile(values, 0.95) or 0.0, max(values), len(values))


def fmt_spread(s: Spread | None) -> str:
    return "–" if s is None else f"{s.p50:.2f} / {s.p95:.2f} / {s.max:.2f} s"


@dataclass
class SizeResult:
    """Everything measured for one size; `errors` counts by kind, `details` keeps examples."""

    n: int
    reps: int
    weeks: int
    ramp_s: float
    render_s: list[float] = field(default_factory=list)
    rss_before: int = 0
    rss_open: int = 0
    idle_cpu_pct: float = 0.0
    idle_s: float = 0.0
    idle_frames_sent: int = 0
    idle_frames_received: int = 0
    ingest_s: float | None = None
    fanout_shown_s: list[float] = field(default_factory=list)
    fanout_done_s: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    details: dict[str, list[str]] = field(default_factory=dict)
    load_avg: list[float] = field(default_factory=list)
    client_cpu_s: float = 0.0
    wall_s: float = 0.0

    @property
    def rss_per_page(self) -> float:
        return (self.rss_open - self.rss_before) / self.n if self.n else 0.0

    @property
    def error_total(self) -> int:
        return sum(self.errors.values())

    def add_error(self, kind: str, count: int, examples: Sequence[str] = ()) -> None:
        if count:
            self.errors[kind] = self.errors.get(kind, 0) + count
        if examples:
            self.details.setdefault(kind, []).extend(list(examples)[:5])


def render_table(results: Sequence[SizeResult]) -> str:
    """The benchmark's markdown table, one row per size."""
    head = "| N | first render p50/p95/max | idle server CPU % | RSS per page | fan-out p50/p95/max | errors |"
    rows = [head, "|---:|---|---:|---:|---|---|"]
    for r in results:
        fanout = fmt_spread(spread(r.fanout_shown_s))
        if r.fanout_done_s:
            fanout += f" (finished {fmt_spread(spread(r.fanout_done_s))})"
        errors = str(r.error_total)
        if r.errors:
            errors += " (" + ", ".join(f"{kind} {count}" for kind, count in sorted(r.errors.items())) + ")"
        rows.append(
            f"| {r.n} | {fmt_spread(spread(r.render_s))} | {r.idle_cpu_pct:.1f} | "
            f"{r.rss_per_page / 2**20:.2f} MB | {fanout} | {errors} |"
        )
    return "\n".join(rows)


def render_notes(results: Sequence[SizeResult]) -> str:
    """What the table leaves out: when the inbox took the file, idle traffic, the client's own cost."""
    lines = []
    for r in results:
        taken = "never" if r.ingest_s is None else f"after {r.ingest_s:.2f} s"
        lines.append(
            f"N={r.n} ({r.reps} reps × {r.weeks} weeks): the inbox took the file {taken}; "
            f"frames in {r.idle_s:.0f} s idle: {r.idle_frames_sent} sent, {r.idle_frames_received} received; "
            f"server RSS {r.rss_before / 2**20:.0f} → {r.rss_open / 2**20:.0f} MB; "
            f"bench client CPU {r.client_cpu_s:.1f} s in {r.wall_s:.0f} s; "
            f"load average {r.load_avg[0]:.2f} at start, {r.load_avg[-3] if len(r.load_avg) > 3 else 0:.2f} at end"
        )
    return "\n".join(lines)


# -- the fan-out file ---------------------------------------------------------------------------
def meeting_time(now_local: datetime, day_start: dt_time, day_end: dt_time) -> datetime:
    """A team-local moment today, before now and within business hours when the day allows.

    Two minutes back, so the page's "now to the minute" has passed it; pulled
    back to the end of business hours after closing. Before opening there is
    no such moment today, so it stays two minutes back (it still counts: a
    page counts today's events up to now).
    """
    when = (now_local - timedelta(minutes=2)).replace(second=0, microsecond=0, tzinfo=None)
    close = datetime.combine(when.date(), day_end) - timedelta(minutes=1)
    when = min(when, close)
    midnight = datetime.combine(now_local.date(), dt_time.min)
    return max(when, midnight)


def fanout_csv(reps: Sequence[Rep], when: datetime, tag: str) -> str:
    """A Salesforce activity report with one completed Meeting at `when` for each rep (US dates, all quoted)."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(SALESFORCE_COLUMNS)
    stamp = f"{when:%m/%d/%Y %I:%M %p}"
    for i, rep in enumerate(reps):
        writer.writerow([f"BENCH-{tag}-{i:05d}", rep.name, rep.email or "", stamp, "Meeting",
                         f"Live bench meeting {i}", "Completed", "Bench Co"])  # fmt: skip
    return out.getvalue()


def fanout_file_name(n: int) -> str:
    """The export's name; `.monthfirst` says its date order (12/01/2026 alone could be either)."""
    return f"bench-fanout-{n}.monthfirst.csv"


def drop_into_inbox(inbox: Path, name: str, text: str) -> Path:
    """Write `text` as a dotfile (the watcher skips those), then rename it: it appears whole."""
    hidden = inbox / f".{name}"
    hidden.write_text(text, encoding="utf-8")
    final = inbox / name
    hidden.rename(final)
    return final


# -- one size ---------------------------------------------------------------------------------------
def _number(body: str) -> float | None:
    try:
        return float(body.replace(",", ""))
    except ValueError:
        return None


@dataclass(frozen=True)
class Watched:
    """An open page in the fan-out, and the Meetings number it should come to show."""

    page: PageClient
    rep: Rep
    target: float

    def times(self, start: float) -> tuple[float | None, float | None]:
        """(shown, finished) seconds after `start`: the card shows the target, then that run finishes."""
        ev = self.page.events
        shown = next((t for t, body in ev.metric_values if t >= start and _number(body) == self.target), None)
        if shown is None:
            return None, None
        done = next((t for t, status in ev.finishes if t >= shown and status in SUCCESS), None)
        return shown - start, None if done is None else done - start


class SizeRun:
    """One size: a fresh server, N tabs, the three phases, and the error count."""

    def __init__(
        self, n: int, db: Path, team: Team, scale: tuple[int, int], idle_s: float, workdir: Path, lake: Lake | None = None
    ) -> None:
        if n > len(team.reps):
            raise SystemExit(f"N={n} needs at least {n} reps; the demo has {len(team.reps)} (use --reps)")
        self.n, self.team, self.idle_s = n, team, idle_s
        self.reps = team.reps[:n]
        self.server: AppServer | LakeReplicas = (
            AppServer(db, workdir) if lake is None else LakeReplicas(db, workdir, lake.replicas, lake.pg_dsn)
        )
        self.result = SizeResult(n, scale[0], scale[1], ramp_seconds(n))
        self.pages: list[PageClient] = []
        self.tasks: list[asyncio.Task[None]] = []

    async def measure(self) -> SizeResult:
        started, cpu0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
        self.result.load_avg = list(os.getloadavg())
        await asyncio.to_thread(self.server.start)
        try:
            await asyncio.sleep(SETTLE_S)
            self.result.rss_before = self.server.sample().rss_bytes
            await self._open_storm()
            await self._idle()
            await self._fanout()
        finally:
            await self._close_pages()
            await asyncio.to_thread(self.server.stop)
        self._count_errors()
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        self.result.client_cpu_s = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
        self.result.wall_s = time.perf_counter() - started
        self.result.load_avg += list(os.getloadavg())
        return self.result

    async def _open_storm(self) -> None:
        ramp = self.result.ramp_s
        for i, rep in enumerate(self.reps):
            query = f"rep={rep.slug}"
            page = PageClient(self.server.host, self.server.port, query, expect_text=rep.name, track_metric=METRIC)
            self.pages.append(page)
            self.tasks.append(asyncio.create_task(self._tab(page, i * ramp / self.n)))
        deadline = time.perf_counter() + ramp + 60.0 + 0.5 * self.n
        while time.perf_counter() < deadline and not all(self._settled(p) for p in self.pages):
            await asyncio.sleep(0.1)
        rendered = [p.events for p in self.pages if p.events.rendered_at is not None]
        self.result.render_s = [(ev.rendered_at or 0.0) - ev.opened_at for ev in rendered]

    @staticmethod
    def _settled(page: PageClient) -> bool:
        ev = page.events
        return ev.rendered_at is not None or ev.disconnected is not None

    @staticmethod
    async def _tab(page: PageClient, delay: float) -> None:
        await asyncio.sleep(delay)
        try:
            await page.open()
        except Exception as exc:  # recorded as the tab's failure; the storm goes on
            page.events.disconnected = f"open failed: {type(exc).__name__}: {exc}"
            return
        await page.run()

    async def _idle(self) -> None:
        await asyncio.sleep(SETTLE_S)
        before = self.server.sample()
        await asyncio.sleep(self.idle_s)
        after = self.server.sample()
        r = self.result
        r.idle_s = after.at - before.at
        r.idle_cpu_pct = cpu_percent(before, after)
        r.rss_open = after.rss_bytes
        r.idle_frames_sent = sum(_between(p.events.sent, before.at, after.at) for p in self.pages)
        r.idle_frames_received = sum(_between(p.events.received, before.at, after.at) for p in self.pages)

    async def _fanout(self) -> None:
        zone = ZoneInfo(self.team.timezone)
        when = meeting_time(datetime.now(zone), self.team.day_start, self.team.day_end)
        # Each page should go from the number it shows now (its first render's) to one more.
        watched = [
            Watched(page, rep, (_number(page.events.metric_values[-1][1]) or 0.0) + 1)
            for page, rep in zip(self.pages, self.reps, strict=True)
            if page.events.metric_values
        ]
        text = fanout_csv([w.rep for w in watched], when, f"{self.n}-{int(time.time())}")
        dropped = drop_into_inbox(self.server.inbox, fanout_file_name(self.n), text)
        start = time.perf_counter()
        ingest = asyncio.create_task(self._wait_ingested(dropped, start))
        deadline = start + 60.0 + 0.5 * self.n
        while time.perf_counter() < deadline and not all(w.times(start)[1] is not None for w in watched):
            await asyncio.sleep(0.1)
        await asyncio.sleep(SETTLE_S)  # late messages of a page that never finishes would land here
        self.result.ingest_s = await ingest
        self._fanout_figures(watched, start)

    def _fanout_figures(self, watched: list[Watched], start: float) -> None:
        r = self.result
        stale, missed = [], []
        for w in watched:
            shown, done = w.times(start)
            if shown is None:
                missed.append(
                    f"{w.rep.slug}: Meetings still {w.page.events.metric_values[-1][1]}, expected {w.target:g}"
                )
            elif done is None:
                stale.append(f"{w.rep.slug}: showed {w.target:g}, its run never finished")
            else:
                r.fanout_shown_s.append(shown)
                r.fanout_done_s.append(done)
        r.add_error("never updated", len(missed), missed)
        r.add_error("stale half-pages", len(stale), stale)
        no_card = [p.query for p in self.pages if p.events.rendered_at is not None and not p.events.metric_values]
        r.add_error("no Meetings card", len(no_card), no_card)

    async def _wait_ingested(self, path: Path, start: float) -> float | None:
        """Seconds until the watcher took the file (it leaves the inbox); None if it never did."""
        deadline = start + 120.0
        while path.exists() and time.perf_counter() < deadline:
            await asyncio.sleep(0.02)
        if path.exists():
            return None
        taken = time.perf_counter() - start
        failed = list((self.server.inbox / "failed").glob("*.reason.txt"))
        reasons = [f.read_text(encoding="utf-8").strip() for f in failed]
        self.result.add_error("inbox rejected the file", len(failed), reasons)
        return taken

    async def _close_pages(self) -> None:
        await asyncio.gather(*(p.close() for p in self.pages), return_exceptions=True)
        await asyncio.gather(*self.tasks, return_exceptions=True)

    def _count_errors(self) -> None:
        r = self.result
        pages = self.pages
        never = [f"{p.query} ({p.events.disconnected or 'no render'})" for p in pages if p.events.rendered_at is None]
        r.add_error("never rendered", len(never), never)
        rendered = [p for p in pages if p.events.rendered_at is not None]
        dropped = [f"{p.query}: {p.events.disconnected}" for p in rendered if p.events.disconnected]
        r.add_error("disconnects", len(dropped), dropped)
        exceptions = [f"{p.query}: {e}" for p in pages for e in p.events.exceptions]
        r.add_error("exceptions", len(exceptions), exceptions)
        bad = [f"{p.query}: status {s}" for p in pages for s in p.events.bad_finishes()]
        r.add_error("runs not successful", len(bad), bad)
        misses = sum(p.cache.misses for p in pages)
        r.add_error("cache misses", misses)
        problems = self.server.log_problems()
        r.add_error("log problems", len(problems), problems)


def _between(times: Sequence[float], start: float, end: float) -> int:
    return sum(1 for t in times if start <= t <= end)


# -- driver --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Lake:
    """Run each size on a DuckLake (PostgreSQL catalog at `pg_dsn`) with this many replicas (nginx in front of 2+)."""

    replicas: int
    pg_dsn: str


def run_sizes(
    sizes: Sequence[int],
    *,
    reps: int | None = None,
    weeks: int | None = None,
    idle_s: float = IDLE_S,
    lake: Lake | None = None,
) -> list[SizeResult]:
    results = []
    for n in sizes:
        default_reps, default_weeks = demo_scale(n)
        scale = (reps or max(default_reps, n), weeks or default_weeks)
        db = demo_db(*scale)
        team = read_team(db)  # before the server starts: it locks the file
        with tempfile.TemporaryDirectory(prefix=f"live-{n}-") as tmp:
            result = asyncio.run(SizeRun(n, db, team, scale, idle_s, Path(tmp), lake).measure())
        results.append(result)
        print(render_table([result]).splitlines()[-1], file=sys.stderr, flush=True)
    return results


def write_json(results: Sequence[SizeResult], path: Path | None = None) -> Path:
    path = path or OUT / f"live-{datetime.now():%Y%m%dT%H%M%S}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": "live pages",
        "written_at": datetime.now().isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "sizes": [
            {
                **asdict(r),
                "rss_per_page": r.rss_per_page,
                "error_total": r.error_total,
                "render": _spread_dict(r.render_s),
                "fanout_shown": _spread_dict(r.fanout_shown_s),
                "fanout_finished": _spread_dict(r.fanout_done_s),
            }  # fmt: skip
            for r in results
        ],
    }
    path.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    return path


def _spread_dict(values: Sequence[float]) -> dict[str, float] | None:
    s = spread(values)
    return None if s is None else asdict(s)


def parse_sizes(text: str) -> list[int]:
    sizes = [int(part) for part in text.split(",") if part.strip()]
    if not sizes or any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError("sizes are positive page counts, such as 25,100")
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench live", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument(
        "--sizes", type=parse_sizes, default=list(DEFAULT_SIZES), help="page counts (default 25,100,200)"
    )
    parser.add_argument("--reps", type=int, help="demo reps (default 200, or 1,000 above 200 pages)")
    parser.add_argument("--weeks", type=int, help="demo weeks (default 26, or 104 above 200 pages)")
    parser.add_argument("--idle", type=float, default=IDLE_S, help="idle hold in seconds (default 30)")
    parser.add_argument("--fidelity", action="store_true", help="compare one page in Chromium with the client")
    parser.add_argument(
        "--lake", action="store_true", help="serve the demo from a DuckLake on a throwaway PostgreSQL instead of the file"
    )
    parser.add_argument("--replicas", type=int, default=1, help="with --lake: app replicas (nginx in front of 2 or more)")
    parser.add_argument("--page", help="with --fidelity: the page's query string (default a rep's scorecard)")
    args = parser.parse_args(argv)
    if args.fidelity:
        from bench.live_fidelity import run_fidelity

        return run_fidelity(reps=args.reps or 200, weeks=args.weeks or 26, page=args.page, idle_s=min(args.idle, 20.0))
    if args.replicas < 1 or (args.replicas > 1 and not args.lake):
        parser.error("--replicas N needs --lake and N >= 1: replicas share one DuckLake")
    if args.lake:
        from scorecard.localpg import LocalPostgres

        with LocalPostgres() as pg:
            results = run_sizes(
                args.sizes, reps=args.reps, weeks=args.weeks, idle_s=args.idle, lake=Lake(args.replicas, pg.dsn)
            )
    else:
        results = run_sizes(args.sizes, reps=args.reps, weeks=args.weeks, idle_s=args.idle)
    where = f"a DuckLake on PostgreSQL, {args.replicas} replica(s)" + (" behind nginx" if args.replicas > 1 else "") if args.lake else "the file"
    print(f"served from {where}")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} cores")
    print(render_table(results))
    print(render_notes(results))
    print(f"raw numbers: {write_json(results)}")
    return 0 if all(r.error_total == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
