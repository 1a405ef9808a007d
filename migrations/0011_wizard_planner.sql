-- The wizard's agent-assisted engine: the planner agent's part of a wizard (its CLI, its agent,
-- the questions it asked, whether it is thinking, the message to resend after a restart), and
-- agents started with only the tools that read (the planner looks, it never writes).
ALTER TABLE wizards ADD COLUMN planner TEXT;
ALTER TABLE agents ADD COLUMN read_only INTEGER NOT NULL DEFAULT 0;
