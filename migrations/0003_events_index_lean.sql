-- The event index is written for every line every agent prints (tens of thousands a second
-- under load): the second B-tree on (agent_id, kind) doubled that cost for lookups nothing
-- makes yet. Events of a kind are found by scanning one agent's rows, or from its log.
DROP INDEX events_kind;
