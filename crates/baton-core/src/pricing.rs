//! Cost estimates for CLIs that report tokens but no cost (Codex, Gemini), from a price table
//! kept as data (`data/prices.json`, embedded). Estimates are always labelled as such.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::agent::protocol::CliKind;
use crate::agent::record::TokenUsage;

#[derive(Debug, Deserialize)]
struct Table {
    models: BTreeMap<String, Price>,
    defaults: BTreeMap<String, String>,
}

/// USD per million tokens.
#[derive(Debug, Clone, Copy, Deserialize)]
struct Price {
    input: f64,
    #[serde(default)]
    cached_input: Option<f64>,
    #[serde(default)]
    cache_write: Option<f64>,
    output: f64,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        // A test checks the embedded table parses; an empty table only means "no estimate".
        serde_json::from_str(include_str!("../../../data/prices.json"))
            .unwrap_or(Table { models: BTreeMap::new(), defaults: BTreeMap::new() })
    })
}

/// The estimated cost in USD of `usage` on `model` (or the CLI's default model), if the table
/// knows a price for it.
pub fn cost_estimate(cli: CliKind, model: Option<&str>, usage: &TokenUsage) -> Option<f64> {
    let table = table();
    let model = model.or_else(|| table.defaults.get(cli.as_str()).map(String::as_str))?;
    let price = table
        .models
        .iter()
        .filter(|(prefix, _)| model.starts_with(prefix.as_str()))
        .max_by_key(|(prefix, _)| prefix.len())
        .map(|(_, p)| *p)?;
    // Input tokens include the cached ones for the OpenAI and Gemini APIs.
    let cached = usage.cache_read.min(usage.input) as f64;
    let fresh = usage.input as f64 - cached;
    let mtok = 1_000_000.0;
    Some(
        (fresh * price.input
            + cached * price.cached_input.unwrap_or(price.input)
            + usage.cache_write as f64 * price.cache_write.unwrap_or(price.input)
            + usage.output as f64 * price.output)
            / mtok,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_table_parses_and_prices_by_longest_prefix() {
        assert!(!table().models.is_empty(), "data/prices.json parses");
        let usage = TokenUsage { input: 1_000_000, output: 1_000_000, cache_read: 0, cache_write: 0 };
        let c = cost_estimate(CliKind::Codex, Some("gpt-5.5"), &usage).unwrap();
        assert!((c - 11.25).abs() < 1e-9, "{c}");
        // Default model for the CLI when none is known.
        assert_eq!(
            cost_estimate(CliKind::Gemini, None, &usage),
            cost_estimate(CliKind::Gemini, Some("gemini-2.5-pro"), &usage)
        );
        assert_eq!(cost_estimate(CliKind::Codex, Some("unknown-model"), &usage), None);
        let cached = TokenUsage { input: 1_000_000, output: 0, cache_read: 1_000_000, cache_write: 0 };
        let c = cost_estimate(CliKind::Codex, Some("gpt-5.5"), &cached).unwrap();
        assert!((c - 0.125).abs() < 1e-9, "{c}");
    }
}
