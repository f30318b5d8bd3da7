-- 0002: compact documents.
--
-- * Ticket and log documents may be stored compressed: `body` becomes `ANY`. A TEXT body is
--   plain JSON (as version 1 wrote it); a BLOB body is the same JSON compressed with LZ4
--   (block format, its decompressed length first as 4 bytes little-endian), which is what
--   this version writes. Both read back the same.
-- * The log stores one row per run of entries a commit wrote at the same instant (usually
--   one row per commit), its body a JSON array, instead of one row per entry; and its
--   sequence is the plain rowid (no AUTOINCREMENT, so no sqlite_sequence write per row). A
--   new row still gets a larger seq than every row present, which is all the ordering needs.
--
-- Runs with foreign-key enforcement off (the store turns it on again after migrating and
-- checks the keys before committing).

CREATE TABLE tickets_v2 (
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
    body         ANY NOT NULL
) STRICT;

INSERT INTO tickets_v2 SELECT * FROM tickets;
DROP TABLE tickets;
ALTER TABLE tickets_v2 RENAME TO tickets;

CREATE UNIQUE INDEX tickets_intake_key ON tickets (tenant, intake_key)
    WHERE intake_key IS NOT NULL;
CREATE INDEX tickets_due ON tickets (due, id) WHERE due IS NOT NULL;
CREATE INDEX tickets_load ON tickets (tenant, assignee) WHERE is_open = 1;

CREATE TABLE log_rows (
    seq    INTEGER PRIMARY KEY NOT NULL,
    ticket INTEGER NOT NULL REFERENCES tickets (id),
    tenant TEXT NOT NULL,
    at     INTEGER NOT NULL,
    body   ANY NOT NULL
) STRICT;

INSERT INTO log_rows (seq, ticket, tenant, at, body)
    SELECT seq, ticket, tenant, at, json_array(json(body)) FROM log ORDER BY seq;

DROP TABLE log;

CREATE INDEX log_rows_ticket ON log_rows (ticket, seq);
CREATE INDEX log_rows_tenant_at ON log_rows (tenant, at, ticket, seq);
