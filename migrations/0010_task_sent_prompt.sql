-- The prompt a task's agent was given when the task last started: its placeholders filled and
-- the note of what the tasks before it left, exactly as sent (the template stays in `prompt`).
ALTER TABLE tasks ADD COLUMN sent_prompt TEXT;
