//! The storage contract: the same suite on SQLite and on PostgreSQL (when TEST_DATABASE_URL is
//! set; otherwise a visible "skipped: no PostgreSQL" line). Each test makes its own database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::type_complexity)]

use cqdt_app::accounts::{RegisterInput, StaffInput};
use cqdt_app::agencies::Format;
use cqdt_app::audit::VerifyOutcome;
use cqdt_app::ports::{FakeClock, FakeIds};
use cqdt_app::store::{AuditDraft, UserFilter};
use cqdt_app::{App, AppConfig, Ctx};
use cqdt_domain::ErrorCode;
use cqdt_domain::agency::AgencyInput;
use cqdt_domain::audit::ChainBreak;
use cqdt_domain::policy::Role;
use cqdt_store::testing::TestDb;
use std::sync::Arc;

fn app(db: &TestDb) -> App {
    let config = AppConfig {
        argon2_memory_kib: 64,
        argon2_iterations: 1,
        ..AppConfig::default()
    };
    App {
        store: db.store.clone(),
        clock: Arc::new(FakeClock::new(1_735_689_600_000_000)),
        ids: Arc::new(FakeIds::default()),
        config: Arc::new(config),
        calendar: Default::default(),
        blobs: Arc::new(cqdt_app::MemoryBlobs::default()),
        scanner: Arc::new(cqdt_app::NoScan),
        signer: Arc::new(cqdt_app::documents::UnavailableSigner),
        text: Arc::new(cqdt_app::documents::NoText),
        edxml_inbox: Arc::new(cqdt_app::documents::UnavailableEdxmlInbox),
    }
}

fn agency(id: &str, parent: Option<&str>, name: &str) -> AgencyInput {
    AgencyInput {
        identifier: id.into(),
        parent_identifier: parent.map(Into::into),
        kind: if parent.is_none() {
            "province_committee"
        } else {
            "department"
        }
        .into(),
        name: name.into(),
        ..Default::default()
    }
}

async fn each(test: &str) -> Vec<TestDb> {
    TestDb::all(test).await.expect("test database")
}

#[tokio::test]
async fn agencies_tree_crud() {
    for db in each("agencies_tree_crud").await {
        let app = app(&db);
        let cli = Ctx::cli();
        let root = app
            .agency_create(&cli, &agency("000.00.00.H53", None, "UBND tỉnh Tây Ninh"))
            .await
            .unwrap();
        assert_eq!(root.level, 1);
        assert_eq!(root.path, vec![root.id]);
        // Decomposed input is stored composed.
        let decomposed = "Sở Tư pháp"
            .chars()
            .flat_map(unicode_decompose)
            .collect::<String>();
        let dept = app
            .agency_create(
                &cli,
                &agency("000.00.02.H53", Some("000.00.00.H53"), &decomposed),
            )
            .await
            .unwrap();
        assert_eq!(dept.fields.name, "Sở Tư pháp", "{}", db.backend);
        assert_eq!(dept.level, 2);
        assert_eq!(dept.path, vec![root.id, dept.id]);
        assert_eq!(
            dept.fields.parent_identifier.as_ref().unwrap().as_str(),
            "000.00.00.H53"
        );

        let dup = app
            .agency_create(&cli, &agency("000.00.02.H53", Some("000.00.00.H53"), "X"))
            .await
            .unwrap_err();
        assert_eq!(dup.code, ErrorCode::AgencyIdentifierTaken);
        let orphan = app
            .agency_create(&cli, &agency("000.00.03.H53", Some("000.00.00.H41"), "X"))
            .await
            .unwrap_err();
        assert_eq!(orphan.code, ErrorCode::AgencyParentNotFound);

        let mut change = agency(
            "000.00.02.H53",
            Some("000.00.00.H53"),
            "Sở Tư pháp tỉnh Tây Ninh",
        );
        change.phone = Some("0276 3822 227".into());
        let updated = app.agency_update(&cli, dept.id, &change).await.unwrap();
        assert_eq!(updated.fields.name, "Sở Tư pháp tỉnh Tây Ninh");
        assert_eq!(updated.fields.phone.as_deref(), Some("02763822227"));

        assert_eq!(
            app.agency_delete(&cli, root.id).await.unwrap_err().code,
            ErrorCode::AgencyHasChildren
        );
        app.agency_delete(&cli, dept.id).await.unwrap();
        assert_eq!(
            app.agency(&cli, dept.id).await.unwrap_err().code,
            ErrorCode::AgencyNotFound
        );
        assert_eq!(app.agencies(&cli).await.unwrap().len(), 1);
        assert!(matches!(
            app.audit_verify().await.unwrap(),
            VerifyOutcome::Intact { entries: 4 }
        ));
        db.cleanup().await;
    }
}

fn unicode_decompose(c: char) -> Vec<char> {
    match c {
        'ở' => vec!['o', '\u{31b}', '\u{309}'],
        'ư' => vec!['u', '\u{31b}'],
        'á' => vec!['a', '\u{301}'],
        other => vec![other],
    }
}

#[tokio::test]
async fn demo_tree_imports_whole_and_exports_the_same() {
    for db in each("demo_tree_imports").await {
        let app = app(&db);
        let cli = Ctx::cli();
        let accounts = app.seed_demo().await.unwrap();
        // Every demo staff account and the demo citizen.
        assert_eq!(accounts.len(), cqdt_app::demo::STAFF.len() + 1);
        assert!(
            accounts.len() >= 13,
            "a clerk, leader and specialist for documents at two agencies"
        );
        let all = app.agencies(&cli).await.unwrap();
        assert_eq!(all.len(), 124, "{}", db.backend);
        assert_eq!(all.iter().filter(|a| a.level == 3).count(), 95);
        assert_eq!(all.iter().filter(|a| a.level == 2).count(), 28);
        assert_eq!(all[0].fields.identifier.as_str(), "000.00.00.H53");
        // Export, then import into a fresh database of the same backend: same tree.
        let csv = app.agencies_export(&cli, Format::Csv).await.unwrap();
        let json = app.agencies_export(&cli, Format::Json).await.unwrap();
        let db2 = if db.backend == "sqlite" {
            TestDb::sqlite().await.unwrap()
        } else {
            TestDb::postgres("reimport").await.unwrap().unwrap()
        };
        let app2 = self::app(&db2);
        app2.agencies_import(&cli, Format::Csv, &csv).await.unwrap();
        assert_eq!(
            app2.agencies_export(&cli, Format::Json).await.unwrap(),
            json
        );
        db2.cleanup().await;
        db.cleanup().await;
    }
}

#[tokio::test]
async fn import_reports_every_bad_line_and_writes_nothing() {
    for db in each("import_bad_lines").await {
        let app = app(&db);
        let cli = Ctx::cli();
        let csv = "identifier,parent_identifier,kind,name,email\n\
                   000.00.00.H53,,province_committee,UBND tỉnh Tây Ninh,\n\
                   000.00.01.H53,000.00.00.H53,department,Sở A,not-an-email\n\
                   000.00.02.H5,000.00.00.H53,department,Sở B,\n\
                   000.00.03.H53,000.00.00.H53,planet,Sở C,\n\
                   000.00.04.H53,000.00.00.H53,department,,\n\
                   000.00.05.H53,000.00.09.H53,department,Sở E,\n";
        let err = app
            .agencies_import(&cli, Format::Csv, csv.as_bytes())
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::ImportFailed);
        let lines: Vec<(usize, ErrorCode)> = err.lines.iter().map(|l| (l.line, l.code)).collect();
        assert_eq!(
            lines,
            vec![
                (3, ErrorCode::InvalidEmail),
                (4, ErrorCode::AgencyIdentifierInvalid),
                (5, ErrorCode::InvalidChoice),
                (6, ErrorCode::Required),
            ],
            "{}",
            db.backend
        );
        assert!(app.agencies(&cli).await.unwrap().is_empty());
        // Fix the four lines: now the orphan on line 7 is reported, and still nothing is written.
        let fixed = csv
            .replace("not-an-email", "")
            .replace("000.00.02.H5,", "000.00.02.H53,")
            .replace("planet", "department")
            .replace("department,,", "department,Sở D,");
        let err = app
            .agencies_import(&cli, Format::Csv, fixed.as_bytes())
            .await
            .unwrap_err();
        assert_eq!(
            err.lines
                .iter()
                .map(|l| (l.line, l.code))
                .collect::<Vec<_>>(),
            vec![(7, ErrorCode::AgencyParentNotFound)]
        );
        assert!(app.agencies(&cli).await.unwrap().is_empty());
        let ok = fixed.replace("000.00.09.H53", "000.00.00.H53");
        assert_eq!(
            app.agencies_import(&cli, Format::Csv, ok.as_bytes())
                .await
                .unwrap()
                .inserted,
            6
        );
        // Importing again: every line collides.
        let again = app
            .agencies_import(&cli, Format::Csv, ok.as_bytes())
            .await
            .unwrap_err();
        assert_eq!(again.lines.len(), 6);
        assert!(
            again
                .lines
                .iter()
                .all(|l| l.code == ErrorCode::AgencyIdentifierTaken)
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn accounts_sessions_throttling_and_scoping() {
    for db in each("accounts").await {
        let app = app(&db);
        let cli = Ctx::cli();
        app.seed_demo().await.unwrap();
        // Registration: login by e-mail or phone, unique.
        let reg = RegisterInput {
            full_name: "Trần Văn Bình".into(),
            login: "+84 912 345 678".into(),
            password: "mật khẩu dài".into(),
            password_confirm: Some("mật khẩu dài".into()),
            id_number: None,
            kind: None,
        };
        let citizen = app.register(&Ctx::anonymous(None), &reg).await.unwrap();
        assert_eq!(citizen.phone.as_deref(), Some("0912345678"));
        assert_eq!(
            app.register(&Ctx::anonymous(None), &reg)
                .await
                .unwrap_err()
                .code,
            ErrorCode::UserLoginTaken
        );
        let short = RegisterInput {
            login: "a@b.vn".into(),
            password: "ngắn".into(),
            ..reg.clone()
        };
        assert_eq!(
            app.register(&Ctx::anonymous(None), &short)
                .await
                .unwrap_err()
                .code,
            ErrorCode::PasswordTooShort
        );

        // Login, session lookup, logout.
        let out = app
            .login(
                "0912 345 678",
                "mật khẩu dài",
                Some("10.0.0.1"),
                Some("test"),
            )
            .await
            .unwrap();
        let s = app.session(&out.token).await.unwrap().expect("session");
        assert_eq!(s.user.id, citizen.id);
        app.logout(&s, None).await.unwrap();
        assert!(app.session(&out.token).await.unwrap().is_none());

        // Throttling per account: 5 failures, then even the right password is refused.
        for _ in 0..5 {
            let e = app
                .login("0912345678", "sai mật khẩu", Some("10.0.0.2"), None)
                .await
                .unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidCredentials);
        }
        let e = app
            .login("0912345678", "mật khẩu dài", Some("10.0.0.3"), None)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::Throttled, "{}", db.backend);

        // Logout of all sessions.
        let a = app
            .login(
                "motcua@tayninh.demo",
                cqdt_app::demo::DEMO_PASSWORD,
                None,
                None,
            )
            .await
            .unwrap();
        let b = app
            .login(
                "motcua@tayninh.demo",
                cqdt_app::demo::DEMO_PASSWORD,
                None,
                None,
            )
            .await
            .unwrap();
        assert_eq!(app.logout_all(&a.session, None).await.unwrap(), 2);
        assert!(app.session(&b.token).await.unwrap().is_none());

        // A citizen cannot see another account; staff lists are scoped to the subtree.
        let other = app
            .store
            .user_by_email("congdan@tayninh.demo")
            .await
            .unwrap()
            .unwrap();
        let cctx = out.session.ctx(None);
        assert_eq!(
            app.user(&cctx, other.id).await.unwrap_err().code,
            ErrorCode::Forbidden
        );
        assert_eq!(app.user(&cctx, citizen.id).await.unwrap().id, citizen.id);

        let district = app
            .agency_by_identifier(&cli, "000.00.20.H53")
            .await
            .unwrap();
        let leader = app
            .login(
                "lanhdao@tayninh.demo",
                cqdt_app::demo::DEMO_PASSWORD,
                None,
                None,
            )
            .await
            .unwrap();
        let lctx = leader.session.ctx(None);
        let staff = app
            .users(
                &lctx,
                UserFilter {
                    agency_subtree: Some(district.id),
                    limit: 50,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let mut emails: Vec<_> = staff.iter().filter_map(|u| u.email.clone()).collect();
        emails.sort();
        assert_eq!(
            emails,
            vec![
                "chuyenvien@tayninh.demo",
                "lanhdao@tayninh.demo",
                "motcua@tayninh.demo"
            ]
        );
        let dept = app
            .agency_by_identifier(&cli, "000.00.01.H53")
            .await
            .unwrap();
        let e = app
            .users(
                &lctx,
                UserFilter {
                    agency_subtree: Some(dept.id),
                    limit: 50,
                    ..Default::default()
                },
            )
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden);
        // Folded search finds "Lê Văn Chuyên" from "le van chuyen".
        let found = app
            .users(
                &lctx,
                UserFilter {
                    agency_subtree: Some(district.id),
                    query: Some("le van chuyen".into()),
                    limit: 50,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(found.len(), 1);

        // A clerk cannot create users; an administrator of the platform can, with roles.
        let clerk = app
            .login(
                "vanthu@tayninh.demo",
                cqdt_app::demo::DEMO_PASSWORD,
                None,
                None,
            )
            .await
            .unwrap();
        let input = StaffInput {
            full_name: "Cán bộ mới".into(),
            email: "moi@tayninh.demo".into(),
            phone: None,
            agency_identifier: "000.00.01.H53".into(),
            password: "mật khẩu mới 1".into(),
            roles: vec!["specialist".into()],
        };
        assert_eq!(
            app.create_staff(&clerk.session.ctx(None), &input)
                .await
                .unwrap_err()
                .code,
            ErrorCode::Forbidden
        );
        let admin = app
            .login(
                "quantri@tayninh.demo",
                cqdt_app::demo::DEMO_PASSWORD,
                None,
                None,
            )
            .await
            .unwrap();
        let u = app
            .create_staff(&admin.session.ctx(None), &input)
            .await
            .unwrap();
        let grants = app.grants(u.id).await.unwrap();
        assert_eq!(grants.len(), 1);
        assert_eq!(grants[0].role, Role::Specialist);
        let g = app
            .grant_role(&admin.session.ctx(None), u.id, Role::Clerk, Some(dept.id))
            .await
            .unwrap();
        app.revoke_grant(&admin.session.ctx(None), u.id, g.id)
            .await
            .unwrap();
        assert_eq!(app.grants(u.id).await.unwrap().len(), 1);
        // Nobody removes their own platform-wide administrator grant (the platform would lose
        // its last administrator); the command line can.
        let own = app.grants(admin.session.user.id).await.unwrap();
        let own = own
            .iter()
            .find(|g| g.role == Role::Administrator && g.agency_id.is_none())
            .unwrap();
        assert_eq!(
            app.revoke_grant(&admin.session.ctx(None), admin.session.user.id, own.id)
                .await
                .unwrap_err()
                .code,
            ErrorCode::Forbidden
        );
        let own_id = own.id;
        assert!(
            app.grants(admin.session.user.id)
                .await
                .unwrap()
                .iter()
                .any(|g| g.id == own_id)
        );
        assert!(matches!(
            app.audit_verify().await.unwrap(),
            VerifyOutcome::Intact { .. }
        ));
        db.cleanup().await;
    }
}

#[tokio::test]
async fn api_keys_are_shown_once_stored_hashed_and_revocable() {
    for db in each("api_keys").await {
        let app = app(&db);
        let cli = Ctx::cli();
        let k = app
            .api_key_create(&cli, "Cổng DVC quốc gia", &["agencies:read".into()], None)
            .await
            .unwrap();
        assert!(k.token.starts_with("cqdt_"));
        let stored = app
            .store
            .api_key_by_prefix(&k.row.prefix)
            .await
            .unwrap()
            .unwrap();
        assert_ne!(stored.secret_hash, k.token);
        assert!(!stored.secret_hash.contains(&k.token[18..]));
        let ctx = app
            .api_key_actor(&k.token)
            .await
            .unwrap()
            .expect("valid key");
        assert!(app.agencies(&ctx).await.is_ok());
        assert_eq!(
            app.audit_list(&ctx, 0, 10).await.unwrap_err().code,
            ErrorCode::Forbidden
        );
        let mut forged = k.token.clone();
        forged.push('x');
        assert!(app.api_key_actor(&forged).await.unwrap().is_none());
        assert_eq!(
            app.api_key_create(&cli, "x", &["root".into()], None)
                .await
                .unwrap_err()
                .code,
            ErrorCode::ApiKeyScopeInvalid
        );
        app.api_key_revoke(&cli, k.row.id).await.unwrap();
        assert!(app.api_key_actor(&k.token).await.unwrap().is_none());
        db.cleanup().await;
    }
}

/// Tamper with the audit log in each way an intruder with database access could, and check
/// that verification names the first bad entry.
#[tokio::test]
async fn audit_tampering_is_caught() {
    let cases: [(&str, &str, fn(&ChainBreak) -> bool); 4] = [
        (
            "edit",
            "UPDATE audit_log SET target_id = 'x' WHERE seq = 3",
            |b| *b == ChainBreak::Content { seq: 3 },
        ),
        ("remove", "DELETE FROM audit_log WHERE seq = 2", |b| {
            *b == ChainBreak::Sequence {
                seq: 3,
                expected: 2,
            }
        }),
        (
            "reorder",
            "UPDATE audit_log SET seq = -1 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = -1",
            |b| matches!(b, ChainBreak::Link { seq: 2, .. }),
        ),
        (
            "truncate",
            "DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)",
            |b| matches!(b, ChainBreak::Head { .. }),
        ),
    ];
    for (name, sql, expect) in cases {
        for db in each(&format!("audit_tamper_{name}")).await {
            let app = app(&db);
            let cli = Ctx::cli();
            app.agency_create(&cli, &agency("000.00.00.H53", None, "UBND tỉnh"))
                .await
                .unwrap();
            for i in 1..=4 {
                app.agency_create(
                    &cli,
                    &agency(
                        &format!("000.00.0{i}.H53"),
                        Some("000.00.00.H53"),
                        &format!("Sở {i}"),
                    ),
                )
                .await
                .unwrap();
            }
            assert_eq!(
                app.audit_verify().await.unwrap(),
                VerifyOutcome::Intact { entries: 5 }
            );
            // The log refuses changes through the application's own connection…
            assert!(
                db.exec("UPDATE audit_log SET actor = 'x' WHERE seq = 1")
                    .await
                    .is_err(),
                "append-only trigger ({})",
                db.backend
            );
            // …so the intruder drops the guard first.
            let drop = if db.backend == "postgres" {
                "DROP TRIGGER audit_log_no_change ON audit_log"
            } else {
                "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete"
            };
            db.exec(drop).await.unwrap();
            db.exec(sql).await.unwrap();
            match app.audit_verify().await.unwrap() {
                VerifyOutcome::Broken(b) => assert!(expect(&b), "{name} on {}: {b:?}", db.backend),
                other => panic!("{name} on {}: tampering not caught: {other:?}", db.backend),
            }
            db.cleanup().await;
        }
    }
}

#[tokio::test]
async fn migrations_create_the_same_tables_on_both() {
    for db in each("migrations").await {
        let sql = if db.backend == "postgres" {
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
        } else {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1"
        };
        let names: Vec<String> = if db.backend == "postgres" {
            let pool = cqdt_store::open_postgres(&db.url, 1).await.unwrap();
            sqlx::query_scalar(sql).fetch_all(&pool).await.unwrap()
        } else {
            let pool = cqdt_store::open_sqlite(&db.url, 1, cqdt_store::Durability::Full)
                .await
                .unwrap();
            sqlx::query_scalar(sql).fetch_all(&pool).await.unwrap()
        };
        assert_eq!(
            names,
            vec![
                "_sqlx_migrations",
                "agencies",
                "api_keys",
                "audit_head",
                "audit_log",
                "calendar_notices",
                "document_counters",
                "document_events",
                "document_files",
                "document_issuers",
                "document_postings",
                "document_recipients",
                "document_register_counts",
                "document_state_counts",
                "documents",
                "dossier_code_counters",
                "dossier_events",
                "dossiers",
                "drafts",
                "files",
                "grants",
                "login_failures",
                "outbox",
                "outgoing_messages",
                "procedure_agencies",
                "procedures",
                "sessions",
                "users"
            ],
            "{}",
            db.backend
        );
        db.cleanup().await;
    }
}

fn calendar_audit(action: &str, year: i32, at_us: i64) -> AuditDraft {
    AuditDraft {
        at_us,
        actor: "user:quantri".into(),
        ip: Some("10.0.0.9".into()),
        action: action.into(),
        target_type: "calendar_notice".into(),
        target_id: year.to_string(),
        before_digest: None,
        after_digest: Some("digest".into()),
    }
}

#[tokio::test]
async fn calendar_notices_are_stored_replaced_and_removed_with_their_audit_entries() {
    for db in each("calendar_notices").await {
        let s = &db.store;
        assert!(s.calendar_notices().await.unwrap().is_empty());
        let v1 = r#"{"year": 2027, "version": "2027.1", "legal_reference": "Thông báo 1"}"#;
        let v2 = r#"{"year": 2027, "version": "2027.2", "legal_reference": "Thông báo 2"}"#;
        let old = r#"{"year": 2019, "version": "2019.9"}"#;
        s.calendar_notice_put(2027, v1, &calendar_audit("calendar.notice_put", 2027, 1))
            .await
            .unwrap();
        s.calendar_notice_put(2019, old, &calendar_audit("calendar.notice_put", 2019, 2))
            .await
            .unwrap();
        // Putting a year again replaces its notice.
        s.calendar_notice_put(2027, v2, &calendar_audit("calendar.notice_put", 2027, 3))
            .await
            .unwrap();
        assert_eq!(
            s.calendar_notices().await.unwrap(),
            vec![(2019, old.to_string()), (2027, v2.to_string())],
            "{}",
            db.backend
        );
        // The version column repeats the notice's version; who and when come from the audit.
        let sql =
            "SELECT version, updated_at_us, updated_by FROM calendar_notices WHERE year = 2027";
        let row: (Option<String>, i64, String) = if db.backend == "postgres" {
            let pool = cqdt_store::open_postgres(&db.url, 1).await.unwrap();
            sqlx::query_as(sql).fetch_one(&pool).await.unwrap()
        } else {
            let pool = cqdt_store::open_sqlite(&db.url, 1, cqdt_store::Durability::Full)
                .await
                .unwrap();
            sqlx::query_as(sql).fetch_one(&pool).await.unwrap()
        };
        assert_eq!(row, (Some("2027.2".into()), 3, "user:quantri".into()));

        assert!(
            s.calendar_notice_delete(2027, &calendar_audit("calendar.notice_delete", 2027, 4))
                .await
                .unwrap()
        );
        // Removing what is not there says so and writes nothing, not even an audit entry.
        assert!(
            !s.calendar_notice_delete(2027, &calendar_audit("calendar.notice_delete", 2027, 5))
                .await
                .unwrap()
        );
        assert_eq!(
            s.calendar_notices().await.unwrap(),
            vec![(2019, old.to_string())]
        );
        let log = s.audit_page(0, 100).await.unwrap();
        let actions: Vec<(&str, &str, i64)> = log
            .iter()
            .map(|e| (e.action.as_str(), e.target_id.as_str(), e.at_us))
            .collect();
        assert_eq!(
            actions,
            vec![
                ("calendar.notice_put", "2027", 1),
                ("calendar.notice_put", "2019", 2),
                ("calendar.notice_put", "2027", 3),
                ("calendar.notice_delete", "2027", 4),
            ],
            "{}",
            db.backend
        );
        assert_eq!(s.audit_head().await.unwrap().0, 4);
        db.cleanup().await;
    }
}

/// The use cases over a real store: stored notices override the bundled ones, are validated
/// alone and against their neighbours, change the calendar's version, are audited, survive a
/// restart (a new `App` on the same database), and can be removed again.
#[tokio::test]
async fn calendar_use_cases_apply_validate_and_audit_notices() {
    use chrono::NaiveDate;
    use cqdt_domain::calendar::{
        DayKind, DeadlineAnswer, DeadlineQuery, DeadlineRequest, WorkDuration, WorkingCalendar,
        YearSource,
    };
    use cqdt_domain::ids::UserId;
    use cqdt_domain::policy::{Actor, Grant};
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let day = |v: &cqdt_domain::calendar::YearView, d: NaiveDate| {
        v.days.iter().find(|x| x.date == d).unwrap().clone()
    };
    let bundled_version = WorkingCalendar::vietnam_default()
        .unwrap()
        .version()
        .to_string();
    for db in each("calendar_use_cases").await {
        let app = app(&db);
        let cli = Ctx::cli();
        let anon = Ctx::anonymous(None);
        let clerk = Ctx {
            actor: Actor::Staff {
                user: UserId(uuid::Uuid::nil()),
                grants: vec![Grant {
                    role: Role::Clerk,
                    agency: None,
                }],
            },
            actor_ref: "user:clerk".into(),
            ip: None,
        };

        // 2027 has no bundled notice: the rules decide it, and anyone may read it.
        let y = app.calendar_year(&anon, 2027).await.unwrap();
        assert!(!y.stored);
        assert!(matches!(y.view.source, YearSource::Rules { .. }));
        assert_eq!(y.view.calendar_version, bundled_version);

        // The administrator starts from the draft, adds the legal reference and a swap:
        // Thursday 29/4/2027 off, Saturday 24/4/2027 worked.
        let draft = app.calendar_notice_draft(&anon, 2027).await.unwrap();
        let mut n: serde_json::Value = serde_json::from_str(&draft).unwrap();
        n["legal_reference"] = "Thông báo thử nghiệm 1/TB-LĐTBXH".into();
        n["days_off"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!(
            {"date": "2027-04-29", "kind": "swapped", "name": "Nghỉ hoán đổi"}));
        n["working_days"] = serde_json::json!(
            [{"date": "2027-04-24", "name": "Làm bù cho thứ Năm 29/4/2027", "swapped_with": "2027-04-29"}]);
        let notice = n.to_string();

        for (who, code) in [
            (&anon, ErrorCode::Unauthenticated),
            (&clerk, ErrorCode::Forbidden),
        ] {
            assert_eq!(
                app.calendar_notice_put(who, &notice)
                    .await
                    .map(|_| ())
                    .unwrap_err()
                    .code,
                code
            );
            assert_eq!(
                app.calendar_notice_delete(who, 2027)
                    .await
                    .map(|_| ())
                    .unwrap_err()
                    .code,
                code
            );
        }

        let y = app.calendar_notice_put(&cli, &notice).await.unwrap();
        assert!(y.stored);
        assert!(
            matches!(&y.view.source, YearSource::Notice { version, .. } if version == "2027.1")
        );
        let v1 = y.view.calendar_version.clone();
        assert_ne!(v1, bundled_version);
        assert_eq!(day(&y.view, date(2027, 4, 29)).kind, DayKind::SwappedOff);
        assert_eq!(
            day(&y.view, date(2027, 4, 24)).kind,
            DayKind::SwappedWorking
        );
        let last = app.store.audit_page(0, 100).await.unwrap().pop().unwrap();
        assert_eq!(
            (
                last.action.as_str(),
                last.target_type.as_str(),
                last.target_id.as_str()
            ),
            ("calendar.notice_put", "calendar_notice", "2027")
        );
        assert!(
            last.before_digest.is_none(),
            "2027 was decided by the rules"
        );
        assert!(last.after_digest.is_some());

        // Invalid notices are refused with the field to blame, and change nothing.
        let weekday_worked = notice.replace("2027-04-24", "2027-04-23");
        let e = app
            .calendar_notice_put(&cli, &weekday_worked)
            .await
            .map(|_| ())
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::CalendarInvalidNotice, "{e}");
        assert_eq!(e.field.as_deref(), Some("notice"));
        assert_eq!(
            app.calendar_notice_put(&cli, "{ not json")
                .await
                .map(|_| ())
                .unwrap_err()
                .code,
            ErrorCode::CalendarInvalidNotice
        );
        // A date that the 2026 notice already decides cannot be claimed by the 2027 one.
        let mut clash = n.clone();
        clash["days_off"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!(
            {"date": "2026-01-01", "kind": "holiday", "name": "Tết Dương lịch"}));
        assert_eq!(
            app.calendar_notice_put(&cli, &clash.to_string())
                .await
                .map(|_| ())
                .unwrap_err()
                .code,
            ErrorCode::CalendarNoticeConflict
        );
        assert_eq!(app.store.calendar_notices().await.unwrap().len(), 1);

        // Deadlines use the calendar in effect. Received Friday 23/4/2027 at 09:00, 4 working
        // days, the receipt day not counted. With the notice: Saturday 24/4 (worked), Monday
        // 26, Tuesday 27, Wednesday 28 → due 28/4 17:00. By the rules alone (checked after the
        // notice is removed below): 26, 27, 28, Thursday 29 → due 29/4 17:00.
        let q = DeadlineQuery::Due(DeadlineRequest::new(
            date(2027, 4, 23).and_hms_opt(9, 0, 0).unwrap(),
            WorkDuration::Days(4),
        ));
        let due_of = |a: DeadlineAnswer| match a {
            DeadlineAnswer::Due(o) => (o.due.unwrap().to_string(), o.calendar_version),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            due_of(app.deadline(&anon, &q).await.unwrap()),
            ("2027-04-28 17:00:00".to_string(), v1.clone())
        );

        // A new process on the same database sees the stored notice.
        let restarted = self::app(&db);
        let y = restarted.calendar_year(&anon, 2027).await.unwrap();
        assert!(y.stored);
        assert_eq!(y.view.calendar_version, v1);

        // A stored notice replaces a bundled one; removing it brings the bundled one back.
        let bundled_2019 = app.calendar_notice_draft(&anon, 2019).await.unwrap();
        let edited = bundled_2019
            .replace("\"2019.1\"", "\"2019.2\"")
            .replace("\"2019-09-02\"", "\"2019-09-03\"");
        let y = app.calendar_notice_put(&cli, &edited).await.unwrap();
        assert!(day(&y.view, date(2019, 9, 2)).working);
        assert!(!day(&y.view, date(2019, 9, 3)).working);
        let last = app.store.audit_page(0, 100).await.unwrap().pop().unwrap();
        assert!(last.before_digest.is_some(), "2019 had its bundled notice");
        let y = app.calendar_notice_delete(&cli, 2019).await.unwrap();
        assert!(!y.stored);
        assert!(!day(&y.view, date(2019, 9, 2)).working);
        assert!(
            matches!(&y.view.source, YearSource::Notice { version, .. } if version == "2019.1")
        );

        let y = app.calendar_notice_delete(&cli, 2027).await.unwrap();
        assert!(matches!(y.view.source, YearSource::Rules { .. }));
        assert_eq!(y.view.calendar_version, bundled_version);
        assert_eq!(
            due_of(app.deadline(&anon, &q).await.unwrap()),
            ("2027-04-29 17:00:00".to_string(), bundled_version.clone())
        );
        assert_eq!(
            app.calendar_notice_delete(&cli, 2027)
                .await
                .map(|_| ())
                .unwrap_err()
                .code,
            ErrorCode::CalendarNoticeNotFound
        );
        assert_eq!(
            app.calendar_year(&anon, 1999)
                .await
                .map(|_| ())
                .unwrap_err()
                .code,
            ErrorCode::CalendarYearOutOfRange
        );
        assert!(matches!(
            app.audit_verify().await.unwrap(),
            VerifyOutcome::Intact { entries: 4 }
        ));
        db.cleanup().await;
    }
}

// ---- Procedures and dossiers (issue 4) ----

/// The test catalogue (synthetic national codes 9.9xxxxx) of `tests/fixtures`.
const PROCEDURES_FIXTURE: &str = include_str!("fixtures/procedures.json");

/// An app whose clock tests move, with the demo agency tree and the test catalogue.
async fn catalogue_app(db: &TestDb, at: chrono::NaiveDateTime) -> (App, Arc<FakeClock>) {
    let clock = Arc::new(FakeClock::new(
        cqdt_domain::calendar::from_local(at).timestamp_micros(),
    ));
    let app = App {
        clock: clock.clone(),
        ..app(db)
    };
    let cli = Ctx::cli();
    app.agencies_import(&cli, Format::Csv, cqdt_app::demo::AGENCIES_CSV.as_bytes())
        .await
        .unwrap();
    let r = app
        .procedures_import(&cli, PROCEDURES_FIXTURE.as_bytes())
        .await
        .unwrap();
    assert_eq!(r.inserted, 4);
    (app, clock)
}

fn local_time(y: i32, m: u32, d: u32, h: u32) -> chrono::NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(h, 0, 0)
        .unwrap()
}

fn reception(
    procedure: cqdt_domain::ids::ProcedureId,
    agency: cqdt_domain::ids::AgencyId,
    name: &str,
    accept: bool,
) -> cqdt_app::dossiers::DeskReception {
    cqdt_app::dossiers::DeskReception {
        procedure_id: procedure,
        agency_id: agency,
        applicant: cqdt_app::dossiers::ApplicantInput {
            name: name.into(),
            id_number: Some("072190000009".into()),
            ..Default::default()
        },
        values: [
            ("ten_ho_kinh_doanh".to_string(), format!("Hộ {name}")),
            ("nganh_nghe".to_string(), "Bán lẻ".to_string()),
        ]
        .into(),
        channel: cqdt_domain::dossier::Channel::Direct,
        accept,
        return_method: None,
        files: Vec::new(),
    }
}

async fn procedure_id(app: &App, code: &str) -> cqdt_domain::ids::ProcedureId {
    use cqdt_app::procedures::ProcedureQuery;
    app.procedures_search(
        &Ctx::anonymous(None),
        &ProcedureQuery {
            q: Some(code.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .items[0]
        .id
}

#[tokio::test]
async fn procedures_are_imported_versioned_and_searched_without_diacritics() {
    use cqdt_app::procedures::ProcedureQuery;
    use cqdt_app::store::ProcedureLevel;
    for db in each("procedures").await {
        let (app, _) = catalogue_app(&db, local_time(2025, 3, 3, 9)).await;
        let cli = Ctx::cli();
        app.seed_demo_procedures().await.unwrap();
        let anon = Ctx::anonymous(None);
        let search = |q: ProcedureQuery| {
            let (app, anon) = (app.clone(), anon.clone());
            async move { app.procedures_search(&anon, &q).await.unwrap() }
        };
        let q = |text: &str| ProcedureQuery {
            q: Some(text.into()),
            ..Default::default()
        };
        // Diacritic- and case-insensitive, ranked: the name that starts with the words, then
        // the shortest name with a word starting with them.
        for text in ["dang ky ket hon", "Đăng ký kết hôn", "ĐĂNG KÝ KẾT HÔN"] {
            let page = search(q(text)).await;
            let names: Vec<&str> = page
                .items
                .iter()
                .map(|r| r.procedure.name.as_str())
                .collect();
            assert_eq!(
                names[..3],
                [
                    "Đăng ký kết hôn (thử nghiệm)",
                    "Thủ tục đăng ký kết hôn",
                    "Thủ tục đăng ký kết hôn có yếu tố nước ngoài"
                ],
                "{} {text}",
                db.backend
            );
            assert_eq!(page.total, 3);
        }
        // Every word must appear, in any order; a national code finds its procedure.
        assert_eq!(search(q("hon ket")).await.total, 3);
        assert_eq!(search(q("ket hon xyz")).await.total, 0);
        let by_code = search(q("1.000894")).await;
        assert_eq!(by_code.total, 1);
        assert_eq!(by_code.items[0].procedure.name, "Thủ tục đăng ký kết hôn");
        // Wildcards are text.
        assert_eq!(search(q("%")).await.total, 0);
        // Filters and paging.
        let commune = search(ProcedureQuery {
            level: Some(ProcedureLevel::Commune),
            limit: Some(5),
            ..Default::default()
        })
        .await;
        assert!(commune.total >= 15);
        assert_eq!(commune.items.len(), 5);
        assert!(
            commune
                .items
                .iter()
                .all(|r| r.level == ProcedureLevel::Commune)
        );
        let ho_tich = search(ProcedureQuery {
            field: Some("ho tich".into()),
            ..Default::default()
        })
        .await;
        assert!(ho_tich.total >= 5);
        assert!(
            ho_tich
                .items
                .iter()
                .all(|r| r.procedure.field.name == "Hộ tịch")
        );
        let ward1 = app
            .agency_by_identifier(&cli, "000.01.20.H53")
            .await
            .unwrap();
        let at_ward = search(ProcedureQuery {
            agency: Some(ward1.id),
            q: Some("ket hon".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(
            at_ward.total, 2,
            "the fixture's and the demo's, not the district's"
        );
        let second = search(ProcedureQuery {
            q: Some("dang ky".into()),
            limit: Some(2),
            offset: Some(1),
            ..Default::default()
        })
        .await;
        let all = search(q("dang ky")).await;
        assert_eq!(second.total, all.total);
        assert_eq!(second.items[0].id, all.items[1].id);

        // Import again: identical items are left alone; a changed one becomes version 2 and
        // the version in effect; version 1 stays readable (dossiers keep it).
        let again = app
            .procedures_import(&cli, PROCEDURES_FIXTURE.as_bytes())
            .await
            .unwrap();
        assert_eq!(
            (again.inserted, again.new_versions, again.unchanged),
            (0, 0, 4)
        );
        let v1 = procedure_id(&app, "9.900002").await;
        let changed = PROCEDURES_FIXTURE.replace("\"amount_vnd\": 100000", "\"amount_vnd\": 50000");
        let r = app
            .procedures_import(&cli, changed.as_bytes())
            .await
            .unwrap();
        assert_eq!((r.inserted, r.new_versions, r.unchanged), (0, 1, 3));
        let v2 = procedure_id(&app, "9.900002").await;
        assert_ne!(v1, v2);
        let old = app.procedure(&anon, v1).await.unwrap();
        let new = app.procedure(&anon, v2).await.unwrap();
        assert_eq!((old.procedure.version, old.current), (1, false));
        assert_eq!((new.procedure.version, new.current), (2, true));
        assert_eq!(new.procedure.fees[0].amount_vnd, 50_000);
        assert_eq!(
            app.procedure(&anon, cqdt_domain::ids::ProcedureId(uuid::Uuid::nil()))
                .await
                .unwrap_err()
                .code,
            ErrorCode::ProcedureNotFound
        );

        // All or nothing, errors numbered by item; nothing written.
        let bad = r#"[
            {"national_code": "9.900010", "name": "Thủ tục tốt", "field": "Thử", "level": "commune",
             "agencies": ["000.01.20.H53"], "service_level": 3, "legal_days": 1, "result": "Kết quả",
             "effective_from": "2025-01-01"},
            {"national_code": "9.90001", "name": "", "field": "Thử", "level": "hamlet",
             "agencies": ["000.99.20.H53"], "service_level": 7, "legal_days": 1, "result": "Kết quả",
             "effective_from": "2025-01-01"},
            {"national_code": "9.900012", "nam": "typo"}
        ]"#;
        let e = app
            .procedures_import(&cli, bad.as_bytes())
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::ImportFailed);
        let lines: Vec<(usize, Option<&str>, ErrorCode)> = e
            .lines
            .iter()
            .map(|l| (l.line, l.field.as_deref(), l.code))
            .collect();
        assert_eq!(
            lines,
            vec![
                (
                    2,
                    Some("national_code"),
                    ErrorCode::ProcedureInvalidNationalCode
                ),
                (2, Some("level"), ErrorCode::InvalidChoice),
                (2, Some("service_level"), ErrorCode::InvalidChoice),
                (2, Some("agencies[0]"), ErrorCode::AgencyNotFound),
                (3, Some("nam"), ErrorCode::UnknownField),
            ]
        );
        assert_eq!(search(q("thu tuc tot")).await.total, 0);
        // Only administrators of every implementing agency import.
        let officer = app
            .create_staff(
                &cli,
                &StaffInput {
                    full_name: "Cán bộ".into(),
                    email: "canbo@example.vn".into(),
                    phone: None,
                    agency_identifier: "000.00.20.H53".into(),
                    password: "mật khẩu dài".into(),
                    roles: vec!["administrator".into()],
                },
            )
            .await
            .unwrap();
        let admin_city = app
            .login("canbo@example.vn", "mật khẩu dài", None, None)
            .await
            .unwrap()
            .session
            .ctx(None);
        let _ = officer;
        let e = app
            .procedures_import(&admin_city, PROCEDURES_FIXTURE.as_bytes())
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden);
        assert!(
            e.lines.iter().all(|l| l.code == ErrorCode::Forbidden) && !e.lines.is_empty(),
            "{e:?}"
        );
        // The city's administrator may import a procedure of the city alone.
        let city_only = r#"[{"national_code": "9.900020", "name": "Thủ tục của thành phố",
            "field": "Thử", "level": "district", "agencies": ["000.00.20.H53", "000.01.20.H53"],
            "service_level": 2, "legal_days": 1, "result": "Kết quả", "effective_from": null}]"#;
        let r = app
            .procedures_import(&admin_city, city_only.as_bytes())
            .await
            .unwrap();
        assert_eq!(r.inserted, 1);
        let p = app
            .procedure(&anon, procedure_id(&app, "9.900020").await)
            .await
            .unwrap();
        assert_eq!(
            p.procedure.effective_from,
            chrono::NaiveDate::from_ymd_opt(2025, 3, 3).unwrap(),
            "no date: in effect from the import"
        );
        assert_eq!(
            app.procedures_import(&Ctx::anonymous(None), city_only.as_bytes())
                .await
                .unwrap_err()
                .code,
            ErrorCode::Unauthenticated
        );
        assert!(matches!(
            app.audit_verify().await.unwrap(),
            VerifyOutcome::Intact { .. }
        ));
        db.cleanup().await;
    }
}

/// 50 dossiers received in parallel at one agency on one day get the codes 0001…0050, each
/// once; another agency and the next day start again at 0001.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dossier_codes_are_unique_and_consecutive_under_parallel_submissions() {
    for db in each("dossier_codes").await {
        let (app, clock) = catalogue_app(&db, local_time(2025, 3, 3, 9)).await;
        let cli = Ctx::cli();
        let business = procedure_id(&app, "9.900002").await;
        let city = app
            .agency_by_identifier(&cli, "000.00.20.H53")
            .await
            .unwrap();
        let tan_bien = app
            .agency_by_identifier(&cli, "000.00.21.H53")
            .await
            .unwrap();
        let mut tasks = Vec::new();
        for i in 0..50 {
            let app = app.clone();
            let input = reception(business, city.id, &format!("Người {i}"), i % 2 == 0);
            tasks.push(tokio::spawn(async move {
                app.dossier_receive(&Ctx::cli(), &input).await
            }));
        }
        let mut codes = Vec::new();
        for t in tasks {
            codes.push(t.await.unwrap().unwrap().code);
        }
        codes.sort();
        let expected: Vec<String> = (1..=50)
            .map(|n| format!("000.00.20.H53-250303-{n:04}"))
            .collect();
        assert_eq!(codes, expected, "{}", db.backend);
        let other = app
            .dossier_receive(&cli, &reception(business, tan_bien.id, "Khác", true))
            .await
            .unwrap();
        assert_eq!(other.code, "000.00.21.H53-250303-0001");
        // 23:30 in Vietnam is still 3 March; 00:30 is 4 March.
        clock.0.store(
            cqdt_domain::calendar::from_local(local_time(2025, 3, 3, 23)).timestamp_micros(),
            std::sync::atomic::Ordering::SeqCst,
        );
        let late = app
            .dossier_receive(&cli, &reception(business, city.id, "Muộn", false))
            .await
            .unwrap();
        assert_eq!(late.code, "000.00.20.H53-250303-0051");
        clock.0.store(
            cqdt_domain::calendar::from_local(local_time(2025, 3, 4, 0)).timestamp_micros(),
            std::sync::atomic::Ordering::SeqCst,
        );
        let next_day = app
            .dossier_receive(&cli, &reception(business, city.id, "Hôm sau", false))
            .await
            .unwrap();
        assert_eq!(next_day.code, "000.00.20.H53-250304-0001");
        assert!(matches!(
            app.audit_verify().await.unwrap(),
            VerifyOutcome::Intact { .. }
        ));
        db.cleanup().await;
    }
}

/// Group commit: creations queued together are committed in one transaction. With the writer
/// held, 20 desk receptions and two creations that fail inside the transaction (a builder that
/// refuses after its counter was drawn, and a dossier whose code is taken: a statement that
/// fails, which aborts a PostgreSQL transaction without a savepoint) are queued; released, they
/// form one batch: the 20 are stored with the codes 0002…0021 (no gap where the failures drew
/// their counters), each failure gets its own error, the chain gained exactly 20 entries and
/// verifies. Then 40 more in parallel without holding: 61 dossiers, codes 0001…0061.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn group_commit_batches_creations_and_isolates_a_failing_one() {
    use cqdt_app::store::{DossierBuilder, NewDossierFiles};
    use cqdt_domain::ids::DossierId;
    use std::time::Duration;
    for db in each("group_commit").await {
        assert!(db.group.max_batch() >= 22, "{}", db.backend);
        let (app, _) = catalogue_app(&db, local_time(2025, 3, 3, 9)).await;
        let cli = Ctx::cli();
        let business = procedure_id(&app, "9.900002").await;
        let city = app
            .agency_by_identifier(&cli, "000.00.20.H53")
            .await
            .unwrap();
        let first = app
            .dossier_receive(&cli, &reception(business, city.id, "Đầu tiên", true))
            .await
            .unwrap();
        assert_eq!(first.code, "000.00.20.H53-250303-0001");
        let (seq_before, _) = db.store.audit_head().await.unwrap();
        let before = db.group.stats();

        let hold = db.group.hold().await;
        let mut tasks = Vec::new();
        let direct = |build: DossierBuilder<'static>| {
            let store = db.store.clone();
            let city = city.id;
            tokio::spawn(async move {
                let audit = AuditDraft {
                    at_us: 0,
                    actor: "test".into(),
                    ip: None,
                    action: "dossier.receive".into(),
                    target_type: "dossier".into(),
                    target_id: "x".into(),
                    before_digest: None,
                    after_digest: None,
                };
                let day = chrono::NaiveDate::from_ymd_opt(2025, 3, 3).unwrap();
                store
                    .dossier_create(city, day, &audit, &NewDossierFiles::default(), build)
                    .await
            })
        };
        for i in 0..20 {
            let app = app.clone();
            let input = reception(business, city.id, &format!("Người {i}"), i % 2 == 0);
            tasks.push(tokio::spawn(async move {
                app.dossier_receive(&Ctx::cli(), &input).await
            }));
            if i == 5 {
                // Refuses after drawing its counter.
                tasks.push(direct(Box::new(|_| {
                    Err(cqdt_app::AppError::new(
                        ErrorCode::DossierCodeSequenceOutOfRange,
                    ))
                })));
            }
            if i == 12 {
                // The code of the first dossier again: the insert violates `dossiers.code`.
                let mut copy = first.clone();
                copy.id = DossierId(uuid::Uuid::now_v7());
                tasks.push(direct(Box::new(move |_| {
                    Ok((copy, Vec::new(), Vec::new()))
                })));
            }
        }
        // Everything is queued behind the held writer before it is let go.
        for _ in 0..500 {
            if db.group.waiting() >= 22 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(db.group.waiting(), 22, "{}", db.backend);
        drop(hold);
        let mut codes = Vec::new();
        let mut errors = Vec::new();
        for t in tasks {
            match t.await.unwrap() {
                Ok(rec) => codes.push(rec.code),
                Err(e) => errors.push(e.code),
            }
        }
        let after = db.group.stats();
        assert_eq!(
            after.batches,
            before.batches + 1,
            "one transaction ({})",
            db.backend
        );
        assert_eq!(after.items, before.items + 22);
        assert!(after.largest >= 22);
        errors.sort_by_key(|c| c.as_str());
        let mut expected_errors = vec![
            ErrorCode::DossierCodeSequenceOutOfRange,
            ErrorCode::StorageConflict,
        ];
        expected_errors.sort_by_key(|c| c.as_str());
        assert_eq!(errors, expected_errors, "{}", db.backend);
        codes.sort();
        let expected: Vec<String> = (2..=21)
            .map(|n| format!("000.00.20.H53-250303-{n:04}"))
            .collect();
        assert_eq!(codes, expected, "{}", db.backend);
        let (seq_after, _) = db.store.audit_head().await.unwrap();
        assert_eq!(seq_after, seq_before + 20, "{}", db.backend);
        assert!(matches!(
            app.audit_verify().await.unwrap(),
            VerifyOutcome::Intact { .. }
        ));

        // Without holding: whatever batches form, 40 more get the next 40 codes.
        let mut tasks = Vec::new();
        for i in 0..40 {
            let app = app.clone();
            let input = reception(business, city.id, &format!("Sau {i}"), i % 3 == 0);
            tasks.push(tokio::spawn(async move {
                app.dossier_receive(&Ctx::cli(), &input).await
            }));
        }
        let mut codes = Vec::new();
        for t in tasks {
            codes.push(t.await.unwrap().unwrap().code);
        }
        codes.sort();
        let expected: Vec<String> = (22..=61)
            .map(|n| format!("000.00.20.H53-250303-{n:04}"))
            .collect();
        assert_eq!(codes, expected, "{}", db.backend);
        let listed = db
            .store
            .dossiers_list(&cqdt_app::store::DossierFilter {
                scopes: vec![cqdt_app::store::DossierScope::default()],
                limit: 1000,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(listed.1, 61, "{}", db.backend);
        for d in &listed.0 {
            assert!(!db.store.dossier_events(d.id).await.unwrap().is_empty());
        }
        assert!(matches!(
            app.audit_verify().await.unwrap(),
            VerifyOutcome::Intact { .. }
        ));
        db.cleanup().await;
    }
}

/// The dossier rows: version check, events numbered and append-only, lists and counts by
/// subtree and state, lookups by code, histories for the reports.
#[tokio::test]
async fn dossier_rows_versions_events_lists_and_histories() {
    use cqdt_app::store::{DossierFilter, DossierScope, path_string};
    use cqdt_domain::dossier::StateName;
    for db in each("dossier_rows").await {
        let (app, _) = catalogue_app(&db, local_time(2025, 3, 3, 9)).await;
        let cli = Ctx::cli();
        let business = procedure_id(&app, "9.900002").await;
        let city = app
            .agency_by_identifier(&cli, "000.00.20.H53")
            .await
            .unwrap();
        let created = app
            .dossier_receive(&cli, &reception(business, city.id, "Phạm Văn Đức", false))
            .await
            .unwrap();
        assert_eq!(created.version, 1);
        let stored = app.store.dossier_get(created.id).await.unwrap().unwrap();
        assert_eq!(stored, created, "{}", db.backend);
        assert_eq!(
            app.store
                .dossier_by_code(&created.code)
                .await
                .unwrap()
                .unwrap()
                .id,
            created.id
        );
        assert!(app.store.dossier_by_code("x").await.unwrap().is_none());
        let accepted = app.dossier_accept(&cli, created.id).await.unwrap();
        assert_eq!(accepted.version, 2);
        let stored = app.store.dossier_get(created.id).await.unwrap().unwrap();
        assert_eq!(stored, accepted);
        // A write based on the old version is refused whole: no event, no audit entry.
        let (head_before, _) = app.store.audit_head().await.unwrap();
        let audit = AuditDraft {
            at_us: app.now_us(),
            actor: "cli".into(),
            ip: None,
            action: "dossier.accept".into(),
            target_type: "dossier".into(),
            target_id: created.id.to_string(),
            before_digest: None,
            after_digest: None,
        };
        let e = app
            .store
            .dossier_update(&created, &[], &audit, &[], &[])
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::StorageConflict);
        assert_eq!(app.store.audit_head().await.unwrap().0, head_before);
        let events = app.store.dossier_events(created.id).await.unwrap();
        assert_eq!(
            events.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert_eq!(events[1].1.state, StateName::Received);
        // Events are history.
        assert!(
            db.exec("UPDATE dossier_events SET kind = 'x'")
                .await
                .is_err()
        );
        assert!(db.exec("DELETE FROM dossier_events").await.is_err());

        // Lists and counts by subtree and state.
        let filter = |prefix: String, states: Vec<StateName>| DossierFilter {
            scopes: vec![DossierScope {
                path_prefix: prefix,
                states,
            }],
            now_us: app.now_us(),
            limit: 10,
            ..Default::default()
        };
        let (items, total) = app
            .store
            .dossiers_list(&filter(path_string(&city.path), vec![]))
            .await
            .unwrap();
        assert_eq!((items.len(), total), (1, 1));
        assert_eq!(items[0], accepted);
        let province = app
            .agency_by_identifier(&cli, "000.00.00.H53")
            .await
            .unwrap();
        let (_, total) = app
            .store
            .dossiers_list(&filter(
                path_string(&province.path),
                vec![StateName::Received],
            ))
            .await
            .unwrap();
        assert_eq!(total, 1, "the province's subtree holds the city");
        let tan_bien = app
            .agency_by_identifier(&cli, "000.00.21.H53")
            .await
            .unwrap();
        let (_, total) = app
            .store
            .dossiers_list(&filter(path_string(&tan_bien.path), vec![]))
            .await
            .unwrap();
        assert_eq!(total, 0);
        let (_, total) = app
            .store
            .dossiers_list(&filter(String::new(), vec![StateName::Submitted]))
            .await
            .unwrap();
        assert_eq!(total, 0);
        let counts = app
            .store
            .dossiers_counts(&filter(String::new(), vec![]))
            .await
            .unwrap();
        assert_eq!(counts.len(), 1);
        assert_eq!((counts[0].state, counts[0].total), (StateName::Received, 1));
        // No scope and no applicant: nothing.
        let (_, total) = app
            .store
            .dossiers_list(&DossierFilter {
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(total, 0);

        // Histories: received before the end, not closed before the start.
        let h = app
            .store
            .dossier_histories(&path_string(&city.path), i64::MAX, 0)
            .await
            .unwrap();
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].events.len(), 2);
        assert_eq!(h[0].field, "Thành lập và hoạt động của hộ kinh doanh");
        let received = accepted.dossier.received_at().unwrap().timestamp_micros();
        assert!(
            app.store
                .dossier_histories(&path_string(&city.path), received, 0)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            app.store
                .dossier_histories(&path_string(&tan_bien.path), i64::MAX, 0)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            app.audit_verify().await.unwrap(),
            VerifyOutcome::Intact { .. }
        ));
        db.cleanup().await;
    }
}
