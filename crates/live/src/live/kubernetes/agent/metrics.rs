//! The agent's resource metrics, in the Prometheus text format of the kubelet's
//! `/metrics/resource`: the node's and each pod's memory working set (real bytes, read from
//! their cgroups), and how much work each pod's job has done (`migsim_pod_work_seconds`, which
//! a kubelet does not have). Served over plain HTTP on 127.0.0.1 only.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, TcpListener};

use crate::live::kubernetes::agent::pods::{lock, Runs};
use crate::live::kubernetes::api::CONTAINER;
use crate::live::local::cgroup::Cgroup;

pub const PATH: &str = "/metrics/resource";

/// Serves until the process ends, one connection at a time (the backend is the one reader).
pub fn serve(port: u16, node: Cgroup, runs: Runs) -> Result<(), String> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port))
        .map_err(|e| format!("cannot serve metrics on 127.0.0.1:{port}: {e}"))?;
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut line = String::new();
            let mut reader = BufReader::new(&stream);
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            // The rest of the request (headers) is not needed.
            let (code, body) = match line.split_whitespace().nth(1) {
                Some(PATH) => ("200 OK", render(&node, &runs)),
                _ => ("404 Not Found", format!("only {PATH} is served\n")),
            };
            let mut out = &stream;
            let _ = write!(
                out,
                "HTTP/1.1 {code}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    Ok(())
}

fn render(node: &Cgroup, runs: &Runs) -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let mut text = String::new();
    gauge(
        &mut text,
        "node_memory_working_set_bytes",
        "Current working set of the node in bytes",
    );
    let _ = writeln!(
        text,
        "node_memory_working_set_bytes {} {ms}",
        node.anon_bytes().unwrap_or(0)
    );
    let runs = lock(runs);
    // A pod whose cgroup is gone (its process moved away) has no reading, rather than 0.
    let live: Vec<_> = runs
        .values()
        .filter(|r| !r.ended)
        .filter_map(|r| Some((r, r.cgroup.anon_bytes().ok()?)))
        .collect();
    gauge(
        &mut text,
        "pod_memory_working_set_bytes",
        "Current working set of the pod in bytes",
    );
    for (r, bytes) in &live {
        let _ = writeln!(
            text,
            "pod_memory_working_set_bytes{{namespace=\"{}\",pod=\"{}\"}} {bytes} {ms}",
            r.namespace, r.name
        );
    }
    gauge(
        &mut text,
        "container_memory_working_set_bytes",
        "Current working set of the container in bytes",
    );
    for (r, bytes) in &live {
        let _ = writeln!(
            text,
            "container_memory_working_set_bytes{{container=\"{CONTAINER}\",namespace=\"{}\",pod=\"{}\"}} {bytes} {ms}",
            r.namespace, r.name
        );
    }
    let _ = writeln!(
        text,
        "# HELP migsim_pod_work_seconds Simulated seconds of work the pod's job has done"
    );
    let _ = writeln!(text, "# TYPE migsim_pod_work_seconds counter");
    for (r, _) in &live {
        let work = r.files.read().map_or(0.0, |p| p.work as f64 / 1e9);
        let _ = writeln!(
            text,
            "migsim_pod_work_seconds{{namespace=\"{}\",pod=\"{}\"}} {work} {ms}",
            r.namespace, r.name
        );
    }
    text
}

fn gauge(text: &mut String, name: &str, help: &str) {
    let _ = writeln!(text, "# HELP {name} [STABLE] {help}");
    let _ = writeln!(text, "# TYPE {name} gauge");
}

/// One sample of a scrape: name, labels, value.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

impl Sample {
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses the Prometheus text format (the subset kubelets write: no escapes in labels).
pub fn parse(text: &str) -> Result<Vec<Sample>, String> {
    let mut samples = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = || format!("metrics line {}: cannot read {line:?}", n + 1);
        let (series, rest) = match line.find('{') {
            Some(_) => {
                let close = line.find('}').ok_or_else(bad)?;
                (&line[..close + 1], &line[close + 1..])
            }
            None => line.split_once(' ').ok_or_else(bad)?,
        };
        let (name, labels) = match series.split_once('{') {
            Some((name, l)) => (name, l.trim_end_matches('}')),
            None => (series, ""),
        };
        let labels = labels
            .split(',')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').ok_or_else(bad)?;
                Ok((k.to_string(), v.trim_matches('"').to_string()))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let value = rest
            .split_whitespace()
            .next()
            .and_then(|v| v.parse().ok())
            .ok_or_else(bad)?;
        samples.push(Sample {
            name: name.to_string(),
            labels,
            value,
        });
    }
    Ok(samples)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_a_kubelet_writes() {
        let text = "# HELP node_memory_working_set_bytes [STABLE] x\n\
                    node_memory_working_set_bytes 1.5e+08 1700000000000\n\
                    pod_memory_working_set_bytes{namespace=\"migsim\",pod=\"a-0\"} 4096 1700000000000\n";
        let s = parse(text).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].name, "node_memory_working_set_bytes");
        assert_eq!(s[0].value, 1.5e8);
        assert_eq!(s[1].label("pod"), Some("a-0"));
        assert_eq!(s[1].value, 4096.0);
        assert!(parse("pod_memory{pod=\"x\" 3").is_err());
    }
}
