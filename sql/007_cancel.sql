-- 007_cancel.sql - POST /executions/{id}/cancel (SPEC section 9): set on
-- an execution that a worker or an executor is running or waiting to
-- run; that process reads it when it is woken, interrupts the program
-- and records the execution as 'cancelled'.
ALTER TABLE executions ADD COLUMN cancel_requested INTEGER NOT NULL
    DEFAULT 0;
