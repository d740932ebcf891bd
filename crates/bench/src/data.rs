//! What the dossier scenarios need from a generated database, read once before a run (not
//! timed): dossier ids the demo desk officer may open, codes with the applicant's ID number
//! (or phone) for lookups, the province and the year for II.06a, and online submissions of the
//! demo citizen (form values drawn like the generator's, with a PDF for the parts).

use crate::generate;
use anyhow::{Context, Result, bail};
use sqlx::Row;

/// The demo desk officer (UBND TP Tây Ninh, `000.00.20.H53`) for `worklist` and `dossier`.
pub const OFFICER: &str = "motcua@tayninh.demo";
/// The demo province viewer (UBND tỉnh) for `ii06a`.
pub const VIEWER: &str = "lanhdaotinh@tayninh.demo";
const OFFICER_AGENCY: &str = "000.00.20.H53";
const PROVINCE: &str = "000.00.00.H53";

pub struct Data {
    /// Dossiers under the officer's agency (any state).
    pub visible_ids: Vec<String>,
    /// (code, id number or None, phone or None)
    pub lookups: Vec<(String, Option<String>, Option<String>)>,
    pub province_id: String,
    pub year: i32,
    /// Text searches that find something: applicant names (folded or not), ID-number prefixes.
    pub searches: Vec<String>,
    /// Procedure ids for the procedure filter.
    pub procedures: Vec<String>,
}

enum Pool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

async fn rows(pool: &Pool, sql: &str, binds: &[&str]) -> Result<Vec<Vec<Option<String>>>> {
    macro_rules! go {
        ($p:expr) => {{
            let mut q = sqlx::query(sql);
            for b in binds {
                q = q.bind(*b);
            }
            let rs = q.fetch_all($p).await?;
            rs.iter()
                .map(|r| {
                    (0..r.len())
                        .map(|i| r.try_get::<Option<String>, _>(i))
                        .collect::<std::result::Result<Vec<_>, _>>()
                })
                .collect::<std::result::Result<Vec<_>, _>>()?
        }};
    }
    Ok(match pool {
        Pool::Sqlite(p) => go!(p),
        Pool::Postgres(p) => go!(p),
    })
}

impl Data {
    /// Samples the database: 400 starting points spread over the dossier ids (UUIDv7, so over
    /// time), 25 dossiers from each, read along the primary key.
    pub async fn load(db_url: &str) -> Result<Data> {
        let pool = if cqdt_store::is_postgres_url(db_url) {
            Pool::Postgres(cqdt_store::open_postgres(db_url, 2).await?)
        } else {
            Pool::Sqlite(cqdt_store::open_sqlite(db_url, 2, cqdt_store::Durability::Full).await?)
        };
        let agency = |ident: &'static str| {
            let pool = &pool;
            async move {
                rows(
                    pool,
                    "SELECT id, path FROM agencies WHERE identifier = $1",
                    &[ident],
                )
                .await?
                .into_iter()
                .next()
                .and_then(|r| Some((r.first()?.clone()?, r.get(1)?.clone()?)))
                .with_context(|| format!("agency {ident} missing: demo data not loaded?"))
            }
        };
        let (province_id, _) = agency(PROVINCE).await?;
        let (_, officer_path) = agency(OFFICER_AGENCY).await?;
        let ends = rows(&pool, "SELECT MIN(id), MAX(id) FROM dossiers", &[]).await?;
        let (Some(lo), Some(hi)) = (
            ends.first().and_then(|r| r.first().cloned().flatten()),
            ends.first().and_then(|r| r.get(1).cloned().flatten()),
        ) else {
            bail!("no dossiers in the database: run `cqdt-bench generate` first");
        };
        let ms = |s: &str| -> Result<u64> {
            let u = uuid::Uuid::parse_str(s)?;
            let (secs, nanos) = u
                .get_timestamp()
                .context("dossier ids are not UUIDv7")?
                .to_unix();
            Ok(secs * 1000 + u64::from(nanos) / 1_000_000)
        };
        let (lo_ms, hi_ms) = (ms(&lo)?, ms(&hi)?);
        // The local (UTC+7) year of the first dossier: the generated year.
        let year = chrono::DateTime::from_timestamp_millis(i64::try_from(lo_ms)?)
            .map_or(2025, |t| {
                chrono::Datelike::year(&cqdt_domain::calendar::to_local(t))
            });
        let mut visible_ids = Vec::new();
        let mut lookups = Vec::new();
        let mut searches = Vec::new();
        let mut procedures = Vec::new();
        let points = 400u64;
        for k in 0..points {
            let at = lo_ms + (hi_ms - lo_ms) * k / points;
            let start = uuid::Builder::from_unix_timestamp_millis(at, &[0; 10])
                .into_uuid()
                .to_string();
            let got = rows(
                &pool,
                "SELECT id, code, applicant_id_number, applicant_phone, agency_path, applicant_name, procedure_id \
                 FROM dossiers WHERE id >= $1 ORDER BY id LIMIT 25",
                &[&start],
            )
            .await?;
            for r in got {
                let g = |i: usize| r.get(i).cloned().flatten();
                let (Some(id), Some(code)) = (g(0), g(1)) else {
                    continue;
                };
                if g(4).is_some_and(|p| p.starts_with(&officer_path)) {
                    visible_ids.push(id);
                    if let Some(p) = g(6)
                        && !procedures.contains(&p)
                    {
                        procedures.push(p);
                    }
                    if searches.len() < 200
                        && let Some(n) = g(5)
                    {
                        // Alternately the full name, its folded form, and the ID number's
                        // first 9 digits.
                        match searches.len() % 3 {
                            0 => searches.push(n),
                            1 => searches.push(cqdt_domain::text::fold(&n)),
                            _ => {
                                if let Some(i) = g(2) {
                                    searches.push(i.chars().take(9).collect())
                                }
                            }
                        }
                    }
                }
                let (idn, phone) = (g(2), g(3));
                if idn.is_some() {
                    lookups.push((code, idn, None));
                } else if phone.is_some() {
                    lookups.push((code, None, phone));
                }
            }
        }
        visible_ids.sort();
        visible_ids.dedup();
        lookups.sort();
        lookups.dedup();
        match pool {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
        if visible_ids.is_empty() || lookups.is_empty() {
            bail!("the sample found no dossiers of {OFFICER_AGENCY}: generate more dossiers");
        }
        if searches.is_empty() {
            searches.push("nguyen".into());
        }
        Ok(Data {
            visible_ids,
            lookups,
            province_id,
            year,
            searches,
            procedures,
        })
    }
}

/// Online submissions for `submit`: JSON bodies for the procedures that take them (level 3
/// and 4), with their receiving agency and form, and the number of required parts.
pub struct Submissions {
    pub bodies: Vec<(String, Vec<usize>)>,
}

impl Submissions {
    pub async fn load(db_url: &str, seed: u64) -> Result<Submissions> {
        let store = cqdt_store::connect(&cqdt_store::StoreOptions {
            url: db_url.to_string(),
            max_connections: 2,
            sqlite_durability: cqdt_store::Durability::Full,
            group_commit: cqdt_store::DEFAULT_GROUP_COMMIT,
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let app = cqdt_app::App::new(store, cqdt_app::AppConfig::default());
        let bodies = generate::submissions(&app, seed, 256).await?;
        if bodies.is_empty() {
            bail!("no procedure takes online submissions");
        }
        Ok(Submissions { bodies })
    }
}

const STAMP: &str = "% 0000000000000000\n";

/// Writes `tag` into the PDF's stamp comment (same length), so that every upload is a
/// different file.
pub fn stamp(pdf: &mut [u8], tag: u64) {
    let marker = STAMP.as_bytes();
    if let Some(at) = pdf.windows(marker.len()).position(|w| w == marker) {
        let hex = format!("{tag:016x}");
        pdf[at + 2..at + 18].copy_from_slice(hex.as_bytes());
    }
}

/// A PDF of about `size` bytes: one blank A4 page, its content stream padded with comments.
pub fn pdf(size: usize) -> Vec<u8> {
    let pad_len = size.saturating_sub(450).max(16);
    let mut content = String::with_capacity(pad_len + 64);
    content.push_str("BT /F1 12 Tf 72 770 Td (cqdt-bench) Tj ET\n");
    // Made unique per request by `stamp` (files are stored by content hash).
    content.push_str(STAMP);
    while content.len() < pad_len {
        content.push_str("% tệp đính kèm dùng để đo tải — bench attachment padding\n");
    }
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_string(),
        format!(
            "<< /Length {} >>\nstream\n{content}endstream",
            content.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut out: Vec<u8> = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A `multipart/form-data` body: the `submission` part (the JSON) and one PDF per file part
/// (`part-1`, `part-2`…). Returns (content type, body).
pub fn multipart(json: &str, files: &[(usize, &[u8])], tag: u64) -> (String, Vec<u8>) {
    let boundary = format!("cqdt-bench-{tag:016x}");
    let mut b: Vec<u8> = Vec::new();
    b.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"submission\"\r\n\
             Content-Type: application/json\r\n\r\n{json}\r\n"
        )
        .as_bytes(),
    );
    for (n, bytes) in files {
        b.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"part-{n}\"; \
                 filename=\"giay-to-{n}.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
            )
            .as_bytes(),
        );
        b.extend_from_slice(bytes);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), b)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn the_pdf_is_a_pdf_of_the_asked_size() {
        let p = pdf(100 * 1024);
        assert!(p.starts_with(b"%PDF-"));
        assert!(p.ends_with(b"%%EOF\n"));
        assert!((100 * 1000..110 * 1024).contains(&p.len()), "{}", p.len());
        let mut q = p.clone();
        stamp(&mut q, 0xabc);
        assert_eq!(q.len(), p.len());
        assert_ne!(q, p);
        assert!(q.windows(16).any(|w| w == b"0000000000000abc"));
    }
}
