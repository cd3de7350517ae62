"""The manager passcode: where it comes from and how it is checked.

Order: `$SCORECARD_MANAGER_PASSCODE`, else `manager_passcode` in
`.streamlit/secrets.toml`, else one generated on first start, kept in
`data/.manager_passcode` readable only by its owner, and printed once on the
server console so whoever started the app can hand it to the manager.
"""

from __future__ import annotations

import hmac
import os
import secrets
import sys
import tomllib
from pathlib import Path

ENV_VAR = "SCORECARD_MANAGER_PASSCODE"
PASSCODE_FILE = ".manager_passcode"
SECRETS_FILE = Path(__file__).resolve().parent.parent / ".streamlit" / "secrets.toml"


def _from_secrets(secrets_file: Path) -> str | None:
    try:
        with open(secrets_file, "rb") as fh:
            value = tomllib.load(fh).get("manager_passcode")
    except (OSError, tomllib.TOMLDecodeError):
        return None
    return str(value) if value else None


def _from_file(path: Path) -> str | None:
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return value or None


def _generate(path: Path) -> str:
    """Create the passcode file exclusively, so two starting processes agree on one value."""
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(12)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        existing = _from_file(path)
        if existing:
            return existing
        raise
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value + "\n")
    os.chmod(path, 0o600)
    print(f"Team Scorecard manager passcode: {value}  (kept in {path})", file=sys.stderr, flush=True)
    return value


def manager_passcode(data_dir: Path, *, secrets_file: Path = SECRETS_FILE) -> str:
    """The passcode that unlocks manager actions; generated on first use when none is configured."""
    from_env = os.environ.get(ENV_VAR, "").strip()
    if from_env:
        return from_env
    from_secrets = _from_secrets(secrets_file)
    if from_secrets:
        return from_secrets
    path = data_dir / PASSCODE_FILE
    return _from_file(path) or _generate(path)


def passcode_source(data_dir: Path, *, secrets_file: Path = SECRETS_FILE) -> str:
    """Where the manager passcode comes from, in words (never the passcode itself)."""
    if os.environ.get(ENV_VAR, "").strip():
        return f"the {ENV_VAR} environment variable"
    if _from_secrets(secrets_file):
        return f"{secrets_file} (manager_passcode)"
    return str(data_dir / PASSCODE_FILE)


def check_passcode(given: str | None, expected: str) -> bool:
    """Constant-time comparison; an empty entry never unlocks."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.strip().encode("utf-8"), expected.encode("utf-8"))
