-- Tasks as the coordinator runs them: the states users see (done, not succeeded; review between
-- running and done), the model, the agent that works on it, a one-line summary and why a task
-- was blocked or cancelled. No code wrote tasks before this version, so the table is made anew
-- (SQLite cannot change a CHECK constraint in place); an empty table drops without touching the
-- rows that point at it.
DROP TABLE task_deps;
DROP TABLE tasks;
CREATE TABLE tasks (
    id          TEXT PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    -- Unique in the session: how templates and the CLI name a task.
    name        TEXT NOT NULL,
    title       TEXT NOT NULL,
    prompt      TEXT NOT NULL,
    role        TEXT,
    cli         TEXT,
    model       TEXT,
    state       TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'ready', 'running', 'review', 'done', 'failed', 'blocked', 'cancelled')),
    agent_id    TEXT,
    summary     TEXT,
    outcome     TEXT,
    reason      TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    started_at  INTEGER,
    ended_at    INTEGER,
    UNIQUE (session_id, name)
);
CREATE INDEX tasks_session ON tasks(session_id, state);

-- A task runs after each of its dependencies; `condition` makes it conditional on their outcome.
CREATE TABLE task_deps (
    task_id    TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    depends_on TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    condition  TEXT NOT NULL DEFAULT 'after' CHECK (condition IN ('after', 'if_succeeded', 'if_failed')),
    PRIMARY KEY (task_id, depends_on)
) WITHOUT ROWID;
