"""Who holds something: this process's identity, and whether another process still runs.

The server file (scorecard/serverfile.py) and the inbox's claims (scorecard/inbox.py)
name the process that holds them by host and pid, so another process can tell a
live holder from one that died. A pid only means something where it was issued,
so the "host" is the machine's name plus its process-id namespace: two containers
that share a folder and a host name are still two hosts here, and one never takes
the other's pid for its own.
"""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path

_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")


def this_host() -> str:
    """This machine's name and pid namespace, in letters, digits, dots and dashes only."""
    name = _UNSAFE.sub("-", socket.gethostname()).strip("-")[:48] or "host"
    try:
        namespace = os.readlink("/proc/self/ns/pid")  # 'pid:[4026531836]'
    except OSError:
        return name
    digits = "".join(ch for ch in namespace if ch.isdigit())
    return f"{name}.ns{digits}" if digits else name


def pid_alive(pid: int) -> bool:
    """True while `pid` names a running process on this host (a zombie counts as gone)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another account's
        return True
    except OSError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return True  # no /proc (not Linux): the signal check is all there is
    # The state follows the command name, which is in parentheses and may itself hold ') '.
    state = stat.rpartition(")")[2].split()
    return not (state and state[0] in ("Z", "X"))
