"""Roster edits, merging reps, label mapping and settings validation."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from datetime import time as dt_time

import polars as pl
import pytest

from scorecard import admin
from scorecard.admin import (
    InvalidInput,
    RepEdit,
    clear_label_target,
    label_counts,
    merge_reps,
    rep_edit,
    set_label_target,
    update_rep,
    update_settings,
)
from scorecard.catalog import load_catalog
from scorecard.goals import GoalChange, set_goals
from scorecard.settings import load_settings
from scorecard.store import Store
from tests.factories import add_activity, add_counts, add_rep

MON = datetime(2026, 3, 2, 10)
TUE = datetime(2026, 3, 3, 11)
WED = datetime(2026, 3, 4, 12)


def _totals(store: Store, rep_id: int) -> dict[str, tuple[int, float]]:
    rows = store.fetchall("SELECT metric, sum(n), sum(amount) FROM daily_rollups WHERE rep_id = ? GROUP BY ALL", [rep_id])
    return {metric: (int(n), float(amount)) for metric, n, amount in rows}


def _recount(store: Store) -> pl.DataFrame:
    """Rollups recomputed from scratch from the events, through the current catalog."""
    catalog = load_catalog(store)
    events = store.frame(
        "SELECT rep_id, CAST(occurred_at AS DATE) AS day, coalesce(activity_label, '') AS a, "
        "coalesce(outcome_label, '') AS o, coalesce(amount, 0) AS amount FROM events"
    )
    rows = [
        (r["rep_id"], r["day"], metric, r["amount"])
        for r in events.iter_rows(named=True)
        for metric in catalog.metrics_for(r["a"], r["o"])
    ]
    frame = pl.DataFrame(rows, schema={"rep_id": pl.Int32, "day": pl.Date, "metric": pl.String, "amount": pl.Float64}, orient="row")
    return frame.group_by("rep_id", "day", "metric").agg(n=pl.len().cast(pl.Int64), amount=pl.col("amount").sum()).sort("rep_id", "day", "metric")


def _rollups(store: Store) -> pl.DataFrame:
    return store.frame("SELECT rep_id, day, metric, n, amount FROM daily_rollups ORDER BY ALL").sort("rep_id", "day", "metric")


def _assert_rollups_consistent(store: Store) -> None:
    expected = _recount(store)
    actual = _rollups(store)
    assert actual.select("rep_id", "day", "metric", "n").rows() == expected.select("rep_id", "day", "metric", "n").rows()
    assert actual["amount"].to_list() == pytest.approx(expected["amount"].to_list())


# -- roster edits ---------------------------------------------------------------


def test_update_rep_saves_fields_and_keeps_old_name_as_alias(store: Store) -> None:
    rep = add_rep(store, "Jane Doe", email="jane@acme.com")
    stored = update_rep(
        store, rep, RepEdit("Jane  Smith", "jane-smith", "jane.smith@acme.com", "East", False, ("JS", "js", " "))
    )
    assert stored.display_name == "Jane Smith"
    now = rep_edit(store, rep)
    assert now == stored
    assert now.slug == "jane-smith" and now.team == "East" and now.active is False
    assert now.aliases == ("JS", "Jane Doe")


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (RepEdit("", "ann", None, "Sales", True), "display_name"),
        (RepEdit("Ann", "Ann Lee!", None, "Sales", True), "slug"),
        (RepEdit("Ann", "bob", None, "Sales", True), "slug"),  # taken by Bob
        (RepEdit("Ann", "ann", "not-an-email", "Sales", True), "email"),
        (RepEdit("Ann", "ann", "BOB@acme.com", "Sales", True), "email"),  # Bob's address
        (RepEdit("Ann", "ann", None, "  ", True), "team"),
        (RepEdit("Ann", "ann", None, "Sales", True, ("Robert",)), "aliases"),  # Bob's alias
    ],
)
def test_invalid_rep_edit_names_the_field_and_changes_nothing(store: Store, edit: RepEdit, field: str) -> None:
    ann = add_rep(store, "Ann", email="ann@acme.com")
    bob = add_rep(store, "Bob", email="bob@acme.com")
    with store.write() as cur:
        cur.execute("UPDATE reps SET aliases = ['Robert'] WHERE rep_id = ?", [bob])
    before = rep_edit(store, ann)
    version = store.data_version()
    with pytest.raises(InvalidInput) as info:
        update_rep(store, ann, edit)
    assert field in info.value.errors
    assert rep_edit(store, ann) == before
    assert store.data_version() == version


def test_invalid_rep_edit_reports_every_bad_field(store: Store) -> None:
    ann = add_rep(store, "Ann")
    with pytest.raises(InvalidInput) as info:
        update_rep(store, ann, RepEdit("", "A B", "nope", "", True))
    assert set(info.value.errors) == {"display_name", "slug", "email", "team"}


# -- merge ------------------------------------------------------------------------


def test_merge_moves_events_goals_pto_and_loses_nothing(store: Store) -> None:
    keep = add_rep(store, "Jane Doe", email="jane@acme.com")
    dupe = add_rep(store, "J. Doe", email="jdoe@acme.com", slug="jdoe")
    other = add_rep(store, "Other")
    add_counts(store, keep, MON, {"meetings": 2, "conversations": 3})
    add_counts(store, dupe, MON, {"meetings": 1, "calls": 4})  # same day as the kept rep's events
    add_counts(store, dupe, TUE, {"proposals": 2})
    add_activity(store, dupe, [(WED, "deals_won", 5000.0)])
    add_counts(store, other, MON, {"meetings": 7})
    catalog = load_catalog(store)
    start = date(2026, 3, 2)
    set_goals(store, catalog, [GoalChange(keep, "meetings", 5, start), GoalChange(keep, "conversations", 9, start)])
    set_goals(store, catalog, [GoalChange(dupe, "meetings", 3, start), GoalChange(dupe, "proposals", 2, start)])
    with store.write() as cur:
        cur.execute("INSERT INTO pto VALUES (?, ?), (?, ?), (?, ?)", [keep, date(2026, 3, 9), dupe, date(2026, 3, 9), dupe, date(2026, 3, 10)])
        cur.execute("INSERT INTO quotas VALUES (?, 40000, 'month', ?)", [dupe, start])

    keep_before, dupe_before, other_before = _totals(store, keep), _totals(store, dupe), _totals(store, other)
    events_before = store.scalar("SELECT count(*) FROM events")
    expected = {
        metric: (keep_before.get(metric, (0, 0.0))[0] + dupe_before.get(metric, (0, 0.0))[0],
                 keep_before.get(metric, (0, 0.0))[1] + dupe_before.get(metric, (0, 0.0))[1])
        for metric in set(keep_before) | set(dupe_before)
    }

    result = merge_reps(store, keep, dupe)

    assert result.events_moved == 1 + 4 + 2 + 1
    assert _totals(store, keep) == expected
    assert _totals(store, other) == other_before
    assert _totals(store, dupe) == {}
    assert store.scalar("SELECT count(*) FROM events") == events_before
    assert store.scalar("SELECT count(*) FROM events WHERE rep_id = ?", [dupe]) == 0
    assert store.scalar("SELECT count(*) FROM reps WHERE rep_id = ?", [dupe]) == 0
    _assert_rollups_consistent(store)

    goals = dict(store.fetchall("SELECT metric, weekly_goal FROM goals WHERE rep_id = ?", [keep]))
    assert goals == {"meetings": 5, "conversations": 9, "proposals": 2}  # the kept rep's meetings goal wins
    assert (result.goals_moved, result.goals_dropped) == (1, 1)
    assert store.scalar("SELECT count(*) FROM goals WHERE rep_id = ?", [dupe]) == 0
    assert sorted(d for (d,) in store.fetchall("SELECT day FROM pto WHERE rep_id = ?", [keep])) == [date(2026, 3, 9), date(2026, 3, 10)]
    assert store.scalar("SELECT count(*) FROM pto WHERE rep_id = ?", [dupe]) == 0
    assert store.fetchall("SELECT rep_id, amount FROM quotas") == [(keep, 40000.0)]

    kept = rep_edit(store, keep)
    assert kept.email == "jane@acme.com"
    assert {"J. Doe", "jdoe", "jdoe@acme.com"} <= set(kept.aliases)


def test_merge_adopts_email_and_moves_contest_entries(store: Store) -> None:
    keep = add_rep(store, "Sam")
    dupe = add_rep(store, "Samuel", email="sam@acme.com")
    with store.write() as cur:
        cur.execute(
            "INSERT INTO contests (metric, format, start_day, end_day, rules, budget, launched_at) "
            "VALUES ('meetings', 'threshold', ?, ?, '{}', 100, ?)",
            [date(2026, 3, 2), date(2026, 3, 6), datetime(2026, 3, 2)],
        )
        cur.execute("INSERT INTO contest_participants VALUES (1, ?, 5, NULL)", [dupe])
    result = merge_reps(store, keep, dupe)
    assert result.contest_entries_moved == 1
    assert store.fetchall("SELECT rep_id FROM contest_participants") == [(keep,)]
    assert rep_edit(store, keep).email == "sam@acme.com"


def test_merge_refuses_same_or_unknown_rep(store: Store) -> None:
    rep = add_rep(store, "Solo")
    add_counts(store, rep, MON, {"meetings": 1})
    with pytest.raises(InvalidInput):
        merge_reps(store, rep, rep)
    with pytest.raises(LookupError):
        merge_reps(store, rep, 999)
    assert _totals(store, rep) == {"meetings": (1, 0.0)}


# -- label mapping ------------------------------------------------------------------


def _add_labelled(store: Store, rep_id: int, when: datetime, raw_type: str, raw_outcome: str, n: int) -> None:
    """Events with arbitrary raw labels, as an export would bring them."""
    from scorecard.catalog import normalize_label
    from scorecard.rollups import mark_touched, refresh_rollups

    catalog = load_catalog(store)
    with store.write() as cur:
        base = int(cur.execute("SELECT coalesce(max(event_id), 0) FROM events").fetchone()[0])  # type: ignore[index]
        for i in range(n):
            cur.execute(
                "INSERT INTO events (event_id, event_key, rep_id, occurred_at, raw_type, raw_outcome, activity_label, "
                "outcome_label, first_batch_id) VALUES (?, ?::UHUGEINT, ?, ?, ?, ?, ?, ?, 0)",
                [base + i + 1, str(10**20 + base + i), rep_id, when, raw_type, raw_outcome, normalize_label(raw_type), normalize_label(raw_outcome)],
            )
        mark_touched(cur, "SELECT ?::INTEGER, ?::DATE", [rep_id, when.date()])
        refresh_rollups(cur, catalog, touched=True)


def test_mapping_change_remaps_history_and_back(store: Store) -> None:
    rep = add_rep(store, "Mapper")
    add_counts(store, rep, MON, {"meetings": 2})
    _add_labelled(store, rep, TUE, "Zoom Session", "", 3)  # unknown label: counts toward nothing
    assert "meetings" in _totals(store, rep) and _totals(store, rep)["meetings"][0] == 2

    counts = label_counts(store)
    zoom = counts.filter((pl.col("kind") == "activity") & (pl.col("label") == "zoom session")).row(0, named=True)
    assert zoom["events"] == 3 and zoom["source"] == "unmapped" and zoom["target"] is None
    assert counts.filter(pl.col("kind") == "activity")["source"][0] == "unmapped"  # unmapped first

    change = set_label_target(store, "activity", "Zoom  Session", "meeting")
    assert change.events_moved == 3 and change.metric_changes == {"meetings": 3.0}
    assert _totals(store, rep)["meetings"][0] == 5
    _assert_rollups_consistent(store)
    row = label_counts(store).filter(pl.col("label") == "zoom session").row(0, named=True)
    assert (row["source"], row["target"], row["metrics"]) == ("override", "meeting", "meetings")

    back = clear_label_target(store, "activity", "zoom session")
    assert back.events_moved == 3 and back.metric_changes == {"meetings": -3.0}
    assert _totals(store, rep)["meetings"][0] == 2
    assert store.scalar("SELECT count(*) FROM label_map") == 0
    _assert_rollups_consistent(store)


def test_remapping_a_shipped_label_and_an_outcome(store: Store) -> None:
    rep = add_rep(store, "Caller")
    add_counts(store, rep, MON, {"calls": 4, "meetings": 1})  # calls with outcome "no answer"
    assert "conversations" not in _totals(store, rep)

    change = set_label_target(store, "outcome", "No answer", "connect")
    assert change.old_target == "no_connect" and change.events_moved == 4
    assert _totals(store, rep)["conversations"][0] == 4

    set_label_target(store, "activity", "meeting", "none")
    assert "meetings" not in _totals(store, rep)
    _assert_rollups_consistent(store)

    # Mapping back to the shipped class stores no override.
    set_label_target(store, "activity", "meeting", "meeting")
    assert store.fetchall("SELECT kind, label, target FROM label_map") == [("outcome", "no answer", "connect")]
    assert _totals(store, rep)["meetings"][0] == 1


@pytest.mark.parametrize(
    ("kind", "label", "target", "field"),
    [("activity", "zoom", "webinar", "target"), ("outcome", "busy", "meeting", "target"), ("activity", "  ", "meeting", "label"), ("stage", "x", "call", "kind")],
)
def test_invalid_mapping_changes_nothing(store: Store, kind: str, label: str, target: str, field: str) -> None:
    rep = add_rep(store, "Rep")
    add_counts(store, rep, MON, {"meetings": 1})
    before = _rollups(store)
    with pytest.raises(InvalidInput) as info:
        set_label_target(store, kind, label, target)
    assert field in info.value.errors
    assert store.scalar("SELECT count(*) FROM label_map") == 0
    assert _rollups(store).equals(before)


# -- settings -------------------------------------------------------------------------


def test_update_settings_coerces_form_values(store: Store) -> None:
    saved = update_settings(
        store,
        {
            "timezone": "Europe/Madrid",
            "week_start": "Sunday",
            "working_days": [6, 0, 1, 2, 3],
            "day_start": "08:30",
            "day_end": dt_time(16, 30),
            "holiday_country": "es",
            "custom_holidays": "2026-12-24, 2026-12-31",
            "gross_margin": "0.6",
        },
    )
    loaded = load_settings(store)
    assert loaded == saved
    assert loaded.week_start == 6 and loaded.working_days == (0, 1, 2, 3, 6)
    assert loaded.day_start == dt_time(8, 30) and loaded.holiday_country == "ES"
    assert loaded.custom_holidays == (date(2026, 12, 24), date(2026, 12, 31))
    assert loaded.gross_margin == 0.6


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"timezone": "Mars/Olympus"}, {"timezone"}),
        ({"week_start": "Someday"}, {"week_start"}),
        ({"working_days": []}, {"working_days"}),
        ({"day_start": "17:00", "day_end": "09:00"}, {"day_end"}),
        ({"day_start": "25:99"}, {"day_start"}),
        ({"holiday_country": "XX"}, {"holiday_country"}),
        ({"custom_holidays": "2026-02-30"}, {"custom_holidays"}),
        ({"at_risk_from": 1.2}, {"at_risk_from"}),
        ({"gross_margin": "lots"}, {"gross_margin"}),
        ({"contest_share": 0, "shrinkage_k": -1, "timezone": "Nowhere"}, {"contest_share", "shrinkage_k", "timezone"}),
        ({"flag_after_weeks": 1.5}, {"flag_after_weeks"}),
        ({"favourite_colour": "blue"}, {"favourite_colour"}),
    ],
)
def test_settings_validation_names_the_field_and_changes_nothing(store: Store, changes: dict[str, object], fields: set[str]) -> None:
    update_settings(store, {"timezone": "Europe/London"})
    before = load_settings(store)
    with pytest.raises(InvalidInput) as info:
        update_settings(store, changes)
    assert set(info.value.errors) == fields
    assert all(info.value.errors.values())
    assert load_settings(store) == before


def test_two_renames_to_one_name_at_once_cannot_both_pass(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Checked inside the write: writers take turns (on a lake across processes), so the second sees the first."""
    ann, bob = add_rep(store, "Ann Lee"), add_rep(store, "Bob Ray")
    slow_names = admin._names_of_others

    def names_then_wait(db: object, rep_id: int) -> dict[str, str]:
        names = slow_names(db, rep_id)  # type: ignore[arg-type]
        time.sleep(0.3)  # both checks would pass here if they ran outside the write
        return names

    monkeypatch.setattr(admin, "_names_of_others", names_then_wait)
    start = threading.Barrier(2)

    def rename(rep_id: int, slug: str) -> str:
        start.wait()
        try:
            update_rep(store, rep_id, RepEdit("Zed Quinn", slug, None, "Sales", True))
        except InvalidInput as exc:
            return ",".join(exc.errors)
        return "saved"

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(rename, [ann, bob], ["zed-1", "zed-2"]))
    assert outcomes == ["display_name", "saved"]
    assert store.scalar("SELECT count(*) FROM reps WHERE display_name = 'Zed Quinn'") == 1
