"""`report` (a rep's scorecard or the team view) and `flash` (the weekly flash report).

Both run through the app while it holds the database, so they write only to `out()` and `err()`.
"""

from __future__ import annotations

import argparse
import json
from datetime import date, timedelta

from scorecard.calendar import parse_as_of, team_now, week_of
from scorecard.cli import UsageError, add_command, err, out
from scorecard.scores import (
    RepScorecard,
    TeamView,
    UnknownRep,
    flash_report,
    rep_scorecard,
    scorecard_to_json,
    team_view,
    team_view_to_json,
)
from scorecard.settings import load_settings
from scorecard.store import Store

_STATUS = {"on_pace": "on pace", "at_risk": "at risk", "behind": "behind", None: "–"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = add_command(sub, "report", _report, "a rep's scorecard (--rep) or the team view", through_app=True)
    report.add_argument("--rep", help="slug, email or name of the rep (omit for the team view)")
    report.add_argument("--as-of", dest="as_of", help="ISO date or datetime, team-local when naive (default: now)")
    report.add_argument("--team", help="one team (team view; default: all teams)")
    report.add_argument("--json", action="store_true", help="print JSON instead of a table")
    flash = add_command(
        sub, "flash", _flash, "the weekly flash report: lead measures first, per rep and team", through_app=True
    )
    flash.add_argument("--week", help="any date in the week, YYYY-MM-DD (default: the last completed week)")
    flash.add_argument("--format", choices=("csv", "md"), default="md", help="csv or printable markdown (default md)")
    flash.add_argument("--team", help="one team (default: all teams)")


def _report(args: argparse.Namespace, store: Store) -> int:
    settings = load_settings(store)
    try:
        as_of = parse_as_of(args.as_of, settings)
    except ValueError as exc:
        raise UsageError(f"--as-of {args.as_of!r} is not an ISO date or datetime") from exc
    if args.rep:
        try:
            sc = rep_scorecard(store, args.rep, as_of)
        except UnknownRep as exc:
            print(f"error: {exc.args[0]}", file=err())
            return 1
        print(json.dumps(scorecard_to_json(sc), indent=2) if args.json else scorecard_table(sc), file=out())
        return 0
    tv = team_view(store, as_of, team=args.team)
    if args.team and args.team not in tv.teams:
        known = ", ".join(tv.teams) or "none yet"
        print(f"error: no active team called {args.team!r} (teams: {known})", file=err())
        return 1
    print(json.dumps(team_view_to_json(tv), indent=2) if args.json else team_table(tv), file=out())
    return 0


def _flash(args: argparse.Namespace, store: Store) -> int:
    settings = load_settings(store)
    if args.week:
        try:
            day = date.fromisoformat(args.week)
        except ValueError as exc:
            raise UsageError(f"--week {args.week!r} is not a date (YYYY-MM-DD)") from exc
    else:
        day = week_of(team_now(settings).date(), settings.week_start).start - timedelta(days=7)
    report = flash_report(store, day, team=args.team)
    stream = out()
    if args.format == "csv":
        stream.buffer.write(report.to_csv())
        stream.flush()
    else:
        print(report.to_markdown(), end="", file=stream)
    return 0


def _fmt(value: float | None, pct: bool = False) -> str:
    if value is None:
        return "–"
    if pct:
        return f"{value:.0%}"
    return f"{value:,.1f}".rstrip("0").rstrip(".")


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()
    body = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join([line, "  ".join("-" * w for w in widths), *body])


def scorecard_table(sc: RepScorecard) -> str:
    """A rep's scorecard as readable text."""
    head = f"{sc.rep.display_name} ({sc.rep.slug}) · {sc.period.label} · as of {sc.as_of:%Y-%m-%d %H:%M}"
    lines = [head]
    if sc.one_thing:
        lines.append(f"The one thing: {sc.one_thing.label}: {sc.one_thing.reason}")
    rows = [
        [
            m.label,
            _fmt(m.actual),
            _fmt(m.goal),
            _fmt(m.expected_to_date),
            _fmt(m.pace, pct=True),
            _fmt(m.projected),
            _STATUS[m.status],
            m.summary,
        ]
        for m in sc.metrics
    ]
    lines += ["", _table(["Metric", "Actual", "Goal", "Expected", "Pace", "Projected", "Status", "Summary"], rows)]
    return "\n".join(lines)


def team_table(tv: TeamView) -> str:
    """The team view as readable text: gaps, flags, tiers and shout-outs."""
    who = tv.team or "All teams"
    lines = [f"{who} · {tv.period.label} · as of {tv.as_of:%Y-%m-%d %H:%M}", ""]
    rows = [
        [
            m.label,
            _fmt(m.team_actual),
            _fmt(m.team_expected),
            _fmt(m.team_pace, pct=True),
            f"{m.reps_behind} of {m.reps_with_goal}",
            "TEAM GAP" if m.is_team_gap else "",
        ]
        for m in tv.metrics
    ]
    lines.append(_table(["Metric", "Actual", "Expected", "Pace", "Behind", "Gap"], rows))
    if tv.flags:
        lines += ["", "Red flags (a conversation, not a ranking):"]
        lines += [f"  {f.rep.display_name}: {f.label} missed {f.weeks_missed} weeks running" for f in tv.flags]
    for tier, reps in tv.tiers.items():
        if reps:
            lines.append(f"{tier.capitalize()}: {', '.join(r.display_name for r in reps)}")
    if tv.shout_outs:
        lines.append("Shout-outs (on pace everywhere): " + ", ".join(r.display_name for r in tv.shout_outs))
    return "\n".join(lines)
