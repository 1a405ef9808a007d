//! An agent's life as a process and a conversation: spawn (with its worktree and task, in one
//! transaction), list, events, follow-up messages, approve and deny a tool, stop. What it leaves
//! in git (diff, merge, checkpoints, removal, GC) is in `workspace.rs`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::history::Page;
use super::log::{AgentEventRecord, Note};
use super::protocol::{CliKind, FollowUp, LaunchSpec, MCP_TOKEN_ENV, McpConnect, McpLink};
use super::record::{self, Agent, AgentError, AgentNew, AgentSpawn, AgentState};
use super::supervisor::{AgentRuntime, Control, ProcessPlan, process_start};
use crate::engine::{Engine, KnownAgent};
use crate::error::Result;
use crate::session::SessionState;
use crate::settings::{SandboxSetting, Settings, program_find};

/// How long an agent's process may take to end when Baton needs it gone (to relaunch it).
const END_WAIT: Duration = Duration::from_secs(15);

/// How long a message waits for the checkpoint of the turn before it.
const CHECKPOINT_WAIT: Duration = Duration::from_secs(30);

impl Engine {
    /// Starts an agent: records it, then starts its CLI in its directory. Returns at once; the
    /// agent works on in the daemon.
    pub fn agent_spawn(&self, req: &AgentSpawn) -> Result<Agent> {
        self.agent_spawn_with(req, None, false)
    }

    /// Starts an agent offered only the tools that read, in the folder it is given (the
    /// wizard's planner). Every later process of it is read-only too.
    pub(crate) fn agent_spawn_read_only(&self, req: &AgentSpawn) -> Result<Agent> {
        self.agent_spawn_with(req, None, true)
    }

    /// Starts an agent for a coordinator's task, with the task's context files in its worktree;
    /// read-only when the task's role only reads.
    pub(crate) fn agent_spawn_for_task(
        &self,
        req: &AgentSpawn,
        task: &crate::task::Task,
        files: &[(String, String)],
    ) -> Result<Agent> {
        let read_only = crate::task::task_read_only(&self.inner.store.conn(), &task.id)?;
        self.agent_spawn_with(req, Some((task, files)), read_only)
    }

    fn agent_spawn_with(
        &self,
        req: &AgentSpawn,
        for_task: Option<(&crate::task::Task, &[(String, String)])>,
        read_only: bool,
    ) -> Result<Agent> {
        let handle = self.inner.runtime.clone().ok_or(AgentError::NoRuntime)?;
        let session = self.session_get(&req.session)?;
        if session.state == SessionState::Archived {
            return Err(AgentError::Invalid(format!("session {} is archived; unarchive it first", session.name)).into());
        }
        if req.cli == CliKind::Command && req.program.is_empty() {
            return Err(AgentError::Invalid("a command agent needs a program: `-- PROGRAM ARGS...`".into()).into());
        }
        if req.cli != CliKind::Command && req.prompt.trim().is_empty() {
            return Err(AgentError::Invalid("the prompt is empty; say what the agent should do".into()).into());
        }
        for (kind, value) in [("agent name", &req.name), ("model", &req.model)] {
            if let Some(v) = value {
                crate::names::name_check(kind, v)?;
            }
        }
        for tool in &req.allow_tools {
            crate::names::name_check("tool name", tool)?;
        }
        crate::names::arg_check("prompt", &req.prompt)?;
        for arg in &req.program {
            crate::names::arg_check("program argument", arg)?;
        }
        let given_cwd = req.cwd.as_ref().filter(|c| !c.trim().is_empty()).map(PathBuf::from);
        let cwd = given_cwd.clone().unwrap_or_else(|| PathBuf::from(&session.repo));
        if !cwd.is_dir() {
            return Err(AgentError::Invalid(format!(
                "{} is not a folder; the agent needs one to work in",
                cwd.display()
            ))
            .into());
        }
        // Found before anything is recorded: a missing CLI leaves no failed agent behind.
        let settings = self.settings()?;
        let program = program_resolve(&settings, req.cli, &req.program)?;
        // Checked before anything is made: an agent whose log cannot be written cannot run.
        logs_check(&self.inner.home.logs_dir())?;
        // Held until the agent is recorded: spawns at once never choose the same name.
        let name_hold = match &req.name {
            Some(n) if !n.trim().is_empty() => {
                self.inner.name_holds.hold(&self.inner.store.conn(), &session.id, n.trim())?
            }
            _ => self.inner.name_holds.hold_default(&self.inner.store.conn(), &session.id, req.cli)?,
        };
        let name = name_hold.name().to_owned();
        // Its own worktree unless it was given a folder; made before the record, so a failure
        // leaves no agent behind.
        let worktree = match given_cwd {
            Some(_) => None,
            None => Some(self.worktree_make(&session, &name)?),
        };
        let cwd = worktree.as_ref().map_or(cwd, |w| PathBuf::from(&w.path));
        // The agent, its worktree and its task in one transaction: a failure records nothing
        // (and removes the worktree just made), and clients hear of the agent once it is whole.
        let inserted = self.write(|tx| {
            let agent = record::agent_insert(
                tx,
                &AgentNew {
                    session_id: &session.id,
                    name: &name,
                    cli: req.cli,
                    model: req.model.as_deref(),
                    cwd: &cwd.to_string_lossy(),
                    command: &req.program,
                    prompt: &req.prompt,
                    allowed_tools: &req.allow_tools,
                    log_dir: &self.inner.home.logs_dir(),
                    read_only,
                },
            )?;
            if let Some(wt) = &worktree {
                record::agent_worktree_set(tx, &agent.id, wt)?;
            }
            if let Some((task, _)) = for_task {
                record::agent_task_set(tx, &agent.id, &task.id, task.role.as_deref())?;
            }
            let agent = record::agent_get(tx, &agent.id)?;
            tx.publish(crate::events::EngineEvent::AgentUpdated { agent: Box::new(agent.clone()) });
            Ok(agent)
        });
        drop(name_hold);
        let agent = match inserted {
            Ok(agent) => agent,
            Err(e) => {
                if let Some(wt) = &worktree {
                    let repo = Path::new(&session.repo);
                    let _ = crate::worktree::worktree_remove(repo, Path::new(&wt.path), true);
                    let _ = crate::worktree::gc::branch_delete(repo, &wt.branch);
                }
                return Err(e);
            }
        };
        if let Some((_, files)) = for_task
            && let Err(message) = crate::coordinator::handoff::files_write(&cwd, files)
        {
            self.runtime_slot(&agent)?;
            self.note_blocking(&agent.id, &Note::Notice { message });
        }
        if let Some(wt) = &worktree {
            self.runtime_slot(&agent)?;
            self.worktree_notes(&agent, wt);
            if let Some(command) = session.settings.setup_command.clone() {
                // Setup may take minutes (`npm ci`): the agent is `starting` meanwhile.
                let engine = self.clone();
                let prompt = req.prompt.clone();
                let launch_handle = handle.clone();
                let id = agent.id.clone();
                handle.spawn_blocking(move || match engine.setup_run(&agent, &command) {
                    // A failure to start is recorded and noted by `process_launch` itself.
                    Ok(()) => {
                        let _ =
                            engine.process_launch(&launch_handle, &agent, &settings, program, &prompt, None, &[], &[]);
                    }
                    Err(message) => {
                        engine.note_blocking(&agent.id, &Note::Error { message });
                        let conn = engine.inner.store.conn();
                        let _ = record::agent_state_set(&conn, &agent.id, AgentState::Failed, None, None);
                        drop(conn);
                        engine.inner.agent_publish(&agent.id);
                    }
                });
                return self.agent_get(&id);
            }
        }
        self.process_launch(&handle, &agent, &settings, program, &req.prompt, None, &[], &[])?;
        self.agent_get(&agent.id)
    }

    pub fn agent_get(&self, id_or_name: &str) -> Result<Agent> {
        record::agent_get(&self.inner.store.conn(), id_or_name)
    }

    /// Agents of one session (id or name), or of all sessions, archived ones included (their
    /// cost is part of the session's).
    pub fn agent_list(&self, session: Option<&str>) -> Result<Vec<Agent>> {
        self.agent_list_select(session, true)
    }

    /// [`Self::agent_list`], without the archived agents when `archived` is false.
    pub fn agent_list_select(&self, session: Option<&str>, archived: bool) -> Result<Vec<Agent>> {
        let session_id = match session {
            Some(s) => Some(self.session_get(s)?.id),
            None => None,
        };
        record::agent_list(&self.inner.store.conn(), session_id.as_deref(), archived)
    }

    /// The agent's events after `after` (its log, replayed), at most `limit`.
    pub fn agent_events(&self, id_or_name: &str, after: u64, limit: usize) -> Result<Vec<AgentEventRecord>> {
        self.agent_events_page(
            id_or_name,
            &crate::api::AgentEventsQuery { after: Some(after), ..Default::default() },
            limit,
        )
    }

    /// A page of the agent's history: after a seq, or the newest before one (`agent/history.rs`
    /// finds where to start decoding, so a page of a long history costs about its own length).
    pub fn agent_events_page(
        &self,
        id_or_name: &str,
        q: &crate::api::AgentEventsQuery,
        limit: usize,
    ) -> Result<Vec<AgentEventRecord>> {
        let agent = self.agent_get(id_or_name)?;
        if !Path::new(&agent.log_path).exists() && agent.state != AgentState::Starting {
            return Err(AgentError::Invalid(format!(
                "agent {}'s log {} is missing: it was deleted, and the history it held is lost",
                agent.name, agent.log_path
            ))
            .into());
        }
        let after = q.after.unwrap_or(0);
        let page = match q.before {
            Some(before) => Page::Before { after, before },
            None => Page::After(after),
        };
        self.inner
            .histories
            .page(&agent.id, agent.cli, Path::new(&agent.log_path), page, limit)
            .map_err(|e| AgentError::Log { path: agent.log_path.clone(), detail: e.to_string() }.into())
    }

    /// Sends a message from the user: delivered at once to an agent that waits, kept for the end
    /// of its turn when it works (see `agent/message.rs`).
    pub fn agent_send(&self, id_or_name: &str, text: &str) -> Result<Agent> {
        self.agent_send_from(id_or_name, text, None)
    }

    /// Delivers a message now: on stdin to a CLI that reads its conversation there, else by
    /// resuming the CLI's own session in a new process. `delivery.notes` say in the lane what
    /// was sent (and by whom).
    pub(super) fn message_deliver(&self, agent: &Agent, delivery: &super::message::Delivery) -> Result<Agent> {
        let handle = self.inner.runtime.clone().ok_or(AgentError::NoRuntime)?;
        let text = delivery.text.as_str();
        if agent.state == AgentState::NeedsInput {
            return Err(AgentError::NotListening {
                agent: agent.name.clone(),
                state: agent.state.as_str(),
                why: "a tool is waiting for approval; `baton approve` or `baton deny` it first",
            }
            .into());
        }
        // An idle process being released: let it end, then resume the session in a new one.
        let agent = if self.inner.health.releasing_take(&agent.id) {
            self.process_end(&agent.id);
            self.agent_get(&agent.id)?
        } else {
            agent.clone()
        };
        // The state after the last turn is kept before the next one can change it.
        self.inner.checkpoints.wait(&agent.id, CHECKPOINT_WAIT);
        let protocol = agent.cli.protocol();
        let control = self.inner.agents().get(&agent.id).and_then(|s| s.live.as_ref().map(|l| l.control.clone()));
        if let Some(control) = control {
            if protocol.follow_up() == FollowUp::Stdin {
                // Running before the message goes: whoever waits for the turn's end from now
                // on cannot see the previous turn's "waiting".
                record::agent_state_set(&self.inner.store.conn(), &agent.id, AgentState::Running, agent.pid, None)?;
                let line = protocol.stdin_message(text);
                if control.send(Control::Stdin { notes: delivery.notes.clone(), line }).is_ok() {
                    if self.inner.health.releasing_take(&agent.id) {
                        // A release went out just before this message: the process ends without
                        // reading it. Let it end, then resume the session with the message.
                        self.process_end(&agent.id);
                        return self.agent_resume(&handle, &self.agent_get(&agent.id)?, text, &[], &delivery.notes);
                    }
                    self.inner.agent_publish(&agent.id);
                    return self.agent_get(&agent.id);
                }
            } else if agent.state.is_active() {
                return Err(AgentError::NotListening {
                    agent: agent.name,
                    state: agent.state.as_str(),
                    why: "it is working on a turn; wait for it (`baton wait AGENT`), then send",
                }
                .into());
            } else {
                // The turn is over and the process is finishing: let it, then resume.
                self.process_end(&agent.id);
            }
        }
        self.agent_resume(&handle, &agent, text, &[], &delivery.notes)
    }

    /// Approves a denied tool and resumes the agent's session with it allowed. `always`: for
    /// every agent of the session from now on; otherwise for this resumption only.
    pub fn agent_approve(&self, id_or_name: &str, tool: &str, always: bool) -> Result<Agent> {
        crate::names::name_check("tool name", tool)?;
        let handle = self.inner.runtime.clone().ok_or(AgentError::NoRuntime)?;
        let agent = self.agent_get(id_or_name)?;
        archived_refuse(&agent)?;
        self.pending_check(&agent, tool)?;
        // Asked in the running turn: the answer lets it go on, no resumption.
        if self.permission_answer(&agent.id, tool, true, always)? {
            return self.agent_get(&agent.id);
        }
        self.write(|tx| {
            record::permission_decide(tx, &agent.id, tool, true)?;
            if always {
                crate::session::session_allow_tool_add(tx, &agent.session_id, tool)?;
            }
            Ok(())
        })?;
        self.process_end(&agent.id);
        let agent = self.agent_get(&agent.id)?;
        let message = format!("The user approved the {tool} tool. Continue with your task.");
        self.agent_resume(&handle, &agent, &message, &[tool.to_owned()], &[])
    }

    /// Denies a pending tool; the agent waits for a message.
    pub fn agent_deny(&self, id_or_name: &str, tool: &str) -> Result<Agent> {
        let agent = self.agent_get(id_or_name)?;
        self.pending_check(&agent, tool)?;
        if self.permission_answer(&agent.id, tool, false, false)? {
            return self.agent_get(&agent.id);
        }
        self.write(|tx| {
            record::permission_decide(tx, &agent.id, tool, false)?;
            let still_pending = !record::permission_pending(tx, &agent.id)?.is_empty();
            if agent.state == AgentState::NeedsInput && !still_pending {
                record::agent_state_set(tx, &agent.id, AgentState::Waiting, agent.pid, agent.exit_code)?;
            }
            let agent = record::agent_get(tx, &agent.id)?;
            tx.publish(crate::events::EngineEvent::AgentUpdated { agent: Box::new(agent.clone()) });
            Ok(agent)
        })
    }

    /// Stops the agent's process (SIGINT, SIGTERM, SIGKILL to its group) and waits for it.
    pub fn agent_stop(&self, id_or_name: &str) -> Result<Agent> {
        let agent = self.agent_get(id_or_name)?;
        let live = self
            .inner
            .agents()
            .get(&agent.id)
            .and_then(|s| s.live.as_ref().map(|l| (l.control.clone(), l.done.clone())));
        match live {
            Some((control, done)) => {
                let _ = control.send(Control::Stop);
                self.done_wait(done, END_WAIT);
            }
            None if agent.state != AgentState::Stopped || agent.pid.is_some() => {
                // A process that outlived its supervision (no shim answers for it) is still
                // the agent's: it is stopped as a supervised one would be.
                if let Some(pid) = agent.pid.filter(|p| super::reattach::process_of(*p, Path::new(&agent.cwd))) {
                    orphan_stop(pid);
                }
                record::agent_state_set(
                    &self.inner.store.conn(),
                    &agent.id,
                    AgentState::Stopped,
                    None,
                    agent.exit_code,
                )?;
                self.inner.agent_publish(&agent.id);
            }
            None => {}
        }
        self.agent_get(&agent.id)
    }

    /// The agent's process, when one still runs after a stop (it would not end).
    pub(crate) fn agent_process_running(&self, agent: &Agent) -> Option<u32> {
        let live = self.inner.agents().get(&agent.id).is_some_and(|s| s.live.is_some());
        let pid = self.agent_get(&agent.id).ok()?.pid.or(agent.pid)?;
        (live || super::reattach::process_of(pid, Path::new(&agent.cwd))).then_some(pid)
    }

    /// The agents working on a turn now (not archived), which stopping the daemon interrupts.
    pub fn agents_working(&self) -> Result<Vec<Agent>> {
        Ok(self.agent_list_select(None, false)?.into_iter().filter(|a| a.state.is_active()).collect())
    }

    /// Refuses to stop the daemon while agents work, unless `force`: the error names them.
    pub fn daemon_stop_check(&self, force: bool) -> Result<()> {
        if force {
            return Ok(());
        }
        let working = self.agents_working()?;
        if working.is_empty() {
            return Ok(());
        }
        let names = working.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(", ");
        Err(AgentError::Working { count: working.len(), names }.into())
    }

    /// Stops every running agent (the daemon is stopping) and waits for them, up to `timeout`.
    /// Those interrupted in a turn are recorded, so the next daemon can offer to resume them.
    pub async fn agents_shutdown(&self, timeout: Duration) {
        // First the coordinators: an agent stopped now is not a task that failed.
        let engine = self.clone();
        let _ = tokio::task::spawn_blocking(move || {
            engine.coordinators_halt();
            let working: Vec<String> = engine.agents_working().unwrap_or_default().into_iter().map(|a| a.id).collect();
            if let Err(e) = record::agents_interrupted_mark(&engine.inner.store.conn(), &working) {
                tracing::warn!("cannot record which agents the stop interrupts: {e}");
            }
        })
        .await;
        let waits: Vec<_> = self
            .inner
            .agents()
            .values()
            .filter_map(|s| s.live.as_ref())
            .map(|live| {
                let _ = live.control.send(Control::Shutdown);
                let mut done = live.done.clone();
                async move {
                    let _ = done.wait_for(|d| *d).await;
                }
            })
            .collect();
        let _ = tokio::time::timeout(timeout, futures_join(waits)).await;
    }

    /// The agents a previous daemon's stop (or death) interrupted in a turn, not yet resumed
    /// nor dismissed, oldest first.
    pub fn agents_interrupted(&self) -> Result<Vec<Agent>> {
        record::agents_interrupted(&self.inner.store.conn())
    }

    /// Forgets the interruptions (the agents stay as they are); returns the agents concerned.
    pub fn agents_interrupted_dismiss(&self) -> Result<Vec<Agent>> {
        self.write(|tx| {
            let mut dismissed = Vec::new();
            for agent in record::agents_interrupted(tx)? {
                record::agent_interrupted_clear(tx, &agent.id)?;
                let agent = record::agent_get(tx, &agent.id)?;
                tx.publish(crate::events::EngineEvent::AgentUpdated { agent: Box::new(agent.clone()) });
                dismissed.push(agent);
            }
            Ok(dismissed)
        })
    }

    /// Resumes every interrupted agent: its next turn continues its own CLI session, told that
    /// the daemon stopped. One that cannot resume (a program that ended, a missing CLI) stays
    /// listed, with the reason.
    pub fn agents_interrupted_resume(&self) -> Result<InterruptedResume> {
        let mut report = InterruptedResume::default();
        for agent in self.agents_interrupted()? {
            match self.agent_send(&agent.id, RESUME_MESSAGE) {
                Ok(agent) => report.resumed.push(agent),
                Err(e) => report.failed.push(ResumeFailure {
                    agent_id: agent.id,
                    agent_name: agent.name,
                    message: e.to_string(),
                }),
            }
        }
        Ok(report)
    }

    pub(crate) fn settings(&self) -> Result<Settings> {
        Ok(Settings::load(&self.inner.home.settings_file())?)
    }

    fn pending_check(&self, agent: &Agent, tool: &str) -> Result<()> {
        if agent.pending.iter().any(|p| p.tool == tool) {
            return Ok(());
        }
        let pending = if agent.pending.is_empty() {
            String::from(" (nothing is pending)")
        } else {
            format!(" (pending: {})", agent.pending.iter().map(|p| p.tool.as_str()).collect::<Vec<_>>().join(", "))
        };
        Err(AgentError::NothingPending { agent: agent.name.clone(), tool: tool.to_owned(), pending }.into())
    }

    /// Continues the CLI's own session in a new process with `message` (noted in the lane as
    /// `shown`, or as itself when that is empty).
    fn agent_resume(
        &self,
        handle: &tokio::runtime::Handle,
        agent: &Agent,
        message: &str,
        extra_tools: &[String],
        shown: &[Note],
    ) -> Result<Agent> {
        if agent.cli == CliKind::Command {
            return Err(AgentError::NotListening {
                agent: agent.name.clone(),
                state: agent.state.as_str(),
                why: "its program has ended; spawn a new agent",
            }
            .into());
        }
        let Some(session_id) = agent.cli_session_id.clone() else {
            return Err(AgentError::NotListening {
                agent: agent.name.clone(),
                state: agent.state.as_str(),
                why: "its CLI never reported a session to resume",
            }
            .into());
        };
        let settings = self.settings()?;
        let program = program_resolve(&settings, agent.cli, &agent.command)?;
        self.worktree_ensure(agent)?;
        self.process_launch(handle, agent, &settings, program, message, Some(&session_id), extra_tools, shown)?;
        self.agent_get(&agent.id)
    }

    /// Builds the command line for one process of `agent` and starts it.
    #[allow(clippy::too_many_arguments)]
    fn process_launch(
        &self,
        handle: &tokio::runtime::Handle,
        agent: &Agent,
        settings: &Settings,
        program: PathBuf,
        prompt: &str,
        resume: Option<&str>,
        extra_tools: &[String],
        shown: &[Note],
    ) -> Result<()> {
        let runtime = match self.runtime_slot(agent) {
            Ok(runtime) => runtime,
            Err(e) => {
                // Its log cannot be opened: the agent cannot run, and is not left `starting`.
                record::agent_state_set(&self.inner.store.conn(), &agent.id, AgentState::Failed, None, None)?;
                self.inner.agent_publish(&agent.id);
                return Err(e);
            }
        };
        let protocol = agent.cli.protocol();
        // The session's policy file: its allowed tools, its refusals for the CLI, its variables.
        let policy = self.session_policy(&agent.session_id)?;
        let mut allowed = agent.allowed_tools.clone();
        allowed.extend(crate::session::session_allow_tools(&self.inner.store.conn(), &agent.session_id)?);
        allowed.extend(crate::policy::launch_allowed(&policy).cloned());
        allowed.extend(extra_tools.iter().cloned());
        let mut seen = std::collections::HashSet::new();
        allowed.retain(|tool| seen.insert(tool.clone()));
        let cwd = PathBuf::from(&agent.cwd);
        let cli_settings = settings.clis.for_cli(agent.cli);
        let read_only = record::agent_read_only(&self.inner.store.conn(), &agent.id)?;
        let mcp = if read_only { McpConnect::default() } else { self.mcp_connect(agent)? };
        allowed.extend(mcp.allowed_tools.iter().cloned());
        let (args, stdin_lines, stdin_open) = if agent.cli == CliKind::Command {
            let lines = if prompt.is_empty() { vec![] } else { vec![protocol.stdin_message(prompt)] };
            (agent.command.iter().skip(1).cloned().collect(), lines, true)
        } else {
            let launch = protocol.launch(&LaunchSpec {
                prompt,
                model: agent.model.as_deref(),
                allowed_tools: &allowed,
                resume,
                cwd: &cwd,
                read_only,
            });
            let mut args = cli_settings.map(|s| s.args.clone()).unwrap_or_default();
            args.extend(mcp.args);
            args.extend(launch.args);
            if !read_only {
                args.extend(crate::policy::launch_args(agent.cli, &policy));
            }
            (args, launch.stdin_lines, launch.stdin_open)
        };
        // The daemon's environment, scrubbed (`environment.rs`), then the CLI's settings.
        let env_allow: Vec<String> = settings.agents.env_allow.iter().chain(&policy.env_allow).cloned().collect();
        let mut env = super::environment::agent_env(agent.cli, std::env::vars(), &env_allow);
        env.extend(cli_settings.into_iter().flat_map(|s| s.env.iter().map(|(k, v)| (k.clone(), v.clone()))));
        env.push(("BATON_SESSION".into(), agent.session_id.clone()));
        env.push(("BATON_AGENT".into(), agent.id.clone()));
        if let Some(task) = &agent.task_id {
            env.push(("BATON_TASK".into(), task.clone()));
        }
        if let Some(parent) = self.session_get(&agent.session_id)?.parent_session_id {
            env.push(("BATON_PARENT_SESSION".into(), parent));
        }
        if let Some(url) = self.inner.api_url.lock().unwrap_or_else(|p| p.into_inner()).clone() {
            env.push(("BATON_API".into(), url));
        }
        env.extend(mcp.env);
        let plan = ProcessPlan {
            program: program.clone(),
            args,
            env,
            cwd,
            stdin_lines,
            stdin_open,
            follow_up: protocol.follow_up(),
            first_notes: match shown {
                [] if prompt.is_empty() => Vec::new(),
                [] => vec![Note::UserMessage { text: prompt.to_owned(), from: None, sent: None }],
                notes => notes.to_vec(),
            },
            terminal: agent.cli == CliKind::Command,
        };
        // Confined with bubblewrap unless turned off (agent/sandbox): by the session's policy,
        // else by the settings. The refs before the turn.
        let confine = policy.sandbox.unwrap_or(settings.agents.sandbox != SandboxSetting::Off);
        let plan = self.sandbox_apply(agent, plan, confine)?;
        match process_start(&self.inner, handle, runtime.clone(), plan) {
            Ok(live) => {
                if let Some(slot) = self.inner.agents().get_mut(&agent.id) {
                    slot.live = Some(live);
                }
                // Working again: no longer one to resume after an interruption.
                record::agent_interrupted_clear(&self.inner.store.conn(), &agent.id)?;
                Ok(())
            }
            Err(e) => {
                let message = format!("cannot start {}: {e}", program.display());
                if let Ok(mut rt) = runtime.try_lock() {
                    rt.note(&self.inner, &Note::Error { message: message.clone() });
                }
                record::agent_state_set(&self.inner.store.conn(), &agent.id, AgentState::Failed, None, None)?;
                self.inner.agent_publish(&agent.id);
                Err(AgentError::Spawn { program: program.display().to_string(), detail: e.to_string() }.into())
            }
        }
    }

    /// How the agent's CLI reaches Baton's MCP server with the agent's own token (nothing before
    /// the daemon listens, as in tests of the engine alone). Files it needs are written here,
    /// readable by the user alone (they hold the token).
    fn mcp_connect(&self, agent: &Agent) -> Result<McpConnect> {
        let Some(url) = self.mcp_url() else { return Ok(McpConnect::default()) };
        let token = self.mcp_token(&agent.id)?;
        let dir = self.inner.home.root().join("agents").join(&agent.id);
        let mut connect = agent.cli.protocol().mcp_connect(&McpLink { url: &url, token: &token, dir: &dir });
        // Any program the agent runs (a script, a `command` agent) can reach the server too.
        connect.env.retain(|(k, _)| k != MCP_TOKEN_ENV);
        connect.env.extend([("BATON_MCP_URL".into(), url.clone()), (MCP_TOKEN_ENV.into(), token.clone())]);
        for (path, text) in &connect.files {
            private_write(path, text)
                .map_err(|e| AgentError::Spawn { program: path.display().to_string(), detail: e.to_string() })?;
        }
        Ok(connect)
    }

    /// The agent's runtime, opened (continuing its log's event count) if this daemon has none yet.
    pub(crate) fn runtime_slot(&self, agent: &Agent) -> Result<Arc<tokio::sync::Mutex<AgentRuntime>>> {
        if let Some(slot) = self.inner.agents().get(&agent.id) {
            return Ok(slot.runtime.clone());
        }
        let log = Path::new(&agent.log_path);
        let log_err = |e: std::io::Error| AgentError::Log { path: agent.log_path.clone(), detail: e.to_string() };
        let seq = self.inner.histories.count(&agent.id, agent.cli, log).map_err(log_err)?;
        let runtime = AgentRuntime::open(&agent.id, agent.cli, agent.model.clone(), log, seq).map_err(log_err)?;
        let runtime = Arc::new(tokio::sync::Mutex::new(runtime));
        self.inner.agents().insert(agent.id.clone(), KnownAgent { runtime: runtime.clone(), live: None });
        Ok(runtime)
    }

    /// Ends the agent's live process, if any: closes its stdin (a CLI reading its conversation
    /// there finishes its turn and exits), then stops it if it does not exit in time.
    pub(crate) fn process_end(&self, id: &str) {
        let live =
            self.inner.agents().get(id).and_then(|s| s.live.as_ref().map(|l| (l.control.clone(), l.done.clone())));
        if let Some((control, done)) = live {
            let _ = control.send(Control::CloseStdin);
            if !self.done_wait(done.clone(), Duration::from_secs(5)) {
                let _ = control.send(Control::Stop);
                self.done_wait(done, END_WAIT);
            }
        }
        // The end includes the checkpoint of what the process left: whatever runs next in
        // the worktree must not change it first.
        self.inner.checkpoints.wait(id, CHECKPOINT_WAIT);
    }

    /// Waits (blocking this thread) until a process's supervisor is done; false on timeout.
    fn done_wait(&self, mut done: tokio::sync::watch::Receiver<bool>, timeout: Duration) -> bool {
        let Some(handle) = self.inner.runtime.clone() else { return false };
        handle.block_on(async move { tokio::time::timeout(timeout, done.wait_for(|d| *d)).await.is_ok() })
    }
}

/// Fails unless a file can be made in the logs folder.
fn logs_check(dir: &Path) -> Result<()> {
    let probe = std::fs::create_dir_all(dir).and_then(|()| tempfile::Builder::new().prefix(".probe").tempfile_in(dir));
    probe.map(drop).map_err(|e| {
        AgentError::Invalid(format!(
            "cannot write agents' logs in {}: {e}; make the folder writable (or free space on its disk), then spawn again",
            dir.display()
        ))
        .into()
    })
}

/// Stops a process group the daemon does not supervise: SIGINT, SIGTERM, then SIGKILL, each
/// given its time, as a supervised agent is stopped.
fn orphan_stop(pid: u32) {
    use rustix::process::Signal;
    for signal in [Signal::INT, Signal::TERM, Signal::KILL] {
        super::supervisor::group_signal(Some(pid), signal);
        super::supervisor::group_signal(Some(pid), Signal::CONT);
        let deadline = std::time::Instant::now() + super::supervisor::STOP_GRACE;
        while std::time::Instant::now() < deadline {
            if !std::path::Path::new(&format!("/proc/{pid}")).exists() || zombie(pid) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| stat.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z'))
        .unwrap_or(true)
}

/// Writes a file readable by the user alone, whole: written beside, then renamed over.
fn private_write(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// What an interrupted agent is told when "resume all" continues its session.
const RESUME_MESSAGE: &str = "Baton's daemon was stopped while you were working, which interrupted your turn; it \
     runs again now. Continue your task from where you left off.";

/// What "resume all" did: the agents resumed, and those that could not be, with the reason.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InterruptedResume {
    pub resumed: Vec<Agent>,
    pub failed: Vec<ResumeFailure>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResumeFailure {
    pub agent_id: String,
    pub agent_name: String,
    /// Why it could not resume, and what to do.
    pub message: String,
}

/// A removed (archived) agent takes no more work: its history is there to read.
pub(super) fn archived_refuse(agent: &Agent) -> Result<()> {
    if agent.archived_at.is_some() {
        return Err(AgentError::Invalid(format!(
            "agent {} was removed (archived): its history stays readable but it takes no more messages; spawn a new agent",
            agent.name
        ))
        .into());
    }
    Ok(())
}

async fn futures_join(waits: Vec<impl std::future::Future<Output = ()>>) {
    for wait in waits {
        wait.await;
    }
}

/// The program for an agent: the `command` agent's own program, or the CLI from the settings
/// or PATH. A missing one is an error naming the setting and the npm package.
fn program_resolve(settings: &Settings, cli: CliKind, program: &[String]) -> Result<PathBuf> {
    if cli == CliKind::Command {
        let name = program.first().map(PathBuf::from).unwrap_or_default();
        return program_find(&name).ok_or_else(|| {
            AgentError::CliMissing(format!(
                "cannot find the program {}: check the name, or give its full path",
                name.display()
            ))
            .into()
        });
    }
    let (default_name, package) = cli.default_binary().unwrap_or(("", ""));
    let configured = settings.clis.for_cli(cli).and_then(|s| s.binary.clone());
    let wanted = configured.clone().unwrap_or_else(|| PathBuf::from(default_name));
    program_find(&wanted).ok_or_else(|| {
        let cli = cli.as_str();
        let message = match configured {
            Some(path) => format!(
                "the {cli} CLI set in settings.json (clis.{cli}.binary = {}) does not exist or is not executable; fix the setting, or install it with `npm install -g {package}`",
                path.display()
            ),
            None => format!(
                "the {cli} CLI is not on PATH; install it with `npm install -g {package}`, or set its program in Settings (clis.{cli}.binary in settings.json)"
            ),
        };
        AgentError::CliMissing(message).into()
    })
}
