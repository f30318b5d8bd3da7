-- 0005: each log row records the kinds of the events it holds, as a bit mask (see
-- `EventKinds` in escalation-core), so a report that needs a few kinds over weeks of log
-- reads only the rows holding one. Rows written before this version have every bit set
-- (they match every filter). The tenant/time index carries the mask, so the filter is
-- applied without reading the rows it skips.

ALTER TABLE log_rows ADD COLUMN kinds INTEGER NOT NULL DEFAULT -1;

DROP INDEX log_rows_tenant_at;
CREATE INDEX log_rows_tenant_at ON log_rows (tenant, at, kinds);
