"""A browser tab without the browser: Streamlit's websocket protocol, spoken as its frontend speaks it.

`PageClient` does what the frontend does for a fresh tab: GET the page, GET
`/_stcore/health` (which sets the `_streamlit_xsrf` cookie) and
`/_stcore/host-config`, open `/_stcore/stream` with the subprotocols
`["streamlit", <xsrf token>]`, send one `rerun_script`, then read ForwardMsgs
for as long as the tab stays open. Like the frontend it

- registers each widget's value when the widget mounts (its default, or the
  value the server set), so every later rerun it sends carries them, and drops
  the values of widgets that a finished run no longer drew;
- keeps the ForwardMsg cache: cacheable messages are stored by hash, `ref_hash`
  messages are answered from it, entries age out after `max_cached_message_age`
  runs, and every rerun request lists the hashes it holds;
- honours `auto_rerun` (fragments with `run_every`) with a timer per fragment;
- keeps the element tree by delta path and clears what a finished run left stale.

It sends nothing else: no heartbeats (the frontend sends those only when an
embedding host asks) and no websocket pings (browsers do not send them).
Everything it observes is timed with `time.perf_counter()`.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin, Subprotocol

XSRF_COOKIE = "_streamlit_xsrf"
SUCCESS = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)
# Elements that carry the page's words: titles and headers, markdown and captions.
TEXT_ELEMENTS = ("heading", "markdown")
_MD_ESCAPE = re.compile(r"\\(.)")

Clock = Callable[[], float]


# -- plain HTTP, as the tab's first requests ---------------------------------------------------
@dataclass(frozen=True)
class HttpReply:
    status: int
    headers: list[tuple[str, str]]
    body_bytes: int

    def set_cookies(self) -> dict[str, str]:
        cookies = {}
        for name, value in self.headers:
            if name.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, val = pair.partition("=")
                cookies[key.strip()] = val.strip()
        return cookies


async def http_get(host: str, port: int, target: str, cookies: dict[str, str]) -> HttpReply:
    """One GET over its own connection; the body is read (as a browser would) but not kept."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        lines = [f"GET {target} HTTP/1.1", f"Host: {host}:{port}", "Accept: */*", "Connection: close"]
        if cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        await writer.drain()
        raw = await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = [(k.strip(), v.strip()) for k, _, v in (h.partition(":") for h in header_lines)]
    return HttpReply(int(status_line.split()[1]), headers, len(body))


# -- the frontend's state: widgets, cache, element tree -------------------------------------------
def _option_label(option: Any) -> str:
    """A button-group option as the frontend names it: icon and content."""
    return f"{option.content_icon} {option.content}".strip()


def mounted_value(element: Element) -> WidgetState | None:
    """The widget state the frontend registers when `element` mounts, or None for value-less widgets.

    Mirrors each widget's `getDefaultStateFromProto` / `getCurrStateFromProto`:
    the server-set value when `set_value` is true, else the default. A widget
    with no value (a selectbox with `index=None`) registers its id alone,
    which the server reads as None. Buttons and other trigger widgets hold
    nothing until clicked, so they register nothing.
    """
    kind = element.WhichOneof("type")
    if kind is None:
        return None
    w = getattr(element, kind)
    state = WidgetState(id=getattr(w, "id", ""))
    if not state.id:
        return None
    current = bool(getattr(w, "set_value", False))
    if kind in ("selectbox", "radio"):
        if current:
            if w.HasField("raw_value"):
                state.string_value = w.raw_value
        elif w.options and w.HasField("default"):
            state.string_value = w.options[w.default]
    elif kind == "multiselect":
        values = list(w.raw_values) if current else [w.options[i] for i in w.default]
        state.string_array_value.data.extend(values)
    elif kind == "button_group":
        values = (
            list(w.raw_values)
            if current
            else [_option_label(w.options[i]) for i in w.default if 0 <= i < len(w.options)]
        )
        state.string_array_value.data.extend(values)
    elif kind in ("text_input", "text_area"):
        source = "value" if current else "default"
        if w.HasField(source):
            state.string_value = getattr(w, source)
    elif kind == "checkbox":
        state.bool_value = w.value if current else w.default
    elif kind == "color_picker":
        state.string_value = w.value if current else w.default
    elif kind == "number_input":
        source = "value" if current and w.HasField("value") else "default"
        if w.HasField(source):
            if w.data_type == w.DataType.INT:
                state.int_value = int(getattr(w, source))
            else:
                state.double_value = getattr(w, source)
    elif kind == "slider":
        state.double_array_value.data.extend(w.value if current else w.default)
    else:
        return None
    return state


@dataclass
class Widgets:
    """The frontend's widget manager, reduced to what the server sees: one state per widget id."""

    states: dict[str, WidgetState] = field(default_factory=dict)
    fragment_of: dict[str, str] = field(default_factory=dict)
    seen_this_run: set[str] = field(default_factory=set)

    def mount(self, element: Element, fragment_id: str) -> None:
        state = mounted_value(element)
        if state is None:
            return
        self.seen_this_run.add(state.id)
        self.fragment_of[state.id] = fragment_id
        # A widget keeps the value it has; only a value set by the script replaces it.
        server_set = bool(getattr(getattr(element, element.WhichOneof("type") or ""), "set_value", False))
        if state.id not in self.states or server_set:
            self.states[state.id] = state

    def start_run(self) -> None:
        self.seen_this_run = set()

    def prune(self, fragment_ids: list[str]) -> None:
        """Forget widgets a finished run did not draw (for a fragment run: only that fragment's)."""
        for wid in list(self.states):
            in_scope = not fragment_ids or self.fragment_of.get(wid) in fragment_ids
            if in_scope and wid not in self.seen_this_run:
                del self.states[wid]
                self.fragment_of.pop(wid, None)

    def fill(self, client_state: ClientState) -> None:
        client_state.widget_states.SetInParent()  # present even when empty, as the frontend sends it
        client_state.widget_states.widgets.extend(self.states.values())


@dataclass
class _Cached:
    raw: bytes
    run_count: int
    fragment_id: str


@dataclass
class MessageCache:
    """The frontend's ForwardMsg cache (see `ForwardMessageCache` in Streamlit's frontend)."""

    entries: dict[str, _Cached] = field(default_factory=dict)
    run_count: int = 0
    misses: int = 0

    def resolve(self, msg: ForwardMsg, raw: bytes) -> ForwardMsg | None:
        """The message to act on: `msg` itself, or the cached one a `ref_hash` points at (None on a miss)."""
        if msg.WhichOneof("type") != "ref_hash":
            if msg.metadata.cacheable and msg.hash and self._touch(msg.hash) is None:
                self.entries[msg.hash] = _Cached(raw, self.run_count, msg.delta.fragment_id)
            return msg
        hit = self._touch(msg.ref_hash)
        if hit is None:
            self.misses += 1
            return None
        full = ForwardMsg()
        full.ParseFromString(hit.raw)
        full.metadata.CopyFrom(msg.metadata)  # the reference carries this use's delta path
        return full

    def _touch(self, key: str) -> _Cached | None:
        hit = self.entries.get(key)
        if hit is not None:
            hit.run_count = self.run_count
        return hit

    def finished_run(self, max_age: int, fragment_ids: list[str]) -> None:
        """Age entries after a finished run; a fragment run ages only that fragment's entries."""
        self.run_count += 1
        for key, entry in list(self.entries.items()):
            if fragment_ids and entry.fragment_id not in fragment_ids:
                continue
            if self.run_count - entry.run_count > max_age:
                del self.entries[key]

    def hashes(self) -> list[str]:
        return list(self.entries)


@dataclass
class Node:
    kind: str  # an element type ("metric", "heading"...) or "block"
    run_id: str
    fragment_id: str
    text: str = ""


def element_text(element: Element) -> str:
    """The words of a text element with markdown escapes removed ('' for other elements)."""
    kind = element.WhichOneof("type")
    if kind not in TEXT_ELEMENTS:
        return ""
    return _MD_ESCAPE.sub(r"\1", getattr(element, kind).body)


# -- one tab -----------------------------------------------------------------------------------
@dataclass
class PageEvents:
    """What one tab saw, for the benchmark to read. Times are `perf_counter()` seconds."""

    opened_at: float = 0.0
    first_finished_at: float | None = None
    name_seen_at: float | None = None
    metric_values: list[tuple[float, str]] = field(default_factory=list)  # the tracked metric, in arrival order
    finishes: list[tuple[float, int]] = field(default_factory=list)  # (time, ScriptFinishedStatus)
    exceptions: list[str] = field(default_factory=list)
    sent: list[float] = field(default_factory=list)
    received: list[float] = field(default_factory=list)
    disconnected: str | None = None

    @property
    def rendered_at(self) -> float | None:
        """When the first full run had finished and the expected name was on screen."""
        if self.first_finished_at is None or self.name_seen_at is None:
            return None
        return max(self.first_finished_at, self.name_seen_at)

    def bad_finishes(self) -> list[int]:
        return [status for _, status in self.finishes if status not in SUCCESS]


class PageClient:
    """One open tab on `/?<query>`; `open()` then `run()` until `close()`."""

    def __init__(
        self,
        host: str,
        port: int,
        query: str,
        *,
        expect_text: str | None = None,
        track_metric: str | None = None,
        timezone: str | None = None,
        record_frames: bool = False,
        clock: Clock = time.perf_counter,
    ) -> None:
        self.host, self.port, self.query = host, port, query
        self.expect_text = expect_text
        self.track_metric = track_metric
        self.timezone = timezone or local_timezone()
        self.clock = clock
        self.events = PageEvents()
        self.widgets = Widgets()
        self.cache = MessageCache()
        self.tree: dict[tuple[int, ...], Node] = {}
        self.cookies: dict[str, str] = {}
        self.page_script_hash = ""
        self.path = ""  # the URL path the frontend shows: "" on the default page, else the page's url_pathname
        self.max_cached_age = 2
        self._ws: ClientConnection | None = None
        self._run_id = ""
        self._run_fragments: list[str] = []
        self._new_session_since_rerun = False
        self._timers: dict[str, tuple[float, asyncio.Task[None]]] = {}
        self._closing = False
        # (time, "sent" | "received", payload) of every frame, for a side-by-side with a browser.
        self.frames: list[tuple[float, str, bytes]] | None = [] if record_frames else None

    # -- connecting --------------------------------------------------------------
    async def open(self) -> None:
        """The tab's first requests, the websocket, and its first rerun request."""
        self.events.opened_at = self.clock()
        await self._get("/" + (f"?{self.query}" if self.query else ""))
        await self._get("/_stcore/health")
        await self._get("/_stcore/host-config")
        token = self.cookies.get(XSRF_COOKIE, "")
        self._ws = await connect(
            f"ws://{self.host}:{self.port}/_stcore/stream",
            subprotocols=[Subprotocol("streamlit"), Subprotocol(token)],  # the xsrf token rides as a subprotocol
            origin=Origin(f"http://{self.host}:{self.port}"),
            additional_headers={"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())},
            max_size=None,  # browsers take any size; the server has its own limit
            ping_interval=None,  # browsers never ping; they answer the server's pings
            open_timeout=120,
        )
        await self._send_rerun()

    async def _get(self, target: str) -> None:
        reply = await http_get(self.host, self.port, target, self.cookies)
        if reply.status >= 400:
            raise ConnectionError(f"GET {target} answered {reply.status}")
        self.cookies.update(reply.set_cookies())

    def _context(self, client_state: ClientState) -> None:
        info = client_state.context_info
        info.timezone = self.timezone
        info.timezone_offset = _offset_minutes(self.timezone)
        info.locale = "en-US"
        info.url = f"http://{self.host}:{self.port}/{self.path}"  # the frontend drops the query and hash
        info.is_embedded = False
        info.color_scheme = "light"

    async def _send_rerun(self, fragment_id: str = "", *, auto: bool = False) -> None:
        back = BackMsg()
        cs = back.rerun_script
        cs.query_string = self.query
        cs.page_script_hash = self.page_script_hash  # "" on the first request: the server picks the page
        cs.page_name = ""
        cs.fragment_id = fragment_id
        cs.is_auto_rerun = auto
        self.widgets.fill(cs)
        cs.cached_message_hashes.extend(self.cache.hashes())
        self._context(cs)
        self._new_session_since_rerun = False
        await self._send(back)

    async def _send(self, back: BackMsg) -> None:
        if self._ws is None:
            return
        payload = back.SerializeToString()
        now = self.clock()
        self.events.sent.append(now)
        if self.frames is not None:
            self.frames.append((now, "sent", payload))
        await self._ws.send(payload)

    # -- reading -------------------------------------------------------------------
    async def run(self) -> None:
        """Read ForwardMsgs until the socket closes; a close we did not ask for is recorded."""
        if self._ws is None:
            raise RuntimeError("open() first")
        try:
            async for raw in self._ws:
                if isinstance(raw, bytes):
                    self.handle(raw)
        except ConnectionClosed as exc:
            if not self._closing:
                self.events.disconnected = f"{type(exc).__name__}: {exc}"
        else:
            if not self._closing:
                self.events.disconnected = f"closed by the server ({self._ws.close_code})"
        finally:
            self._cancel_timers()

    def handle(self, raw: bytes) -> None:
        """Act on one ForwardMsg as the frontend would."""
        now = self.clock()
        self.events.received.append(now)
        if self.frames is not None:
            self.frames.append((now, "received", raw))
        msg = ForwardMsg()
        msg.ParseFromString(raw)
        resolved = self.cache.resolve(msg, raw)
        if resolved is None:  # a reference to a message we no longer hold: counted by the cache
            return
        kind = resolved.WhichOneof("type")
        if kind == "new_session":
            self._on_new_session(resolved)
        elif kind == "delta":
            self._on_delta(resolved, now)
        elif kind == "script_finished":
            self._on_finished(resolved.script_finished, now)
        elif kind == "navigation":
            self._on_navigation(resolved)
        elif kind == "page_info_changed":
            self.query = resolved.page_info_changed.query_string
        elif kind == "auto_rerun":
            self._on_auto_rerun(resolved.auto_rerun.fragment_id, resolved.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            for fid in resolved.stop_auto_rerun.fragment_ids:
                self._cancel_timer(fid)
        elif kind == "session_event" and resolved.session_event.HasField("script_compilation_exception"):
            self.events.exceptions.append(resolved.session_event.script_compilation_exception.message)

    def _on_new_session(self, msg: ForwardMsg) -> None:
        ns = msg.new_session
        self._run_id = msg.metadata.run.script_run_id
        self._run_fragments = list(msg.metadata.run.fragment_ids)
        self._new_session_since_rerun = True
        self.max_cached_age = ns.config.max_cached_message_age or self.max_cached_age
        if not self._run_fragments:
            self.page_script_hash = ns.page_script_hash
            self._cancel_timers()  # a full run re-registers the timers it still wants
        self.widgets.start_run()

    def _on_navigation(self, msg: ForwardMsg) -> None:
        nav = msg.navigation
        current = next((p for p in nav.app_pages if p.page_script_hash == nav.page_script_hash), None)
        if current is not None:
            self.path = "" if current.is_default else current.url_pathname

    def _on_delta(self, msg: ForwardMsg, now: float) -> None:
        delta = msg.delta
        path = tuple(msg.metadata.delta_path)
        which = delta.WhichOneof("type")
        if which == "add_block":
            self.tree[path] = Node("block", self._run_id, delta.fragment_id)
        elif which == "new_element":
            element = delta.new_element
            kind = element.WhichOneof("type") or ""
            text = element_text(element)
            self.tree[path] = Node(kind, self._run_id, delta.fragment_id, text)
            self.widgets.mount(element, delta.fragment_id)
            self._observe(element, kind, text, now)

    def _observe(self, element: Element, kind: str, text: str, now: float) -> None:
        if kind == "exception":
            self.events.exceptions.append(f"{element.exception.type}: {element.exception.message}")
        elif kind == "metric" and self.track_metric is not None and element.metric.label == self.track_metric:
            self.events.metric_values.append((now, element.metric.body))
        if self.expect_text and self.events.name_seen_at is None and self.expect_text in text:
            self.events.name_seen_at = now

    def _on_finished(self, status: int, now: float) -> None:
        self.events.finishes.append((now, status))
        if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
            return
        if status in SUCCESS:
            self._clear_stale()
            self.widgets.prune(self._run_fragments)
        if self._new_session_since_rerun:
            self.cache.finished_run(self.max_cached_age, self._run_fragments)
        full_run = status == ForwardMsg.FINISHED_SUCCESSFULLY and not self._run_fragments
        if full_run and self.events.first_finished_at is None:
            self.events.first_finished_at = now

    def _clear_stale(self) -> None:
        for path, node in list(self.tree.items()):
            in_scope = not self._run_fragments or node.fragment_id in self._run_fragments
            if in_scope and node.run_id != self._run_id:
                del self.tree[path]

    # -- fragment timers -------------------------------------------------------------------
    def _on_auto_rerun(self, fragment_id: str, interval: float) -> None:
        if not fragment_id:
            return
        running = self._timers.get(fragment_id)
        if running is not None and running[0] == interval:
            return
        self._cancel_timer(fragment_id)
        self._timers[fragment_id] = (
            interval,
            asyncio.get_running_loop().create_task(self._tick(fragment_id, interval)),
        )

    async def _tick(self, fragment_id: str, interval: float) -> None:
        # setInterval in the frontend: fire every `interval` seconds, whatever the script is doing.
        while True:
            await asyncio.sleep(interval)
            try:
                await self._send_rerun(fragment_id, auto=True)
            except ConnectionClosed:
                return  # `run()` records the disconnect

    def _cancel_timer(self, fragment_id: str) -> None:
        running = self._timers.pop(fragment_id, None)
        if running is not None:
            running[1].cancel()

    def _cancel_timers(self) -> None:
        for fid in list(self._timers):
            self._cancel_timer(fid)

    # -- closing ---------------------------------------------------------------------------
    async def close(self) -> None:
        self._closing = True
        self._cancel_timers()
        if self._ws is not None:
            await self._ws.close()

    # -- what is on screen -----------------------------------------------------------------
    def element_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for node in self.tree.values():
            counts[node.kind] = counts.get(node.kind, 0) + 1
        return counts

    def text(self) -> str:
        return "\n".join(node.text for _, node in sorted(self.tree.items()) if node.text)


_UTC_ALIASES = {"Etc/UTC", "Etc/UCT", "Etc/Universal", "Etc/Zulu", "UCT", "Universal", "Zulu", "Etc/GMT", "GMT"}


def local_timezone() -> str:
    """This machine's zone as a browser on it reports it (`Intl` calls every UTC alias "UTC")."""
    zone = os.environ.get("TZ", "").lstrip(":")
    if not zone:
        try:
            zone = Path("/etc/timezone").read_text(encoding="utf-8").strip()
        except OSError:
            zone = "UTC"
    return "UTC" if not zone or zone in _UTC_ALIASES else zone


def _offset_minutes(zone: str) -> int:
    """JavaScript's `getTimezoneOffset()` for `zone` now: minutes to add to local time to get UTC."""
    offset = datetime.now(ZoneInfo(zone)).utcoffset()
    return 0 if offset is None else -int(offset.total_seconds() // 60)
