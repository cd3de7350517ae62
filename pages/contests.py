"""Contests: suggestions for team gaps (manager), running contests with live standings, results, history."""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from scorecard import contests, roster, ui
from scorecard.settings import load_settings

FORMAT_NAMES = {
    "threshold": "Open threshold: everyone who reaches their target wins",
    "team_goal": "Team goal: everyone wins if the team gets there",
    "division_race": "Race on % of own goal, in divisions",
    "coaching": "Coaching action (no contest)",
}
FLASH_KEY = "contests_flash"

store = ui.get_store()
settings = ui.cached(store, load_settings)
as_of, replay = ui.query_as_of(settings)
manager = ui.is_manager()


def _launch_form(s: contests.Suggestion) -> None:
    with st.form(f"launch_{s.metric}", border=False):
        st.caption(
            "Adjust before launching. Once launched, the rules are fixed: a change means cancelling and launching anew."
        )
        a, b, c, d = st.columns(4)
        target = a.number_input(
            f"Gap to close ({s.unit})",
            min_value=1.0,
            value=float(s.target),
            step=1.0,
            key=f"target_{s.metric}",
            help="Extra units over the team's current pace; each rep's own target moves with it.",
        )
        budget = b.number_input(
            f"Budget ({settings.currency})", min_value=0.0, value=float(s.budget), step=25.0, key=f"budget_{s.metric}"
        )
        start = c.date_input("Starts", value=s.start, key=f"start_{s.metric}")
        end = d.date_input("Ends (inclusive)", value=s.end, key=f"end_{s.metric}")
        if st.form_submit_button("Launch", type="primary"):
            try:
                edited = contests.edit_suggestion(s, settings, target=target, budget=budget, start=start, end=end)
                contest_id = contests.launch_contest(store, edited, as_of)
            except ValueError as exc:
                st.error(ui.escape_md(exc))
                return
            st.session_state[FLASH_KEY] = (
                f"Launched contest #{contest_id}: {s.label}. Paste the announcement to the team."
            )
            st.rerun()


def _suggestion(s: contests.Suggestion) -> None:
    with st.container(border=True, key=f"suggestion-{s.metric}"):
        st.subheader(f"{s.label} · {FORMAT_NAMES[s.format]}")
        st.caption(ui.escape_md(f"{s.start:%a %b} {s.start.day} – {s.end:%a %b} {s.end.day}"))
        if s.focus == "conversion":
            st.markdown(f"**:material/sync_alt: Rewards converting:** {ui.escape_md(s.converted)}")
        if s.skills_session:
            st.markdown(f"**:material/school: Skills session attached:** {ui.escape_md(s.skills_session)}")
        st.text(s.rationale)
        st.caption(ui.escape_md(s.why_format))
        if s.format != "coaching":
            cols = st.columns(3)
            cols[0].metric(f"Gap to close ({s.unit})", f"{s.target:g}")
            cols[1].metric("Budget", ui.fmt_money(s.budget, settings.currency))
            cols[2].metric("Expected gross profit", ui.fmt_money(s.expected_gross_profit, settings.currency))
        with st.expander("The arithmetic", expanded=s.format != "coaching"):
            st.text("\n".join(s.arithmetic))
        st.caption("Announcement, ready to paste into chat or email:")
        st.code(s.announcement, language=None, wrap_lines=True)
        if s.format != "coaching":
            _launch_form(s)


def _team_choice() -> str | None:
    """One team's gaps, or the whole roster's when there is only one team."""
    teams = ui.cached(store, roster.teams)
    if len(teams) <= 1:
        return None
    choice = st.selectbox("Team", ["All teams", *teams], key="contest_team")
    return None if choice == "All teams" else choice


def _suggestions() -> None:
    st.header("Suggested")
    team = _team_choice()
    suggestions = ui.cached(store, contests.suggest_contests, as_of, team=team)
    if not suggestions:
        st.success(
            "No team gap right now, so no contest to suggest. Reps who are behind get flags on the Team page instead."
        )
    for s in suggestions:
        _suggestion(s)


def _chart(frame: pl.DataFrame) -> alt.LayerChart:
    data = frame.select(
        "name",
        pl.col("division").replace("", "Everyone"),
        (pl.col("pct_of_target") * 100).alias("pct"),
        "actual",
        "target",
    )
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("pct:Q", title="% of own target"),
            y=alt.Y("name:N", sort="-x", title=None),
            color=alt.Color("division:N", title="Division"),
            tooltip=["name", "division", "actual", "target", alt.Tooltip("pct:Q", format=".0f", title="%")],
        )
    )
    goal = alt.Chart(pl.DataFrame({"pct": [100.0]})).mark_rule(strokeDash=[4, 4]).encode(x="pct:Q")
    chart: alt.LayerChart = (bars + goal).properties(height=max(120, 28 * frame.height))
    return chart


def _cancel(contest: contests.Contest) -> None:
    if not manager:
        return
    with st.popover("Cancel contest"):
        st.caption("Cancelling ends it with no payouts. To change the rules, cancel and launch a new one.")
        if st.button("Yes, cancel it", key=f"cancel_{contest.contest_id}"):
            contests.cancel_contest(store, contest.contest_id, as_of)
            st.session_state[FLASH_KEY] = f"Cancelled contest #{contest.contest_id}."
            st.rerun()


def _running() -> None:
    st.header("Running")
    current = ui.cached(store, contests.current_contests, as_of)
    if not current:
        st.caption("No contest is running.")
    for contest in current:
        with st.container(border=True, key=f"contest-{contest.contest_id}"):
            state = contest.state(as_of)
            when = f"{contest.start:%a %b} {contest.start.day} – {contest.end:%a %b} {contest.end.day}"
            st.subheader(f"#{contest.contest_id} {contest.label} · {FORMAT_NAMES[contest.format]}")
            st.caption(
                ui.escape_md(
                    f"{when} · {'starts ' + f'{contest.start:%a}' if state == 'scheduled' else 'standings as of ' + f'{as_of:%a %H:%M}'}"
                )
            )
            standings = ui.cached(store, contests.contest_standings, contest.contest_id, as_of)
            if contest.format == "team_goal":
                st.progress(
                    min(1.0, float(standings["actual"].sum()) / contest.window_target)
                    if contest.window_target
                    else 0.0,
                    text=f"Team: {standings['actual'].sum():g} of {contest.window_target:g}",
                )
            if standings.height:
                st.altair_chart(_chart(standings), theme=None)
                st.dataframe(standings.drop("rep_id", "slug"), hide_index=True)
            if contest.rules.get("focus") == "conversion":
                st.caption(
                    ui.escape_md(
                        f"Rewards {contest.rules.get('converted', '')}. Skills session: {contest.rules.get('skills_session', '')}"
                    )
                )
            with st.expander("Announcement"):
                st.code(contest.announcement, language=None, wrap_lines=True)
            _cancel(contest)


def _results() -> None:
    recent = ui.cached(store, contests.recent_results, as_of)
    if not recent:
        return
    st.header("Results and payouts")
    for result in recent:
        c = result.contest
        with st.container(border=True, key=f"result-{c.contest_id}"):
            st.subheader(f"#{c.contest_id} {c.label} · ended {c.end:%a %b} {c.end.day}")
            if result.payouts:
                st.caption("Pay these out now:")
                payouts = pl.DataFrame(
                    [
                        {"Rep": p.name, "Division": p.division or "", "Amount": p.amount, "Why": p.reason}
                        for p in result.payouts
                    ]
                )
                st.dataframe(payouts, hide_index=True)
            else:
                st.caption("Nobody reached the bar this time: no payouts.")
            st.metric("Cost", ui.fmt_money(result.cost, settings.currency))


def _history() -> None:
    st.header("History")
    history = ui.cached(store, contests.contest_history, as_of)
    if history.is_empty():
        st.caption(
            "No past contests yet. After each one you'll see its lift against the 4 comparable periods before it."
        )
        return
    st.caption(
        "Lift = activity per working day during the contest against the 4 comparable periods before it. "
        "'After' is the same period after it: a dip there means activity was pulled forward, not added."
    )
    shown = history.select(
        pl.col("contest_id").alias("#"),
        pl.col("label").alias("Metric"),
        pl.col("format").alias("Format"),
        pl.col("start").alias("Start"),
        pl.col("end").alias("End"),
        pl.col("status").alias("Status"),
        (pl.col("lift_pct") * 100).alias("Lift %"),
        (pl.col("after_change_pct") * 100).alias("After %"),
        pl.col("incremental_units").alias("Extra units"),
        pl.col("cost").alias("Cost"),
        pl.col("cost_per_incremental_unit").alias("Cost per extra unit"),
    )
    st.dataframe(
        shown,
        hide_index=True,
        column_config={
            "Lift %": st.column_config.NumberColumn(format="%+.0f%%"),
            "After %": st.column_config.NumberColumn(format="%+.0f%%"),
            "Extra units": st.column_config.NumberColumn(format="%.1f"),
            "Cost": st.column_config.NumberColumn(format=f"{settings.currency}%.0f"),
            "Cost per extra unit": st.column_config.NumberColumn(format=f"{settings.currency}%.0f"),
        },
    )


def main() -> None:
    ui.live(store)
    st.title("Contests")
    st.caption(
        "A contest or spiff for every count metric the whole team is behind on (never calls or dials). "
        "Never winner-take-all on raw volume; short; standings every day; paid out right away. "
        "How they are chosen and sized: docs/contests.md."
    )
    if replay:
        st.info("You are looking at a past moment (as_of in the link).")
    flash = st.session_state.pop(FLASH_KEY, None)
    if flash:
        st.success(ui.escape_md(flash))
    if manager:
        _suggestions()
    _running()
    _results()
    _history()
    if not manager:
        # Suggestions carry budgets: a manager's business. Everything above stays public.
        st.header("Suggested")
        ui.require_manager()


main()
