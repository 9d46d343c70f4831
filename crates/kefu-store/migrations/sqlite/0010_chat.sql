-- Live chat (在线咨询): per-merchant widget settings, customer sessions, conversations and their messages.
CREATE TABLE chat_settings (
    id              INTEGER PRIMARY KEY,
    -- 'platform' or 'merchant:<id>': one row per owner (NULL merchant ids are not unique in SQL).
    owner_key       TEXT NOT NULL UNIQUE,
    merchant_id     INTEGER REFERENCES merchants(id),
    widget_key      TEXT NOT NULL UNIQUE,
    secret          TEXT NOT NULL,
    greeting        TEXT NOT NULL,
    closing_message TEXT NOT NULL,
    reuse_minutes   INTEGER NOT NULL,
    enabled         BOOLEAN NOT NULL,
    calendar_id     INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE TABLE chat_conversations (
    id          INTEGER PRIMARY KEY,
    merchant_id INTEGER REFERENCES merchants(id),
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    ticket_id   INTEGER,
    last_seq    INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX chat_conversations_customer ON chat_conversations (customer_id, id);
CREATE INDEX chat_conversations_ticket ON chat_conversations (ticket_id);
CREATE TABLE chat_sessions (
    token_hash      TEXT PRIMARY KEY,
    merchant_id     INTEGER REFERENCES merchants(id),
    customer_id     INTEGER NOT NULL,
    conversation_id INTEGER NOT NULL REFERENCES chat_conversations(id),
    visitor_id      TEXT NOT NULL,
    identified      BOOLEAN NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
);
CREATE TABLE chat_attachments (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES chat_conversations(id),
    merchant_id     INTEGER,
    sha256          TEXT NOT NULL,
    file_name       TEXT NOT NULL,
    mime            TEXT NOT NULL,
    size            INTEGER NOT NULL,
    created_at      INTEGER NOT NULL
);
-- A message is durable here first (then acknowledged), then landed in the ticket's conversation;
-- `landed` makes the second step recoverable after a crash.
CREATE TABLE chat_messages (
    id                INTEGER PRIMARY KEY,
    conversation_id   INTEGER NOT NULL REFERENCES chat_conversations(id),
    seq               INTEGER NOT NULL,
    sender            TEXT NOT NULL,
    sender_key        TEXT NOT NULL,
    author_id         INTEGER,
    author_name       TEXT NOT NULL,
    client_id         TEXT,
    body              TEXT NOT NULL,
    attachment        TEXT,
    ticket_id         INTEGER,
    ticket_message_id INTEGER,
    landed            BOOLEAN NOT NULL,
    created_at        INTEGER NOT NULL,
    UNIQUE (conversation_id, seq),
    UNIQUE (conversation_id, sender_key, client_id)
);
CREATE INDEX chat_messages_unlanded ON chat_messages (landed, created_at);
CREATE INDEX chat_messages_ticket_message ON chat_messages (ticket_message_id);
