"""Goals: each rep's weekly goals, quotas, and goals worked backwards from quota."""

from __future__ import annotations

from datetime import date

import polars as pl
import streamlit as st

from scorecard import admin, admin_goals, funnel, imports, ui
from scorecard.calendar import week_of
from scorecard.catalog import load_catalog
from scorecard.goals import QUOTA_PERIODS
from scorecard.settings import load_settings

ui.page_header(
    "Goals",
    "Each rep's own weekly goals. Every change is effective-dated: weeks that ended before it keep their goals.",
)
ui.require_manager()

store = ui.get_store()
ui.live(store)
settings = load_settings(store)
catalog = load_catalog(store)
as_of, _ = ui.query_as_of(settings)
FLASH = "goals_flash"


def _done(message: str) -> None:
    """Show `message` after a rerun; pending grid edits are dropped, the grids refill from the database."""
    for key in ("goal_grid", "quota_grid"):
        st.session_state.pop(key, None)
    st.session_state[FLASH] = message
    st.rerun()


def _rejected(exc: imports.ImportRejected) -> None:
    st.error(f"{exc.kind} import rejected: nothing was written. Fix the rows below and import again.")
    st.code("\n".join(str(e) for e in exc.errors) + "\n" + exc.hint, language=None)


def _field_errors(exc: admin.InvalidInput) -> None:
    st.error("Nothing was saved. " + " · ".join(f"{ui.escape_md(k)}: {ui.escape_md(v)}" for k, v in exc.errors.items()))


if FLASH in st.session_state:
    st.success(st.session_state.pop(FLASH))

effective: date = st.date_input(
    "Changes take effect from",
    value=week_of(as_of.date(), settings.week_start).start,
    key="effective_from",
    help="Defaults to the start of this week, so a change counts for the week in progress.",
)
period_end = week_of(effective, settings.week_start).end
tab_goals, tab_derived, tab_quotas = st.tabs(["Weekly goals", "From quota", "Quotas"])

with tab_goals:
    grid = admin_goals.goal_grid(store, catalog, period_end)
    metrics = admin_goals.goal_metrics(catalog)
    if grid.is_empty():
        st.info("No active reps yet. They appear with the first upload.")
    else:
        st.caption(
            "Goals in force for the week of "
            f"{week_of(effective, settings.week_start).start:%b %d}. Empty = no goal. Lead measures first; "
            "calls and dials are tracked but rarely deserve a goal."
        )
        edited = st.data_editor(
            grid,
            key="goal_grid",
            hide_index=True,
            width="stretch",
            disabled=list(admin_goals.REP_COLUMNS),
            column_order=["name", "team", *metrics],
            column_config={
                "name": "Rep",
                "team": "Team",
                **{
                    m: st.column_config.NumberColumn(catalog.metrics[m].label, min_value=0.0, step=0.5, format="%g")
                    for m in metrics
                },
            },
        )
        if st.button("Save goals", type="primary", key="save_goals"):
            try:
                changed = admin_goals.save_goal_grid(store, catalog, grid, edited, effective)
            except admin.InvalidInput as exc:
                _field_errors(exc)
            else:
                _done(f"{changed} goal(s) changed from {effective:%b %d, %Y}." if changed else "No goal was changed.")
        st.download_button(
            "Download goals (CSV)",
            admin_goals.goals_csv(store, catalog, period_end),
            file_name=f"goals-{effective:%Y-%m-%d}.csv",
            mime="text/csv",
            on_click="ignore",
        )
    upload = st.file_uploader("Import goals (CSV)", type=["csv"], key="goals_csv", help=imports.GOALS_HINT)
    if upload is not None and st.button("Import goals", key="import_goals"):
        try:
            result = imports.import_goals_csv(store, upload.getvalue(), today=as_of.date())
        except imports.ImportRejected as exc:
            _rejected(exc)
        else:
            _done(f"Goals imported: {result.rows_written} written from {result.rows_read} rows.")

with tab_derived:
    derived = ui.cached(store, funnel.derive_goals, as_of)
    side = ui.cached(store, funnel.current_vs_derived, as_of)
    st.caption(
        "Worked backwards from each rep's quota through their own conversion rates (shrunk toward the team's when "
        "they have little history). Nothing changes until you accept."
    )
    if side.is_empty():
        st.info("No active reps yet.")
    else:
        def _goal(value: float | None) -> str:
            return ui.fmt_number(value, decimals=1)

        compare = pl.DataFrame(
            [
                (r["name"], r["label"], f"{_goal(r['current_goal'])} → {_goal(r['derived_goal'])}")
                for r in side.iter_rows(named=True)
            ],
            schema={"Rep": pl.String, "label": pl.String, "now → derived": pl.String},
            orient="row",
        ).pivot(on="label", index="Rep", values="now → derived")
        st.dataframe(compare, hide_index=True, width="stretch")
        st.caption("Accepting sets the lead measures; deals won are shown for the arithmetic, a result is not a goal.")
        coverage = pl.DataFrame(
            [
                (
                    d.name,
                    d.required_coverage,
                    funnel.BLANKET_COVERAGE,
                    funnel.coverage_words(d.required_coverage) if d.required_coverage else "no win rate yet",
                )
                for d in derived
            ],
            schema={"Rep": pl.String, "Coverage needed": pl.Float64, "Blanket": pl.Float64, "Against 3×": pl.String},
            orient="row",
        )
        st.dataframe(
            coverage,
            hide_index=True,
            width="stretch",
            column_config={
                "Coverage needed": st.column_config.NumberColumn(format="%.1f×"),
                "Blanket": st.column_config.NumberColumn(format="%.0f×"),
            },
        )
        ready = [d for d in derived if d.derivable]
        if st.button(f"Accept all derived goals ({len(ready)} reps)", disabled=not ready, type="primary", key="accept_all"):
            written = funnel.accept_derived(store, ready, effective_from=effective)
            _done(f"Accepted {written} derived goals for {len(ready)} reps from {effective:%b %d, %Y}.")
        for d in derived:
            with st.expander(f"{ui.escape_md(d.name)}: " + ("derived goals ready" if d.derivable else "cannot derive yet")):
                for line in d.explanation + d.notes:
                    st.text(line)
                if d.derivable and st.button("Accept for this rep", key=f"accept_{d.rep_id}"):
                    written = funnel.accept_derived(store, [d], rep_ids=[d.rep_id], effective_from=effective)
                    _done(f"Accepted {written} derived goals for {ui.escape_md(d.name)} from {effective:%b %d, %Y}.")

with tab_quotas:
    quotas = admin_goals.quota_grid(store, effective)
    if not quotas.is_empty():
        st.caption("Quota in force on the effective date: revenue per month or quarter. Goals are derived from it.")
        edited_quotas = st.data_editor(
            quotas,
            key="quota_grid",
            hide_index=True,
            width="stretch",
            disabled=[*admin_goals.REP_COLUMNS, "effective_from"],
            column_order=["name", "team", "amount", "period", "effective_from"],
            column_config={
                "name": "Rep",
                "team": "Team",
                "amount": st.column_config.NumberColumn(f"Quota ({settings.currency})", min_value=0.0, format="%.0f"),
                "period": st.column_config.SelectboxColumn("Per", options=list(QUOTA_PERIODS)),
                "effective_from": st.column_config.DateColumn("Since"),
            },
        )
        if st.button("Save quotas", type="primary", key="save_quotas"):
            try:
                changed = admin_goals.save_quota_grid(store, quotas, edited_quotas, effective)
            except admin.InvalidInput as exc:
                _field_errors(exc)
            else:
                _done(f"{changed} quota(s) changed from {effective:%b %d, %Y}." if changed else "No quota was changed.")
    quota_upload = st.file_uploader("Import quotas (CSV)", type=["csv"], key="quotas_csv", help=imports.QUOTAS_HINT)
    if quota_upload is not None and st.button("Import quotas", key="import_quotas"):
        try:
            result = imports.import_quotas_csv(store, quota_upload.getvalue(), today=as_of.date())
        except imports.ImportRejected as exc:
            _rejected(exc)
        else:
            _done(f"Quotas imported: {result.rows_written} written from {result.rows_read} rows.")
