//! Paths to values inside a scenario (`nodes[0].memory`), used to point error messages at the
//! exact line of the file.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyPath(pub Vec<Seg>);

impl KeyPath {
    pub fn root() -> Self {
        KeyPath(Vec::new())
    }

    pub fn key(&self, k: &str) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Key(k.to_string()));
        p
    }

    pub fn index(&self, i: usize) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Index(i));
        p
    }

    pub fn join(&self, rest: &KeyPath) -> Self {
        let mut p = self.clone();
        p.0.extend(rest.0.iter().cloned());
        p
    }

    pub fn starts_with(&self, prefix: &KeyPath) -> bool {
        self.0.starts_with(&prefix.0)
    }

    /// Parses `a.b[2].c`, the syntax of `--set` and of error messages.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut segs = Vec::new();
        for part in s.split('.') {
            let (name, mut rest) = part.split_at(part.find('[').unwrap_or(part.len()));
            if name.is_empty() {
                return Err(format!("empty key in path `{s}`"));
            }
            segs.push(Seg::Key(name.to_string()));
            while let Some(stripped) = rest.strip_prefix('[') {
                let close = stripped
                    .find(']')
                    .ok_or_else(|| format!("unclosed `[` in path `{s}`"))?;
                let index = stripped[..close]
                    .parse()
                    .map_err(|_| format!("invalid index `{}` in path `{s}`", &stripped[..close]))?;
                segs.push(Seg::Index(index));
                rest = &stripped[close + 1..];
            }
            if !rest.is_empty() {
                return Err(format!("unexpected `{rest}` in path `{s}`"));
            }
        }
        Ok(KeyPath(segs))
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// A problem with one value of a scenario, relative to the value being checked; callers
/// prefix the path of where that value sits.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldIssue {
    pub path: KeyPath,
    pub message: String,
}

impl FieldIssue {
    pub fn new(path: KeyPath, message: impl Into<String>) -> Self {
        FieldIssue {
            path,
            message: message.into(),
        }
    }

    pub fn at(key: &str, message: impl Into<String>) -> Self {
        Self::new(KeyPath::root().key(key), message)
    }

    pub fn under(self, prefix: &KeyPath) -> Self {
        FieldIssue {
            path: prefix.join(&self.path),
            message: self.message,
        }
    }
}

/// Fails on the first name that repeats an earlier one; `at(i)` is where entry `i` sits.
pub fn unique_names<'a>(
    names: impl IntoIterator<Item = &'a str>,
    at: impl Fn(usize) -> KeyPath,
    what: &str,
) -> Result<(), FieldIssue> {
    let mut seen = std::collections::BTreeSet::new();
    for (i, name) in names.into_iter().enumerate() {
        if !seen.insert(name) {
            return Err(FieldIssue::new(
                at(i).key("name"),
                format!("duplicate {what} name `{name}`"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display_round_trip() {
        for s in [
            "a",
            "nodes[0].memory",
            "workload.generate[1].profile.points[2][0]",
        ] {
            assert_eq!(KeyPath::parse(s).unwrap().to_string(), s);
        }
        assert!(KeyPath::parse("a..b").is_err());
        assert!(KeyPath::parse("a[x]").is_err());
        assert!(KeyPath::parse("a[1").is_err());
    }
}
