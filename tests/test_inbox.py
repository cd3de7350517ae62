"""The inbox folder: ingest, then done/ or failed/ with a reason."""

from __future__ import annotations

import os
import time
from pathlib import Path

from scorecard.inbox import process_inbox, start_inbox_watcher, stop_inbox_watcher
from scorecard.store import Store
from tests.factories_ingest import GENERIC_HEADER, csv_bytes, generic_rows


def _drop(folder: Path, name: str, data: bytes, *, settled: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    if settled:
        old = time.time() - 10
        os.utime(path, (old, old))
    return path


def test_good_file_goes_to_done(store: Store, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    _drop(inbox, "week.csv", csv_bytes(GENERIC_HEADER, generic_rows(4)))
    (outcome,) = process_inbox(store, inbox)
    assert outcome.ok and outcome.result is not None and outcome.result.rows_added == 4
    assert outcome.moved_to.parent == inbox / "done" and outcome.moved_to.name.endswith("-week.csv")
    assert not (inbox / "week.csv").exists()
    assert store.scalar("SELECT source FROM batches") == "inbox"


def test_bad_file_goes_to_failed_with_reason(store: Store, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    _drop(inbox, "broken.csv", b"rep,type\nAna,Call\n")
    (outcome,) = process_inbox(store, inbox)
    assert not outcome.ok and outcome.moved_to.parent == inbox / "failed"
    reason = outcome.moved_to.with_name(outcome.moved_to.name + ".reason.txt").read_text()
    assert "broken.csv" in reason and "no column found" in reason
    assert store.scalar("SELECT count(*) FROM batches") == 0


def test_ambiguous_dates_reason_explains_renaming_and_suffix_works(store: Store, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    data = b"rep,date,type\nAna,01/02/2026,Call\n"
    _drop(inbox, "eu.csv", data)
    (outcome,) = process_inbox(store, inbox)
    assert outcome.reason is not None and ".dayfirst.csv" in outcome.reason and "Upload page" in outcome.reason
    _drop(inbox, "eu.dayfirst.csv", data)
    (outcome,) = process_inbox(store, inbox)
    assert outcome.ok
    assert str(store.scalar("SELECT occurred_at FROM events")) == "2026-02-01 00:00:00"


def test_partial_and_hidden_files_are_left_alone(store: Store, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    _drop(inbox, ".hidden.csv", b"x")
    _drop(inbox, "big.csv.part", b"x")
    _drop(inbox, "fresh.csv", csv_bytes(GENERIC_HEADER, generic_rows(2)), settled=False)
    sizes: dict[Path, int] = {}
    assert process_inbox(store, inbox, _sizes=sizes) == []  # fresh: size seen once
    (outcome,) = process_inbox(store, inbox, _sizes=sizes)  # same size on the second look
    assert outcome.file_name == "fresh.csv" and outcome.ok
    assert sorted(p.name for p in inbox.iterdir() if p.is_file()) == [".hidden.csv", "big.csv.part"]


def test_watcher_picks_up_a_file_within_ten_seconds(store: Store, tmp_path: Path) -> None:
    inbox = tmp_path / "watched"
    thread = start_inbox_watcher(store, inbox, interval_s=0.2)
    try:
        assert start_inbox_watcher(store, inbox, interval_s=0.2) is thread and thread.daemon
        _drop(inbox, "live.csv", csv_bytes(GENERIC_HEADER, generic_rows(3)), settled=False)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not list((inbox / "done").glob("*live.csv")):
            time.sleep(0.1)
    finally:
        stop_inbox_watcher(inbox)
    assert not thread.is_alive()
    assert list((inbox / "done").glob("*live.csv"))
    assert store.scalar("SELECT count(*) FROM events") == 3


def test_links_are_never_followed(store: Store, tmp_path: Path) -> None:
    """A link in the inbox could point at any file the app can read (the passcode file): it is parked unread."""
    secret = tmp_path / "outside" / ".manager_passcode"
    secret.parent.mkdir()
    secret.write_text("rep,date,type\nsecret-passcode-value,2026-11-20,Call\n")
    os.utime(secret, (time.time() - 10, time.time() - 10))  # settled, so the hard link is taken at once
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "linked.csv").symlink_to(secret)
    os.link(secret, inbox / "hard.csv")
    (inbox / "dangling.csv").symlink_to(tmp_path / "nowhere.csv")
    outcomes = {o.file_name: o for o in process_inbox(store, inbox)}
    assert set(outcomes) == {"linked.csv", "hard.csv", "dangling.csv"}
    for name, says in (("linked.csv", "symbolic link"), ("hard.csv", "hard link"), ("dangling.csv", "symbolic link")):
        outcome = outcomes[name]
        assert not outcome.ok and outcome.moved_to.parent == inbox / "failed"
        reason = outcome.moved_to.with_name(outcome.moved_to.name + ".reason.txt").read_text()
        assert says in reason and "secret-passcode-value" not in reason
    assert store.scalar("SELECT count(*) FROM batches") == 0
    assert store.scalar("SELECT count(*) FROM rejected_rows WHERE raw LIKE '%secret-passcode%'") == 0
    assert secret.read_text().startswith("rep,date")  # the target itself is untouched


def test_a_linked_failed_folder_is_not_followed(store: Store, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "failed").symlink_to(elsewhere, target_is_directory=True)
    _drop(inbox, "broken.csv", b"rep,type\nAna,Call\n")
    (outcome,) = process_inbox(store, inbox)
    assert outcome.moved_to.parent == inbox / "failed" and not (inbox / "failed").is_symlink()
    assert list(elsewhere.iterdir()) == []
