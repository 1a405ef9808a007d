// A pattern's graph (as the engine computes it, `pattern_show`) as preview tasks for the task
// graph component: one box per template task, named with its form (a fan-out's count), its one
// line of detail as the title. Only a change of shape: the engine decides what each node does.

import type { PatternGraph } from "../bindings/PatternGraph";
import type { PatternNode } from "../bindings/PatternNode";
import type { Task } from "../bindings/Task";

/** What the box says under its title: the node's form and role, and its CLIs. */
function who(n: PatternNode): string {
  const form = n.form === "task" ? null : n.count !== null ? `${n.form} ×${n.count}` : n.form;
  return [form, n.role].filter(Boolean).join(" · ");
}

export function patternGraphTasks(g: PatternGraph): Task[] {
  return g.nodes.map((n) => ({
    id: n.name,
    sessionId: "",
    name: n.count !== null ? `${n.name} ×${n.count}` : n.name,
    title: n.detail !== "" ? n.detail : n.title,
    prompt: "",
    sentPrompt: null,
    role: who(n) || null,
    cli: n.clis.length === 1 ? (n.clis[0] as Task["cli"]) : null,
    model: null,
    state: "pending",
    deps: g.edges
      .filter((e) => e.to === n.name)
      .map((e) => ({ taskId: e.from, kind: e.kind as Task["deps"][number]["kind"], holds: "waiting" as const })),
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
    createdAt: "",
    updatedAt: "",
  }));
}
