import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import type { Agent } from "../bindings/Agent";
import { agentEnded, agentUntil, commandSpawn, repoCommit, repoGit, sessionMake, useDaemon } from "../test/daemon";
import WorktreePanel from "./WorktreePanel.svelte";

const d = useDaemon();

/** A session and its agent "builder", ended after committing (or changing) files. */
async function setup(script: string) {
  const name = d.unique("sync");
  const repo = d.daemon.repoMake(name, { "src/a.ts": "a\n", "README.md": "# sync\n" });
  const session = await sessionMake(d.daemon.api, repo, name);
  const spawned = await commandSpawn(d.daemon.api, session.id, ["sh", "-c", script], "builder");
  const agent: Agent = await agentUntil(d.daemon.api, spawned.id, agentEnded);
  const open = () =>
    render(WorktreePanel, {
      agent,
      worktree: agent.worktree!,
      changes: undefined,
      onDiff: () => {},
      onMerge: () => {},
      backend: d.backend,
    });
  return { repo, agent, open };
}

const COMMIT = "printf 'b\\n' > src/b.ts && git add src/b.ts && git commit -qm 'Add b'";
const text = (id: string) => screen.getByTestId(id).textContent!.replace(/\s+/g, " ").trim();

describe("WorktreePanel's branch", () => {
  it("shows behind and ahead, and brings the base in by merge", async () => {
    const { repo, agent, open } = await setup(COMMIT);
    repoCommit(repo, { "src/main.ts": "m\n" }, "Main moves on");
    open();
    await waitFor(() => expect(text("branch-counts")).toBe("1 behind, 1 ahead of main"));
    await fireEvent.change(screen.getByTestId("branch-mode"), { target: { value: "merge" } });
    await fireEvent.click(screen.getByTestId("branch-update"));
    await waitFor(() => expect(text("branch-done")).toBe("Brought main in (merge)."));
    expect(text("branch-counts")).toBe("0 behind, 2 ahead of main");
    expect(repoGit(agent.worktree!.path, "show", "HEAD:src/main.ts")).toBe("m");
  });

  it("lists conflicts, and Abort puts the branch back", async () => {
    const { repo, agent, open } = await setup("printf 'agent\\n' > src/a.ts && git commit -qam 'Agent a'");
    repoCommit(repo, { "src/a.ts": "user\n" }, "User a");
    const head = repoGit(agent.worktree!.path, "rev-parse", "HEAD");
    open();
    await screen.findByTestId("branch-counts");
    await fireEvent.click(screen.getByTestId("branch-update"));
    const conflicts = await screen.findByTestId("branch-conflicts");
    expect(conflicts.textContent).toContain("The rebase from main stopped on conflicts.");
    expect([...conflicts.querySelectorAll("li")].map((li) => li.textContent)).toEqual(["src/a.ts"]);
    expect(screen.queryByTestId("branch-update")).toBeNull();
    await fireEvent.click(screen.getByTestId("branch-abort"));
    await waitFor(() => expect(screen.queryByTestId("branch-conflicts")).toBeNull());
    expect(text("branch-done")).toContain("The update was aborted");
    expect(repoGit(agent.worktree!.path, "rev-parse", "HEAD")).toBe(head);
  });

  it("says what to do without a remote or with uncommitted changes, and pushes to a remote", async () => {
    const { repo, agent, open } = await setup(`${COMMIT} && printf 'more\\n' >> README.md`);
    repoCommit(repo, { "src/main.ts": "m\n" }, "Main moves on");
    open();
    await screen.findByTestId("branch-counts");
    await fireEvent.click(screen.getByTestId("branch-update"));
    const dirty = await screen.findByTestId("branch-error");
    expect(dirty.dataset.code).toBe("dirty_checkout");
    expect(dirty.textContent).toContain("README.md");

    await fireEvent.click(screen.getByTestId("branch-push"));
    await waitFor(() => expect(screen.getByTestId("branch-error").dataset.code).toBe("no_remote"));
    expect(text("branch-error")).toContain("git remote add origin URL");

    const bare = `${repo}-remote.git`;
    repoGit(repo, "init", "-q", "--bare", bare);
    repoGit(repo, "remote", "add", "origin", bare);
    await fireEvent.click(screen.getByTestId("branch-push"));
    await waitFor(() => expect(text("branch-done")).toContain(`Pushed ${agent.worktree!.branch} to origin.`));
    expect(text("branch-done")).toContain("1 uncommitted file was not pushed.");
    expect(repoGit(bare, "rev-parse", agent.worktree!.branch)).toBe(repoGit(repo, "rev-parse", agent.worktree!.branch));
  });
});
