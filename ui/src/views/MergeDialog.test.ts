import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Agent } from "../bindings/Agent";
import { agentEnded, agentUntil, commandSpawn, repoCommit, repoGit, sessionMake, useDaemon } from "../test/daemon";
import MergeDialog from "./MergeDialog.svelte";

const d = useDaemon();

afterEach(() => {
  vi.restoreAllMocks();
});

/** What the agent "architect" does in its worktree: commits src/retry.ts, leaves src/client.ts changed. */
const WORK = "printf 'export {};\\n' > src/retry.ts && git add src/retry.ts && git commit -qm 'Add retry' && printf 'a\\nB\\nc\\n' > src/client.ts";

/** A session on a new repository and its agent "architect", ended after `program` (default: WORK). */
async function setup(program: string[] = ["sh", "-c", WORK], ended = true) {
  const name = d.unique("pay");
  const repo = d.daemon.repoMake(name, { "src/client.ts": "a\nb\n", "README.md": "# pay\n" });
  const session = await sessionMake(d.daemon.api, repo, name);
  const spawned = await commandSpawn(d.daemon.api, session.id, program, "architect");
  const agent: Agent = ended
    ? await agentUntil(d.daemon.api, spawned.id, agentEnded)
    : await agentUntil(d.daemon.api, spawned.id, (a) => a.state === "running");
  const merge = vi.spyOn(d.backend, "agentMerge");
  const onClose = vi.fn();
  const open = () => render(MergeDialog, { backend: d.backend, agent, baseBranch: "main", onClose });
  return { repo, session, agent, merge, onClose, open };
}

const confirmButton = () => screen.getByTestId("merge-confirm") as HTMLButtonElement;

describe("MergeDialog", () => {
  it("shows the pre-check before anything happens, then merges only when asked", async () => {
    const { repo, session, agent, merge, open } = await setup();
    open();

    // The dry run, with the session's base branch and squash by default.
    expect(merge).toHaveBeenCalledWith(agent.id, { into: "main", strategy: "squash", dryRun: true });
    const summary = await screen.findByTestId("merge-summary");
    expect(summary.textContent).toMatch(/Ready to add\s+1 commit to main:\s+2 files,\s+\+3\s+−1/);
    expect(screen.getByTestId("merge-uncommitted").textContent).toMatch(
      new RegExp(`1 uncommitted file in the worktree will be\\s+committed on baton/${session.name}/architect first`),
    );
    const files = [...screen.getByTestId("merge-files").querySelectorAll("li")].map((li) => li.textContent!.replace(/\s+/g, " ").trim());
    expect(files).toEqual(["M src/client.ts +2 −1", "A src/retry.ts +1 −0"]);
    expect(screen.queryByTestId("merge-refusal")).toBeNull();
    await waitFor(() => expect(confirmButton().disabled).toBe(false));
    expect(confirmButton().textContent).toContain("Merge into main");
    expect(merge).toHaveBeenCalledTimes(1);

    await fireEvent.click(confirmButton());
    expect(merge).toHaveBeenLastCalledWith(agent.id, { into: "main", strategy: "squash", dryRun: false });
    const result = await screen.findByTestId("merge-result");
    expect(result.textContent).toMatch(/Merged\s+into main\s+as commit [0-9a-f]{10}/);
    // main is checked out in the repository: its working tree moved along.
    expect(screen.getByTestId("merge-checkout").textContent).toContain(`The checkout at ${repo} was updated`);
    expect(screen.queryByTestId("merge-confirm")).toBeNull();
    expect(repoGit(repo, "show", "HEAD:src/client.ts")).toBe("a\nB\nc");
  });

  it("does not enable Merge while the agent works, and says why", async () => {
    const { open, agent } = await setup(["sleep", "30"], false);
    open();
    const refusal = await screen.findByTestId("merge-refusal");
    expect(refusal.textContent).toContain("architect");
    expect(refusal.textContent).toContain("running");
    expect(confirmButton().disabled).toBe(true);
    await d.backend.agentStop(agent.id);
  });

  it("lists the files that would conflict, and keeps Merge disabled", async () => {
    const { repo, open } = await setup();
    repoCommit(repo, { "src/client.ts": "a\nmain's b\n" }, "Change the client on main");
    open();
    const conflicts = await screen.findByTestId("merge-conflicts");
    expect([...conflicts.querySelectorAll("li")].map((li) => li.textContent)).toEqual(["src/client.ts"]);
    expect(screen.getByTestId("merge-refusal").textContent).toContain("conflict");
    expect(confirmButton().disabled).toBe(true);
  });

  it("checks again for another strategy or target, and never merges an unchecked choice", async () => {
    const { repo, agent, merge, open } = await setup();
    repoGit(repo, "branch", "release");
    open();
    await screen.findByTestId("merge-summary");

    await fireEvent.change(screen.getByTestId("merge-strategy"), { target: { value: "merge" } });
    expect(merge).toHaveBeenLastCalledWith(agent.id, { into: "main", strategy: "merge", dryRun: true });
    // A merge commit brings more commits than the squash's one (the daemon counts them).
    await waitFor(() => expect(screen.getByTestId("merge-summary").textContent).toMatch(/3 commits to main/));

    // Typed but not checked yet: Merge waits for the pre-check of this branch.
    const into = screen.getByTestId("merge-into");
    await fireEvent.input(into, { target: { value: "release" } });
    expect(confirmButton().disabled).toBe(true);
    await fireEvent.keyDown(into, { key: "Enter" });
    expect(merge).toHaveBeenLastCalledWith(agent.id, { into: "release", strategy: "merge", dryRun: true });
    await waitFor(() => expect(screen.getByTestId("merge-summary").textContent).toContain("to release"));
    await waitFor(() => expect(confirmButton().disabled).toBe(false));

    await fireEvent.input(into, { target: { value: "nowhere" } });
    await fireEvent.click(screen.getByTestId("merge-check"));
    expect((await screen.findByTestId("merge-check-error")).textContent).toContain('no branch "nowhere"');
    expect(confirmButton().disabled).toBe(true);
  });

  it("says when there is nothing to merge", async () => {
    const { agent, open } = await setup();
    await d.backend.agentMerge(agent.id, { into: "main", strategy: "squash", dryRun: false });
    open();
    expect((await screen.findByTestId("merge-summary")).textContent).toContain("Nothing to merge: main already has all");
    expect(confirmButton().disabled).toBe(true);
  });

  it("shows a merge refused since the pre-check, and the pre-check again", async () => {
    const { repo, merge, open } = await setup();
    open();
    await screen.findByTestId("merge-summary");
    await waitFor(() => expect(confirmButton().disabled).toBe(false));
    // Meanwhile the user edits main's checkout.
    writeFileSync(join(repo, "notes.txt"), "todo\n");
    writeFileSync(join(repo, "README.md"), "# pay, edited\n");

    await fireEvent.click(confirmButton());
    const error = await screen.findByTestId("merge-error");
    expect(error.textContent).toContain(repo);
    expect(error.textContent).toContain("README.md");
    await waitFor(() => expect(screen.getByTestId("merge-refusal").textContent).toContain("commit or stash"));
    expect(confirmButton().disabled).toBe(true);
    expect(merge.mock.calls.map((c) => c[1].dryRun)).toEqual([true, false, true]);
    expect(screen.queryByTestId("merge-result")).toBeNull();
  });
});

describe("MergeDialog commit message", () => {
  it("shows the daemon's default message, and an edited one is the commit's message", async () => {
    const { repo, agent, merge, open } = await setup();
    open();
    const message = (await screen.findByTestId("merge-message")) as HTMLTextAreaElement;
    // An agent without a task: its name and first prompt line, then where the work came from.
    await waitFor(() => expect(message.value).toContain(`Merged by Baton from branch ${agent.worktree!.branch}`));
    const edited = "Retry failed charges\n\nThe client retries a failed charge three times.";
    await fireEvent.input(message, { target: { value: edited } });
    expect(screen.getByTestId("merge-message-reset")).toBeTruthy();
    await waitFor(() => expect(confirmButton().disabled).toBe(false));
    await fireEvent.click(confirmButton());
    await screen.findByTestId("merge-result");
    expect(merge).toHaveBeenLastCalledWith(agent.id, { into: "main", strategy: "squash", dryRun: false, message: edited });
    expect(repoGit(repo, "log", "-1", "--format=%B", "main")).toBe(edited);
  });

  it("asks for a message when it is emptied, and has none to write for a rebase", async () => {
    const { open } = await setup();
    open();
    const message = (await screen.findByTestId("merge-message")) as HTMLTextAreaElement;
    await waitFor(() => expect(confirmButton().disabled).toBe(false));
    await fireEvent.input(message, { target: { value: "  " } });
    expect(confirmButton().disabled).toBe(true);
    await fireEvent.click(screen.getByTestId("merge-message-reset"));
    expect(message.value).toContain("Merged by Baton");
    await waitFor(() => expect(confirmButton().disabled).toBe(false));

    await fireEvent.change(screen.getByTestId("merge-strategy"), { target: { value: "rebase" } });
    expect(screen.queryByTestId("merge-message")).toBeNull();
  });
});
