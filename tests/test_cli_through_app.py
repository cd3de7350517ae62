"""Commands run inside the app print exactly what they print here: same handler, same output, same exit code.

No server here: the request is built by the command line's own encoder, read by the endpoint's own
parser, and run by `remote.execute` on a twin of the database the local run uses.
"""

from __future__ import annotations

import base64
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import anyio
import pytest

from scorecard.api import local_cli
from scorecard.cli import build_parser, main, remote, through_app_commands
from scorecard.store import Store
from tests.factories_ingest import GENERIC_HEADER, csv_bytes, generic_rows
from tests.factories_ui import seed_file

AS_OF = "2026-11-18T14:00"


def _sent(paths: list[Path]) -> list[remote.SentFile]:
    """The files as the command line encodes them and the endpoint decodes them, in small pieces."""
    raw = b"".join(remote._body({"protocol": remote.PROTOCOL, "argv": [], "db": "x", "files": len(paths)}, paths))

    async def decode() -> list[remote.SentFile]:
        async def pieces():  # type: ignore[no-untyped-def]
            for start in range(0, len(raw), 777):
                yield raw[start : start + 777]

        body = local_cli._Body(pieces())
        await body.line(remote.MAX_HEADER_BYTES, "request header")
        files = [await local_cli._file(body) for _ in paths]
        assert await body.at_end()
        return files

    # Its own thread: in a whole-suite run the browser tests keep an event loop on this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(anyio.run, decode).result()


@pytest.fixture
def twins(tmp_path: Path) -> tuple[Path, Path]:
    here = tmp_path / "here.duckdb"
    seed_file(here)
    there = tmp_path / "there.duckdb"
    shutil.copyfile(here, there)
    return here, there


def _both(twins: tuple[Path, Path], capsys: pytest.CaptureFixture[str], argv: list[str], files: list[Path] | None = None) -> None:
    here, there = twins
    local_code = main([*argv, "--db", str(here)])
    local = capsys.readouterr()
    with Store(there) as store:
        reply = remote.execute([*argv, "--db", str(there)], _sent(files or []), store)
    leaked = capsys.readouterr()
    assert (leaked.out, leaked.err) == ("", ""), f"{argv[0]} wrote to the app's own console instead of the reply"
    out = "".join(c.get("text", "") for c in reply["output"] if c["stream"] == "out")
    out_bytes = b"".join(base64.b64decode(c["base64"]) for c in reply["output"] if "base64" in c)
    err = "".join(c.get("text", "") for c in reply["output"] if c["stream"] == "err")
    assert reply["exit"] == local_code, argv
    assert out + out_bytes.decode() == local.out, argv
    assert err == local.err, argv


def test_the_commands_that_go_through_the_app() -> None:
    assert sorted(through_app_commands(build_parser())) == ["batches", "flash", "ingest", "maintain", "rejects", "report", "undo"]


@pytest.mark.parametrize(
    "argv",
    [
        ["report", "--as-of", AS_OF, "--json"],
        ["report", "--as-of", AS_OF],
        ["report", "--as-of", AS_OF, "--team", "East", "--json"],
        ["report", "--rep", "ana-lopez", "--as-of", AS_OF, "--json"],
        ["report", "--rep", "Ben Carter", "--as-of", AS_OF],
        ["report", "--rep", "nobody", "--as-of", AS_OF],
        ["report", "--team", "Mars", "--as-of", AS_OF],
        ["report", "--as-of", "next tuesday"],
        ["flash", "--week", "2026-11-10"],
        ["flash", "--week", "2026-11-10", "--format", "csv", "--team", "West"],
        ["flash", "--week", "soon"],
        ["batches"],
        ["batches", "--json"],
        ["undo", "2"],
        ["undo", "99"],
        ["rejects", "99"],
    ],
)
def test_reads_and_undo_print_the_same(twins: tuple[Path, Path], capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    _both(twins, capsys, argv)


def test_ingest_prints_the_same_for_good_bad_and_missing_files(
    twins: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(GENERIC_HEADER, [*generic_rows(5), ["=cmd()", "soon", "Call", "", "bad-1"]]))
    odd = tmp_path / "odd.csv"
    odd.write_bytes(b"Who,When,What\nAna Lopez,01/02/2026,Call\n")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"rep,type\nAna,Call\n")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    options = ["--as-of", "2026-11-20T12:00"]
    _both(twins, capsys, ["ingest", str(good), *options], [good])
    _both(twins, capsys, ["rejects", "6"])
    _both(twins, capsys, ["rejects", "6", "--csv"])
    _both(twins, capsys, ["ingest", str(bad), str(good), str(empty), *options], [bad, good, empty])
    mapped = ["--map", "rep=Who", "--map", "occurred_at=When", "--map", "type=What", *options]
    _both(twins, capsys, ["ingest", str(odd), *mapped], [odd])  # ambiguous dates: asks for --dayfirst
    _both(twins, capsys, ["ingest", str(odd), *mapped, "--dayfirst", "--source", "sheet-a"], [odd])
    _both(twins, capsys, ["ingest", str(good), "--strict", *options], [good])
    _both(twins, capsys, ["ingest", str(tmp_path / "missing.csv"), str(good)], [tmp_path / "missing.csv", good])
    _both(twins, capsys, ["ingest", str(folder)], [folder])
    _both(twins, capsys, ["ingest", str(good), "--map", "colour=x"], [good])
    _both(twins, capsys, ["batches"])
    here, there = twins
    with Store(here) as a, Store(there) as b:
        query = "SELECT file_name, source, rows_added, rows_duplicate, rows_rejected FROM batches ORDER BY batch_id"
        assert a.fetchall(query) == b.fetchall(query)
        assert a.scalar("SELECT count(*) FROM events") == b.scalar("SELECT count(*) FROM events")


def test_a_command_that_needs_the_database_to_itself_is_refused_by_the_app(twins: tuple[Path, Path]) -> None:
    _, there = twins
    with Store(there) as store:
        reply = remote.execute(["tokens", "list", "--db", str(there)], [], store)
    assert reply["exit"] == 1
    assert "`tokens` does not run through the app" in reply["output"][0]["text"]
