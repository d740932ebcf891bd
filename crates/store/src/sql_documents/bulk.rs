//! Bulk loading of many documents at once, for the benchmark data generator (`cqdt-bench
//! generate`): the same rows `document_save` writes (the record's columns come from the same
//! [`cols`](super::cols)), in multi-row `INSERT`s inside one transaction per call, without the
//! audit entries (a generated history has no actors' audit trail) and without files.
//!
//! Not for the server: nothing here checks versions or draws numbers; the caller hands in
//! documents whose numbers it drew itself and writes the counters with [`write_counters`].

use cqdt_app::documents::DocumentWrite;
use cqdt_app::store::path_string;
use cqdt_app::{AppError, AppResult};
use sqlx::{Connection, PgConnection, QueryBuilder, SqliteConnection};

use super::{Cols, cols};
use crate::db_err;

/// One generated document.
#[derive(Debug, Clone)]
pub struct BulkDocument {
    /// The record as the last save left it, with every event of its history (`files` must be
    /// empty: generated documents have none).
    pub write: DocumentWrite,
    /// When it was entered in its register (incoming: the registration; outgoing: the issue);
    /// the store keeps the instant of the save that registered it.
    pub registered_at_us: Option<i64>,
}

const DOC_COLS: &str = "id, direction, agency_id, agency_path, agency_tier, state, status_code, type_code, \
     type_name, subject, number_notation, doc_date, signer_name, urgency, secrecy, channel, sender_name, \
     sender_identifier, series, reg_year, reg_number, registered_at_us, registered_date, handling_due, \
     lead_unit_id, lead_person_id, done_at_us, reply_to_id, reply_id, signer_signed, agency_signed, \
     sent_electronic, edxml_document_id, source_document_id, body, version, created_by, created_at_us, \
     updated_at_us";

/// Rows per statement: 39 columns × 800 stays under SQLite's 32,766 bound parameters.
const DOC_CHUNK: usize = 800;
const EVENT_CHUNK: usize = 3_000;
const RECIPIENT_CHUNK: usize = 3_000;
const TERM_CHUNK: usize = 8_000;

struct Prepared<'a> {
    w: &'a DocumentWrite,
    c: Cols,
}

struct EventRow {
    document_id: String,
    seq: i64,
    at_us: i64,
    actor: Option<String>,
    kind: &'static str,
    state: &'static str,
    status_code: Option<i64>,
    payload: String,
}

struct RecipientRow {
    document_id: String,
    seq: i64,
    agency_id: Option<String>,
    identifier: Option<String>,
    name: String,
    tier: Option<&'static str>,
    electronic: bool,
}

fn prepare(
    docs: &[BulkDocument],
) -> AppResult<(Vec<Prepared<'_>>, Vec<EventRow>, Vec<RecipientRow>)> {
    let mut prepared = Vec::with_capacity(docs.len());
    let mut events = Vec::with_capacity(docs.len() * 6);
    let mut recipients = Vec::new();
    for d in docs {
        let w = &d.write;
        if !w.files.is_empty() {
            return Err(AppError::internal("bulk documents carry no files"));
        }
        let id = w.record.id.to_string();
        for (k, e) in w.events.iter().enumerate() {
            events.push(EventRow {
                document_id: id.clone(),
                seq: k as i64 + 1,
                at_us: e.at.timestamp_micros(),
                actor: e.actor.map(|u| format!("user:{u}")),
                kind: e.kind.as_str(),
                state: e.state.as_str(),
                status_code: e.status.map(|s| i64::from(s.code())),
                payload: serde_json::to_string(e).map_err(|e| AppError::internal(e.to_string()))?,
            });
        }
        if let Some(o) = &w.record.doc.outgoing {
            for (k, rc) in o.recipients.iter().enumerate() {
                recipients.push(RecipientRow {
                    document_id: id.clone(),
                    seq: k as i64 + 1,
                    agency_id: rc.agency_id.map(|a| a.to_string()),
                    identifier: rc.identifier.clone(),
                    name: rc.name.clone(),
                    tier: rc.tier.map(|t| t.as_str()),
                    electronic: rc.electronic(),
                });
            }
        }
        let mut c = cols(&w.record)?;
        c.registered_at_us = c.registered_at_us.map(|v| d.registered_at_us.unwrap_or(v));
        prepared.push(Prepared { w, c });
    }
    Ok((prepared, events, recipients))
}

macro_rules! bulk_insert {
    ($name:ident, $conn:ty, $db:ty) => {
        /// Insert `docs` (new ids) with their events, recipients and search terms in one
        /// transaction.
        pub async fn $name(conn: &mut $conn, docs: &[BulkDocument]) -> AppResult<()> {
            let (prepared, events, recipients) = prepare(docs)?;
            let mut tx = conn.begin().await.map_err(db_err)?;
            for chunk in prepared.chunks(DOC_CHUNK) {
                let mut qb: QueryBuilder<'_, $db> =
                    QueryBuilder::new(format!("INSERT INTO documents ({DOC_COLS}) "));
                qb.push_values(chunk, |mut b, p| {
                    let r = &p.w.record;
                    let c = &p.c;
                    b.push_bind(r.id.to_string())
                        .push_bind(r.doc.direction.as_str())
                        .push_bind(r.agency_id.to_string())
                        .push_bind(path_string(&r.agency_path))
                        .push_bind(r.agency_tier.as_str())
                        .push_bind(r.doc.state.as_str())
                        .push_bind(c.status_code)
                        .push_bind(r.doc.fields.type_code.clone())
                        .push_bind(r.doc.fields.type_name.clone())
                        .push_bind(r.doc.fields.subject.clone())
                        .push_bind(c.number_notation.clone())
                        .push_bind(c.doc_date.clone())
                        .push_bind(c.signer_name.clone())
                        .push_bind(i64::from(r.doc.fields.urgency.priority()))
                        .push_bind(i64::from(r.doc.fields.secrecy.level()))
                        .push_bind(c.channel)
                        .push_bind(c.sender_name.clone())
                        .push_bind(c.sender_identifier.clone())
                        .push_bind(c.series.clone())
                        .push_bind(c.reg_year)
                        .push_bind(c.reg_number)
                        .push_bind(c.registered_at_us)
                        .push_bind(c.registered_date.clone())
                        .push_bind(c.handling_due.clone())
                        .push_bind(c.lead_unit_id.clone())
                        .push_bind(c.lead_person_id.clone())
                        .push_bind(c.done_at_us)
                        .push_bind(c.reply_to_id.clone())
                        .push_bind(c.reply_id.clone())
                        .push_bind(c.signer_signed)
                        .push_bind(c.agency_signed)
                        .push_bind(r.sent_electronic)
                        .push_bind(r.edxml_document_id.clone())
                        .push_bind(r.source_document_id.map(|s| s.to_string()))
                        .push_bind(c.body.clone())
                        .push_bind(r.version)
                        .push_bind(r.created_by.map(|u| u.to_string()))
                        .push_bind(r.created_at_us)
                        .push_bind(r.updated_at_us);
                });
                qb.build().execute(&mut *tx).await.map_err(db_err)?;
            }
            for chunk in events.chunks(EVENT_CHUNK) {
                let mut qb: QueryBuilder<'_, $db> = QueryBuilder::new(
                    "INSERT INTO document_events (document_id, seq, at_us, actor, kind, state, status_code, payload) ",
                );
                qb.push_values(chunk, |mut b, e| {
                    b.push_bind(e.document_id.as_str())
                        .push_bind(e.seq)
                        .push_bind(e.at_us)
                        .push_bind(e.actor.as_deref())
                        .push_bind(e.kind)
                        .push_bind(e.state)
                        .push_bind(e.status_code)
                        .push_bind(e.payload.as_str());
                });
                qb.build().execute(&mut *tx).await.map_err(db_err)?;
            }
            for chunk in recipients.chunks(RECIPIENT_CHUNK) {
                let mut qb: QueryBuilder<'_, $db> = QueryBuilder::new(
                    "INSERT INTO document_recipients (document_id, seq, agency_id, identifier, name, tier, electronic) ",
                );
                qb.push_values(chunk, |mut b, r| {
                    b.push_bind(r.document_id.as_str())
                        .push_bind(r.seq)
                        .push_bind(r.agency_id.as_deref())
                        .push_bind(r.identifier.as_deref())
                        .push_bind(r.name.as_str())
                        .push_bind(r.tier)
                        .push_bind(r.electronic);
                });
                qb.build().execute(&mut *tx).await.map_err(db_err)?;
            }
            let terms: Vec<(String, i64, String)> = prepared
                .iter()
                .flat_map(|p| {
                    let id = p.w.record.id.to_string();
                    let at = p.w.record.created_at_us;
                    super::postings(&p.w)
                        .into_iter()
                        .map(move |t| (id.clone(), at, t))
                })
                .collect();
            for chunk in terms.chunks(TERM_CHUNK) {
                let mut qb: QueryBuilder<'_, $db> = QueryBuilder::new(
                    "INSERT INTO document_postings (term, created_at_us, document_id) ",
                );
                qb.push_values(chunk, |mut b, (id, at, t)| {
                    b.push_bind(t.as_str()).push_bind(*at).push_bind(id.as_str());
                });
                qb.push(" ON CONFLICT DO NOTHING");
                qb.build().execute(&mut *tx).await.map_err(db_err)?;
            }
            tx.commit().await.map_err(db_err)?;
            Ok(())
        }
    };
}

bulk_insert!(insert_sqlite, SqliteConnection, sqlx::Sqlite);
bulk_insert!(insert_postgres, PgConnection, sqlx::Postgres);

/// A number counter's last value: agency id, year, series key (`den`, `hc`, …), last number.
pub type CounterRow = (String, i64, String, i64);

macro_rules! counters {
    ($name:ident, $conn:ty, $db:ty) => {
        /// Write the number counters (the last number drawn per agency, year and series), so
        /// that the next registration or issue continues the series.
        pub async fn $name(conn: &mut $conn, rows: &[CounterRow]) -> AppResult<()> {
            for chunk in rows.chunks(5_000) {
                let mut qb: QueryBuilder<'_, $db> = QueryBuilder::new(
                    "INSERT INTO document_counters (agency_id, year, series, last) ",
                );
                qb.push_values(chunk, |mut b, (a, y, s, n)| {
                    b.push_bind(a.as_str())
                        .push_bind(*y)
                        .push_bind(s.as_str())
                        .push_bind(*n);
                });
                qb.push(
                    " ON CONFLICT (agency_id, year, series) DO UPDATE SET last = excluded.last",
                );
                qb.build().execute(&mut *conn).await.map_err(db_err)?;
            }
            Ok(())
        }
    };
}

counters!(write_counters_sqlite, SqliteConnection, sqlx::Sqlite);
counters!(write_counters_postgres, PgConnection, sqlx::Postgres);
