"""The inbox folder: files dropped into it are ingested, then moved to done/ or failed/.

A file is taken only once it is complete: its size must be unchanged across
two looks, or it must be older than a second. Dotfiles and partial downloads
are left alone. Date order, decimal mark and source can be given in the
name: `x.dayfirst.csv`, `x.decimal-comma.csv`, `x.source-team-b.csv`.
Anything else dropped here that is not a regular file (a folder, a named pipe,
a device) is moved to failed/ with a reason, never left to wait silently.

Several processes (app replicas) may watch one inbox; each file is imported by
exactly one of them, once (docs/inbox.md):

- A process takes a file by renaming it into a claim folder of its own,
  `claimed/<host>~<pid>~<since>~<nonce>/<name>`. A rename is atomic, so of all
  the processes that try, exactly one finds the file there; only that one reads
  and imports it. The others find nothing and move on.
- While it imports, it touches its claim folder every quarter of the stale time,
  so a slow import of a large file still looks alive.
- A claim whose process is gone is taken over by the next process that looks:
  renamed into a claim of its own, and imported. Gone means: on this host its
  pid is no longer alive (or it is this process's pid, but no claim this process
  is working on), or the claim folder has not been touched for
  SCORECARD_INBOX_STALE_AFTER seconds, which is all another host's claim can show.
- An import is one transaction, so a claimer that died left nothing half
  written. One that died after its commit but before moving the file to done/
  left a batch with the file's name and content, made after the claim; then the
  file goes to done/ without a second import.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import secrets
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from scorecard.ingest import FileRejected, IngestOptions, IngestResult, ingest_bytes
from scorecard.ingest.errors import AmbiguousAmounts, AmbiguousDates, AmbiguousSource
from scorecard.ingest.reading import MAX_FILE_BYTES, path_problem
from scorecard.liveness import pid_alive, this_host
from scorecard.store import Store, open_store

log = logging.getLogger(__name__)

_PARTIAL_SUFFIXES = (".part", ".partial", ".crdownload", ".download", ".tmp")
_SETTLED_AFTER_S = 1.0
_DONE, _FAILED, _CLAIMED = "done", "failed", "claimed"
_FOLDERS = (_DONE, _FAILED, _CLAIMED)
DEFAULT_STALE_AFTER_S = 600.0
MIN_STALE_AFTER_S = 2.0


@dataclass(frozen=True)
class InboxOutcome:
    file_name: str
    moved_to: Path
    ok: bool
    result: IngestResult | None
    reason: str | None


def stale_after_s() -> float:
    """`$SCORECARD_INBOX_STALE_AFTER` in seconds (default 600): when another host's claim counts as abandoned."""
    raw = os.environ.get("SCORECARD_INBOX_STALE_AFTER", "").strip()
    if not raw:
        return DEFAULT_STALE_AFTER_S
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not value >= MIN_STALE_AFTER_S or value == float("inf"):
        raise ValueError(
            f"SCORECARD_INBOX_STALE_AFTER={raw!r} is not a number of seconds of at least {MIN_STALE_AFTER_S:g}; "
            f"set it to e.g. {DEFAULT_STALE_AFTER_S:g} (ten minutes), or unset it for that default"
        )
    return value


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
        with contextlib.suppress(FileNotFoundError):  # another process may have removed it first
            folder.unlink()
    folder.mkdir(exist_ok=True)
    target = folder / f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{path.name}"
    if os.path.lexists(target):  # another process moved a file of the same name in the same microsecond
        target = folder / f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{secrets.token_hex(3)}-{path.name}"
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


def _ingest_claimed(store: Store, inbox_dir: Path, claim: Claim, *, taken_over: bool) -> InboxOutcome:
    name = claim.name
    try:
        data = read_own_file(claim.path)
        if taken_over and (batch := _imported_already(store, claim, data)) is not None:
            moved = _move(claim.path, inbox_dir / _DONE)
            log.info("inbox: %s was imported as batch %s before its claimer stopped; moved to done/", name, batch)
            return InboxOutcome(name, moved, True, None, None)
        result = ingest_bytes(store, name, data, IngestOptions(source="inbox"))
    except (AmbiguousDates, AmbiguousAmounts, AmbiguousSource) as exc:
        reason = _ambiguous_reason(exc)
    except FileRejected as exc:
        reason = str(exc)
    except Exception as exc:  # a bug must not wedge the inbox: park the file with the error
        log.exception("inbox: ingesting %s failed", name)
        reason = f"{name}: unexpected error ({type(exc).__name__}: {exc}). Upload it through the app to see more."
    else:
        moved = _move(claim.path, inbox_dir / _DONE)
        log.info("inbox: %s -> batch %s (%s added)", name, result.batch_id, result.rows_added)
        return InboxOutcome(name, moved, True, result, None)
    return _park(inbox_dir, claim.path, reason)


def _park(inbox_dir: Path, path: Path, reason: str) -> InboxOutcome:
    """Move `path` to failed/ with a note saying why."""
    moved = _move(path, inbox_dir / _FAILED)
    moved.with_name(moved.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
    log.warning("inbox: %s failed: %s", path.name, reason)
    return InboxOutcome(path.name, moved, False, None, reason)


def _imported_already(store: Store, claim: Claim, data: bytes) -> int | None:
    """The batch a claimer that stopped made of this very file after claiming it, if it got that far."""
    since = datetime.fromtimestamp(claim.since_ms / 1000, UTC).replace(tzinfo=None)
    found = store.scalar(
        "SELECT max(batch_id) FROM batches WHERE source = 'inbox' AND file_name = ? AND file_sha256 = ? AND uploaded_at >= ?",
        [claim.name, hashlib.sha256(data).hexdigest(), since],
    )
    return None if found is None else int(found)


# -- claims: one process per file -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Claim:
    folder: Path  # claimed/<host>~<pid>~<since>~<nonce>
    path: Path  # the file itself, under its own name, inside the folder
    since_ms: int  # when the file was first claimed; kept when an abandoned claim is taken over

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class _Holder:
    host: str
    pid: int
    since_ms: int


# The claims this process is working on: a claim folder with this process's pid that is not
# here was left by an earlier process that had the same pid.
_working: set[str] = set()
_working_lock = threading.Lock()


def _holder(tag: str) -> _Holder | None:
    parts = tag.split("~")
    if len(parts) != 4:
        return None
    try:
        return _Holder(parts[0], int(parts[1]), int(parts[2]))
    except ValueError:
        return None


def _claim_folder(inbox_dir: Path, tag: str) -> Path:
    for _ in range(10):
        claimed = inbox_dir / _CLAIMED
        if claimed.is_symlink():  # claimed/ is ours: a link there would send the files elsewhere
            with contextlib.suppress(FileNotFoundError):
                claimed.unlink()
        claimed.mkdir(exist_ok=True)
        try:
            (claimed / tag).mkdir()
        except FileNotFoundError:  # another process removed the empty claimed/ just now: make it again
            continue
        return claimed / tag
    raise OSError(errno.ENOENT, "the inbox's claimed/ folder keeps disappearing", str(inbox_dir / _CLAIMED))


def _claim(inbox_dir: Path, source: Path, since_ms: int | None = None) -> Claim | None:
    """Rename `source` into a new claim of this process's; None when another process renamed it first."""
    since = time.time_ns() // 1_000_000 if since_ms is None else since_ms
    tag = f"{this_host()}~{os.getpid()}~{since}~{secrets.token_hex(4)}"
    with _working_lock:  # before the folder exists, so no other thread here takes it for abandoned
        _working.add(tag)
    folder: Path | None = None
    try:
        folder = _claim_folder(inbox_dir, tag)
        target = folder / source.name
        os.rename(source, target)  # atomic: of all the processes trying, exactly one finds the file
    except BaseException as exc:
        if folder is not None:
            _tidy(inbox_dir, folder)
        with _working_lock:
            _working.discard(tag)
        if isinstance(exc, FileNotFoundError):
            return None
        raise
    return Claim(folder, target, since)


def _tidy(inbox_dir: Path, folder: Path) -> None:
    """Remove an emptied claim folder, and claimed/ itself once no claim is left in it."""
    with contextlib.suppress(OSError):
        folder.rmdir()
    with contextlib.suppress(OSError):
        (inbox_dir / _CLAIMED).rmdir()


@contextmanager
def _kept_alive(folder: Path, every_s: float) -> Iterator[None]:
    """Touch the claim folder every `every_s` seconds while the block runs: the claim's heartbeat."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every_s):
            try:
                os.utime(folder)
            except OSError:
                return

    thread = threading.Thread(target=beat, name=f"inbox-claim:{folder.name}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _import(store: Store, inbox_dir: Path, claim: Claim, stale_s: float, *, taken_over: bool) -> InboxOutcome:
    try:
        with _kept_alive(claim.folder, max(0.5, stale_s / 4)):
            return _ingest_claimed(store, inbox_dir, claim, taken_over=taken_over)
    finally:
        _tidy(inbox_dir, claim.folder)
        with _working_lock:
            _working.discard(claim.folder.name)


def _abandoned(tag: str, touched: float, stale_s: float, now: float) -> bool:
    holder = _holder(tag)
    if holder is not None and holder.host == this_host():
        if holder.pid == os.getpid():
            with _working_lock:
                return tag not in _working
        if not pid_alive(holder.pid):
            return True
    # Another host's claim shows only its heartbeat; on this host, a live pid that stopped
    # beating is a later process that was given the dead claimer's pid.
    return now - touched > stale_s


def _take_over_abandoned(store: Store, inbox_dir: Path, stale_s: float) -> list[InboxOutcome]:
    claimed = inbox_dir / _CLAIMED
    if claimed.is_symlink() or not claimed.is_dir():
        return []
    outcomes = []
    now = time.time()
    for entry in sorted(claimed.iterdir()):
        try:
            info = entry.lstat()
        except FileNotFoundError:
            continue
        if not stat.S_ISDIR(info.st_mode):  # only claim folders belong here; this was put here by hand
            reason = f"{entry.name}: was in the inbox's claimed/ folder, which is the app's own; drop files into the inbox itself"
            outcomes.append(_park(inbox_dir, entry, reason))
            continue
        if not _abandoned(entry.name, info.st_mtime, stale_s, now):
            continue
        holder = _holder(entry.name)
        since = holder.since_ms if holder is not None else int(info.st_mtime * 1000)
        try:
            inside = sorted(entry.iterdir())
        except OSError:  # taken over and removed by another process meanwhile
            continue
        for path in inside:
            claim = _claim(inbox_dir, path, since)
            if claim is None:
                continue
            log.warning("inbox: %s was claimed by %s, which is gone; importing it here", path.name, entry.name)
            outcomes.append(_import(store, inbox_dir, claim, stale_s, taken_over=True))
        _tidy(inbox_dir, entry)
    return outcomes


def process_file(store: Store, path: Path) -> InboxOutcome | None:
    """Claim `path` (a file in the inbox), import it and move it to done/ or failed/.

    None when another process claimed it first: that process imports it.
    """
    stale_s = stale_after_s()  # a bad setting is refused before anything is claimed
    claim = _claim(path.parent, path)
    if claim is None:
        return None
    return _import(store, path.parent, claim, stale_s, taken_over=False)


def process_inbox(store: Store, inbox_dir: Path, *, _sizes: dict[Path, int] | None = None) -> list[InboxOutcome]:
    """Import every complete file in `inbox_dir` this process claims, and every abandoned claim; what happened to each."""
    inbox_dir = Path(inbox_dir)
    if not inbox_dir.is_dir():
        return []
    stale_s = stale_after_s()
    sizes = _sizes if _sizes is not None else {}
    outcomes = _take_over_abandoned(store, inbox_dir, stale_s)
    for path in _candidates(inbox_dir, sizes):
        outcome = process_file(store, path)
        if outcome is not None:
            outcomes.append(outcome)
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
    """Watch `inbox_dir` from a daemon thread; one thread per directory per process.

    Raises ValueError for a bad SCORECARD_INBOX_STALE_AFTER, so the server does not start on it.
    """
    stale_after_s()
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
