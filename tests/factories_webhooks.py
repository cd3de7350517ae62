"""Webhook payloads shaped as each CRM documents them, and their signatures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

HUBSPOT_SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
PIPEDRIVE_USER, PIPEDRIVE_PASSWORD = "pipedrive", "s3cret-basic-pass"
SF_ORG = "00D5e000000ABCDEAA"
SF_KEY = "outbound-key-1234567890"
FLOW_SECRET = "flow-secret-1234567890"


def hubspot_events(occurred_ms: int) -> list[dict[str, Any]]:
    """A call created by user 45678, a deal moved to closedwon, and a contact created (not ours)."""
    common = {"subscriptionId": 234567, "portalId": 12345678, "appId": 987654, "attemptNumber": 0,
              "changeSource": "CRM_UI", "sourceId": "userId:45678", "occurredAt": occurred_ms}  # fmt: skip
    return [
        {**common, "eventId": 1, "subscriptionType": "object.creation", "objectTypeId": "0-48", "objectId": 5001, "changeFlag": "CREATED"},
        {**common, "eventId": 2, "subscriptionType": "deal.propertyChange", "objectId": 7001, "propertyName": "dealstage", "propertyValue": "closedwon"},
        {**common, "eventId": 3, "subscriptionType": "contact.creation", "objectId": 9001, "changeFlag": "NEW"},
    ]


def hubspot_headers(secret: str, method: str, uri: str, body: bytes, stamp_ms: int | None = None) -> dict[str, str]:
    """X-HubSpot-Signature-v3: base64 HMAC-SHA256 over method + URI + body + timestamp."""
    stamp = str(stamp_ms if stamp_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), method.encode() + uri.encode() + body + stamp.encode(), hashlib.sha256).digest()
    return {
        "Content-Type": "application/json",
        "X-HubSpot-Signature-v3": base64.b64encode(digest).decode(),
        "X-HubSpot-Request-Timestamp": stamp,
        "X-HubSpot-Signature-Version": "v3",
    }


def pipedrive_activity(done: bool = True, activity_id: int = 8, subject: str = "Discovery call") -> dict[str, Any]:
    """A webhooks v2 notification: an activity changed (marked done) by user 123."""
    return {
        "meta": {"action": "change", "entity": "activity", "entity_id": str(activity_id), "id": "2a1c-...",
                 "company_id": "1234", "correlation_id": "c-1", "is_bulk_edit": False, "timestamp": "2026-11-18T15:05:00.000Z",
                 "type": "general", "user_id": "123", "version": "2.0", "webhook_id": "77", "webhook_owner_id": "123",
                 "change_source": "app", "attempt": 1, "host": "acme.pipedrive.com", "permitted_user_ids": ["123"]},  # fmt: skip
        "data": {"id": activity_id, "owner_id": 123, "type": "call", "subject": subject, "done": done,
                 "due_date": "2026-11-18", "due_time": "15:00", "add_time": "2026-11-17T10:00:00Z"},  # fmt: skip
        "previous": {"done": False},
    }


def pipedrive_deal_won() -> dict[str, Any]:
    return {
        "meta": {"action": "change", "entity": "deal", "entity_id": "55", "version": "2.0", "user_id": "123", "type": "general"},
        "data": {"id": 55, "owner_id": 123, "title": "Acme renewal", "status": "won", "value": 12000, "currency": "USD",
                 "won_time": "2026-11-18T16:00:00Z", "add_time": "2026-11-02T09:00:00Z"},  # fmt: skip
        "previous": {"status": "open"},
    }


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def outbound_message(org: str = SF_ORG, subject: str = "Intro call", task_id: str = "00T5e00000AbCdEAAV") -> bytes:
    """A Salesforce Outbound Message (SOAP) with one Task notification."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>{org}</OrganizationId>
   <ActionId>04k5e000000AbCdAAK</ActionId>
   <SessionId xsi:nil="true"/>
   <EnterpriseUrl>https://acme.my.salesforce.com/services/Soap/c/60.0/00D5e000000ABCD</EnterpriseUrl>
   <PartnerUrl>https://acme.my.salesforce.com/services/Soap/u/60.0/00D5e000000ABCD</PartnerUrl>
   <Notification>
    <Id>04l5e00000AbCdEAAV</Id>
    <sObject xsi:type="sf:Task" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
     <sf:Id>{task_id}</sf:Id>
     <sf:CallDisposition>Connected</sf:CallDisposition>
     <sf:CompletedDateTime>2026-11-18T15:10:00.000Z</sf:CompletedDateTime>
     <sf:OwnerId>0055e000001AbCdAAK</sf:OwnerId>
     <sf:Subject>{subject}</sf:Subject>
     <sf:TaskSubtype>Call</sf:TaskSubtype>
     <sf:Type>Call</sf:Type>
    </sObject>
   </Notification>
  </notifications>
 </soapenv:Body>
</soapenv:Envelope>""".encode()


def flow_records() -> bytes:
    """A Flow HTTP callout body: records serialised as Salesforce does (attributes.type)."""
    return json.dumps(
        {
            "records": [
                {"attributes": {"type": "Event"}, "Id": "00U5e00000XyZaBEAV", "Owner": {"Name": "Ben Carter", "Email": "ben@example.com"},
                 "Type": "Meeting", "Subject": "Demo", "ActivityDateTime": "2026-11-18T14:00:00.000+0000"},  # fmt: skip
                {"attributes": {"type": "Opportunity"}, "Id": "0065e00000QrStUAAV", "OwnerEmail": "ben@example.com",
                 "StageName": "Closed Won", "IsWon": True, "Amount": 5000, "CloseDate": "2026-11-18",
                 "CreatedDate": "2026-11-02T09:00:00.000+0000"},  # fmt: skip
            ]
        }
    ).encode()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>
<notifications xmlns="http://soap.sforce.com/2005/09/outbound"><OrganizationId>&lol3;</OrganizationId></notifications>
</soapenv:Body></soapenv:Envelope>"""
