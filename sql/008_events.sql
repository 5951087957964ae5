-- 008_events.sql - the events of an execution (SPEC section 9,
-- streaming): each chunk of output and each figure as it came, numbered
-- from 1, so a stream can resume after Last-Event-ID or be replayed from
-- the stored log.  data is the event's JSON, ready to send.  Written in
-- batches by the process that runs the execution; purged with it.
CREATE TABLE execution_events (
    execution_id TEXT NOT NULL,             -- the stored (scoped) id
    seq          INTEGER NOT NULL,
    kind         TEXT NOT NULL,             -- stdout, stderr, image
    data         TEXT NOT NULL,
    PRIMARY KEY (execution_id, seq)
) WITHOUT ROWID;
