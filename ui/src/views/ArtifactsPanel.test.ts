// @vitest-environment jsdom
// Markdown is sanitised by DOMPurify, which does not work under happy-dom: jsdom here.

import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { Artifact } from "../bindings/Artifact";
import type { Session } from "../bindings/Session";
import type { Task } from "../bindings/Task";
import { SEARCH_DEBOUNCE_MS, SessionArtifacts } from "../lib/artifacts.svelte";
import type { Backend } from "../lib/backend";
import { sessionMake, taskAdd, until, useDaemon } from "../test/daemon";
import ArtifactsPanel from "./ArtifactsPanel.svelte";

const d = useDaemon({ fakeClaude: true });

/** The spec the stand-in Claude answers with (its "JSON only" answers are lines given to it). */
const SPEC = "# The spec\n\nRetry with **backoff**.\n\n<script>window.hacked = true</script>";

let session: Session;
let tasks: Task[];
let artifacts: Artifact[];

// One session whose coordinator ran spec → implement → review: the spec's answer (markdown),
// each turn's result, file and diff, and the review's verdicts (changes requested, then approved).
beforeAll(async () => {
  const api = d.daemon.api;
  session = await sessionMake(api, d.daemon.repoMake("pay"), "pay", { cycleSecs: 1 });
  d.daemon.verdictsWrite([
    SPEC,
    {
      verdict: "request_changes",
      findings: [
        { file: "src/a.ts", line: 7, severity: "warning", message: "Name the constant" },
        { file: "src/a.ts", line: 2, severity: "error", message: "Retries 4xx" },
      ],
    },
    { verdict: "approve", findings: [] },
  ]);
  await taskAdd(api, session.id, { title: "Spec", prompt: "Answer with JSON only: the spec", name: "spec" });
  await taskAdd(api, session.id, { title: "Implement", prompt: "Implement it", name: "implement", after: ["spec"] });
  await taskAdd(api, session.id, { title: "Review", prompt: "Review; answer with JSON only", name: "review", after: ["implement"], reviews: "implement" });
  await d.backend.coordinatorRun(session.id);
  await until(async () => (await d.backend.sessionGet(session.id)).coordinator === "complete", { what: "the run completed", timeoutMs: 30_000 });
  tasks = await d.backend.taskList({ session: session.id });
  artifacts = await d.backend.artifactList({ session: session.id });
}, 40_000);

let stores: SessionArtifacts[] = [];

afterEach(() => {
  for (const s of stores) s.close();
  stores = [];
  vi.restoreAllMocks();
});

function setup(sessionId = session.id, backend: Backend = d.backend) {
  const store = new SessionArtifacts(backend, sessionId);
  stores.push(store);
  render(ArtifactsPanel, { backend, store, tasks });
  return { store };
}

const rows = () => screen.queryAllByTestId("artifact-row");
const row = (title: string, index = 0) => rows().filter((r) => r.textContent!.includes(title))[index]!;

describe("Artifacts tab", () => {
  it("lists the session's artifacts newest first, with kind, title, summary and task", async () => {
    setup();
    await waitFor(() => expect(rows()).toHaveLength(artifacts.length));
    expect(artifacts.length).toBe(10);
    expect(rows().map((r) => r.dataset.artifactId)).toEqual(artifacts.map((a) => a.id));
    expect(rows()[0]!.dataset.kind).toBe("verdict");
    expect(rows().at(-1)!.dataset.kind).toBe("markdown");
    expect(row("spec: result").textContent).toContain("The spec");
    expect(row("spec: result").querySelector(".artifact-row-task")!.textContent).toBe("spec");
    expect(screen.getByTestId("artifacts-count").textContent!.trim()).toBe("10 artifacts");
    expect(screen.getByTestId("artifacts-hint")).toBeTruthy();
  });

  it("renders a markdown artifact as markdown, with nothing that runs", async () => {
    setup();
    await waitFor(() => expect(rows()).toHaveLength(10));
    await fireEvent.click(row("spec: result"));
    const view = await screen.findByTestId("artifact-markdown");
    expect(view.querySelector("h1")!.textContent).toBe("The spec");
    expect(view.querySelector("strong")!.textContent).toBe("backoff");
    expect(view.querySelector("script")).toBeNull();
    expect(screen.getByTestId("artifact-view-title").textContent).toBe("spec: result");
    expect(screen.getByTestId("artifact-view").textContent).toContain("task spec");
    expect(row("spec: result").getAttribute("aria-current")).toBe("true");
  });

  it("shows a diff with the diff viewer, and a verdict as a findings table", async () => {
    setup();
    await waitFor(() => expect(rows()).toHaveLength(10));

    // The first round's diff: the file the stand-in's turn wrote.
    await fireEvent.click(row("implement: diff", 1));
    const file = await screen.findByTestId("diff-file");
    expect(file.dataset.path).toBe("work-1.txt");
    expect([...file.querySelectorAll("tr.line")].map((r) => r.getAttribute("data-kind"))).toEqual(["add"]);
    expect(file.textContent).toMatch(/\+1\s+−0/);

    await fireEvent.click(row("review: verdict, round 1"));
    await waitFor(() => expect(screen.getByTestId("verdict-kind").textContent!.trim()).toBe("Changes requested"));
    const findings = within(screen.getByTestId("verdict-findings")).getAllByTestId("finding");
    // Errors first.
    expect(findings.map((f) => [...f.querySelectorAll("td")].map((td) => td.textContent))).toEqual([
      ["src/a.ts", "2", "error", "Retries 4xx"],
      ["src/a.ts", "7", "warning", "Name the constant"],
    ]);

    await fireEvent.click(row("review: verdict, round 2"));
    await waitFor(() => expect(screen.getByTestId("verdict-kind").textContent!.trim()).toBe("Approved"));
  });

  it("searches once typing pauses, marks the words found, and lists all again when emptied", async () => {
    setup();
    await waitFor(() => expect(rows()).toHaveLength(10));
    const search = vi.spyOn(d.backend, "artifactSearch");
    const box = screen.getByTestId("artifacts-search");

    await fireEvent.input(box, { target: { value: "back" } });
    await fireEvent.input(box, { target: { value: "backoff" } });
    expect(search).not.toHaveBeenCalled();
    await waitFor(() => expect(rows().map((r) => r.textContent)).toEqual([expect.stringContaining("spec: result")]), { timeout: SEARCH_DEBOUNCE_MS * 8 });
    expect(search).toHaveBeenCalledExactlyOnceWith({ q: "backoff", session: session.id });
    expect([...rows()[0]!.querySelectorAll("mark")].map((m) => m.textContent)).toEqual(["backoff"]);
    expect(screen.getByTestId("artifacts-count").textContent!.trim()).toBe("1 hit");

    await fireEvent.input(box, { target: { value: "rollback" } });
    const empty = await screen.findByTestId("artifacts-empty", {}, { timeout: SEARCH_DEBOUNCE_MS * 8 });
    expect(empty.textContent).toContain("Nothing matches “rollback”");

    await fireEvent.input(box, { target: { value: "" } });
    await waitFor(() => expect(rows()).toHaveLength(10));
  });

  it("keeps the artifact shown while a search leaves it out", async () => {
    setup();
    await waitFor(() => expect(rows()).toHaveLength(10));
    const shown = row("implement: work-1.txt");
    await fireEvent.click(shown);
    await screen.findByTestId("artifact-text");
    await fireEvent.input(screen.getByTestId("artifacts-search"), { target: { value: "backoff" } });
    await waitFor(() => expect(rows()).toHaveLength(1), { timeout: SEARCH_DEBOUNCE_MS * 8 });
    expect(screen.getByTestId("artifact-view").dataset.artifactId).toBe(shown.dataset.artifactId);
  });

  it("shows why the list or an artifact cannot be read, with Retry", async () => {
    vi.spyOn(d.backend, "artifactList").mockRejectedValueOnce({ code: "daemon_unreachable", message: "The Baton daemon is not answering: start it again." });
    vi.spyOn(d.backend, "artifactGet").mockRejectedValueOnce({ code: "daemon_unreachable", message: "The Baton daemon is not answering." });
    setup();

    const error = await screen.findByTestId("artifacts-error");
    expect(error.textContent).toContain("start it again");
    await fireEvent.click(within(error).getByText("Retry"));
    await waitFor(() => expect(rows()).toHaveLength(10));
    expect(screen.queryByTestId("artifacts-error")).toBeNull();

    await fireEvent.click(row("implement: work-1.txt"));
    const viewError = await screen.findByTestId("artifact-error");
    expect(viewError.textContent).toContain("not answering");
    await fireEvent.click(within(viewError).getByText("Retry"));
    await screen.findByTestId("artifact-text");
  });

  it("explains an empty list", async () => {
    const empty = await sessionMake(d.daemon.api, d.daemon.repoMake("empty"), "empty");
    setup(empty.id);
    expect((await screen.findByTestId("artifacts-empty")).textContent).toContain("No artifacts yet");
  });
});

describe("Artifact bodies of kinds no run here produces", () => {
  // JSON and non-git patches are artifact kinds the daemon's type allows (an agent or an import
  // may leave them) but that the stand-in's runs never make: records given through a stub.
  function artifact(id: string, kind: Artifact["kind"], title: string, body: string): Artifact {
    return { id, sessionId: "s1", taskId: null, agentId: null, kind, title, summary: title, body, path: null, createdAt: "2026-11-01T10:00:00Z" };
  }
  const RECORDS = [
    artifact("j1", "json", "budget", '{"tries":5,"capMs":10000}'),
    artifact("p1", "diff", "raw diff", "--- a\n+++ b\n+added\n-removed"),
  ];

  it("pretty-prints JSON, and colours a patch that is not git's", async () => {
    const backend = {
      artifactList: async () => RECORDS.map((a) => ({ ...a, body: "" })),
      artifactGet: async (id: string) => RECORDS.find((a) => a.id === id)!,
    } as unknown as Backend;
    setup("s1", backend);
    await waitFor(() => expect(rows()).toHaveLength(2));

    await fireEvent.click(row("raw diff"));
    const patch = await screen.findByTestId("artifact-patch");
    expect([...patch.querySelectorAll(".patch-line")].map((l) => l.className.replace("patch-line ", ""))).toEqual(["meta", "meta", "add", "del"]);

    await fireEvent.click(row("budget"));
    await waitFor(() => expect(screen.getByTestId("artifact-text").textContent).toBe('{\n  "tries": 5,\n  "capMs": 10000\n}'));
  });
});
