//! The SQL behind the `DocumentStore` port (issue 5), written once for both backends like
//! `sql.rs` (whose audit `append` and outbox `enqueue` it calls inside its transactions).

use async_trait::async_trait;
use chrono::NaiveDate;
use cqdt_app::documents::{
    CounterKey, DocFileKind, DocumentBuilder, DocumentFigures, DocumentFile, DocumentRecord,
    DocumentStore, DocumentWrite, RegisterFilter, StateCursor, StateFilter, StatePage,
};
use cqdt_app::store::{AuditDraft, path_string};
use cqdt_app::{AppError, AppResult};
use cqdt_domain::ErrorCode;
use cqdt_domain::document::{Direction, DocState, Document, DocumentEvent, InChannel, Tier};
use cqdt_domain::ids::{AgencyId, DocumentId, FileId, UserId};
use sqlx::Row;

use crate::db_err;

pub mod bulk;
use crate::sql::{
    PgStore, SqliteStore, corrupt, like_escape, path_from_string as path_of, uuid_of,
};

const REC_COLS: &str = "id, agency_id, agency_path, agency_tier, body, edxml_document_id, source_document_id, sent_electronic, created_by, version, created_at_us, updated_at_us";
const FILE_COLS: &str =
    "id, document_id, kind, name, file_type, size, sha256, body_text, uploaded_by, uploaded_at_us";
/// Terms per INSERT statement.
const TERM_CHUNK: usize = 400;

/// What a document is posted under in `document_postings`: its words, and `@<agency id>` for
/// every agency of its path, so that "within this subtree" is a term like the others. A
/// document without words (a secret one) is posted under nothing and never found.
pub(crate) fn postings(w: &DocumentWrite) -> Vec<String> {
    if w.terms.is_empty() {
        return vec![];
    }
    let mut out = w.terms.clone();
    out.extend(
        w.record
            .agency_path
            .iter()
            .map(|a| agency_term(&a.to_string())),
    );
    out.sort();
    out.dedup();
    out
}

/// The term of an agency's subtree.
fn agency_term(agency_id: &str) -> String {
    format!("@{agency_id}")
}

/// A bound value of a query built at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bind {
    Text(String),
    Int(i64),
}

/// The SQL of a page of an agency's documents by state: one backward range of
/// `documents_state` per state (`per_state` entries each, ids and times only: the index
/// covers them), merged and cut to the page, and only then the page's rows joined. `$1` agency; then the states; then the optional filters and cursor.
pub fn by_state_sql(
    f: &StateFilter,
    per_state: i64,
    limit: i64,
    offset: i64,
) -> (String, Vec<Bind>) {
    let mut binds = vec![Bind::Text(f.agency_id.to_string())];
    let mut extra = String::new();
    if let Some(p) = f.lead_person {
        binds.push(Bind::Text(p.to_string()));
        extra.push_str(&format!(" AND lead_person_id = ${}", binds.len()));
    }
    if let Some(u) = f.created_by {
        binds.push(Bind::Text(u.to_string()));
        extra.push_str(&format!(" AND created_by = ${}", binds.len()));
    }
    if let Some(c) = f.after {
        binds.push(Bind::Int(c.created_at_us));
        let t = binds.len();
        binds.push(Bind::Text(c.id.to_string()));
        extra.push_str(&format!(
            " AND (created_at_us, id) < (${t}, ${})",
            binds.len()
        ));
    }
    let mut parts = Vec::new();
    for (k, st) in f.states.iter().enumerate() {
        binds.push(Bind::Text(st.as_str().to_string()));
        parts.push(format!(
            "SELECT id, created_at_us FROM (SELECT id, created_at_us FROM documents \
             WHERE agency_id = $1 AND state = ${}{extra} \
             ORDER BY created_at_us DESC, id DESC LIMIT {per_state}) s{k}",
            binds.len()
        ));
    }
    let cols: Vec<String> = REC_COLS.split(", ").map(|c| format!("d.{c}")).collect();
    let sql = format!(
        "SELECT {} FROM (SELECT id, created_at_us FROM ({}) u \
         ORDER BY created_at_us DESC, id DESC LIMIT {limit} OFFSET {offset}) k \
         JOIN documents d ON d.id = k.id ORDER BY k.created_at_us DESC, k.id DESC",
        cols.join(", "),
        parts.join(" UNION ALL ")
    );
    (sql, binds)
}

/// How [`search_sql`] writes a probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// `EXISTS (SELECT 1 …)`: SQLite runs it as a correlated probe per candidate, and walks
    /// the driving list in index order (the scalar form below took 70 ms on some one-word
    /// queries at 1M documents where this takes 4).
    Exists,
    /// `(SELECT 1 … LIMIT 1) IS NOT NULL`: PostgreSQL turns `EXISTS` into semi-joins and,
    /// misjudging a prefix range's length (18 rows estimated, 32,520 found), joined every
    /// posting of the range before sorting — 1.2 s where the walk takes 2 ms. A scalar
    /// subquery stays a per-row probe (a SubPlan), with custom and generic plans alike.
    Scalar,
}

/// How far a posting list is read when choosing the list to walk (see `documents_search`).
const SEARCH_CAP: i64 = 1_000;

/// The SQL of a search: the newest `limit` documents posted under every term of `exact` and
/// under a term of the `prefix` range (`lo`, and `hi` when the range has an end).
///
/// With `drive = Some(k)` the k-th exact term's postings are walked newest first (one backward
/// range of the primary key), each candidate is probed for the other terms (primary key) and
/// the prefix (`document_postings_document`), and the walk stops at the page's last match.
/// With `None` the prefix range is the walk (chosen when it is the shortest list and short):
/// its postings are probed the same way, then sorted. Binds are all text, `$1…` in order.
///
/// How a probe is written, per database (see [`Probe`]).
pub fn search_sql(
    exact: &[String],
    prefix: Option<(&str, Option<&str>)>,
    drive: Option<usize>,
    limit: i64,
    probe: Probe,
) -> (String, Vec<String>) {
    let probe = |sub: String| match probe {
        Probe::Exists => format!("EXISTS (SELECT 1 {sub})"),
        Probe::Scalar => format!("(SELECT 1 {sub} LIMIT 1) IS NOT NULL"),
    };
    let mut binds: Vec<String> = Vec::new();
    let mut conds: Vec<String> = Vec::new();
    let push = |binds: &mut Vec<String>, v: &str| {
        binds.push(v.to_string());
        format!("${}", binds.len())
    };
    let order = "t.created_at_us DESC, t.document_id DESC";
    let walk = match drive {
        Some(k) => format!("t.term = {}", push(&mut binds, &exact[k])),
        None => {
            let (lo, hi) = prefix.unwrap_or(("", None));
            let mut w = format!("t.term >= {}", push(&mut binds, lo));
            if let Some(hi) = hi {
                w.push_str(&format!(" AND t.term < {}", push(&mut binds, hi)));
            }
            w
        }
    };
    for (k, term) in exact.iter().enumerate() {
        if Some(k) == drive {
            continue;
        }
        let m = push(&mut binds, term);
        conds.push(probe(format!(
            "FROM document_postings x WHERE x.term = {m} \
             AND x.created_at_us = t.created_at_us AND x.document_id = t.document_id"
        )));
    }
    if let (Some((lo, hi)), Some(_)) = (prefix, drive) {
        let mut w = format!("x.term >= {}", push(&mut binds, lo));
        if let Some(hi) = hi {
            w.push_str(&format!(" AND x.term < {}", push(&mut binds, hi)));
        }
        conds.push(probe(format!(
            "FROM document_postings x WHERE x.document_id = t.document_id AND {w}"
        )));
    }
    let mut filter = walk;
    for c in conds {
        filter.push_str(" AND ");
        filter.push_str(&c);
    }
    let ids = if drive.is_some() {
        format!(
            "SELECT t.document_id FROM document_postings t WHERE {filter} ORDER BY {order} LIMIT {limit}"
        )
    } else {
        // A document may have several words in the prefix range: one row each.
        format!(
            "SELECT t.document_id FROM document_postings t WHERE {filter} \
             GROUP BY t.created_at_us, t.document_id ORDER BY {order} LIMIT {limit}"
        )
    };
    (
        format!(
            "SELECT {REC_COLS} FROM documents d JOIN ({ids}) m ON m.document_id = d.id \
             ORDER BY d.created_at_us DESC, d.id DESC"
        ),
        binds,
    )
}

fn date_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// The first string after every string starting with `prefix` (terms are folded words of
/// letters and digits; compared byte-wise on both databases).
fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = char::from_u32(last as u32 + 1) {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// The queried columns of a document, derived from the record.
struct Cols {
    status_code: Option<i64>,
    number_notation: Option<String>,
    doc_date: Option<String>,
    signer_name: Option<String>,
    channel: Option<&'static str>,
    sender_name: Option<String>,
    sender_identifier: Option<String>,
    series: Option<String>,
    reg_year: Option<i64>,
    reg_number: Option<i64>,
    /// When first entered in its register (kept once set).
    registered_at_us: Option<i64>,
    registered_date: Option<String>,
    handling_due: Option<String>,
    lead_unit_id: Option<String>,
    lead_person_id: Option<String>,
    done_at_us: Option<i64>,
    reply_to_id: Option<String>,
    reply_id: Option<String>,
    signer_signed: bool,
    agency_signed: bool,
    /// The kind of the sender's pending request on an incoming copy (migration 0012).
    request_kind: Option<&'static str>,
    body: String,
}

fn cols(r: &DocumentRecord) -> AppResult<Cols> {
    let d = &r.doc;
    let body = serde_json::to_string(d).map_err(|e| AppError::internal(e.to_string()))?;
    let mut c = Cols {
        status_code: d.edxml_status().map(|s| i64::from(s.code())),
        number_notation: None,
        doc_date: None,
        signer_name: d.fields.signer.as_ref().map(|s| s.full_name.clone()),
        channel: None,
        sender_name: None,
        sender_identifier: None,
        series: None,
        reg_year: None,
        reg_number: None,
        registered_at_us: None,
        registered_date: None,
        handling_due: None,
        lead_unit_id: None,
        lead_person_id: None,
        done_at_us: None,
        reply_to_id: None,
        reply_id: None,
        signer_signed: false,
        agency_signed: false,
        request_kind: None,
        body,
    };
    if let Some(i) = &d.incoming {
        c.number_notation = i.sender_number.clone();
        c.doc_date = i.sender_date.map(date_text);
        c.channel = Some(match i.channel {
            InChannel::Electronic => "electronic",
            InChannel::Paper => "paper",
        });
        c.sender_name = Some(i.sender.name.clone());
        c.sender_identifier = i.sender.identifier.clone();
        if let Some(a) = &i.arrival {
            c.series = Some("den".into());
            c.reg_year = Some(i64::from(a.year));
            c.reg_number = Some(i64::from(a.number));
            c.registered_at_us = Some(r.updated_at_us);
            c.registered_date = Some(date_text(a.date));
        }
        c.handling_due = i.handling_due.map(date_text);
        c.lead_unit_id = i
            .handling
            .as_ref()
            .and_then(|h| h.lead_unit.map(|a| a.to_string()));
        c.lead_person_id = i
            .handling
            .as_ref()
            .and_then(|h| h.lead_person.map(|u| u.to_string()));
        c.done_at_us = i.done_at.map(|t| t.timestamp_micros());
        c.reply_id = i.reply.map(|x| x.to_string());
        c.request_kind = i.request.as_ref().map(|q| q.kind.as_str());
    }
    if let Some(o) = &d.outgoing {
        if let Some(n) = &o.number {
            c.number_notation = Some(n.full.clone());
            c.doc_date = Some(date_text(n.date));
            c.series = Some(n.series.clone());
            c.reg_year = Some(i64::from(n.year));
            c.reg_number = Some(i64::from(n.number));
            c.registered_at_us = Some(
                o.issued_at
                    .map_or(r.updated_at_us, |t| t.timestamp_micros()),
            );
            c.registered_date = Some(date_text(n.date));
        }
        c.reply_to_id = o.reply_to.map(|x| x.to_string());
        c.signer_signed = o.signer_signed;
        c.agency_signed = o.agency_signed;
    }
    Ok(c)
}

macro_rules! sql_documents {
    ($store:ident, $db:ty, $row:ty, $probe:expr) => {
        impl $store {
            fn document_from(r: &$row) -> AppResult<DocumentRecord> {
                let g = |c: &str| r.try_get::<Option<String>, _>(c).map_err(db_err);
                let body: String = r.try_get("body").map_err(db_err)?;
                let doc: Document =
                    serde_json::from_str(&body).map_err(|_| corrupt("document body"))?;
                Ok(DocumentRecord {
                    id: DocumentId(uuid_of(&r.try_get::<String, _>("id").map_err(db_err)?)?),
                    agency_id: AgencyId(uuid_of(
                        &r.try_get::<String, _>("agency_id").map_err(db_err)?,
                    )?),
                    agency_path: path_of(&r.try_get::<String, _>("agency_path").map_err(db_err)?)?,
                    agency_tier: Tier::parse(&r.try_get::<String, _>("agency_tier").map_err(db_err)?)
                        .ok_or_else(|| corrupt("tier"))?,
                    doc,
                    edxml_document_id: g("edxml_document_id")?,
                    source_document_id: g("source_document_id")?
                        .map(|s| uuid_of(&s).map(DocumentId))
                        .transpose()?,
                    sent_electronic: r.try_get("sent_electronic").map_err(db_err)?,
                    created_by: g("created_by")?
                        .map(|s| uuid_of(&s).map(UserId))
                        .transpose()?,
                    version: r.try_get("version").map_err(db_err)?,
                    created_at_us: r.try_get("created_at_us").map_err(db_err)?,
                    updated_at_us: r.try_get("updated_at_us").map_err(db_err)?,
                })
            }

            fn document_file_from(r: &$row) -> AppResult<DocumentFile> {
                let g = |c: &str| r.try_get::<Option<String>, _>(c).map_err(db_err);
                Ok(DocumentFile {
                    id: FileId(uuid_of(&r.try_get::<String, _>("id").map_err(db_err)?)?),
                    document_id: DocumentId(uuid_of(
                        &r.try_get::<String, _>("document_id").map_err(db_err)?,
                    )?),
                    kind: DocFileKind::parse(&r.try_get::<String, _>("kind").map_err(db_err)?)
                        .ok_or_else(|| corrupt("document file kind"))?,
                    name: r.try_get("name").map_err(db_err)?,
                    file_type: r.try_get("file_type").map_err(db_err)?,
                    size: r.try_get("size").map_err(db_err)?,
                    sha256: r.try_get("sha256").map_err(db_err)?,
                    text: g("body_text")?,
                    uploaded_by: g("uploaded_by")?
                        .map(|s| uuid_of(&s).map(UserId))
                        .transpose()?,
                    uploaded_at_us: r.try_get("uploaded_at_us").map_err(db_err)?,
                })
            }

            async fn documents_where(
                &self,
                where_sql: &str,
                binds: &[String],
                tail: &str,
            ) -> AppResult<Vec<DocumentRecord>> {
                let sql = format!("SELECT {REC_COLS} FROM documents d WHERE {where_sql} {tail}");
                let mut q = sqlx::query(&sql);
                for b in binds {
                    q = q.bind(b.as_str());
                }
                let rows = q.fetch_all(&self.pool).await.map_err(db_err)?;
                rows.iter().map(Self::document_from).collect()
            }

            async fn count_where(&self, where_sql: &str, binds: &[String]) -> AppResult<i64> {
                let sql = format!("SELECT COUNT(*) FROM documents d WHERE {where_sql}");
                let mut q = sqlx::query_scalar::<_, i64>(&sql);
                for b in binds {
                    q = q.bind(b.as_str());
                }
                q.fetch_one(&self.pool).await.map_err(db_err)
            }

            /// Row, events, files, recipients and terms of one save.
            async fn write_document(
                tx: &mut sqlx::Transaction<'_, $db>,
                expected_version: Option<i64>,
                w: &DocumentWrite,
            ) -> AppResult<i64> {
                let r = &w.record;
                let c = cols(r)?;
                let id = r.id.to_string();
                let version = match expected_version {
                    None => {
                        sqlx::query(&format!(
                            "INSERT INTO documents (id, direction, agency_id, agency_path, agency_tier, state, status_code, type_code, \
                             type_name, subject, number_notation, doc_date, signer_name, urgency, secrecy, channel, sender_name, \
                             sender_identifier, series, reg_year, reg_number, registered_at_us, registered_date, handling_due, \
                             lead_unit_id, lead_person_id, done_at_us, reply_to_id, reply_id, signer_signed, agency_signed, \
                             sent_electronic, edxml_document_id, source_document_id, body, version, created_by, created_at_us, \
                             updated_at_us, request_kind) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
                             $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $37, \
                             $38, $39, $40)"
                        ))
                        .bind(&id)
                        .bind(r.doc.direction.as_str())
                        .bind(r.agency_id.to_string())
                        .bind(path_string(&r.agency_path))
                        .bind(r.agency_tier.as_str())
                        .bind(r.doc.state.as_str())
                        .bind(c.status_code)
                        .bind(&r.doc.fields.type_code)
                        .bind(&r.doc.fields.type_name)
                        .bind(&r.doc.fields.subject)
                        .bind(&c.number_notation)
                        .bind(&c.doc_date)
                        .bind(&c.signer_name)
                        .bind(i64::from(r.doc.fields.urgency.priority()))
                        .bind(i64::from(r.doc.fields.secrecy.level()))
                        .bind(c.channel)
                        .bind(&c.sender_name)
                        .bind(&c.sender_identifier)
                        .bind(&c.series)
                        .bind(c.reg_year)
                        .bind(c.reg_number)
                        .bind(c.registered_at_us)
                        .bind(&c.registered_date)
                        .bind(&c.handling_due)
                        .bind(&c.lead_unit_id)
                        .bind(&c.lead_person_id)
                        .bind(c.done_at_us)
                        .bind(&c.reply_to_id)
                        .bind(&c.reply_id)
                        .bind(c.signer_signed)
                        .bind(c.agency_signed)
                        .bind(r.sent_electronic)
                        .bind(&r.edxml_document_id)
                        .bind(r.source_document_id.map(|s| s.to_string()))
                        .bind(&c.body)
                        .bind(r.version)
                        .bind(r.created_by.map(|u| u.to_string()))
                        .bind(r.created_at_us)
                        .bind(r.updated_at_us)
                        .bind(c.request_kind)
                        .execute(&mut **tx)
                        .await
                        .map_err(db_err)?;
                        r.version
                    }
                    Some(v) => {
                        let n = sqlx::query(
                            "UPDATE documents SET state = $3, status_code = $4, type_code = $5, type_name = $6, subject = $7, \
                             number_notation = $8, doc_date = $9, signer_name = $10, urgency = $11, secrecy = $12, \
                             series = $13, reg_year = $14, reg_number = $15, \
                             registered_at_us = COALESCE(registered_at_us, $16), registered_date = $17, handling_due = $18, \
                             lead_unit_id = $19, lead_person_id = $20, done_at_us = $21, reply_to_id = $22, reply_id = $23, \
                             signer_signed = $24, agency_signed = $25, sent_electronic = $26, edxml_document_id = $27, \
                             body = $28, updated_at_us = $29, request_kind = $30, version = version + 1 \
                             WHERE id = $1 AND version = $2",
                        )
                        .bind(&id)
                        .bind(v)
                        .bind(r.doc.state.as_str())
                        .bind(c.status_code)
                        .bind(&r.doc.fields.type_code)
                        .bind(&r.doc.fields.type_name)
                        .bind(&r.doc.fields.subject)
                        .bind(&c.number_notation)
                        .bind(&c.doc_date)
                        .bind(&c.signer_name)
                        .bind(i64::from(r.doc.fields.urgency.priority()))
                        .bind(i64::from(r.doc.fields.secrecy.level()))
                        .bind(&c.series)
                        .bind(c.reg_year)
                        .bind(c.reg_number)
                        .bind(c.registered_at_us)
                        .bind(&c.registered_date)
                        .bind(&c.handling_due)
                        .bind(&c.lead_unit_id)
                        .bind(&c.lead_person_id)
                        .bind(c.done_at_us)
                        .bind(&c.reply_to_id)
                        .bind(&c.reply_id)
                        .bind(c.signer_signed)
                        .bind(c.agency_signed)
                        .bind(r.sent_electronic)
                        .bind(&r.edxml_document_id)
                        .bind(&c.body)
                        .bind(r.updated_at_us)
                        .bind(c.request_kind)
                        .execute(&mut **tx)
                        .await
                        .map_err(db_err)?
                        .rows_affected();
                        if n == 0 {
                            return Err(AppError::new(ErrorCode::StorageConflict)
                                .with_detail("document version"));
                        }
                        v + 1
                    }
                };
                // Events after the stored ones.
                let last: i64 = sqlx::query_scalar(
                    "SELECT COALESCE(MAX(seq), 0) FROM document_events WHERE document_id = $1",
                )
                .bind(&id)
                .fetch_one(&mut **tx)
                .await
                .map_err(db_err)?;
                for (k, e) in w.events.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO document_events (document_id, seq, at_us, actor, kind, state, status_code, payload) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(&id)
                    .bind(last + k as i64 + 1)
                    .bind(e.at.timestamp_micros())
                    .bind(e.actor.map(|u| format!("user:{u}")))
                    .bind(e.kind.as_str())
                    .bind(e.state.as_str())
                    .bind(e.status.map(|s| i64::from(s.code())))
                    .bind(serde_json::to_string(e).map_err(|e| AppError::internal(e.to_string()))?)
                    .execute(&mut **tx)
                    .await
                    .map_err(db_err)?;
                }
                for f in &w.files {
                    sqlx::query(&format!(
                        "INSERT INTO document_files ({FILE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                    ))
                    .bind(f.id.to_string())
                    .bind(&id)
                    .bind(f.kind.as_str())
                    .bind(&f.name)
                    .bind(&f.file_type)
                    .bind(f.size)
                    .bind(&f.sha256)
                    .bind(&f.text)
                    .bind(f.uploaded_by.map(|u| u.to_string()))
                    .bind(f.uploaded_at_us)
                    .execute(&mut **tx)
                    .await
                    .map_err(db_err)?;
                }
                if let Some(o) = &r.doc.outgoing {
                    sqlx::query("DELETE FROM document_recipients WHERE document_id = $1")
                        .bind(&id)
                        .execute(&mut **tx)
                        .await
                        .map_err(db_err)?;
                    for (k, rc) in o.recipients.iter().enumerate() {
                        sqlx::query(
                            "INSERT INTO document_recipients (document_id, seq, agency_id, identifier, name, tier, electronic) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7)",
                        )
                        .bind(&id)
                        .bind(k as i64 + 1)
                        .bind(rc.agency_id.map(|a| a.to_string()))
                        .bind(&rc.identifier)
                        .bind(&rc.name)
                        .bind(rc.tier.map(|t| t.as_str()))
                        .bind(rc.electronic())
                        .execute(&mut **tx)
                        .await
                        .map_err(db_err)?;
                    }
                }
                sqlx::query("DELETE FROM document_postings WHERE document_id = $1")
                    .bind(&id)
                    .execute(&mut **tx)
                    .await
                    .map_err(db_err)?;
                for chunk in postings(w).chunks(TERM_CHUNK) {
                    let values: Vec<String> =
                        (0..chunk.len()).map(|k| format!("(${}, $2, $1)", k + 3)).collect();
                    let sql = format!(
                        "INSERT INTO document_postings (term, created_at_us, document_id) VALUES {} \
                         ON CONFLICT DO NOTHING",
                        values.join(", ")
                    );
                    let mut q = sqlx::query(&sql).bind(&id).bind(r.created_at_us);
                    for t in chunk {
                        q = q.bind(t.as_str());
                    }
                    q.execute(&mut **tx).await.map_err(db_err)?;
                }
                Ok(version)
            }
        }

        #[async_trait]
        impl DocumentStore for $store {
            async fn document_save(
                &self,
                expected_version: Option<i64>,
                audit: &AuditDraft,
                counter: Option<&CounterKey>,
                build: DocumentBuilder<'_>,
            ) -> AppResult<DocumentRecord> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                Self::append(&mut tx, audit).await?;
                let number = match counter {
                    None => None,
                    Some(k) => {
                        let last: i64 = sqlx::query_scalar(
                            "INSERT INTO document_counters (agency_id, year, series, last) VALUES ($1, $2, $3, 1) \
                             ON CONFLICT (agency_id, year, series) DO UPDATE SET last = document_counters.last + 1 \
                             RETURNING last",
                        )
                        .bind(k.agency_id.to_string())
                        .bind(i64::from(k.year))
                        .bind(&k.series)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(db_err)?;
                        Some(u32::try_from(last).map_err(|_| {
                            AppError::new(ErrorCode::DocumentNumberOutOfRange)
                        })?)
                    }
                };
                let w = build(number)?;
                let version = Self::write_document(&mut tx, expected_version, &w).await?;
                Self::enqueue(&mut tx, &w.outbox).await?;
                tx.commit().await.map_err(db_err)?;
                let mut rec = w.record;
                rec.version = version;
                Ok(rec)
            }

            async fn document_counter_next(&self, k: &CounterKey) -> AppResult<u32> {
                let last: Option<i64> = sqlx::query_scalar(
                    "SELECT last FROM document_counters WHERE agency_id = $1 AND year = $2 AND series = $3",
                )
                .bind(k.agency_id.to_string())
                .bind(i64::from(k.year))
                .bind(&k.series)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                u32::try_from(last.unwrap_or(0).saturating_add(1))
                    .map_err(|_| AppError::new(ErrorCode::DocumentNumberOutOfRange))
            }

            async fn document_get(&self, id: DocumentId) -> AppResult<Option<DocumentRecord>> {
                Ok(self
                    .documents_where("d.id = $1", &[id.to_string()], "")
                    .await?
                    .pop())
            }

            async fn documents_with_requests(
                &self,
                agency: AgencyId,
                limit: i64,
            ) -> AppResult<(Vec<DocumentRecord>, i64)> {
                let binds = [agency.to_string()];
                let w = "d.agency_id = $1 AND d.request_kind IS NOT NULL";
                let items = self
                    .documents_where(
                        w,
                        &binds,
                        &format!("ORDER BY d.created_at_us DESC, d.id DESC LIMIT {}", limit.clamp(1, 500)),
                    )
                    .await?;
                let total: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM documents d WHERE d.agency_id = $1 AND d.request_kind IS NOT NULL",
                )
                .bind(&binds[0])
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?;
                Ok((items, total))
            }

            async fn document_by_edxml(
                &self,
                direction: Direction,
                agency: Option<AgencyId>,
                edxml_document_id: &str,
            ) -> AppResult<Option<DocumentRecord>> {
                let mut binds = vec![edxml_document_id.to_string(), direction.as_str().to_string()];
                let mut w = "d.edxml_document_id = $1 AND d.direction = $2".to_string();
                if let Some(a) = agency {
                    binds.push(a.to_string());
                    w.push_str(" AND d.agency_id = $3");
                }
                Ok(self
                    .documents_where(&w, &binds, "ORDER BY d.created_at_us LIMIT 1")
                    .await?
                    .pop())
            }

            async fn document_events(&self, id: DocumentId) -> AppResult<Vec<(i64, DocumentEvent)>> {
                let rows = sqlx::query(
                    "SELECT seq, payload FROM document_events WHERE document_id = $1 ORDER BY seq",
                )
                .bind(id.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.iter()
                    .map(|r| {
                        let seq: i64 = r.try_get("seq").map_err(db_err)?;
                        let payload: String = r.try_get("payload").map_err(db_err)?;
                        let e = serde_json::from_str(&payload)
                            .map_err(|_| corrupt("document event"))?;
                        Ok((seq, e))
                    })
                    .collect()
            }

            async fn document_files(&self, id: DocumentId) -> AppResult<Vec<DocumentFile>> {
                let rows = sqlx::query(&format!(
                    "SELECT {FILE_COLS} FROM document_files WHERE document_id = $1 ORDER BY uploaded_at_us, id"
                ))
                .bind(id.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.iter().map(Self::document_file_from).collect()
            }

            async fn documents_register(
                &self,
                f: &RegisterFilter,
            ) -> AppResult<(Vec<DocumentRecord>, i64)> {
                let binds = vec![
                    f.agency_id.to_string(),
                    f.direction.as_str().to_string(),
                    f.year.to_string(),
                ];
                // The year is bound as text and cast, so one bind type serves every query.
                let w = "agency_id = $1 AND direction = $2 AND reg_year = CAST($3 AS BIGINT)";
                // The page's ids from `documents_register` alone (the index covers them, so
                // skipping `offset` entries reads no rows), then the page's rows.
                let sql = format!(
                    "SELECT {REC_COLS} FROM documents d JOIN (SELECT id AS page_id, registered_at_us AS page_at \
                     FROM documents WHERE {w} ORDER BY registered_at_us DESC, id DESC LIMIT {} OFFSET {}) p \
                     ON p.page_id = d.id ORDER BY p.page_at DESC, p.page_id DESC",
                    f.limit.max(0),
                    f.offset.max(0)
                );
                let mut q = sqlx::query(&sql);
                for b in &binds {
                    q = q.bind(b.as_str());
                }
                let rows = q.fetch_all(&self.pool).await.map_err(db_err)?;
                let items = rows
                    .iter()
                    .map(Self::document_from)
                    .collect::<AppResult<Vec<_>>>()?;
                // The register's length, kept by triggers (migration 0010).
                let total: Option<i64> = sqlx::query_scalar(
                    "SELECT n FROM document_register_counts \
                     WHERE agency_id = $1 AND direction = $2 AND reg_year = CAST($3 AS BIGINT)",
                )
                .bind(&binds[0])
                .bind(&binds[1])
                .bind(&binds[2])
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                Ok((items, total.unwrap_or(0)))
            }

            async fn documents_by_state(&self, f: &StateFilter) -> AppResult<StatePage> {
                let limit = f.limit.clamp(0, 10_000);
                let offset = f.offset.max(0);
                // One more than the page, to know whether another follows.
                let want = limit.saturating_add(1);
                let counts: Vec<(DocState, i64)> = {
                    let rows = sqlx::query(
                        "SELECT state, n FROM document_state_counts WHERE agency_id = $1 AND n > 0",
                    )
                    .bind(f.agency_id.to_string())
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_err)?;
                    let mut out = Vec::with_capacity(rows.len());
                    for r in &rows {
                        let st: String = r.try_get("state").map_err(db_err)?;
                        let n: i64 = r.try_get("n").map_err(db_err)?;
                        out.push((DocState::parse(&st).ok_or_else(|| corrupt("state"))?, n));
                    }
                    out.sort_by_key(|(s, _)| DocState::ALL.iter().position(|x| x == s));
                    out
                };
                let mut states = f.states.clone();
                states.sort_by_key(|s| DocState::ALL.iter().position(|x| x == s));
                states.dedup();
                if states.is_empty() {
                    return Ok(StatePage { items: vec![], total: 0, counts, next: None });
                }
                let f = StateFilter { states, ..f.clone() };
                let total = if f.lead_person.is_none() && f.created_by.is_none() {
                    counts
                        .iter()
                        .filter(|(s, _)| f.states.contains(s))
                        .map(|(_, n)| *n)
                        .sum()
                } else {
                    // Filtered by person: count the states' ranges (meant for open states,
                    // whose ranges are short).
                    let mut binds = vec![f.agency_id.to_string()];
                    let mut w = String::from("agency_id = $1");
                    if let Some(p) = f.lead_person {
                        binds.push(p.to_string());
                        w.push_str(&format!(" AND lead_person_id = ${}", binds.len()));
                    }
                    if let Some(u) = f.created_by {
                        binds.push(u.to_string());
                        w.push_str(&format!(" AND created_by = ${}", binds.len()));
                    }
                    let mut marks = Vec::new();
                    for st in &f.states {
                        binds.push(st.as_str().to_string());
                        marks.push(format!("${}", binds.len()));
                    }
                    let sql = format!(
                        "SELECT COUNT(*) FROM documents WHERE {w} AND state IN ({})",
                        marks.join(", ")
                    );
                    let mut q = sqlx::query_scalar::<_, i64>(&sql);
                    for b in &binds {
                        q = q.bind(b.as_str());
                    }
                    q.fetch_one(&self.pool).await.map_err(db_err)?
                };
                let (sql, binds) = by_state_sql(&f, offset.saturating_add(want), want, offset);
                let mut q = sqlx::query(&sql);
                for b in binds {
                    q = match b {
                        Bind::Text(t) => q.bind(t),
                        Bind::Int(i) => q.bind(i),
                    };
                }
                let rows = q.fetch_all(&self.pool).await.map_err(db_err)?;
                let mut items = rows
                    .iter()
                    .map(Self::document_from)
                    .collect::<AppResult<Vec<_>>>()?;
                let more = items.len() as i64 > limit;
                items.truncate(usize::try_from(limit).unwrap_or(0));
                let next = if more {
                    items.last().map(|r| StateCursor { created_at_us: r.created_at_us, id: r.id })
                } else {
                    None
                };
                Ok(StatePage { items, total, counts, next })
            }

            async fn documents_overdue(
                &self,
                path_prefix: &str,
                today: NaiveDate,
                limit: i64,
                offset: i64,
            ) -> AppResult<(Vec<DocumentRecord>, i64)> {
                let binds = vec![
                    format!("{}%", like_escape(path_prefix)),
                    date_text(today),
                    DocState::Registered.as_str().to_string(),
                    DocState::Assigned.as_str().to_string(),
                    DocState::InProgress.as_str().to_string(),
                ];
                let w = "d.state IN ($3, $4, $5) AND d.agency_path LIKE $1 ESCAPE '\\' \
                         AND d.handling_due IS NOT NULL AND d.handling_due < $2";
                let items = self
                    .documents_where(
                        w,
                        &binds,
                        &format!(
                            "ORDER BY d.handling_due, d.id LIMIT {} OFFSET {}",
                            limit.max(0),
                            offset.max(0)
                        ),
                    )
                    .await?;
                let total = self.count_where(w, &binds).await?;
                Ok((items, total))
            }

            async fn documents_search(
                &self,
                path_prefix: &str,
                terms: &[String],
                prefix: Option<&str>,
                limit: i64,
            ) -> AppResult<Vec<DocumentRecord>> {
                let prefix = prefix.filter(|p| !p.is_empty());
                if terms.is_empty() && prefix.is_none() {
                    return Ok(vec![]);
                }
                let mut exact: Vec<String> = terms.to_vec();
                if let Some(a) = path_prefix.trim_end_matches('/').rsplit('/').next()
                    && !a.is_empty()
                {
                    exact.push(agency_term(a));
                }
                let mut range = prefix.map(|p| (p.to_string(), prefix_end(p)));
                // A prefix range holding one word only ("ubnd" when no longer word starts
                // so) is that word: it can then be walked in time order like the others.
                if let Some((lo, hi)) = &range {
                    let bound = if hi.is_some() { " AND term < $2" } else { "" };
                    let sql = format!(
                        "SELECT (SELECT term FROM document_postings WHERE term >= $1{bound} \
                         ORDER BY term LIMIT 1), (SELECT term FROM document_postings \
                         WHERE term >= $1{bound} ORDER BY term DESC LIMIT 1)"
                    );
                    let mut q = sqlx::query(&sql).bind(lo.as_str());
                    if let Some(hi) = hi {
                        q = q.bind(hi.as_str());
                    }
                    let row = q.fetch_one(&self.pool).await.map_err(db_err)?;
                    let first: Option<String> = row.try_get(0).map_err(db_err)?;
                    let last: Option<String> = row.try_get(1).map_err(db_err)?;
                    match (first, last) {
                        (None, _) | (_, None) => return Ok(vec![]),
                        (Some(a), Some(b)) if a == b => {
                            if !exact.contains(&a) {
                                exact.push(a);
                            }
                            range = None;
                        }
                        _ => {}
                    }
                }
                // Which list to walk. For each exact term, the creation time of its
                // SEARCH_CAP-th newest posting (one index range of that length): the older it
                // is, the sparser the term among recent documents, which is where the walk
                // goes. Terms with fewer postings (no such time) are counted and the rarest
                // wins. The prefix range is counted up to SEARCH_CAP.
                let (markers, prefix_count) = {
                    let mut binds: Vec<String> = Vec::new();
                    let mut cols = Vec::new();
                    for t in &exact {
                        binds.push(t.clone());
                        cols.push(format!(
                            "(SELECT created_at_us FROM document_postings WHERE term = ${} \
                             ORDER BY created_at_us DESC LIMIT 1 OFFSET {})",
                            binds.len(),
                            SEARCH_CAP - 1
                        ));
                    }
                    if let Some((lo, hi)) = &range {
                        binds.push(lo.clone());
                        let mut w = format!("term >= ${}", binds.len());
                        if let Some(hi) = hi {
                            binds.push(hi.clone());
                            w.push_str(&format!(" AND term < ${}", binds.len()));
                        }
                        cols.push(format!(
                            "(SELECT COUNT(*) FROM (SELECT 1 FROM document_postings \
                             WHERE {w} LIMIT {SEARCH_CAP}) c)"
                        ));
                    }
                    let sql = format!("SELECT {}", cols.join(", "));
                    let mut q = sqlx::query(&sql);
                    for b in &binds {
                        q = q.bind(b.as_str());
                    }
                    let row = q.fetch_one(&self.pool).await.map_err(db_err)?;
                    let mut markers = Vec::with_capacity(exact.len());
                    for k in 0..exact.len() {
                        markers.push(row.try_get::<Option<i64>, _>(k).map_err(db_err)?);
                    }
                    let pc = if range.is_some() {
                        Some(row.try_get::<i64, _>(exact.len()).map_err(db_err)?)
                    } else {
                        None
                    };
                    (markers, pc)
                };
                if prefix_count == Some(0) {
                    return Ok(vec![]);
                }
                // (k, count) of the terms with fewer than SEARCH_CAP postings.
                let mut rare: Vec<(usize, i64)> = Vec::new();
                for (k, m) in markers.iter().enumerate() {
                    if m.is_none() {
                        let n: i64 = sqlx::query_scalar(&format!(
                            "SELECT COUNT(*) FROM (SELECT 1 FROM document_postings \
                             WHERE term = $1 LIMIT {SEARCH_CAP}) c"
                        ))
                        .bind(exact[k].as_str())
                        .fetch_one(&self.pool)
                        .await
                        .map_err(db_err)?;
                        if n == 0 {
                            return Ok(vec![]);
                        }
                        rare.push((k, n));
                    }
                }
                let driver: Option<(usize, i64)> = match rare.iter().min_by_key(|(_, n)| *n) {
                    Some(r) => Some(*r),
                    None => markers
                        .iter()
                        .enumerate()
                        .filter_map(|(k, m)| m.map(|m| (k, m)))
                        .min_by_key(|(_, m)| *m)
                        .map(|(k, _)| (k, SEARCH_CAP)),
                };
                let by_prefix = match (prefix_count, driver) {
                    (Some(pc), Some((_, dn))) => pc < dn && pc < SEARCH_CAP,
                    (Some(_), None) => true,
                    (None, _) => false,
                };
                let (sql, binds) = search_sql(
                    &exact,
                    range.as_ref().map(|(lo, hi)| (lo.as_str(), hi.as_deref())),
                    if by_prefix { None } else { driver.map(|(k, _)| k) },
                    limit.max(0),
                    $probe,
                );
                let mut q = sqlx::query(&sql);
                for b in &binds {
                    q = q.bind(b.as_str());
                }
                let rows = q.fetch_all(&self.pool).await.map_err(db_err)?;
                rows.iter().map(Self::document_from).collect()
            }

            async fn document_figures(
                &self,
                path_prefix: &str,
                from: NaiveDate,
                to: NaiveDate,
            ) -> AppResult<DocumentFigures> {
                let like = format!("{}%", like_escape(path_prefix));
                let row = sqlx::query(
                    "SELECT \
                     COALESCE(SUM(CASE WHEN d.direction = 'outgoing' THEN 1 ELSE 0 END), 0) AS issued, \
                     COALESCE(SUM(CASE WHEN d.direction = 'outgoing' AND d.sent_electronic THEN 1 ELSE 0 END), 0) AS issued_electronic, \
                     COALESCE(SUM(CASE WHEN d.direction = 'outgoing' AND d.signer_signed AND d.agency_signed THEN 1 ELSE 0 END), 0) AS both_signatures, \
                     COALESCE(SUM(CASE WHEN d.direction = 'incoming' THEN 1 ELSE 0 END), 0) AS received, \
                     COALESCE(SUM(CASE WHEN d.direction = 'incoming' AND d.channel = 'electronic' THEN 1 ELSE 0 END), 0) AS received_electronic \
                     FROM documents d WHERE d.agency_path LIKE $1 ESCAPE '\\' AND d.registered_date >= $2 AND d.registered_date <= $3",
                )
                .bind(&like)
                .bind(date_text(from))
                .bind(date_text(to))
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?;
                let pair = sqlx::query(
                    "SELECT COUNT(*) AS total, \
                     COALESCE(SUM(CASE WHEN r.electronic THEN 1 ELSE 0 END), 0) AS electronic \
                     FROM document_recipients r JOIN documents d ON d.id = r.document_id \
                     WHERE d.agency_path LIKE $1 ESCAPE '\\' AND d.registered_date >= $2 AND d.registered_date <= $3 \
                     AND d.direction = 'outgoing' AND d.agency_tier = 'province' AND r.tier = 'district'",
                )
                .bind(&like)
                .bind(date_text(from))
                .bind(date_text(to))
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?;
                let n = |r: &$row, c: &str| r.try_get::<i64, _>(c).map_err(db_err);
                Ok(DocumentFigures {
                    issued: n(&row, "issued")?,
                    issued_electronic: n(&row, "issued_electronic")?,
                    issued_both_signatures: n(&row, "both_signatures")?,
                    received: n(&row, "received")?,
                    received_electronic: n(&row, "received_electronic")?,
                    province_to_district: n(&pair, "total")?,
                    province_to_district_electronic: n(&pair, "electronic")?,
                })
            }

            async fn document_issuer_get(&self, agency: AgencyId) -> AppResult<Option<String>> {
                sqlx::query_scalar("SELECT abbreviation FROM document_issuers WHERE agency_id = $1")
                    .bind(agency.to_string())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_err)
            }

            async fn document_issuer_set(
                &self,
                agency: AgencyId,
                abbreviation: &str,
                at_us: i64,
                audit: &AuditDraft,
            ) -> AppResult<()> {
                let mut tx = self.pool.begin().await.map_err(db_err)?;
                Self::append(&mut tx, audit).await?;
                sqlx::query(
                    "INSERT INTO document_issuers (agency_id, abbreviation, updated_at_us) VALUES ($1, $2, $3) \
                     ON CONFLICT (agency_id) DO UPDATE SET abbreviation = $2, updated_at_us = $3",
                )
                .bind(agency.to_string())
                .bind(abbreviation)
                .bind(at_us)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                tx.commit().await.map_err(db_err)
            }
        }
    };
}

sql_documents!(
    SqliteStore,
    sqlx::Sqlite,
    sqlx::sqlite::SqliteRow,
    Probe::Exists
);
sql_documents!(
    PgStore,
    sqlx::Postgres,
    sqlx::postgres::PgRow,
    Probe::Scalar
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_ranges() {
        assert_eq!(prefix_end("dic").as_deref(), Some("did"));
        assert_eq!(prefix_end("a9").as_deref(), Some("a:"));
    }
}
