// What FakeBackend's agents say: scripted turns per CLI, a terminal program's output, and the
// agents of `?fake=demo`. Only the shapes matter (the same events real adapters produce), so
// tests and the demo exercise every way a lane renders.

import type { Agent } from "../bindings/Agent";
import type { AgentEvent } from "../bindings/AgentEvent";
import type { AgentState } from "../bindings/AgentState";
import type { AgentWorktree } from "../bindings/AgentWorktree";
import type { CliKind } from "../bindings/CliKind";
import type { Session } from "../bindings/Session";
import { fakeSha, type FakeFile } from "./fakeWorktree";

/** One step of a simulated agent: events recorded together, and/or a new state. */
export type FakeStep = { events?: AgentEvent[]; state?: AgentState };

const ESC = "\x1b";

function text(t: string): AgentEvent {
  return { kind: "text", text: t, delta: false };
}

function deltas(t: string, parts = 4): FakeStep[] {
  const words = t.match(/\S+\s*/g) ?? [t];
  const size = Math.ceil(words.length / parts);
  const steps: FakeStep[] = [];
  for (let i = 0; i < words.length; i += size) {
    steps.push({ events: [{ kind: "text", text: words.slice(i, i + size).join(""), delta: true }] });
  }
  return steps;
}

function clip(t: string, max = 60): string {
  const line = t.replace(/\s+/g, " ").trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/** Whether a prompt asks for something that needs the Bash tool (which agents lack at first). */
export function wantsBash(prompt: string): boolean {
  return /\bbash\b|\brun (the )?tests?\b|\bnpm test\b/i.test(prompt);
}

let toolIds = 0;
function toolId(): string {
  return `toolu_fake${String(++toolIds).padStart(4, "0")}`;
}

/**
 * One turn of an agent answering `prompt`. Claude streams its reply then sends it whole, uses
 * tools and keeps its process; Codex reports commands and file changes, then exits; Gemini
 * streams without the whole message. A turn that needs Bash without it allowed ends with a
 * permission denial (the agent then needs input).
 */
export function fakeTurn(cli: Exclude<CliKind, "command">, prompt: string, bashAllowed: boolean): FakeStep[] {
  const opening = `Looking into "${clip(prompt)}". I'll read the code involved first.`;
  const steps: FakeStep[] = [];
  if (cli === "claude") steps.push(...deltas(opening), { events: [text(opening)] });
  else if (cli === "gemini") steps.push(...deltas(opening));
  else steps.push({ events: [text(opening)] });

  if (cli === "codex") {
    steps.push(
      { events: [{ kind: "command", id: "c1", command: "rg -n retry src/", output: null, exit_code: null, status: "started" }] },
      {
        events: [
          {
            kind: "command",
            id: "c1",
            command: "rg -n retry src/",
            output: "src/client.ts:42:  retry(3)\nsrc/client.ts:97:  // no retry on 4xx",
            exit_code: 0,
            status: "completed",
          },
        ],
      },
      { events: [{ kind: "file_change", path: "src/client.ts", change: "update" }] },
    );
  } else {
    const read = toolId();
    const edit = toolId();
    steps.push(
      { events: [{ kind: "tool_call", id: read, name: "Read", input: { file_path: "src/client.ts" } }] },
      {
        events: [
          {
            kind: "tool_result",
            id: read,
            output: "     1\timport { fetchJson } from './http';\n     2\t\n     3\texport class Client {\n     4\t  …",
            is_error: false,
          },
        ],
      },
      {
        events: [
          {
            kind: "tool_call",
            id: edit,
            name: "Edit",
            input: { file_path: "src/client.ts", old_string: "retry(3)", new_string: "retry(5, { backoff: true })" },
          },
        ],
      },
      {
        events: [
          { kind: "tool_result", id: edit, output: "The file src/client.ts has been updated.", is_error: false },
          { kind: "file_change", path: "src/client.ts", change: "update" },
        ],
      },
    );
  }

  const usage = (input: number, output: number): AgentEvent => ({
    kind: "usage",
    input_tokens: input,
    output_tokens: output,
    cache_read_tokens: input * 3,
    cache_write_tokens: 0,
    cost_usd: cli === "claude" ? (input * 3 + output * 15) / 1e6 : null,
  });
  const turnEnd = (result: string): AgentEvent => ({
    kind: "turn_completed",
    result,
    is_error: false,
    subtype: "success",
    duration_ms: 8_400,
  });
  const exit: FakeStep[] = cli === "claude" ? [] : [{ events: [{ kind: "exited", code: 0, signal: null }] }];

  if (wantsBash(prompt) && !bashAllowed) {
    const bash = toolId();
    const input = { command: "npm test", description: "Run the test suite" };
    const reply = "I need to run the tests to check the change, but the Bash tool is not allowed yet.";
    steps.push(
      { events: [{ kind: "tool_call", id: bash, name: "Bash", input }] },
      {
        events: [
          { kind: "permission_denied", tool: "Bash", tool_use_id: bash, input },
          {
            kind: "tool_result",
            id: bash,
            output: "Claude requested permissions to use Bash, but you haven't granted it yet.",
            is_error: true,
          },
        ],
      },
      { events: [text(reply)] },
      { events: [usage(2_400, 310), turnEnd(reply)] },
      ...exit,
    );
    return steps;
  }
  const reply = `Done: the client now retries five times with backoff. ${wantsBash(prompt) ? "All 128 tests pass." : ""}`.trim();
  if (wantsBash(prompt)) steps.push(...bashSteps("npm test"));
  steps.push({ events: [text(reply)] }, { events: [usage(3_100, 420), turnEnd(reply)] }, ...exit);
  return steps;
}

function bashSteps(command: string): FakeStep[] {
  const id = toolId();
  const output = "> payments@1.4.0 test\n> vitest run\n\n Test Files  14 passed (14)\n      Tests  128 passed (128)";
  return [
    { events: [{ kind: "tool_call", id, name: "Bash", input: { command, description: "Run the test suite" } }] },
    {
      events: [
        { kind: "command", id, command, output, exit_code: 0, status: "completed" },
        { kind: "tool_result", id, output, is_error: false },
      ],
    },
  ];
}

/** The rest of a turn after the user approved `tool`: the agent runs it and finishes. */
export function fakeApprovedTurn(cli: CliKind, tool: string): FakeStep[] {
  const reply = "Thanks. The tests pass with the change; ready for review.";
  return [
    ...(tool === "Bash" ? bashSteps("npm test") : []),
    { events: [text(reply)] },
    {
      events: [
        {
          kind: "usage",
          input_tokens: 1_200,
          output_tokens: 180,
          cache_read_tokens: 5_000,
          cache_write_tokens: 0,
          cost_usd: cli === "claude" ? 0.0081 : null,
        },
        { kind: "turn_completed", result: reply, is_error: false, subtype: "success", duration_ms: 5_200 },
      ],
    },
    ...(cli === "claude" ? [] : [{ events: [{ kind: "exited", code: 0, signal: null } as AgentEvent] }]),
  ];
}

/** Coloured output of a test runner, as a terminal program prints it. */
export function terminalLines(): string[] {
  const green = `${ESC}[32m`;
  const red = `${ESC}[31m`;
  const yellow = `${ESC}[33m`;
  const dim = `${ESC}[90m`;
  const bold = `${ESC}[1m`;
  const reset = `${ESC}[0m`;
  return [
    `${bold}${ESC}[36m RUN ${reset} ${dim}v3.2.4 /home/dev/src/payments${reset}`,
    "",
    ` ${green}✓${reset} src/ledger.test.ts ${dim}(24 tests)${reset} ${yellow}38ms${reset}`,
    ` ${green}✓${reset} src/refund.test.ts ${dim}(9 tests)${reset} ${yellow}12ms${reset}`,
    ` ${red}✗${reset} src/client.test.ts ${dim}(11 tests | ${red}1 failed${dim})${reset}`,
    `   ${red}${bold}× retries on 503 with backoff${reset}`,
    `     ${red}AssertionError: expected 3 to be 5${reset} ${dim}// Object.is equality${reset}`,
    `${ESC}[2K${ESC}[1G ${green}✓${reset} src/money.test.ts ${dim}(41 tests)${reset} ${yellow}7ms${reset}`,
    "",
    ` ${bold}Test Files${reset}  ${red}${bold}1 failed${reset} ${dim}|${reset} ${green}${bold}3 passed${reset} ${dim}(4)${reset}`,
    ` ${bold}     Tests${reset}  ${red}${bold}1 failed${reset} ${dim}|${reset} ${green}${bold}84 passed${reset} ${dim}(85)${reset}`,
    `${ESC}[94m Waiting for file changes...${reset}`,
    `       ${dim}press ${reset}${bold}h${reset}${dim} to show help, press ${reset}${bold}q${reset}${dim} to quit${reset}`,
  ];
}

/**
 * A terminal program: prints its lines, then exits (code 1 for `false` or `exit 1`, else 0),
 * except a watcher (`--watch`), which keeps running and echoes what it is sent.
 */
export function fakeCommandRun(program: string[]): FakeStep[] {
  const steps: FakeStep[] = [{ state: "running" }];
  const line = program.join(" ");
  steps.push({ events: [{ kind: "text", text: `${ESC}[90m$ ${line}${ESC}[0m`, delta: false }] });
  for (const l of terminalLines()) steps.push({ events: [{ kind: "text", text: l, delta: false }] });
  if (program.includes("--watch")) return steps;
  const failed = program[0] === "false" || /\bexit 1\b/.test(line);
  steps.push({ events: [{ kind: "exited", code: failed ? 1 : 0, signal: null }] });
  return steps;
}

// ---------------------------------------------------------------------------------------------
// `?fake=demo`

function agent(base: Partial<Agent> & Pick<Agent, "id" | "sessionId" | "name" | "cli" | "state">, at: string): Agent {
  return {
    model: null,
    cwd: "/home/dev/src/payments",
    command: [],
    prompt: "",
    cliSessionId: null,
    pid: null,
    exitCode: null,
    allowedTools: [],
    turns: 0,
    usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
    costUsd: 0,
    costIsEstimate: false,
    logPath: `/home/dev/.baton/logs/${base.id}.jsonl`,
    lastEventAt: at,
    createdAt: at,
    updatedAt: at,
    pending: [],
    worktree: null,
    taskId: null,
    role: null,
    ...base,
  };
}

/** The worktree the daemon made for demo agent `name` of `session`. */
function demoWorktree(session: Session, name: string, merged: Partial<AgentWorktree> = {}): AgentWorktree {
  const repo = session.repo.split("/").pop() ?? "repo";
  const baseRef = session.baseBranch ?? "main";
  return {
    path: `/home/dev/.baton/worktrees/${repo}/${name}`,
    branch: `baton/${session.name}/${name}`,
    baseRef,
    baseCommit: fakeSha(`${session.repo}@${baseRef}`),
    mergedInto: null,
    mergedTip: null,
    mergedAt: null,
    removedAt: null,
    branchDeletedAt: null,
    ...merged,
  };
}

function workingIn(wt: AgentWorktree): AgentEvent {
  return {
    kind: "notice",
    message: `working in ${wt.path} on branch ${wt.branch} (from ${wt.baseRef} at ${wt.baseCommit.slice(0, 8)})`,
  };
}

const CLIENT_BEFORE = `import { fetchJson, type Http } from "./http";

export class Client {
  constructor(private http: Http) {}

  async charge(id: string, cents: number) {
    return retry(3, () => this.http.post(\`/charges/\${id}\`, { cents }));
  }

  async refund(id: string) {
    // retried on every error, 4xx included
    return retry(3, () => this.http.post(\`/refunds/\${id}\`, {}));
  }
}
`;

const CLIENT_AFTER = `import { fetchJson, type Http } from "./http";
import { RetryPolicy } from "./retry";

export class Client {
  constructor(
    private http: Http,
    private policy = new RetryPolicy(),
  ) {}

  async charge(id: string, cents: number) {
    return this.policy.run(() => this.http.post(\`/charges/\${id}\`, { cents }));
  }

  async refund(id: string) {
    return this.policy.run(() => this.http.post(\`/refunds/\${id}\`, {}));
  }
}
`;

const RETRY = `/** Capped exponential backoff with jitter; 4xx answers are final. */
export class RetryPolicy {
  constructor(
    readonly tries = 5,
    readonly baseMs = 200,
  ) {}

  async run<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        if (attempt >= this.tries || isClientError(err)) throw err;
        await sleep(Math.min(this.baseMs * 2 ** attempt, 10_000) * Math.random());
      }
    }
  }
}
`;

export type DemoAgents = {
  agents: Agent[];
  events: Record<string, AgentEvent[]>;
  /** What the agents' worktrees hold changed, by agent id. */
  worktreeFiles: Record<string, FakeFile[]>;
  /** What the running agent goes on doing, live. */
  live: { agentId: string; steps: FakeStep[] };
};

/** Three agents on the first demo session (one of each kind of lane), and a long history. */
export function demoAgents(sessions: Session[], now: Date = new Date()): DemoAgents {
  const at = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000).toISOString();
  const main = sessions[0]!;
  const other = sessions[sessions.length - 1]!;
  const architectPrompt = "Refactor the payment client's retry logic: exponential backoff, and no retry on 4xx.";
  const reviewerPrompt = "Review the retry refactor and run the tests before you approve it.";
  const bashInput = { command: "npm test -- --coverage", description: "Run the tests with coverage" };
  const architectTree = demoWorktree(main, "architect");
  const reviewerTree = demoWorktree(main, "reviewer");
  const bisectTree = demoWorktree(other, "ci-bisect", {
    mergedInto: other.baseBranch ?? "main",
    mergedTip: fakeSha("ci-bisect-tip"),
    mergedAt: at(45),
  });

  const agents: Agent[] = [
    agent(
      {
        id: "demo-agent-1",
        sessionId: main.id,
        name: "architect",
        cli: "claude",
        model: "claude-sonnet-4-5",
        state: "running",
        prompt: architectPrompt,
        cliSessionId: "3f0c1a52-demo",
        pid: 41_230,
        turns: 2,
        usage: { input: 48_210, output: 6_930, cacheRead: 310_400, cacheWrite: 12_800 },
        costUsd: 0.4213,
        allowedTools: ["Bash"],
        cwd: architectTree.path,
        worktree: architectTree,
        taskId: "demo-task-1",
        role: "architect",
      },
      at(14),
    ),
    agent(
      {
        id: "demo-agent-2",
        sessionId: main.id,
        name: "reviewer",
        cli: "claude",
        model: "claude-opus-4-1",
        state: "needs_input",
        prompt: reviewerPrompt,
        cliSessionId: "9b77e2c0-demo",
        pid: 41_377,
        turns: 1,
        usage: { input: 12_044, output: 1_310, cacheRead: 40_200, cacheWrite: 3_100 },
        costUsd: 0.1877,
        pending: [
          { id: "demo-perm-1", tool: "Bash", toolUseId: "toolu_demo_bash", input: bashInput, createdAt: at(3) },
        ],
        cwd: reviewerTree.path,
        worktree: reviewerTree,
        taskId: "demo-task-3",
        role: "reviewer",
      },
      at(9),
    ),
    agent(
      {
        id: "demo-agent-3",
        sessionId: main.id,
        name: "unit-tests",
        cli: "command",
        state: "running",
        command: ["npm", "test", "--", "--watch"],
        pid: 41_502,
      },
      at(6),
    ),
    agent(
      {
        id: "demo-agent-4",
        sessionId: other.id,
        name: "ci-bisect",
        cli: "codex",
        model: "gpt-5-codex",
        state: "waiting",
        prompt: "Find which commit made the integration suite flaky.",
        cliSessionId: "codex-demo",
        turns: 40,
        usage: { input: 2_900_000, output: 310_000, cacheRead: 9_100_000, cacheWrite: 0 },
        costUsd: 6.93,
        costIsEstimate: true,
        cwd: bisectTree.path,
        worktree: bisectTree,
      },
      at(50),
    ),
  ];

  const events: Record<string, AgentEvent[]> = {
    "demo-agent-1": [
      workingIn(architectTree),
      { kind: "notice", message: "setup: npm ci" },
      { kind: "notice", message: "added 214 packages, and audited 215 packages in 3s" },
      { kind: "user_text", text: architectPrompt },
      {
        kind: "session_started",
        cli_session_id: "3f0c1a52-demo",
        model: "claude-sonnet-4-5",
        cwd: "/home/dev/src/payments",
        tools: ["Read", "Edit", "Write", "Grep", "Glob", "Bash"],
      },
      text("I'll start with how the client retries today, then change the policy in one place."),
      { kind: "tool_call", id: "t1", name: "Grep", input: { pattern: "retry\\(", path: "src" } },
      { kind: "tool_result", id: "t1", output: "src/client.ts:42\nsrc/client.ts:97\nsrc/webhooks.ts:18", is_error: false },
      { kind: "tool_call", id: "t2", name: "Read", input: { file_path: "src/client.ts", offset: 30, limit: 80 } },
      {
        kind: "tool_result",
        id: "t2",
        output: "    30\texport class Client {\n    31\t  constructor(private http: Http) {}\n    42\t  retry(3)\n    …",
        is_error: false,
      },
      text(
        "The retry count is hard-coded in two places and 4xx responses are retried too. I'll add a `RetryPolicy` with exponential backoff and use it in both.",
      ),
      { kind: "tool_call", id: "t3", name: "Write", input: { file_path: "src/retry.ts", content: "export class RetryPolicy {\n  …\n}\n" } },
      { kind: "tool_result", id: "t3", output: "File created successfully at: src/retry.ts", is_error: false },
      { kind: "file_change", path: "src/retry.ts", change: "add" },
      {
        kind: "tool_call",
        id: "t4",
        name: "Edit",
        input: { file_path: "src/client.ts", old_string: "retry(3)", new_string: "this.policy.run(() => …)" },
      },
      { kind: "tool_result", id: "t4", output: "The file src/client.ts has been updated.", is_error: false },
      { kind: "file_change", path: "src/client.ts", change: "update" },
      { kind: "tool_call", id: "t5", name: "Bash", input: { command: "npx tsc --noEmit", description: "Type-check" } },
      { kind: "command", id: "t5", command: "npx tsc --noEmit", output: "", exit_code: 0, status: "completed" },
      { kind: "tool_result", id: "t5", output: "", is_error: false },
      {
        kind: "usage",
        input_tokens: 21_000,
        output_tokens: 3_100,
        cache_read_tokens: 160_000,
        cache_write_tokens: 6_400,
        cost_usd: 0.2011,
      },
      {
        kind: "turn_completed",
        result: "RetryPolicy added and used by the client.",
        is_error: false,
        subtype: "success",
        duration_ms: 94_300,
      },
      { kind: "checkpoint", n: 1, commit: fakeSha("demo-architect-checkpoint-1"), message: "after turn 1" },
      { kind: "user_text", text: "Also cover the webhook sender, and keep the old default of 3 tries there." },
      text("Sure. The webhook sender builds its own client; I'll pass it a policy with 3 tries."),
      { kind: "tool_call", id: "t6", name: "Read", input: { file_path: "src/webhooks.ts" } },
      {
        kind: "tool_result",
        id: "t6",
        output: "     1\timport { Client } from './client';\n     2\t\n     3\texport function sendWebhook(url: string, body: unknown) {\n     …",
        is_error: false,
      },
      { kind: "stderr", line: "(node:41230) ExperimentalWarning: Fetch is an experimental feature." },
    ],
    "demo-agent-2": [
      workingIn(reviewerTree),
      { kind: "user_text", text: reviewerPrompt },
      {
        kind: "session_started",
        cli_session_id: "9b77e2c0-demo",
        model: "claude-opus-4-1",
        cwd: "/home/dev/src/payments",
        tools: ["Read", "Grep", "Glob", "Bash"],
      },
      text("Reviewing the diff of `architect` against `main`."),
      { kind: "tool_call", id: "r1", name: "Read", input: { file_path: "src/retry.ts" } },
      {
        kind: "tool_result",
        id: "r1",
        output: "     1\texport class RetryPolicy {\n     2\t  constructor(readonly tries = 5, readonly baseMs = 200) {}\n     …",
        is_error: false,
      },
      text(
        "The policy looks right: capped exponential backoff with jitter, and 4xx are not retried. One nit: `baseMs` should be configurable from settings. Now the tests.",
      ),
      { kind: "tool_call", id: "toolu_demo_bash", name: "Bash", input: bashInput },
      { kind: "permission_denied", tool: "Bash", tool_use_id: "toolu_demo_bash", input: bashInput },
      {
        kind: "tool_result",
        id: "toolu_demo_bash",
        output: "Claude requested permissions to use Bash, but you haven't granted it yet.",
        is_error: true,
      },
      text("I can't run the test suite without the Bash tool. Approve it and I'll finish the review."),
      {
        kind: "usage",
        input_tokens: 12_044,
        output_tokens: 1_310,
        cache_read_tokens: 40_200,
        cache_write_tokens: 3_100,
        cost_usd: 0.1877,
      },
      {
        kind: "turn_completed",
        result: "Waiting for permission to run the tests.",
        is_error: false,
        subtype: "success",
        duration_ms: 41_800,
      },
    ],
    "demo-agent-3": [
      { kind: "text", text: `${ESC}[90m$ npm test -- --watch${ESC}[0m`, delta: false },
      ...terminalLines().map((t): AgentEvent => ({ kind: "text", text: t, delta: false })),
    ],
    "demo-agent-4": floodEvents(100_000),
  };

  const live: FakeStep[] = [
    ...deltas("The webhook sender now gets a policy with 3 tries; updating it and its test.", 6),
    {
      events: [
        {
          kind: "tool_call",
          id: "t7",
          name: "Edit",
          input: { file_path: "src/webhooks.ts", old_string: "new Client(http)", new_string: "new Client(http, new RetryPolicy(3))" },
        },
      ],
    },
    {
      events: [
        { kind: "tool_result", id: "t7", output: "The file src/webhooks.ts has been updated.", is_error: false },
        { kind: "file_change", path: "src/webhooks.ts", change: "update" },
      ],
    },
    { events: [{ kind: "tool_call", id: "t8", name: "Bash", input: { command: "npx vitest run src/webhooks.test.ts" } }] },
    {
      events: [
        {
          kind: "command",
          id: "t8",
          command: "npx vitest run src/webhooks.test.ts",
          output: " ✓ src/webhooks.test.ts (6 tests) 21ms\n\n Test Files  1 passed (1)\n      Tests  6 passed (6)",
          exit_code: 0,
          status: "completed",
        },
        { kind: "tool_result", id: "t8", output: " ✓ src/webhooks.test.ts (6 tests) 21ms", is_error: false },
      ],
    },
    ...deltas("Webhooks keep 3 tries and their tests pass. Next: documenting the policy in the README.", 6),
    { events: [{ kind: "tool_call", id: "t9", name: "Read", input: { file_path: "README.md" } }] },
  ];

  const worktreeFiles: Record<string, FakeFile[]> = {
    "demo-agent-1": [
      { path: "src/retry.ts", before: null, after: RETRY },
      { path: "src/client.ts", before: CLIENT_BEFORE, after: CLIENT_AFTER },
      // A binary file: the diff viewer says so rather than showing bytes.
      { path: "docs/retry-backoff.png", before: null, after: "\x89PNG…", binary: true },
    ],
    "demo-agent-4": [
      {
        path: "tests/payout.int.ts",
        before: "it(\"settles once\", async () => {\n  await settle();\n});\n",
        after: "it(\"settles once\", async () => {\n  await settle();\n  await flushQueue();\n});\n",
        committed: true,
      },
    ],
  };

  return { agents, events, worktreeFiles, live: { agentId: "demo-agent-1", steps: live } };
}

/** A long history (a codex agent bisecting for hours), to feel how a lane copes with it. */
export function floodEvents(count: number): AgentEvent[] {
  const events: AgentEvent[] = [];
  for (let i = 0; events.length < count; i++) {
    const commit = (0x5e3a000 + i).toString(16);
    const id = `c${i}`;
    const command = `git checkout -q ${commit} && npm run test:integration`;
    const fail = i % 7 === 3;
    events.push(
      { kind: "text", text: `Trying commit ${commit} (${i + 1}).`, delta: false },
      { kind: "command", id, command, output: null, exit_code: null, status: "started" },
      {
        kind: "command",
        id,
        command,
        output: fail ? "1 failed, 212 passed\nFAIL tests/payout.int.ts > settles twice" : "213 passed",
        exit_code: fail ? 1 : 0,
        status: fail ? "failed" : "completed",
      },
      {
        kind: "usage",
        input_tokens: 800 + (i % 50),
        output_tokens: 90,
        cache_read_tokens: 4_000,
        cache_write_tokens: 0,
        cost_usd: null,
      },
    );
  }
  events.length = count;
  return events;
}
