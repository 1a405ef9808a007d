// The one adapter between the UI and the Baton engine.
//
// Every call from a view goes through a `Backend`: `HttpBackend` talks to the daemon's local
// HTTP API (inside Tauri, in a plain browser, and in the UI tests, which start a real daemon:
// `src/test/daemon.ts`). Errors always arrive as `BackendError` with a machine-readable `code`;
// views switch on the code and show the daemon's message to the user.

import { invoke, isTauri } from "@tauri-apps/api/core";
import type { ApiError } from "../bindings/ApiError";
import type { DaemonConnection } from "../bindings/DaemonConnection";
import type { EngineEvent } from "../bindings/EngineEvent";
import type { ErrorCode } from "../bindings/ErrorCode";
import type { SessionUpdate } from "../bindings/SessionUpdate";
import type { TerminalClientMessage } from "../bindings/TerminalClientMessage";
import type { TerminalServerMessage } from "../bindings/TerminalServerMessage";
import { Api, type Method, type Transport } from "./api";

/**
 * The UI's engine: the client generated from the daemon's operation declarations (`api.ts`),
 * one method per operation, over a transport. Views take a `Backend` and call its methods.
 */
export type Backend = Api;

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
  "cli_missing",
  "spawn_failed",
  "invalid_settings",
  "merge_conflict",
  "dirty_checkout",
  "agent_busy",
  "no_remote",
  "gh_unavailable",
  "agents_working",
  "over_budget",
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
  /** The field of the input the message is about, when the engine names one (`tasks[2].role`). */
  readonly field: string | null;

  constructor(code: ErrorCode, message: string, field: string | null = null) {
    super(message);
    this.name = "BackendError";
    this.code = code;
    this.field = field;
  }

  /** From a daemon's `{code, message}` body; `null` when the value has not that shape. */
  static fromApiError(value: unknown): BackendError | null {
    if (typeof value !== "object" || value === null) return null;
    const { code, message, field } = value as Partial<ApiError>;
    if (typeof message !== "string" || typeof code !== "string") return null;
    // A newer daemon may send a code this UI does not know yet: keep its message.
    return new BackendError(isErrorCode(code) ? code : "internal", message, typeof field === "string" ? field : null);
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

/** A change to a session of the given fields only (the others `null`: left as they are). */
export function sessionChange(fields: Partial<SessionUpdate>): SessionUpdate {
  return {
    name: null,
    archived: null,
    branchPattern: null,
    setupCommand: null,
    maxAgents: null,
    defaultCli: null,
    autoMerge: null,
    cycleSecs: null,
    stallSecs: null,
    ...fields,
  };
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

/** The daemon's default page of history (its maximum is 100,000). */
export const AGENT_EVENTS_LIMIT = 10_000;

/** A query string from the parameters that have a value. */
function queryString(params?: object): string {
  const pairs = Object.entries(params ?? {}).filter(([, v]) => v !== undefined && v !== null);
  return pairs.length === 0
    ? ""
    : `?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join("&")}`;
}

/** Delay before reopening an event stream the browser gave up on (it retries the rest itself). */
const EVENT_STREAM_REOPEN_MS = 3000;

export type Subscriber = {
  onBatch: (events: EngineEvent[]) => void;
  onStatus?: (connected: boolean) => void;
};

/** The daemon's HTTP API and event stream as the client's transport. */
class HttpTransport implements Transport {
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

  call<T>(method: Method, path: string, query: object | undefined, body: unknown): Promise<T> {
    return this.request(method, path, query, body);
  }

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

  /** Joins a terminal over its WebSocket (see `terminalAttach`). */
  terminalConnect(id: string, viewer: TerminalViewer): TerminalConnection {
    // A WebSocket cannot send headers either: the token goes in the query string.
    const base = this.url.replace(/^http/, "ws");
    const socket = new WebSocket(
      `${base}/api/terminals/${encodeURIComponent(id)}/socket?token=${encodeURIComponent(this.token)}`,
    );
    socket.binaryType = "arraybuffer";
    // What is typed before the socket opens is sent once it does, in order.
    const queued: string[] = [];
    let exited = false;
    const send = (message: TerminalClientMessage) => {
      const text = JSON.stringify(message);
      if (socket.readyState === WebSocket.OPEN) socket.send(text);
      else if (socket.readyState === WebSocket.CONNECTING) queued.push(text);
    };
    socket.onopen = () => {
      for (const text of queued.splice(0)) socket.send(text);
    };
    socket.onmessage = (message: MessageEvent<ArrayBuffer | string>) => {
      if (typeof message.data !== "string") {
        viewer.onOutput(new Uint8Array(message.data));
        return;
      }
      let parsed: TerminalServerMessage;
      try {
        parsed = JSON.parse(message.data) as TerminalServerMessage;
      } catch {
        console.warn("Baton: ignored an unreadable terminal message from the daemon");
        return;
      }
      if (parsed.type === "exit") {
        exited = true;
        viewer.onExit(parsed.code, parsed.signal);
      } else {
        viewer.onError?.(new BackendError(isErrorCode(parsed.code) ? parsed.code : "internal", parsed.message));
      }
    };
    socket.onclose = (event: CloseEvent) => {
      if (exited) return;
      viewer.onClosed?.(
        event.code === 1001
          ? new BackendError("daemon_unreachable", "The Baton daemon stopped; the terminal ended with it.")
          : daemonUnreachable(this.url),
      );
    };
    return {
      input: (data) => send({ type: "input", data }),
      resize: (cols, rows) => send({ type: "resize", cols, rows }),
      close: () => {
        exited = true;
        socket.close();
      },
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

  private async request<T>(method: string, path: string, query?: object, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.token}`,
      Accept: "application/json",
    };
    if (body !== undefined) headers["Content-Type"] = "application/json";

    let response: Response;
    try {
      response = await fetch(`${this.url}${path}${queryString(query)}`, {
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
// Terminals

/** What a terminal's viewer is told: output bytes as they come (the screen so far first), the exit. */
export type TerminalViewer = {
  onOutput: (bytes: Uint8Array) => void;
  /** The program ended and all its output has arrived. */
  onExit: (code: number | null, signal: number | null) => void;
  /** The daemon refused a message (the connection stays). */
  onError?: (error: BackendError) => void;
  /** The connection ended before the program did (the daemon stopped or went away). */
  onClosed?: (error: BackendError) => void;
};

/** A viewer's hold on a terminal: type into it, resize it, let go of it. */
export type TerminalConnection = {
  input: (data: string) => void;
  resize: (cols: number, rows: number) => void;
  /** Leaves the terminal running (close it with `terminalClose`). */
  close: () => void;
};

/** Joins a terminal's output and input (the daemon's `GET /api/terminals/{id}/socket`). */
export function terminalAttach(backend: Backend, id: string, viewer: TerminalViewer): TerminalConnection {
  const transport = backend.transport as Partial<HttpTransport>;
  if (typeof transport.terminalConnect !== "function") {
    throw new BackendError("internal", "This backend cannot reach terminals: it has no socket to the daemon.");
  }
  return transport.terminalConnect.call(backend.transport, id, viewer);
}

// ---------------------------------------------------------------------------------------------
// Finding the daemon

/** The daemon's operations over HTTP: what the app, a browser and the UI tests use. */
export class HttpBackend extends Api {
  constructor(conn: DaemonConnection) {
    super(new HttpTransport(conn));
  }
}

/**
 * Inside Tauri the native shell starts the daemon if needed and tells us where it is. In a plain
 * browser the page address carries it: `?daemon=http://127.0.0.1:4321&token=...` (as
 * `baton daemon` prints it, or `node ui/scripts/demo.mjs` for a daemon with sample sessions).
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
  throw new BackendError(
    "daemon_unreachable",
    "This page does not know where the Baton daemon is. Start it with `baton daemon`, then open " +
      "this page with the address and token it prints: `?daemon=http://127.0.0.1:PORT&token=TOKEN` " +
      "(or run `node ui/scripts/demo.mjs` for a daemon with sample sessions, and open the address it prints).",
  );
}
