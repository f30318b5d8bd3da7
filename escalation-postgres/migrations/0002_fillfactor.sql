-- 0002: leave a fifth of each tickets page free. A claim sets only the lease columns, which no
-- index covers, so with room on the page PostgreSQL updates the row in place (a HOT update:
-- no new index entries, no dead entries for the next claim's index scan to step over). Only
-- pages written from now on get the room.
ALTER TABLE tickets SET (fillfactor = 80);
ALTER TABLE effects SET (fillfactor = 80);
