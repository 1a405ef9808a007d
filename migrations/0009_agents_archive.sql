-- Removing an agent archives it: its record, log and cost stay (the session's total still counts
-- them), its worktree goes. `interrupted_at`: the daemon stopped (or died) while the agent worked;
-- cleared when the agent is resumed or the user dismisses the notice.
ALTER TABLE agents ADD COLUMN archived_at INTEGER;
ALTER TABLE agents ADD COLUMN interrupted_at INTEGER;
