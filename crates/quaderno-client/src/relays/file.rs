//! `relays.json`: the relay accounts of this machine, written atomically with mode 0600.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::RelayAccount;
use crate::ClientError;

/// The file inside the data folder.
pub const RELAYS_FILE: &str = "relays.json";

/// Every relay this device joined.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Relays {
    pub relays: Vec<RelayAccount>,
}

impl Relays {
    /// Reads the file; no file means no relay yet.
    pub fn load(data_dir: &Path) -> Result<Relays, ClientError> {
        let path = data_dir.join(RELAYS_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| ClientError::Config {
                path,
                message: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Relays::default()),
            Err(e) => Err(ClientError::Config {
                path,
                message: e.to_string(),
            }),
        }
    }

    /// The account on the relay at `url`.
    pub fn get(&self, url: &str) -> Option<&RelayAccount> {
        self.relays.iter().find(|r| r.url == url)
    }

    /// Adds or replaces the account of a relay.
    pub fn upsert(&mut self, account: RelayAccount) {
        self.relays.retain(|r| r.url != account.url);
        self.relays.push(account);
    }

    /// Writes the file (a temporary file renamed over the old one, owner-only).
    pub fn save(&self, data_dir: &Path) -> Result<(), ClientError> {
        let path = data_dir.join(RELAYS_FILE);
        let temp = data_dir.join(format!(".{RELAYS_FILE}.{}", std::process::id()));
        let json = serde_json::to_vec_pretty(self).expect("relay accounts serialise");
        write_private(&temp, &json)
            .and_then(|()| std::fs::rename(&temp, &path))
            .map_err(|e| ClientError::Config {
                path: path.clone(),
                message: e.to_string(),
            })
    }
}

fn write_private(path: &PathBuf, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_survive_a_round_trip_and_the_file_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let mut relays = Relays::load(dir.path()).unwrap();
        assert!(relays.relays.is_empty());
        relays.upsert(RelayAccount {
            url: "http://127.0.0.1:7878".into(),
            token: "qdt_x".into(),
            peer_id: "device-a".into(),
            relay_peer_id: "relay".into(),
            device: "laptop".into(),
            plain: false,
        });

        relays.save(dir.path()).unwrap();

        let again = Relays::load(dir.path()).unwrap();
        assert_eq!(again.relays, relays.relays);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(RELAYS_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
