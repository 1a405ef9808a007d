-- The coordinator: a task may review another task's work (sending it back at most
-- `max_rounds` times), the agent's turn count when it was given the task (a later turn's end
-- is the task's end), how often a malformed verdict was asked for again; a session's
-- coordinator runs (and resumes after a daemon restart) until its completion criteria hold.
ALTER TABLE tasks ADD COLUMN reviews TEXT REFERENCES tasks(id) ON DELETE SET NULL;
ALTER TABLE tasks ADD COLUMN max_rounds INTEGER NOT NULL DEFAULT 3;
ALTER TABLE tasks ADD COLUMN rounds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN agent_turns INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN reasks INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN coordinator TEXT NOT NULL DEFAULT 'off'
    CHECK (coordinator IN ('off', 'running', 'complete'));
CREATE INDEX artifacts_task ON artifacts(task_id, created_at);
CREATE INDEX agents_task ON agents(task_id);
