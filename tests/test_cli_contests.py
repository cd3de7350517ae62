"""`python -m scorecard contests`: suggestions and running contests, launch and cancel."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scorecard.cli import main
from scorecard.store import Store
from tests.factories_contests import ON_PACE, no_holidays, spread, team

AS_OF = "2026-10-21T17:00"


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "cli.duckdb"
    with Store(path) as store:
        no_holidays(store)
        for rep in team(store, ["Ana", "Ben", "Cy"]).values():
            spread(store, rep, {**ON_PACE, "meetings": 1})
    return str(path)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_lists_suggestions(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "contests", "--db", db, "--as-of", AS_OF, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["as_of"] == "2026-10-21T17:00:00"
    [s] = data["suggestions"]
    for key in (
        "metric",
        "format",
        "start",
        "end",
        "target",
        "budget",
        "expected_gross_profit",
        "rationale",
        "announcement",
    ):
        assert key in s
    assert (s["metric"], s["start"], s["end"]) == ("meetings", "2026-10-22", "2026-10-23")
    assert data["running"] == []


def test_text_output(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "contests", "--db", db, "--as-of", AS_OF)
    assert code == 0
    assert "Meetings: threshold" in out and "contests launch meetings" in out


def test_launch_then_standings_then_cancel(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "contests", "launch", "meetings", "--db", db, "--as-of", AS_OF, "--budget", "90")
    assert code == 0 and "Launched contest #1" in out
    code, out, _ = _run(capsys, "contests", "--db", db, "--as-of", "2026-10-22T12:00", "--json")
    data = json.loads(out)
    assert data["suggestions"] == []  # one contest per metric at a time
    [running] = data["running"]
    assert running["id"] == 1 and running["budget"] == 90 and len(running["standings"]) == 3
    code, _, err = _run(capsys, "contests", "launch", "meetings", "--db", db, "--as-of", AS_OF)
    assert code == 1 and "no contest is suggested" in err
    code, out, _ = _run(capsys, "contests", "cancel", "1", "--db", db, "--as-of", "2026-10-22T12:00")
    assert code == 0 and "Cancelled" in out
    code, _, err = _run(capsys, "contests", "cancel", "1", "--db", db)
    assert code == 1 and "already cancelled" in err


def test_bad_as_of_is_a_usage_error(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "contests", "--db", db, "--as-of", "next tuesday")
    assert code == 2 and "--as-of" in err
