-- Search and registers at a million documents (issue 5; docs/documents.md, "Search").
--
-- 1. Postings in time order. A search answers the newest documents having every word, so the
--    postings of a term are kept ordered by the document's creation time: the rarest word's
--    list is walked newest first, each candidate is checked against the other words by one
--    primary-key probe (term, created_at_us, document_id), and the walk stops at the page's
--    last match instead of intersecting whole lists and sorting them. Besides the words, a
--    document is posted under "@<agency id>" for every agency of its path, so "within this
--    agency's subtree" is one more term (walked when it is the rarest, probed otherwise).
--    (document_id, term) serves the probe of the last word's prefix and the rewrite of a
--    document's terms.
CREATE TABLE document_postings (
    term TEXT NOT NULL,
    created_at_us BIGINT NOT NULL,
    document_id TEXT NOT NULL REFERENCES documents(id),
    PRIMARY KEY (term, created_at_us, document_id)
) WITHOUT ROWID;
INSERT INTO document_postings (term, created_at_us, document_id)
    SELECT t.term, d.created_at_us, t.document_id
    FROM document_terms t JOIN documents d ON d.id = t.document_id;
-- Path "/a/b/c/" → "@a", "@b", "@c" for documents that have words (secret ones have none).
WITH RECURSIVE seg(document_id, created_at_us, rest, term) AS (
    SELECT d.id, d.created_at_us, substr(d.agency_path, 2), NULL
    FROM documents d WHERE EXISTS (SELECT 1 FROM document_terms t WHERE t.document_id = d.id)
    UNION ALL
    SELECT document_id, created_at_us, substr(rest, instr(rest, '/') + 1),
           '@' || substr(rest, 1, instr(rest, '/') - 1)
    FROM seg WHERE instr(rest, '/') > 0
)
INSERT OR IGNORE INTO document_postings (term, created_at_us, document_id)
    SELECT term, created_at_us, document_id FROM seg WHERE term IS NOT NULL AND term <> '@';
CREATE INDEX document_postings_document ON document_postings(document_id, term);
DROP TABLE document_terms;

-- 2. Register lengths kept by triggers, so a register page does not count the year's rows.
--    A document is in its agency's register of its direction and year once it has a year
--    (incoming: at registration; outgoing: when issued).
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

CREATE TRIGGER documents_register_insert AFTER INSERT ON documents
WHEN NEW.reg_year IS NOT NULL
BEGIN
    INSERT INTO document_register_counts (agency_id, direction, reg_year, n)
        VALUES (NEW.agency_id, NEW.direction, NEW.reg_year, 1)
        ON CONFLICT (agency_id, direction, reg_year) DO UPDATE SET n = document_register_counts.n + 1;
END;
CREATE TRIGGER documents_register_update AFTER UPDATE OF reg_year ON documents
WHEN OLD.reg_year IS NOT NEW.reg_year
BEGIN
    UPDATE document_register_counts SET n = n - 1
        WHERE OLD.reg_year IS NOT NULL AND agency_id = OLD.agency_id
          AND direction = OLD.direction AND reg_year = OLD.reg_year;
    INSERT INTO document_register_counts (agency_id, direction, reg_year, n)
        SELECT NEW.agency_id, NEW.direction, NEW.reg_year, 1 WHERE NEW.reg_year IS NOT NULL
        ON CONFLICT (agency_id, direction, reg_year) DO UPDATE SET n = document_register_counts.n + 1;
END;
CREATE TRIGGER documents_register_delete AFTER DELETE ON documents
WHEN OLD.reg_year IS NOT NULL
BEGIN
    UPDATE document_register_counts SET n = n - 1
        WHERE agency_id = OLD.agency_id AND direction = OLD.direction AND reg_year = OLD.reg_year;
END;
