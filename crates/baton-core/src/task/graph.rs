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
}
