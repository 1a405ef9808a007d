// How long dagre takes to lay out a large task graph (docs/perf.md, "Task graph"):
//     cd ui && npx vitest bench --run src/lib/taskGraph.bench.ts
// A graph shaped like real plans: chains of work fanning out from a few roots and converging
// on reviews, each task after one to three earlier ones.
import { bench, describe } from "vitest";
import type { Task } from "../bindings/Task";
import { task } from "../views/fixtures";
import { taskLayout } from "./taskGraph";

/** `reach`: how far back a task's dependencies go (plans depend on recent work). */
export function planOf(count: number, reach = 10): Task[] {
  const tasks: Task[] = [];
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < count; i++) {
    const deps: [string, Task["deps"][number]["kind"]][] = [];
    if (i >= 5) {
      const n = 1 + Math.floor(random() * 3);
      for (let k = 0; k < n; k++) {
        // Mostly recent tasks, so the graph is deep as well as wide.
        const from = Math.max(0, i - 1 - Math.floor(random() * Math.min(i, reach)));
        if (!deps.some(([d]) => d === `t${from}`)) deps.push([`t${from}`, random() < 0.1 ? "if_succeeded" : "after"]);
      }
    }
    tasks.push(task(`t${i}`, "s1", {}, deps));
  }
  return tasks;
}

describe("taskLayout", () => {
  for (const [n, reach] of [[100, 10], [1000, 10], [1000, 40]] as const) {
    const tasks = planOf(n, reach);
    bench(`${n} tasks, dependencies up to ${reach} back`, () => {
      taskLayout(tasks);
    }, { iterations: 5, warmupIterations: 1, time: 0 });
  }
});
