//! The question graph, as data (`templates/wizard/*.toml`): each question has an id, its text,
//! why it matters, a kind, options (one recommended), a condition under which the repository's
//! facts already answer it, and where the dialogue goes next for each answer. Answers carry plan
//! fragments (agents, tasks, concurrency, merge policy, review rounds) that make up the plan.
//!
//! Everything here is pure: the next question from the answers so far, an answer's parsing, the
//! plan from the answers. Loading checks what a dialogue would trip on (unknown fields, dangling
//! branches, loops, a path of more than [`QUESTIONS_MAX`] questions), naming file, line and field.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::facts::RepoFacts;
use super::plan::{PlanAgent, PlanTask, WizardPlan};
use super::{WizardAnswer, WizardError, WizardOption, WizardQuestion};

/// No path through a question graph asks more than this.
pub const QUESTIONS_MAX: usize = 7;

/// Where a branch ends the dialogue.
const END: &str = "end";

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionGraph {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The plan before any answer.
    #[serde(default)]
    pub plan: Fragment,
    /// The first is asked first.
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub id: String,
    pub text: String,
    /// Why the answer matters, in one line.
    pub why: String,
    pub kind: QuestionKind,
    #[serde(default)]
    pub options: Vec<OptionDef>,
    /// Options made from the repository's facts, before the listed ones.
    #[serde(default)]
    pub options_from: Option<OptionsFrom>,
    /// What Enter takes for a text or number question.
    #[serde(default)]
    pub default: Option<Scalar>,
    #[serde(default)]
    pub min: Option<u32>,
    #[serde(default)]
    pub max: Option<u32>,
    /// The plan setting a number answer sets.
    #[serde(default)]
    pub sets: Option<Setting>,
    /// Not asked when this holds: the facts (or earlier answers) already answer it.
    #[serde(default)]
    pub skip_if: Option<SkipIf>,
    /// The next question (an option's own `next` wins); absent or `end`: the last.
    #[serde(default)]
    pub next: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    Number(u32),
    Text(String),
}

impl Scalar {
    fn text(&self) -> String {
        match self {
            Self::Number(n) => n.to_string(),
            Self::Text(t) => t.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// One of the options.
    One,
    /// Any number of the options (at least one).
    Several,
    /// A short text.
    Text,
    /// A whole number.
    Number,
    /// Some of the repository's top-level folders.
    Folders,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptionsFrom {
    /// The test commands the manifests declare, the first recommended.
    TestCommands,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Setting {
    Concurrency,
    ReviewRounds,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipIf {
    /// The repository has at most one top-level folder: that is the scope.
    SingleFolder,
    /// The manifests declare at most one test command: that is how to verify.
    SingleTestCommand,
    /// The work touches at most one part (the folders answer): one agent at a time.
    SinglePart,
    /// Each part the work touches (the folders answer) has at most one test command of its own
    /// (a part with none has the top's): those commands are how to verify. Without a folders
    /// answer, as `single_test_command`.
    OneTestCommandPerPart,
    /// The work touches no more parts than the question's default: one agent per part, all at
    /// once.
    FewParts,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionDef {
    pub label: String,
    #[serde(default)]
    pub detail: Option<String>,
    #[serde(default)]
    pub recommended: bool,
    /// The next question when this is the answer (`one` questions only).
    #[serde(default)]
    pub next: Option<String>,
    /// What this answer adds to the plan.
    #[serde(default)]
    pub plan: Fragment,
}

/// A piece of a plan: what an answer adds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fragment {
    /// Agents by role (a later answer's agent replaces an earlier one of the same role).
    #[serde(default)]
    pub agents: Vec<PlanAgent>,
    #[serde(default)]
    pub tasks: Vec<FragmentTask>,
    #[serde(default)]
    pub concurrency: Option<u32>,
    #[serde(default)]
    pub auto_merge: Option<bool>,
    /// Review rounds of every reviewing task that does not set its own.
    #[serde(default)]
    pub review_rounds: Option<u32>,
    /// The plan's pattern name.
    #[serde(default)]
    pub pattern: Option<String>,
}

/// A task of a fragment. Prompts and titles may hold `{goal}`, `{ID}` (the answer to question
/// ID), `{item}` (with `each`), the names of earlier tasks, `{diff}` and `{findings}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FragmentTask {
    pub name: String,
    pub title: String,
    pub prompt: String,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub after: Vec<String>,
    #[serde(default)]
    pub if_succeeded: Vec<String>,
    #[serde(default)]
    pub if_failed: Vec<String>,
    #[serde(default)]
    pub reviews: Option<String>,
    #[serde(default)]
    pub max_rounds: Option<u32>,
    /// One task per answer of this `folders` question (`NAME-FOLDER`), or one when it has one.
    #[serde(default)]
    pub each: Option<String>,
}

impl FragmentTask {
    fn deps(&self) -> impl Iterator<Item = &String> {
        self.after.iter().chain(&self.if_succeeded).chain(&self.if_failed).chain(self.reviews.iter())
    }
}

impl Question {
    /// Where the dialogue goes after `values` (an option's `next` wins for `one`).
    fn next_after(&self, values: &[String]) -> Option<&str> {
        let own = (self.kind == QuestionKind::One)
            .then(|| values.first().and_then(|v| self.options.iter().find(|o| &o.label == v)))
            .flatten()
            .and_then(|o| o.next.as_deref());
        own.or(self.next.as_deref()).filter(|n| *n != END)
    }

    /// Every question that may follow.
    fn branches(&self) -> Vec<Option<&str>> {
        let default = self.next.as_deref().filter(|n| *n != END);
        let mut out = vec![default];
        if self.kind == QuestionKind::One {
            for o in &self.options {
                if let Some(n) = &o.next {
                    let n = Some(n.as_str()).filter(|n| *n != END);
                    if !out.contains(&n) {
                        out.push(n);
                    }
                }
            }
            // Without options made from facts, the question's own `next` is taken only if an
            // option lacks one.
            if self.options_from.is_none() && self.options.iter().all(|o| o.next.is_some()) {
                out.remove(0);
            }
        }
        out
    }
}

impl QuestionGraph {
    fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }

    /// The most questions any path from `id` asks (it included).
    fn longest_from(&self, id: &str) -> usize {
        fn walk(g: &QuestionGraph, id: &str, depth: usize) -> usize {
            let Some(q) = g.question(id) else { return 0 };
            if depth > g.questions.len() {
                return usize::MAX / 2; // a loop; refused at load
            }
            1 + q.branches().into_iter().map(|b| b.map_or(0, |n| walk(g, n, depth + 1))).max().unwrap_or(0)
        }
        walk(self, id, 0)
    }

    /// Every path through the graph, as question ids (what skips would leave out included).
    pub fn paths(&self) -> Vec<Vec<String>> {
        fn walk(g: &QuestionGraph, id: &str, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
            let Some(q) = g.question(id) else { return };
            if path.iter().any(|p| p == id) || path.len() > g.questions.len() {
                return;
            }
            path.push(id.to_owned());
            for b in q.branches() {
                match b {
                    Some(n) => walk(g, n, path, out),
                    None => out.push(path.clone()),
                }
            }
            path.pop();
        }
        let mut out = Vec::new();
        if let Some(first) = self.questions.first() {
            walk(self, &first.id, &mut Vec::new(), &mut out);
        }
        out
    }
}

/// Parses and checks a question graph; `file` names it in errors.
pub fn graph_parse(file: &str, text: &str) -> Result<QuestionGraph, WizardError> {
    let graph: QuestionGraph = toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map_or((0, 0), |span| crate::pattern::line_column(text, span.start));
        WizardError::GraphInvalid { file: file.to_owned(), line, column, message: e.message().trim().to_owned() }
    })?;
    graph_check(&graph).map_err(|message| WizardError::GraphRule { file: file.to_owned(), message })?;
    Ok(graph)
}

fn graph_check(g: &QuestionGraph) -> Result<(), String> {
    if g.questions.is_empty() {
        return Err("the graph has no questions; add at least one [[questions]]".into());
    }
    let ids: Vec<&str> = g.questions.iter().map(|q| q.id.as_str()).collect();
    let mut fragments: Vec<(String, &Fragment)> = vec![("plan".into(), &g.plan)];
    for (i, q) in g.questions.iter().enumerate() {
        let at = format!("questions[{i}] ({})", q.id);
        if q.id.trim().is_empty() || q.id == END {
            return Err(format!("{at}.id: give the question an id other than {END:?}"));
        }
        if ids[..i].contains(&q.id.as_str()) {
            return Err(format!("{at}.id: {:?} names two questions", q.id));
        }
        if q.text.trim().is_empty() || q.why.trim().is_empty() {
            return Err(format!("{at}: a question needs its text and why it matters"));
        }
        let choice = matches!(q.kind, QuestionKind::One | QuestionKind::Several);
        if !choice && !q.options.is_empty() {
            return Err(format!("{at}.options: only `one` and `several` questions list options"));
        }
        if q.options_from.is_some() && q.kind != QuestionKind::One {
            return Err(format!("{at}.options_from: only `one` questions take options from the facts"));
        }
        if choice && q.options.is_empty() && q.options_from.is_none() {
            return Err(format!("{at}.options: a `{}` question needs options", kind_name(q.kind)));
        }
        let recommended = q.options.iter().filter(|o| o.recommended).count();
        if choice && q.options_from.is_none() && recommended != 1 {
            return Err(format!("{at}.options: mark exactly one option `recommended = true` (found {recommended})"));
        }
        if recommended > 1 {
            return Err(format!("{at}.options: at most one option is recommended"));
        }
        for (j, o) in q.options.iter().enumerate() {
            if o.label.trim().is_empty() {
                return Err(format!("{at}.options[{j}].label: empty"));
            }
            if q.options[..j].iter().any(|p| p.label.eq_ignore_ascii_case(&o.label)) {
                return Err(format!("{at}.options[{j}].label: {:?} is listed twice", o.label));
            }
            if o.label.trim().parse::<u32>().is_ok() {
                return Err(format!("{at}.options[{j}].label: a number would be read as the option's position"));
            }
            if o.next.is_some() && q.kind != QuestionKind::One {
                return Err(format!("{at}.options[{j}].next: only options of `one` questions branch"));
            }
            if let Some(n) = &o.next
                && n != END
                && !ids.contains(&n.as_str())
            {
                return Err(format!("{at}.options[{j}].next: no question has the id {n:?}"));
            }
            fragments.push((format!("{at}.options[{j}].plan"), &o.plan));
        }
        if let Some(n) = &q.next
            && n != END
            && !ids.contains(&n.as_str())
        {
            return Err(format!("{at}.next: no question has the id {n:?}"));
        }
        match (&q.default, q.kind) {
            (Some(Scalar::Number(_)), QuestionKind::Number)
            | (Some(Scalar::Text(_)), QuestionKind::Text)
            | (None, _) => {}
            (Some(_), k) => return Err(format!("{at}.default: a `{}` question takes no such default", kind_name(k))),
        }
        if q.kind == QuestionKind::Number && q.default.is_none() {
            return Err(format!("{at}.default: a number question needs a default (the recommended answer)"));
        }
        if (q.min.is_some() || q.max.is_some()) && q.kind != QuestionKind::Number {
            return Err(format!("{at}: min and max are for number questions"));
        }
        if q.sets.is_some() != (q.kind == QuestionKind::Number) {
            return Err(format!("{at}.sets: a number question says which setting it sets, and only it"));
        }
        match q.skip_if {
            Some(SkipIf::SingleFolder) if q.kind != QuestionKind::Folders => {
                return Err(format!("{at}.skip_if: single_folder is for folders questions"));
            }
            Some(SkipIf::SingleTestCommand) if q.options_from != Some(OptionsFrom::TestCommands) => {
                return Err(format!("{at}.skip_if: single_test_command needs options_from = \"test_commands\""));
            }
            Some(SkipIf::SinglePart) if !g.questions[..i].iter().any(|p| p.kind == QuestionKind::Folders) => {
                return Err(format!("{at}.skip_if: single_part needs a folders question before it"));
            }
            Some(SkipIf::OneTestCommandPerPart) if q.options_from != Some(OptionsFrom::TestCommands) => {
                return Err(format!("{at}.skip_if: one_test_command_per_part needs options_from = \"test_commands\""));
            }
            Some(SkipIf::FewParts)
                if q.kind != QuestionKind::Number
                    || !g.questions[..i].iter().any(|p| p.kind == QuestionKind::Folders) =>
            {
                return Err(format!("{at}.skip_if: few_parts is for a number question after a folders question"));
            }
            _ => {}
        }
    }
    // Branches only go forward, so every dialogue ends; and none is too long.
    for (i, q) in g.questions.iter().enumerate() {
        for n in q.branches().into_iter().flatten() {
            let j = ids.iter().position(|id| *id == n).unwrap_or(0);
            if j <= i {
                return Err(format!(
                    "questions[{i}] ({}): it leads back to {n:?}; a question leads only to questions listed after it",
                    q.id
                ));
            }
        }
    }
    let longest = g.longest_from(&g.questions[0].id);
    if longest > QUESTIONS_MAX {
        let path = g.paths().into_iter().max_by_key(Vec::len).unwrap_or_default();
        return Err(format!(
            "a path asks {longest} questions ({}); at most {QUESTIONS_MAX}: merge or skip some",
            path.join(" -> ")
        ));
    }
    // The fragments' tasks: known placeholders and `each` questions.
    let task_names: Vec<&str> = fragments.iter().flat_map(|(_, f)| f.tasks.iter().map(|t| t.name.as_str())).collect();
    for (at, f) in &fragments {
        for (k, t) in f.tasks.iter().enumerate() {
            if let Some(e) = &t.each
                && g.question(e).is_none_or(|q| q.kind != QuestionKind::Folders)
            {
                return Err(format!("{at}.tasks[{k}].each: {e:?} is not a folders question"));
            }
            for d in t.deps() {
                if !task_names.contains(&d.as_str()) {
                    return Err(format!("{at}.tasks[{k}]: {d:?} is not a task of any fragment"));
                }
            }
            for text in [&t.title, &t.prompt] {
                for p in crate::pattern::placeholders(text) {
                    let known = ["goal", "item", "diff", "findings"].contains(&p.as_str())
                        || ids.contains(&p.as_str())
                        || task_names.contains(&p.as_str());
                    if !known {
                        return Err(format!(
                            "{at}.tasks[{k}]: unknown placeholder {{{p}}}; use {{goal}}, {{item}}, a question's id, a task's name, {{diff}} or {{findings}}"
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

fn kind_name(k: QuestionKind) -> &'static str {
    match k {
        QuestionKind::One => "one",
        QuestionKind::Several => "several",
        QuestionKind::Text => "text",
        QuestionKind::Number => "number",
        QuestionKind::Folders => "folders",
    }
}

/// What comes next in a dialogue.
#[derive(Debug, PartialEq, Eq)]
pub enum Step<'g> {
    Ask(&'g Question),
    Done,
}

/// Walks the graph along the answers; a question the facts answer is answered for the user
/// (appended to `answers`, marked `auto`). Answers that no longer fit the graph (it changed)
/// are dropped from the first that does not.
pub fn step<'g>(g: &'g QuestionGraph, facts: &RepoFacts, answers: &mut Vec<WizardAnswer>) -> Step<'g> {
    let mut at = g.questions.first().map(|q| q.id.as_str());
    let mut i = 0;
    while let Some(id) = at {
        let Some(q) = g.question(id) else { break };
        if let Some(a) = answers.get(i) {
            if a.question != q.id {
                answers.truncate(i);
                continue;
            }
            at = q.next_after(&a.values);
            i += 1;
            continue;
        }
        match skip_answer(g, q, facts, answers) {
            Some(values) => {
                answers.push(WizardAnswer { question: q.id.clone(), text: q.text.clone(), values, auto: true });
                at = q.next_after(&answers[i].values);
                i += 1;
            }
            None => return Step::Ask(q),
        }
    }
    answers.truncate(i);
    Step::Done
}

/// The answer the facts give, when `skip_if` holds.
fn skip_answer(g: &QuestionGraph, q: &Question, facts: &RepoFacts, answers: &[WizardAnswer]) -> Option<Vec<String>> {
    match q.skip_if? {
        SkipIf::SingleFolder => {
            (facts.folders.len() <= 1).then(|| facts.folders.iter().map(|f| f.path.clone()).collect())
        }
        SkipIf::SingleTestCommand => {
            let commands = facts.test_commands();
            (commands.len() <= 1).then(|| match commands.first() {
                Some(c) => vec![c.clone()],
                None => q.options.iter().find(|o| o.recommended).map(|o| vec![o.label.clone()]).unwrap_or_default(),
            })
        }
        SkipIf::SinglePart => {
            let parts = parts_chosen(g, answers).map_or(0, |p| p.len());
            (parts <= 1).then(|| vec!["1".to_owned()])
        }
        SkipIf::OneTestCommandPerPart => {
            // Each part's own test commands (those of the manifests in its folder); a part with
            // none is checked by the top's. Without a folders answer: every folder's and the top's.
            let tests_in = |folder: &str| -> Vec<String> {
                facts
                    .manifests
                    .iter()
                    .filter(|m| {
                        m.path.rsplit_once('/').map_or("", |(dir, _)| dir.split('/').next().unwrap_or("")) == folder
                    })
                    .flat_map(|m| m.commands.iter().filter(|c| c.kind == "test").map(|c| c.command.clone()))
                    .collect()
            };
            let groups: Vec<Vec<String>> = match parts_chosen(g, answers) {
                Some(parts) => {
                    let mut groups: Vec<Vec<String>> = Vec::new();
                    for part in parts {
                        let own = tests_in(part.trim_end_matches('/'));
                        let tests = if own.is_empty() { tests_in("") } else { own };
                        if !groups.contains(&tests) {
                            groups.push(tests);
                        }
                    }
                    groups
                }
                None => vec![facts.test_commands()],
            };
            if groups.iter().any(|list| list.len() > 1) {
                return None;
            }
            let commands: Vec<String> = groups.into_iter().flatten().collect();
            Some(if commands.is_empty() {
                q.options.iter().find(|o| o.recommended).map(|o| vec![o.label.clone()]).unwrap_or_default()
            } else {
                commands
            })
        }
        SkipIf::FewParts => {
            let parts = parts_chosen(g, answers).map_or(0, |p| p.len()).max(1);
            let default = match &q.default {
                Some(Scalar::Number(n)) => *n as usize,
                _ => 1,
            };
            (parts <= default).then(|| vec![parts.to_string()])
        }
    }
}

/// The parts the work touches: the last folders answer, if a folders question was answered.
fn parts_chosen<'a>(g: &QuestionGraph, answers: &'a [WizardAnswer]) -> Option<&'a [String]> {
    answers
        .iter()
        .rev()
        .find(|a| g.question(&a.question).is_some_and(|p| p.kind == QuestionKind::Folders))
        .map(|a| a.values.as_slice())
}

/// The options of `q` as offered now.
pub fn options_of(q: &Question, facts: &RepoFacts) -> Vec<WizardOption> {
    let mut out: Vec<WizardOption> = Vec::new();
    match (q.kind, q.options_from) {
        (QuestionKind::Folders, _) => {
            for (i, f) in facts.folders.iter().enumerate() {
                out.push(WizardOption {
                    label: f.path.clone(),
                    detail: Some(RepoFacts::folder_detail(f)),
                    recommended: i == 0,
                });
            }
        }
        (_, Some(OptionsFrom::TestCommands)) => {
            for c in facts.test_commands() {
                let from = facts.manifests.iter().find(|m| m.commands.iter().any(|d| d.command == c));
                out.push(WizardOption {
                    label: c.clone(),
                    detail: from.map(|m| format!("declared in {}", m.path)),
                    recommended: out.is_empty(),
                });
            }
        }
        _ => {}
    }
    let dynamic = !out.is_empty();
    for o in &q.options {
        if out.iter().any(|d| d.label.eq_ignore_ascii_case(&o.label)) {
            continue;
        }
        out.push(WizardOption {
            label: o.label.clone(),
            detail: o.detail.clone(),
            recommended: o.recommended && !dynamic,
        });
    }
    if !out.iter().any(|o| o.recommended)
        && let Some(first) = out.first_mut()
    {
        first.recommended = true;
    }
    out
}

/// The question as shown: its options now, its place in the dialogue.
pub fn question_view(g: &QuestionGraph, q: &Question, facts: &RepoFacts, answers: &[WizardAnswer]) -> WizardQuestion {
    let asked = answers.iter().filter(|a| !a.auto).count();
    WizardQuestion {
        id: q.id.clone(),
        text: q.text.clone(),
        why: q.why.clone(),
        kind: q.kind,
        options: options_of(q, facts),
        default: q.default.as_ref().map(Scalar::text),
        position: (asked + 1) as u32,
        at_most: (asked + g.longest_from(&q.id)) as u32,
    }
}

/// Reads the user's answer to `q`: an option's label or its number (several for `several` and
/// `folders`), a text, a number. Nothing given takes the recommended option or the default.
pub fn answer_parse(q: &Question, facts: &RepoFacts, input: &[String]) -> Result<Vec<String>, WizardError> {
    let input: Vec<&str> = input.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect();
    let options = options_of(q, facts);
    // A label first: a folder may be called `2024`, and typing its name must pick it; any other
    // number picks by position, as the options are shown numbered.
    let pick = |word: &str| -> Result<String, WizardError> {
        // The exact label first (folders `Web` and `web` may both exist), then any case.
        let exact = options.iter().find(|o| o.label == word);
        if let Some(o) = exact.or_else(|| options.iter().find(|o| o.label.eq_ignore_ascii_case(word))) {
            return Ok(o.label.clone());
        }
        if let Ok(n) = word.parse::<usize>()
            && (1..=options.len()).contains(&n)
        {
            return Ok(options[n - 1].label.clone());
        }
        Err(WizardError::NotAnOption {
            answer: word.to_owned(),
            options: options
                .iter()
                .enumerate()
                .map(|(i, o)| format!("{}. {}", i + 1, o.label))
                .collect::<Vec<_>>()
                .join(", "),
        })
    };
    let recommended = || options.iter().find(|o| o.recommended).map(|o| vec![o.label.clone()]).unwrap_or_default();
    match q.kind {
        QuestionKind::One => match input.as_slice() {
            [] => Ok(recommended()),
            [one] => Ok(vec![pick(one)?]),
            _ => Err(WizardError::Answer(format!("{:?} takes one answer; give one of its options", q.id))),
        },
        QuestionKind::Several | QuestionKind::Folders => {
            if input.is_empty() {
                return Ok(recommended());
            }
            let mut out: Vec<String> = Vec::new();
            for word in input {
                // `1,3` picks the first and third.
                let parts: Vec<&str> = word.split(',').map(str::trim).collect();
                let words = if parts.len() > 1 && parts.iter().all(|p| p.parse::<usize>().is_ok()) {
                    parts
                } else {
                    vec![word]
                };
                for w in words {
                    let label = pick(w)?;
                    if !out.contains(&label) {
                        out.push(label);
                    }
                }
            }
            Ok(out)
        }
        QuestionKind::Text => {
            let text = input.join(" ");
            match (text.is_empty(), &q.default) {
                (false, _) => Ok(vec![text]),
                (true, Some(d)) => Ok(vec![d.text()]),
                (true, None) => Err(WizardError::Answer(format!("{:?} needs an answer: {}", q.id, q.text))),
            }
        }
        QuestionKind::Number => {
            let text = input.join(" ");
            let n = if text.is_empty() { q.default.as_ref().map(Scalar::text).unwrap_or_default() } else { text };
            let min = q.min.unwrap_or(1);
            let max = q.max.unwrap_or(u32::MAX);
            match n.parse::<u32>() {
                Ok(v) if (min..=max).contains(&v) => Ok(vec![v.to_string()]),
                _ => {
                    Err(WizardError::Answer(format!("{:?} takes a whole number from {min} to {max}, not {n:?}", q.id)))
                }
            }
        }
    }
}

/// The plan the answers make: the graph's plan, then each answer's fragments in order, with the
/// placeholders `{item}` and the answers (`{ID}`) filled in. `{goal}` stays a placeholder, filled
/// at launch as a pattern's is: the plan is then exactly what a saved pattern holds, and a goal
/// that holds braces or words of the prompts is never mistaken for part of them.
pub fn plan_build(g: &QuestionGraph, answers: &[WizardAnswer]) -> WizardPlan {
    let mut fragments: Vec<&Fragment> = vec![&g.plan];
    let mut concurrency: Option<u32> = None;
    let mut rounds: Option<u32> = None;
    for a in answers {
        let Some(q) = g.question(&a.question) else { continue };
        for v in &a.values {
            if let Some(o) = q.options.iter().find(|o| &o.label == v) {
                fragments.push(&o.plan);
            }
        }
        if let (Some(setting), Some(v)) = (q.sets, a.values.first().and_then(|v| v.parse::<u32>().ok())) {
            match setting {
                Setting::Concurrency => concurrency = Some(v),
                Setting::ReviewRounds => rounds = Some(v),
            }
        }
    }
    let answer_text = |id: &str| -> Option<String> {
        answers
            .iter()
            .find(|a| a.question == id)
            .map(|a| if a.values.is_empty() { "not said".into() } else { a.values.join(", ") })
    };
    let fill = |text: &str, item: &str| -> String {
        let mut out = text.replace("{item}", item);
        for q in &g.questions {
            let key = format!("{{{}}}", q.id);
            if out.contains(&key) {
                out = out.replace(&key, &answer_text(&q.id).unwrap_or_else(|| "not said".into()));
            }
        }
        out
    };
    let mut plan = WizardPlan {
        agents: Vec::new(),
        tasks: Vec::new(),
        concurrency: 3,
        auto_merge: false,
        pattern: Some(g.name.clone()),
    };
    // Every fragment task, then its instances (one per item of its `each` question).
    let all: Vec<&FragmentTask> = fragments.iter().flat_map(|f| &f.tasks).collect();
    let items_of = |t: &FragmentTask| -> Vec<String> {
        match &t.each {
            Some(q) => answers.iter().find(|a| &a.question == q).map(|a| a.values.clone()).unwrap_or_default(),
            None => Vec::new(),
        }
    };
    let instance = |name: &str, item: &str, items: &[String]| {
        if items.len() > 1 { format!("{name}-{}", item_slug(items, item)) } else { name.to_owned() }
    };
    // The names a reference to task `dep` stands for, from a task working on `item` (if any).
    let refs = |dep: &str, item: Option<&str>| -> Vec<String> {
        let Some(d) = all.iter().find(|t| t.name == dep) else { return vec![dep.to_owned()] };
        let items = items_of(d);
        if items.len() <= 1 {
            return vec![dep.to_owned()];
        }
        match item.filter(|i| items.iter().any(|x| x == i)) {
            Some(i) => vec![instance(dep, i, &items)],
            None => items.iter().map(|i| instance(dep, i, &items)).collect(),
        }
    };
    for f in &fragments {
        for a in &f.agents {
            plan.agents.retain(|x| x.role != a.role);
            plan.agents.push(a.clone());
        }
        if let Some(c) = f.concurrency {
            plan.concurrency = c;
        }
        if let Some(m) = f.auto_merge {
            plan.auto_merge = m;
        }
        if let Some(r) = f.review_rounds {
            rounds = rounds.or(Some(r));
        }
        if let Some(p) = &f.pattern {
            plan.pattern = Some(p.clone());
        }
        for t in &f.tasks {
            let items = items_of(t);
            let list: Vec<Option<&str>> = if t.each.is_some() && !items.is_empty() {
                items.iter().map(|i| Some(i.as_str())).collect()
            } else {
                vec![None]
            };
            for item in list {
                let expand = |deps: &[String]| -> Vec<String> {
                    let mut out: Vec<String> = Vec::new();
                    for d in deps {
                        for r in refs(d, item) {
                            if !out.contains(&r) {
                                out.push(r);
                            }
                        }
                    }
                    out
                };
                // `{implement}` from a task that follows every part stands for each part's result.
                let mut prompt = t.prompt.clone();
                let mut title = t.title.clone();
                for d in &all {
                    let key = format!("{{{}}}", d.name);
                    if prompt.contains(&key) || title.contains(&key) {
                        let names: Vec<String> = refs(&d.name, item).iter().map(|n| format!("{{{n}}}")).collect();
                        prompt = prompt.replace(&key, &names.join("\n\n"));
                        title = title.replace(&key, &names.join(", "));
                    }
                }
                let item_text = item.unwrap_or("the whole repository");
                let name = instance(&t.name, item.unwrap_or(""), &items);
                plan.tasks.retain(|x| x.name != name);
                plan.tasks.push(PlanTask {
                    name,
                    title: fill(&title, item_text),
                    prompt: fill(&prompt, item_text),
                    role: t.role.clone(),
                    after: expand(&t.after),
                    if_succeeded: expand(&t.if_succeeded),
                    if_failed: expand(&t.if_failed),
                    reviews: t.reviews.as_deref().and_then(|r| refs(r, item).into_iter().next()),
                    max_rounds: t.max_rounds,
                });
            }
        }
    }
    if let Some(c) = concurrency {
        plan.concurrency = c;
    }
    if let Some(r) = rounds {
        for t in plan.tasks.iter_mut().filter(|t| t.reviews.is_some() && t.max_rounds.is_none()) {
            t.max_rounds = Some(r);
        }
    }
    plan
}

/// `item` as part of a task name, unique among `items`: `crates/core` -> `crates-core`, and a
/// later `crates-core` -> `crates-core-2` (else one part's task would replace the other's).
fn item_slug(items: &[String], item: &str) -> String {
    let mine = slug(item);
    let position = items.iter().position(|i| i == item).unwrap_or(0);
    let before = items[..position].iter().filter(|i| slug(i) == mine).count();
    if before == 0 { mine } else { format!("{mine}-{}", before + 1) }
}

/// A folder as part of a task name: `crates/core` -> `crates-core`.
fn slug(item: &str) -> String {
    let s: String = item
        .chars()
        .map(|c| if c.is_alphanumeric() || c == '-' || c == '_' { c.to_ascii_lowercase() } else { '-' })
        .collect();
    let s = s.trim_matches('-').to_owned();
    if s.is_empty() { "root".into() } else { s }
}
