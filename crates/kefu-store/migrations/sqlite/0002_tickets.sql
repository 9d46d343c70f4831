-- Tickets (工单): the row is a projection of the ticket's append-only event log, kept in the same
-- transaction as each appended event; messages, tags, orders, tasks, links and the search index are
-- projections too.

CREATE TABLE ticket_counters (
    day      TEXT PRIMARY KEY,
    last_seq INTEGER NOT NULL
);

CREATE TABLE tickets (
    id                 INTEGER PRIMARY KEY,
    number             TEXT NOT NULL UNIQUE,
    merchant_id        INTEGER REFERENCES merchants(id),
    customer_id        INTEGER REFERENCES customers(id),
    channel            TEXT NOT NULL,
    subject            TEXT NOT NULL,
    status             TEXT NOT NULL,
    priority           TEXT NOT NULL,
    tier               TEXT NOT NULL,
    category           TEXT,
    assignee_id        INTEGER REFERENCES users(id),
    team_id            INTEGER REFERENCES teams(id),
    first_responder_id INTEGER REFERENCES users(id),
    first_response_at  INTEGER,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    resolved_at        INTEGER,
    closed_at          INTEGER,
    version            INTEGER NOT NULL,
    merged_into        TEXT,
    follow_up_of       TEXT,
    custom_fields      TEXT NOT NULL DEFAULT '{}',
    state              TEXT NOT NULL
);
CREATE INDEX tickets_merchant_status ON tickets (merchant_id, status, id);
CREATE INDEX tickets_assignee ON tickets (assignee_id, status, id);
CREATE INDEX tickets_first_responder ON tickets (first_responder_id, status, id);
CREATE INDEX tickets_customer ON tickets (customer_id, id);
CREATE INDEX tickets_team ON tickets (team_id, status, id);
CREATE INDEX tickets_created ON tickets (created_at);
CREATE INDEX tickets_closed ON tickets (closed_at);

CREATE TABLE ticket_events (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    seq        INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id   INTEGER,
    kind       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    UNIQUE (ticket_id, seq)
);

CREATE TABLE ticket_messages (
    id               INTEGER PRIMARY KEY,
    ticket_id        INTEGER NOT NULL REFERENCES tickets(id),
    origin_ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    event_seq        INTEGER NOT NULL,
    kind             TEXT NOT NULL,
    author_kind      TEXT NOT NULL,
    author_id        INTEGER,
    body             TEXT NOT NULL,
    created_at       INTEGER NOT NULL
);
CREATE INDEX ticket_messages_ticket ON ticket_messages (ticket_id, id);

CREATE TABLE ticket_tags (
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    tag       TEXT NOT NULL,
    PRIMARY KEY (ticket_id, tag)
);
CREATE INDEX ticket_tags_tag ON ticket_tags (tag, ticket_id);

CREATE TABLE ticket_orders (
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    order_no  TEXT NOT NULL,
    PRIMARY KEY (ticket_id, order_no)
);
CREATE INDEX ticket_orders_no ON ticket_orders (order_no, ticket_id);

CREATE TABLE ticket_links (
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    linked_id  INTEGER NOT NULL REFERENCES tickets(id),
    kind       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, linked_id)
);

CREATE TABLE department_tasks (
    ticket_id     INTEGER NOT NULL REFERENCES tickets(id),
    task_no       INTEGER NOT NULL,
    department_id INTEGER NOT NULL REFERENCES departments(id),
    merchant_id   INTEGER,
    request       TEXT NOT NULL,
    due_at        INTEGER NOT NULL,
    status        TEXT NOT NULL,
    answer        TEXT,
    opened_at     INTEGER NOT NULL,
    closed_at     INTEGER,
    PRIMARY KEY (ticket_id, task_no)
);
CREATE INDEX department_tasks_open ON department_tasks (department_id, status, due_at);

CREATE TABLE attachments (
    id          INTEGER PRIMARY KEY,
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
    merchant_id INTEGER,
    sha256      TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    mime        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    uploaded_by INTEGER,
    created_at  INTEGER NOT NULL
);
CREATE INDEX attachments_ticket ON attachments (ticket_id, id);

CREATE TABLE categories (
    id          INTEGER PRIMARY KEY,
    merchant_id INTEGER REFERENCES merchants(id),
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    parent_code TEXT,
    position    INTEGER NOT NULL DEFAULT 0,
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX categories_code ON categories (COALESCE(merchant_id, 0), code);

CREATE TABLE saved_views (
    id          INTEGER PRIMARY KEY,
    merchant_id INTEGER REFERENCES merchants(id),
    owner_id    INTEGER REFERENCES users(id),
    name        TEXT NOT NULL,
    filters     TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX saved_views_owner ON saved_views (owner_id, id);

-- Full-text search over pre-segmented text (kefu_core::text does the Chinese segmentation).
CREATE VIRTUAL TABLE ticket_search USING fts5(
    text, ticket_id UNINDEXED, message_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 0'
);

-- Tickets the retention job is purging (closed longer ago than the retention period); only their
-- events may be deleted, and only inside that job's transaction.
CREATE TABLE retention_purge (
    ticket_id INTEGER PRIMARY KEY
);

-- The event log is append-only, except for tickets the retention job is purging.
CREATE TRIGGER ticket_events_no_update BEFORE UPDATE ON ticket_events
BEGIN SELECT RAISE(ABORT, 'ticket_events is append-only'); END;
CREATE TRIGGER ticket_events_no_delete BEFORE DELETE ON ticket_events
WHEN NOT EXISTS (SELECT 1 FROM retention_purge WHERE ticket_id = OLD.ticket_id)
BEGIN SELECT RAISE(ABORT, 'ticket_events is append-only'); END;
