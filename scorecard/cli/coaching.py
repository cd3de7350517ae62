"""`coaching commit|review|pairs`: commitments from 1:1s and how they were kept, and peer-coaching pairs."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from scorecard import coaching
from scorecard.calendar import parse_as_of, team_now
from scorecard.cli import UsageError, add_command
from scorecard.roster import Rep
from scorecard.settings import load_settings
from scorecard.store import Store

Handler = Callable[[argparse.Namespace, Store], int]
AS_OF_HELP = "ISO date or datetime, team-local when naive (default: now)"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = add_command(sub, "coaching", _missing_action, "commitments from 1:1s, and peer-coaching pairs")
    actions = parser.add_subparsers(dest="coaching_action", metavar="ACTION", required=True)
    commit = _action(actions, "commit", _commit, "record a rep's commitment: N of METRIC in the week of --week")
    commit.add_argument("--rep", required=True, help="slug, email or name of the rep")
    commit.add_argument("--metric", required=True, help="metric key, e.g. conversations")
    commit.add_argument("--target", required=True, type=float, help="how many, for a full working week")
    commit.add_argument("--week", required=True, help="any day of the week meant, YYYY-MM-DD")
    commit.add_argument("--note", help="a note for managers (never shown to the rep)")
    commit.add_argument("--on", dest="made_on", help="the day it was agreed, YYYY-MM-DD (default: today)")
    commit.add_argument("--json", action="store_true", help="print JSON")
    review = _action(actions, "review", _review, "a rep's commitments: kept, missed or pending, with the actuals")
    review.add_argument("--rep", required=True, help="slug, email or name of the rep")
    review.add_argument("--as-of", dest="as_of", help=AS_OF_HELP)
    review.add_argument("--json", action="store_true", help="print JSON")
    pairs = _action(actions, "pairs", _pairs, "this week's suggested peer-coaching pairs per competency ratio")
    pairs.add_argument("--as-of", dest="as_of", help=AS_OF_HELP)
    pairs.add_argument("--team", help="one team (default: all teams)")
    pairs.add_argument("--json", action="store_true", help="print JSON")


def _action(
    group: argparse._SubParsersAction[argparse.ArgumentParser], name: str, handler: Handler, help_text: str
) -> argparse.ArgumentParser:
    parser = group.add_parser(name, help=help_text, description=help_text)
    # SUPPRESS keeps a `--db` given before the action from being reset by this parser's default.
    parser.add_argument("--db", type=Path, default=argparse.SUPPRESS, help="database file")
    parser.set_defaults(handler=handler)
    return parser


def _missing_action(args: argparse.Namespace, store: Store) -> int:
    raise UsageError("choose an action: commit, review or pairs")


def _as_of(args: argparse.Namespace, store: Store) -> datetime:
    try:
        return parse_as_of(getattr(args, "as_of", None), load_settings(store))
    except ValueError as exc:
        raise UsageError(f"--as-of {args.as_of!r} is not an ISO date or datetime") from exc


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(f"{option} {text!r} is not a date (YYYY-MM-DD)") from exc


def _rep(store: Store, key: str) -> Rep | None:
    try:
        return coaching.find_person(store, key)
    except coaching.CoachingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def _commit(args: argparse.Namespace, store: Store) -> int:
    week = _day(args.week, "--week")
    made_on = _day(args.made_on, "--on") if args.made_on else team_now(load_settings(store)).date()
    rep = _rep(store, args.rep)
    if rep is None:
        return 1
    new = coaching.NewCommitment(metric=args.metric, target=args.target, week=week, note=args.note)
    try:
        commitment_id = coaching.add_commitment(store, rep.rep_id, new, made_on=made_on)
    except coaching.CoachingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    saved = next(c for c in coaching.commitments(store, rep.rep_id, made_on) if c.commitment_id == commitment_id)
    if args.json:
        print(json.dumps({"id": commitment_id, "rep": _rep_json(rep), **_commitment_json(saved)}, indent=2))
    else:
        print(
            f"Recorded: {rep.display_name} commits to {saved.target:g} {saved.metric} in the week of "
            f"{saved.week_start:%a %b} {saved.week_start.day}. It is judged once that week is over."
        )
    return 0


def _rep_json(rep: Rep) -> dict[str, Any]:
    return {"slug": rep.slug, "name": rep.display_name, "team": rep.team}


def _commitment_json(c: coaching.Commitment) -> dict[str, Any]:
    return {
        "metric": c.metric,
        "week_start": c.week_start.isoformat(),
        "target": c.target,
        "made_on": c.made_on.isoformat(),
        "note": c.note,
    }


def _number(value: float | None) -> float | None:
    return None if value is None else round(float(value), 6)


def review_to_json(rep: Rep, as_of: datetime, reviews: list[coaching.CommitmentReview]) -> dict[str, Any]:
    """The shape of `coaching review --json`."""
    return {
        "rep": _rep_json(rep),
        "as_of": as_of.isoformat(),
        "commitments": [
            {
                "id": r.commitment.commitment_id,
                "metric": r.commitment.metric,
                "label": r.label,
                "week_start": r.commitment.week_start.isoformat(),
                "target": r.commitment.target,
                "target_for_week": _number(r.target_for_week),
                "actual": _number(r.actual),
                "status": r.status,
                "reason": r.reason,
                "made_on": r.commitment.made_on.isoformat(),
                "note": r.commitment.note,
            }
            for r in reviews
        ],
    }


def _review(args: argparse.Namespace, store: Store) -> int:
    as_of = _as_of(args, store)
    rep = _rep(store, args.rep)
    if rep is None:
        return 1
    reviews = coaching.review(store, rep, as_of)
    if args.json:
        print(json.dumps(review_to_json(rep, as_of, reviews), indent=2))
        return 0
    print(f"{rep.display_name} ({rep.slug}) · commitments as of {as_of:%Y-%m-%d %H:%M}")
    if not reviews:
        print("No commitments yet.")
    for r in reviews:
        print(f"  {r.commitment.week_start}  {r.commitment.target:g} {r.commitment.metric:<15} {r.status:<8} {r.reason}")
    return 0


def _pairs(args: argparse.Namespace, store: Store) -> int:
    as_of = _as_of(args, store)
    pairs = coaching.suggest_pairs(store, as_of, team=args.team)
    if args.json:
        print(json.dumps({"as_of": as_of.isoformat(), "pairs": [coaching.pair_to_json(p) for p in pairs]}, indent=2))
        return 0
    print(f"Peer-coaching pairs as of {as_of:%a %Y-%m-%d}")
    if not pairs:
        print("No pairs: nobody converts significantly below their team, or nobody has been strong for long enough.")
    for p in pairs:
        print(f"\n{p.ratio_label}: {p.coach.display_name} coaches {p.learner.display_name}")
        print(f"   {p.evidence}")
    return 0
