"""The inbox folder: files dropped into it are ingested, then moved to done/ or failed/.

A file is taken only once it is complete: its size must be unchanged across
two looks, or it must be older than a second. Dotfiles and partial downloads
are left alone. Date order, decimal mark and source can be given in the
name: `x.dayfirst.csv`, `x.decimal-comma.csv`, `x.source-team-b.csv`.
Anything else dropped here that is not a regular file (a folder, a named pipe,
a device) is moved to failed/ with a reason, never left to wait silently.
"""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from scorecard.ingest import FileRejected, IngestOptions, IngestResult, ingest_bytes
from scorecard.ingest.errors import AmbiguousAmounts, AmbiguousDates, AmbiguousSource
from scorecard.ingest.reading import MAX_FILE_BYTES, path_problem
from scorecard.store import Store, open_store

log = logging.getLogger(__name__)

_PARTIAL_SUFFIXES = (".part", ".partial", ".crdownload", ".download", ".tmp")
_SETTLED_AFTER_S = 1.0
_FOLDERS = ("done", "failed")


@dataclass(frozen=True)
class InboxOutcome:
    file_name: str
    moved_to: Path
    ok: bool
    result: IngestResult | None
    reason: str | None


def _candidates(inbox_dir: Path, sizes: dict[Path, int]) -> list[Path]:
    ready = []
    now = time.time()
    for path in sorted(inbox_dir.iterdir()):
        if path.name.startswith((".", "~$")) or path.name.lower().endswith(_PARTIAL_SUFFIXES) or path.name in _FOLDERS:
            continue
        if path.is_symlink() or not path.is_file():  # a link, folder, pipe or device: parked in failed/ unread
            ready.append(path)
            continue
        info = path.stat()
        if now - info.st_mtime >= _SETTLED_AFTER_S or sizes.get(path) == info.st_size:
            ready.append(path)
        else:
            sizes[path] = info.st_size
    return ready


def _move(path: Path, folder: Path) -> Path:
    if folder.is_symlink():  # done/ and failed/ are ours: a link there would send files (and notes) elsewhere
        folder.unlink()
    folder.mkdir(exist_ok=True)
    target = folder / f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{path.name}"
    path.replace(target)
    return target


def _ambiguous_reason(exc: AmbiguousDates | AmbiguousAmounts | AmbiguousSource) -> str:
    if isinstance(exc, AmbiguousDates):
        what, endings = "the date order", "a `.dayfirst.csv` or `.monthfirst.csv` ending (for example report.dayfirst.csv)"
    elif isinstance(exc, AmbiguousAmounts):
        what, endings = "the decimal mark", "a `.decimal-comma.csv` or `.decimal-point.csv` ending (for example report.decimal-comma.csv)"
    else:
        what, endings = "the source", "a `.source-NAME.csv` ending (for example report.source-team-b.csv)"
    return (
        f"{exc}\nUpload it through the app's Upload page and choose {what} there, or rename it with "
        f"{endings} and drop it here again."
    )


def read_own_file(path: Path) -> bytes:
    """The bytes of a regular file that is the inbox's own: never through a link.

    A symbolic link (or a second hard link) dropped into the inbox could point
    at any file the app can read, such as the passcode file, and its lines
    would come back as rejected rows. O_NOFOLLOW refuses the link itself, and
    the checks run on the opened file, so swapping the file after a look does
    not help either.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        if path.is_symlink():
            raise FileRejected(path.name, "is a symbolic link; the inbox reads only files copied into it, never links") from exc
        raise FileRejected(path.name, f"cannot be read ({exc.strerror}). Check the permissions.") from exc
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):  # a folder, pipe or device: checked on the open file, before any read
        os.close(fd)
        raise FileRejected(path.name, path_problem(path) or "is not a regular file; copy the export itself into the inbox")
    with os.fdopen(fd, "rb") as fh:
        if info.st_nlink > 1:
            raise FileRejected(path.name, "is a hard link to another file; copy the export into the inbox instead")
        data = fh.read(MAX_FILE_BYTES + 1)  # bounded even if the file grows while it is read
    if len(data) > MAX_FILE_BYTES:
        raise FileRejected(path.name, f"is larger than {MAX_FILE_BYTES // 1_048_576} MB. Export a shorter date range.")
    return data


def process_file(store: Store, path: Path) -> InboxOutcome:
    inbox_dir = path.parent
    try:
        result = ingest_bytes(store, path.name, read_own_file(path), IngestOptions(source="inbox"))
    except (AmbiguousDates, AmbiguousAmounts, AmbiguousSource) as exc:
        reason = _ambiguous_reason(exc)
    except FileRejected as exc:
        reason = str(exc)
    except Exception as exc:  # a bug must not wedge the inbox: park the file with the error
        log.exception("inbox: ingesting %s failed", path.name)
        reason = f"{path.name}: unexpected error ({type(exc).__name__}: {exc}). Upload it through the app to see more."
    else:
        moved = _move(path, inbox_dir / _FOLDERS[0])
        log.info("inbox: %s -> batch %s (%s added)", path.name, result.batch_id, result.rows_added)
        return InboxOutcome(path.name, moved, True, result, None)
    moved = _move(path, inbox_dir / _FOLDERS[1])
    moved.with_name(moved.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
    log.warning("inbox: %s failed: %s", path.name, reason)
    return InboxOutcome(path.name, moved, False, None, reason)


def process_inbox(store: Store, inbox_dir: Path, *, _sizes: dict[Path, int] | None = None) -> list[InboxOutcome]:
    """Ingest every complete file in `inbox_dir` once; returns what happened to each."""
    inbox_dir = Path(inbox_dir)
    if not inbox_dir.is_dir():
        return []
    sizes = _sizes if _sizes is not None else {}
    outcomes = [process_file(store, path) for path in _candidates(inbox_dir, sizes)]
    for path in list(sizes):
        if not path.exists():
            del sizes[path]
    return outcomes


_watchers: dict[Path, tuple[threading.Thread, threading.Event]] = {}
_watchers_lock = threading.Lock()


def _watch(store: Store, inbox_dir: Path, interval_s: float, stop: threading.Event) -> None:
    sizes: dict[Path, int] = {}
    while not stop.is_set():
        try:
            inbox_dir.mkdir(parents=True, exist_ok=True)
            if store.closed:  # a restore replaced the process's store: use the new one
                store = open_store(store.path)
            process_inbox(store, inbox_dir, _sizes=sizes)
        except Exception:  # keep watching: the next file may be fine
            log.exception("inbox: scanning %s failed", inbox_dir)
        stop.wait(interval_s)


def start_inbox_watcher(store: Store, inbox_dir: Path, interval_s: float = 0.5) -> threading.Thread:
    """Watch `inbox_dir` from a daemon thread; one thread per directory per process."""
    key = Path(inbox_dir).resolve()
    with _watchers_lock:
        running = _watchers.get(key)
        if running is not None and running[0].is_alive():
            return running[0]
        stop = threading.Event()
        thread = threading.Thread(
            target=_watch, args=(store, key, interval_s, stop), name=f"inbox-watcher:{key}", daemon=True
        )
        thread.start()
        _watchers[key] = (thread, stop)
        return thread


def stop_inbox_watcher(inbox_dir: Path, timeout_s: float = 10.0) -> None:
    """Stop the watcher of `inbox_dir` (if any) and wait for it to finish its current file."""
    key = Path(inbox_dir).resolve()
    with _watchers_lock:
        running = _watchers.pop(key, None)
    if running is not None:
        running[1].set()
        running[0].join(timeout_s)
