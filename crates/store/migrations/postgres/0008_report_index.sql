-- Biểu II.06a over a province-year (docs/benchmarks.md): the report reads only dossiers open at
-- some moment of the period (received before its end, not closed before its start) in an
-- agency subtree, and aggregates a few columns of each. The INCLUDE columns make it an
-- index-only scan; `text_pattern_ops` for the `agency_path LIKE '/…/%'` prefix range, as in 0006.
CREATE INDEX IF NOT EXISTS dossiers_report
    ON dossiers(agency_path text_pattern_ops, received_at_us)
    INCLUDE (closed_at_us, finished_at_us, field, channel, state, timeliness, id);
