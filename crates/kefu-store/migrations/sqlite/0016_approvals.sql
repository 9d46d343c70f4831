-- Authority limits (权限额度) and approvals (审批), STAFF-5.
--
-- `authority_limits`: one row per merchant with its own limits, and at most one platform row
-- (`owner_key = 'platform'`, merchant NULL) overriding the shipped defaults. `limits` is the JSON of
-- `kefu_core::authority::AuthorityLimits`; a merchant without a row uses the platform row, or the shipped
-- defaults when there is none.
CREATE TABLE authority_limits (
    owner_key   TEXT PRIMARY KEY,
    merchant_id INTEGER REFERENCES merchants(id),
    limits      TEXT NOT NULL,
    updated_by  INTEGER REFERENCES users(id),
    updated_at  INTEGER NOT NULL
);

-- A promise above the requester's limit waiting for (or given) a decision. Deciding moves `status` from
-- `pending` exactly once (the update is guarded by the status, under the row lock).
CREATE TABLE approvals (
    id             INTEGER PRIMARY KEY,
    merchant_id    INTEGER REFERENCES merchants(id),
    -- Kept when the ticket is purged by retention.
    ticket_id      INTEGER REFERENCES tickets(id) ON DELETE SET NULL,
    requester_id   INTEGER NOT NULL REFERENCES users(id),
    requester_role TEXT NOT NULL,
    kind           TEXT NOT NULL,
    amount_fen     INTEGER NOT NULL,
    reason         TEXT NOT NULL,
    status         TEXT NOT NULL,
    decided_by     INTEGER REFERENCES users(id),
    decided_at     INTEGER,
    note           TEXT NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL
);
CREATE INDEX approvals_merchant ON approvals (merchant_id, status, id);
CREATE INDEX approvals_requester ON approvals (requester_id, id);
CREATE INDEX approvals_ticket ON approvals (ticket_id, id);
