"""Stand-up screen: full screen for the office TV, slides that rotate every 15 seconds.

`/?view=standup` opens it; `&team=<team>` narrows it; `&slide=gaps|shout-outs|conversations|contests|lead`
pins one slide (`lead`, the manager's own scorecard, when the setting turns it on).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from datetime import time as dt_time
from typing import Any

import streamlit as st

from scorecard import charts, contests, scores, ui, views
from scorecard.catalog import load_catalog
from scorecard.coaching import views as coaching_views
from scorecard.settings import load_settings

ROTATE_SECONDS = 15
SLIDE_KEY = "standup_slide"
SWITCHED_KEY = "standup_switched_at"

# Constant style: no sidebar or toolbar, type sized for a 1080p TV across a room. The tiles' type
# scales with the screen's width (full size from 1920 px), so a laptop sharing the stand-up shows
# every number whole instead of cutting "110%" to "11…".
TV_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stSidebarNav"],
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"] { display: none !important; }
[data-testid="stMainBlockContainer"], .block-container { padding: 1.2rem 2.5rem 0.5rem 2.5rem !important; max-width: 100% !important; }
.st-key-tv h1 { font-size: clamp(2.2rem, 2.8vw, 3.4rem) !important; padding: 0 !important; line-height: 1.15 !important; }
.st-key-tv h2 { font-size: clamp(1.8rem, 2.3vw, 2.8rem) !important; padding: 0.4rem 0 !important; }
.st-key-tv p, .st-key-tv li { font-size: clamp(1.25rem, 1.75vw, 2.1rem) !important; line-height: 1.35 !important; }
.st-key-tv [data-testid="stCaptionContainer"] p { font-size: 1.4rem !important; color: #555 !important; }
.st-key-tv [data-testid="stMetricLabel"] p { font-size: clamp(1.4rem, 2.15vw, 2.6rem) !important; font-weight: 700 !important; color: #1F2328 !important; }
.st-key-tv [data-testid="stMetricValue"] p { font-size: clamp(3rem, 6.6vw, 8rem) !important; font-weight: 700 !important; line-height: 1.05 !important; }
.st-key-tv [data-testid="stMetricLabel"] { height: auto !important; min-height: 3rem !important; }
.st-key-tv .st-key-tvnames p { font-size: clamp(2rem, 3vw, 3.6rem) !important; font-weight: 700 !important; }
div[class*="st-key-tvtile-"] { padding: clamp(0.8rem, 1vw, 1.2rem) clamp(0.9rem, 1.3vw, 1.6rem) !important; border-width: 2px !important; }
div[class*="st-key-tvtile-gap-"] { border-left: 18px solid #D55E00 !important; background: #FFF1E8 !important; }
""" + ui.status_edge_css("tvtile", width_px=18) + "</style>"

store = ui.get_store()
settings = ui.cached(store, load_settings)
catalog = ui.cached(store, load_catalog)
team = st.query_params.get("team") or None


def _view() -> tuple[scores.TeamView, bool]:
    """This week's view, or last week's final one while nothing is expected yet this week.

    A Monday stand-up before opening would otherwise show dashes everywhere; the
    meeting is about how last week ended. Returns (view, is_last_week).
    """
    as_of, _ = ui.query_as_of(settings)
    tv = views.team_view(store, as_of, team)
    if tv.metrics and all(m.team_expected == 0 for m in tv.metrics):
        last_week_end = datetime.combine(tv.period.start - timedelta(days=1), dt_time(23, 59, 59))
        return views.team_view(store, last_week_end, team), True
    return tv, False


def _slide_gaps(tv: scores.TeamView, *, last_week: bool = False) -> None:
    if last_week:
        st.markdown("## How last week ended: % of goal")
    else:
        st.markdown("## Team pace this week: % of where we should be by now")
    if not tv.metrics:
        st.markdown("No metric has a goal yet.")
        return
    per_row = 4 if len(tv.metrics) > 3 else len(tv.metrics)
    for start in range(0, len(tv.metrics), per_row):
        cols = st.columns(per_row, gap="medium")
        for col, m in zip(cols, tv.metrics[start : start + per_row], strict=False):
            metric = catalog.metrics.get(m.metric)
            done = ui.fmt_value(m.team_actual, metric, settings.currency) if metric else ui.fmt_number(m.team_actual)
            expected = ui.fmt_value(m.team_expected, metric, settings.currency) if metric else ui.fmt_number(m.team_expected)
            status = m.status
            tone = "gap" if m.is_team_gap else charts.status_key(status)
            with col, st.container(border=True, key=f"tvtile-{tone}-{m.metric}"):
                st.metric(m.label, ui.fmt_pct(m.team_pace))
                if m.is_team_gap:
                    rally = metric is not None and contests.contest_eligible(metric)
                    st.markdown(f"**:material/campaign: TEAM GAP{': rally' if rally else ''}**")
                else:
                    st.markdown(f"{ui.status_icon(status)} {charts.status_label(status)}")
                st.markdown(ui.escape_md(f"{done} done · {expected} expected"))
                st.markdown(ui.escape_md(ui.reps_below_pace_text(m)))
    # The trend fits under one row of tiles; with more metrics the tiles need the room.
    if not tv.trend.is_empty() and len(tv.metrics) <= per_row:
        st.vega_lite_chart(views.team_trend_spec(store, tv.as_of, team, tv=True), theme=None)


def _slide_shout_outs(tv: scores.TeamView) -> None:
    st.markdown("## :material/celebration: Shout-outs: on pace on every goal")
    if not tv.shout_outs:
        st.markdown("Nobody is on pace everywhere yet this week. The week is young: who will be first?")
        return
    with st.container(key="tvnames"):
        cols = st.columns(3)
        for i, rep in enumerate(tv.shout_outs):
            cols[i % 3].markdown(ui.escape_md(rep.display_name))


def _slide_conversations(tv: scores.TeamView) -> None:
    # On a shared screen, flags are counted per metric, not named: a flag starts a
    # private conversation, it is not a public ranking.
    st.markdown("## Conversations to have this week")
    if not tv.flags:
        st.markdown(":material/check_circle: Nobody has missed the same goal weeks running.")
        return
    counts: dict[str, tuple[str, int]] = {}
    for flag in tv.flags:
        label, n = counts.get(flag.metric, (flag.label, 0))
        counts[flag.metric] = (label, n + 1)
    shown = list(counts.items())[:4]
    cols = st.columns(max(3, len(shown)), gap="medium")
    for col, (metric, (label, n)) in zip(cols, shown, strict=False):
        with col, st.container(border=True, key=f"tvtile-at_risk-flag-{metric}"):
            st.metric(label, f"{n} rep{'s' if n != 1 else ''}")
            st.markdown(ui.escape_md(f"below goal {settings.flag_after_weeks}+ weeks running"))
    st.markdown("**Ask together:** why is it happening? · what would we do differently? · is the goal right?")


def _running_contests(tv: scores.TeamView) -> list[Any]:
    return views.running_standings(store, tv.as_of)


def _slide_contests(tv: scores.TeamView) -> None:
    st.markdown("## :material/emoji_events: Contest standings")
    running = _running_contests(tv)[:2]
    cols = st.columns(len(running), gap="large")
    for col, (contest, standings) in zip(cols, running, strict=True):
        with col:
            st.markdown(f"**{ui.escape_md(contest.label)}** · " + ui.escape_md(f"ends {contest.end:%a %b} {contest.end.day}"))
            # Everyone who reaches their own target wins: show progress, best first, never raw volume.
            for row in standings.sort("pct_of_target", descending=True).head(8).iter_rows(named=True):
                done = ":material/check_circle:" if row["reached"] else ""
                st.progress(
                    min(1.0, float(row["pct_of_target"])),
                    text=f"{ui.escape_md(row['name'])} · {ui.fmt_pct(row['pct_of_target'])} of target {done}",
                )


def _slide_leader(tv: scores.TeamView) -> None:
    st.markdown("## :material/hiking: Lead from the front: the manager's week")
    for card in coaching_views.leaders(store, tv.as_of, team)[:2]:
        st.markdown(f"**{ui.escape_md(card.leader.display_name)}**")
        cols = st.columns(len(card.metrics), gap="medium")
        for col, m in zip(cols, card.metrics, strict=True):
            with col, st.container(border=True, key=f"tvtile-{charts.status_key(m.status)}-leader-{m.metric}-{card.leader.rep_id}"):
                st.metric(m.label, ui.fmt_number(m.actual))
                st.markdown(ui.escape_md(m.summary))


def _slides(tv: scores.TeamView, last_week: bool) -> list[tuple[str, Callable[[scores.TeamView], None]]]:
    slides: list[tuple[str, Callable[[scores.TeamView], None]]] = [
        ("gaps", functools.partial(_slide_gaps, last_week=last_week)),
        ("shout-outs", _slide_shout_outs),
        ("conversations", _slide_conversations),
    ]
    if _running_contests(tv):
        slides.append(("contests", _slide_contests))
    if settings.leader_on_standup and coaching_views.leaders(store, tv.as_of, team):
        slides.append(("lead", _slide_leader))
    return slides


def _current_index(names: list[str]) -> int:
    pinned = st.query_params.get("slide")
    if pinned in names:
        return names.index(pinned)
    now = time.monotonic()
    index = int(st.session_state.get(SLIDE_KEY, 0))
    switched = float(st.session_state.get(SWITCHED_KEY, now))
    # Reruns for new data keep the slide; only the timer moves it on.
    if now - switched >= ROTATE_SECONDS - 1:
        index += 1
        switched = now
    st.session_state[SWITCHED_KEY] = switched
    st.session_state[SLIDE_KEY] = index % len(names)
    return index % len(names)


@st.fragment(run_every=ROTATE_SECONDS)
def _show() -> None:
    tv, last_week = _view()
    slides = _slides(tv, last_week)
    index = _current_index([name for name, _ in slides])
    with st.container(key="tv"):
        head, meta = st.columns([3, 2], vertical_alignment="bottom")
        head.markdown(f"# {ui.escape_md(tv.team or 'Team')} stand-up")
        when = f"{tv.period.label} · final" if last_week else f"{tv.period.label} · as of {tv.as_of:%a} {tv.as_of:%H:%M}"
        dots = " ".join("●" if i == index else "○" for i in range(len(slides)))
        meta.markdown(ui.escape_md(f"{when}   {dots}"), text_alignment="right")
        slides[index][1](tv)
        st.caption(ui.escape_md(ui.freshness_text(store)))


st.markdown(TV_CSS, unsafe_allow_html=True)
if st.query_params.get("as_of"):
    ui.live(store, follows_clock=False)
else:
    ui.live(store, warm=functools.partial(views.warm_team_page, store, team, tv=True), warm_key=("standup", team))
_show()
