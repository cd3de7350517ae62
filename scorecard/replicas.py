"""Running the app as processes: one `streamlit run server.py`, and nginx in front of several.

`make scale-demo`, the tests and the benchmarks all start servers through
this module, so they run the app exactly as `make run` does.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SITE_TEMPLATE = ROOT / "deploy" / "nginx-site.conf"
STARTUP_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(url: str, proc: subprocess.Popen[bytes], log: Path, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}:\n{log.read_text(errors='replace')[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} was not healthy after {timeout_s:.0f}s:\n{log.read_text(errors='replace')[-4000:]}")


def _stop(proc: subprocess.Popen[bytes], timeout_s: float = 15) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class AppServer:
    """The app as users run it: the `st.App` in server.py, with its lifespan, on `db` and `inbox`.

    `db` is anything `SCORECARD_DB` accepts: a file path or a DuckLake spec.
    """

    def __init__(
        self,
        db: Path | str,
        inbox: Path,
        log: Path,
        *,
        port: int | None = None,
        passcode: str,
        env: Mapping[str, str] | None = None,
        startup_timeout_s: float = STARTUP_TIMEOUT_S,
    ) -> None:
        self.db = db
        self.inbox = inbox
        self.log = log
        self.port = port or free_port()
        self.passcode = passcode
        self.extra_env = dict(env or {})
        self.startup_timeout_s = startup_timeout_s
        self.host = "127.0.0.1"
        self.url = f"http://{self.host}:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> AppServer:
        env = {
            **os.environ,
            "SCORECARD_DB": str(self.db),
            "SCORECARD_INBOX": str(self.inbox),
            "SCORECARD_MANAGER_PASSCODE": self.passcode,
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
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
        _wait_for(f"{self.url}/_stcore/health", self.proc, self.log, self.startup_timeout_s, "the server")
        return self

    def stop(self) -> None:
        if self.proc is not None:
            _stop(self.proc)
            self.proc = None

    def kill(self) -> None:
        """Die the way a crashed machine does: no clean-up runs."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found is None:
        raise RuntimeError("nginx is not installed: apt-get install nginx (Debian's package)")
    return found


def render_site(upstreams: Sequence[str], listen_port: int, template: Path = SITE_TEMPLATE) -> str:
    """deploy/nginx-site.conf with its upstream servers and port filled in."""
    servers = "\n".join(f"    server {address} max_fails=1 fail_timeout=5s;" for address in upstreams)
    text = template.read_text()
    return text.replace("    server 127.0.0.1:8501;\n    server 127.0.0.1:8502;\n    server 127.0.0.1:8503;", servers).replace(
        "listen 8080;", f"listen 127.0.0.1:{listen_port};"
    )


class Nginx:
    """nginx in the foreground with the project's site configuration, in a folder of its own."""

    def __init__(self, upstreams: Sequence[str], folder: Path, *, port: int | None = None) -> None:
        self.upstreams = list(upstreams)
        self.folder = folder
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def config(self) -> str:
        temp = self.folder / "temp"
        # Workers drop root to the owner of the folder, so they can write their temp files there.
        user = "user root;" if os.geteuid() == 0 else ""
        return f"""{user}
worker_processes 1;
daemon off;
pid {self.folder}/nginx.pid;
error_log {self.folder}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log {self.folder}/access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {self.folder}/site.conf;
}}
"""

    def start(self) -> Nginx:
        (self.folder / "temp").mkdir(parents=True, exist_ok=True)
        (self.folder / "site.conf").write_text(render_site(self.upstreams, self.port))
        (self.folder / "nginx.conf").write_text(self.config())
        log = self.folder / "error.log"
        log.touch()
        with open(self.folder / "stdout.log", "ab") as out:
            self.proc = subprocess.Popen(
                [nginx_binary(), "-p", str(self.folder), "-c", str(self.folder / "nginx.conf")],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        _wait_for(f"{self.url}/_stcore/health", self.proc, log, 30, "nginx")
        return self

    def stop(self) -> None:
        if self.proc is not None:
            _stop(self.proc, timeout_s=5)
            self.proc = None
