-- Foundation: organisation, accounts, sessions, API tokens, customers, settings, audit trail.
-- Instants are INTEGER milliseconds since the Unix epoch (UTC); booleans are INTEGER 0/1.

CREATE TABLE merchants (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'active',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE departments (
    id          INTEGER PRIMARY KEY,
    merchant_id INTEGER REFERENCES merchants(id),
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX departments_code ON departments (COALESCE(merchant_id, 0), code);

CREATE TABLE teams (
    id          INTEGER PRIMARY KEY,
    merchant_id INTEGER REFERENCES merchants(id),
    owner       TEXT NOT NULL,
    vendor      TEXT,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX teams_name ON teams (COALESCE(merchant_id, 0), name);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    merchant_id   INTEGER REFERENCES merchants(id),
    team_id       INTEGER REFERENCES teams(id),
    department_id INTEGER REFERENCES departments(id),
    supervisor_id INTEGER REFERENCES users(id),
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  INTEGER,
    totp_secret   TEXT,
    totp_enabled  INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX users_merchant ON users (merchant_id, id);

CREATE TABLE sessions (
    id          INTEGER PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    ip          TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    role         TEXT NOT NULL,
    merchant_id  INTEGER REFERENCES merchants(id),
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_tokens_merchant ON api_tokens (merchant_id, id);

CREATE TABLE customers (
    id           INTEGER PRIMARY KEY,
    merchant_id  INTEGER REFERENCES merchants(id),
    display_name TEXT NOT NULL,
    member_tier  TEXT NOT NULL DEFAULT 'regular',
    vip          INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX customers_merchant ON customers (merchant_id, id);

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE audit_chain_heads (
    chain     TEXT PRIMARY KEY,
    last_seq  INTEGER NOT NULL,
    last_hash TEXT NOT NULL
);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    chain       TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    actor_id    INTEGER,
    actor_name  TEXT NOT NULL,
    ip          TEXT,
    request_id  TEXT,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT,
    merchant_id INTEGER,
    before_json TEXT,
    after_json  TEXT,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL,
    UNIQUE (chain, seq)
);
CREATE INDEX audit_log_merchant ON audit_log (merchant_id, id);
CREATE INDEX audit_log_at ON audit_log (at);

-- The trail is append-only; changing it takes deliberately dropping these triggers, and
-- `kefu audit verify` finds what was changed.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
