import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Session } from "../bindings/Session";
import { BackendError } from "../lib/backend";
import { formatBytes } from "../lib/format";
import { agentEnded, agentUntil, commandSpawn, sessionMake, useDaemon } from "../test/daemon";
import WorktreesFooter from "./WorktreesFooter.svelte";

// A daemon per test (the footer shows the whole home's worktrees), which keeps a finished
// agent's worktree for 0 days: any finished one may go at once.
const d = useDaemon({ perTest: true, settings: { worktrees: { retentionDays: 0 } } });

afterEach(() => {
  vi.restoreAllMocks();
});

const AGENTS = {
  /** Finished with nothing to merge. */
  done: ["true"],
  /** Finished with a commit not merged. */
  unmerged: ["sh", "-c", "echo 'export {};' > retry.ts && git add retry.ts && git commit -qm 'Add retry'"],
  /** Failed with an uncommitted file. */
  dirty: ["sh", "-c", "echo b > README.md; exit 1"],
  /** Still running. */
  busy: ["sleep", "30"],
} as const;

/** A session "pay" and its agents (by name, from AGENTS), the finished ones ended. */
async function seed(names: (keyof typeof AGENTS)[] = ["done", "unmerged", "dirty", "busy"]): Promise<Session> {
  const session = await sessionMake(d.daemon.api, d.daemon.repoMake("pay"), "pay");
  for (const name of names) {
    const agent = await commandSpawn(d.daemon.api, session.id, [...AGENTS[name]], name);
    await agentUntil(d.daemon.api, agent.id, name === "busy" ? (a) => a.state === "running" : agentEnded);
  }
  return session;
}

function setup() {
  const gc = vi.spyOn(d.backend, "worktreesGc");
  const usage = vi.spyOn(d.backend, "worktreesUsage");
  render(WorktreesFooter, { backend: d.backend });
  return { gc, usage };
}

const worktreesDir = () => `${d.daemon.home}/worktrees`;

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
    await seed(["done"]);
    setup();
    const usage = await screen.findByTestId("worktrees-usage");
    const { diskBytes } = await d.backend.worktreesUsage();
    expect(diskBytes).toBeGreaterThan(0);
    expect(usage.textContent!.replace(/\s+/g, " ").trim()).toBe(`Worktrees: ${formatBytes(diskBytes)} in ${worktreesDir()}`);
  });

  it("previews the clean-up first, removes only when asked, and shows the space freed", async () => {
    await seed();
    const { gc, usage } = setup();
    await openCleanup();

    // The dry run: what would go, what stays and why, the merged branch that would be deleted.
    expect(gc).toHaveBeenCalledExactlyOnceWith({ dryRun: true });
    const before = (await d.backend.worktreesUsage()).diskBytes;
    expect((await screen.findByTestId("gc-summary")).textContent).toMatch(
      new RegExp(
        `Would remove 2 worktrees and delete 1 merged branch\\.\\s+Nothing is removed until you confirm\\. Worktrees use ${formatBytes(before)} now\\.`,
      ),
    );
    expect(entries("gc-removed")).toEqual([
      { name: "done", text: `done ${worktreesDir()}/pay/done finished 0 days ago` },
      { name: "unmerged", text: `unmerged ${worktreesDir()}/pay/unmerged finished 0 days ago` },
    ]);
    const kept = entries("gc-kept");
    expect(kept.map((k) => k.name)).toEqual(["unmerged", "dirty"]);
    expect(kept[0]!.text).toContain("branch baton/pay/unmerged has 1 commit(s) not merged into main");
    expect(kept[1]!.text).toContain("1 uncommitted file(s) in the worktree");
    // Backticked commands in a reason read as code.
    expect(screen.getByTestId("gc-kept").querySelector("code")!.textContent).toBe("baton merge unmerged");
    expect(screen.getByTestId("gc-branches").textContent).toContain("baton/pay/done");
    expect(screen.queryByTestId("gc-nothing")).toBeNull();

    // Nothing was touched by the preview.
    const done = (await d.backend.agentList({ session: "pay" })).find((a) => a.name === "done")!;
    expect(done.worktree!.removedAt).toBeNull();
    expect((await d.backend.worktreesUsage()).diskBytes).toBe(before);
    expect(confirmButton().textContent!.trim()).toBe("Remove 2 worktrees");
    expect(confirmButton().disabled).toBe(false);

    usage.mockClear();
    await fireEvent.click(confirmButton());
    expect(gc).toHaveBeenLastCalledWith({ dryRun: false });
    const summary = await screen.findByTestId("gc-result-summary");
    const after = (await d.backend.worktreesUsage()).diskBytes;
    expect(after).toBeLessThan(before);
    expect(summary.textContent!.replace(/\s+/g, " ").trim()).toBe(
      `Removed 2 worktrees and deleted 1 merged branch; freed ${formatBytes(before - after)} (${formatBytes(before)} → ${formatBytes(after)}).`,
    );
    expect(screen.getByTestId("gc-freed").textContent).toBe(formatBytes(before - after));
    expect(entries("gc-result-removed").map((e) => e.name)).toEqual(["done", "unmerged"]);
    expect(entries("gc-result-kept").map((e) => e.name)).toEqual(["unmerged", "dirty"]);
    const agents = Object.fromEntries((await d.backend.agentList({ session: "pay" })).map((a) => [a.name, a]));
    expect(agents.done!.worktree!.branchDeletedAt).not.toBeNull();
    expect(agents.dirty!.worktree!.removedAt).toBeNull();

    // The footer reads the disk use again.
    expect(usage).toHaveBeenCalled();
    await waitFor(() => expect(screen.getByTestId("worktrees-size").textContent).toBe(formatBytes(after)));

    await fireEvent.click(screen.getByTestId("gc-done"));
    expect(screen.queryByTestId("worktrees-cleanup-dialog")).toBeNull();
    await d.backend.agentStop(agents.busy!.id);
  });

  it("says plainly when nothing can go, with the retention, and keeps Remove disabled", async () => {
    await seed(["dirty", "busy"]);
    const { gc } = setup();
    await openCleanup();

    const nothing = await screen.findByTestId("gc-nothing");
    expect(nothing.textContent!.replace(/\s+/g, " ")).toContain(
      "Nothing can be removed now: the worktrees below are kept, for the reasons given, and no other finished agent's work is merged or old enough to remove. A worktree whose work was merged can go at once; Baton keeps other finished agents' worktrees for 7 days by default (1 day in archived sessions); worktrees.retentionDays and worktrees.archivedRetentionDays in Baton's settings.json change that.",
    );
    // Why the dirty one stays is still said.
    expect(entries("gc-kept").map((e) => e.name)).toEqual(["dirty"]);
    expect(screen.queryByTestId("gc-removed")).toBeNull();
    expect(confirmButton().textContent!.trim()).toBe("Remove 0 worktrees");
    expect(confirmButton().disabled).toBe(true);
    await fireEvent.click(confirmButton());
    expect(gc).toHaveBeenCalledExactlyOnceWith({ dryRun: true });
    const busy = (await d.backend.agentList({ session: "pay" })).find((a) => a.name === "busy")!;
    await d.backend.agentStop(busy.id);
  });

  it("offers merged work at once, while unmerged work waits for the retention", async () => {
    await seed(["done", "unmerged"]);
    // Back to the default retention (a week): only merged work may go now.
    writeFileSync(join(d.daemon.home, "settings.json"), "{}");
    const done = (await d.backend.agentList({ session: "pay" })).find((a) => a.name === "done")!;
    expect((await d.backend.agentMerge(done.id, { into: null, strategy: "squash", dryRun: false })).ok).toBe(true);
    setup();
    await openCleanup();

    expect((await screen.findByTestId("gc-summary")).textContent!.replace(/\s+/g, " ")).toContain(
      "Would remove 1 worktree and delete 1 merged branch.",
    );
    expect(entries("gc-removed")).toEqual([
      { name: "done", text: `done ${worktreesDir()}/pay/done its work was merged into main` },
    ]);
    expect(screen.getByTestId("gc-branches").textContent).toContain("baton/pay/done");
    await fireEvent.click(confirmButton());
    await screen.findByTestId("gc-result");
    expect(entries("gc-result-removed").map((e) => e.name)).toEqual(["done"]);
    const unmerged = (await d.backend.agentList({ session: "pay" })).find((a) => a.name === "unmerged")!;
    expect(unmerged.worktree!.removedAt).toBeNull();
  });

  it("offers to delete merged branches whose worktrees went before", async () => {
    await seed(["unmerged"]);
    // Its worktree goes; its branch stays until merged. Then it is merged.
    await d.backend.worktreesGc({ dryRun: false });
    const unmerged = (await d.backend.agentList({ session: "pay" }))[0]!;
    expect(unmerged.worktree!.removedAt).not.toBeNull();
    await d.backend.agentMerge(unmerged.id, { into: "main", strategy: "merge", dryRun: false });
    setup();
    await openCleanup();

    expect((await screen.findByTestId("gc-summary")).textContent).toContain("Would remove 0 worktrees and delete 1 merged branch");
    expect(confirmButton().textContent!.trim()).toBe("Delete 1 branch");
    expect(confirmButton().disabled).toBe(false);
  });

  it("shows a failed clean-up and the preview again", async () => {
    await seed(["done", "unmerged"]);
    const { gc } = setup();
    await openCleanup();
    await screen.findByTestId("gc-summary");
    gc.mockRejectedValueOnce(new BackendError("io", `could not remove ${worktreesDir()}/pay/done: permission denied`));

    await fireEvent.click(confirmButton());
    expect((await screen.findByTestId("gc-error")).textContent).toContain("permission denied");
    expect(screen.queryByTestId("gc-result")).toBeNull();
    await waitFor(() => expect(gc.mock.calls.map((c) => c[0].dryRun)).toEqual([true, false, true]));
    await waitFor(() => expect(confirmButton().disabled).toBe(false));
  });

  it("explains a failed preview and checks again", async () => {
    await seed(["done", "unmerged"]);
    const { gc } = setup();
    gc.mockRejectedValueOnce(new BackendError("io", `cannot read ${worktreesDir()}`));
    await openCleanup();

    const error = await screen.findByTestId("gc-check-error");
    expect(error.textContent).toContain(`cannot read ${worktreesDir()}`);
    expect(confirmButton().disabled).toBe(true);
    await fireEvent.click(within(error).getByText("Check again"));
    expect((await screen.findByTestId("gc-summary")).textContent).toContain("Would remove 2 worktrees");
  });

  it("says when the disk use cannot be read, and retries", async () => {
    vi.spyOn(d.backend, "worktreesUsage").mockRejectedValueOnce(new BackendError("io", `cannot read ${worktreesDir()}`));
    render(WorktreesFooter, { backend: d.backend });

    const error = await screen.findByTestId("worktrees-usage-error");
    expect(error.textContent).toContain(`cannot read ${worktreesDir()}`);
    await fireEvent.click(screen.getByText("Retry"));
    expect((await screen.findByTestId("worktrees-usage")).textContent).toContain("0 B");
  });
});
