"""Team: where the whole team stands this week, and which conversations to have."""

from __future__ import annotations

import functools

import polars as pl
import streamlit as st

from scorecard import charts, coaching, contests, roster, scores, ui, views
from scorecard.catalog import load_catalog
from scorecard.coaching import views as coaching_views
from scorecard.settings import load_settings

ALL_TEAMS = "__all__"
TIER_TEXT = {
    "autopilot": (":material/check_circle: On autopilot", "On goal nearly every week: hold them to outcomes, stay out of the way."),
    "watch": (":material/visibility: Watch", "Mixed weeks: check in, look at what changed."),
    "coach": (":material/school: Coach hands-on", "Mostly below goal: this is where your time goes."),
}

# Constant style: each tile's edge carries the team's status; a team gap is also shaded.
TILE_CSS = (
    "<style>"
    + ui.status_edge_css("tile")
    + 'div[class*="st-key-tile-gap-"] { border-left: 8px solid #D55E00 !important; background: #FFF6F0; }'
    "</style>"
)

store = ui.get_store()
settings = ui.cached(store, load_settings)
catalog = ui.cached(store, load_catalog)
as_of, replay = ui.query_as_of(settings)


def _team_choice() -> str | None:
    options = [ALL_TEAMS, *ui.cached(store, roster.teams)]
    wanted = st.query_params.get("team", ALL_TEAMS)

    def _changed() -> None:
        value = st.session_state.get("team_pick", ALL_TEAMS)
        if value == ALL_TEAMS:
            st.query_params.pop("team", None)
        else:
            st.query_params["team"] = value

    if len(options) <= 2:
        return None if len(options) == 1 else options[1]
    choice = st.selectbox(
        "Team",
        options,
        index=options.index(wanted) if wanted in options else 0,
        format_func=lambda t: "All teams" if t == ALL_TEAMS else t,
        key="team_pick",
        on_change=_changed,
    )
    return None if choice == ALL_TEAMS else choice


def _totals(tv: scores.TeamView) -> None:
    st.subheader("Team totals")
    gaps = [m for m in tv.metrics if m.is_team_gap]
    # Worded from the Contests page's own suggestions, so the two pages always agree.
    suggested = ui.cached(store, contests.suggest_contests, tv.as_of, team=tv.team)
    running = ui.cached(store, contests.current_contests, tv.as_of)
    for action in contests.gap_actions(tv.metrics, suggested, running, catalog, team=tv.team):
        (st.info if action.kind == "coaching" else st.warning)(ui.escape_md(action.text))
    if not gaps:
        st.caption("No team gap: where reps are behind, it is a coaching conversation, not a rally.")
    if not tv.metrics:
        st.info("No metric has a goal yet.")
        return
    cols = st.columns(min(4, len(tv.metrics)))
    for i, m in enumerate(tv.metrics):
        metric = catalog.metrics.get(m.metric)
        tone = "gap" if m.is_team_gap else charts.status_key(m.status)
        with cols[i % len(cols)], st.container(border=True, key=f"tile-{tone}-{m.metric}"):
            st.metric(f"{m.label} · % of pace", ui.fmt_pct(m.team_pace))
            if m.is_team_gap:
                st.markdown("**:material/campaign: Team gap**")
            actual = ui.fmt_value(m.team_actual, metric, settings.currency) if metric else ui.fmt_number(m.team_actual)
            expected = ui.fmt_value(m.team_expected, metric, settings.currency) if metric else ui.fmt_number(m.team_expected)
            st.caption(
                ui.escape_md(f"{actual} done · {expected} expected by now · {ui.reps_below_pace_text(m)}")
            )


def _heatmap(tv: scores.TeamView) -> None:
    st.subheader("Reps × metrics, % of pace")
    if tv.heatmap.is_empty():
        st.caption("Nothing to show yet this week.")
        return
    st.vega_lite_chart(views.heatmap_spec(store, tv.as_of, tv.team), theme=None)
    st.caption("Each cell is that rep's actual against their own goal to date. – means no pace yet (start of the week, or PTO).")


def _flags(tv: scores.TeamView) -> None:
    st.subheader("Conversations to have")
    st.caption(
        f"A rep who missed the same goal {settings.flag_after_weeks}+ completed weeks running. "
        "A flag starts a conversation about why, and whether the goal is right. It is not a ranking."
    )
    if not tv.flags:
        st.success("No red flags: nobody has missed the same goal weeks running.")
        return
    questions = list(dict.fromkeys(q for flag in tv.flags for q in flag.questions))
    with st.container(border=True):
        st.markdown("**Ask together:**")
        st.markdown("\n".join(f"- {ui.escape_md(q)}" for q in questions))
    by_rep: dict[int, list[scores.RedFlag]] = {}
    for flag in tv.flags:
        by_rep.setdefault(flag.rep.rep_id, []).append(flag)
    for flags in by_rep.values():
        with st.container(border=True):
            st.markdown(f"**{ui.escape_md(flags[0].rep.display_name)}**")
            missed = ", ".join(f"{f.label} ({f.weeks_missed} weeks)" for f in flags)
            st.caption(ui.escape_md(f"Below goal weeks running: {missed}"))


def _tiers(tv: scores.TeamView) -> None:
    st.subheader("Where your attention goes")
    cols = st.columns(3)
    for col, tier in zip(cols, ("autopilot", "watch", "coach"), strict=True):
        title, hint = TIER_TEXT[tier]
        reps = tv.tiers.get(tier, [])
        with col, st.container(border=True):
            st.markdown(f"**{title}** ({len(reps)})")
            st.caption(hint)
            if reps:
                st.text("\n".join(r.display_name for r in reps))


def _leaderboard(tv: scores.TeamView) -> None:
    st.subheader("Progress against personal goals")
    st.caption("Everyone's own goals, so a new hire and a veteran are measured fairly. Never raw volume.")
    if tv.leaderboard.is_empty():
        st.caption("No paces yet this week.")
        return
    frame = tv.leaderboard.select(pl.col("name").alias("Rep"), (pl.col("pct_of_goal") * 100).alias("% of personal goal"))
    st.dataframe(
        frame,
        hide_index=True,
        column_config={
            "% of personal goal": st.column_config.ProgressColumn(format="%.0f%%", min_value=0, max_value=150),
        },
    )


def _shout_outs(tv: scores.TeamView) -> None:
    if tv.shout_outs:
        st.subheader(":material/celebration: Shout-outs")
        st.caption("On pace on every goal this week:")
        st.text(", ".join(r.display_name for r in tv.shout_outs))


def _peer_coaching(tv: scores.TeamView) -> None:
    st.subheader(":material/diversity_3: Peer coaching")
    st.caption(
        "A rep converting significantly below the rest of the team, paired with a teammate at or above the team's "
        "rate every recent week. Pairs change each week; nobody is paired with their own manager."
    )
    week = tv.period.start
    held = {(s.coach_id, s.rep_id, s.ratio) for s in ui.cached(store, coaching.sessions, week, tv.as_of.date()) if s.kind == "peer"}
    pairs = coaching_views.pairs(store, tv.as_of, tv.team)
    if not pairs:
        st.caption("No pairs this week: nobody converts significantly below their team, or nobody has been strong for long enough.")
    for p in pairs:
        with st.container(border=True):
            st.markdown(ui.escape_md(f"{p.ratio_label}: {p.coach.display_name} coaches {p.learner.display_name}"))
            st.caption(ui.escape_md(p.evidence))
            key = (p.coach.rep_id, p.learner.rep_id, p.ratio)
            if key in held:
                st.caption(":material/check_circle: Session held this week")
            elif ui.is_manager() and st.button("Session held", key=f"peer-{p.ratio}-{p.coach.rep_id}-{p.learner.rep_id}"):
                coaching.log_peer_session(store, *key, tv.as_of.date())
                st.rerun()
    culture = coaching_views.culture(store, tv.as_of, tv.team)
    st.metric("Peer sessions, the last 4 weeks", culture.peer_sessions)
    st.caption(ui.escape_md(culture.text))


def _lead_from_the_front(tv: scores.TeamView) -> None:
    cards = coaching_views.leaders(store, tv.as_of, tv.team)
    if not cards:
        return
    st.subheader(":material/hiking: Lead from the front")
    st.caption("The manager's own scorecard: time with customers beside a rep, 1:1s and coaching, against weekly goals.")
    for card in cards:
        st.markdown(f"**{ui.escape_md(card.leader.display_name)}** · {len(card.reports)} reps")
        cols = st.columns(len(card.metrics))
        for col, m in zip(cols, card.metrics, strict=True):
            tone = charts.status_key(m.status)
            with col, st.container(border=True, key=f"tile-{tone}-leader-{card.leader.rep_id}-{m.metric}"):
                st.metric(m.label, ui.fmt_number(m.actual))
                weeks = f" · on goal {m.recent_on_goal} of the last {m.recent_with_goal} weeks" if m.recent_with_goal else ""
                st.caption(ui.escape_md(m.summary + weeks))


def _trend(tv: scores.TeamView) -> None:
    if tv.trend.is_empty():
        return
    st.subheader("Team pace, week by week")
    st.vega_lite_chart(views.team_trend_spec(store, tv.as_of, tv.team), theme=None)


def main() -> None:
    st.markdown(TILE_CSS, unsafe_allow_html=True)
    st.title("Team")
    team = _team_choice()
    if replay:
        ui.live(store, follows_clock=False)
    else:
        ui.live(store, warm=functools.partial(views.warm_team_page, store, team), warm_key=("team", team))
    tv = views.team_view(store, as_of, team)
    when = f"as of {tv.as_of:%a %b} {tv.as_of.day}, {tv.as_of:%H:%M}"
    st.caption(ui.escape_md(f"{tv.period.label} · {when} · {team or 'all teams'}"))
    if replay:
        st.info("You are looking at a past moment (as_of in the link).")
    _totals(tv)
    _heatmap(tv)
    left, right = st.columns(2)
    with left:
        _flags(tv)
    with right:
        _shout_outs(tv)
        _leaderboard(tv)
    _tiers(tv)
    _peer_coaching(tv)
    _lead_from_the_front(tv)
    _trend(tv)
    ui.freshness_line(store)


main()
