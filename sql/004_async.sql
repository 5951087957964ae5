-- 004_async.sql - asynchronous executions, idempotency keys and signed
-- webhooks (SPEC section 9).  Times are milliseconds since the epoch.

-- The /execute reply of an execution, kept when a client will ask for it
-- later (async, callback, idempotent repeat): GET /executions/{id} and
-- the webhook carry it as "result".
ALTER TABLE executions ADD COLUMN result TEXT;          -- JSON
ALTER TABLE executions ADD COLUMN callback_url TEXT;

-- Work accepted by POST /executions and not yet run to its end.  The row
-- holds the request body as sent; an executor claims it (claimed_by = its
-- pid), runs it through the same path as /execute and deletes it.
CREATE TABLE async_queue (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    execution_id TEXT NOT NULL UNIQUE,
    key_id       TEXT NOT NULL,
    body         TEXT NOT NULL,
    base_url     TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    claimed_by   INTEGER,                   -- executor pid, NULL: waiting
    claimed_at   INTEGER
);
CREATE INDEX async_queue_waiting ON async_queue (claimed_by, seq);

-- Idempotency-Key: the first answer to (key holder, key), replayed.
CREATE TABLE idempotency (
    key_id       TEXT NOT NULL,
    idem_key     TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,             -- SHA-256 of route and body
    holder_pid   INTEGER NOT NULL,          -- who is answering it
    status       INTEGER,                   -- NULL while in progress
    response     TEXT,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (key_id, idem_key)
);
CREATE INDEX idempotency_created ON idempotency (created_at);

-- One webhook signing secret per API key (base64 of the raw bytes).
CREATE TABLE webhook_secrets (
    key_id     TEXT PRIMARY KEY,
    secret     TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- One delivery per execution with a callback_url; its id is the
-- webhook-id header, the same on every attempt.
CREATE TABLE webhook_deliveries (
    id           TEXT PRIMARY KEY,
    execution_id TEXT NOT NULL,
    key_id       TEXT NOT NULL,
    url          TEXT NOT NULL,
    state        TEXT NOT NULL,             -- pending, delivered, failed
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      INTEGER,
    payload      TEXT,                      -- fixed at the first attempt
    created_at   INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_at);
CREATE INDEX webhook_deliveries_execution ON webhook_deliveries
    (execution_id);

CREATE TABLE webhook_attempts (
    delivery_id TEXT NOT NULL,
    attempt     INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    status_code INTEGER,                    -- NULL: no HTTP answer
    error       TEXT,
    duration_ms INTEGER NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);

-- The deliverer's sweep finds ended executions whose webhook was not
-- queued yet (a crash between the final record and the queueing).
CREATE INDEX executions_callback ON executions (id)
    WHERE callback_url IS NOT NULL;
