//! Kubernetes: a local control plane (`cluster`), the node agent that is a kubelet for
//! migsim jobs (`agent`), and what the two keep in the API (`api`).

pub mod agent;
pub mod api;
pub mod backend;
pub mod cluster;
pub mod pki;
pub mod retry;
