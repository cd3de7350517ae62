"""Forward-only migrations. Append a new list; never edit one that has shipped.

Timestamps of events are naive and in the team's time zone (as exports give
them); timestamps of our own bookkeeping (uploaded_at, launched_at …) are UTC.
"""

from __future__ import annotations

import re

# Shipped layouts and the record-id source their uploads used (crm:kind), for the backfill below.
_LAYOUT_SOURCES = (
    "('salesforce_activity', 'salesforce:activity'), ('salesforce_opportunity', 'salesforce:deal'), "
    "('hubspot_activity', 'hubspot:activity'), ('hubspot_deal', 'hubspot:deal'), "
    "('pipedrive_activity', 'pipedrive:activity'), ('pipedrive_deal', 'pipedrive:deal'), "
    "('outreach', 'outreach:activity'), ('salesloft', 'salesloft:activity')"
)

# Event identity by source, corrections that keep the version they replace,
# and the currency an amount was written in (docs/identity.md).
IDENTITY_BY_SOURCE: list[str] = [
    # currency: ISO code (or an ambiguous symbol as written), NULL when the export stated none.
    # source: the record-id source (namespace) of the upload that added the event.
    "ALTER TABLE events ADD COLUMN currency VARCHAR",
    "ALTER TABLE events ADD COLUMN source VARCHAR",
    # The demo team's parked events keep the same columns (they go back BY NAME).
    "ALTER TABLE parked_events ADD COLUMN currency VARCHAR",
    "ALTER TABLE parked_events ADD COLUMN source VARCHAR",
    # Versions a correction replaced, with the batch that replaced them; undoing
    # that batch puts the latest remaining version back into events.
    """CREATE TABLE event_versions (
        event_id BIGINT NOT NULL,
        event_key UHUGEINT NOT NULL,
        rep_id INTEGER NOT NULL,
        occurred_at TIMESTAMP NOT NULL,
        raw_type VARCHAR,
        raw_outcome VARCHAR,
        raw_subject VARCHAR,
        activity_label VARCHAR,
        outcome_label VARCHAR,
        amount DOUBLE,
        record_id VARCHAR,
        first_batch_id INTEGER NOT NULL,
        currency VARCHAR,
        source VARCHAR,
        superseded_by INTEGER NOT NULL
    )""",
    "ALTER TABLE batches ADD COLUMN record_source VARCHAR",
    "ALTER TABLE batches ADD COLUMN rows_corrected INTEGER DEFAULT 0",
    "ALTER TABLE batches ADD COLUMN rows_outdated INTEGER DEFAULT 0",
    # notes: JSON list of what the upload summary said besides counts (merge proposals, stripped bytes ...).
    "ALTER TABLE batches ADD COLUMN notes VARCHAR",
    # Backfill: CRM uploads used crm:kind; a generic sheet used one namespace for
    # every id column, now 'generic:<id column>' ('generic' without one).
    f"""UPDATE batches SET record_source = coalesce(
            (SELECT s FROM (VALUES {_LAYOUT_SOURCES}) AS t(l, s) WHERE t.l = batches.layout),
            CASE WHEN layout = 'generic' THEN coalesce(
                'generic:' || nullif(lower(regexp_replace(trim(json_extract_string(column_map, '$.record_id')), '\\s+', ' ', 'g')), ''),
                'generic') END)""",
    "UPDATE events SET source = b.record_source FROM batches b WHERE b.batch_id = events.first_batch_id",
    """UPDATE events SET event_key = md5_number('r|' || source || '|' || record_id)
       WHERE record_id IS NOT NULL AND source LIKE 'generic%'""",
    # Rows without a record id were keyed by rep_id, which a roster merge changes;
    # they are now keyed by the rep as written, best known here as the display name.
    """UPDATE events SET event_key = n.k FROM (
        SELECT event_id, md5_number(concat_ws('|', 'f', lower(r.display_name),
                   strftime(occurred_at, '%Y-%m-%d %H:%M:%S.%f'), activity_label, outcome_label,
                   coalesce(lower(trim(raw_subject)), ''), coalesce(CAST(amount AS VARCHAR), ''),
                   row_number() OVER (
                       PARTITION BY lower(r.display_name), occurred_at, activity_label, outcome_label,
                                    lower(trim(raw_subject)), amount
                       ORDER BY event_id))) AS k
        FROM events JOIN reps r USING (rep_id) WHERE record_id IS NULL) n
       WHERE events.event_id = n.event_id""",
]

MIGRATIONS: list[list[str]] = [
    # 1: the whole first schema
    [
        "CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)",
        "INSERT INTO meta VALUES ('data_version', '0')",
        # Team settings as JSON values; defaults live in code (scorecard.settings).
        "CREATE TABLE settings (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)",
        "CREATE SEQUENCE rep_id_seq START 1",
        """CREATE TABLE reps (
            rep_id INTEGER PRIMARY KEY DEFAULT nextval('rep_id_seq'),
            slug VARCHAR NOT NULL UNIQUE,
            display_name VARCHAR NOT NULL,
            email VARCHAR,
            aliases VARCHAR[] NOT NULL DEFAULT [],
            team VARCHAR NOT NULL DEFAULT 'Sales',
            active BOOLEAN NOT NULL DEFAULT TRUE,
            is_demo BOOLEAN NOT NULL DEFAULT FALSE,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp::TIMESTAMP
        )""",
        "CREATE SEQUENCE batch_id_seq START 1",
        """CREATE TABLE batches (
            batch_id INTEGER PRIMARY KEY DEFAULT nextval('batch_id_seq'),
            file_name VARCHAR NOT NULL,
            file_sha256 VARCHAR,
            layout VARCHAR,
            source VARCHAR NOT NULL,           -- upload | cli | inbox | demo
            uploaded_at TIMESTAMP NOT NULL,    -- UTC
            status VARCHAR NOT NULL DEFAULT 'live',  -- live | undone
            rows_read INTEGER NOT NULL DEFAULT 0,
            rows_added INTEGER NOT NULL DEFAULT 0,
            rows_duplicate INTEGER NOT NULL DEFAULT 0,
            rows_rejected INTEGER NOT NULL DEFAULT 0,
            rows_skipped INTEGER NOT NULL DEFAULT 0,   -- report footers and blank lines
            new_reps VARCHAR[] NOT NULL DEFAULT [],
            unmapped_labels VARCHAR,                   -- JSON {label: count}
            column_map VARCHAR,                        -- JSON {field: column}
            data_from TIMESTAMP,
            data_to TIMESTAMP,
            undone_at TIMESTAMP
        )""",
        # No index on events on purpose: dedupe is an anti-join under the write
        # lock, and bulk appends stay fast without ART maintenance.
        """CREATE TABLE events (
            event_id BIGINT NOT NULL,
            event_key UHUGEINT NOT NULL,       -- md5 of record id, or of fingerprint + occurrence
            rep_id INTEGER NOT NULL,
            occurred_at TIMESTAMP NOT NULL,    -- team-local, naive
            raw_type VARCHAR,
            raw_outcome VARCHAR,
            raw_subject VARCHAR,
            activity_label VARCHAR,            -- normalised raw_type (or subject when type is blank)
            outcome_label VARCHAR,             -- normalised raw_outcome
            amount DOUBLE,
            record_id VARCHAR,
            first_batch_id INTEGER NOT NULL
        )""",
        "CREATE SEQUENCE event_id_seq START 1",
        "CREATE TABLE batch_events (batch_id INTEGER NOT NULL, event_id BIGINT NOT NULL)",
        """CREATE TABLE rejected_rows (
            batch_id INTEGER NOT NULL,
            line_no INTEGER,
            column_name VARCHAR,
            reason VARCHAR NOT NULL,
            raw VARCHAR                        -- JSON object of the row as read
        )""",
        # Per rep, per day, per metric; rebuilt for the touched rep-days inside
        # the same transaction as every change to events or to the mapping.
        """CREATE TABLE daily_rollups (
            rep_id INTEGER NOT NULL,
            day DATE NOT NULL,
            metric VARCHAR NOT NULL,
            n BIGINT NOT NULL,
            amount DOUBLE NOT NULL
        )""",
        # Team overrides of the shipped label mapping (data/labels.toml).
        # kind = 'activity' (label -> activity class) or 'outcome' (label -> connect|no_connect)
        "CREATE TABLE label_map (kind VARCHAR NOT NULL, label VARCHAR NOT NULL, target VARCHAR NOT NULL, PRIMARY KEY (kind, label))",
        """CREATE TABLE goals (
            rep_id INTEGER NOT NULL,
            metric VARCHAR NOT NULL,
            weekly_goal DOUBLE,                -- NULL = explicitly no goal from this date
            effective_from DATE NOT NULL,
            source VARCHAR NOT NULL DEFAULT 'manual',  -- manual | import | derived
            set_at TIMESTAMP NOT NULL DEFAULT current_timestamp::TIMESTAMP,
            PRIMARY KEY (rep_id, metric, effective_from)
        )""",
        "CREATE TABLE pto (rep_id INTEGER NOT NULL, day DATE NOT NULL, PRIMARY KEY (rep_id, day))",
        """CREATE TABLE quotas (
            rep_id INTEGER NOT NULL,
            amount DOUBLE NOT NULL,
            period VARCHAR NOT NULL,           -- month | quarter
            effective_from DATE NOT NULL,
            PRIMARY KEY (rep_id, effective_from)
        )""",
        "CREATE SEQUENCE contest_id_seq START 1",
        """CREATE TABLE contests (
            contest_id INTEGER PRIMARY KEY DEFAULT nextval('contest_id_seq'),
            metric VARCHAR NOT NULL,
            format VARCHAR NOT NULL,
            team VARCHAR,
            start_day DATE NOT NULL,
            end_day DATE NOT NULL,             -- inclusive
            rules VARCHAR NOT NULL,            -- JSON: targets, divisions, prize
            budget DOUBLE NOT NULL,
            rationale VARCHAR,
            announcement VARCHAR,
            status VARCHAR NOT NULL DEFAULT 'running',   -- running | cancelled (finished is derived from end_day)
            launched_at TIMESTAMP NOT NULL,
            cancelled_at TIMESTAMP
        )""",
        """CREATE TABLE contest_participants (
            contest_id INTEGER NOT NULL,
            rep_id INTEGER NOT NULL,
            target DOUBLE,
            division VARCHAR,
            PRIMARY KEY (contest_id, rep_id)
        )""",
    ],
    # 2: weekly rollups, the daily rollups summed per rep, week and metric, so
    # scores read a week as one row instead of five to seven. Weeks start on
    # the team's week-start day; meta records which day they were built for
    # (scorecard.rollups keeps both in step with the daily rollups and the setting).
    [
        """CREATE TABLE weekly_rollups (
            rep_id INTEGER NOT NULL,
            week_start DATE NOT NULL,
            metric VARCHAR NOT NULL,
            n BIGINT NOT NULL,
            amount DOUBLE NOT NULL
        )""",
        """INSERT INTO meta
           SELECT 'weekly_rollups_week_start',
                  CAST(coalesce((SELECT TRY_CAST(value AS INTEGER) FROM settings WHERE key = 'week_start'), 0) AS VARCHAR)""",
        """INSERT INTO weekly_rollups
           SELECT d.rep_id, d.day - CAST((isodow(d.day) - 1 - w.week_start + 7) % 7 AS INTEGER), d.metric,
                  sum(d.n), sum(d.amount)
           FROM daily_rollups d,
                (SELECT CAST(value AS INTEGER) AS week_start FROM meta WHERE key = 'weekly_rollups_week_start') w
           GROUP BY ALL
           ORDER BY 2, 1""",
    ],
    # 3: removing the demo team can be undone: its events are parked here, not lost.
    # Rows go in and out BY NAME; a later migration that adds a column to events adds it here too.
    [
        "CREATE TABLE parked_events AS FROM events LIMIT 0",
    ],
    # 4: identity by source, corrections that keep what they replace, currencies (docs/identity.md)
    IDENTITY_BY_SOURCE,
    # 5: the HTTP API, CRM webhooks, digests and alerts
    [
        # API tokens: only a scrypt hash of the secret part is kept. A revoked token
        # keeps its row (the audit log names it); a new token may reuse the name.
        """CREATE TABLE api_tokens (
            token_id VARCHAR PRIMARY KEY,      -- the public part of the token
            name VARCHAR NOT NULL,
            scopes VARCHAR[] NOT NULL,
            salt BLOB NOT NULL,
            secret_hash BLOB NOT NULL,         -- scrypt(secret, salt)
            rate_per_minute INTEGER NOT NULL,
            created_at TIMESTAMP NOT NULL,     -- UTC
            revoked_at TIMESTAMP               -- UTC
        )""",
        # One row per API or webhook write, in the same transaction as its batch.
        """CREATE TABLE api_audit (
            logged_at TIMESTAMP NOT NULL,      -- UTC
            caller VARCHAR NOT NULL,           -- token name, or the webhook (e.g. 'webhook:hubspot')
            endpoint VARCHAR NOT NULL,
            batch_id INTEGER NOT NULL,
            rows_added INTEGER NOT NULL,
            rows_duplicate INTEGER NOT NULL,
            rows_rejected INTEGER NOT NULL
        )""",
        # Channels, webhook secrets and digest times, as JSON values (scorecard.integrations).
        "CREATE TABLE integration_settings (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)",
        # Outgoing messages. The key is the idempotency key (e.g. digest:rep:ana-lopez:2026-11-18):
        # a message is composed once, stored, and sent until it is marked sent.
        """CREATE TABLE deliveries (
            key VARCHAR NOT NULL,
            channel VARCHAR NOT NULL,          -- slack | teams | email
            kind VARCHAR NOT NULL,             -- rep_digest | standup | contest_launch | contest_standings | flag_alert | test
            recipient VARCHAR NOT NULL,        -- an email address, or the channel's name
            subject VARCHAR NOT NULL,
            message VARCHAR NOT NULL,          -- JSON: the composed message (scorecard.notify.Message)
            status VARCHAR NOT NULL,           -- pending | sent | failed (gave up)
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TIMESTAMP,         -- UTC
            last_error VARCHAR,
            created_at TIMESTAMP NOT NULL,     -- UTC
            sent_at TIMESTAMP,                 -- UTC
            PRIMARY KEY (key, channel)
        )""",
    ],
    # 6: coaching. Who manages whom, the coaching log (1:1s with their notes and
    # commitments, coaching and peer sessions, the manager's joint customer time),
    # the leader's own weekly goals, and who else took part in an exported activity.
    [
        # A rep's manager is another roster entry (a manager who also sells is a rep too).
        """CREATE TABLE rep_managers (
            rep_id INTEGER PRIMARY KEY,
            manager_id INTEGER NOT NULL,
            set_at TIMESTAMP NOT NULL          -- UTC
        )""",
        "CREATE SEQUENCE one_on_one_id_seq START 1",
        """CREATE TABLE one_on_ones (
            one_on_one_id INTEGER PRIMARY KEY DEFAULT nextval('one_on_one_id_seq'),
            rep_id INTEGER NOT NULL,
            leader_id INTEGER,                 -- who held it: the rep's manager when logged
            held_on DATE NOT NULL,             -- effective date: a view as of an earlier day does not see it
            notes VARCHAR NOT NULL DEFAULT '', -- for managers only, never shown to the rep
            addressed VARCHAR[] NOT NULL DEFAULT [],  -- metrics it addressed (usually the rep's open flags)
            logged_at TIMESTAMP NOT NULL       -- UTC
        )""",
        "CREATE SEQUENCE commitment_id_seq START 1",
        """CREATE TABLE commitments (
            commitment_id INTEGER PRIMARY KEY DEFAULT nextval('commitment_id_seq'),
            rep_id INTEGER NOT NULL,
            one_on_one_id INTEGER,             -- the 1:1 it was made in; NULL when recorded on its own
            made_on DATE NOT NULL,             -- effective date
            metric VARCHAR NOT NULL,
            target DOUBLE NOT NULL,            -- for a full working week; prorated like a goal
            week_start DATE NOT NULL,
            note VARCHAR,                      -- for managers only
            logged_at TIMESTAMP NOT NULL       -- UTC
        )""",
        "CREATE SEQUENCE coaching_session_id_seq START 1",
        """CREATE TABLE coaching_sessions (
            session_id INTEGER PRIMARY KEY DEFAULT nextval('coaching_session_id_seq'),
            kind VARCHAR NOT NULL,             -- joint_meeting | joint_call | coaching | peer
            leader_id INTEGER,                 -- the manager (NULL for a peer session)
            rep_id INTEGER,                    -- the rep coached or accompanied; a peer session's learner
            coach_id INTEGER,                  -- a peer session's coach
            ratio VARCHAR,                     -- the competency a peer session worked on
            held_on DATE NOT NULL,
            note VARCHAR,
            logged_at TIMESTAMP NOT NULL       -- UTC
        )""",
        """CREATE TABLE leader_goals (
            leader_id INTEGER NOT NULL,
            metric VARCHAR NOT NULL,
            weekly_goal DOUBLE,                -- NULL = explicitly no goal from this date
            effective_from DATE NOT NULL,
            set_at TIMESTAMP NOT NULL,         -- UTC
            PRIMARY KEY (leader_id, metric, effective_from)
        )""",
        # Raw "attendees" / "second owner" cells of exported activities, kept as they came.
        # Beside events rather than in them: an undone event's row is deleted with it.
        "CREATE TABLE event_attendees (event_id BIGINT NOT NULL, raw VARCHAR NOT NULL)",
    ],
    [
        # What each write changed, so a reader keeps what it derived from anything else
        # (docs/live-pages.md). Written by the store and the rollups, never by hand.
        """CREATE TABLE changes (
            change_id BIGINT PRIMARY KEY,
            kind VARCHAR NOT NULL,             -- tables | activity
            tables VARCHAR[],                  -- tables: the tables one write changed ('*': it could not tell)
            from_day DATE                      -- activity: the first day it changed (NULL: every day)
        )""",
    ],
]

# Each sequence and the column it numbers. A DuckLake has no sequences: there
# `Store.next_ids` continues a counter row instead (docs/scale-out.md).
SEQUENCES: dict[str, tuple[str, str]] = {
    "rep_id_seq": ("reps", "rep_id"),
    "batch_id_seq": ("batches", "batch_id"),
    "event_id_seq": ("events", "event_id"),
    "contest_id_seq": ("contests", "contest_id"),
    "one_on_one_id_seq": ("one_on_ones", "one_on_one_id"),
    "commitment_id_seq": ("commitments", "commitment_id"),
    "coaching_session_id_seq": ("coaching_sessions", "session_id"),
}

# What a DuckLake table cannot declare. The file keeps all of it as a safety net;
# on a lake the application keeps the same guarantees under the write lock:
# ids from Store.next_ids, one row per key through store.upsert / insert_missing,
# unique slugs and event keys by anti-joins inside the writing transaction.
_LAKE_REWRITES: list[tuple[str, str]] = [
    (r"\s+PRIMARY KEY\s+DEFAULT\s+nextval\('[A-Za-z_]+'\)", " NOT NULL"),
    (r",\s*PRIMARY KEY\s*\([^)]*\)", ""),
    (r"\s+PRIMARY KEY\b", " NOT NULL"),
    (r"\s+UNIQUE\b", ""),
    # A lake has no defaults for lists: every insert names its list columns.
    (r"\s+DEFAULT\s+\[\]", ""),
    # DuckDB writes 128-bit integers into Parquet as doubles, which loses digits: an event key
    # (md5_number) is kept as its decimal text instead, which DuckDB compares equal to the number.
    (r"\bUHUGEINT\b", "VARCHAR"),
]


def for_ducklake(statement: str) -> str | None:
    """A migration statement as a DuckLake runs it (None: nothing to run there, e.g. a sequence)."""
    if re.match(r"\s*CREATE SEQUENCE\b", statement):
        return None
    for pattern, replacement in _LAKE_REWRITES:
        statement = re.sub(pattern, replacement, statement)
    return statement
