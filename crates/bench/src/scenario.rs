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
    /// GET /api/v1/dossiers?queue=desk&limit=20 as the demo desk officer (generated data).
    Worklist,
    /// The desk worklist with filters: overdue, a state, a procedure (generated data).
    WorklistFilters,
    /// The desk worklist with a text search `q=` (name, folded name, ID-number prefix).
    WorklistSearch,
    /// GET /api/v1/dossiers/{id}?include=events of dossiers the officer may see.
    Dossier,
    /// GET /api/v1/dossiers/lookup?code=…&id_number=… without login.
    Lookup,
    /// GET /api/v1/reports/ii06a for the whole province and the generated year.
    Ii06a,
    /// POST /api/v1/dossiers: online submissions of the demo citizen (multipart with a PDF
    /// when the server takes it, else the JSON body).
    Submit,
    /// POST /api/v1/documents/incoming: the clerk of UBND tỉnh registers paper documents.
    DocRegister,
    /// GET /api/v1/documents/registers/incoming: pages of UBND tỉnh's incoming register of the
    /// generated year (generated documents).
    DocRegisterList,
    /// GET /api/v1/documents/search over the province (generated documents).
    DocSearch,
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
        Scenario::Worklist,
        Scenario::WorklistFilters,
        Scenario::WorklistSearch,
        Scenario::Dossier,
        Scenario::Lookup,
        Scenario::Ii06a,
        Scenario::Submit,
        Scenario::DocRegisterList,
        Scenario::DocSearch,
        Scenario::DocRegister,
    ];

    /// Whether it needs generated dossiers.
    pub fn needs_dossiers(self) -> bool {
        matches!(
            self,
            Scenario::Worklist
                | Scenario::WorklistFilters
                | Scenario::WorklistSearch
                | Scenario::Dossier
                | Scenario::Lookup
                | Scenario::Ii06a
        )
    }

    /// Whether it needs generated documents.
    pub fn needs_documents(self) -> bool {
        matches!(self, Scenario::DocRegisterList | Scenario::DocSearch)
    }

    /// The demo account its workers log in as, if any (`None`: per worker from the list).
    fn login(self) -> Option<&'static str> {
        match self {
            Scenario::Worklist
            | Scenario::WorklistFilters
            | Scenario::WorklistSearch
            | Scenario::Dossier => Some(crate::data::OFFICER),
            Scenario::Ii06a => Some(crate::data::VIEWER),
            Scenario::Submit => Some(cqdt_app::demo::CITIZEN_LOGIN),
            Scenario::DocRegister | Scenario::DocRegisterList | Scenario::DocSearch => {
                Some(DOC_CLERK)
            }
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Scenario::RawInsert => "raw-insert",
            Scenario::Login => "login",
            Scenario::AgenciesList => "agencies-list",
            Scenario::AgencyGet => "agency-get",
            Scenario::Me => "me",
            Scenario::Register => "register",
            Scenario::Worklist => "worklist",
            Scenario::WorklistFilters => "worklist-filters",
            Scenario::WorklistSearch => "worklist-search",
            Scenario::Dossier => "dossier",
            Scenario::Lookup => "lookup",
            Scenario::Ii06a => "ii06a",
            Scenario::Submit => "submit",
            Scenario::DocRegister => "doc-register",
            Scenario::DocRegisterList => "doc-register-list",
            Scenario::DocSearch => "doc-search",
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
            Scenario::Worklist => {
                "GET /api/v1/dossiers?queue=desk&limit=20, desk officer of UBND TP Tây Ninh"
            }
            Scenario::WorklistFilters => {
                "the desk worklist with overdue=true | state=received | procedure=… (rotating)"
            }
            Scenario::WorklistSearch => {
                "the desk worklist with q= a name, a folded name or an ID-number prefix"
            }
            Scenario::Dossier => {
                "GET /api/v1/dossiers/{id}?include=events, dossiers of the officer's subtree"
            }
            Scenario::Lookup => "GET /api/v1/dossiers/lookup?code=…&id_number=… (anonymous)",
            Scenario::Ii06a => "GET /api/v1/reports/ii06a, whole province, the generated year",
            Scenario::Submit => {
                "POST /api/v1/dossiers as the demo citizen (multipart + PDF if supported, else JSON)"
            }
            Scenario::DocRegister => {
                "POST /api/v1/documents/incoming (JSON), clerk of UBND tỉnh: arrival number, audit"
            }
            Scenario::DocRegisterList => {
                "GET /api/v1/documents/registers/incoming?limit=50&offset=…, UBND tỉnh, generated year"
            }
            Scenario::DocSearch => {
                "GET /api/v1/documents/search?q=… over the province, generated subjects (folded words)"
            }
        }
    }
}

/// The demo clerk (văn thư) of UBND tỉnh, for the document scenarios.
pub const DOC_CLERK: &str = "vanthutinh@tayninh.demo";
/// UBND tỉnh Tây Ninh.
const PROVINCE_IDENTIFIER: &str = "000.00.00.H53";
/// The year the generator fills.
pub const DOC_YEAR: i32 = 2025;

/// The search queries of `doc-search`: words of the generated subjects, without diacritics
/// as people type them, one to four words, the last one sometimes cut short.
fn doc_queries() -> Vec<String> {
    let mut out = Vec::new();
    for (i, task) in crate::generate::documents::TASKS.iter().enumerate() {
        let words: Vec<String> = cqdt_domain::text::fold(task)
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect();
        let n = words.len();
        if n == 0 {
            continue;
        }
        // Two words from the middle, the last three, and a prefix of the last word.
        let mid = n / 2;
        out.push(words[mid.saturating_sub(1)..(mid + 1).min(n)].join(" "));
        out.push(words[n.saturating_sub(3)..].join(" "));
        let last = &words[n - 1];
        let cut: String = last
            .chars()
            .take(last.chars().count().div_ceil(2).max(2))
            .collect();
        out.push(if i % 2 == 0 {
            format!("{} {cut}", words[0])
        } else {
            cut
        });
    }
    out.push("ubnd".into());
    out.push("quy ii nam 2025".into());
    out
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
    /// Sampled from the generated dossiers (dossier scenarios only).
    pub data: Option<std::sync::Arc<crate::data::Data>>,
    /// Size of the PDF `submit` attaches.
    pub attachment_bytes: usize,
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
    data: Option<std::sync::Arc<crate::data::Data>>,
    submissions: Vec<(String, Vec<usize>)>,
    /// `submit`: send multipart with the PDF (the server takes it).
    multipart: bool,
    pdf: Vec<u8>,
    small_pdf: Vec<u8>,
    /// Mixed into the PDFs' stamps: every upload of every run is a different file.
    salt: u64,
    /// UBND tỉnh's id (document scenarios).
    province_id: String,
    queries: Vec<String>,
    /// `doc-register-list`: the register's size, for spreading the pages.
    register_total: u64,
    /// What the report should say about how the scenario ran.
    pub note: Option<String>,
}

/// One concurrent client.
pub struct Worker {
    client: reqwest::Client,
    session_cookie: Option<String>,
    csrf: Option<String>,
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
            data: t.data.clone(),
            submissions: vec![],
            multipart: false,
            pdf: vec![],
            small_pdf: vec![],
            salt: uuid::Uuid::new_v4().as_u64_pair().0,
            province_id: String::new(),
            queries: doc_queries(),
            register_total: 0,
            note: None,
        };
        if scenario.needs_dossiers() && p.data.is_none() {
            bail!("no generated dossiers to read");
        }
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
            Scenario::DocRegister | Scenario::DocRegisterList | Scenario::DocSearch => {
                let client = http_client()?;
                let page: serde_json::Value = client
                    .get(format!("{}/api/v1/agencies?limit=5000", t.base))
                    .send()
                    .await?
                    .error_for_status()?
                    .json()
                    .await?;
                p.province_id = page["items"]
                    .as_array()
                    .and_then(|items| {
                        items
                            .iter()
                            .find(|a| a["identifier"].as_str() == Some(PROVINCE_IDENTIFIER))
                    })
                    .and_then(|a| a["id"].as_str())
                    .map(str::to_string)
                    .context("UBND tỉnh is not among the agencies: was the demo data loaded?")?;
                if scenario == Scenario::DocRegisterList {
                    let wk = p.worker(0).await?;
                    let url = format!(
                        "{}/api/v1/documents/registers/incoming?agency={}&year={DOC_YEAR}&limit=1",
                        t.base, p.province_id
                    );
                    let page: serde_json::Value = p
                        .authed(&wk, wk.client.get(url))
                        .send()
                        .await?
                        .error_for_status()?
                        .json()
                        .await?;
                    p.register_total = page["total"].as_u64().unwrap_or(0);
                    if p.register_total == 0 {
                        bail!(
                            "UBND tỉnh's incoming register of {DOC_YEAR} is empty: no documents generated?"
                        );
                    }
                    p.note = Some(format!("register of {} documents", p.register_total));
                }
            }
            Scenario::Login | Scenario::Me if p.logins.is_empty() => {
                bail!("no demo logins")
            }
            Scenario::Submit => {
                let subs = crate::data::Submissions::load(&t.db_url, 2019).await?;
                p.submissions = subs.bodies;
                p.pdf = crate::data::pdf(t.attachment_bytes);
                p.small_pdf = crate::data::pdf(8 * 1024);
                // Multipart with the PDF if the server takes it (one probe submission).
                let probe = p.worker(0).await?;
                let (ct, body) = p.multipart_body(u64::MAX >> 9);
                let r = p
                    .authed(
                        &probe,
                        probe.client.post(format!("{}/api/v1/dossiers", t.base)),
                    )
                    .header(reqwest::header::CONTENT_TYPE, ct)
                    .body(body)
                    .send()
                    .await?;
                let status = r.status();
                let text = r.text().await.unwrap_or_default();
                p.multipart = status.is_success();
                p.note = Some(if p.multipart {
                    format!("multipart, PDF of {} bytes", p.pdf.len())
                } else {
                    let short: String = text.chars().take(160).collect();
                    eprintln!(
                        "submit: the server refused multipart ({status}: {short}); sending the JSON body without the attachment"
                    );
                    format!("JSON body, no attachment (multipart refused: {status})")
                });
            }
            _ => {}
        }
        Ok(p)
    }

    /// Set up worker `w` (not timed): its own client, and a session for the scenarios that
    /// need one.
    pub async fn worker(&self, w: usize) -> Result<Worker> {
        let client = http_client()?;
        let login = match self.scenario.login() {
            Some(l) => Some(l.to_string()),
            None if self.scenario == Scenario::Me => {
                Some(self.logins[w % self.logins.len()].clone())
            }
            None => None,
        };
        let (mut session_cookie, mut csrf) = (None, None);
        if let Some(login) = login {
            let r = client
                .post(format!("{}/api/v1/auth/login", self.base))
                .json(&json!({"login": login, "password": cqdt_app::demo::DEMO_PASSWORD}))
                .send()
                .await?;
            if !r.status().is_success() {
                bail!(
                    "login of {login} for `{}`: {}",
                    self.scenario.name(),
                    r.status()
                );
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
            let me: serde_json::Value = r.json().await?;
            csrf = me["csrf_token"].as_str().map(str::to_string);
        }
        Ok(Worker {
            client,
            session_cookie,
            csrf,
            // About the size of a small audit row.
            payload: format!("{w:04}:{}", "x".repeat(250)),
        })
    }

    /// The request with the worker's session cookie and CSRF token, if any.
    fn authed(&self, wk: &Worker, mut rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        if let Some(c) = &wk.session_cookie {
            rb = rb.header(reqwest::header::COOKIE, c);
        }
        if let Some(t) = &wk.csrf {
            rb = rb.header("x-csrf-token", t);
        }
        rb
    }

    /// The `k`-th submission as multipart: the JSON in `submission`, the PDFs in `part-N`.
    fn multipart_body(&self, k: u64) -> (String, Vec<u8>) {
        let Some((json, required)) = self
            .submissions
            .get(k as usize % self.submissions.len().max(1))
        else {
            return crate::data::multipart("{}", &[], k);
        };
        // The 100 KB PDF for the first required part (part 1 if none is required), a small
        // one for each other required part.
        let first = required.first().copied().unwrap_or(1);
        let tag = k ^ self.salt;
        let mut big = self.pdf.clone();
        crate::data::stamp(&mut big, tag);
        let mut small = Vec::new();
        for (i, _) in required.iter().enumerate().skip(1) {
            let mut s = self.small_pdf.clone();
            crate::data::stamp(&mut s, tag ^ ((i as u64) << 56));
            small.push(s);
        }
        let mut files: Vec<(usize, &[u8])> = vec![(first, &big)];
        for (&n, s) in required.iter().skip(1).zip(&small) {
            files.push((n, s));
        }
        crate::data::multipart(json, &files, k)
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
            Scenario::Me => send(self.authed(wk, wk.client.get(format!("{base}/api/v1/me")))).await,
            Scenario::Worklist => {
                let url = format!("{base}/api/v1/dossiers?queue=desk&limit=20");
                send(self.authed(wk, wk.client.get(url))).await
            }
            Scenario::WorklistFilters => {
                let d = self.data.as_deref();
                let filter = match seq % 3 {
                    0 => "overdue=true".to_string(),
                    1 => "state=received".to_string(),
                    _ => match d.and_then(|d| {
                        d.procedures
                            .get(seq as usize / 3 % d.procedures.len().max(1))
                    }) {
                        Some(p) => format!("procedure={p}"),
                        None => "overdue=false".to_string(),
                    },
                };
                let url = format!("{base}/api/v1/dossiers?queue=desk&limit=20&{filter}");
                send(self.authed(wk, wk.client.get(url))).await
            }
            Scenario::WorklistSearch => {
                let Some(d) = self.data.as_deref() else {
                    return Err("no data".into());
                };
                let q = &d.searches[seq as usize % d.searches.len()];
                let rb = wk.client.get(format!("{base}/api/v1/dossiers")).query(&[
                    ("queue", "desk"),
                    ("limit", "20"),
                    ("q", q.as_str()),
                ]);
                send(self.authed(wk, rb)).await
            }
            Scenario::Dossier => {
                let Some(d) = self.data.as_deref() else {
                    return Err("no data".into());
                };
                let id = &d.visible_ids[pseudo(seq) as usize % d.visible_ids.len()];
                let url = format!("{base}/api/v1/dossiers/{id}?include=events");
                send(self.authed(wk, wk.client.get(url))).await
            }
            Scenario::Lookup => {
                let Some(d) = self.data.as_deref() else {
                    return Err("no data".into());
                };
                let (code, idn, phone) = &d.lookups[pseudo(seq) as usize % d.lookups.len()];
                let mut q = vec![("code", code.as_str())];
                if let Some(i) = idn {
                    q.push(("id_number", i.as_str()));
                } else if let Some(p) = phone {
                    q.push(("phone", p.as_str()));
                }
                send(
                    wk.client
                        .get(format!("{base}/api/v1/dossiers/lookup"))
                        .query(&q),
                )
                .await
            }
            Scenario::Ii06a => {
                let Some(d) = self.data.as_deref() else {
                    return Err("no data".into());
                };
                let url = format!(
                    "{base}/api/v1/reports/ii06a?agency={}&from={y}-01-01&to={y}-12-31",
                    d.province_id,
                    y = d.year
                );
                send(self.authed(wk, wk.client.get(url))).await
            }
            Scenario::Submit => {
                let url = format!("{base}/api/v1/dossiers");
                let rb = if self.multipart {
                    let (ct, body) = self.multipart_body(seq);
                    wk.client
                        .post(url)
                        .header(reqwest::header::CONTENT_TYPE, ct)
                        .body(body)
                } else {
                    let Some((json, _)) = self
                        .submissions
                        .get(seq as usize % self.submissions.len().max(1))
                    else {
                        return Err("no submissions".into());
                    };
                    wk.client
                        .post(url)
                        .header(reqwest::header::CONTENT_TYPE, "application/json")
                        .body(json.clone())
                };
                send(self.authed(wk, rb)).await
            }
            Scenario::DocRegister => {
                // A subject and sender drawn as the generator draws them: thousands of
                // registrations with one repeated subject would skew later searches (their
                // words would head every posting list they share).
                use crate::generate::documents::{OUTSIDE, subject};
                let mut r = crate::generate::rng::Rng::new(seq, 0x0064_6f63_2d72_6567);
                let (sender, abbreviation) = *r.pick(OUTSIDE);
                let body = json!({
                    "agency_id": self.province_id,
                    "type_code": "cong_van",
                    "subject": subject("cong_van", &mut r),
                    "sender_name": sender,
                    "sender_number": format!("{}/{abbreviation}-VP", seq % 5000 + 1),
                });
                let url = format!("{base}/api/v1/documents/incoming");
                send(self.authed(wk, wk.client.post(url).json(&body))).await
            }
            Scenario::DocRegisterList => {
                // Mostly the first pages (what clerks open), sometimes deep in the year.
                let pages = self.register_total.div_ceil(50).max(1);
                let page = if seq.is_multiple_of(4) {
                    pseudo(seq) % pages
                } else {
                    seq % 4
                };
                let url = format!(
                    "{base}/api/v1/documents/registers/incoming?agency={}&year={DOC_YEAR}&limit=50&offset={}",
                    self.province_id,
                    (page * 50).min(self.register_total.saturating_sub(1))
                );
                send(self.authed(wk, wk.client.get(url))).await
            }
            Scenario::DocSearch => {
                let q = &self.queries[seq as usize % self.queries.len()];
                let rb = wk
                    .client
                    .get(format!("{base}/api/v1/documents/search"))
                    .query(&[
                        ("agency", self.province_id.as_str()),
                        ("q", q),
                        ("limit", "20"),
                    ]);
                send(self.authed(wk, rb)).await
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

/// Spreads consecutive request numbers over the sample (a fixed permutation-like walk).
fn pseudo(seq: u64) -> u64 {
    seq.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 17
}

fn short(e: &sqlx::Error) -> &'static str {
    match e {
        sqlx::Error::PoolTimedOut => "pool-timeout",
        sqlx::Error::PoolClosed => "pool-closed",
        sqlx::Error::Io(_) => "io",
        _ => "other",
    }
}
