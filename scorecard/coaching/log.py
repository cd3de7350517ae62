"""The coaching log: who manages whom, 1:1s with their notes and commitments, sessions held.

Everything is effective-dated: a 1:1 counts from the day it was held and a
commitment from the day it was made, so any moment can be replayed (a view as
of an earlier day does not see them). Notes are for managers only: nothing
built for a rep's own page reads them.

Every write is validated in full first, then done in one transaction.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb

from scorecard.calendar import Period, period_for
from scorecard.catalog import Catalog, load_catalog
from scorecard.roster import Rep, match_key, slugify
from scorecard.settings import TeamSettings, load_settings
from scorecard.store import Store, next_ids, upsert

MAX_NOTES = 5000
MAX_NAME = 100
SESSION_KINDS: dict[str, str] = {
    "joint_meeting": "Joint customer meeting",
    "joint_call": "Joint call",
    "coaching": "Coaching session",
    "peer": "Peer session",
}
# What a manager logs for their own scorecard (a peer session is between two reps).
LEADER_KINDS = ("joint_meeting", "joint_call", "coaching")


class CoachingError(ValueError):
    """A coaching entry failed validation; nothing was written."""


@dataclass(frozen=True)
class NewCommitment:
    """What a rep commits to: `target` of `metric` in the week containing `week`."""

    metric: str
    target: float
    week: date  # any day of the week meant
    note: str | None = None


@dataclass(frozen=True)
class Commitment:
    commitment_id: int
    rep_id: int
    one_on_one_id: int | None
    made_on: date
    metric: str
    target: float  # for a full working week
    week_start: date
    note: str | None  # for managers only


@dataclass(frozen=True)
class OneOnOne:
    one_on_one_id: int
    rep_id: int
    leader_id: int | None
    held_on: date
    notes: str  # for managers only
    addressed: tuple[str, ...]  # metrics it addressed


@dataclass(frozen=True)
class Session:
    session_id: int
    kind: str
    leader_id: int | None
    rep_id: int | None
    coach_id: int | None
    ratio: str | None
    held_on: date
    note: str | None


def _now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# -- people and who manages whom -------------------------------------------


def people(store: Store) -> dict[int, Rep]:
    """Every roster entry, inactive ones too (a manager who does not sell is one)."""
    rows = store.fetchall(
        "SELECT rep_id, slug, display_name, email, aliases, team, active, is_demo FROM reps "
        "ORDER BY display_name, rep_id"
    )
    return {
        int(rep_id): Rep(
            rep_id=int(rep_id),
            slug=str(slug),
            display_name=str(name),
            email=None if email is None else str(email),
            aliases=tuple(str(a) for a in (aliases or ())),
            team=str(team),
            active=bool(active),
            is_demo=bool(is_demo),
        )
        for rep_id, slug, name, email, aliases, team, active, is_demo in rows
    }


def find_person(store: Store, key: str) -> Rep:
    """A roster entry by slug, else by email, name or alias (case-insensitive)."""
    everyone = list(people(store).values())
    for rep in everyone:
        if rep.slug == key:
            return rep
    wanted = match_key(key)
    for rep in everyone:
        if wanted in {match_key(v) for v in (rep.slug, rep.email or "", rep.display_name, *rep.aliases)}:
            return rep
    raise CoachingError(f"no rep or manager matches {key!r}")


def managers(store: Store) -> dict[int, int]:
    """rep_id -> the rep's manager's rep_id."""
    return {int(r): int(m) for r, m in store.fetchall("SELECT rep_id, manager_id FROM rep_managers")}


def direct_reports(store: Store, manager_id: int) -> list[int]:
    """The active reps `manager_id` manages."""
    rows = store.fetchall(
        "SELECT m.rep_id FROM rep_managers m JOIN reps r USING (rep_id) WHERE m.manager_id = ? AND r.active "
        "ORDER BY r.display_name, m.rep_id",
        [manager_id],
    )
    return [int(r[0]) for r in rows]


def set_manager(store: Store, rep_ids: Iterable[int], manager_id: int | None) -> int:
    """Make `manager_id` the manager of `rep_ids` (None: no manager); returns how many reps changed."""
    reps = sorted(set(rep_ids))
    everyone = people(store)
    unknown = [r for r in reps if r not in everyone]
    if unknown or (manager_id is not None and manager_id not in everyone):
        raise CoachingError("choose reps and a manager from the roster")
    if manager_id is not None:
        if manager_id in reps:
            raise CoachingError("a rep cannot be their own manager")
        # Walk up from the new manager: reaching one of the reps would make a loop.
        chain, above, seen = managers(store), manager_id, set()
        while above in chain and above not in seen:
            seen.add(above)
            above = chain[above]
            if above in reps:
                raise CoachingError(
                    f"{everyone[above].display_name} is already above {everyone[manager_id].display_name}: "
                    "that would make a loop"
                )
    with store.write() as cur:
        for rep in reps:
            cur.execute("DELETE FROM rep_managers WHERE rep_id = ?", [rep])
            if manager_id is not None:
                cur.execute("INSERT INTO rep_managers VALUES (?, ?, ?)", [rep, manager_id, _now_utc()])
    return len(reps)


def add_manager(store: Store, name: str, email: str | None = None, team: str = "Sales") -> int:
    """Add a manager who does not sell to the roster; returns the new entry's id.

    The entry is inactive so the team's numbers (gaps, tiers, medians) never
    count someone who has no selling goals; their own scorecard still works.
    """
    clean = " ".join(name.split())
    mail = (email or "").strip() or None
    team_name = " ".join(team.split()) or "Sales"
    if not clean or len(clean) > MAX_NAME:
        raise CoachingError(f"a manager needs a name of at most {MAX_NAME} characters")
    if mail is not None and ("@" not in mail or " " in mail):
        raise CoachingError(f"{mail!r} is not an email address")
    taken = {match_key(v) for rep in people(store).values() for v in (rep.display_name, rep.email or "", *rep.aliases)}
    if match_key(clean) in taken or (mail and match_key(mail) in taken):
        raise CoachingError(f"{clean} is already on the roster: choose them as the manager instead")
    with store.write() as cur:
        # Slugs are read inside the write: another process may have added a rep a moment ago.
        slugs = {str(r[0]) for r in cur.execute("SELECT slug FROM reps").fetchall()}
        slug, n = slugify(clean), 2
        base = slug
        while slug in slugs:
            slug, n = f"{base}-{n}", n + 1
        rep_id = next_ids(cur, "rep_id_seq")[0]
        cur.execute(
            "INSERT INTO reps (rep_id, slug, display_name, email, team, active, aliases) VALUES (?, ?, ?, ?, ?, FALSE, [])",
            [rep_id, slug, clean, mail, team_name],
        )
    return rep_id


# -- 1:1s and commitments ----------------------------------------------------


def week_containing(day: date, settings: TeamSettings) -> Period:
    return period_for("week", day, settings)


def _text(value: str | None, what: str) -> str:
    text = (value or "").strip()
    if len(text) > MAX_NOTES:
        raise CoachingError(f"keep the {what} under {MAX_NOTES:,} characters")
    return text


def _clean_commitment(
    catalog: Catalog, settings: TeamSettings, new: NewCommitment, made_on: date
) -> tuple[str, float, date, str | None]:
    metric = catalog.metrics.get(new.metric)
    if metric is None:
        raise CoachingError(f"unknown metric {new.metric!r}; use one of {', '.join(catalog.metrics)}")
    if metric.vanity:
        # The doctrine: dials are tracked, never a target. Commit to what they lead to.
        raise CoachingError(f"{metric.label} are tracked but never a target: commit to conversations or meetings")
    target = float(new.target)
    if not math.isfinite(target) or target <= 0:
        raise CoachingError(f"a commitment needs a target above zero, not {new.target}")
    week = week_containing(new.week, settings)
    if week.end < made_on:
        raise CoachingError(
            f"the week of {week.start:%b} {week.start.day} had ended before {made_on:%b} {made_on.day}: "
            "a commitment is for a week still to come"
        )
    note = _text(new.note, "commitment note") or None
    return metric.key, target, week.start, note


def _insert_commitment(
    cur: duckdb.DuckDBPyConnection,
    rep_id: int,
    one_on_one_id: int | None,
    made_on: date,
    clean: tuple[str, float, date, str | None],
) -> int:
    metric, target, week_start, note = clean
    commitment_id = next_ids(cur, "commitment_id_seq")[0]
    cur.execute(
        "INSERT INTO commitments (commitment_id, rep_id, one_on_one_id, made_on, metric, target, week_start, note, logged_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [commitment_id, rep_id, one_on_one_id, made_on, metric, target, week_start, note, _now_utc()],
    )
    return commitment_id


def _require_rep(store: Store, rep_id: int) -> None:
    if store.scalar("SELECT count(*) FROM reps WHERE rep_id = ?", [rep_id]) == 0:
        raise CoachingError(f"no rep with id {rep_id}")


def record_one_on_one(
    store: Store,
    rep_id: int,
    held_on: date,
    notes: str = "",
    *,
    leader_id: int | None = None,
    addressed: Sequence[str] = (),
    commitments: Sequence[NewCommitment] = (),
) -> int:
    """Log a 1:1 with its notes, the metrics it addressed and the commitments made; returns its id.

    `leader_id` defaults to the rep's manager. All of it is written, or none.
    """
    _require_rep(store, rep_id)
    catalog, settings = load_catalog(store), load_settings(store)
    text = _text(notes, "notes")
    unknown = [m for m in addressed if m not in catalog.metrics]
    if unknown:
        raise CoachingError(f"unknown metric {unknown[0]!r}")
    cleaned = [_clean_commitment(catalog, settings, c, held_on) for c in commitments]
    leader = leader_id if leader_id is not None else managers(store).get(rep_id)
    with store.write() as cur:
        meeting = next_ids(cur, "one_on_one_id_seq")[0]
        cur.execute(
            "INSERT INTO one_on_ones (one_on_one_id, rep_id, leader_id, held_on, notes, addressed, logged_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [meeting, rep_id, leader, held_on, text, list(dict.fromkeys(addressed)), _now_utc()],
        )
        for clean in cleaned:
            _insert_commitment(cur, rep_id, meeting, held_on, clean)
    return meeting


def add_commitment(
    store: Store, rep_id: int, new: NewCommitment, *, made_on: date, one_on_one_id: int | None = None
) -> int:
    """Record one commitment (outside a 1:1, or added to one); returns its id."""
    _require_rep(store, rep_id)
    clean = _clean_commitment(load_catalog(store), load_settings(store), new, made_on)
    with store.write() as cur:
        return _insert_commitment(cur, rep_id, one_on_one_id, made_on, clean)


def remove_one_on_one(store: Store, one_on_one_id: int) -> None:
    """Delete a 1:1 logged by mistake, with the commitments made in it."""
    with store.write() as cur:
        cur.execute("DELETE FROM commitments WHERE one_on_one_id = ?", [one_on_one_id])
        cur.execute("DELETE FROM one_on_ones WHERE one_on_one_id = ?", [one_on_one_id])


def remove_commitment(store: Store, commitment_id: int) -> None:
    with store.write() as cur:
        cur.execute("DELETE FROM commitments WHERE commitment_id = ?", [commitment_id])


_ONE_ON_ONE_COLUMNS = "one_on_one_id, rep_id, leader_id, held_on, notes, addressed"


def _one_on_one(row: tuple[object, ...]) -> OneOnOne:
    meeting, rep, leader, held_on, notes, addressed = row
    return OneOnOne(
        one_on_one_id=int(meeting),  # type: ignore[call-overload]
        rep_id=int(rep),  # type: ignore[call-overload]
        leader_id=None if leader is None else int(leader),  # type: ignore[call-overload]
        held_on=held_on,  # type: ignore[arg-type]
        notes=str(notes or ""),
        addressed=tuple(str(m) for m in (addressed or ())),  # type: ignore[attr-defined]
    )


def one_on_ones(store: Store, through: date, rep_id: int | None = None) -> list[OneOnOne]:
    """1:1s held on or before `through` (of one rep, or everyone's), newest first."""
    rows = store.fetchall(
        f"SELECT {_ONE_ON_ONE_COLUMNS} FROM one_on_ones WHERE held_on <= ? AND (?::INTEGER IS NULL OR rep_id = ?) "
        "ORDER BY held_on DESC, one_on_one_id DESC",
        [through, rep_id, rep_id],
    )
    return [_one_on_one(r) for r in rows]


_COMMITMENT_COLUMNS = "commitment_id, rep_id, one_on_one_id, made_on, metric, target, week_start, note"


def commitments(store: Store, rep_id: int, through: date) -> list[Commitment]:
    """A rep's commitments made on or before `through`, by week then as recorded."""
    rows = store.fetchall(
        f"SELECT {_COMMITMENT_COLUMNS} FROM commitments WHERE rep_id = ? AND made_on <= ? "
        "ORDER BY week_start, commitment_id",
        [rep_id, through],
    )
    return [
        Commitment(
            commitment_id=int(cid),
            rep_id=int(rep),
            one_on_one_id=None if meeting is None else int(meeting),
            made_on=made_on,
            metric=str(metric),
            target=float(target),
            week_start=week_start,
            note=None if note is None else str(note),
        )
        for cid, rep, meeting, made_on, metric, target, week_start, note in rows
    ]


def reps_with_commitments(store: Store) -> frozenset[int]:
    """Reps with any commitment: most have none, and their pages then read nothing more."""
    return frozenset(int(r[0]) for r in store.fetchall("SELECT DISTINCT rep_id FROM commitments"))


# -- sessions held -------------------------------------------------------------


def log_session(
    store: Store,
    kind: str,
    held_on: date,
    *,
    leader_id: int | None = None,
    rep_id: int | None = None,
    note: str | None = None,
) -> int:
    """Log a manager's joint meeting, joint call or coaching session; returns its id."""
    if kind not in LEADER_KINDS:
        raise CoachingError(f"unknown kind {kind!r}; use one of {', '.join(LEADER_KINDS)}")
    if leader_id is None:
        raise CoachingError("say which manager it was")
    everyone = people(store)
    if leader_id not in everyone or (rep_id is not None and rep_id not in everyone):
        raise CoachingError("choose the manager and the rep from the roster")
    if rep_id == leader_id:
        raise CoachingError("a joint session is the manager with someone else")
    return _insert_session(store, kind, held_on, leader_id, rep_id, None, None, _text(note, "note") or None)


def log_peer_session(
    store: Store, coach_id: int, learner_id: int, ratio: str, held_on: date, note: str | None = None
) -> int:
    """Log a peer coaching session held between two reps on one competency; returns its id."""
    if ratio not in load_catalog(store).ratios:
        raise CoachingError(f"unknown ratio {ratio!r}")
    everyone = people(store)
    if coach_id not in everyone or learner_id not in everyone:
        raise CoachingError("choose both reps from the roster")
    if coach_id == learner_id:
        raise CoachingError("a peer session needs two different reps")
    return _insert_session(store, "peer", held_on, None, learner_id, coach_id, ratio, _text(note, "note") or None)


def _insert_session(
    store: Store,
    kind: str,
    held_on: date,
    leader_id: int | None,
    rep_id: int | None,
    coach_id: int | None,
    ratio: str | None,
    note: str | None,
) -> int:
    with store.write() as cur:
        session_id = next_ids(cur, "coaching_session_id_seq")[0]
        cur.execute(
            "INSERT INTO coaching_sessions (session_id, kind, leader_id, rep_id, coach_id, ratio, held_on, note, logged_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [session_id, kind, leader_id, rep_id, coach_id, ratio, held_on, note, _now_utc()],
        )
    return session_id


def sessions(store: Store, start: date, end: date) -> list[Session]:
    """Sessions held from `start` to `end` inclusive, newest first."""
    rows = store.fetchall(
        "SELECT session_id, kind, leader_id, rep_id, coach_id, ratio, held_on, note FROM coaching_sessions "
        "WHERE held_on BETWEEN ? AND ? ORDER BY held_on DESC, session_id DESC",
        [start, end],
    )
    return [
        Session(
            session_id=int(sid),
            kind=str(kind),
            leader_id=None if leader is None else int(leader),
            rep_id=None if rep is None else int(rep),
            coach_id=None if coach is None else int(coach),
            ratio=None if ratio is None else str(ratio),
            held_on=held_on,
            note=None if note is None else str(note),
        )
        for sid, kind, leader, rep, coach, ratio, held_on, note in rows
    ]


def remove_session(store: Store, session_id: int) -> None:
    with store.write() as cur:
        cur.execute("DELETE FROM coaching_sessions WHERE session_id = ?", [session_id])


# -- the leader's goals ------------------------------------------------------------


def leader_goal_rows(store: Store, leader_id: int) -> list[tuple[str, float | None, date]]:
    """(metric, weekly goal or None, effective from) of one manager, oldest first."""
    rows = store.fetchall(
        "SELECT metric, weekly_goal, effective_from FROM leader_goals WHERE leader_id = ? "
        "ORDER BY effective_from, set_at",
        [leader_id],
    )
    return [(str(m), None if g is None else float(g), d) for m, g, d in rows]


def set_leader_goals(
    store: Store, leader_id: int, goals: Mapping[str, float | None], effective_from: date, known: Iterable[str]
) -> None:
    """A manager's weekly goals from `effective_from` on (None: no goal); `known` are the metric keys."""
    keys = set(known)
    for metric, goal in goals.items():
        if metric not in keys:
            raise CoachingError(f"unknown leader metric {metric!r}; use one of {', '.join(sorted(keys))}")
        if goal is not None and not (math.isfinite(goal) and goal >= 0):
            raise CoachingError(f"a goal is zero or more, not {goal}")
    if leader_id not in people(store):
        raise CoachingError(f"no roster entry with id {leader_id}")
    with store.write() as cur:
        for metric, goal in goals.items():
            upsert(
                cur,
                "leader_goals",
                ("leader_id", "metric", "effective_from"),
                {"leader_id": leader_id, "metric": metric, "weekly_goal": goal, "effective_from": effective_from,
                 "set_at": _now_utc()},
            )


# -- merging two roster entries ------------------------------------------------------


def move_rep(cur: duckdb.DuckDBPyConnection, keep_id: int, merge_id: int) -> None:
    """Inside the caller's transaction: everything coaching holds for `merge_id` moves to `keep_id`."""
    for table, column in (
        ("one_on_ones", "rep_id"),
        ("one_on_ones", "leader_id"),
        ("commitments", "rep_id"),
        ("coaching_sessions", "leader_id"),
        ("coaching_sessions", "rep_id"),
        ("coaching_sessions", "coach_id"),
        ("rep_managers", "manager_id"),
    ):
        # Identifiers from the fixed list above, never from input.
        cur.execute(f"UPDATE {table} SET {column} = ? WHERE {column} = ?", [keep_id, merge_id])
    # The kept entry's own manager wins; nobody ends up managing themselves.
    cur.execute(
        "DELETE FROM rep_managers WHERE rep_id = ? AND EXISTS (SELECT 1 FROM rep_managers WHERE rep_id = ?)",
        [merge_id, keep_id],
    )
    cur.execute("UPDATE rep_managers SET rep_id = ? WHERE rep_id = ?", [keep_id, merge_id])
    cur.execute("DELETE FROM rep_managers WHERE rep_id = manager_id")
    cur.execute(
        "DELETE FROM leader_goals m WHERE m.leader_id = ? AND EXISTS (SELECT 1 FROM leader_goals k "
        "WHERE k.leader_id = ? AND k.metric = m.metric AND k.effective_from = m.effective_from)",
        [merge_id, keep_id],
    )
    cur.execute("UPDATE leader_goals SET leader_id = ? WHERE leader_id = ?", [keep_id, merge_id])
