"""What the server starts before the first page view, and stops at shutdown.

`server.py` runs `start()` in its lifespan, so a restarted server imports
everything, opens the store, watches the inbox and keeps open pages live
before anyone opens a page. The router also calls `start()` on every run, so
the same holds when the router is served without the lifespan
(`streamlit run app.py`); every step is idempotent and cheap once done.

When the server mounts the HTTP routes (server.py), `start()` also writes the
server file beside a database file, so the command line can send its commands
to this process while it holds the file; `stop()` removes it
(scorecard/serverfile.py, docs/api.md). A DuckLake gets none: no process holds
it, every replica and the command line open it alike (docs/scale-out.md).
"""

from __future__ import annotations

import gc
import importlib
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scorecard import auth, maintenance, serverfile
from scorecard.inbox import start_inbox_watcher, stop_inbox_watcher
from scorecard.live import LivePages, live_pages, stop_live_pages
from scorecard.notify.scheduler import Scheduler, start_scheduler, stop_scheduler
from scorecard.store import DEFAULT_DB, home_dir, open_store, resolve_location

log = logging.getLogger(__name__)

# Imported in the main thread before any page runs: pages importing them for
# the first time from many script threads at once saw half-initialised modules.
_WARM_IMPORTS = (
    "pandas",
    "pyarrow",
    "altair",
    "polars",
    "scorecard.charts",
    "scorecard.contests",
    "scorecard.scores",
    "scorecard.views",
    "scorecard.ui",
)

# A page run allocates many short-lived objects; collecting the youngest
# generation less often, with everything from start-up frozen out of the
# collector's way, keeps the collector's share small without turning it off.
_GC_THRESHOLDS = (50_000, 20, 100)


@dataclass
class Services:
    """Handles on what this process runs in the background."""

    store_path: Path
    inbox: Path | None
    live: LivePages | None  # None outside a running server (page tests)
    scheduler: Scheduler | None = None  # digests and alerts; only in a running server


_started: Services | None = None
_lock = threading.Lock()
_routes_mounted = False  # set by routes(): only then does this process answer the command line


def inbox_dir() -> Path | None:
    """`$SCORECARD_INBOX`, else data/inbox/ beside the shipped defaults; None when set to `off`."""
    env = os.environ.get("SCORECARD_INBOX", "").strip()
    if env.lower() == "off":
        return None
    return Path(env).resolve() if env else DEFAULT_DB.parent / "inbox"


def data_dir() -> Path:
    """Where the database lives (a lake: beside its catalog, or its shared data folder); the generated passcode sits there."""
    return home_dir()


def start() -> Services:
    """Warm imports, open the store, announce the passcode, watch the inbox, keep pages live, schedule digests."""
    global _started
    wanted = (resolve_location(), inbox_dir())
    with _lock:
        if _started is not None and (_started.store_path, _started.inbox) == wanted:
            return _started
        if _started is not None:
            _stop(_started)
        for name in _WARM_IMPORTS:
            importlib.import_module(name)
        maintenance.every()  # a bad setting stops the start, with its message
        store = open_store(wanted[0])
        auth.manager_passcode(data_dir())
        if wanted[1] is not None:
            start_inbox_watcher(store, wanted[1])
        serving = _serving()
        live = live_pages(store.path) if serving else None
        scheduler = start_scheduler(store.path) if serving else None
        # Only a file is held by one process; on a lake the command line opens the lake itself.
        if serving and _routes_mounted and not store.is_lake:
            _publish(store.path)
        if serving and _started is None:
            _tune_gc()
        _started = Services(store.path, wanted[1], live, scheduler)
        log.info("server ready: %s, inbox %s", store.path, wanted[1] or "off")
        return _started


def stop(services: Services | None = None) -> None:
    """Stop the background work started by `start()`."""
    global _started
    with _lock:
        services = services or _started
        if services is not None:
            _stop(services)
        _started = None


def _stop(services: Services) -> None:
    serverfile.withdraw(services.store_path)
    if services.inbox is not None:
        stop_inbox_watcher(services.inbox)
    if services.live is not None:
        stop_live_pages()
    if services.scheduler is not None:
        stop_scheduler()


def _serving() -> bool:
    """True inside a running Streamlit server (not in page tests, which have no browser to push to)."""
    from streamlit.runtime import Runtime

    return Runtime.exists()


def _tune_gc() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*_GC_THRESHOLDS)


def routes() -> list[Any]:
    """HTTP routes mounted beside the app: the API under /api/v1, webhooks, /healthz and /metrics."""
    global _routes_mounted
    from scorecard import api

    _routes_mounted = True
    return list(api.routes())


def local_endpoint() -> str:
    """The command endpoint's address as seen from this machine, from the server's own settings.

    The routes are mounted at the root, beside (not under) `server.baseUrlPath`. A server
    listening on every address is reached on the loopback one.
    """
    from streamlit import config

    from scorecard.cli.remote import ENDPOINT

    address = str(config.get_option("server.address") or "").strip()
    port = int(config.get_option("server.port"))
    scheme = "https" if config.get_option("server.sslCertFile") else "http"
    host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(address, address)
    netloc = f"[{host}]" if ":" in host else host
    return f"{scheme}://{netloc}:{port}{ENDPOINT}"


def _publish(db: Path) -> None:
    try:
        info = serverfile.publish(db, local_endpoint())
    except OSError as exc:  # the app still serves; only the command line cannot reach it
        log.warning("could not write the server file beside %s (%s); the command line will not reach this app", db, exc)
        return
    log.info("command line: %s answers while this app holds %s", info.url, db)
