// The one adapter between the UI and the Baton engine.
//
// Every call from a view goes through a `Backend`: `HttpBackend` talks to the daemon's local
// HTTP API (inside Tauri and in a plain browser alike), `FakeBackend` keeps everything in memory
// for tests and for running the UI with no daemon. Errors always arrive as `BackendError` with a
// machine-readable `code`; views switch on the code and show the daemon's message to the user.

import { invoke, isTauri } from "@tauri-apps/api/core";
import type { Agent } from "../bindings/Agent";
import type { AgentEvent } from "../bindings/AgentEvent";
import type { AgentEventRecord } from "../bindings/AgentEventRecord";
import type { AgentSpawn } from "../bindings/AgentSpawn";
import type { AgentState } from "../bindings/AgentState";
import type { AgentWorktree } from "../bindings/AgentWorktree";
import type { ApiError } from "../bindings/ApiError";
import type { ChangedFile } from "../bindings/ChangedFile";
import type { Checkpoint } from "../bindings/Checkpoint";
import type { DaemonConnection } from "../bindings/DaemonConnection";
import type { DaemonHealth } from "../bindings/DaemonHealth";
import type { EngineEvent } from "../bindings/EngineEvent";
import type { ErrorCode } from "../bindings/ErrorCode";
import type { GcEntry } from "../bindings/GcEntry";
import type { GcReport } from "../bindings/GcReport";
import type { MergeReport } from "../bindings/MergeReport";
import type { MergeRequest } from "../bindings/MergeRequest";
import type { PatternInfo } from "../bindings/PatternInfo";
import type { PatternRun } from "../bindings/PatternRun";
import type { RestoreReport } from "../bindings/RestoreReport";
import type { Session } from "../bindings/Session";
import type { SessionCreate } from "../bindings/SessionCreate";
import type { SessionSettings } from "../bindings/SessionSettings";
import type { SessionUpdate } from "../bindings/SessionUpdate";
import type { Task } from "../bindings/Task";
import type { TaskComplete } from "../bindings/TaskComplete";
import type { TaskCreate } from "../bindings/TaskCreate";
import type { WorktreeDiff } from "../bindings/WorktreeDiff";
import type { WorktreesUsage } from "../bindings/WorktreesUsage";
import {
  demoAgents,
  fakeApprovedTurn,
  fakeCommandRun,
  fakeTurn,
  type FakeStep,
} from "./fakeAgents";
import { demoTasks, nameFromTitle, patternInfo, TRI_AGENT, type FakePattern } from "./fakeTasks";
import { fakeSha, FakeWorktree, type FakeFile } from "./fakeWorktree";
import { depStatus, taskIsFinal } from "./taskGraph";
import { parseTimestamp } from "./time";

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
   * pending, or ready at once when its dependencies already hold. Nothing starts ready tasks yet.
   */
  taskAdd(req: TaskCreate): Promise<Task>;
  /** A task by id, or by name (the newest of that name). */
  taskGet(idOrName: string): Promise<Task>;
  /**
   * Ends a task as done or failed (`invalid_input` when it already ended). Its dependants move
   * on, as `task_updated` events: ready, or cancelled with the reason, which flows down.
   */
  taskComplete(idOrName: string, state: "done" | "failed", outcome?: string | null): Promise<Task>;
  /** The patterns (templates) the daemon knows: the built-in ones and the user's own. */
  patternList(): Promise<PatternInfo[]>;
  /** Adds the pattern's tasks to the session for `goal` (an empty goal is `invalid_input`). */
  patternRun(name: string, session: string, goal: string): Promise<Task[]>;
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

function agentPath(id: string, action?: string): string {
  return `/api/agents/${encodeURIComponent(id)}${action ? `/${action}` : ""}`;
}

function taskPath(id: string, action?: string): string {
  return `/api/tasks/${encodeURIComponent(id)}${action ? `/${action}` : ""}`;
}

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

  agentSpawn(req: AgentSpawn): Promise<Agent> {
    return this.request("POST", "/api/agents", req);
  }

  agentList(session?: string): Promise<Agent[]> {
    const query = session === undefined ? "" : `?session=${encodeURIComponent(session)}`;
    return this.request("GET", `/api/agents${query}`);
  }

  agentGet(id: string): Promise<Agent> {
    return this.request("GET", agentPath(id));
  }

  agentEvents(id: string, after = 0, limit = AGENT_EVENTS_LIMIT): Promise<AgentEventRecord[]> {
    return this.request("GET", `${agentPath(id, "events")}?after=${after}&limit=${limit}`);
  }

  agentSend(id: string, text: string): Promise<Agent> {
    return this.request("POST", agentPath(id, "messages"), { text });
  }

  agentApprove(id: string, tool: string, always: boolean): Promise<Agent> {
    return this.request("POST", agentPath(id, "approve"), { tool, always });
  }

  agentDeny(id: string, tool: string): Promise<Agent> {
    return this.request("POST", agentPath(id, "deny"), { tool, always: false });
  }

  agentStop(id: string): Promise<Agent> {
    return this.request("POST", agentPath(id, "stop"));
  }

  agentRemove(id: string, force = false): Promise<Agent> {
    return this.request("DELETE", `${agentPath(id)}?force=${force}`);
  }

  agentChanges(id: string): Promise<ChangedFile[]> {
    return this.request("GET", agentPath(id, "changes"));
  }

  agentDiff(id: string, patch = true): Promise<WorktreeDiff> {
    return this.request("GET", `${agentPath(id, "diff")}?patch=${patch}`);
  }

  agentCheckpoints(id: string): Promise<Checkpoint[]> {
    return this.request("GET", agentPath(id, "checkpoints"));
  }

  agentRestore(id: string, n: number): Promise<RestoreReport> {
    return this.request("POST", agentPath(id, `checkpoints/${encodeURIComponent(n)}/restore`));
  }

  agentMerge(id: string, req: MergeRequest): Promise<MergeReport> {
    return this.request("POST", agentPath(id, "merge"), req);
  }

  worktreesUsage(): Promise<WorktreesUsage> {
    return this.request("GET", "/api/worktrees");
  }

  worktreesGc(dryRun: boolean): Promise<GcReport> {
    return this.request("POST", "/api/worktrees/gc", { dryRun });
  }

  taskList(session: string): Promise<Task[]> {
    return this.request("GET", `/api/tasks?session=${encodeURIComponent(session)}`);
  }

  taskAdd(req: TaskCreate): Promise<Task> {
    return this.request("POST", "/api/tasks", req);
  }

  taskGet(idOrName: string): Promise<Task> {
    return this.request("GET", taskPath(idOrName));
  }

  taskComplete(idOrName: string, state: "done" | "failed", outcome: string | null = null): Promise<Task> {
    const body: TaskComplete = { state, outcome };
    return this.request("POST", taskPath(idOrName, "complete"), body);
  }

  patternList(): Promise<PatternInfo[]> {
    return this.request("GET", "/api/patterns");
  }

  patternRun(name: string, session: string, goal: string): Promise<Task[]> {
    const body: PatternRun = { session, goal };
    return this.request("POST", `/api/patterns/${encodeURIComponent(name)}/run`, body);
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
  /** Agents the fake starts with (copied), and their histories by agent id. */
  agents?: Agent[];
  agentEvents?: Record<string, AgentEvent[]>;
  /**
   * Delay between the steps of a simulated agent (spawn, reply, approved tool...). Agents work
   * as scripted in `fakeAgents.ts`: a prompt that asks to run the tests (or mentions bash) is
   * denied the Bash tool unless it is in `allowTools`, and the agent then needs input.
   */
  agentStepMs?: number;
  /** What each agent's worktree holds changed at the start, by agent id. */
  worktreeFiles?: Record<string, FakeFile[]>;
  /** Branches that exist besides each session's base branch [default: main, develop]. */
  branches?: string[];
  /** Tasks the fake starts with (copied), in any session. */
  tasks?: Task[];
  /** The patterns it offers [default: tri-agent, spec -> implement -> review]. */
  patterns?: FakePattern[];
};

/** Where the fake says Baton keeps worktrees. */
const FAKE_WORKTREES_DIR = "/home/dev/.baton/worktrees";
/** What the fake says one worktree uses on disk. */
const FAKE_WORKTREE_BYTES = 48 * 1024 * 1024;

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
  private readonly agents = new Map<string, Agent>();
  private readonly histories = new Map<string, AgentEventRecord[]>();
  /** The timer of each agent's script in progress. */
  private readonly scripts = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly agentStepMs: number;
  /** Each agent's files, for agents with a worktree of their own. */
  private readonly worktrees = new Map<string, FakeWorktree>();
  private readonly branches: Set<string>;
  /** Paths changed on a branch since the agents started (`branchCommit`): merges there conflict. */
  private readonly branchChanges = new Map<string, Set<string>>();
  /** Uncommitted files in the checkout of a branch (`checkoutDirty`): merges there are refused. */
  private readonly dirtyCheckouts = new Map<string, string[]>();
  /** Every session's tasks, in the order they were made. */
  private readonly tasks = new Map<string, Task>();
  private readonly patterns: FakePattern[];
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
    this.agentStepMs = options.agentStepMs ?? 300;
    this.startedAt = this.timestamp();
    this.branches = new Set(options.branches ?? ["main", "develop"]);
    for (const a of options.agents ?? []) {
      this.agents.set(a.id, agentCopy(a));
      const ts = Date.parse(a.createdAt) || 0;
      const events = options.agentEvents?.[a.id] ?? [];
      this.histories.set(
        a.id,
        events.map((event, i) => ({ agentId: a.id, seq: i + 1, ts: ts + i * 10, event })),
      );
      if (a.worktree) {
        const work = new FakeWorktree(a.worktree.baseCommit, options.worktreeFiles?.[a.id] ?? []);
        // The checkpoints a history mentions become restorable states of its files.
        const saved = events.filter((e) => e.kind === "checkpoint");
        saved.forEach((c, i) => work.checkpointAdd(c, a.updatedAt, (i + 1) / saved.length));
        this.worktrees.set(a.id, work);
      }
    }
    for (const s of this.sessions.values()) if (s.baseBranch) this.branches.add(s.baseBranch);
    for (const t of options.tasks ?? []) this.tasks.set(t.id, taskCopy(t));
    this.patterns = options.patterns ?? [TRI_AGENT];
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
      settings: { allowTools: [], branchPattern: null, setupCommand: null },
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
    // An empty text clears a setting; `null` leaves it as it is.
    const settings: SessionSettings = { ...current.settings };
    if (update.branchPattern !== null) settings.branchPattern = update.branchPattern.trim() || null;
    if (update.setupCommand !== null) settings.setupCommand = update.setupCommand.trim() || null;
    next.settings = settings;
    next.updatedAt = this.timestamp();
    this.sessions.set(id, next);
    return this.reply({ ...next }, { type: "session_updated", session: { ...next } });
  }

  async agentSpawn(req: AgentSpawn): Promise<Agent> {
    const session = this.find(req.session);
    if (session.state === "archived") {
      throw new BackendError("invalid_input", `session ${session.name} is archived; unarchive it first`);
    }
    if (req.cli === "command" && req.program.length === 0) {
      throw new BackendError("invalid_input", "a command agent needs a program: `-- PROGRAM ARGS...`");
    }
    if (req.cli !== "command" && req.prompt.trim() === "") {
      throw new BackendError("invalid_input", "the prompt is empty; say what the agent should do");
    }
    const program = req.cli === "command" ? req.program[0]! : req.cli;
    if (program.includes("not-installed")) {
      throw new BackendError(
        "cli_missing",
        `\`${program}\` is not installed or not on PATH. Install it, or set its path in Baton's settings file.`,
      );
    }
    const agents = [...this.agents.values()].filter((a) => a.sessionId === session.id);
    let name = req.name?.trim() || "";
    if (name === "") {
      for (let n = 1; ; n++) {
        if (!agents.some((a) => a.name === `${req.cli}-${n}`)) {
          name = `${req.cli}-${n}`;
          break;
        }
      }
    } else if (agents.some((a) => a.name === name)) {
      throw new BackendError(
        "duplicate_name",
        `An agent named "${name}" already exists in session ${session.name}. Choose another name.`,
      );
    }
    // Its own worktree unless it was given a folder, as the daemon does.
    const worktree = req.cwd === null ? worktreeNew(session, name) : null;
    const at = this.timestamp();
    const agent: Agent = {
      id: `fake-agent-${String(this.nextId++).padStart(4, "0")}`,
      sessionId: session.id,
      name,
      cli: req.cli,
      model: req.model?.trim() || null,
      state: "starting",
      cwd: worktree?.path ?? req.cwd ?? session.repo,
      command: [...req.program],
      prompt: req.prompt,
      cliSessionId: null,
      pid: 40_000 + this.nextId,
      exitCode: null,
      allowedTools: [...req.allowTools],
      turns: 0,
      usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
      costUsd: 0,
      costIsEstimate: false,
      logPath: `(in memory)/${name}.jsonl`,
      lastEventAt: null,
      createdAt: at,
      updatedAt: at,
      pending: [],
      worktree,
    };
    this.agents.set(agent.id, agent);
    this.histories.set(agent.id, []);
    const notices: AgentEvent[] = [];
    const setup: FakeStep[] = [];
    if (worktree) {
      this.worktrees.set(agent.id, new FakeWorktree(worktree.baseCommit));
      notices.push(notice(
        `working in ${worktree.path} on branch ${worktree.branch} (from ${worktree.baseRef} at ${worktree.baseCommit.slice(0, 8)})`,
      ));
      const command = session.settings.setupCommand;
      if (command) {
        setup.push(
          { events: [notice(`setup: ${command}`)] },
          { events: [notice("added 214 packages, and audited 215 packages in 3s")] },
        );
      }
    }
    if (req.cli === "command") {
      const steps = fakeCommandRun(req.program);
      if (req.prompt !== "") steps.splice(1, 0, { events: [{ kind: "user_text", text: req.prompt }] });
      this.agentPlay(agent.id, [...setup, ...steps]);
    } else {
      this.agentPlay(agent.id, [
        ...setup,
        { state: "running", events: [{ kind: "user_text", text: req.prompt }] },
        {
          events: [
            {
              kind: "session_started",
              cli_session_id: `${agent.id}-cli-session`,
              model: agent.model ?? defaultModel(req.cli),
              cwd: agent.cwd,
              tools: ["Read", "Edit", "Write", "Grep", "Glob"],
            },
          ],
        },
        ...fakeTurn(req.cli, req.prompt, agent.allowedTools.includes("Bash")),
      ]);
    }
    // Where it works is noted in its lane before it starts.
    const made = this.agentChange(agent.id, {}, notices);
    return this.reply(made.agent, made.events);
  }

  async agentList(session?: string): Promise<Agent[]> {
    const sessionId = session === undefined ? null : this.find(session).id;
    return [...this.agents.values()]
      .filter((a) => sessionId === null || a.sessionId === sessionId)
      .map(agentCopy);
  }

  async agentGet(id: string): Promise<Agent> {
    return agentCopy(this.findAgent(id));
  }

  async agentEvents(id: string, after = 0, limit = AGENT_EVENTS_LIMIT): Promise<AgentEventRecord[]> {
    const history = this.histories.get(this.findAgent(id).id) ?? [];
    // Seqs are 1, 2, 3...: the record after `after` is at index `after`.
    return history.slice(after, after + Math.min(Math.max(limit, 1), 100_000));
  }

  async agentSend(id: string, text: string): Promise<Agent> {
    const agent = this.findAgent(id);
    if (text.trim() === "") throw new BackendError("invalid_input", "the message is empty");
    const live = agent.state === "starting" || agent.state === "running" || agent.state === "waiting";
    if (agent.cli === "command") {
      if (!live) throw notListening(agent, "its program has ended; spawn a new agent");
      const next = this.agentChange(agent.id, { state: "running" }, [
        { kind: "user_text", text },
        { kind: "text", text: `received: ${text}`, delta: false },
      ]);
      return this.reply(next.agent, next.events);
    }
    if (agent.state === "needs_input") {
      throw notListening(agent, "a tool is waiting for approval; `baton approve` or `baton deny` it first");
    }
    if (agent.cli !== "claude" && (agent.state === "running" || agent.state === "starting")) {
      throw notListening(agent, "it is working on a turn; wait for it (`baton wait AGENT`), then send");
    }
    const next = this.agentChange(agent.id, { state: "running" }, [{ kind: "user_text", text }]);
    this.agentPlay(agent.id, fakeTurn(agent.cli, text, agent.allowedTools.includes("Bash")));
    return this.reply(next.agent, next.events);
  }

  async agentApprove(id: string, tool: string, always: boolean): Promise<Agent> {
    const agent = this.findAgent(id);
    this.pendingCheck(agent, tool);
    const allowedTools = agent.allowedTools.includes(tool) ? agent.allowedTools : [...agent.allowedTools, tool];
    const message = `The user approved the ${tool} tool. Continue with your task.`;
    const next = this.agentChange(
      agent.id,
      { state: "running", pending: agent.pending.filter((p) => p.tool !== tool), allowedTools },
      [{ kind: "user_text", text: message }],
    );
    if (always) {
      // The daemon keeps this as the session's policy; here, the session's other agents get it.
      for (const other of this.agents.values()) {
        if (other.sessionId === agent.sessionId && !other.allowedTools.includes(tool)) {
          this.agents.set(other.id, { ...other, allowedTools: [...other.allowedTools, tool] });
        }
      }
    }
    this.agentPlay(agent.id, fakeApprovedTurn(agent.cli, tool));
    return this.reply(next.agent, next.events);
  }

  async agentDeny(id: string, tool: string): Promise<Agent> {
    const agent = this.findAgent(id);
    this.pendingCheck(agent, tool);
    const pending = agent.pending.filter((p) => p.tool !== tool);
    const state = agent.state === "needs_input" && pending.length === 0 ? "waiting" : agent.state;
    const next = this.agentChange(agent.id, { state, pending }, []);
    return this.reply(next.agent, next.events);
  }

  async agentStop(id: string): Promise<Agent> {
    const agent = this.findAgent(id);
    if (agent.state === "stopped") return agentCopy(agent);
    this.scriptCancel(agent.id);
    const alive = agent.state !== "exited" && agent.state !== "failed";
    const next = this.agentChange(
      agent.id,
      { state: "stopped", pid: null },
      alive ? [{ kind: "exited", code: null, signal: 2 }] : [],
    );
    return this.reply(next.agent, next.events);
  }

  async agentRemove(id: string, force = false): Promise<Agent> {
    const agent = this.findAgent(id);
    const work = this.worktrees.get(agent.id);
    const live = agent.worktree !== null && agent.worktree.removedAt === null;
    if (work && live && !force) {
      const count = work.changes().length;
      if (count > 0) {
        throw new BackendError(
          "invalid_input",
          `worktree ${agent.worktree!.path} has uncommitted changes (${count} files); commit or discard them first, or remove it with force`,
        );
      }
    }
    this.scriptCancel(agent.id);
    this.agents.delete(agent.id);
    this.histories.delete(agent.id);
    this.worktrees.delete(agent.id);
    const removed = agentCopy(agent);
    return this.reply(removed, { type: "agent_removed", agent_id: agent.id });
  }

  async agentChanges(id: string): Promise<ChangedFile[]> {
    const { agent, work } = this.worktreeOf(id);
    return agent.worktree!.removedAt ? [] : work.changes();
  }

  async agentDiff(id: string, patch = true): Promise<WorktreeDiff> {
    const { agent, work } = this.worktreeOf(id);
    const wt = agent.worktree!;
    const session = this.find(agent.sessionId);
    return {
      base: wt.mergedInto ?? session.baseBranch ?? wt.baseRef,
      baseCommit: wt.baseCommit,
      ...work.diff(patch),
      patchTruncated: false,
    };
  }

  async agentCheckpoints(id: string): Promise<Checkpoint[]> {
    return this.worktreeOf(id).work.checkpoints();
  }

  async agentRestore(id: string, n: number): Promise<RestoreReport> {
    const { agent, work } = this.worktreeLive(id);
    const report = work.restore(n, this.timestamp());
    if (!report) {
      throw new BackendError("invalid_input", `the agent has no checkpoint ${n}; \`baton checkpoints AGENT\` lists them`);
    }
    const notes: AgentEvent[] = [];
    if (report.saved) notes.push({ kind: "checkpoint", n: report.saved.n, commit: report.saved.commit, message: report.saved.message });
    notes.push(notice(`restored checkpoint ${n} (${report.restored.message})`));
    const next = this.agentChange(agent.id, {}, notes);
    return this.reply(report, [...next.events, { type: "agent_changes", agent_id: agent.id, files: work.changes() }]);
  }

  /** Like the daemon: refusals found by the pre-check are in a dry run's report, errors otherwise. */
  async agentMerge(id: string, req: MergeRequest): Promise<MergeReport> {
    const { agent, work } = this.worktreeOf(id);
    const wt = agent.worktree!;
    const session = this.find(agent.sessionId);
    if (wt.branchDeletedAt) {
      throw new BackendError(
        "invalid_input",
        `agent ${agent.name}'s branch ${wt.branch} was merged and deleted; there is nothing left to merge`,
      );
    }
    const into = req.into?.trim() || session.baseBranch;
    if (!into) {
      throw new BackendError(
        "invalid_input",
        "the session has no base branch (its repository was on a detached HEAD); say which branch to merge into (--into BRANCH)",
      );
    }
    if (!this.branches.has(into)) {
      throw new BackendError("invalid_input", `there is no branch "${into}" to merge into; \`git branch\` lists them`);
    }
    if (into === wt.branch) throw new BackendError("invalid_input", `cannot merge ${into} into itself`);
    const busy = agent.state === "starting" || agent.state === "running";
    if (busy && !req.dryRun) {
      throw new BackendError(
        "agent_busy",
        `agent ${agent.name} is ${agent.state}; wait for its turn to end (\`baton wait AGENT\`) or stop it, then merge`,
      );
    }
    const diff = work.diff(false);
    const checkout = into === session.baseBranch ? session.repo : null;
    const report: MergeReport = {
      into,
      strategy: req.strategy,
      dryRun: req.dryRun || busy,
      ok: false,
      refusal: null,
      conflicts: [],
      files: [],
      commits: 0,
      commit: null,
      uncommitted: diff.uncommitted,
      checkoutUpdated: null,
      alreadyMerged: false,
      mergedTip: null,
    };
    let refusal: BackendError | null = null;
    const dirty = this.dirtyCheckouts.get(into) ?? [];
    if (checkout && dirty.length > 0) {
      refusal = new BackendError(
        "dirty_checkout",
        `${into} is checked out in ${checkout} with uncommitted changes (${dirty.join(", ")}); commit or stash them first`,
      );
    }
    const finish = (): MergeReport => {
      if (busy) {
        report.ok = false;
        report.refusal ??= `agent ${agent.name} is ${agent.state}; wait for its turn to end or stop it, then merge`;
      }
      return report;
    };
    if (work.alreadyMerged()) {
      report.alreadyMerged = true;
      report.ok = refusal === null;
      report.refusal = refusal?.message ?? null;
      report.mergedTip = wt.mergedTip ?? wt.baseCommit;
      return finish();
    }
    const changedThere = this.branchChanges.get(into) ?? new Set<string>();
    report.conflicts = work.mergePaths().filter((p) => changedThere.has(p));
    if (report.conflicts.length > 0) {
      refusal ??= new BackendError(
        "merge_conflict",
        `merging into ${into} would conflict in ${report.conflicts.join(", ")}; ask the agent to rebase on ${into}, or resolve by hand`,
      );
    } else {
      report.files = diff.files;
      report.commits = req.strategy === "merge" ? 2 : 1;
    }
    if (report.dryRun || refusal) {
      if (!report.dryRun) throw refusal!;
      report.ok = refusal === null;
      report.refusal = refusal?.message ?? null;
      return finish();
    }

    const tip = fakeSha(`${wt.branch}:${this.timestamp()}`);
    work.mergeRecord();
    report.ok = true;
    report.commit = fakeSha(`${into}:${tip}`);
    report.mergedTip = tip;
    report.checkoutUpdated = checkout;
    const worktree: AgentWorktree = { ...wt, mergedInto: into, mergedTip: tip, mergedAt: this.timestamp() };
    const next = this.agentChange(agent.id, { worktree }, []);
    return this.reply(report, [...next.events, { type: "agent_changes", agent_id: agent.id, files: work.changes() }]);
  }

  async worktreesUsage(): Promise<WorktreesUsage> {
    return { dir: FAKE_WORKTREES_DIR, diskBytes: this.worktreesBytes() };
  }

  /**
   * The fake has no retention period: every finished agent counts as old. Its worktree goes
   * when it holds no uncommitted work, its branch when merged.
   */
  async worktreesGc(dryRun: boolean): Promise<GcReport> {
    const report: GcReport = {
      dryRun,
      removed: [],
      kept: [],
      branchesDeleted: [],
      diskBytesBefore: this.worktreesBytes(),
      diskBytesAfter: 0,
    };
    const events: EngineEvent[] = [];
    for (const agent of [...this.agents.values()]) {
      const wt = agent.worktree;
      const work = this.worktrees.get(agent.id);
      const finished = agent.state === "exited" || agent.state === "failed" || agent.state === "stopped";
      if (!wt || !work || !finished || wt.branchDeletedAt) continue;
      const entry = (reason: string): GcEntry => ({ agentId: agent.id, agentName: agent.name, path: wt.path, branch: wt.branch, reason });
      const next: AgentWorktree = { ...wt };
      if (!wt.removedAt) {
        const changed = work.changes().length;
        if (changed > 0) {
          report.kept.push(entry(
            `${changed} uncommitted file(s) in the worktree; merge them (\`baton merge ${agent.name}\`) or remove the agent with --force`,
          ));
          continue;
        }
        // Worded as the daemon words it.
        const finishedAt = parseTimestamp(agent.updatedAt);
        const days = Number.isNaN(finishedAt) ? 0 : Math.max(0, this.now().getTime() - finishedAt) / 86_400_000;
        report.removed.push(entry(`finished ${days.toFixed(0)} days ago`));
        next.removedAt = this.timestamp();
      }
      if (work.alreadyMerged()) {
        report.branchesDeleted.push(wt.branch);
        next.branchDeletedAt = this.timestamp();
      } else {
        const into = wt.mergedInto ?? this.find(agent.sessionId).baseBranch ?? wt.baseRef;
        report.kept.push(entry(
          `branch ${wt.branch} has commits not merged into ${into}; merge it (\`baton merge ${agent.name}\`) or delete it yourself`,
        ));
      }
      if (!dryRun) events.push(...this.agentChange(agent.id, { worktree: next }, []).events);
    }
    report.diskBytesAfter = this.worktreesBytes();
    return this.reply(report, events);
  }

  async taskList(session: string): Promise<Task[]> {
    const sessionId = this.find(session).id;
    return this.sessionTasks(sessionId).map(taskCopy);
  }

  async taskAdd(req: TaskCreate): Promise<Task> {
    const session = this.find(req.session);
    const { task, changed } = this.taskInsert(session, req);
    return this.reply(task, this.taskEvents([task.id, ...changed]));
  }

  async taskGet(idOrName: string): Promise<Task> {
    return taskCopy(this.findTask(idOrName, null));
  }

  async taskComplete(idOrName: string, state: "done" | "failed", outcome: string | null = null): Promise<Task> {
    const task = this.findTask(idOrName, null);
    if (state !== "done" && state !== "failed") {
      throw new BackendError("invalid_input", `a task completes as done or failed, not ${String(state)}`);
    }
    if (taskIsFinal(task.state)) {
      throw new BackendError("invalid_input", `task ${task.name} is already ${task.state}; it cannot complete again`);
    }
    this.tasks.set(task.id, { ...task, state, reason: null, outcome: outcome?.trim() || null, updatedAt: this.timestamp() });
    const changed = this.tasksAdvance(task.sessionId);
    return this.reply(taskCopy(this.tasks.get(task.id)!), this.taskEvents([task.id, ...changed]));
  }

  async patternList(): Promise<PatternInfo[]> {
    return this.patterns.map(patternInfo);
  }

  /** Like the engine: `{goal}` filled in, the role's prompt first, names suffixed on a rerun. */
  async patternRun(name: string, session: string, goal: string): Promise<Task[]> {
    if (goal.trim() === "") {
      throw new BackendError("invalid_input", "the goal is empty; say what the pattern should achieve");
    }
    const pattern = this.patterns.find((p) => p.name === name);
    if (!pattern) throw new BackendError("not_found", `no pattern named "${name}"; \`baton pattern list\` shows them`);
    const found = this.find(session);
    const existing = new Set(this.sessionTasks(found.id).map((t) => t.name));
    let suffix = "";
    for (let n = 2; pattern.tasks.some((t) => existing.has(`${t.name}${suffix}`)); n++) suffix = `-${n}`;
    const fill = (text: string) => text.replaceAll("{goal}", goal.trim());
    const names = (list: string[] = []) => list.map((d) => `${d}${suffix}`);
    const added: Task[] = [];
    const changed: string[] = [];
    // Template order is a dependency order: the engine checks that on load (no cycles).
    for (const t of pattern.tasks) {
      const role = t.role === null ? undefined : pattern.roles[t.role];
      const made = this.taskInsert(found, {
        session: found.id,
        title: fill(t.title),
        prompt: role?.prompt ? `${role.prompt}\n\n${fill(t.prompt)}` : fill(t.prompt),
        name: `${t.name}${suffix}`,
        role: t.role,
        cli: role?.cli ?? null,
        model: role?.model ?? null,
        after: names(t.after),
        ifSucceeded: names(t.ifSucceeded),
        ifFailed: names(t.ifFailed),
      });
      added.push(made.task);
      changed.push(made.task.id, ...made.changed);
    }
    // The replies are the tasks as they are now (a task added pending may have become ready).
    const now = added.map((t) => taskCopy(this.tasks.get(t.id)!));
    return this.reply(now, this.taskEvents(changed));
  }

  /** The session's tasks, oldest first. */
  private sessionTasks(sessionId: string): Task[] {
    return [...this.tasks.values()]
      .filter((t) => t.sessionId === sessionId)
      .sort((a, b) => parseTimestamp(a.createdAt) - parseTimestamp(b.createdAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** By id, or by name within the session (any session when null), the newest of that name. */
  private findTask(idOrName: string, sessionId: string | null): Task {
    const byId = this.tasks.get(idOrName);
    if (byId && (sessionId === null || byId.sessionId === sessionId)) return byId;
    const named = [...this.tasks.values()]
      .filter((t) => t.name === idOrName && (sessionId === null || t.sessionId === sessionId))
      .sort((a, b) => parseTimestamp(b.createdAt) - parseTimestamp(a.createdAt));
    if (named[0]) return named[0];
    throw new BackendError(
      "not_found",
      `no task has the id or name "${idOrName}" in this session; \`baton task list --session S\` lists them`,
    );
  }

  /** Validates and adds one task, as `task_add` does; returns it and the tasks it moved on. */
  private taskInsert(session: Session, req: TaskCreate): { task: Task; changed: string[] } {
    if (req.title.trim() === "") throw new BackendError("invalid_input", "the task has no title; say what it is");
    if (req.prompt.trim() === "") {
      throw new BackendError("invalid_input", "the task's prompt is empty; say what the agent should do");
    }
    const taken = new Set(this.sessionTasks(session.id).map((t) => t.name));
    let name = req.name?.trim() || "";
    if (name === "") {
      const base = nameFromTitle(req.title);
      name = base;
      for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
    } else if (taken.has(name)) {
      throw new BackendError("duplicate_name", `a task named "${name}" already exists in this session; choose another name`);
    }
    const deps: Task["deps"] = [];
    const lists = [[req.after, "after"], [req.ifSucceeded, "if_succeeded"], [req.ifFailed, "if_failed"]] as const;
    for (const [list, kind] of lists) {
      for (const d of list) {
        let dep: Task;
        try {
          dep = this.findTask(d, session.id);
        } catch {
          throw new BackendError(
            "invalid_input",
            `task "${name}" depends on "${d}", which is not a task of this session or graph`,
          );
        }
        if (deps.some((x) => x.taskId === dep.id)) {
          throw new BackendError("invalid_input", `${d} is named twice among the dependencies`);
        }
        deps.push({ taskId: dep.id, kind });
      }
    }
    // The daemon lists a task's dependencies by the id depended on.
    deps.sort((a, b) => (a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : 0));
    const at = this.timestamp();
    const task: Task = {
      id: `fake-task-${String(this.nextId++).padStart(4, "0")}`,
      sessionId: session.id,
      name,
      title: req.title.trim(),
      prompt: req.prompt,
      role: req.role?.trim() || null,
      cli: req.cli,
      model: req.model?.trim() || null,
      state: "pending",
      deps,
      agentId: null,
      summary: null,
      outcome: null,
      reason: null,
      attempts: 0,
      createdAt: at,
      updatedAt: at,
    };
    this.tasks.set(task.id, task);
    const changed = this.tasksAdvance(session.id);
    return { task: taskCopy(this.tasks.get(task.id)!), changed };
  }

  /**
   * Moves the session's pending tasks whose dependencies decided: ready, or cancelled with the
   * reason, until nothing moves (a cancellation cancels the tasks after it in turn, each saying
   * why). Returns the ids of the tasks moved, in the order they moved.
   */
  private tasksAdvance(sessionId: string): string[] {
    const changed: string[] = [];
    for (let moved = true; moved; ) {
      moved = false;
      for (const t of this.sessionTasks(sessionId)) {
        if (t.state !== "pending") continue;
        const statuses = t.deps.flatMap((d) => {
          const dep = this.tasks.get(d.taskId);
          return dep ? [depStatus(d.kind, dep.name, dep.state)] : [];
        });
        const never = statuses.find((s) => s.status === "never");
        const next = never
          ? { state: "cancelled" as const, reason: never.reason }
          : statuses.every((s) => s.status === "met")
            ? { state: "ready" as const, reason: null }
            : null;
        if (!next) continue;
        this.tasks.set(t.id, { ...t, ...next, updatedAt: this.timestamp() });
        changed.push(t.id);
        moved = true;
      }
    }
    return changed;
  }

  /** One `task_updated` per task (the first mention of each), with its state now. */
  private taskEvents(ids: string[]): EngineEvent[] {
    return [...new Set(ids)].map((id) => ({ type: "task_updated", task: taskCopy(this.tasks.get(id)!) }));
  }

  /** Test hook: someone committed to `branch`, changing `paths`; merging an agent's work touching them there conflicts. */
  branchCommit(branch: string, paths: string[]): void {
    this.branches.add(branch);
    const changed = this.branchChanges.get(branch) ?? new Set<string>();
    for (const p of paths) changed.add(p);
    this.branchChanges.set(branch, changed);
  }

  /** Test hook: the checkout of `branch` has these uncommitted files (none: clean again). */
  checkoutDirty(branch: string, files: string[]): void {
    this.dirtyCheckouts.set(branch, [...files]);
  }

  private worktreesBytes(): number {
    let live = 0;
    for (const a of this.agents.values()) if (a.worktree && !a.worktree.removedAt) live++;
    return live * FAKE_WORKTREE_BYTES;
  }

  /** The agent and its files, or the daemon's error for an agent that works in a given folder. */
  private worktreeOf(idOrName: string): { agent: Agent; work: FakeWorktree } {
    const agent = this.findAgent(idOrName);
    const work = this.worktrees.get(agent.id);
    if (!agent.worktree || !work) {
      throw new BackendError(
        "invalid_input",
        `agent ${agent.name} works in ${agent.cwd} (a folder it was given), not in a worktree of its own`,
      );
    }
    return { agent, work };
  }

  /** `worktreeOf`, for operations that need the folder itself. */
  private worktreeLive(idOrName: string): { agent: Agent; work: FakeWorktree } {
    const found = this.worktreeOf(idOrName);
    const wt = found.agent.worktree!;
    if (wt.removedAt) {
      throw new BackendError(
        "invalid_input",
        `agent ${found.agent.name}'s worktree ${wt.path} is gone; its branch ${wt.branch} keeps its commits`,
      );
    }
    return found;
  }

  /**
   * Test and demo hook: the agent goes through `steps`, one every `stepMs`, as a live agent
   * would (each step's events and state reach subscribers as they happen).
   */
  agentPlay(agentId: string, steps: FakeStep[], stepMs = this.agentStepMs): void {
    this.scriptCancel(agentId);
    let i = 0;
    const next = () => {
      const step = steps[i++];
      if (!step || !this.agents.has(agentId)) {
        this.scripts.delete(agentId);
        return;
      }
      const changed = this.agentChange(agentId, step.state ? { state: step.state } : {}, step.events ?? []);
      this.emit(changed.events);
      this.scripts.set(agentId, setTimeout(next, stepMs));
    };
    this.scripts.set(agentId, setTimeout(next, stepMs));
  }

  /** Test hook: stop every script (the fake's timers), e.g. before a test ends. */
  agentScriptsStop(): void {
    for (const id of [...this.scripts.keys()]) this.scriptCancel(id);
  }

  private scriptCancel(agentId: string): void {
    const timer = this.scripts.get(agentId);
    if (timer !== undefined) clearTimeout(timer);
    this.scripts.delete(agentId);
  }

  /**
   * Records `events` in the agent's history and applies what they imply (usage and cost, turns,
   * permission requests, the state after a turn or an exit), like the daemon's supervisor; and,
   * like its worktree watcher, the files the agent changed, with a checkpoint after each turn.
   * Returns the agent and the engine events to send; the caller decides when.
   */
  private agentChange(
    agentId: string,
    change: Partial<Agent>,
    events: AgentEvent[],
  ): { agent: Agent; events: EngineEvent[] } {
    const current = this.agents.get(agentId)!;
    const agent: Agent = { ...current, ...change };
    const history = this.histories.get(agentId)!;
    const work = this.worktrees.get(agentId);
    const out: EngineEvent[] = [];
    const ts = this.now().getTime();
    let filesChanged = false;
    const queue = [...events];
    for (let event = queue.shift(); event; event = queue.shift()) {
      const record: AgentEventRecord = { agentId, seq: history.length + 1, ts, event };
      history.push(record);
      out.push({ type: "agent_event", record });
      agentEventApply(agent, event);
      if (!work || agent.worktree?.removedAt) continue;
      if (event.kind === "file_change") {
        work.fileChange(event.path, event.change, `changed by ${agent.name} in turn ${agent.turns + 1}`);
        filesChanged = true;
      } else if (event.kind === "turn_completed" || event.kind === "exited") {
        const saved = work.checkpointSave(`after turn ${agent.turns}`, new Date(ts).toISOString());
        if (saved) queue.push({ kind: "checkpoint", n: saved.n, commit: saved.commit, message: saved.message });
      }
    }
    const at = this.timestamp();
    agent.updatedAt = at;
    if (events.length > 0) agent.lastEventAt = at;
    this.agents.set(agentId, agent);
    out.push({ type: "agent_updated", agent: agentCopy(agent) });
    if (work && filesChanged) out.push({ type: "agent_changes", agent_id: agentId, files: work.changes() });
    return { agent: agentCopy(agent), events: out };
  }

  private findAgent(idOrName: string): Agent {
    const byId = this.agents.get(idOrName);
    if (byId) return byId;
    for (const a of this.agents.values()) if (a.name === idOrName) return a;
    throw new BackendError("not_found", `There is no agent with id or name "${idOrName}".`);
  }

  private pendingCheck(agent: Agent, tool: string): void {
    if (agent.pending.some((p) => p.tool === tool)) return;
    const pending = agent.pending.length === 0
      ? " (nothing is pending)"
      : ` (pending: ${agent.pending.map((p) => p.tool).join(", ")})`;
    throw new BackendError("invalid_input", `agent ${agent.name} has no pending request for ${tool}${pending}`);
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

  private async reply<T>(result: T, events: EngineEvent | EngineEvent[]): Promise<T> {
    const batch = Array.isArray(events) ? events : [events];
    if (this.eventTiming === "before-reply") {
      this.emit(batch);
    } else {
      setTimeout(() => this.emit(batch), 0);
    }
    return result;
  }

  private emit(events: EngineEvent[]): void {
    if (!this.connected || events.length === 0) return;
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

function notListening(agent: Agent, why: string): BackendError {
  return new BackendError(
    "invalid_input",
    `agent ${agent.name} cannot take a message now (${agent.state}): ${why}`,
  );
}

function agentCopy(agent: Agent): Agent {
  return {
    ...agent,
    command: [...agent.command],
    allowedTools: [...agent.allowedTools],
    usage: { ...agent.usage },
    pending: agent.pending.map((p) => ({ ...p })),
    worktree: agent.worktree ? { ...agent.worktree } : null,
  };
}

function taskCopy(task: Task): Task {
  return { ...task, deps: task.deps.map((d) => ({ ...d })) };
}

function notice(message: string): AgentEvent {
  return { kind: "notice", message };
}

/** The worktree the daemon would make for agent `name` of `session`. */
function worktreeNew(session: Session, name: string): AgentWorktree {
  const pattern = session.settings.branchPattern ?? "baton/{session}/{agent}";
  const baseRef = session.baseBranch ?? "HEAD";
  return {
    path: `${FAKE_WORKTREES_DIR}/${repoBaseName(session.repo)}/${name}`,
    branch: pattern.replaceAll("{session}", session.name).replaceAll("{agent}", name),
    baseRef,
    baseCommit: fakeSha(`${session.repo}@${baseRef}`),
    mergedInto: null,
    mergedTip: null,
    mergedAt: null,
    removedAt: null,
    branchDeletedAt: null,
  };
}

function defaultModel(cli: Agent["cli"]): string | null {
  return cli === "claude" ? "claude-sonnet-4-5" : cli === "codex" ? "gpt-5-codex" : cli === "gemini" ? "gemini-2.5-pro" : null;
}

/** What an event changes in its agent's record (in place on a fresh copy). */
function agentEventApply(agent: Agent, event: AgentEvent): void {
  switch (event.kind) {
    case "session_started":
      agent.cliSessionId = event.cli_session_id;
      agent.model ??= event.model;
      break;
    case "usage": {
      agent.usage = {
        input: agent.usage.input + event.input_tokens,
        output: agent.usage.output + event.output_tokens,
        cacheRead: agent.usage.cacheRead + event.cache_read_tokens,
        cacheWrite: agent.usage.cacheWrite + event.cache_write_tokens,
      };
      // Without a reported cost Baton estimates from tokens (here at $2/$8 per million).
      const estimate = (event.input_tokens * 2 + event.output_tokens * 8) / 1e6;
      agent.costUsd += event.cost_usd ?? estimate;
      if (event.cost_usd === null) agent.costIsEstimate = true;
      break;
    }
    case "permission_denied":
      agent.pending = [
        ...agent.pending,
        {
          id: `perm-${agent.id}-${agent.pending.length + 1}`,
          tool: event.tool,
          toolUseId: event.tool_use_id,
          input: event.input,
          createdAt: new Date().toISOString(),
        },
      ];
      break;
    case "turn_completed":
      agent.turns += 1;
      if (agent.cli === "claude") agent.state = turnEndState(agent);
      break;
    case "exited": {
      agent.exitCode = event.code;
      agent.pid = null;
      if (agent.state === "stopped") break;
      if (agent.cli === "command") agent.state = event.code === 0 ? "exited" : "failed";
      else agent.state = event.code === 0 ? turnEndState(agent) : "failed";
      break;
    }
    default:
      break;
  }
}

function turnEndState(agent: Agent): AgentState {
  return agent.pending.length > 0 ? "needs_input" : "waiting";
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
      settings: { allowTools: [], branchPattern: null, setupCommand: "npm ci" },
      createdAt: at(50),
      updatedAt: at(2),
    },
    {
      id: "demo-0002",
      name: "docs-typos",
      repo: "/home/dev/src/website",
      baseBranch: "main",
      state: "archived",
      settings: { allowTools: [], branchPattern: null, setupCommand: null },
      createdAt: at(30),
      updatedAt: at(20),
    },
    {
      id: "demo-0003",
      name: "flaky-ci",
      repo: "/home/dev/src/baton",
      baseBranch: "develop",
      state: "active",
      settings: { allowTools: [], branchPattern: null, setupCommand: null },
      createdAt: at(1),
      updatedAt: at(1),
    },
  ];
}

/** The fake of `?fake=demo`: sample sessions, agents of every kind (one at work), a task graph. */
export function demoBackend(now: Date = new Date()): FakeBackend {
  const sessions = demoSessions(now);
  const demo = demoAgents(sessions, now);
  const backend = new FakeBackend({
    sessions,
    agents: demo.agents,
    agentEvents: demo.events,
    worktreeFiles: demo.worktreeFiles,
    tasks: demoTasks(sessions, now),
  });
  backend.agentPlay(demo.live.agentId, demo.live.steps, 1_200);
  return backend;
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
  if (fake === "demo") return demoBackend();
  if (fake === "1") return new FakeBackend();
  throw new BackendError(
    "daemon_unreachable",
    "This page does not know where the Baton daemon is. Start it with `baton daemon`, then open " +
      "this page with the address and token it prints: `?daemon=http://127.0.0.1:PORT&token=TOKEN` " +
      "(or add `?fake=1` to try the UI with an in-memory engine).",
  );
}
