import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import type { Agent } from "../bindings/Agent";
import { BackendError } from "../lib/backend";
import { FakeBackend } from "../lib/fakeBackend";
import type { FakeFile } from "../lib/fakeWorktree";
import WorktreesFooter from "./WorktreesFooter.svelte";
import { agent, session, worktree } from "./fixtures";

const COMMITTED: FakeFile[] = [{ path: "src/retry.ts", before: null, after: "export {};\n", committed: true }];
const UNCOMMITTED: FakeFile[] = [{ path: "src/client.ts", before: "a\n", after: "b\n" }];

/**
 * Four agents of session "pay", each with a worktree (48 MiB each in the fake): "done" finished
 * with nothing left to merge, "unmerged" finished with a commit not merged, "dirty" finished with
 * uncommitted files, "busy" still running.
 */
function setup(agents: Agent[] = AGENTS) {
  const backend = new FakeBackend({
    sessions: [session("s1", "pay")],
    agents,
    worktreeFiles: { a2: COMMITTED, a3: UNCOMMITTED },
    now: () => new Date("2026-11-10T10:00:00Z"),
  });
  const gc = vi.spyOn(backend, "worktreesGc");
  const usage = vi.spyOn(backend, "worktreesUsage");
  render(WorktreesFooter, { backend });
  return { backend, gc, usage };
}

const AGENTS = [
  agent("a1", "s1", { name: "done", state: "exited", worktree: worktree("done") }),
  agent("a2", "s1", { name: "unmerged", state: "stopped", worktree: worktree("unmerged") }),
  agent("a3", "s1", { name: "dirty", state: "failed", worktree: worktree("dirty") }),
  agent("a4", "s1", { name: "busy", state: "running", worktree: worktree("busy") }),
];

function entries(testid: string): { name: string | undefined; text: string }[] {
  return within(screen.getByTestId(testid))
    .getAllByTestId("gc-entry")
    .map((li) => ({ name: li.dataset.agentName, text: li.textContent!.replace(/\s+/g, " ").trim() }));
}

const confirmButton = () => screen.getByTestId("gc-confirm") as HTMLButtonElement;

async function openCleanup(): Promise<void> {
  await screen.findByTestId("worktrees-usage");
  await fireEvent.click(screen.getByTestId("worktrees-cleanup"));
  await screen.findByTestId("worktrees-cleanup-dialog");
}

describe("Worktrees footer and clean-up", () => {
  it("shows the worktrees' disk use and where they are", async () => {
    setup();
    const usage = await screen.findByTestId("worktrees-usage");
    expect(usage.textContent!.replace(/\s+/g, " ").trim()).toBe("Worktrees: 192 MiB in /home/dev/.baton/worktrees");
  });

  it("previews the clean-up first, removes only when asked, and shows the space freed", async () => {
    const { backend, gc, usage } = setup();
    await openCleanup();

    // The dry run: what would go, what stays and why, the merged branch that would be deleted.
    expect(gc).toHaveBeenCalledExactlyOnceWith(true);
    expect((await screen.findByTestId("gc-summary")).textContent).toMatch(
      /Would remove 2 worktrees and delete 1 merged branch\.\s+Nothing is removed until you confirm\. Worktrees use 192 MiB now\./,
    );
    expect(entries("gc-removed")).toEqual([
      { name: "done", text: "done /home/dev/.baton/worktrees/pay/done finished 9 days ago" },
      { name: "unmerged", text: "unmerged /home/dev/.baton/worktrees/pay/unmerged finished 9 days ago" },
    ]);
    const kept = entries("gc-kept");
    expect(kept.map((k) => k.name)).toEqual(["unmerged", "dirty"]);
    expect(kept[0]!.text).toContain("branch baton/pay/unmerged has commits not merged into main");
    expect(kept[1]!.text).toContain("1 uncommitted file(s) in the worktree");
    // Backticked commands in a reason read as code.
    expect(screen.getByTestId("gc-kept").querySelector("code")!.textContent).toBe("baton merge unmerged");
    expect(screen.getByTestId("gc-branches").textContent).toContain("baton/pay/done");
    expect(screen.queryByTestId("gc-nothing")).toBeNull();

    // Nothing was touched by the preview.
    expect((await backend.agentGet("a1")).worktree!.removedAt).toBeNull();
    expect((await backend.worktreesUsage()).diskBytes).toBe(4 * 48 * 1024 * 1024);
    expect(confirmButton().textContent!.trim()).toBe("Remove 2 worktrees");
    expect(confirmButton().disabled).toBe(false);

    usage.mockClear();
    await fireEvent.click(confirmButton());
    expect(gc).toHaveBeenLastCalledWith(false);
    const summary = await screen.findByTestId("gc-result-summary");
    expect(summary.textContent!.replace(/\s+/g, " ").trim()).toBe(
      "Removed 2 worktrees and deleted 1 merged branch; freed 96 MiB (192 MiB → 96 MiB).",
    );
    expect(screen.getByTestId("gc-freed").textContent).toBe("96 MiB");
    expect(entries("gc-result-removed").map((e) => e.name)).toEqual(["done", "unmerged"]);
    expect(entries("gc-result-kept").map((e) => e.name)).toEqual(["unmerged", "dirty"]);
    expect((await backend.agentGet("a1")).worktree!.branchDeletedAt).not.toBeNull();
    expect((await backend.agentGet("a3")).worktree!.removedAt).toBeNull();

    // The footer reads the disk use again.
    expect(usage).toHaveBeenCalled();
    await waitFor(() => expect(screen.getByTestId("worktrees-size").textContent).toBe("96 MiB"));

    await fireEvent.click(screen.getByTestId("gc-done"));
    expect(screen.queryByTestId("worktrees-cleanup-dialog")).toBeNull();
  });

  it("says plainly when nothing can go, with the retention, and keeps Remove disabled", async () => {
    const { gc } = setup([AGENTS[2]!, AGENTS[3]!]);
    await openCleanup();

    const nothing = await screen.findByTestId("gc-nothing");
    expect(nothing.textContent!.replace(/\s+/g, " ")).toContain(
      "Nothing can be removed now: the worktrees below are kept, for the reasons given, and no other finished agent's worktree is old enough to remove. Baton keeps a finished agent's worktree for 7 days by default (1 day in archived sessions); worktrees.retentionDays and worktrees.archivedRetentionDays in Baton's settings.json change that.",
    );
    // Why the dirty one stays is still said.
    expect(entries("gc-kept").map((e) => e.name)).toEqual(["dirty"]);
    expect(screen.queryByTestId("gc-removed")).toBeNull();
    expect(confirmButton().textContent!.trim()).toBe("Remove 0 worktrees");
    expect(confirmButton().disabled).toBe(true);
    await fireEvent.click(confirmButton());
    expect(gc).toHaveBeenCalledExactlyOnceWith(true);
  });

  it("offers to delete merged branches whose worktrees went before", async () => {
    const gone = worktree("done", { removedAt: "2026-11-02T10:00:00Z" });
    setup([agent("a1", "s1", { name: "done", state: "exited", worktree: gone })]);
    await openCleanup();

    expect((await screen.findByTestId("gc-summary")).textContent).toContain("Would remove 0 worktrees and delete 1 merged branch");
    expect(confirmButton().textContent!.trim()).toBe("Delete 1 branch");
    expect(confirmButton().disabled).toBe(false);
  });

  it("shows a failed clean-up and the preview again", async () => {
    const { gc } = setup();
    await openCleanup();
    await screen.findByTestId("gc-summary");
    gc.mockRejectedValueOnce(new BackendError("io", "could not remove /home/dev/.baton/worktrees/pay/done: permission denied"));

    await fireEvent.click(confirmButton());
    expect((await screen.findByTestId("gc-error")).textContent).toContain("permission denied");
    expect(screen.queryByTestId("gc-result")).toBeNull();
    await waitFor(() => expect(gc.mock.calls.map((c) => c[0])).toEqual([true, false, true]));
    await waitFor(() => expect(confirmButton().disabled).toBe(false));
  });

  it("explains a failed preview and checks again", async () => {
    const { gc } = setup();
    gc.mockRejectedValueOnce(new BackendError("io", "cannot read /home/dev/.baton/worktrees"));
    await openCleanup();

    const error = await screen.findByTestId("gc-check-error");
    expect(error.textContent).toContain("cannot read /home/dev/.baton/worktrees");
    expect(confirmButton().disabled).toBe(true);
    await fireEvent.click(within(error).getByText("Check again"));
    expect((await screen.findByTestId("gc-summary")).textContent).toContain("Would remove 2 worktrees");
  });

  it("says when the disk use cannot be read, and retries", async () => {
    const backend = new FakeBackend();
    vi.spyOn(backend, "worktreesUsage").mockRejectedValueOnce(new BackendError("io", "cannot read /home/dev/.baton/worktrees"));
    render(WorktreesFooter, { backend });

    const error = await screen.findByTestId("worktrees-usage-error");
    expect(error.textContent).toContain("cannot read /home/dev/.baton/worktrees");
    await fireEvent.click(screen.getByText("Retry"));
    expect((await screen.findByTestId("worktrees-usage")).textContent).toContain("0 B");
  });
});
