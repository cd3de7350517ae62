"""The weekly flash report: content, order, team total, CSV guard and markdown."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest

from scorecard.scores import flash_report
from scorecard.store import Store
from tests.factories import add_activity, add_counts, add_rep
from tests.factories_scores import only_goal

WEEK = date(2026, 10, 5)  # no holidays: prorated goal = weekly goal


def _setup(store: Store) -> None:
    ana = add_rep(store, "Ana Lopez")
    eve = add_rep(store, '=HYPERLINK("http://x")|Eve', slug="eve")
    only_goal(store, [ana, eve], "meetings", 4)
    add_counts(store, ana, datetime(2026, 10, 6, 10), {"meetings": 5, "conversations": 2})
    add_counts(store, eve, datetime(2026, 10, 7, 10), {"meetings": 1})
    add_activity(store, ana, [(datetime(2026, 10, 8, 10), "deals_won", 1200.0)])
    add_counts(store, ana, datetime(2026, 10, 13, 10), {"meetings": 7})  # the next week: not in this report


def test_flash_frame_rows_and_team_total(store: Store) -> None:
    _setup(store)
    report = flash_report(store, date(2026, 10, 7))  # any day of the week
    assert report.period.start == WEEK
    frame = report.frame
    assert frame["rep"].to_list() == ['=HYPERLINK("http://x")|Eve', "Ana Lopez", "Team total"]
    # Lead measures first, then lag; goal columns only where a goal exists.
    assert frame.columns[:5] == ["rep", "slug", "Conversations", "Meetings", "Meetings goal"]
    assert frame.columns[-2:] == ["Deals won", "Revenue won"]
    ana = frame.filter(frame["slug"] == "ana-lopez").row(0, named=True)
    assert (ana["Meetings"], ana["Meetings goal"], ana["Meetings % of goal"]) == (5, 4, pytest.approx(1.25))
    assert (ana["Deals won"], ana["Revenue won"]) == (1, 1200)
    total = frame.row(-1, named=True)
    assert (total["Meetings"], total["Meetings goal"]) == (6, 8)
    assert total["Meetings % of goal"] == pytest.approx(6 / 8)
    assert total["Conversations"] == 2


def test_flash_csv_guards_formula_cells(store: Store) -> None:
    _setup(store)
    rows = list(csv.reader(io.StringIO(flash_report(store, WEEK).to_csv().decode())))
    assert rows[0][:3] == ["rep", "slug", "Conversations"]
    assert rows[1][0] == '\'=HYPERLINK("http://x")|Eve'
    assert rows[2][:2] == ["Ana Lopez", "ana-lopez"]
    assert rows[-1][0] == "Team total"
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row)


def test_flash_markdown_is_printable(store: Store) -> None:
    _setup(store)
    text = flash_report(store, WEEK, team="Sales").to_markdown()
    assert text.startswith("# Weekly flash: Week of Oct 5, 2026 · Sales")
    assert "| Ana Lopez | 2 | 5 | 4 | 125% |" in text
    assert "\\|Eve" in text  # a pipe in a name cannot break the table
    assert "| Team total |" in text
    header = next(line for line in text.splitlines() if line.startswith("| rep"))
    assert header.index("Meetings") < header.index("Calls") < header.index("Deals won")


def test_flash_for_an_empty_team(store: Store) -> None:
    report = flash_report(store, WEEK, team="Nobody")
    assert report.frame["rep"].to_list() == ["Team total"]
