-- Procedures and dossiers (issue 4). Times are microseconds since the Unix epoch (UTC); local
-- dates (Asia/Ho_Chi_Minh) are TEXT `YYYY-MM-DD`.

-- The procedure catalogue: one row per version. `body` is the domain's procedure JSON (what
-- dossiers are checked against); the other columns repeat what searches and filters need.
CREATE TABLE procedures (
    id TEXT PRIMARY KEY,
    national_code TEXT NOT NULL,
    local_code TEXT,
    version BIGINT NOT NULL,
    -- The version in effect for new dossiers (one per national code).
    is_current BOOLEAN NOT NULL,
    name TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    field TEXT NOT NULL,
    field_folded TEXT NOT NULL,
    -- province | district | commune
    level TEXT NOT NULL,
    -- 2019 service level (MucDo): 2, 3 or 4
    service_level BIGINT NOT NULL,
    -- Legal time as JSON: {"days": n} | {"half_days": n} | {"minutes": n}
    legal_time TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    effective_to TEXT,
    body TEXT NOT NULL,
    -- Notes of the source data (legal_days_note, unconfirmed, sources), JSON.
    notes TEXT NOT NULL,
    created_at_us BIGINT NOT NULL,
    updated_at_us BIGINT NOT NULL,
    UNIQUE (national_code, version)
);
CREATE INDEX procedures_current_name ON procedures(is_current, name_folded);

CREATE TABLE procedure_agencies (
    procedure_id TEXT NOT NULL REFERENCES procedures(id) ON DELETE CASCADE,
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    PRIMARY KEY (procedure_id, agency_id)
);
CREATE INDEX procedure_agencies_agency ON procedure_agencies(agency_id);

-- Dossiers: the aggregate (`state_json`, with the terms of the procedure version it was
-- submitted under) and the columns worklists, lookups and reports query.
CREATE TABLE dossiers (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    agency_id TEXT NOT NULL REFERENCES agencies(id),
    -- The receiving agency's path (`/root/…/agency/`), for subtree queries.
    agency_path TEXT NOT NULL,
    procedure_id TEXT NOT NULL REFERENCES procedures(id),
    procedure_version BIGINT NOT NULL,
    national_code TEXT NOT NULL,
    -- Field (lĩnh vực) of the procedure version, for the reports.
    field TEXT NOT NULL,
    procedure_terms TEXT NOT NULL,
    applicant_user_id TEXT REFERENCES users(id),
    applicant_name TEXT NOT NULL,
    applicant_name_folded TEXT NOT NULL,
    applicant_id_number TEXT,
    applicant_phone TEXT,
    applicant_email TEXT,
    applicant_address TEXT,
    form_values TEXT NOT NULL,
    return_method TEXT,
    -- KenhThucHien 1–3
    channel BIGINT NOT NULL,
    state TEXT NOT NULL,
    -- TrangThaiHoSo 1–10
    national_status BIGINT NOT NULL,
    clock_paused BOOLEAN NOT NULL,
    submitted_at_us BIGINT NOT NULL,
    received_at_us BIGINT,
    -- Due instant with pauses (NgayHenTra); NULL before receipt and while a pause is open.
    due_at_us BIGINT,
    appointment_at_us BIGINT,
    finished_at_us BIGINT,
    -- First entry into result_ready, returned, withdrawn or stopped.
    closed_at_us BIGINT,
    timeliness TEXT,
    state_json TEXT NOT NULL,
    -- Optimistic concurrency: every update checks and increments it.
    version BIGINT NOT NULL,
    created_at_us BIGINT NOT NULL,
    updated_at_us BIGINT NOT NULL
);
CREATE INDEX dossiers_worklist ON dossiers(agency_id, state, due_at_us);
CREATE INDEX dossiers_subtree ON dossiers(agency_path, state, due_at_us);
CREATE INDEX dossiers_applicant ON dossiers(applicant_user_id, created_at_us);
CREATE INDEX dossiers_received ON dossiers(received_at_us);

-- Every event of every dossier (the timeline, the control slip, the reports).
CREATE TABLE dossier_events (
    dossier_id TEXT NOT NULL REFERENCES dossiers(id),
    seq BIGINT NOT NULL,
    at_us BIGINT NOT NULL,
    -- user:<uuid>, or NULL for the system or an anonymous applicant
    actor TEXT,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    national_status BIGINT NOT NULL,
    -- The domain's event JSON.
    payload TEXT NOT NULL,
    PRIMARY KEY (dossier_id, seq)
);

-- Dossier codes: the last number drawn per receiving agency and local day.
CREATE TABLE dossier_code_counters (
    agency_id TEXT NOT NULL,
    day TEXT NOT NULL,
    next BIGINT NOT NULL,
    PRIMARY KEY (agency_id, day)
);

-- Events are history: never changed, never removed.
CREATE FUNCTION dossier_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'dossier_events is append-only';
END;
$$;
CREATE TRIGGER dossier_events_no_change BEFORE UPDATE OR DELETE ON dossier_events
FOR EACH ROW EXECUTE FUNCTION dossier_events_append_only();
