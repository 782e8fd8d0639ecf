//! Which key of a table an error is about, when serde could only name the table. A table read
//! as an internally tagged enum (`request = { policy = "risk", prior = "foo" }`) is buffered
//! before its tag is known, so serde's path stops at the table; the message still quotes the
//! value it refused, or names the unknown key, and that singles out the key.

use crate::keypath::{KeyPath, Seg};

/// The one key of the table at `path` in `root` that `message` quotes the value of, or names
/// as unknown; none if `path` is not a table or no key, or more than one, fits.
pub fn inner_key(root: &toml::Value, path: &KeyPath, message: &str) -> Option<String> {
    let table = path
        .0
        .iter()
        .try_fold(root, |v, seg| match seg {
            Seg::Key(k) => v.get(k.as_str()),
            Seg::Index(i) => v.get(*i),
        })?
        .as_table()?;
    let mut fits = table.iter().filter(|(key, value)| {
        message.starts_with(&format!("unknown field `{key}`"))
            || literal(value).is_some_and(|l| {
                message.contains(&format!("`{l}`")) || message.contains(&format!("\"{l}\""))
            })
    });
    let (key, _) = fits.next()?;
    fits.next().is_none().then(|| key.clone())
}

/// A plain value as serde's messages quote it.
fn literal(value: &toml::Value) -> Option<String> {
    match value {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Float(f) => Some(f.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, message: &str) -> Option<String> {
        let root: toml::Value = toml::from_str(text).unwrap();
        inner_key(
            &root,
            &KeyPath::parse("controller.request").unwrap(),
            message,
        )
    }

    #[test]
    fn the_refused_value_or_the_unknown_key_names_the_key() {
        let t = "[controller]\nrequest = { policy = \"risk\", target = 0.1, prior = \"foo\" }";
        let unknown = "unknown variant `foo`, expected `age` or `class`";
        assert_eq!(at(t, unknown).as_deref(), Some("prior"));
        let t = "[controller]\nrequest = { policy = \"risk\", target = \"x\" }";
        let wrong_type = "invalid type: string \"x\", expected f64";
        assert_eq!(at(t, wrong_type).as_deref(), Some("target"));
        let t = "[controller]\nrequest = { policy = \"risk\", targt = 0.1 }";
        let typo = "unknown field `targt`, expected `target` or `prior`";
        assert_eq!(at(t, typo).as_deref(), Some("targt"));
    }

    /// Two keys quoting the same value, a message that quotes none, and a path that is no
    /// table leave the path as it is.
    #[test]
    fn no_key_or_two_keys_name_none() {
        let t = "[controller]\nrequest = { policy = \"x\", window = \"1h\", other = \"1h\" }";
        assert_eq!(at(t, "invalid duration `1h`"), None);
        assert_eq!(at(t, "something else"), None);
        let root: toml::Value = toml::from_str("[controller]\nrequest = 3").unwrap();
        let path = KeyPath::parse("controller.request").unwrap();
        assert_eq!(inner_key(&root, &path, "invalid value: integer `3`"), None);
    }
}
