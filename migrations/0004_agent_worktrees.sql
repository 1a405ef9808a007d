-- Per-agent worktrees: the commit the branch started at (the diff's base when the base branch
-- has moved), and the last merge of the branch (a squash leaves the branch unmerged in git's
-- eyes: garbage collection needs to know it was merged, and at which tip).
ALTER TABLE agents ADD COLUMN base_commit TEXT;
ALTER TABLE agents ADD COLUMN merged_into TEXT;
ALTER TABLE agents ADD COLUMN merged_tip TEXT;
ALTER TABLE agents ADD COLUMN merged_at INTEGER;
-- Garbage collection removes worktrees and merged branches; the agent's record keeps what they were.
ALTER TABLE agents ADD COLUMN worktree_removed_at INTEGER;
ALTER TABLE agents ADD COLUMN branch_deleted_at INTEGER;
