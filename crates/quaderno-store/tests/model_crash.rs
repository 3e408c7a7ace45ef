//! A writer that dies at any moment leaves the store exactly as its last committed transaction
//! left it: nothing of a transaction that did not commit, nothing lost of one that did.
//!
//! The writer is a real process: this test binary run again with [`CHILD_ENV`] set, which
//! replays a random script of transactions (new documents, appended changes, compactions, index
//! rows, sync states, settings, deletions) and prints `committed N` after each commit. The parent
//! kills it with SIGKILL at a random moment, or the script has it close its connection, or exit,
//! in the middle of a transaction. The parent replays the same script into an in-memory model,
//! reopens the store and compares what it reads with the model after the last reported commit,
//! or after the next one (committed, killed before it could say so).

#[path = "model_crash/model.rs"]
mod model;
#[path = "model_crash/script.rs"]
mod script;

use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use quaderno_store::{Store, StoreError, settings};

use model::{Observed, differences, observe, write};
use script::{MidTransaction, Next, Plan, Rng, Script, TRANSACTIONS};

/// Set in the child process: the store file, seed and mid-transaction event, see [`Plan`].
const CHILD_ENV: &str = "QUADERNO_MODEL_CRASH_CHILD";
/// A seed to replay one round of a failed run.
const SEED_ENV: &str = "QUADERNO_MODEL_CRASH_SEED";
const CHILD_TEST: &str = "child_writes_its_script";
/// The exit code of a child that exits in the middle of a transaction on purpose.
const EXIT_MID_TRANSACTION: i32 = 3;

const ROUNDS: u64 = 16;
const ROUND_DEADLINE: Duration = Duration::from_secs(60);

/// The child's store. A small page cache makes big transactions spill pages into the
/// write-ahead log before they commit, so that a crash leaves uncommitted pages behind.
fn open_for_writing(path: &Path) -> Store {
    let store = Store::open(path).unwrap();
    store
        .conn()
        .execute_batch("PRAGMA cache_size = 16")
        .unwrap();
    store
}

/// The child: writes its script, saying after each commit how many transactions are committed.
#[test]
#[ignore = "run by a_writer_killed_at_any_moment_leaves_its_last_committed_state, as its child"]
fn child_writes_its_script() {
    let Ok(env) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (path, plan) = env.split_once('|').unwrap();
    let path = Path::new(path);
    let plan = Plan::from_env(plan);
    let mut script = Script::new(plan);
    let mut store = open_for_writing(path);
    let mut committed = 0;
    while let Some(next) = script.next() {
        match next {
            Next::Commit(ops) => {
                store.write(|tx| write(tx, &ops)).unwrap();
                committed += 1;
                println!("committed {committed}");
            }
            Next::Abandon(ops) if matches!(plan.event, MidTransaction::Exit(_)) => {
                store
                    .write(|tx| -> Result<(), StoreError> {
                        write(tx, &ops)?;
                        std::process::exit(EXIT_MID_TRANSACTION)
                    })
                    .unwrap();
            }
            Next::Abandon(ops) => {
                store.conn().execute_batch("BEGIN IMMEDIATE").unwrap();
                write(store.conn(), &ops).unwrap();
                drop(store);
                store = open_for_writing(path);
            }
        }
    }
}

/// How a round ended.
#[derive(Debug)]
struct Ending {
    /// The last `committed N` the child printed (0 for none).
    reported: usize,
    killed: bool,
    /// It exited in the middle of a transaction, as its plan said.
    exited_mid_transaction: bool,
}

/// Runs the child, kills it after it reports `kill_after` commits (and a random pause), and
/// collects everything it reported.
fn run_child(dir: &Path, plan: Plan, rng: &mut Rng) -> Result<Ending, String> {
    let stderr = std::fs::File::create(dir.join("child.stderr")).unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([CHILD_TEST, "--exact", "--ignored", "--nocapture"])
        .env(
            CHILD_ENV,
            format!("{}|{}", dir.join("store.sqlite3").display(), plan.to_env()),
        )
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines_tx, lines) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(n) = line.strip_prefix("committed ") {
                let _ = lines_tx.send(n.parse::<usize>().unwrap());
            }
        }
    });
    let kill_after = rng.below(TRANSACTIONS / 2);
    let pause = Duration::from_micros(rng.below(3000) as u64);
    let deadline = Instant::now() + ROUND_DEADLINE;
    let mut reported = 0;
    let mut killed = false;
    if kill_after == 0 {
        // Before it reports anything: while it creates the store, or in its first transaction.
        std::thread::sleep(pause);
        child.kill().unwrap();
        killed = true;
    }
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(n) => reported = n,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("the child wrote nothing for {ROUND_DEADLINE:?}"));
            }
        }
        if !killed && reported >= kill_after {
            std::thread::sleep(pause);
            child.kill().unwrap();
            killed = true;
        }
    }
    reader.join().unwrap();
    let status = child.wait().unwrap();
    let exited_mid_transaction = status.code() == Some(EXIT_MID_TRANSACTION);
    let expected_end = match (status.signal(), status.code()) {
        (Some(9), _) => killed,
        (_, Some(0)) => reported == committed_in_full(plan),
        (_, Some(EXIT_MID_TRANSACTION)) => matches!(plan.event, MidTransaction::Exit(_)),
        _ => false,
    };
    if !expected_end {
        let stderr = std::fs::read_to_string(dir.join("child.stderr")).unwrap_or_default();
        return Err(format!("the child ended with {status}:\n{stderr}"));
    }
    Ok(Ending {
        reported,
        killed: status.signal() == Some(9),
        exited_mid_transaction,
    })
}

/// How many transactions a script that runs to its end commits.
fn committed_in_full(plan: Plan) -> usize {
    match plan.event {
        MidTransaction::Nothing => TRANSACTIONS,
        _ => TRANSACTIONS - 1,
    }
}

/// The model after `n` committed transactions of the script, and after `n + 1` if there is one.
fn replay(plan: Plan, n: usize) -> (Observed, Option<Observed>) {
    let mut script = Script::new(plan);
    let mut committed = 0;
    while committed < n {
        match script
            .next()
            .expect("the child reported more commits than its script has")
        {
            Next::Commit(_) => committed += 1,
            Next::Abandon(_) => {}
        }
    }
    let at_n = script.model.observed();
    loop {
        match script.next() {
            Some(Next::Commit(_)) => return (at_n, Some(script.model.observed())),
            Some(Next::Abandon(_)) => {}
            None => return (at_n, None),
        }
    }
}

fn round(seed: u64) -> Result<Ending, String> {
    let dir = tempfile::tempdir().unwrap();
    let plan = Plan::from_seed(seed);
    let ending = run_child(dir.path(), plan, &mut Rng(seed ^ 0x6b11))?;

    let mut store = Store::open(&dir.path().join("store.sqlite3")).map_err(|e| e.to_string())?;
    let integrity: String = store
        .conn()
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    if integrity != "ok" {
        return Err(format!("integrity check: {integrity}"));
    }
    let found = observe(&store).map_err(|e| format!("reading the store back: {e}"))?;
    let (last, next) = replay(plan, ending.reported);
    // A child that exits mid-transaction has reported every commit it made.
    let next = next.filter(|_| !ending.exited_mid_transaction);
    if found != last && Some(&found) != next.as_ref() {
        return Err(format!(
            "after {ending:?} ({plan:?}) the store differs from the model after the last \
             reported commit:\n{}",
            differences(&found, &last)
        ));
    }

    // The store is still writable after the crash.
    store
        .write(|tx| settings::put(tx, "after", "crash"))
        .map_err(|e: StoreError| format!("writing after the crash: {e}"))?;
    Ok(ending)
}

fn base_seed() -> u64 {
    match std::env::var(SEED_ENV) {
        Ok(seed) => seed.parse().expect("QUADERNO_MODEL_CRASH_SEED is a number"),
        Err(_) => {
            use std::hash::{BuildHasher, RandomState};
            RandomState::new().hash_one(std::process::id())
        }
    }
}

#[test]
fn a_writer_killed_at_any_moment_leaves_its_last_committed_state() {
    let base = base_seed();
    let rounds = if std::env::var(SEED_ENV).is_ok() {
        1
    } else {
        ROUNDS
    };
    let mut killed = 0;
    for round_number in 0..rounds {
        let seed = base.wrapping_add(round_number);
        match round(seed) {
            Ok(ending) => killed += usize::from(ending.killed),
            Err(message) => {
                panic!("round with seed {seed} failed (replay with {SEED_ENV}={seed}):\n{message}")
            }
        }
    }
    println!("{killed} of {rounds} writers were killed while writing");
}
