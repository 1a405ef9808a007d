// Records built by code, for the tests of how views draw them (every kind of event) and of the
// stores' ordering rules. What the daemon does is tested on a real one (src/test/daemon.ts).
import type { Agent } from "../bindings/Agent";
import type { AgentEvent } from "../bindings/AgentEvent";
import type { Task } from "../bindings/Task";
import type { TaskDep } from "../bindings/TaskDep";

export function agent(id: string, sessionId: string, overrides: Partial<Agent> = {}): Agent {
  return {
    id,
    sessionId,
    name: id,
    cli: "claude",
    model: "claude-sonnet-4-5",
    state: "waiting",
    cwd: "/src",
    command: [],
    prompt: "do it",
    cliSessionId: "cli-1",
    pid: 100,
    exitCode: null,
    allowedTools: [],
    turns: 1,
    usage: { input: 1_200, output: 300, cacheRead: 0, cacheWrite: 0 },
    costUsd: 0.05,
    costIsEstimate: false,
    logPath: "/logs/x.jsonl",
    lastEventAt: null,
    createdAt: "2026-11-01T10:00:00Z",
    updatedAt: "2026-11-01T10:00:00Z",
    pending: [],
    worktree: null,
    taskId: null,
    role: null,
    paused: false,
    releasedAt: null,
    archivedAt: null,
    interruptedAt: null,
    queuedMessages: 0,
    external: false,
    ...overrides,
  };
}

/** A task named as its id, pending, with no dependencies unless given. */
export function task(
  id: string,
  sessionId: string,
  overrides: Partial<Task> = {},
  deps: [string, TaskDep["kind"], TaskDep["holds"]?][] = [],
): Task {
  return {
    id,
    sessionId,
    name: id,
    title: `Title of ${id}`,
    prompt: `Prompt of ${id}`,
    sentPrompt: null,
    role: null,
    cli: null,
    model: null,
    state: "pending",
    deps: deps.map(([taskId, kind, holds]) => ({ taskId, kind, holds: holds ?? "waiting" })),
    agentId: null,
    summary: null,
    outcome: null,
    reason: null,
    attempts: 0,
    reviews: null,
    maxRounds: 3,
    rounds: 0,
    pattern: null,
    parentId: null,
    createdAt: "2026-11-01T10:00:00Z",
    updatedAt: "2026-11-01T10:00:00Z",
    ...overrides,
  };
}

/** One of every kind of event, in a plausible order. */
export const EVERY_KIND: AgentEvent[] = [
  { kind: "session_started", cli_session_id: "cli-1", model: "claude-sonnet-4-5", cwd: "/src", tools: ["Read", "Bash"] },
  { kind: "user_text", text: "Fix the retry bug" },
  { kind: "text", text: "Let me ", delta: true },
  { kind: "text", text: "look at ", delta: true },
  { kind: "text", text: "the client.", delta: true },
  { kind: "tool_call", id: "t1", name: "Read", input: { file_path: "src/client.ts", limit: 40 } },
  { kind: "tool_result", id: "t1", output: "line one of the file\nline two\nline three", is_error: false },
  { kind: "file_change", path: "src/client.ts", change: "update" },
  { kind: "command", id: "c1", command: "npm test", output: "12 passed", exit_code: 0, status: "completed" },
  { kind: "command", id: "c2", command: "npm run lint", output: "2 errors", exit_code: 2, status: "failed" },
  { kind: "permission_denied", tool: "Bash", tool_use_id: "t2", input: { command: "rm -rf build" } },
  { kind: "usage", input_tokens: 1_200, output_tokens: 300, cache_read_tokens: 5_000, cache_write_tokens: 0, cost_usd: 0.05 },
  { kind: "retry", attempt: 2, max_retries: 10, error: "overloaded" },
  { kind: "error", message: "The API returned 500" },
  { kind: "stderr", line: "warning: deprecated flag" },
  { kind: "raw", line: '{"type":"mystery"}' },
  { kind: "turn_completed", result: "done", is_error: false, subtype: "success", duration_ms: 12_400 },
  { kind: "exited", code: 0, signal: null },
];
