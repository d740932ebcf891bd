//! Crash safety: under a write load (registrations, and online dossier submissions with two
//! files each), kill the server with SIGKILL at random moments, restart it on the same
//! database, and check that every write whose answer was a success is there — each dossier
//! with the exact bytes of its files —, that no notification was lost or received twice, and
//! that the audit chain is intact. On SQLite and PostgreSQL.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) base: String,
}

pub(crate) fn start(dir: &std::path::Path, db_url: &str) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cqdt"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .current_dir(dir)
        .env("CQDT__DATABASE__URL", db_url)
        .env("CQDT__SERVER__METRICS_LISTEN", "")
        .env("CQDT__SECURITY__ARGON2_MEMORY_KIB", "256")
        .env("CQDT__SECURITY__ARGON2_ITERATIONS", "1")
        .env("CQDT__LOG__LEVEL", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn cqdt");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    let base = loop {
        assert!(Instant::now() < deadline, "server did not start");
        let line = lines.next().expect("server output").expect("line");
        if let Some(rest) = line.split("http://").nth(1) {
            break format!("http://{}", rest.split_whitespace().next().unwrap());
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, base }
}

/// Staff accounts `cqdt seed --demo` creates: no notice (its citizen registers, with a notice).
const DEMO_STAFF: i64 = cqdt_app::demo::STAFF.len() as i64;

/// `cqdt seed --demo` on the database (agencies, demo accounts, catalogue).
pub(crate) fn seed(dir: &std::path::Path, db_url: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_cqdt"))
        .args(["seed", "--demo"])
        .current_dir(dir)
        .env("CQDT__DATABASE__URL", db_url)
        .env("CQDT__SECURITY__ARGON2_MEMORY_KIB", "256")
        .env("CQDT__SECURITY__ARGON2_ITERATIONS", "1")
        .env("CQDT__LOG__LEVEL", "warn")
        .output()
        .expect("cqdt seed");
    assert!(
        out.status.success(),
        "seed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const FIXTURE: &str = include_str!("../../../store/tests/fixtures/procedures.json");

/// A citizen's session and the dossier target: (client, CSRF token, procedure id, agency id).
pub(crate) type Submitter = (reqwest::Client, String, String, String);

/// Imports the test catalogue as the demo administrator and logs the demo citizen in.
pub(crate) async fn prepare(base: &str) -> Submitter {
    let login = |who: &'static str| async move {
        let c = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap();
        let r = c
            .post(format!("{base}/api/v1/auth/login"))
            .json(&serde_json::json!({"login": who, "password": "TayNinh@2019"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "login {who}");
        let v: serde_json::Value = r.json().await.unwrap();
        (c, v["csrf_token"].as_str().unwrap().to_string())
    };
    let (admin, csrf) = login("quantri@tayninh.demo").await;
    let items: serde_json::Value = serde_json::from_str(FIXTURE).unwrap();
    let r = admin
        .post(format!("{base}/api/v1/procedures/import"))
        .header("x-csrf-token", &csrf)
        .json(&items)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        200,
        "import: {}",
        r.text().await.unwrap_or_default()
    );
    let get = |path: String| {
        let admin = admin.clone();
        async move {
            let v: serde_json::Value = admin.get(path).send().await.unwrap().json().await.unwrap();
            v["items"][0]["id"].as_str().unwrap().to_string()
        }
    };
    let procedure = get(format!("{base}/api/v1/procedures?q=9.900002")).await;
    let agency = get(format!("{base}/api/v1/agencies?q=000.00.20.H53")).await;
    let (citizen, csrf) = login("congdan@tayninh.demo").await;
    (citizen, csrf, procedure, agency)
}

/// The bytes of an acknowledged dossier's two files, by its code.
type Submitted = BTreeMap<String, [Vec<u8>; 2]>;

/// A small deterministic generator; the seed is printed so a failure can be replayed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

async fn load_and_kill(
    dir: &std::path::Path,
    db_url: &str,
    rounds: usize,
    seed: u64,
) -> (BTreeSet<String>, Submitted) {
    let acknowledged = Arc::new(Mutex::new(BTreeSet::new()));
    let submitted: Arc<Mutex<Submitted>> = Arc::new(Mutex::new(BTreeMap::new()));
    let mut rng = Rng(seed | 1);
    let mut submitter: Option<Submitter> = None;
    // At least `rounds` rounds, and more (up to 12) until enough writes were acknowledged for
    // the check to mean something: on a loaded machine a round can end before the server has
    // answered much.
    let mut round = 0;
    while round < rounds
        || (round < 12
            && (acknowledged.lock().unwrap().len() <= 20 || submitted.lock().unwrap().len() <= 5))
    {
        let mut server = start(dir, db_url);
        if submitter.is_none() {
            submitter = Some(prepare(&server.base).await);
        }
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut tasks = Vec::new();
        for worker in 0..2 {
            let base = server.base.clone();
            let sub = submitted.clone();
            let stop = stop.clone();
            let Some((c, csrf, procedure, agency)) = submitter.clone() else {
                unreachable!()
            };
            tasks.push(tokio::spawn(async move {
                let mut i = 0;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) && i < 2000 {
                    i += 1;
                    let tag = format!("r{round} w{worker} n{i}");
                    let files = [
                        format!("%PDF-1.4\n% don {tag}\n%%EOF\n").into_bytes(),
                        format!("%PDF-1.4\n% cccd {tag}\n{}\n%%EOF\n", "x".repeat(20_000)).into_bytes(),
                    ];
                    let submission = serde_json::json!({
                        "procedure_id": procedure, "agency_id": agency,
                        "values": {"ten_ho_kinh_doanh": format!("Hộ kinh doanh {tag}"), "nganh_nghe": "Bán lẻ"},
                    });
                    let form = reqwest::multipart::Form::new()
                        .part(
                            "submission",
                            reqwest::multipart::Part::text(submission.to_string())
                                .mime_str("application/json")
                                .unwrap(),
                        )
                        .part("part-1", reqwest::multipart::Part::bytes(files[0].clone()).file_name("don.pdf"))
                        .part("part-2", reqwest::multipart::Part::bytes(files[1].clone()).file_name("cccd.pdf"));
                    let sent = c
                        .post(format!("{base}/api/v1/dossiers"))
                        .header("x-csrf-token", &csrf)
                        .timeout(Duration::from_secs(5))
                        .multipart(form)
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status() == 201 => {
                            let v: serde_json::Value = match r.json().await {
                                Ok(v) => v,
                                Err(_) => break,
                            };
                            let code = v["code"].as_str().unwrap().to_string();
                            sub.lock().unwrap().insert(code, files);
                        }
                        Ok(r) => assert!(r.status().as_u16() < 500 || r.status() == 503, "status {}", r.status()),
                        Err(_) => break,
                    }
                }
            }));
        }
        for worker in 0..6 {
            let base = server.base.clone();
            let ack = acknowledged.clone();
            let stop = stop.clone();
            tasks.push(tokio::spawn(async move {
                let c = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
                let mut i = 0;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) && i < 2000 {
                    i += 1;
                    let email = format!("r{round}w{worker}n{i}@crash.test");
                    let body = serde_json::json!({"full_name": "Nguyễn Văn Thử", "login": email, "password": "mật khẩu thử"});
                    match c.post(format!("{base}/api/v1/auth/register")).json(&body).send().await {
                        Ok(r) if r.status() == 201 => {
                            ack.lock().unwrap().insert(email);
                        }
                        Ok(r) => assert!(r.status().as_u16() < 500 || r.status() == 503, "status {}", r.status()),
                        Err(_) => break, // the server died under us: expected
                    }
                }
            }));
        }
        let wait_ms = 200 + rng.next() % 1200;
        tokio::time::sleep(Duration::from_millis(wait_ms)).await;
        server.child.kill().expect("SIGKILL");
        let _ = server.child.wait();
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        for t in tasks {
            t.await.unwrap();
        }
        round += 1;
    }
    let acks = acknowledged.lock().unwrap().clone();
    let subs = submitted.lock().unwrap().clone();
    assert!(
        acks.len() > 20 && subs.len() > 5,
        "the load did not run in {round} rounds: {} registrations, {} dossiers",
        acks.len(),
        subs.len()
    );
    (acks, subs)
}

/// Start once more and let the dispatcher drain the outbox, then stop.
async fn drain(dir: &std::path::Path, db_url: &str) {
    let mut server = start(dir, db_url);
    let store = cqdt_store::connect(&cqdt_store::StoreOptions {
        url: db_url.to_string(),
        max_connections: 1,
        sqlite_durability: cqdt_store::Durability::Full,
        group_commit: cqdt_store::DEFAULT_GROUP_COMMIT,
    })
    .await
    .unwrap();
    // Messages leased by a killed dispatcher come back only when their lease (60 s) runs out;
    // the test does not wait that long: the check below counts them as pending, not lost.
    let deadline = Instant::now() + Duration::from_secs(15);
    while store.outbox_stats().await.unwrap().pending > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    server.child.kill().expect("SIGKILL");
    let _ = server.child.wait();
}

/// Every way the database can disagree with what was acknowledged, in words (empty: none).
/// The test asserts the list is empty; `a_dropped_notice_is_caught` shows it is not when a
/// notice has been removed.
async fn check(
    db_url: &str,
    files_dir: &std::path::Path,
    acknowledged: &BTreeSet<String>,
    submitted: &Submitted,
    backend: &str,
) -> Vec<String> {
    let mut problems = Vec::new();
    let store = cqdt_store::connect(&cqdt_store::StoreOptions {
        url: db_url.to_string(),
        max_connections: 2,
        sqlite_durability: cqdt_store::Durability::Full,
        group_commit: cqdt_store::DEFAULT_GROUP_COMMIT,
    })
    .await
    .unwrap();
    // Every acknowledged dossier is there with both files, byte for byte.
    use cqdt_app::BlobStore;
    let blobs = cqdt_store::FsBlobs::open(files_dir).unwrap();
    for (code, files) in submitted {
        let Some(d) = store.dossier_by_code(code).await.unwrap() else {
            problems.push(format!("{backend}: acknowledged dossier {code} lost"));
            continue;
        };
        let mut stored = store.files_of_dossier(d.id).await.unwrap();
        stored.sort_by_key(|f| f.part);
        if stored.len() != 2 {
            problems.push(format!(
                "{backend}: {code} has {} files, not 2",
                stored.len()
            ));
        }
        for (f, sent) in stored.iter().zip(files) {
            match blobs.get(&f.sha256).await.unwrap() {
                None => problems.push(format!("{backend}: bytes of {code} part {:?} lost", f.part)),
                Some(bytes) if &bytes != sent => {
                    problems.push(format!("{backend}: {code} part {:?} differs", f.part))
                }
                Some(_) => {}
            }
        }
    }
    let mut missing = Vec::new();
    for e in acknowledged {
        if store.user_by_email(e).await.unwrap().is_none() {
            missing.push(e.clone());
        }
    }
    if !missing.is_empty() {
        problems.push(format!(
            "{backend}: {} acknowledged registrations lost, e.g. {:?}",
            missing.len(),
            &missing[..missing.len().min(5)]
        ));
    }
    // No notification lost: every stored account has its notice in the outbox, delivered or
    // still pending (a lease held by a killed dispatcher), and the idempotent receiver (the
    // outgoing-messages table, keyed by the outbox key) holds at most one copy of each.
    // The demo seed's staff accounts get no notice; online submissions notify nobody until
    // the desk acts.
    let users = store.users_count().await.unwrap() - DEMO_STAFF;
    let stats = store.outbox_stats().await.unwrap();
    if stats.dead != 0 {
        problems.push(format!("{backend}: {} notices dead: {stats:?}", stats.dead));
    }
    if stats.pending + stats.delivered != users {
        problems.push(format!(
            "{backend}: {users} accounts but {} notices in the outbox: {stats:?}",
            stats.pending + stats.delivered
        ));
    }
    let outgoing = store.outgoing_list(1_000_000).await.unwrap();
    // A dispatcher killed between the gateway's write and its own "delivered" mark leaves a
    // message pending that the receiver already holds; it will be sent again and dropped there.
    let received = outgoing.len() as i64;
    if received < stats.delivered || received > stats.delivered + stats.pending {
        problems.push(format!("{backend}: received {received}, {stats:?}"));
    }
    let keys: BTreeSet<&str> = outgoing
        .iter()
        .map(|m| m.idempotency_key.as_str())
        .collect();
    if keys.len() != outgoing.len() {
        problems.push(format!("{backend}: a notice reached the receiver twice"));
    }
    for e in acknowledged {
        let Some(u) = store.user_by_email(e).await.unwrap() else {
            continue; // counted above
        };
        let key = format!("user:{}:registered", u.id);
        if store.outbox_by_key(&key).await.unwrap().is_none() {
            problems.push(format!("{backend}: notice of {e} lost"));
        }
    }
    let app = cqdt_app::App::new(store, cqdt_app::AppConfig::default());
    match app.audit_verify().await.unwrap() {
        cqdt_app::audit::VerifyOutcome::Intact { entries } => {
            if (entries as usize) < acknowledged.len() + submitted.len() {
                problems.push(format!(
                    "{backend}: {entries} audit entries for {} writes",
                    acknowledged.len() + submitted.len()
                ));
            }
        }
        other => problems.push(format!(
            "{backend}: audit chain broken after crashes: {other:?}"
        )),
    }
    problems
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill() {
    let seed_value = std::time::SystemTime::UNIX_EPOCH
        .elapsed()
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(7);
    println!("crash test seed {seed_value}");
    // SQLite.
    let dir = cqdt_store::testing::TempDir::new("crash").unwrap();
    let url = format!("sqlite://{}", dir.0.join("cqdt.sqlite").display());
    seed(&dir.0, &url);
    let (acknowledged, submitted) = load_and_kill(&dir.0, &url, 4, seed_value).await;
    println!(
        "sqlite: {} registrations, {} dossiers acknowledged",
        acknowledged.len(),
        submitted.len()
    );
    // Files beside the SQLite database by default.
    let files = dir.0.join("files");
    let problems = check(&url, &files, &acknowledged, &submitted, "sqlite").await;
    assert!(problems.is_empty(), "{problems:#?}");
    // The check itself: with one notice dropped from the outbox (what a build that lost an
    // outbox row would leave), and one stored file's bytes gone, it must complain of both.
    {
        use sqlx::Connection;
        let victim = acknowledged.iter().next_back().unwrap();
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let dropped = sqlx::query(
            "DELETE FROM outbox WHERE idempotency_key = \
             (SELECT 'user:' || id || ':registered' FROM users WHERE email = ?1)",
        )
        .bind(victim)
        .execute(&mut conn)
        .await
        .unwrap();
        assert_eq!(dropped.rows_affected(), 1, "the notice of {victim}");
        conn.close().await.unwrap();
        let problems = check(&url, &files, &acknowledged, &submitted, "sqlite").await;
        println!("with a dropped outbox row, the check reports: {problems:#?}");
        assert!(
            problems
                .iter()
                .any(|p| p.contains(&format!("notice of {victim} lost"))),
            "{problems:#?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("notices in the outbox")),
            "{problems:#?}"
        );
    }
    // PostgreSQL, when configured.
    if let Some(pg) = cqdt_store::testing::TestDb::postgres("crash")
        .await
        .unwrap()
    {
        seed(&dir.0, &pg.url);
        let (acknowledged, submitted) =
            load_and_kill(&dir.0, &pg.url, 4, seed_value.rotate_left(17)).await;
        println!(
            "postgres: {} registrations, {} dossiers acknowledged",
            acknowledged.len(),
            submitted.len()
        );
        drain(&dir.0, &pg.url).await;
        // With PostgreSQL the files folder defaults to data/files under the working folder.
        let problems = check(
            &pg.url,
            &dir.0.join("data").join("files"),
            &acknowledged,
            &submitted,
            "postgres",
        )
        .await;
        assert!(problems.is_empty(), "{problems:#?}");
        pg.cleanup().await;
    }
}
