"""Live pages: the server tells open pages about new data, and no page polls.

Every page that shows data calls `watch()` (through `ui.live`) at the top of
its run, with the data version it is about to draw and, optionally, a `warm`
callable that builds what it shows. One thread per process, the pusher, waits
for commits. When the data version moves on, it takes the pages still showing
an older version one by one: it builds that page's view once (shared by every
page showing the same thing), then asks Streamlit to rerun the page, just as
Streamlit reruns a page whose source file changed. A few pages run at a time,
and a page whose previous run is still in flight is never asked again until
that run has finished, so no run is cut short and no page is left half old.

Redrawing as the clock moves (pace changes through the day) and redrawing
after the browser reconnects to a restarted server are the page's own job: see
`ui.live`.

This module and `ui` are the only ones in the core that know about Streamlit.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from scorecard.store import Store, open_store

if TYPE_CHECKING:
    from streamlit.runtime.app_session import AppSession

log = logging.getLogger(__name__)

MAX_IN_FLIGHT = 2  # page runs are CPU-bound under one interpreter lock: more at once only slows each
_TICK_S = 0.01  # how often the pusher looks at runs in flight while it has work
_IDLE_WAIT_S = 1.0  # how long it sleeps waiting for a commit before checking the clock
_STUCK_S = 60.0  # a requested rerun that never started is given up on after this


class Sessions(Protocol):
    """What the pusher needs from the server: is a page open, is it running, rerun it."""

    def is_open(self, session_id: str) -> bool: ...

    def is_busy(self, session_id: str) -> bool: ...

    def rerun(self, session_id: str, started: threading.Event, fragment_id: str | None = None) -> None: ...


@dataclass
class _Watch:
    version: int
    drawn_at: float
    warm: Callable[[], object] | None
    warm_key: Hashable | None
    warm_many: Callable[[list[Hashable]], object] | None = None
    fragment_id: str | None = None  # the fragment holding the page's data: rerun just that


@dataclass
class _InFlight:
    requested_at: float
    started: threading.Event = field(default_factory=threading.Event)


class LivePages:
    """The registry of open live pages and the thread that keeps them current."""

    def __init__(
        self,
        store_path: Path,
        sessions: Sessions,
        *,
        max_in_flight: int = MAX_IN_FLIGHT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store_path = store_path
        self.sessions = sessions
        self.max_in_flight = max_in_flight
        self.clock = clock
        self._watches: dict[str, _Watch] = {}
        self._in_flight: dict[str, _InFlight] = {}
        self._warmed: set[tuple[int, int, Hashable]] = set()
        self._warmed_together: tuple[int, int] | None = None  # (version, minute) of the last pass over every page
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.reruns_requested = 0
        self._open: Store | None = None

    # -- what pages call ------------------------------------------------------
    def watch(
        self,
        session_id: str,
        version: int,
        *,
        warm: Callable[[], object] | None = None,
        warm_key: Hashable | None = None,
        warm_many: Callable[[list[Hashable]], object] | None = None,
        fragment_id: str | None = None,
    ) -> None:
        """Record that `session_id` is drawing `version` now.

        `warm_many`, given many pages' `warm_key`s, builds all their views in
        one pass; pages whose `warm_many` are equal are built together. With a
        `fragment_id`, the page is brought up to date by rerunning only that
        fragment (everything the page shows from the data is inside it).
        """
        with self._lock:
            self._watches[session_id] = _Watch(version, self.clock(), warm, warm_key, warm_many, fragment_id)
        self._wake.set()

    def forget(self, session_id: str) -> None:
        with self._lock:
            self._watches.pop(session_id, None)

    def open_pages(self) -> int:
        with self._lock:
            for sid in [sid for sid in self._watches if not self.sessions.is_open(sid)]:
                del self._watches[sid]
            return len(self._watches)

    # -- the pusher thread ----------------------------------------------------
    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="live-pages", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self) -> None:
        version = self._current_version()
        while not self._stop.is_set():
            try:
                version = self._wait_for_work(version)
                self.step(version)
            except Exception:  # the pusher must outlive any one bad page or a restore mid-step
                log.exception("live pages: a refresh step failed")
                self._stop.wait(_IDLE_WAIT_S)

    def _store(self) -> Store:
        """The process's store for our path; kept between ticks (finding it resolves the path on disk)."""
        store = self._open
        if store is None or store.closed:
            store = self._open = open_store(self.store_path)
        return store

    def _current_version(self) -> int:
        return self._store().data_version()

    def _wait_for_work(self, version: int) -> int:
        if self._has_work(version):
            self._stop.wait(_TICK_S)
            return self._current_version()
        new = self._store().wait_for_change(version, _IDLE_WAIT_S)
        self._wake.clear()
        return new

    def _has_work(self, version: int) -> bool:
        with self._lock:
            return bool(self._in_flight) or bool(self._due(version))

    # -- one step: reap finished runs, start the next few -----------------------
    def step(self, version: int) -> None:
        """Start reruns for pages behind `version`, up to the in-flight limit."""
        now = self.clock()
        self._reap(now)
        self._warm_together(version)
        while True:
            with self._lock:
                if len(self._in_flight) >= self.max_in_flight:
                    return
                due = [sid for sid in self._due(version) if sid not in self._in_flight]
                ready = next((sid for sid in due if not self.sessions.is_busy(sid)), None)
                if ready is None:
                    return
                watch = self._watches[ready]
                flight = self._in_flight[ready] = _InFlight(now)
            self._warm(version, watch)
            self.reruns_requested += 1
            self.sessions.rerun(ready, flight.started, watch.fragment_id)

    def _due(self, version: int) -> list[str]:
        """Pages behind the data; closed ones among them are dropped. Lock held.

        Runs on every tick of a fan-out: the version is compared first, so only
        pages still behind are looked up in the server.
        """
        due = []
        for sid, watch in list(self._watches.items()):
            if watch.version >= version:
                continue
            if self.sessions.is_open(sid):
                due.append(sid)
            else:
                del self._watches[sid]
        return due

    def _reap(self, now: float) -> None:
        with self._lock:
            for sid, flight in list(self._in_flight.items()):
                finished = flight.started.is_set() and not self.sessions.is_busy(sid)
                if finished or now - flight.requested_at > _STUCK_S:
                    del self._in_flight[sid]
                    watch = self._watches.get(sid)
                    if finished and watch is not None and watch.drawn_at < flight.requested_at:
                        # The run ended without the page watching again: it moved to
                        # a page that is not live (or failed early). Stop chasing it.
                        del self._watches[sid]

    def _warm_together(self, version: int) -> None:
        """Once per version (and minute), build the views of every page behind it in as few passes as possible.

        A page's own view then costs it a lookup. Pages that fall behind later
        (a run in flight at the commit), and views of a minute the pass did not
        see, are built one by one in `_warm`.
        """
        minute = int(time.time() // 60)
        if self._warmed_together == (version, minute):
            return
        self._warmed_together = (version, minute)
        with self._lock:
            due = [self._watches[sid] for sid in self._due(version)]
        groups: dict[Callable[[list[Hashable]], object], list[Hashable]] = {}
        for watch in due:
            if watch.warm_many is None or watch.warm_key is None or (version, minute, watch.warm_key) in self._warmed:
                continue
            groups.setdefault(watch.warm_many, []).append(watch.warm_key)
        for build, keys in groups.items():
            keys = list(dict.fromkeys(keys))
            if len(keys) < 2:
                continue  # one view: the page's own `warm` builds it
            try:
                build(keys)
            except Exception:  # each page's own warm (and run) will try again, and show any error
                log.debug("live pages: building views together failed", exc_info=True)
                continue
            self._remember_warmed([(version, minute, key) for key in keys])

    def _remember_warmed(self, keys: list[tuple[int, int, Hashable]]) -> None:
        if len(self._warmed) > 100_000:
            self._warmed.clear()
        self._warmed.update(keys)

    def _warm(self, version: int, watch: _Watch) -> None:
        """Build the page's view for the new version once, before the page is told."""
        if watch.warm is None:
            return
        key = (version, int(time.time() // 60), watch.warm_key)
        if watch.warm_key is not None and key in self._warmed:
            return
        try:
            watch.warm()
        except Exception:  # the page's own run will show the error, with context
            log.debug("live pages: warming a view failed", exc_info=True)
        if watch.warm_key is not None:
            self._remember_warmed([key])


class StreamlitSessions:
    """`Sessions` over the running Streamlit server."""

    def _session(self, session_id: str) -> AppSession | None:
        from streamlit.runtime import Runtime

        if not Runtime.exists():
            return None
        runtime = Runtime.instance()
        if not runtime.is_active_session(session_id):
            return None
        return runtime.get_app_session(session_id)

    def is_open(self, session_id: str) -> bool:
        return self._session(session_id) is not None

    def is_busy(self, session_id: str) -> bool:
        from streamlit.runtime.app_session import AppSessionState

        session = self._session(session_id)
        if session is None:
            return False
        # A runner that is still shutting down counts: a new request would
        # replace it, and Streamlit then drops the old run's last messages.
        return session._state == AppSessionState.APP_IS_RUNNING or session._scriptrunner is not None

    def rerun(self, session_id: str, started: threading.Event, fragment_id: str | None = None) -> None:
        from streamlit.proto.ClientState_pb2 import ClientState
        from streamlit.runtime import Runtime

        session = self._session(session_id)
        if session is None:
            started.set()
            return

        def _request() -> None:
            try:
                # The page's own last client state: its query string, widgets and page,
                # exactly what its browser would send; a whole run unless the page
                # keeps its data in one fragment. (Its last request may have been a
                # timer's: that fragment is not what needs redrawing.)
                state = ClientState()
                state.CopyFrom(session._client_state)
                state.fragment_id = fragment_id or ""
                state.is_auto_rerun = False
                session.request_rerun(state)
            finally:
                started.set()

        Runtime.instance()._get_async_objs().eventloop.call_soon_threadsafe(_request)


_live: LivePages | None = None
_live_lock = threading.Lock()


def live_pages(store_path: Path) -> LivePages:
    """The process's live-pages registry for the database at `store_path`, started."""
    global _live
    with _live_lock:
        if _live is None or _live.store_path != store_path:
            if _live is not None:
                _live.stop()
            _live = LivePages(store_path, StreamlitSessions())
            _live.start()
        return _live


def current_live_pages() -> LivePages | None:
    """The running registry, if the server started one (never starts it)."""
    return _live


def stop_live_pages() -> None:
    global _live
    with _live_lock:
        if _live is not None:
            _live.stop()
            _live = None
