//! The command line of `quaderno-server`: flags and their checks only. `main` resolves them
//! into a [`ServeConfig`] or runs an admin command on the data directory.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use chrono::TimeDelta;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};
use quaderno_model::DocumentId;
use quaderno_sync::Limits;

use crate::accounts::{GroupSlug, MAX_INVITE_USES, Role};
use crate::config::{HttpLimits, ServeConfig, TlsFiles};
use crate::forwarded::{Cidr, TrustedProxies};

/// The address `serve` listens on unless told otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7878";
/// The longest an invite may stay valid.
const MAX_EXPIRY_DAYS: i64 = 365;

const EXAMPLES: &str = "\
Examples:
  # Run the relay on a data directory, behind a proxy on the same machine that terminates TLS
  quaderno-server --data-dir /var/lib/quaderno serve --trusted-proxy 127.0.0.1

  # Or on the open internet with its own certificate (SIGHUP reads renewed files again)
  quaderno-server --data-dir /var/lib/quaderno serve --listen 0.0.0.0:443 \
    --tls-cert /etc/letsencrypt/live/quaderno.example.org/fullchain.pem \
    --tls-key /etc/letsencrypt/live/quaderno.example.org/privkey.pem

  # Create a group and invite an editor (the code is printed once)
  quaderno-server --data-dir /var/lib/quaderno group create integrazione --title \"Integrazione sociosanitaria\"
  quaderno-server --data-dir /var/lib/quaderno invite create --group integrazione --role editor --expires 7d

  # The coordinating body's first operator: a one-time code for their Quaderno
  quaderno-server --data-dir /var/lib/quaderno operator add --name \"Coordinamento regionale\"

  # See who can still join, withdraw a code sent to the wrong address
  quaderno-server --data-dir /var/lib/quaderno invite list --group integrazione
  quaderno-server --data-dir /var/lib/quaderno invite revoke --group integrazione 4

  # Make a member read-only, revoke a lost laptop, back up while serving
  quaderno-server --data-dir /var/lib/quaderno member set-role --group integrazione 12 reader
  quaderno-server --data-dir /var/lib/quaderno device revoke 31
  quaderno-server --data-dir /var/lib/quaderno backup --out /backups/relay-2025-06-01.sqlite3

  # Put that backup back (stop the relay first; devices resend what it lacks)
  quaderno-server --data-dir /var/lib/quaderno restore /backups/relay-2025-06-01.sqlite3

  # Who did what in a group, for the records
  quaderno-server --data-dir /var/lib/quaderno activity --group integrazione --csv > attivita.csv

Every command takes --json. The data directory may also come from QUADERNO_SERVER_DATA_DIR.
Exit codes: 0 done, 1 the relay's storage failed, 2 a mistake in the command (the message says what to change).";

/// quaderno-server: the relay that passes a group's notes between its participants, and the
/// commands to administer it.
#[derive(Debug, Parser)]
#[command(name = "quaderno-server", version, after_help = EXAMPLES)]
pub struct Cli {
    /// Directory holding the relay's database (created if missing).
    #[arg(
        long,
        env = "QUADERNO_SERVER_DATA_DIR",
        global = true,
        value_name = "DIR"
    )]
    pub data_dir: Option<PathBuf>,

    /// Settings in a TOML file, for what neither a flag nor its environment variable says:
    /// each key a flag's long name, e.g. `listen = "0.0.0.0:7878"`, `data-dir =
    /// "/var/lib/quaderno"` [default: /etc/quaderno/server.toml, if it exists].
    #[arg(
        long,
        env = "QUADERNO_SERVER_CONFIG",
        global = true,
        value_name = "FILE"
    )]
    pub config: Option<PathBuf>,

    /// Print JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the relay: the sync endpoint, the client API, /healthz and /metrics.
    Serve(ServeArgs),
    /// Administer the relay's data (safe while it is serving).
    #[command(flatten)]
    Admin(AdminCommand),
    /// Put a backup in place of the relay's database (the relay must be stopped).
    ///
    /// FILE must be a backup written by `backup --out` (or a copy of a stopped relay's
    /// relay.sqlite3); it is checked before anything changes. The current database is not
    /// deleted: it is kept beside the restored one as relay.sqlite3.before-restore-DATE, and
    /// the command prints where. The restored relay gets a new epoch, which it tells every
    /// device at its next sync: each device then sends back every change it holds that the
    /// backup lacks (notes written and edits made since the backup), so nothing a device
    /// still holds is lost. Refused while `serve` runs on the data directory.
    #[command(
        after_help = "Example:\n  quaderno-server --data-dir /var/lib/quaderno restore /backups/relay-2025-06-01.sqlite3"
    )]
    Restore {
        /// The backup to restore.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

/// The flags of `serve`, each with an environment fallback.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "QUADERNO_SERVER_LISTEN", default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,

    /// Largest WebSocket frame accepted, in bytes; a bigger one closes that connection.
    #[arg(
        long,
        env = "QUADERNO_SERVER_MAX_FRAME_BYTES",
        help_heading = "Connection limits",
        default_value_t = defaults().max_frame_bytes,
        value_parser = clap::value_parser!(u64).range(1024..=1 << 30).map(|n| n as usize),
    )]
    pub max_frame_bytes: usize,

    /// Seconds without a connection after which a group is flushed and dropped from memory.
    #[arg(
        long,
        env = "QUADERNO_SERVER_GROUP_IDLE_SECS",
        default_value_t = defaults().group_idle.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..=86_400),
    )]
    pub group_idle_secs: u64,

    /// Seconds between pings; a connection that misses two pongs is closed.
    #[arg(
        long,
        env = "QUADERNO_SERVER_PING_INTERVAL_SECS",
        default_value_t = defaults().ping_interval.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..=3_600),
    )]
    pub ping_interval_secs: u64,

    /// Seconds a new WebSocket may wait before its first message (`join`) before it is closed.
    #[arg(
        long,
        env = "QUADERNO_SERVER_JOIN_TIMEOUT_SECS",
        help_heading = "Connection limits",
        default_value_t = defaults().join_timeout.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..=600),
    )]
    pub join_timeout_secs: u64,

    /// Seconds a new connection has to send its first request's head; then it is closed.
    #[arg(
        long,
        env = "QUADERNO_SERVER_HEADER_TIMEOUT_SECS",
        help_heading = "Connection limits",
        default_value_t = defaults().http.header_timeout.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..=600),
    )]
    pub header_timeout_secs: u64,

    /// Seconds a request's body may take to arrive in full after its head; then the
    /// connection is closed.
    #[arg(
        long,
        env = "QUADERNO_SERVER_BODY_TIMEOUT_SECS",
        help_heading = "Connection limits",
        default_value_t = defaults().http.body_timeout.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..=3_600),
    )]
    pub body_timeout_secs: u64,

    /// Seconds a kept-alive connection may wait for its next request; then it is closed.
    #[arg(
        long,
        env = "QUADERNO_SERVER_IDLE_TIMEOUT_SECS",
        help_heading = "Connection limits",
        default_value_t = defaults().http.idle_timeout.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..=3_600),
    )]
    pub idle_timeout_secs: u64,

    /// Open connections in all, WebSockets included (never more than the file limit allows).
    #[arg(
        long,
        env = "QUADERNO_SERVER_MAX_CONNECTIONS",
        help_heading = "Connection limits",
        default_value_t = defaults().http.max_connections,
        value_parser = clap::value_parser!(u64).range(1..=1 << 24).map(|n| n as usize),
    )]
    pub max_connections: usize,

    /// Open connections from one address. Behind a proxy every connection has the proxy's
    /// address, with --trusted-proxy too: connections are counted before any request names
    /// its client.
    #[arg(
        long,
        env = "QUADERNO_SERVER_MAX_CONNECTIONS_PER_ADDRESS",
        help_heading = "Connection limits",
        default_value_t = defaults().http.max_connections_per_address,
        value_parser = clap::value_parser!(u64).range(1..=1 << 24).map(|n| n as usize),
    )]
    pub max_connections_per_address: usize,

    /// Connections that have not sent a complete request yet; over it, the oldest of them is
    /// closed to make room for each new one.
    #[arg(
        long,
        env = "QUADERNO_SERVER_MAX_UNPROVEN_CONNECTIONS",
        help_heading = "Connection limits",
        default_value_t = defaults().http.max_unproven_connections,
        value_parser = clap::value_parser!(u64).range(1..=1 << 24).map(|n| n as usize),
    )]
    pub max_unproven_connections: usize,

    /// WebSockets one device may hold open at once; one more is refused with 429.
    #[arg(
        long,
        env = "QUADERNO_SERVER_MAX_CONNECTIONS_PER_DEVICE",
        help_heading = "Connection limits",
        default_value_t = defaults().max_connections_per_device,
        value_parser = clap::value_parser!(u64).range(1..=100_000).map(|n| n as usize),
    )]
    pub max_connections_per_device: usize,

    /// Messages a connection may send per second before it is closed for flooding.
    #[arg(
        long,
        env = "QUADERNO_SERVER_MAX_MESSAGES_PER_SEC",
        help_heading = "Connection limits",
        default_value_t = defaults().max_messages_per_sec,
        value_parser = clap::value_parser!(u32).range(1..),
    )]
    pub max_messages_per_sec: u32,

    /// The address participants reach the relay at, e.g. https://quaderno.example.org: what
    /// the invites made from the page tell people to type. Without it, the address each
    /// request came to.
    #[arg(long, env = "QUADERNO_SERVER_PUBLIC_URL", value_name = "URL", value_parser = parse_public_url)]
    pub public_url: Option<String>,

    /// The relay's certificate as a PEM file, the server's own first, then the intermediates
    /// (e.g. Let's Encrypt's fullchain.pem). With --tls-key the relay serves HTTPS and wss://
    /// itself, with no proxy in front; on SIGHUP it reads both files again and new
    /// connections get the renewed certificate.
    #[arg(
        long,
        env = "QUADERNO_SERVER_TLS_CERT",
        value_name = "FILE",
        requires = "tls_key",
        help_heading = "TLS"
    )]
    pub tls_cert: Option<PathBuf>,

    /// The certificate's private key as a PEM file (PKCS#8, PKCS#1 or SEC1, e.g. privkey.pem).
    #[arg(
        long,
        env = "QUADERNO_SERVER_TLS_KEY",
        value_name = "FILE",
        requires = "tls_cert",
        help_heading = "TLS"
    )]
    pub tls_key: Option<PathBuf>,

    /// Proxies whose X-Forwarded-For names the client, as addresses or blocks (127.0.0.1,
    /// 10.0.0.0/8, fd00::/8), several separated by commas. For a request from one of them,
    /// the client is the rightmost address of the header that is not itself a trusted proxy:
    /// joins are rate-limited and logged by it. From any other peer the header is ignored.
    /// Connections are still counted per proxy (--max-connections-per-address).
    #[arg(
        long = "trusted-proxy",
        env = "QUADERNO_SERVER_TRUSTED_PROXIES",
        value_name = "CIDR",
        num_args = 1..,
        value_delimiter = ',',
        value_parser = parse_cidr,
        help_heading = "Behind a proxy"
    )]
    pub trusted_proxies: Vec<Cidr>,

    /// Operations one note may hold (each character typed is one); changes that would take a
    /// note past it are refused, with an error to their sender.
    #[arg(
        long,
        env = "QUADERNO_SERVER_MAX_NOTE_OPS",
        default_value_t = defaults().limits.note_ops,
        value_parser = clap::value_parser!(u64).range(1..),
        help_heading = "Limits on what members write"
    )]
    pub max_note_ops: u64,

    /// Operations one change may hold (a paste of 100,000 characters is one change of as
    /// many): applying one holds up the group's other members for about 3 µs each.
    #[arg(
        long,
        env = "QUADERNO_SERVER_MAX_CHANGE_OPS",
        default_value_t = defaults().limits.change_ops,
        value_parser = clap::value_parser!(u64).range(1..),
        help_heading = "Limits on what members write"
    )]
    pub max_change_ops: u64,

    /// Bytes one note may hold, uncompressed; at most --max-frame-bytes, so that every note
    /// the relay keeps can be sent whole [default: 8 MiB, or --max-frame-bytes if smaller].
    #[arg(
        long,
        env = "QUADERNO_SERVER_MAX_NOTE_BYTES",
        value_parser = clap::value_parser!(u64).range(1024..),
        help_heading = "Limits on what members write"
    )]
    pub max_note_bytes: Option<u64>,

    /// Notes one participant may create in a group.
    #[arg(
        long,
        env = "QUADERNO_SERVER_MAX_NOTES_PER_MEMBER",
        default_value_t = defaults().limits.member_notes,
        value_parser = clap::value_parser!(u64).range(1..),
        help_heading = "Limits on what members write"
    )]
    pub max_notes_per_member: u64,

    /// Bytes one participant's changes may add to a group, uncompressed.
    #[arg(
        long,
        env = "QUADERNO_SERVER_MAX_BYTES_PER_MEMBER",
        default_value_t = defaults().limits.member_bytes,
        value_parser = clap::value_parser!(u64).range(1024..),
        help_heading = "Limits on what members write"
    )]
    pub max_bytes_per_member: u64,

    /// Bytes every note of a group may hold together, uncompressed.
    #[arg(
        long,
        env = "QUADERNO_SERVER_MAX_GROUP_BYTES",
        default_value_t = defaults().limits.group_bytes,
        value_parser = clap::value_parser!(u64).range(1024..),
        help_heading = "Limits on what members write"
    )]
    pub max_group_bytes: u64,
}

impl ServeArgs {
    /// The resolved configuration for `relay::serve`.
    pub fn to_config(&self, data_dir: PathBuf) -> anyhow::Result<ServeConfig> {
        let frame = self.max_frame_bytes as u64;
        let note_bytes = match self.max_note_bytes {
            Some(bytes) if bytes > frame => anyhow::bail!(
                "--max-note-bytes ({bytes}) must not exceed --max-frame-bytes ({frame}): a note \
                 is sent whole, in one frame, to a member who has none of it"
            ),
            Some(bytes) => bytes,
            None => defaults().limits.note_bytes.min(frame),
        };
        Ok(ServeConfig {
            max_frame_bytes: self.max_frame_bytes,
            group_idle: Duration::from_secs(self.group_idle_secs),
            ping_interval: Duration::from_secs(self.ping_interval_secs),
            max_messages_per_sec: self.max_messages_per_sec,
            join_timeout: Duration::from_secs(self.join_timeout_secs),
            http: HttpLimits {
                header_timeout: Duration::from_secs(self.header_timeout_secs),
                body_timeout: Duration::from_secs(self.body_timeout_secs),
                idle_timeout: Duration::from_secs(self.idle_timeout_secs),
                max_connections: self.max_connections,
                max_connections_per_address: self.max_connections_per_address,
                max_unproven_connections: self.max_unproven_connections,
            },
            max_connections_per_device: self.max_connections_per_device,
            public_url: self.public_url.clone(),
            tls: self.tls_files(),
            trusted_proxies: TrustedProxies::new(self.trusted_proxies.clone()),
            limits: Limits {
                note_ops: self.max_note_ops,
                change_ops: self.max_change_ops,
                note_bytes,
                member_notes: self.max_notes_per_member,
                member_bytes: self.max_bytes_per_member,
                group_bytes: self.max_group_bytes,
            },
            ..ServeConfig::new(data_dir, self.listen)
        })
    }
}

impl ServeArgs {
    /// Both files, or neither (clap insists on the pair).
    fn tls_files(&self) -> Option<TlsFiles> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some(TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
            }),
            _ => None,
        }
    }
}

fn defaults() -> ServeConfig {
    let listen = DEFAULT_LISTEN.parse().expect("the default address parses");
    ServeConfig::new(PathBuf::new(), listen)
}

/// The admin commands.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create, list and rename groups.
    #[command(subcommand)]
    Group(GroupCommand),
    /// Create, list and revoke invite codes.
    #[command(subcommand)]
    Invite(InviteCommand),
    /// Appoint the relay's operators, who govern every group from their own Quaderno.
    #[command(subcommand)]
    Operator(OperatorCommand),
    /// Show who did what in a group (or, without --group, on the relay).
    Activity {
        /// The group whose log to show.
        #[arg(long)]
        group: Option<String>,
        /// Write the group's whole log as CSV instead (needs --group).
        #[arg(long, requires = "group", conflicts_with = "json")]
        csv: bool,
        /// How many entries to show, newest first.
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=1000))]
        limit: u32,
    },
    /// List a group's members, change their roles, remove them.
    #[command(subcommand)]
    Member(MemberCommand),
    /// List and revoke devices.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Erase a note from the relay and from every device of its group.
    #[command(subcommand)]
    Note(NoteCommand),
    /// Write a consistent copy of the relay's database (safe while serving).
    Backup {
        /// The file to write; must not exist yet.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

/// `group …`
#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Create a group and its index document.
    Create {
        /// The group's name in URLs and commands: 2-64 lowercase letters, digits, hyphens.
        #[arg(value_parser = parse_slug)]
        name: GroupSlug,
        /// The title people see (default: the name).
        #[arg(long)]
        title: Option<String>,
    },
    /// List the groups with their member and document counts.
    List,
    /// Show what each participant's notes hold of a group, against the relay's quotas
    /// (`serve --max-notes-per-member`, `--max-bytes-per-member`).
    Usage {
        /// The group's name.
        name: String,
    },
    /// Give a group a new title; its name (in addresses and commands) never changes.
    Rename {
        /// The group's name.
        name: String,
        /// The new title people see.
        #[arg(long)]
        title: String,
    },
}

/// `operator …`
#[derive(Debug, Subcommand)]
pub enum OperatorCommand {
    /// Print a one-time code that makes whoever joins with it an operator of this relay.
    ///
    /// The operator types it in their Quaderno (`quaderno join RELAY_URL CODE`, or the page's
    /// join dialog); from then on they create groups, appoint admins and invite further
    /// operators from the page ("Gestione dei gruppi").
    Add {
        /// Whom the code is for, as the activity log records it.
        #[arg(long)]
        name: String,
        /// How long the code stays valid: minutes, hours or days, e.g. 30m, 12h, 7d.
        #[arg(long, default_value = "7d", value_parser = parse_expiry)]
        expires: TimeDelta,
    },
    /// List the relay's operators.
    List,
}

/// `invite …`
#[derive(Debug, Subcommand)]
pub enum InviteCommand {
    /// Create an invite code for a group and a role; the code is printed once.
    Create {
        /// The group to join.
        #[arg(long)]
        group: String,
        /// The role the code gives.
        #[arg(long, value_parser = role_parser())]
        role: Role,
        /// How many people may use the code.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_INVITE_USES)))]
        uses: u32,
        /// How long the code stays valid: minutes, hours or days, e.g. 30m, 12h, 7d.
        #[arg(long, default_value = "7d", value_parser = parse_expiry)]
        expires: TimeDelta,
    },
    /// List a group's invites with the uses left and whether each still works.
    List {
        /// The group.
        #[arg(long)]
        group: String,
    },
    /// Revoke an invite: its code stops working at once.
    Revoke {
        /// The group.
        #[arg(long)]
        group: String,
        /// The invite's id (see `invite list`).
        id: i64,
    },
}

/// `member …`. A participant is named by the id `member list` shows, or by a name only one
/// participant has.
#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// List a group's members with their ids and roles.
    List {
        /// The group.
        #[arg(long)]
        group: String,
    },
    /// Change a member's role; their open connections follow within a second.
    SetRole {
        /// The group.
        #[arg(long)]
        group: String,
        /// The participant's id (see `member list`) or their exact name.
        participant: String,
        /// The new role.
        #[arg(value_parser = role_parser())]
        role: Role,
    },
    /// Remove a member from a group; their open connections to it close within a second.
    Remove {
        /// The group.
        #[arg(long)]
        group: String,
        /// The participant's id (see `member list`) or their exact name.
        participant: String,
    },
}

/// `device …`
#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// List devices, with their ids, peer ids and when they were last seen.
    List {
        /// Only this participant's devices: their id or exact name.
        #[arg(long)]
        participant: Option<String>,
    },
    /// Revoke a device: its token stops working and its connections close within a second.
    Revoke {
        /// The device's id (see `device list`).
        id: i64,
    },
}

/// `note …`
#[derive(Debug, Subcommand)]
pub enum NoteCommand {
    /// Erase a note: delete every stored trace of it from the relay, take it off its group's
    /// index, refuse it for ever after, and have every device of the group delete it too.
    ///
    /// The erasure is recorded (the note's id, who, when and the reason; never its content)
    /// and each device confirms it: a group admin sees the receipts in the page or with
    /// `quaderno erasures`. Do not write the erased content into the reason.
    #[command(visible_alias = "erase")]
    Purge {
        /// The group holding the note (found automatically when only one does).
        #[arg(long)]
        group: Option<String>,
        /// Why the note is erased, kept with the erasure and shown to the group's members,
        /// e.g. "nome di un minore scritto per errore".
        #[arg(long)]
        reason: String,
        /// The note's document id, e.g. 3uQUjbaDfGKoHMh8XGHx7c9jNxyU or automerge:3uQU….
        doc_id: DocumentId,
    },
    /// List the erasures: who erased what and why, which devices have not confirmed deleting
    /// the note, and the backups made before each (they still hold it).
    Erasures {
        /// Only this group's.
        #[arg(long)]
        group: Option<String>,
    },
    /// List the notes members' devices cannot read (set aside there, the rest syncs): each
    /// with why, how many devices reported it, its size on the relay and who wrote it. Fix the
    /// note or erase it (`note purge`).
    Unreadable {
        /// The group.
        #[arg(long)]
        group: String,
    },
}

fn parse_public_url(text: &str) -> Result<String, String> {
    let text = text.trim().trim_end_matches('/');
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .ok_or_else(|| format!("`{text}` must start with https:// (or http://)"))?;
    if rest.is_empty() || rest.contains(char::is_whitespace) {
        return Err(format!("`{text}` is not an address"));
    }
    Ok(text.to_owned())
}

fn parse_cidr(text: &str) -> Result<Cidr, String> {
    text.parse()
}

fn parse_slug(text: &str) -> Result<GroupSlug, String> {
    GroupSlug::parse(text).map_err(|e| e.to_string())
}

fn role_parser() -> impl TypedValueParser<Value = Role> {
    PossibleValuesParser::new(["reader", "editor", "admin"]).map(|role| {
        role.parse::<Role>()
            .expect("only the three roles are possible")
    })
}

/// Reads an expiry such as `30m`, `12h` or `7d` (at most 365 days).
pub fn parse_expiry(text: &str) -> Result<TimeDelta, String> {
    let usage =
        || format!("`{text}` is not a duration: use minutes, hours or days, e.g. 30m, 12h, 7d");
    let unit = text.chars().last().ok_or_else(usage)?;
    let number = &text[..text.len() - unit.len_utf8()];
    let n: i64 = number.parse().map_err(|_| usage())?;
    let delta = match unit {
        'm' => TimeDelta::try_minutes(n),
        'h' => TimeDelta::try_hours(n),
        'd' => TimeDelta::try_days(n),
        _ => None,
    }
    .ok_or_else(usage)?;
    if delta <= TimeDelta::zero() || delta > TimeDelta::days(MAX_EXPIRY_DAYS) {
        return Err(format!(
            "`{text}` is out of range: an invite lasts between 1m and 365d"
        ));
    }
    Ok(delta)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn expiries_read_minutes_hours_and_days() {
        assert_eq!(parse_expiry("30m"), Ok(TimeDelta::minutes(30)));
        assert_eq!(parse_expiry("12h"), Ok(TimeDelta::hours(12)));
        assert_eq!(parse_expiry("7d"), Ok(TimeDelta::days(7)));
    }

    #[test]
    fn expiries_refuse_other_units_and_absurd_lengths() {
        for bad in ["", "d", "7", "7w", "-1d", "0m", "366d", "1.5h", "७d", "7७"] {
            assert!(parse_expiry(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_default_http_limits_are_sane() {
        let http = defaults().http;
        // Time enough for any honest client, too little to hold sockets for long.
        assert!((Duration::from_secs(5)..=Duration::from_secs(30)).contains(&http.header_timeout));
        assert!((http.header_timeout..=Duration::from_secs(120)).contains(&http.body_timeout));
        // Longer than a `quaderno` client keeps an idle connection (reqwest's 90 s), so the
        // client is the one that closes it, never both at once.
        assert!(http.idle_timeout > Duration::from_secs(90));
        assert!(http.idle_timeout <= Duration::from_secs(300));
        // Unproven connections are a fraction of the total, so proven ones always have room.
        assert!(http.max_unproven_connections < http.max_connections / 4);
        assert!(http.max_connections_per_address <= http.max_connections);
        assert!((8..=1_000).contains(&defaults().max_connections_per_device));
    }

    #[test]
    fn http_limits_are_read_from_their_flags() {
        let cli = Cli::try_parse_from([
            "quaderno-server",
            "--data-dir",
            "/tmp/q",
            "serve",
            "--header-timeout-secs",
            "3",
            "--max-unproven-connections",
            "7",
        ])
        .unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("expected serve")
        };
        let config = args.to_config("/tmp/q".into()).unwrap();
        assert_eq!(config.http.header_timeout, Duration::from_secs(3));
        assert_eq!(config.http.max_unproven_connections, 7);
    }

    #[test]
    fn serve_defaults_are_the_relay_defaults() {
        let cli =
            Cli::try_parse_from(["quaderno-server", "--data-dir", "/tmp/q", "serve"]).unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("expected serve")
        };
        let config = args.to_config("/tmp/q".into()).unwrap();
        let expected = defaults();
        assert_eq!(config.max_frame_bytes, expected.max_frame_bytes);
        assert_eq!(config.limits, expected.limits);
        assert!(config.limits.note_bytes <= config.max_frame_bytes as u64);
        assert_eq!(config.group_idle, expected.group_idle);
        assert_eq!(config.http, expected.http);
        assert_eq!(
            config.max_connections_per_device,
            expected.max_connections_per_device
        );
        assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
    }

    fn serve_args(flags: &[&str]) -> Result<ServeArgs, clap::Error> {
        let mut argv = vec!["quaderno-server", "--data-dir", "/tmp/q", "serve"];
        argv.extend_from_slice(flags);
        let cli = Cli::try_parse_from(argv)?;
        let Command::Serve(args) = cli.command else {
            panic!("expected serve")
        };
        Ok(args)
    }

    #[test]
    fn tls_takes_a_certificate_and_its_key_together() {
        let args = serve_args(&[
            "--tls-cert",
            "/etc/q/cert.pem",
            "--tls-key",
            "/etc/q/key.pem",
        ]);
        let config = args.unwrap().to_config("/tmp/q".into()).unwrap();
        assert_eq!(
            config.tls,
            Some(TlsFiles {
                cert: "/etc/q/cert.pem".into(),
                key: "/etc/q/key.pem".into()
            })
        );
        for alone in [
            ["--tls-cert", "/etc/q/cert.pem"],
            ["--tls-key", "/etc/q/key.pem"],
        ] {
            let error = serve_args(&alone).unwrap_err();
            assert_eq!(
                error.kind(),
                clap::error::ErrorKind::MissingRequiredArgument
            );
        }
        let plain = serve_args(&[]).unwrap().to_config("/tmp/q".into()).unwrap();
        assert_eq!(plain.tls, None);
    }

    #[test]
    fn trusted_proxies_are_listed_with_commas_or_one_by_one() {
        let args = serve_args(&[
            "--trusted-proxy",
            "127.0.0.1,10.0.0.0/8",
            "--trusted-proxy",
            "fd00::/8",
        ]);
        let config = args.unwrap().to_config("/tmp/q".into()).unwrap();
        let proxies = config.trusted_proxies;
        for trusted in ["127.0.0.1", "10.9.8.7", "fd00::1"] {
            assert!(proxies.contains(trusted.parse().unwrap()), "{trusted}");
        }
        assert!(!proxies.contains("192.0.2.1".parse().unwrap()));
        let error = serve_args(&["--trusted-proxy", "10.0.0.0/40"]).unwrap_err();
        assert!(error.to_string().contains("at most /32"), "{error}");
    }

    #[test]
    fn a_note_limit_larger_than_a_frame_is_refused_at_start() {
        let cli = Cli::try_parse_from([
            "quaderno-server",
            "--data-dir",
            "/tmp/q",
            "serve",
            "--max-frame-bytes",
            "1048576",
            "--max-note-bytes",
            "2097152",
        ])
        .unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("expected serve")
        };
        let error = args.to_config("/tmp/q".into()).unwrap_err().to_string();
        assert!(error.contains("--max-note-bytes"), "{error}");
    }
}
