//! `--time`: a task's time limit in the forms sbatch takes, checked here so that a typo is
//! refused before anything is written or submitted.

/// `MINUTES`, `MINUTES:SECONDS`, `HOURS:MINUTES:SECONDS`, `DAYS-HOURS`,
/// `DAYS-HOURS:MINUTES`, `DAYS-HOURS:MINUTES:SECONDS`, or `UNLIMITED`; returned as given.
pub fn parse_time(text: &str) -> Result<String, String> {
    if ["unlimited", "infinite"].contains(&text.to_ascii_lowercase().as_str()) {
        return Ok(text.into());
    }
    let bad = || {
        format!(
            "`{text}` is not a Slurm time limit: give MINUTES, HH:MM:SS, or DAYS-HH[:MM[:SS]] (e.g. 90, 2:00:00, 1-12)"
        )
    };
    let (days, clock) = match text.split_once('-') {
        Some((d, c)) => (Some(d), c),
        None => (None, text),
    };
    let fields: Vec<&str> = clock.split(':').collect();
    let numbers = days
        .into_iter()
        .chain(fields.iter().copied())
        .all(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    let shape = (1..=3).contains(&fields.len());
    if !numbers || !shape {
        return Err(bad());
    }
    // After the first field, minutes and seconds stay under 60.
    let within = fields
        .iter()
        .skip(1)
        .all(|f| f.parse::<u32>().is_ok_and(|v| v < 60));
    let hours = match days {
        Some(_) => fields[0].parse::<u32>().is_ok_and(|h| h < 24),
        None => true,
    };
    if !within || !hours {
        return Err(bad());
    }
    if text.bytes().all(|b| b == b'0' || b == b':' || b == b'-') {
        return Err(format!(
            "`{text}`: a time limit of zero would end every task at once"
        ));
    }
    Ok(text.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slurm_time_forms_are_taken_and_typos_refused() {
        for good in [
            "90",
            "30:00",
            "2:00:00",
            "1-12",
            "1-12:30",
            "2-00:00:00",
            "UNLIMITED",
        ] {
            assert_eq!(parse_time(good).as_deref(), Ok(good), "{good}");
        }
        for (bad, says) in [
            ("2h", "not a Slurm time limit"),
            ("1:2:3:4", "not a Slurm time limit"),
            ("10:75", "not a Slurm time limit"),
            ("1-24", "not a Slurm time limit"),
            ("", "not a Slurm time limit"),
            ("0:00", "zero"),
        ] {
            let e = parse_time(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
