// What the fake backend needs for task graphs besides the rules in `taskGraph.ts`: patterns as
// data (a copy of the shipped `templates/tri-agent.toml`, prompts shortened), the daemon's way of
// naming a task after its title, and a graph for `?fake=demo`.

import type { CliKind } from "../bindings/CliKind";
import type { DepKind } from "../bindings/DepKind";
import type { PatternInfo } from "../bindings/PatternInfo";
import type { Session } from "../bindings/Session";
import type { Task } from "../bindings/Task";

/** A template as the engine loads it: roles, and tasks whose dependencies name other tasks. */
export type FakePattern = {
  name: string;
  description: string;
  source: string;
  roles: Record<string, { cli: CliKind | null; model: string | null; prompt: string | null }>;
  tasks: {
    name: string;
    title: string;
    prompt: string;
    role: string | null;
    after?: string[];
    ifSucceeded?: string[];
    ifFailed?: string[];
    /** The task (of the template) whose work this one reviews; it is also among `after`. */
    reviews?: string;
    maxRounds?: number;
  }[];
};

export const TRI_AGENT: FakePattern = {
  name: "tri-agent",
  description: "Architect writes a spec, implementer builds it, reviewer approves or sends it back",
  source: "built-in",
  roles: {
    architect: {
      cli: "claude",
      model: null,
      prompt: "You are the architect. You write precise specifications; you do not write the code.",
    },
    implementer: {
      cli: "claude",
      model: null,
      prompt: "You are the implementer. You build exactly what the specification says, in this worktree, and commit your work.",
    },
    reviewer: {
      cli: "claude",
      model: null,
      prompt: "You are the reviewer. You review a diff against its specification and answer only with a JSON verdict.",
    },
  },
  tasks: [
    {
      name: "spec",
      role: "architect",
      title: "Specify: {goal}",
      prompt: "Write a specification for this goal: {goal}\n\nSay what to build, the files to change, the behaviour expected and how to test it.",
    },
    {
      name: "implement",
      role: "implementer",
      title: "Implement: {goal}",
      after: ["spec"],
      prompt: "Implement this specification in the current worktree, with tests, and commit your work.\n\n{spec}",
    },
    {
      name: "review",
      role: "reviewer",
      title: "Review: {goal}",
      after: ["implement"],
      reviews: "implement",
      maxRounds: 3,
      prompt: "Review this diff against its specification.\n\nSpecification:\n{spec}\n\nDiff:\n{diff}",
    },
  ],
};

export function patternInfo(p: FakePattern): PatternInfo {
  return {
    name: p.name,
    description: p.description,
    source: p.source,
    // The engine lists roles by name, sorted (a BTreeMap), and tasks in template order.
    roles: Object.keys(p.roles).sort(),
    tasks: p.tasks.map((t) => t.name),
  };
}

/** A task name from its title, as the engine makes it: lowercase words joined by `-`, ≤ 40 chars. */
export function nameFromTitle(title: string): string {
  const words = title
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w !== "")
    .map((w) => w.toLowerCase());
  const name = [...words.join("-")].slice(0, 40).join("").replace(/-+$/, "");
  return name === "" ? "task" : name;
}

/** A task of the demo graph, with what the daemon fills in. */
function demoTask(
  session: Session,
  n: number,
  at: string,
  fields: Pick<Task, "name" | "title" | "state"> & Partial<Task>,
  deps: [string, DepKind][] = [],
): Task {
  return {
    id: `demo-task-${n}`,
    sessionId: session.id,
    prompt: `${fields.title}.`,
    role: null,
    cli: "claude",
    model: null,
    agentId: null,
    summary: null,
    outcome: null,
    reason: null,
    attempts: fields.state === "pending" || fields.state === "ready" ? 0 : 1,
    reviews: null,
    maxRounds: 3,
    rounds: 0,
    createdAt: at,
    updatedAt: at,
    ...fields,
    deps: deps.map(([taskId, kind]) => ({ taskId, kind })),
  };
}

/**
 * The demo's graph in its first active session: a tri-agent run half way (the spec written by
 * the architect, the implementation under way again after a first review that requested
 * changes), a rollback plan that runs only if the
 * implementation fails, a task ready and waiting, and a release note that converges on the
 * review and that task.
 */
export function demoTasks(sessions: Session[], now: Date = new Date()): Task[] {
  const main = sessions.find((s) => s.state === "active");
  if (!main) return [];
  const at = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000).toISOString();
  return [
    demoTask(main, 1, at(90), {
      name: "spec",
      title: "Specify: retries with backoff in the payments client",
      state: "done",
      role: "architect",
      agentId: "demo-agent-1",
      outcome: "Spec written: exponential backoff, at most 5 tries, jitter; tests in client.test.ts.",
    }),
    demoTask(main, 2, at(80), {
      name: "implement",
      title: "Implement: retries with backoff in the payments client",
      state: "running",
      role: "implementer",
      agentId: "demo-agent-3",
    }, [["demo-task-1", "after"]]),
    demoTask(main, 3, at(80), {
      name: "review",
      title: "Review: retries with backoff in the payments client",
      state: "pending",
      role: "reviewer",
      reviews: "demo-task-2",
      rounds: 1,
      agentId: "demo-agent-2",
    }, [["demo-task-2", "after"]]),
    demoTask(main, 4, at(70), {
      name: "webhooks",
      title: "Retry failed webhook deliveries",
      state: "ready",
    }),
    demoTask(main, 5, at(60), {
      name: "rollback-plan",
      title: "Write a rollback plan",
      state: "pending",
    }, [["demo-task-2", "if_failed"]]),
    demoTask(main, 6, at(50), {
      name: "release-note",
      title: "Release note for retries and webhooks",
      state: "pending",
    }, [["demo-task-3", "if_succeeded"], ["demo-task-4", "after"]]),
  ];
}
