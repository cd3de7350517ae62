"""Event identity: what makes two rows of two uploads the same event (docs/identity.md).

A row with a record id is that record within its *source*: the CRM and export
kind for CRM layouts (their ids are unique across the CRM), the id column
for generic sheets, or a source name the manager gives. Two sheets that both
number their rows from 1 are two sources, not one.

A row without one is identified by its normalised fields (the rep as the
export writes the name, never the rep id, so a roster merge cannot change it)
plus its occurrence number among identical rows of the same file: two
identical rows in one file stay two events, and the same rows in an
overlapping export are recognised again.
"""

from __future__ import annotations

import unicodedata

# md5_number gives the UHUGEINT the events table stores.
_BY_RECORD = "SELECT *, md5_number('r|' || ? || '|' || record_id) AS event_key FROM {source} WHERE record_id IS NOT NULL"
_BY_FINGERPRINT = """
SELECT *,
       md5_number(concat_ws('|', 'f', lower(rep_text), strftime(occurred_at, '%Y-%m-%d %H:%M:%S.%f'),
                            activity_label, outcome_label, coalesce(lower(trim(raw_subject)), ''),
                            coalesce(CAST(amount AS VARCHAR), ''), occurrence)) AS event_key
FROM (
    SELECT *,
           row_number() OVER (
               PARTITION BY lower(rep_text), occurred_at, activity_label, outcome_label, lower(trim(raw_subject)), amount
               ORDER BY line_no, seq
           ) AS occurrence
    FROM {source} WHERE record_id IS NULL
)
"""

# Stored columns of an event, in the order both events and event_versions hold them.
EVENT_COLUMNS = (
    "event_id, event_key, rep_id, occurred_at, raw_type, raw_outcome, raw_subject, activity_label, outcome_label, "
    "amount, record_id, first_batch_id, currency, source"
)
SOURCE_MAX = 60


def keyed_events_sql(source: str, *, with_records: bool, with_fingerprints: bool) -> tuple[str, list[object]]:
    """SQL (and its parameter slots) adding `event_key` to every row of `source`.

    `source` needs the columns record_id, rep_text, occurred_at, activity_label,
    outcome_label, raw_subject, amount, line_no and seq (the currency is left
    out of the fingerprint: no two real activities differ only by it, and
    keys stored before currencies were kept stay valid). The
    fingerprint part (a window over the whole file) runs only when some rows
    lack a record id; exports with ids skip it.
    """
    parts: list[str] = []
    if with_records:
        parts.append(_BY_RECORD.format(source=source))
    if with_fingerprints:
        parts.append(_BY_FINGERPRINT.format(source=source))
    return " UNION ALL BY NAME ".join(parts), ["ns"] if with_records else []


def source_key(text: str) -> str:
    """A source name as stored: NFC, lower case, single spaces (so 'Team B' and 'team  b' are one source)."""
    return " ".join(unicodedata.normalize("NFC", text).split()).lower()


def record_source(crm: str, kind: str, id_column: str | None, given: str | None) -> str:
    """The namespace of an upload's record ids: the name given, else per CRM export, else per generic id column."""
    if given:
        return source_key(given)
    if crm.lower() == "generic":
        return f"generic:{source_key(id_column)}" if id_column else "generic"
    return f"{crm.lower()}:{kind}"


def check_source_name(name: str) -> str | None:
    """Why `name` cannot be a source name, or None."""
    key = source_key(name)
    if not key:
        return "a source name cannot be blank"
    if len(key) > SOURCE_MAX:
        return f"a source name has at most {SOURCE_MAX} characters"
    if any(unicodedata.category(ch)[0] == "C" for ch in key):
        return "a source name cannot contain control or invisible characters"
    return None
