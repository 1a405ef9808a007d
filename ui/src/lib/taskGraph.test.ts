import { describe, expect, it } from "vitest";
import type { Task } from "../bindings/Task";
import { task } from "../views/fixtures";
import { GRAPH, taskCounts, taskLayout } from "./taskGraph";

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
  it("puts each task one column right of its deepest dependency", () => {
    // spec -> implement -> review, and docs after spec only.
    const tasks = [t("spec"), t("implement", [["spec", "after"]]), t("review", [["implement", "after"]]), t("docs", [["spec", "after"]])];
    expect(depths(tasks)).toEqual({ spec: 0, implement: 1, review: 2, docs: 1 });
    const layout = taskLayout(tasks);
    expect(layout.columns).toEqual([["spec"], ["implement", "docs"], ["review"]]);
    const x = Object.fromEntries(layout.nodes.map((n) => [n.task.id, n.x]));
    expect(x.implement! - x.spec!).toBe(GRAPH.nodeWidth + GRAPH.gapX);
    expect(x.review).toBeGreaterThan(x.implement!);
    expect(layout.width).toBe(2 * GRAPH.pad + 3 * GRAPH.nodeWidth + 2 * GRAPH.gapX);
    expect(layout.height).toBe(2 * GRAPH.pad + 2 * GRAPH.nodeHeight + GRAPH.gapY);
  });

  it("places a converging task after all of its dependencies, the deepest branch included", () => {
    // a -> b -> c, and a -> d; merge waits for c and d: it goes after c (depth 2), not after d.
    const tasks = [
      t("a"),
      t("b", [["a", "after"]]),
      t("c", [["b", "if_succeeded"]]),
      t("d", [["a", "if_failed"]]),
      t("merge", [["d", "after"], ["c", "after"]]),
    ];
    const layout = taskLayout(tasks);
    const node = (id: string) => layout.nodes.find((n) => n.task.id === id)!;
    expect(node("merge").depth).toBe(3);
    for (const dep of ["a", "b", "c", "d"]) expect(node("merge").x).toBeGreaterThan(node(dep).x);
    // Every edge goes left to right.
    for (const e of layout.edges) expect(node(e.to).depth).toBeGreaterThan(node(e.from).depth);
    expect(layout.edges.filter((e) => e.to === "merge").map((e) => e.from).sort()).toEqual(["c", "d"]);
  });

  it("keeps the edges' kinds, and places each label before the box it enters", () => {
    const tasks = [t("a"), t("ok", [["a", "if_succeeded"]]), t("fix", [["a", "if_failed"]]), t("next", [["a", "after"]])];
    const layout = taskLayout(tasks);
    expect(layout.edges.map((e) => [e.to, e.kind])).toEqual([
      ["ok", "if_succeeded"],
      ["fix", "if_failed"],
      ["next", "after"],
    ]);
    for (const e of layout.edges) {
      const to = layout.nodes.find((n) => n.task.id === e.to)!;
      expect(e.labelX).toBeLessThan(to.x);
      expect(e.labelX).toBeGreaterThan(to.x - GRAPH.gapX);
      expect(e.path.startsWith(`M ${GRAPH.pad + GRAPH.nodeWidth} `)).toBe(true);
    }
    // Three edges leave a's box at three different heights.
    expect(new Set(layout.edges.map((e) => e.path.split(" ")[2])).size).toBe(3);
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

  it("orders a column by where its dependencies are, so chains stay straight", () => {
    // Made in the order x2, y2, but y2 depends on the first root and x2 on the second.
    const tasks = [t("r1"), t("r2"), t("x2", [["r2", "after"]]), t("y2", [["r1", "after"]])];
    const layout = taskLayout(tasks);
    expect(layout.columns).toEqual([["r1", "r2"], ["y2", "x2"]]);
    const row = (id: string) => layout.nodes.find((n) => n.task.id === id)!.row;
    expect(row("y2")).toBe(row("r1"));
    expect(row("x2")).toBe(row("r2"));
  });

  it("ignores dependencies on tasks it was not given, and survives a cycle", () => {
    expect(depths([t("lonely", [["elsewhere", "after"]])])).toEqual({ lonely: 0 });
    expect(taskLayout([t("lonely", [["elsewhere", "after"]])]).edges).toEqual([]);
    const cycle = depths([t("p", [["q", "after"]]), t("q", [["p", "after"]])]);
    expect(Object.keys(cycle).sort()).toEqual(["p", "q"]);
  });

  it("is empty for no tasks", () => {
    expect(taskLayout([])).toEqual({ nodes: [], edges: [], columns: [], width: 0, height: 0 });
  });
});

describe("taskCounts", () => {
  it("counts every state, in the order of a task's life", () => {
    const counts = taskCounts([t("a", [], { state: "done" }), t("b", [], { state: "ready" }), t("c", [], { state: "ready" })]);
    expect(counts.map((c) => c.state)).toEqual(["pending", "ready", "running", "review", "done", "failed", "blocked", "cancelled"]);
    expect(Object.fromEntries(counts.map((c) => [c.state, c.count]))).toMatchObject({ ready: 2, done: 1, pending: 0 });
  });
});
