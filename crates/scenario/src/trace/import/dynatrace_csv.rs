//! The Dynatrace wide CSV (`elchead-pods11-05-8to12.csv`): a UTF-8 BOM, a `Date` column
//! (`YYYY-MM-DD HH:MM:SS`, UTC), then one column per pod headed
//! `<pod> worker (builtin:containers.memory.residentSetBytes) [B]`. Values are bytes, some
//! fractional; an empty cell means the pod was not running then.

use std::path::Path;

use crate::input::read_input;
use crate::input::{csv_records, InputError};
use crate::trace::import::series::job_from_series;
use crate::trace::import::Imported;

pub fn dynatrace_csv(path: &Path) -> Result<Imported, InputError> {
    let bytes = read_input(path)?;
    let fail = |line: usize, field: &str, message: String| InputError {
        file: path.to_path_buf(),
        line: Some(line),
        field: Some(field.to_string()),
        message,
    };
    let text = String::from_utf8(bytes).map_err(|e| InputError {
        file: path.to_path_buf(),
        line: None,
        field: None,
        message: format!("not UTF-8: {e}"),
    })?;
    let mut reader =
        csv::ReaderBuilder::new().from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header = reader
        .headers()
        .map_err(|e| fail(1, "Date", e.to_string()))?
        .clone();
    if header.get(0) != Some("Date") {
        return Err(fail(
            1,
            header.get(0).unwrap_or(""),
            "the first column must be `Date`".into(),
        ));
    }
    let pods: Vec<String> = header.iter().skip(1).map(pod_name).collect();
    let mut times = Vec::new();
    let mut columns: Vec<Vec<Option<f64>>> = vec![Vec::new(); pods.len()];
    for row in csv_records(&mut reader) {
        let (line, record) = row.map_err(|(line, m)| fail(line, "", m))?;
        if record.len() != header.len() {
            return Err(fail(
                line,
                "",
                format!("{} fields, the header has {}", record.len(), header.len()),
            ));
        }
        let date = &record[0];
        times.push(parse_utc(date).ok_or_else(|| {
            fail(
                line,
                "Date",
                format!("expected YYYY-MM-DD HH:MM:SS, got `{date}`"),
            )
        })?);
        for (k, cell) in record.iter().skip(1).enumerate() {
            let value = match cell.trim() {
                "" => None,
                v => Some(v.parse::<f64>().ok().filter(|x| *x >= 0.0).ok_or_else(|| {
                    fail(
                        line,
                        &header[k + 1],
                        format!("expected bytes >= 0 or an empty cell, got `{v}`"),
                    )
                })?),
            };
            columns[k].push(value);
        }
    }
    if times.windows(2).any(|w| w[1] <= w[0]) {
        return Err(fail(
            2,
            "Date",
            "dates must increase from row to row".into(),
        ));
    }
    let origin = times.first().copied().unwrap_or(0.0);
    let mut imported = Imported::default();
    for (name, values) in pods.iter().zip(&columns) {
        match job_from_series(name, &times, values, origin) {
            Some(j) => imported.trace.jobs.push(j),
            None => imported.notes.push(format!("{name}: every cell is empty")),
        }
    }
    imported.trace.sort();
    Ok(imported)
}

/// `o10n-worker-l-jbmbp-qsjc6 worker (builtin:...) [B]` -> `o10n-worker-l-jbmbp-qsjc6`.
fn pod_name(header: &str) -> String {
    header
        .split_whitespace()
        .next()
        .unwrap_or(header)
        .to_string()
}

/// Seconds since 1970 of a UTC `YYYY-MM-DD HH:MM:SS`.
fn parse_utc(s: &str) -> Option<f64> {
    let (date, time) = s.trim().split_once(' ')?;
    let d: Vec<i64> = date
        .split('-')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let t: Vec<i64> = time
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let ([y, m, day], [hh, mm, ss]) = (d.as_slice(), t.as_slice()) else {
        return None;
    };
    let valid = (1..=12).contains(m)
        && (1..=31).contains(day)
        && (0..24).contains(hh)
        && (0..60).contains(mm)
        && (0..61).contains(ss);
    valid.then(|| (days_from_civil(*y, *m, *day) * 86400 + hh * 3600 + mm * 60 + ss) as f64)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_seconds() {
        assert_eq!(parse_utc("1970-01-01 00:00:00"), Some(0.0));
        // 2022-05-11 08:00:00 UTC, by `date -u -d '2022-05-11 08:00:00' +%s`.
        assert_eq!(parse_utc("2022-05-11 08:00:00"), Some(1652256000.0));
        assert_eq!(parse_utc("2022-13-11 08:00:00"), None);
        assert_eq!(parse_utc("yesterday"), None);
    }
}
