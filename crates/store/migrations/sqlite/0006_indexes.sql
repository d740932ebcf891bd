-- Worklists with a million dossiers (docs/benchmarks.md). The queues filter on `state IN (…)`
-- and the agency subtree `agency_path LIKE '/…/agency/%'`. SQLite's LIKE is case-insensitive,
-- so it turns the prefix into an index range only on a NOCASE column (paths are lower-case
-- UUIDs and slashes: NOCASE orders them as BINARY does); without this index every worklist
-- read the whole table (2.4 s at 1M dossiers). The trailing columns make the counts by state
-- (with the overdue sum) and the page's ORDER BY index-only.
CREATE INDEX IF NOT EXISTS dossiers_queue
    ON dossiers(state, agency_path COLLATE NOCASE, due_at_us, closed_at_us, created_at_us, id);
