"""The throwaway PostgreSQL the scale-out demo and tests run on."""

from __future__ import annotations

import subprocess

from scorecard.localpg import LocalPostgres


def test_a_local_server_answers_queries_and_leaves_nothing_running(postgres: LocalPostgres) -> None:
    done = subprocess.run(["psql", postgres.dsn, "-tAc", "SELECT 6 * 7"], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "42"


def test_stop_removes_its_folder() -> None:
    server = LocalPostgres().start()
    folder = server.folder
    server.stop()
    assert not folder.exists()
    gone = subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", str(server.port)], capture_output=True)
    assert gone.returncode != 0
