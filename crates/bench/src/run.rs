//! Running one scenario: N workers (tokio tasks, each with its own HTTP client) issue requests
//! until the duration is over or the request budget is spent, recording latencies in
//! per-worker histograms; one progress line on stderr, rewritten every second.

use crate::hist::Histogram;
use crate::scenario::{Prepared, Worker};
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub concurrency: usize,
    /// `None`: bounded by `requests` only.
    pub duration: Option<Duration>,
    /// `None`: bounded by `duration` only.
    pub requests: Option<u64>,
}

pub struct Measured {
    /// Completed requests (answered or failed).
    pub requests: u64,
    pub ok: u64,
    /// Failed requests by key: HTTP status, `transport:…` or `db:…`.
    pub errors: BTreeMap<String, u64>,
    pub elapsed: Duration,
    pub latency: Histogram,
}

impl Measured {
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
    /// Successful requests per second.
    pub fn throughput(&self) -> f64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 { self.ok as f64 / s } else { 0.0 }
    }
}

struct Counters {
    issued: AtomicU64,
    done: AtomicU64,
    failed: AtomicU64,
}

struct WorkerOut {
    ok: u64,
    errors: BTreeMap<String, u64>,
    latency: Histogram,
}

pub async fn run(p: Arc<Prepared>, label: &str, limits: Limits) -> Result<Measured> {
    // Set the workers up first (logins for `me`), outside the timed part.
    let mut setups = tokio::task::JoinSet::new();
    for w in 0..limits.concurrency {
        let p = p.clone();
        setups.spawn(async move { p.worker(w).await });
    }
    let mut workers: Vec<Worker> = Vec::with_capacity(limits.concurrency);
    while let Some(r) = setups.join_next().await {
        workers.push(r.context("worker setup panicked")??);
    }

    let counters = Arc::new(Counters {
        issued: AtomicU64::new(0),
        done: AtomicU64::new(0),
        failed: AtomicU64::new(0),
    });
    let start = Instant::now();
    let deadline = limits.duration.map(|d| start + d);
    let budget = limits.requests.unwrap_or(u64::MAX);

    let mut tasks = tokio::task::JoinSet::new();
    for mut wk in workers {
        let p = p.clone();
        let counters = counters.clone();
        tasks.spawn(async move {
            let mut out = WorkerOut {
                ok: 0,
                errors: BTreeMap::new(),
                latency: Histogram::default(),
            };
            loop {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    break;
                }
                let seq = counters.issued.fetch_add(1, Ordering::Relaxed);
                if seq >= budget {
                    break;
                }
                let t = Instant::now();
                let r = p.request(&mut wk, seq).await;
                out.latency.record(t.elapsed().as_micros() as u64);
                counters.done.fetch_add(1, Ordering::Relaxed);
                match r {
                    Ok(()) => out.ok += 1,
                    Err(key) => {
                        counters.failed.fetch_add(1, Ordering::Relaxed);
                        *out.errors.entry(key).or_default() += 1;
                    }
                }
            }
            out
        });
    }

    let stop = Arc::new(AtomicBool::new(false));
    let ticker = {
        let (stop, counters, label) = (stop.clone(), counters.clone(), label.to_string());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.tick().await;
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                progress(&label, start, &counters, false);
            }
        })
    };

    let mut m = Measured {
        requests: 0,
        ok: 0,
        errors: BTreeMap::new(),
        elapsed: Duration::ZERO,
        latency: Histogram::default(),
    };
    while let Some(r) = tasks.join_next().await {
        let out = r.context("worker panicked")?;
        m.ok += out.ok;
        for (k, v) in out.errors {
            *m.errors.entry(k).or_default() += v;
        }
        m.latency.merge(&out.latency);
    }
    m.elapsed = start.elapsed();
    m.requests = m.latency.count();
    stop.store(true, Ordering::Relaxed);
    ticker.abort();
    progress(label, start, &counters, true);
    Ok(m)
}

fn progress(label: &str, start: Instant, c: &Counters, last: bool) {
    let mut err = std::io::stderr().lock();
    let _ = write!(
        err,
        "\r{label:<28} {:>6.1} s {:>9} req {:>6} err  ",
        start.elapsed().as_secs_f64(),
        c.done.load(Ordering::Relaxed),
        c.failed.load(Ordering::Relaxed),
    );
    if last {
        let _ = writeln!(err);
    }
    let _ = err.flush();
}
