//! The Kubernetes backend on this machine: `migsim cluster up` (etcd, a real kube-apiserver,
//! one `migsim node` agent per node), `migsim live --backend kubernetes` with real criu moves
//! carried out through Migration objects, the agents' least privilege, and `cluster down`
//! leaving nothing. Skipped with the reason where root, criu, etcd or the built kube-apiserver
//! is missing, unless MIGSIM_REQUIRE_CRIU / MIGSIM_REQUIRE_KUBE are set, as the test script does.

mod faults;
mod prometheus;

use crate::common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use migsim::live::kubernetes::cluster::{kube_bin_dir, require_etcd};

use common::needs::Needs;
use common::{num, rows, text};

const SCENARIO: &str = "scenarios/live-kubernetes.toml";

fn migsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_migsim"))
        .args(args)
        .env_remove("KUBECONFIG")
        .output()
        .expect("the binary runs")
}

fn kubectl_path() -> PathBuf {
    kube_bin_dir().join("kubectl")
}

/// etcd and the kube-apiserver and kubectl that `scripts/install-kube.sh` builds.
fn kube_ready() -> Result<(), String> {
    require_etcd()?;
    for bin in ["kube-apiserver", "kubectl"] {
        let path = kube_bin_dir().join(bin);
        if !path.exists() {
            return Err(format!(
                "{} is not built; run ./scripts/install-kube.sh",
                path.display()
            ));
        }
    }
    Ok(())
}

/// kubectl as the holder of `kubeconfig`, with `stdin` piped in.
fn kubectl(kubeconfig: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(kubectl_path())
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubectl runs");
    let mut pipe = child.stdin.take().expect("its stdin");
    pipe.write_all(stdin.unwrap_or_default().as_bytes())
        .unwrap();
    drop(pipe);
    child.wait_with_output().unwrap()
}

/// A cluster up for one test; taken down when it ends, passed or not.
struct Cluster {
    tmp: tempfile::TempDir,
    state: PathBuf,
    record: serde_json::Value,
}

impl Cluster {
    /// A cluster whose agents inject `fault` (MIGSIM_LIVE_FAULT) into the moves they take.
    fn up(fault: Option<&str>) -> Cluster {
        let tmp = tempfile::tempdir().unwrap();
        let state = tmp.path().join("cluster");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_migsim"));
        cmd.args([
            "cluster",
            "up",
            SCENARIO,
            "--state",
            state.to_str().unwrap(),
        ]);
        match fault {
            Some(f) => cmd.env("MIGSIM_LIVE_FAULT", f),
            None => cmd.env_remove("MIGSIM_LIVE_FAULT"),
        };
        let o = cmd.output().expect("the binary runs");
        let record = std::fs::read_to_string(state.join("cluster.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(serde_json::Value::Null);
        let cluster = Cluster { tmp, state, record };
        assert!(o.status.success(), "{}", text(&o));
        let said = String::from_utf8_lossy(&o.stdout);
        let export = format!("export KUBECONFIG={}", cluster.admin().display());
        assert!(said.contains(&export), "{said}");
        cluster
    }

    fn admin(&self) -> PathBuf {
        self.state.join("kubeconfig")
    }

    fn backend(&self) -> PathBuf {
        self.state.join("backend.kubeconfig")
    }

    fn node(&self, name: &str) -> PathBuf {
        self.state.join("nodes").join(format!("{name}.kubeconfig"))
    }

    /// `migsim live` through the backend's own credentials; returns its results folder.
    fn live(&self, name: &str, extra: &[&str]) -> (PathBuf, Output) {
        let (out, args) = self.live_args(name, extra);
        let o = migsim(&args.iter().map(String::as_str).collect::<Vec<_>>());
        (out, o)
    }

    /// `migsim live` started, not waited for: for the tests that break things as it runs.
    fn start_live(&self, name: &str, extra: &[&str]) -> (PathBuf, std::process::Child) {
        let (out, args) = self.live_args(name, extra);
        let child = Command::new(env!("CARGO_BIN_EXE_migsim"))
            .args(&args)
            .env_remove("KUBECONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        (out, child)
    }

    fn live_args(&self, name: &str, extra: &[&str]) -> (PathBuf, Vec<String>) {
        let out = self.tmp.path().join(name);
        let backend = self.backend();
        let mut args = vec![
            "live",
            SCENARIO,
            "--backend",
            "kubernetes",
            "--kubeconfig",
            backend.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "-q",
        ];
        args.extend_from_slice(extra);
        (out.clone(), args.into_iter().map(String::from).collect())
    }

    /// `cluster restart COMPONENT`, which must succeed.
    fn restart(&self, component: &str) {
        let o = migsim(&[
            "cluster",
            "restart",
            "--state",
            self.state.to_str().unwrap(),
            component,
        ]);
        assert!(o.status.success(), "{}", text(&o));
    }

    /// The PID of the daemon of `role` as the record has it now.
    fn pid(&self, role: &str) -> i32 {
        let record: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(self.state.join("cluster.json")).unwrap(),
        )
        .unwrap();
        record["daemons"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["role"] == role)
            .and_then(|d| d["process"]["pid"].as_i64())
            .unwrap_or_else(|| panic!("no {role} in {record}")) as i32
    }

    fn down(&self) -> Output {
        migsim(&["cluster", "down", "--state", self.state.to_str().unwrap()])
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.state.join("cluster.json").exists() {
            let o = self.down();
            if !o.status.success() {
                eprintln!("cluster down after the test: {}", text(&o));
            }
        }
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Every node Ready, as kubectl shows it.
fn nodes_ready(c: &Cluster) {
    let o = kubectl(
        &c.admin(),
        &["get", "nodes", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type==\"Ready\")].status} {end}"],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(stdout(&o).trim(), "n-0=True n-1=True", "{}", text(&o));
}

/// A write refused, as Forbidden (RBAC or the Node authorizer) or by the admission policy.
fn refused(o: &Output, what: &str) {
    let t = text(o);
    assert!(!o.status.success(), "{what} was allowed: {t}");
    assert!(
        t.contains("Forbidden") || t.contains("forbidden") || t.contains("denied request"),
        "{what}: {t}"
    );
}

/// Each credential may do what its holder needs and nothing more.
fn writes_beyond_a_role_are_refused(c: &Cluster) {
    let n0 = c.node("n-0");
    let own = kubectl(
        &n0,
        &[
            "annotate",
            "node",
            "n-0",
            "--overwrite",
            "migsim.io/test=own",
        ],
        None,
    );
    assert!(
        own.status.success(),
        "an agent writes its own Node: {}",
        text(&own)
    );
    let other = kubectl(
        &n0,
        &[
            "annotate",
            "node",
            "n-1",
            "--overwrite",
            "migsim.io/test=other",
        ],
        None,
    );
    refused(&other, "n-0 writing Node n-1");
    refused(
        &kubectl(&n0, &["get", "secrets", "-A"], None),
        "n-0 reading secrets",
    );
    refused(
        &kubectl(&c.backend(), &["get", "secrets", "-n", "kube-system"], None),
        "the backend reading secrets",
    );
    // A Migration between n-1 and n-1: n-0 takes no part in it, so may not write its status.
    let migration = r#"{"apiVersion": "migsim.io/v1alpha1", "kind": "Migration",
        "metadata": {"name": "not-n0s", "namespace": "migsim"},
        "spec": {"pod": "nobody", "source": "n-1", "target": "n-1", "mechanism": "stop-and-copy", "targetPod": "nobody-1"}}"#;
    let made = kubectl(&c.admin(), &["create", "-f", "-"], Some(migration));
    assert!(made.status.success(), "{}", text(&made));
    let status = [
        "patch",
        "migration",
        "not-n0s",
        "-n",
        "migsim",
        "--subresource=status",
        "--type=merge",
        "-p",
        r#"{"status":{"phase":"Failed","reason":"a test"}}"#,
    ];
    refused(
        &kubectl(&n0, &status, None),
        "n-0 writing a Migration it takes no part in",
    );
    let part = kubectl(&c.node("n-1"), &status, None);
    assert!(
        part.status.success(),
        "n-1 takes part in it: {}",
        text(&part)
    );
    refused(
        &kubectl(
            &n0,
            &["delete", "migration", "not-n0s", "-n", "migsim"],
            None,
        ),
        "n-0 deleting a Migration",
    );
    let gone = kubectl(
        &c.admin(),
        &["delete", "migration", "not-n0s", "-n", "migsim"],
        None,
    );
    assert!(gone.status.success(), "{}", text(&gone));
}

/// A Migration asked with `spec.cancel` is called off by its target's agent before it
/// freezes anything: it ends Cancelled, and the pod waiting for it never runs.
fn a_cancelled_migration_is_not_carried_out(c: &Cluster) {
    let objects = r#"{"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Pod",
         "metadata": {"name": "waiting", "namespace": "migsim",
                      "labels": {"migsim.io/job": "0", "migsim.io/run": "cancel-test"},
                      "annotations": {"migsim.io/restore-from": "cancel-test-m0"}},
         "spec": {"nodeName": "n-1", "schedulerName": "migsim", "restartPolicy": "Never",
                  "containers": [{"name": "job", "image": "migsim.io/memhog:live"}]}},
        {"apiVersion": "migsim.io/v1alpha1", "kind": "Migration",
         "metadata": {"name": "cancel-test-m0", "namespace": "migsim",
                      "labels": {"migsim.io/run": "cancel-test", "migsim.io/migration": "0"}},
         "spec": {"pod": "nobody", "source": "n-0", "target": "n-1", "mechanism": "stop-and-copy",
                  "targetPod": "waiting", "cancel": true}}]}"#;
    let made = kubectl(&c.admin(), &["create", "-f", "-"], Some(objects));
    assert!(made.status.success(), "{}", text(&made));
    let phase = || {
        let o = kubectl(
            &c.admin(),
            &[
                "get",
                "migration",
                "cancel-test-m0",
                "-n",
                "migsim",
                "-o",
                "jsonpath={.status.phase} {.status.reason}",
            ],
            None,
        );
        stdout(&o)
    };
    let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !phase().starts_with("Cancelled") {
        assert!(
            std::time::Instant::now() < until,
            "not cancelled: {}",
            phase()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let o = kubectl(
        &c.admin(),
        &[
            "get",
            "pod",
            "waiting",
            "-n",
            "migsim",
            "-o",
            "jsonpath={.status.phase}",
        ],
        None,
    );
    assert_ne!(stdout(&o), "Running", "{}", text(&o));
    let gone = kubectl(
        &c.admin(),
        &[
            "delete",
            "pod/waiting",
            "migration/cancel-test-m0",
            "-n",
            "migsim",
        ],
        None,
    );
    assert!(gone.status.success(), "{}", text(&gone));
}

/// The cluster's Migrations as kubectl lists them, a line each: `fields`, a jsonpath template
/// of one of them.
fn migrations(c: &Cluster, fields: &str) -> (Output, String) {
    let template = format!("jsonpath={{range .items[*]}}{fields}{{\"\\n\"}}{{end}}");
    let o = kubectl(
        &c.admin(),
        &["get", "migrations", "-n", "migsim", "-o", &template],
        None,
    );
    let listed = stdout(&o);
    (o, listed)
}

/// The scenario's move of `a` reached Complete through a Migration object, as a real move.
fn migrated(c: &Cluster, out: &Path, mechanism: &str) {
    common::moved_a_and_nothing_was_killed(out, mechanism);
    // The Migration object says the same, in its own status.
    let (o, listed) = migrations(
        c,
        "{.spec.mechanism} {.status.phase} {.status.bytesSent} {.status.downtimeS}",
    );
    let line = listed
        .lines()
        .find(|l| l.starts_with(mechanism))
        .unwrap_or_else(|| panic!("no {mechanism} Migration: {}", text(&o)));
    let fields: Vec<&str> = line.split(' ').collect();
    assert_eq!(fields[1], "Complete", "{line}");
    assert!(num(fields[2]) > 1e6 && num(fields[3]) > 0.0, "{line}");
}

/// The same scenario on the local backend and in the simulator, and the report of all three.
fn sim_local_and_kubernetes_side_by_side(c: &Cluster, kube: &Path) {
    let dir = c.tmp.path();
    let (sim, local) = (dir.join("sim"), dir.join("local"));
    let state = dir.join("local-state");
    let o = migsim(&["run", SCENARIO, "--out", sim.to_str().unwrap(), "-q"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = migsim(&[
        "live",
        SCENARIO,
        "--out",
        local.to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let report = dir.join("report.md");
    let o = migsim(&[
        "compare",
        sim.to_str().unwrap(),
        local.to_str().unwrap(),
        kube.to_str().unwrap(),
        "--out",
        report.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let report = std::fs::read_to_string(report).unwrap();
    assert!(
        report.contains("| metric | sim | local | kubernetes |"),
        "{report}"
    );
    for backend in ["local", "kubernetes"] {
        let row = format!("| {backend} | a | stop-and-copy |");
        assert!(report.contains(&row), "no {row} in\n{report}");
    }
    assert!(
        report.contains("| migrations.complete | 1.000 | 1.000 | 1.000 |"),
        "{report}"
    );
    // Each backend started the three jobs once, and timed it.
    for backend in ["local", "kubernetes"] {
        let row = format!("| {backend} | 3 | ");
        assert!(report.contains(&row), "no {row} in\n{report}");
    }
}

/// Pod events while `run` goes on, one line per change: event, name, phase, termination
/// reason.
fn watching_pods<T>(c: &Cluster, run: impl FnOnce() -> T) -> (T, String) {
    let mut watch = Command::new(kubectl_path())
        .arg("--kubeconfig")
        .arg(c.admin())
        .args(["get", "pods", "-n", "migsim", "--watch", "--output-watch-events", "--no-headers", "-o"])
        .arg("custom-columns=EVENT:.type,NAME:.object.metadata.name,PHASE:.object.status.phase,REASON:.object.status.containerStatuses[0].state.terminated.reason")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kubectl runs");
    let result = run();
    let _ = watch.kill();
    let seen = watch.wait_with_output().unwrap();
    (result, stdout(&seen))
}

/// At no instant of the watched `events` did a job have two Running pods (a pod is
/// `JOB-INDEX-GENERATION`).
fn one_running_pod_per_job(events: &str) {
    let mut phases: std::collections::BTreeMap<&str, &str> = Default::default();
    for line in events.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let [event, name, phase, ..] = f[..] else {
            continue;
        };
        if event == "DELETED" {
            phases.remove(name);
        } else {
            phases.insert(name, phase);
        }
        let job = name.rsplit_once('-').map_or(name, |(j, _)| j);
        let running: Vec<&&str> = phases
            .iter()
            .filter(|(n, p)| n.rsplit_once('-').map(|(j, _)| j) == Some(job) && **p == "Running")
            .map(|(n, _)| n)
            .collect();
        assert!(
            running.len() <= 1,
            "{running:?} Running at once, after {line:?} in\n{events}"
        );
    }
}

/// A cluster whose every process was SIGKILLed, as in a crash: the next `up` on its folder
/// removes what the dead one left (its cgroups, namespaces) and starts a working one.
fn a_crashed_cluster_is_cleaned_by_the_next_up(c: &mut Cluster) {
    for d in c.record["daemons"]
        .as_array()
        .expect("daemons in the record")
    {
        let pid = d["process"]["pid"].as_i64().expect("a pid") as i32;
        // SAFETY: kill(2) with a positive pid only sends a signal.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    let dead = c.record.clone();
    let o = migsim(&[
        "cluster",
        "up",
        SCENARIO,
        "--state",
        c.state.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    c.record =
        serde_json::from_str(&std::fs::read_to_string(c.state.join("cluster.json")).unwrap())
            .unwrap();
    let cgroup = dead["session"]["cgroup"]["path"].as_str().unwrap();
    assert!(
        !Path::new(cgroup).exists(),
        "the dead cluster's {cgroup} is still there"
    );
    let id = dead["session"]["id"].as_str().unwrap();
    assert!(!Path::new(&format!("/run/netns/migsim-{id}-fabric")).exists());
    nodes_ready(c);
}

/// Nothing of the cluster is left: no process, cgroup, namespace or file.
fn nothing_left(c: &Cluster) {
    let o = c.down();
    assert!(o.status.success(), "{}", text(&o));
    assert!(!c.state.exists(), "{} is still there", c.state.display());
    for d in c.record["daemons"]
        .as_array()
        .expect("daemons in the record")
    {
        let pid = d["process"]["pid"].as_i64().expect("a pid");
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists(),
            "{d} still runs"
        );
    }
    let cgroup = c.record["session"]["cgroup"]["path"].as_str().unwrap();
    assert!(!Path::new(cgroup).exists(), "{cgroup} is still there");
    let id = c.record["session"]["id"].as_str().unwrap();
    assert!(!Path::new(&format!("/run/netns/migsim-{id}-fabric")).exists());
}

fn kubernetes_backend_migrates_through_migration_objects() {
    let mut c = Cluster::up(None);
    nodes_ready(&c);
    writes_beyond_a_role_are_refused(&c);
    a_cancelled_migration_is_not_carried_out(&c);

    let ((out, o), pods) = watching_pods(&c, || c.live("controller", &[]));
    assert!(o.status.success(), "{}", text(&o));
    migrated(&c, &out, "stop-and-copy");
    // The watch saw the move: the job's pod on the target ran, and never beside the old one
    // (which its agent ended, or the backend deleted, first).
    assert!(
        pods.lines().any(|l| l
            .split_whitespace()
            .take(3)
            .eq(["MODIFIED", "a-0-1", "Running"])),
        "{pods}"
    );
    one_running_pod_per_job(&pods);
    sim_local_and_kubernetes_side_by_side(&c, &out);

    // Without the controller the kernel kills a job, and its pod says so as a kubelet does.
    let ((out, o), pods) = watching_pods(&c, || c.live("oom", &["--variant", "no-controller"]));
    assert!(o.status.success(), "{}", text(&o));
    assert!(!rows(&out.join("oom_kills.csv")).is_empty());
    assert!(rows(&out.join("migrations.csv")).is_empty());
    assert!(
        pods.lines()
            .any(|l| l.contains(" Failed ") && l.ends_with("OOMKilled")),
        "{pods}"
    );

    // Post-copy needs userfaultfd: a kernel feature, so its absence is said, not failed.
    match common::criu().map(|c| migsim::criu::Support::detect(&c).lazy) {
        Ok(Ok(())) => {
            let (out, o) = c.live("post-copy", &["--variant", "post-copy"]);
            assert!(o.status.success(), "{}", text(&o));
            migrated(&c, &out, "post-copy");
        }
        Ok(Err(why)) | Err(why) => eprintln!("post-copy through the API not tried: {why}"),
    }

    // A scenario with a node the cluster has no agent for: one message saying what to run.
    let bigger = c.tmp.path().join("three-nodes.toml");
    let scenario = std::fs::read_to_string(SCENARIO).unwrap();
    std::fs::write(&bigger, scenario.replacen("count = 2", "count = 3", 1)).unwrap();
    let calibration = std::fs::canonicalize("calibrations").unwrap();
    let bigger_text = std::fs::read_to_string(&bigger)
        .unwrap()
        .replace("../calibrations", calibration.to_str().unwrap());
    std::fs::write(&bigger, bigger_text).unwrap();
    let o = migsim(&[
        "live",
        bigger.to_str().unwrap(),
        "--backend",
        "kubernetes",
        "--kubeconfig",
        c.backend().to_str().unwrap(),
        "--out",
        c.tmp.path().join("three").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("node n-2 of the scenario has no migsim agent"),
        "{}",
        text(&o)
    );

    a_crashed_cluster_is_cleaned_by_the_next_up(&mut c);
    nothing_left(&c);
}

/// The target's limit drops below the job's size just before the restore: the Migration ends
/// Failed with criu's reason, the job runs on on its source, and its pod there is its only one.
fn a_move_to_a_target_too_small_is_rolled_back() {
    let c = Cluster::up(Some("small-target"));
    let (out, o) = c.live(
        "small-target",
        &["--speed", "2", "--set", "simulation.end=20s"],
    );
    assert!(o.status.success(), "{}", text(&o));
    let (moves, jobs) = (
        rows(&out.join("migrations.csv")),
        rows(&out.join("jobs.csv")),
    );
    common::failed_and_rolled_back(&moves, &jobs, "restore");
    let (o, listed) = migrations(&c, "{.status.phase}: {.status.reason}");
    assert_eq!(listed.lines().count(), moves.len(), "{}", text(&o));
    assert!(
        listed
            .lines()
            .all(|l| l.starts_with("Failed: ") && l.contains("restore")),
        "{listed}"
    );
    nothing_left(&c);
}

/// What a user without a cluster is told: one message, what is missing and what to run.
fn kubernetes_backend_says_what_is_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let live = |kubeconfig: &Path| {
        migsim(&[
            "live",
            SCENARIO,
            "--backend",
            "kubernetes",
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
    };
    let o = live(&tmp.path().join("absent"));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("no kubeconfig at") && text(&o).contains("migsim cluster up"),
        "{}",
        text(&o)
    );
    // A kubeconfig naming a port nothing listens on.
    let unreachable = tmp.path().join("unreachable");
    std::fs::write(
        &unreachable,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:9\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\nusers:\n- name: u\n  user:\n    token: t\n",
    )
    .unwrap();
    let o = live(&unreachable);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("cannot reach the Kubernetes API")
            && text(&o).contains("migsim cluster up"),
        "{}",
        text(&o)
    );
    assert!(
        !out.join("jobs.csv").exists(),
        "a refused run writes no results"
    );
}

/// Its trials, each skipped with the reason where this machine lacks what it needs.
pub fn trials() -> Vec<libtest_mimic::Trial> {
    let cluster = common::needs_criu().and(kube_ready, "MIGSIM_REQUIRE_KUBE");
    let mut trials = vec![
        Needs::nothing().test(
            "kubernetes_backend_says_what_is_missing",
            kubernetes_backend_says_what_is_missing,
        ),
        cluster.test(
            "kubernetes_backend_migrates_through_migration_objects",
            kubernetes_backend_migrates_through_migration_objects,
        ),
        cluster.test(
            "kubernetes_move_to_a_target_too_small_is_rolled_back",
            a_move_to_a_target_too_small_is_rolled_back,
        ),
    ];
    trials.extend(faults::trials(&cluster));
    trials.extend(prometheus::trials(&cluster));
    trials
}
