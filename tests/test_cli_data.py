"""CLI: ingest, batches, undo, rejects; exit codes and shapes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scorecard.cli import main
from tests.factories_ingest import GENERIC_HEADER, csv_bytes, generic_rows

ROOT = Path(__file__).resolve().parent.parent


def _file(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def run(db: Path, *args: str) -> int:
    return main([args[0], "--db", str(db), *args[1:]])


def test_ingest_exit_codes_and_summaries(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "c.duckdb"
    good = _file(tmp_path, "good.csv", csv_bytes(GENERIC_HEADER, [*generic_rows(5), ["", "2026-11-20", "Call", "", "x"]]))
    bad = _file(tmp_path, "bad.csv", b"rep,type\nAna,Call\n")
    assert run(db, "ingest", str(good)) == 0
    out = capsys.readouterr().out
    assert "good.csv: batch 1 (generic) — 6 rows read, 5 added, 0 already present, 1 rejected" in out
    assert "python -m scorecard rejects 1" in out
    assert run(db, "ingest", str(bad), str(good)) == 1
    captured = capsys.readouterr()
    assert "bad.csv: no column found" in captured.err
    assert "good.csv: batch 2" in captured.out and "5 already present" in captured.out


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "c.duckdb"
    good = _file(tmp_path, "good.csv", csv_bytes(GENERIC_HEADER, generic_rows(2)))
    assert run(db, "ingest", str(good), "--map", "rep") == 2
    assert "FIELD=COLUMN" in capsys.readouterr().err
    assert run(db, "ingest", str(good), "--map", "colour=x") == 2
    assert "unknown field 'colour'" in capsys.readouterr().err
    assert run(db, "ingest", str(tmp_path / "missing.csv")) == 2
    assert "no such file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        run(db, "ingest", str(good), "--dayfirst", "--monthfirst")
    assert exit_info.value.code == 2


def test_map_and_date_order_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "c.duckdb"
    odd = _file(tmp_path, "odd.csv", b"Who,When,What\nAna,01/02/2026,Call\n")
    assert run(db, "ingest", str(odd), "--map", "rep=Who", "--map", "occurred_at=When", "--map", "type=What") == 1
    assert "--dayfirst" in capsys.readouterr().err
    args = ["--map", "rep=Who", "--map", "occurred_at=When", "--map", "type=What", "--dayfirst"]
    assert run(db, "ingest", str(odd), *args) == 0


def test_batches_json_undo_and_rejects(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "c.duckdb"
    good = _file(tmp_path, "good.csv", csv_bytes(GENERIC_HEADER, [*generic_rows(3), ["=HYPERLINK()", "soon", "Call", "", "x"]]))
    assert run(db, "ingest", str(good)) == 0
    capsys.readouterr()
    assert run(db, "batches", "--json") == 0
    (batch,) = json.loads(capsys.readouterr().out)
    assert {k: batch[k] for k in ("id", "file", "status", "rows_added", "rows_duplicate", "rows_rejected")} == {
        "id": 1, "file": "good.csv", "status": "live", "rows_added": 3, "rows_duplicate": 0, "rows_rejected": 1,
    }
    assert run(db, "rejects", "1", "--csv") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "line_no,column,reason,raw" and lines[1].startswith("5,date,")
    assert run(db, "rejects", "1") == 0
    assert "line 5, column date: unreadable date soon" in capsys.readouterr().out
    assert run(db, "undo", "1") == 0
    assert "3 events removed" in capsys.readouterr().out
    assert run(db, "undo", "1") == 1
    assert "already undone" in capsys.readouterr().err
    assert run(db, "batches") == 0
    assert "undone" in capsys.readouterr().out
    assert run(db, "rejects", "42") == 1


def test_locked_database_points_to_upload_page_and_inbox(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "held.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys,time; from scorecard.store import Store; s = Store(sys.argv[1]); print('ready', flush=True); time.sleep(60)", str(db)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        good = _file(tmp_path, "good.csv", csv_bytes(GENERIC_HEADER, generic_rows(2)))
        assert run(db, "ingest", str(good)) == 1
        err = capsys.readouterr().err
        assert "in use by another process" in err and "Upload page" in err and "data/inbox/" in err
    finally:
        holder.kill()
        holder.wait()
