import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import type { WorktreeDiff } from "../bindings/WorktreeDiff";
import { FakeBackend } from "../lib/fakeBackend";
import type { FakeFile } from "../lib/fakeWorktree";
import DiffDialog from "./DiffDialog.svelte";
import { agent, session, worktree } from "./fixtures";

const FILES: FakeFile[] = [
  { path: "src/client.ts", before: "one\ntwo\nthree\n", after: "one\nTWO\nthree\nfour\n" },
  { path: "docs/logo.png", before: null, after: "\x89PNG", binary: true },
  { path: "old.txt", before: "bye\n", after: null },
];

function setup(files: FakeFile[] = FILES) {
  const a = agent("a1", "s1", { name: "architect", worktree: worktree("architect") });
  const backend = new FakeBackend({ sessions: [session("s1", "pay")], agents: [a], worktreeFiles: { a1: files } });
  const onClose = vi.fn();
  render(DiffDialog, { backend, agent: a, onClose });
  return { backend, onClose, agent: a };
}

const fileButtons = () => screen.getAllByTestId("diff-file-button");
const cells = (row: Element) => [...row.querySelectorAll("td")].map((td) => td.textContent);

describe("DiffDialog", () => {
  it("lists the files with their counts and shows the first one's patch, numbered", async () => {
    setup();
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
    setup();
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
    const { backend } = setup();
    await screen.findByTestId("diff-summary");
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
    vi.spyOn(backend, "agentDiff").mockResolvedValue(cut);
    await fireEvent.click(screen.getByTestId("diff-refresh"));

    expect((await screen.findByTestId("diff-truncated")).textContent).toContain("was cut");
    await waitFor(() => expect(fileButtons().map((b) => b.dataset.path)).toEqual(["a.txt", "huge.json"]));
    await fireEvent.click(fileButtons()[1]!);
    expect(screen.getByTestId("diff-missing").textContent).toContain("past where the patch was cut");
    expect(screen.getByTestId("diff-file").textContent).toContain("+400000");
  });

  it("says there is nothing to show for an agent with no changes", async () => {
    setup([]);
    expect((await screen.findByTestId("diff-empty")).textContent).toContain("No changes");
    expect(screen.getByTestId("diff-summary").textContent).toMatch(/0 files/);
  });

  it("shows the daemon's error and reads again on Refresh", async () => {
    const a = agent("a1", "s1", { name: "architect", worktree: worktree("architect") });
    const backend = new FakeBackend({ sessions: [session("s1", "pay")], agents: [a], worktreeFiles: { a1: FILES } });
    const read = vi.spyOn(backend, "agentDiff").mockRejectedValueOnce({ code: "internal", message: "git diff failed in `/wt`" });
    render(DiffDialog, { backend, agent: a, onClose: () => {} });

    const alert = await screen.findByRole("alert");
    expect(within(alert).getByText("/wt").tagName).toBe("CODE");
    await fireEvent.click(screen.getByTestId("diff-refresh"));
    await screen.findByTestId("diff-summary");
    expect(read).toHaveBeenCalledTimes(2);
    expect(read).toHaveBeenLastCalledWith("a1", true);
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("closes with Escape and the close button", async () => {
    const { onClose } = setup();
    await screen.findByTestId("diff-summary");
    await fireEvent.keyDown(screen.getByTestId("diff-dialog"), { key: "Escape" });
    await fireEvent.click(screen.getByTestId("modal-close"));
    expect(onClose).toHaveBeenCalledTimes(2);
  });
});
