"""What the scores built from earlier days outlives an upload of later ones, and every number stays exact.

After a write, the scores keep what they derived from activity before the
first day that write changed (docs/live-pages.md): an inbox drop of today's
calls recomputes today, not thirteen weeks of history. Whatever the write (an
upload today, one correcting an old week, an undo, a re-mapped label, a
merged rep, a moved week start), each scorecard and the team view must equal
what a process that never saw the earlier versions computes from the data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from scorecard.admin import merge_reps, set_label_target
from scorecard.ingest import ingest_bytes, undo_batch
from scorecard.scores import TeamView, rep_scorecards, team_view
from scorecard.scores._context import context, forget
from scorecard.settings import load_settings, save_settings
from scorecard.store import Store
from tests.factories_ingest import csv_bytes
from tests.factories_pace import HEADER, RandomTeam, random_team
from tests.test_scores_batch import all_slugs, assert_same

AS_OF = datetime(2026, 11, 25, 15, 30)  # Wednesday of the Thanksgiving week, mid-afternoon
_serial = iter(range(1, 1 << 30))


def upload(store: Store, name: str, day: date, kind: str = "Meeting") -> int:
    row = [name, f"{day.isoformat()} 11:{next(_serial) % 60:02d}:00", kind, "", "", "", f"memo-{next(_serial)}"]
    return ingest_bytes(store, f"memo-{day}.csv", csv_bytes(HEADER, [row])).batch_id


def assert_same_view(kept: TeamView, fresh: TeamView) -> None:
    """Equal in every field; a frame's floats to 1e-12 of each other.

    The team's frames (trend, heatmap, leaderboard) are ratios of sums over many
    reps, which Polars may form in another order from one process state to the
    next: their last bit is not something a page can show (it rounds to 1%).
    """
    for f in dataclasses.fields(TeamView):
        ours, theirs = getattr(kept, f.name), getattr(fresh, f.name)
        if isinstance(ours, pl.DataFrame):
            assert_frame_equal(ours, theirs, check_exact=False, rel_tol=1e-12, abs_tol=0.0)
        else:
            assert ours == theirs, f.name


def everything(store: Store, as_of: datetime) -> tuple[dict[str, object], dict[str | None, TeamView]]:
    slugs = all_slugs(store)
    views = {team: team_view(store, as_of, team=team) for team in (None, "Sales", "East")}
    return dict(rep_scorecards(store, slugs, as_of)), views  # type: ignore[arg-type]


def check_against_fresh(store: Store, as_of: datetime = AS_OF) -> None:
    """The numbers with what was kept equal those of a process that starts from the data alone."""
    cards, views = everything(store, as_of)
    forget(store)
    fresh_cards, fresh_views = everything(store, as_of)
    assert sorted(cards) == sorted(fresh_cards)
    for slug, card in cards.items():
        assert_same(card, fresh_cards[slug])  # type: ignore[arg-type]
    for team, view in views.items():
        assert_same_view(view, fresh_views[team])


def kept_before(store: Store) -> set[date]:
    """The days the kept values read up to (exclusive), one per value."""
    return {before for before, _ in context(store).activity_memo.values()}


def test_an_upload_of_today_keeps_the_history_and_changes_today(store: Store) -> None:
    random_team(store, 8)
    cards, _ = everything(store, AS_OF)
    today_before = next(m.actual for m in cards["ana-lopez"].metrics if m.metric == "meetings")  # type: ignore[attr-defined]
    history = kept_before(store)
    assert any(before <= AS_OF.date() - timedelta(days=2) for before in history)
    upload(store, "Ana Lopez", AS_OF.date())
    # The finished weeks and the days before today were kept; nothing read today was.
    kept = kept_before(store)
    assert kept and all(before <= AS_OF.date() for before in kept)
    assert {b for b in history if b <= AS_OF.date()} == kept
    cards, _ = everything(store, AS_OF)
    assert next(m.actual for m in cards["ana-lopez"].metrics if m.metric == "meetings") == today_before + 1  # type: ignore[attr-defined]
    check_against_fresh(store)


def test_a_write_that_changes_no_activity_keeps_everything(store: Store) -> None:
    random_team(store, 9)
    everything(store, AS_OF)
    kept = dict(context(store).activity_memo)
    with store.write():
        pass
    assert context(store).activity_memo == kept
    check_against_fresh(store)


def test_an_upload_into_an_old_week_drops_what_read_it(store: Store) -> None:
    random_team(store, 10)
    everything(store, AS_OF)
    old = date(2026, 10, 7)
    upload(store, "Bo Chen", old)
    assert all(before <= old for before in kept_before(store))
    check_against_fresh(store)


WRITES: dict[str, Callable[[Store, RandomTeam], object]] = {
    "today": lambda s, t: upload(s, "Cy Diaz", AS_OF.date(), "Proposal sent"),
    "this Monday": lambda s, t: upload(s, "Ed Fox", date(2026, 11, 23)),
    "three weeks back": lambda s, t: upload(s, "Di Evans", date(2026, 11, 4), "Closed Won"),
    "undo the first upload": lambda s, t: undo_batch(s, t.batches[0]),
    "undo the last upload": lambda s, t: undo_batch(s, t.batches[-1]),
    "re-map a label": lambda s, t: set_label_target(s, "activity", "webinar", "meeting"),
    "merge two reps": lambda s, t: merge_reps(s, t.reps["Ana Lopez"], t.reps["Bo Chen"]),
    "move the week start": lambda s, t: save_settings(s, dataclasses.replace(load_settings(s), week_start=6)),
}


@pytest.mark.parametrize("seed", (21, 22))
def test_every_kind_of_write_in_a_row(store: Store, seed: int) -> None:
    team = random_team(store, seed)
    check_against_fresh(store)
    for name, write in WRITES.items():
        write(store, team)
        try:
            check_against_fresh(store)
            check_against_fresh(store, AS_OF - timedelta(days=8))  # a replayed moment reads other days
        except AssertionError as exc:
            raise AssertionError(f"after '{name}': {exc}") from exc
