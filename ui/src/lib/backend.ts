// The one adapter between the UI and the Baton engine.
//
// Every call from a view goes through a `Backend`: `HttpBackend` talks to the daemon's local
// HTTP API (inside Tauri and in a plain browser alike), `FakeBackend` keeps everything in memory
// for tests and for running the UI with no daemon. Errors always arrive as `BackendError` with a
// machine-readable `code`; views switch on the code and show the daemon's message to the user.

import { invoke, isTauri } from "@tauri-apps/api/core";
import type { ApiError } from "../bindings/ApiError";
import type { DaemonConnection } from "../bindings/DaemonConnection";
import type { DaemonHealth } from "../bindings/DaemonHealth";
import type { EngineEvent } from "../bindings/EngineEvent";
import type { ErrorCode } from "../bindings/ErrorCode";
import type { Session } from "../bindings/Session";
import type { SessionCreate } from "../bindings/SessionCreate";
import type { SessionUpdate } from "../bindings/SessionUpdate";

export interface Backend {
  health(): Promise<DaemonHealth>;
  /** All sessions, archived ones included. */
  sessionList(): Promise<Session[]>;
  sessionCreate(req: SessionCreate): Promise<Session>;
  sessionGet(idOrName: string): Promise<Session>;
  sessionUpdate(id: string, update: SessionUpdate): Promise<Session>;
  /**
   * Receive engine events in batches. `onStatus(true)` is reported once the stream is live and
   * again after every reconnect (events sent while disconnected are lost, so a view should
   * reload what it shows then); `onStatus(false)` when the stream drops. When the daemon says
   * this client fell behind and events were dropped (`resync`), subscribers see `false` then
   * `true` at once, so the same reload happens. Returns unsubscribe.
   */
  subscribe(
    onBatch: (events: EngineEvent[]) => void,
    onStatus?: (connected: boolean) => void,
  ): () => void;
}

/** Every code the engine can send. The check below fails to compile when the bindings grow. */
const ERROR_CODES = [
  "not_found",
  "invalid_input",
  "path_not_found",
  "not_a_git_repo",
  "bare_repo",
  "duplicate_name",
  "database_too_new",
  "database_corrupt",
  "database_unreadable",
  "unauthorized",
  "daemon_running",
  "daemon_unreachable",
  "io",
  "internal",
] as const satisfies readonly ErrorCode[];
type MissingErrorCodes = Exclude<ErrorCode, (typeof ERROR_CODES)[number]>;
const allErrorCodesListed: [MissingErrorCodes] extends [never] ? true : MissingErrorCodes = true;
void allErrorCodesListed;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && (ERROR_CODES as readonly string[]).includes(value);
}

export class BackendError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "BackendError";
    this.code = code;
  }

  /** From a daemon's `{code, message}` body; `null` when the value has not that shape. */
  static fromApiError(value: unknown): BackendError | null {
    if (typeof value !== "object" || value === null) return null;
    const { code, message } = value as Partial<ApiError>;
    if (typeof message !== "string" || typeof code !== "string") return null;
    // A newer daemon may send a code this UI does not know yet: keep its message.
    return new BackendError(isErrorCode(code) ? code : "internal", message);
  }

  /** Any thrown value as a BackendError, so views have one thing to handle. */
  static from(err: unknown): BackendError {
    if (err instanceof BackendError) return err;
    const api = BackendError.fromApiError(err);
    if (api) return api;
    if (err instanceof Error) return new BackendError("internal", err.message);
    return new BackendError("internal", String(err));
  }
}

export function daemonUnreachable(url: string): BackendError {
  return new BackendError(
    "daemon_unreachable",
    `The Baton daemon is not answering at ${url}. Start it with \`baton daemon\` ` +
      "in a terminal (or restart the Baton app), then retry.",
  );
}

// ---------------------------------------------------------------------------------------------
// HTTP

/** Delay before reopening an event stream the browser gave up on (it retries the rest itself). */
const EVENT_STREAM_REOPEN_MS = 3000;

type Subscriber = {
  onBatch: (events: EngineEvent[]) => void;
  onStatus?: (connected: boolean) => void;
};

export class HttpBackend implements Backend {
  private readonly url: string;
  private readonly token: string;
  private readonly subscribers = new Set<Subscriber>();
  private source: EventSource | null = null;
  private reopenTimer: ReturnType<typeof setTimeout> | null = null;
  private connected = false;

  constructor(conn: DaemonConnection) {
    this.url = conn.url.replace(/\/+$/, "");
    this.token = conn.token;
  }

  health(): Promise<DaemonHealth> {
    return this.request("GET", "/api/health");
  }

  sessionList(): Promise<Session[]> {
    return this.request("GET", "/api/sessions");
  }

  sessionCreate(req: SessionCreate): Promise<Session> {
    return this.request("POST", "/api/sessions", req);
  }

  sessionGet(idOrName: string): Promise<Session> {
    return this.request("GET", `/api/sessions/${encodeURIComponent(idOrName)}`);
  }

  sessionUpdate(id: string, update: SessionUpdate): Promise<Session> {
    return this.request("PATCH", `/api/sessions/${encodeURIComponent(id)}`, update);
  }

  /** One EventSource is shared by all subscribers; it closes with the last one. */
  subscribe(
    onBatch: (events: EngineEvent[]) => void,
    onStatus?: (connected: boolean) => void,
  ): () => void {
    const subscriber: Subscriber = { onBatch, onStatus };
    this.subscribers.add(subscriber);
    if (this.source === null && this.reopenTimer === null) {
      this.openEventStream();
    } else if (this.connected) {
      onStatus?.(true);
    }
    return () => {
      if (!this.subscribers.delete(subscriber) || this.subscribers.size > 0) return;
      this.closeEventStream();
    };
  }

  private openEventStream(): void {
    this.reopenTimer = null;
    // EventSource cannot send headers, so the daemon accepts the token in the query string.
    const source = new EventSource(
      `${this.url}/api/events?token=${encodeURIComponent(this.token)}`,
    );
    this.source = source;
    source.onopen = () => this.setConnected(true);
    source.onerror = () => {
      this.setConnected(false);
      // CONNECTING: the browser retries by itself. CLOSED (an HTTP error status or a wrong
      // content type, e.g. while the daemon restarts): it never will, so reopen later.
      if (source.readyState === EventSource.CLOSED && this.source === source) {
        source.close();
        this.source = null;
        this.reopenTimer = setTimeout(() => this.openEventStream(), EVENT_STREAM_REOPEN_MS);
      }
    };
    source.addEventListener("batch", (message) => {
      let events: EngineEvent[];
      try {
        const parsed: unknown = JSON.parse((message as MessageEvent<string>).data);
        if (!Array.isArray(parsed)) throw new Error("batch is not an array");
        events = parsed as EngineEvent[];
      } catch (err) {
        console.warn("Baton: ignored an unreadable event batch from the daemon", err);
        return;
      }
      for (const s of [...this.subscribers]) s.onBatch(events);
    });
    // The daemon dropped events for this stream because it fell behind: reload, as after a reconnect.
    source.addEventListener("resync", () => {
      if (!this.connected) return;
      this.setConnected(false);
      this.setConnected(true);
    });
  }

  private closeEventStream(): void {
    if (this.reopenTimer !== null) clearTimeout(this.reopenTimer);
    this.reopenTimer = null;
    this.source?.close();
    this.source = null;
    this.connected = false;
  }

  private setConnected(connected: boolean): void {
    if (this.connected === connected) return;
    this.connected = connected;
    for (const s of [...this.subscribers]) s.onStatus?.(connected);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.token}`,
      Accept: "application/json",
    };
    if (body !== undefined) headers["Content-Type"] = "application/json";

    let response: Response;
    try {
      response = await fetch(`${this.url}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      // fetch rejects only when no HTTP answer came back: refused, reset, or blocked by CORS.
      throw daemonUnreachable(this.url);
    }

    const text = await response.text().catch(() => "");
    let json: unknown = undefined;
    if (text !== "") {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
    }

    if (!response.ok) {
      throw (
        BackendError.fromApiError(json) ??
        new BackendError(
          response.status === 401 ? "unauthorized" : response.status === 404 ? "not_found" : "internal",
          `The Baton daemon answered ${method} ${path} with HTTP ${response.status}` +
            (response.statusText ? ` ${response.statusText}` : "") +
            " and no error details.",
        )
      );
    }
    if (json === undefined) {
      throw new BackendError(
        "internal",
        `The Baton daemon answered ${method} ${path} with a body that is not JSON.`,
      );
    }
    return json as T;
  }
}

// ---------------------------------------------------------------------------------------------
// In memory

export type FakeBackendOptions = {
  /** Sessions the fake starts with (copied). */
  sessions?: Session[];
  /**
   * When the event for a change reaches subscribers relative to the reply of the call that made
   * it. Over HTTP either can come first, and the UI must show one row either way.
   */
  eventTiming?: "before-reply" | "after-reply";
  /** Clock for createdAt/updatedAt; the fake keeps timestamps strictly increasing. */
  now?: () => Date;
  version?: string;
};

/**
 * An engine in memory: validates the way the daemon does for the cases it can check without a
 * file system, and sends events to every subscriber, as the daemon does for all its clients.
 */
export class FakeBackend implements Backend {
  private readonly sessions = new Map<string, Session>();
  private readonly subscribers = new Set<Subscriber>();
  private readonly eventTiming: "before-reply" | "after-reply";
  private readonly now: () => Date;
  private readonly version: string;
  private readonly startedAt: string;
  private connected = true;
  private lastTime = 0;
  private nextId = 1;

  constructor(options: FakeBackendOptions = {}) {
    for (const s of options.sessions ?? []) {
      this.sessions.set(s.id, { ...s });
      this.nextId++;
    }
    this.eventTiming = options.eventTiming ?? "after-reply";
    this.now = options.now ?? (() => new Date());
    this.version = options.version ?? "0.0.0-fake";
    this.startedAt = this.timestamp();
  }

  async health(): Promise<DaemonHealth> {
    return {
      version: this.version,
      pid: 0,
      home: "(in memory)",
      startedAt: this.startedAt,
      sessions: this.sessions.size,
    };
  }

  async sessionList(): Promise<Session[]> {
    return [...this.sessions.values()].map((s) => ({ ...s }));
  }

  async sessionCreate(req: SessionCreate): Promise<Session> {
    const repo = req.repo.trim();
    if (repo === "") {
      throw new BackendError(
        "invalid_input",
        "The repository path is empty: give the path of a git repository on this computer.",
      );
    }
    if (repo.includes("not-a-repo")) {
      throw new BackendError(
        "not_a_git_repo",
        `${repo} is not a git repository. Choose a folder that contains a .git directory ` +
          "(run `git init` there to make one).",
      );
    }
    const explicitName = req.name?.trim() || null;
    if (explicitName !== null) this.checkNameFree(explicitName, null);
    const name = explicitName ?? this.uniqueName(repoBaseName(repo));
    const at = this.timestamp();
    const session: Session = {
      id: `fake-${String(this.nextId++).padStart(4, "0")}`,
      name,
      repo,
      baseBranch: "main",
      state: "active",
      createdAt: at,
      updatedAt: at,
    };
    this.sessions.set(session.id, session);
    return this.reply({ ...session }, { type: "session_created", session: { ...session } });
  }

  async sessionGet(idOrName: string): Promise<Session> {
    return { ...this.find(idOrName) };
  }

  async sessionUpdate(id: string, update: SessionUpdate): Promise<Session> {
    const current = this.sessions.get(id);
    if (!current) throw notFound(id);
    const next: Session = { ...current };
    if (update.name !== null) {
      const name = update.name.trim();
      if (name === "") {
        throw new BackendError("invalid_input", "A session name cannot be empty.");
      }
      this.checkNameFree(name, id);
      next.name = name;
    }
    if (update.archived !== null) next.state = update.archived ? "archived" : "active";
    next.updatedAt = this.timestamp();
    this.sessions.set(id, next);
    return this.reply({ ...next }, { type: "session_updated", session: { ...next } });
  }

  subscribe(
    onBatch: (events: EngineEvent[]) => void,
    onStatus?: (connected: boolean) => void,
  ): () => void {
    const subscriber: Subscriber = { onBatch, onStatus };
    this.subscribers.add(subscriber);
    if (this.connected && onStatus) queueMicrotask(() => onStatus(true));
    return () => {
      this.subscribers.delete(subscriber);
    };
  }

  /** Test and demo hook: pretend the event stream dropped or came back. */
  setConnected(connected: boolean): void {
    if (this.connected === connected) return;
    this.connected = connected;
    for (const s of [...this.subscribers]) s.onStatus?.(connected);
  }

  private async reply(result: Session, event: EngineEvent): Promise<Session> {
    if (this.eventTiming === "before-reply") {
      this.emit([event]);
    } else {
      setTimeout(() => this.emit([event]), 0);
    }
    return result;
  }

  private emit(events: EngineEvent[]): void {
    if (!this.connected) return;
    for (const s of [...this.subscribers]) s.onBatch(events);
  }

  private find(idOrName: string): Session {
    const byId = this.sessions.get(idOrName);
    if (byId) return byId;
    for (const s of this.sessions.values()) if (s.name === idOrName) return s;
    throw notFound(idOrName);
  }

  private checkNameFree(name: string, exceptId: string | null): void {
    for (const s of this.sessions.values()) {
      if (s.name === name && s.id !== exceptId) {
        throw new BackendError(
          "duplicate_name",
          `A session named "${name}" already exists. Choose another name.`,
        );
      }
    }
  }

  private uniqueName(base: string): string {
    const taken = new Set([...this.sessions.values()].map((s) => s.name));
    if (!taken.has(base)) return base;
    for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
  }

  private timestamp(): string {
    const t = Math.max(this.now().getTime(), this.lastTime + 1);
    this.lastTime = t;
    return new Date(t).toISOString();
  }
}

function notFound(idOrName: string): BackendError {
  return new BackendError("not_found", `There is no session with id or name "${idOrName}".`);
}

function repoBaseName(repo: string): string {
  const parts = repo.split(/[\\/]+/).filter((p) => p !== "");
  return parts[parts.length - 1] ?? "session";
}

/** Sessions for `?fake=demo`: something to look at without a daemon. */
export function demoSessions(now: Date = new Date()): Session[] {
  const at = (hoursAgo: number) => new Date(now.getTime() - hoursAgo * 3_600_000).toISOString();
  return [
    {
      id: "demo-0001",
      name: "payments-refactor",
      repo: "/home/dev/src/payments",
      baseBranch: "main",
      state: "active",
      createdAt: at(50),
      updatedAt: at(2),
    },
    {
      id: "demo-0002",
      name: "docs-typos",
      repo: "/home/dev/src/website",
      baseBranch: "main",
      state: "archived",
      createdAt: at(30),
      updatedAt: at(20),
    },
    {
      id: "demo-0003",
      name: "flaky-ci",
      repo: "/home/dev/src/baton",
      baseBranch: "develop",
      state: "active",
      createdAt: at(1),
      updatedAt: at(1),
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Finding the daemon

/**
 * Inside Tauri the native shell starts the daemon if needed and tells us where it is. In a plain
 * browser the page address carries it: `?daemon=http://127.0.0.1:4321&token=...`, or `?fake=1`
 * (`?fake=demo` for sample sessions) to run on the in-memory fake.
 */
export async function connectBackend(search: string = window.location.search): Promise<Backend> {
  if (isTauri()) {
    let conn: DaemonConnection;
    try {
      conn = await invoke<DaemonConnection>("daemon_connect");
    } catch (err) {
      throw (
        BackendError.fromApiError(err) ??
        new BackendError(
          "daemon_unreachable",
          `Baton could not start or reach its daemon: ${err instanceof Error ? err.message : String(err)}. ` +
            "Restart the app, or run `baton daemon` in a terminal.",
        )
      );
    }
    return new HttpBackend(conn);
  }

  const params = new URLSearchParams(search);
  const daemon = params.get("daemon");
  const token = params.get("token");
  const fake = params.get("fake");

  if (daemon) {
    let url: URL;
    try {
      url = new URL(daemon);
    } catch {
      url = new URL("invalid:");
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new BackendError(
        "invalid_input",
        `"${daemon}" in ?daemon= is not an http:// address. Use the address \`baton daemon\` ` +
          "prints, e.g. `?daemon=http://127.0.0.1:4321&token=...`",
      );
    }
    if (!token) {
      throw new BackendError(
        "unauthorized",
        "The page address has `?daemon=` but no `&token=`. Add the token `baton daemon` prints, " +
          "e.g. `?daemon=http://127.0.0.1:4321&token=...`",
      );
    }
    return new HttpBackend({ url: daemon, token });
  }
  if (fake === "1" || fake === "demo") {
    return new FakeBackend({ sessions: fake === "demo" ? demoSessions() : [] });
  }
  throw new BackendError(
    "daemon_unreachable",
    "This page does not know where the Baton daemon is. Start it with `baton daemon`, then open " +
      "this page with the address and token it prints: `?daemon=http://127.0.0.1:PORT&token=TOKEN` " +
      "(or add `?fake=1` to try the UI with an in-memory engine).",
  );
}
