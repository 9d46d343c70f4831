-- Routing and presence (路由与在线状态): skill groups (技能组) and their members, on-duty certification
-- (上岗认证), each agent's presence and capacity, the presence history (在线时长), and the router's lease
-- (one node routes at a time).

CREATE TABLE skill_groups (
    id                  INTEGER PRIMARY KEY,
    merchant_id         INTEGER REFERENCES merchants(id),
    name                TEXT NOT NULL,
    position            INTEGER NOT NULL,
    strategy            TEXT NOT NULL,
    matching            TEXT NOT NULL,
    vip_dedicated       INTEGER NOT NULL,
    overflow_to         INTEGER,
    overflow_after_secs INTEGER,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE UNIQUE INDEX skill_groups_name ON skill_groups (COALESCE(merchant_id, 0), name);

CREATE TABLE group_members (
    group_id    INTEGER NOT NULL REFERENCES skill_groups(id),
    user_id     INTEGER NOT NULL REFERENCES users(id),
    skill_level INTEGER NOT NULL,
    priority    INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE certifications (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    group_id   INTEGER NOT NULL REFERENCES skill_groups(id),
    source     TEXT NOT NULL,
    granted_by INTEGER,
    granted_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX certifications_user ON certifications (user_id, group_id);

CREATE TABLE agent_status (
    user_id          INTEGER PRIMARY KEY REFERENCES users(id),
    merchant_id      INTEGER,
    presence         TEXT NOT NULL,
    reason           TEXT,
    since            INTEGER NOT NULL,
    max_chats        INTEGER NOT NULL,
    max_tickets      INTEGER NOT NULL,
    languages        TEXT NOT NULL,
    last_assigned_at INTEGER,
    -- The agent's client's last sign of life; online or busy agents silent past the grace period
    -- are set away (连接中断).
    last_seen_at     INTEGER
);
CREATE INDEX agent_status_presence ON agent_status (presence);

CREATE TABLE presence_events (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL,
    merchant_id INTEGER,
    presence    TEXT NOT NULL,
    reason      TEXT,
    at          INTEGER NOT NULL
);
CREATE INDEX presence_events_at ON presence_events (at);
CREATE INDEX presence_events_user ON presence_events (user_id, at);

CREATE TABLE router_lease (
    id     INTEGER PRIMARY KEY,
    holder TEXT NOT NULL,
    until  INTEGER NOT NULL
);
INSERT INTO router_lease (id, holder, until) VALUES (1, '', 0);
