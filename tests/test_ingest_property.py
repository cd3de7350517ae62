"""Property: shuffling, splitting into overlapping files, or re-uploading ends with the same events."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scorecard.ingest import ingest_bytes
from scorecard.store import Store
from tests.factories_ingest import csv_bytes, event_set, recount, rollups

HEADER = ["rep", "date", "type", "outcome", "subject", "amount", "id"]
TYPES = [("Call", "Connected"), ("Call", "No answer"), ("Meeting", ""), ("Closed Won", ""), ("Webinar", "")]


@st.composite
def row_sets(draw: st.DrawFn) -> list[list[Any]]:
    n = draw(st.integers(min_value=1, max_value=24))
    rows = []
    for i in range(n):
        kind, outcome = draw(st.sampled_from(TYPES))
        with_id = draw(st.booleans())
        rows.append(
            [
                draw(st.sampled_from(["Ana López", "bo brown", "Cy"])),
                f"2026-11-{draw(st.integers(1, 28)):02d} {draw(st.integers(8, 18)):02d}:{i:02d}",  # minute keeps rows distinct
                kind,
                outcome,
                draw(st.sampled_from(["", "Intro", "Follow-up"])),
                "1,250.00" if kind == "Closed Won" else "",
                f"id-{i}" if with_id else "",
            ]
        )
    return rows


def _final_events(uploads: list[list[list[Any]]]) -> tuple[list[tuple[Any, ...]], bool]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "p.duckdb")
        try:
            for i, rows in enumerate(uploads):
                if rows:
                    ingest_bytes(store, f"upload-{i}.csv", csv_bytes(HEADER, rows))
            return event_set(store), rollups(store) == recount(store)
        finally:
            store.close()


SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(rows=row_sets(), data=st.data())
def test_shuffled_split_and_reuploaded_files_give_the_same_events(rows: list[list[Any]], data: st.DataObject) -> None:
    expected, ok = _final_events([rows])
    assert ok and len(expected) == len(rows)
    shuffled = data.draw(st.permutations(rows))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(rows)), max_size=3)))
    overlap = data.draw(st.integers(0, 3))
    bounds = [0, *cuts, len(rows)]
    pieces = [shuffled[max(0, a - overlap): b] for a, b in zip(bounds, bounds[1:], strict=False)]
    reuploads = data.draw(st.lists(st.sampled_from(pieces), max_size=2))
    got, ok = _final_events([*pieces, *reuploads, shuffled])
    assert ok
    assert got == expected
