-- Copies waiting for the clerk's answer to their sender (a recall, status 13, or an update,
-- BussinessDocType 2; issue 5): the kind of the pending request, NULL otherwise, and a partial
-- index so the clerk's worklist finds them however many documents the agency holds.
ALTER TABLE documents ADD COLUMN request_kind TEXT;
CREATE INDEX documents_request ON documents(agency_id, created_at_us, id) WHERE request_kind IS NOT NULL;
