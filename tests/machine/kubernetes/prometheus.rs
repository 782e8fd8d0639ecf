//! Monitoring through Prometheus, as on a cluster whose kubelets it scrapes: Debian's
//! Prometheus scrapes the agents with the config `cluster up` writes, and `live --prometheus`
//! reads memory from its query API; the scenario's move goes through as with the agents read
//! directly.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::needs::Needs;
use crate::common::text;

use super::{migrated, nothing_left, Cluster};

fn prometheus_installed() -> Result<(), String> {
    match Command::new("prometheus").arg("--version").output() {
        Ok(o) if o.status.success() => Ok(()),
        _ => Err("prometheus is not installed; run ./scripts/install-kube.sh".into()),
    }
}

/// A Prometheus stopped when the test ends, passed or not.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    Some(text)
}

fn memory_read_through_prometheus() {
    let c = Cluster::up(None);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = std::fs::File::create(c.tmp.path().join("prometheus.log")).unwrap();
    let _prometheus = Running(
        Command::new("prometheus")
            .arg(format!(
                "--config.file={}",
                c.state.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                c.tmp.path().join("tsdb").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("prometheus runs"),
    );
    // Both agents scraped at least once.
    let until = Instant::now() + Duration::from_secs(60);
    while get(port, "/api/v1/targets").map_or(0, |t| t.matches(r#""health":"up""#).count()) < 2 {
        assert!(
            Instant::now() < until,
            "Prometheus did not scrape both agents"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let url = format!("http://127.0.0.1:{port}");
    let (out, o) = c.live("prometheus", &["--prometheus", &url]);
    assert!(o.status.success(), "{}", text(&o));
    migrated(&c, &out, "stop-and-copy");
    let info = std::fs::read_to_string(out.join("live.json")).unwrap();
    assert!(
        info.contains(&format!("memory from Prometheus at {url}")),
        "{info}"
    );
    nothing_left(&c);
}

pub fn trials(cluster: &Needs) -> Vec<libtest_mimic::Trial> {
    vec![cluster
        .clone()
        .and(prometheus_installed, "MIGSIM_REQUIRE_KUBE")
        .test(
            "kubernetes_memory_read_through_prometheus",
            memory_read_through_prometheus,
        )]
}
