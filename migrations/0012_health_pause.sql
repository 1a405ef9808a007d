-- "Pause all" outlives a daemon restart: while this row exists coordinators start no task and
-- every agent process started is paused, until "resume all" removes it.
CREATE TABLE health_pause (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    paused_at INTEGER NOT NULL
);
