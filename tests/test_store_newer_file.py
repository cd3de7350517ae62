"""A file the running DuckDB cannot read is refused with what to do, and left untouched."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from scorecard.cli import main
from scorecard.store import FileFromNewerDuckDB, Store

# The first bytes of a file DuckDB 2.0 wrote (checksum, "DUCK", storage version 999, "v2.0.0"); the rest of its
# header blocks is zeros.
_DUCKDB2_HEADER = bytes.fromhex(
    "6a90a099b1f9cde44455434be70300000000000000000000000000000000000000000000000000000000000000000000"
    "0000000076322e302e300000000000000000000000000000000000000000000000000000643534636262653364660000"
    "00000000000000000000000000000000000000000000000000000000ec41b1014c9bb5870902ea04238711da"
)


def _newer_file(path: Path) -> bytes:
    content = _DUCKDB2_HEADER + bytes(4096 * 3 - len(_DUCKDB2_HEADER))
    path.write_bytes(content)
    return content


def test_a_file_from_a_newer_duckdb_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "scorecard.duckdb"
    before = hashlib.sha256(_newer_file(path)).hexdigest()
    with pytest.raises(FileFromNewerDuckDB, match="docs/scale-out.md"):
        Store(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_the_command_line_says_so_without_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "scorecard.duckdb"
    _newer_file(path)
    assert main(["batches", "--db", str(path)]) == 1
    assert "written by a newer DuckDB" in capsys.readouterr().err
