// @vitest-environment jsdom
// Markdown is sanitised by DOMPurify, which does not work under happy-dom: jsdom here.

import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Artifact } from "../bindings/Artifact";
import { SEARCH_DEBOUNCE_MS, SessionArtifacts } from "../lib/artifacts.svelte";
import { FakeBackend } from "../lib/fakeBackend";
import ArtifactsPanel from "./ArtifactsPanel.svelte";
import { session, task } from "./fixtures";

function artifact(id: string, kind: Artifact["kind"], title: string, body: string, minute: number, taskId: string | null = null): Artifact {
  return {
    id,
    sessionId: "s1",
    taskId,
    agentId: null,
    kind,
    title,
    summary: `summary of ${title}`,
    body,
    path: kind === "file" ? "docs/plan.md" : null,
    createdAt: `2026-11-01T10:${String(minute).padStart(2, "0")}:00Z`,
  };
}

const PATCH = "diff --git a/src/a.ts b/src/a.ts\n--- a/src/a.ts\n+++ b/src/a.ts\n@@ -1,2 +1,2 @@\n keep\n-old line\n+new line\n";
const VERDICT = JSON.stringify({
  verdict: "request_changes",
  findings: [
    { file: "src/a.ts", line: 7, severity: "warning", message: "Name the constant" },
    { file: "src/a.ts", line: 2, severity: "error", message: "Retries 4xx" },
  ],
});
const ARTIFACTS = [
  artifact("m1", "markdown", "spec: result", "# The spec\n\nRetry with **backoff**.\n\n<script>window.hacked = true</script>", 1, "t-spec"),
  artifact("d1", "diff", "implement: diff", PATCH, 2, "t-impl"),
  artifact("v1", "verdict", "review: verdict, round 1", VERDICT, 3),
  artifact("j1", "json", "budget", '{"tries":5,"capMs":10000}', 4),
  artifact("p1", "diff", "raw diff", "--- a\n+++ b\n+added\n-removed", 5),
];

const TASKS = [task("t-spec", "s1", { name: "spec" }), task("t-impl", "s1", { name: "implement" })];

let stores: SessionArtifacts[] = [];

afterEach(() => {
  for (const s of stores) s.close();
  stores = [];
  vi.useRealTimers();
});

function setup(artifacts = ARTIFACTS) {
  const backend = new FakeBackend({ sessions: [session("s1", "pay")], artifacts });
  const store = new SessionArtifacts(backend, "s1");
  stores.push(store);
  render(ArtifactsPanel, { backend, store, tasks: TASKS });
  return { backend, store };
}

const rows = () => screen.queryAllByTestId("artifact-row");
const row = (id: string) => rows().find((r) => r.dataset.artifactId === id)!;

describe("Artifacts tab", () => {
  it("lists the session's artifacts newest first, with kind, title, summary and task", async () => {
    setup();
    await waitFor(() => expect(rows()).toHaveLength(5));
    expect(rows().map((r) => [r.dataset.artifactId, r.dataset.kind])).toEqual([
      ["p1", "diff"],
      ["j1", "json"],
      ["v1", "verdict"],
      ["d1", "diff"],
      ["m1", "markdown"],
    ]);
    expect(row("m1").textContent).toContain("spec: result");
    expect(row("m1").textContent).toContain("summary of spec: result");
    expect(row("m1").querySelector(".artifact-row-task")!.textContent).toBe("spec");
    expect(screen.getByTestId("artifacts-count").textContent!.trim()).toBe("5 artifacts");
    expect(screen.getByTestId("artifacts-hint")).toBeTruthy();
  });

  it("renders a markdown artifact as markdown, with nothing that runs", async () => {
    setup();
    await waitFor(() => expect(rows()).toHaveLength(5));
    await fireEvent.click(row("m1"));
    const view = await screen.findByTestId("artifact-markdown");
    expect(view.querySelector("h1")!.textContent).toBe("The spec");
    expect(view.querySelector("strong")!.textContent).toBe("backoff");
    expect(view.querySelector("script")).toBeNull();
    expect(screen.getByTestId("artifact-view-title").textContent).toBe("spec: result");
    expect(screen.getByTestId("artifact-view").textContent).toContain("task spec");
    expect(row("m1").getAttribute("aria-current")).toBe("true");
  });

  it("shows a diff with the diff viewer, a raw patch coloured, a verdict as a findings table, JSON pretty", async () => {
    setup();
    await waitFor(() => expect(rows()).toHaveLength(5));

    await fireEvent.click(row("d1"));
    const file = await screen.findByTestId("diff-file");
    expect(file.dataset.path).toBe("src/a.ts");
    expect([...file.querySelectorAll("tr.line")].map((r) => r.getAttribute("data-kind"))).toEqual(["context", "del", "add"]);
    expect(file.textContent).toMatch(/\+1\s+−1/);

    await fireEvent.click(row("p1"));
    const patch = await screen.findByTestId("artifact-patch");
    expect([...patch.querySelectorAll(".patch-line")].map((l) => l.className.replace("patch-line ", ""))).toEqual(["meta", "meta", "add", "del"]);

    await fireEvent.click(row("v1"));
    await waitFor(() => expect(screen.getByTestId("verdict-kind").textContent!.trim()).toBe("Changes requested"));
    const findings = within(screen.getByTestId("verdict-findings")).getAllByTestId("finding");
    // Errors first.
    expect(findings.map((f) => [...f.querySelectorAll("td")].map((td) => td.textContent))).toEqual([
      ["src/a.ts", "2", "error", "Retries 4xx"],
      ["src/a.ts", "7", "warning", "Name the constant"],
    ]);

    await fireEvent.click(row("j1"));
    await waitFor(() => expect(screen.getByTestId("artifact-text").textContent).toBe('{\n  "tries": 5,\n  "capMs": 10000\n}'));
  });

  it("says when a verdict cannot be read, and shows its text", async () => {
    setup([artifact("v2", "verdict", "odd verdict", "Looks good to me!", 1)]);
    await waitFor(() => expect(rows()).toHaveLength(1));
    await fireEvent.click(row("v2"));
    expect((await screen.findByTestId("artifact-not-verdict")).textContent).toContain("it contains no JSON object");
    expect(screen.getByTestId("artifact-text").textContent).toBe("Looks good to me!");
  });

  it("searches once typing pauses, marks the words found, and lists all again when emptied", async () => {
    const { backend } = setup();
    await waitFor(() => expect(rows()).toHaveLength(5));
    const search = vi.spyOn(backend, "artifactSearch");
    const box = screen.getByTestId("artifacts-search");

    await fireEvent.input(box, { target: { value: "back" } });
    await fireEvent.input(box, { target: { value: "backoff" } });
    expect(search).not.toHaveBeenCalled();
    await waitFor(() => expect(rows().map((r) => r.dataset.artifactId)).toEqual(["m1"]), { timeout: SEARCH_DEBOUNCE_MS * 8 });
    expect(search).toHaveBeenCalledExactlyOnceWith("backoff", "s1");
    expect([...row("m1").querySelectorAll("mark")].map((m) => m.textContent)).toEqual(["backoff"]);
    expect(screen.getByTestId("artifacts-count").textContent!.trim()).toBe("1 hit");

    await fireEvent.input(box, { target: { value: "rollback" } });
    const empty = await screen.findByTestId("artifacts-empty", {}, { timeout: SEARCH_DEBOUNCE_MS * 8 });
    expect(empty.textContent).toContain("Nothing matches “rollback”");

    await fireEvent.input(box, { target: { value: "" } });
    await waitFor(() => expect(rows()).toHaveLength(5));
  });

  it("keeps the artifact shown while a search leaves it out", async () => {
    setup();
    await waitFor(() => expect(rows()).toHaveLength(5));
    await fireEvent.click(row("j1"));
    await screen.findByTestId("artifact-text");
    await fireEvent.input(screen.getByTestId("artifacts-search"), { target: { value: "backoff" } });
    await waitFor(() => expect(rows()).toHaveLength(1), { timeout: SEARCH_DEBOUNCE_MS * 8 });
    expect(screen.getByTestId("artifact-view").dataset.artifactId).toBe("j1");
  });

  it("shows why the list or an artifact cannot be read, with Retry", async () => {
    const backend = new FakeBackend({ sessions: [session("s1", "pay")], artifacts: ARTIFACTS });
    vi.spyOn(backend, "artifactList").mockRejectedValueOnce({ code: "not_found", message: "The daemon has no /api/artifacts: update it." });
    vi.spyOn(backend, "artifactGet").mockRejectedValueOnce({ code: "not_found", message: 'no artifact has the id "j1"' });
    const store = new SessionArtifacts(backend, "s1");
    stores.push(store);
    render(ArtifactsPanel, { backend, store, tasks: [] });

    const error = await screen.findByTestId("artifacts-error");
    expect(error.textContent).toContain("update it");
    await fireEvent.click(within(error).getByText("Retry"));
    await waitFor(() => expect(rows()).toHaveLength(5));
    expect(screen.queryByTestId("artifacts-error")).toBeNull();

    await fireEvent.click(row("j1"));
    const viewError = await screen.findByTestId("artifact-error");
    expect(viewError.textContent).toContain('no artifact has the id "j1"');
    await fireEvent.click(within(viewError).getByText("Retry"));
    await screen.findByTestId("artifact-text");
  });

  it("explains an empty list", async () => {
    setup([]);
    const empty = await screen.findByTestId("artifacts-empty");
    expect(empty.textContent).toContain("No artifacts yet");
  });
});
