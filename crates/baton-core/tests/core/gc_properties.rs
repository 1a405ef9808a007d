//! Garbage collection's promises, checked on random mixes of agents' fates with real git: it
//! never removes uncommitted work, never deletes a branch with unmerged commits, never touches
//! the user's branches, removes what is merged or empty, and a second run finds nothing more.

use std::path::Path;

use baton_core::worktree::merge::MergeStrategy;
use proptest::prelude::*;

use crate::merges::{Fixture, out};
use crate::support::git;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Fate {
    /// Ended without touching anything.
    Nothing,
    /// Left an uncommitted file.
    Dirty,
    /// Committed, not merged.
    Committed,
    /// Committed, and left an uncommitted file.
    CommittedDirty,
    /// Committed, and its work was merged.
    Merged,
}

fn fates() -> impl Strategy<Value = Fate> {
    prop_oneof![
        Just(Fate::Nothing),
        Just(Fate::Dirty),
        Just(Fate::Committed),
        Just(Fate::CommittedDirty),
        Just(Fate::Merged)
    ]
}

fn script(i: usize, fate: Fate) -> String {
    let commit = format!(
        "printf '{i}\\n' > f{i}.txt && git add f{i}.txt && git -c user.name=a -c user.email=a@b commit -qm 'f{i}'"
    );
    match fate {
        Fate::Nothing => "true".into(),
        Fate::Dirty => "printf 'wip\\n' > wip.txt".into(),
        Fate::Committed | Fate::Merged => commit,
        Fate::CommittedDirty => format!("{commit} && printf 'wip\\n' > wip.txt"),
    }
}

proptest! {
    // Each case starts agents with real git: a few cases cover the mixes in seconds.
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn gc_keeps_every_promise_whatever_the_mix(mix in proptest::collection::vec(fates(), 1..5)) {
        let f = Fixture::new();
        std::fs::write(f.engine.home().settings_file(), r#"{"worktrees": {"retentionDays": 0}}"#).unwrap();
        git(&f.repo, &["branch", "users-own"]);
        let users = |repo: &Path| out(repo, &["for-each-ref", "--format=%(refname) %(objectname)", "refs/heads/main", "refs/heads/users-own"]);
        let agents: Vec<_> = mix.iter().enumerate().map(|(i, fate)| f.agent(&format!("a{i}"), &script(i, *fate))).collect();
        for (agent, fate) in agents.iter().zip(&mix) {
            if *fate == Fate::Merged {
                let merged = f.engine.agent_merge(&agent.name, &baton_core::worktree::merge::MergeRequest {
                    into: None, strategy: MergeStrategy::Squash, dry_run: false, message: None,
                }).unwrap();
                prop_assert!(merged.ok, "{:?}", merged);
            }
        }
        let before = users(&f.repo);

        let report = f.engine.worktrees_gc(false).unwrap();
        let branches = out(&f.repo, &["branch", "--format=%(refname:short)"]);
        for (agent, fate) in agents.iter().zip(&mix) {
            let wt = agent.worktree.clone().unwrap();
            let folder = Path::new(&wt.path);
            let dirty = matches!(fate, Fate::Dirty | Fate::CommittedDirty);
            let unmerged = matches!(fate, Fate::Committed | Fate::CommittedDirty);
            prop_assert_eq!(folder.is_dir(), dirty, "{} ({:?}): its folder", agent.name, fate);
            if dirty {
                prop_assert!(folder.join("wip.txt").exists(), "{} lost its uncommitted file", agent.name);
            }
            let has_branch = branches.lines().any(|b| b == wt.branch);
            prop_assert_eq!(has_branch, dirty || unmerged, "{} ({:?}): its branch {}", agent.name, fate, wt.branch);
            let kept = report.kept.iter().any(|e| e.agent_name == agent.name);
            prop_assert_eq!(kept, dirty || unmerged, "{} ({:?}) kept with a reason", agent.name, fate);
        }
        prop_assert_eq!(users(&f.repo), before, "the user's branches are untouched");

        let again = f.engine.worktrees_gc(false).unwrap();
        prop_assert!(again.removed.is_empty() && again.branches_deleted.is_empty(), "{:?}", again);
    }
}
