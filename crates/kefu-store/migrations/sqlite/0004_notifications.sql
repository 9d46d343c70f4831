-- Notifications: whoever must act on a ticket change is told (the assignee, the team, the department of
-- a task, the supervisors or managers of an escalation). Written in the same transaction as the events.
CREATE TABLE notifications (
    id             INTEGER PRIMARY KEY,
    merchant_id    INTEGER,
    ticket_id      INTEGER NOT NULL,
    recipient_kind TEXT NOT NULL,
    recipient      TEXT NOT NULL,
    kind           TEXT NOT NULL,
    body           TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);
CREATE INDEX notifications_recipient ON notifications (recipient_kind, recipient, id);

CREATE TABLE notification_reads (
    notification_id INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    read_at         INTEGER NOT NULL,
    PRIMARY KEY (notification_id, user_id)
);
