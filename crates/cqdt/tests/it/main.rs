//! The one integration-test binary of cqdt: the real server on a random loopback port with its
//! own database (SQLite, and PostgreSQL when TEST_DATABASE_URL is set), and the real binary
//! for the command-line tools. Add modules here rather than new files under tests/.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod catalogue;
mod cli;
mod crash;
mod documents;
mod dossiers;
mod edxml;
mod files;
mod http;
mod openapi;
mod pages_dossiers;
mod signatures;
mod slips;

use cqdt_app::{App, AppConfig};
use cqdt_store::testing::TestDb;
use cqdt_web::WebConfig;

/// A running server with its own database and a cookie-keeping client.
pub struct TestApp {
    pub base: String,
    pub app: App,
    /// The signing service the server signs documents with (to verify them).
    pub signing: std::sync::Arc<cqdt_exchange::signing::SigningService>,
    /// The edXML node behind `/api/v1/edxml/…`.
    pub edxml: std::sync::Arc<cqdt_exchange::edxml_node::EdxmlNode>,
    pub db: Option<TestDb>,
    running: Option<cqdt::server::Running>,
}

pub const PW: &str = cqdt_app::demo::DEMO_PASSWORD;

/// The peer system every test server accepts edXML from.
pub const EDXML_PEER_SYSTEM: &str = "he-thong-thu";
pub const EDXML_PEER_SECRET: &[u8] = "bí mật chung".as_bytes();
pub const EDXML_PEER_IDENTIFIER: &str = "000.00.00.G99";

impl TestApp {
    /// One server per backend (PostgreSQL only when configured), with the demo data loaded.
    pub async fn all(test: &str) -> Vec<TestApp> {
        let mut v = Vec::new();
        for db in TestDb::all(test).await.expect("database") {
            v.push(TestApp::start(db).await);
        }
        v
    }

    pub async fn sqlite() -> TestApp {
        TestApp::start(TestDb::sqlite().await.expect("sqlite")).await
    }

    async fn start(db: TestDb) -> TestApp {
        TestApp::start_with(db, None).await
    }

    /// The demo server on `db`, with this clock (the system's by default) and the platform's
    /// real signing service, its own test CA in a fresh folder.
    pub async fn start_with(
        db: TestDb,
        clock: Option<std::sync::Arc<dyn cqdt_app::Clock>>,
    ) -> TestApp {
        let config = AppConfig {
            argon2_memory_kib: 256,
            argon2_iterations: 1,
            ..AppConfig::default()
        };
        let mut app = App::new(db.store.clone(), config);
        if let Some(c) = clock {
            app.clock = c;
        }
        let keys =
            std::env::temp_dir().join(format!("cqdt-keys-{}", uuid::Uuid::new_v4().simple()));
        let signing = std::sync::Arc::new(
            cqdt_exchange::signing::SigningService::new(&keys, "test-keys", app.clock.clone())
                .expect("signing service"),
        );
        // The edXML node: one peer system allowed to post packages (`edxml.rs`).
        let edxml = std::sync::Arc::new(
            cqdt_exchange::edxml_node::EdxmlNode::new(
                signing.clone(),
                cqdt_exchange::edxml_node::EdxmlSettings {
                    peers: vec![cqdt_exchange::edxml_node::Peer {
                        identifiers: vec![EDXML_PEER_IDENTIFIER.into()],
                        name: "Hệ thống thử".into(),
                        url: String::new(),
                        system_id: EDXML_PEER_SYSTEM.into(),
                        secret: EDXML_PEER_SECRET.to_vec(),
                    }],
                    ..Default::default()
                },
            )
            .expect("edXML node"),
        );
        let app = app
            .with_signer(std::sync::Arc::new(
                cqdt_exchange::signing::DocumentSigning(signing.clone()),
            ))
            .with_text_extractor(std::sync::Arc::new(
                cqdt_exchange::pdf_text::PdfText::default(),
            ))
            .with_edxml_inbox(edxml.clone());
        app.seed_demo().await.expect("demo data");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let web = WebConfig {
            body_limit: 64 * 1024,
            upload_limit: 1 << 20,
            ..WebConfig::default()
        };
        let running = cqdt::server::start(app.clone(), web, listener)
            .await
            .expect("start");
        TestApp {
            base: format!("http://{}", running.addr),
            app,
            signing,
            edxml,
            db: Some(db),
            running: Some(running),
        }
    }

    pub fn backend(&self) -> &'static str {
        self.db.as_ref().map(|d| d.backend).unwrap_or("?")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A client that keeps cookies (a browser without JavaScript).
    pub fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }

    /// Log in through the API; returns the client (with the session cookie) and the CSRF token.
    pub async fn login(&self, login: &str) -> (reqwest::Client, String) {
        let c = Self::client();
        let r = c
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({"login": login, "password": PW}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "login {login} on {}", self.backend());
        let body: serde_json::Value = r.json().await.unwrap();
        (c, body["csrf_token"].as_str().unwrap().to_string())
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await.unwrap();
        }
        if let Some(db) = self.db.take() {
            db.cleanup().await;
        }
    }
}

/// Check a response is a problem document with the code, and return it.
pub async fn problem(r: reqwest::Response, status: u16, code: &str) -> serde_json::Value {
    assert_eq!(r.status().as_u16(), status, "status for expected {code}");
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(
        ct.starts_with("application/problem+json"),
        "content type {ct} for {code}"
    );
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["code"], code, "{v}");
    assert_eq!(v["status"], status);
    let title = v["title"].as_str().unwrap_or("");
    assert!(
        !title.is_empty() && !title.contains('.') || title.ends_with('.'),
        "title {title}"
    );
    v
}
