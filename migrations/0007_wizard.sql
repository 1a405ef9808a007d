-- The spawning wizard: a goal, the repository's facts read before the first question, the
-- answers so far and the plan (JSON, the engine's types), kept from the start so a draft
-- survives a daemon restart and can be resumed or discarded.
CREATE TABLE wizards (
    id         TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    goal       TEXT NOT NULL,
    engine     TEXT NOT NULL DEFAULT 'guided',
    state      TEXT NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'launched', 'discarded')),
    facts      TEXT NOT NULL DEFAULT '{}',
    answers    TEXT NOT NULL DEFAULT '[]',
    plan       TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX wizards_session ON wizards(session_id, created_at);
