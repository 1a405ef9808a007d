-- Orchestration patterns: what a task does beyond working (select, vote, delegate; JSON of
-- `TaskPattern`), the lead a delegated sub-task was added by, and a selection's candidates.
ALTER TABLE tasks ADD COLUMN pattern TEXT;
ALTER TABLE tasks ADD COLUMN parent_id TEXT REFERENCES tasks(id) ON DELETE SET NULL;

-- One row per candidate of a select or vote task: the candidate task, its agent, the check's
-- result (select) or the choice it voted (vote), the judge's score, and whether it was chosen.
CREATE TABLE task_candidates (
    task_id        TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    candidate_id   TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    agent_id       TEXT,
    exit_code      INTEGER,
    duration_ms    INTEGER,
    check_artifact TEXT,
    passed         INTEGER NOT NULL DEFAULT 0,
    diff_lines     INTEGER NOT NULL DEFAULT 0,
    choice         TEXT,
    score          REAL,
    chosen         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (task_id, candidate_id)
) WITHOUT ROWID;
