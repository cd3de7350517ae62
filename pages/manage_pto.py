"""PTO: a month calendar per rep, add or remove days, upcoming time off, CSV import."""

from __future__ import annotations

from datetime import date

import streamlit as st

from scorecard import admin, admin_goals, coaching, imports, ui
from scorecard.roster import list_reps
from scorecard.settings import load_settings

ui.page_header(
    "PTO",
    "Days off shrink a rep's working time, so their goal and pace are prorated: a rep on PTO is never counted behind.",
)
ui.require_manager()

store = ui.get_store()
ui.live(store)
settings = load_settings(store)
as_of, _ = ui.query_as_of(settings)
today = as_of.date()
FLASH = "pto_flash"

if FLASH in st.session_state:
    st.success(st.session_state.pop(FLASH))


def _done(message: str) -> None:
    st.session_state[FLASH] = message
    st.rerun()


reps = list_reps(store)
if reps.is_empty():
    st.info("No active reps yet. They appear with the first upload.")
    st.stop()
names = {int(r["rep_id"]): str(r["display_name"]) for r in reps.iter_rows(named=True)}
# Managers who do not sell are off the active roster, but their PTO prorates their own goals.
everyone = coaching.people(store)
names.update({m: f"{everyone[m].display_name} (manager)" for m in sorted(set(coaching.managers(store).values())) if m not in names})

left, right = st.columns([1, 2])
with left:
    rep_id = st.selectbox("Rep", list(names), format_func=names.__getitem__, key="pto_rep")
    days = st.date_input("Days off (first and last)", value=(today, today), key="pto_range", format="YYYY-MM-DD")
    range_error = st.empty()
    add, remove = st.columns(2)
    start, end = (days[0], days[-1]) if isinstance(days, tuple) and days else (today, today)
    if add.button("Add PTO", type="primary", key="pto_add"):
        try:
            added = admin_goals.add_pto_range(store, settings, rep_id, start, end)
        except admin.InvalidInput as exc:
            range_error.error(" ".join(exc.errors.values()))
        else:
            _done(f"{added} working day(s) of PTO from {start} to {end} for {ui.escape_md(names[rep_id])}.")
    if remove.button("Remove PTO", key="pto_remove"):
        try:
            removed = admin_goals.remove_pto_range(store, rep_id, start, end)
        except admin.InvalidInput as exc:
            range_error.error(" ".join(exc.errors.values()))
        else:
            _done(f"Removed {removed} PTO day(s) between {start} and {end} for {ui.escape_md(names[rep_id])}.")
    st.caption("Weekends and team holidays need no PTO: only working days are added.")

with right:
    shown: date = st.date_input("Month", value=today.replace(day=1), key="pto_month", format="YYYY-MM-DD")
    month = admin_goals.pto_month(store, settings, rep_id, shown)
    st.markdown(f"**{month.title}** · 🌴 PTO ({month.pto_days} days) · 🎉 holiday · · not a working day")
    st.dataframe(month.grid, hide_index=True, width="stretch")
    for day, name in sorted(month.holidays.items()):
        st.caption(f"🎉 {day:%a %b %d}: {ui.escape_md(name)}")

st.subheader("Upcoming PTO")
upcoming = admin_goals.upcoming_pto(store, today)
if upcoming.is_empty():
    st.caption("Nobody has PTO booked from today on.")
else:
    st.dataframe(
        upcoming.drop("slug"),
        hide_index=True,
        width="stretch",
        column_config={"name": "Rep", "start": "From", "end": "To", "days": "Days"},
    )

st.subheader("Import PTO (CSV)")
upload = st.file_uploader("PTO file", type=["csv"], key="pto_csv", help=imports.PTO_HINT)
st.caption(imports.PTO_HINT)
if upload is not None and st.button("Import PTO", key="pto_import"):
    try:
        result = imports.import_pto_csv(store, upload.getvalue())
    except imports.ImportRejected as exc:
        st.error("PTO import rejected: nothing was written. Fix the rows below and import again.")
        st.code("\n".join(str(e) for e in exc.errors) + "\n" + exc.hint, language=None)
    else:
        _done(f"PTO imported: {result.rows_written} day(s) from {result.rows_read} rows.")
