"""`python -m scorecard report` and `flash`: JSON shapes, tables, errors."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from scorecard.cli import main
from scorecard.store import Store
from tests.factories import add_counts, add_rep

AS_OF = "2026-10-21T13:00"


@pytest.fixture
def db(store: Store) -> Path:
    ana = add_rep(store, "Ana Lopez", email="ana@example.com")
    bo = add_rep(store, "Bo Chen")
    add_counts(store, ana, datetime(2026, 10, 20, 10), {"meetings": 3, "conversations": 2})
    add_counts(store, bo, datetime(2026, 10, 20, 10), {"meetings": 1})
    add_counts(store, ana, datetime(2026, 10, 13, 10), {"meetings": 4})
    return store.path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_report_rep_json(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "report", "--db", str(db), "--rep", "ana@example.com", "--as-of", AS_OF, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["rep"] == {"slug": "ana-lopez", "name": "Ana Lopez", "team": "Sales"}
    assert data["as_of"] == "2026-10-21T13:00:00"
    assert data["period"] == {"kind": "week", "start": "2026-10-19", "end": "2026-10-25"}
    meetings = next(m for m in data["metrics"] if m["metric"] == "meetings")
    assert {k: meetings[k] for k in ("actual", "goal", "expected_to_date", "pace", "projected", "status")} == {
        "actual": 3.0,
        "goal": 4.0,
        "expected_to_date": 2.0,
        "pace": 1.5,
        "projected": 6.0,
        "status": "on_pace",
    }
    calls = next(m for m in data["metrics"] if m["metric"] == "calls")
    assert (calls["goal"], calls["pace"], calls["status"]) == (None, None, None)
    assert data["one_thing"]["metric"] in {"conversations", "opportunities", "proposals"}


def test_report_rep_at_start_of_week_has_null_pace(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "report", "--db", str(db), "--rep", "ana-lopez", "--as-of", "2026-10-19T08:00", "--json")
    assert code == 0
    assert all(m["pace"] is None for m in json.loads(out)["metrics"])


def test_report_team_json(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "report", "--db", str(db), "--as-of", AS_OF, "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) >= {"as_of", "period", "metrics", "flags"}
    meetings = next(m for m in data["metrics"] if m["metric"] == "meetings")
    assert meetings == {
        "metric": "meetings",
        "label": "Meetings",
        "team_actual": 4.0,
        "team_expected": 4.0,
        "team_pace": 1.0,
        "reps_with_goal": 2,
        "reps_behind": 1,
        "reps_below_pace": 1,
        "is_team_gap": False,
    }
    assert isinstance(data["flags"], list)


def test_report_tables(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "report", "--db", str(db), "--rep", "Ana Lopez", "--as-of", AS_OF)
    assert code == 0
    assert "Ana Lopez (ana-lopez)" in out and "3 of 4 meetings · 150% of pace" in out
    code, out, _ = run(capsys, "report", "--db", str(db), "--as-of", AS_OF)
    assert code == 0
    assert "All teams" in out and "Meetings" in out and "1 of 2" in out


def test_report_unknown_rep(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "report", "--db", str(db), "--rep", "zed", "--as-of", AS_OF)
    assert code == 1
    assert out == ""
    assert "No rep matches 'zed'" in err and "ana-lopez" in err
    assert "Traceback" not in err


def test_report_bad_as_of_is_a_usage_error(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "report", "--db", str(db), "--as-of", "next tuesday")
    assert code == 2 and "--as-of" in err


def test_flash_csv_and_markdown(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "flash", "--db", str(db), "--week", "2026-10-14")
    assert code == 0
    assert out.startswith("# Weekly flash: Week of Oct 12, 2026")
    assert "| Ana Lopez |" in out
    code, csv_out, _ = run(capsys, "flash", "--db", str(db), "--week", "2026-10-12", "--format", "csv")
    assert code == 0
    assert csv_out.splitlines()[0].startswith(
        "rep,slug,Conversations,Conversations goal,Conversations % of goal,Meetings"
    )
    assert csv_out.splitlines()[-1].startswith("Team total")


def test_report_unknown_team(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "report", "--db", str(db), "--team", "Nobody", "--as-of", AS_OF)
    assert code == 1 and "no active team called 'Nobody'" in err and "Sales" in err
