"""What the scores build from the setup alone outlives an upload, and never a change to the setup.

An upload of activity moves the data version, but the settings, catalog, reps,
goals and PTO stay as they were: goal grids, finished weeks' working hours and
the rep lookups built from them are kept. Any write that changes one of them
starts afresh, and every number shown is the new one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime

import pytest

from scorecard.admin import rep_edit, set_label_target, update_rep
from scorecard.goals import GoalChange, add_pto, set_goals
from scorecard.ingest import ingest_bytes
from scorecard.scores import rep_scorecard
from scorecard.scores._context import context
from scorecard.settings import load_settings, save_settings
from scorecard.store import Store
from tests.factories_ingest import csv_bytes
from tests.factories_pace import HEADER, random_team

AS_OF = datetime(2026, 11, 18, 13, 0)


def meetings(store: Store, slug: str) -> tuple[float, float | None]:
    card = rep_scorecard(store, slug, AS_OF)
    m = next(m for m in card.metrics if m.metric == "meetings")
    return m.actual, m.weekly_goal


def upload_meeting(store: Store, name: str, tag: str) -> None:
    row = [name, "2026-11-18 10:30:00", "Meeting", "", "", "", f"setup-{tag}"]
    ingest_bytes(store, f"{tag}.csv", csv_bytes(HEADER, [row]))


def test_an_upload_keeps_what_was_built_from_the_setup(store: Store) -> None:
    random_team(store, 4)
    before, goal = meetings(store, "ana-lopez")
    kept = context(store).setup_memo
    assert kept  # the scorecard built goal grids, hours and lookups
    upload_meeting(store, "Ana Lopez", "one")
    assert meetings(store, "ana-lopez") == (before + 1, goal)  # the new activity counts
    assert context(store).setup_memo is kept


def _goal(store: Store) -> None:
    ctx = context(store)
    rep_id = int(ctx.reps.filter(ctx.reps["slug"] == "ana-lopez")["rep_id"][0])
    set_goals(store, ctx.catalog, [GoalChange(rep_id, "meetings", 11.0, date(2026, 11, 1))])


def _pto(store: Store) -> None:
    ctx = context(store)
    add_pto(store, int(ctx.reps.filter(ctx.reps["slug"] == "bo-chen")["rep_id"][0]), [date(2026, 11, 17)])


def _rename(store: Store) -> None:
    ctx = context(store)
    rep_id = int(ctx.reps.filter(ctx.reps["slug"] == "cy-diaz")["rep_id"][0])
    update_rep(store, rep_id, dataclasses.replace(rep_edit(store, rep_id), display_name="Cy Diaz-Ortiz"))


def _settings(store: Store) -> None:
    save_settings(store, dataclasses.replace(load_settings(store), on_pace_at=0.9))


def _mapping(store: Store) -> None:
    set_label_target(store, "activity", "Webinar", "meeting")


@pytest.mark.parametrize("change", [_goal, _pto, _rename, _settings, _mapping])
def test_a_change_to_the_setup_starts_afresh(store: Store, change: Callable[[Store], None]) -> None:
    random_team(store, 4)
    meetings(store, "ana-lopez")
    kept = context(store).setup_memo
    change(store)
    assert context(store).setup_memo is not kept
    if change is _goal:
        assert meetings(store, "ana-lopez")[1] == 11.0
