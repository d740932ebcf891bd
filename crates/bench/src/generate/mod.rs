//! `cqdt-bench generate`: fills a database with a deterministic province-year of dossiers.
//!
//! 1. Open the database (SQLite file or PostgreSQL URL) with the store — migrations run — and
//!    load the Tây Ninh demo (agencies, catalogue, accounts) if it is empty.
//! 2. Plan the year: each dossier's procedure (weighted by yearly volume), receiving agency,
//!    channel and instant (paper on working days in office hours, online any day 06–24 h),
//!    sorted by instant; the day counters of the codes follow.
//! 3. Play every dossier's life through the domain (`life.rs`) on all cores, each from its own
//!    random stream (seed, number): the result does not depend on the thread count.
//! 4. Load the rows in big transactions (`write.rs`), rebuild the indexes, write the counters.
//!
//! 5. Documents (`documents.rs`): `--documents` incoming and outgoing documents of the same
//!    year over the agencies' registers, played through the document domain.
//!
//! `--dossiers 0` or `--documents 0` skips that part, so documents can be added to a database
//! generated earlier (each part refuses a database that already holds its rows).

mod catalogue;
pub mod documents;
mod life;
mod people;
pub mod rng;
mod write;

use anyhow::{Context, Result, anyhow, bail};
use cqdt_app::{App, AppConfig};
use cqdt_domain::calendar::{WorkingHours, from_local};
use cqdt_store::{Durability, StoreOptions};
use life::{Actors, Tally, World};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

#[derive(clap::Args, Debug, Clone)]
pub struct GenerateArgs {
    /// SQLite database file to fill (created if missing).
    #[arg(long, conflicts_with = "database_url")]
    pub database: Option<std::path::PathBuf>,
    /// PostgreSQL database to fill (must exist), e.g. postgres://postgres@127.0.0.1:5432/bench_gen
    #[arg(long)]
    pub database_url: Option<String>,
    /// How many dossiers.
    #[arg(long, default_value_t = 1_000_000)]
    pub dossiers: u32,
    /// The seed: the same seed, count and year give the same dossiers.
    #[arg(long, default_value_t = 2019)]
    pub seed: u64,
    /// The calendar year the dossiers enter in (nothing happens after its last day).
    #[arg(long, default_value_t = 2025)]
    pub year: i32,
    /// Every N-th dossier belongs to the demo citizen (congdan@tayninh.demo); 0: none.
    #[arg(long, default_value_t = 2000)]
    pub citizen_every: u32,
    /// Generator threads (default: the CPU count).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Dossiers per transaction.
    #[arg(long, default_value_t = 5000)]
    pub batch: usize,
    /// How many documents (incoming and outgoing), after the dossiers.
    #[arg(long, default_value_t = 100_000)]
    pub documents: u64,
}

impl GenerateArgs {
    pub fn url(&self) -> Result<String> {
        match (&self.database, &self.database_url) {
            (Some(p), None) => Ok(sqlite_url(p)),
            (None, Some(u)) if cqdt_store::is_postgres_url(u) => Ok(u.clone()),
            (None, Some(u)) => Ok(u.clone()),
            _ => bail!("give --database FILE (SQLite) or --database-url postgres://…"),
        }
    }
}

pub fn sqlite_url(p: &std::path::Path) -> String {
    format!("sqlite://{}", p.display())
}

/// What a generation did.
pub struct Summary {
    pub dossiers: u64,
    pub events: u64,
    pub documents: u64,
    /// Loading the documents (the documents/s figure).
    pub documents_secs: f64,
    /// Playing the lives and loading the rows (the dossiers/s figure).
    pub load_secs: f64,
    pub total_secs: f64,
}

/// The whole generation. Runs its own tokio runtime for the database work and plain threads
/// for the domain work.
pub fn run(args: &GenerateArgs, quiet: bool) -> Result<Summary> {
    let url = args.url()?;
    let started = Instant::now();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let say = |s: String| {
        if !quiet {
            eprintln!("{s}");
        }
    };
    // 1. The demo data and what to draw from.
    let (app, seeded) = rt.block_on(async {
        let store = cqdt_store::connect(&StoreOptions {
            url: url.clone(),
            max_connections: 2,
            sqlite_durability: Durability::Full,
            group_commit: cqdt_store::DEFAULT_GROUP_COMMIT,
        })
        .await
        .map_err(|e| anyhow!("opening {url}: {e}"))?;
        let app = App::new(store, AppConfig::default());
        let seeded = if app.store.users_count().await? == 0 {
            app.seed_demo().await.context("loading the demo data")?;
            true
        } else {
            false
        };
        anyhow::Ok((app, seeded))
    })?;
    if seeded {
        say("demo data loaded (agencies, catalogue, accounts)".into());
    }
    let (cat, calendar, actors) = rt.block_on(async {
        let cat = catalogue::Catalogue::load(&app).await?;
        let calendar = app.effective_calendar().await?;
        let id = |email: &'static str| {
            let app = app.clone();
            async move { anyhow::Ok(app.store.user_by_email(email).await?.map(|u| u.id)) }
        };
        let actors = Actors {
            desk: id("motcua@tayninh.demo").await?,
            specialist: id("chuyenvien@tayninh.demo").await?,
            leader: id("lanhdao@tayninh.demo").await?,
            citizen: id(cqdt_app::demo::CITIZEN_LOGIN).await?,
        };
        anyhow::Ok((cat, calendar, actors))
    })?;
    drop(app);
    let mut loader = rt.block_on(write::Loader::open(&url))?;
    let existing = rt.block_on(loader.count_dossiers())?;
    if existing > 0 && args.dossiers > 0 {
        bail!(
            "the database already holds {existing} dossiers: generate into a new one (the code counters would clash), or give --dossiers 0"
        );
    }
    let existing_docs = rt.block_on(loader.count_documents())?;
    if existing_docs > 0 && args.documents > 0 {
        bail!(
            "the database already holds {existing_docs} documents: generate into a new one (the number series would clash), or give --documents 0"
        );
    }
    let last_day = chrono::NaiveDate::from_ymd_opt(args.year, 12, 31)
        .and_then(|d| d.and_hms_opt(23, 59, 59))
        .ok_or_else(|| anyhow!("year"))?;
    let as_of = from_local(last_day);
    let (dossiers, events, load_secs) = if args.dossiers > 0 {
        let t = generate_dossiers(
            args,
            &rt,
            &mut loader,
            &cat,
            &calendar,
            actors,
            as_of,
            quiet,
        )?;
        (t.0, t.1, t.2)
    } else {
        (0, 0, 0.0)
    };
    let (documents, documents_secs) = if args.documents > 0 {
        let app = rt.block_on(async {
            let store = cqdt_store::connect(&StoreOptions {
                url: url.clone(),
                max_connections: 2,
                sqlite_durability: Durability::Full,
                group_commit: cqdt_store::DEFAULT_GROUP_COMMIT,
            })
            .await
            .map_err(|e| anyhow!("opening {url}: {e}"))?;
            anyhow::Ok(App::new(store, AppConfig::default()))
        })?;
        generate_documents(
            args,
            &rt,
            &app,
            &mut loader,
            &calendar.calendar,
            as_of,
            quiet,
        )?
    } else {
        (0, 0.0)
    };
    rt.block_on(loader.close())?;
    let total_secs = started.elapsed().as_secs_f64();
    if !quiet {
        println!(
            "generated {dossiers} dossiers ({events} events) and {documents} documents in {total_secs:.1} s"
        );
    }
    Ok(Summary {
        dossiers,
        events,
        documents,
        documents_secs,
        load_secs,
        total_secs,
    })
}

/// Steps 2–4: the dossiers. Returns (dossiers, events, play + load seconds).
#[allow(clippy::too_many_arguments)]
fn generate_dossiers(
    args: &GenerateArgs,
    rt: &tokio::runtime::Runtime,
    loader: &mut write::Loader,
    cat: &catalogue::Catalogue,
    calendar: &cqdt_app::calendar::EffectiveCalendar,
    actors: Actors,
    as_of: chrono::DateTime<chrono::Utc>,
    quiet: bool,
) -> Result<(u64, u64, f64)> {
    let say = |s: String| {
        if !quiet {
            eprintln!("{s}");
        }
    };

    // 2. The plan.
    let t = Instant::now();
    let plan = catalogue::plan(
        cat,
        &calendar.calendar,
        args.seed,
        args.dossiers,
        args.year,
        args.citizen_every,
    )?;
    let plan_secs = t.elapsed().as_secs_f64();
    say(format!(
        "planned {} dossiers over {} procedures and {} agencies in {plan_secs:.1} s",
        plan.headers.len(),
        cat.procs.len(),
        cat.agencies.len()
    ));

    // 3–4. Play and load.
    let world = World {
        cat,
        engine: cqdt_domain::calendar::DeadlineEngine::new(
            &calendar.calendar,
            WorkingHours::default(),
        ),
        tables: people::Tables::new(),
        actors,
        seed: args.seed,
        year: args.year,
        as_of,
    };
    let indexes = rt.block_on(loader.drop_indexes())?;
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let batch = args.batch.max(100);
    let batches: Vec<&[life::Header]> = plan.headers.chunks(batch).collect();
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Produced>>(threads * 2);
    let t = Instant::now();
    let mut tally = Tally::default();
    let loaded: Result<()> = std::thread::scope(|sc| {
        for _ in 0..threads {
            let tx = tx.clone();
            let (world, batches, next, failed) = (&world, &batches, &next, &failed);
            sc.spawn(move || {
                loop {
                    if failed.load(Ordering::Relaxed) {
                        break;
                    }
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(hs) = batches.get(i) else { break };
                    let out = produce(world, hs);
                    if out.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    if tx.blocking_send(out).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let total = plan.headers.len() as u64;
        let r = rt.block_on(async {
            let mut last_print = Instant::now();
            while let Some(p) = rx.recv().await {
                let p = p?;
                loader.write(&p.rows, &p.events).await?;
                tally.add(&p.tally);
                if !quiet && last_print.elapsed().as_secs_f64() >= 5.0 {
                    last_print = Instant::now();
                    let s = t.elapsed().as_secs_f64();
                    eprintln!(
                        "  {:>8} / {total} dossiers, {:>9} events, {:>7.0} dossiers/s",
                        tally.dossiers,
                        tally.events,
                        tally.dossiers as f64 / s
                    );
                }
            }
            anyhow::Ok(())
        });
        if r.is_err() {
            failed.store(true, Ordering::Relaxed);
            // Let the producers finish their current batch and stop.
            rx.close();
        }
        r
    });
    loaded?;
    let load_secs = t.elapsed().as_secs_f64();
    say(format!(
        "loaded {} dossiers and {} events in {load_secs:.1} s: {:.0} dossiers/s, {:.0} rows/s",
        tally.dossiers,
        tally.events,
        tally.dossiers as f64 / load_secs,
        (tally.dossiers + tally.events) as f64 / load_secs
    ));
    let t = Instant::now();
    let counters: Vec<(String, String, i64)> = plan
        .counters
        .iter()
        .filter_map(|(a, d, n)| {
            cat.agencies
                .get(usize::from(*a))
                .map(|ag| (ag.id.to_string(), write::day_text(*d), i64::from(*n)))
        })
        .collect();
    rt.block_on(async {
        loader.write_counters(&counters).await?;
        loader.finish(&indexes).await
    })?;
    let index_secs = t.elapsed().as_secs_f64();
    if !quiet {
        eprintln!(
            "indexes rebuilt and {} code counters written in {index_secs:.1} s",
            counters.len()
        );
        let by_channel = &tally.by_channel;
        eprintln!(
            "channels: desk {}, online {}, post {}; commands the domain refused (skipped): {}",
            by_channel[1], by_channel[2], by_channel[3], tally.refused_commands
        );
        let states: Vec<String> = tally
            .by_state
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        eprintln!("states: {}", states.join(", "));
        println!(
            "generated {} dossiers ({} events): plan {plan_secs:.1} s, play + load {load_secs:.1} s ({:.0} dossiers/s, {:.0} rows/s), indexes {index_secs:.1} s",
            tally.dossiers,
            tally.events,
            tally.dossiers as f64 / load_secs,
            (tally.dossiers + tally.events) as f64 / load_secs
        );
    }
    Ok((tally.dossiers, tally.events, load_secs))
}

/// Step 5: the documents. Returns (documents, play + load seconds).
fn generate_documents(
    args: &GenerateArgs,
    rt: &tokio::runtime::Runtime,
    app: &App,
    loader: &mut write::Loader,
    calendar: &cqdt_domain::calendar::WorkingCalendar,
    as_of: chrono::DateTime<chrono::Utc>,
    quiet: bool,
) -> Result<(u64, f64)> {
    let t = Instant::now();
    let world = rt.block_on(documents::DocWorld::load(
        app, calendar, args.seed, args.year, as_of,
    ))?;
    let plans = documents::plan(&world, args.documents)?;
    if !quiet {
        eprintln!(
            "planned {} documents over {} agencies in {:.1} s",
            plans.len(),
            world.agencies.len(),
            t.elapsed().as_secs_f64()
        );
    }
    let t = Instant::now();
    let mut tally = documents::DocTally::default();
    let mut last_print = Instant::now();
    let total = plans.len();
    for chunk in plans.chunks(args.batch.max(100)) {
        let batch = chunk
            .iter()
            .map(|p| documents::play(&world, p, &mut tally))
            .collect::<Result<Vec<_>>>()?;
        rt.block_on(loader.write_documents(&batch))?;
        if !quiet && last_print.elapsed().as_secs_f64() >= 5.0 {
            last_print = Instant::now();
            eprintln!(
                "  {:>8} / {total} documents, {:>7.0} documents/s",
                tally.documents,
                tally.documents as f64 / t.elapsed().as_secs_f64()
            );
        }
    }
    let counters = documents::counters(&world, &plans);
    rt.block_on(async {
        loader.write_document_counters(&counters).await?;
        loader.analyse_documents().await
    })?;
    let secs = t.elapsed().as_secs_f64();
    if !quiet {
        let states: Vec<String> = tally
            .by_state
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        eprintln!("document states: {}", states.join(", "));
        println!(
            "generated {} documents ({} events, {} search terms, {} number counters) in {secs:.1} s ({:.0} documents/s)",
            tally.documents,
            tally.events,
            tally.terms,
            counters.len(),
            tally.documents as f64 / secs
        );
    }
    Ok((tally.documents, secs))
}

struct Produced {
    rows: Vec<life::DossierRow>,
    events: Vec<life::EventRow>,
    tally: Tally,
}

fn produce(world: &World<'_>, headers: &[life::Header]) -> Result<Produced> {
    let mut out = Produced {
        rows: Vec::with_capacity(headers.len()),
        events: Vec::with_capacity(headers.len() * 8),
        tally: Tally::default(),
    };
    for h in headers {
        let (row, events) = life::play(world, h, &mut out.tally)?;
        out.rows.push(row);
        out.events.extend(events);
    }
    Ok(out)
}

/// Online submissions of the demo citizen for the `submit` scenario: `n` JSON bodies of
/// `POST /api/v1/dossiers` over the procedures that take them, with form values drawn as the
/// generator draws them (and checked by the domain), each with the 1-based positions of its
/// procedure's required parts.
pub async fn submissions(app: &App, seed: u64, n: usize) -> Result<Vec<(String, Vec<usize>)>> {
    let cat = catalogue::Catalogue::load(app).await?;
    let tables = people::Tables::new();
    let online: Vec<&catalogue::Proc> = cat.procs.iter().filter(|p| p.online).collect();
    if online.is_empty() {
        return Ok(vec![]);
    }
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let mut r = rng::Rng::new(seed ^ 0x5B, i as u64);
        let p = *r.pick(&online);
        let a = *r.pick(&p.agencies);
        let Some(ag) = cat.agencies.get(usize::from(a)) else {
            continue;
        };
        let home = cat
            .residents
            .get(usize::from(a))
            .filter(|v| !v.is_empty())
            .map(|v| *r.pick(v))
            .and_then(|i| cat.agencies.get(usize::from(i)))
            .unwrap_or(ag);
        let mut who = people::person(&tables, &mut r, 2025, &home.place, home.district.as_deref());
        who.name = cat.citizen_name.clone();
        who.id_number = cat.citizen_id_number.clone();
        let values = people::form_values(
            &tables,
            &mut r,
            &p.procedure.form.fields,
            &who,
            2025,
            &home.place,
            home.district.as_deref(),
        );
        if p.procedure.validate_form(&values).is_err() {
            continue;
        }
        let required: Vec<usize> = p
            .procedure
            .parts
            .iter()
            .enumerate()
            .filter(|(_, x)| x.required)
            .map(|(i, _)| i + 1)
            .collect();
        let body = serde_json::json!({
            "procedure_id": &*p.id,
            "agency_id": &*ag.id,
            "values": values,
            "return_method": if p.online_result { "online" } else { "desk" },
        });
        out.push((body.to_string(), required));
    }
    Ok(out)
}
