//! E-mail through a real SMTP server process (aiosmtpd, from PyPI) that the test starts: a
//! registration's notice leaves the outbox, arrives once with its Vietnamese subject and body,
//! and a repeated delivery carries the same Message-ID so a receiver can drop it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use cqdt_app::accounts::RegisterInput;
use cqdt_app::outbox::Deliverer;
use cqdt_app::{App, AppConfig, Ctx};
use cqdt_exchange::{NotificationDeliverer, SmtpSettings};
use cqdt_store::testing::{TempDir, TestDb};
use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The Python that has aiosmtpd: $CQDT_PYTHON, ~/.cache/cqdt-py (made by .ci/run), or python3.
fn python() -> Option<String> {
    let home = std::env::var("HOME").unwrap_or_default();
    let candidates = [
        std::env::var("CQDT_PYTHON").unwrap_or_default(),
        format!("{home}/.cache/cqdt-py/bin/python"),
        "python3".into(),
    ];
    candidates.into_iter().filter(|p| !p.is_empty()).find(|p| {
        Command::new(p)
            .args(["-c", "import aiosmtpd"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

struct Smtpd(Child);
impl Drop for Smtpd {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Subject, Message-ID and body of each message in the Maildir, decoded by Python's email
/// package (an implementation we did not write).
fn read_maildir(py: &str, dir: &std::path::Path) -> Vec<serde_json::Value> {
    let script = r#"
import mailbox, json, sys
from email.header import decode_header, make_header
out = []
for key, m in mailbox.Maildir(sys.argv[1], create=False).items():
    body = m.get_payload(decode=True).decode(m.get_content_charset() or 'utf-8')
    out.append({"subject": str(make_header(decode_header(m["Subject"]))), "message_id": m["Message-ID"], "to": m["To"], "body": body})
print(json.dumps(out, ensure_ascii=False))
"#;
    let o = Command::new(py)
        .args(["-c", script, dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[tokio::test]
async fn registration_notice_goes_out_by_smtp_once_per_key() {
    let Some(py) = python() else {
        let _ = writeln!(
            std::io::stderr(),
            "skipped: SMTP test (no Python with aiosmtpd; .ci/run installs it)"
        );
        return;
    };
    let dir = TempDir::new("smtp").unwrap();
    let maildir = dir.0.join("Maildir");
    let port = free_port();
    let _server = Smtpd(
        Command::new(&py)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
                maildir.to_str().unwrap(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "aiosmtpd did not start");
        std::thread::sleep(Duration::from_millis(100));
    }

    let db = TestDb::sqlite().await.unwrap();
    let app = App::new(
        db.store.clone(),
        AppConfig {
            argon2_memory_kib: 64,
            argon2_iterations: 1,
            ..AppConfig::default()
        },
    );
    let user = app
        .register(
            &Ctx::anonymous(None),
            &RegisterInput {
                full_name: "Trần Thị Ánh Tuyết".into(),
                login: "anh.tuyet@example.vn".into(),
                password: "mật khẩu dài".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let key = format!("user:{}:registered", user.id);
    let queued = app
        .store
        .outbox_by_key(&key)
        .await
        .unwrap()
        .expect("notice written with the account");
    assert!(queued.delivered_at_us.is_none());

    let smtp = SmtpSettings::from_url(
        &format!("smtp://127.0.0.1:{port}"),
        "Chính quyền điện tử Tây Ninh <noreply@tayninh.gov.vn>",
    )
    .unwrap();
    let deliverer =
        NotificationDeliverer::new(app.store.clone(), app.clock.clone(), Some(smtp)).unwrap();
    let report = app.dispatch_all(&deliverer).await.unwrap();
    assert_eq!(report.delivered, 1);
    assert!(
        app.store
            .outbox_by_key(&key)
            .await
            .unwrap()
            .unwrap()
            .delivered_at_us
            .is_some()
    );
    // Nothing more to send.
    assert_eq!(app.dispatch_all(&deliverer).await.unwrap().delivered, 0);

    // A crash after sending but before marking: the dispatcher sends again. Same Message-ID.
    deliverer.deliver(&queued).await.unwrap();
    let mut mails = Vec::new();
    for _ in 0..50 {
        mails = read_maildir(&py, &maildir);
        if mails.len() >= 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(mails.len(), 2, "{mails:?}");
    for m in &mails {
        assert_eq!(
            m["subject"],
            "Đăng ký tài khoản thành công — Chính quyền điện tử tỉnh Tây Ninh"
        );
        assert!(m["to"].as_str().unwrap().contains("anh.tuyet@example.vn"));
        assert!(
            m["body"]
                .as_str()
                .unwrap()
                .starts_with("Kính gửi Trần Thị Ánh Tuyết,"),
            "{}",
            m["body"]
        );
    }
    assert_eq!(
        mails[0]["message_id"], mails[1]["message_id"],
        "a repeat carries the same Message-ID"
    );
}

#[tokio::test]
async fn sms_gateway_table_drops_repeats_and_failures_retry_with_backoff() {
    for db in TestDb::all("sms_gateway").await.unwrap() {
        let app = App::new(
            db.store.clone(),
            AppConfig {
                argon2_memory_kib: 64,
                argon2_iterations: 1,
                ..AppConfig::default()
            },
        );
        let user = app
            .register(
                &Ctx::anonymous(None),
                &RegisterInput {
                    full_name: "Lê Văn Tám".into(),
                    login: "0912 000 111".into(),
                    password: "mật khẩu dài".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let key = format!("user:{}:registered", user.id);
        // A gateway that is down: the message is rescheduled with backoff, not lost.
        struct Down;
        #[async_trait::async_trait]
        impl Deliverer for Down {
            async fn deliver(&self, _: &cqdt_app::store::OutboxMessage) -> Result<(), String> {
                Err("gateway unreachable".into())
            }
        }
        let r = app.dispatch_once(&Down, 10).await.unwrap();
        assert_eq!(r.retried, 1, "{}", db.backend);
        let m = app.store.outbox_by_key(&key).await.unwrap().unwrap();
        assert_eq!(m.attempts, 1);
        assert_eq!(m.last_error.as_deref(), Some("gateway unreachable"));
        assert!(
            m.available_at_us >= app.now_us() + 4_000_000,
            "retry later, not now"
        );
        assert_eq!(
            app.dispatch_once(&Down, 10).await.unwrap(),
            Default::default(),
            "not due yet"
        );
        assert_eq!(app.store.outbox_stats().await.unwrap().pending, 1);

        // The default gateway: the table, once per key even if delivered twice.
        let deliverer =
            NotificationDeliverer::new(app.store.clone(), app.clock.clone(), None).unwrap();
        deliverer.deliver(&m).await.unwrap();
        deliverer.deliver(&m).await.unwrap();
        let out = app.store.outgoing_list(10).await.unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].channel, "sms");
        assert_eq!(out[0].recipient, "0912000111");
        assert!(out[0].body.contains("Lê Văn Tám"));
        db.cleanup().await;
    }
}
