-- Working calendar (PostgreSQL): yearly holiday notices edited by administrators. A stored notice
-- overrides the notice bundled in the binary for its year. `body` is the notice JSON
-- (cqdt.calendar.notice/1, normalised); `version` repeats its "version" field for listings.
-- Times are microseconds since the Unix epoch (UTC).

CREATE TABLE calendar_notices (
    year BIGINT PRIMARY KEY,
    body TEXT NOT NULL,
    version TEXT,
    updated_at_us BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);
