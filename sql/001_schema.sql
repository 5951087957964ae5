-- 001_schema.sql - the first schema of pyexec's SQLite database.
-- Times are milliseconds since the Unix epoch.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE api_keys (
    id              TEXT PRIMARY KEY,       -- public id, safe to print
    hash            TEXT NOT NULL UNIQUE,   -- SHA-256 hex of the key
    name            TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    revoked_at      INTEGER,
    max_concurrent  INTEGER,                -- NULL: key_max_concurrent
    rate_per_minute INTEGER                 -- NULL: key_rate_per_minute
);

CREATE TABLE executions (
    id             TEXT PRIMARY KEY,
    key_id         TEXT NOT NULL,
    session_id     TEXT,
    request_id     TEXT,
    created_at     INTEGER NOT NULL,
    started_at     INTEGER,
    finished_at    INTEGER,
    -- queued, running, completed, error, timeout, memory_limit, killed,
    -- blocked, interrupted, failed
    status         TEXT NOT NULL,
    language       TEXT NOT NULL,
    code           TEXT NOT NULL,
    stdin          TEXT NOT NULL DEFAULT '',
    timeout_ms     INTEGER NOT NULL,
    memory_mb      INTEGER NOT NULL,
    exit_code      INTEGER,
    signal         INTEGER,
    stdout         TEXT,
    stderr         TEXT,
    result_text    TEXT,
    truncated      INTEGER NOT NULL DEFAULT 0,
    execution_time REAL,
    error          TEXT,
    container      TEXT,
    worker_pid     INTEGER,
    test_results   TEXT,                    -- JSON
    violations     TEXT,                    -- JSON
    timings        TEXT                     -- JSON
);
CREATE INDEX executions_key_created ON executions (key_id, created_at);
CREATE INDEX executions_created ON executions (created_at);
CREATE INDEX executions_active ON executions (key_id)
    WHERE status IN ('queued', 'running');

CREATE TABLE images (
    id           TEXT PRIMARY KEY,          -- 128 random bits, hex
    execution_id TEXT NOT NULL,
    key_id       TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    kind         TEXT NOT NULL,             -- 'plot' or 'file'
    name         TEXT,                      -- files: the name written
    mime         TEXT NOT NULL,
    width        INTEGER,
    height       INTEGER,
    size         INTEGER NOT NULL,
    bytes        BLOB NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX images_execution ON images (execution_id, seq);

-- Every container we started, so that any process (and the next start)
-- knows what exists and who holds it.
CREATE TABLE containers (
    name       TEXT PRIMARY KEY,
    docker_id  TEXT,
    -- creating, idle, claimed, session, retiring
    state      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    ready_at   INTEGER,
    claimed_at INTEGER,
    claimed_by INTEGER,                     -- pid of the holder
    owner_key  TEXT,                        -- process mode: bound to a key
    uses       INTEGER NOT NULL DEFAULT 0,
    memory_mb  INTEGER NOT NULL
);
CREATE INDEX containers_state ON containers (state, ready_at);

CREATE TABLE sessions (
    key_id       TEXT NOT NULL,
    id           TEXT NOT NULL,
    container    TEXT,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    executions   INTEGER NOT NULL DEFAULT 0,
    memory_mb    INTEGER NOT NULL,
    PRIMARY KEY (key_id, id)
);

-- First-come first-served queues shared by all workers: the sandbox pool
-- ('pool') and each session's turn ('session:<key>:<id>').
CREATE TABLE waiters (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    queue      TEXT NOT NULL,
    pid        INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX waiters_queue ON waiters (queue, seq);
