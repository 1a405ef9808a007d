// What FakeBackend's coordinator needs besides its own bookkeeping, mirrored from the engine's
// `coordinator/`: the completion criteria, how a turn's answer is read from an agent's history,
// the prompt a task starts with (its placeholders filled from the tasks before it), and what
// the fake's agents answer when they work on a task (a spec, work with file changes, a JSON
// verdict that requests changes once and then approves, a fix). Also the demo's artifacts,
// context and cycles for `?fake=demo`.

import type { Agent } from "../bindings/Agent";
import type { AgentEvent } from "../bindings/AgentEvent";
import type { AgentEventRecord } from "../bindings/AgentEventRecord";
import type { Artifact } from "../bindings/Artifact";
import type { CliKind } from "../bindings/CliKind";
import type { Criteria } from "../bindings/Criteria";
import type { Cycle } from "../bindings/Cycle";
import type { CycleSummary } from "../bindings/CycleSummary";
import type { Decision } from "../bindings/Decision";
import type { Insight } from "../bindings/Insight";
import type { Objective } from "../bindings/Objective";
import type { Session } from "../bindings/Session";
import type { Task } from "../bindings/Task";
import type { Verdict } from "../bindings/Verdict";
import type { FakeStep } from "./fakeAgents";
import { summaryLine } from "./fakeArtifacts";

export function summaryEmpty(): CycleSummary {
  return {
    started: [],
    finished: [],
    sentBack: [],
    blocked: [],
    running: [],
    idle: [],
    stalled: [],
    waiting: [],
    notes: [],
    criteria: {
      tasksEnded: false,
      outputsParsed: true,
      noBlockers: true,
      noIdleWithWork: true,
      complete: false,
      unmet: [],
    },
  };
}

/** The completion criteria, as the engine's `criteria` words them; `room`: fewer running than the limit. */
export function criteriaCheck(tasks: readonly Task[], agents: readonly Agent[], decisionsPending: number, room: boolean): Criteria {
  const unmet: string[] = [];
  const open = tasks.filter((t) => t.state !== "done" && t.state !== "cancelled");
  const tasksEnded = tasks.length > 0 && open.length === 0;
  if (tasks.length === 0) unmet.push("no tasks yet");
  else if (open.length > 0) {
    const list = open.slice(0, 5).map((t) => `${t.name} is ${t.state}`);
    unmet.push(`${open.length} task(s) not done: ${list.join(", ")}`);
  }
  const inReview = tasks.filter((t) => t.state === "review").map((t) => t.name);
  if (inReview.length > 0) unmet.push(`awaiting review: ${inReview.join(", ")}`);
  const blocked = tasks.filter((t) => t.state === "blocked").map((t) => t.name);
  const waiting = agents.filter((a) => a.state === "needs_input").map((a) => a.name);
  if (blocked.length > 0) unmet.push(`blocked: ${blocked.join(", ")}`);
  if (waiting.length > 0) unmet.push(`waiting for approval: ${waiting.join(", ")}`);
  if (decisionsPending > 0) unmet.push(`${decisionsPending} decision(s) pending`);
  const ready = tasks.filter((t) => t.state === "ready").length;
  const noIdleWithWork = ready === 0 || !room;
  if (!noIdleWithWork) unmet.push(`${ready} ready task(s) not started`);
  const outputsParsed = inReview.length === 0;
  const noBlockers = blocked.length === 0 && waiting.length === 0 && decisionsPending === 0;
  return {
    tasksEnded,
    outputsParsed,
    noBlockers,
    noIdleWithWork,
    complete: tasksEnded && outputsParsed && noBlockers && noIdleWithWork,
    unmet,
  };
}

/** How an agent's last turn ended: its final answer and whether the CLI called it an error. */
export function lastTurn(history: readonly AgentEventRecord[]): { text: string; isError: boolean } {
  let texts: string[] = [];
  let last: { text: string; isError: boolean } | null = null;
  for (const { event } of history) {
    if (event.kind === "user_text") texts = [];
    else if (event.kind === "text" && event.delta && texts.length > 0) texts[texts.length - 1] += event.text;
    else if (event.kind === "text") texts.push(event.text);
    else if (event.kind === "turn_completed") {
      const said = texts.join("\n\n");
      last = { text: event.result?.trim() ? event.result : said, isError: event.is_error };
      texts = [];
    }
  }
  return last ?? { text: texts.join("\n\n"), isError: false };
}

/**
 * The prompt a task starts with: `{NAME}` is the result of the earlier task NAME, `{diff}` the
 * diff of the task reviewed (else of the tasks it follows), then a note of what those tasks left.
 */
export function handoffPrompt(task: Task, tasks: readonly Task[], artifacts: readonly Artifact[]): string {
  const latest = (t: Task, kind: Artifact["kind"]) =>
    artifacts.filter((a) => a.taskId === t.id && a.kind === kind).at(-1) ?? null;
  const sources = [...new Set([...task.deps.map((d) => d.taskId), ...(task.reviews ? [task.reviews] : [])])]
    .map((id) => tasks.find((t) => t.id === id))
    .filter((t): t is Task => t !== undefined);
  const reviewed = task.reviews ? tasks.find((t) => t.id === task.reviews) : undefined;
  let prompt = task.prompt.replace(/\{([a-z0-9_-]+)\}/g, (whole, name: string) => {
    if (name === "diff") {
      const diffs = (reviewed ? [reviewed] : sources).map((t) => latest(t, "diff")?.body).filter((d) => d);
      return diffs.length > 0 ? diffs.join("\n") : "(no changes)";
    }
    const earlier = tasks.find((t) => t.name === name);
    if (!earlier) return whole;
    return latest(earlier, "markdown")?.body ?? earlier.outcome ?? earlier.summary ?? `(task ${name} left no result)`;
  });
  const notes = sources.map((t) => `- ${t.name} (${t.state}): ${t.summary ?? t.state} (see .baton/context/${t.name}.md)`);
  if (notes.length > 0) {
    prompt += `\n\n---\nWhat the tasks before this one left (full text in .baton/context/ in your working folder):\n${notes.join("\n")}\n`;
  }
  return prompt;
}

/** What a fake agent is asked to do for the coordinator. */
export type FakeWork =
  | { kind: "spec"; title: string }
  | { kind: "work"; title: string }
  | { kind: "review"; round: number; maxRounds: number }
  | { kind: "fix"; round: number };

/** Which work a task is: a review when it reviews another, a spec for an architect. */
export function fakeWorkOf(task: Task): FakeWork {
  if (task.reviews) return { kind: "review", round: task.rounds + 1, maxRounds: task.maxRounds };
  if (task.role === "architect" || /^spec\b/.test(task.name)) return { kind: "spec", title: task.title };
  return { kind: "work", title: task.title };
}

/** The fake reviewer's verdict: changes requested in the first of several rounds, then approval. */
export function fakeVerdict(round: number, maxRounds: number): Verdict {
  if (round === 1 && maxRounds > 1) {
    return {
      verdict: "request_changes",
      findings: [
        { file: "src/client.ts", line: 42, severity: "error", message: "A 4xx answer is still retried; it must fail at once." },
        { file: "src/retry.ts", line: 12, severity: "warning", message: "The backoff has no upper bound; cap it at 10 s." },
        { file: null, line: null, severity: "note", message: "Name the jitter strategy in the doc comment." },
      ],
    };
  }
  return {
    verdict: "approve",
    findings: [{ file: "src/retry.ts", line: 3, severity: "note", message: "Consider making `baseMs` configurable later." }],
  };
}

/** The answer a fake agent gives for `work`. */
function workAnswer(work: FakeWork): string {
  switch (work.kind) {
    case "spec":
      return [
        `# Specification: ${work.title.replace(/^Specify:\s*/, "")}`,
        "",
        "## What to build",
        "",
        "- A `RetryPolicy` in `src/retry.ts`: capped exponential backoff with full jitter, at most **5** tries.",
        "- `Client.charge` and `Client.refund` go through it; a 4xx answer is final and never retried.",
        "",
        "## Files",
        "",
        "| File | Change |",
        "| --- | --- |",
        "| `src/retry.ts` | new |",
        "| `src/client.ts` | use the policy |",
        "",
        "## How to test",
        "",
        "```sh",
        "npm test -- client retry",
        "```",
      ].join("\n");
    case "work":
      return [
        `## Done: ${work.title.replace(/^Implement:\s*/, "")}`,
        "",
        "- Added `RetryPolicy` (capped exponential backoff, jitter) in `src/retry.ts`.",
        "- `src/client.ts` retries through it; 4xx answers are final.",
        "- 12 new tests; all 140 pass.",
      ].join("\n");
    case "review":
      return JSON.stringify(fakeVerdict(work.round, work.maxRounds), null, 2);
    case "fix":
      return [
        `## Findings of round ${work.round} addressed`,
        "",
        "- 4xx answers are final in `src/client.ts`.",
        "- The backoff is capped at 10 s.",
        "- The doc comment names full jitter.",
      ].join("\n");
  }
}

/**
 * One turn of a fake agent working for the coordinator: it reads, edits when the work changes
 * code (so its worktree has a diff), answers, and (but for Claude) exits, as `fakeTurn` does.
 */
export function fakeWorkTurn(cli: Exclude<CliKind, "command">, work: FakeWork, turn: number): FakeStep[] {
  const answer = workAnswer(work);
  const id = (what: string) => `toolu_work_${what}_${turn}`;
  const steps: FakeStep[] = [
    { events: [{ kind: "tool_call", id: id("read"), name: "Read", input: { file_path: "src/client.ts" } }] },
    { events: [{ kind: "tool_result", id: id("read"), output: "export class Client { … }", is_error: false }] },
  ];
  if (work.kind === "work" || work.kind === "fix") {
    const edits: AgentEvent[] =
      work.kind === "work"
        ? [
            { kind: "file_change", path: "src/retry.ts", change: "add" },
            { kind: "file_change", path: "src/client.ts", change: "update" },
          ]
        : [{ kind: "file_change", path: "src/client.ts", change: "update" }];
    steps.push(
      { events: [{ kind: "tool_call", id: id("edit"), name: "Edit", input: { file_path: "src/client.ts" } }] },
      { events: [{ kind: "tool_result", id: id("edit"), output: "The file was updated.", is_error: false }, ...edits] },
    );
  }
  steps.push(
    { events: [{ kind: "text", text: answer, delta: false }] },
    {
      events: [
        {
          kind: "usage",
          input_tokens: 2_800,
          output_tokens: 640,
          cache_read_tokens: 8_400,
          cache_write_tokens: 0,
          cost_usd: cli === "claude" ? 0.018 : null,
        },
        { kind: "turn_completed", result: answer, is_error: false, subtype: "success", duration_ms: 9_100 },
      ],
    },
  );
  if (cli !== "claude") steps.push({ events: [{ kind: "exited", code: 0, signal: null }] });
  return steps;
}

/** A verdict as a verdict artifact holds it. */
export function verdictBody(v: Verdict): string {
  return JSON.stringify(v, null, 2);
}

// ---------------------------------------------------------------------------------------------
// `?fake=demo`

/** A session's context as the fake keeps it. */
export type FakeContext = { objectives: Objective[]; decisions: Decision[]; insights: Insight[] };

export type DemoCoordination = {
  artifacts: Artifact[];
  contexts: Record<string, Partial<FakeContext>>;
  cycles: Record<string, Cycle[]>;
};

const DEMO_DIFF = `diff --git a/src/client.ts b/src/client.ts
index 3b18e51..a6c4f20 100644
--- a/src/client.ts
+++ b/src/client.ts
@@ -1,13 +1,17 @@
 import { fetchJson, type Http } from "./http";
+import { RetryPolicy } from "./retry";
 
 export class Client {
-  constructor(private http: Http) {}
+  constructor(
+    private http: Http,
+    private policy = new RetryPolicy(),
+  ) {}
 
   async charge(id: string, cents: number) {
-    return retry(3, () => this.http.post(\`/charges/\${id}\`, { cents }));
+    return this.policy.run(() => this.http.post(\`/charges/\${id}\`, { cents }));
   }
 
   async refund(id: string) {
-    // retried on every error, 4xx included
-    return retry(3, () => this.http.post(\`/refunds/\${id}\`, {}));
+    return this.policy.run(() => this.http.post(\`/refunds/\${id}\`, {}));
   }
 }
`;

/**
 * The first active demo session's coordination so far: the spec the architect wrote, a diff and
 * a verdict from an earlier round, an objective met and one open, a decision to make, an
 * insight, and the last few cycles of a coordinator now paused.
 */
export function demoCoordination(sessions: Session[], now: Date = new Date()): DemoCoordination {
  const main = sessions.find((s) => s.state === "active");
  if (!main) return { artifacts: [], contexts: {}, cycles: {} };
  const at = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000).toISOString();
  const spec = workAnswer({ kind: "spec", title: "retries with backoff in the payments client" });
  const verdict = fakeVerdict(1, 3);
  const artifact = (n: number, fields: Omit<Artifact, "id" | "sessionId" | "agentId" | "path"> & Partial<Artifact>): Artifact => ({
    id: `demo-art-${n}`,
    sessionId: main.id,
    agentId: null,
    path: null,
    ...fields,
  });
  const artifacts = [
    artifact(1, {
      taskId: "demo-task-1",
      agentId: "demo-agent-1",
      kind: "markdown",
      title: "spec: result",
      summary: summaryLine(spec, 120),
      body: spec,
      createdAt: at(85),
    }),
    artifact(2, {
      taskId: "demo-task-2",
      kind: "diff",
      title: "implement: diff",
      summary: "1 file changed, +7 -4",
      body: DEMO_DIFF,
      createdAt: at(40),
    }),
    artifact(3, {
      taskId: "demo-task-3",
      kind: "verdict",
      title: "review: verdict, round 1",
      summary: "round 1: changes requested: 3 findings (1 error, 1 warning, 1 note)",
      body: verdictBody(verdict),
      createdAt: at(35),
    }),
    artifact(4, {
      taskId: null,
      kind: "json",
      title: "retry budget",
      summary: "Tries and delays agreed with the payments team",
      body: JSON.stringify({ tries: 5, baseMs: 200, capMs: 10_000, jitter: "full" }),
      createdAt: at(30),
    }),
  ];
  const cycle = (n: number, minutesAgo: number, summary: Partial<CycleSummary>): Cycle => ({
    n,
    startedAt: at(minutesAgo),
    durationMs: 9 + n,
    summary: { ...summaryEmpty(), ...summary },
  });
  const criteria: Criteria = {
    tasksEnded: false,
    outputsParsed: true,
    noBlockers: false,
    noIdleWithWork: false,
    complete: false,
    unmet: [
      "5 task(s) not done: implement is running, review is pending, webhooks is ready, rollback-plan is pending, release-note is pending",
      "waiting for approval: reviewer",
      "1 decision(s) pending",
      "1 ready task(s) not started",
    ],
  };
  return {
    artifacts,
    contexts: {
      [main.id]: {
        objectives: [
          { id: "demo-obj-1", text: "Payments retry transient failures with backoff", state: "open", createdAt: at(95) },
          { id: "demo-obj-2", text: "No retry on 4xx answers", state: "done", createdAt: at(94) },
        ],
        decisions: [
          { id: "demo-dec-1", question: "Retry refunds too, or only charges?", answer: null, state: "pending", createdAt: at(33) },
        ],
        insights: [{ id: "demo-ins-1", text: "The sandbox API answers 503 under load about 1 time in 50.", createdAt: at(60) }],
      },
    },
    cycles: {
      [main.id]: [
        cycle(40, 12, { running: ["architect", "unit-tests"], waiting: ["reviewer"], criteria }),
        cycle(41, 11, { running: ["architect", "unit-tests"], waiting: ["reviewer"], criteria }),
        cycle(42, 10, {
          running: ["architect", "unit-tests"],
          waiting: ["reviewer"],
          notes: ["paused by the user"],
          criteria,
        }),
      ],
    },
  };
}
