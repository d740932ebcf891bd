//! `documents_by_state` over a million documents, on SQLite and PostgreSQL: the time of a page
//! for the worklist's and the API's filters, and the query plans (index ranges of
//! `documents_state`, no scan of `documents`). Slow (it inserts a million rows): ignored by
//! default; `docs/documents.md` has the numbers of a run.
//!
//! ```text
//! cargo test -p cqdt-store --test documents_scale -- --ignored --nocapture
//! TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo test -p cqdt-store --test documents_scale -- --ignored --nocapture
//! ```
//!
//! `CQDT_SCALE_ONLY=postgres` (or `sqlite`) runs one backend.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use cqdt_app::documents::{PaperIncoming, StateCursor, StateFilter};
use cqdt_app::ports::FakeIds;
use cqdt_app::{App, AppConfig, Ctx};
use cqdt_domain::document::{DocState, Secrecy, Urgency};
use cqdt_domain::ids::{AgencyId, UserId};
use cqdt_store::testing::TestDb;
use cqdt_store::{Bind, by_state_sql};

const N: i64 = 1_000_000;

/// The synthetic rows: 40 % in one agency, the rest spread over the others; half incoming,
/// half outgoing; most done or issued, 0.5–1 % in each open state; one second apart. Rows
/// `from..to` (the caller inserts in chunks: on PostgreSQL one statement of a million rows
/// updates each per-state and per-register counter row ~30,000 times in one transaction, and
/// every update walks the row's chain of versions that transaction left — it ran for over 20
/// minutes).
fn fill_sql(postgres: bool, from: i64, to: i64) -> String {
    let last = to - 1;
    let (series, id, pad) = if postgres {
        (
            format!("generate_series({from}, {last}) AS g(i)"),
            "'00000000-0000-7000-8000-' || lpad(i::text, 12, '0')",
            "lpad((i % 50)::text, 12, '0')",
        )
    } else {
        (
            format!(
                "(WITH RECURSIVE n(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM n WHERE i < {last}) SELECT i FROM n) g"
            ),
            "printf('00000000-0000-7000-8000-%012d', i)",
            "printf('%012d', i % 50)",
        )
    };
    format!(
        "INSERT INTO documents (id, direction, agency_id, agency_path, agency_tier, state, type_code, type_name, \
         subject, urgency, secrecy, signer_signed, agency_signed, sent_electronic, body, version, created_by, \
         lead_person_id, created_at_us, updated_at_us) \
         SELECT {id}, CASE WHEN i % 2 = 0 THEN 'incoming' ELSE 'outgoing' END, a.id, a.path, 'province', \
         CASE WHEN i % 2 = 0 THEN \
           CASE WHEN (i / 2) % 1000 < 5 THEN 'arrived' WHEN (i / 2) % 1000 < 15 THEN 'registered' \
                WHEN (i / 2) % 1000 < 25 THEN 'assigned' WHEN (i / 2) % 1000 < 35 THEN 'in_progress' \
                WHEN (i / 2) % 1000 < 40 THEN 'refused' ELSE 'done' END \
         ELSE \
           CASE WHEN (i / 2) % 1000 < 5 THEN 'draft' WHEN (i / 2) % 1000 < 10 THEN 'in_review' \
                WHEN (i / 2) % 1000 < 15 THEN 'awaiting_signature' WHEN (i / 2) % 1000 < 20 THEN 'signed' \
                ELSE 'issued' END \
         END, t.type_code, t.type_name, t.subject, 0, 0, false, false, false, t.body, 1, \
         '00000000-0000-7000-9000-' || {pad}, '00000000-0000-7000-9000-' || {pad}, \
         1700000000000000 + CAST(i AS BIGINT) * 1000000, 1700000000000000 + CAST(i AS BIGINT) * 1000000 \
         FROM {series} \
         JOIN (SELECT id, path, ROW_NUMBER() OVER (ORDER BY id) - 1 AS k FROM agencies) a \
           ON a.k = CASE WHEN i % 10 < 4 THEN 0 ELSE 1 + i % 97 END \
         CROSS JOIN (SELECT type_code, type_name, subject, body FROM documents LIMIT 1) t"
    )
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn plan(db: &TestDb, f: &StateFilter) -> Vec<String> {
    let (sql, binds) = by_state_sql(f, 51, 51, 0);
    if db.backend == "postgres" {
        let pool = cqdt_store::open_postgres(&db.url, 1).await.unwrap();
        let mut q = sqlx::query_scalar::<_, String>(Box::leak(
            format!("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) {sql}").into_boxed_str(),
        ));
        for b in binds {
            q = match b {
                Bind::Text(t) => q.bind(t),
                Bind::Int(i) => q.bind(i),
            };
        }
        q.fetch_all(&pool).await.unwrap()
    } else {
        let pool = cqdt_store::open_sqlite(&db.url, 1, cqdt_store::Durability::Full)
            .await
            .unwrap();
        let mut q = sqlx::query_as::<_, (i64, i64, i64, String)>(Box::leak(
            format!("EXPLAIN QUERY PLAN {sql}").into_boxed_str(),
        ));
        for b in binds {
            q = match b {
                Bind::Text(t) => q.bind(t),
                Bind::Int(i) => q.bind(i),
            };
        }
        q.fetch_all(&pool)
            .await
            .unwrap()
            .into_iter()
            .map(|(_, _, _, d)| d)
            .collect()
    }
}

#[tokio::test]
#[ignore = "inserts a million documents; run by hand"]
async fn a_page_by_state_over_a_million_documents() {
    for db in TestDb::all("documents_scale").await.unwrap() {
        // CQDT_SCALE_ONLY=sqlite|postgres: one backend only.
        if std::env::var("CQDT_SCALE_ONLY").is_ok_and(|b| b != db.backend) {
            db.cleanup().await;
            continue;
        }
        let mut app = App::new(db.store.clone(), AppConfig::default());
        app.ids = Arc::new(FakeIds::default());
        app.seed_demo().await.unwrap();
        let root = app.store.agencies_all().await.unwrap();
        let big: AgencyId = {
            let mut ids: Vec<String> = root.iter().map(|a| a.id.to_string()).collect();
            ids.sort();
            AgencyId::parse(&ids[0]).unwrap()
        };
        // One real document: its body is the synthetic rows' body.
        app.document_register_paper(
            &Ctx::cli(),
            PaperIncoming {
                agency_id: big,
                type_code: "cong_van".into(),
                subject: "Mẫu".into(),
                sender_name: "Bộ Y tế".into(),
                sender_identifier: None,
                sender_number: None,
                sender_date: None,
                signer: None,
                urgency: Urgency::Normal,
                secrecy: Secrecy::None,
                handling_days: None,
                scans: vec![],
            },
        )
        .await
        .unwrap();
        let t = Instant::now();
        for from in (0..N).step_by(20_000) {
            db.exec(&fill_sql(
                db.backend == "postgres",
                from,
                (from + 20_000).min(N),
            ))
            .await
            .unwrap();
        }
        db.exec("ANALYZE").await.unwrap();
        println!(
            "{}: {N} documents inserted in {:.1} s",
            db.backend,
            t.elapsed().as_secs_f64()
        );
        let f = |states: &[DocState], limit: i64| StateFilter {
            agency_id: big,
            states: states.to_vec(),
            lead_person: None,
            created_by: None,
            after: None,
            offset: 0,
            limit,
        };
        // Rows of even i are incoming, odd outgoing, i % 10 < 4 in the big agency; person k
        // is on the rows with i % 50 == k.
        let lead = UserId::parse("00000000-0000-7000-9000-000000000002").unwrap();
        let drafter = UserId::parse("00000000-0000-7000-9000-000000000003").unwrap();
        let mut deep = f(&[DocState::Done, DocState::Issued], 50);
        deep.after = Some(StateCursor {
            created_at_us: 1_700_000_000_000_000 + 500_000 * 1_000_000,
            id: cqdt_domain::ids::DocumentId::parse("00000000-0000-7000-8000-000000500000")
                .unwrap(),
        });
        let mut offset = f(&DocState::ALL, 50);
        offset.offset = 2_000;
        let mut handle = f(&[DocState::Assigned, DocState::InProgress], 100);
        handle.lead_person = Some(lead);
        let mut drafts = f(&[DocState::Draft], 100);
        drafts.created_by = Some(drafter);
        let cases = [
            ("worklist: registered, 100", f(&[DocState::Registered], 100)),
            ("one big state: done, 50", f(&[DocState::Done], 50)),
            ("every state (API default), 50", f(&DocState::ALL, 50)),
            ("done+issued after a cursor half-way, 50", deep),
            ("every state, offset 2000, 50", offset),
            ("assigned+in progress led by one person, 100", handle),
            ("one person's drafts, 100", drafts),
        ];
        for (name, filter) in &cases {
            let mut times = Vec::new();
            let mut page = None;
            for _ in 0..7 {
                let t = Instant::now();
                page = Some(db.store.documents_by_state(filter).await.unwrap());
                times.push(t.elapsed());
            }
            let page = page.unwrap();
            let m = median(times);
            println!(
                "{}: {name}: {} rows of {} in {:.2} ms (median of 7)",
                db.backend,
                page.items.len(),
                page.total,
                m.as_secs_f64() * 1000.0
            );
            assert!(!page.items.is_empty(), "{name}");
        }
        for (name, filter, index) in [
            (cases[2].0, &cases[2].1, "documents_state"),
            (cases[3].0, &cases[3].1, "documents_state"),
            (cases[5].0, &cases[5].1, "documents_lead_state"),
            (cases[6].0, &cases[6].1, "documents_creator_state"),
        ] {
            let p = plan(&db, filter).await;
            println!("{} plan of {name}:\n  {}", db.backend, p.join("\n  "));
            let text = p.join("\n");
            assert!(text.contains(index), "{text}");
            assert!(
                !text.contains("Seq Scan on documents") && !text.contains("SCAN documents\n"),
                "{text}"
            );
        }
        db.cleanup().await;
    }
}
