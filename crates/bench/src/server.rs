//! The real server, in-process on 127.0.0.1:0, with a fresh database per backend and the demo
//! data, configured as production is (argon2 defaults, pool size, body limits). It runs on its
//! own tokio runtime so that the server's work (argon2 runs on its async workers) does not stall
//! the clients' tasks, as it would not with a separate process.

use anyhow::{Context, Result, anyhow};
use cqdt_app::{App, AppConfig};
use cqdt_store::testing::TestDb;
use cqdt_store::{Durability, StoreOptions};
use std::time::Instant;
use tokio::runtime::Handle;

pub struct Server {
    rt: Handle,
    running: Option<cqdt::server::Running>,
    db: Option<TestDb>,
    pub base: String,
    pub db_url: String,
    pub logins: Vec<String>,
    pub seed_ms: f64,
}

impl Server {
    /// Make the database (`sqlite`, or `postgres` from `TEST_DATABASE_URL`) and start.
    pub async fn start(rt: Handle, backend: &'static str, db_connections: u32) -> Result<Server> {
        let job = rt.spawn(async move {
            let db = match backend {
                "postgres" => TestDb::postgres("cqdt-bench")
                    .await?
                    .ok_or_else(|| anyhow!("TEST_DATABASE_URL unset"))?,
                _ => TestDb::sqlite().await?,
            };
            let started = async {
                // The app's own pool, sized as in production (not the test pool of TestDb).
                let store = cqdt_store::connect(&StoreOptions {
                    url: db.url.clone(),
                    max_connections: db_connections,
                    sqlite_durability: Durability::Full,
                })
                .await?;
                let app = App::new(store, AppConfig::default());
                let t = Instant::now();
                let demo = app.seed_demo().await.context("demo data")?;
                let seed_ms = t.elapsed().as_secs_f64() * 1000.0;
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
                let web = cqdt::server::web_config(&cqdt::config::Config::default());
                let running = cqdt::server::start(app, web, listener).await?;
                let logins = demo.into_iter().map(|d| d.login).collect::<Vec<_>>();
                anyhow::Ok((running, logins, seed_ms))
            }
            .await;
            match started {
                Ok((running, logins, seed_ms)) => Ok((db, running, logins, seed_ms)),
                Err(e) => {
                    db.cleanup().await;
                    Err(e)
                }
            }
        });
        let (db, running, logins, seed_ms) = job.await.context("server start-up panicked")??;
        Ok(Server {
            rt,
            base: format!("http://{}", running.addr),
            db_url: db.url.clone(),
            running: Some(running),
            db: Some(db),
            logins,
            seed_ms,
        })
    }

    /// Stop gracefully and drop the database (PostgreSQL) or its folder (SQLite).
    pub async fn stop(mut self) -> Result<()> {
        let running = self.running.take();
        let db = self.db.take();
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
