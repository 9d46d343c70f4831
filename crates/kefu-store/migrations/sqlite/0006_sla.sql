-- The SLA engine (服务时效): business calendars, holiday schedules, policies, durable timers and the
-- measured outcome of every clock.

-- Business calendars (营业日历). `weekly` is JSON {"mon": ["09:00-12:00", …], …, "sun": []};
-- `makeup_windows` the windows of a make-up workday (调休上班), JSON array or NULL for Monday's;
-- `holidays` whether the statutory holiday schedule applies.
CREATE TABLE calendars (
    id             INTEGER PRIMARY KEY,
    merchant_id    INTEGER REFERENCES merchants(id),
    name           TEXT NOT NULL,
    time_zone      TEXT NOT NULL,
    weekly         TEXT NOT NULL,
    makeup_windows TEXT,
    holidays       INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

-- Which calendar counts by default for the platform (owner_id 0), a merchant or a team.
CREATE TABLE calendar_assignments (
    owner_kind  TEXT NOT NULL,
    owner_id    INTEGER NOT NULL,
    calendar_id INTEGER NOT NULL REFERENCES calendars(id),
    PRIMARY KEY (owner_kind, owner_id)
);

-- Holiday schedules edited or imported at run time (a YearSchedule as JSON); they replace the shipped
-- schedule of that year.
CREATE TABLE holiday_years (
    year       INTEGER PRIMARY KEY,
    schedule   TEXT NOT NULL,
    source     TEXT,
    updated_at INTEGER NOT NULL
);

CREATE TABLE sla_policies (
    id                 INTEGER PRIMARY KEY,
    merchant_id        INTEGER REFERENCES merchants(id),
    name               TEXT NOT NULL,
    position           INTEGER NOT NULL,
    active             INTEGER NOT NULL,
    conditions         TEXT NOT NULL,
    targets            TEXT NOT NULL,
    calendar_id        INTEGER REFERENCES calendars(id),
    pause_when_pending INTEGER NOT NULL,
    warn_percent       INTEGER NOT NULL,
    breach_actions     TEXT NOT NULL,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
CREATE INDEX sla_policies_merchant ON sla_policies (merchant_id, position);

-- Bumped on every change of calendars, holidays or policies, so every node reloads them.
CREATE TABLE sla_config_version (
    id      INTEGER PRIMARY KEY,
    version INTEGER NOT NULL
);
INSERT INTO sla_config_version (id, version) VALUES (1, 1);

-- Durable timers: the next instant an open ticket may warn or breach. Written in the transaction that
-- changes the ticket; the scheduler wakes at MIN(due_at).
CREATE TABLE sla_timers (
    ticket_id   INTEGER PRIMARY KEY REFERENCES tickets(id) ON DELETE CASCADE,
    merchant_id INTEGER,
    due_at      INTEGER NOT NULL
);
CREATE INDEX sla_timers_due ON sla_timers (due_at);

-- Each clock's outcome, for reports (达标率, first-response distribution). Upserted as the ticket moves.
CREATE TABLE sla_records (
    ticket_id        INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    metric           TEXT NOT NULL,
    cycle            INTEGER NOT NULL,
    merchant_id      INTEGER,
    policy_id        INTEGER,
    team_id          INTEGER,
    agent_id         INTEGER,
    channel          TEXT NOT NULL,
    started_at       INTEGER NOT NULL,
    stopped_at       INTEGER,
    due_at           INTEGER,
    target_secs      INTEGER NOT NULL,
    elapsed_secs     INTEGER NOT NULL,
    breached         INTEGER NOT NULL,
    in_service_hours INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, metric, cycle)
);
CREATE INDEX sla_records_started ON sla_records (started_at);
CREATE INDEX sla_records_merchant ON sla_records (merchant_id, started_at);
