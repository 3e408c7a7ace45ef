//! Whom Quaderno trusts to be a relay over HTTPS and wss://: the usual certificate
//! authorities, and those of the PEM file `QUADERNO_CA_FILE` names, for a relay whose
//! certificate comes from a coordinating body's own authority. The file is read once, the
//! first time a relay is contacted; work without a relay never reads it.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use tokio_tungstenite::Connector;

/// The environment variable naming a PEM file of extra certificate authorities.
pub const CA_FILE_VAR: &str = "QUADERNO_CA_FILE";

/// `QUADERNO_CA_FILE` names a file that holds no usable certificate authority.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "cannot use the certificate authorities in {} ({CA_FILE_VAR}): {reason}; point \
     {CA_FILE_VAR} at a PEM file of CA certificates, or unset it",
    path.display()
)]
pub struct CaFileError {
    pub path: PathBuf,
    pub reason: String,
}

/// The extra authorities, and the WebSocket configuration that trusts them.
struct Trust {
    extra: Vec<CertificateDer<'static>>,
    websocket: Arc<rustls::ClientConfig>,
}

static TRUST: OnceLock<Result<Trust, CaFileError>> = OnceLock::new();

/// Installs the TLS crypto provider (the HTTP and WebSocket clients are built without one)
/// and reads `QUADERNO_CA_FILE`, once.
pub fn init_tls() -> Result<(), CaFileError> {
    trust().map(|_| ())
}

/// An HTTP client that trusts the usual authorities (the system's) and the extra ones.
pub(crate) fn http_client(builder: reqwest::ClientBuilder) -> Result<reqwest::Client, CaFileError> {
    let trust = trust()?;
    let extra = trust
        .extra
        .iter()
        .filter_map(|der| reqwest::Certificate::from_der(der).ok());
    Ok(builder
        .tls_certs_merge(extra)
        .build()
        .expect("an HTTP client with checked certificates builds"))
}

/// The WebSocket connector: webpki's authorities and the extra ones.
pub(crate) fn websocket_connector() -> Result<Connector, CaFileError> {
    Ok(Connector::Rustls(trust()?.websocket.clone()))
}

/// The relay's certificate was refused, in words that say what to do; `None` for any other
/// failure. TLS errors arrive wrapped in I/O errors, which hide them from `source()`.
pub(crate) fn certificate_refused(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut next = Some(error);
    while let Some(error) = next {
        let inner = error
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map(|inner| inner as &(dyn std::error::Error + 'static));
        let tls = inner
            .unwrap_or(error)
            .downcast_ref::<rustls::Error>()
            .or_else(|| error.downcast_ref::<rustls::Error>());
        if let Some(rustls::Error::InvalidCertificate(reason)) = tls {
            return Some(format!(
                "its certificate is not trusted here ({reason}); if the relay's certificate \
                 comes from your coordinating body's own authority, set {CA_FILE_VAR} to that \
                 authority's PEM file"
            ));
        }
        next = inner.or_else(|| error.source());
    }
    None
}

fn trust() -> Result<&'static Trust, CaFileError> {
    TRUST
        .get_or_init(|| {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let path = std::env::var_os(CA_FILE_VAR)
                .filter(|path| !path.is_empty())
                .map(PathBuf::from);
            load(path)
        })
        .as_ref()
        .map_err(Clone::clone)
}

fn load(path: Option<PathBuf>) -> Result<Trust, CaFileError> {
    let extra = match &path {
        Some(path) => read(path)?,
        None => Vec::new(),
    };
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for cert in &extra {
        roots.add(cert.clone()).map_err(|error| CaFileError {
            path: path.clone().unwrap_or_default(),
            reason: format!("a certificate in it cannot be used ({error})"),
        })?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let websocket = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Trust {
        extra,
        websocket: Arc::new(websocket),
    })
}

fn read(path: &PathBuf) -> Result<Vec<CertificateDer<'static>>, CaFileError> {
    use rustls_pki_types::pem::Error;
    let failed = |error: Error| CaFileError {
        path: path.clone(),
        reason: match error {
            Error::Io(error) => error.to_string(),
            other => format!("it is not valid PEM ({other})"),
        },
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(failed)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(failed)?;
    if certs.is_empty() {
        return Err(CaFileError {
            path: path.clone(),
            reason: "it holds no certificate (-----BEGIN CERTIFICATE-----)".into(),
        });
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_empty_ca_file_is_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let error = load(Some(missing.clone())).err().unwrap();
        assert_eq!(error.path, missing);
        assert!(error.to_string().contains("missing.pem"), "{error}");

        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "no certificate here\n").unwrap();
        let error = load(Some(empty)).err().unwrap().to_string();
        assert!(error.contains("holds no certificate"), "{error}");
        assert!(error.contains(CA_FILE_VAR), "{error}");
    }

    #[test]
    fn garbage_inside_a_certificate_block_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.pem");
        std::fs::write(
            &bad,
            "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let error = load(Some(bad)).err().unwrap().to_string();
        assert!(error.contains("bad.pem"), "{error}");
    }

    #[test]
    fn without_a_ca_file_the_usual_authorities_are_trusted() {
        let trust = load(None).ok().unwrap();
        assert!(trust.extra.is_empty());
    }
}
