// A session's task graph laid out for drawing, left to right: dagre (@dagrejs/dagre) places the
// boxes in layers so every dependency points right and crossings are few; Svelte Flow draws them
// (TaskGraph.svelte). One box per task, one edge per dependency, each edge marked as the daemon
// says its dependency stands (`holds`: met, waiting, or never).
//
// Pure functions of the task list: the view derives a layout from the store on every change.

import dagre, { type GraphLabel } from "@dagrejs/dagre";
import type { DepHolds } from "../bindings/DepHolds";
import type { DepKind } from "../bindings/DepKind";
import type { Task } from "../bindings/Task";
import type { TaskState } from "../bindings/TaskState";

/** Every state, in the order of a task's life; counts and legends follow it. */
export const TASK_STATES = [
  "pending",
  "ready",
  "running",
  "review",
  "done",
  "failed",
  "blocked",
  "cancelled",
] as const satisfies readonly TaskState[];
type MissingStates = Exclude<TaskState, (typeof TASK_STATES)[number]>;
const allStatesListed: [MissingStates] extends [never] ? true : MissingStates = true;
void allStatesListed;

/** What a dependency of each kind is called on its edge and in the details. */
export function depKindLabel(kind: DepKind): string {
  return kind === "if_succeeded" ? "if succeeded" : kind === "if_failed" ? "if failed" : "after";
}

/** Box sizes and the gaps between layers and boxes, in CSS pixels. */
export const GRAPH = {
  nodeWidth: 184,
  nodeHeight: 78,
  /** Between layers: wide enough for an edge's "if succeeded". */
  gapX: 92,
  gapY: 18,
} as const;

export type GraphNode = {
  task: Task;
  /** The layer, from the left: 0 for the first; every dependency is in a layer before. */
  depth: number;
  /** The box's top-left corner. */
  x: number;
  y: number;
};

export type GraphEdge = {
  id: string;
  /** The dependency's id, and the id of the task that waits on it. */
  from: string;
  to: string;
  kind: DepKind;
  status: DepHolds;
};

/** What a task's box in the graph is given. */
export type TaskNodeData = {
  task: Task;
  depth: number;
  selected: boolean;
  agentName: string | null;
  /** For a screen reader: what the task waits for. */
  depsText: string;
  onSelect: (task: Task) => void;
  /** A plan not launched yet: the box names who does the task rather than a state. */
  preview?: boolean;
};

/** What a dependency's edge in the graph is given. */
export type TaskEdgeData = { kind: DepKind; status: DepHolds; fromName: string; toName: string };

export type GraphLayout = {
  nodes: GraphNode[];
  edges: GraphEdge[];
  width: number;
  height: number;
};

/** From this many tasks, the layout trades some tidiness for time (docs/perf.md). */
const LARGE = 300;

/**
 * What the layout depends on: the tasks and their dependencies, not their states. The view lays
 * the graph out again only when this changes, so a task moving on only restyles its box.
 */
export function layoutKey(tasks: readonly Task[]): string {
  return tasks.map((t) => `${t.id}<${t.deps.map((d) => d.taskId).join(",")}`).join(";");
}

/**
 * Lays the tasks out. Dependencies on tasks not in the list are ignored (a task of another
 * session, or one not loaded yet); dagre breaks a cycle, which the engine refuses anyway.
 */
export function taskLayout(tasks: readonly Task[]): GraphLayout {
  if (tasks.length === 0) return { nodes: [], edges: [], width: 0, height: 0 };
  const { nodeWidth: W, nodeHeight: H, gapX, gapY } = GRAPH;
  const g = new dagre.graphlib.Graph<GraphLabel, { x: number; y: number }, object>();
  g.setGraph({ rankdir: "LR", ranksep: gapX, nodesep: gapY, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  const ids = new Set(tasks.map((t) => t.id));
  for (const t of tasks) g.setNode(t.id, { width: W, height: H, x: 0, y: 0 } as { x: number; y: number });
  const edges: GraphEdge[] = [];
  for (const t of tasks) {
    for (const dep of t.deps) {
      if (!ids.has(dep.taskId) || dep.taskId === t.id) continue;
      g.setEdge(dep.taskId, t.id);
      edges.push({ id: `${dep.taskId}>${t.id}`, from: dep.taskId, to: t.id, kind: dep.kind, status: dep.holds });
    }
  }
  // Large graphs: a cheaper ranking and no second ordering pass (crossings are reduced by the
  // usual sweeps all the same); below that, dagre's best.
  if (tasks.length > LARGE) g.setGraph({ ...g.graph(), ranker: "tight-tree" });
  dagre.layout(g, { disableOptimalOrderHeuristic: tasks.length > LARGE });

  // dagre gives centres; layers share an x, so a layer's index is its place among them.
  const centres = tasks.map((t) => g.node(t.id));
  const layers = [...new Set(centres.map((c) => Math.round(c.x)))].sort((a, b) => a - b);
  const layerOf = new Map(layers.map((x, i) => [x, i]));
  const nodes = tasks.map((task, i) => {
    const c = centres[i]!;
    return { task, depth: layerOf.get(Math.round(c.x))!, x: c.x - W / 2, y: c.y - H / 2 };
  });
  const { width = 0, height = 0 } = g.graph();
  return { nodes, edges, width, height };
}

/** How many tasks are in each state, every state listed (zero included), in life order. */
export function taskCounts(tasks: readonly Task[]): { state: TaskState; count: number }[] {
  return TASK_STATES.map((state) => ({ state, count: tasks.filter((t) => t.state === state).length }));
}
