-- After-sales cases (售后单): the case row is a projection of its append-only event log
-- (`aftersales_events`), written in the same transaction; `state` holds the folded `CaseState` and
-- `version` the number of events (the optimistic-concurrency check of every command).
CREATE TABLE aftersales_cases (
    id                  INTEGER PRIMARY KEY,
    merchant_id         INTEGER NOT NULL REFERENCES merchants(id),
    customer_id         INTEGER REFERENCES customers(id),
    order_id            INTEGER NOT NULL REFERENCES orders(id),
    -- The ticket that carries the conversation; kept when the ticket is purged by retention.
    ticket_id           INTEGER REFERENCES tickets(id) ON DELETE SET NULL,
    kind                TEXT NOT NULL,
    reason              TEXT NOT NULL,
    description         TEXT NOT NULL DEFAULT '',
    -- The eligibility verdict at request time (资格判定), as the agent saw it.
    verdict_outcome     TEXT NOT NULL,
    verdict_rule        TEXT NOT NULL,
    verdict_basis       TEXT NOT NULL,
    verdict_explanation TEXT NOT NULL,
    -- A goodwill exception (not eligible, granted anyway) or a verdict asking for review.
    goodwill            INTEGER NOT NULL DEFAULT 0,
    needs_review        INTEGER NOT NULL DEFAULT 0,
    amount_fen          INTEGER NOT NULL,
    return_carrier      TEXT,
    return_waybill      TEXT,
    goods_condition     TEXT,
    refund_ref          TEXT,
    status              TEXT NOT NULL,
    state               TEXT NOT NULL,
    version             INTEGER NOT NULL,
    created_by          INTEGER REFERENCES users(id),
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX aftersales_cases_merchant ON aftersales_cases (merchant_id, id);
CREATE INDEX aftersales_cases_order ON aftersales_cases (order_id, id);
CREATE INDEX aftersales_cases_customer ON aftersales_cases (customer_id, id);
CREATE INDEX aftersales_cases_ticket ON aftersales_cases (ticket_id, id);
CREATE INDEX aftersales_cases_status ON aftersales_cases (status, id);

-- The order items a case is about, with the quantity asked for.
CREATE TABLE aftersales_items (
    case_id  INTEGER NOT NULL REFERENCES aftersales_cases(id),
    sku      TEXT NOT NULL,
    name     TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    PRIMARY KEY (case_id, sku)
);

-- Evidence (凭证): attachments of the case's ticket, each with what it proves (no foreign key: the
-- retention job may purge the ticket and its attachments; the case keeps the reference).
CREATE TABLE aftersales_proofs (
    case_id       INTEGER NOT NULL REFERENCES aftersales_cases(id),
    attachment_id INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    PRIMARY KEY (case_id, attachment_id)
);

CREATE TABLE aftersales_events (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES aftersales_cases(id),
    seq         INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    -- The staff account that recorded it (the actor may be the buyer, the shop system or a timer).
    recorded_by INTEGER,
    payload     TEXT NOT NULL,
    UNIQUE (case_id, seq)
);

CREATE TRIGGER aftersales_events_no_update BEFORE UPDATE ON aftersales_events
BEGIN SELECT RAISE(ABORT, 'aftersales_events is append-only'); END;
CREATE TRIGGER aftersales_events_no_delete BEFORE DELETE ON aftersales_events
BEGIN SELECT RAISE(ABORT, 'aftersales_events is append-only'); END;
