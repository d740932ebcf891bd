-- Drafts of online submissions and the records of files (issue 4). The bytes of a file live in
-- the content-addressed files folder under their SHA-256; a record is committed only after its
-- bytes are durable there.

CREATE TABLE drafts (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    procedure_id TEXT NOT NULL REFERENCES procedures(id),
    agency_id TEXT REFERENCES agencies(id),
    -- The form and contact details typed so far (JSON).
    body TEXT NOT NULL,
    -- Set once submitted (in the dossier's creating transaction).
    dossier_id TEXT REFERENCES dossiers(id),
    created_at_us BIGINT NOT NULL,
    updated_at_us BIGINT NOT NULL
);
CREATE INDEX drafts_user ON drafts(user_id, updated_at_us);

CREATE TABLE files (
    id TEXT PRIMARY KEY,
    -- Exactly one owner: a dossier, or a draft not yet submitted.
    dossier_id TEXT REFERENCES dossiers(id),
    draft_id TEXT REFERENCES drafts(id),
    -- part | supplement | result | working
    kind TEXT NOT NULL,
    -- 1-based dossier part of the procedure version, for `part` files.
    part BIGINT,
    name TEXT NOT NULL,
    file_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded_by TEXT,
    uploaded_at_us BIGINT NOT NULL,
    CHECK ((dossier_id IS NULL) <> (draft_id IS NULL))
);
CREATE INDEX files_dossier ON files(dossier_id);
CREATE INDEX files_draft ON files(draft_id);
CREATE INDEX files_sha256 ON files(sha256);
