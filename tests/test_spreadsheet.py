"""The one formula-injection rule, cell by cell and over a whole frame."""

from __future__ import annotations

import polars as pl

from scorecard.spreadsheet import RISKY_START, guard_cell, guarded_csv


def test_every_risky_start_is_guarded_and_plain_text_is_not() -> None:
    for start in RISKY_START:
        assert guard_cell(f"{start}SUM(A1)") == f"'{start}SUM(A1)"
    assert guard_cell("Ana Lopez") == "Ana Lopez"
    assert guard_cell("") == ""


def test_frame_guard_matches_the_cell_rule() -> None:
    cells = [f"{start}x" for start in RISKY_START if start not in "\t\r"] + ["plain", "a=b"]
    out = guarded_csv(pl.DataFrame({"text": cells, "n": list(range(len(cells)))})).decode()
    assert out.splitlines()[1:] == [f"{guard_cell(c)},{i}" for i, c in enumerate(cells)]
