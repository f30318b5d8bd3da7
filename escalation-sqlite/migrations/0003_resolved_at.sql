-- 0003: an indexed copy of each ticket's `resolved_at` (unix nanoseconds), for the resolution
-- metrics and the weekly report. Rows written before this version are filled in from their
-- documents by the store right after this script (documents may be compressed, which SQL
-- cannot read).

ALTER TABLE tickets ADD COLUMN resolved_at INTEGER;

CREATE INDEX tickets_resolved ON tickets (tenant, resolved_at, id)
    WHERE resolved_at IS NOT NULL;
