-- 0001: the initial schema. Released migrations are never edited; add a new file instead.
--
-- Instants are BIGINT unix nanoseconds (UTC), clamped outside 1677..2262 (they only order the
-- indexes; the documents keep the exact value). Documents (tickets, log runs, effects, tasks)
-- are JSONB in `body`; the other columns are the indexed copies the queries need. Every table
-- has a `tenant` column, and every tenant-scoped query filters on it (row-level security, when
-- enabled, checks it a second time).

CREATE SEQUENCE ticket_ids;
CREATE SEQUENCE lease_tokens;

CREATE TABLE tickets (
    id           BIGINT PRIMARY KEY,
    tenant       TEXT NOT NULL,
    version      BIGINT NOT NULL,
    intake_key   TEXT,
    status       TEXT NOT NULL,
    is_open      BOOLEAN NOT NULL,
    assignee     TEXT,
    due          BIGINT,
    lease_token  BIGINT,
    lease_until  BIGINT,
    lease_holder TEXT,
    resolved_at  BIGINT,
    archived_at  BIGINT,
    body         JSONB NOT NULL
);

-- Uniqueness lives in indexes: one ticket per (tenant, intake key).
CREATE UNIQUE INDEX tickets_intake_key ON tickets (tenant, intake_key)
    WHERE intake_key IS NOT NULL;
-- The sweep's due index: only tickets with a next check are in it.
CREATE INDEX tickets_due ON tickets (due, id) WHERE due IS NOT NULL;
CREATE INDEX tickets_load ON tickets (tenant, assignee) WHERE is_open;
CREATE INDEX tickets_resolved ON tickets (tenant, resolved_at, id)
    WHERE resolved_at IS NOT NULL;
CREATE INDEX tickets_cleanup ON tickets (tenant, id)
    WHERE status IN ('draft', 'resolved', 'closed');

-- One row per run of log entries a commit wrote at the same instant; `kinds` is the bit mask
-- of their event kinds (EventKinds in escalation-core).
CREATE TABLE log_rows (
    seq    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket BIGINT NOT NULL REFERENCES tickets (id),
    tenant TEXT NOT NULL,
    at     BIGINT NOT NULL,
    kinds  BIGINT NOT NULL,
    body   JSONB NOT NULL
);

CREATE INDEX log_rows_ticket ON log_rows (ticket, seq);
CREATE INDEX log_rows_tenant_at ON log_rows (tenant, at, kinds);

-- The outbox. The effect's idempotency key is unique across the database.
CREATE TABLE effects (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key          TEXT NOT NULL,
    tenant       TEXT NOT NULL,
    ticket       BIGINT NOT NULL REFERENCES tickets (id),
    state        TEXT NOT NULL,
    due          BIGINT,
    lease_token  BIGINT,
    lease_until  BIGINT,
    lease_holder TEXT,
    body         JSONB NOT NULL
);

CREATE UNIQUE INDEX effects_key ON effects (key);
CREATE INDEX effects_ticket ON effects (ticket, seq);
-- Effects due at the same instant go in byte order of their keys, whatever the database's
-- collation.
CREATE INDEX effects_due ON effects (due, key COLLATE "C") WHERE due IS NOT NULL;

-- No foreign key on `ticket`: a host may re-point a task with put_task, as the memory store
-- allows.
CREATE TABLE tasks (
    seq    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id     TEXT NOT NULL,
    tenant TEXT NOT NULL,
    ticket BIGINT NOT NULL,
    status TEXT NOT NULL,
    body   JSONB NOT NULL
);

CREATE UNIQUE INDEX tasks_id ON tasks (id);
CREATE INDEX tasks_tenant ON tasks (tenant, ticket, seq);
