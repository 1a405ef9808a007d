//! What an agent's sandbox shows and lets it write: the bubblewrap arguments, computed from the
//! agent's folders and environment alone (no process is started here, so it is tested as data).
//!
//! The root is read-only; a private `/tmp` (and `$TMPDIR`); writable: the worktree, Baton's
//! folder for the agent, its CLI's own state folders, and of the repository's shared git data
//! only what a commit on the agent's own branch writes (objects, the worktree's admin folder,
//! the folder of the branch's ref and its reflog). Everything else, the user's checkout and
//! home included, is seen read-only.

use std::path::{Path, PathBuf};

use crate::agent::protocol::CliKind;

/// The signals a stop or a terminal sends the agent's process group. The bubblewrap processes
/// ignore them (else the monitor dies of the first SIGINT and, with `--die-with-parent`, takes
/// the agent down before it handled it); the agent's program gets them back at their defaults.
pub(super) const SIGNALS: &str = "INT,TERM,HUP,QUIT";

/// One agent process's confinement, as data.
#[derive(Debug, Clone)]
pub(crate) struct Confine<'a> {
    pub cli: CliKind,
    /// Where the agent works: its worktree (or the folder it was given).
    pub cwd: &'a Path,
    /// The user's checkout (seen read-only).
    pub repo: &'a Path,
    /// `$BATON_HOME/agents/ID`: its MCP files, its shim's socket.
    pub agent_dir: &'a Path,
    /// The agent's own branch (`baton/s/dev`), when it has a worktree.
    pub branch: Option<&'a str>,
}

/// Where git keeps a worktree's data: its admin folder (`.git/worktrees/NAME`) and the
/// repository's common folder (`.git`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GitDirs {
    pub admin: PathBuf,
    pub common: PathBuf,
}

/// Reads a worktree's `.git` file and its admin folder's `commondir` (what `git rev-parse
/// --git-common-dir` prints, without starting git: this runs at every agent start). `None` when
/// `cwd` is not a linked worktree.
pub(crate) fn git_dirs(cwd: &Path) -> Option<GitDirs> {
    let dot_git = std::fs::read_to_string(cwd.join(".git")).ok()?;
    let admin = dot_git.trim().strip_prefix("gitdir:")?.trim();
    let admin = cwd.join(admin);
    let common = std::fs::read_to_string(admin.join("commondir")).ok()?;
    let common = admin.join(common.trim());
    Some(GitDirs { common: common.canonicalize().unwrap_or(common), admin: admin.canonicalize().unwrap_or(admin) })
}

/// The value of `key` in the process's environment.
fn env_get<'e>(env: &'e [(String, String)], key: &str) -> Option<&'e str> {
    env.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).filter(|v| v.starts_with('/'))
}

/// The folders and files a CLI writes its own state to (sessions, settings, credentials), from
/// the environment it runs with. Checked with the pinned CLIs (docs/safety.md, Confinement).
pub(crate) fn cli_state(cli: CliKind, env: &[(String, String)]) -> Vec<PathBuf> {
    let home = env_get(env, "HOME").map(PathBuf::from);
    let in_home = |name: &str| home.as_ref().map(|h| h.join(name));
    match cli {
        CliKind::Claude => [
            env_get(env, "CLAUDE_CONFIG_DIR").map(PathBuf::from).or_else(|| in_home(".claude")),
            // Its first-start record and projects list. Claude replaces it by a rename from
            // `$HOME` (read-only), which fails and which it tolerates (docs/safety.md).
            in_home(".claude.json"),
        ]
        .into_iter()
        .flatten()
        .collect(),
        CliKind::Codex => {
            env_get(env, "CODEX_HOME").map(PathBuf::from).or_else(|| in_home(".codex")).into_iter().collect()
        }
        CliKind::Gemini => in_home(".gemini").into_iter().collect(),
        CliKind::Command => Vec::new(),
    }
}

/// Whether a state path of [`cli_state`] is a file (`~/.claude.json`), not a folder.
pub(crate) fn is_file_state(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "json")
}

/// The folders a commit on `branch` writes in the shared git data: the objects, the folder of
/// the branch's ref and of its reflog. The worktree's admin folder is added by the caller.
pub(crate) fn git_writable(git: &GitDirs, branch: Option<&str>) -> Vec<PathBuf> {
    let mut out = vec![git.admin.clone(), git.common.join("objects")];
    if let Some(branch) = branch {
        let parent = Path::new(branch).parent().unwrap_or(Path::new(""));
        out.push(git.common.join("refs/heads").join(parent));
        out.push(git.common.join("logs/refs/heads").join(parent));
    }
    out
}

/// The refs a confined agent can write: those under the folder of its branch's ref
/// (`refs/heads/baton/s/`), all branches when its branch has no folder, none without a branch.
pub(crate) fn refs_writable(branch: Option<&str>) -> String {
    match branch.map(|b| Path::new(b).parent().unwrap_or(Path::new(""))) {
        Some(parent) if parent.as_os_str().is_empty() => "refs/heads/".to_owned(),
        Some(parent) => format!("refs/heads/{}/", parent.display()),
        // No ref folder is bound: a prefix no ref has.
        None => "refs/heads/\0".to_owned(),
    }
}

/// The bubblewrap arguments (before `--` and the program) for one agent process.
pub(crate) fn bwrap_args(c: &Confine<'_>, env: &[(String, String)], git: Option<&GitDirs>) -> Vec<String> {
    let mut args: Vec<String> = Vec::with_capacity(64);
    let mut push = |flag: &str, paths: &[&Path]| {
        args.push(flag.to_owned());
        args.extend(paths.iter().map(|p| p.to_string_lossy().into_owned()));
    };
    push("--ro-bind", &[Path::new("/"), Path::new("/")]);
    push("--dev", &[Path::new("/dev")]);
    push("--proc", &[Path::new("/proc")]);
    push("--tmpfs", &[Path::new("/tmp")]);
    // What the private /tmp hid, shown again (read-only): the user's home and checkout may be
    // under /tmp (tests put everything there).
    let home = env_get(env, "HOME").map(PathBuf::from);
    for path in home.iter().map(PathBuf::as_path).chain([c.repo]) {
        push("--ro-bind-try", &[path, path]);
    }
    if let Some(git) = git {
        push("--ro-bind-try", &[&git.common, &git.common]);
    }
    // The ssh agent's socket, when the agent was given it (`agents.envAllow`): it usually lives
    // under /tmp. Connecting to a socket needs no writable mount.
    if let Some(sock) = env_get(env, "SSH_AUTH_SOCK").map(Path::new) {
        push("--ro-bind-try", &[sock, sock]);
    }
    // A private `$TMPDIR` when it is not /tmp (the test CLIs have their own).
    if let Some(tmp) = env_get(env, "TMPDIR").map(Path::new).filter(|t| *t != Path::new("/tmp") && t.is_dir()) {
        push("--tmpfs", &[tmp]);
    }
    // Baton's home is hidden (its folder for the agent is bound again below): the daemon's
    // token (`daemon.json`), the database with every agent's MCP token, other agents' folders,
    // logs and worktrees. The agent reaches Baton through its own scoped MCP token. Not when
    // the home holds what the agent must see (a checkout or a home inside it).
    if let Some(baton_home) = c.agent_dir.parent().and_then(Path::parent) {
        let seen = home.iter().map(PathBuf::as_path).chain([c.repo]).chain(git.map(|g| g.common.as_path()));
        if !seen.into_iter().any(|p| p.starts_with(baton_home)) {
            push("--tmpfs", &[baton_home]);
        }
    }
    let mut writable: Vec<PathBuf> = vec![c.cwd.to_owned(), c.agent_dir.to_owned()];
    writable.extend(cli_state(c.cli, env));
    if let Some(git) = git {
        writable.extend(git_writable(git, c.branch));
    }
    for path in &writable {
        push("--bind-try", &[path, path]);
    }
    push("--chdir", &[c.cwd]);
    args.extend(["--unshare-pid", "--die-with-parent"].map(str::to_owned));
    args
}

/// The whole command line: bubblewrap started with the stop signals ignored, the program
/// started inside with them at their defaults (GNU `env`, when `env` is given).
pub(crate) fn command_line(
    bwrap: &Path,
    env_program: Option<&Path>,
    bwrap_args: Vec<String>,
    program: &Path,
    program_args: &[String],
) -> (PathBuf, Vec<String>) {
    let inner = |args: &mut Vec<String>| {
        args.push(program.to_string_lossy().into_owned());
        args.extend(program_args.iter().cloned());
    };
    match env_program {
        Some(env) => {
            let env_s = env.to_string_lossy().into_owned();
            let mut args = vec![format!("--ignore-signal={SIGNALS}"), bwrap.to_string_lossy().into_owned()];
            args.extend(bwrap_args);
            args.extend(["--".to_owned(), env_s, format!("--default-signal={SIGNALS}")]);
            inner(&mut args);
            (env.to_owned(), args)
        }
        None => {
            let mut args = bwrap_args;
            args.push("--".to_owned());
            inner(&mut args);
            (bwrap.to_owned(), args)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn each_cli_writes_its_own_state_folders_only() {
        let e = env(&[("HOME", "/home/u"), ("CODEX_HOME", "/srv/codex")]);
        assert_eq!(cli_state(CliKind::Claude, &e), [PathBuf::from("/home/u/.claude"), "/home/u/.claude.json".into()]);
        assert_eq!(cli_state(CliKind::Codex, &e), [PathBuf::from("/srv/codex")]);
        assert_eq!(cli_state(CliKind::Gemini, &e), [PathBuf::from("/home/u/.gemini")]);
        assert!(cli_state(CliKind::Command, &e).is_empty());
        // A relative HOME is no place to bind.
        assert!(cli_state(CliKind::Gemini, &env(&[("HOME", "u")])).is_empty());
    }

    #[test]
    fn the_worktree_and_the_branch_folder_are_writable_and_the_rest_read_only() {
        let git = GitDirs { admin: "/r/.git/worktrees/dev".into(), common: "/r/.git".into() };
        let c = Confine {
            cli: CliKind::Command,
            cwd: Path::new("/b/worktrees/r/dev"),
            repo: Path::new("/r"),
            agent_dir: Path::new("/b/agents/agt_1"),
            branch: Some("baton/s/dev"),
        };
        let args = bwrap_args(&c, &env(&[("HOME", "/home/u"), ("SSH_AUTH_SOCK", "/tmp/ssh-x/agent.1")]), Some(&git));
        let line = args.join(" ");
        assert!(line.starts_with("--ro-bind / / --dev /dev --proc /proc --tmpfs /tmp"), "{line}");
        for writable in [
            "/b/worktrees/r/dev",
            "/b/agents/agt_1",
            "/r/.git/worktrees/dev",
            "/r/.git/objects",
            "/r/.git/refs/heads/baton/s",
            "/r/.git/logs/refs/heads/baton/s",
        ] {
            assert!(line.contains(&format!("--bind-try {writable} {writable}")), "{writable} in {line}");
        }
        assert!(line.contains("--ro-bind-try /r /r") && line.contains("--ro-bind-try /home/u /home/u"));
        assert!(line.contains("--ro-bind-try /tmp/ssh-x/agent.1 /tmp/ssh-x/agent.1"), "{line}");
        // Read-only binds come before the writable ones (a later bind wins).
        assert!(line.find("--ro-bind-try /r/.git").unwrap() < line.find("--bind-try /r/.git/objects").unwrap());
        assert!(!line.contains("--bind-try /r/.git/refs/heads /"), "{line}");
        assert!(line.ends_with("--chdir /b/worktrees/r/dev --unshare-pid --die-with-parent"));
        // Baton's home hidden (the daemon's token, the database), then its own folder shown again.
        assert!(line.find("--tmpfs /b").unwrap() < line.find("--bind-try /b/agents/agt_1").unwrap(), "{line}");
        // Not when the user's checkout is inside it: the agent must see that.
        let inside = Confine { repo: Path::new("/b/r"), ..c };
        assert!(!bwrap_args(&inside, &env(&[("HOME", "/home/u")]), None).join(" ").contains("--tmpfs /b "));
    }

    #[test]
    fn a_confined_agent_can_move_only_the_refs_beside_its_branch() {
        assert_eq!(refs_writable(Some("baton/s/dev")), "refs/heads/baton/s/");
        assert_eq!(refs_writable(Some("dev")), "refs/heads/");
        assert!(!"refs/heads/main".starts_with(&refs_writable(None)));
    }

    #[test]
    fn the_program_runs_after_the_separator_with_its_signals_restored() {
        let (program, args) = command_line(
            Path::new("/usr/bin/bwrap"),
            Some(Path::new("/usr/bin/env")),
            vec!["--ro-bind".into(), "/".into(), "/".into()],
            Path::new("/bin/sh"),
            &["-c".into(), "true".into()],
        );
        assert_eq!(program, Path::new("/usr/bin/env"));
        assert_eq!(
            args.join(" "),
            "--ignore-signal=INT,TERM,HUP,QUIT /usr/bin/bwrap --ro-bind / / -- /usr/bin/env \
             --default-signal=INT,TERM,HUP,QUIT /bin/sh -c true"
        );
        let (program, args) = command_line(Path::new("/usr/bin/bwrap"), None, vec![], Path::new("/bin/sh"), &[]);
        assert_eq!((program.as_path(), args.join(" ").as_str()), (Path::new("/usr/bin/bwrap"), "-- /bin/sh"));
    }

    #[test]
    fn git_dirs_are_read_from_the_worktree_files() {
        let tmp = tempfile::tempdir().unwrap();
        let admin = tmp.path().join("repo/.git/worktrees/dev");
        std::fs::create_dir_all(&admin).unwrap();
        std::fs::write(admin.join("commondir"), "../..\n").unwrap();
        let wt = tmp.path().join("wt");
        std::fs::create_dir_all(&wt).unwrap();
        std::fs::write(wt.join(".git"), format!("gitdir: {}\n", admin.display())).unwrap();
        let dirs = git_dirs(&wt).unwrap();
        assert_eq!(dirs.common, tmp.path().join("repo/.git").canonicalize().unwrap());
        assert_eq!(dirs.admin, admin.canonicalize().unwrap());
        assert_eq!(git_dirs(tmp.path()), None);
    }
}
