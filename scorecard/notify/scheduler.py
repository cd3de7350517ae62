"""The server's digest scheduler: one thread sweeping the outbox every half minute.

Started and stopped with the server (scorecard.server_life). Everything it
knows is in the database, so a restart picks up where it left off. The same
thread checks whether a DuckLake's storage maintenance is due
(scorecard.maintenance), so every replica's background work has one home.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from scorecard import maintenance
from scorecard.notify.outbox import sweep
from scorecard.store import open_store

log = logging.getLogger(__name__)

INTERVAL_S = float(os.environ.get("SCORECARD_SCHEDULER_INTERVAL", "30"))


class Scheduler:
    def __init__(self, store_path: Path, interval_s: float = INTERVAL_S) -> None:
        self.store_path = store_path
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="digest-scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 20.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                store = open_store(self.store_path)  # reopened after a restore
                planned, sent, failed = sweep(store)
                if planned or sent or failed:
                    log.info("digests: %s planned, %s sent, %s failed (will retry)", planned, sent, failed)
            except Exception:  # the next sweep may succeed: never let the thread die
                log.exception("digests: a sweep failed")
            try:
                maintenance.run_if_due(open_store(self.store_path))
            except Exception:  # tried again at the next pass; the data is untouched by a failed run
                log.exception("maintenance: a run failed")
            self._stop.wait(self.interval_s)


_scheduler: Scheduler | None = None
_lock = threading.Lock()


def start_scheduler(store_path: Path) -> Scheduler:
    global _scheduler
    with _lock:
        if _scheduler is None or _scheduler.store_path != store_path:
            if _scheduler is not None:
                _scheduler.stop()
            _scheduler = Scheduler(store_path)
            _scheduler.start()
        return _scheduler


def stop_scheduler() -> None:
    global _scheduler
    with _lock:
        if _scheduler is not None:
            _scheduler.stop()
            _scheduler = None
