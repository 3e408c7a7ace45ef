//! The relay on the open internet with a certificate of its own (`serve --tls-cert
//! --tls-key`): participants who trust its authority sync over wss://, others are refused
//! with a certificate error, plain HTTP on the port is turned away without harm, and a
//! renewed certificate is served after SIGHUP.
//!
//! Each test makes a throw-away certificate authority and signs the relay's certificate for
//! 127.0.0.1 with it, as a coordinating body with its own authority would.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use quaderno_tests::cli::{Quaderno, Run};
use quaderno_tests::relay::Relay;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};

/// A certificate authority and the relay's certificate and key files, signed by it.
struct Pki {
    dir: tempfile::TempDir,
    ca: CertifiedIssuer<'static, KeyPair>,
    /// The first certificate issued for the relay (DER).
    first: Vec<u8>,
}

impl Pki {
    /// An authority, and a first certificate for the relay.
    fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let mut params = CertificateParams::new(Vec::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params
            .distinguished_name
            .push(DnType::CommonName, "Coordinamento regionale CA");
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
        let mut pki = Pki {
            dir,
            ca,
            first: Vec::new(),
        };
        pki.first = pki.issue("first");
        pki
    }

    fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    fn cert_file(&self) -> PathBuf {
        self.dir.path().join("cert.pem")
    }

    fn key_file(&self) -> PathBuf {
        self.dir.path().join("key.pem")
    }

    /// A new key and certificate for 127.0.0.1, written over the relay's files; its DER.
    fn issue(&self, name: &str) -> Vec<u8> {
        let key = KeyPair::generate().unwrap();
        let mut params =
            CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        let cert = params.signed_by(&key, &self.ca).unwrap();
        std::fs::write(self.cert_file(), cert.pem()).unwrap();
        std::fs::write(self.key_file(), key.serialize_pem()).unwrap();
        cert.der().to_vec()
    }
}

/// A relay serving HTTPS with the authority's certificate.
struct TlsRelay {
    relay: Relay,
    pki: Pki,
    _data: tempfile::TempDir,
}

impl TlsRelay {
    fn start() -> TlsRelay {
        quaderno_tests::init_tls();
        let pki = Pki::new();
        let data = tempfile::tempdir().unwrap();
        let cert = pki.cert_file();
        let key = pki.key_file();
        let relay = Relay::start(
            data.path(),
            &[
                "--tls-cert",
                cert.to_str().unwrap(),
                "--tls-key",
                key.to_str().unwrap(),
            ],
        );
        assert!(relay.url.starts_with("https://"), "{}", relay.url);
        TlsRelay {
            relay,
            pki,
            _data: data,
        }
    }

    /// A participant on their own computer, joined to `group` as editor, trusting the
    /// authority.
    fn participant(&self, name: &str, group: &str) -> Quaderno {
        let q = Quaderno::fresh();
        q.ok(&["init", "--name", name, "--city", "Trieste"]);
        let code = self.relay.invite(group, "editor");
        let joined = trusting(&q, &self.pki.ca_file(), &["join", &self.relay.url, &code]);
        assert_eq!(joined.code, 0, "join over https failed: {}", joined.stderr);
        q
    }

    /// An HTTPS client that trusts the authority only and opens a new connection each time.
    fn https(&self) -> reqwest::Client {
        let ca = std::fs::read(self.pki.ca_file()).unwrap();
        reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(&ca).unwrap()])
            .tls_info(true)
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap()
    }

    /// `GET path` over HTTPS: the body, and the certificate the relay presented.
    async fn get(&self, path: &str) -> (String, Vec<u8>) {
        let response = self
            .https()
            .get(format!("{}{path}", self.relay.url))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path} over https: {e}"));
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        let presented = response
            .extensions()
            .get::<reqwest::tls::TlsInfo>()
            .and_then(|info| info.peer_certificate())
            .expect("the relay presents a certificate")
            .to_vec();
        (response.text().await.unwrap(), presented)
    }
}

/// `quaderno ARGS` with `QUADERNO_CA_FILE` set to `ca`.
fn trusting(q: &Quaderno, ca: &Path, args: &[&str]) -> Run {
    let mut command = q.command(args);
    command.env("QUADERNO_CA_FILE", ca);
    q.run_command(command, "")
}

/// `quaderno ARGS` with no extra authority, whatever the test's environment holds.
fn not_trusting(q: &Quaderno, args: &[&str]) -> Run {
    let mut command = q.command(args);
    command.env_remove("QUADERNO_CA_FILE");
    q.run_command(command, "")
}

/// Waits for `condition`, polling, until `limit` has passed.
async fn eventually(limit: Duration, mut condition: impl AsyncFnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if condition().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[test]
fn participants_who_trust_the_authority_sync_a_note_over_wss() {
    // Step 1: Anna and Bruno join the Trieste group over https://, trusting the authority.
    let tls = TlsRelay::start();
    tls.relay.create_group("trieste");
    assert!(tls.relay.sync_url("trieste").starts_with("wss://"));
    let anna = tls.participant("Anna", "trieste");
    let bruno = tls.participant("Bruno", "trieste");
    let ca = tls.pki.ca_file();

    // Step 2: Anna writes a note and syncs it.
    let created = trusting(
        &anna,
        &ca,
        &[
            "--json",
            "new",
            "--group",
            "trieste",
            "--title",
            "Verbale",
            "--body",
            "Presenti: 9.",
        ],
    );
    assert_eq!(created.code, 0, "{}", created.stderr);
    let id = serde_json::from_str::<serde_json::Value>(&created.stdout).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let synced = trusting(&anna, &ca, &["--json", "sync"]);
    assert_eq!(synced.code, 0, "{}", synced.stderr);
    let report: serde_json::Value = serde_json::from_str(&synced.stdout).unwrap();
    assert_eq!(
        report["groups"][0]["outcome"]["status"], "synced",
        "{report}"
    );

    // Step 3: Bruno syncs and reads it.
    let synced = trusting(&bruno, &ca, &["sync"]);
    assert_eq!(synced.code, 0, "{}", synced.stderr);
    let shown = bruno.json(&["show", &id]);
    assert_eq!(shown["body"], "Presenti: 9.", "{shown}");
}

#[test]
fn without_the_authority_the_client_refuses_the_relay_with_a_certificate_error() {
    let tls = TlsRelay::start();
    tls.relay.create_group("trieste");
    let code = tls.relay.invite("trieste", "editor");
    let carla = Quaderno::fresh();
    carla.ok(&["init", "--name", "Carla", "--city", "Trieste"]);

    // Joining without the authority: refused, saying why and what to do.
    let refused = not_trusting(&carla, &["join", &tls.relay.url, &code]);
    assert_ne!(refused.code, 0, "{}", refused.stdout);
    assert_ne!(refused.code, 101, "a panic: {}", refused.stderr);
    assert!(refused.stderr.contains("certificate"), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("QUADERNO_CA_FILE"),
        "{}",
        refused.stderr
    );

    // A participant who joined trusting it, then syncs without: the same refusal.
    let anna = tls.participant("Anna", "trieste");
    let refused = not_trusting(&anna, &["sync"]);
    assert_ne!(refused.code, 0, "{}", refused.stdout);
    assert_ne!(refused.code, 101, "a panic: {}", refused.stderr);
    assert!(refused.stderr.contains("certificate"), "{}", refused.stderr);

    // A file that holds no authority is named, before any relay is asked.
    let bad = tls.pki.dir.path().join("not-a-ca.pem");
    std::fs::write(&bad, "this is not a certificate\n").unwrap();
    let refused = trusting(&anna, &bad, &["sync"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("not-a-ca.pem"),
        "{}",
        refused.stderr
    );
    assert!(!refused.stderr.contains("panicked"), "{}", refused.stderr);
}

#[tokio::test]
async fn plain_http_on_the_tls_port_is_turned_away_and_the_relay_serves_on() {
    let tls = TlsRelay::start();
    let addr = tls.relay.url.trim_start_matches("https://").to_string();

    // Step 1: a plain HTTP request gets no HTTP answer, and the connection ends.
    let answer = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(&addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        // A reset, or a pipe the relay already closed, is as good an end as a close: the
        // relay may turn the connection away before the whole request is written.
        let closed = |error: &std::io::Error| {
            matches!(
                error.kind(),
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
            )
        };
        let mut answer = Vec::new();
        let ended = match write!(stream, "GET /healthz HTTP/1.1\r\nHost: {addr}\r\n\r\n") {
            Err(error) => closed(&error),
            Ok(()) => match stream.read_to_end(&mut answer) {
                Ok(_) => true,
                Err(error) => closed(&error),
            },
        };
        assert!(ended, "the relay kept the plain connection open");
        answer
    })
    .await
    .unwrap();
    assert!(
        !answer.starts_with(b"HTTP/"),
        "plain HTTP was answered in plain HTTP: {:?}",
        String::from_utf8_lossy(&answer)
    );

    // Step 2: the relay goes on serving HTTPS, its health and metrics included.
    let (health, _) = tls.get("/healthz").await;
    assert_eq!(health, "ok\n");
    let (metrics, _) = tls.get("/metrics").await;
    assert!(metrics.contains("http_connections"), "{metrics}");
}

#[tokio::test]
async fn after_sighup_new_connections_get_the_renewed_certificate() {
    let tls = TlsRelay::start();
    let first_der = tls.pki.first.clone();
    let (_, presented) = tls.get("/healthz").await;
    assert_eq!(presented, first_der, "the first certificate is served");

    // Step 1: a broken key file is refused on SIGHUP; the certificate in use stays.
    std::fs::write(tls.pki.key_file(), "not a key\n").unwrap();
    tls.relay.hangup();
    let warned = eventually(Duration::from_secs(10), async || {
        tls.relay.log().contains("kept the TLS certificate in use")
    })
    .await;
    assert!(warned, "no warning about the bad key: {}", tls.relay.log());
    let (_, presented) = tls.get("/healthz").await;
    assert_eq!(presented, first_der, "the old certificate is still served");

    // Step 2: the renewed certificate, then SIGHUP: new connections get it.
    let renewed = tls.pki.issue("renewed");
    assert_ne!(renewed, first_der);
    tls.relay.hangup();
    let served = eventually(Duration::from_secs(10), async || {
        tls.get("/healthz").await.1 == renewed
    })
    .await;
    assert!(
        served,
        "the renewed certificate is not served: {}",
        tls.relay.log()
    );
    assert!(tls.relay.log().contains("reloaded the TLS certificate"));
}
