//! The report: a table per backend on stdout, and the same figures as JSON.

use crate::run::Measured;
use crate::scenario::Scenario;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

#[derive(Debug, Serialize)]
pub struct Report {
    pub tool: &'static str,
    pub version: &'static str,
    /// `debug` or `release`: debug figures are not representative.
    pub build: &'static str,
    pub machine: Machine,
    pub settings: Settings,
    pub backends: Vec<BackendReport>,
}

#[derive(Debug, Serialize)]
pub struct Machine {
    pub cpus: usize,
    /// `/proc/loadavg` when the run started (other work on the machine skews the figures).
    pub loadavg_at_start: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Settings {
    pub concurrency: usize,
    pub duration_secs: Option<f64>,
    pub requests: Option<u64>,
    pub smoke: bool,
    /// Database pool size of the server, and of the raw baseline.
    pub db_connections: u32,
    /// The server's group commit (most dossier creations per transaction; 1 = off).
    pub group_commit: usize,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
}

#[derive(Debug, Serialize)]
pub struct BackendReport {
    pub backend: &'static str,
    /// Why it did not run, if it did not.
    pub skipped: Option<String>,
    /// Time to load the demo data (agencies and accounts) into the fresh database.
    pub seed_ms: Option<f64>,
    /// Dossiers generated before the dossier scenarios, on a fresh database.
    pub generated: Option<Generated>,
    pub scenarios: Vec<ScenarioReport>,
    /// The server's group commit of dossier creations over the run: transactions, creations
    /// they carried, the largest.
    pub group_commit: Option<cqdt_store::GroupCommitStats>,
}

#[derive(Debug, Serialize)]
pub struct Generated {
    pub dossiers: u64,
    pub events: u64,
    pub secs: f64,
    pub dossiers_per_sec: f64,
    pub documents: u64,
    pub documents_per_sec: f64,
}

#[derive(Debug, Serialize)]
pub struct ScenarioReport {
    pub scenario: &'static str,
    pub about: &'static str,
    pub requests: u64,
    pub ok: u64,
    pub errors: u64,
    pub errors_by_kind: BTreeMap<String, u64>,
    pub elapsed_secs: f64,
    /// Successful requests per second.
    pub throughput_rps: f64,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Throughput divided by the raw-insert throughput of the same backend in this run.
    pub ratio_to_raw_insert: Option<f64>,
    /// 1-minute load average right after the scenario.
    pub load1_after: Option<f64>,
    /// How it ran, when that varies (e.g. `submit`: multipart or JSON).
    pub note: Option<String>,
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

pub fn loadavg() -> Option<String> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.trim().to_string())
}

pub fn load1() -> Option<f64> {
    loadavg()?.split_whitespace().next()?.parse().ok()
}

impl ScenarioReport {
    pub fn new(s: Scenario, m: &Measured) -> Self {
        let h = &m.latency;
        ScenarioReport {
            scenario: s.name(),
            about: s.about(),
            requests: m.requests,
            ok: m.ok,
            errors: m.error_count(),
            errors_by_kind: m.errors.clone(),
            elapsed_secs: m.elapsed.as_secs_f64(),
            throughput_rps: m.throughput(),
            mean_ms: h.mean_us() / 1000.0,
            p50_ms: ms(h.quantile_us(0.50)),
            p95_ms: ms(h.quantile_us(0.95)),
            p99_ms: ms(h.quantile_us(0.99)),
            max_ms: ms(h.max_us()),
            ratio_to_raw_insert: None,
            load1_after: load1(),
            note: None,
        }
    }
}

impl BackendReport {
    /// Fill in the ratios once the baseline is known.
    pub fn set_ratios(&mut self) {
        let raw = self
            .scenarios
            .iter()
            .find(|s| s.scenario == Scenario::RawInsert.name())
            .map(|s| s.throughput_rps)
            .filter(|t| *t > 0.0);
        for s in &mut self.scenarios {
            s.ratio_to_raw_insert = raw.map(|r| s.throughput_rps / r);
        }
    }

    pub fn table(&self, settings: &Settings) -> String {
        let mut out = String::new();
        let bound = match (settings.duration_secs, settings.requests) {
            (Some(d), Some(n)) => format!("{d} s or {n} requests"),
            (Some(d), None) => format!("{d} s"),
            (None, Some(n)) => format!("{n} requests"),
            (None, None) => "unbounded".into(),
        };
        let _ = writeln!(
            out,
            "\n## {} — concurrency {}, {bound} per scenario, {} database connections, group commit {}{}",
            self.backend,
            settings.concurrency,
            settings.db_connections,
            settings.group_commit,
            self.seed_ms
                .map(|s| format!(", demo data loaded in {s:.0} ms"))
                .unwrap_or_default()
        );
        if let Some(why) = &self.skipped {
            let _ = writeln!(out, "skipped: {why}");
            return out;
        }
        let _ = writeln!(
            out,
            "{:<16} {:>9} {:>7} {:>10} {:>9} {:>9} {:>9} {:>9} {:>8} {:>5}",
            "scenario",
            "requests",
            "errors",
            "req/s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "max ms",
            "× raw",
            "load"
        );
        for s in &self.scenarios {
            let _ = writeln!(
                out,
                "{:<16} {:>9} {:>7} {:>10.1} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>8} {:>5}",
                s.scenario,
                s.requests,
                s.errors,
                s.throughput_rps,
                s.p50_ms,
                s.p95_ms,
                s.p99_ms,
                s.max_ms,
                s.ratio_to_raw_insert
                    .map(|r| format!("{r:.3}"))
                    .unwrap_or_else(|| "-".into()),
                s.load1_after
                    .map(|l| format!("{l:.1}"))
                    .unwrap_or_else(|| "-".into()),
            );
        }
        if let Some(g) = self.group_commit.filter(|g| g.batches > 0) {
            let _ = writeln!(
                out,
                "group commit: {} dossiers in {} transactions ({:.1} per transaction, at most {})",
                g.items,
                g.batches,
                g.items as f64 / g.batches as f64,
                g.largest
            );
        }
        if let Some(g) = &self.generated {
            let _ = writeln!(
                out,
                "generated first: {} dossiers, {} events, {} documents in {:.1} s ({:.0} dossiers/s, {:.0} documents/s)",
                g.dossiers, g.events, g.documents, g.secs, g.dossiers_per_sec, g.documents_per_sec
            );
        }
        for s in &self.scenarios {
            if let Some(n) = &s.note {
                let _ = writeln!(out, "{}: {n}", s.scenario);
            }
        }
        for s in self.scenarios.iter().filter(|s| s.errors > 0) {
            let kinds: Vec<String> = s
                .errors_by_kind
                .iter()
                .map(|(k, v)| format!("{k} ×{v}"))
                .collect();
            let _ = writeln!(out, "errors in {}: {}", s.scenario, kinds.join(", "));
        }
        out
    }
}
