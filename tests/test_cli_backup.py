"""CLI: `backup PATH` and `restore PATH`; a refused file exits 1 and writes nothing."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from scorecard.cli import main
from scorecard.store import Store
from tests.factories import add_counts, add_rep
from tests.test_backup import _snapshot


def _db(tmp_path: Path) -> Path:
    db = tmp_path / "data" / "scorecard.duckdb"
    with Store(db) as store:
        add_counts(store, add_rep(store, "Ann"), datetime(2026, 3, 2, 10), {"meetings": 3})
    return db


def test_backup_then_restore(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = _db(tmp_path)
    target = tmp_path / "out" / "team.duckdb"
    assert main(["backup", "--db", str(db), str(target)]) == 0
    assert "backup written to" in capsys.readouterr().out
    assert os.stat(target).st_mode & 0o777 == 0o600
    # Never over an existing file.
    assert main(["backup", "--db", str(db), str(target)]) == 1
    assert "already exists" in capsys.readouterr().err

    with Store(db) as store, store.write() as cur:
        cur.execute("DELETE FROM events")
    assert main(["restore", "--db", str(db), str(target)]) == 0
    out = capsys.readouterr().out
    assert "restored" in out and "1 reps, 3 events" in out and "backups" in out
    with Store(db) as store:
        assert store.scalar("SELECT count(*) FROM events") == 3


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE VIEW creds AS SELECT * FROM read_text('/proc/self/environ')",
        "CREATE MACRO lower(x) AS 'same'",
        "CREATE TABLE stolen (x VARCHAR)",
    ],
    ids=["view", "macro", "extra-table"],
)
def test_restore_refuses_a_crafted_file_with_exit_1_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], statement: str
) -> None:
    db = _db(tmp_path)
    crafted = tmp_path / "crafted.duckdb"
    assert main(["backup", "--db", str(db), str(crafted)]) == 0
    con = duckdb.connect(str(crafted))
    con.execute(statement)
    con.close()
    with Store(db) as store:
        before = _snapshot(store)
    files = sorted(p.name for p in db.parent.iterdir())
    capsys.readouterr()

    assert main(["restore", "--db", str(db), str(crafted)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Nothing was restored" in err and "PATH=" not in err
    assert sorted(p.name for p in db.parent.iterdir()) == files
    with Store(db) as store:
        assert _snapshot(store) == before


def test_restore_of_a_missing_or_foreign_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = _db(tmp_path)
    assert main(["restore", "--db", str(db), str(tmp_path / "nope.duckdb")]) == 1
    assert "cannot read" in capsys.readouterr().err
    csv = tmp_path / "export.csv"
    csv.write_text("rep,date\nAna,2026-03-02\n")
    assert main(["restore", "--db", str(db), str(csv)]) == 1
    assert "not a DuckDB file" in capsys.readouterr().err
