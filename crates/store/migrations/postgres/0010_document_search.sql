-- Search and registers at a million documents (issue 5; docs/documents.md, "Search"). The
-- SQLite migration of the same number explains the design; this is the same in PostgreSQL.

-- 1. Postings in time order; "@<agency id>" for every agency of the document's path.
CREATE TABLE document_postings (
    term TEXT COLLATE "C" NOT NULL,
    created_at_us BIGINT NOT NULL,
    document_id TEXT NOT NULL REFERENCES documents(id),
    PRIMARY KEY (term, created_at_us, document_id)
);
INSERT INTO document_postings (term, created_at_us, document_id)
    SELECT t.term, d.created_at_us, t.document_id
    FROM document_terms t JOIN documents d ON d.id = t.document_id;
INSERT INTO document_postings (term, created_at_us, document_id)
    SELECT DISTINCT '@' || s.seg, d.created_at_us, d.id
    FROM documents d
    CROSS JOIN LATERAL unnest(string_to_array(trim(both '/' from d.agency_path), '/')) AS s(seg)
    WHERE s.seg <> '' AND EXISTS (SELECT 1 FROM document_terms t WHERE t.document_id = d.id)
    ON CONFLICT DO NOTHING;
CREATE INDEX document_postings_document ON document_postings(document_id, term);
DROP TABLE document_terms;

-- 2. Register lengths kept by a trigger.
CREATE TABLE document_register_counts (
    agency_id TEXT NOT NULL,
    direction TEXT NOT NULL,
    reg_year BIGINT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (agency_id, direction, reg_year)
);
INSERT INTO document_register_counts (agency_id, direction, reg_year, n)
    SELECT agency_id, direction, reg_year, COUNT(*) FROM documents
    WHERE reg_year IS NOT NULL GROUP BY agency_id, direction, reg_year;

CREATE FUNCTION documents_count_registers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (TG_OP = 'UPDATE' OR TG_OP = 'DELETE') AND OLD.reg_year IS NOT NULL THEN
        UPDATE document_register_counts SET n = n - 1
            WHERE agency_id = OLD.agency_id AND direction = OLD.direction
              AND reg_year = OLD.reg_year;
    END IF;
    IF (TG_OP = 'UPDATE' OR TG_OP = 'INSERT') AND NEW.reg_year IS NOT NULL THEN
        INSERT INTO document_register_counts (agency_id, direction, reg_year, n)
            VALUES (NEW.agency_id, NEW.direction, NEW.reg_year, 1)
            ON CONFLICT (agency_id, direction, reg_year)
            DO UPDATE SET n = document_register_counts.n + 1;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER documents_register_insert AFTER INSERT OR DELETE ON documents
FOR EACH ROW EXECUTE FUNCTION documents_count_registers();
CREATE TRIGGER documents_register_update AFTER UPDATE OF reg_year ON documents
FOR EACH ROW WHEN (OLD.reg_year IS DISTINCT FROM NEW.reg_year)
EXECUTE FUNCTION documents_count_registers();
