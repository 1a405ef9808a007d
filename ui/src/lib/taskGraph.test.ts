import { describe, expect, it } from "vitest";
import type { Task } from "../bindings/Task";
import { task } from "../views/fixtures";
import { GRAPH, layoutKey, taskCounts, taskLayout } from "./taskGraph";

const t = (
  id: string,
  deps: [string, Task["deps"][number]["kind"], Task["deps"][number]["holds"]?][] = [],
  overrides: Partial<Task> = {},
) =>
  task(id, "s1", overrides, deps);

function depths(tasks: Task[]): Record<string, number> {
  return Object.fromEntries(taskLayout(tasks).nodes.map((n) => [n.task.name, n.depth]));
}

describe("taskLayout", () => {
  const at = (layout: ReturnType<typeof taskLayout>, id: string) => layout.nodes.find((n) => n.task.id === id)!;

  it("puts each task in a layer right of its dependencies, one layer apart along a chain", () => {
    // spec -> implement -> review, and docs after spec only.
    const tasks = [t("spec"), t("implement", [["spec", "after"]]), t("review", [["implement", "after"]]), t("docs", [["spec", "after"]])];
    expect(depths(tasks)).toMatchObject({ spec: 0, implement: 1, review: 2 });
    const layout = taskLayout(tasks);
    const x = Object.fromEntries(layout.nodes.map((n) => [n.task.id, n.x]));
    expect(x.implement! - x.spec!).toBe(GRAPH.nodeWidth + GRAPH.gapX);
    expect(x.review! - x.implement!).toBe(GRAPH.nodeWidth + GRAPH.gapX);
    expect(x.docs).toBeGreaterThan(x.spec!);
    expect(layout.width).toBe(3 * GRAPH.nodeWidth + 2 * GRAPH.gapX);
    expect(layout.height).toBeGreaterThanOrEqual(2 * GRAPH.nodeHeight + GRAPH.gapY);
  });

  it("never lets two boxes overlap", () => {
    const tasks = [t("a"), t("b"), t("c", [["a", "after"]]), t("d", [["a", "after"]]), t("e", [["b", "after"]]), t("f", [["c", "after"], ["e", "after"]])];
    const nodes = taskLayout(tasks).nodes;
    for (const p of nodes) {
      for (const q of nodes) {
        if (p === q) continue;
        const apart = Math.abs(p.x - q.x) >= GRAPH.nodeWidth || Math.abs(p.y - q.y) >= GRAPH.nodeHeight;
        expect(apart, `${p.task.id} and ${q.task.id}`).toBe(true);
      }
    }
  });

  it("places a converging task after all of its dependencies, the deepest branch included", () => {
    // a -> b -> c, and a -> d; merge waits for c and d: it goes after c, not just after d.
    const tasks = [
      t("a"),
      t("b", [["a", "after"]]),
      t("c", [["b", "if_succeeded"]]),
      t("d", [["a", "if_failed"]]),
      t("merge", [["d", "after"], ["c", "after"]]),
    ];
    const layout = taskLayout(tasks);
    expect(at(layout, "merge").depth).toBe(3);
    for (const dep of ["a", "b", "c", "d"]) expect(at(layout, "merge").x).toBeGreaterThan(at(layout, dep).x);
    // Every edge goes left to right.
    for (const e of layout.edges) expect(at(layout, e.to).depth).toBeGreaterThan(at(layout, e.from).depth);
    expect(layout.edges.filter((e) => e.to === "merge").map((e) => e.from).sort()).toEqual(["c", "d"]);
  });

  it("keeps the edges' kinds, one per dependency, with stable ids", () => {
    const tasks = [t("a"), t("ok", [["a", "if_succeeded"]]), t("fix", [["a", "if_failed"]]), t("next", [["a", "after"]])];
    expect(taskLayout(tasks).edges.map((e) => [e.id, e.to, e.kind])).toEqual([
      ["a>ok", "ok", "if_succeeded"],
      ["a>fix", "fix", "if_failed"],
      ["a>next", "next", "after"],
    ]);
  });

  it("marks each edge as the daemon says its dependency stands", () => {
    const tasks = [
      t("a", [], { state: "failed" }),
      t("ok", [["a", "if_succeeded", "never"]], { state: "cancelled" }),
      t("fix", [["a", "if_failed", "met"]], { state: "ready" }),
      t("later", [["fix", "after", "waiting"]]),
    ];
    const status = Object.fromEntries(taskLayout(tasks).edges.map((e) => [e.to, e.status]));
    expect(status).toEqual({ ok: "never", fix: "met", later: "waiting" });
  });

  it("keeps chains straight: a task sits level with the one it follows", () => {
    // Made in the order x2, y2, but y2 depends on the first root and x2 on the second.
    const tasks = [t("r1"), t("r2"), t("x2", [["r2", "after"]]), t("y2", [["r1", "after"]])];
    const layout = taskLayout(tasks);
    expect(at(layout, "y2").y).toBe(at(layout, "r1").y);
    expect(at(layout, "x2").y).toBe(at(layout, "r2").y);
  });

  it("ignores dependencies on tasks it was not given, and survives a cycle", () => {
    expect(depths([t("lonely", [["elsewhere", "after"]])])).toEqual({ lonely: 0 });
    expect(taskLayout([t("lonely", [["elsewhere", "after"]])]).edges).toEqual([]);
    const cycle = depths([t("p", [["q", "after"]]), t("q", [["p", "after"]])]);
    expect(Object.keys(cycle).sort()).toEqual(["p", "q"]);
  });

  it("is empty for no tasks", () => {
    expect(taskLayout([])).toEqual({ nodes: [], edges: [], width: 0, height: 0 });
  });
});

describe("taskCounts", () => {
  it("counts every state, in the order of a task's life", () => {
    const counts = taskCounts([t("a", [], { state: "done" }), t("b", [], { state: "ready" }), t("c", [], { state: "ready" })]);
    expect(counts.map((c) => c.state)).toEqual(["pending", "ready", "running", "review", "done", "failed", "blocked", "cancelled"]);
    expect(Object.fromEntries(counts.map((c) => [c.state, c.count]))).toMatchObject({ ready: 2, done: 1, pending: 0 });
  });
});

describe("layoutKey", () => {
  it("changes with the tasks and their dependencies, not with their states", () => {
    const before = [t("a"), t("b", [["a", "after"]])];
    const moved = [t("a", [], { state: "done" }), t("b", [["a", "after", "met"]], { state: "ready" })];
    expect(layoutKey(moved)).toBe(layoutKey(before));
    expect(layoutKey([...before, t("c")])).not.toBe(layoutKey(before));
    expect(layoutKey([t("a"), t("b")])).not.toBe(layoutKey(before));
  });
});
