//! Bulk loading: the secondary indexes of `dossiers` and `dossier_events` are dropped for the
//! load and rebuilt afterwards from their own definitions (read from the database, so they are
//! exactly the migrations'); rows go in big transactions — multi-row `INSERT`s on SQLite (WAL
//! kept, `synchronous=OFF` and no foreign-key checks on the loading connection only), `COPY`
//! on PostgreSQL.

use super::life::{DossierRow, EventRow};
use anyhow::{Context, Result};
use sqlx::{Connection, QueryBuilder};
use std::fmt::Write as _;

pub const DOSSIER_COLS: &str = "id, code, agency_id, agency_path, procedure_id, procedure_version, national_code, field, procedure_terms, applicant_user_id, applicant_name, applicant_name_folded, applicant_id_number, applicant_phone, applicant_email, applicant_address, form_values, return_method, channel, state, national_status, clock_paused, submitted_at_us, received_at_us, due_at_us, appointment_at_us, finished_at_us, closed_at_us, timeliness, state_json, version, created_at_us, updated_at_us";
pub const EVENT_COLS: &str = "dossier_id, seq, at_us, actor, kind, state, national_status, payload";

pub enum Loader {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

/// An index to rebuild after the load.
pub struct Index {
    pub name: String,
    pub create: String,
}

impl Loader {
    pub async fn open(url: &str) -> Result<Loader> {
        if cqdt_store::is_postgres_url(url) {
            let mut c = sqlx::PgConnection::connect(url).await?;
            sqlx::query("SET synchronous_commit = off")
                .execute(&mut c)
                .await?;
            Ok(Loader::Postgres(c))
        } else {
            use std::str::FromStr;
            let opts = sqlx::sqlite::SqliteConnectOptions::from_str(url)?
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Off)
                .foreign_keys(false)
                .busy_timeout(std::time::Duration::from_secs(30))
                .pragma("cache_size", "-262144")
                .pragma("temp_store", "memory");
            let c = sqlx::SqliteConnection::connect_with(&opts).await?;
            Ok(Loader::Sqlite(c))
        }
    }

    pub async fn count_dossiers(&mut self) -> Result<i64> {
        let q = "SELECT COUNT(*) FROM dossiers";
        Ok(match self {
            Loader::Sqlite(c) => sqlx::query_scalar(q).fetch_one(c).await?,
            Loader::Postgres(c) => sqlx::query_scalar(q).fetch_one(c).await?,
        })
    }

    /// Drops the secondary indexes of the two big tables (not the primary keys or the unique
    /// code) and returns how to rebuild them.
    pub async fn drop_indexes(&mut self) -> Result<Vec<Index>> {
        let found: Vec<(String, String)> = match self {
            Loader::Sqlite(c) => {
                sqlx::query_as(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' \
                     AND tbl_name IN ('dossiers', 'dossier_events') AND sql IS NOT NULL ORDER BY name",
                )
                .fetch_all(&mut *c)
                .await?
            }
            Loader::Postgres(c) => {
                sqlx::query_as(
                    "SELECT indexname::text, indexdef FROM pg_indexes WHERE schemaname = current_schema() \
                     AND tablename IN ('dossiers', 'dossier_events') \
                     AND indexname NOT IN (SELECT conname FROM pg_constraint) ORDER BY indexname",
                )
                .fetch_all(&mut *c)
                .await?
            }
        };
        for (name, _) in &found {
            let sql = format!("DROP INDEX \"{}\"", name.replace('"', ""));
            self.exec(&sql).await?;
        }
        Ok(found
            .into_iter()
            .map(|(name, create)| Index { name, create })
            .collect())
    }

    pub async fn exec(&mut self, sql: &str) -> Result<()> {
        match self {
            Loader::Sqlite(c) => {
                sqlx::raw_sql(sql).execute(c).await?;
            }
            Loader::Postgres(c) => {
                sqlx::raw_sql(sql).execute(c).await?;
            }
        }
        Ok(())
    }

    /// One batch of dossiers with their events, in one transaction.
    pub async fn write(&mut self, rows: &[DossierRow], events: &[EventRow]) -> Result<()> {
        match self {
            Loader::Sqlite(c) => {
                let mut tx = c.begin().await?;
                for chunk in rows.chunks(900) {
                    let mut qb: QueryBuilder<'_, sqlx::Sqlite> =
                        QueryBuilder::new(format!("INSERT INTO dossiers ({DOSSIER_COLS}) "));
                    qb.push_values(chunk, |mut b, r| {
                        b.push_bind(r.id.as_str())
                            .push_bind(r.code.as_str())
                            .push_bind(&*r.agency_id)
                            .push_bind(&*r.agency_path)
                            .push_bind(&*r.procedure_id)
                            .push_bind(r.procedure_version)
                            .push_bind(&*r.national_code)
                            .push_bind(&*r.field)
                            .push_bind(&*r.procedure_terms)
                            .push_bind(r.applicant_user_id.as_deref())
                            .push_bind(r.applicant_name.as_str())
                            .push_bind(r.applicant_name_folded.as_str())
                            .push_bind(r.applicant_id_number.as_deref())
                            .push_bind(r.applicant_phone.as_deref())
                            .push_bind(r.applicant_email.as_deref())
                            .push_bind(r.applicant_address.as_deref())
                            .push_bind(r.form_values.as_str())
                            .push_bind(r.return_method)
                            .push_bind(r.channel)
                            .push_bind(r.state)
                            .push_bind(r.national_status)
                            .push_bind(r.clock_paused)
                            .push_bind(r.submitted_at_us)
                            .push_bind(r.received_at_us)
                            .push_bind(r.due_at_us)
                            .push_bind(r.appointment_at_us)
                            .push_bind(r.finished_at_us)
                            .push_bind(r.closed_at_us)
                            .push_bind(r.timeliness)
                            .push_bind(r.state_json.as_str())
                            .push_bind(r.version)
                            .push_bind(r.created_at_us)
                            .push_bind(r.updated_at_us);
                    });
                    qb.build().execute(&mut *tx).await?;
                }
                for chunk in events.chunks(4000) {
                    let mut qb: QueryBuilder<'_, sqlx::Sqlite> =
                        QueryBuilder::new(format!("INSERT INTO dossier_events ({EVENT_COLS}) "));
                    qb.push_values(chunk, |mut b, e| {
                        b.push_bind(e.dossier_id.as_str())
                            .push_bind(e.seq)
                            .push_bind(e.at_us)
                            .push_bind(e.actor.as_deref())
                            .push_bind(e.kind.as_str())
                            .push_bind(e.state)
                            .push_bind(e.national_status)
                            .push_bind(e.payload.as_str());
                    });
                    qb.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
            }
            Loader::Postgres(c) => {
                let mut tx = c.begin().await?;
                let mut buf = String::with_capacity(rows.len() * 4096);
                for r in rows {
                    copy_row(
                        &mut buf,
                        &[
                            Some(r.id.as_str()),
                            Some(&r.code),
                            Some(&r.agency_id),
                            Some(&r.agency_path),
                            Some(&r.procedure_id),
                            Some(&r.procedure_version.to_string()),
                            Some(&r.national_code),
                            Some(&r.field),
                            Some(&r.procedure_terms),
                            r.applicant_user_id.as_deref(),
                            Some(&r.applicant_name),
                            Some(&r.applicant_name_folded),
                            r.applicant_id_number.as_deref(),
                            r.applicant_phone.as_deref(),
                            r.applicant_email.as_deref(),
                            r.applicant_address.as_deref(),
                            Some(&r.form_values),
                            r.return_method,
                            Some(&r.channel.to_string()),
                            Some(r.state),
                            Some(&r.national_status.to_string()),
                            Some(if r.clock_paused { "t" } else { "f" }),
                            Some(&r.submitted_at_us.to_string()),
                            r.received_at_us.map(|v| v.to_string()).as_deref(),
                            r.due_at_us.map(|v| v.to_string()).as_deref(),
                            r.appointment_at_us.map(|v| v.to_string()).as_deref(),
                            r.finished_at_us.map(|v| v.to_string()).as_deref(),
                            r.closed_at_us.map(|v| v.to_string()).as_deref(),
                            r.timeliness,
                            Some(&r.state_json),
                            Some(&r.version.to_string()),
                            Some(&r.created_at_us.to_string()),
                            Some(&r.updated_at_us.to_string()),
                        ],
                    );
                }
                let mut copy = tx
                    .copy_in_raw(&format!(
                        "COPY dossiers ({DOSSIER_COLS}) FROM STDIN WITH (FORMAT text)"
                    ))
                    .await?;
                copy.send(buf.into_bytes()).await?;
                copy.finish().await?;
                let mut buf = String::with_capacity(events.len() * 600);
                for e in events {
                    copy_row(
                        &mut buf,
                        &[
                            Some(e.dossier_id.as_str()),
                            Some(&e.seq.to_string()),
                            Some(&e.at_us.to_string()),
                            e.actor.as_deref(),
                            Some(&e.kind),
                            Some(e.state),
                            Some(&e.national_status.to_string()),
                            Some(&e.payload),
                        ],
                    );
                }
                let mut copy = tx
                    .copy_in_raw(&format!(
                        "COPY dossier_events ({EVENT_COLS}) FROM STDIN WITH (FORMAT text)"
                    ))
                    .await?;
                copy.send(buf.into_bytes()).await?;
                copy.finish().await?;
                tx.commit().await?;
            }
        }
        Ok(())
    }

    /// The code counters: the last number drawn per agency and local day.
    pub async fn write_counters(&mut self, counters: &[(String, String, i64)]) -> Result<()> {
        for chunk in counters.chunks(5000) {
            match self {
                Loader::Sqlite(c) => {
                    let mut qb: QueryBuilder<'_, sqlx::Sqlite> = QueryBuilder::new(
                        "INSERT INTO dossier_code_counters (agency_id, day, next) ",
                    );
                    qb.push_values(chunk, |mut b, (a, d, n)| {
                        b.push_bind(a.as_str()).push_bind(d.as_str()).push_bind(*n);
                    });
                    qb.build().execute(&mut *c).await?;
                }
                Loader::Postgres(c) => {
                    let mut qb: QueryBuilder<'_, sqlx::Postgres> = QueryBuilder::new(
                        "INSERT INTO dossier_code_counters (agency_id, day, next) ",
                    );
                    qb.push_values(chunk, |mut b, (a, d, n)| {
                        b.push_bind(a.as_str()).push_bind(d.as_str()).push_bind(*n);
                    });
                    qb.build().execute(&mut *c).await?;
                }
            }
        }
        Ok(())
    }

    pub async fn count_documents(&mut self) -> Result<i64> {
        let q = "SELECT COUNT(*) FROM documents";
        Ok(match self {
            Loader::Sqlite(c) => sqlx::query_scalar(q).fetch_one(c).await?,
            Loader::Postgres(c) => sqlx::query_scalar(q).fetch_one(c).await?,
        })
    }

    /// One batch of generated documents, in one transaction (the store's bulk loader).
    pub async fn write_documents(
        &mut self,
        docs: &[cqdt_store::documents_bulk::BulkDocument],
    ) -> Result<()> {
        use cqdt_store::documents_bulk as b;
        match self {
            Loader::Sqlite(c) => b::insert_sqlite(c, docs).await?,
            Loader::Postgres(c) => b::insert_postgres(c, docs).await?,
        }
        Ok(())
    }

    /// The documents' number counters.
    pub async fn write_document_counters(
        &mut self,
        rows: &[cqdt_store::documents_bulk::CounterRow],
    ) -> Result<()> {
        use cqdt_store::documents_bulk as b;
        match self {
            Loader::Sqlite(c) => b::write_counters_sqlite(c, rows).await?,
            Loader::Postgres(c) => b::write_counters_postgres(c, rows).await?,
        }
        Ok(())
    }

    /// Statistics after loading documents (PostgreSQL; SQLite has none to refresh).
    pub async fn analyse_documents(&mut self) -> Result<()> {
        if let Loader::Postgres(_) = self {
            for t in [
                "documents",
                "document_events",
                "document_postings",
                "document_recipients",
            ] {
                self.exec(&format!("VACUUM (ANALYZE) {t}")).await?;
            }
        } else {
            self.exec("PRAGMA wal_checkpoint(TRUNCATE)").await?;
        }
        Ok(())
    }

    /// Rebuild the indexes, then leave a normal database: SQLite checkpointed in WAL mode,
    /// PostgreSQL vacuumed and analysed.
    pub async fn finish(&mut self, indexes: &[Index]) -> Result<()> {
        for ix in indexes {
            let t = std::time::Instant::now();
            self.exec(&ix.create)
                .await
                .with_context(|| format!("rebuilding {}", ix.name))?;
            eprintln!(
                "  index {} rebuilt in {:.1} s",
                ix.name,
                t.elapsed().as_secs_f64()
            );
        }
        match self {
            Loader::Sqlite(_) => {
                self.exec("PRAGMA wal_checkpoint(TRUNCATE)").await?;
            }
            Loader::Postgres(_) => {
                // What autovacuum would do soon after such a load: statistics, and the
                // visibility map that lets index-only scans skip the table.
                self.exec("VACUUM (ANALYZE) dossiers").await?;
                self.exec("VACUUM (ANALYZE) dossier_events").await?;
                self.exec("VACUUM (ANALYZE) dossier_code_counters").await?;
            }
        }
        Ok(())
    }

    pub async fn close(self) -> Result<()> {
        match self {
            Loader::Sqlite(c) => c.close().await?,
            Loader::Postgres(c) => c.close().await?,
        }
        Ok(())
    }
}

/// One line of `COPY … FORMAT text`: tab-separated, `\N` for NULL, backslash escapes.
fn copy_row(buf: &mut String, fields: &[Option<&str>]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            buf.push('\t');
        }
        match f {
            None => buf.push_str("\\N"),
            Some(s) => {
                for ch in s.chars() {
                    match ch {
                        '\\' => buf.push_str("\\\\"),
                        '\n' => buf.push_str("\\n"),
                        '\r' => buf.push_str("\\r"),
                        '\t' => buf.push_str("\\t"),
                        c => buf.push(c),
                    }
                }
            }
        }
    }
    buf.push('\n');
}

/// `YYYY-MM-DD`.
pub fn day_text(d: chrono::NaiveDate) -> String {
    let mut s = String::with_capacity(10);
    let _ = write!(s, "{}", d.format("%Y-%m-%d"));
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn copy_text_escapes() {
        let mut b = String::new();
        copy_row(&mut b, &[Some("a\tb\\c\nd"), None, Some("đ")]);
        assert_eq!(b, "a\\tb\\\\c\\nd\t\\N\tđ\n");
    }
}
