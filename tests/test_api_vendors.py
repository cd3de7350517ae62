"""Each CRM's payloads and checks, as the vendors document them: valid, bad signature, malformed."""

from __future__ import annotations

import json
import time
from zoneinfo import ZoneInfo

import pytest

from scorecard.api import vendors
from scorecard.catalog import load_catalog
from tests import factories_webhooks as wh

CATALOG = load_catalog(None)
URI = "https://scorecard.example.com/api/v1/webhooks/hubspot"


def test_hubspot_v3_signature_matches_the_documented_construction() -> None:
    body = json.dumps(wh.hubspot_events(1_700_000_000_000)).encode()
    now = time.time()
    headers = {k.lower(): v for k, v in wh.hubspot_headers(wh.HUBSPOT_SECRET, "POST", URI, body, int(now * 1000)).items()}
    assert vendors.hubspot_valid(wh.HUBSPOT_SECRET, "POST", URI, body, headers, now_s=now)
    # Anything changed breaks it: the body, the URI, the method, the secret.
    assert not vendors.hubspot_valid(wh.HUBSPOT_SECRET, "POST", URI, body + b" ", headers, now_s=now)
    assert not vendors.hubspot_valid(wh.HUBSPOT_SECRET, "POST", URI + "x", body, headers, now_s=now)
    assert not vendors.hubspot_valid(wh.HUBSPOT_SECRET, "PUT", URI, body, headers, now_s=now)
    assert not vendors.hubspot_valid("other-secret", "POST", URI, body, headers, now_s=now)
    assert not vendors.hubspot_valid(None, "POST", URI, body, headers, now_s=now)
    # Older than five minutes is a replay.
    assert not vendors.hubspot_valid(wh.HUBSPOT_SECRET, "POST", URI, body, headers, now_s=now + 301)
    assert vendors.hubspot_valid(wh.HUBSPOT_SECRET, "POST", URI, body, headers, now_s=now + 299)


def test_hubspot_decodes_only_the_documented_characters_of_the_uri() -> None:
    assert vendors.hubspot_signed_uri("https://x.io/a%3Ab%2Fc%3Fd%40e?q=%2C%20") == "https://x.io/a:b/c?d@e?q=,%20"


def test_hubspot_events_become_a_call_and_a_won_deal() -> None:
    parsed = vendors.hubspot_records(json.dumps(wh.hubspot_events(1_763_478_000_000)).encode(), CATALOG)
    assert parsed.ignored == 1  # the contact
    (call,) = parsed.by_kind["activity"]
    assert call == {"id": "5001", "rep": "HubSpot user 45678", "type": "Call", "occurred_at": "2025-11-18T15:00:00+00:00"}
    (won,) = parsed.by_kind["deal"]
    assert won["id"] == "7001" and won["type"] == "closedwon"


def test_hubspot_malformed_bodies_are_refused() -> None:
    for body in (b"{not json", b'{"eventId": 1}', b"[1, 2]"):
        with pytest.raises(vendors.BadPayload):
            vendors.hubspot_records(body, CATALOG)


def test_pipedrive_basic_auth_is_compared_exactly() -> None:
    assert vendors.basic_auth_valid(wh.basic(wh.PIPEDRIVE_USER, wh.PIPEDRIVE_PASSWORD), wh.PIPEDRIVE_USER, wh.PIPEDRIVE_PASSWORD)
    assert not vendors.basic_auth_valid(wh.basic(wh.PIPEDRIVE_USER, "wrong"), wh.PIPEDRIVE_USER, wh.PIPEDRIVE_PASSWORD)
    assert not vendors.basic_auth_valid("Basic !!!", wh.PIPEDRIVE_USER, wh.PIPEDRIVE_PASSWORD)
    assert not vendors.basic_auth_valid(None, wh.PIPEDRIVE_USER, wh.PIPEDRIVE_PASSWORD)
    assert not vendors.basic_auth_valid(wh.basic("", ""), None, None)


def test_pipedrive_v2_done_activity_and_won_deal() -> None:
    parsed = vendors.pipedrive_records(json.dumps(wh.pipedrive_activity()).encode())
    assert parsed.by_kind["activity"] == [
        {"id": "8", "rep": "Pipedrive user 123", "type": "call", "subject": "Discovery call", "occurred_at": "2026-11-18T15:00:00+00:00"}
    ]
    planned = vendors.pipedrive_records(json.dumps(wh.pipedrive_activity(done=False)).encode())
    assert planned.by_kind == {} and planned.ignored == 1
    won = vendors.pipedrive_records(json.dumps(wh.pipedrive_deal_won()).encode()).by_kind["deal"]
    assert won == [{"id": "55", "rep": "Pipedrive user 123", "type": "Won", "amount": 12000, "currency": "USD",
                    "occurred_at": "2026-11-18T16:00:00+00:00"}]  # fmt: skip


def test_pipedrive_v1_and_malformed_bodies_are_refused() -> None:
    v1 = {"v": 1, "meta": {"v": 1, "action": "updated", "object": "activity"}, "current": {}}
    with pytest.raises(vendors.BadPayload, match="version 2.0"):
        vendors.pipedrive_records(json.dumps(v1).encode())
    with pytest.raises(vendors.BadPayload):
        vendors.pipedrive_records(b"[]")


def test_salesforce_outbound_message_task() -> None:
    org, pairs = vendors.outbound_message(wh.outbound_message())
    assert org == wh.SF_ORG and [kind for kind, _ in pairs] == ["Task"]
    records = vendors.salesforce_record(pairs[0][1], "Task", ZoneInfo("America/New_York"), CATALOG)
    assert records == [("activity", {"id": "00T5e00000AbCdEAAV", "rep": "Salesforce user 0055e000001AbCdAAK", "type": "Call",
                                     "subject": "Intro call", "outcome": "Connected", "occurred_at": "2026-11-18T15:10:00+00:00"})]  # fmt: skip
    assert vendors.same_org("00D5e000000ABCD", wh.SF_ORG) and not vendors.same_org("00D5e000000ZZZZAA", wh.SF_ORG)
    assert vendors.SOAP_ACK.count("<Ack>true</Ack>") == 1


def test_salesforce_xml_is_parsed_safely() -> None:
    with pytest.raises(vendors.BadPayload):
        vendors.outbound_message(wh.BILLION_LAUGHS)  # entity expansion is refused, never evaluated
    with pytest.raises(vendors.BadPayload):
        vendors.outbound_message(b"<soapenv:Envelope><unclosed>")
    with pytest.raises(vendors.BadPayload, match="notifications"):
        vendors.outbound_message(b"<a/>")


def test_salesforce_flow_records_and_opportunity_dates_in_team_time() -> None:
    pairs = vendors.flow_records(wh.flow_records())
    zone = ZoneInfo("America/New_York")
    event = vendors.salesforce_record(pairs[0][1], pairs[0][0], zone, CATALOG)
    assert event[0][1]["rep"] == "ben@example.com" and event[0][1]["type"] == "Meeting"
    deal = vendors.salesforce_record(pairs[1][1], pairs[1][0], zone, CATALOG)
    assert [(k, r["id"], r["type"]) for k, r in deal] == [
        ("deal", "0065e00000QrStUAAV:created", "Opportunity created"), ("deal", "0065e00000QrStUAAV", "Closed Won"),
    ]  # fmt: skip
    assert deal[1][1]["occurred_at"] == "2026-11-18T00:00:00-05:00" and deal[1][1]["amount"] == 5000


def test_generic_zapier_make_payloads_use_export_column_names() -> None:
    body = json.dumps({"data": [{"Rep": "Ana Lopez", "Date": "2026-11-18T10:00:00Z", "Activity Type": "Call", "ID": "z-1", "Extra": 1}]})
    assert vendors.generic_records(body.encode()) == [
        {"rep": "Ana Lopez", "occurred_at": "2026-11-18T10:00:00Z", "type": "Call", "id": "z-1"}
    ]
    single = vendors.generic_records(b'{"id": "m-1", "email": "ana@example.com", "type": "Meeting", "occurred_at": "x"}')
    assert single[0]["rep"] == "ana@example.com"
    with pytest.raises(vendors.BadPayload):
        vendors.generic_records(b"{oops")
