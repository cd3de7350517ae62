"""Goals, PTO and quotas imports: rep by slug/email/name, all or nothing, errors that name row and column."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from scorecard.catalog import load_catalog
from scorecard.goals import pto_days, quotas_in_force, weekly_goals
from scorecard.imports import ImportRejected, import_goals_csv, import_pto_csv, import_quotas_csv
from scorecard.roster import match_key
from scorecard.store import Store
from tests.factories import add_rep

TODAY = date(2026, 11, 18)  # Wednesday; the week starts Monday 2026-11-16


@pytest.fixture
def reps(store: Store) -> dict[str, int]:
    return {
        "ana": add_rep(store, "Ana Lopez", email="ana@example.com"),
        "ben": add_rep(store, "Ben Okafor", email="ben@example.com"),
    }


def _table(store: Store, table: str) -> list[tuple[object, ...]]:
    return store.fetchall(f"SELECT * EXCLUDE (set_at) FROM {table} ORDER BY ALL" if table == "goals" else f"SELECT * FROM {table} ORDER BY ALL")


def test_goals_by_slug_email_and_name(store: Store, reps: dict[str, int]) -> None:
    data = (
        b"rep,metric,weekly_goal,effective_from\n"
        b"ana-lopez,conversations,10,\n"
        b"  BEN@example.com ,meetings,5,2026-11-01\n"
        b"ana   LOPEZ,Meetings,6,2026-12-07\n"
        b"Ben Okafor,proposals,none,\n"
    )
    result = import_goals_csv(store, data, today=TODAY)
    assert (result.rows_read, result.rows_written, result.reps) == (4, 4, ["ana-lopez", "ben-okafor"])
    rows = store.fetchall("SELECT rep_id, metric, weekly_goal, effective_from, source FROM goals ORDER BY ALL")
    assert rows == [
        (reps["ana"], "conversations", 10.0, date(2026, 11, 16), "import"),  # default: start of this week
        (reps["ana"], "meetings", 6.0, date(2026, 12, 7), "import"),
        (reps["ben"], "meetings", 5.0, date(2026, 11, 1), "import"),
        (reps["ben"], "proposals", None, date(2026, 11, 16), "import"),
    ]
    this_week = weekly_goals(store, load_catalog(store), date(2026, 11, 22))
    ben = dict(zip(*this_week.filter(rep_id=reps["ben"]).select("metric", "weekly_goal"), strict=True))
    assert "proposals" not in ben  # "none" removes the default goal from that date
    assert ben["meetings"] == 5


def test_bad_goal_rows_write_nothing_and_name_every_row_and_column(store: Store, reps: dict[str, int]) -> None:
    import_goals_csv(store, b"rep,metric,weekly_goal\nana-lopez,meetings,3\n", today=TODAY)
    before = _table(store, "goals")
    data = (
        b"rep,metric,weekly_goal,effective_from\n"
        b"ana-lopez,conversations,10,\n"
        b"nobody,meetings,5,\n"
        b"\n"
        b"ben-okafor,dials,5,\n"
        b"ben-okafor,meetings,-2,2026-13-01\n"
        b"ben-okafor,meetings,,\n"
    )
    with pytest.raises(ImportRejected) as info:
        import_goals_csv(store, data, today=TODAY)
    found = {(e.line, e.column) for e in info.value.errors}
    assert found == {(3, "rep"), (5, "metric"), (6, "weekly_goal"), (6, "effective_from"), (7, "weekly_goal")}
    message = info.value.message
    assert "nothing was written" in message
    assert "line 3, column 'rep'" in message and "'nobody'" in message
    assert "Columns: rep, metric, weekly_goal" in message  # what to do
    assert _table(store, "goals") == before


def test_missing_column_is_named(store: Store, reps: dict[str, int]) -> None:
    with pytest.raises(ImportRejected) as info:
        import_goals_csv(store, b"rep,goal\nana-lopez,3\n", today=TODAY)
    assert [(e.line, e.column) for e in info.value.errors] == [(1, "metric"), (1, "weekly_goal")]


def test_ambiguous_name_and_duplicate_rows_are_errors(store: Store, reps: dict[str, int]) -> None:
    add_rep(store, "Ana Lopez", slug="ana-lopez-2")
    data = b"rep,metric,weekly_goal\nAna Lopez,meetings,3\nben-okafor,meetings,3\nben-okafor,meetings,4\n"
    with pytest.raises(ImportRejected) as info:
        import_goals_csv(store, data, today=TODAY)
    assert [(e.line, e.column) for e in info.value.errors] == [(2, "rep"), (4, "metric")]
    assert "several reps" in info.value.errors[0].reason


def test_semicolons_bom_and_decimal_commas(store: Store, reps: dict[str, int]) -> None:
    data = "\ufeffRep;Metric;Weekly_Goal\nana-lopez;meetings;2,5\n".encode()
    import_goals_csv(store, data, today=TODAY)
    assert store.scalar("SELECT weekly_goal FROM goals") == 2.5


def test_pto_single_days_and_ranges(store: Store, reps: dict[str, int]) -> None:
    result = import_pto_csv(store, b"rep,date\nana@example.com,2026-11-20\nana-lopez,2026-11-20\n")
    assert result.rows_written == 1
    ranges = b"rep,start,end\nben-okafor,2026-12-28,2027-01-02\nAna Lopez,2026-11-23,2026-11-23\n"
    import_pto_csv(store, ranges)
    days = pto_days(store, date(2026, 1, 1), date(2027, 12, 31))
    assert days[reps["ana"]] == {date(2026, 11, 20), date(2026, 11, 23)}
    assert days[reps["ben"]] == {date(2026, 12, 28) + timedelta(days=i) for i in range(6)}  # both ends included


def test_bad_pto_rows_write_nothing(store: Store, reps: dict[str, int]) -> None:
    data = b"rep,start,end\nben-okafor,2026-12-01,2026-12-03\nben-okafor,2026-12-10,2026-12-01\nzed,2026-12-01,soon\n"
    with pytest.raises(ImportRejected) as info:
        import_pto_csv(store, data)
    assert {(e.line, e.column) for e in info.value.errors} == {(3, "end"), (4, "rep"), (4, "end")}
    assert store.scalar("SELECT count(*) FROM pto") == 0


def test_quotas(store: Store, reps: dict[str, int]) -> None:
    data = b"rep,amount,period,effective_from\nana-lopez,40000,month,2026-01-01\nben@example.com,\"120,000\",Quarterly,\n"
    result = import_quotas_csv(store, data, today=TODAY)
    assert result.rows_written == 2
    frame = quotas_in_force(store, TODAY)
    assert frame.rows() == [
        (reps["ana"], 40000.0, "month", date(2026, 1, 1)),
        (reps["ben"], 120000.0, "quarter", date(2026, 11, 16)),
    ]


def test_bad_quota_rows_write_nothing(store: Store, reps: dict[str, int]) -> None:
    data = b"rep,amount,period\nana-lopez,40000,month\nben-okafor,0,year\n"
    with pytest.raises(ImportRejected) as info:
        import_quotas_csv(store, data, today=TODAY)
    assert {(e.line, e.column) for e in info.value.errors} == {(3, "amount"), (3, "period")}
    assert store.scalar("SELECT count(*) FROM quotas") == 0


def test_import_from_a_path(store: Store, reps: dict[str, int], tmp_path: Path) -> None:
    path = tmp_path / "goals.csv"
    path.write_text("rep,metric,weekly_goal\nana-lopez,meetings,7\n", encoding="utf-8")
    assert import_goals_csv(store, path, today=TODAY).rows_written == 1


def test_rep_names_match_as_ingest_matches_them(store: Store) -> None:
    # Ingest matches names with roster.match_key (case-folded); an import of the same name must match too.
    jana = add_rep(store, "Jana Straße", slug="jana-strasse")
    assert match_key("JANA  STRASSE") == match_key("Jana Straße")
    import_goals_csv(store, b"rep,metric,weekly_goal\nJANA  STRASSE,meetings,6\n", today=date(2026, 11, 18))
    goals = weekly_goals(store, load_catalog(store), date(2026, 11, 22))
    assert goals.filter(rep_id=jana, metric="meetings")["weekly_goal"].to_list() == [6.0]
