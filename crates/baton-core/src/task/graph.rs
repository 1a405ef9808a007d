//! The task graph's rules, apart from the store: a graph must name only known tasks and have no
//! cycle; a pending task becomes ready when every dependency's condition holds, and is cancelled
//! (saying why) when one can no longer hold.

use std::collections::HashMap;

use super::{DepKind, TaskState};

/// Checks a graph given as `(name, [dependency names])`: every dependency known (`known` also
/// holds tasks already in the session), no cycle. `Err` says which name is unknown, or the cycle
/// as a path `a -> b -> a`.
pub fn graph_check(nodes: &[(String, Vec<String>)], known: &[String]) -> Result<(), GraphError> {
    let index: HashMap<&str, usize> = nodes.iter().enumerate().map(|(i, (n, _))| (n.as_str(), i)).collect();
    for (name, deps) in nodes {
        for dep in deps {
            if !index.contains_key(dep.as_str()) && !known.iter().any(|k| k == dep) {
                return Err(GraphError::Unknown { task: name.clone(), dependency: dep.clone() });
            }
        }
    }
    // Depth-first, colouring nodes: 0 unseen, 1 on the current path, 2 done.
    let mut colour = vec![0u8; nodes.len()];
    let mut path: Vec<usize> = Vec::new();
    fn visit(
        i: usize,
        nodes: &[(String, Vec<String>)],
        index: &HashMap<&str, usize>,
        colour: &mut [u8],
        path: &mut Vec<usize>,
    ) -> Option<Vec<String>> {
        colour[i] = 1;
        path.push(i);
        for dep in &nodes[i].1 {
            let Some(&j) = index.get(dep.as_str()) else { continue };
            if colour[j] == 1 {
                let start = path.iter().position(|&p| p == j).unwrap_or(0);
                let mut cycle: Vec<String> = path[start..].iter().map(|&p| nodes[p].0.clone()).collect();
                cycle.push(nodes[j].0.clone());
                return Some(cycle);
            }
            if colour[j] == 0
                && let Some(cycle) = visit(j, nodes, index, colour, path)
            {
                return Some(cycle);
            }
        }
        path.pop();
        colour[i] = 2;
        None
    }
    for i in 0..nodes.len() {
        if colour[i] == 0
            && let Some(cycle) = visit(i, nodes, &index, &mut colour, &mut path)
        {
            return Err(GraphError::Cycle(cycle));
        }
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    #[error("task {task:?} depends on {dependency:?}, which is not a task of this session or graph")]
    Unknown { task: String, dependency: String },
    #[error("the tasks depend on each other in a cycle: {}; remove one of these dependencies", .0.join(" -> "))]
    Cycle(Vec<String>),
}

/// Where one dependency stands for the task that waits on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DepStatus {
    /// Its condition holds.
    Met,
    /// Not yet known.
    Waiting,
    /// Can no longer hold; the reason, for the user.
    Never(String),
}

/// Whether a dependency on a task named `name` in `state`, of `kind`, holds.
pub fn dep_status(kind: DepKind, name: &str, state: TaskState) -> DepStatus {
    use TaskState::*;
    match (kind, state) {
        (DepKind::After | DepKind::IfSucceeded, Done) => DepStatus::Met,
        (DepKind::IfFailed, Failed) => DepStatus::Met,
        (DepKind::After, Failed) => DepStatus::Never(format!("{name} failed, and this task runs after it succeeds")),
        (DepKind::IfSucceeded, Failed) => {
            DepStatus::Never(format!("{name} failed; this task runs only if it succeeds"))
        }
        (DepKind::IfFailed, Done) => DepStatus::Never(format!("{name} succeeded; this task runs only if it fails")),
        (_, Cancelled) => DepStatus::Never(format!("{name} was cancelled")),
        _ => DepStatus::Waiting,
    }
}

/// What a pending task becomes given its dependencies: ready, cancelled (with why), or still
/// pending.
pub fn pending_next(deps: &[DepStatus]) -> Option<(TaskState, Option<String>)> {
    if let Some(DepStatus::Never(why)) = deps.iter().find(|d| matches!(d, DepStatus::Never(_))) {
        return Some((TaskState::Cancelled, Some(why.clone())));
    }
    deps.iter().all(|d| *d == DepStatus::Met).then_some((TaskState::Ready, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(spec: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
        spec.iter().map(|(n, d)| ((*n).to_owned(), d.iter().map(|s| (*s).to_owned()).collect())).collect()
    }

    #[test]
    fn a_cycle_is_named_as_a_path() {
        let err = graph_check(&g(&[("a", &[]), ("b", &["a", "d"]), ("c", &["b"]), ("d", &["c"])]), &[]).unwrap_err();
        assert_eq!(err, GraphError::Cycle(vec!["b".into(), "d".into(), "c".into(), "b".into()]));
        assert!(err.to_string().contains("b -> d -> c -> b"), "{err}");
        let own = graph_check(&g(&[("x", &["x"])]), &[]).unwrap_err();
        assert_eq!(own, GraphError::Cycle(vec!["x".into(), "x".into()]));
    }

    #[test]
    fn unknown_dependencies_are_named_and_known_ones_pass() {
        let err = graph_check(&g(&[("a", &["nope"])]), &[]).unwrap_err();
        assert!(err.to_string().contains("\"nope\""), "{err}");
        graph_check(&g(&[("a", &["old"]), ("b", &["a", "old"])]), &["old".into()]).unwrap();
    }

    #[test]
    fn conditions_hold_wait_or_can_never_hold() {
        use TaskState::*;
        assert_eq!(dep_status(DepKind::After, "a", Done), DepStatus::Met);
        assert_eq!(dep_status(DepKind::IfFailed, "a", Failed), DepStatus::Met);
        assert_eq!(dep_status(DepKind::IfFailed, "a", Running), DepStatus::Waiting);
        assert!(matches!(dep_status(DepKind::IfFailed, "a", Done), DepStatus::Never(w) if w.contains("a succeeded")));
        assert!(matches!(dep_status(DepKind::IfSucceeded, "a", Failed), DepStatus::Never(_)));
        assert!(matches!(dep_status(DepKind::After, "a", Cancelled), DepStatus::Never(_)));
        assert_eq!(pending_next(&[DepStatus::Met, DepStatus::Met]), Some((Ready, None)));
        assert_eq!(pending_next(&[DepStatus::Met, DepStatus::Waiting]), None);
        assert_eq!(pending_next(&[]), Some((Ready, None)));
        assert_eq!(
            pending_next(&[DepStatus::Waiting, DepStatus::Never("x".into())]),
            Some((Cancelled, Some("x".into())))
        );
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;

        /// Graphs of up to 8 tasks `t0..t7`, each depending on any others (cycles included), and
        /// now and then on a task of the session (`old`) or on one that does not exist (`nope`).
        fn graphs() -> impl Strategy<Value = Vec<(String, Vec<String>)>> {
            (1usize..8).prop_flat_map(|n| {
                proptest::collection::vec(proptest::collection::vec(0usize..n + 2, 0..4), n).prop_map(move |deps| {
                    let name = |j: usize| match j {
                        j if j < n => format!("t{j}"),
                        j if j == n => "old".to_owned(),
                        _ => "nope".to_owned(),
                    };
                    deps.into_iter()
                        .enumerate()
                        .map(|(i, d)| (format!("t{i}"), d.into_iter().map(name).collect()))
                        .collect()
                })
            })
        }

        /// Kahn's algorithm: whether the graph's own tasks can be ordered.
        fn orderable(nodes: &[(String, Vec<String>)]) -> bool {
            let mut done: Vec<&str> = vec!["old"];
            let mut left: Vec<&(String, Vec<String>)> = nodes.iter().collect();
            while !left.is_empty() {
                let before = left.len();
                left.retain(|(name, deps)| {
                    let ready = deps.iter().all(|d| done.contains(&d.as_str()));
                    if ready {
                        done.push(name);
                    }
                    !ready
                });
                if left.len() == before {
                    return false;
                }
            }
            true
        }

        fn states() -> impl Strategy<Value = TaskState> {
            prop_oneof![
                Just(TaskState::Pending),
                Just(TaskState::Ready),
                Just(TaskState::Running),
                Just(TaskState::Review),
                Just(TaskState::Blocked),
                Just(TaskState::Done),
                Just(TaskState::Failed),
                Just(TaskState::Cancelled),
            ]
        }

        fn kinds() -> impl Strategy<Value = DepKind> {
            prop_oneof![Just(DepKind::After), Just(DepKind::IfSucceeded), Just(DepKind::IfFailed)]
        }

        proptest! {
            /// A graph passes exactly when its names are known and it can be ordered; a cycle
            /// named is a real path of dependencies back to its start.
            #[test]
            fn the_check_accepts_exactly_the_orderable_graphs(nodes in graphs()) {
                let known = vec!["old".to_owned()];
                let unknown = nodes.iter().any(|(_, d)| d.iter().any(|d| d == "nope"));
                match graph_check(&nodes, &known) {
                    Ok(()) => prop_assert!(!unknown && orderable(&nodes)),
                    Err(GraphError::Unknown { dependency, .. }) => {
                        prop_assert!(unknown);
                        prop_assert_eq!(dependency, "nope");
                    }
                    Err(GraphError::Cycle(path)) => {
                        prop_assert!(!unknown && !orderable(&nodes));
                        prop_assert!(path.len() >= 2 && path.first() == path.last());
                        for pair in path.windows(2) {
                            let deps = &nodes.iter().find(|(n, _)| *n == pair[0]).unwrap().1;
                            prop_assert!(deps.contains(&pair[1]), "{} does not depend on {}", pair[0], pair[1]);
                        }
                    }
                }
            }

            /// A pending task is cancelled when any dependency can never hold (saying why), ready
            /// when all hold, and waits otherwise; a condition can never both hold and never hold.
            #[test]
            fn a_pending_task_follows_its_dependencies(deps in proptest::collection::vec((kinds(), states()), 0..6)) {
                let statuses: Vec<DepStatus> = deps.iter().map(|(k, s)| dep_status(*k, "d", *s)).collect();
                for ((kind, state), status) in deps.iter().zip(&statuses) {
                    let finished = matches!(state, TaskState::Done | TaskState::Failed | TaskState::Cancelled);
                    prop_assert_eq!(*status == DepStatus::Waiting, !finished, "{:?} {:?}", kind, state);
                }
                match pending_next(&statuses) {
                    Some((TaskState::Cancelled, Some(why))) => {
                        prop_assert!(statuses.contains(&DepStatus::Never(why)));
                    }
                    Some((TaskState::Ready, None)) => prop_assert!(statuses.iter().all(|s| *s == DepStatus::Met)),
                    None => {
                        prop_assert!(statuses.contains(&DepStatus::Waiting));
                        prop_assert!(!statuses.iter().any(|s| matches!(s, DepStatus::Never(_))));
                    }
                    other => prop_assert!(false, "unexpected {:?}", other),
                }
            }
        }
    }
}
