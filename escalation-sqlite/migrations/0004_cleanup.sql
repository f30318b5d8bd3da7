-- 0004: retention cleanup. `archived_at` (unix nanoseconds) is an indexed copy of each
-- ticket's `archived_at`; no row written before this version is archived, so NULL is right
-- for all of them and no backfill is needed. The partial index lets cleanup find the drafts
-- and resolved or closed tickets of a tenant in id order; open tickets (most writes) stay
-- out of it, so intake and the sweep do not maintain it.

ALTER TABLE tickets ADD COLUMN archived_at INTEGER;

CREATE INDEX tickets_cleanup ON tickets (tenant, id)
    WHERE status IN ('draft', 'resolved', 'closed');
