// The in-memory engine: `FakeBackend` stands in for the daemon in unit tests and when the UI
// runs with no daemon (`?fake=1`, `?fake=demo`). It implements the same `Backend` as
// `HttpBackend`, so the views cannot tell the two apart. What its agents, tasks, artifacts,
// coordinator and worktrees do in detail lives in the `fake*.ts` modules it builds on.

import type { Agent } from "../bindings/Agent";
import type { AgentBrief } from "../bindings/AgentBrief";
import type { AgentEvent } from "../bindings/AgentEvent";
import type { AgentEventRecord } from "../bindings/AgentEventRecord";
import type { AgentSpawn } from "../bindings/AgentSpawn";
import type { AgentState } from "../bindings/AgentState";
import type { AgentWorktree } from "../bindings/AgentWorktree";
import type { Artifact } from "../bindings/Artifact";
import type { ArtifactHit } from "../bindings/ArtifactHit";
import type { ChangedFile } from "../bindings/ChangedFile";
import type { Checkpoint } from "../bindings/Checkpoint";
import type { ContextDoc } from "../bindings/ContextDoc";
import type { CoordinatorState } from "../bindings/CoordinatorState";
import type { CoordinatorStatus } from "../bindings/CoordinatorStatus";
import type { Cycle } from "../bindings/Cycle";
import type { CycleSummary } from "../bindings/CycleSummary";
import type { DaemonHealth } from "../bindings/DaemonHealth";
import type { Decision } from "../bindings/Decision";
import type { EngineEvent } from "../bindings/EngineEvent";
import type { GcEntry } from "../bindings/GcEntry";
import type { GcReport } from "../bindings/GcReport";
import type { Insight } from "../bindings/Insight";
import type { MergeReport } from "../bindings/MergeReport";
import type { MergeRequest } from "../bindings/MergeRequest";
import type { Objective } from "../bindings/Objective";
import type { PatternInfo } from "../bindings/PatternInfo";
import type { RestoreReport } from "../bindings/RestoreReport";
import type { Session } from "../bindings/Session";
import type { SessionCreate } from "../bindings/SessionCreate";
import type { SessionSettings } from "../bindings/SessionSettings";
import type { SessionStatus } from "../bindings/SessionStatus";
import type { SessionUpdate } from "../bindings/SessionUpdate";
import type { StateCount } from "../bindings/StateCount";
import type { Task } from "../bindings/Task";
import type { TaskCreate } from "../bindings/TaskCreate";
import type { WorktreeDiff } from "../bindings/WorktreeDiff";
import type { WorktreesUsage } from "../bindings/WorktreesUsage";
import { AGENT_EVENTS_LIMIT, BackendError, type Backend, type Subscriber } from "./backend";
import {
  demoAgents,
  fakeApprovedTurn,
  fakeCommandRun,
  fakeTurn,
  type FakeStep,
} from "./fakeAgents";
import { artifactSearch, searchWords, summaryLine } from "./fakeArtifacts";
import {
  criteriaCheck,
  demoCoordination,
  fakeWorkOf,
  fakeWorkTurn,
  handoffPrompt,
  lastTurn,
  summaryEmpty,
  verdictBody,
  type FakeContext,
  type FakeWork,
} from "./fakeCoordinator";
import { demoTasks, nameFromTitle, patternInfo, TRI_AGENT, type FakePattern } from "./fakeTasks";
import { fakeSha, FakeWorktree, type FakeFile } from "./fakeWorktree";
import { depStatus, taskIsFinal } from "./taskGraph";
import { parseTimestamp } from "./time";
import { findingsMarkdown, verdictParse, verdictSummary } from "./verdict";

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
  /** Artifacts the fake starts with (copied, bodies included), in any session, oldest first. */
  artifacts?: Artifact[];
  /** Objectives, decisions and insights the fake starts with, by session id. */
  contexts?: Record<string, Partial<FakeContext>>;
  /** Cycles already run, by session id, oldest first. */
  cycles?: Record<string, Cycle[]>;
  /**
   * Time between a running coordinator's cycles [default: 1500 ms]; `null`: cycles run only when
   * a test calls `coordinatorCycle`.
   */
  coordinatorCycleMs?: number | null;
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
  /** Every session's artifacts, oldest first. */
  private readonly artifacts: Artifact[] = [];
  private readonly contexts = new Map<string, FakeContext>();
  /** Each session's cycles, oldest first. */
  private readonly cycles = new Map<string, Cycle[]>();
  /** The timer of each running coordinator's next cycle. */
  private readonly loops = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly coordinatorCycleMs: number | null;
  /** A running task's agent's turn count when it was given the task: a turn after that ends the work. */
  private readonly taskTurns = new Map<string, number>();
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
    for (const t of options.tasks ?? []) {
      this.tasks.set(t.id, taskCopy(t));
      const agent = t.state === "running" && t.agentId ? this.agents.get(t.agentId) : undefined;
      if (agent) this.taskTurns.set(t.id, agent.turns);
    }
    this.patterns = options.patterns ?? [TRI_AGENT];
    this.artifacts.push(...(options.artifacts ?? []).map((a) => ({ ...a })));
    for (const [id, c] of Object.entries(options.contexts ?? {})) {
      this.contexts.set(id, {
        objectives: (c.objectives ?? []).map((o) => ({ ...o })),
        decisions: (c.decisions ?? []).map((d) => ({ ...d })),
        insights: (c.insights ?? []).map((i) => ({ ...i })),
      });
    }
    for (const [id, list] of Object.entries(options.cycles ?? {})) this.cycles.set(id, list.map(cycleCopy));
    this.coordinatorCycleMs = options.coordinatorCycleMs === undefined ? 1_500 : options.coordinatorCycleMs;
    // A coordinator recorded as running goes on, as after a daemon restart.
    for (const s of this.sessions.values()) if (s.coordinator === "running") this.loopSchedule(s.id, 0);
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
    const parent = req.parent?.trim() ? this.find(req.parent.trim()) : null;
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
      settings: settingsDefault(),
      parentSessionId: parent?.id ?? null,
      coordinator: "off",
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
    if (update.maxAgents === 0) throw new BackendError("invalid_input", "max agents must be at least 1");
    if (update.cycleSecs === 0 || update.stallSecs === 0) {
      throw new BackendError("invalid_input", "the cycle and stall times are at least 1 second");
    }
    if (update.defaultCli === "command") throw new BackendError("invalid_input", "the default CLI is claude, codex or gemini");
    // An empty text clears a setting; `null` leaves it as it is.
    const settings: SessionSettings = { ...current.settings };
    if (update.branchPattern !== null) settings.branchPattern = update.branchPattern.trim() || null;
    if (update.setupCommand !== null) settings.setupCommand = update.setupCommand.trim() || null;
    settings.maxAgents = update.maxAgents ?? settings.maxAgents;
    settings.defaultCli = update.defaultCli ?? settings.defaultCli;
    settings.autoMerge = update.autoMerge ?? settings.autoMerge;
    settings.cycleSecs = update.cycleSecs ?? settings.cycleSecs;
    settings.stallSecs = update.stallSecs ?? settings.stallSecs;
    next.settings = settings;
    next.updatedAt = this.timestamp();
    this.sessions.set(id, next);
    return this.reply({ ...next }, { type: "session_updated", session: { ...next } });
  }

  async agentSpawn(req: AgentSpawn): Promise<Agent> {
    const made = this.agentStart(req, null);
    return this.reply(made.agent, made.events);
  }

  /**
   * Validates and starts an agent as the daemon does; one started by the coordinator for a task
   * records it and does the task's work. Returns the agent and the events to send.
   */
  private agentStart(req: AgentSpawn, forTask: { task: Task; work: FakeWork } | null): { agent: Agent; events: EngineEvent[] } {
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
      taskId: forTask?.task.id ?? null,
      role: forTask?.task.role ?? null,
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
        ...(forTask
          ? fakeWorkTurn(req.cli, forTask.work, 1)
          : fakeTurn(req.cli, req.prompt, agent.allowedTools.includes("Bash"))),
      ]);
    }
    // Where it works is noted in its lane before it starts.
    return this.agentChange(agent.id, {}, notices);
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
    return this.reply(removed, { type: "agent_removed", agentId: agent.id });
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
    return this.reply(report, [...next.events, { type: "agent_changes", agentId: agent.id, files: work.changes() }]);
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
    return this.reply(report, [...next.events, { type: "agent_changes", agentId: agent.id, files: work.changes() }]);
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
        reviews: t.reviews ? `${t.reviews}${suffix}` : null,
        maxRounds: t.maxRounds ?? null,
      });
      added.push(made.task);
      changed.push(made.task.id, ...made.changed);
    }
    // The replies are the tasks as they are now (a task added pending may have become ready).
    const now = added.map((t) => taskCopy(this.tasks.get(t.id)!));
    return this.reply(now, this.taskEvents(changed));
  }

  async taskRetry(idOrName: string): Promise<Task> {
    const task = this.findTask(idOrName, null);
    if (task.state !== "blocked" && task.state !== "failed") {
      throw new BackendError("invalid_input", `task ${task.name} is ${task.state}; only a blocked or failed task is retried`);
    }
    this.tasks.set(task.id, { ...task, state: "ready", reason: null, updatedAt: this.timestamp() });
    return this.reply(taskCopy(this.tasks.get(task.id)!), this.taskEvents([task.id]));
  }

  async coordinatorRun(session: string): Promise<CoordinatorStatus> {
    const found = this.find(session);
    if (found.state === "archived") {
      throw new BackendError("invalid_input", `session ${found.name} is archived; unarchive it first`);
    }
    const events = this.coordinatorSet(found.id, "running");
    // The first cycle runs at once, as the daemon's loop does.
    this.loopSchedule(found.id, 0);
    return this.reply(this.coordinatorOf(found.id), events);
  }

  async coordinatorPause(session: string): Promise<CoordinatorStatus> {
    const found = this.find(session);
    this.loopStop(found.id);
    const events = this.coordinatorSet(found.id, "off");
    return this.reply(this.coordinatorOf(found.id), events);
  }

  async coordinatorStatus(session: string): Promise<CoordinatorStatus> {
    return this.coordinatorOf(this.find(session).id);
  }

  async coordinatorCycles(session: string, limit = 50): Promise<Cycle[]> {
    const list = this.cycles.get(this.find(session).id) ?? [];
    return [...list].reverse().slice(0, Math.min(Math.max(limit, 0), 10_000)).map(cycleCopy);
  }

  async sessionStatus(session: string): Promise<SessionStatus> {
    const found = this.find(session);
    const tasks = this.sessionTasks(found.id);
    const agents = [...this.agents.values()].filter((a) => a.sessionId === found.id);
    // By state, in the order the states first appear among the tasks (as the daemon counts).
    const counts: StateCount[] = [];
    for (const t of tasks) {
      const known = counts.find((c) => c.state === t.state);
      if (known) known.count++;
      else counts.push({ state: t.state, count: 1 });
    }
    const context = this.contextCopy(found.id);
    return {
      session: { ...found },
      coordinator: this.coordinatorOf(found.id),
      ...context,
      tasks: counts,
      agents: agentBriefs(agents, tasks),
      artifacts: this.artifacts.filter((a) => a.sessionId === found.id).length,
      costUsd: agents.reduce((n, a) => n + a.costUsd, 0),
      costIsEstimate: agents.some((a) => a.costIsEstimate),
      inputTokens: agents.reduce((n, a) => n + a.usage.input, 0),
      outputTokens: agents.reduce((n, a) => n + a.usage.output, 0),
    };
  }

  async objectiveAdd(session: string, text: string): Promise<Objective> {
    const found = this.find(session);
    const objective: Objective = { id: this.contextId("obj"), text: textCheck(text), state: "open", createdAt: this.timestamp() };
    this.contextOf(found.id).objectives.push(objective);
    return this.reply({ ...objective }, { type: "context_updated", sessionId: found.id });
  }

  async objectiveSet(session: string, id: string, state: "open" | "done" | "dropped"): Promise<Objective> {
    const found = this.find(session);
    if (state !== "open" && state !== "done" && state !== "dropped") {
      throw new BackendError("invalid_input", `an objective is open, done or dropped, not ${JSON.stringify(state)}`);
    }
    const list = this.contextOf(found.id).objectives;
    const i = list.findIndex((o) => o.id === id);
    if (i < 0) throw contextNotFound("objective", id);
    list[i] = { ...list[i]!, state };
    return this.reply({ ...list[i]! }, { type: "context_updated", sessionId: found.id });
  }

  async insightAdd(session: string, text: string): Promise<Insight> {
    const found = this.find(session);
    const insight: Insight = { id: this.contextId("ins"), text: textCheck(text), createdAt: this.timestamp() };
    this.contextOf(found.id).insights.push(insight);
    return this.reply({ ...insight }, { type: "context_updated", sessionId: found.id });
  }

  async decisionAdd(session: string, question: string): Promise<Decision> {
    const found = this.find(session);
    const decision: Decision = {
      id: this.contextId("dec"),
      question: textCheck(question),
      answer: null,
      state: "pending",
      createdAt: this.timestamp(),
    };
    this.contextOf(found.id).decisions.push(decision);
    return this.reply({ ...decision }, { type: "context_updated", sessionId: found.id });
  }

  async decisionAnswer(session: string, id: string, answer: string): Promise<Decision> {
    const found = this.find(session);
    const text = textCheck(answer);
    const list = this.contextOf(found.id).decisions;
    const i = list.findIndex((d) => d.id === id);
    if (i < 0) throw contextNotFound("decision", id);
    list[i] = { ...list[i]!, answer: text, state: "decided" };
    return this.reply({ ...list[i]! }, { type: "context_updated", sessionId: found.id });
  }

  async contextExport(session: string): Promise<ContextDoc> {
    const found = this.find(session);
    const tasks = this.sessionTasks(found.id);
    const nameOf = (id: string) => this.tasks.get(id)?.name ?? id;
    const depNames = (t: Task, kind: Task["deps"][number]["kind"]) => t.deps.filter((d) => d.kind === kind).map((d) => nameOf(d.taskId));
    return {
      format: 1,
      exportedAt: this.timestamp(),
      session: { name: found.name, repo: found.repo, baseBranch: found.baseBranch, settings: { ...found.settings } },
      ...this.contextCopy(found.id),
      tasks: tasks.map((t) => ({
        id: t.id,
        name: t.name,
        title: t.title,
        prompt: t.prompt,
        role: t.role,
        cli: t.cli,
        model: t.model,
        state: t.state,
        after: depNames(t, "after"),
        ifSucceeded: depNames(t, "if_succeeded"),
        ifFailed: depNames(t, "if_failed"),
        reviews: t.reviews === null ? null : nameOf(t.reviews),
        maxRounds: t.maxRounds,
        summary: t.summary,
        outcome: t.outcome,
        reason: t.reason,
      })),
      artifacts: this.artifacts.filter((a) => a.sessionId === found.id).map((a) => ({ ...a })),
      agents: agentBriefs([...this.agents.values()].filter((a) => a.sessionId === found.id), tasks),
      cycles: this.coordinatorOf(found.id).cycles,
    };
  }

  async artifactList(session: string, task?: string): Promise<Artifact[]> {
    const found = this.find(session);
    const taskId = task === undefined ? null : this.findTask(task, found.id).id;
    return this.artifacts
      .filter((a) => a.sessionId === found.id && (taskId === null || a.taskId === taskId))
      .reverse()
      .map((a) => ({ ...a, body: "" }));
  }

  /** By substring rather than FTS5 words, newest first rather than by rank; bodies left out. */
  async artifactSearch(q: string, session?: string): Promise<ArtifactHit[]> {
    const words = searchWords(q);
    if (words.length === 0) throw new BackendError("invalid_input", "the search is empty; give words to look for");
    const sessionId = session === undefined ? null : this.find(session).id;
    const pool = [...this.artifacts].reverse().filter((a) => sessionId === null || a.sessionId === sessionId);
    return artifactSearch(pool, words, 50);
  }

  async artifactGet(id: string): Promise<Artifact> {
    const found = this.artifacts.find((a) => a.id === id);
    if (!found) {
      throw new BackendError("not_found", `no artifact has the id ${JSON.stringify(id)}; \`baton artifact list --session S\` lists them`);
    }
    return { ...found };
  }

  /**
   * Runs one cycle of the session's coordinator now, as the daemon's loop does every few
   * seconds (and a test hook): follow running tasks through their agents, move the graph on,
   * start ready tasks within the session's limit, mark agents, check the criteria. Its events
   * (tasks, agents, the cycle, and the session when complete) go out in one batch.
   */
  coordinatorCycle(idOrName: string): Cycle {
    const session = this.find(idOrName);
    const clock = Date.now();
    const startedAt = this.timestamp();
    const sum = summaryEmpty();
    const events: EngineEvent[] = [];
    const changed: string[] = [];
    for (const task of this.sessionTasks(session.id).filter((t) => t.state === "running")) {
      this.taskWatch(session, task, sum, changed, events);
    }
    changed.push(...this.tasksAdvance(session.id));

    // Ready tasks start, oldest first, within the session's limit.
    const limit = Math.max(1, session.settings.maxAgents ?? 3);
    let running = this.sessionTasks(session.id).filter((t) => t.state === "running").length;
    for (const task of this.sessionTasks(session.id).filter((t) => t.state === "ready")) {
      if (running >= limit) break;
      try {
        this.taskStart(session, task, changed, events);
        sum.started.push(task.name);
        running++;
      } catch (err) {
        const why = `it could not start: ${BackendError.from(err).message}. Fix that, then \`baton task retry ${task.name}\``;
        this.taskBlock(task, why, sum, changed);
      }
    }

    const tasks = this.sessionTasks(session.id);
    const agents = [...this.agents.values()].filter((a) => a.sessionId === session.id);
    this.agentsMark(session, tasks, agents, sum);
    const decisionsPending = this.contextOf(session.id).decisions.filter((d) => d.state === "pending").length;
    sum.criteria = criteriaCheck(tasks, agents, decisionsPending, running < limit);

    const list = this.cycles.get(session.id) ?? [];
    const cycle: Cycle = { n: (list.at(-1)?.n ?? 0) + 1, startedAt, durationMs: Date.now() - clock, summary: sum };
    list.push(cycle);
    this.cycles.set(session.id, list);
    events.push(...this.taskEvents(changed), { type: "coordinator_cycle", sessionId: session.id, cycle: cycleCopy(cycle) });
    if (sum.criteria.complete && session.coordinator === "running") {
      this.loopStop(session.id);
      events.push(...this.coordinatorSet(session.id, "complete"));
    }
    this.emit(events);
    return cycleCopy(cycle);
  }

  /** Test hook: stop every coordinator's timer (they stay recorded as running). */
  coordinatorsStop(): void {
    for (const id of [...this.loops.keys()]) this.loopStop(id);
  }

  /** Follows one running task through its agent: its turn over ends the work; an agent gone blocks it. */
  private taskWatch(session: Session, task: Task, sum: CycleSummary, changed: string[], events: EngineEvent[]): void {
    const agent = task.agentId ? this.agents.get(task.agentId) : undefined;
    if (!agent) {
      this.taskBlock(task, `its agent is gone. \`baton task retry ${task.name}\` starts it on a new agent`, sum, changed);
      return;
    }
    const turnOver = agent.turns > (this.taskTurns.get(task.id) ?? agent.turns);
    const ended = agent.state === "exited" || agent.state === "failed" || agent.state === "stopped";
    if (turnOver && (ended || agent.state === "waiting")) {
      sum.finished.push(task.name);
      this.turnEnded(session, task, agent, sum, changed, events);
    } else if (ended) {
      const how = agent.state === "stopped" ? "was stopped" : agent.exitCode !== null ? `exited with code ${agent.exitCode}` : "failed";
      const why =
        `its agent ${agent.name} ${how} before finishing its turn; what it did so far is in its worktree. ` +
        `\`baton task retry ${task.name}\` starts the task again (resuming ${agent.name} when its CLI can)`;
      this.taskBlock(task, why, sum, changed);
    }
  }

  /** The agent's turn on `task` is over: store what it left and move the task on. */
  private turnEnded(session: Session, task: Task, agent: Agent, sum: CycleSummary, changed: string[], events: EngineEvent[]): void {
    const turn = lastTurn(this.histories.get(agent.id) ?? []);
    if (task.reviews && !turn.isError) {
      this.reviewEnded(task, agent, turn.text, sum, changed, events);
      return;
    }
    const summary = summaryLine(turn.text, 120) || "(no answer)";
    const of = { sessionId: task.sessionId, taskId: task.id, agentId: agent.id, path: null };
    this.artifactAdd({ ...of, kind: turn.isError ? "text" : "markdown", title: `${task.name}: result`, summary, body: turn.text });
    const work = this.worktrees.get(agent.id);
    if (agent.worktree && !agent.worktree.removedAt && work) {
      const d = work.diff(true);
      if (d.files.length > 0) {
        const line = `${d.files.length} file${d.files.length === 1 ? "" : "s"} changed, +${d.additions} -${d.deletions}`;
        this.artifactAdd({ ...of, kind: "diff", title: `${task.name}: diff`, summary: line, body: d.patch ?? "" });
      }
    }
    if (turn.isError) {
      const outcome = `the agent's turn ended in an error: ${summaryLine(turn.text, 200)}`;
      this.taskSet(task.id, { state: "failed", summary, outcome }, changed);
      return;
    }
    const reviewed = this.sessionTasks(session.id).some((t) => t.reviews === task.id && !taskIsFinal(t.state));
    this.taskSet(task.id, { state: reviewed ? "review" : "done", summary, outcome: summary }, changed);
  }

  /** A reviewer answered: approve, send the work back with the findings, or block at the last round. */
  private reviewEnded(task: Task, agent: Agent, answer: string, sum: CycleSummary, changed: string[], events: EngineEvent[]): void {
    const of = { sessionId: task.sessionId, taskId: task.id, agentId: agent.id, path: null };
    const read = verdictParse(answer);
    if (!read.ok) {
      const id = this.artifactAdd({
        ...of,
        kind: "text",
        title: `${task.name}: answer without a verdict`,
        summary: summaryLine(answer, 120),
        body: answer,
      });
      const why =
        `the reviewer answered without a JSON verdict (${read.reason}); its answer is kept as artifact ${id}. ` +
        `Decide with \`baton complete ${task.name} done\` or \`failed\`, or \`baton task retry ${task.name}\``;
      this.taskBlock(task, why, sum, changed);
      return;
    }
    const verdict = read.verdict;
    const round = task.rounds + 1;
    const summary = `round ${round}: ${verdictSummary(verdict)}`;
    this.artifactAdd({ ...of, kind: "verdict", title: `${task.name}: verdict, round ${round}`, summary, body: verdictBody(verdict) });
    this.tasks.set(task.id, { ...this.tasks.get(task.id)!, rounds: round });
    const reviewed = task.reviews ? this.tasks.get(task.reviews) : undefined;
    if (!reviewed) {
      this.taskSet(task.id, { state: "done", summary, outcome: summary }, changed);
    } else if (verdict.verdict === "approve") {
      this.taskSet(reviewed.id, { state: "done", outcome: `approved by ${task.name} in round ${round}` }, changed);
      this.taskSet(task.id, { state: "done", summary, outcome: summary }, changed);
    } else if (round < task.maxRounds) {
      const back = reviewed.agentId ? this.agents.get(reviewed.agentId) : undefined;
      if (!back) {
        this.taskBlock(reviewed, "the review asks for changes but its agent is gone", sum, changed);
      } else {
        const message =
          `The reviewer requested changes (round ${round} of at most ${task.maxRounds}). Address every finding below ` +
          `in this worktree and commit your work.\n\n${findingsMarkdown(verdict.findings)}\n\n` +
          `(Also in .baton/context/${task.name}-findings.md.)`;
        this.taskAssign(reviewed.id, back, false, changed);
        events.push(...this.agentWork(back, message, { kind: "fix", round }));
        sum.sentBack.push(reviewed.name);
      }
      // The review waits for the new work, then runs again (on the same agent).
      this.taskSet(task.id, { state: "pending", summary }, changed);
    } else {
      this.taskSet(task.id, { state: "failed", summary, outcome: `changes still requested after ${round} rounds` }, changed);
      const why =
        `${task.name} still requests changes after ${round} rounds (findings in its verdict artifact). Accept the work ` +
        `with \`baton complete ${reviewed.name} done\`, give up with \`baton complete ${reviewed.name} failed\`, or ` +
        `\`baton task retry ${task.name}\` for another round`;
      this.taskBlock(reviewed, why, sum, changed);
    }
  }

  /** Gives a ready task to an agent: its previous one, an idle one of its role, or a new one. */
  private taskStart(session: Session, task: Task, changed: string[], events: EngineEvent[]): void {
    const tasks = this.sessionTasks(session.id);
    const prompt = handoffPrompt(task, tasks, this.artifacts);
    const cli = task.cli ?? session.settings.defaultCli ?? "claude";
    if (cli === "command") throw new BackendError("invalid_input", "a task runs on claude, codex or gemini, not on a command");
    const agents = [...this.agents.values()].filter((a) => a.sessionId === session.id);
    const resumable = (a: Agent) =>
      a.cli === cli && a.cliSessionId !== null && a.state !== "starting" && a.state !== "running" && a.state !== "needs_input";
    const taskOver = (a: Agent) => a.taskId === null || tasks.some((t) => t.id === a.taskId && taskIsFinal(t.state));
    const reuse =
      agents.find((a) => a.id === task.agentId && resumable(a)) ??
      (task.role === null ? undefined : agents.find((a) => a.role === task.role && resumable(a) && taskOver(a)));
    const work = fakeWorkOf(task);
    if (reuse) {
      const given = { ...reuse, taskId: task.id, role: task.role };
      this.agents.set(reuse.id, given);
      this.taskAssign(task.id, given, true, changed);
      events.push(...this.agentWork(given, prompt, work));
      return;
    }
    const taken = new Set(agents.map((a) => a.name));
    const base = task.role ?? task.name;
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
    const req: AgentSpawn = { session: session.id, cli, prompt, name, model: task.model, allowTools: [], program: [], cwd: null };
    const made = this.agentStart(req, { task, work });
    events.push(...made.events);
    this.taskAssign(task.id, made.agent, true, changed);
  }

  /** Sends an agent of the coordinator's its next work, as a message starts a turn. */
  private agentWork(agent: Agent, message: string, work: FakeWork): EngineEvent[] {
    if (agent.cli === "command") throw new BackendError("invalid_input", `agent ${agent.name} runs a program; it cannot take work`);
    const next = this.agentChange(agent.id, { state: "running" }, [{ kind: "user_text", text: message }]);
    this.agentPlay(agent.id, fakeWorkTurn(agent.cli, work, agent.turns + 1));
    return next.events;
  }

  /** Records that `agent` works on the task from now, its turn count being what it is now. */
  private taskAssign(taskId: string, agent: Agent, newAttempt: boolean, changed: string[]): void {
    const task = this.tasks.get(taskId)!;
    this.tasks.set(taskId, {
      ...task,
      state: "running",
      reason: null,
      agentId: agent.id,
      attempts: task.attempts + (newAttempt ? 1 : 0),
      updatedAt: this.timestamp(),
    });
    this.taskTurns.set(taskId, agent.turns);
    changed.push(taskId);
  }

  /** Moves a task on as the coordinator does (its fields, then its dependants). */
  private taskSet(taskId: string, fields: Partial<Task>, changed: string[]): void {
    const task = this.tasks.get(taskId)!;
    this.tasks.set(taskId, { ...task, reason: null, ...fields, updatedAt: this.timestamp() });
    changed.push(taskId, ...this.tasksAdvance(task.sessionId));
  }

  private taskBlock(task: Task, why: string, sum: CycleSummary, changed: string[]): void {
    sum.blocked.push(task.name);
    this.taskSet(task.id, { state: "blocked", reason: why }, changed);
  }

  /** Marks agents running, stalled (silent longer than the session's stall time), waiting or idle. */
  private agentsMark(session: Session, tasks: readonly Task[], agents: readonly Agent[], sum: CycleSummary): void {
    const stallMs = (session.settings.stallSecs ?? 300) * 1000;
    const now = this.now().getTime();
    for (const a of agents) {
      const working = a.taskId !== null && tasks.some((t) => t.id === a.taskId && !taskIsFinal(t.state));
      if (a.state === "needs_input") {
        sum.waiting.push(a.name);
      } else if (a.state === "starting" || a.state === "running") {
        const last = parseTimestamp(a.lastEventAt ?? a.updatedAt);
        if (!Number.isNaN(last) && now - last >= stallMs) sum.stalled.push(a.name);
        else sum.running.push(a.name);
      } else if (a.state === "waiting" && !working) {
        sum.idle.push(a.name);
      }
    }
  }

  private artifactAdd(fields: Omit<Artifact, "id" | "createdAt">): string {
    const id = `fake-art-${String(this.nextId++).padStart(4, "0")}`;
    this.artifacts.push({ ...fields, id, createdAt: this.timestamp() });
    return id;
  }

  /** The session's coordinator state changes (its `updatedAt` too, as the daemon records it). */
  private coordinatorSet(sessionId: string, state: CoordinatorState): EngineEvent[] {
    const next: Session = { ...this.sessions.get(sessionId)!, coordinator: state, updatedAt: this.timestamp() };
    this.sessions.set(sessionId, next);
    return [{ type: "session_updated", session: { ...next } }];
  }

  private coordinatorOf(sessionId: string): CoordinatorStatus {
    const last = this.cycles.get(sessionId)?.at(-1) ?? null;
    return {
      sessionId,
      state: this.sessions.get(sessionId)!.coordinator,
      cycles: last?.n ?? 0,
      last: last ? cycleCopy(last) : null,
    };
  }

  /** The next cycle of a running coordinator, after `delayMs` (none when cycles are the tests' to run). */
  private loopSchedule(sessionId: string, delayMs: number): void {
    if (this.coordinatorCycleMs === null) return;
    this.loopStop(sessionId);
    const timer = setTimeout(() => {
      this.loops.delete(sessionId);
      const session = this.sessions.get(sessionId);
      if (session?.coordinator !== "running") return;
      this.coordinatorCycle(sessionId);
      const next = this.sessions.get(sessionId);
      if (next?.coordinator === "running") {
        this.loopSchedule(sessionId, next.settings.cycleSecs ? next.settings.cycleSecs * 1000 : this.coordinatorCycleMs!);
      }
    }, delayMs);
    this.loops.set(sessionId, timer);
  }

  private loopStop(sessionId: string): void {
    const timer = this.loops.get(sessionId);
    if (timer !== undefined) clearTimeout(timer);
    this.loops.delete(sessionId);
  }

  private contextOf(sessionId: string): FakeContext {
    let context = this.contexts.get(sessionId);
    if (!context) {
      context = { objectives: [], decisions: [], insights: [] };
      this.contexts.set(sessionId, context);
    }
    return context;
  }

  private contextCopy(sessionId: string): FakeContext {
    const c = this.contextOf(sessionId);
    return {
      objectives: c.objectives.map((o) => ({ ...o })),
      decisions: c.decisions.map((d) => ({ ...d })),
      insights: c.insights.map((i) => ({ ...i })),
    };
  }

  private contextId(prefix: "obj" | "ins" | "dec"): string {
    return `fake-${prefix}-${String(this.nextId++).padStart(4, "0")}`;
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
    let reviews: string | null = null;
    const reviewed = req.reviews?.trim();
    if (reviewed) {
      let found: Task;
      try {
        found = this.findTask(reviewed, session.id);
      } catch {
        throw new BackendError("invalid_input", `task "${name}" depends on "${reviewed}", which is not a task of this session or graph`);
      }
      if (!deps.some((d) => d.taskId === found.id && d.kind === "after")) {
        throw new BackendError(
          "invalid_input",
          `${name} reviews ${reviewed} but does not run after it; add ${reviewed} to its \`after\` dependencies`,
        );
      }
      reviews = found.id;
    }
    if (req.maxRounds === 0) throw new BackendError("invalid_input", "max rounds must be at least 1");
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
      reviews,
      maxRounds: req.maxRounds ?? 3,
      rounds: 0,
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
          if (!dep) return [];
          // Work in review is done for its reviewer; the others wait for approval.
          const state = dep.state === "review" && t.reviews === dep.id ? "done" : dep.state;
          return [depStatus(d.kind, dep.name, state)];
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
    if (work && filesChanged) out.push({ type: "agent_changes", agentId: agentId, files: work.changes() });
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

function cycleCopy(cycle: Cycle): Cycle {
  return structuredClone(cycle);
}

/** A new session's settings: every one at its default. */
function settingsDefault(): SessionSettings {
  return {
    allowTools: [],
    branchPattern: null,
    setupCommand: null,
    maxAgents: null,
    defaultCli: null,
    autoMerge: false,
    cycleSecs: null,
    stallSecs: null,
  };
}

/** Agents as a status lists them, with the name of the task each works on. */
function agentBriefs(agents: readonly Agent[], tasks: readonly Task[]): AgentBrief[] {
  return agents.map((a) => ({
    id: a.id,
    name: a.name,
    cli: a.cli,
    role: a.role,
    state: a.state,
    task: a.taskId === null ? null : (tasks.find((t) => t.id === a.taskId)?.name ?? null),
    costUsd: a.costUsd,
  }));
}

/** A text to record in a session's context, trimmed; empty is refused as the daemon does. */
function textCheck(text: string): string {
  const trimmed = text.trim();
  if (trimmed === "") throw new BackendError("invalid_input", "the text is empty; say what to record");
  return trimmed;
}

function contextNotFound(what: "objective" | "decision", id: string): BackendError {
  return new BackendError("not_found", `no ${what} has the id ${JSON.stringify(id)} in this session`);
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
      settings: { ...settingsDefault(), setupCommand: "npm ci" },
      parentSessionId: null,
      coordinator: "off",
      createdAt: at(50),
      updatedAt: at(2),
    },
    {
      id: "demo-0002",
      name: "docs-typos",
      repo: "/home/dev/src/website",
      baseBranch: "main",
      state: "archived",
      settings: settingsDefault(),
      parentSessionId: null,
      coordinator: "off",
      createdAt: at(30),
      updatedAt: at(20),
    },
    {
      id: "demo-0003",
      name: "flaky-ci",
      repo: "/home/dev/src/baton",
      baseBranch: "develop",
      state: "active",
      settings: settingsDefault(),
      parentSessionId: null,
      coordinator: "off",
      createdAt: at(1),
      updatedAt: at(1),
    },
  ];
}

/**
 * The fake of `?fake=demo`: sample sessions, agents of every kind (one at work), a task graph,
 * and a paused coordinator with its artifacts, context and last cycles.
 */
export function demoBackend(now: Date = new Date()): FakeBackend {
  const sessions = demoSessions(now);
  const demo = demoAgents(sessions, now);
  const coordination = demoCoordination(sessions, now);
  const backend = new FakeBackend({
    sessions,
    agents: demo.agents,
    agentEvents: demo.events,
    worktreeFiles: demo.worktreeFiles,
    tasks: demoTasks(sessions, now),
    ...coordination,
  });
  backend.agentPlay(demo.live.agentId, demo.live.steps, 1_200);
  return backend;
}
