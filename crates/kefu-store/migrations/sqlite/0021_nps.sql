-- Net Promoter Score surveys (净推荐值调查) on a schedule: a merchant's schedule, and one invitation per
-- customer per round (the customer's latest ticket resolved since the last round), answered once.
CREATE TABLE nps_schedules (
    merchant_id   INTEGER PRIMARY KEY REFERENCES merchants(id),
    interval_days INTEGER NOT NULL,
    active        BOOLEAN NOT NULL,
    last_run_at   INTEGER,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE nps_invitations (
    id          INTEGER PRIMARY KEY,
    merchant_id INTEGER NOT NULL REFERENCES merchants(id),
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    -- The ticket the customer is asked after; kept when retention purges the ticket.
    ticket_id   INTEGER REFERENCES tickets(id) ON DELETE SET NULL,
    channel     TEXT NOT NULL,
    round_at    INTEGER NOT NULL,
    answered_at INTEGER,
    score       INTEGER,
    comment     TEXT NOT NULL DEFAULT '',
    UNIQUE (merchant_id, customer_id, round_at)
);
CREATE INDEX nps_invitations_answered ON nps_invitations (merchant_id, answered_at);
