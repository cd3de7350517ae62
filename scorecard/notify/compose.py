"""What each digest and alert says, from the same scores the pages show (docs/digests.md)."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl

from scorecard import contests, scores
from scorecard.notify.text import Message
from scorecard.settings import TeamSettings

_FORMAT_WORDS = {
    "threshold": "everyone who reaches their bar wins",
    "team_goal": "a team goal everyone shares",
    "division_race": "a race on % of each rep's own goal, in divisions",
}


def rep_link(app_url: str | None, slug: str) -> str:
    return f"{app_url or ''}/?rep={slug}"


def rep_digest(sc: scores.RepScorecard, day: date, app_url: str | None) -> Message:
    """The rep's morning: their one thing, pace on each lead measure, and their link."""
    lines = []
    if sc.one_thing is not None:
        lines += [f"Your one thing today: {sc.one_thing.label}. {sc.one_thing.reason}.", ""]
    lead = [m for m in sc.metrics if m.kind == "lead" and m.weekly_goal]
    lines += [f"{m.label}: {m.summary}" for m in lead] or ["No goals are set for you this week yet."]
    return Message(
        kind="rep_digest",
        key=f"digest:rep:{sc.rep.slug}:{day.isoformat()}",
        subject=f"Your scorecard, {day:%A %b} {day.day}: {sc.rep.display_name}",
        lines=tuple(lines),
        link=rep_link(app_url, sc.rep.slug),
    )


def _gap_line(m: scores.TeamMetric) -> str:
    pace = "–" if m.team_pace is None else f"{m.team_pace:.0%}"
    return f"Team gap on {m.label}: {pace} of pace, {m.reps_below_pace} of {m.reps_expected} reps below pace"


def standup_summary(
    tv: scores.TeamView, suggestions: list[contests.Suggestion], day: date, settings: TeamSettings, app_url: str | None
) -> Message:
    """The manager's stand-up: team gaps, how many red flags (counted, not named), the suggested contest."""
    gaps = [m for m in tv.metrics if m.is_team_gap]
    lines = [_gap_line(m) for m in gaps] or ["No team gaps: where reps are behind, it is one-to-one coaching."]
    n = len(tv.flags)
    lines.append(
        f"{n} red flag{'s' if n != 1 else ''}: reps who missed the same goal two completed weeks running (see the Team page)."
        if n
        else "No red flags this week."
    )
    for s in (s for s in suggestions if s.format != "coaching"):
        lines.append(
            f"Suggested contest on {s.label}: {_FORMAT_WORDS.get(s.format, s.format)}, "
            f"{s.start:%a %b} {s.start.day} to {s.end:%a %b} {s.end.day}, budget {settings.currency}{s.budget:,.0f}."
        )
    return Message(
        kind="standup",
        key=f"standup:{tv.team or 'all'}:{day.isoformat()}",
        subject=f"Stand-up, {day:%A %b} {day.day}",
        lines=tuple(lines),
        link=f"{app_url or ''}/?view=standup",
    )


def flag_alert(flag: scores.RedFlag, week_start: date, app_url: str | None) -> Message:
    """To the manager only: a rep missed the same goal two completed weeks running."""
    lines = [
        f"{flag.rep.display_name} missed the {flag.label} goal {flag.weeks_missed} completed weeks running.",
        "A flag starts a conversation, not an order to do more. Questions to ask:",
        *[f"- {q}" for q in flag.questions],
    ]
    return Message(
        kind="flag_alert",
        key=f"flag:{flag.rep.slug}:{flag.metric}:{week_start.isoformat()}",
        subject=f"Red flag: {flag.rep.display_name}, {flag.label}",
        lines=tuple(lines),
        link=rep_link(app_url, flag.rep.slug),
    )


def contest_launch(contest: contests.Contest, app_url: str | None) -> Message:
    lines = tuple(line for line in contest.announcement.splitlines()) or (f"A {contest.label} contest starts {contest.start}.",)
    return Message(
        kind="contest_launch",
        key=f"contest:launch:{contest.contest_id}",
        subject=f"New contest: {contest.label}, {contest.start:%b} {contest.start.day} to {contest.end:%b} {contest.end.day}",
        lines=lines,
        link=f"{app_url or ''}/contests",
    )


def contest_standings(contest: contests.Contest, standings: pl.DataFrame, day: date, app_url: str | None) -> Message:
    """Daily standings, as % of each rep's own target (never raw volume)."""
    lines = []
    for row in standings.iter_rows(named=True):
        division = f"{row['division']} · " if row["division"] else ""
        done = " ✓" if row["reached"] else ""
        lines.append(f"{division}{row['rank']}. {row['name']}: {row['actual']:g} of {row['target']:g} ({row['pct_of_target']:.0%}){done}")
    return Message(
        kind="contest_standings",
        key=f"contest:standings:{contest.contest_id}:{day.isoformat()}",
        subject=f"{contest.label} contest standings, {day:%a %b} {day.day} (ends {contest.end:%a %b} {contest.end.day})",
        lines=tuple(lines) or ("Nobody is in this contest.",),
        link=f"{app_url or ''}/contests",
    )


def test_message(now: datetime) -> Message:
    return Message(
        kind="test",
        key=f"test:{now.isoformat()}",
        subject="Team Scorecard: test message",
        lines=("This channel is set up: digests and alerts will arrive here.",),
    )
