"""Removing the demo team after the first real upload: one step, and undoable (core, CLI, Upload page)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scorecard.cli import main
from scorecard.demo import DemoNotRemoved, build_demo, demo_presence, offer_removal, remove_demo, restore_demo
from scorecard.ingest import IngestOptions, ingest_bytes
from scorecard.store import Store, open_store
from tests.factories_ingest import GENERIC_HEADER, csv_bytes, generic_rows
from tests.test_backup import _snapshot
from tests.ui_apptest import app, texts

AS_OF = datetime(2026, 11, 19, 15, 0)
NOW = datetime(2026, 11, 19, 20, 0, tzinfo=UTC)



def _demo(store: Store, tmp_path: Path) -> None:
    build_demo(store, AS_OF, reps=3, weeks=2, seed=3, out_dir=tmp_path / "demo-files")


def _real_upload(store: Store, name: str = "real.csv") -> None:
    ingest_bytes(store, name, csv_bytes(GENERIC_HEADER, generic_rows(12)), IngestOptions(source="upload"))


def _real_state(store: Store) -> list[tuple[object, ...]]:
    return store.fetchall(
        "SELECT e.* FROM events e JOIN reps r USING (rep_id) WHERE NOT r.is_demo ORDER BY event_id"
    ) + store.fetchall("SELECT r.* FROM daily_rollups r JOIN reps USING (rep_id) WHERE NOT is_demo ORDER BY ALL")


def test_remove_then_bring_back_restores_exactly(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    _demo(store, tmp_path)
    assert not offer_removal(store)  # only the demo so far: nothing to offer
    _real_upload(store)
    assert offer_removal(store)
    before = _snapshot(store)
    real_before = _real_state(store)
    demo_events = int(store.scalar("SELECT count(*) FROM events e JOIN reps r USING (rep_id) WHERE r.is_demo"))

    gone = remove_demo(store, NOW)
    assert len(gone.reps) == 3 and gone.events == demo_events and len(gone.batches) >= 1
    presence = demo_presence(store)
    assert (presence.reps, presence.batches, presence.removed) == (0, [], True)
    assert not offer_removal(store)
    assert store.scalar("SELECT count(*) FROM events e JOIN reps r USING (rep_id) WHERE r.is_demo") == 0
    assert store.scalar("SELECT count(*) FROM daily_rollups d JOIN reps r USING (rep_id) WHERE r.is_demo") == 0
    assert store.scalar("SELECT count(*) FROM reps WHERE is_demo AND active") == 0
    assert _real_state(store) == real_before  # the real upload is untouched
    with pytest.raises(ValueError, match="already removed"):
        remove_demo(store, NOW)

    back = restore_demo(store)
    assert (sorted(back.reps), back.events) == (sorted(gone.reps), demo_events)
    after = _snapshot(store)
    assert after == before, "bringing the demo back restores every row as it was"
    with pytest.raises(DemoNotRemoved):
        restore_demo(store)
    store.close()


def test_nothing_to_remove_without_a_demo(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    _real_upload(store)
    assert not offer_removal(store)
    with pytest.raises(ValueError, match="no demo team"):
        remove_demo(store, NOW)
    store.close()


def test_cli_says_so_after_the_first_real_ingest_and_removes_and_restores(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "cli.duckdb"
    with Store(db) as store:
        _demo(store, tmp_path)
    first = tmp_path / "first.csv"
    first.write_bytes(csv_bytes(GENERIC_HEADER, generic_rows(5)))
    second = tmp_path / "second.csv"
    second.write_bytes(csv_bytes(GENERIC_HEADER, generic_rows(8, start_day=3)))
    capsys.readouterr()
    assert main(["ingest", "--db", str(db), str(first)]) == 0
    out = capsys.readouterr().out
    assert "beside the demo team (3 demo reps)" in out and "python -m scorecard demo --remove" in out
    assert main(["ingest", "--db", str(db), str(second)]) == 0
    assert "demo --remove" not in capsys.readouterr().out  # said once, after the first real ingest

    assert main(["demo", "--db", str(db), "--remove"]) == 0
    out = capsys.readouterr().out
    assert "demo team removed" in out and "3 demo reps deactivated" in out and "demo --restore" in out
    with Store(db) as store:
        assert store.scalar("SELECT count(*) FROM reps WHERE active") == 3  # the three real reps
    assert main(["demo", "--db", str(db), "--remove"]) == 1
    assert "already removed" in capsys.readouterr().err
    assert main(["demo", "--db", str(db), "--restore"]) == 0
    assert "demo team back" in capsys.readouterr().out
    with Store(db) as store:
        assert store.scalar("SELECT count(*) FROM reps WHERE active") == 6
    assert main(["demo", "--db", str(db), "--restore"]) == 1
    assert "nothing to bring back" in capsys.readouterr().err


def test_upload_page_offers_removal_after_the_first_real_upload_and_undoes_it(tmp_path: Path) -> None:
    db = Path(os.environ["SCORECARD_DB"])
    with Store(db) as store:
        _demo(store, tmp_path)
    at = app("pages/upload.py", tmp_path)
    at.session_state["manager_unlocked"] = True
    at.run()
    assert not at.exception and "Remove the demo team" not in [b.label for b in at.button]

    at.file_uploader(key="upload_files").upload("week.csv", csv_bytes(GENERIC_HEADER, generic_rows(6))).run()
    next(b for b in at.button if b.label.startswith("Import")).click().run()
    assert not at.exception
    assert "beside the demo team (3 demo reps)" in texts(at)
    at.button(key="demo_remove").click().run()
    assert not at.exception and "Demo team removed" in texts(at)
    store = open_store(db)
    assert store.scalar("SELECT count(*) FROM reps WHERE is_demo AND active") == 0
    assert store.scalar("SELECT count(*) FROM batches WHERE source = 'upload' AND status = 'live'") == 1

    at.button(key="demo_restore").click().run()
    assert not at.exception and "The demo team is back" in texts(at)
    assert store.scalar("SELECT count(*) FROM reps WHERE is_demo AND active") == 3
    assert "beside the demo team" in texts(at)  # offered again
