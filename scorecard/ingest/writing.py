"""The write of one upload: reps, batch, events (new, corrected, already stored), links, rejects, rollups.

Everything happens in one transaction (docs/identity.md has the rules in
plain words). Each distinct event of the file is planned once, in SQL:

- `same`: stored with these details (or matched a fingerprint): linked only;
- `corrected`: its record is stored with other details: the stored version
  moves to event_versions, this one becomes the event;
- `outdated`: it repeats a version a later upload already corrected: linked
  to that old version, the correction stays;
- `elsewhere`: the same record id with the same details is stored under
  another source (the same sheet uploaded under a new source name): linked;
- `new`: inserted.

Every event the file carries is linked to the batch: undo relies on it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import duckdb
import polars as pl

from scorecard.catalog import Catalog, load_catalog
from scorecard.ingest.errors import AmbiguousSource
from scorecard.ingest.identity import EVENT_COLUMNS, keyed_events_sql
from scorecard.ingest.model import IngestOptions, IngestResult, Prepared, Progress, noop
from scorecard.rollups import mark_touched, refresh_rollups
from scorecard.roster import RepRef, Resolution, resolve_or_create
from scorecard.store import Store, key_as_stored, next_ids, upsert

# The details a record's versions are compared on: a change in any is a correction.
# A stored currency of NULL (none stated, or stored before currencies were kept) matches any.
_SAME = """{a}.rep_id = {b}.rep_id AND {a}.occurred_at = {b}.occurred_at
    AND {a}.raw_type IS NOT DISTINCT FROM {b}.raw_type AND {a}.raw_outcome IS NOT DISTINCT FROM {b}.raw_outcome
    AND {a}.raw_subject IS NOT DISTINCT FROM {b}.raw_subject AND {a}.amount IS NOT DISTINCT FROM {b}.amount
    AND ({a}.currency IS NULL OR {a}.currency IS NOT DISTINCT FROM {b}.currency)"""

# One row per distinct event of the file (its first row), with what is stored under its key.
_PLAN = f"""
CREATE TEMP TABLE _plan AS
SELECT k.ord, k.event_key, k.record_id, k.rep_id, k.line_no,
       e.event_id AS current_id, e.rep_id AS current_rep, e.source AS current_source,
       (e.event_id IS NOT NULL AND k.record_id IS NOT NULL AND NOT ({_SAME.format(a="e", b="k")})) AS changed,
       NULL::BIGINT AS version_id, NULL::BIGINT AS other_id, NULL::VARCHAR AS other_source,
       CASE WHEN e.event_id IS NULL THEN 'new' WHEN changed THEN 'corrected' ELSE 'same' END AS status
FROM {{keyed}} k LEFT JOIN events e ON e.event_key = k.event_key
"""
# A changed record that repeats a version a later upload already replaced.
_OUTDATED = f"""
UPDATE _plan p SET version_id = o.version_id, status = 'outdated' FROM (
    SELECT m.ord, max(v.event_id) AS version_id
    FROM _plan m JOIN _file_events f USING (ord)
    JOIN event_versions v ON v.event_key = m.event_key AND {_SAME.format(a="v", b="f")}
    WHERE m.changed
    GROUP BY m.ord
) o WHERE p.ord = o.ord
"""
# A new record whose id and details are stored under another source: the same sheet under a new name.
_ELSEWHERE = f"""
UPDATE _plan p SET other_id = x.other_id, other_source = x.other_source, status = 'elsewhere' FROM (
    SELECT m.ord, min(e.event_id) AS other_id, arg_min(e.source, e.event_id) AS other_source
    FROM _plan m JOIN _file_events f USING (ord)
    JOIN events e ON e.record_id = m.record_id AND e.source <> ? AND {_SAME.format(a="e", b="f")}
    WHERE m.status = 'new' AND m.record_id IS NOT NULL
    GROUP BY m.ord
) x WHERE p.ord = x.ord
"""


# Runs inside a batch's transaction once the batch row is complete (the API's audit row).
AfterCommit = Callable[[duckdb.DuckDBPyConnection, int], None]


def commit(
    store: Store,
    prepared: Prepared,
    options: IngestOptions,
    catalog: Catalog,
    progress: Progress,
    after: AfterCommit | None = None,
) -> IngestResult:
    """Write one prepared file as one batch; raises AmbiguousSource (writing nothing) for a clash of sheets."""
    layout = prepared.detected.layout
    with store.write() as cur:
        progress(0.55, "matching reps")
        events, resolution = _with_rep_ids(cur, prepared.events)
        batch_id = _insert_batch(cur, prepared, options, layout.name)
        progress(0.6, "finding events already stored")
        # The plan keeps keys and ids only; details are read from the registered file frame when needed.
        cur.register("_file_events", events.drop("rep", "email", "team").with_row_index("ord").to_arrow())
        try:
            _key_and_plan(cur, prepared.record_source, events)
            if not prepared.source_given and layout.crm.lower() == "generic":
                _guard_sheet_clash(cur, prepared)
            progress(0.7, "adding new events")
            counts = _apply(cur, batch_id, prepared.record_source, events.height, "raw_attendees" in events.columns)
        finally:
            cur.unregister("_file_events")
        if prepared.rejects.height:
            cur.register("_file_rejects", prepared.rejects.to_arrow())
            cur.execute("INSERT INTO rejected_rows SELECT ?, line_no, column_name, reason, raw FROM _file_rejects", [batch_id])
            cur.unregister("_file_rejects")
        progress(0.85, "updating daily totals")
        mark_touched(cur, "SELECT rep_id, CAST(occurred_at AS DATE) FROM events WHERE first_batch_id = ?", [batch_id])
        refresh_rollups(cur, catalog, touched=True)
        matched = _matched_sources(cur, prepared.record_source)
        cur.execute("DROP TABLE IF EXISTS _plan")
        data_from, data_to = _span(events["occurred_at"])
        notes = _notes(prepared, resolution, matched)
        cur.execute(
            "UPDATE batches SET rows_added = ?, rows_duplicate = ?, rows_rejected = ?, new_reps = ?, data_from = ?, "
            "data_to = ?, rows_corrected = ?, rows_outdated = ?, notes = ? WHERE batch_id = ?",
            [counts["new"], counts["duplicate"], prepared.rejects.height, resolution.new_reps, data_from, data_to,
             counts["corrected"], counts["outdated"], json.dumps(notes, ensure_ascii=False), batch_id],
        )
        if after is not None:
            after(cur, batch_id)
        progress(0.95, "saving")
    return IngestResult(
        batch_id=batch_id,
        file_name=prepared.file_name,
        layout=layout.name,
        rows_read=prepared.rows_read,
        rows_added=counts["new"],
        rows_duplicate=counts["duplicate"],
        rows_rejected=prepared.rejects.height,
        rows_skipped=prepared.rows_skipped,
        new_reps=resolution.new_reps,
        unmapped_labels=prepared.unmapped_labels,
        data_from=data_from,
        data_to=data_to,
        rows_corrected=counts["corrected"],
        rows_outdated=counts["outdated"],
        record_source=prepared.record_source,
        matched_sources=matched,
        merge_proposals=resolution.merge_proposals,
        notes=notes,
    )



def commit_prepared(
    store: Store, prepared: Prepared, options: IngestOptions, *, after: AfterCommit | None = None
) -> IngestResult:
    """Write a batch prepared outside a file (API and webhook events) exactly as a file's is written."""
    return commit(store, prepared, options, load_catalog(store), noop, after)

def _with_rep_ids(cur: duckdb.DuckDBPyConnection, events: pl.DataFrame) -> tuple[pl.DataFrame, Resolution]:
    refs_frame = events.select("rep", "email", "team").unique(maintain_order=True)
    refs = [RepRef(name=r, email=e, team=t) for r, e, t in refs_frame.iter_rows()]
    resolution = resolve_or_create(cur, refs)
    rep_ids = refs_frame.with_columns(pl.Series("rep_id", [resolution.ids[ref] for ref in refs], dtype=pl.Int32))
    keys = [c for c in ("rep", "email", "team") if events[c].null_count() < events.height]
    if len(keys) == 1:  # the usual export: one name column; a lookup, not a join that copies every column
        lookup = dict(zip(rep_ids[keys[0]].to_list(), rep_ids["rep_id"].to_list(), strict=True))
        events = events.with_columns(rep_id=events[keys[0]].replace_strict(lookup, return_dtype=pl.Int32))
    else:
        events = events.join(rep_ids.select(*keys, "rep_id"), on=keys, how="left", nulls_equal=True)
    # The rep as the export writes it keys rows without a record id (rep ids change when reps are merged).
    return events.with_columns(rep_text=pl.coalesce("rep", "email")), resolution


def _key_and_plan(cur: duckdb.DuckDBPyConnection, source: str, events: pl.DataFrame) -> None:
    """Build `_plan`; the optional steps run only when some row needs them (a re-upload needs neither)."""
    records = events["record_id"]
    sql, slots = keyed_events_sql(
        "_file_events", with_records=records.null_count() < records.len(), with_fingerprints=records.null_count() > 0
    )
    # Fingerprint keys are unique within a file (occurrence numbers), record keys unless an id repeats:
    # only then is the first row of each key picked out.
    if records.drop_nulls().is_duplicated().any():
        sql = f"SELECT * FROM ({sql}) QUALIFY row_number() OVER (PARTITION BY event_key ORDER BY line_no, seq) = 1"
    cur.execute(_PLAN.format(keyed=f"({sql})"), [source for _ in slots])
    changed, unmatched = cur.execute(
        "SELECT count(*) FILTER (changed), count(*) FILTER (status = 'new' AND record_id IS NOT NULL) FROM _plan"
    ).fetchall()[0]
    if changed:
        cur.execute(_OUTDATED)
    if unmatched and cur.execute("SELECT count(*) FROM (SELECT 1 FROM events WHERE source <> ? LIMIT 1)", [source]).fetchall()[0][0]:
        cur.execute(_ELSEWHERE, [source])


def _guard_sheet_clash(cur: duckdb.DuckDBPyConnection, prepared: Prepared) -> None:
    """Refuse a generic sheet whose already-stored record ids mostly belong to other reps.

    A correction moves a record or two to another rep; another sheet numbered
    the same way moves most of them. Guessing would either lose that sheet's
    rows or rewrite the first sheet's, so the manager is asked to name it.
    """
    row = cur.execute(
        "SELECT count(*) FILTER (current_id IS NOT NULL AND record_id IS NOT NULL), "
        "count(*) FILTER (changed AND current_rep <> rep_id) FROM _plan"
    ).fetchall()[0]
    matched, moved = int(row[0]), int(row[1])
    if moved < 2 or 2 * moved <= matched:
        return
    examples = [
        f"id {rid}: stored for {old}, here {new}"
        for rid, old, new in cur.execute(
            """SELECT p.record_id, o.display_name, n.display_name FROM _plan p
               JOIN reps o ON o.rep_id = p.current_rep JOIN reps n ON n.rep_id = p.rep_id
               WHERE p.changed AND p.current_rep <> p.rep_id ORDER BY p.line_no LIMIT 3"""
        ).fetchall()
    ]
    column = prepared.detected.column_map.get("record_id", "id")
    raise AmbiguousSource(prepared.file_name, column, prepared.record_source, examples, moved, matched)


def _apply(
    cur: duckdb.DuckDBPyConnection, batch_id: int, source: str, total: int, with_attendees: bool = False
) -> dict[str, int]:
    """Supersede corrected events, insert new versions and new events, link everything; returns the counts."""
    # Ids come from a high-water mark, never reused after an undo, so old batch links stay unambiguous.
    # Each file row owns id base + ord + 1; rows that turn out to be stored already leave gaps, which is harmless.
    base = int(
        cur.execute(
            "SELECT greatest((SELECT coalesce(max(event_id), 0) FROM events), "
            "(SELECT coalesce(max(event_id), 0) FROM event_versions), "
            "(SELECT coalesce(max(CAST(value AS BIGINT)), 0) FROM meta WHERE key = 'event_id_high'))"
        ).fetchall()[0][0]
    )
    superseded = "SELECT current_id FROM _plan WHERE status = 'corrected'"
    if cur.execute(f"SELECT count(*) FROM ({superseded})").fetchall()[0][0]:  # a DELETE scans events even for nothing
        mark_touched(cur, f"SELECT rep_id, CAST(occurred_at AS DATE) FROM events WHERE event_id IN ({superseded})")
        cur.execute(
            f"INSERT INTO event_versions SELECT {EVENT_COLUMNS}, ? FROM events WHERE event_id IN ({superseded})", [batch_id]
        )
        cur.execute(f"DELETE FROM events WHERE event_id IN ({superseded})")
    cur.execute(
        f"""INSERT INTO events ({EVENT_COLUMNS})
            SELECT ? + p.ord + 1, {key_as_stored(cur, "p.event_key")}, f.rep_id, f.occurred_at, f.raw_type, f.raw_outcome, f.raw_subject,
                   f.activity_label, f.outcome_label, f.amount, f.record_id, ?, f.currency, ?
            FROM _plan p JOIN _file_events f USING (ord) WHERE p.status IN ('new', 'corrected')""",
        [base, batch_id, source],
    )
    if with_attendees:
        # Who else took part, kept as the export wrote it, for the events this upload wrote.
        cur.execute(
            """INSERT INTO event_attendees
               SELECT ? + p.ord + 1, f.raw_attendees FROM _plan p JOIN _file_events f USING (ord)
               WHERE p.status IN ('new', 'corrected') AND f.raw_attendees IS NOT NULL""",
            [base],
        )
    cur.execute(
        """INSERT INTO batch_events
           SELECT DISTINCT ?, CASE status WHEN 'same' THEN current_id WHEN 'outdated' THEN version_id
                                          WHEN 'elsewhere' THEN other_id ELSE ? + ord + 1 END
           FROM _plan""",
        [batch_id, base],
    )
    upsert(cur, "meta", ("key",), {"key": "event_id_high", "value": str(base + total)})
    counts = dict(cur.execute("SELECT status, count(*) FROM _plan GROUP BY status").fetchall())
    out = {k: int(counts.get(k, 0)) for k in ("new", "corrected", "outdated")}
    out["duplicate"] = total - out["new"] - out["corrected"] - out["outdated"]
    return out


def _matched_sources(cur: duckdb.DuckDBPyConnection, source: str) -> dict[str, int]:
    """Other sources whose stored events this file's rows matched, with how many rows."""
    rows = cur.execute(
        """SELECT src, count(*) FROM (
               SELECT CASE WHEN status = 'elsewhere' THEN other_source ELSE current_source END AS src FROM _plan
               WHERE status = 'elsewhere' OR (status = 'same' AND current_source IS NOT NULL AND current_source <> ?))
           GROUP BY src ORDER BY 2 DESC, 1""",
        [source],
    ).fetchall()
    return {str(src): int(n) for src, n in rows}


def _notes(prepared: Prepared, resolution: Resolution, matched: dict[str, int]) -> list[str]:
    notes = list(prepared.warnings)
    for proposal in resolution.merge_proposals:
        notes.append(
            f"new rep {proposal.new_name!r} differs from {proposal.existing_name!r} only by accents, case or punctuation: "
            "if they are the same person, merge them on the Roster page"
        )
    for other, n in matched.items():
        noun = "row matched an event" if n == 1 else "rows matched events"
        notes.append(f"{n} {noun} already stored from source {other!r} (kept once, not added again)")
    return notes


def _span(values: pl.Series) -> tuple[datetime | None, datetime | None]:
    low, high = values.min(), values.max()
    return (low if isinstance(low, datetime) else None), (high if isinstance(high, datetime) else None)


def _insert_batch(cur: duckdb.DuckDBPyConnection, prepared: Prepared, options: IngestOptions, layout: str) -> int:
    batch_id = next_ids(cur, "batch_id_seq")[0]
    cur.execute(
        "INSERT INTO batches (batch_id, file_name, file_sha256, layout, source, uploaded_at, rows_read, rows_skipped, "
        "unmapped_labels, column_map, record_source, new_reps) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, [])",
        [
            batch_id,
            prepared.file_name,
            prepared.sha256,
            layout,
            options.source,
            datetime.now(UTC).replace(tzinfo=None),
            prepared.rows_read,
            prepared.rows_skipped,
            json.dumps(prepared.unmapped_labels),
            json.dumps(prepared.detected.column_map),
            prepared.record_source,
        ],
    )
    return batch_id
