"""nginx in front of app replicas, with the project's own site configuration (deploy/nginx-site.conf).

Two replicas here run on two separate database files: what is under test is the
proxy (websockets pass, a browser sticks to one replica, a dead replica is
skipped), not the shared store, which the scale-out tests cover.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bench.live_client import PageClient
from scorecard.replicas import Nginx
from tests.factories_ui import seed_file
from tests.serving import ServerProcess

pytestmark = pytest.mark.slow


def _get(url: str, cookie: str | None = None) -> tuple[dict[str, object], str | None]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=10) as resp:
        set_cookie = resp.headers.get("Set-Cookie")
        return json.loads(resp.read()), set_cookie


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[tuple[Nginx, list[ServerProcess]]]:
    servers = []
    for name in ("a", "b"):
        seed_file(tmp_path / f"{name}.duckdb")
        (tmp_path / f"inbox-{name}").mkdir()
        servers.append(ServerProcess(tmp_path / f"{name}.duckdb", tmp_path / f"inbox-{name}", tmp_path / f"{name}.log"))
    proxy = Nginx([f"127.0.0.1:{s.port}" for s in servers], tmp_path / "nginx")
    try:
        for server in servers:
            server.start()
        proxy.start()
        yield proxy, servers
    finally:
        proxy.stop()
        for server in servers:
            server.stop()


def test_a_browser_sticks_to_one_replica_and_new_browsers_spread(proxied: tuple[Nginx, list[ServerProcess]]) -> None:
    proxy, _servers = proxied
    first, set_cookie = _get(f"{proxy.url}/healthz")
    assert set_cookie and set_cookie.startswith("scorecard_replica=")
    cookie = set_cookie.split(";")[0]
    assert {_get(f"{proxy.url}/healthz", cookie)[0]["server"] for _ in range(10)} == {first["server"]}
    fresh = {_get(f"{proxy.url}/healthz")[0]["server"] for _ in range(30)}
    assert len(fresh) == 2, "new browsers should land on both replicas"


def test_a_live_page_renders_through_the_proxy(proxied: tuple[Nginx, list[ServerProcess]]) -> None:
    proxy, _servers = proxied

    async def scenario() -> PageClient:
        page = PageClient("127.0.0.1", proxy.port, "rep=ana-lopez&as_of=2026-11-18T14:00", expect_text="Ana Lopez")
        await page.open()
        task = asyncio.create_task(page.run())
        deadline = asyncio.get_running_loop().time() + 60
        while page.events.rendered_at is None and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.1)
        await page.close()
        await asyncio.wait([task], timeout=5)
        return page

    with ThreadPoolExecutor(max_workers=1) as pool:  # Playwright may hold the main thread's loop
        page = pool.submit(asyncio.run, scenario()).result()
    assert page.events.rendered_at is not None, "the rep page did not render over the proxied websocket"
    assert page.events.disconnected is None


def test_a_dead_replica_is_skipped(proxied: tuple[Nginx, list[ServerProcess]]) -> None:
    proxy, servers = proxied
    servers[0].kill()
    alive = {_get(f"{proxy.url}/healthz")[0]["server"] for _ in range(10)}
    assert len(alive) == 1
