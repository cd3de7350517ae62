"""Batches: dedupe, identity, undo with shared events, rollups, unmapped labels, strictness."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from scorecard.catalog import load_catalog
from scorecard.ingest import (
    BatchNotFound,
    FileRejected,
    IngestOptions,
    batch_rejects,
    csv_safe,
    data_freshness,
    ingest_bytes,
    list_batches,
    preview_file,
    undo_batch,
)
from scorecard.rollups import refresh_rollups
from scorecard.store import Store
from tests.factories import add_rep
from tests.factories_ingest import GENERIC_HEADER, csv_bytes, generic_rows, recount, rollups


def test_reupload_adds_nothing_and_links_every_event(store: Store) -> None:
    data = csv_bytes(GENERIC_HEADER, generic_rows(30))
    first = ingest_bytes(store, "w1.csv", data)
    again = ingest_bytes(store, "w1-again.csv", data)
    assert (first.rows_added, first.rows_duplicate) == (30, 0)
    assert (again.rows_added, again.rows_duplicate) == (0, 30)
    assert store.scalar("SELECT count(*) FROM events") == 30
    assert store.scalar("SELECT count(*) FROM batch_events WHERE batch_id = ?", [again.batch_id]) == 30


def test_identical_rows_without_ids_stay_two_events_and_overlap_is_recognised(store: Store) -> None:
    header = ["rep", "date", "type"]
    row = ["Ana", "2026-11-20 10:00", "Call"]
    other = ["Ana", "2026-11-20 11:00", "Call"]
    assert ingest_bytes(store, "a.csv", csv_bytes(header, [row, row, other])).rows_added == 3
    # An overlapping export holding one copy of the twin row and the other row adds nothing...
    assert ingest_bytes(store, "b.csv", csv_bytes(header, [other, row])).rows_added == 0
    # ...and one with a third copy adds exactly that copy.
    assert ingest_bytes(store, "c.csv", csv_bytes(header, [row, row, row])).rows_added == 1
    assert store.scalar("SELECT count(*) FROM events") == 4


def test_fingerprint_ignores_date_format_and_case(store: Store) -> None:
    header = ["rep", "date", "type", "subject"]
    ingest_bytes(store, "a.csv", csv_bytes(header, [["Ana", "2026-11-20 16:12", "Call", "Hello"]]))
    again = ingest_bytes(store, "b.csv", csv_bytes(header, [["ana ", "11/20/2026 4:12 PM", "CALL", " hello"]]))
    assert again.rows_added == 0


def test_same_record_twice_in_one_file_is_one_event(store: Store) -> None:
    rows = [["Ana", "2026-11-20", "Call", "", "r1"], ["Ana", "2026-11-21", "Call", "", "r1"]]
    result = ingest_bytes(store, "a.csv", csv_bytes(GENERIC_HEADER, rows))
    assert (result.rows_added, result.rows_duplicate) == (1, 1)


def test_undo_keeps_events_another_live_batch_carried(store: Store) -> None:
    rows = generic_rows(20)
    a = ingest_bytes(store, "a.csv", csv_bytes(GENERIC_HEADER, rows[:12]))
    b = ingest_bytes(store, "b.csv", csv_bytes(GENERIC_HEADER, rows[8:]))
    assert (b.rows_added, b.rows_duplicate) == (8, 4)
    undone = undo_batch(store, a.batch_id)
    assert (undone.events_removed, undone.events_kept_shared) == (8, 4)
    assert store.scalar("SELECT count(*) FROM events") == 12
    assert rollups(store) == recount(store)
    undone_b = undo_batch(store, b.batch_id)
    assert (undone_b.events_removed, undone_b.events_kept_shared) == (12, 0)
    assert store.scalar("SELECT count(*) FROM events") == 0
    assert rollups(store) == recount(store) == {}
    statuses = dict(list_batches(store).select("id", "status").iter_rows())
    assert statuses == {a.batch_id: "undone", b.batch_id: "undone"}
    with pytest.raises(BatchNotFound):
        undo_batch(store, a.batch_id)
    with pytest.raises(BatchNotFound):
        undo_batch(store, 999)


def test_undo_then_reupload_restores(store: Store) -> None:
    data = csv_bytes(GENERIC_HEADER, generic_rows(10))
    a = ingest_bytes(store, "a.csv", data)
    undo_batch(store, a.batch_id)
    again = ingest_bytes(store, "a.csv", data)
    assert again.rows_added == 10
    assert rollups(store) == recount(store)


def test_rollups_match_a_recount_after_ingest(store: Store) -> None:
    ingest_bytes(store, "a.csv", csv_bytes(GENERIC_HEADER, generic_rows(60)))
    ingest_bytes(store, "b.csv", csv_bytes(GENERIC_HEADER, generic_rows(40, start_day=5)))
    assert rollups(store) == recount(store) != {}


def test_unmapped_labels_counted_kept_and_remapped_later(store: Store) -> None:
    rows = [["Ana", "2026-11-20", "Webinar", "", "w1"], ["Ana", "2026-11-20", "Webinar", "", "w2"], ["Ana", "2026-11-20", "Call", "", "c1"]]
    result = ingest_bytes(store, "a.csv", csv_bytes(GENERIC_HEADER, rows))
    assert result.unmapped_labels == {"webinar": 2}
    assert json.loads(store.scalar("SELECT unmapped_labels FROM batches")) == {"webinar": 2}
    assert store.scalar("SELECT count(*) FROM events") == 3
    assert store.scalar("SELECT sum(n) FROM daily_rollups WHERE metric = 'meetings'") is None
    with store.write() as cur:
        cur.execute("INSERT INTO label_map VALUES ('activity', 'webinar', 'meeting')")
    with store.write() as cur:
        refresh_rollups(cur, load_catalog(store), touched=False)
    assert store.scalar("SELECT sum(n) FROM daily_rollups WHERE metric = 'meetings'") == 2
    assert rollups(store) == recount(store)


def test_reps_resolved_by_email_name_alias_and_created(store: Store) -> None:
    add_rep(store, "Ana López", slug="ana-lopez", email="ana@acme.io", aliases=["Ana L"])
    header = ["rep", "email", "date", "type"]
    rows = [
        ["Someone Else", "ANA@acme.io ", "2026-11-20 09:00", "Call"],
        ["  ana   lópez ", "", "2026-11-20 10:00", "Call"],
        ["ana l", "", "2026-11-20 11:00", "Call"],
        ["Bo Brown", "", "2026-11-20 12:00", "Call"],
    ]
    result = ingest_bytes(store, "a.csv", csv_bytes(header, rows))
    assert result.new_reps == ["Bo Brown"]
    per_rep = dict(store.fetchall("SELECT r.slug, count(*) FROM events e JOIN reps r USING (rep_id) GROUP BY 1"))
    assert per_rep == {"ana-lopez": 3, "bo-brown": 1}
    assert store.fetchone("SELECT new_reps FROM batches") == (["Bo Brown"],)


def test_partial_failure_commits_good_rows_and_stores_rejects(store: Store) -> None:
    rows = [
        ["Ana", "2026-11-20", "Call", "", "1"],
        ["", "2026-11-20", "Call", "", "2"],
        ["Ana", "someday", "Call", "", "3"],
        ["Ana", "2026-11-20", "", "", "4"],
    ]
    result = ingest_bytes(store, "a.csv", csv_bytes(GENERIC_HEADER, rows))
    assert (result.rows_read, result.rows_added, result.rows_rejected) == (4, 1, 3)
    rejects = batch_rejects(store, result.batch_id)
    assert rejects.select("line_no", "column").rows() == [(3, "rep"), (4, "date"), (5, "type")]
    assert json.loads(rejects["raw"][1])["date"] == "someday"
    with pytest.raises(FileRejected) as err:
        ingest_bytes(store, "a.csv", csv_bytes(GENERIC_HEADER, rows), IngestOptions(strict=True))
    assert "a.csv" in str(err.value) and "line 3" in str(err.value) and "strict" in str(err.value)


def test_progress_is_reported_in_order(store: Store) -> None:
    seen: list[tuple[float, str]] = []
    ingest_bytes(store, "a.csv", csv_bytes(GENERIC_HEADER, generic_rows(5)), progress=lambda f, t: seen.append((f, t)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(seen) >= 6
    assert all(0 <= f <= 1 and text for f, text in seen)


def test_preview_writes_nothing_and_flags_ambiguous_dates(store: Store) -> None:
    preview = preview_file("a.csv", csv_bytes(GENERIC_HEADER, generic_rows(5)), IngestOptions(), store)
    assert preview.layout == "generic" and preview.rows == 5 and preview.column_map["rep"] == "rep"
    assert preview.unmapped_labels == {}  # Email is a known label counting toward nothing
    assert store.scalar("SELECT count(*) FROM batches") == 0
    ambiguous = preview_file("b.csv", b"rep,date,type\nAna,01/02/2026,Call\n", IngestOptions(), store)
    assert ambiguous.needs_date_order and ambiguous.date_order is None


def test_preview_offers_every_column_for_manual_mapping(store: Store) -> None:
    data = b"Owner Name,When,Kind,Region Notes\nAna Lopez,2026-11-18 10:00,Call,North\n"
    preview = preview_file("odd.csv", data, IngestOptions(column_map={"rep": "Owner Name", "occurred_at": "When", "type": "Kind"}), store)
    assert preview.columns == ["Owner Name", "When", "Kind", "Region Notes"]


def test_preview_lists_the_rows_that_would_be_rejected(store: Store) -> None:
    data = b"rep,date,type\nAna Lopez,2026-11-18 10:00,Call\nAna Lopez,someday,Call\n"
    preview = preview_file("week.csv", data, IngestOptions(), store)
    assert preview.rejects.rows() == [(3, "date", preview.rejects["reason"][0])]
    assert "someday" in preview.rejects["reason"][0] or "date" in preview.rejects["reason"][0].lower()
    assert store.scalar("SELECT count(*) FROM rejected_rows") == 0


def test_csv_safe_guards_formulas() -> None:
    import polars as pl

    out = csv_safe(pl.DataFrame({"a": ["=1+1", "+x", "-2", "@SUM(A1)", "ok"], "n": [1, 2, 3, 4, 5]})).decode()
    assert out.splitlines()[1:] == ["'=1+1,1", "'+x,2", "'-2,3", "'@SUM(A1),4", "ok,5"]


def test_freshness(store: Store) -> None:
    assert data_freshness(store, datetime(2026, 11, 23, 12, 0)).text == "No data uploaded yet"
    ingest_bytes(store, "a.csv", b"rep,date,type\nAna,2026-11-20 16:12,Call\n")
    fresh = data_freshness(store, datetime(2099, 1, 1))
    assert fresh.data_through == datetime(2026, 11, 20, 16, 12)
    assert fresh.text.startswith("Data through Fri 20 Nov 2026 16:12 · uploaded ")
