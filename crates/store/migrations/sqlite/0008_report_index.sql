-- Biểu II.06a over a province-year (docs/benchmarks.md): the report reads only dossiers open at
-- some moment of the period (received before its end, not closed before its start) in an
-- agency subtree, and aggregates a few columns of each. This index holds all of them, so the
-- aggregate never touches the table's rows (which carry the dossier's JSON). NOCASE for the
-- `agency_path LIKE '/…/%'` prefix range, as in 0006.
CREATE INDEX IF NOT EXISTS dossiers_report
    ON dossiers(agency_path COLLATE NOCASE, received_at_us, closed_at_us, finished_at_us, field, channel, state, timeliness, id);
