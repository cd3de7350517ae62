"""The HTTP API and webhooks against the real server (`streamlit run server.py`), as CRMs and scripts call it."""

from __future__ import annotations

import asyncio
import http.client
import json
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bench.live_client import PageClient
from scorecard.api.tokens import create_token
from scorecard.cli import main
from scorecard.integrations import update_integrations
from scorecard.roster import slugify
from scorecard.store import Store
from tests import factories_webhooks as wh
from tests.factories_ui import seed_file
from tests.serving import ServerProcess

pytestmark = pytest.mark.slow
AS_OF = "2026-11-18T14:00"
HOSTILE = '*bold* <http://x|y> @channel <img src=x onerror=alert(1)> =HYPERLINK("http://evil","x")'


@dataclass
class Api:
    server: ServerProcess
    write: str
    read: str
    slow: str  # events:write at 6 requests a minute

    def call(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    def post(self, path: str, payload: Any, token: str | None = None, **headers: str) -> tuple[int, Any]:
        hdrs = {"Content-Type": "application/json", **headers}
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        status, _, body = self.call("POST", path, json.dumps(payload).encode() if not isinstance(payload, bytes) else payload, hdrs)
        return status, _decode(body)

    def get(self, path: str, token: str | None = None) -> tuple[int, Any]:
        status, _, body = self.call("GET", path, headers={"Authorization": f"Bearer {token}"} if token else {})
        return status, _decode(body)

    def version(self) -> int:
        return int(self.get("/healthz")[1]["data_version"])


def _decode(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return body.decode(errors="replace")


def _event(i: int, **over: object) -> dict[str, object]:
    return {"id": f"srv-{i}", "rep": "Ben Carter", "type": "Meeting", "occurred_at": "2026-11-18T10:00:00-05:00", **over}


def _prepare(base: Path) -> tuple[ServerProcess, dict[str, str]]:
    inbox = base / "inbox"
    inbox.mkdir()
    db = base / "scorecard.duckdb"
    seed_file(db)
    server = ServerProcess(db, inbox, base / "server.log")
    with Store(db) as store:
        tokens = {
            "write": create_token(store, "writer", ("events:write",)).plain,
            "read": create_token(store, "reader", ("read",)).plain,
            "slow": create_token(store, "slow", ("events:write",), rate_per_minute=6).plain,
        }
        update_integrations(
            store,
            {
                "public_url": f"http://127.0.0.1:{server.port}",
                "hubspot_client_secret": wh.HUBSPOT_SECRET,
                "pipedrive_user": wh.PIPEDRIVE_USER,
                "pipedrive_password": wh.PIPEDRIVE_PASSWORD,
                "salesforce_org_id": wh.SF_ORG,
                "salesforce_endpoint_key": wh.SF_KEY,
                "salesforce_flow_secret": wh.FLOW_SECRET,
            },
        )
    return server, tokens


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    server, tokens = _prepare(tmp_path_factory.mktemp("api-server"))
    server.start()
    try:
        yield Api(server, tokens["write"], tokens["read"], tokens["slow"])
    finally:
        server.stop()
    assert "Traceback" not in server.log_text()


# -- POST /api/v1/events ----------------------------------------------------------------------------------
def test_events_are_accepted_as_one_batch_and_dedupe_on_retry(api: Api) -> None:
    status, body = api.post("/api/v1/events", [_event(1), _event(2), _event(3, occurred_at="2026-11-18 10:00")], api.write)
    assert status == 202
    assert (body["added"], body["already_present"], body["rejected"]) == (2, 0, 1)
    assert body["rejects"] == [{"row": 3, "field": "occurred_at", "reason": body["rejects"][0]["reason"]}]
    assert "UTC offset" in body["rejects"][0]["reason"]
    status, again = api.post("/api/v1/events", [_event(1), _event(2)], api.write)
    assert status == 202 and (again["added"], again["already_present"]) == (0, 2)
    assert again["batch_id"] == body["batch_id"] + 1


def test_ndjson_bodies_are_accepted(api: Api) -> None:
    lines = "\n".join(json.dumps(_event(i)) for i in (10, 11)).encode()
    status, body = api.post("/api/v1/events", lines, api.write, **{"Content-Type": "application/x-ndjson"})
    assert status == 202 and body["added"] == 2


def test_refused_requests_say_why_and_write_nothing(api: Api) -> None:
    before = api.version()
    status, body = api.post("/api/v1/events", b'[{"id": 1,', api.write)
    assert status == 400 and "not valid JSON" in body["error"] and "line 1" in body["error"]
    status, body = api.post("/api/v1/events", [_event(20, rep=""), _event(21, type=None)], api.write)
    assert status == 422 and [(r["row"], r["field"]) for r in body["rows"]] == [(1, "rep"), (2, "type")]
    status, body = api.post("/api/v1/events?strict=true", [_event(22), _event(23, amount="lots")], api.write)
    assert status == 422 and body["rows"][0]["field"] == "amount"
    assert api.version() == before


def test_tokens_are_required_and_scoped(api: Api) -> None:
    before = api.version()
    assert api.post("/api/v1/events", [_event(30)])[0] == 401
    status, body = api.post("/api/v1/events", [_event(30)], "sct_000000000000_" + "x" * 43)
    assert status == 401 and "tokens create" in body["error"]
    status, body = api.post("/api/v1/events", [_event(30)], api.read)
    assert status == 403 and "events:write" in body["error"]
    assert api.get(f"/api/v1/team?as_of={AS_OF}", api.write)[0] == 403
    assert api.version() == before


def test_the_rate_limit_answers_429_with_retry_after(api: Api) -> None:
    status, _ = api.post("/api/v1/events", [_event(40)], api.slow)
    assert status == 202
    status, headers, body = api.call(
        "POST", "/api/v1/events", json.dumps([_event(41)]).encode(), {"Authorization": f"Bearer {api.slow}"}
    )
    assert status == 429 and int(headers["retry-after"]) >= 1 and b"limit" in body


def test_a_10_mb_body_is_refused_before_it_is_read(api: Api) -> None:
    before = api.version()
    size = 10 * 1024 * 1024
    with socket.create_connection(("127.0.0.1", api.server.port), timeout=30) as sock:
        head = (
            f"POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {api.write}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {size}\r\n\r\n"
        )
        sock.sendall(head.encode() + b"[" + b" " * 1000)  # a sliver of the body, then wait: the answer comes anyway
        started = time.monotonic()
        answer = sock.recv(4096)
        assert time.monotonic() - started < 10
    assert answer.startswith(b"HTTP/1.1 413")
    # Without a length, the body is counted as it streams and cut off past the limit.
    conn = http.client.HTTPConnection("127.0.0.1", api.server.port, timeout=60)
    chunks = (b"[" + b" " * 65536 for _ in range(200))  # ~13 MB, chunked
    try:
        conn.request("POST", "/api/v1/events", body=chunks, headers={"Authorization": f"Bearer {api.write}"}, encode_chunked=True)
        status = conn.getresponse().status
    except (BrokenPipeError, ConnectionResetError):
        status = 413  # the server may close while the client is still sending; the check below is what matters
    finally:
        conn.close()
    assert status == 413
    assert api.version() == before


# -- reads -------------------------------------------------------------------------------------------------------
def test_reads_return_the_report_json_shapes(api: Api) -> None:
    status, sc = api.get(f"/api/v1/reps/ana-lopez/scorecard?as_of={AS_OF}", api.read)
    assert status == 200 and sc["rep"]["slug"] == "ana-lopez" and sc["as_of"] == "2026-11-18T14:00:00"
    assert {m["metric"] for m in sc["metrics"]} >= {"meetings", "conversations"}
    status, tv = api.get(f"/api/v1/team?as_of={AS_OF}&team=East", api.read)
    assert status == 200 and tv["team"] == "East" and tv["period"]["start"] == "2026-11-16"
    assert api.get(f"/api/v1/reps/nobody/scorecard?as_of={AS_OF}", api.read)[0] == 404
    assert api.get(f"/api/v1/team?as_of={AS_OF}&team=Mars", api.read)[0] == 404
    status, body = api.get("/api/v1/team?as_of=soon", api.read)
    assert status == 400 and "ISO" in body["error"]


def test_hostile_text_comes_back_as_the_same_text_in_json(api: Api) -> None:
    status, body = api.post("/api/v1/events", [_event(50, rep=HOSTILE, subject=HOSTILE)], api.write)
    name = " ".join(HOSTILE.split())
    assert status == 202 and body["new_reps"] == [name]
    status, sc = api.get(f"/api/v1/reps/{slugify(name)}/scorecard?as_of={AS_OF}", api.read)
    assert status == 200 and sc["rep"]["name"] == name


# -- health and metrics ---------------------------------------------------------------------------------------
def test_healthz_and_metrics(api: Api) -> None:
    status, health = api.get("/healthz")
    assert status == 200 and health["ok"] is True and health["data_version"] > 0 and health["last_event_at"]

    async def with_a_page_open() -> str:
        page = PageClient("127.0.0.1", api.server.port, f"rep=ana-lopez&as_of={AS_OF}", expect_text="Ana Lopez")
        await page.open()
        task = asyncio.create_task(page.run())
        deadline = time.monotonic() + 60
        while page.events.rendered_at is None and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        text = (await asyncio.to_thread(api.call, "GET", "/metrics"))[2].decode()
        task.cancel()
        await page.close()
        return text

    # In a thread of its own: a browser test's Playwright may hold this thread's event loop.
    with ThreadPoolExecutor(1) as pool:
        metrics = pool.submit(asyncio.run, with_a_page_open()).result()
    for series in ('scorecard_batches_total{source="api"}', "scorecard_events_ingested_total", "scorecard_rejected_rows_total",
                   'scorecard_page_run_seconds_bucket{le="0.05",page="main"}', 'scorecard_api_requests_total{route="events",status="202"}'):  # fmt: skip
        assert series in metrics, series
    assert "scorecard_open_pages 1.0" in metrics


# -- webhooks ---------------------------------------------------------------------------------------------------
def test_hubspot_signed_webhooks(api: Api) -> None:
    path = "/api/v1/webhooks/hubspot"
    body = json.dumps(wh.hubspot_events(int(time.time() * 1000))).encode()
    uri = f"http://127.0.0.1:{api.server.port}{path}"
    before = api.version()
    bad = wh.hubspot_headers("not-the-secret", "POST", uri, body)
    assert api.call("POST", path, body, bad)[0] == 401
    stale = wh.hubspot_headers(wh.HUBSPOT_SECRET, "POST", uri, body, int((time.time() - 600) * 1000))
    assert api.call("POST", path, body, stale)[0] == 401
    assert api.version() == before
    malformed = b'{"not": "an array"}'
    assert api.call("POST", path, malformed, wh.hubspot_headers(wh.HUBSPOT_SECRET, "POST", uri, malformed))[0] == 400
    status, _, reply = api.call("POST", path, body, wh.hubspot_headers(wh.HUBSPOT_SECRET, "POST", uri, body))
    result = json.loads(reply)
    assert status == 202 and result["ignored"] == 1
    assert sorted(b["added"] for b in result["batches"]) == [1, 1]  # the call, the won deal: one batch per kind


def test_pipedrive_webhooks_with_basic_auth(api: Api) -> None:
    path = "/api/v1/webhooks/pipedrive"
    good = {"Authorization": wh.basic(wh.PIPEDRIVE_USER, wh.PIPEDRIVE_PASSWORD)}
    before = api.version()
    assert api.post(path, wh.pipedrive_activity(), None, Authorization=wh.basic(wh.PIPEDRIVE_USER, "guess"))[0] == 401
    assert api.post(path, wh.pipedrive_activity())[0] == 401
    assert api.version() == before
    assert api.post(path, b"{", None, **good)[0] == 400
    status, body = api.post(path, wh.pipedrive_activity(activity_id=77), None, **good)
    assert status == 202 and body["added"] == 1 and body["new_reps"] == ["Pipedrive user 123"]
    status, body = api.post(path, wh.pipedrive_activity(activity_id=77), None, **good)
    assert status == 202 and body["already_present"] == 1  # Pipedrive's retry adds nothing


def test_salesforce_outbound_message_is_acknowledged(api: Api) -> None:
    path = f"/api/v1/webhooks/salesforce?key={wh.SF_KEY}"
    xml = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}
    before = api.version()
    assert api.call("POST", "/api/v1/webhooks/salesforce?key=wrong", wh.outbound_message(), xml)[0] == 401
    assert api.call("POST", path, wh.outbound_message(org="00D5e000000ZZZZAA"), xml)[0] == 401
    assert api.version() == before
    assert api.call("POST", path, b"<soapenv:Envelope><broken", xml)[0] == 400
    assert api.call("POST", path, wh.BILLION_LAUGHS, xml)[0] == 400
    status, headers, body = api.call("POST", path, wh.outbound_message(task_id="00T5e00000SrvAAAV"), xml)
    assert status == 200 and headers["content-type"].startswith("text/xml") and b"<Ack>true</Ack>" in body
    assert api.version() == before + 1


def test_salesforce_flow_callout_with_shared_secret(api: Api) -> None:
    path = "/api/v1/webhooks/salesforce/flow"
    before = api.version()
    assert api.post(path, wh.flow_records(), None, **{"X-Scorecard-Secret": "nope"})[0] == 401
    assert api.version() == before
    assert api.post(path, b"[1", None, **{"X-Scorecard-Secret": wh.FLOW_SECRET})[0] == 400
    status, body = api.post(path, wh.flow_records(), None, **{"X-Scorecard-Secret": wh.FLOW_SECRET})
    assert status == 202 and sum(b["added"] for b in body["batches"]) == 3


def test_generic_zapier_make_webhook(api: Api) -> None:
    path = "/api/v1/webhooks/generic"
    payload = {"Rep": "Chloe Park", "Date": "2026-11-18T11:00:00-05:00", "Activity Type": "Meeting", "ID": "zap-1"}
    assert api.post(path, payload)[0] == 401
    assert api.post(path, b"{", api.write)[0] == 400
    status, body = api.post(path, payload, api.write)
    assert status == 202 and body["added"] == 1


# -- the same JSON as the command line, and the audit log ----------------------------------------------------------
def test_reads_match_report_json_and_every_write_is_audited(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server, tokens = _prepare(tmp_path)
    server.start()
    try:
        api = Api(server, tokens["write"], tokens["read"], tokens["slow"])
        status, posted = api.post("/api/v1/events", [_event(60), _event(61, rep="Ana Lopez")], api.write)
        assert status == 202
        scorecard = api.get(f"/api/v1/reps/ben-carter/scorecard?as_of={AS_OF}", api.read)[1]
        team = api.get(f"/api/v1/team?as_of={AS_OF}", api.read)[1]
    finally:
        server.stop()
    capsys.readouterr()
    assert main(["report", "--rep", "ben-carter", "--as-of", AS_OF, "--json", "--db", str(server.db)]) == 0
    assert json.loads(capsys.readouterr().out) == scorecard
    assert main(["report", "--as-of", AS_OF, "--json", "--db", str(server.db)]) == 0
    assert json.loads(capsys.readouterr().out) == team
    with Store(server.db) as store:
        rows = store.fetchall("SELECT caller, endpoint, batch_id, rows_added FROM api_audit")
    assert rows == [("writer", "POST /api/v1/events", posted["batch_id"], 2)]
