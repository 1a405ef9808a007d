// HttpBackend against a real `baton daemon` (every Backend method, and refusals as BackendError
// with the daemon's code), its event stream's client rules against a hand-driven EventSource,
// and how the page finds the daemon.

import { writeFileSync } from "node:fs";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AgentSpawn } from "../bindings/AgentSpawn";
import type { EngineEvent } from "../bindings/EngineEvent";
import type { Session } from "../bindings/Session";
import { agentEnded, agentUntil, eventAfter, repoCommit, repoGit, until, useDaemon } from "../test/daemon";
import { BackendError, connectBackend, HttpBackend, sessionChange } from "./backend";
import { parsePatch } from "./diff";

const d = useDaemon({ fakeClaude: true });

const CONN = { url: "http://127.0.0.1:4321/", token: "s3cret" };

async function caught(promise: Promise<unknown>): Promise<BackendError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(BackendError);
    return err as BackendError;
  }
  throw new Error("expected the call to fail");
}

/** A new session on a new repository. */
async function sessionNew(name = d.unique("s")): Promise<Session & { repoPath: string }> {
  const repo = d.daemon.repoMake(name, { "README.md": "# read me\n", "src/client.ts": "a\nb\n" });
  const session = await d.backend.sessionCreate({ repo, name, parent: null });
  return { ...session, repoPath: repo };
}

function spawnReq(session: string, fields: Partial<AgentSpawn>): AgentSpawn {
  return { session, cli: "claude", prompt: "", name: null, model: null, allowTools: [], program: [], cwd: null, ...fields };
}

describe("HttpBackend on the daemon: sessions", () => {
  it("reads the daemon's health", async () => {
    const health = await d.backend.health();
    expect(health.pid).toBe(d.daemon.pid);
    expect(health.home).toBe(d.daemon.home);
    expect(health.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("creates, lists, finds by name (encoded), renames and archives a session", async () => {
    const s = await sessionNew("alpha one");
    expect(s).toMatchObject({ name: "alpha one", baseBranch: "main", state: "active", coordinator: "off" });
    expect((await d.backend.sessionGet("alpha one")).id).toBe(s.id);
    expect((await d.backend.sessionList()).map((x) => x.id)).toContain(s.id);

    const changed = await d.backend.sessionUpdate(s.id, sessionChange({ name: "alpha two", archived: true, setupCommand: "true" }));
    expect(changed).toMatchObject({ name: "alpha two", state: "archived" });
    expect(changed.settings.setupCommand).toBe("true");
    expect((await d.backend.sessionUpdate(s.id, sessionChange({ archived: false }))).state).toBe("active");
  });

  it("refuses with the daemon's codes and messages", async () => {
    const s = await sessionNew();
    const notRepo = await caught(d.backend.sessionCreate({ repo: d.daemon.root, name: null, parent: null }));
    expect(notRepo.code).toBe("not_a_git_repo");
    expect(notRepo.message).toContain(d.daemon.root);
    expect((await caught(d.backend.sessionCreate({ repo: "/nowhere/at/all", name: null, parent: null }))).code).toBe("path_not_found");
    const duplicate = await caught(d.backend.sessionCreate({ repo: s.repoPath, name: s.name, parent: null }));
    expect(duplicate.code).toBe("duplicate_name");
    expect(duplicate.message).toContain("already exists");
    expect((await caught(d.backend.sessionGet("nope"))).code).toBe("not_found");
    expect((await caught(d.backend.agentGet("nope"))).code).toBe("not_found");
    expect((await caught(d.backend.taskGet("nope"))).code).toBe("not_found");
    expect((await caught(d.backend.artifactGet("art_nope"))).code).toBe("not_found");
    const missing = await caught(d.backend.agentSpawn(spawnReq(s.id, { cli: "command", program: ["not-installed-tool"] })));
    expect(missing.code).toBe("cli_missing");
    expect(missing.message).toContain("not-installed-tool");

    const wrongToken = await caught(new HttpBackend({ url: d.daemon.url, token: "wrong" }).sessionList());
    expect(wrongToken.code).toBe("unauthorized");
    expect(wrongToken.message).toContain("token");
  });

  it("reports a daemon that is not there as daemon_unreachable, telling how to start it", async () => {
    // Port 9 (discard) on localhost: nothing listens there.
    const err = await caught(new HttpBackend({ url: "http://127.0.0.1:9", token: "t" }).health());
    expect(err.code).toBe("daemon_unreachable");
    expect(err.message).toContain("baton daemon");
    expect(err.message).toContain("http://127.0.0.1:9");
  });

  it("streams the engine's events to subscribers", async () => {
    const repo = d.daemon.repoMake(d.unique("streamed"));
    const { event, result } = await eventAfter(
      d.backend,
      () => d.backend.sessionCreate({ repo, name: null, parent: null }),
      (e) => e.type === "session_created",
    );
    expect(event).toEqual({ type: "session_created", session: result });
  });
});

describe("HttpBackend on the daemon: agents", () => {
  it("runs a command agent as a terminal: its output lines, then its exit", async () => {
    const s = await sessionNew();
    const agent = await d.backend.agentSpawn(spawnReq(s.id, { cli: "command", program: ["sh", "-c", "echo one; echo two"], name: "printer" }));
    expect(agent).toMatchObject({ name: "printer", cli: "command", command: ["sh", "-c", "echo one; echo two"] });
    await agentUntil(d.daemon.api, agent.id, agentEnded);
    const ended = await d.backend.agentGet(agent.id);
    expect(ended).toMatchObject({ state: "exited", exitCode: 0 });
    const events = await d.backend.agentEvents(agent.id, {  });
    const texts = events.flatMap((r) => (r.event.kind === "text" ? [r.event.text] : []));
    expect(texts).toEqual(["one", "two"]);
    expect(events.at(-1)!.event).toMatchObject({ kind: "exited", code: 0 });
    expect((await d.backend.agentList({ session: s.name })).map((a) => a.id)).toEqual([agent.id]);
    expect((await d.backend.agentList({})).map((a) => a.id)).toContain(agent.id);
  });

  it("talks with a Claude agent: its turns, a message, history after a seq, cost", async () => {
    const s = await sessionNew();
    const agent = await d.backend.agentSpawn(spawnReq(s.id, { prompt: "Add retries", name: "talker" }));
    await agentUntil(d.daemon.api, agent.id, (a) => a.state === "waiting" && a.turns === 1);
    const sent = await d.backend.agentSend(agent.id, { text: "Also the webhooks" });
    expect(sent.id).toBe(agent.id);
    const after = await agentUntil(d.daemon.api, agent.id, (a) => a.state === "waiting" && a.turns === 2);
    expect(after.costUsd).toBeCloseTo(0.002);
    expect(after.cliSessionId).toMatch(/^fake-/);

    const all = await d.backend.agentEvents(agent.id, {  });
    expect(all.map((r) => r.seq)).toEqual(all.map((_, i) => i + 1));
    expect(all.filter((r) => r.event.kind === "user_text").map((r) => (r.event as { text: string }).text)).toEqual([
      "Add retries",
      "Also the webhooks",
    ]);
    const page = await d.backend.agentEvents(agent.id, { after: 2, limit: 3 });
    expect(page.map((r) => r.seq)).toEqual([3, 4, 5]);
  });

  it("asks for a denied tool: approve resumes the agent with it, deny leaves the agent waiting", async () => {
    const s = await sessionNew();
    const first = await d.backend.agentSpawn(spawnReq(s.id, { prompt: "DENY: run the tests", name: "tester" }));
    const asking = await agentUntil(d.daemon.api, first.id, (a) => a.state === "needs_input");
    expect(asking.pending.map((p) => [p.tool, p.input])).toEqual([["Bash", { command: "npm test" }]]);
    const resumed = await d.backend.agentApprove(first.id, { tool: "Bash", always: true });
    expect(resumed).toMatchObject({ state: "running", pending: [] });
    const approved = await agentUntil(d.daemon.api, first.id, (a) => a.state === "waiting" && a.turns === 2);
    expect(approved.pending).toEqual([]);
    const told = (await d.backend.agentEvents(first.id, {  })).filter((r) => r.event.kind === "user_text").at(-1)!.event;
    expect(told).toMatchObject({ text: expect.stringContaining("The user approved the Bash tool") });
    // Always: the session allows it from now on.
    expect((await d.backend.sessionGet(s.id)).settings.allowTools).toEqual(["Bash"]);

    const other = await sessionNew();
    const second = await d.backend.agentSpawn(spawnReq(other.id, { prompt: "DENY: run the tests" }));
    await agentUntil(d.daemon.api, second.id, (a) => a.state === "needs_input");
    const denied = await d.backend.agentDeny(second.id, { tool: "Bash", always: false });
    expect(denied).toMatchObject({ state: "waiting", pending: [] });
    expect((await caught(d.backend.agentDeny(second.id, { tool: "Bash", always: false }))).code).toBe("invalid_input");
  });

  it("stops a working agent", async () => {
    const s = await sessionNew();
    const agent = await d.backend.agentSpawn(spawnReq(s.id, { cli: "command", program: ["sleep", "30"] }));
    await agentUntil(d.daemon.api, agent.id, (a) => a.state === "running");
    const stopped = await d.backend.agentStop(agent.id);
    expect(stopped.state).toBe("stopped");
  });
});

describe("HttpBackend on the daemon: worktrees", () => {
  it("reads an agent's changes, checkpoints and diff; restores; merges; removes", async () => {
    const s = await sessionNew();
    const agent = await d.backend.agentSpawn(spawnReq(s.id, { prompt: "Write the client", name: "writer" }));
    expect(agent.worktree).toMatchObject({ branch: `baton/${s.name}/writer`, baseRef: "main" });
    expect(agent.worktree!.path.startsWith(d.daemon.home)).toBe(true);
    await agentUntil(d.daemon.api, agent.id, (a) => a.state === "waiting" && a.turns === 1);

    // Each turn of the stand-in writes work-N.txt: uncommitted, then saved as a checkpoint.
    expect(await d.backend.agentChanges(agent.id)).toEqual([{ path: "work-1.txt", status: "untracked" }]);
    await until(async () => (await d.backend.agentCheckpoints(agent.id)).length === 1);
    const [checkpoint] = await d.backend.agentCheckpoints(agent.id);
    expect(checkpoint).toMatchObject({ n: 1, message: "after turn 1" });

    const stats = await d.backend.agentDiff(agent.id, { patch: false });
    expect(stats).toMatchObject({ base: "main", additions: 1, deletions: 0, uncommitted: 1, patch: null });
    expect(stats.files.map((f) => [f.path, f.status])).toEqual([["work-1.txt", "added"]]);
    const full = await d.backend.agentDiff(agent.id, {});
    expect(parsePatch(full.patch ?? "").map((f) => f.path)).toEqual(["work-1.txt"]);

    await d.backend.agentSend(agent.id, { text: "Go on" });
    await agentUntil(d.daemon.api, agent.id, (a) => a.state === "waiting" && a.turns === 2);
    await until(async () => (await d.backend.agentCheckpoints(agent.id)).length === 2);
    const restored = await d.backend.agentRestore(agent.id, 1);
    expect(restored.restored.n).toBe(1);
    expect(restored.saved).toBeNull();
    expect((await d.backend.agentChanges(agent.id)).map((f) => f.path)).toEqual(["work-1.txt"]);

    const preview = await d.backend.agentMerge(agent.id, { into: null, strategy: "squash", dryRun: true });
    expect(preview).toMatchObject({ into: "main", ok: true, dryRun: true, uncommitted: 1, conflicts: [] });
    const merged = await d.backend.agentMerge(agent.id, { into: "main", strategy: "squash", dryRun: false });
    expect(merged.ok).toBe(true);
    expect(merged.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(repoGit(s.repoPath, "log", "-1", "--format=%H", "main")).toBe(merged.commit);
    expect((await d.backend.agentMerge(agent.id, { into: null, strategy: "squash", dryRun: true })).alreadyMerged).toBe(true);

    const usage = await d.backend.worktreesUsage();
    expect(usage.dir.startsWith(d.daemon.home)).toBe(true);
    expect(usage.diskBytes).toBeGreaterThan(0);
    const gc = await d.backend.worktreesGc({ dryRun: true });
    expect(gc.dryRun).toBe(true);
    // Merged work may go at once, whatever the retention.
    expect(gc.removed.map((e) => [e.agentName, e.reason])).toContainEqual(["writer", "its work was merged into main"]);

    const removed = await d.backend.agentRemove(agent.id, {});
    expect(removed.id).toBe(agent.id);
    // Archived: still there to read, flagged.
    expect((await d.backend.agentGet(agent.id)).archivedAt).not.toBeNull();
  });

  it("refuses a merge that conflicts, into a dirty checkout or while the agent works, with the codes", async () => {
    const s = await sessionNew();
    const agent = await d.backend.agentSpawn(spawnReq(s.id, { cli: "command", program: ["sh", "-c", "echo mine > README.md"] }));
    await agentUntil(d.daemon.api, agent.id, agentEnded);
    repoCommit(s.repoPath, { "README.md": "theirs\n" }, "Change the readme on main");

    const preview = await d.backend.agentMerge(agent.id, { into: null, strategy: "squash", dryRun: true });
    expect(preview).toMatchObject({ ok: false, conflicts: ["README.md"] });
    expect((await caught(d.backend.agentMerge(agent.id, { into: null, strategy: "squash", dryRun: false }))).code).toBe("merge_conflict");

    const clean = await d.backend.agentSpawn(spawnReq(s.id, { cli: "command", program: ["sh", "-c", "echo new > other.txt"] }));
    await agentUntil(d.daemon.api, clean.id, agentEnded);
    repoCommit(s.repoPath, {}, "Nothing");
    writeFileSync(`${s.repoPath}/README.md`, "dirty\n");
    const dirty = await caught(d.backend.agentMerge(clean.id, { into: null, strategy: "squash", dryRun: false }));
    expect(dirty.code).toBe("dirty_checkout");
    expect(dirty.message).toContain("README.md");

    const busy = await d.backend.agentSpawn(spawnReq(s.id, { cli: "command", program: ["sleep", "30"] }));
    await agentUntil(d.daemon.api, busy.id, (a) => a.state === "running");
    expect((await caught(d.backend.agentMerge(busy.id, { into: null, strategy: "squash", dryRun: false }))).code).toBe("agent_busy");
    await d.backend.agentStop(busy.id);

    // Uncommitted work refuses a removal unless forced.
    expect((await caught(d.backend.agentRemove(agent.id, {}))).code).toBe("invalid_input");
    expect((await d.backend.agentRemove(agent.id, { force: true })).id).toBe(agent.id);
  });
});

describe("HttpBackend on the daemon: tasks and patterns", () => {
  it("adds tasks behind others, ends them, moves the dependants on, retries a failed one", async () => {
    const s = await sessionNew();
    const lex = await d.backend.taskAdd({ session: s.id, title: "Lexer", prompt: "write the lexer", name: "lex", role: null, cli: null, model: null, after: [], ifSucceeded: [], ifFailed: [], reviews: null, maxRounds: null });
    expect(lex.state).toBe("ready");
    const parse = await d.backend.taskAdd({ session: s.name, title: "Parser", prompt: "parse", name: "parse", role: null, cli: null, model: null, after: ["lex"], ifSucceeded: [], ifFailed: [], reviews: null, maxRounds: null });
    expect(parse).toMatchObject({ state: "pending", deps: [{ taskId: lex.id, kind: "after" }] });
    const rescue = await d.backend.taskAdd({ session: s.id, title: "Rescue", prompt: "rescue", name: "rescue", role: null, cli: null, model: null, after: [], ifSucceeded: [], ifFailed: ["lex"], reviews: null, maxRounds: null });
    expect(rescue.state).toBe("pending");

    expect((await d.backend.taskComplete("lex", { state: "done", outcome: "all tokens" })).state).toBe("done");
    const tasks = await d.backend.taskList({ session: s.id });
    expect(tasks.map((t) => [t.name, t.state])).toEqual([["lex", "done"], ["parse", "ready"], ["rescue", "cancelled"]]);
    expect(tasks[2]!.reason).toContain("lex");
    expect((await d.backend.taskGet(lex.id)).outcome).toBe("all tokens");

    expect((await caught(d.backend.taskComplete("lex", { state: "failed", outcome: null }))).code).toBe("invalid_input");
    expect((await caught(d.backend.taskRetry("parse"))).code).toBe("invalid_input");
    await d.backend.taskComplete(parse.id, { state: "failed", outcome: null });
    expect((await d.backend.taskRetry(parse.id)).state).toBe("ready");
  });

  it("lists the tri-agent pattern and runs it for a goal: spec, implement, review", async () => {
    const s = await sessionNew();
    const tri = (await d.backend.patternList()).find((p) => p.name === "tri-agent")!;
    expect(tri.roles).toEqual(["architect", "implementer", "reviewer"]);
    expect(tri.tasks).toEqual(["spec", "implement", "review"]);
    const tasks = await d.backend.patternRun("tri-agent", { session: s.id, goal: "Add retries" });
    expect(tasks.map((t) => [t.name, t.role, t.state])).toEqual([
      ["spec", "architect", "ready"],
      ["implement", "implementer", "pending"],
      ["review", "reviewer", "pending"],
    ]);
    expect(tasks[0]!.title).toBe("Specify: Add retries");
    expect(tasks[2]!.reviews).toBe(tasks[1]!.id);
    const empty = await caught(d.backend.patternRun("tri-agent", { session: s.id, goal: " " }));
    expect(empty.code).toBe("invalid_input");
  });
});

describe("HttpBackend against answers the daemon never gives", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("names the status when an error has no JSON body", async () => {
    vi.stubGlobal("fetch", vi.fn<typeof fetch>().mockResolvedValue(new Response("nope", { status: 401, statusText: "Unauthorized" })));
    const err = await caught(new HttpBackend(CONN).sessionList());
    expect(err.code).toBe("unauthorized");
    expect(err.message).toContain("401");
  });

  it("rejects a success whose body is not JSON", async () => {
    vi.stubGlobal("fetch", vi.fn<typeof fetch>().mockResolvedValue(new Response("<html>", { status: 200 })));
    expect((await caught(new HttpBackend(CONN).health())).code).toBe("internal");
  });

  it("keeps the message of a code this UI does not know, as internal", () => {
    const err = BackendError.fromApiError({ code: "from_the_future", message: "Upgrade me." })!;
    expect(err.code).toBe("internal");
    expect(err.message).toBe("Upgrade me.");
  });
});

/** A stand-in for the browser's EventSource that tests drive by hand. */
class FakeEventSource {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  static instances: FakeEventSource[] = [];

  readonly url: string;
  readyState = FakeEventSource.CONNECTING;
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  private readonly listeners = new Map<string, ((e: MessageEvent) => void)[]>();

  constructor(url: string) {
    this.url = url;
    FakeEventSource.instances.push(this);
  }

  addEventListener(type: string, listener: (e: MessageEvent) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  close(): void {
    this.readyState = FakeEventSource.CLOSED;
  }

  // Test controls.
  open(): void {
    this.readyState = FakeEventSource.OPEN;
    this.onopen?.();
  }

  fail(readyState: number): void {
    this.readyState = readyState;
    this.onerror?.();
  }

  send(type: string, data: string): void {
    for (const l of this.listeners.get(type) ?? []) l(new MessageEvent(type, { data }));
  }
}

describe("HttpBackend events", () => {
  beforeEach(() => {
    FakeEventSource.instances = [];
    vi.stubGlobal("EventSource", FakeEventSource);
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it("opens one stream with the token, delivers batches and reports status", () => {
    const backend = new HttpBackend(CONN);
    const batches: EngineEvent[][] = [];
    const statuses: boolean[] = [];

    const unsubscribe = backend.subscribe(
      (events) => batches.push(events),
      (connected) => statuses.push(connected),
    );
    const source = FakeEventSource.instances[0]!;
    expect(FakeEventSource.instances).toHaveLength(1);
    expect(source.url).toBe("http://127.0.0.1:4321/api/events?token=s3cret");

    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    source.open();
    const event: EngineEvent = { type: "context_updated", sessionId: "s1" };
    source.send("batch", JSON.stringify([event]));
    source.send("batch", "not json");
    source.fail(FakeEventSource.CONNECTING);

    expect(batches).toEqual([[event]]);
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
    expect(statuses).toEqual([true, false]);

    unsubscribe();
    expect(source.readyState).toBe(FakeEventSource.CLOSED);
  });

  it("shares the stream between subscribers and closes it with the last one", () => {
    const backend = new HttpBackend(CONN);
    const first = vi.fn();
    const second = vi.fn();
    const lateStatus = vi.fn();

    const unsubscribeFirst = backend.subscribe(first);
    FakeEventSource.instances[0]!.open();
    const unsubscribeSecond = backend.subscribe(second, lateStatus);

    expect(FakeEventSource.instances).toHaveLength(1);
    expect(lateStatus).toHaveBeenCalledWith(true);
    FakeEventSource.instances[0]!.send("batch", "[]");
    expect(first).toHaveBeenCalledTimes(1);
    expect(second).toHaveBeenCalledTimes(1);

    unsubscribeFirst();
    expect(FakeEventSource.instances[0]!.readyState).toBe(FakeEventSource.OPEN);
    unsubscribeSecond();
    expect(FakeEventSource.instances[0]!.readyState).toBe(FakeEventSource.CLOSED);
  });

  it("reports a resync from the daemon as a reconnect, so views reload", () => {
    const backend = new HttpBackend(CONN);
    const statuses: boolean[] = [];
    backend.subscribe(
      () => {},
      (c) => statuses.push(c),
    );
    FakeEventSource.instances[0]!.open();

    FakeEventSource.instances[0]!.send("resync", "12");

    expect(statuses).toEqual([true, false, true]);
    expect(FakeEventSource.instances).toHaveLength(1);
  });

  it("reopens a stream the browser closed for good", () => {
    const backend = new HttpBackend(CONN);
    const statuses: boolean[] = [];
    backend.subscribe(
      () => {},
      (c) => statuses.push(c),
    );
    FakeEventSource.instances[0]!.open();

    FakeEventSource.instances[0]!.fail(FakeEventSource.CLOSED);
    expect(FakeEventSource.instances).toHaveLength(1);
    vi.advanceTimersByTime(5000);
    expect(FakeEventSource.instances).toHaveLength(2);
    FakeEventSource.instances[1]!.open();

    expect(statuses).toEqual([true, false, true]);
  });
});

describe("connectBackend in a browser", () => {
  it("uses the daemon and token from the page address", async () => {
    const search = `?daemon=${encodeURIComponent(d.daemon.url)}&token=${encodeURIComponent(d.daemon.token)}`;
    const backend = await connectBackend(search);
    expect(backend).toBeInstanceOf(HttpBackend);
    expect((await backend.health()).pid).toBe(d.daemon.pid);
  });

  it("no longer knows ?fake=: it says how to open the page on a daemon", async () => {
    const err = await caught(connectBackend("?fake=demo"));
    expect(err.code).toBe("daemon_unreachable");
    expect(err.message).toContain("demo.mjs");
  });

  it("explains how to open the page when it knows no daemon", async () => {
    const err = await caught(connectBackend(""));
    expect(err.code).toBe("daemon_unreachable");
    expect(err.message).toContain("?daemon=");
    expect(err.message).toContain("token=");
  });

  it("asks for the token when only the address is given", async () => {
    const err = await caught(connectBackend("?daemon=http://127.0.0.1:1"));
    expect(err.code).toBe("unauthorized");
  });

  it("rejects an address that is not http", async () => {
    const err = await caught(connectBackend("?daemon=file:///etc&token=t"));
    expect(err.code).toBe("invalid_input");
  });
});

describe("connectBackend inside Tauri", () => {
  beforeEach(() => {
    vi.stubGlobal("isTauri", true);
  });

  afterEach(() => {
    clearMocks();
    vi.unstubAllGlobals();
  });

  it("asks the native shell where the daemon is", async () => {
    const commands: string[] = [];
    mockIPC((cmd) => {
      commands.push(cmd);
      return { url: "http://127.0.0.1:5555", token: "from-shell" };
    });
    const backend = await connectBackend("?daemon=http://127.0.0.1:1&token=ignored");
    expect(commands).toEqual(["daemon_connect"]);
    expect(backend).toBeInstanceOf(HttpBackend);
    const err = await caught(backend.sessionList());
    expect(err.code).toBe("daemon_unreachable");
    expect(err.message).toContain("http://127.0.0.1:5555");
  });

  it("passes on the shell's coded error", async () => {
    mockIPC(() => {
      throw { code: "database_too_new", message: "The database was written by a newer Baton." };
    });

    const err = await caught(connectBackend(""));

    expect(err.code).toBe("database_too_new");
    expect(err.message).toBe("The database was written by a newer Baton.");
  });

  it("treats a bare string error from the shell as an unreachable daemon", async () => {
    mockIPC(() => {
      throw "spawn failed: No such file or directory";
    });

    const err = await caught(connectBackend(""));

    expect(err.code).toBe("daemon_unreachable");
    expect(err.message).toContain("spawn failed");
  });
});

