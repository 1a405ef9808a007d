// The one adapter between the UI and the Baton engine.
//
// Every call from a view goes through a `Backend`: `HttpBackend` talks to the daemon's local
// HTTP API (inside Tauri, in a plain browser, and in the UI tests, which start a real daemon:
// `src/test/daemon.ts`). Errors always arrive as `BackendError` with a machine-readable `code`;
// views switch on the code and show the daemon's message to the user.

import { invoke, isTauri } from "@tauri-apps/api/core";
import type { Agent } from "../bindings/Agent";
import type { AgentEventRecord } from "../bindings/AgentEventRecord";
import type { AgentSpawn } from "../bindings/AgentSpawn";
import type { ApiError } from "../bindings/ApiError";
import type { Artifact } from "../bindings/Artifact";
import type { ArtifactHit } from "../bindings/ArtifactHit";
import type { ChangedFile } from "../bindings/ChangedFile";
import type { Checkpoint } from "../bindings/Checkpoint";
import type { ContextDoc } from "../bindings/ContextDoc";
import type { CoordinatorStatus } from "../bindings/CoordinatorStatus";
import type { Cycle } from "../bindings/Cycle";
import type { DaemonConnection } from "../bindings/DaemonConnection";
import type { DaemonHealth } from "../bindings/DaemonHealth";
import type { Decision } from "../bindings/Decision";
import type { EngineEvent } from "../bindings/EngineEvent";
import type { ErrorCode } from "../bindings/ErrorCode";
import type { GcReport } from "../bindings/GcReport";
import type { Insight } from "../bindings/Insight";
import type { MergeReport } from "../bindings/MergeReport";
import type { MergeRequest } from "../bindings/MergeRequest";
import type { Objective } from "../bindings/Objective";
import type { ObjectiveState } from "../bindings/ObjectiveState";
import type { PatternInfo } from "../bindings/PatternInfo";
import type { PatternRun } from "../bindings/PatternRun";
import type { RestoreReport } from "../bindings/RestoreReport";
import type { Session } from "../bindings/Session";
import type { SessionCreate } from "../bindings/SessionCreate";
import type { SessionStatus } from "../bindings/SessionStatus";
import type { SessionUpdate } from "../bindings/SessionUpdate";
import type { Task } from "../bindings/Task";
import type { TaskComplete } from "../bindings/TaskComplete";
import type { TaskCreate } from "../bindings/TaskCreate";
import type { WorktreeDiff } from "../bindings/WorktreeDiff";
import type { WorktreesUsage } from "../bindings/WorktreesUsage";
import { Api } from "./api";

export interface Backend {
  health(): Promise<DaemonHealth>;
  /** All sessions, archived ones included. */
  sessionList(): Promise<Session[]>;
  sessionCreate(req: SessionCreate): Promise<Session>;
  sessionGet(idOrName: string): Promise<Session>;
  sessionUpdate(id: string, update: SessionUpdate): Promise<Session>;
  /** Starts an agent; it works on in the daemon, its progress arrives as events. */
  agentSpawn(req: AgentSpawn): Promise<Agent>;
  /** The agents of one session (id or name), or of every session. */
  agentList(session?: string): Promise<Agent[]>;
  agentGet(id: string): Promise<Agent>;
  /** The agent's history after `after` (seq, exclusive), oldest first, at most `limit`. */
  agentEvents(id: string, after?: number, limit?: number): Promise<AgentEventRecord[]>;
  agentSend(id: string, text: string): Promise<Agent>;
  /** `always`: allow the tool for every agent of the session from now on. */
  agentApprove(id: string, tool: string, always: boolean): Promise<Agent>;
  agentDeny(id: string, tool: string): Promise<Agent>;
  agentStop(id: string): Promise<Agent>;
  /**
   * Stops the agent and removes it, its worktree and its history (its branch stays). Refused
   * (`invalid_input`) while the worktree holds uncommitted work, unless `force`.
   */
  agentRemove(id: string, force?: boolean): Promise<Agent>;
  /** The files changed in the agent's worktree now (uncommitted and untracked). */
  agentChanges(id: string): Promise<ChangedFile[]>;
  /** The agent's work against its base branch; `patch: false` for the stats only. */
  agentDiff(id: string, patch?: boolean): Promise<WorktreeDiff>;
  /** The saved states of the agent's worktree, oldest first. */
  agentCheckpoints(id: string): Promise<Checkpoint[]>;
  /** Brings back checkpoint `n`; the state before is saved as a new checkpoint. */
  agentRestore(id: string, n: number): Promise<RestoreReport>;
  /**
   * Merges the agent's work, or (`dryRun`) says what would happen: a dry run reports conflicts
   * and refusals in the report; a real merge refused answers `merge_conflict`,
   * `dirty_checkout` or `agent_busy`.
   */
  agentMerge(id: string, req: MergeRequest): Promise<MergeReport>;
  /** Where Baton keeps worktrees and the disk they use. */
  worktreesUsage(): Promise<WorktreesUsage>;
  /** Removes finished agents' old worktrees and merged branches (`dryRun`: says which). */
  worktreesGc(dryRun: boolean): Promise<GcReport>;
  /** The task graph of one session (id or name), oldest task first. */
  taskList(session: string): Promise<Task[]>;
  /**
   * Adds a task; its dependencies (ids or names) must be tasks of the same session. It starts
   * pending, or ready at once when its dependencies already hold; the session's coordinator,
   * while it runs, starts ready tasks on agents.
   */
  taskAdd(req: TaskCreate): Promise<Task>;
  /** A task by id, or by name (the newest of that name). */
  taskGet(idOrName: string): Promise<Task>;
  /**
   * Ends a task as done or failed (`invalid_input` when it already ended). Its dependants move
   * on, as `task_updated` events: ready, or cancelled with the reason, which flows down.
   */
  taskComplete(idOrName: string, state: "done" | "failed", outcome?: string | null): Promise<Task>;
  /**
   * The recovery action for a blocked or failed task: it becomes ready again, and the coordinator
   * gives it to an agent (its previous one when it can resume). Any other state is `invalid_input`.
   */
  taskRetry(idOrName: string): Promise<Task>;
  /** The patterns (templates) the daemon knows: the built-in ones and the user's own. */
  patternList(): Promise<PatternInfo[]>;
  /** Adds the pattern's tasks to the session for `goal` (an empty goal is `invalid_input`). */
  patternRun(name: string, session: string, goal: string): Promise<Task[]>;
  /**
   * Starts (or resumes) the session's coordinator: cycle after cycle it starts ready tasks on
   * agents, follows them, stores what they leave as artifacts, runs reviews, and checks the
   * completion criteria; it becomes `complete` when they all hold. Each cycle arrives as a
   * `coordinator_cycle` event, the state as a `session_updated` one.
   */
  coordinatorRun(session: string): Promise<CoordinatorStatus>;
  /** Stops the coordinator: running agents go on, ready tasks wait. */
  coordinatorPause(session: string): Promise<CoordinatorStatus>;
  coordinatorStatus(session: string): Promise<CoordinatorStatus>;
  /** The session's last `limit` cycles, newest first. */
  coordinatorCycles(session: string, limit?: number): Promise<Cycle[]>;
  /** Objectives, decisions, insights, tasks by state, agents, cost: the session at a glance. */
  sessionStatus(session: string): Promise<SessionStatus>;
  /** Records an objective (open). Changes to the context arrive as `context_updated` events. */
  objectiveAdd(session: string, text: string): Promise<Objective>;
  objectiveSet(session: string, id: string, state: "open" | "done" | "dropped"): Promise<Objective>;
  insightAdd(session: string, text: string): Promise<Insight>;
  /** Records a question the session waits on: the coordinator is not complete while one is pending. */
  decisionAdd(session: string, question: string): Promise<Decision>;
  decisionAnswer(session: string, id: string, answer: string): Promise<Decision>;
  /** The session's context as one document (objectives, decisions, tasks, artifacts...). */
  contextExport(session: string): Promise<ContextDoc>;
  /** The session's artifacts (or one task's, by id or name), newest first, without their bodies. */
  artifactList(session: string, task?: string): Promise<Artifact[]>;
  /**
   * Full-text search over artifacts (of one session, or all), best first, without their bodies;
   * each hit's snippet has the matched words between `[` and `]`. Empty words are `invalid_input`.
   */
  artifactSearch(query: string, session?: string): Promise<ArtifactHit[]>;
  /** One artifact with its body. */
  artifactGet(id: string): Promise<Artifact>;
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
  "cli_missing",
  "spawn_failed",
  "invalid_settings",
  "merge_conflict",
  "dirty_checkout",
  "agent_busy",
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

export class HttpBackend implements Backend {
  private readonly url: string;
  private readonly token: string;
  private readonly subscribers = new Set<Subscriber>();
  private source: EventSource | null = null;
  private reopenTimer: ReturnType<typeof setTimeout> | null = null;
  private connected = false;
  /** The daemon's operations, generated from their Rust declarations (no URL is built here). */
  private readonly api: Api;

  constructor(conn: DaemonConnection) {
    this.url = conn.url.replace(/\/+$/, "");
    this.token = conn.token;
    this.api = new Api({
      call: (method, path, query, body) => this.request(method, path, query, body),
      subscribe: (onBatch, onStatus) => this.subscribe(onBatch, onStatus),
    });
  }

  health(): Promise<DaemonHealth> {
    return this.api.health();
  }

  sessionList(): Promise<Session[]> {
    return this.api.sessionList();
  }

  sessionCreate(req: SessionCreate): Promise<Session> {
    return this.api.sessionCreate(req);
  }

  sessionGet(idOrName: string): Promise<Session> {
    return this.api.sessionGet(idOrName);
  }

  sessionUpdate(id: string, update: SessionUpdate): Promise<Session> {
    return this.api.sessionUpdate(id, update);
  }

  agentSpawn(req: AgentSpawn): Promise<Agent> {
    return this.api.agentSpawn(req);
  }

  agentList(session?: string): Promise<Agent[]> {
    return this.api.agentList(session === undefined ? {} : { session });
  }

  agentGet(id: string): Promise<Agent> {
    return this.api.agentGet(id);
  }

  agentEvents(id: string, after = 0, limit = AGENT_EVENTS_LIMIT): Promise<AgentEventRecord[]> {
    return this.api.agentEvents(id, { after, limit });
  }

  agentSend(id: string, text: string): Promise<Agent> {
    return this.api.agentSend(id, { text });
  }

  agentApprove(id: string, tool: string, always: boolean): Promise<Agent> {
    return this.api.agentApprove(id, { tool, always });
  }

  agentDeny(id: string, tool: string): Promise<Agent> {
    return this.api.agentDeny(id, { tool, always: false });
  }

  agentStop(id: string): Promise<Agent> {
    return this.api.agentStop(id);
  }

  agentRemove(id: string, force = false): Promise<Agent> {
    return this.api.agentRemove(id, { force });
  }

  agentChanges(id: string): Promise<ChangedFile[]> {
    return this.api.agentChanges(id);
  }

  agentDiff(id: string, patch = true): Promise<WorktreeDiff> {
    return this.api.agentDiff(id, { patch });
  }

  agentCheckpoints(id: string): Promise<Checkpoint[]> {
    return this.api.agentCheckpoints(id);
  }

  agentRestore(id: string, n: number): Promise<RestoreReport> {
    return this.api.agentRestore(id, n);
  }

  agentMerge(id: string, req: MergeRequest): Promise<MergeReport> {
    return this.api.agentMerge(id, req);
  }

  worktreesUsage(): Promise<WorktreesUsage> {
    return this.api.worktreesUsage();
  }

  worktreesGc(dryRun: boolean): Promise<GcReport> {
    return this.api.worktreesGc({ dryRun });
  }

  taskList(session: string): Promise<Task[]> {
    return this.api.taskList({ session });
  }

  taskAdd(req: TaskCreate): Promise<Task> {
    return this.api.taskAdd(req);
  }

  taskGet(idOrName: string): Promise<Task> {
    return this.api.taskGet(idOrName);
  }

  taskComplete(idOrName: string, state: "done" | "failed", outcome: string | null = null): Promise<Task> {
    const body: TaskComplete = { state, outcome };
    return this.api.taskComplete(idOrName, body);
  }

  taskRetry(idOrName: string): Promise<Task> {
    return this.api.taskRetry(idOrName);
  }

  patternList(): Promise<PatternInfo[]> {
    return this.api.patternList();
  }

  patternRun(name: string, session: string, goal: string): Promise<Task[]> {
    const body: PatternRun = { session, goal };
    return this.api.patternRun(name, body);
  }

  coordinatorRun(session: string): Promise<CoordinatorStatus> {
    return this.api.coordinatorRun(session);
  }

  coordinatorPause(session: string): Promise<CoordinatorStatus> {
    return this.api.coordinatorPause(session);
  }

  coordinatorStatus(session: string): Promise<CoordinatorStatus> {
    return this.api.coordinatorStatus(session);
  }

  coordinatorCycles(session: string, limit?: number): Promise<Cycle[]> {
    return this.api.coordinatorCycles(session, limit === undefined ? {} : { limit });
  }

  sessionStatus(session: string): Promise<SessionStatus> {
    return this.api.sessionStatus(session);
  }

  objectiveAdd(session: string, text: string): Promise<Objective> {
    return this.api.objectiveAdd(session, { text });
  }

  objectiveSet(session: string, id: string, state: ObjectiveState): Promise<Objective> {
    return this.api.objectiveSet(session, id, { state });
  }

  insightAdd(session: string, text: string): Promise<Insight> {
    return this.api.insightAdd(session, { text });
  }

  decisionAdd(session: string, question: string): Promise<Decision> {
    return this.api.decisionAdd(session, { text: question });
  }

  decisionAnswer(session: string, id: string, answer: string): Promise<Decision> {
    return this.api.decisionAnswer(session, id, { text: answer });
  }

  contextExport(session: string): Promise<ContextDoc> {
    return this.api.contextExport(session);
  }

  artifactList(session: string, task?: string): Promise<Artifact[]> {
    return this.api.artifactList(task === undefined ? { session } : { session, task });
  }

  artifactSearch(query: string, session?: string): Promise<ArtifactHit[]> {
    return this.api.artifactSearch(session === undefined ? { q: query } : { q: query, session });
  }

  artifactGet(id: string): Promise<Artifact> {
    return this.api.artifactGet(id);
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
// Finding the daemon

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
