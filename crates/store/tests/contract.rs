//! The storage contract: the same suite on SQLite and on PostgreSQL (when TEST_DATABASE_URL is
//! set; otherwise a visible "skipped: no PostgreSQL" line). Each test makes its own database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::type_complexity)]

use cqdt_app::accounts::{RegisterInput, StaffInput};
use cqdt_app::agencies::Format;
use cqdt_app::audit::VerifyOutcome;
use cqdt_app::ports::{FakeClock, FakeIds};
use cqdt_app::store::UserFilter;
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
        assert_eq!(accounts.len(), 9);
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
                "grants",
                "login_failures",
                "sessions",
                "users"
            ],
            "{}",
            db.backend
        );
        db.cleanup().await;
    }
}
