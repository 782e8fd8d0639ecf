//! The cluster's certificates: one CA that signs the API server's serving certificate and a
//! client certificate per identity (the admin, the backend, each node agent). The API server
//! authenticates clients by these (`--client-ca-file`), and RBAC and the Node authorizer grant
//! by their names: CN is the user, O the group.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};

/// Who a client certificate says it is.
#[derive(Clone, Debug)]
pub struct Identity {
    /// The file stem under `pki/`.
    pub file: String,
    pub user: String,
    pub groups: Vec<String>,
}

impl Identity {
    pub fn admin() -> Identity {
        Identity {
            file: "admin".into(),
            user: "migsim:admin".into(),
            groups: vec!["system:masters".into()],
        }
    }

    pub fn backend() -> Identity {
        Identity {
            file: "backend".into(),
            user: BACKEND_USER.into(),
            groups: vec![],
        }
    }

    /// A node agent: the Node authorizer lets `system:node:NAME` of `system:nodes` write only
    /// its own Node and Lease and the status of pods bound to it.
    pub fn node(name: &str) -> Identity {
        Identity {
            file: format!("node-{name}"),
            user: format!("system:node:{name}"),
            groups: vec!["system:nodes".into()],
        }
    }
}

pub const BACKEND_USER: &str = "migsim:backend";

/// A certificate and its key, as PEM files.
#[derive(Clone, Debug)]
pub struct Pair {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The files a cluster's PKI is made of.
#[derive(Clone, Debug)]
pub struct Pki {
    pub dir: PathBuf,
}

impl Pki {
    pub fn ca(&self) -> PathBuf {
        self.dir.join("ca.crt")
    }

    pub fn pair(&self, stem: &str) -> Pair {
        Pair {
            cert: self.dir.join(format!("{stem}.crt")),
            key: self.dir.join(format!("{stem}.key")),
        }
    }

    pub fn serving(&self) -> Pair {
        self.pair("apiserver")
    }

    /// The key the API server signs service account tokens with (it requires one).
    pub fn service_account_key(&self) -> Pair {
        Pair {
            cert: self.dir.join("sa.pub"),
            key: self.dir.join("sa.key"),
        }
    }

    /// Makes the CA, the serving certificate for 127.0.0.1 and a client certificate for each
    /// identity. Keys are readable by their owner only.
    pub fn create(dir: &Path, identities: &[Identity]) -> Result<Pki, String> {
        let pki = Pki {
            dir: dir.to_path_buf(),
        };
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let ca_key = KeyPair::generate().map_err(tls)?;
        let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(tls)?;
        ca.distinguished_name
            .push(DnType::CommonName, "migsim cluster CA");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca.self_signed(&ca_key).map_err(tls)?;
        write(&pki.ca(), &ca_cert.pem(), false)?;
        let issuer = Issuer::new(ca, ca_key);

        let mut serving =
            CertificateParams::new(vec!["localhost".to_string(), "kubernetes".into()])
                .map_err(tls)?;
        serving
            .subject_alt_names
            .push(SanType::IpAddress([127, 0, 0, 1].into()));
        serving
            .distinguished_name
            .push(DnType::CommonName, "kube-apiserver");
        serving.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        sign(&pki.serving(), serving, &issuer)?;

        for id in identities {
            let mut client = CertificateParams::new(Vec::<String>::new()).map_err(tls)?;
            client
                .distinguished_name
                .push(DnType::CommonName, id.user.as_str());
            for g in &id.groups {
                client
                    .distinguished_name
                    .push(DnType::OrganizationName, g.as_str());
            }
            client.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
            sign(&pki.pair(&id.file), client, &issuer)?;
        }

        let sa = KeyPair::generate().map_err(tls)?;
        let files = pki.service_account_key();
        write(&files.key, &sa.serialize_pem(), true)?;
        write(&files.cert, &sa.public_key_pem(), false)?;
        Ok(pki)
    }
}

fn sign(to: &Pair, params: CertificateParams, issuer: &Issuer<'_, KeyPair>) -> Result<(), String> {
    let key = KeyPair::generate().map_err(tls)?;
    let cert = params.signed_by(&key, issuer).map_err(tls)?;
    write(&to.key, &key.serialize_pem(), true)?;
    write(&to.cert, &cert.pem(), false)
}

fn write(path: &Path, pem: &str, private: bool) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(if private { 0o600 } else { 0o644 })
        .open(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    f.write_all(pem.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn tls(e: rcgen::Error) -> String {
    format!("cannot make the cluster's certificates: {e}")
}
