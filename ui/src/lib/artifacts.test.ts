import { afterEach, describe, expect, it, vi } from "vitest";
import type { Artifact } from "../bindings/Artifact";
import { session } from "../views/fixtures";
import type { Backend } from "./backend";
import { FakeBackend } from "./fakeBackend";
import { SEARCH_DEBOUNCE_MS, SessionArtifacts, snippetParts } from "./artifacts.svelte";

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
    vi.useRealTimers();
  });

  it("lists every artifact while the box is empty, and searches once typing pauses", async () => {
    vi.useFakeTimers();
    const backend = new FakeBackend({ sessions: [session("s1", "pay")], artifacts: ARTIFACTS });
    const search = vi.spyOn(backend, "artifactSearch");
    const store = new SessionArtifacts(backend, "s1");
    await store.refresh();
    expect(store.rows.map((r) => [r.artifact.id, r.snippet])).toEqual([
      ["a2", null],
      ["a1", null],
    ]);

    store.queryChange("re");
    store.queryChange("retry");
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS - 1);
    expect(search).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(search).toHaveBeenCalledExactlyOnceWith("retry", "s1");
    await vi.waitFor(() => expect(store.shownQuery).toBe("retry"));
    expect(store.rows.map((r) => [r.artifact.id, r.snippet])).toEqual([["a1", "[Retry] with backoff"]]);

    // Emptied: the whole list at once.
    store.queryChange("  ");
    await vi.waitFor(() => expect(store.rows).toHaveLength(2));
    expect(store.shownQuery).toBe("");
    expect(search).toHaveBeenCalledTimes(1);
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
    const backend = new FakeBackend({ sessions: [session("s1", "pay")], artifacts: ARTIFACTS });
    const store = new SessionArtifacts(backend, "s1");
    await store.refresh();
    vi.spyOn(backend, "artifactSearch").mockRejectedValueOnce({ code: "internal", message: "fts5: syntax error" });
    store.query = "x";
    await store.refresh();
    expect(store.error?.message).toBe("fts5: syntax error");
    expect(store.rows).toHaveLength(2);
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
