"""My scorecard: a rep's live pace against their own goals, opened from `/?rep=<slug>`."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import streamlit as st

from scorecard import charts, coaching, roster, scores, ui, views
from scorecard.calendar import week_of
from scorecard.catalog import Catalog, load_catalog
from scorecard.settings import TeamSettings, load_settings

LIVE = "live"
WEEKS_BACK = 12

# Constant style: a status-coloured edge on each metric card (keys carry the status).
CARD_CSS = (
    "<style>"
    + ui.status_edge_css("card")
    + 'div[class*="st-key-one-thing"] { border-left: 8px solid #0072B2 !important; background: #F3F8FC; }'
    + '[data-testid="stMainBlockContainer"] { padding-top: 3.5rem !important; }'
    + "</style>"
)

store = ui.get_store()


@dataclass(frozen=True)
class _Run:
    """What one run of the page draws from: read afresh each run, the page's own redraws included."""

    settings: TeamSettings
    catalog: Catalog
    as_of: datetime
    replay: bool
    slug: str


def _pick_rep(message: str | None = None) -> None:
    reps = ui.cached(store, roster.list_reps)
    if reps.is_empty():
        st.info("No reps yet. A manager uploads the first CRM export on the Upload page.")
        return
    slugs = reps["slug"].to_list()
    names = dict(zip(slugs, reps["display_name"].to_list(), strict=True))

    def _chosen() -> None:
        choice = st.session_state.get("rep_pick")
        if choice:
            st.query_params["rep"] = choice

    st.selectbox(
        message or "Who are you?",
        slugs,
        index=None,
        format_func=lambda s: f"{names[s]}",
        placeholder="Choose your name",
        key="rep_pick",
        on_change=_chosen,
    )
    st.caption("Tip: bookmark your scorecard after choosing, or ask your manager for your link.")


def _week_options(run: _Run) -> list[str]:
    this_week = week_of(run.as_of.date(), run.settings.week_start)
    return [LIVE] + [(this_week.end - timedelta(weeks=i)).isoformat() for i in range(WEEKS_BACK)]


def _week_label(value: str) -> str:
    if value == LIVE:
        return "This week (live)"
    end = date.fromisoformat(value)
    start = end - timedelta(days=6)
    return f"Week of {start:%a %b} {start.day}, {start:%Y}"


def _week_selector(run: _Run) -> None:
    options = _week_options(run)
    current = week_of(run.as_of.date(), run.settings.week_start).end.isoformat() if run.replay else LIVE

    def _changed() -> None:
        value = st.session_state.get("week_pick", LIVE)
        if value == LIVE:
            st.query_params.pop("as_of", None)
        else:
            st.query_params["as_of"] = value

    st.selectbox(
        "Week",
        options,
        index=options.index(current) if current in options else 0,
        format_func=_week_label,
        key="week_pick",
        on_change=_changed,
    )


ONE_THING_HEAD = ":small[:gray[THE ONE THING THIS WEEK]]"


def _one_thing(sc: scores.RepScorecard) -> None:
    # One element in its box: every element costs each open page a message on every update.
    with st.container(border=True, key="one-thing"):
        if sc.one_thing is None:
            if sc.working_time.available_hours <= 0:
                st.markdown(f"{ONE_THING_HEAD}\n\n### You're off this week — enjoy it.")
            else:
                st.markdown(
                    f"{ONE_THING_HEAD}\n\n### No lead goals set yet\n\n:small[:gray[Ask your manager to set your weekly goals.]]"
                )
            return
        reason = ui.escape_md(sc.one_thing.reason)
        st.markdown(f"{ONE_THING_HEAD}\n\n### :material/flag: {ui.escape_md(sc.one_thing.label)}\n\n**{reason}**")


def _badge_text(m: scores.MetricScore, off_all_period: bool) -> str:
    if m.goal is None:
        return "No goal"
    if off_all_period:
        return "Off this week"
    return charts.status_label(m.status)


BADGE_COLORS = {"on_pace": "green", "at_risk": "orange", "behind": "red"}


def _card_head(m: scores.MetricScore, off_all_period: bool) -> str:
    """'**Meetings** :orange-badge[:material/warning: At risk]': the label and its status badge, one element."""
    color = BADGE_COLORS.get(charts.status_key(m.status), "gray")
    return f"**{ui.escape_md(m.label)}** &nbsp; :{color}-badge[{ui.status_icon(m.status)} {_badge_text(m, off_all_period)}]"


def _card(run: _Run, m: scores.MetricScore, off_all_period: bool, sparkline: charts.VegaSpec | None) -> None:
    # Every element costs each open page a message on every update: a card keeps to a few.
    metric = run.catalog.metrics.get(m.metric)
    currency = run.settings.currency
    key = charts.status_key(m.status)
    with st.container(border=True, key=f"card-{key}-{m.metric}"):
        st.markdown(_card_head(m, off_all_period))
        value = ui.fmt_value(m.actual, metric, currency) if metric else ui.fmt_number(m.actual, decimals=1)
        st.metric(m.label, value, label_visibility="collapsed")
        details = []
        if m.projected is not None and m.goal:
            shown = ui.fmt_metric(round(m.projected), metric, currency) if metric else ui.fmt_number(m.projected)
            details.append(f"on course for {shown}")
        if m.team_median is not None:
            median = ui.fmt_value(m.team_median, metric, currency) if metric else ui.fmt_number(m.team_median)
            details.append(f"team median {median}")
        if m.streak_weeks >= 2:
            details.append(f"{m.streak_weeks} weeks in a row on goal")
        # The summary and the small print under it: one element, a line each.
        lines = [ui.escape_md(m.summary)] if m.goal is not None else []
        if details:
            streak = " :material/local_fire_department:" if m.streak_weeks >= 2 else ""
            lines.append(f":small[:gray[{ui.escape_md(' · '.join(details))}{streak}]]")
        if lines:
            st.markdown("  \n".join(lines))
        if sparkline is not None:
            st.vega_lite_chart(sparkline, theme=None, key=f"spark-{m.metric}")


def _cards(run: _Run, page: views.RepPage) -> None:
    sc = page.scorecard
    lead = [m for m in sc.metrics if m.kind == "lead"]
    lag = [m for m in sc.metrics if m.kind != "lead"]
    for title, group in (("Activities you control", lead), ("Results", lag)):
        if not group:
            continue
        st.subheader(title)
        for start in range(0, len(group), 3):
            cols = st.columns(3)
            for col, m in zip(cols, group[start : start + 3], strict=False):
                with col:
                    _card(run, m, sc.working_time.available_hours <= 0, page.sparklines.get(m.metric))


def _trend(page: views.RepPage) -> None:
    sc = page.scorecard
    if not page.trend_metrics:
        return
    st.subheader("Week by week")
    labels = {m.metric: m.label for m in sc.metrics}
    choice = st.segmented_control(
        "Metric", page.trend_metrics, default=page.trend_metrics[0], format_func=labels.__getitem__, key="trend_metric"
    )
    chosen = choice if choice in page.trend_metrics else page.trend_metrics[0]
    st.vega_lite_chart(views.rep_trend(store, sc.rep.slug, sc.as_of, chosen), theme=None)


def _ratio_value(run: _Run, value: float | None, fmt: str) -> str:
    if value is None:
        return "–"
    return ui.fmt_money(value, run.settings.currency) if fmt == "currency" else ui.fmt_pct(value)


def _ratios(run: _Run, sc: scores.RepScorecard) -> None:
    if not sc.ratios:
        return
    st.subheader("Skills: your conversion vs the team")
    st.caption(f"Over the last {run.settings.rate_window_weeks} completed weeks. Ratios say more than raw volume.")
    cols = st.columns(min(4, len(sc.ratios)))
    for i, r in enumerate(sc.ratios):
        team = _ratio_value(run, r.team_value, r.format)
        value = _ratio_value(run, r.rep_value, r.format)
        # The metric draws its own border: no box around it to send.
        if r.rep_value is not None and r.team_value is not None:
            gap = r.rep_value - r.team_value
            vs = ui.fmt_money(gap, run.settings.currency) if r.format == "currency" else f"{gap * 100:+.0f} pts"
            cols[i % len(cols)].metric(r.label, value, delta=f"{vs} vs team ({team})", border=True)
        else:
            # No comparison: the team's figure, in the delta's place and grey.
            cols[i % len(cols)].metric(r.label, value, delta=f"Team: {team}", delta_color="off", delta_arrow="off", border=True)


def _contest_standings(page: views.RepPage) -> None:
    standings = page.standings
    if not standings:
        return
    st.subheader(":material/emoji_events: Your contests")
    cols = st.columns(min(3, len(standings)))
    for i, s in enumerate(standings):
        with cols[i % len(cols)], st.container(border=True, key=f"contest-standing-{s.contest_id}"):
            st.markdown(f"**{ui.escape_md(s.label)}**")
            st.progress(min(1.0, max(0.0, float(s.pct_of_target))), text=ui.escape_md(s.summary))
            if s.reached:
                st.caption(":material/check_circle: Target reached")


COMMITMENT_ICONS = {"kept": ":material/check_circle:", "missed": ":material/cancel:", "pending": ":material/schedule:"}


def _commitments(sc: scores.RepScorecard) -> None:
    # What was agreed in a 1:1 and how it went; the notes stay with the manager.
    mine = coaching.rep_commitments(store, sc.rep, sc.as_of)
    if mine:
        st.subheader(":material/handshake: Your commitments")
        for c in mine:
            st.markdown(f"{COMMITMENT_ICONS[c.status]} **{ui.escape_md(c.label)}** · {ui.escape_md(c.text)}")


def _copy_link(run: _Run, slug_: str) -> None:
    with st.expander("Copy my link", icon=":material/link:"):
        st.caption("Bookmark it or pin it on your phone's home screen. It always shows this week, live.")
        st.code(ui.my_link(store, run.settings, slug_), language=None)


def _header(sc: scores.RepScorecard) -> None:
    st.title(ui.escape_md(sc.rep.display_name))
    wt = sc.working_time
    gone = "" if wt.fraction is None else f" · {wt.fraction:.0%} of your working week gone"
    when = f"as of {sc.as_of:%a %b} {sc.as_of.day}, {sc.as_of:%H:%M}"
    demo = " · Demo data" if sc.rep.is_demo else ""
    st.caption(ui.escape_md(f"{sc.period.label} · {when}{gone}{demo}"))


@st.fragment
def main() -> None:
    """The page, as a fragment: after a commit the server redraws just this, not the router and sidebar around it."""
    settings = ui.cached(store, load_settings)
    as_of, replay = ui.query_as_of(settings)
    run = _Run(settings, ui.cached(store, load_catalog), as_of, replay, (st.query_params.get("rep") or "").strip().lower())
    slug = run.slug
    if slug and not replay:
        ui.live(
            store,
            warm=functools.partial(views.warm_rep_page, store, slug),
            warm_key=views.rep_page_key(slug),
            warm_many=views.RepPagesWarmer(store),
        )
    else:
        ui.live(store, follows_clock=not replay)
    if not ui.rep_link_gate(store, settings, slug):
        return
    if not slug:
        ui.page_header("My scorecard", "Where you stand this week against your own goals.")
        _pick_rep()
        ui.freshness_line(store)
        return
    try:
        page = views.rep_page(store, slug, as_of)
    except scores.UnknownRep:
        ui.page_header("My scorecard")
        st.error(f"No rep has the link name “{ui.escape_md(slug)}”. Check the link, or choose your name below.")
        _pick_rep("Choose your name")
        return
    sc = page.scorecard
    _header(sc)
    if replay:
        st.caption(":material/history: A past moment: choose “This week (live)” under Week to follow this week live.")
    _one_thing(sc)
    _cards(run, page)
    _trend(page)
    _ratios(run, sc)
    _contest_standings(page)
    _commitments(sc)
    st.divider()
    left, right = st.columns(2)
    with left:
        _week_selector(run)
    with right:
        _copy_link(run, sc.rep.slug)
    ui.freshness_line(store)


# Outside the fragment: constant, so a redraw of the page need not send it again.
st.markdown(CARD_CSS, unsafe_allow_html=True)
main()
