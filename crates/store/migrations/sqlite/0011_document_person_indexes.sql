-- The worklist's person-filtered groups (issue 5): "assigned / in progress led by me" and "my
-- drafts". Without these, a page read every row of those states in the agency and filtered on
-- the person (71–121 ms for 500 of 4,000 open documents at a million rows, docs/documents.md).
-- With the person between the agency and the state, each state's page is again one backward
-- range of an index, newest first, and the filtered total a count over that range.
CREATE INDEX documents_lead_state ON documents(agency_id, lead_person_id, state, created_at_us, id);
CREATE INDEX documents_creator_state ON documents(agency_id, created_by, state, created_at_us, id);
