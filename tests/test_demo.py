"""The demo team: deterministic, told through real export files and the real ingest path.

The story is checked from rollups, goals and PTO directly (not through the
scores module), with the pace arithmetic of docs/pace.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from scorecard.calendar import week_of, working_time
from scorecard.catalog import load_catalog
from scorecard.cli import main
from scorecard.demo import DEMO_TEAM, DemoResult, build_demo, plan_demo, write_files
from scorecard.goals import pto_days, quotas_in_force, weekly_goals
from scorecard.settings import TeamSettings, load_settings
from scorecard.setup import ensure_database
from scorecard.store import Store

AS_OF = datetime(2026, 11, 19, 15, 0)  # a Thursday afternoon
WEEK = week_of(AS_OF.date())
LEAD = ("conversations", "meetings", "opportunities", "proposals")
SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, DemoResult]]:
    root = tmp_path_factory.mktemp("demo")
    store = Store(root / "demo.duckdb")
    result = build_demo(store, AS_OF, out_dir=root / "files")
    yield store, result
    store.close()


def _rep_ids(result: DemoResult, profile: str) -> list[int]:
    return [r.rep_id for r in result.reps if r.profile == profile and r.rep_id is not None]


def _weekly(store: Store, rep_id: int, metric: str) -> dict[date, int]:
    rows = store.fetchall(
        "SELECT date_trunc('week', day)::DATE, sum(n)::INTEGER FROM daily_rollups WHERE rep_id = ? AND metric = ? GROUP BY 1",
        [rep_id, metric],
    )
    return {week: n for week, n in rows}


def _goal(store: Store, rep_id: int, metric: str, period_end: date) -> float:
    goals = weekly_goals(store, load_catalog(store), period_end).filter(rep_id=rep_id, metric=metric)
    return float(goals["weekly_goal"][0])


# -- determinism ---------------------------------------------------------------------


def test_same_seed_same_events_other_seed_different() -> None:
    first = plan_demo(AS_OF, reps=10, weeks=8, seed=3)
    again = plan_demo(AS_OF, reps=10, weeks=8, seed=3)
    other = plan_demo(AS_OF, reps=10, weeks=8, seed=4)
    assert first.events.equals(again.events) and first.reps == again.reps
    assert not first.events.equals(other.events)
    # Relative to as_of, not to the clock: 8 weeks back from as_of's week, nothing after as_of.
    for as_of in (AS_OF, datetime(2027, 3, 3, 11, 30)):
        plan = plan_demo(as_of, reps=10, weeks=8, seed=3)
        first_week = week_of(as_of.date()).start - timedelta(weeks=8)
        assert first_week <= plan.events["at"].min().date() < first_week + timedelta(days=7)
        assert plan.events["at"].max() <= as_of


def test_same_seed_same_database_events(demo: tuple[Store, DemoResult], tmp_path: Path) -> None:
    store, _ = demo
    with Store(tmp_path / "again.duckdb") as again:
        build_demo(again, AS_OF, out_dir=tmp_path / "files")
        sql = (
            "SELECT r.slug, e.occurred_at, e.raw_type, e.raw_outcome, e.amount, e.record_id "
            "FROM events e JOIN reps r USING (rep_id) ORDER BY ALL"
        )
        assert again.fetchall(sql) == store.fetchall(sql)


# -- through the real ingest path ---------------------------------------------------------


def test_events_enter_through_ingest_in_several_layouts(demo: tuple[Store, DemoResult]) -> None:
    store, result = demo
    batches = store.frame("SELECT batch_id, source, layout, rows_added, rows_rejected FROM batches")
    assert set(batches["source"]) == {"demo"}
    assert batches["layout"].n_unique() >= 2
    assert batches["rows_rejected"].sum() == 0
    assert store.scalar("SELECT count(*) FROM events") == batches["rows_added"].sum() == result.events_generated
    assert store.scalar("SELECT count(*) FROM events WHERE first_batch_id NOT IN (SELECT batch_id FROM batches)") == 0
    assert {f.path.suffix for f in result.files} == {".csv"} and all(f.path.exists() for f in result.files)
    assert store.scalar("SELECT count(*) FROM events WHERE occurred_at > ?", [AS_OF]) == 0


def test_reps_are_labelled_demo_with_quotas_and_goals(demo: tuple[Store, DemoResult]) -> None:
    store, result = demo
    reps = store.frame("SELECT rep_id, team, is_demo FROM reps")
    assert reps.height == 10 and set(reps["team"]) == {DEMO_TEAM} and reps["is_demo"].all()
    assert quotas_in_force(store, AS_OF.date()).height == 10
    goals = weekly_goals(store, load_catalog(store), WEEK.end)
    assert set(goals["source"]) == {"manual"} and goals.height == 40
    assert store.scalar("SELECT sum(amount) FROM events WHERE amount IS NOT NULL") > 0  # closed-won with amounts


# -- the story ------------------------------------------------------------------------


def test_top_performer_beats_goals_most(demo: tuple[Store, DemoResult]) -> None:
    store, result = demo
    last = [WEEK.start - timedelta(weeks=i) for i in range(1, 14)]

    def attainment(rep_id: int) -> float:
        total = 0.0
        for metric in LEAD:
            weekly = _weekly(store, rep_id, metric)
            total += sum(weekly.get(w, 0) for w in last) / (13 * _goal(store, rep_id, metric, WEEK.end))
        return total / len(LEAD)

    (top,) = _rep_ids(result, "top_performer")
    others = [r.rep_id for r in result.reps if r.rep_id != top and r.rep_id is not None]
    assert attainment(top) > 1.15
    assert attainment(top) > max(attainment(rep) for rep in others)


def test_ramping_hire_grows(demo: tuple[Store, DemoResult]) -> None:
    store, result = demo
    (hire,) = _rep_ids(result, "ramping_hire")
    first_day = store.scalar("SELECT min(occurred_at)::DATE FROM events WHERE rep_id = ?", [hire])
    assert WEEK.start - timedelta(weeks=10) <= first_day < WEEK.start - timedelta(weeks=9)
    weekly = _weekly(store, hire, "calls")
    joined = WEEK.start - timedelta(weeks=10)
    early = sum(weekly.get(joined + timedelta(weeks=i), 0) for i in range(3))
    recent = sum(weekly.get(WEEK.start - timedelta(weeks=i), 0) for i in range(1, 4))
    assert recent > 1.5 * early


def test_one_rep_on_pto_this_week(demo: tuple[Store, DemoResult]) -> None:
    store, result = demo
    (away,) = _rep_ids(result, "pto_this_week")
    pto = pto_days(store, WEEK.start, WEEK.end)
    assert set(pto) == {away}
    assert working_time(WEEK, AS_OF, load_settings(store), pto[away]).available_hours == 0
    assert store.scalar("SELECT count(*) FROM events WHERE rep_id = ? AND occurred_at >= ?", [away, WEEK.start]) == 0
    assert store.scalar("SELECT count(*) FROM events WHERE rep_id = ?", [away]) > 0


def test_one_rep_keeps_missing_conversations(demo: tuple[Store, DemoResult]) -> None:
    store, result = demo
    (rep,) = _rep_ids(result, "missing_conversations")
    weekly = _weekly(store, rep, "conversations")
    for ago in (1, 2, 3):
        start = WEEK.start - timedelta(weeks=ago)
        assert weekly.get(start, 0) < _goal(store, rep, "conversations", start + timedelta(days=6))


def _paces(store: Store, metric: str) -> tuple[float, list[float]]:
    """Team pace (Σ actual ÷ Σ expected) and each rep's pace, for reps with working time this week."""
    settings = load_settings(store)
    pto = pto_days(store, WEEK.start, WEEK.end)
    goals = weekly_goals(store, load_catalog(store), WEEK.end).filter(metric=metric)
    actual_total = expected_total = 0.0
    paces = []
    for rep_id, goal in goals.select("rep_id", "weekly_goal").iter_rows():
        wt = working_time(WEEK, AS_OF, settings, pto.get(rep_id, ()))
        expected = goal * wt.elapsed_hours / wt.standard_week_hours
        if not expected:
            continue
        actual = store.scalar(
            "SELECT coalesce(sum(n), 0) FROM daily_rollups WHERE rep_id = ? AND metric = ? AND day BETWEEN ? AND ?",
            [rep_id, metric, WEEK.start, AS_OF.date()],
        )
        actual_total += actual
        expected_total += expected
        paces.append(actual / expected)
    return actual_total / expected_total, paces


def test_whole_team_behind_on_one_metric_this_week(demo: tuple[Store, DemoResult]) -> None:
    store, result = demo
    settings = TeamSettings()
    assert result.behind_metric == "meetings"
    team_pace, paces = _paces(store, "meetings")
    assert len(paces) == 9  # the rep on PTO has no pace
    assert team_pace < settings.team_gap_pace_below
    assert sum(p < settings.at_risk_from for p in paces) == 8
    for metric in ("conversations", "opportunities", "proposals"):
        team_pace, paces = _paces(store, metric)
        assert team_pace >= 1.0, metric
        assert sum(p < settings.on_pace_at for p in paces) <= 1, metric  # at most the rep who misses conversations


# -- samples and setup ------------------------------------------------------------------


def test_committed_samples_match_the_generator(tmp_path: Path) -> None:
    plan = plan_demo(datetime(2026, 11, 20, 15, 0), reps=10, weeks=2, seed=7)
    files = write_files(plan, tmp_path)
    assert len({f.layout for f in files}) == 3
    for demo_file in files:
        committed = SAMPLES / demo_file.path.name
        assert committed.read_bytes() == demo_file.path.read_bytes(), f"regenerate {committed.name} (see data/samples/README.md)"


def test_setup_creates_once(tmp_path: Path) -> None:
    path = tmp_path / "fresh.duckdb"
    lines: list[str] = []
    assert ensure_database(path, as_of=AS_OF, out_dir=tmp_path / "files", echo=lines.append) is True
    assert any("demo team" in line.lower() for line in lines)
    with Store(path) as store:
        counts = (store.scalar("SELECT count(*) FROM events"), store.data_version())
    assert ensure_database(path, as_of=AS_OF, out_dir=tmp_path / "files", echo=lines.append) is False
    with Store(path) as store:
        assert ensure_database(path, store=store, as_of=AS_OF, echo=lines.append) is False
        assert (store.scalar("SELECT count(*) FROM events"), store.data_version()) == counts


def test_setup_seeds_a_just_opened_empty_database(tmp_path: Path) -> None:
    path = tmp_path / "opened.duckdb"
    with Store(path) as store:
        assert ensure_database(path, store=store, as_of=AS_OF, out_dir=tmp_path / "files", echo=lambda _: None) is True
        assert store.scalar("SELECT count(*) FROM reps WHERE is_demo") == 10


def test_cli_demo_and_setup(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "cli.duckdb")
    args = ["demo", "--reps", "3", "--weeks", "2", "--seed", "1", "--as-of", "2026-11-20T15:00", "--out", str(tmp_path / "f")]
    assert main([*args, "--db", db]) == 0
    out = capsys.readouterr().out
    assert "demo: 3 reps" in out and "[100%]" in out
    assert main(["setup", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "already has data" in out
    assert "SCORECARD_MANAGER_PASSCODE environment variable" in out  # set by tests/conftest.py
    assert main(["demo", "--reps", "0", "--db", db]) == 2


def test_setup_generates_the_passcode_on_first_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SCORECARD_MANAGER_PASSCODE")
    db = tmp_path / "first.duckdb"
    args = ["--reps", "2", "--weeks", "1", "--seed", "1", "--as-of", "2026-11-20T15:00", "--out", str(tmp_path / "f")]
    assert main(["demo", *args, "--db", str(db)]) == 0
    assert main(["setup", "--db", str(db)]) == 0
    captured = capsys.readouterr()
    stored = tmp_path / ".manager_passcode"
    # Where it is kept and how to read it, never the passcode itself (consoles end up in shared logs).
    assert stored.read_text().strip() not in captured.err + captured.out
    assert f"cat {stored}" in captured.err
    assert str(stored) in captured.out


def test_a_demo_built_for_a_later_date_keeps_every_row(tmp_path: Path) -> None:
    """The demo's own 'now' is its upload moment: rows up to it are never 'after the upload'."""
    later = datetime(2031, 3, 12, 15, 0)
    with Store(tmp_path / "later.duckdb") as store:
        result = build_demo(store, later, reps=3, weeks=2, out_dir=tmp_path / "files")
        rejected = store.scalar("SELECT count(*) FROM rejected_rows")
    assert result.events_added > 0
    assert rejected == 0
