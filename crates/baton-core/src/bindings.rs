//! The TypeScript twins of every type that crosses to a client, generated with ts-rs into
//! `ui/src/bindings/` and committed. A test fails when the committed files are stale;
//! `BATON_UPDATE_BINDINGS=1 cargo test -p baton-core bindings` rewrites them.

use std::path::Path;

use ts_rs::{Config, ExportError, TS};

use crate::agent::event::CommandStatus;
use crate::agent::protocol::CliKind;
use crate::agent::record::TokenUsage;
use crate::agent::{Agent, AgentEvent, AgentEventRecord, AgentSpawn, AgentState, PermissionRequest};
use crate::agent::{AgentWorktree, GcEntry, GcReport, InboxMessage, InterruptedResume, ResumeFailure};
use crate::api::PatternShowQuery;
use crate::api::{AgentApprove, AgentMessage, DaemonConnection, DaemonHealth};
use crate::api::{
    AgentDiffQuery, AgentEventsQuery, AgentListQuery, AgentRemoveQuery, AgentWaitQuery, ArtifactCreate,
    ArtifactListQuery, ArtifactSearchQuery, CyclesQuery, DaemonStopQuery, InboxTake, ReportQuery, TaskListQuery,
};
use crate::api::{AlertListQuery, HealthAgentsQuery, SamplesQuery};
use crate::api::{CliDetectQuery, EditorOpen, SettingsRead, SettingsUpdate};
use crate::api::{ContextText, ObjectiveUpdate, WorktreesGc, WorktreesUsage};
use crate::api::{TerminalInput, TerminalListQuery, TerminalOpen, TerminalResize};
use crate::artifact::{Artifact, ArtifactHit, ArtifactKind};
use crate::context::{
    AgentBrief, ContextDoc, ContextImport, ContextSession, ContextTask, Decision, DecisionState, Insight, Objective,
    ObjectiveState, SessionStatus, StateCount,
};
use crate::coordinator::verdict::{Finding, Verdict, VerdictKind};
use crate::coordinator::{Candidate, Selection, TaskPick, VoteCount};
use crate::coordinator::{
    CoordinatorBecame, CoordinatorBecome, CoordinatorStatus, Criteria, Cycle, CycleSummary, Promotion,
};
use crate::error::{ApiError, ErrorCode};
use crate::events::EngineEvent;
use crate::health::{
    AgentHealth, Alert, AlertKind, AlertSeverity, Deduction, DeductionKind, HealthReport, HealthSample, PauseReport,
    Score, SessionHealth,
};
use crate::pattern::{DelegateRole, PatternEdge, PatternGraph, PatternInfo, PatternNode, PatternRun, TaskPattern};
use crate::report::{Report, ReportFormat, ReportSave, ReportSaved};
use crate::session::{CoordinatorState, Session, SessionCreate, SessionSettings, SessionState, SessionUpdate};
use crate::settings::{CliDetection, EditorOpened, EditorsDetected, Settings};
use crate::task::{DepHolds, DepKind, Task, TaskComplete, TaskCreate, TaskDep, TaskState};
use crate::terminal::{TerminalClientMessage, TerminalInfo, TerminalKind, TerminalServerMessage};
use crate::wizard::facts::{DeclaredCommand, FolderFacts, LanguageCount, Manifest, RepoFacts};
use crate::wizard::plan::{PlanAgent, PlanTask, WizardPlan};
use crate::wizard::questions::QuestionKind;
use crate::wizard::{
    Wizard, WizardAnswer, WizardEngine, WizardLaunch, WizardLaunched, WizardListQuery, WizardOption, WizardPatternSave,
    WizardPlanSet, WizardQuestion, WizardReply, WizardStart, WizardState,
};
use crate::worktree::diff::{FileStat, WorktreeDiff};
use crate::worktree::merge::{MergeReport, MergeRequest, MergeStrategy};
use crate::worktree::publish::{PushReport, PushRequest};
use crate::worktree::snapshot::{Checkpoint, RestoreReport};
use crate::worktree::update::{BranchStatus, UpdateMode, UpdateReport, UpdateRequest};
use crate::worktree::{ChangedFile, Worktree};

/// Writes every binding (with its dependencies) into `dir`, one `.ts` file per type.
pub fn bindings_export(dir: &Path) -> Result<(), ExportError> {
    let cfg = Config::new().with_out_dir(dir);
    ApiError::export_all(&cfg)?;
    ErrorCode::export_all(&cfg)?;
    DaemonHealth::export_all(&cfg)?;
    DaemonConnection::export_all(&cfg)?;
    SettingsRead::export_all(&cfg)?;
    SettingsUpdate::export_all(&cfg)?;
    Settings::export_all(&cfg)?;
    CliDetectQuery::export_all(&cfg)?;
    CliDetection::export_all(&cfg)?;
    EditorsDetected::export_all(&cfg)?;
    EditorOpen::export_all(&cfg)?;
    EditorOpened::export_all(&cfg)?;
    EngineEvent::export_all(&cfg)?;
    Session::export_all(&cfg)?;
    Promotion::export_all(&cfg)?;
    CoordinatorBecome::export_all(&cfg)?;
    CoordinatorBecame::export_all(&cfg)?;
    InboxMessage::export_all(&cfg)?;
    InboxTake::export_all(&cfg)?;
    crate::inbox::InboxItem::export_all(&cfg)?;
    crate::inbox::InboxKind::export_all(&cfg)?;
    crate::attention::AttentionSummary::export_all(&cfg)?;
    SessionState::export_all(&cfg)?;
    SessionCreate::export_all(&cfg)?;
    SessionUpdate::export_all(&cfg)?;
    Agent::export_all(&cfg)?;
    AgentState::export_all(&cfg)?;
    AgentSpawn::export_all(&cfg)?;
    AgentEvent::export_all(&cfg)?;
    AgentEventRecord::export_all(&cfg)?;
    AgentMessage::export_all(&cfg)?;
    AgentApprove::export_all(&cfg)?;
    CliKind::export_all(&cfg)?;
    CommandStatus::export_all(&cfg)?;
    PermissionRequest::export_all(&cfg)?;
    TokenUsage::export_all(&cfg)?;
    SessionSettings::export_all(&cfg)?;
    AgentWorktree::export_all(&cfg)?;
    Worktree::export_all(&cfg)?;
    ChangedFile::export_all(&cfg)?;
    FileStat::export_all(&cfg)?;
    WorktreeDiff::export_all(&cfg)?;
    Checkpoint::export_all(&cfg)?;
    RestoreReport::export_all(&cfg)?;
    MergeStrategy::export_all(&cfg)?;
    MergeRequest::export_all(&cfg)?;
    MergeReport::export_all(&cfg)?;
    UpdateMode::export_all(&cfg)?;
    UpdateRequest::export_all(&cfg)?;
    UpdateReport::export_all(&cfg)?;
    BranchStatus::export_all(&cfg)?;
    PushRequest::export_all(&cfg)?;
    PushReport::export_all(&cfg)?;
    GcReport::export_all(&cfg)?;
    GcEntry::export_all(&cfg)?;
    WorktreesGc::export_all(&cfg)?;
    WorktreesUsage::export_all(&cfg)?;
    Task::export_all(&cfg)?;
    TaskState::export_all(&cfg)?;
    TaskDep::export_all(&cfg)?;
    DepKind::export_all(&cfg)?;
    DepHolds::export_all(&cfg)?;
    TaskCreate::export_all(&cfg)?;
    TaskComplete::export_all(&cfg)?;
    PatternInfo::export_all(&cfg)?;
    PatternRun::export_all(&cfg)?;
    PatternShowQuery::export_all(&cfg)?;
    PatternGraph::export_all(&cfg)?;
    PatternNode::export_all(&cfg)?;
    PatternEdge::export_all(&cfg)?;
    TaskPattern::export_all(&cfg)?;
    DelegateRole::export_all(&cfg)?;
    Selection::export_all(&cfg)?;
    Candidate::export_all(&cfg)?;
    VoteCount::export_all(&cfg)?;
    TaskPick::export_all(&cfg)?;
    Artifact::export_all(&cfg)?;
    ArtifactHit::export_all(&cfg)?;
    ArtifactKind::export_all(&cfg)?;
    Cycle::export_all(&cfg)?;
    CycleSummary::export_all(&cfg)?;
    Criteria::export_all(&cfg)?;
    CoordinatorStatus::export_all(&cfg)?;
    CoordinatorState::export_all(&cfg)?;
    Verdict::export_all(&cfg)?;
    VerdictKind::export_all(&cfg)?;
    Finding::export_all(&cfg)?;
    Objective::export_all(&cfg)?;
    Insight::export_all(&cfg)?;
    Decision::export_all(&cfg)?;
    SessionStatus::export_all(&cfg)?;
    StateCount::export_all(&cfg)?;
    AgentBrief::export_all(&cfg)?;
    ContextDoc::export_all(&cfg)?;
    ContextSession::export_all(&cfg)?;
    ContextTask::export_all(&cfg)?;
    ContextImport::export_all(&cfg)?;
    ContextText::export_all(&cfg)?;
    ObjectiveUpdate::export_all(&cfg)?;
    ObjectiveState::export_all(&cfg)?;
    DecisionState::export_all(&cfg)?;
    AgentListQuery::export_all(&cfg)?;
    AgentEventsQuery::export_all(&cfg)?;
    AgentRemoveQuery::export_all(&cfg)?;
    DaemonStopQuery::export_all(&cfg)?;
    InterruptedResume::export_all(&cfg)?;
    ResumeFailure::export_all(&cfg)?;
    AgentDiffQuery::export_all(&cfg)?;
    TaskListQuery::export_all(&cfg)?;
    CyclesQuery::export_all(&cfg)?;
    ReportQuery::export_all(&cfg)?;
    ReportFormat::export_all(&cfg)?;
    Report::export_all(&cfg)?;
    ReportSave::export_all(&cfg)?;
    ReportSaved::export_all(&cfg)?;
    ArtifactListQuery::export_all(&cfg)?;
    ArtifactCreate::export_all(&cfg)?;
    AgentWaitQuery::export_all(&cfg)?;
    ArtifactSearchQuery::export_all(&cfg)?;
    Wizard::export_all(&cfg)?;
    WizardAnswer::export_all(&cfg)?;
    WizardEngine::export_all(&cfg)?;
    WizardLaunch::export_all(&cfg)?;
    WizardLaunched::export_all(&cfg)?;
    WizardListQuery::export_all(&cfg)?;
    WizardOption::export_all(&cfg)?;
    WizardPatternSave::export_all(&cfg)?;
    WizardPlanSet::export_all(&cfg)?;
    WizardQuestion::export_all(&cfg)?;
    WizardReply::export_all(&cfg)?;
    WizardStart::export_all(&cfg)?;
    WizardState::export_all(&cfg)?;
    WizardPlan::export_all(&cfg)?;
    PlanAgent::export_all(&cfg)?;
    PlanTask::export_all(&cfg)?;
    QuestionKind::export_all(&cfg)?;
    RepoFacts::export_all(&cfg)?;
    LanguageCount::export_all(&cfg)?;
    FolderFacts::export_all(&cfg)?;
    Manifest::export_all(&cfg)?;
    DeclaredCommand::export_all(&cfg)?;
    HealthAgentsQuery::export_all(&cfg)?;
    SamplesQuery::export_all(&cfg)?;
    AlertListQuery::export_all(&cfg)?;
    HealthReport::export_all(&cfg)?;
    AgentHealth::export_all(&cfg)?;
    HealthSample::export_all(&cfg)?;
    Score::export_all(&cfg)?;
    Deduction::export_all(&cfg)?;
    DeductionKind::export_all(&cfg)?;
    Alert::export_all(&cfg)?;
    AlertKind::export_all(&cfg)?;
    AlertSeverity::export_all(&cfg)?;
    PauseReport::export_all(&cfg)?;
    SessionHealth::export_all(&cfg)?;
    TerminalInfo::export_all(&cfg)?;
    TerminalKind::export_all(&cfg)?;
    TerminalClientMessage::export_all(&cfg)?;
    TerminalServerMessage::export_all(&cfg)?;
    TerminalOpen::export_all(&cfg)?;
    TerminalListQuery::export_all(&cfg)?;
    TerminalResize::export_all(&cfg)?;
    TerminalInput::export_all(&cfg)?;
    crate::api::PolicyRead::export_all(&cfg)?;
    crate::api::PolicyWrite::export_all(&cfg)?;
    crate::api::PolicyUpdate::export_all(&cfg)?;
    crate::policy::Policy::export_all(&cfg)?;
    crate::agent::budget::Budget::export_all(&cfg)?;
    crate::agent::budget::BudgetUse::export_all(&cfg)?;
    crate::agent::budget::BudgetStatus::export_all(&cfg)?;
    crate::agent::budget::SessionBudgets::export_all(&cfg)?;
    crate::agent::budget::BudgetSet::export_all(&cfg)?;
    Ok(())
}
