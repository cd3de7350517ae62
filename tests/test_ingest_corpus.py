"""The bad and hostile file corpus (tests/corpus): a clear message or exactly the expected rows, never a traceback.

Each file goes through ingest on a store with content in every table: a
refused file leaves every table as it was; an accepted one adds exactly its
events, its rejected rows (line, column, reason) and its notes. Each file
also goes through `python -m scorecard ingest` for the exit code and what
the terminal shows.
"""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from scorecard.cli import main
from scorecard.ingest import FileRejected, IngestOptions, ingest_bytes, pipeline, undo_batch
from scorecard.store import Store
from tests.corpus.cases import AS_OF, CASES, Case
from tests.factories_ingest import GENERIC_HEADER, csv_bytes, generic_rows, snapshot

# Tables an accepted upload may touch; everything else must stay as it was. `changes` is the log of what
# each write changed, by which readers keep the rest (docs/live-pages.md).
WRITTEN = {"batches", "events", "batch_events", "rejected_rows", "daily_rollups", "weekly_rollups", "reps", "meta", "changes"}


@pytest.fixture
def busy_store(store: Store) -> Store:
    """Content in every ingest table: a live batch with a rejected row, a corrected record, an undone batch."""
    options = IngestOptions(as_of=AS_OF)
    rows = generic_rows(12)
    first = ingest_bytes(store, "base.csv", csv_bytes(GENERIC_HEADER, [*rows, ["Rep 1", "someday", "Call", "", "bad"]]), options)
    assert first.rows_rejected == 1
    corrected = [list(r) for r in rows[:2]]
    corrected[0][2] = "Meeting"
    assert ingest_bytes(store, "fix.csv", csv_bytes(GENERIC_HEADER, corrected), options).rows_corrected == 1
    undone = ingest_bytes(store, "later.csv", csv_bytes(GENERIC_HEADER, generic_rows(3, start_day=14)), options)
    undo_batch(store, undone.batch_id)
    assert store.scalar("SELECT count(*) FROM event_versions") == 1
    return store


def _batch_rejects(store: Store, batch_id: int) -> list[tuple[Any, ...]]:
    return store.fetchall("SELECT line_no, column_name, reason FROM rejected_rows WHERE batch_id = ? ORDER BY line_no", [batch_id])


def _assert_rejects(got: list[tuple[Any, ...]], case: Case) -> None:
    assert len(got) == len(case.rejects), f"{case.name}: rejects {got}"
    for (line, column, reason), (want_line, want_column, words) in zip(got, case.rejects, strict=True):
        assert (line, column) == (want_line, want_column), f"{case.name}: {got}"
        assert words in reason, f"{case.name}: {words!r} not in {reason!r}"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_corpus_file(busy_store: Store, case: Case) -> None:
    before = snapshot(busy_store)
    if case.error is not None:
        with pytest.raises(case.error) as err:
            ingest_bytes(busy_store, case.name, case.data, case.ingest_options())
        message = str(err.value)
        assert message.startswith(f"{case.name}: ")
        for word in case.words:
            assert word in message, f"{case.name}: {word!r} not in {message!r}"
        assert snapshot(busy_store) == before
        return
    result = ingest_bytes(busy_store, case.name, case.data, case.ingest_options())
    after = snapshot(busy_store)
    assert {t for t in after if after[t] != before[t]} <= WRITTEN
    assert result.rows_added == case.added
    assert len(after["events"]) - len(before["events"]) == case.added
    assert set(before["events"]) <= set(after["events"])  # nothing stored before was lost or changed
    assert set(before["rejected_rows"]) <= set(after["rejected_rows"])
    _assert_rejects(_batch_rejects(busy_store, result.batch_id), case)
    assert result.rows_rejected == len(case.rejects)
    for word in case.notes:
        assert any(word in note for note in result.notes), f"{case.name}: {word!r} not in {result.notes}"
    if case.check is not None:
        case.check(busy_store, result.batch_id)


def test_corpus_is_broad() -> None:
    assert len(CASES) >= 60
    assert len({c.name for c in CASES}) == len(CASES)


def _cli(db: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["ingest", "--db", str(db), "--as-of", AS_OF.isoformat(), *args])
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("case", [c for c in CASES if c.cli], ids=[c.name for c in CASES if c.cli])
def test_corpus_file_on_the_command_line(tmp_path: Path, case: Case) -> None:
    path = tmp_path / case.name
    path.write_bytes(case.data)
    db = tmp_path / "cli.duckdb"
    code, out, err = _cli(db, str(path))
    if case.error is not None:
        assert code == 1, err
        assert err.startswith(f"error: {case.name}: "), err
        for word in case.words:
            assert word in err, f"{case.name}: {word!r} not in {err!r}"
        with Store(db) as store:
            assert store.scalar("SELECT count(*) FROM batches") == 0
            assert store.scalar("SELECT count(*) FROM events") == 0
        return
    assert code == 0, err
    assert out.startswith(f"{case.name}: batch 1 ")
    assert f", {case.added} added, " in out and f", {len(case.rejects)} rejected, " in out
    for word in case.notes:
        assert word in out, f"{case.name}: {word!r} not in {out!r}"
    if case.rejects:
        assert "python -m scorecard rejects 1" in out


@pytest.mark.parametrize("failure", [RuntimeError("boom"), pl.exceptions.PanicException("index out of bounds")])
def test_an_unforeseen_reader_failure_is_a_refusal_not_a_traceback(
    busy_store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, failure: BaseException
) -> None:
    def broken(*_args: object) -> None:
        raise failure

    monkeypatch.setattr(pipeline, "read_table", broken)
    before = snapshot(busy_store)
    with pytest.raises(FileRejected) as err:
        ingest_bytes(busy_store, "odd.csv", b"rep,date,type\nAna,2026-11-18,Call\n", IngestOptions(as_of=AS_OF))
    assert str(err.value).startswith(f"odd.csv: the file could not be read as a table ({type(failure).__name__})")
    assert "Nothing was imported" in str(err.value)
    assert "reading odd.csv failed unexpectedly" in caplog.text  # the traceback goes to the log, not the user
    assert snapshot(busy_store) == before
