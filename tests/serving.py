"""A real `streamlit run server.py` in a subprocess, on a free port, that tests can stop and start again."""

from __future__ import annotations

from pathlib import Path

from scorecard.replicas import ROOT, STARTUP_TIMEOUT_S, AppServer, free_port

__all__ = ["PASSCODE", "ROOT", "ServerProcess", "free_port"]

PASSCODE = "test-server-passcode"


class ServerProcess(AppServer):
    """The app server with the tests' passcode."""

    def __init__(
        self,
        db: Path | str,
        inbox: Path,
        log: Path,
        *,
        port: int | None = None,
        passcode: str = PASSCODE,
        startup_timeout_s: float = STARTUP_TIMEOUT_S,
    ) -> None:
        super().__init__(db, inbox, log, port=port, passcode=passcode, startup_timeout_s=startup_timeout_s)
