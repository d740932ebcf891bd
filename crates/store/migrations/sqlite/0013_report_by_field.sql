-- Biểu II.06a by field (docs/benchmarks.md, session 6): with the field first, the report reads
-- one index range per field (field = ?, then the subtree's path prefix) and aggregates each
-- range alone — no sort of the subtree's dossiers by field (0.27 s of 0.87 s for a
-- province-year of a million), and a district reads only its own dossiers. Also lists the
-- fields present (one seek each).
CREATE INDEX IF NOT EXISTS dossiers_report_field
    ON dossiers(field, agency_path COLLATE NOCASE, received_at_us, closed_at_us, finished_at_us, channel, state, timeliness);
