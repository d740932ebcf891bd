-- cqdt foundation schema (SQLite). Times are microseconds since the Unix epoch (UTC).

CREATE TABLE agencies (
    id TEXT PRIMARY KEY,
    parent_id TEXT REFERENCES agencies(id),
    identifier TEXT NOT NULL UNIQUE,
    level BIGINT NOT NULL,
    path TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    short_name TEXT,
    address TEXT,
    phone TEXT,
    email TEXT,
    valid_from TEXT,
    valid_to TEXT,
    gso_code TEXT,
    note TEXT,
    created_at_us BIGINT NOT NULL,
    updated_at_us BIGINT NOT NULL
);
CREATE INDEX agencies_parent ON agencies(parent_id);
CREATE INDEX agencies_path ON agencies(path);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    email TEXT UNIQUE,
    phone TEXT UNIQUE,
    full_name TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    id_number TEXT,
    agency_id TEXT REFERENCES agencies(id),
    password_hash TEXT NOT NULL,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    locale TEXT NOT NULL DEFAULT 'vi',
    created_at_us BIGINT NOT NULL
);
CREATE INDEX users_agency ON users(agency_id);

CREATE TABLE grants (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    agency_id TEXT REFERENCES agencies(id),
    created_at_us BIGINT NOT NULL
);
CREATE INDEX grants_user ON grants(user_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at_us BIGINT NOT NULL,
    last_seen_us BIGINT NOT NULL,
    expires_at_us BIGINT NOT NULL,
    ip TEXT,
    user_agent TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE login_failures (
    key TEXT NOT NULL,
    at_us BIGINT NOT NULL
);
CREATE INDEX login_failures_key ON login_failures(key, at_us);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    scopes TEXT NOT NULL,
    agency_id TEXT REFERENCES agencies(id),
    created_by TEXT NOT NULL,
    created_at_us BIGINT NOT NULL,
    revoked_at_us BIGINT
);

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at_us BIGINT NOT NULL,
    actor TEXT NOT NULL,
    ip TEXT,
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT NOT NULL,
    before_digest TEXT,
    after_digest TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);

CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- The audit log is append-only: the application never updates or deletes a row.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
