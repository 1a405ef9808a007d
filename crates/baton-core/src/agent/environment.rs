//! What an agent's process sees of the daemon's environment: what programs need to run as the
//! user (`PATH`, `HOME`, the locale, the terminal, proxies and certificates), its own CLI's
//! provider variables (Claude's `ANTHROPIC_*`, Codex's `OPENAI_*`, Gemini's `GEMINI_*` and
//! `GOOGLE_*`), and what the settings allow (`agents.envAllow`); nothing else. A secret in the
//! daemon's environment (`AWS_SECRET_ACCESS_KEY`, `GITHUB_TOKEN`, another provider's key) does
//! not reach agents unless the user lists it. Baton's own variables and the CLI's settings are
//! added after, by the launch.

use super::protocol::CliKind;

/// Kept for every agent, by name.
const BASE: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "LANG",
    "LANGUAGE",
    "TZ",
    "TERM",
    "COLORTERM",
    "TMPDIR",
    "EDITOR",
    "VISUAL",
    "PAGER",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_CACHE_HOME",
    "XDG_STATE_HOME",
    "XDG_RUNTIME_DIR",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "all_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "NODE_EXTRA_CA_CERTS",
    "REQUESTS_CA_BUNDLE",
];

/// Kept for every agent, by prefix (the locale's categories).
const BASE_PREFIXES: &[&str] = &["LC_"];

/// The provider variables of each CLI, by prefix: only its own.
fn provider_prefixes(cli: CliKind) -> &'static [&'static str] {
    match cli {
        CliKind::Claude => &["ANTHROPIC_", "CLAUDE_CODE_", "CLAUDE_CONFIG_DIR", "DISABLE_"],
        CliKind::Codex => &["OPENAI_", "CODEX_"],
        CliKind::Gemini => &["GEMINI_", "GOOGLE_"],
        CliKind::Command => &[],
    }
}

/// Whether `name` matches an allowance: a name, or a prefix ending in `*` (`AWS_*`).
fn allowed_by(name: &str, allow: &[String]) -> bool {
    allow.iter().any(|a| match a.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => name == a,
    })
}

/// The variables of `inherited` (the daemon's environment) an agent of `cli` keeps.
pub(crate) fn agent_env(
    cli: CliKind,
    inherited: impl IntoIterator<Item = (String, String)>,
    allow: &[String],
) -> Vec<(String, String)> {
    let prefixes = provider_prefixes(cli);
    inherited
        .into_iter()
        .filter(|(name, _)| {
            BASE.contains(&name.as_str())
                || BASE_PREFIXES.iter().chain(prefixes).any(|p| name.starts_with(p))
                || allowed_by(name, allow)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(names: &[&str]) -> Vec<(String, String)> {
        names.iter().map(|n| ((*n).to_owned(), "v".to_owned())).collect()
    }

    fn kept(cli: CliKind, names: &[&str], allow: &[&str]) -> Vec<String> {
        let allow: Vec<String> = allow.iter().map(|a| (*a).to_owned()).collect();
        agent_env(cli, vars(names), &allow).into_iter().map(|(k, _)| k).collect()
    }

    #[test]
    fn secrets_of_the_daemon_stay_out_and_the_basics_stay_in() {
        let all =
            ["PATH", "HOME", "LC_ALL", "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "ANTHROPIC_API_KEY", "OPENAI_API_KEY"];
        assert_eq!(kept(CliKind::Claude, &all, &[]), ["PATH", "HOME", "LC_ALL", "ANTHROPIC_API_KEY"]);
        assert_eq!(kept(CliKind::Codex, &all, &[]), ["PATH", "HOME", "LC_ALL", "OPENAI_API_KEY"]);
        assert_eq!(kept(CliKind::Command, &all, &[]), ["PATH", "HOME", "LC_ALL"]);
    }

    #[test]
    fn the_settings_allow_names_and_prefixes() {
        let all = ["PATH", "AWS_REGION", "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "GITHUB_TOKENS"];
        assert_eq!(
            kept(CliKind::Gemini, &all, &["AWS_*", "GITHUB_TOKEN"]),
            ["PATH", "AWS_REGION", "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN"]
        );
    }
}
