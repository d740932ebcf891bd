-- Electronic documents (issue 5). Times are microseconds since the Unix epoch (UTC); legal
-- dates (local, Asia/Ho_Chi_Minh) are TEXT `YYYY-MM-DD`.

-- Incoming and outgoing documents: the aggregate (`body`, the domain's JSON) and the columns
-- registers, lists, figures and lookups query.
CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    -- incoming | outgoing
    direction TEXT NOT NULL,
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    -- The agency's path (`/root/…/agency/`), for subtree queries.
    agency_path TEXT NOT NULL,
    -- province | district | commune | other
    agency_tier TEXT NOT NULL,
    state TEXT NOT NULL,
    -- Incoming: edXML status 1–6; outgoing: NULL.
    status_code BIGINT,
    type_code TEXT NOT NULL,
    type_name TEXT NOT NULL,
    subject TEXT NOT NULL,
    -- Số, ký hiệu: the issued number (outgoing) or the sender's (incoming).
    number_notation TEXT,
    -- Ngày tháng văn bản: issue date (outgoing) or the sender's date (incoming).
    doc_date TEXT,
    signer_name TEXT,
    -- edXML Priority 0–4; secrecy 0–3.
    urgency BIGINT NOT NULL,
    secrecy BIGINT NOT NULL,
    -- Incoming: electronic | paper.
    channel TEXT,
    sender_name TEXT,
    sender_identifier TEXT,
    -- The register entry: series key (`den`, `hc`, `qppl:<type>`, `mat`), year and number
    -- (arrival number or issued number), when and on which local date it was entered.
    series TEXT,
    reg_year BIGINT,
    reg_number BIGINT,
    registered_at_us BIGINT,
    registered_date TEXT,
    -- Handling (incoming): due date, lead unit / person, when done.
    handling_due TEXT,
    lead_unit_id TEXT,
    lead_person_id TEXT,
    done_at_us BIGINT,
    -- Outgoing: the incoming document it answers; incoming: its reply.
    reply_to_id TEXT,
    reply_id TEXT,
    signer_signed BOOLEAN NOT NULL,
    agency_signed BOOLEAN NOT NULL,
    -- Outgoing: sent over the exchange to at least one recipient.
    sent_electronic BOOLEAN NOT NULL,
    edxml_document_id TEXT,
    -- Received over the platform: the sender's outgoing document.
    source_document_id TEXT,
    body TEXT NOT NULL,
    -- Optimistic concurrency: every update checks and increments it.
    version BIGINT NOT NULL,
    created_by TEXT,
    created_at_us BIGINT NOT NULL,
    updated_at_us BIGINT NOT NULL
);
-- A number is used once per agency, register, year and series.
CREATE UNIQUE INDEX documents_number ON documents(agency_id, direction, reg_year, series, reg_number);
-- Register pages: one agency and year, newest first (an index range read backwards).
CREATE INDEX documents_register ON documents(agency_id, direction, reg_year, registered_at_us, id);
-- A package is received once per agency.
CREATE UNIQUE INDEX documents_edxml ON documents(edxml_document_id, direction, agency_id);
-- Overdue lists and figures of a subtree (see 0006 on NOCASE and LIKE prefixes).
CREATE INDEX documents_open ON documents(state, agency_path COLLATE NOCASE, handling_due);
CREATE INDEX documents_subtree ON documents(agency_path COLLATE NOCASE, direction, registered_date);

-- Every event of every document.
CREATE TABLE document_events (
    document_id TEXT NOT NULL REFERENCES documents(id),
    seq BIGINT NOT NULL,
    at_us BIGINT NOT NULL,
    actor TEXT,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    status_code BIGINT,
    payload TEXT NOT NULL,
    PRIMARY KEY (document_id, seq)
);
CREATE TRIGGER document_events_no_update BEFORE UPDATE ON document_events
BEGIN SELECT RAISE(ABORT, 'document_events is append-only'); END;
CREATE TRIGGER document_events_no_delete BEFORE DELETE ON document_events
BEGIN SELECT RAISE(ABORT, 'document_events is append-only'); END;

-- Numbers: the last one drawn per agency, year and series, drawn in the transaction that
-- registers or issues (so numbers are unique and without gaps).
CREATE TABLE document_counters (
    agency_id TEXT NOT NULL,
    year BIGINT NOT NULL,
    series TEXT NOT NULL,
    last BIGINT NOT NULL,
    PRIMARY KEY (agency_id, year, series)
);

-- Files of documents; bytes in the content-addressed files folder under their SHA-256.
CREATE TABLE document_files (
    id TEXT PRIMARY KEY,
    document_id TEXT NOT NULL REFERENCES documents(id),
    -- main | attachment | scan | signer_signature | agency_signature
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    file_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    -- Text for search (OCR or given), if any.
    body_text TEXT,
    uploaded_by TEXT,
    uploaded_at_us BIGINT NOT NULL
);
CREATE INDEX document_files_document ON document_files(document_id, uploaded_at_us);

-- Recipients of outgoing documents (for the province → district figures).
CREATE TABLE document_recipients (
    document_id TEXT NOT NULL REFERENCES documents(id),
    seq BIGINT NOT NULL,
    agency_id TEXT,
    identifier TEXT,
    name TEXT NOT NULL,
    tier TEXT,
    electronic BOOLEAN NOT NULL,
    PRIMARY KEY (document_id, seq)
);

-- Search: the folded words of each document (number and notation, type, subject, sender,
-- file text). A query intersects the documents of each word (prefix range for the last one).
CREATE TABLE document_terms (
    term TEXT NOT NULL,
    document_id TEXT NOT NULL REFERENCES documents(id),
    PRIMARY KEY (term, document_id)
);
CREATE INDEX document_terms_document ON document_terms(document_id);

-- The abbreviation an agency issues under (UBND, SNV…), when set by an administrator.
CREATE TABLE document_issuers (
    agency_id TEXT PRIMARY KEY REFERENCES agencies(id),
    abbreviation TEXT NOT NULL,
    updated_at_us BIGINT NOT NULL
);
