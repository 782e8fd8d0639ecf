//! Tables whose kind is named by one key (`shape = "linear"`, `dist = "uniform"`): serde reads
//! them as a struct with every key of every kind, so errors keep their exact key path, and these
//! helpers then check that the keys given fit the kind named.

/// Fails on the first key that is given but does not belong to `kind`.
pub fn only_keys(kind: &str, given: &[(&str, bool)], allowed: &[&str]) -> Result<(), String> {
    match given
        .iter()
        .find(|(k, present)| *present && !allowed.contains(k))
    {
        Some((extra, _)) => Err(format!(
            "`{extra}` does not apply to {kind} (it takes {})",
            list(allowed)
        )),
        None => Ok(()),
    }
}

/// The value of a key that `kind` needs.
pub fn required<T>(kind: &str, key: &str, value: Option<T>, allowed: &[&str]) -> Result<T, String> {
    value.ok_or_else(|| format!("{kind} needs `{key}` (it takes {})", list(allowed)))
}

fn list(keys: &[&str]) -> String {
    keys.join(", ")
}

/// The item of `all` whose name is `s`, or a message listing the names.
pub fn one_of<T: Copy>(
    what: &str,
    s: &str,
    all: &[T],
    name: impl Fn(T) -> &'static str,
) -> Result<T, String> {
    all.iter().copied().find(|&x| name(x) == s).ok_or_else(|| {
        let names: Vec<&str> = all.iter().map(|&x| name(x)).collect();
        format!("unknown {what} `{s}`; the {what}s are {}", names.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_key_and_the_choices() {
        let allowed = ["min", "max"];
        assert_eq!(
            only_keys(
                "the uniform distribution",
                &[("min", true), ("mean", true)],
                &allowed
            )
            .unwrap_err(),
            "`mean` does not apply to the uniform distribution (it takes min, max)"
        );
        assert!(only_keys("x", &[("min", true), ("mean", false)], &allowed).is_ok());
        assert_eq!(
            required::<f64>("the uniform distribution", "max", None, &allowed).unwrap_err(),
            "the uniform distribution needs `max` (it takes min, max)"
        );
    }
}
