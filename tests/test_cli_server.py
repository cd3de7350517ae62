"""The command line while the real app (`streamlit run server.py`) holds the database: never refused for that,
and printing what it prints with the app stopped."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from scorecard.cli import main
from scorecard.cli.remote import CONTENT_TYPE, SECRET_HEADER
from scorecard.serverfile import read_server_file, server_file_path
from scorecard.store import Store
from tests.factories_ingest import GENERIC_HEADER, csv_bytes, generic_rows
from tests.factories_ui import seed_file
from tests.serving import ServerProcess

pytestmark = pytest.mark.slow
AS_OF = "2026-11-18T14:00"
UPLOAD_AS_OF = "2026-11-20T12:00"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _version(server: ServerProcess) -> int:
    with urllib.request.urlopen(f"{server.url}/healthz", timeout=30) as resp:
        return int(json.loads(resp.read())["data_version"])


@pytest.fixture
def app(tmp_path: Path) -> Iterator[ServerProcess]:
    db = tmp_path / "scorecard.duckdb"
    seed_file(db)
    shutil.copyfile(db, tmp_path / "twin.duckdb")  # the app's file before it started, for a run with no app
    (tmp_path / "inbox").mkdir()
    server = ServerProcess(db, tmp_path / "inbox", tmp_path / "server.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()
    assert "Traceback" not in server.log_text()


def test_commands_run_through_the_app_and_print_what_they_print_with_it_stopped(
    app: ServerProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(app.db)
    twin = tmp_path / "twin.duckdb"
    found = read_server_file(app.db)
    assert found is not None and found.running_here() and found.url.startswith(f"{app.url}/")
    assert os.stat(server_file_path(app.db)).st_mode & 0o777 == 0o600
    good = tmp_path / "week.csv"
    good.write_bytes(csv_bytes(GENERIC_HEADER, [*generic_rows(6), ["Rep 1", "soon", "Call", "", "bad-1"]]))
    bad = tmp_path / "broken.csv"
    bad.write_bytes(b"rep,type\nAna,Call\n")

    reads = [
        ("report", "--as-of", AS_OF, "--json"),
        ("report", "--rep", "ana-lopez", "--as-of", AS_OF, "--json"),
        ("report", "--team", "East", "--as-of", AS_OF),
        ("report", "--rep", "nobody", "--as-of", AS_OF),
        ("flash", "--week", "2026-11-10"),
        ("flash", "--week", "2026-11-10", "--format", "csv"),
    ]
    running = {argv: _run(capsys, *argv, "--db", db) for argv in reads}
    assert running[reads[0]][0] == 0 and json.loads(running[reads[0]][1])["teams"] == ["East", "West"]
    assert running[reads[3]][0] == 1 and "No rep matches 'nobody'" in running[reads[3]][2]
    # A second process, as users run it: real stdout and stderr.
    proc = subprocess.run(
        [sys.executable, "-m", "scorecard", "report", "--as-of", AS_OF, "--json", "--db", db],
        capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[1],
    )  # fmt: skip
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, running[reads[0]][1], "")

    before = _version(app)
    refused = _run(capsys, "ingest", str(bad), "--db", db)
    assert refused[0] == 1 and "broken.csv: no column found" in refused[2]
    assert _version(app) == before  # a refused file writes nothing
    imported = _run(capsys, "ingest", str(good), "--as-of", UPLOAD_AS_OF, "--db", db)
    assert imported[0] == 0 and "week.csv: batch 6 (generic) — 7 rows read, 6 added, 0 already present, 1 rejected" in imported[1]
    assert _version(app) > before
    code, listed, _ = _run(capsys, "batches", "--json", "--db", db)
    assert code == 0 and json.loads(listed)[0]["file"] == "week.csv" and json.loads(listed)[0]["source"] == "cli"
    code, rejects, _ = _run(capsys, "rejects", "6", "--csv", "--db", db)
    assert code == 0 and rejects.splitlines()[1].startswith("8,date,")
    after_import = {argv: _run(capsys, *argv, "--db", db) for argv in reads[:2]}
    assert "Sales" in json.loads(after_import[reads[0]][1])["teams"]  # the imported reps are in the report

    app.stop()
    assert not server_file_path(app.db).exists()  # removed when the app stops
    for argv, printed in after_import.items():  # the very same file, read with the app stopped
        assert _run(capsys, *argv, "--db", db) == printed, argv
    # The reads ran before the import, so they are compared with the twin, the app's file before any write.
    for argv in reads:
        assert _run(capsys, *argv, "--db", str(twin)) == running[argv], argv
    assert _run(capsys, "ingest", str(bad), "--db", str(twin)) == refused
    assert _run(capsys, "ingest", str(good), "--as-of", UPLOAD_AS_OF, "--db", str(twin)) == imported
    with Store(app.db) as served, Store(twin) as local:
        query = "SELECT batch_id, file_name, source, rows_read, rows_added, rows_rejected, file_sha256 FROM batches ORDER BY 1"
        assert served.fetchall(query) == local.fetchall(query)


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, object]]:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
    try:
        conn.request("POST", parts.path, body=body, headers={"Content-Type": CONTENT_TYPE, **headers})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


def test_the_endpoint_refuses_a_wrong_or_missing_secret_and_runs_nothing(app: ServerProcess, tmp_path: Path) -> None:
    found = read_server_file(app.db)
    assert found is not None
    csv = csv_bytes(GENERIC_HEADER, generic_rows(3))
    frame = {"path": "x.csv", "missing": False, "problem": None, "rejected": None, "size": len(csv)}
    header = {"protocol": 1, "argv": ["ingest", "x.csv"], "db": str(app.db.resolve()), "files": 1}
    body = json.dumps(header).encode() + b"\n" + json.dumps(frame).encode() + b"\n" + csv
    before = _version(app)
    for headers in ({}, {SECRET_HEADER: ""}, {SECRET_HEADER: "not-the-secret"}, {SECRET_HEADER: found.secret[:-1]}):
        status, reply = _post(found.url, body, headers)
        assert status == 401 and "local secret" in str(reply["error"]), headers
    assert _version(app) == before
    # The right secret, but for a command that needs the database to itself.
    tokens = {"protocol": 1, "argv": ["tokens", "list"], "db": str(app.db.resolve()), "files": 0}
    status, reply = _post(found.url, json.dumps(tokens).encode() + b"\n", {SECRET_HEADER: found.secret})
    assert status == 200 and reply["exit"] == 1 and "does not run through the app" in json.dumps(reply["output"])
    # Another database than the one the app holds.
    other = dict(header, db=str(tmp_path / "other.duckdb"))
    status, reply = _post(found.url, json.dumps(other).encode() + b"\n", {SECRET_HEADER: found.secret})
    assert status == 409 and str(app.db) in str(reply["error"])
    # The right secret: the same request lands.
    status, reply = _post(found.url, body, {SECRET_HEADER: found.secret})
    assert status == 200 and reply["exit"] == 0, reply
    assert _version(app) == before + 1


def _hold(db: Path) -> subprocess.Popen[str]:
    """Another process holding the database, as the app does, without serving anything."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(120)", str(db)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_a_stale_or_missing_server_file_is_named_clearly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "scorecard.duckdb"
    seed_file(db)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    dead_pid = int(gone.stdout)
    holder = _hold(db)
    try:
        code, out, err = _run(capsys, "report", "--as-of", AS_OF, "--db", str(db))
        assert (code, out) == (1, "")
        assert "no running app has left its address" in err and str(server_file_path(db)) in err
        from scorecard.liveness import this_host

        server_file_path(db).write_text(
            json.dumps({"url": "http://127.0.0.1:9/api/v1/cli", "pid": dead_pid, "host": this_host(), "secret": "s",
                        "db": str(db.resolve()), "started_at": "2026-11-18T09:00:00+00:00"})  # fmt: skip
        )
        code, out, err = _run(capsys, "batches", "--db", str(db))
        assert (code, out) == (1, "")
        assert f"{server_file_path(db)} is stale" in err and f"pid {dead_pid}" in err and "no longer running" in err
        code, out, err = _run(capsys, "tokens", "list", "--db", str(db))
        assert code == 1 and "`tokens` needs the database to itself" in err and "`report`" in err and "`ingest`" in err
    finally:
        holder.kill()
        holder.wait()
    # With nothing holding the file, the stale server file is no obstacle.
    code, out, _ = _run(capsys, "batches", "--db", str(db))
    assert code == 0 and "test" in out
