// The daemon's API as TypeScript, generated from crates/baton-daemon/src/ops/table.rs by
// `make bindings`. Do not edit: change the declaration and regenerate.

import type { Agent } from "../bindings/Agent";
import type { AgentApprove } from "../bindings/AgentApprove";
import type { AgentDiffQuery } from "../bindings/AgentDiffQuery";
import type { AgentEventRecord } from "../bindings/AgentEventRecord";
import type { AgentEventsQuery } from "../bindings/AgentEventsQuery";
import type { AgentListQuery } from "../bindings/AgentListQuery";
import type { AgentMessage } from "../bindings/AgentMessage";
import type { AgentRemoveQuery } from "../bindings/AgentRemoveQuery";
import type { AgentSpawn } from "../bindings/AgentSpawn";
import type { AgentWaitQuery } from "../bindings/AgentWaitQuery";
import type { Alert } from "../bindings/Alert";
import type { AlertListQuery } from "../bindings/AlertListQuery";
import type { Artifact } from "../bindings/Artifact";
import type { ArtifactCreate } from "../bindings/ArtifactCreate";
import type { ArtifactHit } from "../bindings/ArtifactHit";
import type { ArtifactListQuery } from "../bindings/ArtifactListQuery";
import type { ArtifactSearchQuery } from "../bindings/ArtifactSearchQuery";
import type { AttentionSummary } from "../bindings/AttentionSummary";
import type { BranchStatus } from "../bindings/BranchStatus";
import type { BudgetSet } from "../bindings/BudgetSet";
import type { ChangedFile } from "../bindings/ChangedFile";
import type { Checkpoint } from "../bindings/Checkpoint";
import type { CliDetectQuery } from "../bindings/CliDetectQuery";
import type { CliDetection } from "../bindings/CliDetection";
import type { ContextDoc } from "../bindings/ContextDoc";
import type { ContextImport } from "../bindings/ContextImport";
import type { ContextText } from "../bindings/ContextText";
import type { CoordinatorBecame } from "../bindings/CoordinatorBecame";
import type { CoordinatorBecome } from "../bindings/CoordinatorBecome";
import type { CoordinatorStatus } from "../bindings/CoordinatorStatus";
import type { Cycle } from "../bindings/Cycle";
import type { CyclesQuery } from "../bindings/CyclesQuery";
import type { DaemonHealth } from "../bindings/DaemonHealth";
import type { DaemonStopQuery } from "../bindings/DaemonStopQuery";
import type { Decision } from "../bindings/Decision";
import type { EditorOpen } from "../bindings/EditorOpen";
import type { EditorOpened } from "../bindings/EditorOpened";
import type { EditorsDetected } from "../bindings/EditorsDetected";
import type { EngineEvent } from "../bindings/EngineEvent";
import type { GcReport } from "../bindings/GcReport";
import type { HealthAgentsQuery } from "../bindings/HealthAgentsQuery";
import type { HealthReport } from "../bindings/HealthReport";
import type { HealthSample } from "../bindings/HealthSample";
import type { InboxItem } from "../bindings/InboxItem";
import type { InboxMessage } from "../bindings/InboxMessage";
import type { InboxTake } from "../bindings/InboxTake";
import type { Insight } from "../bindings/Insight";
import type { InterruptedResume } from "../bindings/InterruptedResume";
import type { MergeReport } from "../bindings/MergeReport";
import type { MergeRequest } from "../bindings/MergeRequest";
import type { Objective } from "../bindings/Objective";
import type { ObjectiveUpdate } from "../bindings/ObjectiveUpdate";
import type { PatternGraph } from "../bindings/PatternGraph";
import type { PatternInfo } from "../bindings/PatternInfo";
import type { PatternRun } from "../bindings/PatternRun";
import type { PatternShowQuery } from "../bindings/PatternShowQuery";
import type { PauseReport } from "../bindings/PauseReport";
import type { PolicyRead } from "../bindings/PolicyRead";
import type { PolicyUpdate } from "../bindings/PolicyUpdate";
import type { PolicyWrite } from "../bindings/PolicyWrite";
import type { Promotion } from "../bindings/Promotion";
import type { PushReport } from "../bindings/PushReport";
import type { PushRequest } from "../bindings/PushRequest";
import type { Report } from "../bindings/Report";
import type { ReportQuery } from "../bindings/ReportQuery";
import type { ReportSave } from "../bindings/ReportSave";
import type { ReportSaved } from "../bindings/ReportSaved";
import type { RestoreReport } from "../bindings/RestoreReport";
import type { SamplesQuery } from "../bindings/SamplesQuery";
import type { Selection } from "../bindings/Selection";
import type { Session } from "../bindings/Session";
import type { SessionBudgets } from "../bindings/SessionBudgets";
import type { SessionCreate } from "../bindings/SessionCreate";
import type { SessionHealth } from "../bindings/SessionHealth";
import type { SessionStatus } from "../bindings/SessionStatus";
import type { SessionUpdate } from "../bindings/SessionUpdate";
import type { SettingsRead } from "../bindings/SettingsRead";
import type { SettingsUpdate } from "../bindings/SettingsUpdate";
import type { Task } from "../bindings/Task";
import type { TaskComplete } from "../bindings/TaskComplete";
import type { TaskCreate } from "../bindings/TaskCreate";
import type { TaskListQuery } from "../bindings/TaskListQuery";
import type { TaskPick } from "../bindings/TaskPick";
import type { TerminalInfo } from "../bindings/TerminalInfo";
import type { TerminalInput } from "../bindings/TerminalInput";
import type { TerminalListQuery } from "../bindings/TerminalListQuery";
import type { TerminalOpen } from "../bindings/TerminalOpen";
import type { TerminalResize } from "../bindings/TerminalResize";
import type { UpdateReport } from "../bindings/UpdateReport";
import type { UpdateRequest } from "../bindings/UpdateRequest";
import type { Wizard } from "../bindings/Wizard";
import type { WizardLaunch } from "../bindings/WizardLaunch";
import type { WizardLaunched } from "../bindings/WizardLaunched";
import type { WizardListQuery } from "../bindings/WizardListQuery";
import type { WizardPatternSave } from "../bindings/WizardPatternSave";
import type { WizardPlanSet } from "../bindings/WizardPlanSet";
import type { WizardReply } from "../bindings/WizardReply";
import type { WizardStart } from "../bindings/WizardStart";
import type { WorktreeDiff } from "../bindings/WorktreeDiff";
import type { WorktreesGc } from "../bindings/WorktreesGc";
import type { WorktreesUsage } from "../bindings/WorktreesUsage";

export type Method = "GET" | "POST" | "PATCH" | "DELETE";

/** How the client reaches the engine: one call, and one subscription to its events. */
export interface Transport {
  /** Sends one call; rejects with the daemon's `{code, message}` as a BackendError. */
  call<T>(method: Method, path: string, query: object | undefined, body: unknown): Promise<T>;
  /**
   * Receives engine events in batches; `onStatus(true)` once the stream is live and after every
   * reconnect (reload what is shown then), `onStatus(false)` when it drops. Returns unsubscribe.
   */
  subscribe(onBatch: (events: EngineEvent[]) => void, onStatus?: (connected: boolean) => void): () => void;
}

/** Every operation of the daemon, one method each. */
export class Api {
  constructor(readonly transport: Transport) {}

  subscribe(onBatch: (events: EngineEvent[]) => void, onStatus?: (connected: boolean) => void): () => void {
    return this.transport.subscribe(onBatch, onStatus);
  }

  /** The daemon's version, pid, home and start time, and the number of active sessions. */
  health(): Promise<DaemonHealth> {
    return this.transport.call("GET", `/api/health`, undefined, undefined);
  }

  /** Asks the daemon to stop: agents are stopped, running coordinators resume with the next daemon. Refused while agents work, naming them, unless `force`; those it then interrupts are listed by the next daemon (`agents_interrupted`). */
  daemonStop(query: DaemonStopQuery): Promise<null> {
    return this.transport.call("POST", `/api/daemon/stop`, query, undefined);
  }

  /** The settings in effect (the file's values, defaults for the rest), the defaults, and the path of `settings.json`. */
  settingsGet(): Promise<SettingsRead> {
    return this.transport.call("GET", `/api/settings`, undefined, undefined);
  }

  /** Changes the settings with a JSON merge patch (`null` removes a field), checked as the file is read and written atomically; the next use (a spawn, a collection) reads them. */
  settingsUpdate(body: SettingsUpdate): Promise<SettingsRead> {
    return this.transport.call("PATCH", `/api/settings`, undefined, body);
  }

  /** Each agent CLI (or `cli`): the program Baton would run, where it resolves, its `--version`, or what is wrong and how to fix it. */
  settingsClisDetect(query: CliDetectQuery): Promise<Array<CliDetection>> {
    return this.transport.call("GET", `/api/settings/clis`, query, undefined);
  }

  /** The editors found on this machine (terminal ones when a terminal emulator exists). */
  settingsEditorsDetect(): Promise<EditorsDetected> {
    return this.transport.call("GET", `/api/settings/editors`, undefined, undefined);
  }

  /** Opens a folder (a worktree) in the editor of the settings, started by the daemon. */
  editorOpen(body: EditorOpen): Promise<EditorOpened> {
    return this.transport.call("POST", `/api/editor/open`, undefined, body);
  }

  /** Every session, newest first, archived ones included. */
  sessionList(): Promise<Array<Session>> {
    return this.transport.call("GET", `/api/sessions`, undefined, undefined);
  }

  /** Makes a session for a git repository (`repo`), optionally named, optionally the child of another. */
  sessionCreate(body: SessionCreate): Promise<Session> {
    return this.transport.call("POST", `/api/sessions`, undefined, body);
  }

  /** A session by id or name. */
  sessionGet(id: string): Promise<Session> {
    return this.transport.call("GET", `/api/sessions/${encodeURIComponent(String(id))}`, undefined, undefined);
  }

  /** Renames, archives or unarchives a session, or changes its settings (fields left `null` stay as they are). */
  sessionUpdate(id: string, body: SessionUpdate): Promise<Session> {
    return this.transport.call("PATCH", `/api/sessions/${encodeURIComponent(String(id))}`, undefined, body);
  }

  /** Objectives, decisions, insights, tasks by state, agents and cost: the session at a glance. */
  sessionStatus(id: string): Promise<SessionStatus> {
    return this.transport.call("GET", `/api/sessions/${encodeURIComponent(String(id))}/status`, undefined, undefined);
  }

  /** The session's policy: allowed and denied tools, denied command patterns, the environment allowlist and sandbox on/off, as in effect and as the file's text (written with the commented defaults if missing). */
  policyShow(id: string): Promise<PolicyRead> {
    return this.transport.call("GET", `/api/sessions/${encodeURIComponent(String(id))}/policy`, undefined, undefined);
  }

  /** Replaces the session's policy file; a text that breaks a rule is refused with its line and field, and the file stays as it was. */
  policyWrite(id: string, body: PolicyWrite): Promise<PolicyRead> {
    return this.transport.call("POST", `/api/sessions/${encodeURIComponent(String(id))}/policy`, undefined, body);
  }

  /** Changes one setting of the session's policy file in place (sandbox on or off), its comments kept. */
  policyUpdate(id: string, body: PolicyUpdate): Promise<PolicyRead> {
    return this.transport.call("PATCH", `/api/sessions/${encodeURIComponent(String(id))}/policy`, undefined, body);
  }

  /** The session's budget and each of its agents': limits (cost, tokens, wall and CPU minutes) and use so far, with what is over or near (80%). */
  budgetShow(id: string): Promise<SessionBudgets> {
    return this.transport.call("GET", `/api/sessions/${encodeURIComponent(String(id))}/budget`, undefined, undefined);
  }

  /** Sets limits of the session's budget, or of one of its agents' (`agent`): fields left out stay, 0 removes a limit. An agent paused by a budget continues with `agent_resume`. */
  budgetSet(id: string, body: BudgetSet): Promise<SessionBudgets> {
    return this.transport.call("POST", `/api/sessions/${encodeURIComponent(String(id))}/budget`, undefined, body);
  }

  /** Continues an agent a budget paused, once neither its budget nor its session's is used up (refused with what is still over); messages kept meanwhile go to it. */
  agentResume(id: string): Promise<Agent> {
    return this.transport.call("POST", `/api/agents/${encodeURIComponent(String(id))}/resume`, undefined, undefined);
  }

  /** A report of the session: goal and objectives, outcome, a timeline of tasks and agents, cost and tokens per agent, task and CLI, review rounds with their verdicts, decisions, insights, artifacts, merges and alerts; as Markdown (`format=md`, the default) or one self-contained HTML page (`format=html`), the document in `text`. */
  sessionReport(id: string, query: ReportQuery): Promise<Report> {
    return this.transport.call("GET", `/api/sessions/${encodeURIComponent(String(id))}/report`, query, undefined);
  }

  /** Writes the session's report to a file (an absolute path, replaced when it exists). */
  sessionReportSave(id: string, body: ReportSave): Promise<ReportSaved> {
    return this.transport.call("POST", `/api/sessions/${encodeURIComponent(String(id))}/report`, undefined, body);
  }

  /** What needs the user in every active session, oldest first: tools agents wait on, failed and blocked tasks, approved work not merged yet, pending decisions. */
  inbox(): Promise<Array<InboxItem>> {
    return this.transport.call("GET", `/api/inbox`, undefined, undefined);
  }

  /** What the tray shows: the worst state (all well, needs you, failed), one line ("3 working, 1 needs you, $2.14 today"), each thing that needs the user with the app's address of it, and whether everything is paused. */
  attention(): Promise<AttentionSummary> {
    return this.transport.call("GET", `/api/attention`, undefined, undefined);
  }

  /** Starts (or resumes) the session's coordinator: cycle after cycle it starts ready tasks on agents, follows them, stores what they leave as artifacts, runs reviews and checks the completion criteria. */
  coordinatorRun(id: string): Promise<CoordinatorStatus> {
    return this.transport.call("POST", `/api/sessions/${encodeURIComponent(String(id))}/run`, undefined, undefined);
  }

  /** Stops the coordinator: running agents go on, ready tasks wait. */
  coordinatorPause(id: string): Promise<CoordinatorStatus> {
    return this.transport.call("POST", `/api/sessions/${encodeURIComponent(String(id))}/pause`, undefined, undefined);
  }

  /** The coordinator's state, cycle count and last cycle. */
  coordinatorStatus(id: string): Promise<CoordinatorStatus> {
    return this.transport.call("GET", `/api/sessions/${encodeURIComponent(String(id))}/coordinator`, undefined, undefined);
  }

  /** The session's newest cycles, newest first. */
  coordinatorCycles(id: string, query: CyclesQuery): Promise<Array<Cycle>> {
    return this.transport.call("GET", `/api/sessions/${encodeURIComponent(String(id))}/cycles`, query, undefined);
  }

  /** Makes the agent's conversation its session's coordinator (replacing any other): it is sent the coordinator's instructions, then told what changes after each cycle of Baton's loop. */
  coordinatorPromote(id: string): Promise<Promotion> {
    return this.transport.call("POST", `/api/agents/${encodeURIComponent(String(id))}/promote`, undefined, undefined);
  }

  /** Makes the conversation this is called from (the user's own CLI, which Baton does not run) the coordinator of the repository's session, made if there is none: recorded as an agent of the session, it is answered with the coordinator's instructions. */
  coordinatorBecome(body: CoordinatorBecome): Promise<CoordinatorBecame> {
    return this.transport.call("POST", `/api/coordinator/become`, undefined, body);
  }

  /** The messages kept for an agent, oldest first (Baton's news, teammates' and the user's messages), waiting up to `timeout` seconds (default 60, at most 600) for one to come: how a coordinator Baton does not run hears of each change. Empty when none came. */
  agentInboxTake(id: string, body: InboxTake): Promise<Array<InboxMessage>> {
    return this.transport.call("POST", `/api/agents/${encodeURIComponent(String(id))}/inbox/take`, undefined, body);
  }

  /** Ends the agent's role as its session's coordinator: Baton's loop stops sending it the changes. */
  coordinatorDemote(id: string): Promise<Session> {
    return this.transport.call("POST", `/api/agents/${encodeURIComponent(String(id))}/demote`, undefined, undefined);
  }

  /** Records an objective (open). */
  objectiveAdd(id: string, body: ContextText): Promise<Objective> {
    return this.transport.call("POST", `/api/sessions/${encodeURIComponent(String(id))}/objectives`, undefined, body);
  }

  /** Marks an objective open, done or dropped. */
  objectiveSet(id: string, oid: string, body: ObjectiveUpdate): Promise<Objective> {
    return this.transport.call("POST", `/api/sessions/${encodeURIComponent(String(id))}/objectives/${encodeURIComponent(String(oid))}`, undefined, body);
  }

  /** Records an insight worth keeping. */
  insightAdd(id: string, body: ContextText): Promise<Insight> {
    return this.transport.call("POST", `/api/sessions/${encodeURIComponent(String(id))}/insights`, undefined, body);
  }

  /** Records a question the session waits on: the coordinator is not complete while one is pending. */
  decisionAdd(id: string, body: ContextText): Promise<Decision> {
    return this.transport.call("POST", `/api/sessions/${encodeURIComponent(String(id))}/decisions`, undefined, body);
  }

  /** Answers a pending decision. */
  decisionAnswer(id: string, did: string, body: ContextText): Promise<Decision> {
    return this.transport.call("POST", `/api/sessions/${encodeURIComponent(String(id))}/decisions/${encodeURIComponent(String(did))}/answer`, undefined, body);
  }

  /** The session's context as one document: objectives, decisions, insights, tasks, artifacts. */
  contextExport(id: string): Promise<ContextDoc> {
    return this.transport.call("GET", `/api/sessions/${encodeURIComponent(String(id))}/context`, undefined, undefined);
  }

  /** Makes a new session from an exported context document, all at once or not at all. */
  contextImport(body: ContextImport): Promise<Session> {
    return this.transport.call("POST", `/api/context/import`, undefined, body);
  }

  /** The agents of one session (id or name), or of every session. Removed agents are listed too (archived, flagged by `archivedAt`), unless `archived: false`. */
  agentList(query: AgentListQuery): Promise<Array<Agent>> {
    return this.transport.call("GET", `/api/agents`, query, undefined);
  }

  /** Starts an agent in its own worktree; it works on in the daemon, its progress arrives as events. */
  agentSpawn(body: AgentSpawn): Promise<Agent> {
    return this.transport.call("POST", `/api/agents`, undefined, body);
  }

  /** An agent by id or name. */
  agentGet(id: string): Promise<Agent> {
    return this.transport.call("GET", `/api/agents/${encodeURIComponent(String(id))}`, undefined, undefined);
  }

  /** Stops the agent, removes its worktree (its branch stays) and archives it: its record, history and cost are kept. Refused while the worktree holds uncommitted work, unless `force`. */
  agentRemove(id: string, query: AgentRemoveQuery): Promise<Agent> {
    return this.transport.call("DELETE", `/api/agents/${encodeURIComponent(String(id))}`, query, undefined);
  }

  /** A page of the agent's history, oldest first: after `after` (a seq, exclusive), or the newest events before `before` (a lane opens on the last page, then reads back). */
  agentEvents(id: string, query: AgentEventsQuery): Promise<Array<AgentEventRecord>> {
    return this.transport.call("GET", `/api/agents/${encodeURIComponent(String(id))}/events`, query, undefined);
  }

  /** Sends the agent a message (`from`: another agent of its session, else the user): at once if it waits, else kept and delivered when its current turn ends. */
  agentSend(id: string, body: AgentMessage): Promise<Agent> {
    return this.transport.call("POST", `/api/agents/${encodeURIComponent(String(id))}/messages`, undefined, body);
  }

  /** Allows a denied tool (`always`: for every agent of the session from now on) and lets the agent go on. */
  agentApprove(id: string, body: AgentApprove): Promise<Agent> {
    return this.transport.call("POST", `/api/agents/${encodeURIComponent(String(id))}/approve`, undefined, body);
  }

  /** Refuses a denied tool; the agent is told and goes on without it. */
  agentDeny(id: string, body: AgentApprove): Promise<Agent> {
    return this.transport.call("POST", `/api/agents/${encodeURIComponent(String(id))}/deny`, undefined, body);
  }

  /** Waits until the agent's turn ends (or `timeout` seconds pass, default 60, at most 600) and answers with the agent: its `state` says whether it is waiting, needs input, failed or still works. */
  agentWait(id: string, query: AgentWaitQuery): Promise<Agent> {
    return this.transport.call("GET", `/api/agents/${encodeURIComponent(String(id))}/wait`, query, undefined);
  }

  /** Stops the agent: SIGINT, then SIGTERM, then SIGKILL to its process group. */
  agentStop(id: string): Promise<Agent> {
    return this.transport.call("POST", `/api/agents/${encodeURIComponent(String(id))}/stop`, undefined, undefined);
  }

  /** The files changed in the agent's worktree now (uncommitted and untracked). */
  agentChanges(id: string): Promise<Array<ChangedFile>> {
    return this.transport.call("GET", `/api/agents/${encodeURIComponent(String(id))}/changes`, undefined, undefined);
  }

  /** The agent's work against its base branch (`patch: false` for the stats only). */
  agentDiff(id: string, query: AgentDiffQuery): Promise<WorktreeDiff> {
    return this.transport.call("GET", `/api/agents/${encodeURIComponent(String(id))}/diff`, query, undefined);
  }

  /** The saved states of the agent's worktree, oldest first. */
  agentCheckpoints(id: string): Promise<Array<Checkpoint>> {
    return this.transport.call("GET", `/api/agents/${encodeURIComponent(String(id))}/checkpoints`, undefined, undefined);
  }

  /** Brings back checkpoint `n`; the state before is saved first, so a restore can be undone. */
  agentRestore(id: string, n: number): Promise<RestoreReport> {
    return this.transport.call("POST", `/api/agents/${encodeURIComponent(String(id))}/checkpoints/${encodeURIComponent(String(n))}/restore`, undefined, undefined);
  }

  /** Merges the agent's work into a branch, or (`dryRun`) says what would happen. A merge is refused, changing nothing, when files conflict, the target is checked out with uncommitted changes, or the agent is working. */
  agentMerge(id: string, body: MergeRequest): Promise<MergeReport> {
    return this.transport.call("POST", `/api/agents/${encodeURIComponent(String(id))}/merge`, undefined, body);
  }

  /** How many commits the agent's branch is behind and ahead of the session's base branch, and an update from the base stopped on conflicts, if one is. */
  agentBranch(id: string): Promise<BranchStatus> {
    return this.transport.call("GET", `/api/agents/${encodeURIComponent(String(id))}/branch`, undefined, undefined);
  }

  /** Brings the session's base branch into the agent's branch (`mode`: rebase or merge) in its worktree. Refused while the agent works or its worktree has uncommitted changes; conflicts are listed and left to resolve, or to abort. */
  agentUpdate(id: string, body: UpdateRequest): Promise<UpdateReport> {
    return this.transport.call("POST", `/api/agents/${encodeURIComponent(String(id))}/update`, undefined, body);
  }

  /** Abandons an update from the base stopped on conflicts: the branch goes back to how it was. */
  agentUpdateAbort(id: string): Promise<BranchStatus> {
    return this.transport.call("POST", `/api/agents/${encodeURIComponent(String(id))}/update/abort`, undefined, undefined);
  }

  /** Pushes the agent's branch to the repository's remote and (`pullRequest`) opens a pull request with the GitHub CLI, which must be installed and logged in. */
  agentPush(id: string, body: PushRequest): Promise<PushReport> {
    return this.transport.call("POST", `/api/agents/${encodeURIComponent(String(id))}/push`, undefined, body);
  }

  /** Where Baton keeps worktrees and the disk they use. */
  worktreesUsage(): Promise<WorktreesUsage> {
    return this.transport.call("GET", `/api/worktrees`, undefined, undefined);
  }

  /** Removes finished agents' old worktrees and merged branches (`dryRun`: says which). Never removes uncommitted work or a branch with unmerged commits. */
  worktreesGc(body: WorktreesGc): Promise<GcReport> {
    return this.transport.call("POST", `/api/worktrees/gc`, undefined, body);
  }

  /** The task graph of one session (id or name), oldest task first. */
  taskList(query: TaskListQuery): Promise<Array<Task>> {
    return this.transport.call("GET", `/api/tasks`, query, undefined);
  }

  /** Adds a task; its dependencies (ids or names) must be tasks of the same session. */
  taskAdd(body: TaskCreate): Promise<Task> {
    return this.transport.call("POST", `/api/tasks`, undefined, body);
  }

  /** A task by id, or by name (the newest of that name). */
  taskGet(id: string): Promise<Task> {
    return this.transport.call("GET", `/api/tasks/${encodeURIComponent(String(id))}`, undefined, undefined);
  }

  /** Ends a task as done or failed; its dependants move on. */
  taskComplete(id: string, body: TaskComplete): Promise<Task> {
    return this.transport.call("POST", `/api/tasks/${encodeURIComponent(String(id))}/complete`, undefined, body);
  }

  /** The recovery action for a blocked or failed task: it becomes ready again. */
  taskRetry(id: string): Promise<Task> {
    return this.transport.call("POST", `/api/tasks/${encodeURIComponent(String(id))}/retry`, undefined, undefined);
  }

  /** What a select or vote task chose among: each candidate's check, diff, vote and score, and why. */
  taskCandidates(id: string): Promise<Selection> {
    return this.transport.call("GET", `/api/tasks/${encodeURIComponent(String(id))}/candidates`, undefined, undefined);
  }

  /** Picks a candidate (or a vote's choice) instead of the engine's; the task is done with it. */
  taskPick(id: string, body: TaskPick): Promise<Selection> {
    return this.transport.call("POST", `/api/tasks/${encodeURIComponent(String(id))}/pick`, undefined, body);
  }

  /** The patterns (templates) the daemon knows: the built-in ones and the user's own. */
  patternList(): Promise<Array<PatternInfo>> {
    return this.transport.call("GET", `/api/patterns`, undefined, undefined);
  }

  /** A pattern's graph (tasks, fan-outs with their count, dependencies), with `--set` changes. */
  patternShow(name: string, query: PatternShowQuery): Promise<PatternGraph> {
    return this.transport.call("GET", `/api/patterns/${encodeURIComponent(String(name))}`, query, undefined);
  }

  /** Adds the pattern's tasks to the session for a goal, all at once or not at all, and records the goal as an objective of the session. */
  patternRun(name: string, body: PatternRun): Promise<Array<Task>> {
    return this.transport.call("POST", `/api/patterns/${encodeURIComponent(String(name))}/run`, undefined, body);
  }

  /** Starts a wizard for a goal: reads the repository's facts and answers with the first question. With the `agent` engine it starts the planner agent and answers at once, the planner thinking; its first question comes as a `wizard_updated` event. */
  wizardStart(body: WizardStart): Promise<Wizard> {
    return this.transport.call("POST", `/api/wizards`, undefined, body);
  }

  /** A session's wizards (drafts, launched and discarded), newest first. */
  wizardList(query: WizardListQuery): Promise<Array<Wizard>> {
    return this.transport.call("GET", `/api/wizards`, query, undefined);
  }

  /** A wizard with its facts, answers, next question or plan. */
  wizardGet(id: string): Promise<Wizard> {
    return this.transport.call("GET", `/api/wizards/${encodeURIComponent(String(id))}`, undefined, undefined);
  }

  /** Answers the current question (labels or 1-based numbers, a text, a number; none takes the recommended answer); answers with the next question or the plan. */
  wizardAnswer(id: string, body: WizardReply): Promise<Wizard> {
    return this.transport.call("POST", `/api/wizards/${encodeURIComponent(String(id))}/answer`, undefined, body);
  }

  /** Goes back to the question answered last. */
  wizardBack(id: string): Promise<Wizard> {
    return this.transport.call("POST", `/api/wizards/${encodeURIComponent(String(id))}/back`, undefined, undefined);
  }

  /** Replaces the plan with an edited one, checked as templates are. */
  wizardPlanSet(id: string, body: WizardPlanSet): Promise<Wizard> {
    return this.transport.call("PATCH", `/api/wizards/${encodeURIComponent(String(id))}/plan`, undefined, body);
  }

  /** Adds the plan's tasks, the goal as an objective and the answers as decisions, in one transaction; `run` then starts the coordinator. A wizard launches once. */
  wizardLaunch(id: string, body: WizardLaunch): Promise<WizardLaunched> {
    return this.transport.call("POST", `/api/wizards/${encodeURIComponent(String(id))}/launch`, undefined, body);
  }

  /** Discards a draft. */
  wizardDiscard(id: string): Promise<Wizard> {
    return this.transport.call("DELETE", `/api/wizards/${encodeURIComponent(String(id))}`, undefined, undefined);
  }

  /** Saves the plan as a user pattern (`$BATON_HOME/templates/NAME.toml`). */
  wizardSavePattern(id: string, body: WizardPatternSave): Promise<PatternInfo> {
    return this.transport.call("POST", `/api/wizards/${encodeURIComponent(String(id))}/pattern`, undefined, body);
  }

  /** Each agent's latest sample (CPU, memory, threads), score with its deductions, last line and open alerts, and the session's score: one session's agents, or every live one. */
  healthAgents(query: HealthAgentsQuery): Promise<HealthReport> {
    return this.transport.call("GET", `/api/health/agents`, query, undefined);
  }

  /** Every session that has agents, with its score (as in its health report) and its open, unacknowledged alerts: Home's and the sidebar's glance. */
  healthSessions(): Promise<Array<SessionHealth>> {
    return this.transport.call("GET", `/api/health/sessions`, undefined, undefined);
  }

  /** An agent's health samples from `since` (ms since the epoch; default the last hour), oldest first; older ones are one-minute averages. */
  agentSamples(id: string, query: SamplesQuery): Promise<Array<HealthSample>> {
    return this.transport.call("GET", `/api/agents/${encodeURIComponent(String(id))}/samples`, query, undefined);
  }

  /** Alerts newest first (one session's, or all): open and unacknowledged, or with `all` every one kept. Each names the agent, its task and the way on. */
  alertList(query: AlertListQuery): Promise<Array<Alert>> {
    return this.transport.call("GET", `/api/alerts`, query, undefined);
  }

  /** Acknowledges an alert: it leaves the open list (it still resolves by itself). */
  alertAcknowledge(id: string): Promise<Alert> {
    return this.transport.call("POST", `/api/alerts/${encodeURIComponent(String(id))}/ack`, undefined, undefined);
  }

  /** Pauses every running agent (SIGSTOP to its process group); coordinators start no task until everything is resumed. A paused agent is never taken for stalled. */
  agentsPauseAll(): Promise<PauseReport> {
    return this.transport.call("POST", `/api/agents/pause-all`, undefined, undefined);
  }

  /** Continues every paused agent (SIGCONT); coordinators start tasks again. */
  agentsResumeAll(): Promise<PauseReport> {
    return this.transport.call("POST", `/api/agents/resume-all`, undefined, undefined);
  }

  /** The agents the previous daemon's stop (or death) interrupted in a turn, until they are resumed or the notice is dismissed, oldest first. */
  agentsInterrupted(): Promise<Array<Agent>> {
    return this.transport.call("GET", `/api/agents/interrupted`, undefined, undefined);
  }

  /** Resumes every interrupted agent: its next turn continues its own CLI session. Those that cannot resume are listed with the reason and stay interrupted. */
  agentsInterruptedResume(): Promise<InterruptedResume> {
    return this.transport.call("POST", `/api/agents/interrupted/resume`, undefined, undefined);
  }

  /** Dismisses the notice: the interrupted agents stay stopped, no longer listed as interrupted. */
  agentsInterruptedDismiss(): Promise<Array<Agent>> {
    return this.transport.call("POST", `/api/agents/interrupted/dismiss`, undefined, undefined);
  }

  /** A session's artifacts (or one task's), newest first, without their bodies. */
  artifactList(query: ArtifactListQuery): Promise<Array<Artifact>> {
    return this.transport.call("GET", `/api/artifacts`, query, undefined);
  }

  /** Full-text search over artifacts, best first, without their bodies; each hit's snippet has the matched words between `[` and `]`. */
  artifactSearch(query: ArtifactSearchQuery): Promise<Array<ArtifactHit>> {
    return this.transport.call("GET", `/api/artifacts/search`, query, undefined);
  }

  /** One artifact with its body. */
  artifactGet(id: string): Promise<Artifact> {
    return this.transport.call("GET", `/api/artifacts/${encodeURIComponent(String(id))}`, undefined, undefined);
  }

  /** Keeps a piece of work in the session (a finding, a plan, a report), searchable with the others. */
  artifactAdd(body: ArtifactCreate): Promise<Artifact> {
    return this.transport.call("POST", `/api/artifacts`, undefined, body);
  }

  /** Terminals (one agent's, or all), oldest first: users' shells in worktrees and `command` agents' processes. Output and input go over the socket `GET /api/terminals/{id}/socket`. */
  terminalList(query: TerminalListQuery): Promise<Array<TerminalInfo>> {
    return this.transport.call("GET", `/api/terminals`, query, undefined);
  }

  /** Opens the user's shell (`$SHELL`, else bash), interactive, in a pseudo-terminal in the agent's worktree. */
  terminalOpen(body: TerminalOpen): Promise<TerminalInfo> {
    return this.transport.call("POST", `/api/terminals`, undefined, body);
  }

  /** A terminal by id. */
  terminalGet(id: string): Promise<TerminalInfo> {
    return this.transport.call("GET", `/api/terminals/${encodeURIComponent(String(id))}`, undefined, undefined);
  }

  /** Changes a terminal's size in columns and rows; its program gets SIGWINCH. */
  terminalResize(id: string, body: TerminalResize): Promise<TerminalInfo> {
    return this.transport.call("POST", `/api/terminals/${encodeURIComponent(String(id))}/resize`, undefined, body);
  }

  /** Types text into a terminal (`\r` is Enter). */
  terminalInput(id: string, body: TerminalInput): Promise<TerminalInfo> {
    return this.transport.call("POST", `/api/terminals/${encodeURIComponent(String(id))}/input`, undefined, body);
  }

  /** Closes a shell terminal: its processes are hung up, then terminated, then killed. */
  terminalClose(id: string): Promise<TerminalInfo> {
    return this.transport.call("DELETE", `/api/terminals/${encodeURIComponent(String(id))}`, undefined, undefined);
  }
}
