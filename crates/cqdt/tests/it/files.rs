//! The files folder with the real binary: `backup` takes the files the snapshot names, `restore`
//! puts them back so every file downloads byte for byte from the restored server, a corrupt
//! file makes `files check` fail and `backup` refuse, `files gc` removes old orphans only and
//! never a file a record names. On SQLite; check and gc also on PostgreSQL.

use super::crash::{prepare, seed, start};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

const SQLITE_URL: &str = "sqlite://data/cqdt.sqlite";

fn cqdt(dir: &Path, url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cqdt"))
        .args(args)
        .current_dir(dir)
        .env("CQDT__DATABASE__URL", url)
        .env("CQDT__SECURITY__ARGON2_MEMORY_KIB", "256")
        .env("CQDT__SECURITY__ARGON2_ITERATIONS", "1")
        .env("CQDT__LOG__LEVEL", "warn")
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

fn fails(o: Output) -> String {
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    text(&o)
}

fn sha(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

fn blob(root: &Path, sha256: &str) -> PathBuf {
    root.join(&sha256[0..2]).join(&sha256[2..4]).join(sha256)
}

fn put_blob(root: &Path, bytes: &[u8]) -> PathBuf {
    let p = blob(root, &sha(bytes));
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, bytes).unwrap();
    p
}

/// File times are the operating system's, not the app's clock.
#[allow(clippy::disallowed_methods)]
fn age(path: &Path, hours: u64) {
    let t = SystemTime::now() - Duration::from_secs(hours * 3600);
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(t)
        .unwrap();
}

fn blobs_in(root: &Path) -> usize {
    let mut n = 0;
    for a in std::fs::read_dir(root).unwrap() {
        let a = a.unwrap();
        if a.file_name() == "tmp" || !a.file_type().unwrap().is_dir() {
            continue;
        }
        for b in std::fs::read_dir(a.path()).unwrap() {
            n += std::fs::read_dir(b.unwrap().path()).unwrap().count();
        }
    }
    n
}

/// A submitted file: dossier id, file id, the bytes sent.
type Sent = Vec<(String, String, String, Vec<u8>)>;

/// Submits `n` dossiers with two files each (the second the same in every dossier: one blob,
/// several records); returns each file with its dossier's code.
async fn submit(base: &str, n: usize, tag: &str) -> Sent {
    let (c, csrf, procedure, agency) = prepare(base).await;
    let mut sent = Vec::new();
    for i in 0..n {
        let files = [
            format!("%PDF-1.4\n% don {tag} {i}\n%%EOF\n").into_bytes(),
            format!("%PDF-1.4\n% cccd {tag}\n{}\n%%EOF\n", "x".repeat(30_000)).into_bytes(),
        ];
        let submission = serde_json::json!({
            "procedure_id": procedure, "agency_id": agency,
            "values": {"ten_ho_kinh_doanh": format!("Hộ kinh doanh {tag} {i}"), "nganh_nghe": "Bán lẻ"},
        });
        let form = reqwest::multipart::Form::new()
            .part(
                "submission",
                reqwest::multipart::Part::text(submission.to_string())
                    .mime_str("application/json")
                    .unwrap(),
            )
            .part(
                "part-1",
                reqwest::multipart::Part::bytes(files[0].clone()).file_name("don.pdf"),
            )
            .part(
                "part-2",
                reqwest::multipart::Part::bytes(files[1].clone()).file_name("cccd.pdf"),
            );
        let r = c
            .post(format!("{base}/api/v1/dossiers"))
            .header("x-csrf-token", &csrf)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
        let v: serde_json::Value = r.json().await.unwrap();
        let code = v["code"].as_str().unwrap().to_string();
        let id = v["id"].as_str().unwrap().to_string();
        for f in v["files"].as_array().unwrap() {
            let part = f["part"].as_u64().unwrap() as usize;
            let bytes = files[part - 1].clone();
            assert_eq!(f["sha256"].as_str().unwrap(), sha(&bytes));
            sent.push((
                code.clone(),
                id.clone(),
                f["id"].as_str().unwrap().into(),
                bytes,
            ));
        }
    }
    sent
}

/// Every file downloads from the server byte for byte, as the citizen who sent it.
async fn downloads_equal(base: &str, sent: &Sent) {
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let r = c
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"login": "congdan@tayninh.demo", "password": "TayNinh@2019"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    for (code, dossier, file, bytes) in sent {
        let r = c
            .get(format!("{base}/api/v1/dossiers/{dossier}/files/{file}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{code} {file}");
        assert_eq!(&r.bytes().await.unwrap()[..], &bytes[..], "{code} {file}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_restore_check_and_gc_keep_every_file() {
    let dir = cqdt_store::testing::TempDir::new("files-cli").unwrap();
    let d = dir.0.as_path();
    let files = d.join("data/files");
    seed(d, SQLITE_URL);
    let mut server = start(d, SQLITE_URL);
    let sent = submit(&server.base, 3, "a").await;
    assert_eq!(sent.len(), 6);
    // An orphan (a crash between a blob's write and its record's commit) is not backed up.
    let orphan = put_blob(&files, b"%PDF-1.4\n% orphan\n%%EOF\n");

    // Backup while the server runs: a folder with the database, the blobs and a manifest.
    let out = ok(cqdt(d, SQLITE_URL, &["backup", "sao-luu"]));
    assert!(out.contains("Đã sao lưu"), "{out}");
    let b = d.join("sao-luu");
    assert!(b.join("cqdt.sqlite").is_file());
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(b.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["format"], "cqdt-backup");
    assert_eq!(manifest["version"], 1);
    // The 6 dossier file records (4 distinct contents) and the demo documents' scans.
    let records = manifest["file_records"].as_u64().unwrap();
    let blobs = manifest["blobs"].as_u64().unwrap();
    assert!(records > 6 && blobs > 4 && blobs <= records, "{manifest}");
    assert_eq!(blobs_in(&b.join("files")) as u64, blobs);
    for (_, _, _, bytes) in &sent {
        assert_eq!(
            &std::fs::read(blob(&b.join("files"), &sha(bytes))).unwrap(),
            bytes
        );
    }
    assert!(
        !blob(&b.join("files"), &sha(b"%PDF-1.4\n% orphan\n%%EOF\n")).exists(),
        "orphans are not backed up"
    );
    assert!(
        !cqdt(d, SQLITE_URL, &["backup", "sao-luu"]).status.success(),
        "never overwrites"
    );
    // Files committed after the snapshot are not required by it; the next backup has them.
    let later = submit(&server.base, 1, "b").await;
    server.child.kill().unwrap();
    let _ = server.child.wait();

    // Restore into an empty data directory; start from it; every file downloads equal.
    let restored = d.join("restored");
    std::fs::create_dir_all(&restored).unwrap();
    let r = ok(cqdt(&restored, SQLITE_URL, &["restore", "../sao-luu"]));
    assert!(
        r.contains("toàn vẹn") && r.contains(&format!("{blobs} tệp")),
        "{r}"
    );
    assert_eq!(blobs_in(&restored.join("data/files")) as u64, blobs);
    assert!(
        !cqdt(&restored, SQLITE_URL, &["restore", "../sao-luu"])
            .status
            .success(),
        "refuses a non-empty data directory"
    );
    let c = ok(cqdt(&restored, SQLITE_URL, &["files", "check"]));
    assert!(
        c.contains("0 thiếu, 0 hỏng") && c.contains("toàn vẹn"),
        "{c}"
    );
    let mut server = start(&restored, SQLITE_URL);
    downloads_equal(&server.base, &sent).await;
    server.child.kill().unwrap();
    let _ = server.child.wait();

    // A restore whose files folder already holds files is refused, and leaves nothing.
    let other = d.join("other");
    put_blob(&other.join("data/files"), b"something else");
    let refused = cqdt(&other, SQLITE_URL, &["restore", "../sao-luu"]);
    assert!(!refused.status.success());
    assert!(text(&refused).contains("không trống"), "{}", text(&refused));
    assert!(!other.join("data/cqdt.sqlite").exists());

    // A backup whose file is corrupt is refused on restore, and nothing is left behind.
    let tampered = d.join("sao-luu-hong");
    copy_dir(&b, &tampered);
    let (code0, _, _, bytes0) = &sent[0];
    std::fs::write(blob(&tampered.join("files"), &sha(bytes0)), b"not the file").unwrap();
    let empty = d.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let bad = cqdt(&empty, SQLITE_URL, &["restore", "../sao-luu-hong"]);
    assert!(!bad.status.success());
    assert!(text(&bad).contains(code0.as_str()), "{}", text(&bad));
    assert!(!empty.join("data/cqdt.sqlite").exists());
    assert_eq!(blobs_in(&empty.join("data/files")), 0);

    // A corrupt or missing file in the live folder: check fails naming the dossier, backup
    // refuses and writes nothing.
    let live = blob(&files, &sha(bytes0));
    std::fs::write(&live, b"bit rot").unwrap();
    let c = fails(cqdt(d, SQLITE_URL, &["files", "check"]));
    assert!(c.contains(code0.as_str()) && c.contains("hỏng"), "{c}");
    let refused = fails(cqdt(d, SQLITE_URL, &["backup", "sao-luu-2"]));
    assert!(refused.contains(code0.as_str()), "{refused}");
    assert!(!d.join("sao-luu-2").exists());
    let leftovers: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("sao-luu-2"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    std::fs::remove_file(&live).unwrap();
    let c = fails(cqdt(d, SQLITE_URL, &["files", "check"]));
    assert!(c.contains(code0.as_str()) && c.contains("thiếu"), "{c}");
    std::fs::write(&live, bytes0).unwrap();
    let c = ok(cqdt(d, SQLITE_URL, &["files", "check"]));
    assert!(c.contains("mồ côi (không bản ghi nào dùng): 1"), "{c}");

    // Garbage collection: an old orphan goes; a recent orphan and every referenced file stay,
    // however old.
    let recent = put_blob(&files, b"%PDF-1.4\n% in flight\n%%EOF\n");
    age(&orphan, 48);
    for (_, _, _, bytes) in sent.iter().chain(&later) {
        age(&blob(&files, &sha(bytes)), 100);
    }
    let dry = ok(cqdt(d, SQLITE_URL, &["files", "gc", "--dry-run"]));
    assert!(dry.contains("Sẽ xoá 1 tệp mồ côi"), "{dry}");
    assert!(orphan.exists());
    assert!(
        !cqdt(d, SQLITE_URL, &["files", "gc", "--older-than-hours", "0"])
            .status
            .success()
    );
    let gc = ok(cqdt(d, SQLITE_URL, &["files", "gc"]));
    assert!(gc.contains("Đã xoá 1 tệp mồ côi"), "{gc}");
    assert!(!orphan.exists());
    assert!(recent.exists());
    for (_, _, _, bytes) in sent.iter().chain(&later) {
        assert!(blob(&files, &sha(bytes)).exists());
    }
    let gc = ok(cqdt(
        d,
        SQLITE_URL,
        &["files", "gc", "--older-than-hours", "1"],
    ));
    assert!(gc.contains("Đã xoá 0 tệp mồ côi"), "{gc}");
    // Storing content that is already there marks it fresh: a stale orphan that a new
    // submission names again is not collected before its record commits.
    let mut server = start(d, SQLITE_URL);
    age(&blob(&files, &sha(&later[1].3)), 100);
    let again = submit(&server.base, 1, "b").await;
    assert_eq!(sha(&again[1].3), sha(&later[1].3));
    let m = std::fs::metadata(blob(&files, &sha(&later[1].3)))
        .unwrap()
        .modified()
        .unwrap();
    #[allow(clippy::disallowed_methods)] // the file system's clock, not the app's
    let hour_ago = SystemTime::now() - Duration::from_secs(3600);
    assert!(m > hour_ago);
    server.child.kill().unwrap();
    let _ = server.child.wait();
    ok(cqdt(d, SQLITE_URL, &["files", "check"]));

    // A second backup has the later files; an old single-file backup still restores, with a
    // warning that its files are not included.
    ok(cqdt(d, SQLITE_URL, &["backup", "sao-luu-3"]));
    let r3 = d.join("restored-3");
    std::fs::create_dir_all(&r3).unwrap();
    ok(cqdt(&r3, SQLITE_URL, &["restore", "../sao-luu-3"]));
    let old = d.join("restored-old");
    std::fs::create_dir_all(&old).unwrap();
    let r = ok(cqdt(
        &old,
        SQLITE_URL,
        &["restore", "../sao-luu/cqdt.sqlite"],
    ));
    assert!(r.contains("không có các tệp"), "{r}");
    ok(cqdt(&old, SQLITE_URL, &["audit", "verify"]));
    let mut server = start(&r3, SQLITE_URL);
    let all: Sent = sent.iter().chain(&later).chain(&again).cloned().collect();
    downloads_equal(&server.base, &all).await;
    server.child.kill().unwrap();
    let _ = server.child.wait();
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &t);
        } else {
            std::fs::copy(e.path(), t).unwrap();
        }
    }
}

/// Check and gc need only the store and the folder: the same on PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_and_gc_on_postgres() {
    let Some(pg) = cqdt_store::testing::TestDb::postgres("files_cli")
        .await
        .unwrap()
    else {
        println!("skipped: no PostgreSQL (TEST_DATABASE_URL unset)");
        return;
    };
    let dir = cqdt_store::testing::TempDir::new("files-pg").unwrap();
    let d = dir.0.as_path();
    // With PostgreSQL the files folder defaults to data/files under the working folder.
    let files = d.join("data/files");
    seed(d, &pg.url);
    let mut server = start(d, &pg.url);
    let sent = submit(&server.base, 2, "pg").await;
    server.child.kill().unwrap();
    let _ = server.child.wait();
    let orphan = put_blob(&files, b"%PDF-1.4\n% orphan pg\n%%EOF\n");
    age(&orphan, 30);
    for (_, _, _, bytes) in &sent {
        age(&blob(&files, &sha(bytes)), 30);
    }
    let c = ok(cqdt(d, &pg.url, &["files", "check"]));
    assert!(
        // The 4 dossier files and the demo documents' scans are records; only the planted
        // blob is an orphan (documents' files count as referenced, so gc never takes them).
        c.contains("0 thiếu, 0 hỏng") && c.contains("mồ côi (không bản ghi nào dùng): 1"),
        "{c}"
    );
    let gc = ok(cqdt(d, &pg.url, &["files", "gc"]));
    assert!(gc.contains("Đã xoá 1 tệp mồ côi"), "{gc}");
    assert!(!orphan.exists());
    for (_, _, _, bytes) in &sent {
        assert!(blob(&files, &sha(bytes)).exists());
    }
    let (code0, _, _, bytes0) = &sent[0];
    std::fs::write(blob(&files, &sha(bytes0)), b"bit rot").unwrap();
    let c = fails(cqdt(d, &pg.url, &["files", "check"]));
    assert!(c.contains(code0.as_str()), "{c}");
    // Backup stays SQLite-only: PostgreSQL deployments use pg_dump and copy the folder.
    assert!(!cqdt(d, &pg.url, &["backup", "x"]).status.success());
    pg.cleanup().await;
}
