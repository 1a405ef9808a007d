//! The agent-assisted engine's protocol: what the planner agent is told, and how its replies are
//! read. Each turn the planner answers with one JSON object, a question or the plan:
//!
//! ```json
//! {"question": {"text": "...", "why": "...", "options": [{"label": "...", "recommended": true}], "multiple": false}}
//! {"plan": {"agents": [...], "tasks": [...], "concurrency": 2, "autoMerge": false, "pattern": "planner"}}
//! ```
//!
//! Everything here is pure (text in, decision out); `assisted.rs` runs the agent and keeps the
//! wizard's record. `docs/wizard.md` documents the protocol for people.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::facts::RepoFacts;
use super::plan::{WizardPlan, plan_check};
use super::questions::QuestionKind;
use super::{WizardAnswer, WizardError, WizardOption, WizardQuestion};
use crate::agent::protocol::CliKind;

/// What the wizard shows of its planner: which agent it is (a lane of the session), its CLI, and
/// whether it is working on its next reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WizardPlanner {
    pub cli: CliKind,
    pub agent_id: String,
    pub agent_name: String,
    /// The planner is working on its next question or the plan; answers wait for it.
    pub thinking: bool,
    /// The most questions it may ask.
    pub max_questions: u32,
}

/// The planner's part of a stored wizard (the `planner` column, JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PlannerState {
    pub cli: CliKind,
    pub agent_id: String,
    pub agent_name: String,
    pub max_questions: u32,
    /// The questions it asked, in order; the wizard's answers answer them one for one.
    #[serde(default)]
    pub asked: Vec<WizardQuestion>,
    /// The question waiting for the user.
    #[serde(default)]
    pub pending: Option<WizardQuestion>,
    /// A message went to the planner and its reply is not read yet.
    #[serde(default)]
    pub thinking: bool,
    /// The agent's turn count when that message went: a higher count is the reply.
    #[serde(default)]
    pub turns_at: u32,
    /// That message, sent again when a restart interrupted the turn.
    #[serde(default)]
    pub message: String,
    /// This reply is the second try after a bad one.
    #[serde(default)]
    pub reasked: bool,
    /// How many answers the planner has been told (more than the wizard holds after Back).
    #[serde(default)]
    pub told: usize,
    /// Gave up on the planner: the guided engine goes on.
    #[serde(default)]
    pub fell_back: bool,
    /// The planner's questions and answers, kept when the guided engine took over.
    #[serde(default)]
    pub kept: Vec<WizardAnswer>,
    /// Said to the user: why the guided engine took over.
    #[serde(default)]
    pub note: Option<String>,
}

impl PlannerState {
    pub fn view(&self) -> WizardPlanner {
        WizardPlanner {
            cli: self.cli,
            agent_id: self.agent_id.clone(),
            agent_name: self.agent_name.clone(),
            thinking: self.thinking,
            max_questions: self.max_questions,
        }
    }
}

/// What a planner's reply is, once read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PlannerReply {
    Question(WizardQuestion),
    Plan(WizardPlan),
}

/// One reply as the protocol words it: exactly one of the two keys.
#[derive(Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
enum Wire {
    Question(WireQuestion),
    Plan(WizardPlan),
}

#[derive(Deserialize)]
struct WireQuestion {
    #[serde(default)]
    text: String,
    #[serde(default)]
    why: String,
    #[serde(default)]
    options: Vec<WireOption>,
    #[serde(default)]
    multiple: bool,
}

#[derive(Deserialize)]
struct WireOption {
    #[serde(default)]
    label: String,
    #[serde(default)]
    recommended: bool,
    #[serde(default)]
    detail: Option<String>,
}

/// The ids of the planner's questions: `planner-1`, `planner-2`...
pub(crate) fn question_id(n: usize) -> String {
    format!("planner-{n}")
}

/// The JSON object of a reply: the whole text, or a text that is one fenced code block, or the
/// object that ends the text. A CLI may hand over the words the model said before reading files
/// together with its answer (Codex and Gemini join a turn's messages), so words before the object
/// do not make the reply unreadable; an object that does not end the text is not taken.
fn json_text(text: &str) -> &str {
    let t = text.trim();
    // A closing fence, then its opening line (```json), are not part of the object.
    let t = t.strip_suffix("```").map_or(t, str::trim_end);
    let t = t.strip_prefix("```").map_or(t, |rest| match rest.split_once('\n') {
        Some((lang, inner)) if !lang.trim_start().starts_with('{') => inner.trim_start(),
        _ => rest.trim_start(),
    });
    if t.starts_with('{') {
        return t;
    }
    t.match_indices('{')
        .take(TRAILING_TRIES)
        .map(|(i, _)| &t[i..])
        .find(|candidate| {
            serde_json::from_str::<serde_json::Value>(candidate).is_ok_and(|v| {
                v.as_object().is_some_and(|o| o.len() == 1 && (o.contains_key("question") || o.contains_key("plan")))
            })
        })
        .unwrap_or(t)
}

/// How many `{` of a reply are tried as the start of the object that ends it.
const TRAILING_TRIES: usize = 200;

/// Reads the planner's reply. `asked` is how many questions were answered so far; at the limit a
/// question is refused. `words`: words in braces the user's answers hold (as `plan_check` takes).
/// The error says what was wrong in words the planner is sent back.
pub(crate) fn reply_parse(
    text: &str,
    asked: usize,
    max_questions: u32,
    words: &[String],
) -> Result<PlannerReply, String> {
    let body = json_text(text);
    if !body.starts_with('{') {
        let start: String = text.trim().chars().take(80).collect();
        return Err(format!(
            "the reply is not a JSON object (it starts {start:?}); reply with the JSON object alone, no words around it"
        ));
    }
    let value: serde_json::Value = serde_json::from_str(body)
        .map_err(|e| format!("the reply is not valid JSON ({e}); reply with one JSON object alone"))?;
    let keys: Vec<&str> = value.as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default();
    if !matches!(keys.as_slice(), ["question"] | ["plan"]) {
        return Err(format!("the object must have one key, \"question\" or \"plan\"; it has {keys:?}"));
    }
    let wire: Wire = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        format!("{path}: {message}")
    })?;
    match wire {
        Wire::Plan(plan) => {
            plan_check(&plan, words).map_err(|e| format!("the plan is not valid: {e}"))?;
            Ok(PlannerReply::Plan(plan))
        }
        Wire::Question(_) if asked >= max_questions as usize => {
            Err(format!("{max_questions} questions were asked, the most allowed; reply with {{\"plan\": ...}} now"))
        }
        Wire::Question(q) => question_check(q, asked, max_questions).map(PlannerReply::Question),
    }
}

fn question_check(q: WireQuestion, asked: usize, max_questions: u32) -> Result<WizardQuestion, String> {
    if q.text.trim().is_empty() {
        return Err("question.text is empty; ask the question".into());
    }
    if q.why.trim().is_empty() {
        return Err("question.why is empty; say in one line why the answer matters".into());
    }
    let mut options: Vec<WizardOption> = Vec::new();
    for (i, o) in q.options.into_iter().enumerate() {
        let label = o.label.trim().to_owned();
        if label.is_empty() {
            return Err(format!("question.options[{i}].label is empty"));
        }
        if options.iter().any(|p| p.label.eq_ignore_ascii_case(&label)) {
            return Err(format!("question.options[{i}].label: {label:?} is there twice"));
        }
        options.push(WizardOption {
            label,
            detail: o.detail.filter(|d| !d.trim().is_empty()),
            recommended: o.recommended,
        });
    }
    match options.iter().filter(|o| o.recommended).count() {
        0 => {
            if let Some(first) = options.first_mut() {
                first.recommended = true;
            }
        }
        1 => {}
        n => return Err(format!("question.options: {n} are recommended; mark one")),
    }
    let kind = match (options.is_empty(), q.multiple) {
        (true, _) => QuestionKind::Text,
        (false, true) => QuestionKind::Several,
        (false, false) => QuestionKind::One,
    };
    Ok(WizardQuestion {
        id: question_id(asked + 1),
        text: q.text.trim().to_owned(),
        why: q.why.trim().to_owned(),
        kind,
        options,
        default: None,
        position: (asked + 1) as u32,
        at_most: max_questions,
    })
}

/// What to do with the end of the planner's turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Next {
    /// Show the question, or take the plan.
    Reply(PlannerReply),
    /// Send `message` (the reply could not be used: `error`), once.
    Reask { message: String, error: String },
    /// The guided engine takes over; `note` tells the user why.
    Fallback { note: String },
}

/// Decides on the planner's turn: `turn` is its reply text and whether the CLI called the turn
/// an error, `None` when no turn ended (the agent failed or was stopped; `lane` says how). A
/// reply that cannot be used is asked for again once; a second one, or no reply, falls back.
pub(crate) fn reply_next(
    p: &PlannerState,
    turn: Option<(&str, bool)>,
    lane: &str,
    asked: usize,
    words: &[String],
) -> Next {
    let name = &p.agent_name;
    let failed = |why: String| Next::Fallback {
        note: format!("The planner ({name}) failed: {why}; the guided questions go on from here."),
    };
    match turn {
        None => failed(format!("{lane} without a reply")),
        Some((text, true)) => {
            let said: String = text.trim().chars().take(300).collect();
            failed(if said.is_empty() {
                format!("its turn ended in an error ({lane})")
            } else {
                format!("its CLI reported an error: {said}")
            })
        }
        Some((text, false)) => match reply_parse(text, asked, p.max_questions, words) {
            Ok(reply) => Next::Reply(reply),
            Err(error) if !p.reasked => Next::Reask { message: message_reask(&error), error },
            Err(error) => Next::Fallback {
                note: format!(
                    "The planner ({name}) replied twice with something Baton could not use (last: {error}); the guided questions go on from here."
                ),
            },
        },
    }
}

/// The user's answer to one of the planner's questions: options by label or number (several
/// for a `multiple` question), or words of their own; nothing takes the recommended option.
pub(crate) fn answer_parse(q: &WizardQuestion, input: &[String]) -> Result<Vec<String>, WizardError> {
    let input: Vec<&str> = input.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect();
    if input.is_empty() {
        return match q.options.iter().find(|o| o.recommended) {
            Some(o) => Ok(vec![o.label.clone()]),
            None => Err(WizardError::Answer(format!("this question needs an answer: {}", q.text))),
        };
    }
    let pick = |word: &str| -> Option<String> {
        let exact = q.options.iter().find(|o| o.label == word);
        if let Some(o) = exact.or_else(|| q.options.iter().find(|o| o.label.eq_ignore_ascii_case(word))) {
            return Some(o.label.clone());
        }
        let n = word.parse::<usize>().ok()?;
        (1..=q.options.len()).contains(&n).then(|| q.options[n - 1].label.clone())
    };
    let words: Vec<&str> = match q.kind {
        // `1,3` picks the first and third.
        QuestionKind::Several => {
            input.iter().flat_map(|w| w.split(',')).map(str::trim).filter(|w| !w.is_empty()).collect()
        }
        _ => input.clone(),
    };
    let picked: Option<Vec<String>> = match q.kind {
        QuestionKind::One if words.len() == 1 => pick(words[0]).map(|l| vec![l]),
        QuestionKind::Several => words.iter().map(|w| pick(w)).collect(),
        _ => None,
    };
    match picked {
        Some(mut labels) => {
            let mut seen = std::collections::HashSet::new();
            labels.retain(|l| seen.insert(l.clone()));
            Ok(labels)
        }
        // Not the options: the user's own words, which the planner reads as they are.
        None => Ok(vec![input.join(" ")]),
    }
}

/// The first message: the role, the protocol, the goal, the facts.
pub(crate) fn prompt_first(goal: &str, facts: &RepoFacts, max_questions: u32) -> String {
    let facts = serde_json::to_string_pretty(facts).unwrap_or_else(|_| "{}".into());
    format!(
        "You are the planner of Baton's spawning wizard. A user wants work done in this repository (your \
current folder) by a team of AI coding agents that Baton runs. Ask the user the few questions whose \
answers change the plan, one at a time, then propose the plan. You may read the repository (your tools \
only read); do not change anything.

The goal, in the user's words:
{goal}

What Baton already read from the repository (do not ask what these facts answer):
{facts}

Reply to every message with ONE JSON object and nothing else (no words around it, no code fence):
either a question:
{{\"question\": {{\"text\": \"Which parts of the code will change?\", \"why\": \"Each part gets its own implementer and reviewer.\", \"options\": [{{\"label\": \"web\", \"recommended\": true}}, {{\"label\": \"core\", \"recommended\": false}}], \"multiple\": true}}}}
(options are optional: without them the user answers in words; mark exactly one option recommended; \
the user may also answer in words of their own), or the plan:
{{\"plan\": PLAN}}

PLAN is:
{plan_doc}

Ask at most {max_questions} questions, the one whose answer matters most first; fewer is better. \
When you know enough, or after the last question allowed, reply with the plan.",
        plan_doc = PLAN_DOC
    )
}

/// How the plan is written, as the planner is told (the same rules `plan_check` applies).
const PLAN_DOC: &str = r#"{"agents": [{"role": "implementer", "cli": "claude", "model": null, "instructions": "You are the implementer..."}],
 "tasks": [{"name": "implement", "title": "Implement: ...", "prompt": "... {goal} ...", "role": "implementer"},
           {"name": "review", "title": "Review", "prompt": "Review {diff} of {implement}", "role": "reviewer",
            "after": ["implement"], "reviews": "implement", "maxRounds": 3}],
 "concurrency": 2, "autoMerge": false, "pattern": "planner"}
Rules: one agent per role (cli: claude, codex or gemini); task names unique; every task has a title,
a prompt and one of the agents' roles; "after", "ifSucceeded", "ifFailed" name other tasks, with no
cycle; "reviews" names a task it runs after; placeholders in prompts are only {goal}, {diff},
{findings} and the names of tasks it runs after (their results); concurrency at least 1."#;

/// The message that carries the user's answer (and what changed when they went back).
pub(crate) fn message_answer(
    q: &WizardQuestion,
    values: &[String],
    answered: usize,
    told: usize,
    max_questions: u32,
) -> String {
    let mut m = String::new();
    if told >= answered {
        m.push_str(&format!(
            "The user went back to question {answered}: forget the answers given to it and after it.\n"
        ));
    }
    let answer = if values.is_empty() { "(nothing)".to_owned() } else { values.join("; ") };
    m.push_str(&format!("Answer to question {answered} ({}): {answer}\n", q.text));
    let left = (max_questions as usize).saturating_sub(answered);
    if left == 0 {
        m.push_str("That was the last question allowed: reply now with {\"plan\": ...}.");
    } else {
        m.push_str(&format!("You may ask {left} more question(s), or give the plan. Reply with one JSON object."));
    }
    m
}

/// The message after a reply that could not be used.
pub(crate) fn message_reask(error: &str) -> String {
    format!(
        "Your last reply could not be used: {error}. Reply again with exactly one JSON object, \
{{\"question\": {{...}}}} or {{\"plan\": {{...}}}}, and nothing else."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_json() -> &'static str {
        r#"{"plan": {"agents": [{"role": "dev", "cli": "claude"}], "tasks": [{"name": "do", "title": "Do it", "prompt": "Do {goal}", "role": "dev"}], "concurrency": 1}}"#
    }

    #[test]
    fn a_question_or_a_plan_is_read_and_anything_else_says_why() {
        let q = r#"{"question": {"text": "Which part?", "why": "Each part gets a builder.", "options": [{"label": "web"}, {"label": "core", "recommended": true}], "multiple": true}}"#;
        let PlannerReply::Question(q) = reply_parse(q, 0, 5, &[]).unwrap() else { panic!() };
        assert_eq!((q.id.as_str(), q.kind, q.position, q.at_most), ("planner-1", QuestionKind::Several, 1, 5));
        assert!(q.options[1].recommended && !q.options[0].recommended);
        let fenced = format!("```json\n{}\n```", plan_json());
        assert!(matches!(reply_parse(&fenced, 2, 5, &[]).unwrap(), PlannerReply::Plan(_)));
        let said_first =
            format!("I'll look at the folders first.\n\nDone: {{web}} is the front.\n```json\n{}\n```", plan_json());
        assert!(matches!(reply_parse(&said_first, 2, 5, &[]).unwrap(), PlannerReply::Plan(_)), "words before it");
        let err = reply_parse(&format!("{}\nThat is my plan.", plan_json()), 2, 5, &[]).unwrap_err();
        assert!(err.contains("not valid JSON (trailing characters"), "words after it: {err}");
        let words = r#"{"question": {"text": "Why?", "why": "w"}}"#;
        let PlannerReply::Question(q) = reply_parse(words, 1, 5, &[]).unwrap() else { panic!() };
        assert_eq!((q.kind, q.id.as_str()), (QuestionKind::Text, "planner-2"));

        let cases = [
            ("Sure! Here is my plan.", "not a JSON object"),
            (r#"{"answer": 1}"#, "one key, \"question\" or \"plan\"; it has [\"answer\"]"),
            (r#"{"question": {"text": "t", "why": "w"}, "plan": {}}"#, "it has [\"plan\", \"question\"]"),
            (r#"{"question": {"text": "t", "why": "w"}} and more"#, "not valid JSON (trailing characters"),
            (r#"{"question": {"text": "t", "why": 3}}"#, "question.why: invalid type"),
            (r#"{"question": {"text": "", "why": "w"}}"#, "question.text is empty"),
            (
                r#"{"question": {"text": "t", "why": "w", "options": [{"label": "a", "recommended": true}, {"label": "A", "recommended": true}]}}"#,
                "twice",
            ),
            (r#"{"plan": {"agents": [], "tasks": [], "concurrency": 1}}"#, "the plan is not valid: tasks"),
            (
                r#"{"plan": {"agents": [{"role": "dev"}], "tasks": [{"name": "a", "title": "t", "prompt": "p", "role": "qa"}], "concurrency": 1}}"#,
                "unknown role \"qa\"",
            ),
            (
                r#"{"plan": {"agents": [{"role": "dev"}], "tasks": [{"name": "a", "title": "t", "prompt": "p", "role": "dev", "after": ["a"]}], "concurrency": 1}}"#,
                "tasks",
            ),
            (
                r#"{"plan": {"agents": [{"role": "dev", "cli": "cursor"}], "tasks": [], "concurrency": 1}}"#,
                "plan.agents[0].cli",
            ),
        ];
        for (text, want) in cases {
            let err = reply_parse(text, 0, 5, &[]).unwrap_err();
            assert!(err.contains(want), "{want:?} in {err:?}");
        }
        let err = reply_parse(r#"{"question": {"text": "t", "why": "w"}}"#, 5, 5, &[]).unwrap_err();
        assert!(err.contains("5 questions were asked"), "{err}");
    }

    #[test]
    fn a_bad_reply_is_asked_again_once_then_the_guided_engine_takes_over() {
        let mut p = PlannerState {
            cli: CliKind::Claude,
            agent_id: "agt_1".into(),
            agent_name: "planner".into(),
            max_questions: 5,
            asked: vec![],
            pending: None,
            thinking: true,
            turns_at: 0,
            message: String::new(),
            reasked: false,
            told: 0,
            fell_back: false,
            kept: vec![],
            note: None,
        };
        let lane = "its agent planner is stopped";
        assert!(matches!(reply_next(&p, Some((plan_json(), false)), lane, 0, &[]), Next::Reply(PlannerReply::Plan(_))));
        let Next::Reask { message, error } = reply_next(&p, Some(("Here you go.", false)), lane, 0, &[]) else {
            panic!()
        };
        assert!(error.contains("not a JSON object") && message.contains(&error), "{message}");
        p.reasked = true;
        let Next::Fallback { note } = reply_next(&p, Some(("Still prose.", false)), lane, 0, &[]) else { panic!() };
        assert!(note.starts_with("The planner (planner) replied twice with something Baton could not use"), "{note}");
        // A good reply after the re-ask is taken.
        assert!(matches!(reply_next(&p, Some((plan_json(), false)), lane, 0, &[]), Next::Reply(_)));
        // No reply at all, or a turn the CLI ended in error: no second try.
        p.reasked = false;
        let Next::Fallback { note } = reply_next(&p, None, lane, 0, &[]) else { panic!() };
        assert!(note.contains("failed: its agent planner is stopped without a reply"), "{note}");
        let Next::Fallback { note } = reply_next(&p, Some(("API Error: 500", true)), lane, 0, &[]) else { panic!() };
        assert!(note.contains("its CLI reported an error: API Error: 500"), "{note}");
        let Next::Fallback { note } = reply_next(&p, Some(("", true)), lane, 0, &[]) else { panic!() };
        assert!(note.contains("its turn ended in an error (its agent planner is stopped)"), "{note}");
    }

    #[test]
    fn answers_pick_options_by_label_or_number_or_are_the_users_words() {
        let q = |kind: QuestionKind| WizardQuestion {
            id: "planner-1".into(),
            text: "Which?".into(),
            why: "w".into(),
            kind,
            options: ["web", "core"]
                .iter()
                .enumerate()
                .map(|(i, l)| WizardOption { label: (*l).into(), detail: None, recommended: i == 1 })
                .collect(),
            default: None,
            position: 1,
            at_most: 5,
        };
        let s = |v: &[&str]| v.iter().map(|w| (*w).to_owned()).collect::<Vec<_>>();
        let one = q(QuestionKind::One);
        assert_eq!(answer_parse(&one, &[]).unwrap(), ["core"]);
        assert_eq!(answer_parse(&one, &s(&["1"])).unwrap(), ["web"]);
        assert_eq!(answer_parse(&one, &s(&["WEB"])).unwrap(), ["web"]);
        assert_eq!(answer_parse(&one, &s(&["both", "of", "them"])).unwrap(), ["both of them"]);
        let several = q(QuestionKind::Several);
        assert_eq!(answer_parse(&several, &s(&["2,1", "core"])).unwrap(), ["core", "web"]);
        assert_eq!(answer_parse(&several, &s(&["the", "docs"])).unwrap(), ["the docs"]);
        let text = WizardQuestion { kind: QuestionKind::Text, options: vec![], ..one };
        assert!(answer_parse(&text, &[]).unwrap_err().to_string().contains("needs an answer"));
    }

    #[test]
    fn messages_say_how_many_questions_are_left_and_what_a_back_undid() {
        let q = WizardQuestion {
            id: "planner-2".into(),
            text: "Which?".into(),
            why: "w".into(),
            kind: QuestionKind::Text,
            options: vec![],
            default: None,
            position: 2,
            at_most: 2,
        };
        let m = message_answer(&q, &["web".into()], 1, 0, 2);
        assert!(m.contains("Answer to question 1 (Which?): web") && m.contains("1 more"), "{m}");
        let m = message_answer(&q, &["web".into()], 2, 1, 2);
        assert!(m.contains("last question allowed"), "{m}");
        assert!(!m.contains("went back"), "{m}");
        let m = message_answer(&q, &["core".into()], 1, 2, 2);
        assert!(m.starts_with("The user went back to question 1"), "{m}");
        assert!(message_reask("x: y").contains("could not be used: x: y"));
        let p = prompt_first("add a cart", &RepoFacts::default(), 4);
        assert!(p.contains("add a cart") && p.contains("at most 4 questions") && p.contains("\"question\""), "{p}");
    }
}
