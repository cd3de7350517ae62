"""Forward-only migrations. Append a new list; never edit one that has shipped.

Timestamps of events are naive and in the team's time zone (as exports give
them); timestamps of our own bookkeeping (uploaded_at, launched_at …) are UTC.
"""

from __future__ import annotations

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
    # 2: the HTTP API, CRM webhooks, digests and alerts
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
]
