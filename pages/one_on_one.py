"""1:1 prep: one printable page per rep, and the log of their 1:1s with notes and commitments (managers only)."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import streamlit as st

from scorecard import coaching, roster, scores, ui
from scorecard.calendar import week_of
from scorecard.catalog import load_catalog
from scorecard.coaching import views as coaching_views
from scorecard.settings import load_settings

# Constant style: the printout is the prep itself, without the sidebar, the picker or the forms.
PRINT_CSS = """<style>
@media print {
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"],
  [data-testid="stToolbar"], [data-testid="stDecoration"], div[class*="st-key-noprint"] { display: none !important; }
  [data-testid="stMainBlockContainer"] { padding: 0 1rem !important; max-width: 100% !important; }
  div[class*="st-key-prep-"] { break-inside: avoid; }
}
</style>"""
TIER_TEXT = {
    "autopilot": "On autopilot: on goal nearly every week. Hold them to outcomes.",
    "watch": "Watch: mixed weeks. Look at what changed.",
    "coach": "Coach hands-on: mostly below goal. This is where your time goes.",
}
STATUS_TEXT = {"kept": ":material/check_circle: Kept", "missed": ":material/cancel: Missed", "pending": ":material/schedule: Not checkable yet"}
# Only a tested difference is marked; the rest say plainly why not.
RATIO_MARKS = {
    "lower": ":material/priority_high: **Significantly below the team**",
    "higher": ":material/star: **Significantly above the team**",
    "no_change": "no meaningful difference",
    "not_enough_data": "not enough data to compare",
}
NO_METRIC = "—"
COMMITMENT_ROWS = 3
FORM_KEYS = ("held_on", "notes", "addressed", *(f"c_{f}_{i}" for f in ("metric", "target", "week") for i in range(COMMITMENT_ROWS)))
FLASH = "one_on_one_flash"

# The store first: on a process's first run it sends the page through the router, so nothing is drawn twice.
store = ui.get_store()
ui.page_header("1:1 prep", "One page per rep: their weeks, their skills against the team, open flags, and what they committed to.")
ui.require_manager()

settings = ui.cached(store, load_settings)
catalog = ui.cached(store, load_catalog)
as_of, replay = ui.query_as_of(settings)


def _pick_rep() -> str | None:
    reps = ui.cached(store, roster.list_reps)
    if reps.is_empty():
        st.info("No reps yet. They appear with the first upload.")
        return None
    slugs = reps["slug"].to_list()
    names = dict(zip(slugs, reps["display_name"].to_list(), strict=True))
    wanted = st.query_params.get("rep")

    def _changed() -> None:
        st.query_params["rep"] = st.session_state["prep_rep"]

    with st.container(key="noprint-pick"):
        return st.selectbox(
            "Rep",
            slugs,
            index=slugs.index(wanted) if wanted in slugs else 0,
            format_func=names.__getitem__,
            key="prep_rep",
            on_change=_changed,
        )


def _header(prep: coaching.Prep) -> None:
    sc = prep.scorecard
    st.subheader(ui.escape_md(f"{prep.rep.display_name} · {prep.rep.team}"))
    manager = f" · manager {prep.manager.display_name}" if prep.manager else ""
    st.caption(ui.escape_md(f"{sc.period.label} · as of {sc.as_of:%a %b} {sc.as_of.day}, {sc.as_of:%H:%M}{manager}"))
    with st.container(key="noprint-hint"):
        st.caption(":material/print: To print: Ctrl+P (⌘P on a Mac). The sidebar, the rep picker and the forms stay off the page.")
    left, right = st.columns(2)
    with left, st.container(border=True, key="prep-tier"):
        st.markdown("**Tier**")
        st.markdown(TIER_TEXT.get(prep.tier or "", "Not enough recent weeks with goals to place yet."))
    with right, st.container(border=True, key="prep-one-thing"):
        st.markdown("**The one thing this week**")
        one = sc.one_thing
        st.markdown(ui.escape_md(f"{one.label}: {one.reason}") if one else "No lead goal to choose from this week.")


def _cell(cell: tuple[float, float | None] | None) -> str:
    if cell is None:
        return "–"
    actual, goal = cell
    done = ui.fmt_number(actual, decimals=1)
    if not goal:
        return f"{done} (off)" if goal == 0 else done
    return f"{done} / {ui.fmt_number(goal, decimals=1)}" + (" ✓" if actual >= goal - 1e-9 else "")


def _lead(prep: coaching.Prep) -> None:
    with st.container(key="prep-lead"):
        st.markdown(f"**Lead measures, the last {len(prep.weeks)} weeks: actual / goal (✓ on goal)**")
        if not prep.lead:
            st.caption("No lead measure has a goal in these weeks.")
            return
        current = prep.weeks[-1]
        columns = [f"{w:%b} {w.day}" + (" so far" if w == current else "") for w in prep.weeks]
        frame = pl.DataFrame(
            [[row.label, *(_cell(c) for c in row.cells)] for row in prep.lead],
            schema=["Measure", *columns],
            orient="row",
        )
        st.table(frame)
        st.caption("Goals are prorated for holidays and PTO, exactly as on the rep's own scorecard.")


def _ratios(prep: coaching.Prep) -> None:
    with st.container(key="prep-ratios"):
        st.markdown("**Skills: conversion against the rest of the team**")
        st.caption(
            f"Completed weeks only (the last {settings.rate_window_weeks}), with every count. A difference is marked "
            "only when a significance test says it is larger than chance."
        )
        if not prep.ratios:
            st.caption("No conversion ratio to compare yet.")
        for r in prep.ratios:
            st.markdown(f"{ui.escape_md(r.ratio.label)}: " + RATIO_MARKS[r.verdict])
            st.caption(ui.escape_md(r.text))
            if r.verdict == "lower":
                st.caption(ui.escape_md(f"Try: {r.ratio.coaching}"))


def _flags(prep: coaching.Prep) -> None:
    with st.container(key="prep-flags"):
        st.markdown("**Open flags**")
        if not prep.flags:
            st.caption("None: no goal missed weeks running.")
            return
        st.markdown("\n".join(f"- {ui.escape_md(f'{f.label}: below goal {f.weeks_missed} weeks running')}" for f in prep.flags))
        st.markdown("Ask together:\n" + "\n".join(f"1. {ui.escape_md(q)}" for q in prep.questions))


def _review_rows(reviews: list[coaching.CommitmentReview]) -> None:
    for r in reviews:
        c = r.commitment
        target = ui.fmt_number(c.target, decimals=1)
        if r.target_for_week is not None and abs(r.target_for_week - c.target) > 1e-9:
            target += f" ({ui.fmt_number(r.target_for_week, decimals=1)} with time off)"
        line = f"{target} {r.unit}, week of {c.week_start:%b} {c.week_start.day}"
        st.markdown(f"{STATUS_TEXT[r.status]} · {ui.escape_md(line)}")
        st.caption(ui.escape_md(r.reason + (f" Note: {c.note}" if c.note else "")))


def _commitments(prep: coaching.Prep) -> None:
    with st.container(key="prep-commitments"):
        last = prep.last_one_on_one
        when = f"{last.held_on:%a %b} {last.held_on.day}" if last else None
        st.markdown(f"**Commitments from the last 1:1 ({when})**" if when else "**Commitments**")
        if last is not None and last.notes:
            st.caption("Notes from that 1:1:")
            st.text(last.notes)
        if not prep.since_last:
            st.caption("No commitments recorded since the last 1:1." if last else "No 1:1 logged yet.")
        _review_rows(prep.since_last)


def _commitment_inputs(next_week: date) -> list[coaching.NewCommitment]:
    st.markdown("Commitments (a metric, how many, and the week)")
    options = [NO_METRIC, *(m.key for m in catalog.ordered() if not m.vanity)]
    chosen = []
    for i in range(COMMITMENT_ROWS):
        a, b, c = st.columns([2, 1, 2])
        metric = a.selectbox("Metric", options, key=f"c_metric_{i}", format_func=lambda k: catalog.metrics[k].label if k in catalog.metrics else k, label_visibility="collapsed")
        target = b.number_input("How many", min_value=0.0, value=1.0, step=1.0, key=f"c_target_{i}", label_visibility="collapsed")
        week = c.date_input("Week of", value=next_week, key=f"c_week_{i}", label_visibility="collapsed")
        if metric != NO_METRIC:
            chosen.append(coaching.NewCommitment(metric, float(target), week))
    return chosen


def _log_form(prep: coaching.Prep) -> None:
    next_week = week_of(as_of.date(), settings.week_start).start + timedelta(weeks=1)
    with st.container(key="noprint-log"), st.form("log_one_on_one"):
        st.markdown(f"**Log this 1:1 with {ui.escape_md(prep.rep.display_name)}**")
        held_on = st.date_input("Held on", value=as_of.date(), key="held_on")
        notes = st.text_area("Notes (managers only: never shown to the rep)", key="notes")
        lead = [m.key for m in catalog.ordered() if m.is_lead and not m.vanity]
        addressed = st.multiselect(
            "It addressed", lead, default=[f.metric for f in prep.flags if f.metric in lead],
            format_func=lambda k: catalog.metrics[k].label, key="addressed",
            help="The flags you talked about: 'Does coaching work?' compares them before and after.",
        )  # fmt: skip
        new = _commitment_inputs(next_week)
        if st.form_submit_button("Save the 1:1", type="primary"):
            try:
                coaching.record_one_on_one(store, prep.rep.rep_id, held_on, notes, addressed=addressed, commitments=new)
            except coaching.CoachingError as exc:
                st.error(f"Nothing was saved: {ui.escape_md(exc)}")
            else:
                # A fresh form for the next 1:1; on an error above, what was typed stays.
                for key in FORM_KEYS:
                    st.session_state.pop(key, None)
                st.session_state[FLASH] = f"1:1 saved with {len(new)} commitment(s)."
                st.rerun()


def _history(prep: coaching.Prep) -> None:
    with st.container(key="noprint-history"):
        st.markdown("**Coaching log**")
        if not prep.log:
            st.caption("No 1:1 logged yet.")
        for entry in prep.log:
            m = entry.meeting
            with st.expander(f"{m.held_on:%a %b} {m.held_on.day}, {m.held_on:%Y}"):
                if m.addressed:
                    st.caption(ui.escape_md("Addressed: " + ", ".join(catalog.metrics[k].label for k in m.addressed if k in catalog.metrics)))
                st.text(m.notes or "(no notes)")
                _review_rows(entry.commitments)
                if st.button("Delete this 1:1 and its commitments", key=f"rm_{m.one_on_one_id}"):
                    coaching.remove_one_on_one(store, m.one_on_one_id)
                    st.session_state[FLASH] = "1:1 deleted."
                    st.rerun()


def main() -> None:
    st.markdown(PRINT_CSS, unsafe_allow_html=True)
    ui.live(store, follows_clock=not replay)
    if FLASH in st.session_state:
        st.success(st.session_state.pop(FLASH))
    slug = _pick_rep()
    if slug is None:
        return
    try:
        prep = coaching_views.prep(store, slug, as_of)
    except scores.UnknownRep:
        st.error("That rep is not on the roster any more.")
        return
    _header(prep)
    _lead(prep)
    left, right = st.columns(2)
    with left:
        _flags(prep)
        _commitments(prep)
    with right:
        _ratios(prep)
    _log_form(prep)
    _history(prep)
    ui.freshness_line(store)


main()
