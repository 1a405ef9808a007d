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
