import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Agent } from "../bindings/Agent";
import type { WorktreeDiff } from "../bindings/WorktreeDiff";
import { agentEnded, agentUntil, commandSpawn, sessionMake, useDaemon } from "../test/daemon";
import DiffDialog from "./DiffDialog.svelte";

const d = useDaemon();

afterEach(() => {
  vi.restoreAllMocks();
});

/** What the agent leaves uncommitted: a changed file, a binary one added, one deleted. */
const WORK = "printf 'one\\nTWO\\nthree\\nfour\\n' > src/client.ts && mkdir -p docs && printf '\\211PNG\\0\\1' > docs/logo.png && rm old.txt";

/** An agent of a new session, ended after running `program` in its worktree. */
async function agentWith(program: string[]): Promise<Agent> {
  const name = d.unique("pay");
  const repo = d.daemon.repoMake(name, { "src/client.ts": "one\ntwo\nthree\n", "old.txt": "bye\n" });
  const session = await sessionMake(d.daemon.api, repo, name);
  const agent = await commandSpawn(d.daemon.api, session.id, program, "architect");
  return agentUntil(d.daemon.api, agent.id, agentEnded);
}

async function setup(program: string[] = ["sh", "-c", WORK]) {
  const agent = await agentWith(program);
  const onClose = vi.fn();
  render(DiffDialog, { backend: d.backend, agent, onClose });
  return { onClose, agent };
}

const fileButtons = () => screen.getAllByTestId("diff-file-button");
const cells = (row: Element) => [...row.querySelectorAll("td")].map((td) => td.textContent);

describe("DiffDialog", () => {
  it("lists the files with their counts and shows the first one's patch, numbered", async () => {
    await setup();
    const summary = await screen.findByTestId("diff-summary");
    expect(summary.textContent).toMatch(/3 files\s+\+2\s+−2\s+against main/);
    expect(summary.textContent).toContain("3 uncommitted");
    expect(fileButtons().map((b) => [b.dataset.path, b.textContent!.replace(/\s+/g, " ").trim()])).toEqual([
      ["docs/logo.png", "A docs/logo.png binary"],
      ["old.txt", "D old.txt +0 −1"],
      ["src/client.ts", "M src/client.ts +2 −1"],
    ]);
    expect(screen.getByTestId("diff-file").dataset.path).toBe("docs/logo.png");
    expect(screen.getByTestId("diff-binary").textContent).toContain("Binary file");

    await fireEvent.click(fileButtons()[2]!);
    const file = screen.getByTestId("diff-file");
    expect(file.dataset.path).toBe("src/client.ts");
    expect(fileButtons()[2]!.getAttribute("aria-current")).toBe("true");
    const rows = [...file.querySelectorAll("tr.line")];
    expect(rows.map((r) => r.getAttribute("data-kind"))).toEqual(["context", "del", "add", "context", "add"]);
    expect(cells(rows[1]!)).toEqual(["2", "", "-two"]);
    expect(cells(rows[2]!)).toEqual(["", "2", "+TWO"]);
    expect(cells(rows[4]!)).toEqual(["", "4", "+four"]);
    expect(file.querySelector(".hunk-head")!.textContent).toBe("@@ -1,3 +1,4 @@");
  });

  it("lays a file out side by side: a changed line reads across", async () => {
    await setup();
    await screen.findByTestId("diff-summary");
    await fireEvent.click(fileButtons()[2]!);
    await fireEvent.click(screen.getByTestId("diff-split"));

    expect(screen.getByTestId("diff-split").getAttribute("aria-pressed")).toBe("true");
    expect(screen.getByTestId("diff-file").dataset.mode).toBe("split");
    const pairs = screen.getAllByTestId("diff-pair").map(cells);
    expect(pairs).toEqual([
      ["1", "one", "1", "one"],
      ["2", "two", "2", "TWO"],
      ["3", "three", "3", "three"],
      ["", "", "4", "four"],
    ]);
    expect(screen.getAllByTestId("diff-pair")[3]!.querySelector(".side-left")!.classList).toContain("blank");

    // The layout stays as chosen when another file is selected.
    await fireEvent.click(fileButtons()[1]!);
    expect(screen.getAllByTestId("diff-pair").map(cells)).toEqual([["1", "bye", "", ""]]);
  });

  it("says when the patch was cut, and which files it does not reach", async () => {
    await setup();
    await screen.findByTestId("diff-summary");
    // A patch past the daemon's cap (8 MiB) is cut: a reply shaped as it sends one then.
    const cut: WorktreeDiff = {
      base: "main",
      baseCommit: "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
      files: [
        { path: "a.txt", oldPath: null, status: "modified", additions: 1, deletions: 0, binary: false },
        { path: "huge.json", oldPath: null, status: "added", additions: 400_000, deletions: 0, binary: false },
      ],
      additions: 400_001,
      deletions: 0,
      uncommitted: 0,
      patch: "diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1 +1,2 @@\n a\n+b\n",
      patchTruncated: true,
    };
    vi.spyOn(d.backend, "agentDiff").mockResolvedValue(cut);
    await fireEvent.click(screen.getByTestId("diff-refresh"));

    expect((await screen.findByTestId("diff-truncated")).textContent).toContain("was cut");
    await waitFor(() => expect(fileButtons().map((b) => b.dataset.path)).toEqual(["a.txt", "huge.json"]));
    await fireEvent.click(fileButtons()[1]!);
    expect(screen.getByTestId("diff-missing").textContent).toContain("past where the patch was cut");
    expect(screen.getByTestId("diff-file").textContent).toContain("+400000");
  });

  it("says there is nothing to show for an agent with no changes", async () => {
    await setup(["true"]);
    expect((await screen.findByTestId("diff-empty")).textContent).toContain("No changes");
    expect(screen.getByTestId("diff-summary").textContent).toMatch(/0 files/);
  });

  it("shows the daemon's error and reads again on Refresh", async () => {
    const agent = await agentWith(["sh", "-c", WORK]);
    const read = vi.spyOn(d.backend, "agentDiff").mockRejectedValueOnce({ code: "internal", message: "git diff failed in `/wt`" });
    render(DiffDialog, { backend: d.backend, agent, onClose: () => {} });

    const alert = await screen.findByRole("alert");
    expect(within(alert).getByText("/wt").tagName).toBe("CODE");
    await fireEvent.click(screen.getByTestId("diff-refresh"));
    await screen.findByTestId("diff-summary");
    expect(read).toHaveBeenCalledTimes(2);
    expect(read).toHaveBeenLastCalledWith(agent.id, { patch: true });
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("closes with Escape and the close button", async () => {
    const { onClose } = await setup();
    await screen.findByTestId("diff-summary");
    await fireEvent.keyDown(screen.getByTestId("diff-dialog"), { key: "Escape" });
    await fireEvent.click(screen.getByTestId("modal-close"));
    expect(onClose).toHaveBeenCalledTimes(2);
  });
});

describe("DiffDialog review", () => {
  /** An agent that commits a TypeScript file, then reads messages on its stdin and says what it got. */
  const LISTENER = [
    "sh",
    "-c",
    "printf 'export const a = 1;\\n// note\\nexport function f(): string {\\n  return \"x\";\\n}\\n' > src/new.ts && git add src/new.ts && git commit -qm 'Add new.ts' && while read -r line; do echo \"got: $line\"; done",
  ];

  async function listening() {
    const name = d.unique("rev");
    const repo = d.daemon.repoMake(name, { "src/client.ts": "one\n" });
    const session = await sessionMake(d.daemon.api, repo, name);
    const spawned = await commandSpawn(d.daemon.api, session.id, LISTENER, "builder");
    const agent = await agentUntil(d.daemon.api, spawned.id, (a) => a.state === "running" && a.turns >= 0);
    // Its commit is there before the diff is read.
    await waitFor(async () => expect((await d.backend.agentDiff(agent.id, { patch: false })).files.length).toBe(1), {
      timeout: 10_000,
    });
    return agent;
  }

  it("colours the code with the language's grammar, in both themes' colours", async () => {
    const agent = await listening();
    render(DiffDialog, { backend: d.backend, agent, onClose: vi.fn() });
    const file = await screen.findByTestId("diff-file");
    expect(file.dataset.lang).toBe("typescript");
    await waitFor(() => expect(file.querySelectorAll(".tok").length).toBeGreaterThan(5), { timeout: 10_000 });
    const keyword = [...file.querySelectorAll<HTMLElement>(".tok")].find((t) => t.textContent === "export")!;
    expect(keyword.getAttribute("style")).toMatch(/--shiki-light: ?#[0-9A-Fa-f]{6}; ?--shiki-dark: ?#[0-9A-Fa-f]{6}/);
    // The text is the code's, whatever the spans.
    const rows = [...file.querySelectorAll("tr.line")];
    expect(cells(rows[2]!)).toEqual(["", "3", "+export function f(): string {"]);
    await d.backend.agentStop(agent.id);
  });

  it("sends comments on lines to the agent as path:line, in one message, and shows them sent", async () => {
    const agent = await listening();
    const send = vi.spyOn(d.backend, "agentSend");
    render(DiffDialog, { backend: d.backend, agent, onClose: vi.fn() });
    const file = await screen.findByTestId("diff-file");
    const addButtons = () => within(file).getAllByTestId("diff-comment-add");
    expect(addButtons()).toHaveLength(5);

    await fireEvent.click(addButtons()[0]!);
    const input = () => within(file).getByTestId("diff-comment-input") as HTMLTextAreaElement;
    expect(document.activeElement).toBe(input());
    await fireEvent.input(input(), { target: { value: "Name this constant" } });
    await fireEvent.keyDown(input(), { key: "Enter", ctrlKey: true });
    await fireEvent.click(addButtons()[2]!);
    await fireEvent.input(input(), { target: { value: "Say what f returns" } });
    await fireEvent.click(within(file).getByTestId("diff-comment-save"));

    const shown = within(file).getAllByTestId("diff-comment");
    expect(shown.map((c) => c.dataset.sent)).toEqual(["false", "false"]);
    expect(shown[0]!.textContent).toContain("src/new.ts:1");
    expect(screen.getByTestId("diff-comments-bar").textContent).toContain("2 comments to send to builder");
    expect(send).not.toHaveBeenCalled();

    await fireEvent.click(screen.getByTestId("diff-comments-send"));
    await waitFor(() => expect(within(file).getAllByTestId("diff-comment-sent")).toHaveLength(2));
    expect(send).toHaveBeenCalledTimes(1);
    expect(send.mock.calls[0]![1].text).toBe(
      "Review comments on your diff:\n\nsrc/new.ts:1: Name this constant\nsrc/new.ts:3: Say what f returns",
    );
    expect(screen.getByTestId("diff-comments-bar").textContent).toContain("All comments sent to builder");
    // The agent read them (its program echoes each line it is sent).
    await waitFor(
      async () => {
        const events = await d.backend.agentEvents(agent.id, {});
        expect(JSON.stringify(events)).toContain("got: src/new.ts:3: Say what f returns");
      },
      { timeout: 10_000 },
    );
    await d.backend.agentStop(agent.id);
  });

  it("says why comments could not be sent, and keeps them to send again", async () => {
    const agent = await agentWith(["sh", "-c", "printf 'x\\n' > src/client.ts"]);
    render(DiffDialog, { backend: d.backend, agent, onClose: vi.fn() });
    const file = await screen.findByTestId("diff-file");
    await fireEvent.click(within(file).getAllByTestId("diff-comment-add")[0]!);
    await fireEvent.input(within(file).getByTestId("diff-comment-input"), { target: { value: "Why?" } });
    await fireEvent.click(within(file).getByTestId("diff-comment-save"));
    await fireEvent.click(screen.getByTestId("diff-comments-send"));
    expect((await screen.findByTestId("diff-comments-error")).textContent).toContain("its program has ended");
    expect(within(file).getByTestId("diff-comment").dataset.sent).toBe("false");
  });

  it("takes comments side by side too: a removed line by its old number", async () => {
    const agent = await agentWith(["sh", "-c", WORK]);
    const send = vi.spyOn(d.backend, "agentSend").mockResolvedValue(agent);
    render(DiffDialog, { backend: d.backend, agent, onClose: vi.fn(), file: "src/client.ts" });
    const file = await screen.findByTestId("diff-file");
    await fireEvent.click(screen.getByTestId("diff-split"));
    // The second row: "two" removed (left), "TWO" added (right); each side has its own "+".
    const row = within(file).getAllByTestId("diff-pair")[1]!;
    const [left, right] = within(row).getAllByTestId("diff-comment-add");
    await fireEvent.click(left!);
    await fireEvent.input(within(file).getByTestId("diff-comment-input"), { target: { value: "Why remove it?" } });
    await fireEvent.click(within(file).getByTestId("diff-comment-save"));
    await fireEvent.click(right!);
    await fireEvent.input(within(file).getByTestId("diff-comment-input"), { target: { value: "Shouting?" } });
    await fireEvent.click(within(file).getByTestId("diff-comment-save"));
    await fireEvent.click(screen.getByTestId("diff-comments-send"));
    await waitFor(() => expect(send).toHaveBeenCalledTimes(1));
    expect(send.mock.calls[0]![1].text).toBe(
      "Review comments on your diff:\n\nsrc/client.ts:2: (on the removed line \"two\") Why remove it?\nsrc/client.ts:2: Shouting?",
    );
  });

  it("opens at a file and line asked for, and marks the line", async () => {
    const agent = await agentWith(["sh", "-c", WORK]);
    render(DiffDialog, { backend: d.backend, agent, onClose: vi.fn(), file: "src/client.ts", line: 4 });
    const file = await screen.findByTestId("diff-file");
    expect(file.dataset.path).toBe("src/client.ts");
    const focused = file.querySelectorAll("tr.focused");
    expect(focused).toHaveLength(1);
    expect(cells(focused[0]!)).toEqual(["", "4", "+four"]);
  });
});
