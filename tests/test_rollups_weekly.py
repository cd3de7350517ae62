"""Weekly rollups always equal a recount from the events, whatever changed them."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from scorecard.admin import merge_reps, set_label_target
from scorecard.ingest import undo_batch
from scorecard.settings import load_settings, save_settings
from scorecard.store import Store
from tests.factories_pace import Recompute, random_team

SEEDS = (11, 29)


def weekly_rows(store: Store) -> dict[tuple[int, date, str], tuple[int, float]]:
    return {
        (int(r), w, m): (int(n), float(a))
        for r, w, m, n, a in store.fetchall("SELECT rep_id, week_start, metric, n, amount FROM weekly_rollups")
    }


def assert_weekly_match_events(store: Store) -> None:
    """Counts exactly; amounts to a millionth of a cent (float sums depend on the order they are added in)."""
    ours, theirs = weekly_rows(store), Recompute(store).weekly_rollups()
    assert ours.keys() == theirs.keys()
    for key, (n, amount) in theirs.items():
        assert ours[key][0] == n, key
        assert ours[key][1] == pytest.approx(amount, rel=1e-12, abs=1e-9), key
    # One row per rep, week and metric: the table never holds a stale duplicate.
    assert store.scalar("SELECT count(*) FROM weekly_rollups") == len(ours)


@pytest.mark.parametrize("seed", SEEDS)
def test_weekly_rollups_follow_every_change(store: Store, seed: int) -> None:
    team = random_team(store, seed)
    assert_weekly_match_events(store)  # after three ingests

    undo_batch(store, team.batches[1])
    assert_weekly_match_events(store)

    set_label_target(store, "activity", "Webinar", "meeting")  # unmapped until now
    set_label_target(store, "outcome", "Voicemail", "connect")
    assert_weekly_match_events(store)

    merge_reps(store, team.reps["Ana Lopez"], team.reps["Bo Chen"])
    assert_weekly_match_events(store)

    settings = load_settings(store)
    save_settings(store, dataclasses.replace(settings, week_start=6, working_days=(6, 0, 1, 2, 3)))
    assert store.scalar("SELECT value FROM meta WHERE key = 'weekly_rollups_week_start'") == "6"
    assert_weekly_match_events(store)
    assert {w.weekday() for (_r, w, _m) in weekly_rows(store)} == {6}

    set_label_target(store, "activity", "Webinar", None)  # back to the shipped mapping, on Sunday weeks
    assert_weekly_match_events(store)

    save_settings(store, settings)  # and back to Monday weeks
    assert_weekly_match_events(store)
    assert {w.weekday() for (_r, w, _m) in weekly_rows(store)} == {0}


def test_a_settings_save_that_keeps_the_week_start_leaves_the_weeks_alone(store: Store) -> None:
    random_team(store, 5)
    before = weekly_rows(store)
    save_settings(store, dataclasses.replace(load_settings(store), timezone="Europe/Madrid"))
    assert weekly_rows(store) == before


def test_the_migration_builds_weeks_from_existing_daily_rollups(tmp_path: object) -> None:
    """A file from before weekly rollups gets them, cut on its own week-start day."""
    import duckdb

    from scorecard._schema import MIGRATIONS

    path = f"{tmp_path}/old.duckdb"
    con = duckdb.connect(path)
    con.execute("CREATE TABLE schema_version (version INTEGER, applied_at TIMESTAMP)")
    for statement in MIGRATIONS[0]:
        con.execute(statement)
    con.execute("INSERT INTO schema_version VALUES (1, current_timestamp::TIMESTAMP)")
    con.execute("INSERT INTO settings VALUES ('week_start', '6')")
    con.execute(
        "INSERT INTO daily_rollups VALUES (1, DATE '2026-10-17', 'meetings', 2, 0),"
        " (1, DATE '2026-10-18', 'meetings', 3, 0), (1, DATE '2026-10-24', 'meetings', 1, 0),"
        " (2, DATE '2026-10-20', 'deals_won', 1, 1250.5)"
    )
    con.close()
    with Store(path) as store:
        assert store.schema_version() == len(MIGRATIONS)
        assert weekly_rows(store) == {
            (1, date(2026, 10, 11), "meetings"): (2, 0.0),  # Saturday the 17th: the week of Sunday the 11th
            (1, date(2026, 10, 18), "meetings"): (4, 0.0),
            (2, date(2026, 10, 18), "deals_won"): (1, 1250.5),
        }
        assert store.scalar("SELECT value FROM meta WHERE key = 'weekly_rollups_week_start'") == "6"
