"""Coaching: who manages whom, sessions held, the leader's goals, and whether coaching works (managers only)."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import streamlit as st

from scorecard import coaching, ui
from scorecard.calendar import week_of
from scorecard.coaching import views as coaching_views
from scorecard.roster import Rep
from scorecard.settings import load_settings

NOBODY = -1
FLASH = "coaching_flash"

# The store first: on a process's first run it sends the page through the router, so nothing is drawn twice.
store = ui.get_store()
ui.page_header("Coaching", "Who manages whom, the sessions you held, your own weekly goals, and whether coaching works.")
ui.require_manager()

settings = ui.cached(store, load_settings)
as_of, replay = ui.query_as_of(settings)


def _done(message: str, *keys: str) -> None:
    """Show `message` after a rerun; the forms' `keys` start empty again (after an error they keep what was typed)."""
    for key in keys:
        st.session_state.pop(key, None)
    st.session_state[FLASH] = message
    st.rerun()


def _name(everyone: dict[int, Rep], rep_id: int | None) -> str:
    if rep_id is None or rep_id == NOBODY or rep_id not in everyone:
        return "—"
    rep = everyone[rep_id]
    return rep.display_name + ("" if rep.active else " (does not sell)")


def _managers(everyone: dict[int, Rep]) -> None:
    st.subheader("Who manages whom")
    st.caption("A rep is never paired for peer coaching with their own manager, and each manager gets a scorecard of their own.")
    bosses = coaching.managers(store)
    active = [r for r in everyone.values() if r.active]
    if not active:
        st.info("No reps yet. They appear with the first upload.")
        return
    st.dataframe(
        pl.DataFrame(
            {"Rep": [r.display_name for r in active], "Team": [r.team for r in active], "Manager": [_name(everyone, bosses.get(r.rep_id)) for r in active]}
        ),
        hide_index=True,
    )
    with st.form("set_manager"):
        reps = st.multiselect("Reps", [r.rep_id for r in active], format_func=lambda i: _name(everyone, i), key="mgr_reps")
        boss = st.selectbox("Their manager", [NOBODY, *everyone], format_func=lambda i: "No manager" if i == NOBODY else _name(everyone, i), key="mgr_boss")
        if st.form_submit_button("Save"):
            try:
                changed = coaching.set_manager(store, reps, None if boss == NOBODY else boss)
            except coaching.CoachingError as exc:
                st.error(f"Nothing was saved: {ui.escape_md(exc)}")
            else:
                _done(f"Saved the manager of {changed} rep(s).", "mgr_reps")
    with st.expander("Add a manager who does not sell"), st.form("add_manager"):
        st.caption("They join the roster as inactive, so the team's numbers never count someone without selling goals.")
        name = st.text_input("Name", key="new_mgr_name")
        email = st.text_input("Email (as exports write it, to find joint meetings)", key="new_mgr_email")
        team = st.text_input("Team", value="Sales", key="new_mgr_team")
        if st.form_submit_button("Add"):
            try:
                coaching.add_manager(store, name, email, team)
            except coaching.CoachingError as exc:
                st.error(f"Nothing was saved: {ui.escape_md(exc)}")
            else:
                _done(ui.escape_md(f"Added {' '.join(name.split())}. Now choose the reps they manage."))


def _log_session(everyone: dict[int, Rep]) -> None:
    st.subheader("Log a session")
    st.caption(
        "Joint meetings and calls count on the manager's scorecard. Exports that list attendees or a second owner "
        "are read automatically: log here only what the export does not carry, or it counts twice."
    )
    leaders = sorted(set(coaching.managers(store).values()), key=lambda i: _name(everyone, i)) or list(everyone)
    with st.form("log_session"):
        kind = st.radio("What", list(coaching.LEADER_KINDS), format_func=coaching.SESSION_KINDS.__getitem__, horizontal=True, key="s_kind")
        left, right = st.columns(2)
        leader = left.selectbox("Manager", leaders, format_func=lambda i: _name(everyone, i), key="s_leader")
        reps = [NOBODY, *(r.rep_id for r in everyone.values() if r.active)]
        rep = right.selectbox("With", reps, format_func=lambda i: _name(everyone, i), key="s_rep")
        held_on = st.date_input("Held on", value=as_of.date(), key="s_day")
        note = st.text_input("Note (optional)", key="s_note")
        if st.form_submit_button("Log it"):
            try:
                coaching.log_session(store, kind, held_on, leader_id=leader, rep_id=None if rep == NOBODY else rep, note=note)
            except coaching.CoachingError as exc:
                st.error(f"Nothing was saved: {ui.escape_md(exc)}")
            else:
                _done(f"Logged: {coaching.SESSION_KINDS[kind].lower()}.", "s_rep", "s_note")


def _recent_sessions(everyone: dict[int, Rep]) -> None:
    since = week_of(as_of.date(), settings.week_start).start - timedelta(weeks=3)
    held = coaching.sessions(store, since, as_of.date())
    if not held:
        return
    with st.expander(f"Sessions since {since:%b} {since.day} ({len(held)})"):
        st.dataframe(
            pl.DataFrame(
                {
                    "Held on": [s.held_on for s in held],
                    "What": [coaching.SESSION_KINDS[s.kind] for s in held],
                    "Who": [_name(everyone, s.leader_id if s.kind != "peer" else s.coach_id) for s in held],
                    "With": [_name(everyone, s.rep_id) for s in held],
                    "Note": [s.note or "" for s in held],
                }
            ),
            hide_index=True,
        )
        chosen = st.selectbox(
            "Remove a session logged by mistake", [s.session_id for s in held],
            format_func=lambda i: next(f"{s.held_on} · {coaching.SESSION_KINDS[s.kind]} · {_name(everyone, s.rep_id)}" for s in held if s.session_id == i),
            key="rm_session",
        )  # fmt: skip
        if st.button("Remove", key="rm_session_go"):
            coaching.remove_session(store, chosen)
            _done("Session removed.")


def _leader_goals(everyone: dict[int, Rep]) -> None:
    st.subheader("The leader's weekly goals")
    leaders = sorted(set(coaching.managers(store).values()), key=lambda i: _name(everyone, i))
    if not leaders:
        st.caption("Choose who manages whom first.")
        return
    leader = st.selectbox("Manager", leaders, format_func=lambda i: _name(everyone, i), key="g_leader")
    cards = {c.leader.rep_id: c for c in coaching_views.leaders(store, as_of, None)}
    in_force = {m.metric: m.weekly_goal for m in cards[leader].metrics} if leader in cards else {}
    with st.form(f"leader_goals_{leader}"):
        st.caption("Like any rep's goals: for a full working week, prorated for holidays and PTO. Leave one empty for no goal.")
        metrics = coaching.leader_metrics()
        cols = st.columns(len(metrics))
        values = {
            m.key: col.number_input(m.label, min_value=0.0, value=in_force.get(m.key), step=1.0, key=f"g_{leader}_{m.key}")
            for col, m in zip(cols, metrics, strict=True)
        }
        start = st.date_input("From", value=week_of(as_of.date(), settings.week_start).start, key=f"g_from_{leader}")
        if st.form_submit_button("Save goals"):
            # Only what changed: a default left alone stays a default (one 1:1 per report follows the team's size).
            changed = {key: value for key, value in values.items() if value != in_force.get(key)}
            if not changed:
                st.info("Nothing changed.")
                return
            try:
                coaching.set_leader_goals(store, leader, changed, start, [m.key for m in metrics])
            except coaching.CoachingError as exc:
                st.error(f"Nothing was saved: {ui.escape_md(exc)}")
            else:
                _done("Goals saved.")


def _impact() -> None:
    st.subheader("Does coaching work?")
    st.caption(
        "For each rep coached on a flag: their pace in the 4 weeks after the first 1:1 that addressed it against "
        "the 4 weeks before, next to the rest of the team over the same weeks."
    )
    result = coaching_views.impact(store, as_of, None)
    (st.success if result.enough else st.info)(ui.escape_md(result.conclusion))
    if result.cases:
        st.dataframe(
            pl.DataFrame(
                {
                    "Rep": [c.rep.display_name for c in result.cases],
                    "Metric": [c.label for c in result.cases],
                    "1:1": [c.one_on_one for c in result.cases],
                    "Before": [c.before.text() for c in result.cases],
                    "After": [c.after.text() for c in result.cases],
                    "Team before": [c.team_before.text() for c in result.cases],
                    "Team after": [c.team_after.text() for c in result.cases],
                    "Beyond the team (points)": [None if c.net is None else round(c.net * 100) for c in result.cases],
                    "Flagged, not coached (points)": [
                        None if c.uncoached_change is None else round(c.uncoached_change * 100) for c in result.cases
                    ],
                }
            ),
            hide_index=True,
        )
    for w in result.waiting:
        st.caption(ui.escape_md(f"{w.rep.display_name}, {w.label}: measurable from {w.ready_on:%b} {w.ready_on.day}."))


def main() -> None:
    ui.live(store, follows_clock=not replay)
    if FLASH in st.session_state:
        st.success(st.session_state.pop(FLASH))
    everyone = coaching.people(store)
    _managers(everyone)
    _log_session(everyone)
    _recent_sessions(everyone)
    _leader_goals(everyone)
    _impact()
    ui.freshness_line(store)


main()
