//! Pointing the real agent CLIs at a fake model server: the environment, the extra arguments and
//! the config files each needs, in a private `HOME` so nothing leaks between runs or into the
//! user's own configuration.
//!
//! The CLIs are installed at pinned versions in `tests/agent-clis` (`npm ci` there); see its
//! README for what each one sends and what the settings below are for.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The model name given to Codex: an unknown slug makes Codex add an error item to its stream.
pub const CODEX_MODEL: &str = "gpt-5.5";
/// The model name given to Gemini: without `-m`, Gemini first makes a routing request
/// (`:generateContent` asking for a `complexity_score`) that would take a scenario step.
pub const GEMINI_MODEL: &str = "gemini-2.5-pro";

/// One of the three agent CLIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AgentCli {
    Claude,
    Codex,
    Gemini,
}

impl AgentCli {
    pub const ALL: [AgentCli; 3] = [AgentCli::Claude, AgentCli::Codex, AgentCli::Gemini];

    /// `claude`, `codex` or `gemini`: the name of the executable.
    pub fn name(self) -> &'static str {
        match self {
            AgentCli::Claude => "claude",
            AgentCli::Codex => "codex",
            AgentCli::Gemini => "gemini",
        }
    }

    pub fn from_name(name: &str) -> Option<AgentCli> {
        AgentCli::ALL.into_iter().find(|cli| cli.name() == name)
    }
}

/// What a run of one CLI against the fake server needs, besides its own arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliSetup {
    pub cli: AgentCli,
    /// Variables to set.
    pub env: Vec<(String, String)>,
    /// Variables to clear, so that a developer's own keys or endpoints do not take over.
    pub env_remove: Vec<String>,
    /// Arguments to put before the CLI's own (Codex: its `-c` provider settings, which go
    /// before the `exec` subcommand; Gemini: `-m`).
    pub args: Vec<String>,
}

impl CliSetup {
    /// A command for the installed CLI ([`cli_bin`]) with this setup applied; add the CLI's own
    /// arguments, the working directory and stdio to it.
    pub fn command(&self) -> Command {
        let mut command = Command::new(cli_bin(self.cli));
        self.apply(&mut command);
        command
    }

    /// Applies the environment and the leading arguments to a command made by the caller.
    pub fn apply(&self, command: &mut Command) {
        for name in &self.env_remove {
            command.env_remove(name);
        }
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        command.args(&self.args);
    }
}

/// Variables that would send a CLI elsewhere or change its auth when inherited from the
/// environment running the tests.
const FOREIGN_ENV: &[&str] = &[
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_MODEL",
    "ANTHROPIC_SMALL_FAST_MODEL",
    "CLAUDE_CONFIG_DIR",
    "CLAUDE_CODE_USE_BEDROCK",
    "CLAUDE_CODE_USE_VERTEX",
    "CLAUDECODE",
    "CLAUDE_CODE_ENTRYPOINT",
    "CODEX_HOME",
    "CODEX_SANDBOX",
    "CODEX_SANDBOX_NETWORK_DISABLED",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "GEMINI_MODEL",
    "GOOGLE_API_KEY",
    "GOOGLE_CLOUD_PROJECT",
    "GOOGLE_CLOUD_LOCATION",
    "GOOGLE_GENAI_USE_VERTEXAI",
    "GOOGLE_GENAI_USE_GCA",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_STATE_HOME",
    "XDG_CACHE_HOME",
];

/// Writes the config files `cli` needs into `home` (a private, per-run directory that is then
/// its `HOME`) and returns how to run it against the fake server at `fake_url` with `key`.
///
/// # Panics
/// When `home` cannot be written: the test cannot go on then.
pub fn cli_setup(cli: AgentCli, fake_url: &str, key: &str, home: &Path) -> CliSetup {
    let fake_url = fake_url.trim_end_matches('/');
    let home_str = home.display().to_string();
    // A private TMPDIR too: Claude keeps per-session folders in `$TMPDIR/claude-<uid>/` and
    // Gemini writes `gemini-client-error-*.json` reports to it.
    let tmp = home.join("tmp");
    mkdir(&tmp);
    let tmp_str = tmp.display().to_string();
    let set = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let (env, args) = match cli {
        AgentCli::Claude => {
            let env = set(&[
                ("HOME", &home_str),
                ("TMPDIR", &tmp_str),
                ("ANTHROPIC_BASE_URL", fake_url),
                ("ANTHROPIC_API_KEY", key),
                // No update checks, telemetry, error reports or other side traffic.
                ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1"),
                ("DISABLE_TELEMETRY", "1"),
                ("DISABLE_AUTOUPDATER", "1"),
                // Else a 5xx is retried (with backoff) for minutes.
                ("CLAUDE_CODE_MAX_RETRIES", "1"),
            ]);
            (env, Vec::new())
        }
        AgentCli::Codex => {
            // CODEX_HOME must exist (else "Error finding codex home") and must not lie inside
            // TMPDIR: Codex refuses to place its sandbox helper there and every command then
            // fails with `bwrap: execvp codex-linux-sandbox`.
            let codex_home = home.join(".codex");
            mkdir(&codex_home);
            let env = set(&[
                ("HOME", &home_str),
                ("CODEX_HOME", &codex_home.display().to_string()),
                ("TMPDIR", &tmp_str),
                ("LOCAL_API_KEY", key),
            ]);
            // OPENAI_BASE_URL is ignored by Codex 0.169 and `wire_api="chat"` is gone: a
            // provider of its own with the Responses wire API, and no retries (an error step
            // must fail the turn, not be retried).
            let provider = format!(
                "model_providers.local={{name=\"local\", base_url=\"{fake_url}/v1\", env_key=\"LOCAL_API_KEY\", \
                 wire_api=\"responses\", request_max_retries=0, stream_max_retries=0}}"
            );
            let args = ["-c", "model_provider=local", "-c", &format!("model=\"{CODEX_MODEL}\""), "-c", &provider]
                .map(str::to_owned)
                .to_vec();
            (env, args)
        }
        AgentCli::Gemini => {
            // Without `selectedType` the base URL alone selects a "gateway" auth that `-p`
            // rejects (exit 41); without `maxAttempts` a 500 is retried for over 100 s.
            let settings = serde_json::json!({
                "security": {"auth": {"selectedType": "gemini-api-key"}},
                "general": {"maxAttempts": 1, "enableAutoUpdate": false, "enableAutoUpdateNotification": false},
                "telemetry": {"enabled": false},
                "privacy": {"usageStatisticsEnabled": false},
            });
            let dir = home.join(".gemini");
            mkdir(&dir);
            let path = dir.join("settings.json");
            if let Err(error) = std::fs::write(&path, format!("{settings:#}\n")) {
                panic!("cannot write {}: {error}", path.display());
            }
            let env = set(&[
                ("HOME", &home_str),
                ("TMPDIR", &tmp_str),
                ("GOOGLE_GEMINI_BASE_URL", fake_url),
                ("GEMINI_API_KEY", key),
                ("GEMINI_CLI_TRUST_WORKSPACE", "true"),
            ]);
            (env, vec!["-m".to_owned(), GEMINI_MODEL.to_owned()])
        }
    };
    CliSetup { cli, env, env_remove: FOREIGN_ENV.iter().map(|v| (*v).to_owned()).collect(), args }
}

fn mkdir(path: &Path) {
    if let Err(error) = std::fs::create_dir_all(path) {
        panic!("cannot create {}: {error}", path.display());
    }
}

/// The folder holding the pinned CLIs (`tests/agent-clis` of this repository).
pub fn agent_clis_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/agent-clis");
    dir.canonicalize().unwrap_or(dir)
}

/// The installed executable of `cli`, `tests/agent-clis/node_modules/.bin/<cli>`.
///
/// # Panics
/// When it is not installed, naming the command that installs it.
pub fn cli_bin(cli: AgentCli) -> PathBuf {
    let dir = agent_clis_dir();
    let bin = dir.join("node_modules/.bin").join(cli.name());
    if !bin.exists() {
        panic!(
            "{} is not installed at {}: run `npm ci --no-audit --no-fund` in {} (the Makefile's setup does)",
            cli.name(),
            bin.display(),
            dir.display()
        );
    }
    bin
}
