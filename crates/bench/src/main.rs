//! cqdt-bench: the load harness of cqdt (issue 6, point 1) and the start-up figures of issue 2.
//!
//! Starts the real server in-process on 127.0.0.1:0 with a fresh database per backend (SQLite;
//! PostgreSQL from `TEST_DATABASE_URL`) and the demo data, measures the raw database baseline
//! (single-row INSERT transactions through sqlx) on the same database, then runs the named
//! scenarios with N concurrent clients and reports throughput, latency percentiles and errors,
//! each throughput also as a ratio to the baseline. No timing is ever asserted: the exit code is
//! non-zero only when the harness fails, or when `--smoke` saw errors (a broken endpoint).

mod check;
mod data;
mod generate;
mod hist;
mod report;
mod run;
mod scenario;
mod server;
mod startup;

use anyhow::{Context, Result};
use clap::{Parser, ValueEnum};
use report::{BackendReport, Machine, Report, ScenarioReport, Settings};
use scenario::{Prepared, Scenario, Target};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Backend {
    Sqlite,
    Postgres,
    Both,
}

#[derive(Parser, Debug)]
#[command(
    name = "cqdt-bench",
    version,
    about = "Load harness of cqdt: scenarios against the real server on loopback, SQLite and PostgreSQL"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
    /// Database(s) to run on; PostgreSQL needs TEST_DATABASE_URL (a server where the user may
    /// create databases; the harness creates and drops its own).
    #[arg(long, value_enum, default_value = "sqlite")]
    backend: Backend,
    /// A scenario to run (repeatable); default: all, in the order of the list.
    #[arg(long = "scenario", value_enum)]
    scenarios: Vec<Scenario>,
    /// Concurrent clients.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Seconds per scenario (default 10, or unbounded when --requests is given).
    #[arg(long)]
    duration: Option<f64>,
    /// Requests per scenario (stops at whichever of duration and count comes first).
    #[arg(long)]
    requests: Option<u64>,
    /// CI mode: 1 s per scenario with 4 clients; exits 1 if any request failed.
    #[arg(long)]
    smoke: bool,
    /// Database connections of the server's pool and of the raw baseline (production default).
    #[arg(long, default_value_t = 8)]
    db_connections: u32,
    /// Also write the report as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Instead of the load run: start-up time, resident memory at rest and graceful shutdown of
    /// the real binary (CQDT_BIN, default the release build) on SQLite.
    #[arg(long)]
    measure_startup: bool,
    /// List the scenarios and exit.
    #[arg(long)]
    list: bool,
    /// Run against this existing SQLite database (e.g. one `generate` filled) instead of a
    /// fresh one: no demo seed, nothing dropped afterwards. Pending migrations are applied.
    #[arg(long, conflicts_with = "database_url")]
    database: Option<PathBuf>,
    /// Run against this existing PostgreSQL database (as `--database`).
    #[arg(long)]
    database_url: Option<String>,
    /// On a fresh database, the dossiers generated before the dossier scenarios (default
    /// 20,000; 1,500 with --smoke).
    #[arg(long)]
    gen_dossiers: Option<u32>,
    /// On a fresh database, the documents generated before the document scenarios (default
    /// 20,000; 1,000 with --smoke).
    #[arg(long)]
    gen_documents: Option<u64>,
    /// Size of the PDF each `submit` request attaches, in KiB.
    #[arg(long, default_value_t = 100)]
    attachment_kib: usize,
    /// The server's group commit: at most this many dossier creations per transaction (1: one
    /// transaction each, as before group commit).
    #[arg(long, default_value_t = cqdt_store::DEFAULT_GROUP_COMMIT)]
    group_commit: usize,
}

#[derive(clap::Subcommand, Debug)]
enum Cmd {
    /// Fill a database with a deterministic province-year of dossiers (demo data first).
    Generate(generate::GenerateArgs),
    /// Compare Biểu II.06a the fast way with the report computed from every event, on a
    /// generated database (every month and the year; any difference is an error).
    CheckIi06a(check::CheckArgs),
}

fn main() -> Result<ExitCode> {
    let cli = Cli::parse();
    match &cli.command {
        Some(Cmd::Generate(args)) => {
            generate::run(args, false)?;
            return Ok(ExitCode::SUCCESS);
        }
        Some(Cmd::CheckIi06a(args)) => {
            let url = match (&args.database, &args.database_url) {
                (Some(p), None) => generate::sqlite_url(p),
                (None, Some(u)) => u.clone(),
                _ => anyhow::bail!("give --database FILE (SQLite) or --database-url postgres://…"),
            };
            let rt = tokio::runtime::Runtime::new()?;
            let s = rt.block_on(check::check_url(&url, args.year, args.year_only, false))?;
            println!(
                "{} reports identical; fast {:.3} s in all, from events {:.3} s in all",
                s.reports, s.fast_secs, s.exact_secs
            );
            return Ok(ExitCode::SUCCESS);
        }
        None => {}
    }
    if cli.list {
        for s in Scenario::ALL {
            println!("{:<14} {}", s.name(), s.about());
        }
        return Ok(ExitCode::SUCCESS);
    }
    let clients = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("bench-client")
        .build()?;
    if cli.measure_startup {
        let report = clients.block_on(startup::measure())?;
        print!("{}", report.text());
        if let Some(path) = &cli.json {
            write_json(path, &report)?;
        }
        return Ok(if report.all_exited_zero() {
            ExitCode::SUCCESS
        } else {
            eprintln!("the server did not exit 0 on SIGTERM");
            ExitCode::FAILURE
        });
    }
    let servers = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("cqdt-server")
        .build()?;
    let out = clients.block_on(load(&cli, servers.handle().clone()));
    servers.shutdown_timeout(Duration::from_secs(5));
    out
}

fn write_json<T: serde::Serialize>(path: &PathBuf, v: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(v)?;
    std::fs::write(path, text + "\n").with_context(|| format!("write {}", path.display()))?;
    eprintln!("report written to {}", path.display());
    Ok(())
}

async fn load(cli: &Cli, servers: tokio::runtime::Handle) -> Result<ExitCode> {
    let (concurrency, duration, requests) = if cli.smoke {
        (4, Some(1.0), cli.requests)
    } else {
        let d = match (cli.duration, cli.requests) {
            (Some(d), _) => Some(d),
            (None, Some(_)) => None,
            (None, None) => Some(10.0),
        };
        (cli.concurrency.max(1), d, cli.requests)
    };
    let limits = run::Limits {
        concurrency,
        duration: duration.map(Duration::from_secs_f64),
        requests,
    };
    let scenarios: Vec<Scenario> = if cli.scenarios.is_empty() {
        Scenario::ALL.to_vec()
    } else {
        // Keep the list's order (the baseline first) and drop repeats.
        Scenario::ALL
            .iter()
            .copied()
            .filter(|s| cli.scenarios.contains(s))
            .collect()
    };
    let app_defaults = cqdt_app::AppConfig::default();
    let mut report = Report {
        tool: "cqdt-bench",
        version: env!("CARGO_PKG_VERSION"),
        build: if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        machine: Machine {
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            loadavg_at_start: report::loadavg(),
        },
        settings: Settings {
            concurrency,
            duration_secs: duration,
            requests,
            smoke: cli.smoke,
            db_connections: cli.db_connections,
            group_commit: cli.group_commit,
            argon2_memory_kib: app_defaults.argon2_memory_kib,
            argon2_iterations: app_defaults.argon2_iterations,
        },
        backends: vec![],
    };
    if cfg!(debug_assertions) && !cli.smoke {
        eprintln!("note: a debug build; run with --release for figures worth quoting");
    }
    let existing = match (&cli.database, &cli.database_url) {
        (Some(p), _) => Some(generate::sqlite_url(p)),
        (None, Some(u)) => Some(u.clone()),
        (None, None) => None,
    };
    let backends: &[&'static str] = match (&existing, cli.backend) {
        (Some(u), _) if cqdt_store::is_postgres_url(u) => &["postgres"],
        (Some(_), _) => &["sqlite"],
        (None, Backend::Sqlite) => &["sqlite"],
        (None, Backend::Postgres) => &["postgres"],
        (None, Backend::Both) => &["sqlite", "postgres"],
    };
    let gen_dossiers = cli
        .gen_dossiers
        .unwrap_or(if cli.smoke { 1_500 } else { 20_000 });
    let gen_documents = cli
        .gen_documents
        .unwrap_or(if cli.smoke { 1_000 } else { 20_000 });
    let tag = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
    for &backend in backends {
        let mut br = BackendReport {
            backend,
            skipped: None,
            seed_ms: None,
            generated: None,
            scenarios: vec![],
            group_commit: None,
        };
        if existing.is_none()
            && backend == "postgres"
            && cqdt_store::testing::postgres_url().is_none()
        {
            println!("skipped: postgres (TEST_DATABASE_URL unset)");
            br.skipped = Some("TEST_DATABASE_URL unset".into());
            report.backends.push(br);
            continue;
        }
        let server = match &existing {
            Some(url) => {
                eprintln!("{backend}: opening {}, starting the server…", redact(url));
                server::Server::start_existing(
                    servers.clone(),
                    url.clone(),
                    cli.db_connections,
                    cli.group_commit,
                )
                .await
                .with_context(|| format!("starting the server on {}", redact(url)))?
            }
            None => {
                eprintln!(
                    "{backend}: creating the database, loading the demo data, starting the server…"
                );
                let s = server::Server::start(
                    servers.clone(),
                    backend,
                    cli.db_connections,
                    cli.group_commit,
                )
                .await
                .with_context(|| format!("starting the server on {backend}"))?;
                br.seed_ms = Some(s.seed_ms);
                s
            }
        };
        let outcome = async {
            let need_dossiers = scenarios.iter().any(|s| s.needs_dossiers());
            let need_documents = scenarios.iter().any(|s| s.needs_documents());
            if existing.is_none() && (need_dossiers || need_documents) {
                let (n, m) = (
                    if need_dossiers { gen_dossiers } else { 0 },
                    if need_documents { gen_documents } else { 0 },
                );
                eprintln!("{backend}: generating {n} dossiers and {m} documents…");
                let summary = generate_into(&server.db_url, n, m).await?;
                br.generated = Some(summary);
            }
            let data = if need_dossiers {
                Some(Arc::new(data::Data::load(&server.db_url).await?))
            } else {
                None
            };
            let target = Target {
                backend,
                base: server.base.clone(),
                db_url: server.db_url.clone(),
                db_connections: cli.db_connections,
                logins: server.logins.clone(),
                tag: format!("{tag}-{backend}"),
                data,
                attachment_bytes: cli.attachment_kib * 1024,
            };
            run_backend(&target, &scenarios, limits, &mut br).await
        }
        .await;
        br.group_commit = Some(server.group.stats());
        let stopped = server.stop().await;
        outcome?;
        stopped.with_context(|| format!("stopping the server on {backend}"))?;
        br.set_ratios();
        print!("{}", br.table(&report.settings));
        report.backends.push(br);
    }
    if let Some(path) = &cli.json {
        write_json(path, &report)?;
    }
    let failed: u64 = report
        .backends
        .iter()
        .flat_map(|b| &b.scenarios)
        .map(|s| s.errors)
        .sum();
    if cli.smoke && failed > 0 {
        eprintln!("smoke: {failed} request(s) failed");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

async fn run_backend(
    target: &Target,
    scenarios: &[Scenario],
    limits: run::Limits,
    br: &mut BackendReport,
) -> Result<()> {
    for &s in scenarios {
        let prepared = Prepared::prepare(s, target)
            .await
            .with_context(|| format!("preparing {} on {}", s.name(), target.backend))?;
        let note = prepared.note.clone();
        let prepared = Arc::new(prepared);
        let label = format!("{}/{}", target.backend, s.name());
        let measured = run::run(prepared.clone(), &label, limits).await;
        if let Ok(p) = Arc::try_unwrap(prepared) {
            p.finish().await;
        }
        let measured = measured.with_context(|| format!("running {label}"))?;
        let mut r = ScenarioReport::new(s, &measured);
        r.note = note;
        br.scenarios.push(r);
    }
    Ok(())
}

/// The URL without its password.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Generates `n` dossiers into the server's database (on a plain thread: the generator runs
/// its own runtime).
async fn generate_into(db_url: &str, n: u32, documents: u64) -> Result<report::Generated> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let args = generate::GenerateArgs {
        database: None,
        database_url: Some(db_url.to_string()),
        dossiers: n,
        seed: 2019,
        year: 2025,
        citizen_every: 200,
        threads: None,
        batch: 2000,
        documents,
    };
    std::thread::spawn(move || {
        let _ = tx.send(generate::run(&args, true));
    });
    let s = rx.await.context("generator thread")??;
    Ok(report::Generated {
        dossiers: s.dossiers,
        events: s.events,
        secs: s.total_secs,
        dossiers_per_sec: s.dossiers as f64 / s.load_secs.max(1e-9),
        documents: s.documents,
        documents_per_sec: s.documents as f64 / s.documents_secs.max(1e-9),
    })
}
