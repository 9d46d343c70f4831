-- The durable job queue: outbound email, webhook deliveries, calls to shop systems.
CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,
    merchant_id  INTEGER REFERENCES merchants(id),
    payload      TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_at       INTEGER NOT NULL,
    locked_by    TEXT,
    locked_until INTEGER,
    last_error   TEXT,
    dedupe_key   TEXT UNIQUE,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX jobs_due ON jobs (state, run_at);
CREATE INDEX jobs_merchant ON jobs (merchant_id, id);

-- Positions of consumers of the ticket event feed.
CREATE TABLE feed_cursors (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
