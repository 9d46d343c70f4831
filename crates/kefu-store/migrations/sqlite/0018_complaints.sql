-- complaints
-- Complaints (投诉, EC-6): the complaint row is a projection of its append-only event log
-- (`complaint_events`), written in the same transaction; `state` holds the folded `ComplaintState`,
-- `version` the number of events (the optimistic-concurrency check of every command), and `due_at` the
-- deadline running in the current stage (acknowledgement, then the 12315 mediation deadline).
CREATE TABLE complaints (
    id                   INTEGER PRIMARY KEY,
    merchant_id          INTEGER NOT NULL REFERENCES merchants(id),
    -- 投诉编号, TS<yyyymmdd><id>.
    number               TEXT NOT NULL,
    -- The ticket the complaint was opened on; kept when the ticket is purged by retention.
    ticket_id            INTEGER REFERENCES tickets(id) ON DELETE SET NULL,
    ticket_number        TEXT NOT NULL,
    customer_id          INTEGER REFERENCES customers(id),
    order_no             TEXT,
    source               TEXT NOT NULL,
    severity             TEXT NOT NULL,
    stage                TEXT NOT NULL,
    is_repeat            INTEGER NOT NULL DEFAULT 0,
    received_at          INTEGER NOT NULL,
    due_at               INTEGER,
    -- The complaint handling notice archived with the ticket on close (no foreign key: retention may
    -- purge the ticket's attachments; the complaint keeps the reference).
    notice_attachment_id INTEGER,
    state                TEXT NOT NULL,
    version              INTEGER NOT NULL,
    created_by           INTEGER REFERENCES users(id),
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);
CREATE INDEX complaints_merchant ON complaints (merchant_id, id);
CREATE INDEX complaints_number ON complaints (number);
CREATE INDEX complaints_ticket ON complaints (ticket_id, id);
CREATE INDEX complaints_customer ON complaints (merchant_id, customer_id, received_at);
CREATE INDEX complaints_order ON complaints (merchant_id, order_no, received_at);
CREATE INDEX complaints_stage ON complaints (stage, id);
CREATE INDEX complaints_due ON complaints (due_at);

CREATE TABLE complaint_events (
    id           INTEGER PRIMARY KEY,
    complaint_id INTEGER NOT NULL REFERENCES complaints(id),
    seq          INTEGER NOT NULL,
    at           INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    -- The staff account that recorded it.
    recorded_by  INTEGER,
    payload      TEXT NOT NULL,
    UNIQUE (complaint_id, seq)
);

CREATE TRIGGER complaint_events_no_update BEFORE UPDATE ON complaint_events
BEGIN SELECT RAISE(ABORT, 'complaint_events is append-only'); END;
CREATE TRIGGER complaint_events_no_delete BEFORE DELETE ON complaint_events
BEGIN SELECT RAISE(ABORT, 'complaint_events is append-only'); END;
