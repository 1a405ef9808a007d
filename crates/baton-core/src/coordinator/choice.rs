//! A judge's and a voter's answers, and the count of votes: plain functions over text.
//! A judge of a selection answers `{"winner": "...", "scores": {...}, "reasons": "..."}`; a voter
//! (and a judge breaking a tie) answers `{"choice": "..."}`. Models wrap JSON in prose or a code
//! fence, so the first JSON object with the key is taken, as for a reviewer's verdict.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A judge's verdict on a selection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelectVerdict {
    pub winner: String,
    #[serde(default)]
    pub scores: BTreeMap<String, f64>,
    #[serde(default)]
    pub reasons: String,
}

/// The first JSON object of `answer` that has `key`.
fn json_with(answer: &str, key: &str) -> Option<serde_json::Value> {
    for (start, _) in answer.match_indices('{') {
        let mut stream = serde_json::Deserializer::from_str(&answer[start..]).into_iter::<serde_json::Value>();
        if let Some(Ok(value)) = stream.next()
            && value.get(key).is_some()
        {
            return Some(value);
        }
    }
    None
}

/// The judge's verdict in `answer`, its winner one of `candidates`; or why it is not one.
pub(crate) fn select_verdict_parse(answer: &str, candidates: &[String]) -> Result<SelectVerdict, String> {
    let value = json_with(answer, "winner").ok_or("it contains no JSON object with a winner")?;
    let v: SelectVerdict = serde_json::from_value(value).map_err(|e| format!("its JSON verdict is not valid: {e}"))?;
    if !candidates.contains(&v.winner) {
        return Err(format!("its winner {:?} is not one of the candidates ({})", v.winner, candidates.join(", ")));
    }
    Ok(v)
}

/// The choice in `answer`, one of `choices`; or why there is none.
pub(crate) fn choice_parse(answer: &str, choices: &[String]) -> Result<String, String> {
    let value = json_with(answer, "choice").ok_or("it contains no JSON object with a choice")?;
    let choice = value.get("choice").and_then(|c| c.as_str()).ok_or("its choice is not a string")?;
    let choice = choice.trim();
    choices
        .iter()
        .find(|c| c.eq_ignore_ascii_case(choice))
        .cloned()
        .ok_or_else(|| format!("its choice {choice:?} is not one of {}", choices.join(", ")))
}

/// How votes came out: each choice's count (in `choices` order), and the winner when one choice
/// has more votes than every other; else the tied choices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tally {
    pub counts: Vec<(String, u32)>,
    pub winner: Option<String>,
    pub tied: Vec<String>,
}

pub(crate) fn tally(choices: &[String], votes: &[Option<String>]) -> Tally {
    let counts: Vec<(String, u32)> = choices
        .iter()
        .map(|c| (c.clone(), votes.iter().filter(|v| v.as_deref() == Some(c.as_str())).count() as u32))
        .collect();
    let top = counts.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let tied: Vec<String> = counts.iter().filter(|(_, n)| *n == top).map(|(c, _)| c.clone()).collect();
    if tied.len() == 1 && top > 0 {
        return Tally { winner: tied.first().cloned(), tied: vec![], counts };
    }
    Tally { winner: None, tied, counts }
}

/// The tally in one line: `approve 2, request_changes 1`.
pub(crate) fn tally_line(t: &Tally) -> String {
    t.counts.iter().map(|(c, n)| format!("{c} {n}")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(l: &[&str]) -> Vec<String> {
        l.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_verdict_names_a_candidate_or_says_what_is_wrong() {
        let c = names(&["impl-1", "impl-2"]);
        let v = select_verdict_parse(
            "My pick:\n```json\n{\"winner\": \"impl-2\", \"scores\": {\"impl-1\": 6, \"impl-2\": 8.5}, \"reasons\": \"simpler\"}\n```",
            &c,
        )
        .unwrap();
        assert_eq!((v.winner.as_str(), v.scores["impl-2"], v.reasons.as_str()), ("impl-2", 8.5, "simpler"));
        assert!(select_verdict_parse("impl-2 is best", &c).unwrap_err().contains("no JSON object"));
        assert!(select_verdict_parse("{\"winner\": \"impl-3\"}", &c).unwrap_err().contains("not one of"));
        assert!(select_verdict_parse("{\"winner\": 2}", &c).unwrap_err().contains("not valid"));
    }

    #[test]
    fn votes_count_and_ties_are_found() {
        let c = names(&["approve", "request_changes"]);
        assert_eq!(choice_parse("{\"choice\": \"Approve\", \"why\": \"ok\"}", &c).unwrap(), "approve");
        assert!(choice_parse("{\"choice\": \"maybe\"}", &c).unwrap_err().contains("not one of"));
        let yes = Some("approve".to_owned());
        let no = Some("request_changes".to_owned());
        let t = tally(&c, &[yes.clone(), no.clone(), yes.clone()]);
        assert_eq!(t.winner.as_deref(), Some("approve"));
        assert_eq!(tally_line(&t), "approve 2, request_changes 1");
        let t = tally(&c, &[yes, no, None]);
        assert_eq!((t.winner, t.tied), (None, c.clone()));
        assert_eq!(tally(&c, &[None]).winner, None);
    }
}
