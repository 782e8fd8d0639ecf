//! "Did you mean" for unknown keys and values, read from serde's stable message format
//! ("unknown field `x`, expected one of `a`, `b`").

/// For an unknown field or variant: a clearer message and, when one is close, a suggestion.
pub fn explain_unknown(message: &str) -> Option<(String, Option<String>)> {
    let (what, rest) = if let Some(r) = message.strip_prefix("unknown field `") {
        ("key", r)
    } else if let Some(r) = message.strip_prefix("unknown variant `") {
        ("value", r)
    } else {
        return None;
    };
    let (given, expected) = rest.split_once('`')?;
    let valid: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    let listing = if valid.is_empty() {
        format!("unknown {what} `{given}`: nothing is allowed here")
    } else {
        format!("unknown {what} `{given}` (valid: {})", valid.join(", "))
    };
    Some((
        listing,
        closest(given, &valid).map(|c| format!("did you mean `{c}`?")),
    ))
}

/// The candidate nearest to `given`, if it is near enough to be a likely typo.
pub fn closest<'a>(given: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| {
            (
                strsim::damerau_levenshtein(&given.to_lowercase(), &c.to_lowercase()),
                *c,
            )
        })
        .filter(|(d, c)| *d <= (c.len().max(given.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_near_key() {
        let (msg, hint) = explain_unknown(
            "unknown field `placment`, expected one of `kind`, `reservation`, `placement`",
        )
        .unwrap();
        assert_eq!(
            msg,
            "unknown key `placment` (valid: kind, reservation, placement)"
        );
        assert_eq!(hint.as_deref(), Some("did you mean `placement`?"));
        let (_, hint) =
            explain_unknown("unknown variant `bestfit`, expected one of `first-fit`, `best-fit`")
                .unwrap();
        assert_eq!(hint.as_deref(), Some("did you mean `best-fit`?"));
        let (_, hint) =
            explain_unknown("unknown field `zzz`, expected `kind` or `placement`").unwrap();
        assert_eq!(hint, None);
        assert!(explain_unknown("invalid type: string").is_none());
    }
}
