-- 005_no_waiters.sql - the queue for sandboxes lives in shared memory
-- (fcgi-app/sandbox/queue.c, SPEC section 8): the SQLite queue it
-- replaced is gone.
DROP TABLE waiters;
