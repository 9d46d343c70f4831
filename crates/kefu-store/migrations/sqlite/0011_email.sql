-- The email channel (邮件): support mailboxes, inbound mail kept raw before it is accepted, and the
-- Message-IDs of each ticket's mail thread.
CREATE TABLE email_mailboxes (
    id                 INTEGER PRIMARY KEY,
    merchant_id        INTEGER REFERENCES merchants(id),
    address            TEXT NOT NULL UNIQUE,
    from_name          TEXT NOT NULL,
    smtp_host          TEXT NOT NULL,
    smtp_port          INTEGER NOT NULL,
    smtp_security      TEXT NOT NULL CHECK (smtp_security IN ('none', 'starttls', 'tls')),
    smtp_username      TEXT,
    smtp_password_enc  TEXT,
    signature          TEXT NOT NULL,
    enabled            BOOLEAN NOT NULL,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
CREATE INDEX email_mailboxes_merchant ON email_mailboxes (merchant_id, id);

-- Every mail the SMTP listener accepted, committed before the final 250.
CREATE TABLE email_inbound (
    id           INTEGER PRIMARY KEY,
    merchant_id  INTEGER REFERENCES merchants(id),
    mailbox_id   INTEGER NOT NULL REFERENCES email_mailboxes(id),
    peer         TEXT NOT NULL,
    mail_from    TEXT NOT NULL,
    rcpt_to      TEXT NOT NULL,
    raw          BLOB NOT NULL,
    size         INTEGER NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('received', 'processing', 'processed', 'flagged', 'failed')),
    kind         TEXT,
    subject      TEXT,
    message_id   TEXT,
    body_html    TEXT,
    ticket_id    INTEGER,
    attempts     INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER,
    last_error   TEXT,
    received_at  INTEGER NOT NULL,
    processed_at INTEGER
);
CREATE INDEX email_inbound_pending ON email_inbound (state, id);
CREATE INDEX email_inbound_merchant ON email_inbound (merchant_id, id);

-- Message-IDs of a ticket's mail, inbound and outbound, for threading replies; `peer_enc` is the
-- customer's address (encrypted personal data).
CREATE TABLE email_messages (
    id          INTEGER PRIMARY KEY,
    merchant_id INTEGER REFERENCES merchants(id),
    ticket_id   INTEGER NOT NULL,
    mailbox_id  INTEGER NOT NULL REFERENCES email_mailboxes(id),
    message_id  TEXT NOT NULL,
    direction   TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    peer_enc    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (ticket_id, message_id)
);
CREATE INDEX email_messages_id ON email_messages (message_id);
