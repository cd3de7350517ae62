"""Streamlit glue shared by every page: the store, the manager gate, live refresh, formatting.

This is the only module under scorecard/ that imports streamlit; the core never draws UI.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from datetime import datetime
from pathlib import Path

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from scorecard import auth, charts, scores, server_life, viewcache, views
from scorecard.calendar import parse_as_of
from scorecard.catalog import Metric
from scorecard.live import live_pages
from scorecard.settings import TeamSettings
from scorecard.store import Store, default_db_path, open_store

UNLOCKED_KEY = "manager_unlocked"


# -- routing ----------------------------------------------------------------
APP_SCRIPT = Path(__file__).resolve().parent.parent / "app.py"


def ensure_router() -> None:
    """Send a page that was started without app.py through app.py, then stop.

    Streamlit treats a `pages/` folder beside the main script as legacy
    multipage mode until the first `st.navigation` call of the process. Until
    then a deep link such as /team runs pages/team.py alone: no page config,
    no shared sidebar, no inbox watcher. Running the router here renders the
    page properly (the nested run sees navigation in place and passes).
    """
    from streamlit.runtime.pages_manager import PagesManager

    if not PagesManager.uses_pages_directory:
        return
    code = compile(APP_SCRIPT.read_text(encoding="utf-8"), str(APP_SCRIPT), "exec")
    exec(code, {"__name__": "__main__", "__file__": str(APP_SCRIPT)})
    st.stop()


# -- the store and paths ---------------------------------------------------
def status_edge_css(key_prefix: str, width_px: int = 8) -> str:
    """CSS rules giving containers keyed `<key_prefix>-<status>-…` a status-coloured left edge.

    Built only from our own constants (the palette in `charts`), never from data.
    """
    return "".join(
        f'div[class*="st-key-{key_prefix}-{status}-"] {{ border-left: {width_px}px solid {color} !important; }}'
        for status, color in charts.STATUS_COLORS.items()
    )


def reps_below_pace_text(m: scores.TeamMetric) -> str:
    """'8 of 10 reps below pace · 4 behind': the counts the team-gap rule uses."""
    text = f"{m.reps_below_pace} of {m.reps_expected} reps below pace"
    return text + (f" · {m.reps_behind} behind" if m.reps_behind else "")


def get_store() -> Store:
    """The process-wide store for `$SCORECARD_DB` (else data/scorecard.duckdb).

    Every page asks for the store first, so this is also where a page started
    without the router is sent through it (see `ensure_router`).
    """
    ensure_router()
    # The store module keeps one store per file per process; asking it every
    # time (instead of caching here) means a restore's reopened store is used.
    return open_store(default_db_path())


data_dir = server_life.data_dir
inbox_dir = server_life.inbox_dir


# -- caching keyed on the data version, and live refresh -----------------------
cached = viewcache.cached


REFRESH_S = 600.0


def live(
    store: Store | None = None,
    *,
    warm: Callable[[], object] | None = None,
    warm_key: Hashable | None = None,
    follows_clock: bool = True,
) -> int:
    """Keep this page current; returns the data version it draws.

    New data: the server reruns the page when a commit lands (see
    `scorecard.live`), so an open page costs nothing while nothing changes.
    `warm` builds what the page shows; after a commit it runs once per
    `warm_key`, before any page showing it is told.

    The clock: a page that follows it ("this week, live") redraws itself every
    ten minutes, so pace keeps moving through the day. The same slow timer makes
    a tab that reconnects to a restarted server ask for a fresh run (Streamlit's
    frontend only does that for pages with a timer), which registers it with the
    new server.
    """
    target = store or get_store()
    version = target.data_version()
    ctx = get_script_run_ctx()
    if ctx is not None and Runtime.exists():
        live_pages(target.path.resolve()).watch(ctx.session_id, version, warm=warm, warm_key=warm_key)
    _clock_fragment(follows_clock)
    return version


def _redraw_for_the_clock(follows_clock: bool) -> None:
    ctx = get_script_run_ctx()
    # The body also runs inside every full run, where a rerun would loop: only the timer's own run redraws.
    if follows_clock and ctx is not None and ctx.fragment_ids_this_run:
        st.rerun(scope="app")


_clock_fragment = st.fragment(_redraw_for_the_clock, run_every=REFRESH_S)


# -- the manager gate ---------------------------------------------------------
def is_manager() -> bool:
    return bool(st.session_state.get(UNLOCKED_KEY, False))


def _passcode_form(key: str) -> None:
    with st.form(key, clear_on_submit=True, border=False):
        given = st.text_input("Manager passcode", type="password", key=f"{key}_input", autocomplete="current-password")
        if st.form_submit_button("Unlock"):
            if auth.check_passcode(given, auth.manager_passcode(data_dir())):
                st.session_state[UNLOCKED_KEY] = True
                st.rerun()
            else:
                time.sleep(0.4)  # slows guessing without bothering a person
                st.error("That passcode is not right. Ask whoever runs the app; it is printed on the server console.")


def manager_gate(*, show_form: bool = True) -> bool:
    """The sidebar's manager block: a lock button when unlocked, else the passcode form."""
    with st.sidebar:
        if is_manager():
            st.caption(":material/lock_open: Manager mode is on")
            if st.button("Lock manager pages", key="manager_lock"):
                st.session_state[UNLOCKED_KEY] = False
                st.rerun()
            return True
        if show_form:
            with st.expander("Manager sign-in", icon=":material/lock:"):
                _passcode_form("manager_gate_sidebar")
    return False


def require_manager() -> None:
    """Stop the page with a clear message (and the passcode form) unless unlocked."""
    if is_manager():
        return
    st.info("This page is for managers. Enter the manager passcode to continue; rep scorecards stay open to everyone.", icon=":material/lock:")
    _passcode_form("manager_gate_page")
    st.stop()


# -- time and query parameters ----------------------------------------------
def now_minute(settings: TeamSettings) -> datetime:
    """Team-local now, to the minute: pace moves slowly, and caches then hold for a minute."""
    return views.now_minute(settings)


def query_as_of(settings: TeamSettings) -> tuple[datetime, bool]:
    """`?as_of=` as a team-local moment (or now); the flag says whether it was given."""
    raw = st.query_params.get("as_of")
    if raw:
        try:
            return parse_as_of(raw, settings), True
        except ValueError:
            st.warning(f"Ignoring as_of={raw!r}: use an ISO date or date-time such as 2026-11-20 or 2026-11-20T14:30.")
    return now_minute(settings), False


# -- text --------------------------------------------------------------------
def freshness_text(store: Store, now_utc: datetime | None = None) -> str:
    return views.freshness(store, now_utc)


def freshness_line(store: Store) -> None:
    """'Data through Fri Nov 20, 16:40 · uploaded 2 h ago' as a caption."""
    st.caption(f":material/schedule: {escape_md(freshness_text(store))}")


def page_header(title: str, subtitle: str | None = None) -> None:
    st.title(title)
    if subtitle:
        st.caption(subtitle)


def fmt_number(value: float | None, *, decimals: int = 0) -> str:
    if value is None:
        return "–"
    if decimals == 0 or float(value).is_integer():
        return f"{round(value):,}"
    return f"{value:,.{decimals}f}"


def fmt_pct(ratio: float | None) -> str:
    """0.634 → '63%'; None → '–' (pace not defined yet)."""
    return "–" if ratio is None else f"{ratio * 100:.0f}%"


def fmt_money(value: float | None, currency: str = "$") -> str:
    if value is None:
        return "–"
    sign = "-" if value < 0 else ""
    if abs(value) >= 1_000_000:
        return f"{sign}{currency}{abs(value) / 1_000_000:.1f}M"
    return f"{sign}{currency}{abs(value):,.0f}"


def fmt_metric(value: float | None, metric: Metric, currency: str = "$") -> str:
    """A metric value in its unit: '5 meetings', '$12,400'."""
    if value is None:
        return "–"
    if metric.measure == "amount":
        return fmt_money(value, currency)
    return metric.units(round(value, 1))


def fmt_value(value: float | None, metric: Metric, currency: str = "$") -> str:
    """The big number on a card: '5' or '$12,400' (the unit goes in the label)."""
    if metric.measure == "amount":
        return fmt_money(value, currency)
    return fmt_number(value, decimals=1)


def status_icon(status: str | None) -> str:
    """A shape as well as a colour, so status never relies on colour alone (Material icons ship with Streamlit)."""
    return STATUS_ICONS.get(status or "", ":material/remove:")


STATUS_ICONS = {"on_pace": ":material/check_circle:", "at_risk": ":material/warning:", "behind": ":material/arrow_downward:"}


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()#+-.!|<>~$:&"})


def escape_md(text: object) -> str:
    """Text from uploads inside a markdown-rendering element (st.error, labels) shown literally."""
    return str(text).translate(_MD_SPECIAL)
