-- Biểu II.06a by field (docs/benchmarks.md, session 6): with the field first, the report reads
-- one index range per field (field = ?, then the subtree's path prefix) and aggregates each
-- range alone, and a district reads only its own dossiers. Also lists the fields present.
CREATE INDEX IF NOT EXISTS dossiers_report_field
    ON dossiers(field, agency_path text_pattern_ops)
    INCLUDE (received_at_us, closed_at_us, finished_at_us, channel, state, timeliness);
