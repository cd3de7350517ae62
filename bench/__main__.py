"""`python -m bench [NAME...]`: run every benchmark module and print one table.

Protocol: a benchmark is a module `bench/bench_<name>.py` with a function
`run() -> list[dict[str, object]]`. Each dict is one row of the table; use the
keys `bench`, `case`, `rows`, `seconds`, `peak_rss_mb`, `ratio`, `target` and
`ok` where they apply (any other keys are shown too). `ok` is False when a
target is missed; the runner then exits 1. Modules generate their own inputs
under bench/out/ (gitignored) with fixed seeds, and measure memory in child
processes so one benchmark cannot inflate another's peak. Pass names (the part
after `bench_`) to run only those modules.

A module may also have its own command line, `main(argv) -> int`: options after
one name go to it (`python -m bench live --sizes 500`), and a name alone runs
that command line too, so its own report is printed instead of the table.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Sequence
from pathlib import Path

COLUMNS = ("bench", "case", "rows", "seconds", "peak_rss_mb", "ratio", "target", "ok")


def discover(names: Sequence[str] = ()) -> list[str]:
    here = Path(__file__).resolve().parent
    found = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    return [m for m in found if not names or m.removeprefix("bench_") in names]


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "" if value is None else str(value)


def render(rows: list[dict[str, object]]) -> str:
    extra = [k for row in rows for k in row if k not in COLUMNS]
    keys = [k for k in COLUMNS if any(k in row for row in rows)] + list(dict.fromkeys(extra))
    table = [keys] + [[_cell(row.get(k)) for k in keys] for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(keys))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) for line in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _own_cli(args: list[str]) -> int | None:
    """Run `bench_<name>.main(options)` for `NAME [OPTIONS...]` when that module has one; else None."""
    if not args or args[0].startswith("-") or (len(args) > 1 and not args[1].startswith("-")):
        return None  # nothing named, or several names: the shared table
    modules = discover(args[:1])
    module = importlib.import_module(f"bench.{modules[0]}") if len(modules) == 1 else None
    own = getattr(module, "main", None)
    if own is None:
        if len(args) > 1:
            raise SystemExit(f"bench {args[0]} takes no options")
        return None
    return int(own(args[1:]))


def main(argv: Sequence[str] | None = None) -> int:
    names = list(sys.argv[1:] if argv is None else argv)
    own = _own_cli(names)
    if own is not None:
        return own
    rows: list[dict[str, object]] = []
    for module_name in discover(names):
        module = importlib.import_module(f"bench.{module_name}")
        rows.extend(module.run())
    print(render(rows))
    return 0 if all(row.get("ok", True) is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
