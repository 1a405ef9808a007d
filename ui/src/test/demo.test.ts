// The demo's sample data (`node ui/scripts/demo.mjs`) is made by the same code on a real
// daemon: if the daemon or the seeding changes, this says so before someone opens the demo.

import { describe, expect, it } from "vitest";
import { agentEnded, agentUntil, demoSeed, useDaemon } from "./daemon";

const d = useDaemon({ fakeClaude: true });

describe("the demo's sample data", () => {
  it("has a finished tri-agent run, agents to look at, and a lane of 100,000 events", async () => {
    const { pay, web, long } = await demoSeed(d.daemon);

    const status = await d.backend.sessionStatus(pay.id);
    expect(status.session.coordinator).toBe("complete");
    expect(Object.fromEntries(status.tasks.map((t) => [t.state, t.count]))).toEqual({ done: 3 });
    expect(status.decisions.map((x) => x.state)).toEqual(["pending"]);
    expect((await d.backend.artifactList({ session: pay.id })).some((a) => a.kind === "verdict")).toBe(true);

    const agents = Object.fromEntries((await d.backend.agentList({ session: web.id })).map((a) => [a.name, a]));
    expect(Object.keys(agents).sort()).toEqual(["clock", "tester", "tests", "writer"]);
    await agentUntil(d.daemon.api, agents.tester!.id, (a) => a.state === "needs_input");
    expect((await d.backend.taskList({ session: web.id })).map((t) => [t.name, t.state])).toEqual([
      ["plan", "ready"],
      ["build", "pending"],
    ]);

    const [log] = await d.backend.agentList({ session: long.id });
    await agentUntil(d.daemon.api, log!.id, agentEnded);
    const tail = await d.backend.agentEvents(log!.id, { after: 100_000, limit: 10 });
    expect(tail.map((r) => r.event)).toContainEqual({ kind: "text", text: "line 100000 of a long build log", delta: false });
  }, 60_000);
});
