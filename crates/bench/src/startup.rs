//! `--measure-startup`: the figures issue 2 asks for, from the real binary on SQLite. In a fresh
//! temporary folder, start `cqdt serve --listen 127.0.0.1:0 --demo` twice (the first start
//! creates the database and loads the demo, the second opens it), and for each: time from
//! spawn to the "cqdt đang chạy tại http://…" line and to the first 200 from /readyz; resident
//! memory (VmRSS) after 3 s idle; then SIGTERM and the exit status (graceful shutdown).

use crate::scenario::http_client;
use anyhow::{Context, Result, bail};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

const READY_LINE: &str = "cqdt đang chạy tại http://";

#[derive(Debug, Serialize)]
pub struct StartupReport {
    pub binary: String,
    /// `release` or `debug`, from the binary's path (debug figures are not representative).
    pub build: &'static str,
    pub cpus: usize,
    pub loadavg_at_start: Option<String>,
    pub runs: Vec<StartupRun>,
}

#[derive(Debug, Serialize)]
pub struct StartupRun {
    pub run: &'static str,
    /// Spawn → the "cqdt đang chạy tại" line on stdout.
    pub to_address_line_ms: f64,
    /// The server's own figure in that line ("sẵn sàng sau N ms").
    pub server_reported_ms: Option<u64>,
    /// Spawn → first 200 from /readyz.
    pub to_readyz_ms: f64,
    /// Resident memory after 3 s idle.
    pub vm_rss_kib: Option<u64>,
    /// Peak resident memory so far.
    pub vm_hwm_kib: Option<u64>,
    /// SIGTERM → process gone.
    pub stop_ms: f64,
    pub exit_code: Option<i32>,
}

/// The binary to measure: `CQDT_BIN`, else the release build in the usual target folder,
/// else the debug build, else the one beside this program.
fn find_binary() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("CQDT_BIN").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        if !p.is_file() {
            bail!("CQDT_BIN={} is not a file", p.display());
        }
        return Ok(p);
    }
    let mut dirs = vec![];
    if let Some(t) = std::env::var_os("CARGO_TARGET_DIR").filter(|p| !p.is_empty()) {
        dirs.push(PathBuf::from(t));
    }
    if let Some(h) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(h).join(".cache/cqdt-target"));
    }
    let mut candidates = vec![];
    for profile in ["release", "debug"] {
        for d in &dirs {
            candidates.push(d.join(profile).join("cqdt"));
        }
    }
    if let Ok(exe) = std::env::current_exe()
        && let Some(dir) = exe.parent()
    {
        candidates.push(dir.join("cqdt"));
    }
    candidates
        .into_iter()
        .find(|p| p.is_file())
        .context("no cqdt binary found: build it (cargo build --release -p cqdt) or set CQDT_BIN")
}

fn proc_status_kib(pid: u32, key: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

async fn start_once(bin: &Path, dir: &Path, run: &'static str) -> Result<StartupRun> {
    let db = dir.join("cqdt.sqlite");
    let t0 = Instant::now();
    let mut child = tokio::process::Command::new(bin)
        .args(["serve", "--listen", "127.0.0.1:0", "--demo"])
        .current_dir(dir)
        .env("CQDT__SERVER__METRICS_LISTEN", "")
        .env("CQDT__DATABASE__URL", format!("sqlite://{}", db.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("spawn {}", bin.display()))?;
    let pid = child.id().context("no pid")?;
    let stdout = child.stdout.take().context("stdout")?;
    let mut stderr = child.stderr.take().context("stderr")?;
    let stderr_text = tokio::spawn(async move {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s).await;
        s
    });
    let mut lines = BufReader::new(stdout).lines();
    let found = tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(line) = lines.next_line().await? {
            if let Some(rest) = line.strip_prefix(READY_LINE) {
                return anyhow::Ok(Some(rest.to_string()));
            }
        }
        Ok(None)
    })
    .await;
    let rest = match found {
        Ok(Ok(Some(rest))) => rest,
        other => {
            let _ = child.kill().await;
            let err = stderr_text.await.unwrap_or_default();
            bail!("{run}: no address line from the server ({other:?}); stderr:\n{err}");
        }
    };
    let to_address_line = t0.elapsed();
    // Keep draining stdout so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let addr = rest
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    if !addr.starts_with("127.0.0.1:") {
        let _ = child.kill().await;
        bail!("{run}: the server listens on {addr}, not on loopback");
    }
    let server_reported_ms = rest
        .split("sau ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok());

    let client = http_client()?;
    let url = format!("http://{addr}/readyz");
    let to_readyz = loop {
        if let Ok(r) = client.get(&url).send().await
            && r.status().is_success()
        {
            break t0.elapsed();
        }
        if t0.elapsed() > Duration::from_secs(120) {
            let _ = child.kill().await;
            bail!("{run}: /readyz never answered 200");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    drop(client);

    tokio::time::sleep(Duration::from_secs(3)).await;
    let vm_rss_kib = proc_status_kib(pid, "VmRSS:");
    let vm_hwm_kib = proc_status_kib(pid, "VmHWM:");

    let t_stop = Instant::now();
    let killed = tokio::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .await
        .context("kill -TERM")?;
    if !killed.success() {
        bail!("{run}: kill -TERM {pid} failed");
    }
    let status = match tokio::time::timeout(Duration::from_secs(60), child.wait()).await {
        Ok(s) => s?,
        Err(_) => {
            let _ = child.kill().await;
            bail!("{run}: the server did not stop within 60 s of SIGTERM");
        }
    };
    let stop_ms = t_stop.elapsed().as_secs_f64() * 1000.0;
    if !status.success() {
        let err = stderr_text.await.unwrap_or_default();
        eprintln!("{run}: exit status {status}; stderr:\n{err}");
    }
    Ok(StartupRun {
        run,
        to_address_line_ms: to_address_line.as_secs_f64() * 1000.0,
        server_reported_ms,
        to_readyz_ms: to_readyz.as_secs_f64() * 1000.0,
        vm_rss_kib,
        vm_hwm_kib,
        stop_ms,
        exit_code: status.code(),
    })
}

pub async fn measure() -> Result<StartupReport> {
    let bin = find_binary()?;
    let build = if bin.components().any(|c| c.as_os_str() == "debug") {
        "debug"
    } else {
        "release"
    };
    let dir = cqdt_store::testing::TempDir::new("bench-startup")?;
    let mut report = StartupReport {
        binary: bin.display().to_string(),
        build,
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        loadavg_at_start: crate::report::loadavg(),
        runs: vec![],
    };
    report.runs.push(
        start_once(
            &bin,
            &dir.0,
            "first start (creates the database, loads the demo)",
        )
        .await?,
    );
    report
        .runs
        .push(start_once(&bin, &dir.0, "second start (existing database)").await?);
    Ok(report)
}

impl StartupReport {
    pub fn text(&self) -> String {
        let mb =
            |k: Option<u64>| k.map_or("-".to_string(), |k| format!("{:.1} MiB", k as f64 / 1024.0));
        let mut out = format!(
            "\n## start-up of {} ({} build, SQLite, {} CPUs, load {})\n",
            self.binary,
            self.build,
            self.cpus,
            self.loadavg_at_start.as_deref().unwrap_or("?")
        );
        for r in &self.runs {
            out.push_str(&format!(
                "{}:\n  address line after {:.0} ms (server says {}), /readyz 200 after {:.0} ms\n  \
                 at rest (3 s idle): VmRSS {}, peak VmHWM {}\n  SIGTERM: stopped in {:.0} ms, exit code {}\n",
                r.run,
                r.to_address_line_ms,
                r.server_reported_ms.map_or("?".into(), |m| format!("{m} ms")),
                r.to_readyz_ms,
                mb(r.vm_rss_kib),
                mb(r.vm_hwm_kib),
                r.stop_ms,
                r.exit_code.map_or("none (killed by a signal)".into(), |c| c.to_string()),
            ));
        }
        out
    }

    pub fn all_exited_zero(&self) -> bool {
        self.runs.iter().all(|r| r.exit_code == Some(0))
    }
}
