"""Event identity: what makes two rows of two uploads the same event.

A row with a record id is that record (namespaced by CRM and export kind, so
ids from different systems never collide). A row without one is identified by
its normalised fields plus its occurrence number among identical rows of the
same file: two identical rows in one file stay two events, and the same rows
in an overlapping export are recognised again.
"""

from __future__ import annotations

# md5_number gives the UHUGEINT the events table stores.
_BY_RECORD = "SELECT *, md5_number('r|' || ? || '|' || record_id) AS event_key FROM {source} WHERE record_id IS NOT NULL"
_BY_FINGERPRINT = """
SELECT *,
       md5_number(concat_ws('|', 'f', rep_id, strftime(occurred_at, '%Y-%m-%d %H:%M:%S.%f'),
                            activity_label, outcome_label, coalesce(lower(trim(raw_subject)), ''),
                            coalesce(CAST(amount AS VARCHAR), ''), occurrence)) AS event_key
FROM (
    SELECT *,
           row_number() OVER (
               PARTITION BY rep_id, occurred_at, activity_label, outcome_label, lower(trim(raw_subject)), amount
               ORDER BY line_no, seq
           ) AS occurrence
    FROM {source} WHERE record_id IS NULL
)
"""


def keyed_events_sql(source: str, *, with_records: bool, with_fingerprints: bool) -> tuple[str, list[object]]:
    """SQL (and its parameter slots) adding `event_key` to every row of `source`.

    The fingerprint part (a window over the whole file) runs only when some
    rows lack a record id; exports with ids skip it.
    """
    parts: list[str] = []
    if with_records:
        parts.append(_BY_RECORD.format(source=source))
    if with_fingerprints:
        parts.append(_BY_FINGERPRINT.format(source=source))
    return " UNION ALL BY NAME ".join(parts), ["ns"] if with_records else []


def namespace(crm: str, kind: str) -> str:
    return f"{crm.lower()}:{kind}"
