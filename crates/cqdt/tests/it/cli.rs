//! The real binary: configuration example, migrate, seed, users, audit verify on a tampered
//! database, backup and restore while the data stays the same.

use std::path::Path;
use std::process::{Command, Output};

fn cqdt(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cqdt"))
        .args(args)
        .current_dir(dir)
        .env_remove("CQDT__DATABASE__URL")
        .env("CQDT__SECURITY__ARGON2_MEMORY_KIB", "256")
        .env("CQDT__SECURITY__ARGON2_ITERATIONS", "1")
        .output()
        .expect("run cqdt")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn ok(o: Output) -> String {
    assert!(o.status.success(), "{}", text(&o));
    text(&o)
}

#[tokio::test]
async fn config_example_migrate_seed_verify_backup_restore() {
    let dir = cqdt_store::testing::TempDir::new("cli").unwrap();
    let d = dir.0.as_path();
    // The printed example is a valid configuration.
    let example = ok(cqdt(d, &["config", "example"]));
    std::fs::write(d.join("cqdt.toml"), &example).unwrap();
    ok(cqdt(d, &["migrate"]));
    assert!(d.join("data/cqdt.sqlite").exists());
    let seeded = ok(cqdt(d, &["seed", "--demo"]));
    assert!(seeded.contains("quantri@tayninh.demo"), "{seeded}");
    // Seeding twice is refused.
    assert!(!cqdt(d, &["seed", "--demo"]).status.success());
    // Unknown configuration keys are named.
    std::fs::write(d.join("bad.toml"), "[database]\nulr = \"x\"\n").unwrap();
    let bad = cqdt(d, &["--config", "bad.toml", "migrate"]);
    assert!(!bad.status.success());
    assert!(text(&bad).contains("ulr"), "{}", text(&bad));

    // Accounts from the command line.
    ok(cqdt(
        d,
        &[
            "users",
            "create",
            "--admin",
            "--email",
            "admin@tayninh.gov.vn",
            "--name",
            "Quản trị viên",
            "--password",
            "mật khẩu quản trị",
        ],
    ));
    let staff = cqdt(
        d,
        &[
            "users",
            "create",
            "--email",
            "cb@tayninh.gov.vn",
            "--name",
            "Cán bộ",
            "--agency",
            "000.00.02.H53",
            "--role",
            "specialist",
            "--password",
            "mật khẩu cán bộ",
        ],
    );
    ok(staff);
    let bad_agency = cqdt(
        d,
        &[
            "users",
            "create",
            "--email",
            "x@tayninh.gov.vn",
            "--name",
            "X",
            "--agency",
            "000.00.99.H53",
            "--password",
            "mật khẩu cán bộ",
        ],
    );
    assert!(!bad_agency.status.success());
    assert!(
        text(&bad_agency).contains("Không tìm thấy cơ quan"),
        "{}",
        text(&bad_agency)
    );
    ok(cqdt(
        d,
        &[
            "users",
            "reset-password",
            "--login",
            "cb@tayninh.gov.vn",
            "--password",
            "mật khẩu mới 2",
        ],
    ));

    // Export and re-import into another database through the files.
    ok(cqdt(
        d,
        &["agencies", "export", "--format", "json", "agencies.json"],
    ));
    let json = std::fs::read_to_string(d.join("agencies.json")).unwrap();
    assert!(json.contains("\"000.00.00.H53\""));

    let verify = ok(cqdt(d, &["audit", "verify"]));
    assert!(verify.contains("toàn vẹn"), "{verify}");

    // Backup while the database is in use, restore into an empty data directory, compare.
    ok(cqdt(d, &["backup", "snapshot"]));
    assert!(
        !cqdt(d, &["backup", "snapshot"]).status.success(),
        "never overwrites"
    );
    let restored = d.join("restored");
    std::fs::create_dir_all(&restored).unwrap();
    std::fs::write(
        restored.join("cqdt.toml"),
        "[database]\nurl = \"sqlite://data/cqdt.sqlite\"\n",
    )
    .unwrap();
    let r = ok(cqdt(&restored, &["restore", "../snapshot"]));
    assert!(r.contains("toàn vẹn"), "{r}");
    assert!(
        !cqdt(&restored, &["restore", "../snapshot"])
            .status
            .success(),
        "refuses a non-empty data directory"
    );
    ok(cqdt(
        &restored,
        &["agencies", "export", "--format", "json", "agencies.json"],
    ));
    assert_eq!(
        std::fs::read_to_string(restored.join("agencies.json")).unwrap(),
        json
    );
    ok(cqdt(&restored, &["audit", "verify"]));

    // Tamper with one audit row in the restored copy: verify fails and names it.
    let url = format!("sqlite://{}", restored.join("data/cqdt.sqlite").display());
    let pool = cqdt_store::open_sqlite(&url, 1, cqdt_store::Durability::Full)
        .await
        .unwrap();
    sqlx::raw_sql("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'user:someone-else' WHERE seq = 7;").execute(&pool).await.unwrap();
    pool.close().await;
    let broken = cqdt(&restored, &["audit", "verify"]);
    assert!(!broken.status.success());
    assert!(text(&broken).contains("entry 7"), "{}", text(&broken));
}
