-- 0001: the initial schema. Released migrations are never edited; add a new file instead.
--
-- Instants are INTEGER unix nanoseconds (UTC). Documents (tickets, log entries, effects,
-- tasks) are stored whole as serde_json text in `body`; the other columns are the indexed
-- copies the queries need.

CREATE TABLE counters (
    name  TEXT PRIMARY KEY NOT NULL,
    value INTEGER NOT NULL
) STRICT;

INSERT INTO counters (name, value) VALUES ('ticket_id', 0), ('lease_token', 0);

CREATE TABLE tickets (
    id           INTEGER PRIMARY KEY NOT NULL,
    tenant       TEXT NOT NULL,
    version      INTEGER NOT NULL,
    intake_key   TEXT,
    status       TEXT NOT NULL,
    is_open      INTEGER NOT NULL,
    assignee     TEXT,
    due          INTEGER,
    lease_token  INTEGER,
    lease_until  INTEGER,
    lease_holder TEXT,
    body         TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX tickets_intake_key ON tickets (tenant, intake_key)
    WHERE intake_key IS NOT NULL;
CREATE INDEX tickets_due ON tickets (due, id) WHERE due IS NOT NULL;
CREATE INDEX tickets_load ON tickets (tenant, assignee) WHERE is_open = 1;

CREATE TABLE log (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket INTEGER NOT NULL REFERENCES tickets (id),
    tenant TEXT NOT NULL,
    at     INTEGER NOT NULL,
    body   TEXT NOT NULL
) STRICT;

CREATE INDEX log_ticket ON log (ticket, seq);
CREATE INDEX log_tenant_at ON log (tenant, at, ticket, seq);

CREATE TABLE effects (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    key          TEXT NOT NULL UNIQUE,
    tenant       TEXT NOT NULL,
    ticket       INTEGER NOT NULL REFERENCES tickets (id),
    state        TEXT NOT NULL,
    due          INTEGER,
    lease_token  INTEGER,
    lease_until  INTEGER,
    lease_holder TEXT,
    body         TEXT NOT NULL
) STRICT;

CREATE INDEX effects_ticket ON effects (ticket, seq);
CREATE INDEX effects_due ON effects (due, key) WHERE due IS NOT NULL;

-- No foreign key on `ticket`: a host may re-point a task with put_task, as the memory store allows.
CREATE TABLE tasks (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    id     TEXT NOT NULL UNIQUE,
    tenant TEXT NOT NULL,
    ticket INTEGER NOT NULL,
    body   TEXT NOT NULL
) STRICT;

CREATE INDEX tasks_tenant ON tasks (tenant, ticket, seq);
