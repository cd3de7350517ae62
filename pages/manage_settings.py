"""Settings: the team calendar, pace and team-gap thresholds, contest sizing; backup and restore;
API tokens, CRM webhooks, digest channels."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import available_timezones

import streamlit as st

from scorecard import admin, backup, integrations, ui
from scorecard.api import tokens
from scorecard.notify import outbox
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

    st.subheader("Privacy")
    values["private_links"] = st.checkbox(
        "Private rep links: a scorecard opens only from the rep's own link",
        current.private_links,
        key="s_private_links",
        help="Each rep gets a link with a signed token (copy or renew it on the Roster page). Without it the "
        "scorecard page shows nothing, not even the list of names. Team pages are not affected.",
    )
    slot("private_links")
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


def _backup_section() -> None:
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
            result = backup.restore(store, uploaded.getvalue(), now_utc=datetime.now(UTC))
        except backup.RestoreRefused as exc:
            restore_error.error(ui.escape_md(exc))
        else:
            kept = f" The previous database was kept as {result.previous_copy.name}." if result.previous_copy else ""
            st.session_state[FLASH] = ui.escape_md(
                f"Restored: {result.reps} reps and {result.events:,} events.{kept}"
            )
            st.session_state.pop("restore_confirm", None)
            st.rerun()


unavailable = backup.unavailable_reason(store)
if unavailable:
    st.info(unavailable)
else:
    _backup_section()


# -- the HTTP API, CRM webhooks, digests and alerts (docs/api.md, docs/digests.md) -------------------
TOKEN_SHOWN = "settings_new_token"


def _api_tokens_section() -> None:
    st.subheader("API tokens")
    st.caption("For the HTTP API (docs/api.md). A token is shown once, when it is created; only a hash is kept.")
    new = st.session_state.pop(TOKEN_SHOWN, None)
    if new:
        st.success(f"Token {ui.escape_md(new['name'])} created. Copy it now: it is not shown again.")
        st.code(new["token"], language=None)
    with st.form("api_token_create", clear_on_submit=True):
        left, middle, right = st.columns([2, 2, 1])
        name = left.text_input("Name (who uses it)", key="api_token_name", placeholder="crm-sync")
        scopes = middle.multiselect("Scopes", list(tokens.SCOPES), default=["events:write"], key="api_token_scopes")
        rate = right.number_input("Requests a minute", min_value=1, value=tokens.DEFAULT_RATE_PER_MINUTE, key="api_token_rate")
        if st.form_submit_button("Create token"):
            try:
                created = tokens.create_token(store, name, tuple(scopes), rate_per_minute=int(rate))
            except tokens.TokenError as exc:
                st.error(ui.escape_md(exc))
            else:
                st.session_state[TOKEN_SHOWN] = {"name": created.token.name, "token": created.plain}
                st.rerun()
    live = tokens.list_tokens(store)
    if not live:
        st.caption("No tokens yet.")
        return
    st.dataframe(
        [
            {"name": t.name, "scopes": ", ".join(t.scopes), "per minute": t.rate_per_minute,
             "created (UTC)": t.created_at, "last write (UTC)": t.last_used_at}
            for t in live
        ],
        hide_index=True,
    )  # fmt: skip
    left, right = st.columns([3, 1])
    doomed = left.selectbox("Revoke a token", [t.name for t in live], index=None, key="api_token_revoke")
    if right.button("Revoke", disabled=doomed is None, key="api_token_revoke_go") and doomed is not None:
        tokens.revoke_token(store, doomed)
        st.session_state[FLASH] = ui.escape_md(f"Token {doomed} revoked: it stops working at once.")
        st.rerun()


def _secret_input(label: str, name: str, current: integrations.Integrations) -> str:
    shown = integrations.masked(getattr(current, name))
    return st.text_input(f"{label} ({shown})", type="password", key=f"int_{name}", help="Leave empty to keep what is set.")


def _save_integrations(values: dict[str, object], clear: list[str], message: str) -> None:
    try:
        integrations.update_integrations(store, values, clear=clear)
    except integrations.InvalidIntegration as exc:
        st.error("Nothing was saved: " + ui.escape_md("; ".join(f"{k}: {v}" for k, v in exc.errors.items())))
    else:
        # A saved secret must not stay in its field: only "set · ends …" is ever shown back.
        for name in integrations.SECRETS:
            st.session_state.pop(f"int_{name}", None)
        st.session_state[FLASH] = message
        st.rerun()


def _webhooks_section() -> None:
    current = integrations.load_integrations(store)
    st.subheader("CRM webhooks")
    st.caption("Each CRM's own check protects its endpoint (docs/api.md). Secrets are never shown again once saved.")
    with st.form("webhook_settings"):
        values: dict[str, object] = {}
        values["public_url"] = st.text_input("This server's public address (HubSpot signs it)", current.public_url or "", key="int_public_url")
        values["hubspot_client_secret"] = _secret_input("HubSpot app client secret", "hubspot_client_secret", current)
        left, right = st.columns(2)
        values["pipedrive_user"] = left.text_input("Pipedrive basic auth user", current.pipedrive_user or "", key="int_pipedrive_user")
        with right:
            values["pipedrive_password"] = _secret_input("Pipedrive basic auth password", "pipedrive_password", current)
        left, right = st.columns(2)
        values["salesforce_org_id"] = left.text_input("Salesforce organization id", current.salesforce_org_id or "", key="int_salesforce_org_id")
        with right:
            values["salesforce_endpoint_key"] = _secret_input("Outbound Message URL key", "salesforce_endpoint_key", current)
        values["salesforce_flow_secret"] = _secret_input("Salesforce Flow secret header", "salesforce_flow_secret", current)
        values["currency_code"] = st.text_input("Team currency code (amounts in others are rejected)", current.currency_code or "", key="int_currency_code")
        secrets = ["hubspot_client_secret", "pipedrive_password", "salesforce_endpoint_key", "salesforce_flow_secret"]
        clear = st.multiselect("Remove these secrets", secrets, key="int_webhook_clear")
        if st.form_submit_button("Save webhook settings"):
            _save_integrations(values, clear, "Webhook settings saved.")


def _channels_section() -> None:
    current = integrations.load_integrations(store)
    st.subheader("Digests and alerts")
    st.caption("Reps' morning digests by email; the stand-up summary and contests to the team channel; red flags to the manager only (docs/digests.md).")
    with st.form("channel_settings"):
        values: dict[str, object] = {}
        values["digests_enabled"] = st.checkbox("Send digests and alerts", current.digests_enabled, key="int_digests_enabled")
        left, right = st.columns(2)
        with left:
            values["slack_webhook_url"] = _secret_input("Slack-compatible webhook URL", "slack_webhook_url", current)
        with right:
            values["teams_webhook_url"] = _secret_input("Teams webhook URL", "teams_webhook_url", current)
        left, middle, right = st.columns([3, 1, 1])
        values["smtp_host"] = left.text_input("SMTP host", current.smtp_host or "", key="int_smtp_host")
        values["smtp_port"] = middle.number_input("Port", 1, 65535, current.smtp_port, key="int_smtp_port")
        values["smtp_security"] = right.selectbox(
            "Security", list(integrations.SECURITY), index=list(integrations.SECURITY).index(current.smtp_security), key="int_smtp_security"
        )
        left, right = st.columns(2)
        values["smtp_user"] = left.text_input("SMTP user", current.smtp_user or "", key="int_smtp_user")
        with right:
            values["smtp_password"] = _secret_input("SMTP password", "smtp_password", current)
        left, right = st.columns(2)
        values["smtp_from"] = left.text_input("From address", current.smtp_from or "", key="int_smtp_from")
        values["manager_email"] = right.text_input("Manager's email (stand-up, red flags)", current.manager_email or "", key="int_manager_email")
        values["app_url"] = st.text_input("The app's address, for links in digests", current.app_url or "", key="int_app_url")
        left, middle, right = st.columns(3)
        values["digest_time"] = left.time_input("Reps' digest at", current.digest_time, key="int_digest_time", step=900)
        values["standup_time"] = middle.time_input("Stand-up summary at", current.standup_time, key="int_standup_time", step=900)
        values["standings_time"] = right.time_input("Contest standings at", current.standings_time, key="int_standings_time", step=900)
        secrets = ["slack_webhook_url", "teams_webhook_url", "smtp_password"]
        clear = st.multiselect("Remove these secrets", secrets, key="int_channel_clear")
        if st.form_submit_button("Save channels"):
            _save_integrations(values, clear, "Channels saved.")
    if st.button("Send a test message", key="int_send_test"):
        for channel, result in outbox.send_test(store).items():
            if result == "sent":
                st.success(ui.escape_md(f"{channel}: sent"))
            else:
                st.error(ui.escape_md(f"{channel}: {result}"))


def _deliveries_section() -> None:
    rows = outbox.recent_deliveries(store)
    if not rows:
        return
    failing = [r for r in rows if r["status"] != "sent"]
    if failing:
        st.warning(f"{len(failing)} message(s) not delivered yet: retried with backoff, or given up (failed). See the reasons below.")
    st.dataframe(rows, hide_index=True)


st.divider()
_api_tokens_section()
st.divider()
_webhooks_section()
st.divider()
_channels_section()
_deliveries_section()
