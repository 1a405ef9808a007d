-- A task whose agent only reads (a pattern's role with `read_only = true`: researchers,
-- reviewers that vote): its agent is started with the CLI's read-only tools and modes.
ALTER TABLE tasks ADD COLUMN read_only INTEGER NOT NULL DEFAULT 0;
