"""Upload: weekly CRM exports in, with a preview, a mapping step, a summary, history and undo."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import polars as pl
import streamlit as st

from scorecard import demo, ingest, ui
from scorecard.ingest import FileRejected, IngestOptions

NO_COLUMN = "(not in this file)"
DATE_ORDERS = {"dayfirst": "Day first (31/12/2026)", "monthfirst": "Month first (12/31/2026)"}
DECIMAL_MARKS = {"comma": "Decimal comma (1.234,50)", "point": "Decimal point (1,234.50)"}
HISTORY_COLUMNS: dict[str, str | st.column_config.Column] = {
    "id": st.column_config.NumberColumn("Batch", width="small"),
    "file": st.column_config.TextColumn("File", width="medium"),
    "status": "Status",
    "uploaded_at": st.column_config.DatetimeColumn("Uploaded (UTC)", format="YYYY-MM-DD HH:mm"),
    "source": "From",
    "layout": "Layout",
    "rows_read": "Rows read",
    "rows_added": "Added",
    "rows_duplicate": "Already present",
    "rows_corrected": "Corrected",
    "rows_rejected": "Rejected",
    "new_reps": st.column_config.ListColumn("New reps"),
    "data_from": st.column_config.DatetimeColumn("Data from", format="YYYY-MM-DD"),
    "data_to": st.column_config.DatetimeColumn("Data to", format="YYYY-MM-DD"),
    "record_source": "Source",
    "notes": st.column_config.ListColumn("Notes"),
}
FIELD_HELP = {
    "rep": "Who did it (name, email or owner)",
    "occurred_at": "When it happened",
    "type": "Activity type (Call, Meeting …)",
    "outcome": "Call outcome / result",
    "subject": "Subject (used when the type is blank)",
    "amount": "Deal amount",
    "record_id": "The export's own record id",
}

ui.ensure_router()
ui.page_header("Upload exports", "Weekly CSV or Excel exports from the CRM. Re-uploading the same rows adds nothing twice.")
ui.require_manager()

store = ui.get_store()
ui.live(store)
ui.freshness_line(store)


def _field_label(field: str) -> str:
    return FIELD_HELP.get(field, field.replace("_", " ").capitalize())


def _mapping_overrides(key: str, columns: list[str], detected: dict[str, str]) -> dict[str, str]:
    """Selectboxes pre-filled with the detected column for every field; returns the changed ones."""
    overrides: dict[str, str] = {}
    options = [NO_COLUMN, *columns]
    cols = st.columns(3)
    for i, field in enumerate(ingest.FIELDS):
        current = detected.get(field)
        chosen = cols[i % 3].selectbox(
            _field_label(field),
            options,
            index=options.index(current) if current in options else 0,
            key=f"map:{key}:{field}",
        )
        if chosen != NO_COLUMN and chosen != current:
            overrides[field] = chosen
    return overrides


def _date_order(key: str, preview_needs: bool, detected: str | None) -> str | None:
    if not preview_needs:
        return None
    choice = st.radio(
        "Every date in this file reads both ways. Which order does it use?",
        list(DATE_ORDERS),
        format_func=DATE_ORDERS.__getitem__,
        index=None if detected is None else list(DATE_ORDERS).index(detected),
        horizontal=True,
        key=f"order:{key}",
    )
    return choice


def _decimal_mark(key: str, examples: list[str]) -> str | None:
    st.caption("Amounts such as " + ", ".join(repr(e) for e in examples[:3]) + " mean different numbers depending on the decimal mark.")
    choice: str | None = st.radio(
        "Every amount in this file reads both ways. Which decimal mark does it use?",
        list(DECIMAL_MARKS),
        format_func=DECIMAL_MARKS.__getitem__,
        index=None,
        horizontal=True,
        key=f"decimal:{key}",
    )
    return choice


def _source_name(key: str, default: str) -> str | None:
    """Asked only after an import was refused because the sheet's record ids clash with another sheet's."""
    st.warning("Name this sheet's source: the same name each time you upload this sheet keeps its rows apart from other sheets.")
    same = st.checkbox(
        "It is the same sheet as before; the reps of those records were corrected", key=f"same_source:{key}"
    )
    if same:
        return default
    name = st.text_input("Source name (for example the team or the sheet's name)", key=f"source:{key}").strip()
    return name or None


REJECTS_SHOWN = 50  # the download has them all


def _show_result(result: ingest.IngestResult) -> None:
    st.success(
        f"Imported as batch {result.batch_id}: {result.rows_added:,} added · "
        f"{result.rows_duplicate:,} already present · {result.rows_rejected:,} rejected"
        + (f" · {result.rows_corrected:,} corrected" if result.rows_corrected else "")
        + (f" · {result.rows_outdated:,} older than a correction (not applied)" if result.rows_outdated else "")
        + (f" · {result.rows_skipped:,} footer/blank lines skipped" if result.rows_skipped else "")
    )
    cols = st.columns(4)
    cols[0].metric("Added", f"{result.rows_added:,}")
    cols[1].metric("Already present", f"{result.rows_duplicate:,}")
    cols[2].metric("Rejected", f"{result.rows_rejected:,}")
    cols[3].metric("New reps", f"{len(result.new_reps):,}")
    if result.new_reps:
        st.caption("New reps created (edit them on the Roster page):")
        st.text(", ".join(result.new_reps))
    if result.merge_proposals:
        st.warning("Possibly the same person under two spellings; if so, merge them on the Roster page:")
        st.text("\n".join(p.text() for p in result.merge_proposals))
    other_notes = [n for n in result.notes if not n.startswith("new rep ")]
    if other_notes:
        st.caption("Notes:")
        st.text("\n".join(other_notes))
    if result.unmapped_labels:
        st.caption("Labels that count toward no metric yet (kept; map them on the Mapping page):")
        st.dataframe(_label_counts(result.unmapped_labels), hide_index=True)
    if result.rows_rejected:
        rejects = ingest.batch_rejects(store, result.batch_id)
        st.caption("Rejected rows (kept with the upload; fix them in the export and upload it again):")
        st.dataframe(
            rejects.select("line_no", "column", "reason").head(REJECTS_SHOWN),
            hide_index=True,
            column_config={"line_no": "Line", "column": "Column", "reason": "Why"},
        )
        noun = "row" if result.rows_rejected == 1 else "rows"
        st.download_button(
            f"Download the {result.rows_rejected:,} rejected {noun} (CSV)",
            ingest.csv_safe(rejects),
            file_name=f"rejected-batch-{result.batch_id}.csv",
            mime="text/csv",
            key=f"rejects:{result.batch_id}",
        )


def _label_counts(labels: dict[str, int]) -> pl.DataFrame:
    return pl.DataFrame({"label": list(labels), "rows": list(labels.values())}).sort("rows", descending=True)


def _import(key: str, name: str, data: bytes, options: IngestOptions) -> None:
    bar = st.progress(0.0, text=f"Importing {ui.escape_md(name)} …")

    def progress(fraction: float, message: str) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=ui.escape_md(message))

    try:
        result = ingest.ingest_bytes(store, name, data, options, progress=progress)
    except FileRejected as exc:
        bar.empty()
        st.session_state[f"error:{key}"] = f"{exc.file_name}: {exc.message}"
        if isinstance(exc, ingest.AmbiguousSource):
            st.session_state[f"source_needed:{key}"] = exc.source
        return
    bar.empty()
    st.session_state[f"result:{key}"] = result


def _one_file(uploaded: st.runtime.uploaded_file_manager.UploadedFile) -> None:
    data = uploaded.getvalue()
    key = uploaded.file_id  # one per drop: dropping the same file again previews (and imports) it afresh
    with st.container(border=True):
        st.text(f"{uploaded.name}  ({len(data):,} bytes)")
        result = st.session_state.get(f"result:{key}")
        if result is not None:
            _show_result(result)
            return
        error = st.session_state.pop(f"error:{key}", None)
        if error:
            st.error(f"Nothing was imported. {ui.escape_md(error)}")
        base = IngestOptions(source="upload")
        try:
            first = ingest.preview_file(uploaded.name, data, base, store=store)
        except FileRejected as exc:
            if not isinstance(exc, ingest.AmbiguousDates):
                st.error(f"{ui.escape_md(exc.file_name)} cannot be imported; nothing was written. {ui.escape_md(exc.message)}")
                return
            first = None
        needs_order = first is None or first.needs_date_order
        order = _date_order(key, needs_order, None if first is None else first.date_order)
        if needs_order and order is None:
            st.warning("Choose the date order above; the file is imported only once the dates are unambiguous.")
            if first is not None:
                st.dataframe(first.preview, hide_index=True, height=200)
            return
        with st.expander("Column mapping (detected; change any field that is wrong)", expanded=False):
            detected = first.column_map if first is not None else {}
            columns = first.columns if first is not None else []
            overrides = _mapping_overrides(key, columns, detected) if first is not None else {}
        options = IngestOptions(column_map=overrides, date_order=order, source="upload")  # type: ignore[arg-type]
        try:
            preview = ingest.preview_file(uploaded.name, data, options, store=store) if (overrides or order or first is None) else first
            if preview.needs_decimal_mark:
                mark = _decimal_mark(key, preview.amount_examples)
                if mark is None:
                    st.warning("Choose the decimal mark above; the file is imported only once its amounts are unambiguous.")
                    st.dataframe(preview.preview, hide_index=True, height=200)
                    return
                options = replace(options, decimal_mark=mark)  # type: ignore[arg-type]
                preview = ingest.preview_file(uploaded.name, data, options, store=store)
        except FileRejected as exc:
            st.error(f"{ui.escape_md(exc.file_name)} cannot be imported as mapped; nothing was written. {ui.escape_md(exc.message)}")
            return
        clash = st.session_state.get(f"source_needed:{key}")
        if clash is not None:
            named = _source_name(key, clash)
            if named is None:
                return
            try:
                options = replace(options, source_name=named)
            except ValueError as exc:  # the name itself is not usable: say why, import nothing
                st.error(ui.escape_md(exc))
                return
        assert preview is not None
        st.caption(
            f"Detected layout: {ui.escape_md(preview.layout)} · {preview.rows:,} data rows"
            + (f" · record ids of source {ui.escape_md(options.source_name or preview.record_source)}" if preview.record_source else "")
        )
        for warning in preview.warnings:
            st.warning(ui.escape_md(warning))
        st.dataframe(preview.preview, hide_index=True, height=240)
        if preview.rejects.height:
            noun = "row" if preview.rejects.height == 1 else "rows"
            st.warning(
                f"{preview.rejects.height:,} {noun} cannot be read and will be rejected; the others import. "
                "Fix them in the export first, or import now and download them afterwards."
            )
            st.dataframe(
                preview.rejects.head(REJECTS_SHOWN),
                hide_index=True,
                column_config={"line_no": "Line", "column": "Column", "reason": "Why"},
            )
        if preview.unmapped_labels:
            st.caption("Labels that count toward no metric (kept and counted; map them later on the Mapping page):")
            st.dataframe(_label_counts(preview.unmapped_labels), hide_index=True, height=160)
        if st.button(f"Import {preview.rows:,} rows", type="primary", key=f"import:{key}"):
            _import(key, uploaded.name, data, options)
            st.rerun()


def _history() -> None:
    st.subheader("Upload history")
    batches = ingest.list_batches(store)
    if batches.is_empty():
        st.caption("No uploads yet.")
        return
    shown = [c for c in HISTORY_COLUMNS if c in batches.columns]
    st.dataframe(
        batches.select(shown),
        hide_index=True,
        height=min(420, 38 + 35 * batches.height),
        column_config={c: HISTORY_COLUMNS[c] for c in shown},
    )
    live_batches = batches.filter(pl.col("status") == "live")
    if live_batches.is_empty():
        return
    st.caption("Undo removes a batch's rows (an event another live batch also carried stays).")
    choices = live_batches["id"].to_list()
    files = dict(zip(live_batches["id"].to_list(), live_batches["file"].to_list(), strict=True))
    cols = st.columns([3, 1])
    chosen = cols[0].selectbox(
        "Batch to undo", choices, format_func=lambda b: f"#{b} · {files[b]}", key="undo_choice", label_visibility="collapsed"
    )
    if cols[1].button("Undo…", key="undo_ask"):
        st.session_state["undo_confirm"] = chosen
    pending = st.session_state.get("undo_confirm")
    if pending is not None and pending in files:
        st.warning(f"Undo batch #{pending} ({ui.escape_md(files[pending])})? Its rows leave every scorecard.")
        yes, no = st.columns(2)
        if yes.button("Yes, undo it", type="primary", key="undo_yes"):
            outcome = ingest.undo_batch(store, int(pending))
            st.session_state.pop("undo_confirm", None)
            st.session_state["undo_done"] = (
                f"Batch #{outcome.batch_id} undone: {outcome.events_removed:,} rows removed, "
                f"{outcome.events_kept_shared:,} kept because another upload also has them"
                + (f", {outcome.events_restored:,} back to their version before this upload corrected them." if outcome.events_restored else ".")
            )
            st.rerun()
        if no.button("Cancel", key="undo_no"):
            st.session_state.pop("undo_confirm", None)
            st.rerun()


def _demo_offer() -> None:
    """After the first real upload: offer to remove the demo team (one click), and to bring it back."""
    presence = demo.demo_presence(store)
    if presence.removed:
        with st.container(border=True, key="demo-removed"):
            st.caption("The demo team was removed. Changed your mind? Bringing it back restores its uploads and reps.")
            if st.button("Bring the demo team back", key="demo_restore"):
                back = demo.restore_demo(store)
                st.session_state["undo_done"] = f"The demo team is back: {len(back.reps)} reps, {back.events:,} events."
                st.rerun()
        return
    if not demo.offer_removal(store):
        return
    with st.container(border=True, key="demo-offer"):
        st.info(
            f"Your own data is in, beside the demo team ({presence.reps} demo reps). Remove the demo team now? "
            "Its uploads are undone and its reps leave every page; you can bring it back here.",
            icon=":material/cleaning_services:",
        )
        if st.button("Remove the demo team", type="primary", key="demo_remove"):
            gone = demo.remove_demo(store, datetime.now(UTC))
            st.session_state["undo_done"] = (
                f"Demo team removed: {len(gone.batches)} demo uploads undone and {len(gone.reps)} demo reps hidden."
            )
            st.rerun()


done = st.session_state.pop("undo_done", None)
if done:
    st.success(done)
_demo_offer()

uploads = st.file_uploader(
    "Drop exports here (CSV, TXT, TSV or XLSX; several at once)",
    type=["csv", "txt", "tsv", "xlsx"],
    accept_multiple_files=True,
    key="upload_files",
)
for item in uploads or []:
    _one_file(item)

st.divider()
_history()
inbox = ui.inbox_dir()
if inbox is not None:
    st.caption(f"Files can also be dropped into the inbox folder on the server: {ui.escape_md(inbox)}. They are imported within seconds.")
