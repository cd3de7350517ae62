"""Mapping: raw export labels → what they count as. A change re-maps all history at once."""

from __future__ import annotations

import streamlit as st

from scorecard import admin, ui
from scorecard.catalog import ACTIVITY_CLASSES, OUTCOME_CLASSES, load_catalog

ui.page_header(
    "Label mapping",
    "What each activity type and call outcome in your exports counts as. Raw values are kept, so a change "
    "re-maps all history at once, without a re-upload.",
)
ui.require_manager()

store = ui.get_store()
ui.live(store)
catalog = load_catalog(store)
FLASH = "mapping_flash"
TARGETS = {"activity": ACTIVITY_CLASSES, "outcome": OUTCOME_CLASSES}
KIND_TEXT = {"activity": "Activity types", "outcome": "Call outcomes"}

if FLASH in st.session_state:
    st.success(st.session_state.pop(FLASH))


def _describe(change: admin.MappingChange) -> str:
    moved = f"{change.events_moved:,} of {change.events_with_label:,} events with this label now count differently"
    deltas = ", ".join(
        f"{catalog.metrics[m].label if m in catalog.metrics else m} {d:+,.0f}" for m, d in change.metric_changes.items()
    )
    return f"{change.old_target or 'unmapped'} → {change.new_target or 'unmapped'}: {moved}" + (f" ({deltas})." if deltas else ".")


counts = admin.label_counts(store)
if counts.is_empty():
    st.info("No events yet. Labels appear here with the first upload.")
    st.stop()

unmapped = counts.filter(counts["source"] == "unmapped")
if not unmapped.is_empty():
    st.warning(
        f"{len(unmapped)} label(s) on {int(unmapped['events'].sum()):,} events count toward no metric yet. "
        "They are listed first: map them, or map them to 'none' if they should not count."
    )

for kind in ("activity", "outcome"):
    st.subheader(KIND_TEXT[kind])
    if kind == "outcome":
        st.caption("Outcomes only matter for calls: a call with a 'connect' outcome is also a conversation.")
    rows = counts.filter(counts["kind"] == kind)
    if rows.is_empty():
        st.caption("None in the data yet.")
        continue
    st.dataframe(
        rows.drop("kind") if kind == "activity" else rows.drop("kind", "metrics"),
        hide_index=True,
        width="stretch",
        column_config={
            "label": "Label in the export",
            "events": st.column_config.NumberColumn("Events", format="%d"),
            "target": "Counts as",
            "shipped_target": "Shipped default",
            "source": "Mapping",
            "metrics": "Counts toward",
        },
    )
    labels = [label for label in rows["label"].to_list() if label]
    if not labels:
        continue
    by_label = {r["label"]: r for r in rows.iter_rows(named=True)}
    with st.form(f"map_{kind}"):
        left, right = st.columns(2)
        label = left.selectbox(
            "Label",
            labels,
            key=f"map_{kind}_label",
            format_func=lambda value, rows_=by_label: f"{value} ({rows_[value]['events']:,} events, {rows_[value]['source']})",
        )
        target = right.selectbox("Counts as", TARGETS[kind], key=f"map_{kind}_target")
        error = st.empty()
        apply, reset = st.columns(2)
        do_apply = apply.form_submit_button("Apply mapping", type="primary")
        do_reset = reset.form_submit_button("Reset to shipped default")
    if do_apply or do_reset:
        try:
            change = (
                admin.set_label_target(store, kind, label, target) if do_apply else admin.clear_label_target(store, kind, label)
            )
        except admin.InvalidInput as exc:
            error.error(ui.escape_md(" ".join(exc.errors.values())))
        else:
            st.session_state[FLASH] = ui.escape_md(f"'{change.label}': " + _describe(change))
            st.rerun()
