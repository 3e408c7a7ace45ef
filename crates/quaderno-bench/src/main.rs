//! `quaderno-bench`: a load generator for automerge-repo relays. See `--help`.

mod cli;

use std::future::Future;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use serde::Serialize;

use cli::{Cli, Command, PaceArgs, TargetArgs};
use quaderno_bench::live::{self, EditKind, LiveConfig, StartDoc};
use quaderno_bench::pages::{PagesConfig, PagesReport};
use quaderno_bench::plan::Plan;
use quaderno_bench::report::{Machine, Metrics, Report};
use quaderno_bench::target::{self, Target, Tokens};
use quaderno_bench::{compare, groups, idle, procfs, pull, reports, setup, sweep};

/// The run finished but something went wrong (see the report's problems).
const EXIT_PROBLEMS: u8 = 1;
/// The run could not start, or a flag is wrong.
const EXIT_ERROR: u8 = 2;
/// The run hit --timeout.
const EXIT_TIMEOUT: u8 = 3;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = if cli.threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(usize::from(cli.threads))
            .enable_all()
            .build()
    };
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    match runtime.block_on(dispatch(cli.command)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

async fn dispatch(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Setup(args) => setup(args).await,
        Command::Typing(args) => {
            let config = typing_config(&args)?;
            let summary = format!(
                "{} clients, {} documents, {} per client, {} edits each every {} ms (±{:.0} %)",
                args.clients,
                args.docs,
                args.per_client,
                args.edits,
                config.interval.as_millis(),
                config.jitter * 100.0
            );
            run_live("typing", &args.target, summary, config).await
        }
        Command::Meeting(args) => {
            let config = meeting_config(&args)?;
            let summary = format!(
                "{} typists and {} watchers in one note of {} bytes, {} keystrokes each every {} ms (±{:.0} %)",
                args.typists,
                args.watchers,
                args.body_bytes,
                args.edits,
                config.interval.as_millis(),
                config.jitter * 100.0
            );
            run_live("meeting", &args.target, summary, config).await
        }
        Command::Pull(cli::PullCommand::Prepare(args)) => pull_prepare(args).await,
        Command::Pull(cli::PullCommand::Fetch(args)) => pull_fetch(args).await,
        Command::Idle(args) => idle(args).await,
        Command::Groups(args) => groups(args).await,
        Command::Sweep(args) => sweep(args).await,
        Command::Compare(args) => compare(args),
        Command::Pages(args) => pages(args).await,
    }
}

fn target(args: &TargetArgs) -> anyhow::Result<Target> {
    let tokens = args.tokens.as_deref().map(Tokens::load).transpose()?;
    Target::new(&args.url, tokens, args.relay_pid)
}

/// Runs `scenario` within `--timeout`.
async fn bounded<T>(
    args: &TargetArgs,
    scenario: impl Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<Option<T>> {
    match tokio::time::timeout(Duration::from_secs(args.timeout), scenario).await {
        Ok(result) => result.map(Some),
        Err(_) => {
            eprintln!(
                "error: the run did not finish within --timeout {} s and was stopped",
                args.timeout
            );
            Ok(None)
        }
    }
}

fn live_config(
    pace: &PaceArgs,
    plan: Plan,
    edits: usize,
    default_ms: u64,
) -> anyhow::Result<LiveConfig> {
    if !(0.0..1.0).contains(&pace.jitter) {
        anyhow::bail!("--jitter must be at least 0 and below 1, e.g. 0.5 for ±50 %");
    }
    let interval_ms = pace.interval_ms.unwrap_or(default_ms);
    if interval_ms == 0 {
        anyhow::bail!("--interval-ms must be at least 1");
    }
    Ok(LiveConfig {
        plan,
        edits,
        interval: Duration::from_millis(interval_ms),
        jitter: pace.jitter,
        edit: EditKind::Count,
        start: StartDoc::SmallMap,
        group: pace.group.clone(),
        setup_timeout: Duration::from_secs(pace.setup_secs),
        drain_timeout: Duration::from_secs(pace.drain_secs),
        connect_parallel: pace.connect_parallel,
        seed: pace.seed,
    })
}

fn typing_config(args: &cli::TypingArgs) -> anyhow::Result<LiveConfig> {
    let plan = Plan::typing(args.clients, args.docs, args.per_client)?;
    live_config(&args.pace, plan, args.edits, 100)
}

fn meeting_config(args: &cli::MeetingArgs) -> anyhow::Result<LiveConfig> {
    let plan = Plan::meeting(args.typists, args.watchers)?;
    Ok(LiveConfig {
        edit: EditKind::Keystroke,
        start: StartDoc::Note {
            bytes: args.body_bytes,
            changes: 50,
        },
        ..live_config(&args.pace, plan, args.edits, 200)?
    })
}

async fn run_live(
    scenario: &str,
    args: &TargetArgs,
    summary: String,
    config: LiveConfig,
) -> anyhow::Result<ExitCode> {
    let target = target(args)?;
    let mut params = serde_json::to_value(&config)?;
    params["clients"] = config.plan.clients.into();
    params["docs"] = config.plan.docs.len().into();
    let begun = Begun::now();
    let Some(result) = bounded(args, live::run(&target, config)).await? else {
        return Ok(ExitCode::from(EXIT_TIMEOUT));
    };
    let metrics = reports::live(&result);
    let problems = result.problems.clone();
    let report = begun.report(
        scenario, summary, &target, params, metrics, &result, problems,
    );
    finish(&report, args)
}

/// What is known before a run starts.
struct Begun {
    machine: Machine,
    started_at: String,
}

impl Begun {
    fn now() -> Begun {
        Begun {
            machine: Machine::before(),
            started_at: chrono::Utc::now().to_rfc3339(),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn report(
        self,
        scenario: &str,
        summary: String,
        target: &Target,
        params: serde_json::Value,
        metrics: Metrics,
        details: &impl Serialize,
        problems: Vec<String>,
    ) -> Report {
        let mut machine = self.machine;
        machine.loadavg_after = procfs::loadavg();
        Report {
            scenario: scenario.to_string(),
            summary,
            target: target.info(),
            params,
            started_at: self.started_at,
            machine,
            metrics: metrics.0,
            details: serde_json::to_value(details).unwrap_or_default(),
            problems,
        }
    }
}

/// JSON on stdout (and --out), the table on stderr; the exit code says whether all went well.
fn finish(report: &Report, args: &TargetArgs) -> anyhow::Result<ExitCode> {
    let json = serde_json::to_string_pretty(report)?;
    if let Some(out) = &args.out {
        if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(out, &json).with_context(|| format!("cannot write {}", out.display()))?;
    }
    println!("{json}");
    eprint!("{}", report.table());
    Ok(if report.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PROBLEMS)
    })
}

async fn setup(args: cli::SetupArgs) -> anyhow::Result<ExitCode> {
    target::websocket_url(&args.url)?;
    if args.devices == 0 || args.groups == 0 {
        anyhow::bail!("--devices and --groups must be at least 1");
    }
    let config = setup::SetupConfig {
        server_bin: args.server_bin,
        data_dir: args.data_dir,
        url: args.url,
        devices: args.devices,
        groups: setup::group_names(&args.group, args.groups),
    };
    let tokens = setup::run(&config).await?;
    tokens.save(&args.out)?;
    eprintln!(
        "setup: {} devices in {} groups; tokens written to {}",
        tokens.devices.len(),
        config.groups.len(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

async fn pull_prepare(args: cli::PullPrepareArgs) -> anyhow::Result<ExitCode> {
    if args.notes == 0 {
        anyhow::bail!("--notes must be at least 1");
    }
    let target = target(&args.target)?;
    let config = pull::PrepareConfig {
        group: args.group.clone(),
        client: args.client,
        notes: args.notes,
        note_bytes: args.note_bytes,
        note_changes: args.note_changes,
        timeout: Duration::from_secs(args.target.timeout),
    };
    let Some(prepared) = bounded(&args.target, pull::prepare(&target, &config)).await? else {
        return Ok(ExitCode::from(EXIT_TIMEOUT));
    };
    std::fs::write(&args.docs_out, serde_json::to_string_pretty(&prepared)?)
        .with_context(|| format!("cannot write {}", args.docs_out.display()))?;
    eprintln!(
        "pull prepare: {} notes uploaded; ids and heads in {}",
        prepared.docs.len(),
        args.docs_out.display()
    );
    Ok(ExitCode::SUCCESS)
}

async fn pull_fetch(args: cli::PullFetchArgs) -> anyhow::Result<ExitCode> {
    let target = target(&args.target)?;
    let prepared = pull::PreparedDocs::load(&args.docs)?;
    let summary = format!(
        "a new client pulls {} notes of about {} bytes and {} changes each",
        prepared.docs.len(),
        prepared.note_bytes,
        prepared.note_changes
    );
    let params = serde_json::json!({
        "notes": prepared.docs.len(),
        "note_bytes": prepared.note_bytes,
        "note_changes": prepared.note_changes,
        "client": args.client,
    });
    let begun = Begun::now();
    let timeout = Duration::from_secs(args.target.timeout);
    let run = pull::fetch(&target, &prepared, args.client, timeout);
    let Some(result) = bounded(&args.target, run).await? else {
        return Ok(ExitCode::from(EXIT_TIMEOUT));
    };
    let problems = result.problems.clone();
    let report = begun.report(
        "pull",
        summary,
        &target,
        params,
        reports::pull(&result),
        &result,
        problems,
    );
    finish(&report, &args.target)
}

async fn idle(args: cli::IdleArgs) -> anyhow::Result<ExitCode> {
    if args.connections == 0 {
        anyhow::bail!("--connections must be at least 1");
    }
    let target = target(&args.target)?;
    let config = idle::IdleConfig {
        connections: args.connections,
        group: args.group.clone(),
        connect_parallel: args.connect_parallel,
        settle: Duration::from_secs(args.settle_secs),
        hold: Duration::from_secs(args.hold_secs),
        connect_timeout: Duration::from_secs(30),
    };
    let summary = format!(
        "{} idle connections held for {} s",
        args.connections, args.hold_secs
    );
    let params =
        serde_json::json!({ "connections": args.connections, "hold_secs": args.hold_secs });
    let begun = Begun::now();
    let Some(result) = bounded(&args.target, idle::run(&target, &config)).await? else {
        return Ok(ExitCode::from(EXIT_TIMEOUT));
    };
    let problems = result.problems.clone();
    let report = begun.report(
        "idle",
        summary,
        &target,
        params,
        reports::idle(&result),
        &result,
        problems,
    );
    finish(&report, &args.target)
}

async fn groups(args: cli::GroupsArgs) -> anyhow::Result<ExitCode> {
    if args.groups == 0 {
        anyhow::bail!("--groups must be at least 1");
    }
    let target = target(&args.target)?;
    let metrics_url = target.is_quaderno().then(|| {
        format!(
            "{}/metrics",
            args.target
                .url
                .replacen("ws://", "http://", 1)
                .trim_end_matches('/')
        )
    });
    let config = groups::GroupsConfig {
        groups: args.groups,
        note_bytes: args.note_bytes,
        parallel: args.parallel,
        idle: Duration::from_secs(args.idle_secs),
        sample_every: Duration::from_secs(args.sample_secs.max(1)),
        touch_timeout: Duration::from_secs(30),
        metrics_url,
    };
    let summary = format!(
        "{} groups touched once (one note of {} bytes each), then {} s idle",
        args.groups, args.note_bytes, args.idle_secs
    );
    let params = serde_json::json!({ "groups": args.groups, "note_bytes": args.note_bytes, "idle_secs": args.idle_secs });
    let begun = Begun::now();
    let Some(result) = bounded(&args.target, groups::run(&target, &config)).await? else {
        return Ok(ExitCode::from(EXIT_TIMEOUT));
    };
    let problems = result.problems.clone();
    let report = begun.report(
        "groups",
        summary,
        &target,
        params,
        reports::groups(&result),
        &result,
        problems,
    );
    finish(&report, &args.target)
}

async fn sweep(args: cli::SweepArgs) -> anyhow::Result<ExitCode> {
    let target = target(&args.target)?;
    if let Some(max) = args.clients.iter().max() {
        target.check_capacity(*max)?;
    }
    let first = *args.clients.first().context("--clients lists no numbers")?;
    let base = live_config(
        &args.pace,
        Plan::typing(first, first, args.per_client.min(first))?,
        args.edits,
        100,
    )?;
    let config = sweep::SweepConfig {
        clients: args.clients.clone(),
        per_client: args.per_client,
        repeats: args.repeats,
        stop_p99_ms: args.stop_p99_ms,
        pause: Duration::from_secs(2),
        base,
    };
    let Some(rows) = bounded(&args.target, sweep::run(&target, &config)).await? else {
        return Ok(ExitCode::from(EXIT_TIMEOUT));
    };
    std::fs::write(&args.csv, sweep::csv(&rows))
        .with_context(|| format!("cannot write {}", args.csv.display()))?;
    let title = format!(
        "scenario 1 sweep against {} ({} docs per client, {} edits at {} ms)",
        target.info().kind,
        args.per_client,
        args.edits,
        config.base.interval.as_millis()
    );
    sweep::svg(&rows, &title, args.stop_p99_ms, &args.svg)?;
    println!("{}", serde_json::to_string_pretty(&rows)?);
    eprint!("{}", sweep::csv(&rows));
    eprintln!(
        "sweep: {} and {} written",
        args.csv.display(),
        args.svg.display()
    );
    Ok(ExitCode::SUCCESS)
}

async fn pages(args: cli::PagesArgs) -> anyhow::Result<ExitCode> {
    if args.keystrokes == 0 || args.interval_ms == 0 || args.body_bytes.is_empty() {
        anyhow::bail!("--keystrokes, --interval-ms and --body-bytes must be at least 1");
    }
    let config = PagesConfig {
        server_bin: args.server_bin,
        quaderno_bin: args.quaderno_bin,
        work_dir: args.work_dir.unwrap_or_else(std::env::temp_dir),
        body_bytes: 0,
        sittings: args.sittings,
        keystrokes: args.keystrokes,
        warmup: args.warmup,
        interval: Duration::from_millis(args.interval_ms),
        step: Duration::from_secs(args.step_secs),
        drain: Duration::from_secs(args.drain_secs),
        seed: args.seed,
        browser: args.browser,
    };
    let (label, sizes) = (args.label, args.body_bytes);
    let report =
        tokio::task::spawn_blocking(move || PagesReport::run(&label, &config, &sizes)).await?;
    let json = serde_json::to_string_pretty(&report)?;
    if let Some(out) = &args.out {
        std::fs::write(out, &json).with_context(|| format!("cannot write {}", out.display()))?;
    }
    println!("{json}");
    eprint!("{}", report.table());
    Ok(if report.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PROBLEMS)
    })
}

fn compare(args: cli::CompareArgs) -> anyhow::Result<ExitCode> {
    let load = |paths: &[std::path::PathBuf]| -> anyhow::Result<Vec<Report>> {
        paths
            .iter()
            .map(|p| {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("cannot read {}", p.display()))?;
                serde_json::from_str(&text)
                    .with_context(|| format!("{} is not a quaderno-bench report", p.display()))
            })
            .collect()
    };
    let (left, right) = (load(&args.left)?, load(&args.right)?);
    let lines = compare::lines(&left, &right);
    print!(
        "{}",
        compare::markdown(&args.left_name, &args.right_name, &lines)
    );
    Ok(ExitCode::SUCCESS)
}
