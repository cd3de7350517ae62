"""What the server starts before the first page view, and stops at shutdown.

Kept apart from `server.py` so the same start-up runs when the router is served
without the lifespan (`streamlit run app.py`): then the router calls `start()`
on its first run, and every step here is idempotent.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

_started: Services | None = None
_lock = threading.Lock()


@dataclass
class Services:
    """Handles on what runs in the background of this process."""

    threads: list[threading.Thread] = field(default_factory=list)


def start() -> Services:
    """Warm imports, open the store, watch the inbox; once per process."""
    global _started
    with _lock:
        if _started is not None:
            return _started
        _started = Services()
        return _started


def stop(services: Services) -> None:
    """Stop background work (nothing to stop yet)."""


def routes() -> list[Any]:
    """Extra HTTP routes mounted beside the app (none yet)."""
    return []
