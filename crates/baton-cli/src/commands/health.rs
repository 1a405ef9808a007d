//! Agent health from the command line: `health`, `alerts` (and `alerts ack`), `pause --all`,
//! `resume --all`, and `monitor`, a live full-screen view (ratatui over crossterm) redrawn in
//! place from the daemon's event stream and the health route, until q.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use baton_core::BatonHome;
use baton_core::api::{AlertListQuery, HealthAgentsQuery};
use baton_core::coordinator::CoordinatorStatus;
use baton_core::health::{AgentHealth, Alert, HealthReport};
use baton_daemon::DaemonError;
use baton_daemon::client::DaemonClient;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table};

use crate::output;

/// `baton health [--session S] [--json]`.
pub fn health(home: &BatonHome, session: Option<String>, json: bool) -> Result<(), DaemonError> {
    let report = super::client(home)?.health_agents(&HealthAgentsQuery { session })?;
    if json {
        output::json(&report);
        return Ok(());
    }
    let paused = if report.paused_all { " (everything paused: `baton resume --all`)" } else { "" };
    println!("score {}{paused}", report.score);
    let rows: Vec<Vec<String>> = report
        .agents
        .iter()
        .map(|a| {
            vec![
                a.name.clone(),
                state_word(a),
                cpu_text(a),
                mem_text(a),
                a.sample.as_ref().and_then(|s| s.threads).map_or("-".into(), |t| t.to_string()),
                a.score.value.to_string(),
                a.score.deductions.iter().map(|d| d.why.clone()).collect::<Vec<_>>().join("; "),
            ]
        })
        .collect();
    if rows.is_empty() {
        println!("no agents");
    } else {
        output::table(&["AGENT", "STATE", "CPU", "MEMORY", "THREADS", "SCORE", "WHY"], &rows);
    }
    Ok(())
}

/// `baton alerts [--all] [--json]`.
pub fn alerts(home: &BatonHome, session: Option<String>, all: bool, json: bool) -> Result<(), DaemonError> {
    let list = super::client(home)?.alert_list(&AlertListQuery { session, all: Some(all) })?;
    if json {
        output::json(&list);
        return Ok(());
    }
    if list.is_empty() {
        println!("{}", if all { "no alerts" } else { "no open alerts (`baton alerts --all` shows past ones)" });
        return Ok(());
    }
    for a in &list {
        let status = match (&a.resolved_at, &a.acknowledged_at) {
            (Some(_), _) => "resolved",
            (None, Some(_)) => "acknowledged",
            (None, None) => "open",
        };
        println!("{}  {} {} {}  {}", a.id, output::time_short(&a.created_at), a.severity.as_str(), status, a.message);
        println!("    {}", a.way_on);
    }
    Ok(())
}

/// `baton alerts ack ID`.
pub fn alert_ack(home: &BatonHome, id: &str) -> Result<(), DaemonError> {
    let alert = super::client(home)?.alert_acknowledge(id)?;
    println!("acknowledged {}: {}", alert.id, alert.message);
    Ok(())
}

/// `baton pause --all`.
pub fn pause_all(home: &BatonHome) -> Result<(), DaemonError> {
    let report = super::client(home)?.agents_pause_all()?;
    let who = if report.agents.is_empty() { "no agent was running".to_owned() } else { report.agents.join(", ") };
    println!("paused: {who}; coordinators start no task until `baton resume --all`");
    Ok(())
}

/// `baton resume --all`.
pub fn resume_all(home: &BatonHome) -> Result<(), DaemonError> {
    let report = super::client(home)?.agents_resume_all()?;
    let who = if report.agents.is_empty() { "no agent was paused".to_owned() } else { report.agents.join(", ") };
    println!("resumed: {who}; coordinators start tasks again");
    Ok(())
}

fn state_word(a: &AgentHealth) -> String {
    if a.paused {
        format!("{} (paused)", a.state.as_str())
    } else if a.released_at.is_some() {
        format!("{} (released)", a.state.as_str())
    } else {
        a.state.as_str().to_owned()
    }
}

fn cpu_text(a: &AgentHealth) -> String {
    a.sample.as_ref().and_then(|s| s.cpu_pct).map_or("-".into(), |c| format!("{c:.0}%"))
}

fn mem_text(a: &AgentHealth) -> String {
    a.sample.as_ref().and_then(|s| s.rss_bytes).map_or("-".into(), |b| format!("{} MB", b >> 20))
}

/// What the monitor shows.
#[derive(Debug, Default)]
pub struct MonitorView {
    pub session: Option<String>,
    pub report: Option<HealthReport>,
    pub alerts: Vec<Alert>,
    pub coordinator: Option<CoordinatorStatus>,
    pub error: Option<String>,
}

/// Draws the monitor: a header (score, paused, cycles), the agents, the open alerts.
pub fn monitor_draw(frame: &mut Frame<'_>, view: &MonitorView) {
    let [head, agents, alerts, foot] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(4),
        Constraint::Length(view.alerts.len().clamp(1, 8) as u16 + 2),
        Constraint::Length(1),
    ])
    .areas(frame.area());

    let mut title = vec![Span::styled("baton monitor", Style::new().add_modifier(Modifier::BOLD))];
    if let Some(s) = &view.session {
        title.push(Span::raw(format!("  session {s}")));
    }
    let mut second = Vec::new();
    if let Some(r) = &view.report {
        title.push(Span::raw(format!("  score {}", r.score)));
        if r.paused_all {
            title.push(Span::styled("  PAUSED", Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)));
        }
        second.push(format!("sampler: {} ticks every {} s", r.sampler_ticks, r.sample_secs));
    }
    if let Some(c) = &view.coordinator {
        second.push(format!("coordinator: {}, {} cycles", c.state.as_str(), c.cycles));
    }
    if let Some(e) = &view.error {
        second.push(format!("error: {e}"));
    }
    frame.render_widget(Paragraph::new(vec![Line::from(title), Line::from(second.join("   "))]), head);

    let rows: Vec<Row<'_>> = view
        .report
        .iter()
        .flat_map(|r| r.agents.iter())
        .map(|a| {
            let style = if !a.alerts.is_empty() { Style::new().fg(Color::Red) } else { Style::new() };
            Row::new(vec![
                a.name.clone(),
                state_word(a),
                cpu_text(a),
                mem_text(a),
                a.score.value.to_string(),
                format!("${:.2}", a.cost_usd),
                a.last_line.clone().unwrap_or_default(),
            ])
            .style(style)
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(16),
            Constraint::Length(20),
            Constraint::Length(6),
            Constraint::Length(9),
            Constraint::Length(5),
            Constraint::Length(8),
            Constraint::Min(10),
        ],
    )
    .header(
        Row::new(["AGENT", "STATE", "CPU", "MEMORY", "SCORE", "COST", "LAST LINE"])
            .style(Style::new().add_modifier(Modifier::BOLD)),
    )
    .block(Block::new().borders(Borders::TOP).title("agents"));
    frame.render_widget(table, agents);

    let lines: Vec<Line<'_>> = if view.alerts.is_empty() {
        vec![Line::from("no open alerts")]
    } else {
        view.alerts
            .iter()
            .take(8)
            .map(|a| Line::from(format!("{} {}: {} — {}", a.severity.as_str(), a.id, a.message, a.way_on)))
            .collect()
    };
    frame.render_widget(Paragraph::new(lines).block(Block::new().borders(Borders::TOP).title("alerts")), alerts);
    frame.render_widget(Paragraph::new("q quits"), foot);
}

fn monitor_load(client: &DaemonClient, session: &Option<String>) -> MonitorView {
    let mut view = MonitorView { session: session.clone(), ..MonitorView::default() };
    let loaded = (|| -> Result<(), DaemonError> {
        view.report = Some(client.health_agents(&HealthAgentsQuery { session: session.clone() })?);
        view.alerts = client.alert_list(&AlertListQuery { session: session.clone(), all: Some(false) })?;
        if let Some(s) = session {
            view.coordinator = Some(client.coordinator_status(s)?);
        }
        Ok(())
    })();
    if let Err(e) = loaded {
        view.error = Some(e.to_string());
    }
    view
}

/// `baton monitor [--session S]`: redraws whenever the daemon announces a change (and at each
/// sample), until q, Esc or Ctrl-C.
pub fn monitor(home: &BatonHome, session: Option<String>) -> Result<(), DaemonError> {
    use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return Err(DaemonError::Api(baton_core::ApiError::new(
            baton_core::ErrorCode::InvalidInput,
            "baton monitor draws a live view and needs a terminal; for a snapshot use `baton health` (or --json)",
        )));
    }
    let client = super::client(home)?;
    let (changed_tx, changed) = mpsc::channel::<()>();
    {
        let client = client.clone();
        std::thread::spawn(move || {
            let _ended = client.events_follow(|_batch| changed_tx.send(()).is_ok());
        });
    }
    let mut terminal = ratatui::init();
    let result = (|| -> std::io::Result<()> {
        let mut view = monitor_load(&client, &session);
        let mut last = Instant::now();
        loop {
            terminal.draw(|f| monitor_draw(f, &view))?;
            let every = view.report.as_ref().map_or(2.0, |r| r.sample_secs.max(0.2));
            if event::poll(Duration::from_millis(100))?
                && let Event::Key(key) = event::read()?
                && key.kind == KeyEventKind::Press
                && (matches!(key.code, KeyCode::Char('q') | KeyCode::Esc)
                    || (key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL)))
            {
                return Ok(());
            }
            let mut dirty = false;
            while changed.try_recv().is_ok() {
                dirty = true;
            }
            if dirty || last.elapsed() >= Duration::from_secs_f64(every) {
                view = monitor_load(&client, &session);
                last = Instant::now();
            }
        }
    })();
    ratatui::restore();
    result.map_err(|e| DaemonError::Unreachable { home: home.root().to_owned(), detail: e.to_string() })
}

#[cfg(test)]
mod tests {
    use baton_core::agent::AgentState;
    use baton_core::health::{AgentHealth, HealthReport, HealthSample, Score};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;

    #[test]
    fn the_monitor_shows_agents_with_state_cpu_memory_and_last_line() {
        let agent = AgentHealth {
            agent_id: "agt_1".into(),
            session_id: "ses_1".into(),
            name: "builder".into(),
            task_id: None,
            state: AgentState::Running,
            paused: true,
            released_at: None,
            sample: Some(HealthSample {
                agent_id: "agt_1".into(),
                ts: 0,
                cpu_pct: Some(97.4),
                rss_bytes: Some(300 << 20),
                threads: Some(4),
                score: 80,
                state: Some("running".into()),
                last_output_at: None,
                averaged: false,
            }),
            score: Score { value: 80, deductions: vec![] },
            last_line: Some("cargo build".into()),
            last_output_at: None,
            cost_usd: 0.25,
            alerts: vec![],
        };
        let view = MonitorView {
            session: Some("s".into()),
            report: Some(HealthReport {
                score: 80,
                agents: vec![agent],
                paused_all: true,
                sampler_ticks: 12,
                sample_secs: 2.0,
            }),
            ..MonitorView::default()
        };
        let mut terminal = Terminal::new(TestBackend::new(100, 14)).unwrap();
        terminal.draw(|f| monitor_draw(f, &view)).unwrap();
        let screen: String = terminal
            .backend()
            .buffer()
            .content()
            .chunks(100)
            .map(|row| row.iter().map(|c| c.symbol()).collect::<String>() + "\n")
            .collect();
        for wanted in [
            "score 80",
            "PAUSED",
            "12 ticks",
            "builder",
            "running (paused)",
            "97%",
            "300 MB",
            "$0.25",
            "cargo build",
            "no open alerts",
            "q quits",
        ] {
            assert!(screen.contains(wanted), "{wanted:?} not in\n{screen}");
        }
    }
}
