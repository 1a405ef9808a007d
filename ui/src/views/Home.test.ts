import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Session } from "../bindings/Session";
import { HttpBackend, sessionChange } from "../lib/backend";
import { commandSpawn, daemonStart, sessionMake, streamCut, subscribed, taskAdd, until, useDaemon } from "../test/daemon";
import { router, sessionRoute } from "../lib/route.svelte";
import Home from "./Home.svelte";

// A daemon per test: the list shows every session of the home.
const d = useDaemon({ perTest: true, fakeClaude: true });

afterEach(() => {
  vi.restoreAllMocks();
});

/** Three sessions made one after the other: oldest, middle, newest. */
async function seed(): Promise<Record<"oldest" | "middle" | "newest", Session>> {
  const made: Session[] = [];
  for (const name of ["oldest", "middle", "newest"]) {
    made.push(await sessionMake(d.daemon.api, d.daemon.repoMake(name), name));
    // Distinct creation times (the daemon keeps milliseconds).
    await until(() => Date.now() > Date.parse(made.at(-1)!.createdAt) + 1);
  }
  return { oldest: made[0]!, middle: made[1]!, newest: made[2]! };
}

function rows(): HTMLElement[] {
  return screen.queryAllByTestId("session-row");
}

function rowNames(): (string | undefined)[] {
  return rows().map((r) => r.dataset.sessionName);
}

function rowOf(name: string): HTMLElement {
  const row = rows().find((r) => r.dataset.sessionName === name);
  if (!row) throw new Error(`no row for ${name}; rows: ${rowNames().join(", ")}`);
  return row;
}

async function renderHome(backend: HttpBackend = d.backend): Promise<void> {
  render(Home, { backend });
  await waitFor(() => expect(screen.getByTestId("session-list")).toBeTruthy());
  await waitFor(() => expect(screen.queryByText("Loading sessions…")).toBeNull());
}

async function type(testId: string, value: string): Promise<HTMLInputElement> {
  const input = screen.getByTestId(testId) as HTMLInputElement;
  await fireEvent.input(input, { target: { value } });
  return input;
}

describe("Home", () => {
  it("lists sessions newest first with their columns", async () => {
    const { middle } = await seed();
    await renderHome();

    await waitFor(() => expect(rowNames()).toEqual(["newest", "middle", "oldest"]));
    const cells = within(rowOf("middle")).getAllByRole("cell");
    expect(cells[0]!.textContent).toContain("middle");
    expect(cells[1]!.textContent).toContain(middle.repo);
    expect(cells[2]!.textContent).toContain("active");
    expect(cells[3]!.textContent).toContain("none");
    const time = cells[4]!.querySelector("time")!;
    expect(time.getAttribute("datetime")).toBe(middle.createdAt);
    expect(time.textContent).toContain(String(new Date(middle.createdAt).getFullYear()));
    expect(rowOf("middle").dataset.sessionId).toBe(middle.id);
    expect(screen.queryByTestId("empty-state")).toBeNull();
  });

  it("shows an empty state that explains sessions", async () => {
    await renderHome();

    const empty = screen.getByTestId("empty-state");
    expect(empty.textContent).toMatch(/A session is/);
    expect(empty.textContent).toMatch(/Create/);
    expect(rows()).toHaveLength(0);
  });

  it("creating a session adds exactly one row and clears the form", async () => {
    await renderHome();
    const path = d.daemon.repoMake("payments");

    const repo = await type("new-session-repo", path);
    const name = await type("new-session-name", "pay");
    await fireEvent.click(screen.getByTestId("new-session-create"));
    // The row comes from the reply or from the session_created event, whichever is first: once.
    await waitFor(() => expect(rows()).toHaveLength(1));
    await waitFor(() => expect(repo.value).toBe(""));
    const listed = await d.backend.sessionList();
    expect(listed.map((s) => s.name)).toEqual(["pay"]);

    expect(rows()).toHaveLength(1);
    expect(rowNames()).toEqual(["pay"]);
    expect(name.value).toBe("");
    expect(screen.queryByTestId("new-session-error")).toBeNull();
    expect(screen.queryByTestId("empty-state")).toBeNull();
  });

  it("shows the daemon's message inline for a folder that is not a repository, and keeps the input", async () => {
    await renderHome();

    const repo = await type("new-session-repo", d.daemon.root);
    await fireEvent.click(screen.getByTestId("new-session-create"));

    const error = await screen.findByTestId("new-session-error");
    expect(error.getAttribute("role")).toBe("alert");
    expect(error.textContent).toContain("not a git");
    expect(repo.value).toBe(d.daemon.root);
    expect(repo.getAttribute("aria-invalid")).toBe("true");
    expect(rows()).toHaveLength(0);
  });

  it("New work makes the session from the folder, then opens the wizard on it", async () => {
    router.go({ view: "home" });
    await renderHome();
    await type("new-session-repo", d.daemon.repoMake("work"));
    await fireEvent.click(screen.getByTestId("new-session-work"));
    await waitFor(() => expect(router.current.view).toBe("session"));
    const [made] = await d.backend.sessionList();
    expect(made!.name).toBe("work");
    expect(router.current).toEqual(sessionRoute(made!.id, { wizard: { wizardId: null } }));
    router.go({ view: "home" });
  });

  it("shows an empty-path error and then clears it on success", async () => {
    await renderHome();

    // The form sends the empty path; the daemon says none was given.
    await fireEvent.click(screen.getByTestId("new-session-create"));
    expect((await screen.findByTestId("new-session-error")).textContent).toContain("no repository given");

    await type("new-session-repo", d.daemon.repoMake("ok"));
    await fireEvent.click(screen.getByTestId("new-session-create"));
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(screen.queryByTestId("new-session-error")).toBeNull();
  });

  it("marks the name field for a duplicate name", async () => {
    await seed();
    await renderHome();

    await type("new-session-repo", d.daemon.repoMake("other"));
    const name = await type("new-session-name", "oldest");
    await fireEvent.click(screen.getByTestId("new-session-create"));

    expect((await screen.findByTestId("new-session-error")).textContent).toContain("already exists");
    expect(name.getAttribute("aria-invalid")).toBe("true");
    expect(rows()).toHaveLength(3);
  });

  it("hides archived sessions unless Show archived is on, and can unarchive", async () => {
    await seed();
    await renderHome();
    await waitFor(() => expect(rows()).toHaveLength(3));
    const toggle = screen.getByTestId("show-archived") as HTMLInputElement;
    expect(toggle.checked).toBe(false);

    await fireEvent.click(within(rowOf("middle")).getByRole("button", { name: "Archive" }));
    await waitFor(() => expect(rowNames()).toEqual(["newest", "oldest"]));

    await fireEvent.click(toggle);
    await waitFor(() => expect(rowNames()).toEqual(["newest", "middle", "oldest"]));
    const archivedRow = rowOf("middle");
    expect(within(archivedRow).getAllByRole("cell")[2]!.textContent).toContain("archived");

    await fireEvent.click(within(archivedRow).getByRole("button", { name: "Unarchive" }));
    await waitFor(() => expect(within(rowOf("middle")).getAllByRole("cell")[2]!.textContent).toContain("active"));
    await fireEvent.click(toggle);
    expect(rowNames()).toEqual(["newest", "middle", "oldest"]);
  });

  it("says so when every session is archived", async () => {
    const only = await sessionMake(d.daemon.api, d.daemon.repoMake("only"), "only");
    await d.backend.sessionUpdate(only.id, sessionChange({ archived: true }));
    await renderHome();

    expect(rows()).toHaveLength(0);
    expect(screen.getByTestId("empty-state").textContent).toContain("Show archived");
  });

  it("renames inline: Enter saves", async () => {
    const { oldest } = await seed();
    await renderHome();
    await waitFor(() => expect(rows()).toHaveLength(3));

    await fireEvent.click(within(rowOf("oldest")).getByRole("button", { name: "Rename" }));
    const input = within(rowOf("oldest")).getByRole("textbox") as HTMLInputElement;
    expect(input.value).toBe("oldest");
    await fireEvent.input(input, { target: { value: "renamed" } });
    await fireEvent.keyDown(input, { key: "Enter" });

    await waitFor(() => expect(rowNames()).toEqual(["newest", "middle", "renamed"]));
    await waitFor(() => expect(within(rowOf("renamed")).queryByRole("textbox")).toBeNull());
    expect((await d.backend.sessionGet(oldest.id)).name).toBe("renamed");
  });

  it("renames inline: Esc cancels without saving", async () => {
    const { oldest } = await seed();
    await renderHome();
    await waitFor(() => expect(rows()).toHaveLength(3));

    await fireEvent.click(within(rowOf("oldest")).getByRole("button", { name: "Rename" }));
    const input = within(rowOf("oldest")).getByRole("textbox");
    await fireEvent.input(input, { target: { value: "never" } });
    await fireEvent.keyDown(input, { key: "Escape" });

    expect(within(rowOf("oldest")).queryByRole("textbox")).toBeNull();
    expect((await d.backend.sessionGet(oldest.id)).name).toBe("oldest");
  });

  it("shows a rename error in the row and keeps editing", async () => {
    await seed();
    await renderHome();
    await waitFor(() => expect(rows()).toHaveLength(3));

    await fireEvent.click(within(rowOf("oldest")).getByRole("button", { name: "Rename" }));
    const input = within(rowOf("oldest")).getByRole("textbox") as HTMLInputElement;
    await fireEvent.input(input, { target: { value: "newest" } });
    await fireEvent.keyDown(input, { key: "Enter" });

    const alert = await within(rowOf("oldest")).findByRole("alert");
    expect(alert.textContent).toContain("already exists");
    expect(input.value).toBe("newest");
    expect(rowNames()).toEqual(["newest", "middle", "oldest"]);
  });

  it("adds a row for a session another client creates, and follows its updates", async () => {
    await seed();
    await renderHome();
    await waitFor(() => expect(rows()).toHaveLength(3));

    const other = await sessionMake(d.daemon.api, d.daemon.repoMake("elsewhere"), "from-cli");
    await waitFor(() => expect(rowNames()).toEqual(["from-cli", "newest", "middle", "oldest"]));

    await d.backend.sessionUpdate(other.id, sessionChange({ name: "from-cli-2" }));
    await waitFor(() => expect(rowNames()[0]).toBe("from-cli-2"));
    expect(rows()).toHaveLength(4);
  });

  it("reloads the list after the event stream comes back", async () => {
    await seed();
    const stream = streamCut(d.backend);
    await renderHome();
    await waitFor(() => expect(rows()).toHaveLength(3));

    stream.drop();
    await sessionMake(d.daemon.api, d.daemon.repoMake("missed"), "missed");
    expect(rowNames()).not.toContain("missed");

    stream.restore();
    await waitFor(() => expect(rowNames()).toContain("missed"));
    expect(rows()).toHaveLength(4);
  });

  it("replaces the list when given another backend, keeping its events and the form's input", async () => {
    await seed();
    const { rerender } = render(Home, { backend: d.backend });
    await waitFor(() => expect(rowNames()).toEqual(["newest", "middle", "oldest"]));
    const repo = await type("new-session-repo", "/src/typed");

    // Another daemon (as after a restart), whose list is answered after a change whose event
    // arrives first.
    const second = await daemonStart();
    try {
      await sessionMake(second.api, second.repoMake("restarted"), "restarted");
      const backend = new HttpBackend({ url: second.url, token: second.token });
      const listedEarly = await backend.sessionList();
      let sendList!: () => void;
      vi.spyOn(backend, "sessionList").mockReturnValueOnce(new Promise((resolve) => (sendList = () => resolve(listedEarly))));
      await rerender({ backend });
      // The view's stream is the backend's one stream: live once this subscriber's is.
      const unsubscribe = await subscribed(backend, () => {});
      unsubscribe();
      await sessionMake(second.api, second.repoMake("during"), "during");
      await waitFor(() => expect(rowNames()).toContain("during"));
      // Until the new list comes, the old rows stay shown.
      expect(rowNames()).toContain("oldest");

      sendList();
      await waitFor(() => expect(rowNames()).not.toContain("oldest"));
      expect(rowNames().sort()).toEqual(["during", "restarted"]);
      expect(repo.value).toBe("/src/typed");
      expect(screen.getByTestId("new-session-repo")).toBe(repo);

      // The old daemon is no longer listened to.
      await sessionMake(d.daemon.api, d.daemon.repoMake("stale"), "stale");
      await sessionMake(second.api, second.repoMake("after"), "after");
      await waitFor(() => expect(rowNames()).toContain("after"));
      expect(rowNames()).not.toContain("stale");
    } finally {
      await second.stop();
    }
  });

  it("shows each session's agents, who needs the user, and their cost, live", async () => {
    await seed();
    await renderHome();
    await waitFor(() => expect(rows()).toHaveLength(3));
    expect(within(rowOf("newest")).getByTestId("session-agents").textContent).toContain("none");
    await commandSpawn(d.daemon.api, "newest", ["sleep", "30"], "tests");
    await waitFor(() => expect(within(rowOf("newest")).getByTestId("session-agents").textContent).toMatch(/^\s*1/));
    for (const other of ["middle", "oldest"]) {
      expect(within(rowOf(other)).getByTestId("session-agents").textContent).toContain("none");
    }
  });

  it("shows the worktrees' disk use under the list, and its clean-up", async () => {
    await renderHome();
    const gc = vi.spyOn(d.backend, "worktreesGc");

    await waitFor(() =>
      expect(screen.getByTestId("worktrees-usage").textContent!.replace(/\s+/g, " ").trim()).toBe(
        `Worktrees: 0 B in ${d.daemon.home}/worktrees`,
      ),
    );
    await fireEvent.click(screen.getByTestId("worktrees-cleanup"));
    expect((await screen.findByTestId("gc-nothing")).textContent).toMatch(
      /Nothing to clean up now: no finished agent's work is merged or old enough to remove\.\s+A worktree whose work was merged can go at once; Baton keeps other finished agents' worktrees for 7 days\s+by\s+default/,
    );
    expect(gc).toHaveBeenCalledExactlyOnceWith({ dryRun: true });
  });
});

describe("the coordinator in the session list", () => {
  it("says which sessions are coordinating or complete, and nothing for the others", async () => {
    const api = d.daemon.api;
    const busy = await sessionMake(api, d.daemon.repoMake("busy"), "busy", { cycleSecs: 1 });
    await taskAdd(api, busy.id, { title: "Hold", prompt: "HOLD: busy", name: "hold" });
    const finished = await sessionMake(api, d.daemon.repoMake("finished"), "finished");
    const done = await taskAdd(api, finished.id, { title: "Done", prompt: "done", name: "done" });
    await d.backend.taskComplete(done.id, { state: "done", outcome: null });
    await sessionMake(api, d.daemon.repoMake("idle"), "idle");
    await d.backend.coordinatorRun(busy.id);
    await d.backend.coordinatorRun(finished.id);
    await until(async () => (await d.backend.sessionGet(finished.id)).coordinator === "complete", { what: "finished completed" });
    await renderHome();

    const badge = (name: string) => within(rowOf(name)).queryByTestId("session-coordinator")?.textContent;
    await waitFor(() => expect(badge("busy")).toBe("coordinating"));
    expect(badge("finished")).toBe("work complete");
    expect(badge("idle")).toBeUndefined();
    await d.backend.coordinatorPause(busy.id);
  });
});
