"""Is the protocol client a faithful tab? One page in headless Chromium, then in the client, side by side.

`python -m bench live --fidelity [--page QUERY] [--idle S]` starts the app on
the demo, opens one page (a rep's scorecard unless `--page` says otherwise,
e.g. `view=standup`) in Chromium through Playwright, listening to its
websocket frames, then the same page with `bench.live_client`. For each it
reports the frames sent and received while loading and during an idle hold
(20 s): with nothing changing, a correct app and a faithful client send
nothing; a page with a fragment timer sends one rerun per tick in both. It
also shows the first `rerun_script` each sent, the message types received,
and what was on screen (element counts, the rep's name, the Meetings card).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.live_client import PageClient
from bench.live_server import AppServer, demo_db, read_team

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IDLE_S = 20.0
SETTLE_S = 2.0
LOAD_TIMEOUT_S = 60.0

# DOM test ids per element kind the client counts (Streamlit's frontend marks each element so).
DOM_KINDS = {
    "metric": '[data-testid="stMetric"]',
    "heading": '[data-testid="stHeading"]',
    "vega_lite_chart": '[data-testid="stVegaLiteChart"]',
    "selectbox": '[data-testid="stSelectbox"]',
    "button_group": '[data-testid="stButtonGroup"]',
    "text_input": '[data-testid="stTextInput"]',
}
_COUNT_JS = """(kinds) => {
  const out = {elements: document.querySelectorAll('[data-testid="stElementContainer"]').length};
  for (const [kind, selector] of Object.entries(kinds)) out[kind] = document.querySelectorAll(selector).length;
  return out;
}"""
_SETTLED_JS = """(name) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  return !name || document.body.innerText.includes(name);
}"""
_MEETINGS = 'div[class*="st-key-card-"][class*="-meetings"] [data-testid="stMetricValue"]'


@dataclass
class TabReport:
    """One tab's side of the comparison."""

    frames: list[tuple[float, str, bytes]] = field(default_factory=list)  # (time, "sent"|"received", payload)
    loaded_at: float = 0.0
    idle_from: float = 0.0
    idle_to: float = 0.0
    name_visible: bool = False
    meetings: str = "–"
    counts: dict[str, int] = field(default_factory=dict)

    def count(self, direction: str, start: float, end: float) -> int:
        return sum(1 for t, d, _ in self.frames if d == direction and start <= t <= end)

    def reruns(self) -> list[dict[str, Any]]:
        """The `rerun_script` requests this tab sent, summarised."""
        summaries = []
        for _, direction, payload in self.frames:
            back = BackMsg()
            if direction == "sent":
                back.ParseFromString(payload)
            if back.WhichOneof("type") == "rerun_script":
                summaries.append(_summary(back.rerun_script))
        return summaries

    def received_types(self, end: float) -> str:
        kinds: Counter[str] = Counter()
        for t, direction, payload in self.frames:
            if direction == "received" and t <= end:
                msg = ForwardMsg()
                msg.ParseFromString(payload)
                kinds[msg.WhichOneof("type") or "?"] += 1
        return ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))


async def chromium_tab(url: str, name: str | None, idle_s: float) -> TabReport:
    from playwright.async_api import WebSocket, async_playwright

    report = TabReport()

    def on_websocket(ws: WebSocket) -> None:
        if not ws.url.endswith("/_stcore/stream"):
            return
        ws.on("framesent", lambda payload: report.frames.append((time.perf_counter(), "sent", _bytes(payload))))
        ws.on("framereceived", lambda payload: report.frames.append((time.perf_counter(), "received", _bytes(payload))))

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
            page = await context.new_page()
            page.on("websocket", on_websocket)
            await page.goto(url)
            await page.wait_for_function(_SETTLED_JS, arg=name, timeout=LOAD_TIMEOUT_S * 1000)
            report.loaded_at = time.perf_counter()
            await _hold(report, idle_s)
            report.counts = await page.evaluate(_COUNT_JS, DOM_KINDS)
            report.name_visible = name is not None and await page.get_by_text(name, exact=True).first.is_visible()
            meetings = page.locator(_MEETINGS).first
            report.meetings = (await meetings.inner_text()).strip() if await meetings.count() else "–"
        finally:
            await browser.close()
    return report


async def client_tab(server: AppServer, query: str, name: str | None, idle_s: float) -> TabReport:
    metric = "Meetings" if name else None  # the card is a rep page's
    page = PageClient(server.host, server.port, query, expect_text=name, track_metric=metric, record_frames=True)
    reader = await _load(page)
    report = TabReport(frames=page.frames or [], loaded_at=time.perf_counter())
    await _hold(report, idle_s)
    await page.close()
    await reader
    counts = page.element_counts()
    report.counts = {"elements": sum(v for k, v in counts.items() if k != "block")}
    report.counts.update({kind: counts.get(kind, 0) for kind in DOM_KINDS})
    report.name_visible = name is not None and name in page.text()
    report.meetings = page.events.metric_values[-1][1] if page.events.metric_values else "–"
    return report


async def _load(page: PageClient) -> asyncio.Task[None]:
    """Open `page` and wait for its first full run; returns the task reading its socket."""
    await page.open()
    reader = asyncio.create_task(page.run())
    deadline = time.perf_counter() + LOAD_TIMEOUT_S
    while page.events.first_finished_at is None and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    return reader


async def _hold(report: TabReport, idle_s: float) -> None:
    await asyncio.sleep(SETTLE_S)
    report.idle_from = time.perf_counter()
    await asyncio.sleep(idle_s)
    report.idle_to = time.perf_counter()


def _summary(cs: ClientState) -> dict[str, Any]:
    info = cs.context_info
    widgets = sorted(
        w.id.rsplit("-", 1)[-1] + "=" + (w.WhichOneof("value") or "none") for w in cs.widget_states.widgets
    )
    return {
        "query_string": cs.query_string,
        "page_script_hash": cs.page_script_hash[:8] or "''",
        "page_name": cs.page_name or "''",
        "fragment_id": cs.fragment_id[:8] or "''",
        "is_auto_rerun": cs.is_auto_rerun,
        "widget_states present": cs.HasField("widget_states"),
        "widgets": ", ".join(widgets) or "none",
        "cached hashes": len(cs.cached_message_hashes),
        "context": f"{info.timezone} {info.timezone_offset} {info.locale} {info.color_scheme}",
        "url": info.url,
    }


def _bytes(payload: str | bytes) -> bytes:
    return payload if isinstance(payload, bytes) else payload.encode()


def side_by_side(query: str, browser: TabReport, client: TabReport, idle_s: float) -> str:
    rows: list[tuple[str, object, object]] = []
    for label, direction, window in (
        ("frames sent while loading", "sent", "load"),
        ("frames received while loading", "received", "load"),
        (f"frames sent, {idle_s:g} s idle", "sent", "idle"),
        (f"frames received, {idle_s:g} s idle", "received", "idle"),
    ):
        counts = [
            r.count(direction, 0.0, r.idle_from) if window == "load" else r.count(direction, r.idle_from, r.idle_to)
            for r in (browser, client)
        ]
        rows.append((label, counts[0], counts[1]))
    rows.append(("rep name visible", _yes(browser.name_visible), _yes(client.name_visible)))
    rows.append(("Meetings card", browser.meetings, client.meetings))
    for kind in ["elements", *DOM_KINDS]:
        rows.append(
            (
                f"{kind} on screen" if kind == "elements" else f"  {kind}",
                browser.counts.get(kind, 0),
                client.counts.get(kind, 0),
            )
        )
    reruns_b, reruns_c = browser.reruns(), client.reruns()
    for which, index in (("first", 0), ("last", -1)):
        if which == "last" and max(len(reruns_b), len(reruns_c)) < 2:
            break
        b = reruns_b[index] if reruns_b else {}
        c = reruns_c[index] if reruns_c else {}
        rows += [(f"{which} rerun: {key}", b.get(key, "–"), c.get(key, "–")) for key in dict.fromkeys([*b, *c])]
    rows.append(
        ("received while loading", browser.received_types(browser.idle_from), client.received_types(client.idle_from))
    )
    width = max(len(r[0]) for r in rows)
    lines = [f"Fidelity: /?{query}, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
             f"{'':{width}}  {'Chromium':<24}  client"]  # fmt: skip
    lines += [f"{label:{width}}  {b!s:<24}  {c!s}" for label, b, c in rows]
    return "\n".join(lines)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


async def _compare(server: AppServer, query: str, name: str | None, idle_s: float) -> tuple[TabReport, TabReport]:
    # A first tab of its own, so neither side is the process's first session
    # (that one gets cold caches and one more `navigation` message).
    warm = PageClient(server.host, server.port, query, expect_text=name)
    reader = await _load(warm)
    await warm.close()
    await reader
    browser = await chromium_tab(f"{server.url}/?{query}", name, idle_s)
    client = await client_tab(server, query, name, idle_s)
    return browser, client


def run_fidelity(*, reps: int = 200, weeks: int = 26, page: str | None = None, idle_s: float = IDLE_S) -> int:
    db = demo_db(reps, weeks)
    team = read_team(db)
    rep = team.reps[0]
    query = page or f"rep={rep.slug}"
    name = rep.name if query == f"rep={rep.slug}" else None
    with tempfile.TemporaryDirectory(prefix="live-fidelity-") as tmp:
        server = AppServer(db, Path(tmp))
        server.start()
        try:
            browser, client = asyncio.run(_compare(server, query, name, idle_s))
        finally:
            server.stop()
        problems = server.log_problems()
    print(side_by_side(query, browser, client, idle_s))
    if problems:
        print("server log problems:\n" + "\n".join(problems[:10]))
    same_idle = all(
        browser.count(d, browser.idle_from, browser.idle_to) == client.count(d, client.idle_from, client.idle_to)
        for d in ("sent",)
    )
    return 0 if same_idle and not problems else 1
