//! `cqdt-bench check-ii06a`: Biểu II.06a the fast way (`App::report_ii06a`: one aggregate over
//! the dossier columns, events only for dossiers paused at the end of the period) against the
//! slow, obviously-right way (`App::report_ii06a_from_events`: every event of every dossier
//! through the domain's rules), on a generated province-year: the whole province and its
//! busiest direct subordinate, every month, a period across months and the whole year. Any
//! difference is an error. Prints both timings.

use anyhow::{Context, Result, anyhow, bail};
use chrono::NaiveDate;
use cqdt_app::{App, AppConfig, Ctx};
use cqdt_domain::agency::Agency;
use cqdt_store::{Durability, StoreOptions};
use std::time::Instant;

#[derive(clap::Args, Debug, Clone)]
pub struct CheckArgs {
    /// SQLite database file filled by `generate`.
    #[arg(long, conflicts_with = "database_url")]
    pub database: Option<std::path::PathBuf>,
    /// PostgreSQL database filled by `generate`.
    #[arg(long)]
    pub database_url: Option<String>,
    /// The generated year.
    #[arg(long, default_value_t = 2025)]
    pub year: i32,
    /// Only the whole year (the months too otherwise).
    #[arg(long)]
    pub year_only: bool,
}

/// What a check compared.
#[derive(Debug, Default)]
pub struct CheckSummary {
    pub reports: usize,
    /// Dossiers counted in column (3) of the province's year, fast way.
    pub received_in_year: u64,
    pub fast_secs: f64,
    pub exact_secs: f64,
}

pub async fn check_url(url: &str, year: i32, year_only: bool, quiet: bool) -> Result<CheckSummary> {
    let store = cqdt_store::connect(&StoreOptions {
        url: url.to_string(),
        max_connections: 4,
        sqlite_durability: Durability::Full,
        group_commit: cqdt_store::DEFAULT_GROUP_COMMIT,
    })
    .await
    .map_err(|e| anyhow!("opening {url}: {e}"))?;
    let app = App::new(store, AppConfig::default());
    check(&app, year, year_only, quiet).await
}

pub async fn check(app: &App, year: i32, year_only: bool, quiet: bool) -> Result<CheckSummary> {
    let ctx = Ctx::cli();
    let agencies = app.store.agencies_all().await?;
    let root: &Agency = agencies
        .iter()
        .find(|a| a.parent_id.is_none())
        .context("no agencies: generate first")?;
    let day = |m: u32, d: u32| NaiveDate::from_ymd_opt(year, m, d).context("date");
    let year_from = day(1, 1)?;
    let year_to = day(12, 31)?;
    // The busiest direct subordinate of the root, by the fast year report.
    let mut busiest: Option<(u64, &Agency)> = None;
    for a in agencies.iter().filter(|a| a.parent_id == Some(root.id)) {
        let r = app.report_ii06a(&ctx, a.id, year_from, year_to).await?;
        if busiest.is_none_or(|(n, _)| r.total.received_total > n) {
            busiest = Some((r.total.received_total, a));
        }
    }
    let mut periods = vec![(year_from, year_to)];
    if !year_only {
        for m in 1..=12 {
            let from = day(m, 1)?;
            let to = if m == 12 {
                year_to
            } else {
                day(m + 1, 1)?.pred_opt().context("date")?
            };
            periods.push((from, to));
        }
        periods.push((day(3, 15)?, day(4, 20)?));
    }
    let mut targets = vec![root];
    if let Some((_, a)) = busiest {
        targets.push(a);
    }
    let mut s = CheckSummary::default();
    for agency in targets {
        for &(from, to) in &periods {
            let t = Instant::now();
            let fast = app.report_ii06a(&ctx, agency.id, from, to).await?;
            let fast_secs = t.elapsed().as_secs_f64();
            let t = Instant::now();
            let exact = app
                .report_ii06a_from_events(&ctx, agency.id, from, to)
                .await?;
            let exact_secs = t.elapsed().as_secs_f64();
            if fast != exact {
                bail!(
                    "Biểu II.06a differs for {} {from}..{to}:\n fast:  {:?}\n exact: {:?}\n lines fast {:?}\n lines exact {:?}",
                    agency.fields.name,
                    fast.total.columns(),
                    exact.total.columns(),
                    fast.lines,
                    exact.lines
                );
            }
            if agency.id == root.id && (from, to) == (year_from, year_to) {
                s.received_in_year = fast.total.received_total;
            }
            if !quiet {
                eprintln!(
                    "{:<40} {from}..{to}: same ({} lines, col 3 = {}); fast {:.3} s, from events {:.3} s",
                    agency.fields.name,
                    fast.lines.len(),
                    fast.total.received_total,
                    fast_secs,
                    exact_secs
                );
            }
            s.reports += 1;
            s.fast_secs += fast_secs;
            s.exact_secs += exact_secs;
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{GenerateArgs, run};
    use cqdt_store::testing::TestDb;

    /// On a small generated province-year, on both databases: the fast report equals the one
    /// computed from every event, for every month, a cross-month period and the year, for the
    /// province and a subtree.
    #[test]
    fn fast_ii06a_equals_the_report_from_events() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let dbs = rt.block_on(TestDb::all("ii06a_check")).unwrap();
        for db in dbs {
            let mut args = GenerateArgs {
                database: None,
                database_url: Some(db.url.clone()),
                dossiers: 4_000,
                seed: 7,
                year: 2025,
                citizen_every: 0,
                threads: Some(2),
                batch: 1000,
                documents: 0,
            };
            if db.backend == "sqlite" {
                args.database = db.url.strip_prefix("sqlite://").map(Into::into);
                args.database_url = None;
            }
            let summary = run(&args, true).unwrap();
            assert_eq!(summary.dossiers, 4_000);
            let s = rt
                .block_on(check_url(&db.url, 2025, false, true))
                .unwrap_or_else(|e| panic!("{}: {e:#}", db.backend));
            assert_eq!(s.reports, 2 * 14, "{}", db.backend);
            // Most generated dossiers are received (some are refused at the desk).
            assert!(
                s.received_in_year > 3_000 && s.received_in_year <= 4_000,
                "{}: {}",
                db.backend,
                s.received_in_year
            );
            rt.block_on(db.cleanup());
        }
    }
}
