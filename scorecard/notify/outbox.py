"""When each message is due, the outbox that makes delivery at-least-once, and retries with backoff.

A due message is composed once and stored in `deliveries` under its
idempotency key, one row per channel, before anything is sent; a row is
marked sent only after the other end accepted it. A restart therefore finds
every message either sent (never sent again) or still pending (sent now). A
failure is retried with exponential backoff, then given up and shown on
Settings. Each sweep writes at most twice (new rows, results), so open pages
are not rerun once per message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from scorecard import contests, scores
from scorecard.calendar import team_holidays, week_of
from scorecard.integrations import Integrations, load_integrations
from scorecard.notify import compose
from scorecard.notify.channels import DeliveryError, send, team_channels
from scorecard.notify.text import Message
from scorecard.settings import TeamSettings, load_settings
from scorecard.store import Store, insert_missing

MAX_ATTEMPTS = 8
FIRST_RETRY_S = 60.0
LONGEST_RETRY_S = 3600.0

Target = tuple[str, str]  # (channel, recipient)
Sender = Callable[[Integrations, str, str, Message], None]


@dataclass(frozen=True)
class Candidate:
    key: str
    targets: list[Target]
    compose: Callable[[], Message]


@dataclass(frozen=True)
class Planned:
    message: Message
    channel: str
    recipient: str
    status: str | None  # None: not stored yet (a preview); pending | sent | failed


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def local_time(now_utc: datetime, settings: TeamSettings) -> datetime:
    return now_utc.replace(tzinfo=UTC).astimezone(settings.zone).replace(tzinfo=None, microsecond=0)


def is_working_day(day: date, settings: TeamSettings) -> bool:
    return day.weekday() in settings.working_days and not team_holidays(settings, day, day)


def _reached(now: datetime, at: time) -> bool:
    return now.time() >= at


def _rep_digests(store: Store, now: datetime, integ: Integrations) -> Iterator[Candidate]:
    if not integ.email_ready or not _reached(now, integ.digest_time):
        return
    for slug, email in store.fetchall("SELECT slug, email FROM reps WHERE active AND NOT is_demo AND email IS NOT NULL ORDER BY slug"):
        def build(slug: str = str(slug)) -> Message:
            return compose.rep_digest(scores.rep_scorecard(store, slug, now), now.date(), integ.app_url)

        yield Candidate(f"digest:rep:{slug}:{now.date().isoformat()}", [("email", str(email))], build)


def _manager(store: Store, now: datetime, integ: Integrations, settings: TeamSettings, every: bool) -> Iterator[Candidate]:
    if not _reached(now, integ.standup_time):
        return
    standup_key = f"standup:all:{now.date().isoformat()}"
    if not every and _stored(store, [standup_key]):
        # The stand-up and the day's flags were planned together: spare the team view on every later sweep.
        return
    targets = team_channels(integ)
    if integ.email_ready and integ.manager_email and ("email", integ.manager_email) not in targets:
        targets.append(("email", integ.manager_email))
    if targets:
        def standup() -> Message:
            tv = scores.team_view(store, now)
            return compose.standup_summary(tv, contests.suggest_contests(store, now), now.date(), settings, integ.app_url)

        yield Candidate(standup_key, targets, standup)
    if integ.email_ready and integ.manager_email:  # a flag names a rep: the manager's inbox only
        last_week = week_of(now.date(), settings.week_start).start - timedelta(days=7)
        for flag in scores.team_view(store, now).flags:
            # Keyed on the week the run of misses began: one alert per run, however long it lasts.
            began = last_week - timedelta(weeks=flag.weeks_missed - 1)
            yield Candidate(
                f"flag:{flag.rep.slug}:{flag.metric}:{began.isoformat()}",
                [("email", integ.manager_email)],
                lambda flag=flag, began=began: compose.flag_alert(flag, began, integ.app_url),  # type: ignore[misc]
            )


def _contests(store: Store, now: datetime, integ: Integrations) -> Iterator[Candidate]:
    targets = team_channels(integ)
    if not targets:
        return
    for contest in contests.current_contests(store, now):
        yield Candidate(f"contest:launch:{contest.contest_id}", targets, lambda c=contest: compose.contest_launch(c, integ.app_url))  # type: ignore[misc]
        if contest.state(now) == "running" and _reached(now, integ.standings_time):
            def standings(c: contests.Contest = contest) -> Message:
                return compose.contest_standings(c, contests.contest_standings(store, c.contest_id, now), now.date(), integ.app_url)

            yield Candidate(f"contest:standings:{contest.contest_id}:{now.date().isoformat()}", targets, standings)


def candidates(
    store: Store, now_local: datetime, integ: Integrations, settings: TeamSettings, *, every: bool = False
) -> list[Candidate]:
    """The messages due by `now_local` (team time) today; nothing on a day off. `every` lists
    those already planned too (a preview), where a sweep skips what it planned earlier."""
    if not is_working_day(now_local.date(), settings):
        return []
    return [
        *_rep_digests(store, now_local, integ),
        *_manager(store, now_local, integ, settings, every),
        *_contests(store, now_local, integ),
    ]


def _stored(store: Store, keys: list[str]) -> dict[tuple[str, str], str]:
    if not keys:
        return {}
    rows = store.fetchall("SELECT key, channel, status FROM deliveries WHERE list_contains(?, key)", [keys])
    return {(str(k), str(c)): str(s) for k, c, s in rows}


def preview(store: Store, now_local: datetime) -> list[Planned]:
    """What is due by `now_local`, composed, with what the outbox already holds for each."""
    integ, settings = load_integrations(store), load_settings(store)
    found = candidates(store, now_local, integ, settings, every=True)
    stored = _stored(store, [c.key for c in found])
    planned = []
    for candidate in found:
        message = candidate.compose()
        planned += [Planned(message, ch, to, stored.get((candidate.key, ch))) for ch, to in candidate.targets]
    return planned


def plan(store: Store, now_utc: datetime) -> int:
    """Compose and store every due message not stored yet (one write); returns how many rows were added."""
    integ, settings = load_integrations(store), load_settings(store)
    if not integ.digests_enabled:
        return 0
    found = candidates(store, local_time(now_utc, settings), integ, settings)
    stored = _stored(store, [c.key for c in found])
    rows = []
    for candidate in found:
        targets = [t for t in candidate.targets if (candidate.key, t[0]) not in stored]
        if targets:
            message = candidate.compose()
            rows += [(message, channel, recipient) for channel, recipient in targets]
    if rows:
        with store.write() as cur:
            for message, channel, recipient in rows:
                # Composed once: another server process may have stored the same message a moment ago.
                insert_missing(
                    cur,
                    "deliveries",
                    ("key", "channel"),
                    {"key": message.key, "channel": channel, "kind": message.kind, "recipient": recipient,
                     "subject": message.subject, "message": message.to_json(), "status": "pending",
                     "next_attempt_at": now_utc, "created_at": now_utc},
                )
    return len(rows)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(LONGEST_RETRY_S, FIRST_RETRY_S * 2 ** max(0, attempts - 1)))


def deliver(store: Store, now_utc: datetime, sender: Sender = send) -> tuple[int, int]:
    """Send every pending row that is due; record the results in one write. Returns (sent, failed attempts)."""
    from scorecard import metrics

    integ = load_integrations(store)
    due = store.fetchall(
        "SELECT key, channel, recipient, message, attempts FROM deliveries "
        "WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY created_at, key, channel",
        [now_utc],
    )
    results: list[tuple[str, str, int, str | None]] = []
    for key, channel, recipient, text, attempts in due:
        try:
            sender(integ, str(channel), str(recipient), Message.from_json(str(text)))
        except DeliveryError as exc:
            results.append((key, channel, int(attempts) + 1, str(exc)))
        else:
            results.append((key, channel, int(attempts) + 1, None))
        metrics.DELIVERIES.labels(channel=str(channel), result="sent" if results[-1][3] is None else "failed").inc()
    if results:
        with store.write() as cur:
            for key, channel, attempts, error in results:
                if error is None:
                    cur.execute(
                        "UPDATE deliveries SET status = 'sent', attempts = ?, sent_at = ?, last_error = NULL WHERE key = ? AND channel = ?",
                        [attempts, _utc_now(), key, channel],
                    )
                else:
                    status = "failed" if attempts >= MAX_ATTEMPTS else "pending"
                    cur.execute(
                        "UPDATE deliveries SET status = ?, attempts = ?, last_error = ?, next_attempt_at = ? WHERE key = ? AND channel = ?",
                        [status, attempts, error, now_utc + backoff(attempts), key, channel],
                    )
    sent = sum(1 for r in results if r[3] is None)
    return sent, len(results) - sent


def sweep(store: Store, now_utc: datetime | None = None, sender: Sender = send) -> tuple[int, int, int]:
    """One scheduler pass: plan what is due, deliver what is pending. (planned, sent, failed)."""
    now = now_utc or _utc_now()
    planned = plan(store, now)
    sent, failed = deliver(store, now, sender)
    return planned, sent, failed


def recent_deliveries(store: Store, limit: int = 50) -> list[dict[str, object]]:
    """The newest deliveries, failures first, for the Settings page."""
    rows = store.fetchall(
        "SELECT key, channel, recipient, subject, status, attempts, last_error, created_at, sent_at, next_attempt_at "
        "FROM deliveries ORDER BY (status = 'sent'), created_at DESC LIMIT ?",
        [limit],
    )
    names = ("key", "channel", "recipient", "subject", "status", "attempts", "last_error", "created_at", "sent_at", "next_attempt_at")
    return [dict(zip(names, row, strict=True)) for row in rows]


def send_test(store: Store, now_utc: datetime | None = None, sender: Sender = send) -> dict[str, str]:
    """Send a test message through every channel set up, now; channel -> 'sent' or the error."""
    integ = load_integrations(store)
    message = compose.test_message(now_utc or _utc_now())
    targets = team_channels(integ)
    if integ.email_ready and integ.manager_email and ("email", integ.manager_email) not in targets:
        targets.append(("email", integ.manager_email))
    if not targets:
        return {"none": "no channel is set up: enter a Slack or Teams webhook URL, or SMTP and the manager's email"}
    results = {}
    for channel, recipient in targets:
        try:
            sender(integ, channel, recipient, message)
            results[f"{channel} ({recipient})"] = "sent"
        except DeliveryError as exc:
            results[f"{channel} ({recipient})"] = str(exc)
    return results
