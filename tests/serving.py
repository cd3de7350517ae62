"""A real `streamlit run server.py` in a subprocess, on a free port, that tests can stop and start again."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STARTUP_TIMEOUT_S = 60
PASSCODE = "test-server-passcode"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """The app as users run it: the `st.App` in server.py, with its lifespan, on `db` and `inbox`."""

    def __init__(
        self,
        db: Path,
        inbox: Path,
        log: Path,
        *,
        port: int | None = None,
        passcode: str = PASSCODE,
        startup_timeout_s: float = STARTUP_TIMEOUT_S,
    ) -> None:
        self.db = db
        self.inbox = inbox
        self.log = log
        self.port = port or free_port()
        self.passcode = passcode
        self.startup_timeout_s = startup_timeout_s
        self.host = "127.0.0.1"
        self.url = f"http://{self.host}:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ServerProcess:
        env = {
            **os.environ,
            "SCORECARD_DB": str(self.db),
            "SCORECARD_INBOX": str(self.inbox),
            "SCORECARD_MANAGER_PASSCODE": self.passcode,
            "PYTHONUNBUFFERED": "1",
        }
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable, "-m", "streamlit", "run", "server.py",
                    "--server.headless", "true",
                    "--server.port", str(self.port),
                    "--server.address", self.host,
                    "--server.fileWatcherType", "none",
                    "--browser.gatherUsageStats", "false",
                    "--client.showErrorDetails", "full",
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        self._wait_healthy()
        return self

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def _wait_healthy(self) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}:\n{self.log_text()[-4000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the server was not healthy after {self.startup_timeout_s:.0f}s:\n{self.log_text()[-4000:]}")
