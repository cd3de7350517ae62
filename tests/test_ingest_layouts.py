"""Each CRM's activity and deal exports are recognised, and deals become events."""

from __future__ import annotations

from datetime import datetime

import pytest

from scorecard.ingest import FileRejected, IngestOptions, ingest_bytes
from scorecard.ingest.layouts import detect_layout
from scorecard.store import Store
from tests.factories_ingest import csv_bytes, event_set

ACTIVITY_EXPORTS = {
    "salesforce_activity": (
        ["Activity ID", "Assigned", "Subject", "Date", "Type", "Task Subtype", "Call Result", "Status", "Company / Account"],
        ["00T1", "Ana Lopez", "Intro", "11/20/2026", "Call", "Call", "Connected", "Completed", "Acme"],
    ),
    "hubspot_activity": (
        ["Record ID", "Activity date", "Activity assigned to", "Activity type", "Call outcome", "Call title", "Call direction"],
        ["123", "2026-11-20 10:00", "Ana Lopez", "Call", "Connected", "Intro", "Outbound"],
    ),
    "pipedrive_activity": (
        ["Activity - ID", "Activity - Type", "Activity - Subject", "Activity - Due date", "Activity - Assigned to user", "Activity - Done"],
        ["55", "Call", "Intro", "2026-11-20", "Ana Lopez", "Done"],
    ),
    "outreach": (
        ["Id", "User", "Owner", "Type", "Disposition", "Outcome", "Created At", "Completed At", "Prospect", "Sequence"],
        ["9", "Ana Lopez", "Ana Lopez", "Call", "Connected", "Interested", "2026-11-20T10:00:00Z", "2026-11-20T10:05:00Z", "Pat", "S1"],
    ),
    "salesloft": (
        ["Id", "User", "Disposition", "Sentiment", "Date", "Type", "Cadence"],
        ["7", "Ana Lopez", "Connected", "Positive", "2026-11-20 10:00", "Call", "Q4"],
    ),
    "generic": (["rep", "date", "type", "outcome", "subject", "amount", "id", "email"], ["Ana Lopez", "2026-11-20", "Call", "Connected", "x", "", "1", "ana@x.io"]),
}

DEAL_EXPORTS = {
    "salesforce_opportunity": (
        ["Opportunity ID", "Opportunity Name", "Opportunity Owner", "Stage", "Close Date", "Amount", "Created Date", "Account Name"],
        [["006A", "Big", "Ana Lopez", "Closed Won", "11/20/2026", "$12,000.00", "10/1/2026", "Acme"],
         ["006B", "Lost", "Ana Lopez", "Closed Lost", "11/21/2026", "$5,000.00", "10/2/2026", "Beta"]],
    ),
    "hubspot_deal": (
        ["Record ID", "Deal Name", "Deal Stage", "Close Date", "Amount", "Deal owner", "Create Date", "Pipeline"],
        [["1", "Big", "Closed Won", "2026-11-20 10:00", "12000", "Ana Lopez", "2026-10-01 09:00", "Sales"],
         ["2", "Lost", "Closed Lost", "2026-11-21 10:00", "5000", "Ana Lopez", "2026-10-02 09:00", "Sales"]],
    ),
    "pipedrive_deal": (
        ["Deal - ID", "Deal - Title", "Deal - Value", "Deal - Status", "Deal - Won time", "Deal - Owner", "Deal - Deal created", "Deal - Stage"],
        [["1", "Big", "12000", "won", "2026-11-20 10:00:00", "Ana Lopez", "2026-10-01 09:00:00", "Negotiations"],
         ["2", "Open", "5000", "open", "", "Ana Lopez", "2026-10-02 09:00:00", "Proposal"]],
    ),
}


@pytest.mark.parametrize("layout", sorted(ACTIVITY_EXPORTS))
def test_activity_exports_detected(store: Store, layout: str) -> None:
    header, row = ACTIVITY_EXPORTS[layout]
    assert detect_layout("x.csv", header).layout.name == layout
    result = ingest_bytes(store, f"{layout}.csv", csv_bytes(header, [row]))
    assert (result.layout, result.rows_added, result.rows_rejected) == (layout, 1, 0)
    (event,) = event_set(store)
    assert event[0] == "Ana Lopez" and event[2] == "Call"
    expected_outcome = "" if layout == "pipedrive_activity" else "connected"  # Pipedrive activities carry no outcome
    assert store.scalar("SELECT outcome_label FROM events") == expected_outcome


@pytest.mark.parametrize("layout", sorted(DEAL_EXPORTS))
def test_deal_exports_become_won_and_created_events(store: Store, layout: str) -> None:
    header, rows = DEAL_EXPORTS[layout]
    assert detect_layout("x.csv", header).layout.name == layout
    result = ingest_bytes(store, f"{layout}.csv", csv_bytes(header, rows))
    assert result.layout == layout and result.rows_rejected == 0
    events = store.fetchall("SELECT raw_type, occurred_at, amount, record_id FROM events ORDER BY occurred_at")
    assert [(t, a) for t, _, a, _ in events] == [("Opportunity created", None), ("Opportunity created", None), (events[2][0], 12000.0)]
    assert events[2][1].date() == datetime(2026, 11, 20).date()
    assert len({r for *_, r in events}) == 3  # the created event of a deal has its own identity
    metrics = dict(store.fetchall("SELECT metric, sum(n) FROM daily_rollups GROUP BY metric"))
    assert (metrics["deals_won"], metrics["opportunities"]) == (1, 2)
    assert store.scalar("SELECT sum(amount) FROM daily_rollups WHERE metric = 'revenue_won'") == 12000.0
    # Re-uploading the deal export adds nothing.
    again = ingest_bytes(store, f"{layout}.csv", csv_bytes(header, rows))
    assert (again.rows_added, again.rows_duplicate) == (0, 3)


def test_pipedrive_planned_activities_are_skipped(store: Store) -> None:
    header, row = ACTIVITY_EXPORTS["pipedrive_activity"]
    planned = ["56", "Call", "Later", "2026-11-25", "Ana Lopez", "Not done"]
    result = ingest_bytes(store, "pd.csv", csv_bytes(header, [row, planned]))
    assert (result.rows_added, result.rows_skipped) == (1, 1)


def test_explicit_column_map_wins(store: Store) -> None:
    header = ["Who", "When", "What", "Notes"]
    rows = [["Ana", "2026-11-20", "Call", "typed"]]
    with pytest.raises(FileRejected) as err:
        ingest_bytes(store, "odd.csv", csv_bytes(header, rows))
    assert "odd.csv" in str(err.value) and "--map" in str(err.value)
    options = IngestOptions(column_map={"rep": "Who", "occurred_at": "When", "type": "What"})
    result = ingest_bytes(store, "odd.csv", csv_bytes(header, rows), options)
    assert result.rows_added == 1
    # An override also beats a detected column.
    header2 = ["rep", "date", "type", "Real Type"]
    options2 = IngestOptions(column_map={"type": "Real Type"})
    ingest_bytes(store, "o2.csv", csv_bytes(header2, [["Bo", "2026-11-20", "Email", "Meeting"]]), options2)
    assert store.scalar("SELECT raw_type FROM events WHERE raw_type <> 'Call'") == "Meeting"


def test_unknown_field_in_column_map_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown field"):
        IngestOptions(column_map={"colour": "x"})
