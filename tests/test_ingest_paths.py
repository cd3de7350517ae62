"""Paths that are not export files: a clear message from ingest, the command line and the inbox; nothing read or written."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from scorecard.cli import main
from scorecard.inbox import process_inbox
from scorecard.ingest import FileRejected, IngestOptions, ingest_path, reading
from scorecard.store import Store
from tests.factories_ingest import GENERIC_HEADER, csv_bytes, generic_rows, snapshot

AS_OF = datetime(2026, 11, 23, 12, 0)


@pytest.fixture
def odd_paths(tmp_path: Path) -> Iterator[dict[str, tuple[Path, str]]]:
    """Each kind of path with the words its message must carry."""
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "inside.csv").write_bytes(csv_bytes(GENERIC_HEADER, generic_rows(2)))
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    link = tmp_path / "zero.csv"
    link.symlink_to("/dev/zero")
    sock_path = tmp_path / "sock.csv"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sock_path))
    try:
        yield {
            "folder": (folder, "is a folder, not a file"),
            "fifo": (fifo, "is a named pipe (FIFO)"),
            "device": (Path("/dev/null"), "is a device"),
            "link to a device": (link, "is a device"),
            "socket": (sock_path, "is a socket"),
        }
    finally:
        sock.close()


@pytest.mark.parametrize("kind", ["folder", "fifo", "device", "link to a device", "socket"])
def test_ingest_path_refuses_without_opening(store: Store, odd_paths: dict[str, tuple[Path, str]], kind: str) -> None:
    path, words = odd_paths[kind]
    before = snapshot(store)
    with pytest.raises(FileRejected) as err:
        ingest_path(store, path, IngestOptions(as_of=AS_OF))  # a FIFO opened for reading would block forever
    assert str(err.value).startswith(f"{path.name}: {words}")
    assert "Nothing was imported" in str(err.value)
    assert snapshot(store) == before


@pytest.mark.parametrize("kind", ["folder", "fifo", "device", "link to a device", "socket"])
def test_cli_names_the_path_and_exits_2(
    tmp_path: Path, odd_paths: dict[str, tuple[Path, str]], kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path, words = odd_paths[kind]
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(GENERIC_HEADER, generic_rows(3)))
    db = tmp_path / "cli.duckdb"
    assert main(["ingest", "--db", str(db), "--as-of", AS_OF.isoformat(), str(good), str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: {words}" in err and "nothing was imported" in err
    with Store(db) as store:
        assert store.scalar("SELECT count(*) FROM batches") == 0  # the good file waits for a clean command


def test_cli_missing_file_still_says_no_such_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", "--db", str(tmp_path / "c.duckdb"), str(tmp_path / "gone.csv")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_oversized_file_is_refused_before_reading(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "MAX_FILE_BYTES", 1000)
    big = tmp_path / "big.csv"
    big.write_bytes(csv_bytes(GENERIC_HEADER, generic_rows(100)))
    with pytest.raises(FileRejected, match=r"^big\.csv: is 0 MB; uploads are limited to 0 MB\. Export a shorter date range"):
        ingest_path(store, big, IngestOptions(as_of=AS_OF))
    assert store.scalar("SELECT count(*) FROM batches") == 0


def test_inbox_parks_folders_pipes_and_links_with_a_reason(store: Store, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "dropped-folder").mkdir()
    os.mkfifo(inbox / "pipe.csv")
    (inbox / "zero.csv").symlink_to("/dev/zero")
    good = inbox / "week.csv"
    good.write_bytes(csv_bytes(GENERIC_HEADER, generic_rows(4)))
    os.utime(good, (1_700_000_000, 1_700_000_000))
    outcomes = {o.file_name: o for o in process_inbox(store, inbox)}
    assert set(outcomes) == {"dropped-folder", "pipe.csv", "zero.csv", "week.csv"}
    assert outcomes["week.csv"].ok
    # A link is refused as a link, whatever it points at: the inbox never follows one out of itself.
    for name, words in (("dropped-folder", "is a folder"), ("pipe.csv", "is a named pipe"), ("zero.csv", "is a symbolic link")):
        outcome = outcomes[name]
        assert not outcome.ok and outcome.moved_to.parent == inbox / "failed"
        reason = outcome.moved_to.with_name(outcome.moved_to.name + ".reason.txt").read_text(encoding="utf-8")
        assert reason.startswith(f"{name}: {words}")
    assert sorted(p.name for p in inbox.iterdir()) == ["done", "failed"]
    assert store.scalar("SELECT count(*) FROM batches") == 1
