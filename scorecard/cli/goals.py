"""`goals import|derive|accept`, `pto import`, `quotas import`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from scorecard.calendar import parse_as_of, week_of
from scorecard.cli import UsageError, add_command
from scorecard.funnel import DerivedGoals, accept_derived, derive_goals, derived_to_json
from scorecard.imports import (
    ImportRejected,
    ImportResult,
    RepResolver,
    import_goals_csv,
    import_pto_csv,
    import_quotas_csv,
)
from scorecard.settings import load_settings
from scorecard.store import Store

Handler = Callable[[argparse.Namespace, Store], int]
AS_OF_HELP = "ISO date or datetime, team-local when naive (default: now)"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    goals = _group(sub, "goals", "weekly goals: import a CSV, derive them from quota, accept the derived ones")
    imp = _action(goals, "import", _goals_import, "import weekly goals (columns rep, metric, weekly_goal, optional effective_from)")
    imp.add_argument("file", type=Path, metavar="FILE")
    imp.add_argument("--as-of", dest="as_of", help=f"dates rows without effective_from to this week; {AS_OF_HELP}")
    derive = _action(goals, "derive", _goals_derive, "goals worked backwards from each rep's quota (writes nothing)")
    derive.add_argument("--as-of", dest="as_of", help=AS_OF_HELP)
    derive.add_argument("--team", help="one team (default: all teams)")
    derive.add_argument("--json", action="store_true", help="print JSON")
    accept = _action(goals, "accept", _goals_accept, "set the derived goals, effective from the start of this week")
    accept.add_argument("--as-of", dest="as_of", help=AS_OF_HELP)
    accept.add_argument("--rep", action="append", default=[], metavar="REP", help="only this rep (slug, email or name); repeatable")
    pto = _group(sub, "pto", "PTO days")
    pto_imp = _action(pto, "import", _pto_import, "import PTO (columns rep,date or rep,start,end)")
    pto_imp.add_argument("file", type=Path, metavar="FILE")
    quotas = _group(sub, "quotas", "quotas (amount per month or quarter)")
    q_imp = _action(quotas, "import", _quotas_import, "import quotas (columns rep, amount, period, optional effective_from)")
    q_imp.add_argument("file", type=Path, metavar="FILE")
    q_imp.add_argument("--as-of", dest="as_of", help=f"dates rows without effective_from to this week; {AS_OF_HELP}")


def _group(sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_text: str) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    parser = add_command(sub, name, _missing_action, help_text)
    return parser.add_subparsers(dest=f"{name}_action", metavar="ACTION", required=True)


def _action(
    group: argparse._SubParsersAction[argparse.ArgumentParser], name: str, handler: Handler, help_text: str
) -> argparse.ArgumentParser:
    parser = group.add_parser(name, help=help_text, description=help_text)
    # SUPPRESS keeps a `--db` given before the action from being reset by this parser's default.
    parser.add_argument("--db", type=Path, default=argparse.SUPPRESS, help="database file (default: $SCORECARD_DB, else data/scorecard.duckdb)")
    parser.set_defaults(handler=handler)
    return parser


def _missing_action(args: argparse.Namespace, store: Store) -> int:
    raise UsageError("choose an action")


def _as_of(args: argparse.Namespace, store: Store) -> datetime:
    try:
        return parse_as_of(getattr(args, "as_of", None), load_settings(store))
    except ValueError as exc:
        raise UsageError(f"--as-of {args.as_of!r} is not an ISO date or datetime") from exc


def _run_import(run: Callable[[], ImportResult]) -> int:
    try:
        result = run()
    except FileNotFoundError as exc:
        print(f"error: no such file: {exc.filename}", file=sys.stderr)
        return 1
    except ImportRejected as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    print(result.summary)
    return 0


def _goals_import(args: argparse.Namespace, store: Store) -> int:
    today = _as_of(args, store).date()
    return _run_import(lambda: import_goals_csv(store, args.file, today=today))


def _pto_import(args: argparse.Namespace, store: Store) -> int:
    return _run_import(lambda: import_pto_csv(store, args.file))


def _quotas_import(args: argparse.Namespace, store: Store) -> int:
    today = _as_of(args, store).date()
    return _run_import(lambda: import_quotas_csv(store, args.file, today=today))


def derived_text(d: DerivedGoals, currency: str = "$") -> str:
    quota = f"{currency}{d.quota_amount:,.0f} a {d.quota_period}" if d.quota_amount else "no quota"
    lines = [f"{d.name} ({d.slug}) — {quota}"]
    if d.weekly:
        lines.append("  weekly goals: " + ", ".join(f"{metric} {goal:g}" for metric, goal in d.weekly.items()))
    lines += [f"  {line}" for line in d.explanation[:1] + d.explanation[-1:]]
    lines += [f"  note: {note}" for note in d.notes]
    return "\n".join(lines)


def _goals_derive(args: argparse.Namespace, store: Store) -> int:
    derived = derive_goals(store, _as_of(args, store), team=args.team)
    if args.json:
        print(json.dumps([derived_to_json(d) for d in derived], indent=2))
        return 0
    if not derived:
        print("no active reps")
        return 0
    currency = load_settings(store).currency
    print("\n\n".join(derived_text(d, currency) for d in derived))
    print("\nNothing was changed. Set these goals with: python -m scorecard goals accept [--rep REP]")
    return 0


def _goals_accept(args: argparse.Namespace, store: Store) -> int:
    as_of = _as_of(args, store)
    rep_ids: list[int] | None = None
    if args.rep:
        resolver = RepResolver(store)
        rep_ids = []
        for text in args.rep:
            rep_id, why = resolver.resolve(text)
            if rep_id is None:
                print(f"error: --rep {why}", file=sys.stderr)
                return 1
            rep_ids.append(rep_id)
    derived = derive_goals(store, as_of)
    chosen = [d for d in derived if rep_ids is None or d.rep_id in rep_ids]
    skipped = [d for d in chosen if not d.derivable]
    start = week_of(as_of.date(), load_settings(store).week_start).start
    written = accept_derived(store, chosen, effective_from=start)
    print(f"{written} goals set (source: derived), effective from {start} for {len(chosen) - len(skipped)} reps")
    for d in skipped:
        print(f"  {d.slug}: not changed — {d.notes[-1] if d.notes else 'no derivation'}")
    return 0
