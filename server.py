"""Team Scorecard: the server. One process, one port: the Streamlit app plus its lifespan.

`streamlit run server.py` (what `make run` does) serves `app.py` through `st.App`,
so the work every page relies on starts with the server, not with the first
page view: imports are warm, the store is open, the inbox is watched and open
pages are told about new data.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import streamlit as st

from scorecard import server_life

ROUTER = Path(__file__).resolve().parent / "app.py"


@asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[dict[str, Any]]:
    services = server_life.start()
    try:
        yield {"services": services}
    finally:
        server_life.stop(services)


app = st.App(ROUTER, lifespan=lifespan, routes=server_life.routes())
