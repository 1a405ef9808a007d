//! A template's graph for display (`baton pattern show`, the desktop's pattern picker): one
//! node per template task (a fan-out is one node with its count), one edge per dependency, each
//! node saying what it does. The text form draws it as lines in dependency order.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::template::{Template, TemplateTask};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PatternGraph {
    pub name: String,
    pub description: String,
    pub source: String,
    /// In dependency order.
    pub nodes: Vec<PatternNode>,
    pub edges: Vec<PatternEdge>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PatternNode {
    pub name: String,
    pub title: String,
    pub role: Option<String>,
    /// `task`, `fan-out`, `select`, `vote`, `delegate` or `review`.
    pub form: String,
    /// Siblings of a fan-out.
    pub count: Option<u32>,
    /// CLIs of a fan-out over CLIs, else the role's.
    pub clis: Vec<String>,
    /// One line: what the node does, e.g. "3 agents (claude, codex, gemini)".
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PatternEdge {
    pub from: String,
    pub to: String,
    /// `after`, `if_succeeded` or `if_failed`.
    pub kind: String,
}

fn form_of(t: &TemplateTask) -> (&'static str, String) {
    if let Some(n) = t.fan_out() {
        let clis = if t.clis.is_empty() { String::new() } else { format!(" ({})", t.clis.join(", ")) };
        return ("fan-out", format!("{n} agents in parallel{clis}"));
    }
    if let Some(s) = &t.select {
        let check = s.command.as_deref().map_or("no check".to_owned(), |c| format!("check `{c}`"));
        let judge = s.judge.as_deref().map_or("smallest diff wins".to_owned(), |j| format!("judge: {j}"));
        return ("select", format!("{check}, then {judge}"));
    }
    if let Some(v) = &t.vote {
        let tie = v.judge.as_deref().map_or("a tie blocks".to_owned(), |j| format!("a tie goes to {j}"));
        return ("vote", format!("majority of {}; {tie}", v.choices.join(" / ")));
    }
    if let Some(d) = &t.delegate {
        return (
            "delegate",
            format!(
                "adds up to {} sub-tasks ({}), {} level(s) deep",
                d.count.unwrap_or(4),
                d.roles.join(", "),
                d.depth.unwrap_or(1)
            ),
        );
    }
    if let Some(g) = &t.gate {
        return ("gate", format!("gated by `{}`", g.command));
    }
    if let Some(r) = &t.reviews {
        return ("review", format!("reviews {r}, at most {} rounds", t.max_rounds.unwrap_or(3)));
    }
    ("task", String::new())
}

/// The graph of a checked template (acyclic), nodes in dependency order.
pub(crate) fn graph_of(t: &Template, source: String) -> PatternGraph {
    let mut order: Vec<&TemplateTask> = Vec::new();
    while order.len() < t.tasks.len() {
        let before = order.len();
        for task in &t.tasks {
            if !order.iter().any(|o| o.name == task.name) && task.deps().all(|d| order.iter().any(|o| &o.name == d)) {
                order.push(task);
            }
        }
        if order.len() == before {
            break; // a checked template has no cycle
        }
    }
    let nodes = order
        .iter()
        .map(|task| {
            let (form, detail) = form_of(task);
            let role_cli = task.role.as_ref().and_then(|r| t.roles.get(r)).and_then(|r| r.cli.clone());
            PatternNode {
                name: task.name.clone(),
                title: task.title.clone(),
                role: task.role.clone(),
                form: form.to_owned(),
                count: task.fan_out(),
                clis: if task.clis.is_empty() { role_cli.into_iter().collect() } else { task.clis.clone() },
                detail,
            }
        })
        .collect();
    let mut edges = Vec::new();
    for task in &order {
        for (list, kind) in
            [(&task.after, "after"), (&task.if_succeeded, "if_succeeded"), (&task.if_failed, "if_failed")]
        {
            for d in list {
                edges.push(PatternEdge { from: d.clone(), to: task.name.clone(), kind: kind.to_owned() });
            }
        }
    }
    PatternGraph { name: t.name.clone(), description: t.description.clone(), source, nodes, edges }
}

/// The graph as text, one line per node: `name [form] <- deps   detail`.
pub fn graph_text(g: &PatternGraph) -> String {
    let mut out = format!("{}: {}\n", g.name, g.description);
    for n in &g.nodes {
        let deps: Vec<String> = g
            .edges
            .iter()
            .filter(|e| e.to == n.name)
            .map(|e| if e.kind == "after" { e.from.clone() } else { format!("{} ({})", e.from, e.kind) })
            .collect();
        let count = n.count.map_or(String::new(), |c| format!(" x{c}"));
        let role = n.role.as_deref().map_or(String::new(), |r| format!(" ({r})"));
        let from = if deps.is_empty() { String::new() } else { format!(" <- {}", deps.join(", ")) };
        let detail = if n.detail.is_empty() { String::new() } else { format!("   {}", n.detail) };
        out.push_str(&format!("  {}{count}{role} [{}]{from}{detail}\n", n.name, n.form));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::template::template_parse;
    use super::*;

    #[test]
    fn a_graph_lists_nodes_in_order_with_their_form() {
        let text = "name = \"b\"\ndescription = \"d\"\n[roles.judge]\n\
            [[tasks]]\nname = \"pick\"\ntitle = \"t\"\nprompt = \"p\"\nafter = [\"impl\"]\nselect = { command = \"make test\", judge = \"judge\" }\n\
            [[tasks]]\nname = \"impl\"\ntitle = \"t\"\nprompt = \"p\"\nclis = [\"claude\", \"codex\"]\n";
        let g = graph_of(&template_parse("b.toml", text).unwrap(), "built-in".into());
        assert_eq!(g.nodes.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(), ["impl", "pick"]);
        assert_eq!(g.edges, [PatternEdge { from: "impl".into(), to: "pick".into(), kind: "after".into() }]);
        let shown = graph_text(&g);
        assert!(shown.contains("impl x2 [fan-out]   2 agents in parallel (claude, codex)"), "{shown}");
        assert!(shown.contains("pick [select] <- impl   check `make test`, then judge: judge"), "{shown}");
    }
}
