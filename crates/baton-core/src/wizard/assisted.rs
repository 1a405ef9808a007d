//! The agent-assisted engine at work: a planner agent of the session (a lane like any other,
//! read-only, in the session's repository) is sent the goal and the facts, then each answer; a
//! watcher reads each reply when its turn ends ([`planner::reply_parse`]). A reply that cannot be
//! used is asked for again once with the reason; a second one, or a planner that fails, hands
//! the wizard to the guided engine with a note. A draft waiting on the planner when the daemon
//! stopped is taken up again at the next start: the planner's CLI session is resumed with the
//! message it had not answered.

use std::path::Path;
use std::time::Duration;

use tokio::sync::broadcast;

use super::planner::{self, Next, PlannerReply, PlannerState};
use super::{
    COLUMNS, Stored, WizardAnswer, WizardEngine, WizardError, WizardReply, WizardState, advance, answer_words,
    draft_check, stored_from_row, wizard_load,
};
use crate::agent::AgentSpawn;
use crate::agent::protocol::CliKind;
use crate::engine::Engine;
use crate::error::Result;
use crate::events::EngineEvent;
use crate::session::Session;
use crate::{ids, time};

/// How often the watcher looks at the planner when no event says it changed.
const WATCH_POLL: Duration = Duration::from_secs(5);

impl PlannerState {
    fn new(cli: CliKind, agent: &crate::agent::Agent, max_questions: u32, message: String) -> Self {
        Self {
            cli,
            agent_id: agent.id.clone(),
            agent_name: agent.name.clone(),
            max_questions,
            asked: Vec::new(),
            pending: None,
            thinking: true,
            turns_at: 0,
            message,
            reasked: false,
            told: 0,
            fell_back: false,
            kept: Vec::new(),
            note: None,
        }
    }
}

fn state_changed() -> crate::error::Error {
    WizardError::State("the wizard changed meanwhile; `baton wizard show` shows where it is".into()).into()
}

/// The planner's state while it still waits for the reply to the turn started at `turns_at`; a
/// wizard changed meanwhile (answered elsewhere, discarded, handed to the guided engine) is left.
fn thinking_at(planner: &mut Option<PlannerState>, turns_at: u32) -> Result<&mut PlannerState> {
    planner.as_mut().filter(|s| s.thinking && s.turns_at == turns_at).ok_or_else(state_changed)
}

impl Engine {
    /// Starts an agent-assisted wizard: the facts, then the planner agent with the first
    /// message. The wizard comes back at once, its planner thinking; its first question (or
    /// plan) is announced as a `wizard_updated` event.
    pub(super) fn wizard_start_assisted(
        &self,
        session: &Session,
        goal: &str,
        cli: Option<CliKind>,
    ) -> Result<super::Wizard> {
        let settings = self.settings()?.wizard.unwrap_or_default();
        let cli = cli.unwrap_or(settings.planner);
        if cli == CliKind::Command {
            return Err(WizardError::Planner(
                "the planner is an agent CLI: claude, codex or gemini (not command)".into(),
            )
            .into());
        }
        let facts = super::facts::facts_read(Path::new(&session.repo))?;
        let prompt = planner::prompt_first(goal, &facts, settings.max_questions);
        let agent = self.agent_spawn_read_only(&AgentSpawn {
            session: session.id.clone(),
            cli,
            prompt: prompt.clone(),
            name: Some(self.planner_name(&session.id)?),
            model: None,
            allow_tools: Vec::new(),
            program: Vec::new(),
            cwd: Some(session.repo.clone()),
        })?;
        let now = time::now_ms();
        let w = Stored {
            id: ids::new_id("wiz"),
            session_id: session.id.clone(),
            goal: goal.to_owned(),
            engine: WizardEngine::Agent,
            state: WizardState::Draft,
            facts,
            answers: Vec::new(),
            plan: None,
            planner: Some(PlannerState::new(cli, &agent, settings.max_questions, prompt)),
            created_at: now,
            updated_at: now,
        };
        let wizard = self.wizard_insert(w)?;
        self.planner_watch(&wizard.id);
        Ok(wizard)
    }

    /// `planner`, or `planner-2`... : the first name free in the session.
    fn planner_name(&self, session_id: &str) -> Result<String> {
        let conn = self.inner.store.conn();
        let mut name = "planner".to_owned();
        let mut n = 2;
        while crate::agent::record::agent_name_taken(&conn, session_id, &name)? {
            name = format!("planner-{n}");
            n += 1;
        }
        Ok(name)
    }

    /// Answers the planner's question: recorded, then sent to the planner, which thinks again.
    pub(super) fn wizard_answer_assisted(&self, id: &str, reply: &WizardReply) -> Result<super::Wizard> {
        let w = wizard_load(&self.inner.store.conn(), id)?;
        draft_check(&w)?;
        let p = w.planner.clone().ok_or_else(state_changed)?;
        if p.thinking {
            return Err(WizardError::State(format!(
                "the planner ({}) is still working on its reply; answer once its question is shown (`baton wizard show {id}`)",
                p.agent_name
            ))
            .into());
        }
        let Some(q) = p.pending.clone() else {
            return Err(
                WizardError::State("every question is answered; edit the plan, go back, or launch it".into()).into()
            );
        };
        let values = planner::answer_parse(&q, &reply.answers)?;
        let answered = w.answers.len() + 1;
        let message = planner::message_answer(&q, &values, answered, p.told, p.max_questions);
        let turns_at = self.agent_get(&p.agent_id)?.turns;
        self.wizard_change(id, |_, w| {
            draft_check(w)?;
            let st = w.planner.as_mut().ok_or_else(state_changed)?;
            if st.thinking || st.pending.as_ref() != Some(&q) {
                return Err(state_changed());
            }
            w.answers.push(WizardAnswer { question: q.id.clone(), text: q.text.clone(), values, auto: false });
            st.asked.truncate(w.answers.len() - 1);
            st.asked.push(q.clone());
            st.pending = None;
            st.thinking = true;
            st.turns_at = turns_at;
            st.message = message.clone();
            st.reasked = false;
            st.told = w.answers.len();
            Ok(())
        })?;
        if let Err(e) = self.agent_send(&p.agent_id, &message) {
            let note = format!(
                "The planner ({}) could not take your answer ({e}); the guided questions go on from here.",
                p.agent_name
            );
            self.planner_fallback(id, turns_at, note)?;
        } else {
            self.planner_watch(id);
        }
        self.wizard_get(id)
    }

    /// Goes back to the planner's question answered last; the next answer tells the planner
    /// that the later answers no longer hold.
    pub(super) fn wizard_back_assisted(&self, id: &str) -> Result<super::Wizard> {
        self.wizard_change(id, |_, w| {
            draft_check(w)?;
            let st = w.planner.as_mut().ok_or_else(state_changed)?;
            if st.thinking {
                return Err(WizardError::State(
                    "the planner is working on its reply; go back once it has answered".into(),
                )
                .into());
            }
            if w.answers.pop().is_none() {
                return Err(
                    WizardError::State("this is the first question; there is nothing to go back to".into()).into()
                );
            }
            let n = w.answers.len();
            st.pending = st.asked.get(n).cloned();
            st.asked.truncate(n);
            w.plan = None;
            Ok(())
        })
    }

    /// Waits (on the runtime, not this thread) for the planner's turn to end, then reads the
    /// reply. Without a runtime (an engine opened to read), nothing waits.
    fn planner_watch(&self, wizard_id: &str) {
        let Some(handle) = self.inner.runtime.clone() else { return };
        let Some(agent_id) =
            wizard_load(&self.inner.store.conn(), wizard_id).ok().and_then(|w| w.planner).map(|p| p.agent_id)
        else {
            return;
        };
        let engine = self.clone();
        let wizard_id = wizard_id.to_owned();
        handle.spawn(async move {
            let mut events = engine.events().subscribe();
            loop {
                let (e, a) = (engine.clone(), agent_id.clone());
                match tokio::task::spawn_blocking(move || e.agent_get(&a)).await {
                    Ok(Ok(agent)) if agent.state.is_active() => {}
                    _ => break,
                }
                let _ = tokio::time::timeout(WATCH_POLL, agent_changed(&mut events, &agent_id)).await;
            }
            let _ = tokio::task::spawn_blocking(move || {
                if let Err(e) = engine.planner_receive(&wizard_id) {
                    tracing::warn!(wizard = %wizard_id, "cannot read the planner's reply: {e}");
                }
            })
            .await;
        });
    }

    /// Reads the planner's reply to the message it was sent last: a question to show, the
    /// plan, or a bad reply (asked again once; then the guided engine takes over).
    fn planner_receive(&self, id: &str) -> Result<()> {
        let w = wizard_load(&self.inner.store.conn(), id)?;
        let Some(p) = w.planner.clone().filter(|p| p.thinking && !p.fell_back) else { return Ok(()) };
        if w.state != WizardState::Draft || w.engine != WizardEngine::Agent {
            return Ok(());
        }
        let agent = self.agent_get(&p.agent_id)?;
        if agent.state.is_active() {
            self.planner_watch(id);
            return Ok(());
        }
        // The daemon stopping cut its turn: not a reply; the next daemon sends the message again.
        if agent.interrupted_at.is_some() {
            return Ok(());
        }
        let turn = if agent.turns > p.turns_at {
            let events = self.agent_events(&agent.id, 0, usize::MAX)?.into_iter().map(|r| r.event);
            Some(crate::coordinator::decide::turn_last(events))
        } else {
            None
        };
        let lane = format!("its agent {} is {}", agent.name, agent.state.as_str());
        let turn = turn.as_ref().map(|t| (t.text.as_str(), t.is_error));
        match planner::reply_next(&p, turn, &lane, w.answers.len(), &answer_words(&w)) {
            Next::Reply(reply) => {
                self.wizard_change(id, |_, w| {
                    let st = thinking_at(&mut w.planner, p.turns_at)?;
                    st.thinking = false;
                    st.reasked = false;
                    match reply {
                        PlannerReply::Question(q) => st.pending = Some(q),
                        PlannerReply::Plan(plan) => w.plan = Some(plan),
                    }
                    Ok(())
                })?;
            }
            Next::Reask { message, error } => {
                let turns_at = agent.turns;
                match self.agent_send(&agent.id, &message) {
                    Ok(_) => {
                        self.wizard_change(id, |_, w| {
                            let st = thinking_at(&mut w.planner, p.turns_at)?;
                            st.reasked = true;
                            st.turns_at = turns_at;
                            st.message = message;
                            Ok(())
                        })?;
                        self.planner_watch(id);
                    }
                    Err(send) => {
                        let note = format!(
                            "The planner ({}) gave a reply Baton could not use ({error}) and could not be asked again ({send}); the guided questions go on from here.",
                            p.agent_name
                        );
                        self.planner_fallback(id, p.turns_at, note)?;
                    }
                }
            }
            Next::Fallback { note } => self.planner_fallback(id, p.turns_at, note)?,
        }
        Ok(())
    }

    /// The guided engine takes over: the planner's answers are kept (shown, and recorded as
    /// decisions at launch), the guided graph starts from its first question, the note says why.
    fn planner_fallback(&self, id: &str, turns_at: u32, note: String) -> Result<()> {
        let g = self.wizard_graph(WizardEngine::Guided.as_str())?;
        self.wizard_change(id, |_, w| {
            let st = thinking_at(&mut w.planner, turns_at)?;
            st.thinking = false;
            st.fell_back = true;
            st.pending = None;
            st.note = Some(note);
            st.kept = std::mem::take(&mut w.answers);
            w.engine = WizardEngine::Guided;
            w.plan = None;
            advance(&g, w)
        })
        .map(|w| {
            if let Some(p) = w.planner {
                self.planner_release(&p.agent_id);
            }
        })
    }

    /// Ends the planner's process once the wizard no longer needs it (launched, discarded, or
    /// handed to the guided engine); its lane and CLI session stay. In the background: a CLI
    /// takes a moment to exit.
    pub(super) fn planner_release(&self, agent_id: &str) {
        let Some(handle) = self.inner.runtime.clone() else { return };
        let engine = self.clone();
        let id = agent_id.to_owned();
        handle.spawn_blocking(move || engine.process_end(&id));
    }

    /// At the daemon's start: drafts whose planner was thinking when the last daemon stopped.
    /// A reply that came before the stop is read; otherwise the planner's CLI session is resumed
    /// with the message it had not answered.
    pub(crate) fn wizards_resume(&self) -> Result<()> {
        let Some(handle) = self.inner.runtime.clone() else { return Ok(()) };
        let waiting: Vec<Stored> = {
            let conn = self.inner.store.conn();
            let mut stmt = conn.prepare(&format!(
                "SELECT {COLUMNS} FROM wizards WHERE state = 'draft' AND engine = 'agent' AND planner IS NOT NULL"
            ))?;
            stmt.query_map([], stored_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?
        };
        for w in waiting {
            let Some(p) = w.planner.filter(|p| p.thinking) else { continue };
            let engine = self.clone();
            handle.spawn_blocking(move || {
                let resumed = engine.agent_get(&p.agent_id).and_then(|agent| {
                    // A reply that came before the stop is read; a turn the stop cut is asked again.
                    if agent.interrupted_at.is_none() && (agent.state.is_active() || agent.turns > p.turns_at) {
                        return engine.planner_receive(&w.id);
                    }
                    let turns_at = agent.turns;
                    match engine.agent_send(&agent.id, &p.message) {
                        Ok(_) => {
                            engine.wizard_change(&w.id, |_, w| {
                                let st = thinking_at(&mut w.planner, p.turns_at)?;
                                st.turns_at = turns_at;
                                Ok(())
                            })?;
                            engine.planner_watch(&w.id);
                            Ok(())
                        }
                        Err(e) => engine.planner_fallback(
                            &w.id,
                            p.turns_at,
                            format!(
                                "The planner ({}) could not be resumed after the daemon restarted ({e}); the guided questions go on from here.",
                                p.agent_name
                            ),
                        ),
                    }
                });
                if let Err(e) = resumed {
                    tracing::warn!(wizard = %w.id, "cannot resume the wizard's planner: {e}");
                }
            });
        }
        Ok(())
    }
}

/// Resolves when the agent changed (or events were missed).
async fn agent_changed(events: &mut broadcast::Receiver<EngineEvent>, agent_id: &str) {
    loop {
        match events.recv().await {
            Ok(EngineEvent::AgentUpdated { agent }) if agent.id == agent_id => return,
            Ok(_) => {}
            Err(broadcast::error::RecvError::Lagged(_)) => return,
            Err(broadcast::error::RecvError::Closed) => std::future::pending::<()>().await,
        }
    }
}
