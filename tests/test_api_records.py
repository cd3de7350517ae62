"""Events stated one by one go through the upload path: identity, dedupe, rejects, undo, time zone."""

from __future__ import annotations

from datetime import datetime

import pytest

from scorecard.ingest import IngestOptions, ingest_bytes, list_batches, undo_batch
from scorecard.ingest.records import RecordOptions, RecordsRejected, ingest_records
from scorecard.store import Store
from tests.factories import add_rep

API = RecordOptions(channel="api", label="API events (test)")
HOSTILE = '*bold* <http://x|y> @channel <b>x</b> =HYPERLINK("http://evil","click")'


def _event(i: int, **over: object) -> dict[str, object]:
    base: dict[str, object] = {"id": f"e-{i}", "rep": "Ana Lopez", "type": "Call", "occurred_at": "2026-11-18T10:00:00-05:00"}
    return {**base, **over}


def _count(store: Store) -> int:
    return int(store.scalar("SELECT count(*) FROM events"))


def test_a_batch_of_events_lands_as_one_batch_in_team_time(store: Store) -> None:
    add_rep(store, "Ana Lopez", email="ana@example.com")
    outcome = ingest_records(
        store,
        [_event(1), _event(2, rep="ana@example.com", occurred_at="2026-11-18T15:30:00Z", outcome="Connected")],
        API,
    )
    assert (outcome.result.rows_added, outcome.result.rows_duplicate, outcome.result.rows_rejected) == (2, 0, 0)
    # America/New_York is the default team zone: both instants are 10:00 and 10:30 there.
    times = [r[0] for r in store.fetchall("SELECT occurred_at FROM events ORDER BY occurred_at")]
    assert times == [datetime(2026, 11, 18, 10, 0), datetime(2026, 11, 18, 10, 30)]
    assert store.scalar("SELECT count(DISTINCT rep_id) FROM events") == 1
    batch = list_batches(store).row(0, named=True)
    assert (batch["source"], batch["file"], batch["status"]) == ("api", "API events (test)", "live")


def test_sending_the_same_events_again_adds_nothing_and_undo_removes_the_batch(store: Store) -> None:
    first = ingest_records(store, [_event(1), _event(2)], API)
    again = ingest_records(store, [_event(1), _event(2), _event(3)], API)
    assert (again.result.rows_added, again.result.rows_duplicate) == (1, 2)
    undo_batch(store, again.result.batch_id)
    assert _count(store) == 2  # the events the first batch also carried stay
    undo_batch(store, first.result.batch_id)
    assert _count(store) == 0


def test_an_event_and_the_same_record_in_the_crms_export_are_one_event(store: Store) -> None:
    export = (
        "Activity ID,Assigned,Date,Type,Subject,Status,Company / Account\n"
        "00T000000000001,Ana Lopez,11/18/2026 10:00 AM,Call,Intro,Completed,Acme\n"
    )
    ingest_bytes(store, "sf.monthfirst.csv", export.encode(), IngestOptions())
    same = _event(1, id="00T000000000001", source="Salesforce", subject="Intro")
    sent = ingest_records(store, [same], RecordOptions("webhook", "x", crm="Salesforce"))
    assert (sent.result.rows_added, sent.result.rows_duplicate) == (0, 1)
    other_crm = ingest_records(store, [_event(1, id="00T000000000001")], RecordOptions("api", "x", crm="HubSpot"))
    assert other_crm.result.rows_added == 1  # ids are namespaced per CRM
    # A later version of the Salesforce record (its subject cleared in the CRM) corrects it: no new event.
    changed = ingest_records(
        store, [_event(1, id="00T000000000001", source="Salesforce")], RecordOptions("webhook", "y", crm="Salesforce")
    )
    assert (changed.result.rows_added, changed.result.rows_corrected) == (0, 1)
    assert _count(store) == 2


def test_bad_rows_are_rejected_with_row_field_and_what_to_do_and_kept(store: Store) -> None:
    outcome = ingest_records(
        store,
        [
            _event(1),
            _event(2, occurred_at="2026-11-18T10:00:00"),
            _event(3, rep=""),
            _event(4, amount="12,5"),
            "not an object",
            _event(6, occurred_at="yesterday"),
            _event(7, amount=10, currency="EUR"),
        ],
        RecordOptions("api", "x", currency="USD"),
    )
    problems = {(p.row, p.field): p.reason for p in outcome.problems}
    assert set(problems) == {(2, "occurred_at"), (3, "rep"), (4, "amount"), (5, ""), (6, "occurred_at"), (7, "currency")}
    assert "no UTC offset" in problems[(2, "occurred_at")] and "e.g." in problems[(2, "occurred_at")]
    assert "convert it" in problems[(7, "currency")]
    assert outcome.result.rows_added == 1 and outcome.result.rows_rejected == 6
    stored = store.fetchall("SELECT line_no, column_name FROM rejected_rows ORDER BY line_no")
    assert [r[0] for r in stored] == [2, 3, 4, 5, 6, 7]


def test_a_request_whose_every_row_fails_writes_nothing(store: Store) -> None:
    version = store.data_version()
    with pytest.raises(RecordsRejected) as refused:
        ingest_records(store, [_event(1, type=""), _event(2, occurred_at="2026-11-18")], API)
    assert [(p.row, p.field) for p in refused.value.problems] == [(1, "type"), (2, "occurred_at")]
    assert store.data_version() == version and store.scalar("SELECT count(*) FROM batches") == 0


def test_strict_mode_refuses_the_whole_request_for_one_bad_row(store: Store) -> None:
    with pytest.raises(RecordsRejected):
        ingest_records(store, [_event(1), _event(2, rep=None)], RecordOptions("api", "x", strict=True))
    assert _count(store) == 0


def test_hostile_text_is_stored_as_it_came(store: Store) -> None:
    ingest_records(store, [_event(1, rep=HOSTILE, subject=HOSTILE, type="Meeting")], API)
    name, subject = store.fetchone("SELECT r.display_name, e.raw_subject FROM events e JOIN reps r USING (rep_id)") or ()
    assert name == " ".join(HOSTILE.split()) and subject == HOSTILE


def test_the_audit_row_is_written_in_the_batchs_transaction(store: Store) -> None:
    def audit(cur: object, batch_id: int) -> None:
        cur.execute(  # type: ignore[attr-defined]
            "INSERT INTO api_audit SELECT current_timestamp::TIMESTAMP, 'bot', 'test', batch_id, rows_added, "
            "rows_duplicate, rows_rejected FROM batches WHERE batch_id = ?",
            [batch_id],
        )

    outcome = ingest_records(store, [_event(1), _event(2, rep="")], API, after=audit)
    assert store.fetchone("SELECT caller, batch_id, rows_added, rows_rejected FROM api_audit") == (
        "bot", outcome.result.batch_id, 1, 1,
    )  # fmt: skip

    def broken(cur: object, batch_id: int) -> None:
        raise RuntimeError("audit failed")

    with pytest.raises(RuntimeError):
        ingest_records(store, [_event(9)], API, after=broken)
    assert store.scalar("SELECT count(*) FROM events WHERE record_id = 'e-9'") == 0
