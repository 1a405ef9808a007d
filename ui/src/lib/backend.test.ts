import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { EngineEvent } from "../bindings/EngineEvent";
import type { Session } from "../bindings/Session";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { BackendError, connectBackend, FakeBackend, HttpBackend } from "./backend";

const CONN = { url: "http://127.0.0.1:4321/", token: "s3cret" };

function session(overrides: Partial<Session> = {}): Session {
  return {
    id: "0193a5b2-0000-7000-8000-000000000001",
    name: "alpha",
    repo: "/src/alpha",
    baseBranch: "main",
    state: "active",
    createdAt: "2026-11-21T10:00:00Z",
    updatedAt: "2026-11-21T10:00:00Z",
    ...overrides,
  };
}

function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

async function caught(promise: Promise<unknown>): Promise<BackendError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(BackendError);
    return err as BackendError;
  }
  throw new Error("expected the call to fail");
}

describe("HttpBackend requests", () => {
  let fetchMock: ReturnType<typeof vi.fn<typeof fetch>>;

  beforeEach(() => {
    fetchMock = vi.fn<typeof fetch>();
    vi.stubGlobal("fetch", fetchMock);
  });

  afterEach(() => {
    vi.unstubAllGlobals();
  });

  function lastCall(): { url: string; init: RequestInit; headers: Record<string, string> } {
    const [url, init] = fetchMock.mock.calls.at(-1)!;
    return { url: String(url), init: init!, headers: init!.headers as Record<string, string> };
  }

  it("gets health with the bearer token", async () => {
    const health = { version: "0.1.0", pid: 42, home: "/h", startedAt: "2026-11-21T10:00:00Z", sessions: 3 };
    fetchMock.mockResolvedValue(jsonResponse(200, health));

    await expect(new HttpBackend(CONN).health()).resolves.toEqual(health);

    const { url, init, headers } = lastCall();
    expect(url).toBe("http://127.0.0.1:4321/api/health");
    expect(init.method).toBe("GET");
    expect(headers.Authorization).toBe("Bearer s3cret");
    expect(init.body).toBeUndefined();
  });

  it("lists sessions", async () => {
    const list = [session(), session({ id: "b", name: "beta", state: "archived" })];
    fetchMock.mockResolvedValue(jsonResponse(200, list));

    await expect(new HttpBackend(CONN).sessionList()).resolves.toEqual(list);
    expect(lastCall().url).toBe("http://127.0.0.1:4321/api/sessions");
    expect(lastCall().init.method).toBe("GET");
  });

  it("creates a session with a JSON body and accepts 201", async () => {
    const created = session();
    fetchMock.mockResolvedValue(jsonResponse(201, created));

    const result = await new HttpBackend(CONN).sessionCreate({ repo: "/src/alpha", name: null });

    expect(result).toEqual(created);
    const { url, init, headers } = lastCall();
    expect(url).toBe("http://127.0.0.1:4321/api/sessions");
    expect(init.method).toBe("POST");
    expect(headers["Content-Type"]).toBe("application/json");
    expect(headers.Authorization).toBe("Bearer s3cret");
    expect(JSON.parse(init.body as string)).toEqual({ repo: "/src/alpha", name: null });
  });

  it("encodes the id or name in the path", async () => {
    fetchMock.mockResolvedValue(jsonResponse(200, session({ name: "a b/c?" })));

    await new HttpBackend(CONN).sessionGet("a b/c?");

    expect(lastCall().url).toBe("http://127.0.0.1:4321/api/sessions/a%20b%2Fc%3F");
  });

  it("patches a session", async () => {
    fetchMock.mockResolvedValue(jsonResponse(200, session({ state: "archived" })));

    await new HttpBackend(CONN).sessionUpdate("id-1", { name: null, archived: true });

    const { url, init } = lastCall();
    expect(url).toBe("http://127.0.0.1:4321/api/sessions/id-1");
    expect(init.method).toBe("PATCH");
    expect(JSON.parse(init.body as string)).toEqual({ name: null, archived: true });
  });

  it("turns an ApiError body into a BackendError with its code and message", async () => {
    fetchMock.mockResolvedValue(
      jsonResponse(400, { code: "not_a_git_repo", message: "/tmp is not a git repository" }),
    );

    const err = await caught(new HttpBackend(CONN).sessionCreate({ repo: "/tmp", name: null }));

    expect(err.code).toBe("not_a_git_repo");
    expect(err.message).toBe("/tmp is not a git repository");
  });

  it("keeps the message of a code this UI does not know, as internal", async () => {
    fetchMock.mockResolvedValue(jsonResponse(409, { code: "from_the_future", message: "later" }));

    const err = await caught(new HttpBackend(CONN).sessionList());

    expect(err.code).toBe("internal");
    expect(err.message).toBe("later");
  });

  it("names the status when an error has no JSON body", async () => {
    fetchMock.mockResolvedValue(new Response("nope", { status: 401, statusText: "Unauthorized" }));

    const err = await caught(new HttpBackend(CONN).sessionList());

    expect(err.code).toBe("unauthorized");
    expect(err.message).toContain("401");
  });

  it("reports a network failure as daemon_unreachable, telling how to start it", async () => {
    fetchMock.mockRejectedValue(new TypeError("Failed to fetch"));

    const err = await caught(new HttpBackend(CONN).health());

    expect(err.code).toBe("daemon_unreachable");
    expect(err.message).toContain("baton daemon");
    expect(err.message).toContain("http://127.0.0.1:4321");
  });

  it("rejects a success whose body is not JSON", async () => {
    fetchMock.mockResolvedValue(new Response("<html>", { status: 200 }));

    const err = await caught(new HttpBackend(CONN).health());

    expect(err.code).toBe("internal");
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
    const event: EngineEvent = { type: "session_created", session: session() };
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

describe("FakeBackend", () => {
  it("validates like the daemon", async () => {
    const fake = new FakeBackend();
    await fake.sessionCreate({ repo: "/src/one", name: "one" });

    expect((await caught(fake.sessionCreate({ repo: "  ", name: null }))).code).toBe("invalid_input");
    expect((await caught(fake.sessionCreate({ repo: "/tmp/not-a-repo", name: null }))).code).toBe(
      "not_a_git_repo",
    );
    expect((await caught(fake.sessionCreate({ repo: "/src/two", name: "one" }))).code).toBe(
      "duplicate_name",
    );
    expect((await caught(fake.sessionGet("nobody"))).code).toBe("not_found");
    expect((await caught(fake.sessionUpdate("nobody", { name: "x", archived: null }))).code).toBe(
      "not_found",
    );
    expect(await fake.sessionList()).toHaveLength(1);
  });

  it("names a session after its folder, uniquely, and finds it by name", async () => {
    const fake = new FakeBackend();
    const a = await fake.sessionCreate({ repo: "/src/app/", name: null });
    const b = await fake.sessionCreate({ repo: "/other/app", name: "" });

    expect(a.name).toBe("app");
    expect(b.name).toBe("app-2");
    expect((await fake.sessionGet("app-2")).id).toBe(b.id);
    expect(b.createdAt > a.createdAt).toBe(true);
  });

  it("sends events to every subscriber", async () => {
    const fake = new FakeBackend({ eventTiming: "before-reply" });
    const seen: EngineEvent[] = [];
    const unsubscribe = fake.subscribe((events) => seen.push(...events));

    const created = await fake.sessionCreate({ repo: "/src/one", name: null });
    const archived = await fake.sessionUpdate(created.id, { name: null, archived: true });
    unsubscribe();
    await fake.sessionUpdate(created.id, { name: "renamed", archived: null });

    expect(seen).toEqual([
      { type: "session_created", session: created },
      { type: "session_updated", session: archived },
    ]);
    expect(archived.state).toBe("archived");
  });
});

describe("connectBackend in a browser", () => {
  it("uses the daemon and token from the page address", async () => {
    const fetchMock = vi.fn<typeof fetch>().mockResolvedValue(jsonResponse(200, []));
    vi.stubGlobal("fetch", fetchMock);
    try {
      const backend = await connectBackend("?daemon=http%3A%2F%2F127.0.0.1%3A9999&token=tok");
      expect(backend).toBeInstanceOf(HttpBackend);
      await backend.sessionList();
      const [url, init] = fetchMock.mock.calls[0]!;
      expect(url).toBe("http://127.0.0.1:9999/api/sessions");
      expect((init!.headers as Record<string, string>).Authorization).toBe("Bearer tok");
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it("uses the fake only when asked", async () => {
    expect(await connectBackend("?fake=1")).toBeInstanceOf(FakeBackend);
    const demo = await connectBackend("?fake=demo");
    expect((await demo.sessionList()).length).toBeGreaterThan(0);
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
    const fetchMock = vi.fn<typeof fetch>().mockResolvedValue(jsonResponse(200, []));
    vi.stubGlobal("fetch", fetchMock);

    const backend = await connectBackend("?fake=1");
    await backend.sessionList();

    expect(commands).toEqual(["daemon_connect"]);
    expect(backend).toBeInstanceOf(HttpBackend);
    expect(fetchMock.mock.calls[0]![0]).toBe("http://127.0.0.1:5555/api/sessions");
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
