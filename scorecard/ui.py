"""Streamlit glue shared by every page: the store, the manager gate, live refresh, formatting.

This is the only module under scorecard/ that imports streamlit; the core never draws UI.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from datetime import datetime
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitAuthError
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.scriptrunner_utils.script_run_context import ThreadState

from scorecard import auth, charts, links, scores, server_life, viewcache, views
from scorecard import text as text_
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
    warm_many: Callable[[list[Hashable]], object] | None = None,
    follows_clock: bool = True,
) -> int:
    """Keep this page current; returns the data version it draws.

    New data: the server reruns the page when a commit lands (see
    `scorecard.live`), so an open page costs nothing while nothing changes.
    `warm` builds what the page shows; after a commit it runs once per
    `warm_key`, before any page showing it is told. `warm_many` builds many
    pages' views in one pass (see `LivePages.watch`).

    Called inside a fragment (`st.fragment`) that holds everything that
    depends on the data, the page is redrawn by rerunning just that fragment:
    the router and the sidebar around it are not sent again. Such a page must
    show its own freshness line (the sidebar's would go stale); see app.py.

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
        live_pages(target.path).watch(
            ctx.session_id,
            version,
            warm=warm,
            warm_key=warm_key,
            warm_many=warm_many,
            fragment_id=_fragment_id(),
        )
    _clock_fragment(follows_clock)
    return version


def _fragment_id() -> str | None:
    """The fragment running this code, if any (Streamlit keeps it in its per-thread run state)."""
    try:
        return ThreadState.get().fragment_id
    except RuntimeError:  # outside a script run
        return None


def _redraw_for_the_clock(follows_clock: bool) -> None:
    ctx = get_script_run_ctx()
    # The body also runs inside every full run, and inside every redraw of a
    # fragment holding it, where a rerun would loop: only the timer's own run redraws.
    if follows_clock and ctx is not None and ctx.fragment_ids_this_run and _fragment_id() in ctx.fragment_ids_this_run:
        st.rerun(scope="app")


_clock_fragment = st.fragment(_redraw_for_the_clock, run_every=REFRESH_S)


# -- the manager gate ---------------------------------------------------------
_SIGNED_OUT_KEY = "_manager_signed_out"
_COOKIE_PENDING_KEY = "_manager_cookie_pending"
_COOKIE_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def client_id() -> str:
    """Who is guessing, for the sign-in throttle: the browser's address, also behind nginx (auth.client_address)."""
    try:
        address, forwarded = st.context.ip_address, st.context.headers.get("X-Forwarded-For")
    except Exception:  # outside a browser session
        return "local"
    peer = address if isinstance(address, str) and address else None
    return auth.client_address(peer, forwarded if isinstance(forwarded, str) else None, auth.trusted_proxies())


def request_cookies() -> dict[str, str]:
    """Cookies the browser sent when this session connected."""
    try:
        cookies = dict(st.context.cookies)
    except Exception:
        return {}
    return {str(k): v for k, v in cookies.items() if isinstance(v, str)}


def _passcode() -> str:
    return auth.manager_passcode(data_dir())


def _secret() -> bytes:
    return auth.server_secret(data_dir())


def _secrets_value(key: str) -> Any:
    try:
        return st.secrets.get(key)
    except Exception:  # no secrets.toml at all
        return None


def oidc_configured() -> bool:
    """True when `[auth]` is set in .streamlit/secrets.toml: managers may sign in with st.login."""
    return bool(_secrets_value("auth"))


def _manager_emails() -> set[str]:
    raw = _secrets_value("manager_emails") or []
    values = [raw] if isinstance(raw, str) else list(raw)
    return {str(v).strip().lower() for v in values if str(v).strip()}


def _oidc_manager() -> bool:
    """Signed in through the identity provider with an address listed in `manager_emails`."""
    if not oidc_configured() or not st.user.get("is_logged_in"):
        return False
    email = str(st.user.get("email") or "").strip().lower()
    return bool(email) and email in _manager_emails() and st.user.get("email_verified") is not False


def _cookie_manager() -> bool:
    token = request_cookies().get(auth.SESSION_COOKIE)
    return bool(token) and auth.session_valid(token, _secret(), _passcode(), time.time())


def is_manager() -> bool:
    """Unlocked in this session, or carrying a valid signed cookie, or signed in as a listed manager."""
    if st.session_state.get(UNLOCKED_KEY, False):
        return True
    if st.session_state.get(_SIGNED_OUT_KEY, False):
        return False
    if _oidc_manager() or _cookie_manager():
        st.session_state[UNLOCKED_KEY] = True
        return True
    return False


def _cookie_script(value: str, max_age: int) -> str:
    """JavaScript that sets (or, with max_age 0, drops) the manager cookie in this browser.

    Streamlit can read cookies but not set them, so the page sets it. The value
    is our own signed token (checked to be cookie-safe), never user text.
    """
    if not set(value) <= _COOKIE_SAFE:
        raise ValueError("a manager cookie value must be a signed token")
    cookie = f"{auth.SESSION_COOKIE}={value}; Path=/; Max-Age={max_age}; SameSite=Strict"
    return f"<script>document.cookie = '{cookie}' + (location.protocol === 'https:' ? '; Secure' : '');</script>"


def _emit_pending_cookie() -> None:
    pending = st.session_state.pop(_COOKIE_PENDING_KEY, None)
    if pending is not None:
        value, max_age = pending
        st.html(_cookie_script(value, max_age), unsafe_allow_javascript=True, width="content")


def _wait_text(seconds: float) -> str:
    return f"{seconds:.0f} seconds" if seconds < 90 else f"{seconds / 60:.0f} minutes"


def _passcode_form(key: str) -> None:
    with st.form(key, clear_on_submit=True, border=False):
        given = st.text_input("Manager passcode", type="password", key=f"{key}_input", autocomplete="current-password")
        if st.form_submit_button("Unlock"):
            passcode = _passcode()
            attempt = auth.THROTTLE.attempt(client_id(), given, passcode, time.time())
            if attempt.ok:
                st.session_state[UNLOCKED_KEY] = True
                st.session_state.pop(_SIGNED_OUT_KEY, None)
                token = auth.session_token(_secret(), passcode, time.time())
                st.session_state[_COOKIE_PENDING_KEY] = (token, auth.SESSION_SECONDS)
                st.rerun()
            elif attempt.wait_s > 0:
                st.error(
                    f"Too many wrong passcodes. Sign-in is paused for {_wait_text(attempt.wait_s)}; "
                    "nothing you enter is checked until then."
                )
            else:
                st.error(
                    "That passcode is not right. Ask whoever runs the app: it is set on the server "
                    "(the server console says where it is kept)."
                )


def _sign_out() -> None:
    token = request_cookies().get(auth.SESSION_COOKIE)
    if token:
        auth.revoke_session(token)
    st.session_state[UNLOCKED_KEY] = False
    st.session_state[_SIGNED_OUT_KEY] = True
    st.session_state[_COOKIE_PENDING_KEY] = ("", 0)


def _oidc_block() -> None:
    if not oidc_configured():
        return
    if st.user.get("is_logged_in"):
        st.caption(escape_md(f"Signed in as {st.user.get('email') or st.user.get('name') or 'unknown'}; not a listed manager."))
        if st.button("Sign out", key="oidc_logout"):
            st.logout()
    elif st.button("Sign in with your company account", key="oidc_login", icon=":material/login:"):
        try:
            st.login()
        except StreamlitAuthError as exc:
            st.error(
                "Company sign-in is configured in .streamlit/secrets.toml but cannot start: "
                f"{escape_md(exc)} (it needs the Authlib package: pip install Authlib)."
            )


def manager_gate(*, show_form: bool = True) -> bool:
    """The sidebar's manager block: a lock button when unlocked, else the sign-in form."""
    with st.sidebar:
        _emit_pending_cookie()
        if is_manager():
            st.caption(":material/lock_open: Manager mode is on")
            if st.button("Lock manager pages", key="manager_lock"):
                _sign_out()
                if _oidc_manager():
                    st.logout()
                st.rerun()
            return True
        if show_form:
            with st.expander("Manager sign-in", icon=":material/lock:"):
                _oidc_block()
                _passcode_form("manager_gate_sidebar")
    return False


def require_manager() -> None:
    """Stop the page with a clear message (and the sign-in form) unless unlocked."""
    if is_manager():
        return
    st.info("This page is for managers. Enter the manager passcode to continue; rep scorecards stay open to everyone.", icon=":material/lock:")
    _oidc_block()
    _passcode_form("manager_gate_page")
    st.stop()


def rep_link_gate(store: Store, settings: TeamSettings, slug: str) -> bool:
    """With private links on, only a rep's current link (or a manager) opens a scorecard.

    Returns False after telling the visitor to use their link; nothing else is
    shown then, not even the list of names.
    """
    if not settings.private_links or is_manager():
        return True
    token = st.query_params.get(links.TOKEN_PARAM)
    if slug and links.token_ok(store, slug, token):
        return True
    page_header("My scorecard")
    st.info(
        "Scorecards open from each rep's personal link. Ask your manager for yours; an old link stops working "
        "when the manager makes a new one.",
        icon=":material/link:",
    )
    return False


def my_link(store: Store, settings: TeamSettings, slug: str) -> str:
    """The link a rep bookmarks: with their current token when links are private."""
    base = (st.context.url or "").split("?")[0].rstrip("/")
    if not settings.private_links:
        return links.rep_link(base, slug, None)
    row = store.fetchone("SELECT rep_id FROM reps WHERE slug = ?", [slug])
    return links.rep_link(base, slug, links.rep_token(store, int(row[0])) if row else None)


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


def escape_md(text: object) -> str:
    """Text from uploads inside a markdown-rendering element (st.error, labels) shown literally."""
    return text_.escape_md(text)


def plain(text: object) -> str:
    """Text from uploads for plain-text elements (st.text, st.code): one line, no bidi overrides."""
    return text_.plain(text)
