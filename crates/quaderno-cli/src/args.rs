//! The command line as clap parses it: shapes and values checked, nothing opened yet.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{ArgGroup, Args, Parser, Subcommand};

pub use crate::ui::print::Lang;

const AFTER_HELP: &str = "\
Examples:
  quaderno init --name Anna --city Palermo
  quaderno new --title \"Terzo incontro\" --date 2025-03-12 --place Palermo --tag verbale
  echo \"Presenti: 12\" | quaderno new --title \"Appunti\" --body -
  quaderno list --tag verbale --since 2025-01-01
  quaderno search servizi territorio
  quaderno show \"Terzo incontro\"
  quaderno edit 3uQU
  quaderno export --all --out ~/verbali

NOTE is a note's id, the first 4 or more characters of it, or its exact title.
Notes are kept in one file in the data folder; everything works offline.

Environment:
  QUADERNO_DIR      the data folder (as --data-dir)
  QUADERNO_CA_FILE  a PEM file of certificate authorities to trust for relays besides the
                    usual ones, e.g. a coordinating body's own
  QUADERNO_LOG      what to log on stderr: warn (default), info, debug";

/// Quaderno: shared notebooks for communities of practice, on your own computer.
#[derive(Debug, Parser)]
#[command(name = "quaderno", version, after_help = AFTER_HELP)]
pub struct Cli {
    /// Folder holding your notes [default: your data folder, e.g. ~/.local/share/quaderno].
    #[arg(long, global = true, env = "QUADERNO_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Print machine-readable JSON instead of text (see JSON.md in the quaderno-cli crate).
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Say who you are: your name and city sign every change you make.
    #[command(after_help = "Example:\n  quaderno init --name Anna --city Palermo")]
    Init {
        #[arg(long)]
        name: String,
        #[arg(long)]
        city: String,
    },

    /// Write a new note. Without --body, opens $EDITOR. Prints the note's id.
    #[command(after_help = "Examples:
  quaderno new --title \"Terzo incontro\" --date 2025-03-12 --place Palermo --participant Anna
  quaderno new --title \"Idea\" --body \"Chiedere al comune i dati 2024\"
  cat verbale.txt | quaderno new --title \"Verbale\" --body -")]
    New(NewArgs),

    /// Edit a note as Markdown in $EDITOR; only what you change is saved.
    #[command(after_help = "Example:\n  EDITOR=nano quaderno edit \"Terzo incontro\"")]
    Edit { note: String },

    /// Show a note, now or as it was at a change or time.
    #[command(after_help = "Examples:
  quaderno show \"Terzo incontro\"
  quaderno show 3uQU --at 2025-03-12
  quaderno show 3uQU --at \"2025-03-12 15:30\"
  quaderno show 3uQU --at 8f2c41d0      (a change hash from `quaderno log`)")]
    Show {
        note: String,
        /// A change hash prefix from `quaderno log`, a date (end of that day) or a date and time.
        #[arg(long, value_name = "CHANGE|DATETIME")]
        at: Option<String>,
    },

    /// List notes, most recent first (by meeting date, else creation date).
    #[command(after_help = "Examples:
  quaderno list
  quaderno list --tag verbale --since 2025-01-01
  quaderno list --place Palermo --deleted")]
    List(ListArgs),

    /// Search the title, text and tags of every note; all words must match.
    #[command(after_help = "Examples:
  quaderno search servizi territorio
  quaderno search integr*       (words starting with \"integr\")
Accents and case do not matter: citta finds città.")]
    Search {
        #[arg(required = true, num_args = 1.., value_name = "WORDS")]
        query: Vec<String>,
        /// Show at most this many notes.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },

    /// Add (+tag) and remove (-tag) tags.
    #[command(after_help = "Example:\n  quaderno tag \"Terzo incontro\" +minori +approvato -bozza")]
    Tag {
        note: String,
        #[arg(required = true, allow_hyphen_values = true, value_name = "+TAG|-TAG")]
        changes: Vec<String>,
    },

    /// Show a note's history: who changed it, when, and what.
    Log { note: String },

    /// Move a note to the bin (it can be restored).
    Rm { note: String },

    /// Bring a note back from the bin, or a whole notebook from a backup (--backup FILE).
    #[command(after_help = "Examples:
  quaderno restore \"Terzo incontro\"            # from the bin
  quaderno restore --backup quaderno-backup.sqlite3   # on a new computer

A backup is restored into a data folder with no notes and no relay yet (a new computer, or a
new --data-dir). It brings back every note with its history, and joins no group: this
computer becomes one more device of yours with a code from `quaderno device link` on the old
one (`quaderno join --link CODE RELAY_URL`), or with an invite.")]
    #[command(group(ArgGroup::new("what").required(true).args(["note", "backup"])))]
    Restore {
        /// The note to bring back from the bin.
        note: Option<String>,
        /// A file written by `quaderno backup --out`.
        #[arg(long, value_name = "FILE")]
        backup: Option<PathBuf>,
    },

    /// Write your whole notebook, with every note's history, into one file for a new computer.
    #[command(after_help = "Example:
  quaderno backup --out /media/chiavetta/quaderno-backup.sqlite3

The file holds every note (the bin's and the groups' too) with its history, your name and
city; never your device's access to a relay, so a lost file cannot sync as you. Keep it as
you would the notes: it is readable by you only. On the new computer:
  quaderno restore --backup FILE, then quaderno join --link CODE RELAY_URL.
Markdown (`quaderno export`) is for reading elsewhere: it does not keep the history.")]
    Backup {
        /// The file to write; must not exist yet.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },

    /// Write notes as files into a folder: Markdown, or HTML pages to print.
    #[command(after_help = "Examples:
  quaderno export \"Terzo incontro\" --out ./verbali
  quaderno export --group personal --out ./verbali
  quaderno export --all --out ./backup
  quaderno export \"Terzo incontro\" --format html --out ./stampa

An HTML file holds the title, the meeting, the tags and the text with its tasks, and nothing
else: open it in a browser and print it, or save it as PDF for a report.")]
    Export(ExportArgs),

    /// Read Markdown files (or folders of them) into your notebook.
    #[command(
        after_help = "A file whose id names a note you have updates that note; any other file
becomes a new note of your personal notebook (or of --group). Every file is checked before
anything is saved.

Examples:\n  quaderno import ./verbali notes/idea.md\n  quaderno import ./verbali --group palermo"
    )]
    Import {
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Put new notes in this joined group instead of the personal notebook.
        #[arg(long, value_name = "GROUP")]
        group: Option<String>,
        /// Let files change the notes of a group they name by id (otherwise those are skipped;
        /// notes of the personal notebook are always updated). No file moves a note to the bin.
        #[arg(long)]
        update: bool,
    },

    /// Join a group on a relay with an invite code, or link this computer to your account.
    #[command(after_help = "Examples:
  quaderno join https://quaderno.example.org 7K2M-QX9D-4HNP-RT3V
  quaderno join 127.0.0.1:7878 7K2M-QX9D-4HNP-RT3V --device \"portatile ufficio\"
  quaderno join --link 4HNP-RT3V-7K2M-QX9D https://quaderno.example.org --device \"PC ufficio\"

Joining a second group on the same relay uses this computer's existing registration.
Run `quaderno init` first: your name and city are what the group sees.

Another computer of yours: on one that is already in, run `quaderno device link`, then type
here the command it prints (`quaderno join --link CODE RELAY_URL`) within 10 minutes. This
computer becomes one more device of yours, in all of your groups with the same roles, signing
with your name and city: no `quaderno init` needed.

An operator code (from `quaderno-server operator add`) is joined like an invite: this computer
then governs the relay from the page (`quaderno ui`, \"Gestione dei gruppi\").

A plain automerge-repo relay (for example the JavaScript sync server) has no invites: give
its ws:// URL, a name for the group and the id of the group's index document instead:
  quaderno join ws://127.0.0.1:3030 --group laboratorio --index 3uQUjbaDfGKoHMh8XGHx7c9jNxyU")]
    #[command(group(clap::ArgGroup::new("plain").args(["group", "index"]).multiple(true)))]
    Join {
        /// The relay's address, e.g. https://quaderno.example.org
        relay: String,
        /// The invite code, e.g. 7K2M-QX9D-4HNP-RT3V (case and dashes do not matter).
        #[arg(required_unless_present_any = ["index", "link"], conflicts_with = "plain")]
        code: Option<String>,
        /// A one-time code from `quaderno device link` on another computer of yours.
        #[arg(long, value_name = "CODE", conflicts_with_all = ["code", "plain"])]
        link: Option<String>,
        /// A name for this computer in the group's device list [default: its host name].
        #[arg(long, value_name = "NAME")]
        device: Option<String>,
        /// Plain relay only: the name the group gets on this machine.
        #[arg(long, value_name = "NAME", requires = "index")]
        group: Option<String>,
        /// Plain relay only: the id (or automerge: URL) of the group's index document.
        #[arg(long, value_name = "DOC_ID", requires = "group")]
        index: Option<quaderno_model::DocumentId>,
    },

    /// Your other computers: link one to your account, in all of your groups.
    #[command(subcommand)]
    Device(DeviceCommand),

    /// Exchange changes with the relays of every joined group, once or (--watch) continuously.
    #[command(after_help = "Examples:
  quaderno sync              # once: pull and push, then stop
  quaderno sync --watch      # stay connected, reconnect by itself; Ctrl-C to stop

Exit codes: 0 synced, 3 a relay could not be reached (nothing local is changed),
2 a relay refused this computer (ask for a new invite) or its edits (you are a reader in
that group: they are kept as personal copies, tagged copia-personale, and the group's notes
here are as the relay holds them), 1 anything else. A refusal is never waited out: the sync
ends within seconds and says \"refused\", never \"offline\".

With --watch, each connection is checked with a ping every 15 seconds and opened again after
45 seconds without a sign of life; QUADERNO_KEEPALIVE_SECS sets the 15.

One process at a time holds this computer's connections to the relays. While the page
(`quaderno ui`) is open, it syncs: `quaderno sync` asks it and reports what it says, and a
`quaderno sync --watch` waits until the page closes, then syncs again.")]
    Sync {
        /// Stay connected: apply incoming changes as they come and push local ones at once.
        #[arg(long)]
        watch: bool,
    },

    /// Show the joined groups, their relays, and what is waiting to be synced.
    #[command(
        after_help = "Example:\n  quaderno status\n  quaderno status --offline    # without asking the relays"
    )]
    Status {
        /// Do not contact the relays (their state shows as \"not checked\").
        #[arg(long)]
        offline: bool,
    },

    /// Serve the page here, in this terminal, until Ctrl-C: groups, notes, live co-editing.
    #[command(after_help = "Examples:
  quaderno ui                  # opens the browser at http://127.0.0.1:7879/?key=...
  quaderno ui --no-open        # only prints the address (what the background service runs)
  quaderno ui --port 0         # any free port

The page answers only on this computer, and only to a browser that was given the address
printed on the first line: it holds a key, kept in the data folder (page.key), which the
browser keeps in a cookie. Every joined group stays in sync while it runs. Ctrl-C stops it.
To use Quaderno without a terminal, see `quaderno open` and `quaderno service`.")]
    Ui(UiArgs),

    /// Open Quaderno in your web browser, starting it in the background if it is not running.
    #[command(after_help = "Example:
  quaderno open

What the desktop's \"Quaderno\" icon runs. The page is always at http://127.0.0.1:7879/ (or
QUADERNO_UI_PORT); the browser is given its key in a file only you can read. If the
background service (`quaderno service install`) or a `quaderno ui` runs, the page is theirs;
otherwise `quaderno ui --no-open` is started in the background, logging to page.log in the
data folder, and keeps running after the browser is closed.")]
    Open,

    /// Keep your groups in sync in the background, from login to logout, and the page ready.
    #[command(subcommand)]
    Service(ServiceCommand),

    /// Erase a note of a group for everyone, from the relay and every device (group admins).
    #[command(after_help = "Example:
  quaderno erase \"Verbale 12 marzo\" --reason \"nome di un minore scritto per errore\"

Unlike `rm` (the bin, which can be undone), an erasure cannot be undone: the relay deletes the
note and refuses it for ever after, and every device of the group deletes it at its next sync,
edits not yet sent included. The relay keeps a record of the erasure (the note's id, who, when,
the reason; never its content) and which devices confirmed it: see `quaderno erasures`. Do not
write the erased content into the reason.")]
    Erase {
        note: String,
        /// Why the note is erased; kept with the erasure and shown to the group's members.
        #[arg(long)]
        reason: String,
    },

    /// Erase a passage (a name written by mistake) from a note and its whole history (admins).
    #[command(after_help = "Example:
  quaderno redact \"Verbale 12 marzo\" --passage \"Mario Rossi\" --reason \"nome di un minore\"

Every occurrence of the passage, whatever its case, becomes \"[rimosso]\", in the note and in
every earlier version of it: the note goes on, for everyone, as a new document whose history
starts today (\"history erased before ... by ...\"), and the old document, every change that
ever held the passage, is erased from the relay and from every device of the group. Edits a
device had not sent yet are carried over. The passage is stored nowhere; do not write it into
the reason.")]
    Redact {
        note: String,
        /// The text to take out, e.g. a person's name.
        #[arg(long)]
        passage: String,
        /// Why; kept with the erasure and shown to the group's members.
        #[arg(long)]
        reason: String,
    },

    /// List a group's erasures and which devices confirmed deleting each note (group admins).
    Erasures {
        /// The joined group (see `quaderno status`).
        #[arg(long, value_name = "GROUP")]
        group: String,
    },

    /// Move a note of your personal notebook into a joined group, to share it.
    #[command(
        name = "move",
        after_help = "Example:\n  quaderno move \"Terzo incontro\" --group palermo"
    )]
    Move {
        note: String,
        /// The joined group (see `quaderno status`).
        #[arg(long, value_name = "GROUP")]
        group: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// Start the background service now and at every login.
    #[command(after_help = "Example:
  quaderno service install

Where the desktop runs a systemd user session, this writes and enables the unit
~/.config/systemd/user/quaderno.service; elsewhere an autostart entry,
~/.config/autostart/quaderno.desktop. Either runs `quaderno ui --no-open` on this data folder:
every joined group stays in sync, edits made here reach the relay even with no page open, and
`quaderno open`, `quaderno sync` and the page go through it.")]
    Install {
        /// The port on 127.0.0.1 the page is served on.
        #[arg(long, env = "QUADERNO_UI_PORT", default_value_t = 7879)]
        port: u16,
    },
    /// Stop the background service and remove it from login; nothing of your notes is touched.
    Uninstall,
    /// Say whether the background service is installed, running, and where the page is.
    Status,
}

#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// Print a one-time code that makes another computer one more device of yours.
    #[command(after_help = "Examples:
  quaderno device link
  quaderno device link --relay https://quaderno.example.org

Then, on the other computer (a new one needs no `quaderno init`), type what it prints:
  quaderno join --link 4HNP-RT3V-7K2M-QX9D https://quaderno.example.org

The code is valid for 10 minutes and works once. The other computer becomes one more device
of yours, in every group you are in, with your roles; the groups' admins see you once, with
both devices. Anyone holding the code can become you there: give it to nobody else.")]
    Link {
        /// The relay to link on, when this computer is registered on several.
        #[arg(long, value_name = "URL")]
        relay: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct NewArgs {
    #[arg(long)]
    pub title: Option<String>,
    /// The group the note belongs to [default: personal].
    #[arg(long)]
    pub group: Option<String>,
    /// A tag; repeat for several.
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// The meeting's date.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub date: Option<NaiveDate>,
    /// Where the meeting took place.
    #[arg(long)]
    pub place: Option<String>,
    /// Someone who took part; repeat for several.
    #[arg(long = "participant", value_name = "NAME")]
    pub participants: Vec<String>,
    /// The text of the note, or - to read it from standard input.
    #[arg(long, value_name = "TEXT|-")]
    pub body: Option<String>,
}

#[derive(Debug, Args)]
pub struct UiArgs {
    /// The port on 127.0.0.1 to serve the page on (0 picks a free one).
    #[arg(long, env = "QUADERNO_UI_PORT", default_value_t = 7879)]
    pub port: u16,
    /// Do not open the browser: only print the address.
    #[arg(long)]
    pub no_open: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long)]
    pub group: Option<String>,
    #[arg(long)]
    pub tag: Option<String>,
    /// Only notes from this day on (meeting date, else creation date).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub since: Option<NaiveDate>,
    /// Only notes whose place contains this text.
    #[arg(long)]
    pub place: Option<String>,
    /// Include notes in the bin.
    #[arg(long)]
    pub deleted: bool,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("selection").required(true).args(["note", "group", "all"])))]
pub struct ExportArgs {
    /// One note, even if it is in the bin.
    pub note: Option<String>,
    /// Every note of a group (not those in the bin).
    #[arg(long)]
    pub group: Option<String>,
    /// Every note (not those in the bin).
    #[arg(long)]
    pub all: bool,
    /// The folder to write into (created if needed).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// `markdown`: files `import` reads back; `html`: one self-contained page per note that
    /// prints well (or saves as PDF from a browser).
    #[arg(long, value_enum, default_value_t = ExportFormat::Markdown)]
    pub format: ExportFormat,
    /// The language of the words around the note in an HTML file (Data, Luogo, ...).
    #[arg(long, value_enum, default_value_t = Lang::It)]
    pub lang: Lang,
}

/// The files `export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Markdown,
    Html,
}

fn parse_date(input: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(input.trim(), "%Y-%m-%d")
        .map_err(|_| format!("`{input}` is not a date: write it as YYYY-MM-DD, e.g. 2025-03-12"))
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
    fn dates_must_be_real_dates() {
        assert!(parse_date("2025-03-12").is_ok());
        assert!(parse_date("2025-02-30").unwrap_err().contains("YYYY-MM-DD"));
    }

    #[test]
    fn tag_changes_may_start_with_a_dash() {
        let cli = Cli::try_parse_from(["quaderno", "tag", "Verbale", "+a", "-b"]).unwrap();
        let Command::Tag { changes, .. } = cli.command else {
            panic!()
        };
        assert_eq!(changes, ["+a", "-b"]);
    }

    #[test]
    fn join_takes_an_invite_or_a_link_code_never_both() {
        let parse = |args: &[&str]| {
            Cli::try_parse_from(["quaderno", "join"].iter().chain(args)).map(|cli| cli.command)
        };
        let Ok(Command::Join {
            relay, code, link, ..
        }) = parse(&["--link", "4HNP-RT3V", "https://quaderno.example.org"])
        else {
            panic!("join --link CODE RELAY_URL parses")
        };
        assert_eq!(
            (relay.as_str(), code, link.as_deref()),
            ("https://quaderno.example.org", None, Some("4HNP-RT3V"))
        );
        assert!(parse(&["https://quaderno.example.org"]).is_err());
        assert!(parse(&["--link", "A", "https://quaderno.example.org", "B"]).is_err());
        assert!(parse(&["--link", "A", "ws://x", "--group", "g", "--index", "i"]).is_err());
    }

    #[test]
    fn export_takes_exactly_one_selection() {
        assert!(Cli::try_parse_from(["quaderno", "export", "--all", "--out", "x"]).is_ok());
        assert!(Cli::try_parse_from(["quaderno", "export", "--out", "x"]).is_err());
        assert!(Cli::try_parse_from(["quaderno", "export", "n", "--all", "--out", "x"]).is_err());
    }
}
