"""The manager passcode: env first, then secrets.toml, else generated once, owner-only."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from scorecard.auth import PASSCODE_FILE, check_passcode, manager_passcode


def test_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('manager_passcode = "from-secrets"\n')
    monkeypatch.setenv("SCORECARD_MANAGER_PASSCODE", "from-env")
    assert manager_passcode(tmp_path, secrets_file=secrets) == "from-env"
    assert not (tmp_path / PASSCODE_FILE).exists()


def test_secrets_file_when_no_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCORECARD_MANAGER_PASSCODE")
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('manager_passcode = "from-secrets"\n')
    assert manager_passcode(tmp_path, secrets_file=secrets) == "from-secrets"


def test_generated_once_owner_only_and_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SCORECARD_MANAGER_PASSCODE")
    data = tmp_path / "data"
    first = manager_passcode(data, secrets_file=tmp_path / "missing.toml")
    assert len(first) >= 12
    path = data / PASSCODE_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first in capsys.readouterr().err
    # The next start reads the same passcode and does not print it again.
    assert manager_passcode(data, secrets_file=tmp_path / "missing.toml") == first
    assert first not in capsys.readouterr().err


def test_broken_secrets_file_falls_back_to_generated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCORECARD_MANAGER_PASSCODE")
    secrets = tmp_path / "secrets.toml"
    secrets.write_text("this is not toml = = \n")
    value = manager_passcode(tmp_path, secrets_file=secrets)
    assert (tmp_path / PASSCODE_FILE).read_text().strip() == value


def test_check_passcode() -> None:
    assert check_passcode("s3cret", "s3cret")
    assert check_passcode(" s3cret ", "s3cret")  # pasted with spaces
    assert not check_passcode("s3cret!", "s3cret")
    assert not check_passcode("", "s3cret")
    assert not check_passcode(None, "s3cret")
    assert not check_passcode("", "")
