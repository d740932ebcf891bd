//! The real server, in-process on 127.0.0.1:0, with a fresh database per backend and the demo
//! data, configured as production is (argon2 defaults, pool size, body limits). It runs on its
//! own tokio runtime so that the server's work (argon2 runs on its async workers) does not stall
//! the clients' tasks, as it would not with a separate process.

use anyhow::{Context, Result, anyhow};
use cqdt_app::{App, AppConfig};
use cqdt_store::testing::TestDb;
use cqdt_store::{Durability, FsBlobs, StoreOptions};
use std::sync::Arc;
use std::time::Instant;
use tokio::runtime::Handle;

/// The demo accounts (`crates/app/src/demo.rs`), looked up in an existing database.
const DEMO_LOGINS: &[&str] = &[
    "quantri@tayninh.demo",
    "motcua@tayninh.demo",
    "chuyenvien@tayninh.demo",
    "lanhdao@tayninh.demo",
    "vanthu@tayninh.demo",
    "thuky@tayninh.demo",
    "thongke@tayninh.demo",
    "lanhdaotinh@tayninh.demo",
    cqdt_app::demo::CITIZEN_LOGIN,
];

pub struct Server {
    rt: Handle,
    running: Option<cqdt::server::Running>,
    db: Option<TestDb>,
    pub base: String,
    pub db_url: String,
    pub logins: Vec<String>,
    pub seed_ms: f64,
    /// The server store's group committer (its counters go into the report).
    pub group: Arc<cqdt_store::GroupCommit>,
    /// The uploaded files' folder of a fresh database, removed at the end.
    temp_files: Option<std::path::PathBuf>,
}

impl Server {
    /// Make the database (`sqlite`, or `postgres` from `TEST_DATABASE_URL`) and start.
    pub async fn start(
        rt: Handle,
        backend: &'static str,
        db_connections: u32,
        group_commit: usize,
    ) -> Result<Server> {
        let files = std::env::temp_dir().join(format!(
            "cqdt-bench-files-{}",
            uuid::Uuid::new_v4().simple()
        ));
        let files_dir = files.clone();
        let job = rt.spawn(async move {
            let db = match backend {
                "postgres" => TestDb::postgres("cqdt-bench")
                    .await?
                    .ok_or_else(|| anyhow!("TEST_DATABASE_URL unset"))?,
                _ => TestDb::sqlite().await?,
            };
            let started = async {
                // The app's own pool, sized as in production (not the test pool of TestDb).
                let (store, group) = cqdt_store::connect_with_group(&StoreOptions {
                    url: db.url.clone(),
                    max_connections: db_connections,
                    sqlite_durability: Durability::Full,
                    group_commit,
                })
                .await?;
                let app = App::new(store, AppConfig::default())
                    .with_files(Arc::new(FsBlobs::open(&files)?), Arc::new(cqdt_app::NoScan));
                let t = Instant::now();
                let demo = app.seed_demo().await.context("demo data")?;
                let seed_ms = t.elapsed().as_secs_f64() * 1000.0;
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
                let web = cqdt::server::web_config(&cqdt::config::Config::default());
                let running = cqdt::server::start(app, web, listener).await?;
                let logins = demo.into_iter().map(|d| d.login).collect::<Vec<_>>();
                anyhow::Ok((running, logins, seed_ms, group))
            }
            .await;
            match started {
                Ok((running, logins, seed_ms, group)) => Ok((db, running, logins, seed_ms, group)),
                Err(e) => {
                    db.cleanup().await;
                    Err(e)
                }
            }
        });
        let (db, running, logins, seed_ms, group) =
            job.await.context("server start-up panicked")??;
        Ok(Server {
            group,
            rt,
            base: format!("http://{}", running.addr),
            db_url: db.url.clone(),
            running: Some(running),
            db: Some(db),
            logins,
            seed_ms,
            temp_files: Some(files_dir),
        })
    }

    /// Start on an existing database (filled by `generate`): pending migrations are applied,
    /// nothing is seeded, nothing is dropped at the end. The demo logins are read back.
    pub async fn start_existing(
        rt: Handle,
        url: String,
        db_connections: u32,
        group_commit: usize,
    ) -> Result<Server> {
        let job = rt.spawn(async move {
            let (store, group) = cqdt_store::connect_with_group(&StoreOptions {
                url: url.clone(),
                max_connections: db_connections,
                sqlite_durability: Durability::Full,
                group_commit,
            })
            .await?;
            let mut logins = Vec::new();
            for login in DEMO_LOGINS {
                if store.user_by_email(login).await?.is_some() {
                    logins.push(login.to_string());
                }
            }
            // Uploaded files where the server would keep them: beside the SQLite file, or
            // (PostgreSQL) in a folder of the temporary directory named after the database.
            let files = match url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
            {
                Some(path) => std::path::Path::new(path.split('?').next().unwrap_or(path))
                    .parent()
                    .map(|p| p.join("files"))
                    .unwrap_or_else(|| "files".into()),
                None => std::env::temp_dir().join(format!(
                    "cqdt-bench-files-{}",
                    url.rsplit('/')
                        .next()
                        .unwrap_or("pg")
                        .replace(['?', '&', '='], "_")
                )),
            };
            let app = App::new(store, AppConfig::default())
                .with_files(Arc::new(FsBlobs::open(&files)?), Arc::new(cqdt_app::NoScan));
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let web = cqdt::server::web_config(&cqdt::config::Config::default());
            let running = cqdt::server::start(app, web, listener).await?;
            anyhow::Ok((running, logins, url, group))
        });
        let (running, logins, url, group) = job.await.context("server start-up panicked")??;
        Ok(Server {
            group,
            rt,
            base: format!("http://{}", running.addr),
            db_url: url,
            running: Some(running),
            db: None,
            logins,
            seed_ms: 0.0,
            temp_files: None,
        })
    }

    /// Stop gracefully and drop the database (PostgreSQL) or its folder (SQLite).
    pub async fn stop(mut self) -> Result<()> {
        let running = self.running.take();
        let db = self.db.take();
        if let Some(dir) = self.temp_files.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
        self.rt
            .spawn(async move {
                let r = match running {
                    Some(r) => r.stop().await,
                    None => Ok(()),
                };
                if let Some(db) = db {
                    db.cleanup().await;
                }
                r
            })
            .await
            .context("server stop panicked")??;
        Ok(())
    }
}
