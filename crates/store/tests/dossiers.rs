//! Use cases of the procedure catalogue and of dossiers, on SQLite and on PostgreSQL (when
//! TEST_DATABASE_URL is set): the full desk flow with its dates and national statuses, the
//! authorization refusals, lookup without login, worklists and Biểu II.06a.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use chrono::{NaiveDate, NaiveDateTime};
use cqdt_app::accounts::{RegisterInput, StaffInput};
use cqdt_app::audit::VerifyOutcome;
use cqdt_app::dossiers::{
    ApplicantInput, DeskReception, DossierAction, OnlineSubmission, Queue, WorklistQuery,
};
use cqdt_app::files::Upload;
use cqdt_app::ports::{FakeClock, FakeIds};
use cqdt_app::procedures::ProcedureQuery;
use cqdt_app::{App, AppConfig, Ctx};
use cqdt_domain::ErrorCode;
use cqdt_domain::agency::Agency;
use cqdt_domain::calendar::{Timeliness, from_local};
use cqdt_domain::dossier::{
    Channel, DossierState, Evaluation, EventKind, NationalStatus, ReportPeriod, ReturnMethod,
    Satisfaction, StateName, ii06a_by_field,
};
use cqdt_domain::ids::{DossierId, ProcedureId};
use cqdt_store::testing::TestDb;

const FIXTURE: &str = include_str!("fixtures/procedures.json");
const CITIZEN_ID: &str = "072190000001";

fn local(y: i32, m: u32, d: u32, h: u32, mi: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(h, mi, 0)
        .unwrap()
}

fn us(t: NaiveDateTime) -> i64 {
    from_local(t).timestamp_micros()
}

struct World {
    app: App,
    clock: Arc<FakeClock>,
    desk: Ctx,
    specialist: Ctx,
    leader: Ctx,
    citizen: Ctx,
    other_citizen: Ctx,
    other_desk: Ctx,
    statistics: Ctx,
    city: Agency,
    /// 9.900002: 3 working days, route desk ½ + specialist 1 + leader ½ + specialist ½ +
    /// desk ½, level 3, at UBND thành phố Tây Ninh.
    business: ProcedureId,
    /// 9.900003: level 2 (not online), within the day.
    certification: ProcedureId,
}

impl World {
    fn set(&self, t: NaiveDateTime) {
        self.clock.0.store(us(t), Ordering::SeqCst);
    }

    fn reception(&self, name: &str, accept: bool) -> DeskReception {
        DeskReception {
            procedure_id: self.business,
            agency_id: self.city.id,
            applicant: ApplicantInput {
                name: name.into(),
                id_number: Some(CITIZEN_ID.into()),
                phone: Some("0912 345 678".into()),
                email: None,
                address: Some("Phường 1, thành phố Tây Ninh".into()),
                account: None,
            },
            values: values(),
            channel: Channel::Direct,
            accept,
            return_method: Some(ReturnMethod::Desk),
            files: Vec::new(),
        }
    }
}

/// A small valid PDF.
fn pdf(text: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% {text}\n%%EOF\n").into_bytes()
}

/// A file for each required part of 9.900002 (parts 1 and 2).
fn parts_files() -> Vec<Upload> {
    vec![
        Upload::part(1, "giay-de-nghi.pdf", pdf("giấy đề nghị")),
        Upload::part(2, "cccd.pdf", pdf("bản sao CCCD")),
    ]
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

async fn login(app: &App, login: &str, password: &str) -> Ctx {
    app.login(login, password, None, None)
        .await
        .unwrap()
        .session
        .ctx(Some("10.9.9.9".into()))
}

async fn world(db: &TestDb) -> World {
    let clock = Arc::new(FakeClock::new(us(local(2019, 4, 1, 8, 0))));
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
        signer: Arc::new(cqdt_app::documents::UnavailableSigner),
        text: Arc::new(cqdt_app::documents::NoText),
        edxml_inbox: Arc::new(cqdt_app::documents::UnavailableEdxmlInbox),
    };
    app.seed_demo().await.unwrap();
    let cli = Ctx::cli();
    let r = app
        .procedures_import(&cli, FIXTURE.as_bytes())
        .await
        .unwrap();
    assert_eq!(r.inserted, 4);
    let pw = cqdt_app::demo::DEMO_PASSWORD;
    app.create_staff(
        &cli,
        &StaffInput {
            full_name: "Trần Văn Khác".into(),
            email: "motcua.tanbien@tayninh.demo".into(),
            phone: None,
            agency_identifier: "000.00.21.H53".into(),
            password: pw.into(),
            roles: vec!["one_stop_officer".into()],
        },
    )
    .await
    .unwrap();
    app.register(
        &cli,
        &RegisterInput {
            full_name: "Lý Văn Khác".into(),
            login: "congdan2@tayninh.demo".into(),
            password: pw.into(),
            password_confirm: None,
            id_number: Some("072190000002".into()),
            kind: None,
        },
    )
    .await
    .unwrap();
    let find = |q: &str| {
        let app = app.clone();
        let q = q.to_string();
        async move {
            app.procedures_search(
                &Ctx::anonymous(None),
                &ProcedureQuery {
                    q: Some(q),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .items[0]
                .id
        }
    };
    World {
        desk: login(&app, "motcua@tayninh.demo", pw).await,
        specialist: login(&app, "chuyenvien@tayninh.demo", pw).await,
        leader: login(&app, "lanhdao@tayninh.demo", pw).await,
        citizen: login(&app, cqdt_app::demo::CITIZEN_LOGIN, pw).await,
        other_citizen: login(&app, "congdan2@tayninh.demo", pw).await,
        other_desk: login(&app, "motcua.tanbien@tayninh.demo", pw).await,
        statistics: login(&app, "thongke@tayninh.demo", pw).await,
        city: app
            .agency_by_identifier(&cli, "000.00.20.H53")
            .await
            .unwrap(),
        business: find("9.900002").await,
        certification: find("9.900003").await,
        app,
        clock,
    }
}

async fn each(test: &str) -> Vec<TestDb> {
    TestDb::all(test).await.expect("test database")
}

fn code(e: cqdt_app::AppError) -> ErrorCode {
    e.code
}

/// Desk reception → supplement request → answer → hand over → process → approve → result
/// ready → return → evaluation, with the dates of the working calendar.
///
/// Received Friday 26 April 2019 at 10:00 with 3 working days. The day of receipt is not
/// counted; Saturday 27 and Sunday 28 are the weekend; Monday 29 April was given off (swapped
/// for Saturday 4 May), Tuesday 30 April and Wednesday 1 May are holidays. So the three working
/// days are Thursday 2, Friday 3 and Saturday 4 May (the swapped working Saturday): due
/// **Saturday 4 May 2019 at 17:00**.
///
/// The supplement request during processing pauses the clock from Thursday 2 May 08:00 to
/// Friday 3 May 08:00: 3 h 30 (08:00–11:30) + 3 h 30 (13:30–17:00) + 30 min (07:30–08:00) =
/// 7 h 30, one whole working day (07:30–11:30, 13:30–17:00). The due instant moves by that
/// working time past Saturday 4 May 17:00: Sunday 5 is off, so it lands at the close of Monday
/// 6 May: due **Monday 6 May 2019 at 17:00**. The result is ready on Friday 3 May, a day before
/// the due day: early (trước hạn).
#[tokio::test]
async fn desk_flow_with_supplement_dates_statuses_events_and_audit() {
    for db in each("desk_flow").await {
        let w = world(&db).await;
        let app = &w.app;
        w.set(local(2019, 4, 26, 10, 0));
        let mut input = w.reception("Ngô Thị Dân", true);
        input.applicant.account = Some(cqdt_app::demo::CITIZEN_LOGIN.into());
        let rec = app.dossier_receive(&w.desk, &input).await.unwrap();
        assert_eq!(rec.code, "000.00.20.H53-190426-0001", "{}", db.backend);
        assert_eq!(rec.dossier.state(), &DossierState::Received);
        assert_eq!(rec.dossier.national_status(), NationalStatus::Received);
        assert_eq!(rec.dossier.channel(), Some(Channel::Direct));
        assert_eq!(rec.due_at_us, Some(us(local(2019, 5, 4, 17, 0))));
        assert!(
            rec.applicant.user_id.is_some(),
            "linked to the citizen's account"
        );
        let id = rec.id;

        w.set(local(2019, 5, 2, 8, 0));
        let rec = app
            .dossier_request_supplement(
                &w.desk,
                id,
                vec!["Thiếu bản sao giấy tờ pháp lý của cá nhân".into()],
            )
            .await
            .unwrap();
        assert_eq!(
            rec.dossier.national_status(),
            NationalStatus::SupplementRequested
        );
        assert!(rec.dossier.is_clock_paused());
        assert_eq!(rec.due_at_us, None, "no due date while paused");
        assert_eq!(
            code(
                app.dossier_request_supplement(&w.desk, id, vec!["Lần hai".into()])
                    .await
                    .unwrap_err()
            ),
            ErrorCode::DossierIllegalTransition
        );

        w.set(local(2019, 5, 3, 8, 0));
        let rec = app
            .dossier_answer_supplement(&w.citizen, id, Some("Đã bổ sung".into()))
            .await
            .unwrap();
        assert_eq!(rec.dossier.state(), &DossierState::Received);
        assert_eq!(rec.due_at_us, Some(us(local(2019, 5, 6, 17, 0))));
        // Only one request.
        assert_eq!(
            code(
                app.dossier_request_supplement(&w.desk, id, vec!["Lần hai".into()])
                    .await
                    .unwrap_err()
            ),
            ErrorCode::DossierSupplementAlreadyRequested
        );

        w.set(local(2019, 5, 3, 9, 0));
        let rec = app.dossier_hand_over(&w.desk, id).await.unwrap();
        assert_eq!(rec.dossier.state(), &DossierState::Processing { step: 1 });
        assert_eq!(rec.dossier.national_status(), NationalStatus::InProgress);
        // A specialist cannot approve, a leader cannot approve a processing step.
        assert_eq!(
            code(app.dossier_approve(&w.specialist, id).await.unwrap_err()),
            ErrorCode::Forbidden
        );
        assert_eq!(
            code(app.dossier_approve(&w.leader, id).await.unwrap_err()),
            ErrorCode::DossierIllegalTransition
        );

        w.set(local(2019, 5, 3, 10, 0));
        let rec = app
            .dossier_process(&w.specialist, id, Some("Hồ sơ hợp lệ".into()))
            .await
            .unwrap();
        assert_eq!(
            rec.dossier.state(),
            &DossierState::AwaitingApproval { step: 2 }
        );

        w.set(local(2019, 5, 3, 14, 0));
        let rec = app.dossier_approve(&w.leader, id).await.unwrap();
        assert_eq!(rec.dossier.state(), &DossierState::Processing { step: 3 });

        w.set(local(2019, 5, 3, 15, 0));
        let rec = app.dossier_result_ready(&w.specialist, id).await.unwrap();
        assert_eq!(rec.dossier.state(), &DossierState::ResultReady);
        assert_eq!(rec.dossier.national_status(), NationalStatus::Processed);
        assert_eq!(rec.dossier.timeliness(), Some(Timeliness::Early));
        assert_eq!(rec.closed_at_us, Some(us(local(2019, 5, 3, 15, 0))));

        w.set(local(2019, 5, 4, 9, 0));
        let rec = app
            .dossier_return_result(&w.desk, id, ReturnMethod::Desk)
            .await
            .unwrap();
        assert_eq!(
            rec.dossier.national_status(),
            NationalStatus::ResultReturned
        );

        w.set(local(2019, 5, 4, 9, 30));
        let evaluation = Evaluation {
            satisfaction: Satisfaction::Satisfied,
            scores: vec![],
            comment: Some("Nhanh, đúng hẹn".into()),
        };
        // Only the applicant rates.
        assert_eq!(
            code(
                app.dossier_evaluate(&w.other_citizen, id, evaluation.clone())
                    .await
                    .unwrap_err()
            ),
            ErrorCode::Forbidden
        );
        assert_eq!(
            code(
                app.dossier_evaluate(&w.desk, id, evaluation.clone())
                    .await
                    .unwrap_err()
            ),
            ErrorCode::Forbidden
        );
        let rec = app
            .dossier_evaluate(&w.citizen, id, evaluation.clone())
            .await
            .unwrap();
        assert_eq!(rec.dossier.evaluation(), Some(&evaluation));
        assert_eq!(
            code(
                app.dossier_evaluate(&w.citizen, id, evaluation)
                    .await
                    .unwrap_err()
            ),
            ErrorCode::DossierAlreadyEvaluated
        );

        // The timeline: every event stored, in order, with its national status.
        let view = app.dossier(&w.citizen, id, true).await.unwrap();
        let events = view.events.unwrap();
        let kinds: Vec<&str> = events
            .iter()
            .map(|(_, e)| match &e.kind {
                EventKind::Submitted { .. } => "submitted",
                EventKind::Received { .. } => "received",
                EventKind::SupplementRequested { .. } => "supplement_requested",
                EventKind::SupplementAnswered { .. } => "supplement_answered",
                EventKind::HandedOver { .. } => "handed_over",
                EventKind::StepCompleted { .. } => "step_completed",
                EventKind::Approved { .. } => "approved",
                EventKind::ResultReady { .. } => "result_ready",
                EventKind::ResultReturned { .. } => "result_returned",
                EventKind::Evaluated { .. } => "evaluated",
                _ => "other",
            })
            .collect();
        assert_eq!(
            kinds,
            vec![
                "submitted",
                "received",
                "supplement_requested",
                "supplement_answered",
                "handed_over",
                "step_completed",
                "approved",
                "result_ready",
                "result_returned",
                "evaluated"
            ]
        );
        let statuses: Vec<u8> = events.iter().map(|(_, e)| e.status.code()).collect();
        assert_eq!(statuses, vec![1, 2, 5, 2, 4, 4, 4, 9, 10, 10]);
        let seqs: Vec<i64> = events.iter().map(|(s, _)| *s).collect();
        assert_eq!(seqs, (1..=10).collect::<Vec<i64>>());
        assert_eq!(
            events[1].1.due.unwrap(),
            local(2019, 5, 4, 17, 0),
            "form 01 appointment"
        );
        assert_eq!(events[3].1.due.unwrap(), local(2019, 5, 6, 17, 0));

        // The audit chain is intact, with one entry per write of the flow.
        let outcome = app.audit_verify().await.unwrap();
        assert!(
            matches!(outcome, VerifyOutcome::Intact { .. }),
            "{outcome:?}"
        );
        let page = app.store.audit_page(0, 100_000).await.unwrap();
        let dossier_entries: Vec<&str> = page
            .iter()
            .filter(|e| e.target_type == "dossier")
            .map(|e| e.action.as_str())
            .collect();
        assert_eq!(
            dossier_entries,
            vec![
                "dossier.receive",
                "dossier.request_supplement",
                "dossier.answer_supplement",
                "dossier.hand_over",
                "dossier.complete_step",
                "dossier.approve",
                "dossier.result_ready",
                "dossier.return_result",
                "dossier.evaluate"
            ]
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn refusals_online_submission_and_lookup() {
    for db in each("dossier_refusals").await {
        let w = world(&db).await;
        let app = &w.app;
        w.set(local(2025, 3, 3, 9, 0));
        // An officer of another agency can neither receive here nor act on this agency's dossiers.
        assert_eq!(
            code(
                app.dossier_receive(&w.other_desk, &w.reception("A", true))
                    .await
                    .unwrap_err()
            ),
            ErrorCode::Forbidden
        );
        let rec = app
            .dossier_receive(&w.desk, &w.reception("Ngô Thị Dân", false))
            .await
            .unwrap();
        assert_eq!(rec.dossier.state(), &DossierState::Submitted);
        assert_eq!(rec.code, "000.00.20.H53-250303-0001");
        for action in [DossierAction::Accept, DossierAction::HandOver] {
            assert_eq!(
                code(
                    app.dossier_act(&w.other_desk, rec.id, action)
                        .await
                        .unwrap_err()
                ),
                ErrorCode::Forbidden,
                "{}",
                db.backend
            );
        }
        assert_eq!(
            code(app.dossier(&w.other_desk, rec.id, false).await.unwrap_err()),
            ErrorCode::Forbidden
        );
        // Not linked to an account: no citizen acts on it or reads it.
        assert_eq!(
            code(
                app.dossier_withdraw(&w.citizen, rec.id, None)
                    .await
                    .unwrap_err()
            ),
            ErrorCode::Forbidden
        );
        assert_eq!(
            code(
                app.dossier(&Ctx::anonymous(None), rec.id, false)
                    .await
                    .unwrap_err()
            ),
            ErrorCode::Unauthenticated
        );
        assert_eq!(
            code(
                app.dossier(&w.desk, DossierId(uuid::Uuid::nil()), false)
                    .await
                    .unwrap_err()
            ),
            ErrorCode::DossierNotFound
        );

        // Online: the citizen's own dossier; another citizen can do nothing with it.
        let mine = app
            .dossier_submit_online(
                &w.citizen,
                &OnlineSubmission {
                    procedure_id: w.business,
                    agency_id: w.city.id,
                    values: values(),
                    return_method: Some(ReturnMethod::Post),
                    id_number: None,
                    phone: None,
                    email: None,
                    address: Some("Phường 1".into()),
                    files: parts_files(),
                },
            )
            .await
            .unwrap();
        assert_eq!(mine.dossier.channel(), Some(Channel::Online));
        assert_eq!(mine.dossier.state(), &DossierState::Submitted);
        assert_eq!(mine.code, "000.00.20.H53-250303-0002");
        assert_eq!(mine.applicant.id_number.as_deref(), Some(CITIZEN_ID));
        for action in [
            DossierAction::Withdraw { reason: None },
            DossierAction::AnswerSupplement { note: None },
            DossierAction::Accept,
        ] {
            assert_eq!(
                code(
                    app.dossier_act(&w.other_citizen, mine.id, action)
                        .await
                        .unwrap_err()
                ),
                ErrorCode::Forbidden
            );
        }
        assert_eq!(
            code(
                app.dossier(&w.other_citizen, mine.id, true)
                    .await
                    .unwrap_err()
            ),
            ErrorCode::Forbidden
        );
        assert!(app.dossier(&w.citizen, mine.id, true).await.is_ok());
        // Staff do not submit online; anonymous people must log in.
        let online = OnlineSubmission {
            procedure_id: w.business,
            agency_id: w.city.id,
            values: values(),
            return_method: None,
            id_number: None,
            phone: None,
            email: None,
            address: None,
            files: parts_files(),
        };
        assert_eq!(
            code(
                app.dossier_submit_online(&w.desk, &online)
                    .await
                    .unwrap_err()
            ),
            ErrorCode::Forbidden
        );
        assert_eq!(
            code(
                app.dossier_submit_online(&Ctx::anonymous(None), &online)
                    .await
                    .unwrap_err()
            ),
            ErrorCode::Unauthenticated
        );
        // Level 2 is not offered online; the form is checked; the agency must offer it.
        let level2 = OnlineSubmission {
            procedure_id: w.certification,
            values: BTreeMap::new(),
            ..online.clone()
        };
        assert_eq!(
            code(
                app.dossier_submit_online(&w.citizen, &level2)
                    .await
                    .unwrap_err()
            ),
            ErrorCode::DossierOnlineNotAllowed
        );
        let mut bad_form = online.clone();
        bad_form.values.remove("nganh_nghe");
        bad_form
            .values
            .insert("so_dien_thoai".into(), "12345".into());
        let e = app
            .dossier_submit_online(&w.citizen, &bad_form)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::Required);
        assert_eq!(e.field.as_deref(), Some("values.nganh_nghe"));
        assert_eq!(e.lines.len(), 2);
        assert_eq!(e.lines[1].code, ErrorCode::InvalidPhone);
        let elsewhere = OnlineSubmission {
            agency_id: w.other_desk_agency(app).await,
            ..online.clone()
        };
        assert_eq!(
            code(
                app.dossier_submit_online(&w.citizen, &elsewhere)
                    .await
                    .unwrap_err()
            ),
            ErrorCode::ProcedureNotOfferedByAgency
        );
        // Withdrawal by the applicant.
        let withdrawn = app
            .dossier_withdraw(&w.citizen, mine.id, Some("Nộp nhầm".into()))
            .await
            .unwrap();
        assert_eq!(
            withdrawn.dossier.national_status(),
            NationalStatus::WithdrawalRequested
        );

        // Lookup without login: code plus ID number or phone; every failure looks the same.
        let anon = Ctx::anonymous(Some("203.0.113.7".into()));
        let found = app
            .dossier_lookup(&anon, &rec.code, Some(CITIZEN_ID), None)
            .await
            .unwrap();
        assert_eq!(found.record.id, rec.id);
        assert!(!found.events.unwrap().is_empty());
        let by_phone = app
            .dossier_lookup(&anon, &rec.code.to_lowercase(), None, Some("0912.345.678"))
            .await
            .unwrap();
        assert_eq!(by_phone.record.id, rec.id);
        let wrong_id = app
            .dossier_lookup(&anon, &rec.code, Some("072190000002"), None)
            .await
            .unwrap_err();
        let unknown = app
            .dossier_lookup(&anon, "000.00.20.H53-250303-0099", Some(CITIZEN_ID), None)
            .await
            .unwrap_err();
        let malformed = app
            .dossier_lookup(&anon, "không phải mã", Some(CITIZEN_ID), None)
            .await
            .unwrap_err();
        for e in [&wrong_id, &unknown, &malformed] {
            assert_eq!(e.code, ErrorCode::DossierLookupFailed);
            assert_eq!(e.field, None);
            assert_eq!(e.detail, None);
        }
        assert_eq!(wrong_id, unknown);
        assert_eq!(
            code(
                app.dossier_lookup(&anon, &rec.code, None, None)
                    .await
                    .unwrap_err()
            ),
            ErrorCode::Required
        );
        // Failures count against the address like failed logins.
        for _ in 0..20 {
            let _ = app
                .dossier_lookup(&anon, "000.00.20.H53-250303-0099", Some(CITIZEN_ID), None)
                .await;
        }
        assert_eq!(
            code(
                app.dossier_lookup(&anon, &rec.code, Some(CITIZEN_ID), None)
                    .await
                    .unwrap_err()
            ),
            ErrorCode::Throttled
        );
        db.cleanup().await;
    }
}

impl World {
    async fn other_desk_agency(&self, app: &App) -> cqdt_domain::ids::AgencyId {
        app.agency_by_identifier(&Ctx::cli(), "000.00.03.H53")
            .await
            .unwrap()
            .id
    }
}

#[tokio::test]
async fn worklists_flags_counts_and_my_dossiers() {
    for db in each("worklists").await {
        let w = world(&db).await;
        let app = &w.app;
        // Monday 3 March 2025, 09:00: three dossiers received (one waits for the check).
        w.set(local(2025, 3, 3, 9, 0));
        let a = app
            .dossier_receive(&w.desk, &w.reception("Nguyễn Văn An", true))
            .await
            .unwrap();
        let b = app
            .dossier_receive(&w.desk, &w.reception("Trần Thị Bình", true))
            .await
            .unwrap();
        let c = app
            .dossier_receive(&w.desk, &w.reception("Lê Văn Cường", false))
            .await
            .unwrap();
        app.dossier_hand_over(&w.desk, b.id).await.unwrap();
        // Due Thursday 6 March 17:00. On Friday 7 March, a and b are overdue.
        assert_eq!(a.due_at_us, Some(us(local(2025, 3, 6, 17, 0))));
        w.set(local(2025, 3, 4, 9, 0));
        let desk = app
            .dossiers_worklist(&w.desk, &WorklistQuery::default())
            .await
            .unwrap();
        assert_eq!(desk.total, 2, "{}", db.backend);
        let codes: Vec<&str> = desk.items.iter().map(|i| i.record.code.as_str()).collect();
        assert_eq!(codes, vec![a.code.as_str(), c.code.as_str()], "due first");
        assert!(!desk.items[0].overdue && !desk.items[0].due_soon);
        w.set(local(2025, 3, 6, 9, 0));
        let desk = app
            .dossiers_worklist(&w.desk, &WorklistQuery::default())
            .await
            .unwrap();
        assert!(desk.items[0].due_soon, "due today");
        w.set(local(2025, 3, 7, 9, 0));
        let desk = app
            .dossiers_worklist(&w.desk, &WorklistQuery::default())
            .await
            .unwrap();
        assert!(desk.items[0].overdue);
        let count = |s: StateName| {
            desk.counts
                .iter()
                .find(|c| c.state == s)
                .map(|c| (c.total, c.overdue))
        };
        assert_eq!(count(StateName::Received), Some((1, 1)));
        assert_eq!(count(StateName::Submitted), Some((1, 0)));
        // The processing unit sees b; the leader's approval queue is empty.
        let spec = app
            .dossiers_worklist(&w.specialist, &WorklistQuery::default())
            .await
            .unwrap();
        assert_eq!(spec.total, 1);
        assert_eq!(spec.items[0].record.id, b.id);
        let leader = app
            .dossiers_worklist(
                &w.leader,
                &WorklistQuery {
                    queue: Some(Queue::Approval),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(leader.total, 0);
        // Filters: overdue, text without diacritics, state, paging.
        let overdue = app
            .dossiers_worklist(
                &w.desk,
                &WorklistQuery {
                    queue: Some(Queue::All),
                    overdue: Some(true),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(overdue.total, 2, "a and b (every state of the subtree)");
        let found = app
            .dossiers_worklist(
                &w.desk,
                &WorklistQuery {
                    queue: Some(Queue::All),
                    q: Some("tran thi binh".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(found.total, 1);
        assert_eq!(found.items[0].record.id, b.id);
        let paged = app
            .dossiers_worklist(
                &w.desk,
                &WorklistQuery {
                    queue: Some(Queue::All),
                    limit: Some(2),
                    offset: Some(2),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!((paged.total, paged.items.len()), (3, 1));
        // Another agency's desk sees none of them; a citizen sees only their own.
        let other = app
            .dossiers_worklist(&w.other_desk, &WorklistQuery::default())
            .await
            .unwrap();
        assert_eq!(other.total, 0);
        assert_eq!(
            code(
                app.dossiers_worklist(&w.statistics, &WorklistQuery::default())
                    .await
                    .unwrap_err()
            ),
            ErrorCode::Forbidden
        );
        let mine = app
            .dossiers_mine(&w.citizen, &WorklistQuery::default())
            .await
            .unwrap();
        assert_eq!(mine.total, 0);
        let mut linked = w.reception("Ngô Thị Dân", true);
        linked.applicant.account = Some(cqdt_app::demo::CITIZEN_LOGIN.into());
        let d = app.dossier_receive(&w.desk, &linked).await.unwrap();
        let mine = app
            .dossiers_mine(&w.citizen, &WorklistQuery::default())
            .await
            .unwrap();
        assert_eq!(mine.total, 1);
        assert_eq!(mine.items[0].id, d.id);
        assert_eq!(
            app.dossiers_mine(&w.other_citizen, &WorklistQuery::default())
                .await
                .unwrap()
                .total,
            0
        );
        db.cleanup().await;
    }
}

/// Biểu II.06a from the stored events equals the domain's computation on the same histories,
/// and a small May 2019 checks by hand.
#[tokio::test]
async fn ii06a_from_stored_events() {
    for db in each("ii06a").await {
        let w = world(&db).await;
        let app = &w.app;
        // a: received 26 April, finished early on 3 May (carried over, resolved early).
        w.set(local(2019, 4, 26, 10, 0));
        let a = app
            .dossier_receive(&w.desk, &w.reception("A", true))
            .await
            .unwrap();
        w.set(local(2019, 5, 2, 9, 0));
        app.dossier_hand_over(&w.desk, a.id).await.unwrap();
        app.dossier_process(&w.specialist, a.id, None)
            .await
            .unwrap();
        app.dossier_approve(&w.leader, a.id).await.unwrap();
        // b: submitted online 2 May, accepted the same day, still open at the end of May
        // (due Monday 6 May: overdue). c: received at the desk 6 May and withdrawn on 7 May.
        let b = app
            .dossier_submit_online(
                &w.citizen,
                &OnlineSubmission {
                    procedure_id: w.business,
                    agency_id: w.city.id,
                    values: values(),
                    return_method: None,
                    id_number: None,
                    phone: None,
                    email: None,
                    address: None,
                    files: parts_files(),
                },
            )
            .await
            .unwrap();
        app.dossier_accept(&w.desk, b.id).await.unwrap();
        w.set(local(2019, 5, 3, 9, 0));
        app.dossier_result_ready(&w.specialist, a.id).await.unwrap();
        w.set(local(2019, 5, 6, 9, 0));
        let c = app
            .dossier_receive(&w.desk, &w.reception("C", true))
            .await
            .unwrap();
        w.set(local(2019, 5, 7, 9, 0));
        app.dossier_withdraw(&w.desk, c.id, None).await.unwrap();
        w.set(local(2019, 6, 3, 9, 0));

        let from = NaiveDate::from_ymd_opt(2019, 5, 1).unwrap();
        let to = NaiveDate::from_ymd_opt(2019, 5, 31).unwrap();
        let report = app
            .report_ii06a(&w.leader, w.city.id, from, to)
            .await
            .unwrap();
        let t = report.total;
        assert_eq!(
            t.columns(),
            [3, 1, 1, 1, 1, 1, 0, 0, 1, 0, 1],
            "{}: {report:?}",
            db.backend
        );
        assert_eq!(report.lines.len(), 1);
        // The same as the domain's computation over the stored histories.
        let mut histories = Vec::new();
        for id in [a.id, b.id, c.id] {
            let events: Vec<_> = app
                .store
                .dossier_events(id)
                .await
                .unwrap()
                .into_iter()
                .map(|(_, e)| e)
                .collect();
            histories.push(events);
        }
        let field = report.lines[0].field.clone();
        let expected = ii06a_by_field(
            histories.iter().map(|h| (field.as_str(), h.as_slice())),
            &ReportPeriod::new(from, to).unwrap(),
        );
        assert_eq!(report, expected);
        // April: a received (direct), pending within its deadline at the end of April.
        let april = app
            .report_ii06a(
                &w.leader,
                w.city.id,
                NaiveDate::from_ymd_opt(2019, 4, 1).unwrap(),
                NaiveDate::from_ymd_opt(2019, 4, 30).unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(april.total.columns(), [1, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0]);
        // Another subtree's statistics officer may not; a bad period is refused.
        assert_eq!(
            code(
                app.report_ii06a(&w.statistics, w.city.id, from, to)
                    .await
                    .unwrap_err()
            ),
            ErrorCode::Forbidden
        );
        assert_eq!(
            code(
                app.report_ii06a(&w.leader, w.city.id, to, from)
                    .await
                    .unwrap_err()
            ),
            ErrorCode::DossierInvalidReportPeriod
        );
        db.cleanup().await;
    }
}

/// The other branches: consultation of another agency (its own clock, the dossier's paused),
/// send-back, financial obligation, the apology with a new date (once), rejection, and refusal
/// at reception.
#[tokio::test]
async fn consultation_send_back_obligation_apology_rejection_and_refusal() {
    use cqdt_domain::calendar::{ExtensionTarget, WorkDuration};
    for db in each("dossier_branches").await {
        let w = world(&db).await;
        let app = &w.app;
        let tax = app
            .agency_by_identifier(&Ctx::cli(), "000.00.05.H53")
            .await
            .unwrap();
        // Monday 3 March 2025: received, due Thursday 6 March 17:00.
        w.set(local(2025, 3, 3, 9, 0));
        let d = app
            .dossier_receive(&w.desk, &w.reception("Đặng Văn Em", true))
            .await
            .unwrap();
        app.dossier_hand_over(&w.desk, d.id).await.unwrap();
        // The specialist consults the finance department for 1 day, pausing the clock.
        w.set(local(2025, 3, 3, 10, 0));
        let r = app
            .dossier_consult(
                &w.specialist,
                d.id,
                tax.id,
                "Xác nhận nghĩa vụ tài chính".into(),
                WorkDuration::Days(1),
                true,
            )
            .await
            .unwrap();
        assert_eq!(r.dossier.state().name(), StateName::Consulting);
        assert!(r.dossier.is_clock_paused());
        // The desk may not answer for the consulted agency.
        assert_eq!(
            code(
                app.dossier_consultation_answered(&w.desk, d.id, None)
                    .await
                    .unwrap_err()
            ),
            ErrorCode::Forbidden
        );
        // Answered Tuesday 4 March 10:00. The receipt day is not counted (the period starts at
        // its close), so of the pause only Tuesday 07:30–10:00 stopped counted time: the due
        // instant moves 2 h 30 past Thursday 6 March 17:00, to Friday 7 March 10:00.
        w.set(local(2025, 3, 4, 10, 0));
        let r = app
            .dossier_consultation_answered(&w.specialist, d.id, Some("Đã xác nhận".into()))
            .await
            .unwrap();
        assert_eq!(r.dossier.state(), &DossierState::Processing { step: 1 });
        assert_eq!(r.due_at_us, Some(us(local(2025, 3, 7, 10, 0))));
        // To the leader, sent back to step 1, a financial obligation, met.
        app.dossier_process(&w.specialist, d.id, None)
            .await
            .unwrap();
        let r = app
            .dossier_send_back(&w.leader, d.id, 1, "Bổ sung ý kiến thẩm định".into())
            .await
            .unwrap();
        assert_eq!(r.dossier.state(), &DossierState::ReturnedToStep { step: 1 });
        let r = app
            .dossier_act(
                &w.specialist,
                d.id,
                DossierAction::RequestFinancialObligation {
                    description: "Lệ phí đăng ký".into(),
                    amount_vnd: Some(100_000),
                },
            )
            .await
            .unwrap();
        assert_eq!(
            r.dossier.national_status(),
            NationalStatus::FinancialObligationRequested
        );
        w.set(local(2025, 3, 4, 14, 0));
        app.dossier_act(&w.desk, d.id, DossierAction::FinancialObligationMet)
            .await
            .unwrap();
        // Not late yet on Tuesday: no apology; on Friday 7 March (due day) it may be issued, once.
        assert_eq!(
            code(
                app.dossier_apologize(
                    &w.specialist,
                    d.id,
                    "Chờ xác minh".into(),
                    ExtensionTarget::UntilDate(NaiveDate::from_ymd_opt(2025, 3, 14).unwrap())
                )
                .await
                .unwrap_err()
            ),
            ErrorCode::DossierApologyNotLate
        );
        w.set(local(2025, 3, 7, 9, 0));
        let r = app
            .dossier_apologize(
                &w.specialist,
                d.id,
                "Chờ xác minh".into(),
                ExtensionTarget::UntilDate(NaiveDate::from_ymd_opt(2025, 3, 14).unwrap()),
            )
            .await
            .unwrap();
        assert_eq!(r.appointment_at_us, Some(us(local(2025, 3, 14, 17, 0))));
        assert!(r.dossier.apology().is_some());
        assert_eq!(
            code(
                app.dossier_apologize(
                    &w.specialist,
                    d.id,
                    "Lần hai".into(),
                    ExtensionTarget::By(WorkDuration::Days(1))
                )
                .await
                .unwrap_err()
            ),
            ErrorCode::DossierApologyAlreadyIssued
        );
        // The leader stops processing: reasons required, then stopped (status 8).
        assert_eq!(
            code(
                app.dossier_reject(&w.leader, d.id, vec![])
                    .await
                    .unwrap_err()
            ),
            ErrorCode::DossierReasonsRequired
        );
        assert_eq!(
            code(
                app.dossier_reject(&w.specialist, d.id, vec!["Không đủ điều kiện".into()])
                    .await
                    .unwrap_err()
            ),
            ErrorCode::Forbidden
        );
        let r = app
            .dossier_reject(&w.leader, d.id, vec!["Không đủ điều kiện".into()])
            .await
            .unwrap();
        assert_eq!(r.dossier.national_status(), NationalStatus::Stopped);
        assert!(r.closed_at_us.is_some());

        // Refusal at reception (form 03).
        let e = app
            .dossier_receive(&w.desk, &w.reception("Hồ sơ thiếu", false))
            .await
            .unwrap();
        let r = app
            .dossier_refuse(&w.desk, e.id, vec!["Thiếu giấy đề nghị".into()])
            .await
            .unwrap();
        assert_eq!(r.dossier.national_status(), NationalStatus::NotReceived);
        let events = app.store.dossier_events(d.id).await.unwrap();
        assert!(
            events
                .iter()
                .any(|(_, e)| matches!(e.kind, EventKind::ConsultationAnswered { .. }))
        );
        assert!(matches!(
            app.audit_verify().await.unwrap(),
            VerifyOutcome::Intact { .. }
        ));
        db.cleanup().await;
    }
}

// ---------------------------------------------------------------------------------------------
// Drafts, files and notifications

/// Flags the EICAR test string, like ClamAV would.
struct EicarScanner;

#[async_trait::async_trait]
impl cqdt_app::Scanner for EicarScanner {
    async fn scan(&self, _name: &str, bytes: &[u8]) -> cqdt_app::AppResult<cqdt_app::ScanVerdict> {
        let hay = String::from_utf8_lossy(bytes);
        Ok(if hay.contains("EICAR-STANDARD-ANTIVIRUS-TEST-FILE") {
            cqdt_app::ScanVerdict::Infected("Eicar-Signature".into())
        } else {
            cqdt_app::ScanVerdict::Clean
        })
    }
}

fn draft_input(w: &World) -> cqdt_app::files::DraftInput {
    cqdt_app::files::DraftInput {
        procedure_id: Some(w.business),
        agency_id: Some(w.city.id),
        body: cqdt_app::store::DraftBody {
            values: values(),
            return_method: Some(ReturnMethod::Post),
            address: Some("Phường 3, thành phố Tây Ninh".into()),
            ..Default::default()
        },
    }
}

/// A draft is resumable, private to its author, checked on submission (every required part
/// needs a file), and becomes exactly one dossier with its files even when submitted twice
/// at once.
#[tokio::test]
async fn drafts_become_one_dossier_with_their_files() {
    for db in each("drafts").await {
        let w = world(&db).await;
        let app = &w.app;
        w.set(local(2019, 5, 2, 9, 0));
        let d = app.draft_create(&w.citizen, draft_input(&w)).await.unwrap();
        // Private: another citizen, the desk and anonymous callers cannot see it.
        assert_eq!(
            code(app.draft_get(&w.other_citizen, d.id).await.unwrap_err()),
            ErrorCode::DraftNotFound
        );
        assert!(app.draft_get(&w.desk, d.id).await.is_err());
        assert!(app.draft_get(&Ctx::anonymous(None), d.id).await.is_err());
        // Resumable: saved text comes back NFC.
        let mut input = draft_input(&w);
        input.body.address = Some("Phu\u{31b}o\u{31b}\u{300}ng 3".into());
        let d2 = app.draft_update(&w.citizen, d.id, input).await.unwrap();
        assert_eq!(d2.body.address.as_deref(), Some("Phường 3"));
        assert_eq!(app.drafts_mine(&w.citizen).await.unwrap().len(), 1);

        let f1 = app
            .draft_file_add(
                &w.citizen,
                d.id,
                Upload::part(1, "Giấy đề nghị.pdf", pdf("1")),
            )
            .await
            .unwrap();
        assert_eq!(f1.file_type, cqdt_domain::files::FileType::Pdf);
        assert_eq!(f1.name, "Giấy đề nghị.pdf");
        assert_eq!(f1.size, pdf("1").len() as i64);
        // Refused uploads: wrong part, content that is not what the name says, not a document.
        let e = app
            .draft_file_add(&w.citizen, d.id, Upload::part(9, "x.pdf", pdf("x")))
            .await
            .unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::UploadPartUnknown, Some("part-9"))
        );
        let e = app
            .draft_file_add(&w.citizen, d.id, Upload::part(2, "anh.jpg", pdf("x")))
            .await
            .unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::UploadTypeMismatch, Some("part-2"))
        );
        let e = app
            .draft_file_add(
                &w.citizen,
                d.id,
                Upload::part(2, "a.pdf", b"MZ\x90\x00 exe".to_vec()),
            )
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::UploadTypeNotAllowed);
        // Part 2 is required.
        let e = app.draft_submit(&w.citizen, d.id).await.unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::UploadRequiredPartMissing, Some("part-2")),
            "{}",
            db.backend
        );
        // A wrong file can be removed before submission.
        let wrong = app
            .draft_file_add(&w.citizen, d.id, Upload::part(1, "nham.pdf", pdf("nhầm")))
            .await
            .unwrap();
        app.draft_file_remove(&w.citizen, d.id, wrong.id)
            .await
            .unwrap();
        assert_eq!(
            code(
                app.draft_file_remove(&w.citizen, d.id, wrong.id)
                    .await
                    .unwrap_err()
            ),
            ErrorCode::FileNotFound
        );
        app.draft_file_add(
            &w.citizen,
            d.id,
            Upload::part(2, "cccd.png", b"\x89PNG\r\n\x1a\nIHDR".to_vec()),
        )
        .await
        .unwrap();

        // Two submissions at once: one dossier.
        let (a, b) = tokio::join!(
            app.draft_submit(&w.citizen, d.id),
            app.draft_submit(&w.citizen, d.id)
        );
        let (ok, err) = match (a, b) {
            (Ok(r), Err(e)) | (Err(e), Ok(r)) => (r, e),
            (a, b) => panic!("{}: expected one success: {a:?} {b:?}", db.backend),
        };
        assert!(
            matches!(
                err.code,
                ErrorCode::DraftAlreadySubmitted | ErrorCode::StorageConflict
            ),
            "{:?}",
            err.code
        );
        assert_eq!(ok.dossier.state().name(), StateName::Submitted);
        assert_eq!(ok.applicant.address.as_deref(), Some("Phường 3"));
        let files = app.dossier_files(&w.citizen, ok.id).await.unwrap();
        let mut parts: Vec<_> = files.iter().map(|f| (f.part, f.name.clone())).collect();
        parts.sort();
        assert_eq!(
            parts,
            vec![
                (Some(1), "Giấy đề nghị.pdf".to_string()),
                (Some(2), "cccd.png".to_string())
            ]
        );
        assert!(
            files
                .iter()
                .all(|f| f.dossier_id == Some(ok.id) && f.draft_id.is_none())
        );
        // The bytes come back, for the desk too; not for another citizen.
        let (_, bytes) = app
            .dossier_file_content(&w.desk, ok.id, f1.id)
            .await
            .unwrap();
        assert_eq!(bytes, pdf("1"));
        assert!(
            app.dossier_file_content(&w.other_citizen, ok.id, f1.id)
                .await
                .is_err()
        );
        // Submitted: no longer a draft, cannot be changed, submitted again or deleted.
        assert!(app.drafts_mine(&w.citizen).await.unwrap().is_empty());
        assert_eq!(
            code(app.draft_submit(&w.citizen, d.id).await.unwrap_err()),
            ErrorCode::DraftAlreadySubmitted
        );
        assert_eq!(
            code(
                app.draft_update(&w.citizen, d.id, draft_input(&w))
                    .await
                    .unwrap_err()
            ),
            ErrorCode::DraftAlreadySubmitted
        );
        assert_eq!(
            code(app.draft_delete(&w.citizen, d.id).await.unwrap_err()),
            ErrorCode::DraftAlreadySubmitted
        );
        let mine = app
            .dossiers_worklist(&w.citizen, &WorklistQuery::default())
            .await
            .unwrap();
        assert_eq!(mine.total, 1, "{}", db.backend);

        // A level-3 procedure does not return results online; by post needs an address.
        let mut online = draft_input(&w);
        online.body.return_method = Some(ReturnMethod::Online);
        let o = app.draft_create(&w.citizen, online).await.unwrap();
        let e = app.draft_submit(&w.citizen, o.id).await.unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref()),
            (
                ErrorCode::DossierReturnMethodNotAllowed,
                Some("return_method")
            )
        );
        let mut post = draft_input(&w);
        post.body.address = None;
        let p = app.draft_create(&w.citizen, post).await.unwrap();
        let e = app.draft_submit(&w.citizen, p.id).await.unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::Required, Some("address"))
        );

        // A draft can be deleted with its files.
        let gone = app.draft_create(&w.citizen, draft_input(&w)).await.unwrap();
        app.draft_file_add(&w.citizen, gone.id, Upload::part(1, "a.pdf", pdf("a")))
            .await
            .unwrap();
        app.draft_delete(&w.citizen, gone.id).await.unwrap();
        assert!(db.store.files_of_draft(gone.id).await.unwrap().is_empty());
        // Every draft and file write is in the audit chain, which still verifies.
        assert!(matches!(
            app.audit_verify().await.unwrap(),
            VerifyOutcome::Intact { .. }
        ));
    }
}

/// Size limits and the virus-scan hook refuse a file and keep nothing of it; a supplement is
/// answered with its papers in one step; files can only be added by the right people at the
/// right time.
#[tokio::test]
async fn upload_limits_scan_and_who_may_attach() {
    for db in each("uploads").await {
        let w = world(&db).await;
        let mut app = w.app.clone();
        app.config = Arc::new(AppConfig {
            file_limits: cqdt_domain::files::FileLimits {
                max_file_bytes: 1_000,
                max_dossier_bytes: 1_500,
                max_files: 3,
            },
            ..(*w.app.config).clone()
        });
        app.scanner = Arc::new(EicarScanner);
        w.set(local(2019, 5, 2, 9, 0));
        let d = app.draft_create(&w.citizen, draft_input(&w)).await.unwrap();
        let mut big = pdf("big");
        big.resize(1_001, b' ');
        let e = app
            .draft_file_add(&w.citizen, d.id, Upload::part(1, "big.pdf", big))
            .await
            .unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::UploadTooLarge, Some("part-1"))
        );
        let mut eicar = pdf("x");
        eicar.extend_from_slice(
            br"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*",
        );
        let e = app
            .draft_file_add(&w.citizen, d.id, Upload::part(1, "a.pdf", eicar))
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::UploadInfected, "{}", db.backend);
        assert!(db.store.files_of_draft(d.id).await.unwrap().is_empty());
        let mut half = pdf("half");
        half.resize(800, b' ');
        app.draft_file_add(&w.citizen, d.id, Upload::part(1, "a.pdf", half.clone()))
            .await
            .unwrap();
        let e = app
            .draft_file_add(&w.citizen, d.id, Upload::part(2, "b.pdf", half))
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::UploadDossierFull);

        // Desk reception with the applicant's e-mail and phone, then a supplement request:
        // both notify through the outbox, to both channels.
        let app = &w.app;
        let mut input = w.reception("Đặng Thị Bổ Sung", true);
        input.applicant.email = Some("bosung@example.vn".into());
        input.applicant.account = Some(cqdt_app::demo::CITIZEN_LOGIN.into());
        input.files = vec![Upload::part(1, "scan-1.pdf", pdf("scan"))];
        let rec = app.dossier_receive(&w.desk, &input).await.unwrap();
        assert_eq!(app.dossier_files(&w.desk, rec.id).await.unwrap().len(), 1);
        app.dossier_request_supplement(&w.desk, rec.id, vec!["Thiếu bản sao CCCD".into()])
            .await
            .unwrap();
        let msgs = db
            .store
            .outbox_claim(w.clock.0.load(Ordering::SeqCst), 60_000_000, 100)
            .await
            .unwrap();
        let notes: Vec<(String, String, String)> = msgs
            .iter()
            .filter(|m| {
                m.idempotency_key
                    .starts_with(&format!("dossier:{}", rec.id))
            })
            .map(|m| {
                let n: cqdt_app::outbox::Notification = serde_json::from_str(&m.payload).unwrap();
                assert_eq!(n.vars["code"], rec.code);
                assert_eq!(n.vars["full_name"], "Đặng Thị Bổ Sung");
                let via = match n.channel {
                    cqdt_app::outbox::Channel::Email => "email",
                    cqdt_app::outbox::Channel::Sms => "sms",
                };
                (n.template, via.to_string(), n.to)
            })
            .collect();
        let mut notes = notes;
        notes.sort();
        assert_eq!(
            notes,
            vec![
                (
                    "dossier_received".into(),
                    "email".into(),
                    "bosung@example.vn".into()
                ),
                ("dossier_received".into(), "sms".into(), "0912345678".into()),
                (
                    "dossier_supplement".into(),
                    "email".into(),
                    "bosung@example.vn".into()
                ),
                (
                    "dossier_supplement".into(),
                    "sms".into(),
                    "0912345678".into()
                ),
            ],
            "{}",
            db.backend
        );

        // Working papers are not the applicant's to add; the supplement is, with its answer.
        let e = app
            .dossier_files_add(
                &w.citizen,
                rec.id,
                vec![Upload::of_kind(
                    cqdt_domain::files::FileKind::Working,
                    "y.pdf",
                    pdf("y"),
                )],
            )
            .await
            .unwrap_err();
        assert!(
            matches!(
                e.code,
                ErrorCode::Forbidden | ErrorCode::UploadNotAllowedNow
            ),
            "{:?}",
            e.code
        );
        let after = app
            .dossier_act_with_files(
                &w.citizen,
                rec.id,
                DossierAction::AnswerSupplement {
                    note: Some("Đã bổ sung".into()),
                },
                vec![Upload::of_kind(
                    cqdt_domain::files::FileKind::Supplement,
                    "CCCD.pdf",
                    pdf("cccd"),
                )],
            )
            .await
            .unwrap();
        assert_ne!(after.dossier.state().name(), StateName::SupplementRequested);
        let files = app.dossier_files(&w.desk, rec.id).await.unwrap();
        assert_eq!(
            files.iter().map(|f| f.kind.as_str()).collect::<Vec<_>>(),
            vec!["part", "supplement"]
        );
        // No more supplements once answered.
        let e = app
            .dossier_files_add(
                &w.citizen,
                rec.id,
                vec![Upload::of_kind(
                    cqdt_domain::files::FileKind::Supplement,
                    "z.pdf",
                    pdf("z"),
                )],
            )
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::UploadNotAllowedNow);
    }
}
