//! `Store::file_refs_page`, what the files folder's tools (check, gc, backup) page through: every
//! file record exactly once in id order, with its dossier's code or its draft, on SQLite and
//! on PostgreSQL (when TEST_DATABASE_URL is set).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use cqdt_app::dossiers::OnlineSubmission;
use cqdt_app::files::{DraftInput, Upload};
use cqdt_app::procedures::ProcedureQuery;
use cqdt_app::store::DraftBody;
use cqdt_app::{App, AppConfig, Ctx};
use cqdt_domain::dossier::ReturnMethod;
use cqdt_store::testing::TestDb;

const FIXTURE: &str = include_str!("fixtures/procedures.json");

fn pdf(text: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% {text}\n%%EOF\n").into_bytes()
}

fn values() -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "ten_ho_kinh_doanh".to_string(),
            "Tạp hóa Hòa Thành".to_string(),
        ),
        ("nganh_nghe".to_string(), "Bán lẻ hàng tạp hóa".to_string()),
    ])
}

#[tokio::test]
async fn file_refs_page_through_every_record_once() {
    for db in TestDb::all("file_refs").await.expect("test database") {
        let app = App::new(
            db.store.clone(),
            AppConfig {
                argon2_memory_kib: 64,
                argon2_iterations: 1,
                ..AppConfig::default()
            },
        )
        .with_files(
            Arc::new(cqdt_app::MemoryBlobs::default()),
            Arc::new(cqdt_app::NoScan),
        );
        app.seed_demo().await.unwrap();
        let cli = Ctx::cli();
        app.procedures_import(&cli, FIXTURE.as_bytes())
            .await
            .unwrap();
        assert!(db.store.file_refs_page(None, 10).await.unwrap().is_empty());
        let business = app
            .procedures_search(
                &Ctx::anonymous(None),
                &ProcedureQuery {
                    q: Some("9.900002".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .items[0]
            .id;
        let city = app
            .agency_by_identifier(&cli, "000.00.20.H53")
            .await
            .unwrap();
        let citizen = app
            .login(
                cqdt_app::demo::CITIZEN_LOGIN,
                cqdt_app::demo::DEMO_PASSWORD,
                None,
                None,
            )
            .await
            .unwrap()
            .session
            .ctx(None);
        let mut codes = BTreeSet::new();
        for i in 0..3 {
            let d = app
                .dossier_submit_online(
                    &citizen,
                    &OnlineSubmission {
                        procedure_id: business,
                        agency_id: city.id,
                        values: values(),
                        return_method: Some(ReturnMethod::Post),
                        id_number: None,
                        phone: None,
                        email: None,
                        address: Some("Phường 1".into()),
                        files: vec![
                            Upload::part(1, "don.pdf", pdf(&format!("đơn {i}"))),
                            // The same content in every dossier: one blob, three records.
                            Upload::part(2, "cccd.pdf", pdf("cccd")),
                        ],
                    },
                )
                .await
                .unwrap();
            codes.insert(d.code);
        }
        let draft = app
            .draft_create(
                &citizen,
                DraftInput {
                    procedure_id: Some(business),
                    agency_id: Some(city.id),
                    body: DraftBody {
                        values: values(),
                        ..Default::default()
                    },
                },
            )
            .await
            .unwrap();
        let in_draft = app
            .draft_file_add(&citizen, draft.id, Upload::part(1, "nhap.pdf", pdf("nháp")))
            .await
            .unwrap();
        // A document's scan is a file record too (gc must never take it).
        let province = app
            .agency_by_identifier(&cli, "000.00.00.H53")
            .await
            .unwrap();
        let doc = app
            .document_register_paper(
                &cli,
                cqdt_app::documents::PaperIncoming {
                    agency_id: province.id,
                    type_code: "cong_van".into(),
                    subject: "Về việc kiểm tra kho tệp".into(),
                    sender_name: "Bộ Y tế".into(),
                    sender_identifier: None,
                    sender_number: Some("12/BYT-KH".into()),
                    sender_date: None,
                    signer: None,
                    urgency: cqdt_domain::document::Urgency::Normal,
                    secrecy: cqdt_domain::document::Secrecy::None,
                    handling_days: None,
                    scans: vec![Upload::of_kind(
                        cqdt_domain::files::FileKind::Working,
                        "scan.pdf",
                        pdf("văn bản đến"),
                    )],
                },
            )
            .await
            .unwrap();
        let scan = app.store.document_files(doc.id).await.unwrap();
        assert_eq!(scan.len(), 1);

        // Pages of 2: every record once, in id order, however the pages fall.
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let page = db.store.file_refs_page(after, 2).await.unwrap();
            assert!(page.len() <= 2);
            if page.is_empty() {
                break;
            }
            after = Some(page.last().unwrap().id);
            all.extend(page);
        }
        assert_eq!(all.len(), 8, "{}", db.backend);
        let ids: Vec<_> = all.iter().map(|r| r.id.to_string()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 8, "{}: no repeats", db.backend);
        let s = all
            .iter()
            .find(|r| r.sha256 == scan[0].sha256)
            .expect("the document's scan is listed");
        assert_eq!((s.dossier_code.as_deref(), s.draft_id), (None, None));
        let one_page = db.store.file_refs_page(None, 100).await.unwrap();
        assert_eq!(one_page, all, "{}", db.backend);
        let of_dossiers: BTreeSet<_> = all.iter().filter_map(|r| r.dossier_code.clone()).collect();
        assert_eq!(of_dossiers, codes, "{}", db.backend);
        let d = all.iter().find(|r| r.id == in_draft.id).unwrap();
        assert_eq!(
            (
                d.draft_id,
                d.dossier_code.as_deref(),
                d.name.as_str(),
                d.sha256.as_str()
            ),
            (Some(draft.id), None, "nhap.pdf", in_draft.sha256.as_str())
        );
        assert_eq!(d.size, pdf("nháp").len() as i64);
        let distinct: BTreeSet<_> = all.iter().map(|r| r.sha256.as_str()).collect();
        assert_eq!(
            distinct.len(),
            6,
            "{}: three dossiers share one blob",
            db.backend
        );
        db.cleanup().await;
    }
}
