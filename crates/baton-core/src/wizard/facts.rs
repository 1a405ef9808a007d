//! What the wizard knows of a repository before it asks anything, read cheaply and without an
//! agent: languages by file count, top-level folders, manifests and the commands they declare,
//! the branch, uncommitted changes and recent commit subjects. The file list is `git ls-files`
//! (tracked and untracked, ignored files left out, so `node_modules` and `target` never count);
//! the three git reads run at once. A 10,000-file repository takes a few tens of milliseconds.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::git::{GitError, git_command};

/// The repository as the wizard sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RepoFacts {
    /// The checked-out branch, `None` on a detached HEAD.
    pub branch: Option<String>,
    /// Files with uncommitted changes (staged, unstaged or untracked).
    pub uncommitted: u32,
    /// The newest commits' subjects, newest first (at most 10).
    pub recent_commits: Vec<String>,
    /// Files counted (tracked and untracked, not ignored).
    pub files: u32,
    /// Languages by file count, most files first.
    pub languages: Vec<LanguageCount>,
    /// Top-level folders, most files first.
    pub folders: Vec<FolderFacts>,
    /// Manifests at the top or one folder down, with the commands they declare.
    pub manifests: Vec<Manifest>,
    /// The tree lists more files than Baton reads (names beyond 16 MiB, some 300,000 files):
    /// the counts cover the first of them. Usually a large folder that `.gitignore` should name.
    #[serde(default)]
    pub partial: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LanguageCount {
    pub language: String,
    pub files: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FolderFacts {
    pub path: String,
    /// The language most of its files are in, if any is known.
    pub language: Option<String>,
    pub files: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Relative to the repository's root, e.g. `ui/package.json`.
    pub path: String,
    pub commands: Vec<DeclaredCommand>,
}

/// A command a manifest declares, runnable from the repository's root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeclaredCommand {
    /// `test`, `build` or another kind (`lint`, `check`...).
    pub kind: String,
    pub command: String,
}

impl RepoFacts {
    /// The test commands declared, in manifest order (the root's first).
    pub fn test_commands(&self) -> Vec<String> {
        self.manifests
            .iter()
            .flat_map(|m| &m.commands)
            .filter(|c| c.kind == "test")
            .map(|c| c.command.clone())
            .collect()
    }

    /// A folder as an option: `crates (Rust, 120 files)`.
    pub fn folder_detail(f: &FolderFacts) -> String {
        let files = if f.files == 1 { "1 file".to_owned() } else { format!("{} files", f.files) };
        match &f.language {
            Some(l) => format!("{l}, {files}"),
            None => files,
        }
    }
}

/// How much of a git listing is read: a tree of millions of unignored files must neither fill
/// memory nor hold the wizard while git walks it all.
const LISTING_MAX: usize = 16 * 1024 * 1024;

/// Reads the facts of the repository whose working tree is `root`.
pub fn facts_read(root: &Path) -> Result<RepoFacts, GitError> {
    facts_read_within(root, LISTING_MAX)
}

fn facts_read_within(root: &Path, max: usize) -> Result<RepoFacts, GitError> {
    let run = |args: &'static [&'static str]| {
        let root = root.to_owned();
        std::thread::spawn(move || output_within(git_command(Some(&root)).args(args), max))
    };
    let files = run(&["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--deduplicate"]);
    let status = run(&["status", "--porcelain=v1", "-z", "--untracked-files=all"]);
    let log = run(&["log", "-10", "--format=%s"]);
    let branch = run(&["symbolic-ref", "--quiet", "--short", "HEAD"]);
    let out = |h: std::thread::JoinHandle<std::io::Result<Listing>>| -> Result<_, GitError> {
        h.join()
            .map_err(|_| GitError::Missing("a git read panicked".into()))?
            .map_err(|e| GitError::Missing(e.to_string()))
    };
    let files = out(files)?;
    if !files.success() {
        return Err(GitError::Failed {
            args: "ls-files".into(),
            dir: root.to_owned(),
            stderr: String::from_utf8_lossy(&files.stderr).trim().to_owned(),
        });
    }
    let status = out(status)?;
    let log = out(log)?; // fails on a repository without commits: no subjects then
    let branch = out(branch)?;

    let mut facts = RepoFacts {
        partial: files.cut || status.cut,
        branch: branch
            .status
            .success()
            .then(|| String::from_utf8_lossy(&branch.stdout).trim().to_owned())
            .filter(|b| !b.is_empty()),
        uncommitted: porcelain_count(&status.stdout),
        recent_commits: if log.success() {
            String::from_utf8_lossy(&log.stdout).lines().map(str::to_owned).collect()
        } else {
            Vec::new()
        },
        ..RepoFacts::default()
    };
    let mut languages: BTreeMap<&'static str, u32> = BTreeMap::new();
    let mut folders: BTreeMap<String, (u32, BTreeMap<&'static str, u32>)> = BTreeMap::new();
    let mut manifests: Vec<String> = Vec::new();
    for path in files.stdout.split(|b| *b == 0).filter(|p| !p.is_empty()) {
        let Ok(path) = std::str::from_utf8(path) else { continue };
        if path.split('/').any(|part| SKIPPED.contains(&part)) {
            continue;
        }
        facts.files += 1;
        let name = path.rsplit('/').next().unwrap_or(path);
        let language = language_of(name);
        if let Some(l) = language {
            *languages.entry(l).or_default() += 1;
        }
        let depth = path.matches('/').count();
        if let Some((top, _)) = path.split_once('/') {
            let entry = folders.entry(top.to_owned()).or_default();
            entry.0 += 1;
            if let Some(l) = language {
                *entry.1.entry(l).or_default() += 1;
            }
        }
        if depth <= 1 && MANIFESTS.contains(&name) {
            manifests.push(path.to_owned());
        }
    }
    facts.languages =
        languages.into_iter().map(|(language, files)| LanguageCount { language: language.into(), files }).collect();
    facts.languages.sort_by(|a, b| b.files.cmp(&a.files).then_with(|| a.language.cmp(&b.language)));
    facts.folders = folders
        .into_iter()
        .map(|(path, (files, langs))| FolderFacts {
            path,
            language: langs
                .into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0)))
                .map(|(l, _)| l.to_owned()),
            files,
        })
        .collect();
    facts.folders.sort_by(|a, b| b.files.cmp(&a.files).then_with(|| a.path.cmp(&b.path)));
    // The root's manifests first, then by path.
    manifests.sort_by_key(|p| (p.contains('/'), p.clone()));
    for path in manifests {
        let Some(text) = manifest_read(&root.join(&path)) else { continue };
        let commands = manifest_commands(&path, &text);
        if !commands.is_empty() {
            facts.manifests.push(Manifest { path, commands });
        }
    }
    Ok(facts)
}

/// The largest manifest read; a bigger one is not a manifest anyone wrote by hand.
const MANIFEST_MAX: u64 = 1024 * 1024;

/// A manifest's text, if it is a regular file (not a link to `/dev/zero` or a pipe, which a
/// repository can hold) of a sane size.
fn manifest_read(path: &Path) -> Option<String> {
    use std::io::Read;
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.file_type().is_file() || meta.len() > MANIFEST_MAX {
        return None;
    }
    let mut text = String::new();
    std::fs::File::open(path).ok()?.take(MANIFEST_MAX).read_to_string(&mut text).ok()?;
    Some(text)
}

/// Folders never counted, even when a repository tracks them.
const SKIPPED: &[&str] = &[".git", "node_modules", "target"];

const MANIFESTS: &[&str] = &["package.json", "Cargo.toml", "Makefile", "makefile", "pyproject.toml", "go.mod"];

/// Entries in `git status --porcelain -z` output (a rename carries its old path as an extra field).
/// A git read's output, cut after `max` bytes at the last whole entry.
struct Listing {
    status: std::process::ExitStatus,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    /// Git was stopped after `max` bytes; what was read still counts.
    cut: bool,
}

impl Listing {
    fn success(&self) -> bool {
        self.cut || self.status.success()
    }
}

fn output_within(cmd: &mut std::process::Command, max: usize) -> std::io::Result<Listing> {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    let mut stdout = Vec::new();
    let read = child.stdout.take().map(|o| o.take(max as u64 + 1).read_to_end(&mut stdout));
    let cut = stdout.len() > max;
    if cut {
        let _ = child.kill();
        // Entries end with NUL (or a newline): the one cut in half is dropped.
        let end = stdout[..max].iter().rposition(|b| *b == 0 || *b == b'\n').map_or(0, |i| i + 1);
        stdout.truncate(end);
    }
    // git writes little to stderr; it is read once stdout is done (or git was stopped).
    let mut stderr = Vec::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_end(&mut stderr);
    }
    let status = child.wait()?;
    if let Some(r) = read {
        r?;
    }
    Ok(Listing { status, stdout, stderr, cut })
}

fn porcelain_count(out: &[u8]) -> u32 {
    let mut n = 0;
    let mut fields = out.split(|b| *b == 0).filter(|f| !f.is_empty());
    while let Some(entry) = fields.next() {
        n += 1;
        if entry.first().is_some_and(|c| *c == b'R' || *c == b'C') {
            fields.next();
        }
    }
    n
}

fn language_of(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.').map(|(_, e)| e)?;
    Some(match ext {
        "rs" => "Rust",
        "ts" | "tsx" | "mts" | "cts" => "TypeScript",
        "js" | "jsx" | "mjs" | "cjs" => "JavaScript",
        "svelte" => "Svelte",
        "vue" => "Vue",
        "py" => "Python",
        "go" => "Go",
        "java" => "Java",
        "kt" | "kts" => "Kotlin",
        "swift" => "Swift",
        "c" | "h" => "C",
        "cc" | "cpp" | "cxx" | "hpp" | "hh" => "C++",
        "cs" => "C#",
        "rb" => "Ruby",
        "php" => "PHP",
        "scala" => "Scala",
        "sh" | "bash" => "Shell",
        "sql" => "SQL",
        "html" | "htm" => "HTML",
        "css" | "scss" | "sass" | "less" => "CSS",
        "md" | "markdown" => "Markdown",
        "ex" | "exs" => "Elixir",
        "erl" => "Erlang",
        "hs" => "Haskell",
        "lua" => "Lua",
        "dart" => "Dart",
        "zig" => "Zig",
        _ => return None,
    })
}

/// The commands a manifest declares, as one runs them from the repository's root.
fn manifest_commands(path: &str, text: &str) -> Vec<DeclaredCommand> {
    let (dir, name) = match path.rsplit_once('/') {
        Some((d, n)) => (Some(d), n),
        None => (None, path),
    };
    let at = |cmd: String| match dir {
        Some(d) => format!("cd {d} && {cmd}"),
        None => cmd,
    };
    let cmd = |kind: &str, command: String| DeclaredCommand { kind: kind.into(), command: at(command) };
    let mut out = Vec::new();
    match name {
        "package.json" => {
            let scripts = serde_json::from_str::<serde_json::Value>(text)
                .ok()
                .and_then(|v| v.get("scripts").and_then(|s| s.as_object()).cloned())
                .unwrap_or_default();
            for (script, _) in scripts {
                let kind = script_kind(&script);
                let Some(kind) = kind else { continue };
                let command = if script == "test" { "npm test".to_owned() } else { format!("npm run {script}") };
                out.push(cmd(kind, command));
            }
        }
        // A member of a workspace declared above is tested from the top.
        "Cargo.toml" if dir.is_none() || !text.contains("version.workspace") => {
            out.push(cmd("test", "cargo test".into()));
            out.push(cmd("build", "cargo build".into()));
        }
        "Makefile" | "makefile" => {
            for line in text.lines() {
                let Some((target, rest)) = line.split_once(':') else { continue };
                if rest.starts_with('=')
                    || target.starts_with(['.', '\t', ' ', '#'])
                    || target.contains(['$', '%', ' ', '='])
                {
                    continue;
                }
                if let Some(kind) = script_kind(target) {
                    out.push(cmd(kind, format!("make {target}")));
                }
            }
        }
        "pyproject.toml" if text.contains("pytest") => out.push(cmd("test", "pytest".into())),
        "go.mod" => {
            out.push(cmd("test", "go test ./...".into()));
            out.push(cmd("build", "go build ./...".into()));
        }
        _ => {}
    }
    // Tests first: the verifying command is the one the wizard recommends.
    out.sort_by_key(|c| c.kind != "test");
    out.dedup_by(|a, b| a.command == b.command);
    out
}

/// Which kind of command a script or target named so is, for the ones worth offering.
fn script_kind(name: &str) -> Option<&'static str> {
    match name {
        "test" | "tests" | "check-test" => Some("test"),
        "build" => Some("build"),
        "lint" | "check" | "typecheck" | "fmt" => Some("check"),
        n if n.starts_with("test:") || n.starts_with("test-") => Some("test"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_longer_than_the_bound_is_cut_at_a_whole_name_and_says_so() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let git = |args: &[&str]| assert!(git_command(Some(root)).args(args).status().unwrap().success());
        git(&["init", "-q"]);
        for i in 0..200 {
            std::fs::write(root.join(format!("file-{i:03}.rs")), "").unwrap();
        }
        let whole = facts_read(root).unwrap();
        assert_eq!((whole.files, whole.uncommitted, whole.partial), (200, 200, false));
        // 13 bytes a name (`file-000.rs` and a NUL is 12; status lines are longer): about 20 read.
        let cut = facts_read_within(root, 250).unwrap();
        assert!(cut.partial);
        assert!((10..=21).contains(&cut.files), "{}", cut.files);
        assert!(cut.languages.iter().all(|l| l.language == "Rust"));
        assert!(cut.uncommitted > 0 && cut.uncommitted < 200, "{}", cut.uncommitted);
    }

    #[test]
    fn manifests_declare_their_commands() {
        let pkg = r#"{"scripts": {"test": "vitest", "build": "vite build", "dev": "vite", "test:e2e": "x"}}"#;
        let cmds: Vec<String> = manifest_commands("ui/package.json", pkg).into_iter().map(|c| c.command).collect();
        assert_eq!(cmds, ["cd ui && npm test", "cd ui && npm run test:e2e", "cd ui && npm run build"]);
        let make = ".PHONY: test build\nCC := gcc\ntest: build\n\tcc\nbuild:\n\tcc\n%.o: %.c\nrun:\n";
        let cmds: Vec<String> = manifest_commands("Makefile", make).into_iter().map(|c| c.command).collect();
        assert_eq!(cmds, ["make test", "make build"]);
        assert_eq!(manifest_commands("Cargo.toml", "[package]\n")[0].command, "cargo test");
        assert!(manifest_commands("crates/a/Cargo.toml", "version.workspace = true\n").is_empty());
        assert_eq!(manifest_commands("pyproject.toml", "[tool.pytest.ini_options]\n")[0].command, "pytest");
        assert_eq!(manifest_commands("go.mod", "module x\n")[0].command, "go test ./...");
    }

    #[test]
    fn renames_count_once() {
        assert_eq!(porcelain_count(b"R  new\0old\0 M a\0?? b\0"), 3);
        assert_eq!(porcelain_count(b""), 0);
    }
}
