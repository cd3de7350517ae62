"""`python -m scorecard coaching commit|review|pairs`: JSON shapes, text, and errors."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from scorecard.cli import main
from scorecard.store import Store
from tests.factories import add_activity, add_rep
from tests.factories_coaching import at
from tests.factories_contests import MONDAY, no_holidays


@pytest.fixture
def db(store: Store) -> Path:
    no_holidays(store)
    ana = add_rep(store, "Ana Lopez", email="ana@example.com")
    add_activity(store, ana, [(at(MONDAY + timedelta(days=d), 10), "conversations") for d in range(5) for _ in range(2)])
    return store.path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_commit_then_review_json(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "coaching", "commit", "--db", str(db), "--rep", "ana-lopez", "--metric", "conversations",
        "--target", "12", "--week", "2026-10-21", "--note", "Call the dormant accounts", "--on", "2026-10-16", "--json",
    )  # fmt: skip
    assert code == 0
    made = json.loads(out)
    assert made["rep"] == {"slug": "ana-lopez", "name": "Ana Lopez", "team": "Sales"}
    assert (made["metric"], made["week_start"], made["target"], made["made_on"]) == ("conversations", "2026-10-19", 12.0, "2026-10-16")
    code, out, _ = run(capsys, "coaching", "review", "--db", str(db), "--rep", "ana@example.com", "--as-of", "2026-10-26", "--json")
    assert code == 0
    data = json.loads(out)
    assert list(data) == ["rep", "as_of", "commitments"]
    assert data["rep"] == {"slug": "ana-lopez", "name": "Ana Lopez", "team": "Sales"}
    [c] = data["commitments"]
    assert {"metric", "week_start", "target", "actual", "status"} <= set(c)
    assert (c["metric"], c["week_start"], c["target"], c["actual"], c["status"]) == ("conversations", "2026-10-19", 12.0, 10.0, "missed")
    assert c["note"] == "Call the dormant accounts"  # the command line is a manager's tool


def test_review_before_the_week_is_over_is_pending(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "coaching", "commit", "--db", str(db), "--rep", "ana-lopez", "--metric", "meetings", "--target", "2", "--week", "2026-10-19", "--on", "2026-10-19")
    code, out, _ = run(capsys, "coaching", "review", "--db", str(db), "--rep", "ana-lopez", "--as-of", "2026-10-21T12:00", "--json")
    assert code == 0
    [c] = json.loads(out)["commitments"]
    assert (c["status"], c["actual"]) == ("pending", 0.0)
    code, out, _ = run(capsys, "coaching", "review", "--db", str(db), "--rep", "ana-lopez", "--as-of", "2026-10-21T12:00")
    assert code == 0 and "pending" in out and "Not checkable yet" in out


def test_commit_text_and_errors(db: Path, store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "coaching", "commit", "--db", str(db), "--rep", "Ana Lopez", "--metric", "meetings",
        "--target", "4", "--week", "2026-10-26", "--on", "2026-10-21",
    )  # fmt: skip
    assert code == 0 and "Ana Lopez commits to 4 meetings in the week of Mon Oct 26" in out
    code, _, err = run(capsys, "coaching", "commit", "--db", str(db), "--rep", "nobody", "--metric", "meetings", "--target", "4", "--week", "2026-10-26")
    assert code == 1 and "no rep or manager matches" in err
    code, _, err = run(capsys, "coaching", "commit", "--db", str(db), "--rep", "ana-lopez", "--metric", "calls", "--target", "40", "--week", "2026-10-26")
    assert code == 1 and "never a target" in err
    code, _, err = run(capsys, "coaching", "commit", "--db", str(db), "--rep", "ana-lopez", "--metric", "meetings", "--target", "4", "--week", "next week")
    assert code == 2 and "--week" in err
    code, _, err = run(capsys, "coaching", "review", "--db", str(db), "--rep", "ana-lopez", "--as-of", "soon")
    assert code == 2 and "--as-of" in err
    assert store.scalar("SELECT count(*) FROM commitments") == 1


def test_pairs_text_without_pairs(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "coaching", "pairs", "--db", str(db), "--as-of", "2026-10-21")
    assert code == 0 and "No pairs" in out
    code, out, _ = run(capsys, "coaching", "pairs", "--db", str(db), "--as-of", "2026-10-21", "--json")
    assert json.loads(out)["pairs"] == []
