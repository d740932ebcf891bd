-- An agency's documents by state (issue 5): the pages' worklist and `GET /api/v1/documents`
-- without a search text. Each state belongs to one direction, so (agency, state) is the whole
-- key; a page of one state is one backward range of this index, newest first, and a page over
-- several states merges one such range per state (see docs/documents.md).
CREATE INDEX documents_state ON documents(agency_id, state, created_at_us, id);

-- Documents per agency and state, kept by triggers so that the worklist's counts cost one
-- short read however many documents an agency holds. Every document write first takes the
-- audit chain's write lock, so the increments of two transactions never interleave (and the
-- two rows one state change touches cannot deadlock).
CREATE TABLE document_state_counts (
    agency_id TEXT NOT NULL,
    direction TEXT NOT NULL,
    state TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (agency_id, state)
);
INSERT INTO document_state_counts (agency_id, direction, state, n)
    SELECT agency_id, direction, state, COUNT(*) FROM documents GROUP BY agency_id, direction, state;

CREATE FUNCTION documents_count_states() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' OR TG_OP = 'DELETE' THEN
        UPDATE document_state_counts SET n = n - 1
            WHERE agency_id = OLD.agency_id AND state = OLD.state;
    END IF;
    IF TG_OP = 'UPDATE' OR TG_OP = 'INSERT' THEN
        INSERT INTO document_state_counts (agency_id, direction, state, n)
            VALUES (NEW.agency_id, NEW.direction, NEW.state, 1)
            ON CONFLICT (agency_id, state) DO UPDATE SET n = document_state_counts.n + 1;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER documents_count_insert AFTER INSERT OR DELETE ON documents
FOR EACH ROW EXECUTE FUNCTION documents_count_states();
CREATE TRIGGER documents_count_state AFTER UPDATE OF state ON documents
FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION documents_count_states();
