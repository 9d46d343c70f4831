-- Quick replies (快捷回复): standard replies of the platform, a merchant, a team, or one agent (personal).
CREATE TABLE quick_replies (
    id          INTEGER PRIMARY KEY,
    merchant_id INTEGER REFERENCES merchants(id),
    team_id     INTEGER REFERENCES teams(id),
    owner_id    INTEGER REFERENCES users(id),
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    shortcut    TEXT,
    position    INTEGER NOT NULL,
    created_by  INTEGER,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX quick_replies_merchant ON quick_replies (merchant_id, position);
CREATE INDEX quick_replies_owner ON quick_replies (owner_id);
