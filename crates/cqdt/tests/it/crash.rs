//! Crash safety: under a write load, kill the server with SIGKILL at random moments, restart it
//! on the same database, and check that every write whose answer was a success is there and that
//! the audit chain is intact. On SQLite and PostgreSQL. (Dossiers, files and the outbox join this
//! test when they exist.)

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    base: String,
}

fn start(dir: &std::path::Path, db_url: &str) -> Server {
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
) -> BTreeSet<String> {
    let acknowledged = Arc::new(Mutex::new(BTreeSet::new()));
    let mut rng = Rng(seed | 1);
    for round in 0..rounds {
        let mut server = start(dir, db_url);
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut tasks = Vec::new();
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
    }
    acknowledged.lock().unwrap().clone()
}

/// Start once more and let the dispatcher drain the outbox, then stop.
async fn drain(dir: &std::path::Path, db_url: &str) {
    let mut server = start(dir, db_url);
    let store = cqdt_store::connect(&cqdt_store::StoreOptions {
        url: db_url.to_string(),
        max_connections: 1,
        sqlite_durability: cqdt_store::Durability::Full,
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

async fn check(db_url: &str, acknowledged: &BTreeSet<String>, backend: &str) {
    let store = cqdt_store::connect(&cqdt_store::StoreOptions {
        url: db_url.to_string(),
        max_connections: 2,
        sqlite_durability: cqdt_store::Durability::Full,
    })
    .await
    .unwrap();
    let mut missing = Vec::new();
    for e in acknowledged {
        if store.user_by_email(e).await.unwrap().is_none() {
            missing.push(e.clone());
        }
    }
    assert!(
        missing.is_empty(),
        "{backend}: {} acknowledged registrations lost, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    // No notification lost: every stored account has its notice in the outbox, delivered or
    // still pending (a lease held by a killed dispatcher), and the idempotent receiver (the
    // outgoing-messages table, keyed by the outbox key) holds at most one copy of each.
    let users = store.users_count().await.unwrap();
    let stats = store.outbox_stats().await.unwrap();
    assert_eq!(stats.dead, 0, "{backend}");
    assert_eq!(
        stats.pending + stats.delivered,
        users,
        "{backend}: one notice per account"
    );
    let outgoing = store.outgoing_list(1_000_000).await.unwrap();
    // A dispatcher killed between the gateway's write and its own "delivered" mark leaves a
    // message pending that the receiver already holds; it will be sent again and dropped there.
    let received = outgoing.len() as i64;
    assert!(
        received >= stats.delivered && received <= stats.delivered + stats.pending,
        "{backend}: received {received}, {stats:?}"
    );
    let keys: BTreeSet<&str> = outgoing
        .iter()
        .map(|m| m.idempotency_key.as_str())
        .collect();
    assert_eq!(
        keys.len(),
        outgoing.len(),
        "{backend}: a notice reached the receiver twice"
    );
    for e in acknowledged.iter().take(50) {
        let u = store.user_by_email(e).await.unwrap().unwrap();
        let m = store
            .outbox_by_key(&format!("user:{}:registered", u.id))
            .await
            .unwrap();
        assert!(m.is_some(), "{backend}: notice of {e} lost");
    }
    let app = cqdt_app::App::new(store, cqdt_app::AppConfig::default());
    match app.audit_verify().await.unwrap() {
        cqdt_app::audit::VerifyOutcome::Intact { entries } => {
            assert!(
                entries as usize >= acknowledged.len(),
                "{backend}: {entries} audit entries for {} writes",
                acknowledged.len()
            )
        }
        other => panic!("{backend}: audit chain broken after crashes: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill() {
    let seed = std::time::SystemTime::UNIX_EPOCH
        .elapsed()
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(7);
    println!("crash test seed {seed}");
    // SQLite.
    let dir = cqdt_store::testing::TempDir::new("crash").unwrap();
    let url = format!("sqlite://{}", dir.0.join("cqdt.sqlite").display());
    let acknowledged = load_and_kill(&dir.0, &url, 4, seed).await;
    assert!(
        acknowledged.len() > 20,
        "the load did not run: {}",
        acknowledged.len()
    );
    check(&url, &acknowledged, "sqlite").await;
    // PostgreSQL, when configured.
    if let Some(pg) = cqdt_store::testing::TestDb::postgres("crash")
        .await
        .unwrap()
    {
        let acknowledged = load_and_kill(&dir.0, &pg.url, 4, seed.rotate_left(17)).await;
        assert!(acknowledged.len() > 20, "the load did not run on postgres");
        drain(&dir.0, &pg.url).await;
        check(&pg.url, &acknowledged, "postgres").await;
        pg.cleanup().await;
    }
}
