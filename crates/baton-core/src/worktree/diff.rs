//! What an agent changed: its worktree's whole state (commits and uncommitted work) against the
//! point where its branch left its base, as files with line counts and a unified patch.

use std::path::Path;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::snapshot::worktree_tree;
use super::{WorktreeError, commit_of, git_line, git_ok};

/// A patch longer than this is cut (the stats stay whole): a browser cannot show more usefully.
const PATCH_MAX: usize = 8 << 20;

/// One file of a diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileStat {
    pub path: String,
    /// The path before a rename.
    pub old_path: Option<String>,
    /// `added`, `modified`, `deleted`, `renamed` or `type_changed`.
    pub status: String,
    pub additions: u32,
    pub deletions: u32,
    pub binary: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorktreeDiff {
    /// What the diff is against: the base branch (or commit) named.
    pub base: String,
    /// The commit the diff starts from: where the agent's branch left `base`.
    pub base_commit: String,
    pub files: Vec<FileStat>,
    pub additions: u32,
    pub deletions: u32,
    /// Files with changes not yet committed on the agent's branch.
    pub uncommitted: u32,
    /// The unified patch; `None` when only stats were asked for.
    pub patch: Option<String>,
    /// True when the patch was cut at 8 MiB.
    pub patch_truncated: bool,
}

/// The diff of an agent's work against `base` (a branch, or the commit the branch started from
/// when the branch is gone): its worktree's whole state, or with the folder gone its branch
/// alone. `with_patch`: include the patch text.
pub fn worktree_diff(
    repo: &Path,
    worktree: Option<&Path>,
    branch: &str,
    base: &str,
    fallback_base: &str,
    with_patch: bool,
) -> Result<WorktreeDiff, WorktreeError> {
    let (head, tree) = match worktree {
        Some(wt) => {
            (commit_of(wt, "HEAD")?.ok_or_else(|| WorktreeError::NotAWorktree(wt.to_owned()))?, worktree_tree(wt)?)
        }
        None => {
            let tip = commit_of(repo, &format!("refs/heads/{branch}"))?.ok_or_else(|| {
                WorktreeError::Refused(format!("the worktree and the branch {branch} are both gone; nothing to diff"))
            })?;
            (tip.clone(), tip)
        }
    };
    let base_tip = match commit_of(repo, base)? {
        Some(c) => c,
        None => commit_of(repo, fallback_base)?
            .ok_or_else(|| WorktreeError::BaseRefMissing { base_ref: base.to_owned(), repo: repo.to_owned() })?,
    };
    // Only what the agent did: from where its branch left the base, not what others merged since.
    let base_commit = git_line(repo, ["merge-base", &base_tip, &head]).unwrap_or(base_tip);
    let mut diff = tree_diff(repo, &base_commit, &tree, with_patch)?;
    diff.base = base.to_owned();
    let uncommitted = git_ok(repo, ["diff-tree", "-r", "-z", "--name-only", &head, &tree])?;
    diff.uncommitted = uncommitted.split(|b| *b == 0).filter(|p| !p.is_empty()).count() as u32;
    Ok(diff)
}

/// The diff between two tree-ish objects of `repo`.
pub fn tree_diff(repo: &Path, from: &str, to: &str, with_patch: bool) -> Result<WorktreeDiff, WorktreeError> {
    let numstat = git_ok(repo, ["diff-tree", "-r", "-z", "-M", "--numstat", from, to])?;
    let status = git_ok(repo, ["diff-tree", "-r", "-z", "-M", "--name-status", from, to])?;
    let mut files = numstat_parse(&numstat);
    for (path, code) in name_status_parse(&status) {
        if let Some(f) = files.iter_mut().find(|f| f.path == path) {
            f.status = code;
        }
    }
    let (mut patch, mut patch_truncated) = (None, false);
    if with_patch {
        let out = git_ok(repo, ["diff-tree", "-r", "-M", "-p", "--no-color", "--no-ext-diff", from, to])?;
        let mut text = String::from_utf8_lossy(&out).into_owned();
        if text.len() > PATCH_MAX {
            let mut cut = PATCH_MAX;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
            patch_truncated = true;
        }
        patch = Some(text);
    }
    Ok(WorktreeDiff {
        base: from.to_owned(),
        base_commit: from.to_owned(),
        additions: files.iter().map(|f| f.additions).sum(),
        deletions: files.iter().map(|f| f.deletions).sum(),
        files,
        uncommitted: 0,
        patch,
        patch_truncated,
    })
}

/// `git diff-tree --numstat -z`: `ADD\tDEL\tPATH\0`, or for a rename `ADD\tDEL\t\0OLD\0NEW\0`;
/// binary files have `-` counts.
fn numstat_parse(out: &[u8]) -> Vec<FileStat> {
    let mut files = Vec::new();
    let mut fields = out.split(|b| *b == 0);
    while let Some(entry) = fields.next() {
        let entry = String::from_utf8_lossy(entry);
        let mut parts = entry.splitn(3, '\t');
        let (Some(add), Some(del), Some(path)) = (parts.next(), parts.next(), parts.next()) else { continue };
        let (path, old_path) = if path.is_empty() {
            let old = fields.next().map(|p| String::from_utf8_lossy(p).into_owned());
            let new = fields.next().map(|p| String::from_utf8_lossy(p).into_owned()).unwrap_or_default();
            (new, old)
        } else {
            (path.to_owned(), None)
        };
        let binary = add == "-";
        files.push(FileStat {
            status: if old_path.is_some() { "renamed" } else { "modified" }.to_owned(),
            path,
            old_path,
            additions: add.parse().unwrap_or(0),
            deletions: del.parse().unwrap_or(0),
            binary,
        });
    }
    files
}

/// `git diff-tree --name-status -z`: `CODE\0PATH\0`, or `RNNN\0OLD\0NEW\0` for a rename.
fn name_status_parse(out: &[u8]) -> Vec<(String, String)> {
    let mut list = Vec::new();
    let mut fields = out.split(|b| *b == 0).filter(|f| !f.is_empty());
    while let Some(code) = fields.next() {
        let Some(first) = code.first() else { continue };
        let status = match first {
            b'A' => "added",
            b'D' => "deleted",
            b'R' => "renamed",
            b'C' => "added",
            b'T' => "type_changed",
            _ => "modified",
        };
        if matches!(first, b'R' | b'C') {
            fields.next(); // the old path
        }
        if let Some(path) = fields.next() {
            list.push((String::from_utf8_lossy(path).into_owned(), status.to_owned()));
        }
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numstat_with_renames_and_binaries() {
        let out = b"3\t1\ta.txt\x000\t0\t\x00old name.txt\x00new name.txt\x00-\t-\timg.png\x00";
        let files = numstat_parse(out);
        assert_eq!(files.len(), 3);
        assert_eq!((files[0].path.as_str(), files[0].additions, files[0].deletions), ("a.txt", 3, 1));
        assert_eq!(files[1].path, "new name.txt");
        assert_eq!(files[1].old_path.as_deref(), Some("old name.txt"));
        assert!(files[2].binary);
    }

    #[test]
    fn name_status_codes() {
        let out = b"A\x00new.txt\x00R100\x00old.txt\x00moved.txt\x00D\x00gone.txt\x00M\x00m.txt\x00";
        let got = name_status_parse(out);
        let want = [("new.txt", "added"), ("moved.txt", "renamed"), ("gone.txt", "deleted"), ("m.txt", "modified")];
        assert_eq!(got, want.map(|(a, b)| (a.to_owned(), b.to_owned())));
    }
}
