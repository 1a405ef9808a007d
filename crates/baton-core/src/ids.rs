//! Short, typeable identifiers: a kind prefix and ten random base-32 characters
//! (`ses_4k7q2m9xta`). Fifty bits of randomness is plenty for one user's store, and the store's
//! primary keys catch the rest.

const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// A new random id with the given prefix, e.g. `new_id("ses")`.
pub fn new_id(prefix: &str) -> String {
    let mut bytes = [0u8; 10];
    // The OS random source only fails on exotic, broken systems; fall back to time so ids still differ.
    if getrandom::fill(&mut bytes).is_err() {
        let t = crate::time::now_ms().to_le_bytes();
        bytes[..8].copy_from_slice(&t);
    }
    let mut id = String::with_capacity(prefix.len() + 11);
    id.push_str(prefix);
    id.push('_');
    for b in bytes {
        id.push(ALPHABET[(b & 31) as usize] as char);
    }
    id
}

/// A random secret as 64 hex characters (the daemon's API token).
pub fn new_token() -> std::io::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_prefix_and_differ() {
        let a = new_id("ses");
        let b = new_id("ses");
        assert!(a.starts_with("ses_") && a.len() == 14, "{a}");
        assert_ne!(a, b);
        assert_eq!(new_token().unwrap().len(), 64);
    }
}
