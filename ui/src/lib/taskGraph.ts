// A session's task graph laid out for drawing: layered left to right by dependency depth (a
// task sits one column right of its deepest dependency, so a converging task comes after all of
// the branches it waits for), one box per task, and an edge per dependency, dimmed when it can
// no longer hold (as the daemon says in each dependency's `holds`).
//
// Pure functions of the task list: the view derives a layout from the store on every change.

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

/** Box and gap sizes, in CSS pixels. The gap is wide enough for an edge's "if succeeded". */
export const GRAPH = {
  nodeWidth: 184,
  nodeHeight: 78,
  gapX: 92,
  gapY: 18,
  pad: 12,
} as const;

export type GraphNode = {
  task: Task;
  /** Column: 0 for a task with no dependencies, else one more than its deepest dependency. */
  depth: number;
  /** Place in its column, from the top. */
  row: number;
  x: number;
  y: number;
};

export type GraphEdge = {
  /** The dependency's id, and the id of the task that waits on it. */
  from: string;
  to: string;
  kind: DepKind;
  status: DepHolds;
  /** SVG path data, a curve from the right side of `from` to the left side of `to`. */
  path: string;
  /** Where a conditional edge's label goes: just before the box it enters (never over a box). */
  labelX: number;
  labelY: number;
};

export type GraphLayout = {
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Columns, each a list of task ids from the top. */
  columns: string[][];
  width: number;
  height: number;
};

/**
 * Lays the tasks out. Dependencies on tasks not in the list are ignored (a task of another
 * session, or one not loaded yet); a cycle, which the engine refuses, cannot loop here either.
 */
export function taskLayout(tasks: readonly Task[]): GraphLayout {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const order = new Map(tasks.map((t, i) => [t.id, i]));

  // Depth by depth-first search, memoised; a task on the current path counts as depth 0 so a
  // cycle (impossible from the engine) cannot recurse forever.
  const depths = new Map<string, number>();
  const onPath = new Set<string>();
  const depthOf = (task: Task): number => {
    const known = depths.get(task.id);
    if (known !== undefined) return known;
    if (onPath.has(task.id)) return 0;
    onPath.add(task.id);
    let depth = 0;
    for (const dep of task.deps) {
      const parent = byId.get(dep.taskId);
      if (parent) depth = Math.max(depth, depthOf(parent) + 1);
    }
    onPath.delete(task.id);
    depths.set(task.id, depth);
    return depth;
  };
  for (const t of tasks) depthOf(t);

  // Every depth up to the deepest has a column (only a cycle could leave one empty).
  const columns: string[][] = Array.from({ length: tasks.length === 0 ? 0 : Math.max(...depths.values()) + 1 }, () => []);
  for (const t of tasks) columns[depths.get(t.id)!]!.push(t.id);

  // Within a column, a task goes near the tasks it depends on (the mean of their rows), which
  // keeps chains straight and avoids most crossings; ties keep the order the tasks were made.
  const rowOf = new Map<string, number>();
  for (const [depth, column] of columns.entries()) {
    if (depth > 0) {
      const weight = (id: string): number => {
        const rows = byId
          .get(id)!
          .deps.map((d) => rowOf.get(d.taskId))
          .filter((r): r is number => r !== undefined);
        return rows.length === 0 ? Infinity : rows.reduce((a, b) => a + b, 0) / rows.length;
      };
      column.sort((a, b) => weight(a) - weight(b) || order.get(a)! - order.get(b)!);
    }
    column.forEach((id, row) => rowOf.set(id, row));
  }

  const { nodeWidth: W, nodeHeight: H, gapX, gapY, pad } = GRAPH;
  const nodes: GraphNode[] = [];
  const at = new Map<string, GraphNode>();
  for (const [depth, column] of columns.entries()) {
    column.forEach((id, row) => {
      const node = { task: byId.get(id)!, depth, row, x: pad + depth * (W + gapX), y: pad + row * (H + gapY) };
      nodes.push(node);
      at.set(id, node);
    });
  }

  // Each box's edges leave and enter at points spread along its side, in the order of the
  // boxes at their other end, so several edges (and their labels) never share one point.
  const outgoing = new Map<string, string[]>();
  const incoming = new Map<string, string[]>();
  for (const node of nodes) {
    for (const dep of node.task.deps) {
      if (!at.has(dep.taskId)) continue;
      (outgoing.get(dep.taskId) ?? outgoing.set(dep.taskId, []).get(dep.taskId)!).push(node.task.id);
      (incoming.get(node.task.id) ?? incoming.set(node.task.id, []).get(node.task.id)!).push(dep.taskId);
    }
  }
  const byPlace = (a: string, b: string) => at.get(a)!.y - at.get(b)!.y || at.get(a)!.x - at.get(b)!.x;
  for (const list of [...outgoing.values(), ...incoming.values()]) list.sort(byPlace);
  const spread = (node: GraphNode, list: string[], other: string) =>
    node.y + (H * (list.indexOf(other) + 1)) / (list.length + 1);

  const edges: GraphEdge[] = [];
  for (const node of nodes) {
    for (const dep of node.task.deps) {
      const parent = at.get(dep.taskId);
      if (!parent) continue;
      const x1 = parent.x + W;
      const y1 = spread(parent, outgoing.get(parent.task.id)!, node.task.id);
      const x2 = node.x;
      const y2 = spread(node, incoming.get(node.task.id)!, parent.task.id);
      const bend = Math.max((x2 - x1) / 2, 24);
      edges.push({
        from: parent.task.id,
        to: node.task.id,
        kind: dep.kind,
        status: dep.holds,
        path: `M ${x1} ${y1} C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`,
        labelX: x2 - 8,
        labelY: y2 - 5,
      });
    }
  }

  const rows = Math.max(0, ...columns.map((c) => c.length));
  return {
    nodes,
    edges,
    columns,
    width: columns.length === 0 ? 0 : 2 * pad + columns.length * W + (columns.length - 1) * gapX,
    height: rows === 0 ? 0 : 2 * pad + rows * H + (rows - 1) * gapY,
  };
}

/** How many tasks are in each state, every state listed (zero included), in life order. */
export function taskCounts(tasks: readonly Task[]): { state: TaskState; count: number }[] {
  return TASK_STATES.map((state) => ({ state, count: tasks.filter((t) => t.state === state).length }));
}
