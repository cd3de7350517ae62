"""Settings: the team calendar, pace and team-gap thresholds, contest sizing; backup and restore."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import available_timezones

import streamlit as st

from scorecard import admin, backup, ui
from scorecard.settings import WEEKDAY_NAMES, load_settings

ui.page_header("Team settings", "The calendar pace is measured against, the thresholds behind every status, and backups.")
ui.require_manager()

store = ui.get_store()
ui.live(store)
current = load_settings(store)
FLASH = "settings_flash"

if FLASH in st.session_state:
    st.success(st.session_state.pop(FLASH))

zones = sorted(available_timezones() | {current.timezone})
days = list(range(7))

with st.form("team_settings"):
    slots: dict[str, st.delta_generator.DeltaGenerator] = {}

    def slot(name: str) -> None:
        slots[name] = st.empty()

    st.subheader("Calendar")
    values: dict[str, object] = {}
    values["timezone"] = st.selectbox("Time zone", zones, index=zones.index(current.timezone), key="s_timezone")
    slot("timezone")
    values["week_start"] = st.selectbox(
        "Week starts on", days, index=current.week_start, format_func=WEEKDAY_NAMES.__getitem__, key="s_week_start"
    )
    slot("week_start")
    values["working_days"] = st.multiselect(
        "Working days", days, default=list(current.working_days), format_func=WEEKDAY_NAMES.__getitem__, key="s_working_days"
    )
    slot("working_days")
    left, right = st.columns(2)
    with left:
        values["day_start"] = st.time_input("Business day starts", current.day_start, key="s_day_start", step=900)
        slot("day_start")
    with right:
        values["day_end"] = st.time_input("Business day ends", current.day_end, key="s_day_end", step=900)
        slot("day_end")
    left, right = st.columns(2)
    with left:
        values["holiday_country"] = st.text_input(
            "Public holidays of (country code)", current.holiday_country or "", key="s_holiday_country",
            help="ISO code such as US, GB, DE, ES. Empty = no public holidays.",
        )
        slot("holiday_country")
    with right:
        values["holiday_subdivision"] = st.text_input(
            "State or region (optional)", current.holiday_subdivision or "", key="s_holiday_subdivision",
            help="For regional holidays, e.g. CA for California or BY for Bavaria.",
        )
        slot("holiday_subdivision")
    values["custom_holidays"] = st.text_area(
        "Team holidays (one date per line, YYYY-MM-DD)",
        "\n".join(d.isoformat() for d in current.custom_holidays),
        key="s_custom_holidays",
    )
    slot("custom_holidays")

    st.subheader("Pace and team gaps")
    left, right = st.columns(2)
    with left:
        values["on_pace_at"] = st.number_input("On pace from (pace ≥)", value=current.on_pace_at, step=0.05, key="s_on_pace_at")
        slot("on_pace_at")
        values["team_gap_pace_below"] = st.number_input(
            "Team gap when team pace is below", value=current.team_gap_pace_below, step=0.05, key="s_team_gap_pace_below"
        )
        slot("team_gap_pace_below")
        values["flag_after_weeks"] = st.number_input(
            "Flag a rep after missing a metric this many weeks running", value=current.flag_after_weeks, step=1, key="s_flag_after_weeks"
        )
        slot("flag_after_weeks")
    with right:
        values["at_risk_from"] = st.number_input("At risk from (pace ≥; below is behind)", value=current.at_risk_from, step=0.05, key="s_at_risk_from")
        slot("at_risk_from")
        values["team_gap_share_behind"] = st.number_input(
            "…and at least this share of reps behind", value=round(current.team_gap_share_behind, 3), step=0.05, key="s_team_gap_share_behind"
        )
        slot("team_gap_share_behind")

    st.subheader("Contests and goals from quota")
    left, right = st.columns(2)
    with left:
        values["gross_margin"] = st.number_input("Gross margin (0.7 = 70%)", value=current.gross_margin, step=0.05, key="s_gross_margin")
        slot("gross_margin")
        values["shrinkage_k"] = st.number_input(
            "Shrinkage k (how much a rep's rates lean on the team's)", value=current.shrinkage_k, step=1.0, key="s_shrinkage_k"
        )
        slot("shrinkage_k")
        values["currency"] = st.text_input("Currency symbol", current.currency, key="s_currency")
        slot("currency")
    with right:
        values["contest_share"] = st.number_input(
            "Contest budget share of the extra gross profit (0.2 = 20%)", value=current.contest_share, step=0.05, key="s_contest_share"
        )
        slot("contest_share")
        values["rate_window_weeks"] = st.number_input(
            "Weeks of history for conversion rates", value=current.rate_window_weeks, step=1, key="s_rate_window_weeks"
        )
        slot("rate_window_weeks")

    st.subheader("Stand-up screen")
    values["leader_on_standup"] = st.checkbox(
        "Show the manager's own scorecard (lead from the front) as a slide",
        value=current.leader_on_standup,
        key="s_leader_on_standup",
        help="Joint customer meetings and calls, 1:1s and coaching sessions against the manager's weekly goals.",
    )
    slot("leader_on_standup")

    if st.form_submit_button("Save settings", type="primary"):
        try:
            admin.update_settings(store, values)
        except admin.InvalidInput as exc:
            st.error("Nothing was saved: fix the fields marked below.")
            for name, message in exc.errors.items():
                slots.get(name, slots["timezone"]).error(ui.escape_md(message))
        else:
            st.session_state[FLASH] = "Settings saved. Pace, goals and contests use them from now on."
            st.rerun()

st.divider()
st.subheader("Backup and restore")
st.caption("The whole team's state (events, roster, goals, PTO, contests, settings) is one database file.")
now = datetime.now(UTC)
st.download_button(
    "Download a backup",
    data=lambda: backup.backup_bytes(store),
    file_name=backup.backup_file_name(now),
    mime="application/octet-stream",
    on_click="ignore",
    key="backup_download",
)
uploaded = st.file_uploader("Restore from a backup (.duckdb)", type=["duckdb"], key="restore_file")
confirm = st.checkbox(
    "Replace the current database with this backup (the current one is kept in data/backups/)", key="restore_confirm"
)
restore_error = st.empty()
if st.button("Restore", disabled=uploaded is None or not confirm, key="restore_go") and uploaded is not None:
    try:
        result = backup.restore(store.path, uploaded.getvalue(), now_utc=datetime.now(UTC))
    except backup.RestoreRefused as exc:
        restore_error.error(ui.escape_md(exc))
    else:
        kept = f" The previous database was kept as {result.previous_copy.name}." if result.previous_copy else ""
        st.session_state[FLASH] = ui.escape_md(
            f"Restored: {result.reps} reps and {result.events:,} events.{kept}"
        )
        st.session_state.pop("restore_confirm", None)
        st.rerun()
