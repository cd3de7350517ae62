"""Identity: sources, corrections (latest wins, undo restores), merges that keep dedupe, old databases upgraded."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from scorecard._schema import IDENTITY_BY_SOURCE, MIGRATIONS
from scorecard.admin import merge_reps
from scorecard.cli import main
from scorecard.inbox import process_inbox
from scorecard.ingest import AmbiguousSource, IngestOptions, ingest_bytes, list_batches, undo_batch
from scorecard.store import Store
from tests.factories import add_rep
from tests.factories_ingest import csv_bytes, recount, rollups, snapshot

AS_OF = datetime(2026, 11, 23, 12, 0)
OPTIONS = IngestOptions(as_of=AS_OF)
HEADER = ["rep", "date", "type", "outcome", "id"]


def _rows(reps: list[str], start: int = 1) -> list[list[str]]:
    return [[rep, f"2026-11-{10 + i % 9:02d} {9 + i % 8:02d}:00", "Call", "Connected", str(start + i)] for i, rep in enumerate(reps)]


def _events(store: Store) -> list[tuple[object, ...]]:
    return store.fetchall(
        "SELECT e.record_id, r.display_name, e.occurred_at, e.raw_type, e.source FROM events e JOIN reps r USING (rep_id) ORDER BY ALL"
    )


# -- sources --------------------------------------------------------------------------------------


def test_two_teams_sheets_numbered_from_one_are_two_sources(store: Store) -> None:
    team_a = ingest_bytes(store, "team-a.csv", csv_bytes(HEADER, _rows(["Ana", "Bo", "Ana", "Bo"])), OPTIONS)
    team_b = csv_bytes(HEADER, _rows(["Cy", "Dee", "Cy"]))
    before = snapshot(store)
    with pytest.raises(AmbiguousSource) as err:
        ingest_bytes(store, "team-b.csv", team_b, OPTIONS)
    message = str(err.value)
    assert message.startswith("team-b.csv: 3 of the 3 record ids in column 'id'")
    assert "id 1: stored for Ana, here Cy" in message and "--source NAME" in message and "--source generic:id" in message
    assert snapshot(store) == before  # nothing written, not even the reps
    named = ingest_bytes(store, "team-b.csv", team_b, IngestOptions(as_of=AS_OF, source_name="Team B"))
    assert (team_a.record_source, named.record_source) == ("generic:id", "team b")
    assert (named.rows_added, named.rows_duplicate, named.rows_corrected) == (3, 0, 0)
    assert store.scalar("SELECT count(*) FROM events") == 7
    # Each sheet's weekly re-export keeps deduplicating within its own source.
    again = ingest_bytes(store, "team-b-week2.csv", team_b, IngestOptions(as_of=AS_OF, source_name="team  B"))
    assert (again.rows_added, again.rows_duplicate) == (0, 3)
    assert again.matched_sources == {}
    assert {s for *_, s in _events(store)} == {"generic:id", "team b"}


def test_generic_sources_follow_the_id_column(store: Store) -> None:
    ingest_bytes(store, "a.csv", csv_bytes(["rep", "date", "type", "record id"], [["Ana", "2026-11-18", "Call", "7"]]), OPTIONS)
    other = ingest_bytes(store, "b.csv", csv_bytes(["rep", "date", "type", "event id"], [["Bo", "2026-11-18", "Call", "7"]]), OPTIONS)
    assert (other.record_source, other.rows_added) == ("generic:event id", 1)
    crm = ingest_bytes(
        store, "sf.csv", csv_bytes(["Activity ID", "Assigned", "Date", "Type"], [["7", "Cy", "11/18/2026", "Call"]]), OPTIONS
    )
    assert (crm.record_source, crm.rows_added) == ("salesforce:activity", 1)


def test_the_same_sheet_under_a_new_source_name_is_matched_not_doubled(store: Store) -> None:
    data = csv_bytes(HEADER, _rows(["Ana", "Bo", "Cy"]))
    ingest_bytes(store, "sheet.csv", data, OPTIONS)
    renamed = ingest_bytes(store, "sheet.csv", data, IngestOptions(as_of=AS_OF, source_name="north"))
    assert (renamed.rows_added, renamed.rows_duplicate) == (0, 3)
    assert renamed.matched_sources == {"generic:id": 3}
    assert any("3 rows matched events already stored from source 'generic:id'" in n for n in renamed.notes)
    assert store.scalar("SELECT count(*) FROM events") == 3
    notes = json.loads(store.scalar("SELECT notes FROM batches WHERE batch_id = ?", [renamed.batch_id]))
    assert any("generic:id" in n for n in notes)


def test_rows_without_ids_matching_another_sources_events_are_reported(store: Store) -> None:
    rows = [["Ana", "2026-11-18 10:00", "Call", "Connected"], ["Bo", "2026-11-18 11:00", "Call", ""]]
    first = ingest_bytes(store, "a.csv", csv_bytes(HEADER[:4], rows), OPTIONS)
    assert first.record_source == "generic"
    second = ingest_bytes(store, "b.csv", csv_bytes(HEADER[:4], rows), IngestOptions(as_of=AS_OF, source_name="crm export"))
    assert (second.rows_added, second.matched_sources) == (0, {"generic": 2})


def test_a_reassignment_of_one_record_is_a_correction_not_a_clash(store: Store) -> None:
    ingest_bytes(store, "w1.csv", csv_bytes(HEADER, _rows(["Ana", "Bo", "Ana", "Bo"])), OPTIONS)
    fixed = ingest_bytes(store, "w1-fixed.csv", csv_bytes(HEADER, _rows(["Ana", "Bo", "Bo", "Bo"])), OPTIONS)
    assert (fixed.rows_added, fixed.rows_corrected, fixed.rows_duplicate) == (0, 1, 3)


def test_the_clash_can_be_confirmed_as_a_correction_by_naming_the_default_source(store: Store) -> None:
    ingest_bytes(store, "w1.csv", csv_bytes(HEADER, _rows(["Ana", "Bo", "Ana"])), OPTIONS)
    moved = csv_bytes(HEADER, _rows(["Cy", "Cy", "Cy"]))
    with pytest.raises(AmbiguousSource):
        ingest_bytes(store, "w1-moved.csv", moved, OPTIONS)
    result = ingest_bytes(store, "w1-moved.csv", moved, IngestOptions(as_of=AS_OF, source_name="generic:id"))
    assert (result.rows_corrected, result.rows_added) == (3, 0)
    assert {r for _, r, *_ in _events(store)} == {"Cy"}


# -- corrections ----------------------------------------------------------------------------------


def test_a_corrected_record_replaces_the_stored_one_and_undo_restores_it(store: Store) -> None:
    original = [["Ana", "2026-11-18 10:00", "Call", "Connected", "r1"], ["Bo", "2026-11-18 11:00", "Call", "", "r2"]]
    first = ingest_bytes(store, "w1.csv", csv_bytes(HEADER, original), OPTIONS)
    before_fix = _events(store)
    rollups_before = rollups(store)
    fixed_rows = [["Cy", "2026-11-19 09:30", "Meeting", "", "r1"], original[1]]  # rep, date and type all changed
    fix = ingest_bytes(store, "w1-fixed.csv", csv_bytes(HEADER, fixed_rows), OPTIONS)
    assert (fix.rows_added, fix.rows_corrected, fix.rows_duplicate) == (0, 1, 1)
    assert ("r1", "Cy", datetime(2026, 11, 19, 9, 30), "Meeting", "generic:id") in _events(store)
    assert store.scalar("SELECT count(*) FROM events") == 2
    kept = store.fetchall("SELECT record_id, raw_type, superseded_by FROM event_versions")
    assert kept == [("r1", "Call", fix.batch_id)]
    assert rollups(store) == recount(store) != rollups_before
    history = {row["id"]: row for row in list_batches(store).iter_rows(named=True)}
    assert history[fix.batch_id]["rows_corrected"] == 1
    undone = undo_batch(store, fix.batch_id)
    assert (undone.events_removed, undone.events_restored, undone.events_kept_shared) == (1, 1, 1)
    assert _events(store) == before_fix
    assert rollups(store) == recount(store) == rollups_before
    assert store.scalar("SELECT count(*) FROM event_versions") == 0
    assert first.batch_id != fix.batch_id


def test_reuploading_the_old_file_after_a_correction_does_not_undo_it(store: Store) -> None:
    old = csv_bytes(HEADER, [["Ana", "2026-11-18 10:00", "Call", "Connected", "r1"]])
    new = csv_bytes(HEADER, [["Ana", "2026-11-18 10:00", "Meeting", "", "r1"]])
    ingest_bytes(store, "w1.csv", old, OPTIONS)
    fix = ingest_bytes(store, "w2.csv", new, OPTIONS)
    stale = ingest_bytes(store, "w1-again.csv", old, OPTIONS)
    assert (stale.rows_outdated, stale.rows_corrected, stale.rows_added, stale.rows_duplicate) == (1, 0, 0, 0)
    assert store.scalar("SELECT raw_type FROM events") == "Meeting"
    # Undoing the correction still restores the old version: the stale re-upload carries it too.
    undo_batch(store, fix.batch_id)
    assert store.scalar("SELECT raw_type FROM events") == "Call"
    assert rollups(store) == recount(store)


def test_a_chain_of_corrections_unwinds_in_any_order(store: Store) -> None:
    versions = ["Call", "Meeting", "Proposal sent"]
    batches = [
        ingest_bytes(store, f"v{i}.csv", csv_bytes(HEADER, [["Ana", "2026-11-18 10:00", t, "", "r1"]]), OPTIONS).batch_id
        for i, t in enumerate(versions)
    ]
    assert store.scalar("SELECT raw_type FROM events") == "Proposal sent"
    undo_batch(store, batches[1])  # the middle version goes; the latest stays
    assert store.scalar("SELECT raw_type FROM events") == "Proposal sent"
    undo_batch(store, batches[2])  # the first is all that is left
    assert store.scalar("SELECT raw_type FROM events") == "Call"
    assert store.scalar("SELECT count(*) FROM event_versions") == 0
    undo_batch(store, batches[0])
    assert store.scalar("SELECT count(*) FROM events") == 0
    assert rollups(store) == recount(store) == {}


def test_a_correction_of_the_amount_or_its_currency_counts(store: Store) -> None:
    header = ["rep", "date", "type", "amount", "id"]
    ingest_bytes(store, "d1.csv", csv_bytes(header, [["Ana", "2026-11-18", "Closed Won", "EUR 100", "d1"]]), OPTIONS)
    fix = ingest_bytes(store, "d2.csv", csv_bytes(header, [["Ana", "2026-11-18", "Closed Won", "USD 100", "d1"]]), OPTIONS)
    assert fix.rows_corrected == 1
    assert store.fetchone("SELECT amount, currency FROM events") == (100.0, "USD")


# -- merges ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("with_ids", [False, True])
def test_merge_then_reupload_adds_nothing(store: Store, with_ids: bool) -> None:
    rows = [["Ana López", "2026-11-18 10:00", "Call", "Connected"], ["Ana Lopez", "2026-11-18 11:00", "Call", ""]]
    rows += [["Ana Lopez", "2026-11-18 11:00", "Call", ""]]  # an identical twin row: two events
    if with_ids:
        rows = [[*r, f"id{i}"] for i, r in enumerate(rows)]
    header = HEADER if with_ids else HEADER[:4]
    data = csv_bytes(header, rows)
    first = ingest_bytes(store, "w.csv", data, OPTIONS)
    assert first.rows_added == 3 and len(first.merge_proposals) == 1
    ids = dict(store.fetchall("SELECT display_name, rep_id FROM reps"))
    merge_reps(store, ids["Ana López"], ids["Ana Lopez"])
    before = store.fetchall("SELECT event_id, event_key, rep_id FROM events ORDER BY 1")
    again = ingest_bytes(store, "w-again.csv", data, OPTIONS)
    assert (again.rows_added, again.rows_duplicate, again.rows_corrected, again.new_reps) == (0, 3, 0, [])
    assert store.fetchall("SELECT event_id, event_key, rep_id FROM events ORDER BY 1") == before
    assert rollups(store) == recount(store)


def test_accent_only_difference_proposes_a_merge_and_creates_no_silent_twin(store: Store) -> None:
    add_rep(store, "Ana López", slug="ana-lopez")
    result = ingest_bytes(store, "w.csv", csv_bytes(HEADER[:4], [["ANA LOPEZ", "2026-11-18 10:00", "Call", ""]]), OPTIONS)
    assert result.new_reps == ["ANA LOPEZ"]
    (proposal,) = result.merge_proposals
    assert (proposal.new_name, proposal.existing_name) == ("ANA LOPEZ", "Ana López")
    assert any("differs from 'Ana López' only by accents" in n and "Roster page" in n for n in result.notes)
    # A name that matches exactly (ignoring case and spaces) is the same rep, not a proposal.
    same = ingest_bytes(store, "w2.csv", csv_bytes(HEADER[:4], [["ana  lópez", "2026-11-18 12:00", "Call", ""]]), OPTIONS)
    assert (same.new_reps, same.merge_proposals) == ([], [])


# -- the command line and the inbox ---------------------------------------------------------------


def _cli(db: Path, *args: str) -> int:
    return main(["ingest", "--db", str(db), "--as-of", AS_OF.isoformat(), *args])


def test_cli_source_option_and_clash_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "c.duckdb"
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_bytes(csv_bytes(HEADER, _rows(["Ana", "Bo"])))
    b.write_bytes(csv_bytes(HEADER, _rows(["Cy", "Dee"])))
    assert _cli(db, str(a)) == 0
    capsys.readouterr()
    assert _cli(db, str(b)) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: b.csv: 2 of the 2 record ids in column 'id'") and "--source" in err
    assert _cli(db, str(b), "--source", "team b") == 0
    out = capsys.readouterr().out
    assert "b.csv: batch 2 (generic) — 2 rows read, 2 added" in out
    assert _cli(db, str(b), "--source", "\u200b") == 2
    assert "source name cannot" in capsys.readouterr().err


def _drop(folder: Path, name: str, data: bytes) -> None:
    path = folder / name
    path.write_bytes(data)
    os.utime(path, (1_700_000_000, 1_700_000_000))  # settled: written long ago


def test_inbox_reads_the_source_from_the_file_name(store: Store, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    ingest_bytes(store, "a.csv", csv_bytes(HEADER, _rows(["Ana", "Bo"])), OPTIONS)
    _drop(inbox, "b.csv", csv_bytes(HEADER, _rows(["Cy", "Dee"])))
    (outcome,) = process_inbox(store, inbox)
    assert not outcome.ok and outcome.reason is not None and ".source-NAME.csv" in outcome.reason
    _drop(inbox, "b.source-team-b.csv", csv_bytes(HEADER, _rows(["Cy", "Dee"])))
    (outcome,) = process_inbox(store, inbox)
    assert outcome.ok and outcome.result is not None
    assert (outcome.result.record_source, outcome.result.rows_added) == ("team-b", 2)


# -- databases from before sources and corrections ------------------------------------------------

# How the first schema keyed events (kept here to build a database as it was).
_V1_RECORD_KEY = "md5_number('r|' || ? || '|' || ?)"
_V1_FINGERPRINT = (
    "md5_number(concat_ws('|', 'f', ?, strftime(?::TIMESTAMP, '%Y-%m-%d %H:%M:%S.%f'), ?, ?, ?, ?, ?))"
)


def test_old_database_is_upgraded_and_old_exports_still_dedupe(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_version (version INTEGER, applied_at TIMESTAMP)")
    for version, statements in enumerate(MIGRATIONS[: MIGRATIONS.index(IDENTITY_BY_SOURCE)], start=1):
        for statement in statements:
            con.execute(statement)
        con.execute("INSERT INTO schema_version VALUES (?, current_timestamp::TIMESTAMP)", [version])
    con.execute("INSERT INTO reps (slug, display_name) VALUES ('ana', 'Ana'), ('bo', 'Bo')")
    con.execute(
        "INSERT INTO batches (file_name, layout, source, uploaded_at, column_map) VALUES "
        "('g.csv', 'generic', 'cli', now()::TIMESTAMP, '{\"record_id\": \"id\"}'), "
        "('f.csv', 'generic', 'cli', now()::TIMESTAMP, '{}')"
    )
    when = datetime(2026, 11, 18, 10, 0)
    # Batch 1: a generic sheet with ids, in the one namespace every generic sheet shared.
    con.execute(
        f"INSERT INTO events VALUES (1, {_V1_RECORD_KEY}, 1, ?, 'Call', 'Connected', NULL, 'call', 'connected', NULL, '1', 1)",
        ["generic:activity", "1", when],
    )
    # Batch 2: two identical rows without ids, keyed by rep id and occurrence.
    for occurrence in (1, 2):
        con.execute(
            f"INSERT INTO events VALUES (?, {_V1_FINGERPRINT}, 2, ?, 'Call', '', NULL, 'call', '', NULL, NULL, 2)",
            [1 + occurrence, "2", when, "call", "", "", "", str(occurrence), when],
        )
    con.execute("INSERT INTO batch_events VALUES (1, 1), (2, 2), (2, 3)")
    con.close()
    with Store(path) as store:
        assert store.fetchall("SELECT batch_id, record_source FROM batches ORDER BY 1") == [(1, "generic:id"), (2, "generic")]
        assert store.scalar("SELECT count(*) FROM events WHERE source IS NULL") == 0
        again = ingest_bytes(store, "g.csv", csv_bytes(HEADER, [["Ana", "2026-11-18 10:00", "Call", "Connected", "1"]]), OPTIONS)
        twins = csv_bytes(HEADER[:4], [["Bo", "2026-11-18 10:00", "Call", ""], ["Bo", "2026-11-18 10:00", "Call", ""]])
        twins_again = ingest_bytes(store, "f.csv", twins, OPTIONS)
        assert (again.rows_added, again.rows_duplicate) == (0, 1)
        assert (twins_again.rows_added, twins_again.rows_duplicate) == (0, 2)
        assert store.scalar("SELECT count(*) FROM events") == 3
