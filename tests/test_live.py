"""Live pages: the pusher reruns pages behind the data, a few at a time, never one still running."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from scorecard.live import LivePages
from scorecard.store import open_store


class FakeSessions:
    """Open pages whose runs the test drives by hand."""

    def __init__(self, *ids: str, events: list[str] | None = None) -> None:
        self.open = set(ids)
        self.busy: set[str] = set()
        self.reruns: list[str] = []
        self.fragments: list[str | None] = []
        self.events = events  # where "rerun <id>" is noted beside a test's own events, in order

    def is_open(self, session_id: str) -> bool:
        return session_id in self.open

    def is_busy(self, session_id: str) -> bool:
        return session_id in self.busy

    def rerun(self, session_id: str, started: threading.Event, fragment_id: str | None = None) -> None:
        if self.events is not None:
            self.events.append(f"rerun {session_id}")
        self.reruns.append(session_id)
        self.fragments.append(fragment_id)
        self.busy.add(session_id)
        started.set()

    def finish(self, pages: LivePages, session_id: str, version: int, **watch: object) -> None:
        """The page's run draws `version` (it watches again) and ends."""
        pages.watch(session_id, version, **watch)  # type: ignore[arg-type]
        self.busy.discard(session_id)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _pages(tmp_path: Path, sessions: FakeSessions, **kwargs: object) -> LivePages:
    return LivePages(tmp_path / "db.duckdb", sessions, **kwargs)  # type: ignore[arg-type]


def test_a_page_behind_the_data_is_rerun_once(tmp_path: Path) -> None:
    sessions = FakeSessions("a")
    pages = _pages(tmp_path, sessions)
    pages.watch("a", 1)
    pages.step(1)
    assert sessions.reruns == []
    pages.step(2)
    pages.step(2)  # still running: not asked again
    assert sessions.reruns == ["a"]
    sessions.finish(pages, "a", 2)
    pages.step(2)
    assert sessions.reruns == ["a"]


def test_a_running_page_is_never_asked_to_rerun(tmp_path: Path) -> None:
    sessions = FakeSessions("a")
    pages = _pages(tmp_path, sessions)
    pages.watch("a", 1)
    sessions.busy.add("a")  # its own run (from a click, say) is in flight
    pages.step(2)
    assert sessions.reruns == []
    sessions.finish(pages, "a", 1)  # that run drew the old data
    pages.step(2)
    assert sessions.reruns == ["a"]


def test_at_most_max_in_flight_at_once_and_everyone_gets_there(tmp_path: Path) -> None:
    ids = [f"s{i}" for i in range(7)]
    sessions = FakeSessions(*ids)
    pages = _pages(tmp_path, sessions, max_in_flight=2)
    for sid in ids:
        pages.watch(sid, 1)
    drawn: dict[str, int] = {}
    for _ in range(20):
        pages.step(2)
        assert len(sessions.busy) <= 2
        for sid in list(sessions.busy):
            sessions.finish(pages, sid, 2)
            drawn[sid] = 2
    assert drawn == dict.fromkeys(ids, 2)
    assert sorted(sessions.reruns) == sorted(ids)


def test_each_view_is_built_once_before_its_pages_are_told(tmp_path: Path) -> None:
    events: list[str] = []
    sessions = FakeSessions("a", "b", "c", events=events)
    pages = _pages(tmp_path, sessions, max_in_flight=3)
    built: list[str] = []

    def warm(key: str) -> None:
        built.append(key)
        events.append(f"build {key}")

    for sid, rep in (("a", "ana"), ("b", "ana"), ("c", "bo")):
        pages.watch(sid, 1, warm=lambda rep=rep: warm(rep), warm_key=("rep", rep))
    pages.step(2)
    assert built == ["ana", "bo"]
    assert events.index("build ana") < events.index("rerun a") < events.index("rerun b")
    assert events.index("build bo") < events.index("rerun c")


def test_a_failing_view_still_lets_the_page_rerun(tmp_path: Path) -> None:
    sessions = FakeSessions("a")
    pages = _pages(tmp_path, sessions)

    def broken() -> None:
        raise RuntimeError("boom")

    pages.watch("a", 1, warm=broken, warm_key="x")
    pages.step(2)
    assert sessions.reruns == ["a"]


def test_closed_pages_are_forgotten(tmp_path: Path) -> None:
    sessions = FakeSessions("a", "b")
    pages = _pages(tmp_path, sessions)
    pages.watch("a", 1)
    pages.watch("b", 1)
    sessions.open.discard("b")
    pages.step(2)
    assert sessions.reruns == ["a"]
    assert pages.open_pages() == 1


def test_a_page_that_stops_watching_is_not_chased(tmp_path: Path) -> None:
    sessions = FakeSessions("a")
    clock = Clock()
    pages = _pages(tmp_path, sessions, clock=clock)
    pages.watch("a", 1)
    clock.now += 1
    pages.step(2)
    sessions.busy.discard("a")  # the run ended on a page that does not watch (e.g. after navigating)
    clock.now += 1
    pages.step(2)
    pages.step(2)
    assert sessions.reruns == ["a"]
    assert pages.open_pages() == 0


def test_the_pusher_thread_reruns_pages_after_a_commit(tmp_path: Path) -> None:
    store = open_store(tmp_path / "db.duckdb")
    sessions = FakeSessions("a")
    pages = _pages(tmp_path, sessions)
    pages.watch("a", store.data_version())
    pages.start()
    try:
        with store.write() as cur:
            cur.execute("UPDATE settings SET value = value WHERE false")
        deadline = time.monotonic() + 5
        while not sessions.reruns and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sessions.reruns == ["a"]
    finally:
        pages.stop()


def test_wait_for_change_wakes_on_commit(tmp_path: Path) -> None:
    store = open_store(tmp_path / "db.duckdb")
    seen = store.data_version()
    woke: list[int] = []
    waiter = threading.Thread(target=lambda: woke.append(store.wait_for_change(seen, 5.0)))
    waiter.start()
    time.sleep(0.05)
    started = time.monotonic()
    with store.write() as cur:
        cur.execute("SELECT 1")
    waiter.join(5)
    assert woke == [seen + 1]
    assert time.monotonic() - started < 1.0


class Together:
    """A `warm_many`: records each pass, equal for every page it serves."""

    def __init__(self, log: list[str], *, fail: bool = False) -> None:
        self.log = log
        self.fail = fail

    def __call__(self, keys: list[object]) -> None:
        self.log.append("together " + ",".join(str(k) for k in keys))
        if self.fail:
            raise RuntimeError("boom")


def test_views_of_every_page_behind_are_built_in_one_pass_before_any_rerun(tmp_path: Path) -> None:
    log: list[str] = []
    sessions = FakeSessions("a", "b", "c", "d", events=log)
    pages = _pages(tmp_path, sessions, max_in_flight=1)
    together = Together(log)
    for sid, rep in (("a", "ana"), ("b", "bo"), ("c", "ana"), ("d", "cy")):
        pages.watch(sid, 1, warm=lambda rep=rep: log.append(f"alone {rep}"), warm_key=rep, warm_many=together)
    for _ in range(6):
        pages.step(2)
        for sid in list(sessions.busy):
            sessions.finish(pages, sid, 2, warm=lambda: log.append("alone again"), warm_key="x", warm_many=together)
    assert log[0] == "together ana,bo,cy"
    assert [e for e in log if e.startswith("alone")] == []  # each page's own warm finds its view built
    assert sorted(e for e in log if e.startswith("rerun")) == ["rerun a", "rerun b", "rerun c", "rerun d"]
    assert log.count("together ana,bo,cy") == 1


def test_a_failed_pass_leaves_each_page_to_build_its_own(tmp_path: Path) -> None:
    sessions = FakeSessions("a", "b")
    pages = _pages(tmp_path, sessions, max_in_flight=2)
    log: list[str] = []
    broken = Together(log, fail=True)
    for sid, rep in (("a", "ana"), ("b", "bo")):
        pages.watch(sid, 1, warm=lambda rep=rep: log.append(f"alone {rep}"), warm_key=rep, warm_many=broken)
    pages.step(2)
    assert log == ["together ana,bo", "alone ana", "alone bo"]
    assert sessions.reruns == ["a", "b"]


def test_one_page_builds_its_own_view(tmp_path: Path) -> None:
    sessions = FakeSessions("a")
    pages = _pages(tmp_path, sessions)
    log: list[str] = []
    pages.watch("a", 1, warm=lambda: log.append("alone"), warm_key="ana", warm_many=Together(log))
    pages.step(2)
    assert log == ["alone"]


def test_a_page_keeping_its_data_in_a_fragment_is_redrawn_by_that_fragment_alone(tmp_path: Path) -> None:
    sessions = FakeSessions("a", "b")
    pages = _pages(tmp_path, sessions, max_in_flight=2)
    pages.watch("a", 1, fragment_id="body")
    pages.watch("b", 1)
    pages.step(2)
    assert list(zip(sessions.reruns, sessions.fragments, strict=True)) == [("a", "body"), ("b", None)]
