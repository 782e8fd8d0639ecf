//! etcd and kube-apiserver on loopback: the command lines, where their binaries are, and the
//! wait for them to serve.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::live::kubernetes::pki::Pki;

/// The kube-apiserver release `scripts/install-kube.sh` builds.
pub const KUBE_VERSION: &str = "1.34.4";

/// Ports on 127.0.0.1, chosen free when the cluster is made.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub struct Ports {
    pub etcd_client: u16,
    pub etcd_peer: u16,
    pub apiserver: u16,
}

impl Ports {
    pub fn pick() -> Result<Ports, String> {
        Ok(Ports {
            etcd_client: free_port()?,
            etcd_peer: free_port()?,
            apiserver: free_port()?,
        })
    }
}

/// A port nothing listens on now (the kernel's pick for port 0).
pub fn free_port() -> Result<u16, String> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("cannot find a free port on 127.0.0.1: {e}"))
}

/// Where the built kube-apiserver and kubectl are: `MIGSIM_KUBE_BIN`, else the install
/// script's cache.
pub fn kube_bin_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("MIGSIM_KUBE_BIN") {
        return PathBuf::from(d);
    }
    let cache = std::env::var_os("MIGSIM_KUBE_CACHE").map_or_else(
        || {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/root".into()))
                .join(".cache/migsim-kube")
        },
        PathBuf::from,
    );
    cache.join(format!("v{KUBE_VERSION}"))
}

pub fn etcd(data: &Path, ports: Ports) -> Command {
    let client = format!("http://127.0.0.1:{}", ports.etcd_client);
    let peer = format!("http://127.0.0.1:{}", ports.etcd_peer);
    let mut cmd = Command::new("etcd");
    cmd.arg("--name=migsim")
        .arg(format!("--data-dir={}", data.display()))
        .arg(format!("--listen-client-urls={client}"))
        .arg(format!("--advertise-client-urls={client}"))
        .arg(format!("--listen-peer-urls={peer}"))
        .arg(format!("--initial-advertise-peer-urls={peer}"))
        .arg(format!("--initial-cluster=migsim={peer}"))
        .arg("--listen-metrics-urls=")
        .arg("--log-level=warn");
    cmd
}

pub fn apiserver(bin: &Path, pki: &Pki, ports: Ports) -> Command {
    let serving = pki.serving();
    let sa = pki.service_account_key();
    let mut cmd = Command::new(bin.join("kube-apiserver"));
    cmd.arg(format!(
        "--etcd-servers=http://127.0.0.1:{}",
        ports.etcd_client
    ))
    .arg("--bind-address=127.0.0.1")
    .arg("--advertise-address=127.0.0.1")
    .arg(format!("--secure-port={}", ports.apiserver))
    .arg(format!("--tls-cert-file={}", serving.cert.display()))
    .arg(format!("--tls-private-key-file={}", serving.key.display()))
    .arg(format!("--client-ca-file={}", pki.ca().display()))
    .arg(format!("--cert-dir={}", pki.dir.display()))
    .arg("--anonymous-auth=false")
    // Nodes write only their own Node, Lease and pods (the Node authorizer and
    // NodeRestriction); everyone else gets what RBAC grants.
    .arg("--authorization-mode=Node,RBAC")
    .arg("--enable-admission-plugins=NodeRestriction")
    // No controller manager runs to make service accounts, and migsim's pods use none.
    .arg("--disable-admission-plugins=ServiceAccount")
    .arg("--service-account-issuer=https://kubernetes.default.svc")
    .arg(format!("--service-account-key-file={}", sa.cert.display()))
    .arg(format!(
        "--service-account-signing-key-file={}",
        sa.key.display()
    ))
    .arg("--service-cluster-ip-range=10.96.0.0/24")
    // The `kubernetes` Service cannot point at a loopback address.
    .arg("--endpoint-reconciler-type=none")
    .arg("--profiling=false")
    .arg("--v=1");
    cmd
}

/// Waits until something accepts connections on 127.0.0.1:`port`, or `alive` says the
/// process that should is gone.
pub fn wait_listening(
    port: u16,
    limit: Duration,
    alive: impl Fn() -> bool,
) -> Result<(), &'static str> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if !alive() {
            return Err("exited");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err("did not listen in time")
}

/// etcd on PATH, at least 3.5.13 (older ones lack what kube-apiserver >= 1.31 asks of them).
pub fn require_etcd() -> Result<(), String> {
    let missing = "etcd >= 3.5.13 is not installed; run ./scripts/install-kube.sh (Debian: apt-get install -t trixie etcd-server)";
    let out = Command::new("etcd")
        .arg("--version")
        .output()
        .map_err(|_| missing.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text
        .lines()
        .find_map(|l| l.strip_prefix("etcd Version: "))
        .unwrap_or_default();
    let parts: Vec<u32> = version
        .trim()
        .split('.')
        .filter_map(|p| p.parse().ok())
        .collect();
    if parts.len() == 3 && (parts[0], parts[1], parts[2]) >= (3, 5, 13) {
        Ok(())
    } else {
        Err(format!("etcd {} found; {missing}", version.trim()))
    }
}

/// Builds kube-apiserver and kubectl with the install script (embedded, so an installed
/// migsim can too), its progress on our stderr.
pub fn build_kube(say: &mut dyn FnMut(&str)) -> Result<(), String> {
    say(&format!(
        "kube-apiserver v{KUBE_VERSION} is not built yet; building it with Go into {} (once, several minutes)",
        kube_bin_dir().display()
    ));
    let status = Command::new("bash")
        .arg("-c")
        .arg(include_str!("../../../../../../scripts/install-kube.sh"))
        .env("MIGSIM_KUBE_BUILD_ONLY", "1")
        .env("MIGSIM_KUBE_VERSION", KUBE_VERSION)
        .stdout(std::process::Stdio::null())
        .status()
        .map_err(|e| format!("cannot run bash to build kube-apiserver: {e}"))?;
    if status.success() && kube_bin_dir().join("kube-apiserver").exists() {
        Ok(())
    } else {
        Err(format!(
            "building kube-apiserver failed ({status}); see the output above"
        ))
    }
}

/// Waits until the API server says it is ready (`/readyz`, as the admin).
pub async fn wait_ready(
    client: &kube::Client,
    limit: Duration,
    alive: impl Fn() -> bool,
) -> Result<(), &'static str> {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if crate::live::kubernetes::retry::ready(client).await {
            return Ok(());
        }
        if !alive() {
            return Err("exited");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err("was not ready in time")
}
