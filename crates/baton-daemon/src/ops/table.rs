//! The operations of the API, grouped by resource. Each line: name, method and path, its path
//! parameters, query and body (when it has them), the status and type it answers with, the error
//! codes it adds to the common ones, and the engine call (on the server's state, which derefs
//! to the engine). The doc comment is the operation's description everywhere it appears.

use baton_core::agent::budget::{BudgetSet, SessionBudgets};
use baton_core::agent::{Agent, AgentEventRecord, AgentSpawn, GcReport, InboxMessage, InterruptedResume};
use baton_core::api::PatternShowQuery;
use baton_core::api::{
    AgentApprove, AgentDiffQuery, AgentEventsQuery, AgentListQuery, AgentMessage, AgentRemoveQuery, AgentWaitQuery,
    AlertListQuery, ArtifactCreate, ArtifactListQuery, ArtifactSearchQuery, ContextText, CyclesQuery, DaemonHealth,
    DaemonStopQuery, HealthAgentsQuery, InboxTake, ObjectiveUpdate, ReportQuery, SamplesQuery, TaskListQuery,
    TerminalInput, TerminalListQuery, TerminalOpen, TerminalResize, WorktreesGc, WorktreesUsage,
};
use baton_core::api::{
    CliDetectQuery, EditorOpen, PolicyRead, PolicyUpdate, PolicyWrite, SettingsRead, SettingsUpdate,
};
use baton_core::artifact::{Artifact, ArtifactHit};
use baton_core::attention::AttentionSummary;
use baton_core::context::{ContextDoc, ContextImport, Decision, Insight, Objective, SessionStatus};
use baton_core::coordinator::{CoordinatorBecame, CoordinatorBecome, CoordinatorStatus, Cycle, Promotion};
use baton_core::coordinator::{Selection, TaskPick};
use baton_core::health::{Alert, HealthReport, HealthSample, PauseReport, SessionHealth};
use baton_core::inbox::InboxItem;
use baton_core::pattern::{PatternGraph, PatternInfo, PatternRun};
use baton_core::report::{Report, ReportSave, ReportSaved};
use baton_core::session::{Session, SessionCreate, SessionUpdate};
use baton_core::settings::{CliDetection, EditorOpened, EditorsDetected};
use baton_core::task::{Task, TaskComplete, TaskCreate};
use baton_core::terminal::TerminalInfo;
use baton_core::wizard::{
    Wizard, WizardLaunch, WizardLaunched, WizardListQuery, WizardPatternSave, WizardPlanSet, WizardReply, WizardStart,
};
use baton_core::worktree::ChangedFile;
use baton_core::worktree::diff::WorktreeDiff;
use baton_core::worktree::merge::{MergeReport, MergeRequest};
use baton_core::worktree::publish::{PushReport, PushRequest};
use baton_core::worktree::snapshot::{Checkpoint, RestoreReport};
use baton_core::worktree::update::{BranchStatus, UpdateReport, UpdateRequest};

use super::operations;

/// Bounds on what one call may read, so a client cannot ask the daemon for everything at once.
const EVENTS_DEFAULT: u64 = 10_000;
const EVENTS_MAX: u64 = 100_000;
const CYCLES_DEFAULT: u64 = 50;
const CYCLES_MAX: u64 = 10_000;
const HITS_DEFAULT: u64 = 50;
const HITS_MAX: u64 = 1_000;
const SAMPLES_DEFAULT: u64 = 1_800;
const SAMPLES_MAX: u64 = 20_000;
const ALERTS_MAX: usize = 500;

fn bounded(limit: Option<u64>, default: u64, max: u64) -> usize {
    usize::try_from(limit.unwrap_or(default).min(max)).unwrap_or(usize::MAX)
}

operations! {
    "daemon" {
        /// The daemon's version, pid, home and start time, and the number of active sessions.
        health: GET "/api/health" -> 200 DaemonHealth => |s| s.health();
        /// Asks the daemon to stop: agents are stopped, running coordinators resume with the next daemon.
        /// Refused while agents work, naming them, unless `force`; those it then interrupts are
        /// listed by the next daemon (`agents_interrupted`).
        daemon_stop: POST "/api/daemon/stop" query(q: DaemonStopQuery) -> 202 (), errors(AgentsWorking) => |s| {
            s.daemon_stop_check(q.force.unwrap_or(false))?;
            s.stop_request();
            Ok(())
        };
    }
    "settings" {
        /// The settings in effect (the file's values, defaults for the rest), the defaults, and
        /// the path of `settings.json`.
        settings_get: GET "/api/settings" -> 200 SettingsRead, errors(InvalidSettings) => |s| s.settings_read();
        /// Changes the settings with a JSON merge patch (`null` removes a field), checked as the
        /// file is read and written atomically; the next use (a spawn, a collection) reads them.
        settings_update: PATCH "/api/settings" body(req: SettingsUpdate) -> 200 SettingsRead,
            errors(InvalidSettings, Io) => |s| s.settings_update(&req.patch);
        /// Each agent CLI (or `cli`): the program Baton would run, where it resolves, its
        /// `--version`, or what is wrong and how to fix it.
        settings_clis_detect: GET "/api/settings/clis" query(q: CliDetectQuery) -> 200 Vec<CliDetection>,
            errors(InvalidSettings) => |s| s.clis_detect(q.cli);
        /// The editors found on this machine (terminal ones when a terminal emulator exists).
        settings_editors_detect: GET "/api/settings/editors" -> 200 EditorsDetected => |s| Ok(s.editors_detect());
        /// Opens a folder (a worktree) in the editor of the settings, started by the daemon.
        editor_open: POST "/api/editor/open" body(req: EditorOpen) -> 200 EditorOpened,
            errors(InvalidSettings) => |s| s.editor_open(&req.path);
    }
    "sessions" {
        /// Every session, newest first, archived ones included.
        session_list: GET "/api/sessions" -> 200 Vec<Session> => |s| s.session_list();
        /// Makes a session for a git repository (`repo`), optionally named, optionally the child of another.
        session_create: POST "/api/sessions" body(req: SessionCreate) -> 201 Session,
            errors(PathNotFound, NotAGitRepo, BareRepo, DuplicateName) => |s| s.session_create(&req);
        /// A session by id or name.
        session_get: GET "/api/sessions/{id}" path(id: String) -> 200 Session => |s| s.session_get(&id);
        /// Renames, archives or unarchives a session, or changes its settings (fields left `null` stay as they are).
        session_update: PATCH "/api/sessions/{id}" path(id: String) body(update: SessionUpdate) -> 200 Session,
            errors(DuplicateName) => |s| s.session_update(&id, &update);
        /// Objectives, decisions, insights, tasks by state, agents and cost: the session at a glance.
        session_status: GET "/api/sessions/{id}/status" path(id: String) -> 200 SessionStatus
            => |s| s.session_status(&id);
    }
    "policy" {
        /// The session's policy: allowed and denied tools, denied command patterns, the environment
        /// allowlist and sandbox on/off, as in effect and as the file's text (written with the
        /// commented defaults if missing).
        policy_show: GET "/api/sessions/{id}/policy" path(id: String) -> 200 PolicyRead,
            errors(InvalidSettings, Io) => |s| s.policy_read(&id);
        /// Replaces the session's policy file; a text that breaks a rule is refused with its line
        /// and field, and the file stays as it was.
        policy_write: POST "/api/sessions/{id}/policy" path(id: String) body(req: PolicyWrite) -> 200 PolicyRead,
            errors(InvalidSettings, Io) => |s| s.policy_write(&id, &req.text);
        /// Changes one setting of the session's policy file in place (sandbox on or off), its
        /// comments kept.
        policy_update: PATCH "/api/sessions/{id}/policy" path(id: String) body(req: PolicyUpdate) -> 200 PolicyRead,
            errors(InvalidSettings, Io) => |s| s.policy_update(&id, &req);
        /// The session's budget and each of its agents': limits (cost, tokens, wall and CPU
        /// minutes) and use so far, with what is over or near (80%).
        budget_show: GET "/api/sessions/{id}/budget" path(id: String) -> 200 SessionBudgets
            => |s| s.budgets_read(&id);
        /// Sets limits of the session's budget, or of one of its agents' (`agent`): fields left out
        /// stay, 0 removes a limit. An agent paused by a budget continues with `agent_resume`.
        budget_set: POST "/api/sessions/{id}/budget" path(id: String) body(req: BudgetSet) -> 200 SessionBudgets
            => |s| s.budget_set(&id, &req);
        /// Continues an agent a budget paused, once neither its budget nor its session's is used up
        /// (refused with what is still over); messages kept meanwhile go to it.
        agent_resume: POST "/api/agents/{id}/resume" path(id: String) -> 200 Agent,
            errors(OverBudget, CliMissing, SpawnFailed) => |s| s.agent_budget_resume(&id);
    }
    "reports" {
        /// A report of the session: goal and objectives, outcome, a timeline of tasks and agents, cost
        /// and tokens per agent, task and CLI, review rounds with their verdicts, decisions, insights,
        /// artifacts, merges and alerts; as Markdown (`format=md`, the default) or one self-contained
        /// HTML page (`format=html`), the document in `text`.
        session_report: GET "/api/sessions/{id}/report" path(id: String) query(q: ReportQuery) -> 200 Report
            => |s| s.session_report(&id, q.format.unwrap_or_default());
        /// Writes the session's report to a file (an absolute path, replaced when it exists).
        session_report_save: POST "/api/sessions/{id}/report" path(id: String) body(req: ReportSave) -> 200 ReportSaved,
            errors(PathNotFound, Io) => |s| s.session_report_save(&id, &req);
    }
    "inbox" {
        /// What needs the user in every active session, oldest first: tools agents wait on, failed
        /// and blocked tasks, approved work not merged yet, pending decisions.
        inbox: GET "/api/inbox" -> 200 Vec<InboxItem> => |s| s.inbox();
        /// What the tray shows: the worst state (all well, needs you, failed), one line ("3 working,
        /// 1 needs you, $2.14 today"), each thing that needs the user with the app's address of it,
        /// and whether everything is paused.
        attention: GET "/api/attention" -> 200 AttentionSummary => |s| s.attention();
    }
    "coordinator" {
        /// Starts (or resumes) the session's coordinator: cycle after cycle it starts ready tasks on
        /// agents, follows them, stores what they leave as artifacts, runs reviews and checks the
        /// completion criteria.
        coordinator_run: POST "/api/sessions/{id}/run" path(id: String) -> 200 CoordinatorStatus
            => |s| s.coordinator_start(&id);
        /// Stops the coordinator: running agents go on, ready tasks wait.
        coordinator_pause: POST "/api/sessions/{id}/pause" path(id: String) -> 200 CoordinatorStatus
            => |s| s.coordinator_stop(&id);
        /// The coordinator's state, cycle count and last cycle.
        coordinator_status: GET "/api/sessions/{id}/coordinator" path(id: String) -> 200 CoordinatorStatus
            => |s| s.coordinator_status(&id);
        /// The session's newest cycles, newest first.
        coordinator_cycles: GET "/api/sessions/{id}/cycles" path(id: String) query(q: CyclesQuery) -> 200 Vec<Cycle>
            => |s| s.coordinator_cycles(&id, bounded(q.limit, CYCLES_DEFAULT, CYCLES_MAX));
        /// Makes the agent's conversation its session's coordinator (replacing any other): it is sent
        /// the coordinator's instructions, then told what changes after each cycle of Baton's loop.
        coordinator_promote: POST "/api/agents/{id}/promote" path(id: String) -> 200 Promotion
            => |s| s.coordinator_promote(&id);
        /// Makes the conversation this is called from (the user's own CLI, which Baton does not run)
        /// the coordinator of the repository's session, made if there is none: recorded as an
        /// agent of the session, it is answered with the coordinator's instructions.
        coordinator_become: POST "/api/coordinator/become" body(req: CoordinatorBecome) -> 200 CoordinatorBecame,
            errors(PathNotFound, NotAGitRepo, BareRepo) => |s| s.coordinator_become(&req);
        /// The messages kept for an agent, oldest first (Baton's news, teammates' and the user's
        /// messages), waiting up to `timeout` seconds (default 60, at most 600) for one to come:
        /// how a coordinator Baton does not run hears of each change. Empty when none came.
        agent_inbox_take: POST "/api/agents/{id}/inbox/take" path(id: String) body(req: InboxTake) -> 200 Vec<InboxMessage>
            => |s| s.agent_inbox_take(&id, std::time::Duration::from_secs(req.timeout.unwrap_or(60).min(600)));
        /// Ends the agent's role as its session's coordinator: Baton's loop stops sending it the changes.
        coordinator_demote: POST "/api/agents/{id}/demote" path(id: String) -> 200 Session
            => |s| s.coordinator_demote(&id);
    }
    "context" {
        /// Records an objective (open).
        objective_add: POST "/api/sessions/{id}/objectives" path(id: String) body(req: ContextText) -> 200 Objective
            => |s| s.objective_add(&id, &req.text);
        /// Marks an objective open, done or dropped.
        objective_set: POST "/api/sessions/{id}/objectives/{oid}" path(id: String, oid: String) body(req: ObjectiveUpdate)
            -> 200 Objective => |s| s.objective_set(&id, &oid, req.state);
        /// Records an insight worth keeping.
        insight_add: POST "/api/sessions/{id}/insights" path(id: String) body(req: ContextText) -> 200 Insight
            => |s| s.insight_add(&id, &req.text);
        /// Records a question the session waits on: the coordinator is not complete while one is pending.
        decision_add: POST "/api/sessions/{id}/decisions" path(id: String) body(req: ContextText) -> 200 Decision
            => |s| s.decision_add(&id, &req.text);
        /// Answers a pending decision.
        decision_answer: POST "/api/sessions/{id}/decisions/{did}/answer" path(id: String, did: String)
            body(req: ContextText) -> 200 Decision => |s| s.decision_decide(&id, &did, &req.text);
        /// The session's context as one document: objectives, decisions, insights, tasks, artifacts.
        context_export: GET "/api/sessions/{id}/context" path(id: String) -> 200 ContextDoc
            => |s| s.context_export(&id);
        /// Makes a new session from an exported context document, all at once or not at all.
        context_import: POST "/api/context/import" body(req: ContextImport) -> 200 Session,
            errors(PathNotFound, NotAGitRepo, BareRepo, DuplicateName) => |s| s.context_import(&req);
    }
    "agents" {
        /// The agents of one session (id or name), or of every session.
        /// Removed agents are listed too (archived, flagged by `archivedAt`), unless `archived: false`.
        agent_list: GET "/api/agents" query(q: AgentListQuery) -> 200 Vec<Agent>
            => |s| s.agent_list_select(q.session.as_deref(), q.archived.unwrap_or(true));
        /// Starts an agent in its own worktree; it works on in the daemon, its progress arrives as events.
        agent_spawn: POST "/api/agents" body(req: AgentSpawn) -> 201 Agent,
            errors(DuplicateName, CliMissing, SpawnFailed, InvalidSettings) => |s| s.agent_spawn(&req);
        /// An agent by id or name.
        agent_get: GET "/api/agents/{id}" path(id: String) -> 200 Agent => |s| s.agent_get(&id);
        /// Stops the agent, removes its worktree (its branch stays) and archives it: its record,
        /// history and cost are kept. Refused while the worktree holds uncommitted work, unless `force`.
        agent_remove: DELETE "/api/agents/{id}" path(id: String) query(q: AgentRemoveQuery) -> 200 Agent
            => |s| s.agent_remove(&id, q.force.unwrap_or(false));
        /// A page of the agent's history, oldest first: after `after` (a seq, exclusive), or the
        /// newest events before `before` (a lane opens on the last page, then reads back).
        agent_events: GET "/api/agents/{id}/events" path(id: String) query(q: AgentEventsQuery) -> 200 Vec<AgentEventRecord>
            => |s| s.agent_events_page(&id, &q, bounded(q.limit, EVENTS_DEFAULT, EVENTS_MAX));
        /// Sends the agent a message (`from`: another agent of its session, else the user): at once if it
        /// waits, else kept and delivered when its current turn ends.
        agent_send: POST "/api/agents/{id}/messages" path(id: String) body(req: AgentMessage) -> 200 Agent,
            errors(AgentBusy, CliMissing, SpawnFailed) => |s| s.agent_send_from(&id, &req.text, req.from.as_deref());
        /// Allows a denied tool (`always`: for every agent of the session from now on) and lets the agent go on.
        agent_approve: POST "/api/agents/{id}/approve" path(id: String) body(req: AgentApprove) -> 200 Agent,
            errors(CliMissing, SpawnFailed) => |s| s.agent_approve(&id, &req.tool, req.always);
        /// Refuses a denied tool; the agent is told and goes on without it.
        agent_deny: POST "/api/agents/{id}/deny" path(id: String) body(req: AgentApprove) -> 200 Agent,
            errors(CliMissing, SpawnFailed) => |s| s.agent_deny(&id, &req.tool);
        /// Waits until the agent's turn ends (or `timeout` seconds pass, default 60, at most 600) and
        /// answers with the agent: its `state` says whether it is waiting, needs input, failed or still works.
        agent_wait: GET "/api/agents/{id}/wait" path(id: String) query(q: AgentWaitQuery) -> 200 Agent
            => |s| s.agent_wait(&id, std::time::Duration::from_secs(q.timeout.unwrap_or(60).min(600)));
        /// Stops the agent: SIGINT, then SIGTERM, then SIGKILL to its process group.
        agent_stop: POST "/api/agents/{id}/stop" path(id: String) -> 200 Agent => |s| s.agent_stop(&id);
        /// The files changed in the agent's worktree now (uncommitted and untracked).
        agent_changes: GET "/api/agents/{id}/changes" path(id: String) -> 200 Vec<ChangedFile>
            => |s| s.agent_changes(&id);
        /// The agent's work against its base branch (`patch: false` for the stats only).
        agent_diff: GET "/api/agents/{id}/diff" path(id: String) query(q: AgentDiffQuery) -> 200 WorktreeDiff
            => |s| s.agent_diff(&id, q.patch.unwrap_or(true));
        /// The saved states of the agent's worktree, oldest first.
        agent_checkpoints: GET "/api/agents/{id}/checkpoints" path(id: String) -> 200 Vec<Checkpoint>
            => |s| s.agent_checkpoints(&id);
        /// Brings back checkpoint `n`; the state before is saved first, so a restore can be undone.
        agent_restore: POST "/api/agents/{id}/checkpoints/{n}/restore" path(id: String, n: u32) -> 200 RestoreReport,
            errors(AgentBusy) => |s| s.agent_restore(&id, n);
        /// Merges the agent's work into a branch, or (`dryRun`) says what would happen. A merge is
        /// refused, changing nothing, when files conflict, the target is checked out with
        /// uncommitted changes, or the agent is working.
        agent_merge: POST "/api/agents/{id}/merge" path(id: String) body(req: MergeRequest) -> 200 MergeReport,
            errors(MergeConflict, DirtyCheckout, AgentBusy) => |s| s.agent_merge(&id, &req);
        /// How many commits the agent's branch is behind and ahead of the session's base branch, and
        /// an update from the base stopped on conflicts, if one is.
        agent_branch: GET "/api/agents/{id}/branch" path(id: String) -> 200 BranchStatus => |s| s.agent_branch_status(&id);
        /// Brings the session's base branch into the agent's branch (`mode`: rebase or merge) in its
        /// worktree. Refused while the agent works or its worktree has uncommitted changes; conflicts
        /// are listed and left to resolve, or to abort.
        agent_update: POST "/api/agents/{id}/update" path(id: String) body(req: UpdateRequest) -> 200 UpdateReport,
            errors(AgentBusy, DirtyCheckout) => |s| s.agent_update(&id, &req);
        /// Abandons an update from the base stopped on conflicts: the branch goes back to how it was.
        agent_update_abort: POST "/api/agents/{id}/update/abort" path(id: String) -> 200 BranchStatus,
            errors(AgentBusy) => |s| s.agent_update_abort(&id);
        /// Pushes the agent's branch to the repository's remote and (`pullRequest`) opens a pull
        /// request with the GitHub CLI, which must be installed and logged in.
        agent_push: POST "/api/agents/{id}/push" path(id: String) body(req: PushRequest) -> 200 PushReport,
            errors(NoRemote, GhUnavailable) => |s| s.agent_push(&id, &req);
    }
    "worktrees" {
        /// Where Baton keeps worktrees and the disk they use.
        worktrees_usage: GET "/api/worktrees" -> 200 WorktreesUsage => |s| Ok(WorktreesUsage {
            dir: s.home().worktrees_dir().to_string_lossy().into_owned(),
            disk_bytes: s.worktrees_disk_usage(),
        });
        /// Removes finished agents' old worktrees and merged branches (`dryRun`: says which). Never
        /// removes uncommitted work or a branch with unmerged commits.
        worktrees_gc: POST "/api/worktrees/gc" body(req: WorktreesGc) -> 200 GcReport => |s| s.worktrees_gc(req.dry_run);
    }
    "tasks" {
        /// The task graph of one session (id or name), oldest task first.
        task_list: GET "/api/tasks" query(q: TaskListQuery) -> 200 Vec<Task> => |s| s.task_list(&q.session);
        /// Adds a task; its dependencies (ids or names) must be tasks of the same session.
        task_add: POST "/api/tasks" body(req: TaskCreate) -> 200 Task, errors(DuplicateName)
            => |s| s.task_add(&req);
        /// A task by id, or by name (the newest of that name).
        task_get: GET "/api/tasks/{id}" path(id: String) -> 200 Task => |s| s.task_get(&id);
        /// Ends a task as done or failed; its dependants move on.
        task_complete: POST "/api/tasks/{id}/complete" path(id: String) body(req: TaskComplete) -> 200 Task
            => |s| s.task_complete(&id, &req);
        /// The recovery action for a blocked or failed task: it becomes ready again.
        task_retry: POST "/api/tasks/{id}/retry" path(id: String) -> 200 Task => |s| s.task_retry(&id);
        /// What a select or vote task chose among: each candidate's check, diff, vote and score, and why.
        task_candidates: GET "/api/tasks/{id}/candidates" path(id: String) -> 200 Selection
            => |s| s.task_candidates(&id);
        /// Picks a candidate (or a vote's choice) instead of the engine's; the task is done with it.
        task_pick: POST "/api/tasks/{id}/pick" path(id: String) body(req: TaskPick) -> 200 Selection
            => |s| s.task_pick(&id, &req);
    }
    "patterns" {
        /// The patterns (templates) the daemon knows: the built-in ones and the user's own.
        pattern_list: GET "/api/patterns" -> 200 Vec<PatternInfo>, errors(InvalidSettings) => |s| s.pattern_list();
        /// A pattern's graph (tasks, fan-outs with their count, dependencies), with `--set` changes.
        pattern_show: GET "/api/patterns/{name}" path(name: String) query(q: PatternShowQuery) -> 200 PatternGraph,
            errors(InvalidSettings) => |s| {
                let sets: Vec<String> = q.set.as_deref().unwrap_or("").split_whitespace().map(str::to_owned).collect();
                s.pattern_show(&name, &sets)
            };
        /// Adds the pattern's tasks to the session for a goal, all at once or not at all, and records
        /// the goal as an objective of the session.
        pattern_run: POST "/api/patterns/{name}/run" path(name: String) body(req: PatternRun) -> 200 Vec<Task>,
            errors(InvalidSettings) => |s| s.pattern_run(&name, &req);
    }
    "wizard" {
        /// Starts a wizard for a goal: reads the repository's facts and answers with the first question.
        /// With the `agent` engine it starts the planner agent and answers at once, the planner
        /// thinking; its first question comes as a `wizard_updated` event.
        wizard_start: POST "/api/wizards" body(req: WizardStart) -> 201 Wizard,
            errors(InvalidSettings, CliMissing, SpawnFailed)
            => |s| s.wizard_start(&req);
        /// A session's wizards (drafts, launched and discarded), newest first.
        wizard_list: GET "/api/wizards" query(q: WizardListQuery) -> 200 Vec<Wizard>, errors(InvalidSettings)
            => |s| s.wizard_list(&q.session);
        /// A wizard with its facts, answers, next question or plan.
        wizard_get: GET "/api/wizards/{id}" path(id: String) -> 200 Wizard, errors(InvalidSettings)
            => |s| s.wizard_get(&id);
        /// Answers the current question (labels or 1-based numbers, a text, a number; none takes
        /// the recommended answer); answers with the next question or the plan.
        wizard_answer: POST "/api/wizards/{id}/answer" path(id: String) body(req: WizardReply) -> 200 Wizard,
            errors(InvalidSettings) => |s| s.wizard_answer(&id, &req);
        /// Goes back to the question answered last.
        wizard_back: POST "/api/wizards/{id}/back" path(id: String) -> 200 Wizard, errors(InvalidSettings)
            => |s| s.wizard_back(&id);
        /// Replaces the plan with an edited one, checked as templates are.
        wizard_plan_set: PATCH "/api/wizards/{id}/plan" path(id: String) body(req: WizardPlanSet) -> 200 Wizard,
            errors(InvalidSettings) => |s| s.wizard_plan_set(&id, &req.plan);
        /// Adds the plan's tasks, the goal as an objective and the answers as decisions, in one
        /// transaction; `run` then starts the coordinator. A wizard launches once.
        wizard_launch: POST "/api/wizards/{id}/launch" path(id: String) body(req: WizardLaunch) -> 200 WizardLaunched,
            errors(InvalidSettings) => |s| s.wizard_launch(&id, &req);
        /// Discards a draft.
        wizard_discard: DELETE "/api/wizards/{id}" path(id: String) -> 200 Wizard, errors(InvalidSettings)
            => |s| s.wizard_discard(&id);
        /// Saves the plan as a user pattern (`$BATON_HOME/templates/NAME.toml`).
        wizard_save_pattern: POST "/api/wizards/{id}/pattern" path(id: String) body(req: WizardPatternSave)
            -> 200 PatternInfo, errors(InvalidSettings, DuplicateName, Io) => |s| s.wizard_save_pattern(&id, &req.name);
    }
    "health" {
        /// Each agent's latest sample (CPU, memory, threads), score with its deductions, last line
        /// and open alerts, and the session's score: one session's agents, or every live one.
        health_agents: GET "/api/health/agents" query(q: HealthAgentsQuery) -> 200 HealthReport,
            errors(InvalidSettings) => |s| s.health_agents(q.session.as_deref());
        /// Every session that has agents, with its score (as in its health report) and its open,
        /// unacknowledged alerts: Home's and the sidebar's glance.
        health_sessions: GET "/api/health/sessions" -> 200 Vec<SessionHealth>, errors(InvalidSettings)
            => |s| s.health_sessions();
        /// An agent's health samples from `since` (ms since the epoch; default the last hour),
        /// oldest first; older ones are one-minute averages.
        agent_samples: GET "/api/agents/{id}/samples" path(id: String) query(q: SamplesQuery) -> 200 Vec<HealthSample>
            => |s| s.agent_samples(
                &id,
                q.since.unwrap_or_else(|| baton_core::time::now_ms() - 3_600_000),
                bounded(q.limit, SAMPLES_DEFAULT, SAMPLES_MAX),
            );
        /// Alerts newest first (one session's, or all): open and unacknowledged, or with `all`
        /// every one kept. Each names the agent, its task and the way on.
        alert_list: GET "/api/alerts" query(q: AlertListQuery) -> 200 Vec<Alert>
            => |s| s.alert_list(q.session.as_deref(), q.all.unwrap_or(false), ALERTS_MAX);
        /// Acknowledges an alert: it leaves the open list (it still resolves by itself).
        alert_acknowledge: POST "/api/alerts/{id}/ack" path(id: String) -> 200 Alert
            => |s| s.alert_acknowledge(&id);
        /// Pauses every running agent (SIGSTOP to its process group); coordinators start no task
        /// until everything is resumed. A paused agent is never taken for stalled.
        agents_pause_all: POST "/api/agents/pause-all" -> 200 PauseReport => |s| s.agents_pause_all();
        /// Continues every paused agent (SIGCONT); coordinators start tasks again.
        agents_resume_all: POST "/api/agents/resume-all" -> 200 PauseReport => |s| s.agents_resume_all();
        /// The agents the previous daemon's stop (or death) interrupted in a turn, until they are
        /// resumed or the notice is dismissed, oldest first.
        agents_interrupted: GET "/api/agents/interrupted" -> 200 Vec<Agent> => |s| s.agents_interrupted();
        /// Resumes every interrupted agent: its next turn continues its own CLI session. Those that
        /// cannot resume are listed with the reason and stay interrupted.
        agents_interrupted_resume: POST "/api/agents/interrupted/resume" -> 200 InterruptedResume,
            errors(CliMissing, SpawnFailed) => |s| s.agents_interrupted_resume();
        /// Dismisses the notice: the interrupted agents stay stopped, no longer listed as interrupted.
        agents_interrupted_dismiss: POST "/api/agents/interrupted/dismiss" -> 200 Vec<Agent>
            => |s| s.agents_interrupted_dismiss();
    }
    "artifacts" {
        /// A session's artifacts (or one task's), newest first, without their bodies.
        artifact_list: GET "/api/artifacts" query(q: ArtifactListQuery) -> 200 Vec<Artifact>
            => |s| s.artifact_list(&q.session, q.task.as_deref());
        /// Full-text search over artifacts, best first, without their bodies; each hit's snippet
        /// has the matched words between `[` and `]`.
        artifact_search: GET "/api/artifacts/search" query(q: ArtifactSearchQuery) -> 200 Vec<ArtifactHit>
            => |s| s.artifact_search(&q.q, q.session.as_deref(), bounded(q.limit, HITS_DEFAULT, HITS_MAX));
        /// One artifact with its body.
        artifact_get: GET "/api/artifacts/{id}" path(id: String) -> 200 Artifact => |s| s.artifact_get(&id);
        /// Keeps a piece of work in the session (a finding, a plan, a report), searchable with the others.
        artifact_add: POST "/api/artifacts" body(req: ArtifactCreate) -> 201 Artifact => |s| s.artifact_add(&req);
    }
    "terminals" {
        /// Terminals (one agent's, or all), oldest first: users' shells in worktrees and `command`
        /// agents' processes. Output and input go over the socket `GET /api/terminals/{id}/socket`.
        terminal_list: GET "/api/terminals" query(q: TerminalListQuery) -> 200 Vec<TerminalInfo>
            => |s| s.terminal_list(q.agent.as_deref());
        /// Opens the user's shell (`$SHELL`, else bash), interactive, in a pseudo-terminal in the
        /// agent's worktree.
        terminal_open: POST "/api/terminals" body(req: TerminalOpen) -> 201 TerminalInfo,
            errors(SpawnFailed) => |s| s.terminal_open(&req);
        /// A terminal by id.
        terminal_get: GET "/api/terminals/{id}" path(id: String) -> 200 TerminalInfo => |s| s.terminal_get(&id);
        /// Changes a terminal's size in columns and rows; its program gets SIGWINCH.
        terminal_resize: POST "/api/terminals/{id}/resize" path(id: String) body(size: TerminalResize) -> 200 TerminalInfo
            => |s| s.terminal_resize(&id, &size);
        /// Types text into a terminal (`\r` is Enter).
        terminal_input: POST "/api/terminals/{id}/input" path(id: String) body(input: TerminalInput) -> 200 TerminalInfo,
            errors(Io) => |s| s.terminal_input(&id, &input);
        /// Closes a shell terminal: its processes are hung up, then terminated, then killed.
        terminal_close: DELETE "/api/terminals/{id}" path(id: String) -> 200 TerminalInfo => |s| s.terminal_close(&id);
    }
}
