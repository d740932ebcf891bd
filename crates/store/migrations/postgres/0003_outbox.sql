-- Outbox: side effects (notifications, bus events) written in the same transaction as the
-- change that causes them, delivered at least once by a dispatcher, idempotently.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    -- Unique per effect: a retried delivery carries the same key, receivers drop repeats.
    idempotency_key TEXT NOT NULL UNIQUE,
    topic TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at_us BIGINT NOT NULL,
    -- When the next delivery attempt may start (a claim leases the row until then).
    available_at_us BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    delivered_at_us BIGINT,
    -- Set when the dispatcher gave up (too many attempts); kept for administrators.
    dead_at_us BIGINT
);
CREATE INDEX outbox_due ON outbox(delivered_at_us, dead_at_us, available_at_us);

-- The default SMS gateway, and the e-mail sink when no SMTP server is configured: messages
-- land here for administrators to read. The key makes delivery idempotent.
CREATE TABLE outgoing_messages (
    idempotency_key TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT,
    body TEXT NOT NULL,
    created_at_us BIGINT NOT NULL
);
