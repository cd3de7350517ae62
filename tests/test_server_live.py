"""The real server under many open pages: every page ends on the newest data, whole, with its run finished.

Each test starts `streamlit run server.py` on a demo team built for it and
opens pages with the project's own tab client (bench/live_client.py), which
speaks Streamlit's websocket protocol as the browser does.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.live import drop_into_inbox, fanout_csv, meeting_time
from bench.live_client import SUCCESS, PageClient
from bench.live_server import Team, read_team
from tests.serving import ROOT, ServerProcess

pytestmark = pytest.mark.slow

METRIC = "Meetings"
T = TypeVar("T")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 50-rep demo team with a few weeks of history, built through the real ingest path."""
    base = tmp_path_factory.mktemp("live-demo")
    db = base / "demo.duckdb"
    cmd = [sys.executable, "-m", "scorecard", "demo", "--reps", "50", "--weeks", "4", "--db", str(db),
           "--out", str(base / "exports")]  # fmt: skip
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True)
    return db


@pytest.fixture
def fresh(demo_db: Path, tmp_path: Path) -> Iterator[tuple[ServerProcess, Team]]:
    """A server (not started) over a copy of the demo, with the team read before it locks the file."""
    db = tmp_path / "db.duckdb"
    db.write_bytes(demo_db.read_bytes())
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    server = ServerProcess(db, inbox, tmp_path / "server.log")
    team = read_team(db)
    try:
        yield server, team
    finally:
        server.stop()


def _run(scenario: Coroutine[Any, Any, T]) -> T:
    """Run `scenario` on an event loop of its own, in a thread: the browser tests' Playwright
    keeps a loop running on the main thread for the whole session."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, scenario).result()


def _open(server: ServerProcess, query: str, name: str) -> PageClient:
    return PageClient("127.0.0.1", server.port, query, expect_text=name, track_metric=METRIC)


async def _serve(page: PageClient) -> None:
    await page.open()
    await page.run()


async def _until(check: object, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        await asyncio.sleep(0.1)
    return bool(check())  # type: ignore[operator]


def _value(page: PageClient) -> float | None:
    if not page.events.metric_values:
        return None
    return float(page.events.metric_values[-1][1].replace(",", ""))


def _finished_showing(page: PageClient, target: float) -> bool:
    """The card shows `target`, and a successful finish came after the last thing the page received."""
    ev = page.events
    if _value(page) != target or not ev.finishes:
        return False
    last_finish, status = ev.finishes[-1]
    return status in SUCCESS and last_finish >= ev.metric_values[-1][0]


def _server_errors(server: ServerProcess) -> list[str]:
    return [line for line in server.log_text().splitlines() if "Traceback" in line or "Error" in line]


def test_fifty_pages_three_commits_every_page_ends_whole_on_the_last(fresh: tuple[ServerProcess, Team]) -> None:
    server, team = fresh
    server.start()
    reps = team.reps[:50]

    async def scenario() -> list[PageClient]:
        pages = [_open(server, f"rep={rep.slug}", rep.name) for rep in reps]
        tasks = [asyncio.create_task(_serve(p)) for p in pages]
        assert await _until(lambda: all(p.events.rendered_at for p in pages), 120), "not every page rendered"
        base = {id(p): _value(p) or 0.0 for p in pages}
        # Idle: nothing moves while nothing changes.
        quiet_from = time.perf_counter()
        await asyncio.sleep(3)
        assert sum(1 for p in pages for t in p.events.received if t >= quiet_from) == 0
        zone = ZoneInfo(team.timezone)
        for k in range(3):  # three commits in under ten seconds
            when = meeting_time(datetime.now(zone), team.day_start, team.day_end)
            drop_into_inbox(server.inbox, f"live-{k}.monthfirst.csv", fanout_csv(reps, when, f"live{k}"))
            await asyncio.sleep(3)
        done = await _until(lambda: all(_finished_showing(p, base[id(p)] + 3) for p in pages), 90)
        for task in tasks:
            task.cancel()
        assert done, [(_value(p), base[id(p)] + 3, p.events.finishes[-1:]) for p in pages if not _finished_showing(p, base[id(p)] + 3)][:5]
        return pages

    pages = _run(scenario())
    for page in pages:
        assert page.events.exceptions == []
        assert page.events.disconnected is None
        assert page.events.bad_finishes() == [], "a run was cut short"
        text = page.text()
        assert page.expect_text is not None and page.expect_text in text  # the top: the rep's name
        assert "Data through" in text  # the bottom: the freshness line
    assert len(list((server.inbox / "done").iterdir())) == 3
    assert _server_errors(server) == []


def test_twenty_first_renders_at_once_right_after_start(fresh: tuple[ServerProcess, Team]) -> None:
    server, team = fresh
    server.start()

    async def storm() -> list[PageClient]:
        pages = [_open(server, f"rep={rep.slug}", rep.name) for rep in team.reps[:20]]
        tasks = [asyncio.create_task(_serve(p)) for p in pages]
        await _until(lambda: all(p.events.rendered_at or p.events.disconnected for p in pages), 120)
        for task in tasks:
            task.cancel()
        return pages

    pages = _run(storm())
    assert [p.query for p in pages if p.events.rendered_at is None] == []
    assert [p.events.exceptions for p in pages if p.events.exceptions] == []
    assert all(p.events.bad_finishes() == [] for p in pages)
    assert _server_errors(server) == []


def test_the_inbox_is_read_after_a_restart_with_no_page_open(fresh: tuple[ServerProcess, Team]) -> None:
    server, team = fresh
    server.start()
    server.stop()
    when = meeting_time(datetime.now(ZoneInfo(team.timezone)), team.day_start, team.day_end)
    drop_into_inbox(server.inbox, "while-down.monthfirst.csv", fanout_csv(team.reps[:3], when, "down"))
    server.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (server.inbox / "done").is_dir():
        time.sleep(0.2)
    done = list((server.inbox / "done").iterdir()) if (server.inbox / "done").is_dir() else []
    assert [p.name.endswith("while-down.monthfirst.csv") for p in done] == [True]
    server.stop()
    from scorecard.store import Store

    with Store(server.db) as store:
        added = store.scalar("SELECT rows_added FROM batches WHERE file_name LIKE '%while-down%'")
    assert added == 3


class RunsSeen(PageClient):
    """A tab that also records each run's fragments ([] for a run of the whole page)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.runs: list[list[str]] = []

    def _on_new_session(self, msg: Any) -> None:
        super()._on_new_session(msg)
        self.runs.append(list(msg.metadata.run.fragment_ids))


def test_new_data_redraws_a_rep_page_by_its_fragment_and_the_clock_redraws_it_whole(
    fresh: tuple[ServerProcess, Team],
) -> None:
    from scorecard.ui import REFRESH_S

    server, team = fresh
    server.start()
    rep = team.reps[0]

    async def scenario() -> tuple[RunsSeen, list[list[str]], list[list[str]]]:
        page = RunsSeen("127.0.0.1", server.port, f"rep={rep.slug}", expect_text=rep.name, track_metric=METRIC)
        task = asyncio.create_task(_serve(page))
        assert await _until(lambda: page.events.rendered_at is not None, 60), "the page never rendered"
        target = (_value(page) or 0.0) + 1
        seen = len(page.runs)
        when = meeting_time(datetime.now(ZoneInfo(team.timezone)), team.day_start, team.day_end)
        drop_into_inbox(server.inbox, "one.monthfirst.csv", fanout_csv([rep], when, "frag"))
        assert await _until(lambda: _finished_showing(page, target), 60), page.events.metric_values[-3:]
        await asyncio.sleep(2)
        after_data = page.runs[seen:]
        assert page.events.bad_finishes() == [], "a run was cut short"
        # The clock's ten-minute timer, fired now: the whole page is redrawn, once.
        clock = [fid for fid, (interval, _task) in page._timers.items() if interval == REFRESH_S]
        assert len(clock) == 1
        seen = len(page.runs)
        await page._send_rerun(clock[0], auto=True)
        assert await _until(lambda: [] in page.runs[seen:] and _finished_showing(page, target), 60)
        await asyncio.sleep(3)
        after_clock = page.runs[seen:]
        task.cancel()
        return page, after_data, after_clock

    page, after_data, after_clock = _run(scenario())
    assert after_data and all(after_data), after_data  # fragment runs only: router and sidebar not sent again
    assert after_clock.count([]) == 1, after_clock  # one whole run, and no loop of them
    assert page.events.exceptions == []
    # The timer's own run ends early for the whole run it asks for; nothing else is cut short.
    assert page.events.bad_finishes() == [ForwardMsg.FINISHED_EARLY_FOR_RERUN]
    assert "Data through" in page.text()
    assert _server_errors(server) == []
