//! The named scenarios. Adding one: a variant in `Scenario` (its kebab-case name is the
//! `--scenario` value), an entry in `Scenario::ALL`, its line in `about`, what it prepares in
//! `prepare`/`worker` if anything, and its request in `Prepared::request`.

use anyhow::{Context, Result, bail};
use cqdt_app::Clock;
use cqdt_store::Durability;
use serde_json::json;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Scenario {
    /// The raw database baseline: single-row INSERT transactions straight through sqlx.
    RawInsert,
    /// POST /api/v1/auth/login with the demo accounts (production argon2 parameters).
    Login,
    /// GET /api/v1/agencies?limit=50.
    AgenciesList,
    /// GET /api/v1/agencies/{id} over the demo agencies.
    AgencyGet,
    /// GET /api/v1/me with a session cookie.
    Me,
    /// POST /api/v1/auth/register with unique e-mails (a write with its audit entry).
    Register,
}

impl Scenario {
    /// Every scenario, in the order a full run takes them.
    pub const ALL: &'static [Scenario] = &[
        Scenario::RawInsert,
        Scenario::Login,
        Scenario::AgenciesList,
        Scenario::AgencyGet,
        Scenario::Me,
        Scenario::Register,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::RawInsert => "raw-insert",
            Scenario::Login => "login",
            Scenario::AgenciesList => "agencies-list",
            Scenario::AgencyGet => "agency-get",
            Scenario::Me => "me",
            Scenario::Register => "register",
        }
    }

    pub fn about(self) -> &'static str {
        match self {
            Scenario::RawInsert => {
                "INSERT INTO bench_raw in its own transaction, straight through sqlx (baseline)"
            }
            Scenario::Login => "POST /api/v1/auth/login, demo accounts (argon2id 19 MiB, 2 passes)",
            Scenario::AgenciesList => "GET /api/v1/agencies?limit=50 (anonymous)",
            Scenario::AgencyGet => "GET /api/v1/agencies/{id} over the demo agencies (anonymous)",
            Scenario::Me => "GET /api/v1/me with a session cookie (session lookup)",
            Scenario::Register => {
                "POST /api/v1/auth/register, unique e-mails (write + audit entry)"
            }
        }
    }
}

/// The server and database a run is aimed at.
pub struct Target {
    pub backend: &'static str,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// The database the server uses (the raw baseline writes to the same one).
    pub db_url: String,
    pub db_connections: u32,
    /// The demo logins (one per role); their password is the demo password.
    pub logins: Vec<String>,
    /// Unique per run, so e-mails never collide.
    pub tag: String,
}

pub enum RawPool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

/// A scenario ready to run: what its requests need, shared by the workers.
pub struct Prepared {
    pub scenario: Scenario,
    base: String,
    tag: String,
    logins: Vec<String>,
    agency_ids: Vec<String>,
    raw: Option<RawPool>,
}

/// One concurrent client.
pub struct Worker {
    client: reqwest::Client,
    session_cookie: Option<String>,
    payload: String,
}

/// `Err` carries the error's key in the report: the HTTP status, or `transport:…`.
pub type Outcome = std::result::Result<(), String>;

pub fn http_client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(120))
        .pool_max_idle_per_host(1)
        .build()
        .context("HTTP client")
}

fn transport(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else if e.is_body() || e.is_decode() {
        "body"
    } else {
        "other"
    };
    format!("transport:{kind}")
}

/// Send, read the whole body, and classify.
async fn send(rb: reqwest::RequestBuilder) -> Outcome {
    let r = rb.send().await.map_err(|e| transport(&e))?;
    let status = r.status();
    r.bytes().await.map_err(|e| transport(&e))?;
    if status.is_success() {
        Ok(())
    } else {
        Err(status.as_u16().to_string())
    }
}

impl Prepared {
    pub async fn prepare(scenario: Scenario, t: &Target) -> Result<Prepared> {
        let mut p = Prepared {
            scenario,
            base: t.base.clone(),
            tag: t.tag.clone(),
            logins: t.logins.clone(),
            agency_ids: vec![],
            raw: None,
        };
        match scenario {
            Scenario::RawInsert => {
                let pool = if cqdt_store::is_postgres_url(&t.db_url) {
                    RawPool::Postgres(cqdt_store::open_postgres(&t.db_url, t.db_connections).await?)
                } else {
                    RawPool::Sqlite(
                        cqdt_store::open_sqlite(&t.db_url, t.db_connections, Durability::Full)
                            .await?,
                    )
                };
                let ddl = "CREATE TABLE IF NOT EXISTS bench_raw \
                           (id TEXT PRIMARY KEY, payload TEXT, at BIGINT)";
                match &pool {
                    RawPool::Sqlite(pool) => {
                        sqlx::query(ddl).execute(pool).await?;
                    }
                    RawPool::Postgres(pool) => {
                        sqlx::query(ddl).execute(pool).await?;
                    }
                }
                p.raw = Some(pool);
            }
            Scenario::AgencyGet => {
                let client = http_client()?;
                let page: serde_json::Value = client
                    .get(format!("{}/api/v1/agencies?limit=5000", t.base))
                    .send()
                    .await?
                    .error_for_status()?
                    .json()
                    .await?;
                p.agency_ids = page["items"]
                    .as_array()
                    .map(|items| {
                        items
                            .iter()
                            .filter_map(|a| a["id"].as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                if p.agency_ids.is_empty() {
                    bail!("no agencies listed: was the demo data loaded?");
                }
            }
            Scenario::Login | Scenario::Me if p.logins.is_empty() => {
                bail!("no demo logins")
            }
            _ => {}
        }
        Ok(p)
    }

    /// Set up worker `w` (not timed): its own client, and a session for `me`.
    pub async fn worker(&self, w: usize) -> Result<Worker> {
        let client = http_client()?;
        let mut session_cookie = None;
        if self.scenario == Scenario::Me {
            let login = &self.logins[w % self.logins.len()];
            let r = client
                .post(format!("{}/api/v1/auth/login", self.base))
                .json(&json!({"login": login, "password": cqdt_app::demo::DEMO_PASSWORD}))
                .send()
                .await?;
            if !r.status().is_success() {
                bail!("login of {login} for `me`: {}", r.status());
            }
            let prefix = format!("{}=", cqdt_web::auth::SESSION_COOKIE);
            session_cookie = r
                .headers()
                .get_all(reqwest::header::SET_COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .filter_map(|v| v.split(';').next())
                .find(|c| c.starts_with(&prefix))
                .map(str::to_string);
            if session_cookie.is_none() {
                bail!("login of {login} set no session cookie");
            }
        }
        Ok(Worker {
            client,
            session_cookie,
            // About the size of a small audit row.
            payload: format!("{w:04}:{}", "x".repeat(250)),
        })
    }

    /// One timed request; `seq` is unique within the scenario's run.
    pub async fn request(&self, wk: &mut Worker, seq: u64) -> Outcome {
        let base = &self.base;
        match self.scenario {
            Scenario::RawInsert => self.raw_insert(wk).await,
            Scenario::Login => {
                let login = &self.logins[seq as usize % self.logins.len()];
                let body = json!({"login": login, "password": cqdt_app::demo::DEMO_PASSWORD});
                send(
                    wk.client
                        .post(format!("{base}/api/v1/auth/login"))
                        .json(&body),
                )
                .await
            }
            Scenario::AgenciesList => {
                send(wk.client.get(format!("{base}/api/v1/agencies?limit=50"))).await
            }
            Scenario::AgencyGet => {
                let id = &self.agency_ids[seq as usize % self.agency_ids.len()];
                send(wk.client.get(format!("{base}/api/v1/agencies/{id}"))).await
            }
            Scenario::Me => {
                let mut rb = wk.client.get(format!("{base}/api/v1/me"));
                if let Some(c) = &wk.session_cookie {
                    rb = rb.header(reqwest::header::COOKIE, c);
                }
                send(rb).await
            }
            Scenario::Register => {
                let body = json!({
                    "full_name": format!("Người Dùng Thử {seq}"),
                    "login": format!("tai-{}-{seq}@bench.demo", self.tag),
                    "password": cqdt_app::demo::DEMO_PASSWORD,
                });
                send(
                    wk.client
                        .post(format!("{base}/api/v1/auth/register"))
                        .json(&body),
                )
                .await
            }
        }
    }

    async fn raw_insert(&self, wk: &Worker) -> Outcome {
        let sql = "INSERT INTO bench_raw (id, payload, at) VALUES ($1, $2, $3)";
        let id = uuid::Uuid::now_v7().to_string();
        let at = cqdt_app::SystemClock.now_us();
        let db = |e: sqlx::Error| match e.as_database_error() {
            Some(d) => format!("db:{}", d.code().unwrap_or_default()),
            None => format!("db:{}", short(&e)),
        };
        match &self.raw {
            Some(RawPool::Sqlite(pool)) => {
                let mut tx = pool.begin().await.map_err(db)?;
                sqlx::query(sql)
                    .bind(&id)
                    .bind(&wk.payload)
                    .bind(at)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                tx.commit().await.map_err(db)
            }
            Some(RawPool::Postgres(pool)) => {
                let mut tx = pool.begin().await.map_err(db)?;
                sqlx::query(sql)
                    .bind(&id)
                    .bind(&wk.payload)
                    .bind(at)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                tx.commit().await.map_err(db)
            }
            None => Err("raw pool missing".into()),
        }
    }

    /// Release what `prepare` opened.
    pub async fn finish(self) {
        match self.raw {
            Some(RawPool::Sqlite(pool)) => pool.close().await,
            Some(RawPool::Postgres(pool)) => pool.close().await,
            None => {}
        }
    }
}

fn short(e: &sqlx::Error) -> &'static str {
    match e {
        sqlx::Error::PoolTimedOut => "pool-timeout",
        sqlx::Error::PoolClosed => "pool-closed",
        sqlx::Error::Io(_) => "io",
        _ => "other",
    }
}
