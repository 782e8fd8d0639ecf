//! Network namespaces: one per node, all joined by veth links to a bridge that lives in a
//! namespace of its own (the fabric), so nodes reach each other and nothing of the host's
//! network changes. Migrations' page transfers cross it.

use std::fs::File;
use std::io;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// A named namespace, as `ip netns` keeps it under /run/netns.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Netns {
    pub name: String,
}

impl Netns {
    pub fn path(&self) -> PathBuf {
        PathBuf::from("/run/netns").join(&self.name)
    }

    /// The namespace, open for `setns`.
    pub fn open(&self) -> io::Result<File> {
        File::open(self.path()).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot open network namespace {}: {e}", self.name),
            )
        })
    }

    pub fn exists(&self) -> bool {
        self.path().exists()
    }

    /// Deletes it with its links; one that is gone is fine.
    pub fn remove(&self) -> io::Result<()> {
        if self.exists() {
            ip(&["netns", "del", &self.name])?;
        }
        Ok(())
    }
}

/// The fabric and the nodes' namespaces of one session.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Network {
    pub fabric: Netns,
    pub nodes: Vec<Netns>,
}

impl Network {
    /// Names for a session; nothing is created yet.
    pub fn named(session: &str, nodes: usize) -> Network {
        Network {
            fabric: Netns {
                name: format!("migsim-{session}-fabric"),
            },
            nodes: (0..nodes)
                .map(|k| Netns {
                    name: format!("migsim-{session}-n{k}"),
                })
                .collect(),
        }
    }

    /// Node `k`'s address on the fabric.
    pub fn address(k: usize) -> String {
        format!("10.231.{}.{}", k / 250, k % 250 + 1)
    }

    pub fn create(&self) -> io::Result<()> {
        let fab = &self.fabric.name;
        ip(&["netns", "add", fab])?;
        ip(&["-n", fab, "link", "add", "br0", "type", "bridge"])?;
        ip(&["-n", fab, "link", "set", "br0", "up"])?;
        for (k, node) in self.nodes.iter().enumerate() {
            let (ns, veth) = (&node.name, format!("v{k}"));
            ip(&["netns", "add", ns])?;
            ip(&[
                "-n", fab, "link", "add", &veth, "type", "veth", "peer", "name", "eth0", "netns",
                ns,
            ])?;
            ip(&["-n", fab, "link", "set", &veth, "master", "br0", "up"])?;
            ip(&[
                "-n",
                ns,
                "addr",
                "add",
                &format!("{}/16", Self::address(k)),
                "dev",
                "eth0",
            ])?;
            ip(&["-n", ns, "link", "set", "eth0", "up"])?;
            ip(&["-n", ns, "link", "set", "lo", "up"])?;
        }
        Ok(())
    }

    pub fn remove(&self) -> io::Result<()> {
        for ns in self.nodes.iter().chain([&self.fabric]) {
            ns.remove()?;
        }
        Ok(())
    }
}

fn ip(args: &[&str]) -> io::Result<()> {
    let out = Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| io::Error::new(e.kind(), format!("cannot run `ip` (iproute2): {e}")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "`ip {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}
