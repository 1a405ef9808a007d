import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import type { Agent } from "../bindings/Agent";
import { FakeBackend } from "../lib/fakeBackend";
import type { FakeFile } from "../lib/fakeWorktree";
import MergeDialog from "./MergeDialog.svelte";
import { agent, session, worktree } from "./fixtures";

const FILES: FakeFile[] = [
  { path: "src/client.ts", before: "a\nb\n", after: "a\nB\nc\n" },
  { path: "src/retry.ts", before: null, after: "export {};\n", committed: true },
];

function setup(overrides: Partial<Agent> = {}) {
  const a = agent("a1", "s1", { name: "architect", state: "waiting", worktree: worktree("architect"), ...overrides });
  const backend = new FakeBackend({
    sessions: [session("s1", "pay", { repo: "/src/pay" })],
    agents: [a],
    worktreeFiles: { a1: FILES },
  });
  const merge = vi.spyOn(backend, "agentMerge");
  const onClose = vi.fn();
  return { backend, merge, onClose, open: () => render(MergeDialog, { backend, agent: a, baseBranch: "main", onClose }) };
}

const confirmButton = () => screen.getByTestId("merge-confirm") as HTMLButtonElement;

describe("MergeDialog", () => {
  it("shows the pre-check before anything happens, then merges only when asked", async () => {
    const { merge, open } = setup();
    open();

    // The dry run, with the session's base branch and squash by default.
    expect(merge).toHaveBeenCalledWith("a1", { into: "main", strategy: "squash", dryRun: true });
    const summary = await screen.findByTestId("merge-summary");
    expect(summary.textContent).toMatch(/Ready to add\s+1 commit to main:\s+2 files,\s+\+3\s+−1/);
    expect(screen.getByTestId("merge-uncommitted").textContent).toMatch(/1 uncommitted file in the worktree will be\s+committed on baton\/pay\/architect first/);
    const files = [...screen.getByTestId("merge-files").querySelectorAll("li")].map((li) => li.textContent!.replace(/\s+/g, " ").trim());
    expect(files).toEqual(["M src/client.ts +2 −1", "A src/retry.ts +1 −0"]);
    expect(screen.queryByTestId("merge-refusal")).toBeNull();
    expect(confirmButton().disabled).toBe(false);
    expect(confirmButton().textContent).toContain("Merge into main");
    expect(merge).toHaveBeenCalledTimes(1);

    await fireEvent.click(confirmButton());
    expect(merge).toHaveBeenLastCalledWith("a1", { into: "main", strategy: "squash", dryRun: false });
    const result = await screen.findByTestId("merge-result");
    expect(result.textContent).toMatch(/Merged\s+into main\s+as commit [0-9a-f]{10}/);
    expect(screen.getByTestId("merge-checkout").textContent).toContain("The checkout at /src/pay was updated");
    expect(screen.queryByTestId("merge-confirm")).toBeNull();
  });

  it("does not enable Merge while the agent works, and says why", async () => {
    const { open } = setup({ state: "running" });
    open();
    const refusal = await screen.findByTestId("merge-refusal");
    expect(refusal.textContent).toContain("agent architect is running");
    expect(confirmButton().disabled).toBe(true);
  });

  it("lists the files that would conflict, and keeps Merge disabled", async () => {
    const { backend, open } = setup();
    backend.branchCommit("main", ["src/client.ts"]);
    open();
    const conflicts = await screen.findByTestId("merge-conflicts");
    expect([...conflicts.querySelectorAll("li")].map((li) => li.textContent)).toEqual(["src/client.ts"]);
    expect(screen.getByTestId("merge-refusal").textContent).toContain("would conflict");
    expect(confirmButton().disabled).toBe(true);
  });

  it("checks again for another strategy or target, and never merges an unchecked choice", async () => {
    const { backend, merge, open } = setup();
    backend.branchCommit("release", []);
    open();
    await screen.findByTestId("merge-summary");

    await fireEvent.change(screen.getByTestId("merge-strategy"), { target: { value: "merge" } });
    expect(merge).toHaveBeenLastCalledWith("a1", { into: "main", strategy: "merge", dryRun: true });
    await waitFor(() => expect(screen.getByTestId("merge-summary").textContent).toMatch(/2 commits to main/));

    // Typed but not checked yet: Merge waits for the pre-check of this branch.
    const into = screen.getByTestId("merge-into");
    await fireEvent.input(into, { target: { value: "release" } });
    expect(confirmButton().disabled).toBe(true);
    await fireEvent.keyDown(into, { key: "Enter" });
    expect(merge).toHaveBeenLastCalledWith("a1", { into: "release", strategy: "merge", dryRun: true });
    await waitFor(() => expect(screen.getByTestId("merge-summary").textContent).toContain("to release"));
    expect(confirmButton().disabled).toBe(false);

    await fireEvent.input(into, { target: { value: "nowhere" } });
    await fireEvent.click(screen.getByTestId("merge-check"));
    expect((await screen.findByTestId("merge-check-error")).textContent).toContain('no branch "nowhere"');
    expect(confirmButton().disabled).toBe(true);
  });

  it("says when there is nothing to merge", async () => {
    const { backend, open } = setup();
    await backend.agentMerge("a1", { into: "main", strategy: "squash", dryRun: false });
    open();
    expect((await screen.findByTestId("merge-summary")).textContent).toContain("Nothing to merge: main already has all");
    expect(confirmButton().disabled).toBe(true);
  });

  it("shows a merge refused since the pre-check, and the pre-check again", async () => {
    const { backend, merge, open } = setup();
    open();
    await screen.findByTestId("merge-summary");
    await waitFor(() => expect(confirmButton().disabled).toBe(false));
    backend.checkoutDirty("main", ["notes.txt"]);

    await fireEvent.click(confirmButton());
    const error = await screen.findByTestId("merge-error");
    expect(error.textContent).toContain("main is checked out in /src/pay with uncommitted changes (notes.txt)");
    await waitFor(() => expect(screen.getByTestId("merge-refusal").textContent).toContain("commit or stash them first"));
    expect(confirmButton().disabled).toBe(true);
    expect(merge.mock.calls.map((c) => c[1].dryRun)).toEqual([true, false, true]);
    expect(screen.queryByTestId("merge-result")).toBeNull();
  });
});
