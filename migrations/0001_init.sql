-- First schema: everything PRODUCT.md names, so later work refines rather than re-shapes.
-- Timestamps are milliseconds since the Unix epoch (UTC). JSON columns hold objects or arrays.

CREATE TABLE sessions (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL UNIQUE,
    repo              TEXT NOT NULL,
    base_branch       TEXT,
    state             TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'archived')),
    parent_session_id TEXT REFERENCES sessions(id) ON DELETE SET NULL,
    settings          TEXT NOT NULL DEFAULT '{}',
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    archived_at       INTEGER
);

CREATE TABLE tasks (
    id          TEXT PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    prompt      TEXT NOT NULL,
    role        TEXT,
    cli         TEXT,
    state       TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'ready', 'running', 'succeeded', 'failed', 'cancelled', 'blocked')),
    outcome     TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    started_at  INTEGER,
    ended_at    INTEGER
);
CREATE INDEX tasks_session ON tasks(session_id, state);

-- A task runs after each of its dependencies; `condition` makes it conditional on their outcome.
CREATE TABLE task_deps (
    task_id    TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    depends_on TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    condition  TEXT NOT NULL DEFAULT 'after' CHECK (condition IN ('after', 'if_succeeded', 'if_failed')),
    PRIMARY KEY (task_id, depends_on)
) WITHOUT ROWID;

CREATE TABLE agents (
    id                 TEXT PRIMARY KEY,
    session_id         TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    task_id            TEXT REFERENCES tasks(id) ON DELETE SET NULL,
    parent_agent_id    TEXT REFERENCES agents(id) ON DELETE SET NULL,
    name               TEXT NOT NULL,
    role               TEXT,
    cli                TEXT NOT NULL,
    model              TEXT,
    state              TEXT NOT NULL DEFAULT 'starting',
    cwd                TEXT NOT NULL,
    command            TEXT NOT NULL DEFAULT '[]',
    cli_session_id     TEXT,
    worktree_path      TEXT,
    branch             TEXT,
    base_ref           TEXT,
    pid                INTEGER,
    exit_code          INTEGER,
    log_path           TEXT NOT NULL,
    input_tokens       INTEGER NOT NULL DEFAULT 0,
    output_tokens      INTEGER NOT NULL DEFAULT 0,
    cache_read_tokens  INTEGER NOT NULL DEFAULT 0,
    cache_write_tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd           REAL NOT NULL DEFAULT 0,
    cost_is_estimate   INTEGER NOT NULL DEFAULT 0,
    last_event_at      INTEGER,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    ended_at           INTEGER,
    UNIQUE (session_id, name)
);
CREATE INDEX agents_session ON agents(session_id, state);

-- Index over the agents' JSONL logs: the log is the record, this points into it.
CREATE TABLE events (
    agent_id   TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    ts         INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    log_offset INTEGER NOT NULL,
    log_len    INTEGER NOT NULL,
    PRIMARY KEY (agent_id, seq)
) WITHOUT ROWID;
CREATE INDEX events_kind ON events(agent_id, kind);

CREATE TABLE artifacts (
    id         TEXT NOT NULL UNIQUE,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    task_id    TEXT REFERENCES tasks(id) ON DELETE SET NULL,
    agent_id   TEXT REFERENCES agents(id) ON DELETE SET NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('markdown', 'file', 'diff', 'verdict', 'json', 'text')),
    title      TEXT NOT NULL,
    summary    TEXT NOT NULL DEFAULT '',
    body       TEXT NOT NULL DEFAULT '',
    path       TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX artifacts_session ON artifacts(session_id, created_at);

CREATE VIRTUAL TABLE artifacts_fts USING fts5(
    title, summary, body, content = 'artifacts', content_rowid = 'rowid'
);
CREATE TRIGGER artifacts_ai AFTER INSERT ON artifacts BEGIN
    INSERT INTO artifacts_fts(rowid, title, summary, body) VALUES (new.rowid, new.title, new.summary, new.body);
END;
CREATE TRIGGER artifacts_ad AFTER DELETE ON artifacts BEGIN
    INSERT INTO artifacts_fts(artifacts_fts, rowid, title, summary, body)
    VALUES ('delete', old.rowid, old.title, old.summary, old.body);
END;
CREATE TRIGGER artifacts_au AFTER UPDATE ON artifacts BEGIN
    INSERT INTO artifacts_fts(artifacts_fts, rowid, title, summary, body)
    VALUES ('delete', old.rowid, old.title, old.summary, old.body);
    INSERT INTO artifacts_fts(rowid, title, summary, body) VALUES (new.rowid, new.title, new.summary, new.body);
END;

CREATE TABLE objectives (
    id         TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    text       TEXT NOT NULL,
    state      TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'done', 'dropped')),
    created_at INTEGER NOT NULL,
    done_at    INTEGER
);

CREATE TABLE decisions (
    id         TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    question   TEXT NOT NULL,
    answer     TEXT,
    state      TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'decided')),
    created_at INTEGER NOT NULL,
    decided_at INTEGER
);

CREATE TABLE insights (
    id         TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    text       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE health_samples (
    agent_id  TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    ts        INTEGER NOT NULL,
    cpu_pct   REAL,
    rss_bytes INTEGER,
    score     INTEGER NOT NULL,
    PRIMARY KEY (agent_id, ts)
) WITHOUT ROWID;

CREATE TABLE alerts (
    id          TEXT PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    agent_id    TEXT REFERENCES agents(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    severity    TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    message     TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    resolved_at INTEGER
);
CREATE INDEX alerts_open ON alerts(session_id) WHERE resolved_at IS NULL;

-- Every cycle of a session's coordinator loop is counted and kept.
CREATE TABLE monitor_cycles (
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    n           INTEGER NOT NULL,
    started_at  INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    summary     TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (session_id, n)
) WITHOUT ROWID;
