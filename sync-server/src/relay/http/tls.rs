//! HTTPS on the relay's own listener (`serve --tls-cert --tls-key`), for a relay without a
//! proxy in front: the certificate and key from PEM files, read again on SIGHUP so a renewed
//! certificate is served without dropping a single connection.
//!
//! The handshake runs inside the accept loop's connection task, under the same header
//! deadline and caps as a request's head: until it has finished, a connection has proven
//! nothing.

use std::fmt;
use std::path::Path;
use std::sync::{Arc, PoisonError, RwLock};

use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use crate::config::TlsFiles;

/// Why the certificate or key could not be used; each names the file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the TLS certificate {path}: {reason}; pass a PEM file (--tls-cert)")]
    Cert { path: String, reason: String },
    #[error("cannot read the TLS key {path}: {reason}; pass a PEM private key (--tls-key)")]
    Key { path: String, reason: String },
    #[error(
        "the TLS key {key} does not go with the certificate {cert}: {reason}; pass the key the \
         certificate was issued for"
    )]
    Mismatch {
        cert: String,
        key: String,
        reason: String,
    },
}

/// What the accept loop hands each new connection to: the acceptor, whose certificate can be
/// replaced while it serves.
#[derive(Clone)]
pub struct Tls {
    acceptor: TlsAcceptor,
    current: Arc<Current>,
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tls")
            .field("files", &self.current.files)
            .finish_non_exhaustive()
    }
}

impl Tls {
    /// Reads the certificate and key, or says which file is wrong.
    pub fn load(files: TlsFiles) -> Result<Tls, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = read(&files, &provider)?;
        let current = Arc::new(Current {
            files,
            provider: provider.clone(),
            key: RwLock::new(Arc::new(key)),
        });
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default TLS versions")
            .with_no_client_auth()
            .with_cert_resolver(current.clone());
        // The relay speaks HTTP/1.1 only (WebSockets upgrade from it).
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Tls {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            current,
        })
    }

    pub fn acceptor(&self) -> &TlsAcceptor {
        &self.acceptor
    }

    /// Reads the files again; new connections get the new certificate. On an error the one
    /// in use stays.
    pub fn reload(&self) -> Result<(), TlsError> {
        let key = read(&self.current.files, &self.current.provider)?;
        *self
            .current
            .key
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(key);
        Ok(())
    }

    /// Reloads on every SIGHUP until `shutdown`.
    pub async fn reload_on_hangup(self, shutdown: CancellationToken) {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hangups = match signal(SignalKind::hangup()) {
            Ok(hangups) => hangups,
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGHUP: the certificate is read at start only");
                return;
            }
        };
        let files = &self.current.files;
        loop {
            tokio::select! {
                received = hangups.recv() => if received.is_none() { return },
                () = shutdown.cancelled() => return,
            }
            match self.reload() {
                Ok(()) => tracing::info!(
                    cert = %files.cert.display(),
                    key = %files.key.display(),
                    "reloaded the TLS certificate"
                ),
                Err(error) => {
                    tracing::warn!(%error, "kept the TLS certificate in use");
                }
            }
        }
    }
}

/// The certificate in use, handed to each handshake.
struct Current {
    files: TlsFiles,
    provider: Arc<CryptoProvider>,
    key: RwLock<Arc<CertifiedKey>>,
}

impl fmt::Debug for Current {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Current")
            .field("files", &self.files)
            .finish_non_exhaustive()
    }
}

impl ResolvesServerCert for Current {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.key
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        )
    }
}

fn read(files: &TlsFiles, provider: &CryptoProvider) -> Result<CertifiedKey, TlsError> {
    let chain = read_chain(&files.cert)?;
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|error| TlsError::Key {
        path: files.key.display().to_string(),
        reason: pem_reason(error, "private key"),
    })?;
    CertifiedKey::from_der(chain, key, provider).map_err(|error| TlsError::Mismatch {
        cert: files.cert.display().to_string(),
        key: files.key.display().to_string(),
        reason: error.to_string(),
    })
}

fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let failed = |reason: String| TlsError::Cert {
        path: path.display().to_string(),
        reason,
    };
    let chain = CertificateDer::pem_file_iter(path)
        .map_err(|error| failed(pem_reason(error, "certificate")))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| failed(pem_reason(error, "certificate")))?;
    if chain.is_empty() {
        return Err(failed(pem_reason(
            rustls_pki_types::pem::Error::NoItemsFound,
            "certificate",
        )));
    }
    Ok(chain)
}

/// The PEM library's error in a sentence for someone holding the file.
fn pem_reason(error: rustls_pki_types::pem::Error, what: &str) -> String {
    use rustls_pki_types::pem::Error;
    match error {
        Error::Io(error) => error.to_string(),
        Error::NoItemsFound => format!("it holds no {what} in PEM (-----BEGIN ...-----)"),
        other => format!("it is not valid PEM ({other})"),
    }
}
