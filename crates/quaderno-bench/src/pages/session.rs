//! One run: the group and its note set up with the real commands, the two pages, the typing,
//! and the figures.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Deserialize;
use tokio::sync::watch;

use super::page::{Counts, Page};
use super::processes::{Member, Relay, UiAddress};
use super::{CpuPerKeystroke, PagesConfig, PagesResult};
use crate::content;
use crate::procfs::Proc;
use crate::stats::Latency;

const GROUP: &str = "pagine";
/// What the typist types, over and over.
const TYPED: &str = " e la proposta del gruppo di lavoro sul territorio";
/// A page has settled once nothing comes for this long.
const QUIET: Duration = Duration::from_millis(300);

/// The run's folder, removed when dropped.
struct WorkDir(PathBuf);

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Sets up, types, measures, and stops every process it started.
pub fn run(config: &PagesConfig) -> anyhow::Result<PagesResult> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let dir = WorkDir(
        config
            .work_dir
            .join(format!("quaderno-pages-{}-{stamp}", std::process::id())),
    );
    std::fs::create_dir_all(&dir.0)
        .with_context(|| format!("cannot create {}", dir.0.display()))?;
    let relay = Relay::start(&config.server_bin, &dir.0.join("relay"))?;
    relay.admin(&["group", "create", GROUP])?;
    let member = |name: &str| Member {
        bin: config.quaderno_bin.clone(),
        data_dir: dir.0.join(name),
        limit: config.step,
    };
    let (a, b) = (member("anna"), member("bruno"));
    join(&relay, &a, ("Anna", "Trieste"))?;
    join(&relay, &b, ("Bruno", "Bologna"))?;
    let note = write_note(&a, &dir.0, config)?;
    a.run(&["sync"], "")?;
    b.run(&["sync"], "")?;
    let (ui_a, ui_b) = (a.ui()?, b.ui()?);
    let pids = Pids {
        writer: ui_a.pid(),
        reader: ui_b.pid(),
        relay: relay.pid(),
    };
    let total = config.warmup + config.keystrokes;
    let (arrived_tx, arrived_rx) = watch::channel(None);
    let watcher = on_thread({
        let (address, note, config) = (ui_b.address.clone(), note.clone(), config.clone());
        move || watch_pages(&address, &note, &config, pids, arrived_tx)
    });
    let limit = config.step * 3
        + config.interval * u32::try_from(total).unwrap_or(u32::MAX)
        + config.drain
        + Duration::from_secs(5);
    let typed = match &config.browser {
        None => {
            let typist = on_thread({
                let (address, note, config) = (ui_a.address.clone(), note.clone(), config.clone());
                move || type_in_page(&address, &note, &config, arrived_rx)
            });
            typist
                .recv_timeout(limit)
                .context("the typing page did not finish in time")??
        }
        Some(script) => type_in_browser(script, &ui_a.address, &note, config, limit)?,
    };
    let watched = watcher
        .recv_timeout(config.drain + Duration::from_secs(5))
        .context("the watching page did not finish in time")??;
    Ok(summarise(config, &typed, &watched))
}

/// Runs `work` on a thread of its own; its result comes on the channel.
fn on_thread<T: Send + 'static>(
    work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> std::sync::mpsc::Receiver<anyhow::Result<T>> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(work());
    });
    rx
}

fn join(relay: &Relay, member: &Member, (name, city): (&str, &str)) -> anyhow::Result<()> {
    member.run(&["init", "--name", name, "--city", city], "")?;
    let code = relay.invite(GROUP)?;
    member.run(&["join", &relay.url, &code, "--device", name], "")?;
    Ok(())
}

/// A's note of about `body_bytes` bytes of minutes, written in `sittings`: `quaderno new`,
/// then `quaderno edit`s that each append a part. Returns its id.
fn write_note(a: &Member, dir: &Path, config: &PagesConfig) -> anyhow::Result<String> {
    #[derive(Deserialize)]
    struct Created {
        id: String,
    }
    let text = content::minutes(config.body_bytes, config.seed);
    let parts = split(&text, config.sittings.max(1));
    let created = a.run(
        &[
            "--json",
            "new",
            "--group",
            GROUP,
            "--title",
            "Verbale dell'incontro di rete",
            "--body",
            "-",
        ],
        parts[0],
    )?;
    let created: Created =
        serde_json::from_str(&created).context("`quaderno new --json` printed no id")?;
    let part_file = dir.join("part.txt");
    for part in &parts[1..] {
        std::fs::write(&part_file, part)?;
        a.append(&created.id, &part_file)?;
    }
    Ok(created.id)
}

/// `text` cut into `n` parts of about the same size, at character boundaries.
fn split(text: &str, n: usize) -> Vec<&str> {
    let mut parts = Vec::with_capacity(n);
    let mut start = 0;
    for i in 1..=n {
        let mut end = (text.len() * i / n).max(start);
        while !text.is_char_boundary(end) {
            end += 1;
        }
        parts.push(&text[start..end]);
        start = end;
    }
    parts
}

/// The three processes whose CPU is counted.
#[derive(Debug, Clone, Copy)]
struct Pids {
    writer: u32,
    reader: u32,
    relay: u32,
}

/// CPU time of the three processes at one moment.
#[derive(Debug, Clone, Copy)]
struct CpuSample {
    at: Instant,
    writer: Duration,
    reader: Duration,
    relay: Duration,
}

impl CpuSample {
    fn take(pids: Pids) -> anyhow::Result<CpuSample> {
        Ok(CpuSample {
            at: Instant::now(),
            writer: Proc::Pid(pids.writer).cpu()?,
            reader: Proc::Pid(pids.reader).cpu()?,
            relay: Proc::Pid(pids.relay).cpu()?,
        })
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// What the typing page saw.
struct Typed {
    base_chars: usize,
    /// When each keystroke (warm-up included) was made in A's copy.
    typed_at: Vec<Instant>,
    /// When the first sync message after it went to A's process.
    sent_at: Vec<Option<Instant>>,
    /// In Chromium: each measured key's time to the screen, as the page measured it.
    in_page: Option<Vec<f64>>,
    text: String,
    counts: Counts,
    errors: Vec<String>,
}

/// What the watching page saw.
struct Watched {
    base_chars: usize,
    /// When the text of each keystroke was first in B's copy.
    arrived_at: Vec<Instant>,
    /// When the warm-up had all arrived.
    start: Option<CpuSample>,
    /// When every keystroke had.
    end: Option<CpuSample>,
    text: String,
    counts: Counts,
    errors: Vec<String>,
}

/// A's page: opens the note, waits for B's page, types the warm-up and waits for it on B,
/// then types the measured keystrokes at the pace asked, answering the process all along.
fn type_in_page(
    address: &UiAddress,
    note: &str,
    config: &PagesConfig,
    mut arrived: watch::Receiver<Option<usize>>,
) -> anyhow::Result<Typed> {
    runtime()?.block_on(async {
        let mut page = Page::connect(address, ("Anna", "Trieste")).await?;
        page.open(note, config.step).await?;
        page.settle(QUIET, config.step).await?;
        let base_chars = page.body_len();
        let total = config.warmup + config.keystrokes;
        let mut typist = Typist {
            page,
            typed_at: Vec::with_capacity(total),
            sent_at: Vec::with_capacity(total),
            keys: TYPED.chars().cycle(),
        };
        typist
            .answer_until(config.step, &mut arrived, |n| n.is_some())
            .await
            .context("B's page did not open the note")?;
        let mut ticker = tokio::time::interval(config.interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let warmup_done = |n: Option<usize>| n.is_some_and(|n| n >= config.warmup);
        for _ in 0..config.warmup {
            typist.type_at(&mut ticker).await?;
        }
        typist
            .answer_until(config.step, &mut arrived, warmup_done)
            .await
            .context("the warm-up keystrokes did not reach B's page")?;
        ticker.reset();
        for _ in 0..config.keystrokes {
            typist.type_at(&mut ticker).await?;
        }
        let all_done = |n: Option<usize>| n.is_some_and(|n| n >= total);
        // Keystrokes missing on B are reported by the watcher; here the page only keeps
        // answering until they are all there or the drain is over.
        let _ = typist
            .answer_until(config.drain, &mut arrived, all_done)
            .await;
        Ok(Typed {
            base_chars,
            typed_at: typist.typed_at,
            sent_at: typist.sent_at,
            in_page: None,
            text: typist.page.body_text(),
            counts: typist.page.counts,
            errors: typist.page.errors,
        })
    })
}

/// What the browser typist prints.
#[derive(Deserialize)]
struct BrowserRun {
    #[serde(default)]
    samples_ms: Vec<f64>,
    #[serde(default)]
    body_chars: usize,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    errors: Vec<String>,
}

/// A's page in real Chromium (`node SCRIPT`): it types warm-up and measured keys at the same
/// pace and measures each key's time to the screen in the page.
fn type_in_browser(
    script: &Path,
    address: &UiAddress,
    note: &str,
    config: &PagesConfig,
    limit: Duration,
) -> anyhow::Result<Typed> {
    let mut command = std::process::Command::new("node");
    command.arg(script).args([
        address.url.clone(),
        note.to_owned(),
        config.keystrokes.to_string(),
        config.interval.as_millis().to_string(),
        config.warmup.to_string(),
    ]);
    let out = super::processes::output(command, "the browser typist", "", limit)?;
    let run: BrowserRun = serde_json::from_str(out.trim())
        .with_context(|| format!("the browser typist printed {out:?}"))?;
    if let Some(error) = run.error {
        bail!("the browser typist failed: {error}");
    }
    Ok(Typed {
        base_chars: run.body_chars,
        typed_at: Vec::new(),
        sent_at: Vec::new(),
        in_page: Some(run.samples_ms),
        text: String::new(),
        counts: Counts::default(),
        errors: run.errors,
    })
}

/// The typing page and what it noted.
struct Typist<K> {
    page: Page,
    typed_at: Vec<Instant>,
    sent_at: Vec<Option<Instant>>,
    keys: K,
}

impl<K: Iterator<Item = char>> Typist<K> {
    /// Answers the process until `ticker` ticks, then types one keystroke and sends it.
    async fn type_at(&mut self, ticker: &mut tokio::time::Interval) -> anyhow::Result<()> {
        loop {
            tokio::select! {
                _ = ticker.tick() => break,
                message = self.page.next_message() => {
                    let sent = self.page.counts.sync_sent;
                    self.page.take(message?).await?;
                    self.note_sent(sent);
                }
            }
        }
        let key = self.keys.next().unwrap_or(' ');
        self.page.type_char(key)?;
        self.typed_at.push(Instant::now());
        self.sent_at.push(None);
        let sent = self.page.counts.sync_sent;
        self.page.flush().await?;
        self.note_sent(sent);
        Ok(())
    }

    /// Keystrokes not sent before are in the first message sent after them.
    fn note_sent(&mut self, sent_before: u64) {
        if self.page.counts.sync_sent == sent_before {
            return;
        }
        let now = Instant::now();
        for at in self.sent_at.iter_mut().rev() {
            if at.is_some() {
                break;
            }
            *at = Some(now);
        }
    }

    /// Answers the process until what B's page says satisfies `done`, within `limit`.
    async fn answer_until(
        &mut self,
        limit: Duration,
        arrived: &mut watch::Receiver<Option<usize>>,
        done: impl Fn(Option<usize>) -> bool,
    ) -> anyhow::Result<()> {
        tokio::time::timeout(limit, async {
            while !done(*arrived.borrow_and_update()) {
                tokio::select! {
                    changed = arrived.changed() => {
                        if changed.is_err() {
                            bail!("B's page stopped");
                        }
                    }
                    message = self.page.next_message() => {
                        let sent = self.page.counts.sync_sent;
                        self.page.take(message?).await?;
                        self.note_sent(sent);
                    }
                }
            }
            Ok(())
        })
        .await
        .with_context(|| format!("waited {limit:?}"))?
    }
}

/// B's page: opens the note and notes when each keystroke's text is in its copy.
fn watch_pages(
    address: &UiAddress,
    note: &str,
    config: &PagesConfig,
    pids: Pids,
    arrived: watch::Sender<Option<usize>>,
) -> anyhow::Result<Watched> {
    runtime()?.block_on(async {
        let mut page = Page::connect(address, ("Bruno", "Bologna")).await?;
        page.open(note, config.step).await?;
        page.settle(QUIET, config.step).await?;
        let base_chars = page.body_len();
        let total = config.warmup + config.keystrokes;
        let mut arrived_at = Vec::with_capacity(total);
        let mut end = None;
        let mut start = None;
        if config.warmup == 0 {
            start = Some(CpuSample::take(pids)?);
        }
        arrived.send_replace(Some(0));
        // The typist waits at most `step` for the warm-up, then types for `keystrokes`
        // intervals: nothing coming for that long means it is over.
        let silence = config.step.max(config.drain);
        while arrived_at.len() < total {
            let Ok(message) = tokio::time::timeout(silence, page.next_message()).await else {
                break;
            };
            page.take(message?).await?;
            let now = Instant::now();
            let seen = page.body_len().saturating_sub(base_chars).min(total);
            if seen > arrived_at.len() {
                if arrived_at.len() < config.warmup && seen >= config.warmup {
                    start = Some(CpuSample::take(pids)?);
                }
                arrived_at.resize(seen, now);
                if seen == total {
                    end = Some(CpuSample::take(pids)?);
                }
                arrived.send_replace(Some(seen));
            }
        }
        // Answer what is still on its way, as the page would, before leaving.
        let _ = page.settle(QUIET, Duration::from_secs(2)).await;
        Ok(Watched {
            base_chars,
            arrived_at,
            start,
            end,
            text: page.body_text(),
            counts: page.counts,
            errors: page.errors,
        })
    })
}

fn summarise(config: &PagesConfig, typed: &Typed, watched: &Watched) -> PagesResult {
    let mut problems = Vec::new();
    if typed.base_chars != watched.base_chars {
        problems.push(format!(
            "the pages opened different notes: {} and {} characters",
            typed.base_chars, watched.base_chars
        ));
    }
    let measured = config.warmup..config.warmup + config.keystrokes;
    let mut from_send = Vec::new();
    let mut from_key = Vec::new();
    for k in measured.clone() {
        let Some(arrived) = watched.arrived_at.get(k) else {
            break;
        };
        if let Some(Some(sent)) = typed.sent_at.get(k) {
            from_send.push(arrived.saturating_duration_since(*sent).as_micros() as u64);
        }
        if let Some(typed_at) = typed.typed_at.get(k) {
            from_key.push(arrived.saturating_duration_since(*typed_at).as_micros() as u64);
        }
    }
    let arrived = watched.arrived_at.len().saturating_sub(config.warmup);
    if arrived < config.keystrokes {
        problems.push(format!(
            "{} of {} keystrokes never reached B's page",
            config.keystrokes - arrived,
            config.keystrokes
        ));
    }
    if typed.in_page.is_none() && typed.text != watched.text {
        problems.push("the two pages' bodies differ at the end".to_owned());
    }
    for error in typed.errors.iter().chain(&watched.errors) {
        problems.push(format!("the process sent an error: {error}"));
    }
    let (window_secs, cpu) = match (watched.start, watched.end) {
        (Some(start), Some(end)) => cpu_per_keystroke(&start, &end, config.keystrokes),
        _ => (0.0, CpuPerKeystroke::default()),
    };
    let in_page = typed.in_page.as_ref().map(|ms| {
        let mut micros: Vec<u64> = ms.iter().map(|m| (m * 1000.0) as u64).collect();
        Latency::from_micros(&mut micros)
    });
    PagesResult {
        body_bytes: config.body_bytes,
        body_chars: typed.base_chars,
        sittings: config.sittings,
        keystrokes: config.keystrokes,
        arrived,
        typist: if typed.in_page.is_some() {
            "chromium"
        } else {
            "page socket"
        },
        in_page,
        latency: Latency::from_micros(&mut from_send),
        from_keystroke: Latency::from_micros(&mut from_key),
        window_secs,
        cpu_per_keystroke: cpu,
        writer_page: typed.counts,
        reader_page: watched.counts,
        problems,
    }
}

fn cpu_per_keystroke(
    start: &CpuSample,
    end: &CpuSample,
    keystrokes: usize,
) -> (f64, CpuPerKeystroke) {
    let per = |a: Duration, b: Duration| {
        b.saturating_sub(a).as_secs_f64() * 1000.0 / keystrokes.max(1) as f64
    };
    (
        end.at.saturating_duration_since(start.at).as_secs_f64(),
        CpuPerKeystroke {
            writer_ms: per(start.writer, end.writer),
            reader_ms: per(start.reader, end.reader),
            relay_ms: per(start.relay, end.relay),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_is_split_into_parts_that_join_back() {
        let text = "comunità e famiglie, comunità e servizi";

        for n in [1, 2, 3, 7] {
            let parts = split(text, n);
            assert_eq!(parts.len(), n);
            assert_eq!(parts.concat(), text);
        }
    }

    #[test]
    fn cpu_is_divided_by_the_keystrokes() {
        let at = Instant::now();
        let start = CpuSample {
            at,
            writer: Duration::from_millis(100),
            reader: Duration::from_millis(200),
            relay: Duration::ZERO,
        };
        let end = CpuSample {
            at: at + Duration::from_secs(10),
            writer: Duration::from_millis(300),
            reader: Duration::from_millis(600),
            relay: Duration::from_millis(100),
        };

        let (window, cpu) = cpu_per_keystroke(&start, &end, 100);

        assert!((window - 10.0).abs() < 1e-9);
        assert!((cpu.writer_ms - 2.0).abs() < 1e-9);
        assert!((cpu.reader_ms - 4.0).abs() < 1e-9);
        assert!((cpu.relay_ms - 1.0).abs() < 1e-9);
    }
}
