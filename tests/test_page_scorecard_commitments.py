"""A rep's own page (AppTest) shows their commitments and how each went, never the manager's notes."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

from scorecard import coaching
from scorecard.store import Store
from tests.factories_ui import seed_file
from tests.ui_apptest import app, app_store_closed, texts  # noqa: F401

PAGE = "pages/scorecard.py"
AS_OF = "2026-11-18T14:00"
NOTES = "Struggling at home; keep this between us"
COMMITMENT_NOTE = "Manager only: consider a PIP if missed"


def _seed() -> dict[str, int]:
    path = Path(os.environ["SCORECARD_DB"])
    reps = seed_file(path)
    store = Store(path)
    try:
        chloe = reps["chloe-park"]
        last_week, this_week = date(2026, 11, 9), date(2026, 11, 16)
        coaching.record_one_on_one(
            store, chloe, last_week - timedelta(days=3), NOTES, addressed=["conversations"],
            commitments=[
                coaching.NewCommitment("conversations", 3, last_week, note=COMMITMENT_NOTE),
                coaching.NewCommitment("meetings", 9, last_week),
            ],
        )  # fmt: skip
        coaching.add_commitment(store, chloe, coaching.NewCommitment("meetings", 3, this_week), made_on=this_week)
    finally:
        store.close()
    return reps


def _protos(node: object) -> list[str]:
    found = [str(getattr(node, "proto", ""))]
    for child in getattr(node, "children", {}).values():
        found += _protos(child)
    return found


def test_the_rep_sees_commitments_and_never_the_notes(tmp_path: Path) -> None:
    _seed()
    at = app(PAGE, tmp_path, rep="chloe-park", as_of=AS_OF).run()
    assert not at.exception
    body = texts(at)
    assert "Your commitments" in body
    assert ":material/check_circle: **Conversations** · 3 conversations in the week of Mon Nov 9 · Kept: 4 of 2.4" in body
    assert ":material/cancel: **Meetings** · 9 meetings in the week of Mon Nov 9 · Missed: 2 of 7.2" in body
    assert "**Meetings** · 3 meetings in the week of Mon Nov 16 · Not checkable yet: the week ends Sun Nov 22. So far 1." in body
    assert NOTES not in body and COMMITMENT_NOTE not in body
    everything = "\n".join(_protos(at._tree))  # every element the page sent, text or not
    assert "Your commitments" in everything
    assert "Struggling" not in everything and "PIP" not in everything


def test_a_rep_without_commitments_sees_no_section(tmp_path: Path) -> None:
    _seed()
    at = app(PAGE, tmp_path, rep="ana-lopez", as_of=AS_OF).run()
    assert not at.exception
    assert "Your commitments" not in texts(at)
