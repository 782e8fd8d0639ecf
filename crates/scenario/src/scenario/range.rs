//! Range tables, `{ from = 0.3, to = 0.6, step = 0.1 }` or `{ from = 1, to = 100, count = 5 }`:
//! evenly spaced values, both ends included, for a sweep axis or its seeds.

use toml::{Table, Value};

/// More values than this is a typo, not a study.
const MAX_VALUES: usize = 100_000;

/// The values a range table stands for. Integers stay integers when every bound and the step
/// are integers; float values are rounded to 12 decimals so that `0.3 + 0.1` reads as 0.4.
pub fn expand_range(t: Table) -> Result<Vec<Value>, String> {
    if let Some(k) = t
        .keys()
        .find(|k| !["from", "to", "step", "count"].contains(&k.as_str()))
    {
        return Err(format!(
            "unknown key `{k}` in a range: expected from, to and step or count"
        ));
    }
    let number = |k: &str| -> Result<Option<f64>, String> {
        match t.get(k) {
            None => Ok(None),
            Some(Value::Integer(i)) => Ok(Some(*i as f64)),
            Some(Value::Float(f)) if f.is_finite() => Ok(Some(*f)),
            Some(v) => Err(format!("`{k}` of a range must be a number, got {v}")),
        }
    };
    let (Some(from), Some(to)) = (number("from")?, number("to")?) else {
        return Err("a range needs `from` and `to`".into());
    };
    if to < from {
        return Err(format!(
            "a range runs upwards: `to` ({to}) is below `from` ({from})"
        ));
    }
    let whole = t.values().all(|v| v.is_integer());
    let count = match (number("step")?, t.get("count")) {
        (Some(_), Some(_)) => return Err("give `step` or `count`, not both".into()),
        (Some(step), None) if step > 0.0 => ((to - from) / step + 1e-9).floor() as usize + 1,
        (Some(step), None) => return Err(format!("`step` must be positive, got {step}")),
        (None, Some(Value::Integer(n))) if *n >= 1 => *n as usize,
        (None, Some(v)) => return Err(format!("`count` must be a positive integer, got {v}")),
        (None, None) if whole => (to - from) as usize + 1,
        (None, None) => return Err("a range of floats needs `step` or `count`".into()),
    };
    if count > MAX_VALUES {
        return Err(format!(
            "a range of {count} values is too many (at most {MAX_VALUES})"
        ));
    }
    let step = match (number("step")?, count) {
        (Some(s), _) => s,
        (None, 1) => 0.0,
        (None, n) => (to - from) / (n - 1) as f64,
    };
    let integers = whole && step == step.trunc();
    Ok((0..count)
        .map(|i| from + i as f64 * step)
        .map(|v| match integers {
            true => Value::Integer(v as i64),
            false => Value::Float((v * 1e12).round() / 1e12),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(src: &str) -> Result<Vec<Value>, String> {
        expand_range(toml::from_str(src).unwrap())
    }

    #[test]
    fn steps_include_both_ends_without_float_noise() {
        assert_eq!(
            range("from = 0.3\nto = 0.6\nstep = 0.1").unwrap(),
            [0.3, 0.4, 0.5, 0.6].map(Value::Float)
        );
        assert_eq!(
            range("from = 1\nto = 10\nstep = 4").unwrap(),
            [1, 5, 9].map(Value::Integer)
        );
        assert_eq!(
            range("from = 2\nto = 4").unwrap(),
            [2, 3, 4].map(Value::Integer)
        );
        assert_eq!(
            range("from = 0\nto = 1\ncount = 3").unwrap(),
            [0.0, 0.5, 1.0].map(Value::Float)
        );
        assert_eq!(
            range("from = 5\nto = 5\ncount = 1").unwrap(),
            [Value::Integer(5)]
        );
    }

    #[test]
    fn bad_ranges_say_why() {
        let e = |src| range(src).unwrap_err();
        assert!(e("from = 1").contains("needs `from` and `to`"));
        assert!(e("from = 2\nto = 1\nstep = 1").contains("upwards"));
        assert!(e("from = 0\nto = 1\nstep = 0").contains("positive"));
        assert!(e("from = 0.0\nto = 1.0").contains("needs `step` or `count`"));
        assert!(e("from = 0\nto = 1\nstep = 1\ncount = 2").contains("not both"));
        assert!(e("from = 0\nto = 1\nby = 1").contains("unknown key `by`"));
        assert!(e("from = \"a\"\nto = 1").contains("must be a number"));
        assert!(e("from = 0\nto = 1e9\nstep = 1").contains("too many"));
    }
}
