-- Satisfaction ratings (满意度评价) and follow-up visits (回访).
-- A rating belongs to one resolution of its ticket (`resolution_at`, the ticket's `resolved_at` when it was
-- rated): the same resolution is rated once; a ticket reopened and resolved again can be rated again.
CREATE TABLE satisfaction_ratings (
    id            INTEGER PRIMARY KEY,
    merchant_id   INTEGER REFERENCES merchants(id),
    ticket_id     INTEGER REFERENCES tickets(id) ON DELETE SET NULL,
    ticket_number TEXT NOT NULL,
    customer_id   INTEGER REFERENCES customers(id),
    -- The agent of the last human turn (the last public staff reply), who the rating counts for.
    agent_id      INTEGER REFERENCES users(id),
    channel       TEXT NOT NULL,
    score         INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    label         TEXT NOT NULL,
    reasons       TEXT NOT NULL,
    comment       TEXT NOT NULL DEFAULT '',
    resolution_at INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    UNIQUE (ticket_number, resolution_at)
);
CREATE INDEX satisfaction_ratings_merchant ON satisfaction_ratings (merchant_id, created_at);
CREATE INDEX satisfaction_ratings_ticket ON satisfaction_ratings (ticket_id, id);
CREATE INDEX satisfaction_ratings_agent ON satisfaction_ratings (agent_id, created_at);

CREATE TABLE follow_up_visits (
    id            INTEGER PRIMARY KEY,
    merchant_id   INTEGER REFERENCES merchants(id),
    ticket_id     INTEGER REFERENCES tickets(id) ON DELETE SET NULL,
    ticket_number TEXT NOT NULL,
    customer_id   INTEGER REFERENCES customers(id),
    reason        TEXT NOT NULL,
    -- What caused it: `rating:<id>`, `aftersales:<id>`, `complaint:<id>`, or empty when scheduled by hand.
    source        TEXT NOT NULL DEFAULT '',
    due_at        INTEGER NOT NULL,
    -- A person, or nobody: then the merchant's supervisors' queue (主管队列).
    assignee_id   INTEGER REFERENCES users(id),
    status        TEXT NOT NULL,
    script        TEXT NOT NULL,
    outcome       TEXT,
    renewed_score INTEGER CHECK (renewed_score BETWEEN 1 AND 5),
    note          TEXT NOT NULL DEFAULT '',
    created_by    INTEGER REFERENCES users(id),
    created_at    INTEGER NOT NULL,
    completed_by  INTEGER REFERENCES users(id),
    completed_at  INTEGER
);
CREATE INDEX follow_up_visits_merchant ON follow_up_visits (merchant_id, status, due_at);
CREATE INDEX follow_up_visits_ticket ON follow_up_visits (ticket_id, id);
CREATE INDEX follow_up_visits_assignee ON follow_up_visits (assignee_id, status);
