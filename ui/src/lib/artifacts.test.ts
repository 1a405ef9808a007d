import { afterEach, describe, expect, it, vi } from "vitest";
import type { Artifact } from "../bindings/Artifact";
import type { Session } from "../bindings/Session";
import { sessionMake, taskAdd, until, useDaemon } from "../test/daemon";
import type { Backend } from "./backend";
import { SessionArtifacts, snippetParts } from "./artifacts.svelte";

const d = useDaemon({ fakeClaude: true });

/** A session whose coordinator ran one task on the stand-in Claude: its result, file and diff. */
async function sessionWithArtifacts(): Promise<Session> {
  const name = d.unique("pay");
  const session = await sessionMake(d.daemon.api, d.daemon.repoMake(name), name, { cycleSecs: 1 });
  await taskAdd(d.daemon.api, session.id, { title: "Build", prompt: "Build it", name: "build" });
  await d.backend.coordinatorRun(session.id);
  await until(async () => (await d.backend.sessionGet(session.id)).coordinator === "complete", { what: "the build ran" });
  return session;
}

function artifact(id: string, title: string, body: string, minute: number): Artifact {
  return {
    id,
    sessionId: "s1",
    taskId: null,
    agentId: null,
    kind: "markdown",
    title,
    summary: title,
    body,
    path: null,
    createdAt: `2026-11-01T10:0${minute}:00Z`,
  };
}

const ARTIFACTS = [artifact("a1", "Spec", "Retry with backoff", 1), artifact("a2", "Notes", "Refunds stay as they are", 2)];

describe("SessionArtifacts", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("lists every artifact while the box is empty, and searches once typing pauses", async () => {
    const session = await sessionWithArtifacts();
    const search = vi.spyOn(d.backend, "artifactSearch");
    const store = new SessionArtifacts(d.backend, session.id);
    await store.refresh();
    expect(store.rows.map((r) => [r.artifact.kind, r.artifact.title, r.snippet])).toEqual([
      ["diff", "build: diff", null],
      ["file", "build: work-1.txt", null],
      ["markdown", "build: result", null],
    ]);

    store.queryChange("fin");
    store.queryChange("finished");
    // Not while typing: once it pauses, for the last words only.
    expect(search).not.toHaveBeenCalled();
    await vi.waitFor(() => expect(store.shownQuery).toBe("finished"));
    expect(search).toHaveBeenCalledExactlyOnceWith({ q: "finished", session: session.id });
    expect(store.rows.map((r) => [r.artifact.title, r.snippet])).toEqual([["build: result", "[Finished] the work, turn 1. Wrote work-1.txt"]]);

    // Emptied: the whole list at once.
    store.queryChange("  ");
    await vi.waitFor(() => expect(store.rows).toHaveLength(3));
    expect(store.shownQuery).toBe("");
    expect(search).toHaveBeenCalledTimes(1);
    store.close();
  });

  it("keeps the answer to the latest question when answers come back out of order", async () => {
    const answers = new Map<string, (a: Artifact[]) => void>();
    const artifactList = vi.fn<Backend["artifactList"]>(() => new Promise((resolve) => answers.set(`list${answers.size}`, resolve)));
    const store = new SessionArtifacts({ artifactList } as unknown as Backend, "s1");
    const first = store.refresh();
    const second = store.refresh();
    answers.get("list1")!([ARTIFACTS[1]!]);
    await second;
    answers.get("list0")!([ARTIFACTS[0]!]);
    await first;
    expect(store.rows.map((r) => r.artifact.id)).toEqual(["a2"]);
    expect(store.busy).toBe(false);
  });

  it("keeps the daemon's refusal in `error`, and the rows it had", async () => {
    const session = await sessionWithArtifacts();
    const store = new SessionArtifacts(d.backend, session.id);
    await store.refresh();
    vi.spyOn(d.backend, "artifactSearch").mockRejectedValueOnce({ code: "internal", message: "fts5: syntax error" });
    store.query = "zebra";
    await store.refresh();
    expect(store.error?.message).toBe("fts5: syntax error");
    expect(store.rows).toHaveLength(3);
    await store.refresh();
    expect(store.error).toBeNull();
    expect(store.rows).toEqual([]);
  });
});

describe("snippetParts", () => {
  it("marks the words between brackets as hits", () => {
    expect(snippetParts("…the [retry] policy and [backoff]…")).toEqual([
      { text: "…the ", hit: false },
      { text: "retry", hit: true },
      { text: " policy and ", hit: false },
      { text: "backoff", hit: true },
      { text: "…", hit: false },
    ]);
    expect(snippetParts("no hits")).toEqual([{ text: "no hits", hit: false }]);
    expect(snippetParts("[]")).toEqual([]);
  });
});
