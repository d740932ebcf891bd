-- Worklists with a million dossiers (docs/benchmarks.md). The queues filter on `state IN (…)`
-- and the agency subtree `agency_path LIKE '/…/agency/%'`. Under a non-C collation PostgreSQL
-- turns the prefix into an index range only with `text_pattern_ops`; without this index a desk
-- worklist scanned every dossier in the queue's states across the province (0.5 s at 1M).
-- The trailing columns make the counts by state (with the overdue sum) and the page's ORDER BY
-- index-only.
CREATE INDEX IF NOT EXISTS dossiers_queue
    ON dossiers(state, agency_path text_pattern_ops, due_at_us, closed_at_us, created_at_us, id);
