//! The files folder and its records together: `backup` (database snapshot plus every blob its
//! file records name, checked), `restore` (database and blobs into an empty data directory,
//! checked), `files check` (missing or corrupt blobs, orphans counted) and `files gc` (old
//! orphans removed). Messages for the operator in Vietnamese.

use crate::config::Config;
use crate::server;
use cqdt_app::audit::VerifyOutcome;
use cqdt_app::store::FileRef;
use cqdt_app::{AppError, Clock, Store};
use cqdt_store::blob_folder::{self, CopyError, Integrity};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The database file inside a backup folder.
pub const BACKUP_DB: &str = "cqdt.sqlite";
/// The blobs inside a backup folder (same layout as the files folder).
pub const BACKUP_FILES: &str = "files";
/// The manifest inside a backup folder.
pub const BACKUP_MANIFEST: &str = "manifest.json";
/// The backup folder format this binary writes and reads.
pub const BACKUP_VERSION: u32 = 1;
const PAGE: i64 = 1000;

/// What a backup folder says of itself.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    /// Always `cqdt-backup`.
    pub format: String,
    pub version: u32,
    pub created_at: String,
    pub database: String,
    pub files_folder: String,
    /// File records in the snapshot.
    pub file_records: u64,
    /// Distinct blobs they name (all present in `files_folder`).
    pub blobs: u64,
    pub blob_bytes: u64,
}

fn explain(e: &AppError) -> String {
    crate::cli::explain(e)
}

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_micros(cqdt_app::SystemClock.now_us().max(0) as u64)
}

/// How the operator recognises a file record.
fn describe(r: &FileRef) -> String {
    let owner = match (&r.dossier_code, r.draft_id) {
        (Some(code), _) => format!("hồ sơ {code}"),
        (None, Some(d)) => format!("bản nháp {d}"),
        (None, None) => "không rõ chủ".to_string(),
    };
    format!(
        "tệp «{}» của {owner} (bản ghi {}, SHA-256 {})",
        r.name, r.id, r.sha256
    )
}

fn integrity_text(i: &Integrity) -> String {
    match i {
        Integrity::Intact => "nguyên vẹn".into(),
        Integrity::Missing => "thiếu nội dung tệp".into(),
        Integrity::Corrupt { found, len } => {
            format!("nội dung tệp bị hỏng (SHA-256 không khớp: {len} byte, băm ra {found})")
        }
    }
}

/// Every file record, page by page, in id order.
async fn each_page(
    store: &dyn Store,
    mut f: impl FnMut(&[FileRef]) -> Result<(), String>,
) -> Result<(), String> {
    let mut after = None;
    loop {
        let page = store
            .file_refs_page(after, PAGE)
            .await
            .map_err(|e| explain(&e))?;
        f(&page)?;
        match page.last() {
            Some(last) if page.len() as i64 == PAGE => after = Some(last.id),
            _ => return Ok(()),
        }
    }
}

/// Every record's blob read whole and hashed (once per distinct blob).
#[derive(Debug, Default)]
struct Verified {
    records: u64,
    referenced: HashSet<String>,
    missing: u64,
    corrupt: u64,
    problems: Vec<String>,
}

async fn verify_records(store: &dyn Store, root: &Path) -> Result<Verified, String> {
    let mut v = Verified::default();
    let mut seen: HashMap<String, Integrity> = HashMap::new();
    each_page(store, |page| {
        for r in page {
            v.records += 1;
            let state = match seen.get(&r.sha256) {
                Some(s) => s.clone(),
                None => {
                    let s = blob_folder::check_blob(root, &r.sha256)
                        .map_err(|e| format!("{}: {e}", root.display()))?;
                    seen.insert(r.sha256.clone(), s.clone());
                    v.referenced.insert(r.sha256.clone());
                    s
                }
            };
            match state {
                Integrity::Intact => {}
                Integrity::Missing => v.missing += 1,
                Integrity::Corrupt { .. } => v.corrupt += 1,
            }
            if state != Integrity::Intact {
                v.problems
                    .push(format!("{}: {}", describe(r), integrity_text(&state)));
            }
        }
        Ok(())
    })
    .await?;
    Ok(v)
}

fn problem_list(problems: &[String]) -> String {
    let mut s = String::new();
    for p in problems.iter().take(50) {
        s.push_str(&format!("\n  {p}"));
    }
    if problems.len() > 50 {
        s.push_str(&format!("\n  … và {} lỗi khác", problems.len() - 50));
    }
    s
}

/// `cqdt files check`.
pub async fn check(config: &Config) -> Result<(), String> {
    let app = server::open_app(config).await.map_err(|e| explain(&e))?;
    let root = server::files_dir(config);
    let v = verify_records(app.store.as_ref(), &root).await?;
    let listing = blob_folder::list(&root).map_err(|e| format!("{}: {e}", root.display()))?;
    let orphans: Vec<_> = listing
        .blobs
        .iter()
        .filter(|b| !v.referenced.contains(&b.sha256))
        .collect();
    let orphan_bytes: u64 = orphans.iter().map(|b| b.len).sum();
    println!(
        "Đã kiểm tra {} bản ghi tệp ({} nội dung khác nhau) trong {}: {} thiếu, {} hỏng.",
        v.records,
        v.referenced.len(),
        root.display(),
        v.missing,
        v.corrupt
    );
    println!(
        "Tệp mồ côi (không bản ghi nào dùng): {} ({} byte); tệp tạm còn sót: {}.",
        orphans.len(),
        orphan_bytes,
        listing.temporaries.len()
    );
    for s in &listing.strays {
        println!(
            "Cảnh báo: tệp lạ trong thư mục tệp (không động đến): {}",
            s.display()
        );
    }
    if v.problems.is_empty() {
        println!("Kho tệp toàn vẹn (files intact).");
        Ok(())
    } else {
        Err(format!(
            "kho tệp không toàn vẹn: {} bản ghi tệp thiếu hoặc hỏng nội dung{}",
            v.problems.len(),
            problem_list(&v.problems)
        ))
    }
}

/// `cqdt files gc`: removes blobs no record names whose modification time is older than
/// `hours` (a submission in flight writes its blob before committing its record, and storing
/// content already present marks it fresh), and temporaries of that age.
pub async fn gc(config: &Config, hours: u64, dry_run: bool) -> Result<(), String> {
    if hours == 0 {
        return Err(
            "--older-than-hours phải ít nhất là 1: tệp vừa ghi có thể thuộc một hồ sơ đang nộp"
                .into(),
        );
    }
    let app = server::open_app(config).await.map_err(|e| explain(&e))?;
    let root = server::files_dir(config);
    let cutoff = now()
        .checked_sub(Duration::from_secs(hours.saturating_mul(3600)))
        .unwrap_or(UNIX_EPOCH);
    // The folder first, the records after: a record committed meanwhile is seen.
    let listing = blob_folder::list(&root).map_err(|e| format!("{}: {e}", root.display()))?;
    let mut referenced = HashSet::new();
    each_page(app.store.as_ref(), |page| {
        referenced.extend(page.iter().map(|r| r.sha256.clone()));
        Ok(())
    })
    .await?;
    let (mut removed, mut bytes, mut recent, mut in_use) = (0u64, 0u64, 0u64, 0u64);
    for b in &listing.blobs {
        if referenced.contains(&b.sha256) {
            in_use += 1;
            continue;
        }
        // Look again just before removing: content stored again meanwhile is fresh.
        let fresh = match std::fs::metadata(&b.path).and_then(|m| m.modified()) {
            Ok(m) => m >= cutoff,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(format!("{}: {e}", b.path.display())),
        };
        if fresh {
            recent += 1;
            continue;
        }
        if !dry_run {
            match std::fs::remove_file(&b.path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(format!("{}: {e}", b.path.display())),
            }
        }
        removed += 1;
        bytes += b.len;
    }
    let mut temporaries = 0u64;
    for (p, modified) in &listing.temporaries {
        if *modified < cutoff {
            if !dry_run {
                let _ = std::fs::remove_file(p);
            }
            temporaries += 1;
        }
    }
    let verb = if dry_run { "Sẽ xoá" } else { "Đã xoá" };
    println!(
        "{verb} {removed} tệp mồ côi ({bytes} byte) và {temporaries} tệp tạm cũ hơn {hours} giờ trong {}; giữ {recent} tệp mồ côi mới hơn và {in_use} tệp đang được dùng.",
        root.display()
    );
    if dry_run {
        println!("Chạy thử (--dry-run): không xoá gì.");
    }
    Ok(())
}

pub fn sqlite_path(config: &Config) -> Option<PathBuf> {
    let url = &config.database.url.0;
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .map(|p| PathBuf::from(p.split('?').next().unwrap_or(p)))
}

async fn open_snapshot(path: &Path) -> Result<sqlx::SqlitePool, String> {
    let url = format!("sqlite://{}", path.display());
    cqdt_store::open_sqlite(&url, 1, cqdt_store::Durability::Full)
        .await
        .map_err(|e| explain(&e))
}

/// `cqdt backup DEST`: a folder with the database snapshot, every blob its file records name
/// (hashes checked; hard links when on the same filesystem) and a manifest. Built beside
/// `DEST` and renamed into place only when complete, so a failed backup leaves nothing.
pub async fn backup(config: &Config, dest: &Path) -> Result<(), String> {
    let Some(db) = sqlite_path(config) else {
        return Err(
            explain(&AppError::new(cqdt_domain::ErrorCode::BackupUnsupported))
                + "\n  PostgreSQL: pg_dump --format=custom --file=cqdt.dump \"$DATABASE_URL\" và sao chép thư mục tệp (xem README).",
        );
    };
    if dest.exists() {
        return Err(format!(
            "{} đã tồn tại; chọn tên khác (file exists)",
            dest.display()
        ));
    }
    if !db.exists() {
        return Err(format!("không có cơ sở dữ liệu tại {}", db.display()));
    }
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| format!("{}: cần tên thư mục sao lưu", dest.display()))?;
    let parent = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let staging = parent.join(format!(
        ".{name}.dang-sao-luu-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&staging).map_err(|e| format!("{}: {e}", staging.display()))?;
    let result = backup_into(config, &db, &staging).await;
    match result {
        Ok(m) => {
            std::fs::rename(&staging, dest).map_err(|e| {
                let _ = std::fs::remove_dir_all(&staging);
                format!("{}: {e}", dest.display())
            })?;
            let _ = blob_folder::sync_dirs([&parent]);
            println!(
                "Đã sao lưu vào {}: cơ sở dữ liệu và {} tệp ({} bản ghi tệp, {} byte), đã kiểm tra SHA-256.",
                dest.display(),
                m.blobs,
                m.file_records,
                m.blob_bytes
            );
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            Err(format!(
                "{e}\n  Chưa tạo bản sao lưu nào (no backup written)."
            ))
        }
    }
}

async fn backup_into(config: &Config, db: &Path, staging: &Path) -> Result<Manifest, String> {
    let root = server::files_dir(config);
    let url = format!("sqlite://{}", db.display());
    let pool = cqdt_store::open_sqlite(&url, 1, config.database.sqlite_durability)
        .await
        .map_err(|e| explain(&e))?;
    let snapshot = staging.join(BACKUP_DB);
    let taken = cqdt_store::sqlite_backup(&pool, &snapshot).await;
    pool.close().await;
    taken.map_err(|e| explain(&e))?;
    // The blobs the snapshot names, not the live database: a file committed after the
    // snapshot is not needed, and one it names must be there.
    let snap = open_snapshot(&snapshot).await?;
    let store = cqdt_store::SqliteStore::new(snap.clone());
    let files = staging.join(BACKUP_FILES);
    std::fs::create_dir_all(&files).map_err(|e| format!("{}: {e}", files.display()))?;
    let mut dirs = BTreeSet::new();
    let mut copied: HashSet<String> = HashSet::new();
    let (mut records, mut bytes) = (0u64, 0u64);
    let walked = each_page(&store, |page| {
        for r in page {
            records += 1;
            if copied.contains(&r.sha256) {
                continue;
            }
            match blob_folder::copy_blob(&root, &files, &r.sha256, true, &mut dirs) {
                Ok(_) => {}
                Err(CopyError::Missing) => {
                    return Err(format!(
                        "không sao lưu được: {}: {} trong {}",
                        describe(r),
                        integrity_text(&Integrity::Missing),
                        root.display()
                    ));
                }
                Err(CopyError::Corrupt { found, len }) => {
                    return Err(format!(
                        "không sao lưu được: {}: {}",
                        describe(r),
                        integrity_text(&Integrity::Corrupt { found, len })
                    ));
                }
                Err(CopyError::Io(e)) => {
                    return Err(format!("không sao lưu được: {}: {e}", describe(r)));
                }
            }
            bytes += r.size.max(0) as u64;
            copied.insert(r.sha256.clone());
        }
        Ok(())
    })
    .await;
    snap.close().await;
    walked?;
    let _ = std::fs::remove_dir(files.join("tmp"));
    let manifest = Manifest {
        format: "cqdt-backup".into(),
        version: BACKUP_VERSION,
        created_at: chrono::DateTime::<chrono::Utc>::from(now()).to_rfc3339(),
        database: BACKUP_DB.into(),
        files_folder: BACKUP_FILES.into(),
        file_records: records,
        blobs: copied.len() as u64,
        blob_bytes: bytes,
    };
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| e.to_string())?;
    write_synced(&staging.join(BACKUP_MANIFEST), &json)?;
    dirs.insert(files);
    dirs.insert(staging.to_path_buf());
    // The snapshot itself: VACUUM INTO wrote it; sync it before the folder is named.
    std::fs::File::open(&snapshot)
        .and_then(|f| f.sync_all())
        .map_err(|e| format!("{}: {e}", snapshot.display()))?;
    blob_folder::sync_dirs(&dirs).map_err(|e| e.to_string())?;
    Ok(manifest)
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let mut f = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// `cqdt restore SOURCE`: a backup folder (database and files) or an old single-file database
/// backup, into an empty data directory.
pub async fn restore(config: &Config, source: &Path) -> Result<(), String> {
    let Some(db) = sqlite_path(config) else {
        return Err(
            "khôi phục chỉ hỗ trợ SQLite; với PostgreSQL dùng pg_restore và chép lại thư mục tệp (xem README)".into(),
        );
    };
    if db.exists() {
        return Err(format!(
            "{} đã tồn tại: chỉ khôi phục vào thư mục dữ liệu trống (refusing to overwrite)",
            db.display()
        ));
    }
    if !source.exists() {
        return Err(format!("không tìm thấy bản sao lưu {}", source.display()));
    }
    let root = server::files_dir(config);
    let (db_file, files_src) = if source.is_dir() {
        let m = source.join(BACKUP_MANIFEST);
        let manifest: Manifest = std::fs::read(&m)
            .map_err(|e| format!("{}: {e}", m.display()))
            .and_then(|b| {
                serde_json::from_slice(&b).map_err(|e| format!("{}: {e}", m.display()))
            })?;
        if manifest.format != "cqdt-backup" || manifest.version > BACKUP_VERSION {
            return Err(format!(
                "{}: định dạng sao lưu không hỗ trợ ({} phiên bản {}); cần cqdt mới hơn",
                source.display(),
                manifest.format,
                manifest.version
            ));
        }
        (
            source.join(&manifest.database),
            Some((source.join(&manifest.files_folder), manifest)),
        )
    } else {
        eprintln!(
            "Cảnh báo: {} là bản sao lưu cũ chỉ gồm cơ sở dữ liệu, không có các tệp đính kèm; \
             hãy chép thư mục tệp vào {} (files are not included).",
            source.display(),
            root.display()
        );
        (source.to_path_buf(), None)
    };
    if files_src.is_some() {
        let l = blob_folder::list(&root).map_err(|e| format!("{}: {e}", root.display()))?;
        if !l.blobs.is_empty() || !l.strays.is_empty() {
            return Err(format!(
                "thư mục tệp {} không trống: chỉ khôi phục vào thư mục dữ liệu trống (refusing to overwrite)",
                root.display()
            ));
        }
    }
    if let Some(parent) = db.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
    }
    let tmp = db.with_extension("restoring");
    for ext in ["restoring-wal", "restoring-shm"] {
        let _ = std::fs::remove_file(db.with_extension(ext));
    }
    std::fs::copy(&db_file, &tmp).map_err(|e| format!("{}: {e}", db_file.display()))?;
    let mut created = Vec::new();
    let checked = restore_checked(&tmp, &root, files_src.as_ref(), &mut created).await;
    let count = match checked {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            for p in &created {
                let _ = std::fs::remove_file(p);
            }
            return Err(e);
        }
    };
    for ext in ["restoring-wal", "restoring-shm"] {
        let _ = std::fs::remove_file(db.with_extension(ext));
    }
    std::fs::rename(&tmp, &db).map_err(|e| e.to_string())?;
    let app = server::open_app(config).await.map_err(|e| explain(&e))?;
    match app.audit_verify().await.map_err(|e| explain(&e))? {
        VerifyOutcome::Intact { entries } => {
            println!(
                "Đã khôi phục {} ({entries} bản ghi nhật ký, toàn vẹn) và {} tệp vào {}.",
                db.display(),
                count,
                root.display()
            );
            Ok(())
        }
        VerifyOutcome::Broken(b) => Err(format!("đã khôi phục nhưng nhật ký không toàn vẹn: {b}")),
    }
}

/// Checks the database copy, copies the blobs it names (backup folder form) and verifies
/// every file record's blob in the files folder. Returns the number of blobs checked.
async fn restore_checked(
    tmp: &Path,
    root: &Path,
    files_src: Option<&(PathBuf, Manifest)>,
    created: &mut Vec<PathBuf>,
) -> Result<usize, String> {
    let pool = open_snapshot(tmp).await?;
    let result = async {
        let check: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&pool)
            .await
            .map_err(|e| e.to_string())?;
        if check != "ok" {
            return Err(format!("tệp sao lưu bị hỏng: {check}"));
        }
        let store = cqdt_store::SqliteStore::new(pool.clone());
        if let Some((from, manifest)) = files_src {
            std::fs::create_dir_all(root).map_err(|e| format!("{}: {e}", root.display()))?;
            let mut dirs = BTreeSet::new();
            let mut done = HashSet::new();
            each_page(&store, |page| {
                for r in page {
                    if !done.insert(r.sha256.clone()) {
                        continue;
                    }
                    match blob_folder::copy_blob(from, root, &r.sha256, false, &mut dirs) {
                        Ok(blob_folder::Copied::Present) => {}
                        Ok(_) => {
                            if let Some(p) = blob_folder::blob_path(root, &r.sha256) {
                                created.push(p);
                            }
                        }
                        Err(CopyError::Missing) => {
                            return Err(format!(
                                "bản sao lưu thiếu {}: {}",
                                describe(r),
                                integrity_text(&Integrity::Missing)
                            ));
                        }
                        Err(CopyError::Corrupt { found, len }) => {
                            return Err(format!(
                                "bản sao lưu hỏng {}: {}",
                                describe(r),
                                integrity_text(&Integrity::Corrupt { found, len })
                            ));
                        }
                        Err(CopyError::Io(e)) => {
                            return Err(format!("không chép được {}: {e}", describe(r)));
                        }
                    }
                }
                Ok(())
            })
            .await?;
            if done.len() as u64 != manifest.blobs {
                return Err(format!(
                    "bản sao lưu không khớp với manifest: {} tệp theo cơ sở dữ liệu, {} theo manifest",
                    done.len(),
                    manifest.blobs
                ));
            }
            blob_folder::sync_dirs(&dirs).map_err(|e| e.to_string())?;
        }
        // Every record's blob, read back from where the server will look for it.
        let v = verify_records(&store, root).await?;
        if !v.problems.is_empty() {
            let msg = format!(
                "{} bản ghi tệp thiếu hoặc hỏng nội dung trong {}{}",
                v.problems.len(),
                root.display(),
                problem_list(&v.problems)
            );
            if files_src.is_some() {
                return Err(format!("khôi phục không trọn vẹn: {msg}"));
            }
            eprintln!("Cảnh báo: {msg}");
        }
        Ok(v.referenced.len())
    }
    .await;
    pool.close().await;
    result
}
