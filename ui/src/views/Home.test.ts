import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import type { Session } from "../bindings/Session";
import { FakeBackend, type FakeBackendOptions } from "../lib/fakeBackend";
import Home from "./Home.svelte";
import { settings } from "./fixtures";

function session(id: string, name: string, createdAt: string, overrides: Partial<Session> = {}): Session {
  return {
    id,
    name,
    repo: `/src/${name}`,
    baseBranch: "main",
    state: "active",
    settings: settings(),
    parentSessionId: null,
    coordinator: "off",
    createdAt,
    updatedAt: createdAt,
    ...overrides,
  };
}

const SEED = [
  session("s-old", "oldest", "2026-11-01T09:00:00Z"),
  session("s-mid", "middle", "2026-11-10T09:00:00.123456789Z"),
  session("s-new", "newest", "2026-11-20T09:00:00+01:00"),
];

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

async function renderHome(options: FakeBackendOptions = {}) {
  const backend = new FakeBackend(options);
  render(Home, { backend });
  await waitFor(() => expect(screen.getByTestId("session-list")).toBeTruthy());
  await waitFor(() => expect(screen.queryByText("Loading sessions…")).toBeNull());
  return backend;
}

/** Let the fake's after-reply events and Svelte's updates run. */
async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 5));
}

async function type(testId: string, value: string): Promise<HTMLInputElement> {
  const input = screen.getByTestId(testId) as HTMLInputElement;
  await fireEvent.input(input, { target: { value } });
  return input;
}

describe("Home", () => {
  it("lists sessions newest first with their columns", async () => {
    await renderHome({ sessions: SEED });

    expect(rowNames()).toEqual(["newest", "middle", "oldest"]);
    const cells = within(rowOf("middle")).getAllByRole("cell");
    expect(cells[0]!.textContent).toContain("middle");
    expect(cells[1]!.textContent).toContain("/src/middle");
    expect(cells[2]!.textContent).toContain("active");
    expect(cells[3]!.textContent).toContain("none");
    const time = cells[4]!.querySelector("time")!;
    expect(time.getAttribute("datetime")).toBe("2026-11-10T09:00:00.123456789Z");
    expect(time.textContent).toContain("2026");
    expect(rowOf("middle").dataset.sessionId).toBe("s-mid");
    expect(screen.queryByTestId("empty-state")).toBeNull();
  });

  it("shows an empty state that explains sessions", async () => {
    await renderHome();

    const empty = screen.getByTestId("empty-state");
    expect(empty.textContent).toMatch(/A session is/);
    expect(empty.textContent).toMatch(/Create/);
    expect(rows()).toHaveLength(0);
  });

  for (const eventTiming of ["after-reply", "before-reply"] as const) {
    it(`creating a session adds exactly one row (event ${eventTiming}) and clears the form`, async () => {
      const backend = await renderHome({ eventTiming });

      const repo = await type("new-session-repo", "/home/dev/src/payments");
      const name = await type("new-session-name", "pay");
      await fireEvent.click(screen.getByTestId("new-session-create"));
      await waitFor(() => expect(rows()).toHaveLength(1));
      await settle();

      expect(rows()).toHaveLength(1);
      expect(rowNames()).toEqual(["pay"]);
      expect(repo.value).toBe("");
      expect(name.value).toBe("");
      expect(screen.queryByTestId("new-session-error")).toBeNull();
      expect(screen.queryByTestId("empty-state")).toBeNull();
      expect(await backend.sessionList()).toHaveLength(1);
    });
  }

  it("shows the daemon's message inline for an invalid path and keeps the input", async () => {
    await renderHome();

    const repo = await type("new-session-repo", "/tmp/not-a-repo");
    await fireEvent.click(screen.getByTestId("new-session-create"));

    const error = await screen.findByTestId("new-session-error");
    expect(error.getAttribute("role")).toBe("alert");
    expect(error.textContent).toContain("is not a git repository");
    expect(repo.value).toBe("/tmp/not-a-repo");
    expect(repo.getAttribute("aria-invalid")).toBe("true");
    expect(rows()).toHaveLength(0);
  });

  it("shows an empty-path error and then clears it on success", async () => {
    await renderHome();

    await fireEvent.click(screen.getByTestId("new-session-create"));
    expect((await screen.findByTestId("new-session-error")).textContent).toMatch(/empty/);

    await type("new-session-repo", "/src/ok");
    await fireEvent.click(screen.getByTestId("new-session-create"));
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(screen.queryByTestId("new-session-error")).toBeNull();
  });

  it("marks the name field for a duplicate name", async () => {
    await renderHome({ sessions: SEED });

    await type("new-session-repo", "/src/other");
    const name = await type("new-session-name", "oldest");
    await fireEvent.click(screen.getByTestId("new-session-create"));

    expect((await screen.findByTestId("new-session-error")).textContent).toContain("already exists");
    expect(name.getAttribute("aria-invalid")).toBe("true");
    expect(rows()).toHaveLength(3);
  });

  it("hides archived sessions unless Show archived is on, and can unarchive", async () => {
    await renderHome({ sessions: SEED });
    const toggle = screen.getByTestId("show-archived") as HTMLInputElement;
    expect(toggle.checked).toBe(false);

    await fireEvent.click(within(rowOf("middle")).getByRole("button", { name: "Archive" }));
    await waitFor(() => expect(rowNames()).toEqual(["newest", "oldest"]));

    await fireEvent.click(toggle);
    await waitFor(() => expect(rowNames()).toEqual(["newest", "middle", "oldest"]));
    const archivedRow = rowOf("middle");
    expect(within(archivedRow).getAllByRole("cell")[2]!.textContent).toContain("archived");

    await fireEvent.click(within(archivedRow).getByRole("button", { name: "Unarchive" }));
    await waitFor(() =>
      expect(within(rowOf("middle")).getAllByRole("cell")[2]!.textContent).toContain("active"),
    );
    await fireEvent.click(toggle);
    await settle();
    expect(rowNames()).toEqual(["newest", "middle", "oldest"]);
  });

  it("says so when every session is archived", async () => {
    await renderHome({ sessions: [session("a", "only", "2026-11-01T09:00:00Z", { state: "archived" })] });

    expect(rows()).toHaveLength(0);
    expect(screen.getByTestId("empty-state").textContent).toContain("Show archived");
  });

  it("renames inline: Enter saves", async () => {
    const backend = await renderHome({ sessions: SEED });

    await fireEvent.click(within(rowOf("oldest")).getByRole("button", { name: "Rename" }));
    const input = within(rowOf("oldest")).getByRole("textbox") as HTMLInputElement;
    expect(input.value).toBe("oldest");
    await fireEvent.input(input, { target: { value: "renamed" } });
    await fireEvent.keyDown(input, { key: "Enter" });

    await waitFor(() => expect(rowNames()).toEqual(["newest", "middle", "renamed"]));
    expect(within(rowOf("renamed")).queryByRole("textbox")).toBeNull();
    expect((await backend.sessionGet("s-old")).name).toBe("renamed");
  });

  it("renames inline: Esc cancels without saving", async () => {
    const backend = await renderHome({ sessions: SEED });

    await fireEvent.click(within(rowOf("oldest")).getByRole("button", { name: "Rename" }));
    const input = within(rowOf("oldest")).getByRole("textbox");
    await fireEvent.input(input, { target: { value: "never" } });
    await fireEvent.keyDown(input, { key: "Escape" });

    expect(within(rowOf("oldest")).queryByRole("textbox")).toBeNull();
    expect((await backend.sessionGet("s-old")).name).toBe("oldest");
  });

  it("shows a rename error in the row and keeps editing", async () => {
    await renderHome({ sessions: SEED });

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
    const backend = await renderHome({ sessions: SEED });

    const other = await backend.sessionCreate({ repo: "/src/elsewhere", name: "from-cli", parent: null });
    await waitFor(() => expect(rowNames()).toEqual(["from-cli", "newest", "middle", "oldest"]));

    await backend.sessionUpdate(other.id, { name: "from-cli-2", archived: null, branchPattern: null, setupCommand: null, maxAgents: null, defaultCli: null, autoMerge: null, cycleSecs: null, stallSecs: null });
    await waitFor(() => expect(rowNames()[0]).toBe("from-cli-2"));
    expect(rows()).toHaveLength(4);
  });

  it("reloads the list after the event stream comes back", async () => {
    const backend = await renderHome({ sessions: SEED });

    backend.setConnected(false);
    await backend.sessionCreate({ repo: "/src/missed", name: "missed", parent: null });
    await settle();
    expect(rowNames()).not.toContain("missed");

    backend.setConnected(true);
    await waitFor(() => expect(rowNames()).toContain("missed"));
    expect(rows()).toHaveLength(4);
  });

  it("replaces the list when given another backend, keeping its events and the form's input", async () => {
    const first = new FakeBackend({ sessions: SEED });
    const { rerender } = render(Home, { backend: first });
    await waitFor(() => expect(rowNames()).toEqual(["newest", "middle", "oldest"]));
    const repo = await type("new-session-repo", "/src/typed");

    // The restarted daemon reads its list before a change whose event arrives first.
    const second = new FakeBackend({
      sessions: [session("r-1", "restarted", "2026-12-01T09:00:00Z")],
      eventTiming: "before-reply",
    });
    const listedEarly = await second.sessionList();
    let sendList!: () => void;
    vi.spyOn(second, "sessionList").mockReturnValueOnce(
      new Promise((resolve) => (sendList = () => resolve(listedEarly))),
    );
    await rerender({ backend: second });
    await second.sessionCreate({ repo: "/src/during", name: "during", parent: null });
    await waitFor(() => expect(rowNames()).toContain("during"));
    // Until the new list comes, the old rows stay shown.
    expect(rowNames()).toContain("oldest");

    sendList();
    await waitFor(() => expect(rowNames()).not.toContain("oldest"));
    expect(rowNames().sort()).toEqual(["during", "restarted"]);
    expect(repo.value).toBe("/src/typed");
    expect(screen.getByTestId("new-session-repo")).toBe(repo);

    // The old backend is no longer listened to.
    await first.sessionCreate({ repo: "/src/stale", name: "stale", parent: null });
    await settle();
    expect(rowNames()).not.toContain("stale");
  });

  it("shows each session's agents, who needs the user, and their cost, live", async () => {
    const backend = await renderHome({ sessions: SEED });
    const name = rowNames()[0]!;
    expect(within(rowOf(name)).getByTestId("session-agents").textContent).toContain("none");
    await backend.agentSpawn({
      session: name,
      cli: "command",
      prompt: "",
      name: null,
      model: null,
      allowTools: [],
      program: ["npm", "test"],
      cwd: null,
    });
    await settle();
    await waitFor(() => expect(within(rowOf(name)).getByTestId("session-agents").textContent).toMatch(/^\s*1/));
    const others = rowNames().slice(1);
    for (const other of others) {
      expect(within(rowOf(other!)).getByTestId("session-agents").textContent).toContain("none");
    }
  });

  it("shows the worktrees' disk use under the list, and its clean-up", async () => {
    const backend = await renderHome({ sessions: SEED });
    const gc = vi.spyOn(backend, "worktreesGc");

    await waitFor(() =>
      expect(screen.getByTestId("worktrees-usage").textContent!.replace(/\s+/g, " ").trim()).toBe(
        "Worktrees: 0 B in /home/dev/.baton/worktrees",
      ),
    );
    await fireEvent.click(screen.getByTestId("worktrees-cleanup"));
    expect((await screen.findByTestId("gc-nothing")).textContent).toMatch(
      /Nothing to clean up now: no finished agent's worktree is old enough to remove\.\s+Baton keeps a finished agent's worktree for 7 days by default/,
    );
    expect(gc).toHaveBeenCalledExactlyOnceWith(true);
  });
});

describe("the coordinator in the session list", () => {
  it("says which sessions are coordinating or complete, and nothing for the others", async () => {
    await renderHome({
      sessions: [
        session("s-run", "busy", "2026-11-01T09:00:00Z", { coordinator: "running" }),
        session("s-done", "finished", "2026-11-02T09:00:00Z", { coordinator: "complete" }),
        session("s-off", "idle", "2026-11-03T09:00:00Z"),
      ],
    });
    const badge = (name: string) => within(rowOf(name)).queryByTestId("session-coordinator")?.textContent;
    expect(badge("busy")).toBe("coordinating");
    expect(badge("finished")).toBe("work complete");
    expect(badge("idle")).toBeUndefined();
  });
});
