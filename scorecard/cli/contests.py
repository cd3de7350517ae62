"""`contests`: suggested contests and running ones with standings; `contests launch` / `contests cancel`."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from scorecard.calendar import parse_as_of
from scorecard.cli import UsageError, add_command
from scorecard.contests import (
    ContestError,
    Suggestion,
    cancel_contest,
    contest_standings,
    contest_to_json,
    edit_suggestion,
    launch_contest,
    running_contests,
    suggest_contests,
    suggestion_to_json,
)
from scorecard.settings import load_settings
from scorecard.store import Store


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = add_command(
        sub, "contests", _list, "suggested contests for team gaps, and running contests with standings"
    )
    _common(parser, db=False)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    launch = actions.add_parser("launch", help="launch the suggestion for METRIC (as suggested, or with edits)")
    launch.add_argument("metric", help="metric key, e.g. meetings")
    _common(launch)
    launch.add_argument("--target", type=float, help="team target in units (default: as suggested)")
    launch.add_argument("--budget", type=float, help="budget (default: as suggested)")
    launch.set_defaults(handler=_launch)
    cancel = actions.add_parser("cancel", help="cancel contest ID (a change of rules = cancel + launch)")
    cancel.add_argument("contest_id", type=int, metavar="ID")
    _common(cancel)
    cancel.set_defaults(handler=_cancel)


def _common(parser: argparse.ArgumentParser, *, db: bool = True) -> None:
    # SUPPRESS so an option given before the action is not reset by the action's default.
    parser.add_argument(
        "--as-of",
        dest="as_of",
        default=argparse.SUPPRESS,
        help="ISO date or datetime, team-local when naive (default: now)",
    )
    parser.add_argument("--team", default=argparse.SUPPRESS, help="one team (default: all teams)")
    parser.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    if db:  # the top-level `contests` parser has --db from the shared parent already
        parser.add_argument("--db", type=Path, default=argparse.SUPPRESS, help="database file")


def _as_of(args: argparse.Namespace, store: Store) -> datetime:
    text = getattr(args, "as_of", None)
    try:
        return parse_as_of(text, load_settings(store))
    except ValueError as exc:
        raise UsageError(f"--as-of {text!r} is not an ISO date or datetime") from exc


def _running(store: Store, as_of: datetime) -> list[dict[str, Any]]:
    return [
        contest_to_json(c, as_of, contest_standings(store, c.contest_id, as_of)) for c in running_contests(store, as_of)
    ]


def _list(args: argparse.Namespace, store: Store) -> int:
    as_of = _as_of(args, store)
    suggestions = suggest_contests(store, as_of, team=getattr(args, "team", None))
    running = _running(store, as_of)
    if getattr(args, "json", False):
        print(
            json.dumps(
                {
                    "as_of": as_of.isoformat(),
                    "suggestions": [suggestion_to_json(s) for s in suggestions],
                    "running": running,
                },
                indent=2,
            )
        )
        return 0
    print(f"Contests as of {as_of:%a %Y-%m-%d %H:%M}")
    if not suggestions:
        print("\nNo suggestions: no count metric is a team gap and no conversion ratio has fallen.")
    for s in suggestions:
        print(_suggestion_text(s))
    for contest in running:
        print(_running_text(contest))
    return 0


def _suggestion_text(s: Suggestion) -> str:
    lines = [
        "",
        f"== {s.label}: {s.format.replace('_', ' ')} ({s.start:%a %b %d} – {s.end:%a %b %d})",
        f"   {s.why_format}",
        f"   {s.rationale}",
    ]
    if s.focus == "conversion":
        lines.append(f"   Rewards converting: {s.converted}")
    if s.skills_session:
        lines.append(f"   Skills session attached: {s.skills_session}")
    if s.format != "coaching":
        lines.append(
            f"   Target: {s.target:g} {s.unit} · budget {s.budget:,.0f} · expected gross profit {s.expected_gross_profit:,.0f}"
        )
    lines.extend(f"   · {line}" for line in s.arithmetic)
    lines.append("   Announcement:")
    lines.extend(f"     {line}" for line in s.announcement.splitlines())
    if s.format != "coaching":
        lines.append(f"   Launch: python -m scorecard contests launch {s.metric}")
    return "\n".join(lines)


def _running_text(contest: dict[str, Any]) -> str:
    lines = [
        "",
        f"Running #{contest['id']}: {contest['label']} {contest['format'].replace('_', ' ')} until {contest['end']}",
    ]
    for r in contest["standings"]:
        division = f"[{r['division']}] " if r["division"] else ""
        mark = "reached" if r["reached"] else ""
        lines.append(
            f"   {r['rank']:>2}. {division}{r['name']:<24} {r['actual']:g} / {r['target']:g} ({r['pct_of_target']:.0%}) {mark}"
        )
    return "\n".join(lines)


def _launch(args: argparse.Namespace, store: Store) -> int:
    as_of = _as_of(args, store)
    team = getattr(args, "team", None)
    matches = [s for s in suggest_contests(store, as_of, team=team) if s.metric == args.metric]
    if not matches or matches[0].format == "coaching":
        print(
            f"error: no contest is suggested for {args.metric!r} as of {as_of:%Y-%m-%d %H:%M} (only team gaps get one)",
            file=sys.stderr,
        )
        return 1
    try:
        suggestion = edit_suggestion(matches[0], load_settings(store), target=args.target, budget=args.budget)
        contest_id = launch_contest(store, suggestion, as_of)
    except (ContestError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if getattr(args, "json", False):
        print(json.dumps({"id": contest_id, "suggestion": suggestion_to_json(suggestion)}, indent=2))
    else:
        print(f"Launched contest #{contest_id}: {suggestion.label}, {suggestion.start} – {suggestion.end}.\n")
        print(suggestion.announcement)
    return 0


def _cancel(args: argparse.Namespace, store: Store) -> int:
    as_of = _as_of(args, store)
    try:
        cancel_contest(store, args.contest_id, as_of)
    except ContestError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Cancelled contest #{args.contest_id}.")
    return 0
