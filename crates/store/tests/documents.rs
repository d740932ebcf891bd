//! Document use cases on SQLite and on PostgreSQL (when TEST_DATABASE_URL is set): the whole
//! path from a paper incoming document to a reply issued, delivered to another agency's inbox,
//! registered there and its status recorded on the sender's document; numbering per year and
//! series; concurrent issuing; search; overdue; figures; refusals.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::Ordering;

use chrono::{NaiveDate, NaiveDateTime};
use cqdt_app::accounts::StaffInput;
use cqdt_app::audit::VerifyOutcome;
use cqdt_app::documents::{
    AssignInput, Book, DocFileKind, DraftInput, FakeSigner, PaperIncoming, RecipientInput,
    RegisterQuery, StatusReport,
};
use cqdt_app::files::Upload;
use cqdt_app::ports::{FakeClock, FakeIds};
use cqdt_app::{App, AppConfig, Ctx};
use cqdt_domain::ErrorCode;
use cqdt_domain::agency::Agency;
use cqdt_domain::calendar::from_local;
use cqdt_domain::document::{DocState, EdxmlStatus, EventKind, Secrecy, Urgency};
use cqdt_domain::ids::DocumentId;
use cqdt_store::testing::TestDb;

fn local(y: i32, m: u32, d: u32, h: u32, mi: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(h, mi, 0)
        .unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn us(t: NaiveDateTime) -> i64 {
    from_local(t).timestamp_micros()
}

fn pdf(text: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% {text}\n%%EOF\n").into_bytes()
}

struct World {
    app: App,
    clock: Arc<FakeClock>,
    /// UBND tỉnh (000.00.00.H53): clerk, leader, specialist.
    clerk: Ctx,
    leader: Ctx,
    specialist: Ctx,
    /// UBND thành phố Tây Ninh (000.00.20.H53, district level): its clerk.
    city_clerk: Ctx,
    viewer: Ctx,
    province: Agency,
    city: Agency,
}

impl World {
    fn set(&self, t: NaiveDateTime) {
        self.clock.0.store(us(t), Ordering::SeqCst);
    }

    fn paper(&self, subject: &str, urgency: Urgency) -> PaperIncoming {
        PaperIncoming {
            agency_id: self.province.id,
            type_code: "cong_van".into(),
            subject: subject.into(),
            sender_name: "Bộ Y tế".into(),
            sender_identifier: Some("000.00.00.G16".into()),
            sender_number: Some("1234/BYT-DP".into()),
            sender_date: Some(day(2024, 3, 1)),
            signer: None,
            urgency,
            secrecy: Secrecy::None,
            handling_days: None,
            scans: vec![Upload::of_kind(
                cqdt_domain::files::FileKind::Working,
                "scan.pdf",
                pdf(subject),
            )],
        }
    }

    fn draft(&self, type_code: &str, subject: &str) -> DraftInput {
        DraftInput {
            agency_id: self.province.id,
            type_code: type_code.into(),
            subject: subject.into(),
            signer: Some(cqdt_domain::document::SignerInfo {
                competence: Some("TM. ỦY BAN NHÂN DÂN".into()),
                position: Some("CHỦ TỊCH".into()),
                full_name: "Phạm Thị Lãnh".into(),
            }),
            urgency: Urgency::Normal,
            secrecy: Secrecy::None,
            drafting_unit: None,
            recipients: vec![],
            reply_to: None,
            replaces: None,
            main: Some(Upload::of_kind(
                cqdt_domain::files::FileKind::Working,
                "van-ban.pdf",
                pdf(subject),
            )),
            attachments: vec![],
        }
    }

    /// Draft → review → signature → signed, ready for the clerk.
    async fn signed(&self, input: DraftInput) -> DocumentId {
        let d = self
            .app
            .document_draft_create(&self.specialist, input)
            .await
            .unwrap();
        self.app
            .document_submit_review(&self.specialist, d.id)
            .await
            .unwrap();
        self.app
            .document_submit_signature(&self.leader, d.id)
            .await
            .unwrap();
        let s = self
            .app
            .document_sign(&self.leader, d.id, &FakeSigner)
            .await
            .unwrap();
        assert_eq!(s.doc.state, DocState::Signed);
        d.id
    }

    async fn issued(&self, input: DraftInput) -> cqdt_app::documents::DocumentRecord {
        let id = self.signed(input).await;
        self.app
            .document_issue(&self.clerk, id, &FakeSigner)
            .await
            .unwrap()
    }

    fn number(r: &cqdt_app::documents::DocumentRecord) -> String {
        r.doc
            .outgoing
            .as_ref()
            .and_then(|o| o.number.as_ref())
            .map(|n| n.full.clone())
            .unwrap_or_default()
    }
}

async fn login(app: &App, login: &str) -> Ctx {
    app.login(login, cqdt_app::demo::DEMO_PASSWORD, None, None)
        .await
        .unwrap()
        .session
        .ctx(Some("10.9.9.9".into()))
}

async fn world(db: &TestDb) -> World {
    let clock = Arc::new(FakeClock::new(us(local(2024, 3, 4, 8, 0))));
    let app = App {
        store: db.store.clone(),
        clock: clock.clone(),
        ids: Arc::new(FakeIds::default()),
        config: Arc::new(AppConfig {
            argon2_memory_kib: 64,
            argon2_iterations: 1,
            ..AppConfig::default()
        }),
        calendar: Default::default(),
        blobs: Arc::new(cqdt_app::MemoryBlobs::default()),
        scanner: Arc::new(cqdt_app::NoScan),
        signer: Arc::new(FakeSigner),
        text: Arc::new(cqdt_app::documents::NoText),
        edxml_inbox: Arc::new(cqdt_app::documents::UnavailableEdxmlInbox),
    };
    app.seed_demo().await.unwrap();
    let cli = Ctx::cli();
    for (email, agency, role) in [
        ("vanthu.ubnd@tayninh.demo", "000.00.00.H53", "clerk"),
        ("lanhdao.ubnd@tayninh.demo", "000.00.00.H53", "leader"),
        (
            "chuyenvien.ubnd@tayninh.demo",
            "000.00.00.H53",
            "specialist",
        ),
        ("vanthu.tp@tayninh.demo", "000.00.20.H53", "clerk"),
    ] {
        app.create_staff(
            &cli,
            &StaffInput {
                full_name: format!("Người {role}"),
                email: email.into(),
                phone: None,
                agency_identifier: agency.into(),
                password: cqdt_app::demo::DEMO_PASSWORD.into(),
                roles: vec![role.into()],
            },
        )
        .await
        .unwrap();
    }
    World {
        clerk: login(&app, "vanthu.ubnd@tayninh.demo").await,
        leader: login(&app, "lanhdao.ubnd@tayninh.demo").await,
        specialist: login(&app, "chuyenvien.ubnd@tayninh.demo").await,
        city_clerk: login(&app, "vanthu.tp@tayninh.demo").await,
        viewer: login(&app, "lanhdaotinh@tayninh.demo").await,
        province: app
            .agency_by_identifier(&cli, "000.00.00.H53")
            .await
            .unwrap(),
        city: app
            .agency_by_identifier(&cli, "000.00.20.H53")
            .await
            .unwrap(),
        app,
        clock,
    }
}

async fn each(test: &str) -> Vec<TestDb> {
    TestDb::all(test).await.expect("test database")
}

/// Read an outbox row's JSON payload by its key.
async fn outbox(app: &App, key: &str) -> serde_json::Value {
    let m = app
        .store
        .outbox_by_key(key)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no outbox row {key}"));
    serde_json::from_str(&m.payload).unwrap()
}

/// What a deliverer does with a `document.status` row: record it on the sender's document.
async fn deliver_status(app: &App, key: &str) {
    let p = outbox(app, key).await;
    app.document_record_status(
        &Ctx::cli(),
        StatusReport {
            edxml_document_id: p["edxml_document_id"].as_str().unwrap().into(),
            source_document_id: p["source_document_id"].as_str().and_then(DocumentId::parse),
            from: p["from"].as_str().unwrap().into(),
            to: None,
            code: p["status"].as_u64().unwrap() as u8,
            description: None,
        },
    )
    .await
    .unwrap();
}

/// Paper incoming → registered (arrival number 1, due in 7 working days) → assigned → in
/// progress → reply drafted, reviewed, signed, issued as 01/QĐ-UBND with both signatures →
/// delivered to the city's inbox (once, however often delivered) → the city registers it →
/// statuses 01 and 03 recorded on the sender's document; registers of both agencies; the
/// audit chain intact; events append-only.
#[tokio::test]
async fn whole_path_from_paper_to_the_receivers_register() {
    for db in each("documents_whole_path").await {
        let w = world(&db).await;
        let app = &w.app;
        // Monday 4 March 2024, 08:00.
        let inc = app
            .document_register_paper(
                &w.clerk,
                w.paper(
                    "Về việc tăng cường phòng, chống dịch sốt xuất huyết",
                    Urgency::Normal,
                ),
            )
            .await
            .unwrap();
        assert_eq!(inc.doc.state, DocState::Registered);
        let arrival = inc.doc.incoming.as_ref().unwrap().arrival.clone().unwrap();
        assert_eq!((arrival.number, arrival.year), (1, 2024));
        assert_eq!(arrival.date, day(2024, 3, 4));
        // 7 working days after Monday 4 March: Wednesday 13 March.
        assert_eq!(
            inc.doc.incoming.as_ref().unwrap().handling_due,
            Some(day(2024, 3, 13))
        );
        // The clerk may not assign; the leader may.
        let e = app
            .document_assign(&w.clerk, inc.id, AssignInput::default())
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden);
        let specialist_id = w.specialist.actor.user_id();
        let a = app
            .document_assign(
                &w.leader,
                inc.id,
                AssignInput {
                    lead_person: specialist_id,
                    days: Some(5),
                    opinion: Some("Giao chuyên viên tham mưu văn bản trả lời".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(a.doc.state, DocState::Assigned);
        assert_eq!(
            a.doc.incoming.as_ref().unwrap().handling_due,
            Some(day(2024, 3, 11))
        );
        app.document_start(&w.specialist, inc.id).await.unwrap();

        // The reply.
        w.set(local(2024, 3, 5, 9, 0));
        let mut input = w.draft(
            "quyet_dinh",
            "Về việc thành lập Đoàn kiểm tra phòng, chống dịch",
        );
        input.reply_to = Some(inc.id);
        input.recipients = vec![
            RecipientInput::Agency(w.city.id),
            RecipientInput::External {
                name: "Bộ Y tế".into(),
                identifier: Some("000.00.00.G16".into()),
            },
        ];
        let draft = app
            .document_draft_create(&w.specialist, input.clone())
            .await
            .unwrap();
        // A second version of the file and a better subject.
        input.subject = "Về việc thành lập Đoàn kiểm tra công tác phòng, chống dịch".into();
        input.main = Some(Upload::of_kind(
            cqdt_domain::files::FileKind::Working,
            "van-ban-v2.pdf",
            pdf("bản 2"),
        ));
        let edited = app
            .document_draft_edit(&w.specialist, draft.id, input)
            .await
            .unwrap();
        assert_eq!(
            edited.doc.fields.subject,
            "Về việc thành lập Đoàn kiểm tra công tác phòng, chống dịch"
        );
        app.document_submit_review(&w.specialist, draft.id)
            .await
            .unwrap();
        let back = app
            .document_send_back(&w.leader, draft.id, "Bổ sung căn cứ pháp lý")
            .await
            .unwrap();
        assert_eq!(back.doc.state, DocState::Draft);
        app.document_submit_review(&w.specialist, draft.id)
            .await
            .unwrap();
        app.document_submit_signature(&w.leader, draft.id)
            .await
            .unwrap();
        // Only a leader signs.
        let e = app
            .document_sign(&w.specialist, draft.id, &FakeSigner)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden);
        app.document_sign(&w.leader, draft.id, &FakeSigner)
            .await
            .unwrap();
        let e = app
            .document_issue(&w.specialist, draft.id, &FakeSigner)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden);
        let out = app
            .document_issue(&w.clerk, draft.id, &FakeSigner)
            .await
            .unwrap();
        assert_eq!(out.doc.state, DocState::Issued);
        assert_eq!(World::number(&out), "01/QĐ-UBND");
        let o = out.doc.outgoing.as_ref().unwrap();
        assert!(o.signer_signed && o.agency_signed);
        assert!(out.sent_electronic);
        assert_eq!(
            out.edxml_document_id.as_deref(),
            Some("000.00.00.H53,2024/03/05,01/QĐ-UBND")
        );
        let view = app.document_view(&w.clerk, out.id).await.unwrap();
        let kinds: Vec<DocFileKind> = view.files.iter().map(|f| f.kind).collect();
        assert_eq!(
            kinds,
            vec![
                DocFileKind::Main,
                DocFileKind::Main,
                DocFileKind::SignerSignature,
                DocFileKind::SignedPdf,
                DocFileKind::AgencySignature,
                DocFileKind::IssuedPdf
            ]
        );
        // The issued PDF: the signer's embedded signature over the current main file, then
        // the number and date stamped, then the agency's (the fake signer writes comments).
        let (issued, issued_bytes) = app.document_default_file(&w.clerk, out.id).await.unwrap();
        assert_eq!(issued.kind, DocFileKind::IssuedPdf);
        assert_eq!(issued.file_type, "pdf");
        let text = String::from_utf8_lossy(&issued_bytes).into_owned();
        assert!(issued_bytes.starts_with(&pdf("bản 2")), "{text}");
        let signer_at = text.find("%FAKE-PDF-SIGNATURE person").unwrap();
        let stamp_at = text.find("%FAKE-STAMP Số: 01/QĐ-UBND").unwrap();
        let seal_at = text.find("%FAKE-PDF-SIGNATURE agency").unwrap();
        assert!(signer_at < stamp_at && stamp_at < seal_at, "{text}");
        assert!(
            text.contains("%FAKE-STAMP Ban hành ngày 05 tháng 3 năm 2024"),
            "{text}"
        );
        let report = app.signatures_verify(&issued_bytes, None).await.unwrap();
        assert_eq!(report.signatures.len(), 2);
        assert!(report.signatures.iter().all(|s| s.intact), "{report:?}");
        assert!(!report.all_valid, "a fake signature is never trusted");
        let mut changed = issued_bytes.clone();
        changed[3] ^= 1;
        let report = app.signatures_verify(&changed, None).await;
        assert!(report.is_err() || report.unwrap().signatures.iter().all(|s| !s.intact));
        let linked = app
            .document_link_reply(&w.specialist, inc.id, out.id)
            .await
            .unwrap();
        assert_eq!(linked.doc.incoming.as_ref().unwrap().reply, Some(out.id));
        let done = app
            .document_complete(&w.specialist, inc.id, Some(out.id), None)
            .await
            .unwrap();
        assert_eq!(done.doc.state, DocState::Done);

        // Delivery to the city (what the deliverer of `document.send` does).
        let send = outbox(app, &format!("document.send:{}:{}", out.id, w.city.id)).await;
        assert_eq!(
            send["document_id"].as_str(),
            Some(out.id.to_string().as_str())
        );
        let package = app
            .document_package(&Ctx::cli(), out.id, w.city.id)
            .await
            .unwrap();
        assert_eq!(package.number, "01/QĐ-UBND");
        // The issued PDF as the main file; its two signatures are inside it, so the detached
        // ones (over the unstamped file) do not travel.
        let kinds: Vec<DocFileKind> = package.files.iter().map(|f| f.kind).collect();
        assert_eq!(kinds, vec![DocFileKind::Main]);
        assert_eq!(
            package.files[0].bytes, issued_bytes,
            "the issued PDF travels as the main file"
        );
        // Editing is for drafts only.
        let mut late = w.draft("quyet_dinh", "Sửa sau khi ban hành");
        late.agency_id = w.province.id;
        let e = app
            .document_draft_edit(&w.specialist, out.id, late)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::DocumentIllegalTransition);
        w.set(local(2024, 3, 5, 10, 0));
        let got = app
            .document_receive_package(&Ctx::cli(), package.clone())
            .await
            .unwrap();
        assert_eq!(got.doc.state, DocState::Arrived);
        assert_eq!(got.agency_id, w.city.id);
        let again = app
            .document_receive_package(&Ctx::cli(), package)
            .await
            .unwrap();
        assert_eq!(again.id, got.id, "a package is received once");
        deliver_status(app, &format!("document.status:{}:01", got.id)).await;
        // The city's clerk cannot touch the province's documents (not even know of them);
        // the city clerk registers what arrived in the city's inbox.
        let e = app
            .document_refuse(&w.city_clerk, inc.id, "Không đúng thẩm quyền")
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::DocumentNotFound);
        let reg = app
            .document_register_arrived(&w.city_clerk, got.id, None)
            .await
            .unwrap();
        assert_eq!(reg.doc.state, DocState::Registered);
        assert_eq!(
            reg.doc
                .incoming
                .as_ref()
                .unwrap()
                .arrival
                .as_ref()
                .map(|a| a.number),
            Some(1)
        );
        deliver_status(app, &format!("document.status:{}:03", got.id)).await;
        // Recorded twice: once.
        deliver_status(app, &format!("document.status:{}:03", got.id)).await;
        let events = app.store.document_events(out.id).await.unwrap();
        let statuses: Vec<(Option<EdxmlStatus>, Option<String>)> = events
            .iter()
            .filter(|(_, e)| e.kind == EventKind::StatusReceived)
            .map(|(_, e)| (e.status, e.from.clone()))
            .collect();
        assert_eq!(
            statuses,
            vec![
                (Some(EdxmlStatus::Arrived), Some("000.00.20.H53".into())),
                (Some(EdxmlStatus::Registered), Some("000.00.20.H53".into())),
            ]
        );

        // Registers.
        let q = |agency, book| RegisterQuery {
            agency_id: agency,
            book,
            year: 2024,
            limit: None,
            offset: None,
        };
        let incoming = app
            .document_register(&w.clerk, &q(w.province.id, Book::Incoming))
            .await
            .unwrap();
        assert_eq!(incoming.total, 1);
        assert_eq!(incoming.items[0].arrival_number, Some(1));
        assert_eq!(incoming.items[0].number.as_deref(), Some("1234/BYT-DP"));
        assert_eq!(incoming.items[0].lead_person, specialist_id);
        let handling = app
            .document_register(&w.clerk, &q(w.province.id, Book::Handling))
            .await
            .unwrap();
        assert_eq!(
            handling.items[0].reply_number.as_deref(),
            Some("01/QĐ-UBND")
        );
        assert_eq!(handling.items[0].state, DocState::Done);
        let outgoing = app
            .document_register(&w.clerk, &q(w.province.id, Book::Outgoing))
            .await
            .unwrap();
        assert_eq!(outgoing.total, 1);
        assert_eq!(outgoing.items[0].number.as_deref(), Some("01/QĐ-UBND"));
        assert_eq!(
            outgoing.items[0].recipients,
            vec!["UBND thành phố Tây Ninh".to_string(), "Bộ Y tế".to_string()]
        );
        let city_in = app
            .document_register(&w.city_clerk, &q(w.city.id, Book::Incoming))
            .await
            .unwrap();
        assert_eq!(
            city_in.items[0].author.as_deref(),
            Some("UBND tỉnh Tây Ninh")
        );
        assert!(city_in.items[0].electronic);
        // The city's clerk cannot read the province's registers.
        let e = app
            .document_register(&w.city_clerk, &q(w.province.id, Book::Outgoing))
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden);

        assert!(matches!(
            app.audit_verify().await.unwrap(),
            VerifyOutcome::Intact { .. }
        ));
        assert!(
            db.exec("UPDATE document_events SET kind = 'x'")
                .await
                .is_err(),
            "events are append-only"
        );
        assert!(db.exec("DELETE FROM document_events").await.is_err());
        db.cleanup().await;
    }
}

/// Numbers restart at 01 on 1 January; secret and legal normative documents have their own
/// series; a công văn's notation is issuer-unit.
#[tokio::test]
async fn numbering_per_year_and_series() {
    for db in each("documents_numbering").await {
        let w = world(&db).await;
        w.set(local(2024, 12, 31, 9, 0));
        let a = w.issued(w.draft("quyet_dinh", "Quyết định một")).await;
        let b = w.issued(w.draft("ke_hoach", "Kế hoạch hai")).await;
        let mut cv = w.draft("cong_van", "V/v báo cáo");
        cv.drafting_unit = Some("VP".into());
        let c = w.issued(cv).await;
        assert_eq!(World::number(&a), "01/QĐ-UBND");
        assert_eq!(World::number(&b), "02/KH-UBND");
        assert_eq!(World::number(&c), "03/UBND-VP");
        let mut secret = w.draft("quyet_dinh", "Quyết định mật");
        secret.secrecy = Secrecy::Secret;
        secret.recipients = vec![RecipientInput::Agency(w.city.id)];
        let secret = w.issued(secret).await;
        assert_eq!(World::number(&secret), "01/QĐ-UBND");
        // Secret documents never travel over the exchange.
        assert!(!secret.sent_electronic && secret.edxml_document_id.is_none());
        // …and are not in the search index.
        let found = w
            .app
            .documents_search(&w.clerk, w.province.id, "quyet dinh mat", None)
            .await
            .unwrap();
        assert!(found.is_empty());
        let found = w
            .app
            .documents_search(&w.clerk, w.province.id, "quyet dinh mot", None)
            .await
            .unwrap();
        assert_eq!(found.len(), 1);
        let qppl = w
            .issued(w.draft("quyet_dinh_qppl", "Ban hành quy định"))
            .await;
        assert_eq!(World::number(&qppl), "01/2024/QĐ-UBND");
        // New year.
        w.set(local(2025, 1, 2, 8, 0));
        let d = w.issued(w.draft("quyet_dinh", "Quyết định năm mới")).await;
        assert_eq!(World::number(&d), "01/QĐ-UBND");
        assert_eq!(
            d.doc
                .outgoing
                .as_ref()
                .unwrap()
                .number
                .as_ref()
                .unwrap()
                .year,
            2025
        );
        // Issuer abbreviation set by an administrator.
        w.app
            .document_issuer_set(&Ctx::cli(), w.province.id, "UBNDT")
            .await
            .unwrap();
        let e = w.issued(w.draft("to_trinh", "Tờ trình")).await;
        assert_eq!(World::number(&e), "02/TTr-UBNDT");
        let reg = w
            .app
            .document_register(
                &w.clerk,
                &RegisterQuery {
                    agency_id: w.province.id,
                    book: Book::Outgoing,
                    year: 2024,
                    limit: Some(2),
                    offset: Some(0),
                },
            )
            .await
            .unwrap();
        assert_eq!(reg.total, 5);
        assert_eq!(reg.items.len(), 2);
        assert_eq!(
            reg.items[0].number.as_deref(),
            Some("01/2024/QĐ-UBND"),
            "newest first"
        );
        db.cleanup().await;
    }
}

/// Eight documents issued at the same time get 01–08, each once.
#[tokio::test]
async fn concurrent_issuing_gives_unique_consecutive_numbers() {
    for db in each("documents_concurrent").await {
        let w = world(&db).await;
        let mut ids = Vec::new();
        for k in 0..8 {
            ids.push(
                w.signed(w.draft("quyet_dinh", &format!("Quyết định {k}")))
                    .await,
            );
        }
        let mut tasks = Vec::new();
        for id in ids {
            let app = w.app.clone();
            let clerk = w.clerk.clone();
            tasks.push(tokio::spawn(async move {
                app.document_issue(&clerk, id, &FakeSigner).await
            }));
        }
        let mut numbers = Vec::new();
        for t in tasks {
            let r = t.await.unwrap().unwrap();
            numbers.push(r.doc.outgoing.unwrap().number.unwrap().number);
        }
        numbers.sort();
        assert_eq!(numbers, (1..=8).collect::<Vec<u32>>(), "{}", db.backend);
        db.cleanup().await;
    }
}

/// Search without diacritics, overdue detection, figures on a known set, refusals.
#[tokio::test]
async fn search_overdue_figures_and_refusals() {
    for db in each("documents_search").await {
        let w = world(&db).await;
        let app = &w.app;
        // Monday 4 March 2024.
        let urgent = app
            .document_register_paper(
                &w.clerk,
                w.paper(
                    "Về phòng, chống dịch Covid-19 trong trường học",
                    Urgency::Urgent,
                ),
            )
            .await
            .unwrap();
        assert_eq!(
            urgent.doc.incoming.as_ref().unwrap().handling_due,
            Some(day(2024, 3, 4)),
            "urgent: due the same day"
        );
        let normal = app
            .document_register_paper(
                &w.clerk,
                w.paper("Về kế hoạch giao thông nông thôn", Urgency::Normal),
            )
            .await
            .unwrap();
        assert_eq!(
            normal
                .doc
                .incoming
                .as_ref()
                .unwrap()
                .arrival
                .as_ref()
                .unwrap()
                .number,
            2
        );

        // Search.
        let find = |q: &'static str, agency| {
            let app = app.clone();
            let ctx = w.clerk.clone();
            async move {
                app.documents_search(&ctx, agency, q, None)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|r| r.id)
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(
            find("cong van ve phong chong dich", w.province.id).await,
            vec![urgent.id]
        );
        assert_eq!(
            find("CÔNG VĂN về phòng chống dịc", w.province.id).await,
            vec![urgent.id]
        );
        assert_eq!(
            find("1234/BYT", w.province.id).await,
            vec![normal.id, urgent.id]
        );
        assert!(
            find("cong van ve phong chong bao lut", w.province.id)
                .await
                .is_empty()
        );
        assert!(find("   ", w.province.id).await.is_empty());
        let e = app
            .documents_search(&w.city_clerk, w.province.id, "dich", None)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden);

        // Overdue.
        let overdue = |app: App, ctx: Ctx, agency| async move {
            app.documents_overdue(&ctx, agency, None, None)
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|r| r.id)
                .collect::<Vec<_>>()
        };
        assert!(
            overdue(app.clone(), w.clerk.clone(), w.province.id)
                .await
                .is_empty()
        );
        w.set(local(2024, 3, 5, 8, 0));
        assert_eq!(
            overdue(app.clone(), w.clerk.clone(), w.province.id).await,
            vec![urgent.id]
        );
        w.set(local(2024, 3, 14, 8, 0));
        assert_eq!(
            overdue(app.clone(), w.viewer.clone(), w.province.id).await,
            vec![urgent.id, normal.id]
        );
        let v = app.document_view(&w.clerk, normal.id).await.unwrap();
        assert!(v.overdue);

        // Refusals and illegal transitions.
        let d = app
            .document_draft_create(&w.specialist, w.draft("quyet_dinh", "Dự thảo"))
            .await
            .unwrap();
        let e = app
            .document_issue(&w.clerk, d.id, &FakeSigner)
            .await
            .unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::DocumentIllegalTransition, Some("draft:issue"))
        );
        let e = app
            .document_refuse(&w.clerk, normal.id, "Gửi nhầm")
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::DocumentIllegalTransition);
        let e = app
            .document_view(&w.city_clerk, normal.id)
            .await
            .unwrap_err();
        assert_eq!(
            e.code,
            ErrorCode::DocumentNotFound,
            "not even its existence"
        );
        let e = app
            .document_complete(&w.specialist, normal.id, Some(d.id), None)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::DocumentInvalidReply);

        // Figures: on Thursday 14 March the province issues two documents, one also to the
        // city over the exchange; the city receives and registers it.
        let mut to_city = w.draft("thong_bao", "Thông báo lịch họp");
        to_city.recipients = vec![
            RecipientInput::Agency(w.city.id),
            RecipientInput::External {
                name: "Báo Tây Ninh".into(),
                identifier: None,
            },
        ];
        let sent = w.issued(to_city).await;
        let mut paper_only = w.draft("ke_hoach", "Kế hoạch năm");
        paper_only.recipients = vec![RecipientInput::External {
            name: "Báo Tây Ninh".into(),
            identifier: None,
        }];
        w.issued(paper_only).await;
        let package = app
            .document_package(&Ctx::cli(), sent.id, w.city.id)
            .await
            .unwrap();
        let got = app
            .document_receive_package(&Ctx::cli(), package)
            .await
            .unwrap();
        // An arrived package the city refuses: a reason is required; status 02 goes back.
        let e = app
            .document_refuse(&w.city_clerk, got.id, " ")
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::DocumentReasonRequired);
        let mut again_to_city = w.draft("thong_bao", "Thông báo bổ sung");
        again_to_city.recipients = vec![RecipientInput::Agency(w.city.id)];
        let second = w.issued(again_to_city).await;
        let p2 = app
            .document_package(&Ctx::cli(), second.id, w.city.id)
            .await
            .unwrap();
        let got2 = app.document_receive_package(&Ctx::cli(), p2).await.unwrap();
        let refused = app
            .document_refuse(&w.city_clerk, got2.id, "Không đúng thẩm quyền")
            .await
            .unwrap();
        assert_eq!(refused.doc.state, DocState::Refused);
        let p = outbox(app, &format!("document.status:{}:02", got2.id)).await;
        assert_eq!(p["status"].as_u64(), Some(2));
        assert_eq!(p["description"].as_str(), Some("Không đúng thẩm quyền"));
        app.document_register_arrived(&w.city_clerk, got.id, None)
            .await
            .unwrap();

        let f = app
            .document_figures(&w.viewer, w.province.id, day(2024, 3, 1), day(2024, 3, 31))
            .await
            .unwrap();
        assert_eq!(f.figures.issued, 3);
        assert_eq!(f.figures.issued_electronic, 2);
        assert_eq!(f.figures.issued_both_signatures, 3);
        // Two paper documents at the province, one electronic at the city (the refused one
        // never entered a register).
        assert_eq!(f.figures.received, 3);
        assert_eq!(f.figures.received_electronic, 1);
        assert_eq!(f.figures.province_to_district, 2);
        assert_eq!(f.figures.province_to_district_electronic, 2);
        assert_eq!(f.province_to_district_electronic_permille, Some(1000));
        let city = app
            .document_figures(&w.city_clerk, w.city.id, day(2024, 3, 1), day(2024, 3, 31))
            .await
            .unwrap();
        assert_eq!((city.figures.issued, city.figures.received), (0, 1));
        let none = app
            .document_figures(&w.viewer, w.province.id, day(2024, 4, 1), day(2024, 4, 30))
            .await
            .unwrap();
        assert_eq!(none.figures.issued, 0);
        assert_eq!(none.province_to_district_electronic_permille, None);
        db.cleanup().await;
    }
}

/// The real outbox deliverer (`cqdt_exchange::documents`) carries an issued document to the
/// receiving agency's inbox and the receiver's statuses back, each exactly once however often
/// the dispatcher runs.
#[tokio::test]
async fn the_outbox_delivers_documents_and_statuses() {
    use cqdt_app::documents::{TOPIC_SEND, TOPIC_STATUS};
    use cqdt_exchange::documents::{ByTopic, DocumentDeliverer};
    for db in each("documents_delivery").await {
        let w = world(&db).await;
        let app = &w.app;
        // Notifications (the staff accounts' welcome e-mails) are another deliverer's business.
        struct Sink;
        #[async_trait::async_trait]
        impl cqdt_app::outbox::Deliverer for Sink {
            async fn deliver(&self, _: &cqdt_app::store::OutboxMessage) -> Result<(), String> {
                Ok(())
            }
        }
        let deliverer = ByTopic::new(vec![
            (cqdt_app::outbox::TOPIC_NOTIFY, Arc::new(Sink)),
            (TOPIC_SEND, Arc::new(DocumentDeliverer::new(app.clone()))),
            (TOPIC_STATUS, Arc::new(DocumentDeliverer::new(app.clone()))),
        ]);
        app.dispatch_all(&deliverer).await.unwrap();
        let mut input = w.draft("cong_van", "Về việc phòng, chống dịch sốt xuất huyết");
        input.recipients = vec![RecipientInput::Agency(w.city.id)];
        let out = w.issued(input).await;
        let eid = out.edxml_document_id.clone().expect("edXML DocumentId");
        assert!(
            app.store
                .document_by_edxml(
                    cqdt_domain::document::Direction::Incoming,
                    Some(w.city.id),
                    &eid
                )
                .await
                .unwrap()
                .is_none(),
            "nothing arrives before the dispatcher runs"
        );
        // Send, then the receiver's "arrived" (01) written by the receipt: both delivered.
        let r = app.dispatch_all(&deliverer).await.unwrap();
        assert_eq!(
            (r.delivered, r.retried, r.dead),
            (2, 0, 0),
            "{}",
            db.backend
        );
        let got = app
            .store
            .document_by_edxml(
                cqdt_domain::document::Direction::Incoming,
                Some(w.city.id),
                &eid,
            )
            .await
            .unwrap()
            .expect("arrived in the city's inbox");
        assert_eq!(got.doc.state, DocState::Arrived);
        assert_eq!(got.doc.fields.subject, out.doc.fields.subject);
        app.document_register_arrived(&w.city_clerk, got.id, None)
            .await
            .unwrap();
        let r = app.dispatch_all(&deliverer).await.unwrap();
        assert_eq!(r.delivered, 1, "{}", db.backend);
        assert_eq!(app.dispatch_all(&deliverer).await.unwrap().delivered, 0);
        let statuses: Vec<Option<EdxmlStatus>> = app
            .store
            .document_events(out.id)
            .await
            .unwrap()
            .iter()
            .filter(|(_, e)| e.kind == EventKind::StatusReceived)
            .map(|(_, e)| e.status)
            .collect();
        assert_eq!(
            statuses,
            vec![Some(EdxmlStatus::Arrived), Some(EdxmlStatus::Registered)],
            "{}",
            db.backend
        );
        db.cleanup().await;
    }
}

/// A real signing service (its own test CA in a fresh folder, on the world's clock) and the
/// edXML node over it, with one peer served by folder export.
fn edxml_node(
    w: &World,
    name: &str,
) -> (
    Arc<cqdt_exchange::edxml_node::EdxmlNode>,
    Arc<cqdt_exchange::signing::SigningService>,
    std::path::PathBuf,
) {
    let dir = std::env::temp_dir().join(format!(
        "cqdt-edxml-{name}-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let signing = Arc::new(
        cqdt_exchange::signing::SigningService::new(
            dir.join("keys"),
            "test-keys",
            w.app.clock.clone(),
        )
        .unwrap(),
    );
    let settings = cqdt_exchange::edxml_node::EdxmlSettings {
        export_dir: Some(dir.join("export")),
        inbox_dir: Some(dir.join("inbox")),
        peers: vec![cqdt_exchange::edxml_node::Peer {
            identifiers: vec!["000.00.00.G16".into()],
            name: "Bộ Y tế".into(),
            url: String::new(),
            system_id: "byt".into(),
            secret: b"bi-mat-chung".to_vec(),
        }],
        ..Default::default()
    };
    let node =
        Arc::new(cqdt_exchange::edxml_node::EdxmlNode::new(signing.clone(), settings).unwrap());
    (node, signing, dir)
}

/// The server's routing of document rows through the edXML node (notices dropped).
fn edxml_deliverer(
    app: &App,
    node: &Arc<cqdt_exchange::edxml_node::EdxmlNode>,
) -> cqdt_exchange::documents::ByTopic {
    use cqdt_app::documents::{TOPIC_REPLACED, TOPIC_SEND, TOPIC_STATUS};
    use cqdt_exchange::documents::{ByTopic, DocumentDeliverer};
    struct Sink;
    #[async_trait::async_trait]
    impl cqdt_app::outbox::Deliverer for Sink {
        async fn deliver(&self, _: &cqdt_app::store::OutboxMessage) -> Result<(), String> {
            Ok(())
        }
    }
    let documents = Arc::new(DocumentDeliverer::with_edxml(app.clone(), node.clone()));
    ByTopic::new(vec![
        (cqdt_app::outbox::TOPIC_NOTIFY, Arc::new(Sink)),
        (TOPIC_SEND, documents.clone()),
        (TOPIC_STATUS, documents.clone()),
        (TOPIC_REPLACED, documents),
    ])
}

fn xmlsec1_verify(ca_pem: &str, file: &std::path::Path, at: NaiveDateTime) -> Option<bool> {
    if std::process::Command::new("xmlsec1")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: xmlsec1 not installed");
        return None;
    }
    let ca = file.with_extension("ca.pem");
    std::fs::write(&ca, ca_pem).unwrap();
    // The certificates were made on the test's clock: verify at that time.
    let out = std::process::Command::new("xmlsec1")
        .args(["--verify", "--verification-time"])
        .arg(at.format("%Y-%m-%d %H:%M:%S").to_string())
        .arg("--trusted-pem")
        .arg(&ca)
        .arg(file)
        .output()
        .unwrap();
    eprintln!(
        "xmlsec1 --verify: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(out.status.success())
}

/// On-platform exchange through signed edXML: the deliverer builds the package, signs it with
/// the sending agency's key, and the receiver's side verifies it against the test CA, parses
/// it and registers it (subject, number, main file and both `.p7s` travel); statuses 01 and
/// 03 come back as signed status messages. The same signed package delivered twice stores one
/// document; a tampered copy or one signed by an untrusted CA is refused; a recipient served by
/// a peer without URL gets the package in the export folder, which `xmlsec1` verifies; the
/// inbox folder poller imports a package and moves a bad one to `failed/`.
#[tokio::test]
async fn edxml_exchange_through_the_deliverer() {
    use cqdt_domain::document::Direction;
    for db in each("documents_edxml").await {
        let w = world(&db).await;
        let (node, signing, dir) = edxml_node(&w, db.backend);
        // The app must know the peer's identifier to queue a send row for it.
        let mut config = (*w.app.config).clone();
        config.edxml_peers = node.peer_identifiers();
        let mut app = w.app.clone();
        app.config = Arc::new(config);
        let app = &app;
        let deliverer = edxml_deliverer(app, &node);
        app.dispatch_all(&deliverer).await.unwrap();
        let mut input = w.draft("cong_van", "Về việc liên thông văn bản điện tử edXML");
        input.urgency = Urgency::Urgent;
        input.attachments = vec![Upload::of_kind(
            cqdt_domain::files::FileKind::Working,
            "phu-luc.pdf",
            pdf("phụ lục"),
        )];
        input.recipients = vec![
            RecipientInput::Agency(w.city.id),
            RecipientInput::External {
                name: "Bộ Y tế".into(),
                identifier: Some("000.00.00.G16".into()),
            },
        ];
        let id = w.signed(input).await;
        let out = app.document_issue(&w.clerk, id, &FakeSigner).await.unwrap();
        let eid = out.edxml_document_id.clone().unwrap();
        let r = app.dispatch_all(&deliverer).await.unwrap();
        // Two sends (city, peer by export) and the city's status 01.
        assert_eq!(
            (r.delivered, r.retried, r.dead),
            (3, 0, 0),
            "{}",
            db.backend
        );
        let got = app
            .store
            .document_by_edxml(Direction::Incoming, Some(w.city.id), &eid)
            .await
            .unwrap()
            .expect("arrived in the city's inbox");
        assert_eq!(got.doc.state, DocState::Arrived);
        assert_eq!(got.doc.fields.subject, out.doc.fields.subject);
        assert_eq!(got.doc.fields.type_code, "cong_van");
        assert_eq!(got.doc.fields.urgency, Urgency::Urgent);
        assert_eq!(got.source_document_id, Some(out.id));
        let inc = got.doc.incoming.as_ref().unwrap();
        assert_eq!(
            inc.sender_number.as_deref(),
            Some(World::number(&out).as_str())
        );
        assert_eq!(inc.sender.identifier.as_deref(), Some("000.00.00.H53"));
        let files = app.store.document_files(got.id).await.unwrap();
        let mut kinds: Vec<(DocFileKind, String)> =
            files.iter().map(|f| (f.kind, f.name.clone())).collect();
        kinds.sort_by_key(|(k, n)| (k.as_str(), n.clone()));
        assert_eq!(
            kinds,
            vec![
                (DocFileKind::Attachment, "phu-luc.pdf".into()),
                (DocFileKind::Main, "van-ban-ban-hanh.pdf".into()),
            ],
            "{}",
            db.backend
        );
        // The receiver registers: status 03 goes back as a signed status message.
        app.document_register_arrived(&w.city_clerk, got.id, None)
            .await
            .unwrap();
        assert_eq!(app.dispatch_all(&deliverer).await.unwrap().delivered, 1);
        let statuses: Vec<Option<EdxmlStatus>> = app
            .store
            .document_events(out.id)
            .await
            .unwrap()
            .iter()
            .filter(|(_, e)| e.kind == EventKind::StatusReceived)
            .map(|(_, e)| e.status)
            .collect();
        assert_eq!(
            statuses,
            vec![Some(EdxmlStatus::Arrived), Some(EdxmlStatus::Registered)],
            "{}",
            db.backend
        );

        // The package as the sender writes it: delivered twice, one document.
        let bytes = node
            .package_for_agency(app, out.id, w.city.id)
            .await
            .unwrap();
        let first = node.receive_package(app, &bytes, None).await.unwrap();
        assert!(first.duplicate, "already delivered by the outbox");
        assert_eq!(first.document_id, got.id);
        let again = node.receive_package(app, &bytes, None).await.unwrap();
        assert_eq!(again.document_id, got.id);
        assert!(again.duplicate);
        // A new document would have a fresh id: both answers name the one delivered.
        // Tampered: one letter of the subject changed.
        let text = String::from_utf8(bytes.clone()).unwrap();
        let tampered = text.replacen("liên thông", "liên thôNg", 1);
        assert_ne!(tampered, text);
        let e = node
            .receive_package(app, tampered.as_bytes(), None)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::EdxmlSignatureInvalid, "{e:?}");
        // Signed by another CA's key (a second signing service): untrusted.
        let (other, _, _) = edxml_node(&w, "other");
        let foreign = other
            .package_for_agency(app, out.id, w.city.id)
            .await
            .unwrap();
        let e = node.receive_package(app, &foreign, None).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::EdxmlCertificateUntrusted, "{e:?}");

        // The peer's package, exported, verified by xmlsec1 against the test CA.
        let exported: Vec<_> = std::fs::read_dir(dir.join("export"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(exported.len(), 1, "{exported:?}");
        let ca_pem =
            cqdt_exchange::sign::certificate_pem(&signing.ca_certificate().unwrap()).unwrap();
        let now = local(2024, 3, 4, 8, 0);
        if let Some(ok) = xmlsec1_verify(&ca_pem, &exported[0], now) {
            assert!(ok, "xmlsec1 refused the exported package");
            let bad = dir.join("tampered.edxml");
            std::fs::write(&bad, tampered.as_bytes()).unwrap();
            assert_eq!(xmlsec1_verify(&ca_pem, &bad, now), Some(false));
        }
        let peer_pkg =
            cqdt_edxml::Package::from_xml(&std::fs::read(&exported[0]).unwrap()).unwrap();
        assert_eq!(peer_pkg.header.to[0].organ_id, "000.00.00.G16");
        assert_eq!(peer_pkg.header.document_id, eid);
        // The issued PDF (its signatures inside) and the attachment.
        assert_eq!(peer_pkg.attachments.len(), 2);

        // The inbox folder: a good package (to the city, fresh from another document) and a
        // hostile file.
        let mut input = w.draft("cong_van", "Văn bản qua thư mục liên thông");
        input.recipients = vec![RecipientInput::External {
            name: "UBND thành phố".into(),
            identifier: Some("000.00.20.H53".into()),
        }];
        let second = w.issued(input).await;
        let inbox = dir.join("inbox");
        std::fs::create_dir_all(&inbox).unwrap();
        let pkg2 = {
            // Address the signed package to the city by building it for the city directly.
            let rp = app
                .document_package_external(&Ctx::cli(), second.id, "000.00.20.H53")
                .await
                .unwrap();
            let p = cqdt_exchange::edxml_map::to_package(
                &rp,
                cqdt_exchange::edxml_map::organization("000.00.20.H53", "UBND thành phố"),
                "Tây Ninh",
                now,
            );
            let signer = signing
                .agency_xml_signer(&cqdt_exchange::signing::SigningAgency {
                    id: w.province.id.to_string(),
                    name: w.province.fields.name.clone(),
                    official_id: Some("000.00.00.H53".into()),
                })
                .unwrap();
            p.to_signed_xml(signer.as_ref()).unwrap()
        };
        std::fs::write(inbox.join("a.edxml"), &pkg2).unwrap();
        std::fs::write(
            inbox.join("b.edxml"),
            b"<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaa\">]><x>&a;</x>",
        )
        .unwrap();
        let (ok, failed) = node.poll_folder_once(app, 10).await.unwrap();
        assert_eq!((ok, failed), (1, 1), "{}", db.backend);
        assert!(inbox.join("processed/a.edxml").exists());
        let reason = std::fs::read_to_string(inbox.join("failed/b.edxml.reason.txt")).unwrap();
        assert!(reason.contains("edxml.malformed"), "{reason}");
        let arrived = app
            .store
            .document_by_edxml(
                Direction::Incoming,
                Some(w.city.id),
                second.edxml_document_id.as_deref().unwrap(),
            )
            .await
            .unwrap()
            .expect("imported from the folder");
        assert_eq!(arrived.doc.fields.subject, "Văn bản qua thư mục liên thông");
        let _ = std::fs::remove_dir_all(&dir);
        db.cleanup().await;
    }
}

/// An agency's documents by state (the worklist and the API list): newest first, drafts and a
/// secret document included, counts per state kept by the store as states change, keyset and
/// offset pages, the lead-person and drafter filters, one agency only, and the policy.
#[tokio::test]
async fn documents_by_state_lists_drafts_and_secret_documents() {
    use cqdt_app::documents::{StateQuery, state_direction};
    use cqdt_domain::document::Direction;
    for db in each("documents_by_state").await {
        let w = world(&db).await;
        let app = &w.app;
        let province = w.province.id;
        let mut ids = Vec::new();
        for (subject, secrecy) in [
            ("Về phòng, chống dịch", Secrecy::None),
            ("Về kế hoạch giao thông", Secrecy::None),
            ("Về công tác quốc phòng", Secrecy::Secret),
        ] {
            w.clock.advance_secs(60);
            let mut p = w.paper(subject, Urgency::Normal);
            p.secrecy = secrecy;
            ids.push(app.document_register_paper(&w.clerk, p).await.unwrap().id);
        }
        let (a, b, secret) = (ids[0], ids[1], ids[2]);
        w.clock.advance_secs(60);
        let d1 = app
            .document_draft_create(&w.specialist, w.draft("cong_van", "Dự thảo thứ nhất"))
            .await
            .unwrap()
            .id;
        w.clock.advance_secs(60);
        let d2 = app
            .document_draft_create(&w.specialist, w.draft("cong_van", "Dự thảo thứ hai"))
            .await
            .unwrap()
            .id;
        app.document_submit_review(&w.specialist, d2).await.unwrap();
        // Another agency's document is not listed.
        w.clock.advance_secs(60);
        let mut other = w.paper("Văn bản của thành phố", Urgency::Normal);
        other.agency_id = w.city.id;
        app.document_register_paper(&w.city_clerk, other)
            .await
            .unwrap();

        let q = |states: &[DocState]| StateQuery::new(province, states, 50);
        let ids_of = |p: &cqdt_app::documents::StatePage| -> Vec<DocumentId> {
            p.items.iter().map(|r| r.id).collect()
        };
        let reg = app
            .documents_by_state(&w.viewer, &q(&[DocState::Registered]))
            .await
            .unwrap();
        assert_eq!(
            ids_of(&reg),
            vec![secret, b, a],
            "{}: newest first, the secret one too",
            db.backend
        );
        assert_eq!(reg.total, 3);
        assert_eq!(reg.next, None);
        let count = |p: &cqdt_app::documents::StatePage, s: DocState| {
            p.counts
                .iter()
                .find(|(x, _)| *x == s)
                .map_or(0, |(_, n)| *n)
        };
        assert_eq!(count(&reg, DocState::Registered), 3);
        assert_eq!(count(&reg, DocState::Draft), 1);
        assert_eq!(count(&reg, DocState::InReview), 1);
        assert_eq!(count(&reg, DocState::Arrived), 0);

        // Outgoing: drafts are listed; every outgoing state when none is named.
        let mut out = q(&[]);
        out.direction = Some(Direction::Outgoing);
        let out = app.documents_by_state(&w.leader, &out).await.unwrap();
        assert_eq!(ids_of(&out), vec![d2, d1], "{}", db.backend);
        assert_eq!(out.total, 2);
        assert!(
            out.counts
                .iter()
                .all(|(s, _)| state_direction(*s) == Direction::Outgoing)
        );
        let all = app.documents_by_state(&w.leader, &q(&[])).await.unwrap();
        assert_eq!(ids_of(&all), vec![d2, d1, secret, b, a]);
        assert_eq!(all.total, 5);
        // A state of the other direction lists nothing.
        let mut none = q(&[DocState::Draft]);
        none.direction = Some(Direction::Incoming);
        assert_eq!(
            app.documents_by_state(&w.leader, &none)
                .await
                .unwrap()
                .total,
            0
        );

        // The drafter's own drafts.
        let mut mine = q(&[DocState::Draft, DocState::InReview]);
        mine.created_by = w.specialist.actor.user_id();
        let p = app.documents_by_state(&w.specialist, &mine).await.unwrap();
        assert_eq!((ids_of(&p), p.total), (vec![d2, d1], 2));
        mine.created_by = w.leader.actor.user_id();
        let p = app.documents_by_state(&w.specialist, &mine).await.unwrap();
        assert_eq!((p.items.len(), p.total), (0, 0));

        // Keyset pages of two, then offset pages.
        let mut page = q(&[]);
        page.limit = Some(2);
        let mut seen = Vec::new();
        loop {
            let p = app.documents_by_state(&w.leader, &page).await.unwrap();
            assert_eq!(p.total, 5);
            seen.extend(ids_of(&p));
            match p.next {
                Some(c) => page.after = Some(c),
                None => break,
            }
        }
        assert_eq!(
            seen,
            vec![d2, d1, secret, b, a],
            "{}: keyset pages",
            db.backend
        );
        let mut off = q(&[]);
        off.limit = Some(2);
        off.offset = Some(3);
        let p = app.documents_by_state(&w.leader, &off).await.unwrap();
        assert_eq!(ids_of(&p), vec![b, a]);
        assert_eq!(p.next, None);

        // Assigning moves a document between states: counts and the lead filter follow.
        let specialist_id = w.specialist.actor.user_id();
        app.document_assign(
            &w.leader,
            a,
            AssignInput {
                lead_person: specialist_id,
                days: Some(5),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let mut handle = q(&[DocState::Assigned, DocState::InProgress]);
        handle.lead_person = specialist_id;
        let p = app
            .documents_by_state(&w.specialist, &handle)
            .await
            .unwrap();
        assert_eq!((ids_of(&p), p.total), (vec![a], 1), "{}", db.backend);
        assert_eq!(count(&p, DocState::Registered), 2);
        assert_eq!(count(&p, DocState::Assigned), 1);
        handle.lead_person = w.leader.actor.user_id();
        assert_eq!(
            app.documents_by_state(&w.leader, &handle)
                .await
                .unwrap()
                .total,
            0
        );

        // The city's clerk may not list the province's documents; the city's are its own.
        let e = app
            .documents_by_state(&w.city_clerk, &q(&[DocState::Registered]))
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden);
        let city = app
            .documents_by_state(&w.city_clerk, &StateQuery::new(w.city.id, &[], 50))
            .await
            .unwrap();
        assert_eq!(city.total, 1);
        assert_eq!(city.items[0].doc.fields.subject, "Văn bản của thành phố");
        db.cleanup().await;
    }
}

/// A PDF from `cqdt-outputs` (embedded fonts, ToUnicode CMaps) whose table says `subject`.
fn register_pdf(subject: &str) -> Vec<u8> {
    let d = day(2024, 3, 1);
    cqdt_outputs::IncomingRegister {
        header: cqdt_outputs::RegisterHeader {
            parent: None,
            agency: "Sở Y tế".into(),
            year: 2024,
            series: None,
            volume: None,
            numbers: None,
            period: None,
            printed_on: d,
        },
        entries: vec![cqdt_outputs::IncomingEntry {
            received_on: d,
            number: "7".into(),
            author: "Bộ Y tế".into(),
            notation: None,
            dated: None,
            type_name: "Kế hoạch".into(),
            subject: subject.into(),
            recipient: None,
            transferred_on: None,
            signed_for: None,
            urgency: None,
            secrecy: None,
            note: None,
        }],
    }
    .render_pdf()
    .unwrap()
}

/// Words that appear only inside an uploaded PDF are found by search, diacritics ignored: a
/// paper document's scan and a draft's main file and attachment; a secret document's PDF is
/// not indexed; a PDF without text changes nothing.
#[tokio::test]
async fn search_finds_words_inside_pdfs() {
    use cqdt_app::documents::TextExtractor;
    for db in each("documents_pdf_search").await {
        let mut w = world(&db).await;
        w.app = w
            .app
            .clone()
            .with_text_extractor(Arc::new(cqdt_exchange::pdf_text::PdfText::default()));
        let app = &w.app;
        let mut p = w.paper("Về việc báo cáo tháng", Urgency::Normal);
        p.scans = vec![Upload::of_kind(
            cqdt_domain::files::FileKind::Working,
            "ke-hoach.pdf",
            register_pdf("Triển khai công tác phòng, chống dịch sốt xuất huyết"),
        )];
        let paper = app.document_register_paper(&w.clerk, p).await.unwrap();
        let files = app.store.document_files(paper.id).await.unwrap();
        assert!(
            files[0]
                .text
                .as_deref()
                .unwrap()
                .contains("phòng, chống dịch sốt xuất huyết"),
            "{:?}",
            files[0].text
        );
        let mut d = w.draft("cong_van", "Về việc trả lời");
        d.attachments = vec![Upload::of_kind(
            cqdt_domain::files::FileKind::Working,
            "phu-luc.pdf",
            register_pdf("Danh sách trường học vùng biên giới"),
        )];
        let draft = app.document_draft_create(&w.specialist, d).await.unwrap();
        let mut s = w.paper("Về việc mật", Urgency::Normal);
        s.secrecy = Secrecy::Secret;
        s.scans = vec![Upload::of_kind(
            cqdt_domain::files::FileKind::Working,
            "mat.pdf",
            register_pdf("Phòng chống dịch trong vùng biên giới"),
        )];
        app.document_register_paper(&w.clerk, s).await.unwrap();
        let wr = &w;
        let found = |q: &'static str| async move {
            wr.app
                .documents_search(&wr.viewer, wr.province.id, q, None)
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            found("phong chong dich").await,
            vec![paper.id],
            "{}",
            db.backend
        );
        assert_eq!(found("SOT XUAT HUY").await, vec![paper.id]);
        assert_eq!(found("truong hoc vung bien gioi").await, vec![draft.id]);
        assert_eq!(
            found("bien gioi").await,
            vec![draft.id],
            "the secret one is not indexed"
        );
        assert!(found("phong chong dich bien").await.is_empty());
        // The extractor really ran: the fake PDFs of other tests have no text.
        assert_eq!(
            cqdt_exchange::pdf_text::PdfText::default().extract("pdf", &pdf("x")),
            None
        );
        db.cleanup().await;
    }
}

/// Search walks one posting list newest first and probes the others (migration 0010): each
/// way of choosing the list gives the same answer as "every word, newest first" computed here
/// from what was registered — the rarest word, the prefix of the last word, the agency's
/// subtree — and a page stops at its limit. The register's pages and its kept length agree
/// with the registrations.
#[tokio::test]
async fn search_plans_and_register_pages_agree_with_the_registrations() {
    for db in each("documents_search_plans").await {
        let w = world(&db).await;
        let app = &w.app;
        // 30 in the province's register, 6 in the city's (the city is in the province's
        // subtree); every subject says "kế hoạch"; "thủy điện" is in two of the province's.
        let mut province = Vec::new();
        let mut city = Vec::new();
        for i in 0..36u32 {
            w.set(local(2024, 3, 4, 8, 0) + chrono::Duration::minutes(i64::from(i)));
            let in_city = i % 6 == 5;
            let subject = match i {
                3 | 16 => format!("Về kế hoạch xây dựng thủy điện, điều tiết nước đợt {i}"),
                _ if in_city => format!("Về kế hoạch chỉnh trang đô thị thành phố đợt {i}"),
                _ => format!("Về kế hoạch giao thông nông thôn đợt {i}"),
            };
            let mut p = w.paper(&subject, Urgency::Normal);
            let who = if in_city {
                p.agency_id = w.city.id;
                &w.city_clerk
            } else {
                &w.clerk
            };
            let d = app.document_register_paper(who, p).await.unwrap();
            if in_city {
                city.push(d.id)
            } else {
                province.push(d.id)
            }
        }
        let newest_first = |ids: &[DocumentId]| ids.iter().rev().copied().collect::<Vec<_>>();
        let all: Vec<DocumentId> = {
            let mut v = Vec::new();
            for i in 0..36usize {
                // Registration order interleaves the two agencies.
                let k = i / 6;
                v.push(if i % 6 == 5 {
                    city[k]
                } else {
                    province[k * 5 + i % 6]
                });
            }
            newest_first(&v)
        };
        let find = |ctx: Ctx, agency, q: &'static str, limit| {
            let app = app.clone();
            async move {
                app.documents_search(&ctx, agency, q, Some(limit))
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|r| r.id)
                    .collect::<Vec<_>>()
            }
        };
        let hydro = vec![province[14], province[3]];
        let b = &db.backend;
        // The prefix ("dien", "dieu") is the shortest list: it is walked.
        assert_eq!(
            find(w.clerk.clone(), w.province.id, "ke hoach die", 20).await,
            hydro,
            "{b}"
        );
        // A prefix that is one word only is that word.
        assert_eq!(
            find(w.clerk.clone(), w.province.id, "ke hoach thuy", 20).await,
            hydro,
            "{b}"
        );
        // A rare whole word is walked, the prefix probed.
        assert_eq!(
            find(w.clerk.clone(), w.province.id, "thuy dien ke hoa", 20).await,
            hydro,
            "{b}"
        );
        // A common word alone, cut at the limit: the newest five of the whole subtree.
        assert_eq!(
            find(w.clerk.clone(), w.province.id, "ke hoach", 5).await,
            all[..5],
            "{b}"
        );
        assert_eq!(
            find(w.clerk.clone(), w.province.id, "ke hoach", 50).await,
            all,
            "{b}"
        );
        // The city's subtree is the shortest list: walked, the words probed.
        assert_eq!(
            find(w.city_clerk.clone(), w.city.id, "ke hoach", 50).await,
            newest_first(&city),
            "{b}"
        );
        assert_eq!(
            find(w.city_clerk.clone(), w.city.id, "ke hoach thuy", 50).await,
            vec![],
            "{b}"
        );
        // Words of different documents: nothing; an unknown prefix: nothing.
        assert_eq!(
            find(w.clerk.clone(), w.province.id, "thuy dien nong thon", 50).await,
            vec![],
            "{b}"
        );
        assert_eq!(
            find(w.clerk.clone(), w.province.id, "ke hoach zzq", 50).await,
            vec![],
            "{b}"
        );

        // The province's incoming register: 30 long, pages newest first by arrival.
        let page = |offset, limit| {
            let app = app.clone();
            let ctx = w.clerk.clone();
            let agency = w.province.id;
            async move {
                app.document_register(
                    &ctx,
                    &RegisterQuery {
                        agency_id: agency,
                        book: Book::Incoming,
                        year: 2024,
                        limit: Some(limit),
                        offset: Some(offset),
                    },
                )
                .await
                .unwrap()
            }
        };
        let mut seen = Vec::new();
        for offset in [0, 7, 14, 21, 28] {
            let p = page(offset, 7).await;
            assert_eq!(p.total, 30, "{b}");
            seen.extend(p.items.iter().map(|r| r.id));
        }
        assert_eq!(seen, newest_first(&province), "{b}");
        assert!(page(30, 7).await.items.is_empty(), "{b}");
        db.cleanup().await;
    }
}

/// The follow-ups of QCVN 102:2016 between two agencies of the platform, every message a
/// signed edXML package or status that the receiving side verifies and parses:
/// - recall (status 13): the city refuses with a reason (16 back, the reason on the sender's
///   event), a second recall is agreed (15 back) and the copy is withdrawn; answering twice is
///   an illegal transition;
/// - revocation (BussinessDocType 1, leader only): the copy is withdrawn with the reason, 15
///   back; the package says type 1 with its reason and `xmlsec1` verifies it;
/// - replacement (3): a draft naming an issued document replaces it on issue; the old one is
///   marked replaced (outbox `document.replaced`), the city gets the new document linked to
///   its old copy, which is withdrawn; the package's ReplacementInfo names the old DocumentId
///   and the city; a draft cannot replace a document that is not issued;
/// - update (2), as another system sends it: the copy waits for the clerk; agreed, it takes
///   the new subject and number, and 15 goes back; then the sender's leader corrects the
///   subject itself (the number stays), the update package goes out and the city refuses it
///   (16 with the reason), keeping its metadata.
#[tokio::test]
async fn edxml_recall_revoke_replace_update() {
    use cqdt_app::documents::PackageBusiness;
    use cqdt_domain::document::{Direction, RequestKind, WithdrawalKind};
    for db in each("documents_followups").await {
        let w = world(&db).await;
        let (node, signing, dir) = edxml_node(&w, db.backend);
        let app = &w.app;
        let deliverer = edxml_deliverer(app, &node);
        app.dispatch_all(&deliverer).await.unwrap();
        let dispatch = || async {
            let r = app.dispatch_all(&deliverer).await.unwrap();
            assert_eq!((r.retried, r.dead), (0, 0), "{}", db.backend);
            r.delivered
        };
        let copy_of = |eid: String| async move {
            app.store
                .document_by_edxml(Direction::Incoming, Some(w.city.id), &eid)
                .await
                .unwrap()
                .expect("the city's copy")
        };
        // The statuses the city reported on a sender's document: (code, note).
        let reported = |id: DocumentId| async move {
            app.store
                .document_events(id)
                .await
                .unwrap()
                .into_iter()
                .filter(|(_, e)| e.kind == EventKind::StatusReceived)
                .map(|(_, e)| (e.status.map(|s| s.code()).unwrap_or(0), e.note))
                .collect::<Vec<_>>()
        };
        let to_city = |subject: &str| {
            let mut input = w.draft("cong_van", subject);
            input.recipients = vec![RecipientInput::Agency(w.city.id)];
            input
        };
        let ca_pem =
            cqdt_exchange::sign::certificate_pem(&signing.ca_certificate().unwrap()).unwrap();
        let now = local(2024, 3, 4, 8, 0);

        // 1. Recall: refused, then agreed.
        let a = w.issued(to_city("Về việc gửi nhầm nơi nhận")).await;
        let a_eid = a.edxml_document_id.clone().unwrap();
        dispatch().await;
        let copy = copy_of(a_eid.clone()).await;
        app.document_register_arrived(&w.city_clerk, copy.id, None)
            .await
            .unwrap();
        dispatch().await;
        let e = app
            .document_request_recall(&w.clerk, a.id, "  ")
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::DocumentReasonRequired);
        let e = app
            .document_request_recall(&w.city_clerk, a.id, "Gửi nhầm")
            .await
            .unwrap_err();
        assert!(
            matches!(e.code, ErrorCode::Forbidden | ErrorCode::DocumentNotFound),
            "{e:?}"
        );
        app.document_request_recall(&w.clerk, a.id, "Gửi nhầm nơi nhận")
            .await
            .unwrap();
        assert_eq!(dispatch().await, 1, "the 13 to the city");
        let copy = copy_of(a_eid.clone()).await;
        let req = copy.doc.incoming.as_ref().unwrap().request.clone().unwrap();
        assert_eq!(
            (req.kind, req.reason.as_str()),
            (RequestKind::Recall, "Gửi nhầm nơi nhận")
        );
        // The city clerk's worklist group (migration 0012's index).
        let (waiting, n) = app
            .documents_awaiting_answer(&w.city_clerk, w.city.id, 10)
            .await
            .unwrap();
        assert_eq!(
            (waiting.iter().map(|r| r.id).collect::<Vec<_>>(), n),
            (vec![copy.id], 1)
        );
        let e = app
            .documents_awaiting_answer(&w.specialist, w.city.id, 10)
            .await
            .unwrap_err();
        assert!(
            matches!(e.code, ErrorCode::Forbidden | ErrorCode::DocumentNotFound),
            "{e:?}"
        );
        assert_eq!(copy.doc.state, DocState::Registered);
        let e = app
            .document_answer_request(&w.city_clerk, copy.id, false, Some(" "))
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::DocumentReasonRequired);
        let copy = app
            .document_answer_request(&w.city_clerk, copy.id, false, Some("Đã phân công xử lý"))
            .await
            .unwrap();
        assert_eq!(copy.doc.state, DocState::Registered);
        assert!(copy.doc.incoming.as_ref().unwrap().request.is_none());
        let (waiting, n) = app
            .documents_awaiting_answer(&w.city_clerk, w.city.id, 10)
            .await
            .unwrap();
        assert!(waiting.is_empty() && n == 0, "answered: off the list");
        assert_eq!(dispatch().await, 1, "the 16 back");
        app.document_request_recall(&w.clerk, a.id, "Sai nơi nhận, đề nghị trả lại")
            .await
            .unwrap();
        dispatch().await;
        let copy = app
            .document_answer_request(&w.city_clerk, copy_of(a_eid.clone()).await.id, true, None)
            .await
            .unwrap();
        assert_eq!(copy.doc.state, DocState::Withdrawn);
        let wd = copy
            .doc
            .incoming
            .as_ref()
            .unwrap()
            .withdrawal
            .clone()
            .unwrap();
        assert_eq!(
            (wd.kind, wd.reason.as_str()),
            (WithdrawalKind::Recall, "Sai nơi nhận, đề nghị trả lại")
        );
        assert_eq!(copy.doc.edxml_status().map(|s| s.code()), Some(15));
        dispatch().await;
        let e = app
            .document_answer_request(&w.city_clerk, copy.id, true, None)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::DocumentIllegalTransition);
        assert_eq!(
            reported(a.id).await,
            // Without a reason of their own, statuses carry the standard's description.
            vec![
                (1, Some("Đã đến".into())),
                (3, Some("Tiếp nhận, vào sổ văn bản đến".into())),
                (16, Some("Đã phân công xử lý".into())),
                (15, Some("Đồng ý yêu cầu cập nhật / lấy lại".into())),
            ],
            "{}",
            db.backend
        );
        let sender = app.store.document_get(a.id).await.unwrap().unwrap();
        assert_eq!(
            sender.doc.state,
            DocState::Issued,
            "a recall leaves the issued document"
        );
        let recalls = app
            .store
            .document_events(a.id)
            .await
            .unwrap()
            .iter()
            .filter(|(_, e)| e.kind == EventKind::RecallRequested)
            .count();
        assert_eq!(recalls, 2);

        // 2. Revocation (a leader's decision).
        let b = w.issued(to_city("Về việc tổ chức hội nghị (đã hủy)")).await;
        let b_eid = b.edxml_document_id.clone().unwrap();
        dispatch().await;
        let e = app
            .document_revoke(&w.clerk, b.id, "Hội nghị đã hủy")
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden);
        let revoked = app
            .document_revoke(&w.leader, b.id, "Hội nghị đã hủy")
            .await
            .unwrap();
        assert_eq!(revoked.doc.state, DocState::Revoked);
        let bytes = node.package_for_agency(app, b.id, w.city.id).await.unwrap();
        let pkg = cqdt_edxml::Package::from_xml(&bytes).unwrap();
        let bz = pkg.trace.bussiness.clone().unwrap();
        assert_eq!(
            (bz.doc_type, bz.reason.as_str()),
            (cqdt_edxml::BussinessDocType::Revoke, "Hội nghị đã hủy")
        );
        assert_eq!(pkg.header.document_id, b_eid);
        let file = dir.join("revoke.edxml");
        std::fs::write(&file, &bytes).unwrap();
        if let Some(ok) = xmlsec1_verify(&ca_pem, &file, now) {
            assert!(ok, "xmlsec1 refused the revocation package");
        }
        assert_eq!(dispatch().await, 2, "the revocation, then 15 back");
        let copy = copy_of(b_eid.clone()).await;
        assert_eq!(copy.doc.state, DocState::Withdrawn);
        let wd = copy
            .doc
            .incoming
            .as_ref()
            .unwrap()
            .withdrawal
            .clone()
            .unwrap();
        assert_eq!(
            (wd.kind, wd.reason.as_str()),
            (WithdrawalKind::Revoke, "Hội nghị đã hủy")
        );
        assert_eq!(reported(b.id).await.last().map(|x| x.0), Some(15));
        // Delivered again: nothing changes.
        node.receive_package(app, &bytes, None).await.unwrap();
        assert_eq!(copy_of(b_eid.clone()).await.version, copy.version);
        let e = app
            .document_revoke(&w.leader, b.id, "lần hai")
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::DocumentIllegalTransition);

        // 3. Replacement.
        let c = w
            .issued(to_city("Về kế hoạch tiêm chủng (có sai sót)"))
            .await;
        let c_eid = c.edxml_document_id.clone().unwrap();
        dispatch().await;
        let old_copy = copy_of(c_eid.clone()).await;
        let draft = app
            .document_draft_create(&w.specialist, w.draft("cong_van", "Dự thảo"))
            .await
            .unwrap();
        let mut bad = to_city("Thay thế một dự thảo");
        bad.replaces = Some(draft.id);
        let e = app
            .document_draft_create(&w.specialist, bad)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::DocumentInvalidReplacement);
        let mut input = to_city("Về kế hoạch tiêm chủng (thay thế)");
        input.replaces = Some(c.id);
        let d = w.issued(input).await;
        let d_eid = d.edxml_document_id.clone().unwrap();
        let bytes = node.package_for_agency(app, d.id, w.city.id).await.unwrap();
        let pkg = cqdt_edxml::Package::from_xml(&bytes).unwrap();
        let bz = pkg.trace.bussiness.clone().unwrap();
        assert_eq!(bz.doc_type, cqdt_edxml::BussinessDocType::Replace);
        assert_eq!(bz.replacement_info.len(), 1);
        assert_eq!(bz.replacement_info[0].document_id, c_eid);
        assert_eq!(
            bz.replacement_info[0].organ_ids,
            vec!["000.00.20.H53".to_string()]
        );
        let file = dir.join("replace.edxml");
        std::fs::write(&file, &bytes).unwrap();
        if let Some(ok) = xmlsec1_verify(&ca_pem, &file, now) {
            assert!(ok, "xmlsec1 refused the replacement package");
        }
        dispatch().await;
        let c_now = app.store.document_get(c.id).await.unwrap().unwrap();
        assert_eq!(c_now.doc.state, DocState::Revoked);
        let rv = c_now
            .doc
            .outgoing
            .as_ref()
            .unwrap()
            .revocation
            .clone()
            .unwrap();
        assert_eq!(
            (rv.kind, rv.replaced_by),
            (WithdrawalKind::Replace, Some(d.id))
        );
        let new_copy = copy_of(d_eid.clone()).await;
        assert_eq!(new_copy.doc.state, DocState::Arrived);
        assert_eq!(
            new_copy.doc.incoming.as_ref().unwrap().replaces,
            Some(old_copy.id)
        );
        let old_now = app.store.document_get(old_copy.id).await.unwrap().unwrap();
        assert_eq!(old_now.doc.state, DocState::Withdrawn);
        let wd = old_now
            .doc
            .incoming
            .as_ref()
            .unwrap()
            .withdrawal
            .clone()
            .unwrap();
        assert_eq!(
            (wd.kind, wd.replaced_by),
            (WithdrawalKind::Replace, Some(new_copy.id))
        );
        assert!(wd.reason.contains(&World::number(&d)), "{}", wd.reason);

        // 4. An update, as another system would send it.
        let e_doc = w.issued(to_city("Về việc báo cáo số liệu quý I")).await;
        let e_eid = e_doc.edxml_document_id.clone().unwrap();
        dispatch().await;
        let mut rp = app
            .document_package(&Ctx::cli(), e_doc.id, w.city.id)
            .await
            .unwrap();
        rp.subject = "Về việc báo cáo số liệu quý I năm 2024 (đính chính)".into();
        rp.business = PackageBusiness::Update {
            reason: "Đính chính trích yếu".into(),
        };
        let p = cqdt_exchange::edxml_map::to_package(
            &rp,
            cqdt_exchange::edxml_map::organization("000.00.20.H53", "UBND thành phố"),
            "Tây Ninh",
            now,
        );
        let signer = signing
            .agency_xml_signer(&cqdt_exchange::signing::SigningAgency {
                id: w.province.id.to_string(),
                name: w.province.fields.name.clone(),
                official_id: Some("000.00.00.H53".into()),
            })
            .unwrap();
        let bytes = p.to_signed_xml(signer.as_ref()).unwrap();
        node.receive_package(app, &bytes, None).await.unwrap();
        let copy = copy_of(e_eid.clone()).await;
        let req = copy.doc.incoming.as_ref().unwrap().request.clone().unwrap();
        assert_eq!(req.kind, RequestKind::Update);
        assert_eq!(
            copy.doc.fields.subject, "Về việc báo cáo số liệu quý I",
            "not yet"
        );
        // The same update again changes nothing.
        node.receive_package(app, &bytes, None).await.unwrap();
        assert_eq!(copy_of(e_eid.clone()).await.version, copy.version);
        let copy = app
            .document_answer_request(&w.city_clerk, copy.id, true, None)
            .await
            .unwrap();
        assert_eq!(
            copy.doc.fields.subject,
            "Về việc báo cáo số liệu quý I năm 2024 (đính chính)"
        );
        assert_eq!(
            copy.doc.state,
            DocState::Arrived,
            "an update keeps the state"
        );
        dispatch().await;
        assert_eq!(reported(e_doc.id).await.last().map(|x| x.0), Some(15));
        // The sender corrects the subject itself (leader): an update package; the city
        // refuses it this time (16 with the reason).
        let correction = |subject: &str, reason: &str| cqdt_app::documents::CorrectionInput {
            subject: subject.into(),
            signer: None,
            urgency: None,
            reason: reason.into(),
        };
        let e = app
            .document_correct(&w.clerk, e_doc.id, correction("Khác", "Đính chính"))
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden);
        let e = app
            .document_correct(&w.leader, e_doc.id, correction("Khác", " "))
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::DocumentReasonRequired);
        let corrected = app
            .document_correct(
                &w.leader,
                e_doc.id,
                correction("Về việc báo cáo số liệu quý II", "Sai quý"),
            )
            .await
            .unwrap();
        assert_eq!(corrected.doc.state, DocState::Issued);
        assert_eq!(
            corrected.doc.fields.subject,
            "Về việc báo cáo số liệu quý II"
        );
        assert_eq!(
            World::number(&corrected),
            World::number(&e_doc),
            "the number stays"
        );
        let bytes = node
            .package_for_agency(app, e_doc.id, w.city.id)
            .await
            .unwrap();
        let pkg = cqdt_edxml::Package::from_xml(&bytes).unwrap();
        let bz = pkg.trace.bussiness.clone().unwrap();
        assert_eq!(
            (bz.doc_type, bz.reason.as_str()),
            (cqdt_edxml::BussinessDocType::Update, "Sai quý")
        );
        assert_eq!(dispatch().await, 1, "the update package");
        let copy = copy_of(e_eid.clone()).await;
        let req = copy.doc.incoming.as_ref().unwrap().request.clone().unwrap();
        assert_eq!(
            req.update.as_ref().map(|u| u.fields.subject.as_str()),
            Some("Về việc báo cáo số liệu quý II")
        );
        app.document_answer_request(
            &w.city_clerk,
            copy.id,
            false,
            Some("Số liệu đã gửi theo quý I"),
        )
        .await
        .unwrap();
        dispatch().await;
        assert_eq!(
            reported(e_doc.id).await.last().cloned(),
            Some((16, Some("Số liệu đã gửi theo quý I".into())))
        );
        assert_eq!(
            copy_of(e_eid.clone()).await.doc.fields.subject,
            "Về việc báo cáo số liệu quý I năm 2024 (đính chính)",
            "refused: the copy keeps its metadata"
        );
        let _ = std::fs::remove_dir_all(&dir);
        db.cleanup().await;
    }
}

/// Secret documents: the clerk and the leader read them; a specialist sees a secret document
/// in lists with its subject withheld and may not open it until the leader makes them its lead
/// person; a province viewer never reads it; search never finds it; an ordinary document is
/// unaffected.
#[tokio::test]
async fn secret_documents_are_read_only_by_those_entitled() {
    use cqdt_app::documents::{SECRET_SUBJECT, StateQuery};
    for db in each("documents_secret").await {
        let w = world(&db).await;
        let app = &w.app;
        let mut p = w.paper(
            "Về công tác bảo vệ bí mật nhà nước năm 2024",
            Urgency::Normal,
        );
        p.secrecy = Secrecy::TopSecret;
        let secret = app.document_register_paper(&w.clerk, p).await.unwrap();
        let normal = app
            .document_register_paper(&w.clerk, w.paper("Về lịch tiếp công dân", Urgency::Normal))
            .await
            .unwrap();
        let subjects = |ctx: Ctx| async move {
            let page = app
                .documents_by_state(&ctx, &StateQuery::new(w.province.id, &[], 50))
                .await
                .unwrap();
            let mut v: Vec<String> = page
                .items
                .iter()
                .map(|r| r.doc.fields.subject.clone())
                .collect();
            v.sort();
            v
        };
        let clear = vec![
            "Về công tác bảo vệ bí mật nhà nước năm 2024".to_string(),
            "Về lịch tiếp công dân".to_string(),
        ];
        let hidden = vec![
            SECRET_SUBJECT.to_string(),
            "Về lịch tiếp công dân".to_string(),
        ];
        assert_eq!(subjects(w.clerk.clone()).await, clear, "{}", db.backend);
        assert_eq!(subjects(w.leader.clone()).await, clear);
        assert_eq!(subjects(w.specialist.clone()).await, hidden);
        assert_eq!(subjects(w.viewer.clone()).await, hidden);
        let e = app
            .document_view(&w.specialist, secret.id)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::DocumentSecret);
        let e = app.document_view(&w.viewer, secret.id).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::DocumentSecret);
        let main = app.store.document_files(secret.id).await.unwrap()[0].id;
        let e = app
            .document_file_content(&w.specialist, secret.id, main)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::DocumentSecret);
        app.document_view(&w.specialist, normal.id).await.unwrap();
        // The register page too.
        let reg = app
            .document_register(
                &w.viewer,
                &RegisterQuery {
                    agency_id: w.province.id,
                    book: Book::Incoming,
                    year: 2024,
                    limit: None,
                    offset: None,
                },
            )
            .await
            .unwrap();
        assert!(
            reg.items
                .iter()
                .any(|r| r.subject == SECRET_SUBJECT && r.secrecy == Secrecy::TopSecret)
        );
        // Search does not index it.
        let found = app
            .documents_search(&w.clerk, w.province.id, "bi mat nha nuoc", None)
            .await
            .unwrap();
        assert!(found.is_empty(), "{found:?}");
        // The leader assigns it to the specialist, who may then read it.
        app.document_assign(
            &w.leader,
            secret.id,
            AssignInput {
                lead_person: w.specialist.actor.user_id(),
                days: Some(5),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let v = app.document_view(&w.specialist, secret.id).await.unwrap();
        assert_eq!(
            v.record.doc.fields.subject,
            "Về công tác bảo vệ bí mật nhà nước năm 2024"
        );
        assert_eq!(subjects(w.specialist.clone()).await, clear);
        assert_eq!(subjects(w.viewer.clone()).await, hidden);
        // A secret outgoing document (never exchanged) can still be corrected and revoked;
        // a draft cannot be revoked.
        let mut input = w.draft("cong_van", "Về phương án bảo vệ mục tiêu");
        input.secrecy = Secrecy::Secret;
        let issued = w.issued(input).await;
        assert!(issued.edxml_document_id.is_none());
        let fixed = app
            .document_correct(
                &w.leader,
                issued.id,
                cqdt_app::documents::CorrectionInput {
                    subject: "Về phương án bảo vệ mục tiêu trọng điểm".into(),
                    signer: None,
                    urgency: None,
                    reason: "Đính chính trích yếu".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(fixed.doc.fields.secrecy, Secrecy::Secret);
        let revoked = app
            .document_revoke(&w.leader, issued.id, "Không còn hiệu lực")
            .await
            .unwrap();
        assert_eq!(revoked.doc.state, DocState::Revoked);
        let draft = app
            .document_draft_create(&w.specialist, w.draft("cong_van", "Dự thảo"))
            .await
            .unwrap();
        let e = app
            .document_revoke(&w.leader, draft.id, "Thử")
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::DocumentIllegalTransition);
        db.cleanup().await;
    }
}
