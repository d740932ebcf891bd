//! Whole lifecycles with the clock: due dates, pauses, extension, timeliness, route steps,
//! channels and the rules that are not plain state checks.

use chrono::{Duration, NaiveDate};
use cqdt_domain::calendar::{ExtensionTarget, PauseReason, Timeliness, WorkDuration, to_local};
use cqdt_domain::dossier::{
    Channel, Command, Dossier, DossierError, DossierState, Evaluation, EventKind, IndexScore,
    NationalStatus, ReturnMethod, Satisfaction, StateName,
};
use cqdt_domain::procedure::ServiceLevel;

use super::{
    agency_id, code_at, engine, fail, plain_terms, received_at_desk, routed_terms, run, vn,
};

fn local(y: i32, m: u32, d: u32, h: u32, mi: u32) -> chrono::NaiveDateTime {
    to_local(vn(y, m, d, h, mi))
}

fn finish_plain(
    d: &mut Dossier,
    at: chrono::DateTime<chrono::Utc>,
) -> Vec<cqdt_domain::dossier::DossierEvent> {
    run(d, at, Command::HandOver);
    run(d, at, Command::CompleteStep { note: None })
}

#[test]
fn online_submission_to_evaluation() {
    let mut d = Dossier::new(routed_terms());
    assert_eq!(d.national_status(), NationalStatus::NewlyRegistered);
    // Submitted on Sunday 2 March 2025 at 21:00: received on Monday 3 March at 08:00.
    let sunday = vn(2025, 3, 2, 21, 0);
    let ev = run(
        &mut d,
        sunday,
        Command::SubmitOnline {
            code: code_at(sunday, 1),
        },
    );
    assert!(matches!(
        ev[0].kind,
        EventKind::Submitted {
            channel: Channel::Online,
            ..
        }
    ));
    assert_eq!(ev[0].due, None);
    assert_eq!(d.code().unwrap().to_string(), "000.00.00.H53-250302-0001");
    let ev = run(&mut d, vn(2025, 3, 3, 8, 0), Command::Accept);
    assert_eq!(ev[0].status, NationalStatus::Received);
    // Form 01: five working days after Monday 3 March.
    assert_eq!(ev[0].due, Some(local(2025, 3, 10, 17, 0)));
    assert_eq!(ev[0].appointment, ev[0].due);
    // Per-step due dates come from the route allotments.
    let steps = d.deadlines(&engine()).unwrap().unwrap().steps;
    assert_eq!(steps.len(), 4);
    assert_eq!(steps[3].due, Some(local(2025, 3, 10, 17, 0)));
    // The desk step (0) is skipped: hand-over goes to the specialist (1).
    let ev = run(&mut d, vn(2025, 3, 3, 10, 0), Command::HandOver);
    assert_eq!(ev[0].kind, EventKind::HandedOver { to_step: 1 });
    assert_eq!(d.state(), &DossierState::Processing { step: 1 });
    assert_eq!(ev[0].status, NationalStatus::InProgress);
    run(
        &mut d,
        vn(2025, 3, 5, 10, 0),
        Command::CompleteStep {
            note: Some("Đủ điều kiện".into()),
        },
    );
    assert_eq!(d.state(), &DossierState::AwaitingApproval { step: 2 });
    // CompleteStep is not how a leader approves.
    assert_eq!(
        fail(
            &mut d,
            vn(2025, 3, 5, 11, 0),
            Command::CompleteStep { note: None }
        ),
        "dossier.illegal_transition"
    );
    let ev = run(&mut d, vn(2025, 3, 6, 9, 0), Command::Approve);
    assert_eq!(
        ev[0].kind,
        EventKind::Approved {
            step: 2,
            next_step: Some(3)
        }
    );
    assert!(
        d.timeliness().is_none(),
        "timeliness only at the end of processing"
    );
    let ev = run(&mut d, vn(2025, 3, 6, 14, 0), Command::ResultReady);
    assert_eq!(ev.len(), 1);
    assert_eq!(
        ev[0].kind,
        EventKind::ResultReady {
            timeliness: Timeliness::Early
        }
    );
    assert_eq!(ev[0].status, NationalStatus::Processed);
    assert_eq!(d.timeliness(), Some(Timeliness::Early));
    assert_eq!(d.finished_at(), Some(vn(2025, 3, 6, 14, 0)));
    // Too early to evaluate.
    assert_eq!(
        fail(
            &mut d,
            vn(2025, 3, 7, 9, 0),
            Command::Evaluate {
                evaluation: evaluation(vec![])
            }
        ),
        "dossier.illegal_transition"
    );
    let ev = run(
        &mut d,
        vn(2025, 3, 7, 9, 0),
        Command::ReturnResult {
            method: ReturnMethod::Online,
        },
    );
    assert_eq!(ev[0].status, NationalStatus::ResultReturned);
    // Evaluation once, with valid scores.
    assert_eq!(
        fail(
            &mut d,
            vn(2025, 3, 7, 10, 0),
            Command::Evaluate {
                evaluation: evaluation(vec![IndexScore {
                    index: 10,
                    points: 2
                }])
            }
        ),
        "dossier.invalid_evaluation"
    );
    assert_eq!(
        fail(
            &mut d,
            vn(2025, 3, 7, 10, 0),
            Command::Evaluate {
                evaluation: evaluation(vec![
                    IndexScore {
                        index: 1,
                        points: 2
                    },
                    IndexScore {
                        index: 1,
                        points: 1
                    }
                ])
            }
        ),
        "dossier.invalid_evaluation"
    );
    run(
        &mut d,
        vn(2025, 3, 7, 10, 0),
        Command::Evaluate {
            evaluation: evaluation(vec![IndexScore {
                index: 1,
                points: 2,
            }]),
        },
    );
    assert_eq!(
        d.evaluation().unwrap().satisfaction,
        Satisfaction::VerySatisfied
    );
    assert_eq!(d.state().name(), StateName::Returned);
}

fn evaluation(scores: Vec<IndexScore>) -> Evaluation {
    Evaluation {
        satisfaction: Satisfaction::VerySatisfied,
        scores,
        comment: None,
    }
}

#[test]
fn supplement_pauses_the_clock_once() {
    // Received Monday 3 March 09:00, 5 days: due Monday 10 March 17:00.
    let mut d = received_at_desk(
        plain_terms(ServiceLevel::PartlyOnline, "Hộ tịch"),
        vn(2025, 3, 3, 9, 0),
    );
    run(&mut d, vn(2025, 3, 3, 10, 0), Command::HandOver);
    assert_eq!(
        fail(
            &mut d,
            vn(2025, 3, 5, 9, 0),
            Command::RequestSupplement {
                reasons: vec![" ".into()]
            }
        ),
        "dossier.reasons_required"
    );
    let ev = run(
        &mut d,
        vn(2025, 3, 5, 9, 0),
        Command::RequestSupplement {
            reasons: vec!["Thiếu giấy xác nhận tình trạng hôn nhân".into(), "".into()],
        },
    );
    assert_eq!(
        ev[0].kind,
        EventKind::SupplementRequested {
            reasons: vec!["Thiếu giấy xác nhận tình trạng hôn nhân".into()],
            during_processing: true
        }
    );
    assert_eq!(ev[0].status, NationalStatus::SupplementRequested);
    assert!(ev[0].clock_paused);
    assert_eq!(ev[0].due, None, "unknown while paused");
    assert!(d.is_clock_paused());
    // Answered two working days later: the due date moves by two working days.
    let ev = run(
        &mut d,
        vn(2025, 3, 7, 9, 0),
        Command::AnswerSupplement { note: None },
    );
    assert_eq!(d.state(), &DossierState::Processing { step: 0 });
    assert!(!d.is_clock_paused());
    assert_eq!(ev[0].due, Some(local(2025, 3, 12, 17, 0)));
    // Only once.
    assert_eq!(
        fail(
            &mut d,
            vn(2025, 3, 7, 10, 0),
            Command::RequestSupplement {
                reasons: vec!["Khác".into()]
            }
        ),
        "dossier.supplement_already_requested"
    );
    let ev = run(
        &mut d,
        vn(2025, 3, 12, 16, 0),
        Command::CompleteStep { note: None },
    );
    assert_eq!(
        ev.last().unwrap().kind,
        EventKind::ResultReady {
            timeliness: Timeliness::OnTime
        }
    );
    let pauses = &d.clock().unwrap().request().pauses;
    assert_eq!(pauses.len(), 1);
    assert_eq!(pauses[0].reason, PauseReason::Supplement);
}

#[test]
fn supplement_at_reception_counts_as_the_one_request() {
    let at = vn(2025, 3, 3, 9, 0);
    let mut d = Dossier::new(plain_terms(ServiceLevel::PartlyOnline, "Hộ tịch"));
    run(
        &mut d,
        at,
        Command::SubmitOnline {
            code: code_at(at, 1),
        },
    );
    let ev = run(
        &mut d,
        at,
        Command::RequestSupplement {
            reasons: vec!["Ảnh chụp mờ".into()],
        },
    );
    assert!(matches!(
        ev[0].kind,
        EventKind::SupplementRequested {
            during_processing: false,
            ..
        }
    ));
    assert!(d.clock().is_none(), "no clock before receipt");
    run(
        &mut d,
        vn(2025, 3, 4, 9, 0),
        Command::AnswerSupplement {
            note: Some("Đã tải lại ảnh".into()),
        },
    );
    assert_eq!(d.state(), &DossierState::Submitted);
    run(&mut d, vn(2025, 3, 4, 10, 0), Command::Accept);
    // The clock starts at acceptance: Tuesday 4 March + 5 days.
    assert_eq!(
        d.deadlines(&engine()).unwrap().unwrap().due,
        Some(local(2025, 3, 11, 17, 0))
    );
    assert_eq!(
        fail(
            &mut d,
            vn(2025, 3, 5, 9, 0),
            Command::RequestSupplement {
                reasons: vec!["Khác".into()]
            }
        ),
        "dossier.supplement_already_requested"
    );
}

#[test]
fn apology_once_and_only_when_late() {
    // Due Monday 10 March 17:00.
    let mut d = received_at_desk(
        plain_terms(ServiceLevel::PartlyOnline, "Hộ tịch"),
        vn(2025, 3, 3, 9, 0),
    );
    run(&mut d, vn(2025, 3, 3, 10, 0), Command::HandOver);
    let apology = |date: NaiveDate| Command::IssueApology {
        reason: "Chờ kết quả xác minh".into(),
        new_appointment: ExtensionTarget::UntilDate(date),
    };
    let friday14 = NaiveDate::from_ymd_opt(2025, 3, 14).unwrap();
    // Thursday 6 March: the due date is more than a working day away.
    let code = fail(&mut d, vn(2025, 3, 6, 10, 0), apology(friday14));
    assert_eq!(code, "dossier.apology_not_late");
    // Friday 7 March: due by the end of the next working day (Monday 10).
    // A new date on a Saturday, or not after the due date, is refused by the engine.
    let saturday = NaiveDate::from_ymd_opt(2025, 3, 15).unwrap();
    let err = d
        .clone()
        .apply(vn(2025, 3, 7, 10, 0), None, apology(saturday), &engine())
        .unwrap_err();
    assert_eq!(err.code(), "dossier.invalid_appointment");
    assert_eq!(err.calendar_code(), Some("calendar.not_a_working_day"));
    assert_eq!(
        fail(
            &mut d,
            vn(2025, 3, 7, 10, 0),
            apology(NaiveDate::from_ymd_opt(2025, 3, 10).unwrap())
        ),
        "dossier.invalid_appointment"
    );
    assert_eq!(
        fail(
            &mut d,
            vn(2025, 3, 7, 10, 0),
            Command::IssueApology {
                reason: " ".into(),
                new_appointment: ExtensionTarget::UntilDate(friday14)
            }
        ),
        "dossier.reasons_required"
    );
    let ev = run(&mut d, vn(2025, 3, 7, 10, 0), apology(friday14));
    assert_eq!(
        ev[0].kind,
        EventKind::ApologyIssued {
            reason: "Chờ kết quả xác minh".into(),
            previous_due: local(2025, 3, 10, 17, 0),
            new_appointment: local(2025, 3, 14, 17, 0),
        }
    );
    assert_eq!(
        ev[0].due,
        Some(local(2025, 3, 10, 17, 0)),
        "due is unchanged"
    );
    assert_eq!(ev[0].appointment, Some(local(2025, 3, 14, 17, 0)));
    assert_eq!(
        fail(
            &mut d,
            vn(2025, 3, 12, 10, 0),
            apology(NaiveDate::from_ymd_opt(2025, 3, 20).unwrap())
        ),
        "dossier.apology_already_issued"
    );
    // Finished on Thursday 13: within the new appointment, but late against the due date.
    let ev = run(
        &mut d,
        vn(2025, 3, 13, 10, 0),
        Command::CompleteStep { note: None },
    );
    assert_eq!(
        ev.last().unwrap().kind,
        EventKind::ResultReady {
            timeliness: Timeliness::Late
        }
    );
    assert_eq!(
        d.apology().unwrap().new_appointment,
        local(2025, 3, 14, 17, 0)
    );
}

#[test]
fn apology_after_the_due_date() {
    let mut d = received_at_desk(
        plain_terms(ServiceLevel::PartlyOnline, "Hộ tịch"),
        vn(2025, 3, 3, 9, 0),
    );
    let ev = run(
        &mut d,
        vn(2025, 3, 11, 9, 0),
        Command::IssueApology {
            reason: "Quá tải".into(),
            new_appointment: ExtensionTarget::By(WorkDuration::Days(2)),
        },
    );
    assert_eq!(ev[0].appointment, Some(local(2025, 3, 12, 17, 0)));
    assert_eq!(ev[0].state, StateName::Received);
}

#[test]
fn consultation_has_its_own_clock() {
    let mut d = received_at_desk(
        plain_terms(ServiceLevel::PartlyOnline, "Đất đai"),
        vn(2025, 3, 3, 9, 0),
    );
    run(&mut d, vn(2025, 3, 3, 10, 0), Command::HandOver);
    assert_eq!(
        fail(
            &mut d,
            vn(2025, 3, 4, 9, 0),
            Command::Consult {
                agency: agency_id(9),
                question: "  ".into(),
                allotted: WorkDuration::Days(2),
                pause_clock: true,
            }
        ),
        "dossier.text_required"
    );
    let ev = run(
        &mut d,
        vn(2025, 3, 4, 9, 0),
        Command::Consult {
            agency: agency_id(9),
            question: "Xác định nghĩa vụ tài chính về đất".into(),
            allotted: WorkDuration::Days(2),
            pause_clock: true,
        },
    );
    let EventKind::ConsultationRequested { due, step, .. } = &ev[0].kind else {
        panic!()
    };
    assert_eq!(*due, local(2025, 3, 6, 17, 0));
    assert_eq!(*step, Some(0));
    assert!(ev[0].clock_paused);
    assert_eq!(ev[0].status, NationalStatus::InProgress);
    // Answered on Friday 7 March 09:00: the consulted agency was late; the dossier's clock was
    // stopped three working days.
    let ev = run(
        &mut d,
        vn(2025, 3, 7, 9, 0),
        Command::ConsultationAnswered {
            answer: Some("Đã xác định".into()),
        },
    );
    assert!(matches!(
        ev[0].kind,
        EventKind::ConsultationAnswered {
            timeliness: Timeliness::Late,
            ..
        }
    ));
    assert_eq!(ev[0].due, Some(local(2025, 3, 13, 17, 0)));
    // A consultation that does not stop the clock leaves the due date alone.
    let ev = run(
        &mut d,
        vn(2025, 3, 7, 10, 0),
        Command::Consult {
            agency: agency_id(10),
            question: "Ý kiến quy hoạch".into(),
            allotted: WorkDuration::HalfDays(1),
            pause_clock: false,
        },
    );
    assert!(!ev[0].clock_paused);
    assert_eq!(ev[0].due, Some(local(2025, 3, 13, 17, 0)));
    let ev = run(
        &mut d,
        vn(2025, 3, 7, 11, 0),
        Command::ConsultationAnswered { answer: None },
    );
    assert!(matches!(
        ev[0].kind,
        EventKind::ConsultationAnswered {
            timeliness: Timeliness::OnTime,
            ..
        }
    ));
}

#[test]
fn financial_obligation_pauses_the_clock() {
    let mut d = received_at_desk(
        plain_terms(ServiceLevel::PartlyOnline, "Đất đai"),
        vn(2025, 3, 3, 9, 0),
    );
    run(&mut d, vn(2025, 3, 3, 10, 0), Command::HandOver);
    assert_eq!(
        fail(
            &mut d,
            vn(2025, 3, 4, 9, 0),
            Command::RequestFinancialObligation {
                description: "".into(),
                amount_vnd: None
            }
        ),
        "dossier.text_required"
    );
    let ev = run(
        &mut d,
        vn(2025, 3, 4, 9, 0),
        Command::RequestFinancialObligation {
            description: "Tiền sử dụng đất".into(),
            amount_vnd: Some(12_000_000),
        },
    );
    assert_eq!(ev[0].status, NationalStatus::FinancialObligationRequested);
    assert!(ev[0].clock_paused);
    let ev = run(
        &mut d,
        vn(2025, 3, 5, 9, 0),
        Command::FinancialObligationMet,
    );
    assert_eq!(ev[0].due, Some(local(2025, 3, 11, 17, 0)));
    assert_eq!(
        d.clock().unwrap().request().pauses[0].reason,
        PauseReason::Other
    );
}

#[test]
fn send_back_and_reject() {
    let mut d = received_at_desk(routed_terms(), vn(2025, 3, 3, 9, 0));
    run(&mut d, vn(2025, 3, 3, 10, 0), Command::HandOver);
    run(
        &mut d,
        vn(2025, 3, 4, 10, 0),
        Command::CompleteStep { note: None },
    );
    // Not to the desk step, not to itself, not forward, not a missing step.
    for step in [0, 2, 3, 9] {
        let code = fail(
            &mut d,
            vn(2025, 3, 4, 11, 0),
            Command::SendBack {
                to_step: step,
                reason: "x".into(),
            },
        );
        assert_eq!(code, "dossier.invalid_step", "{step}");
    }
    assert_eq!(
        fail(
            &mut d,
            vn(2025, 3, 4, 11, 0),
            Command::SendBack {
                to_step: 1,
                reason: "".into()
            }
        ),
        "dossier.reasons_required"
    );
    let ev = run(
        &mut d,
        vn(2025, 3, 4, 11, 0),
        Command::SendBack {
            to_step: 1,
            reason: "Bổ sung ý kiến thẩm định".into(),
        },
    );
    assert_eq!(
        ev[0].kind,
        EventKind::SentBack {
            from_step: 2,
            to_step: 1,
            reason: "Bổ sung ý kiến thẩm định".into()
        }
    );
    assert_eq!(ev[0].state, StateName::ReturnedToStep);
    assert_eq!(ev[0].status, NationalStatus::InProgress);
    run(
        &mut d,
        vn(2025, 3, 5, 11, 0),
        Command::CompleteStep { note: None },
    );
    assert_eq!(d.state(), &DossierState::AwaitingApproval { step: 2 });
    let ev = run(
        &mut d,
        vn(2025, 3, 12, 11, 0),
        Command::Reject {
            reasons: vec!["Không đủ điều kiện".into()],
        },
    );
    assert_eq!(ev[0].status, NationalStatus::Stopped);
    assert!(matches!(
        ev[0].kind,
        EventKind::Rejected {
            timeliness: Timeliness::Late,
            step: Some(2),
            ..
        }
    ));
    assert_eq!(d.timeliness(), Some(Timeliness::Late));
    assert!(d.state().name().is_terminal());
}

#[test]
fn withdrawal_resumes_a_paused_clock_and_computes_no_timeliness() {
    let mut d = received_at_desk(
        plain_terms(ServiceLevel::PartlyOnline, "Hộ tịch"),
        vn(2025, 3, 3, 9, 0),
    );
    run(
        &mut d,
        vn(2025, 3, 3, 10, 0),
        Command::RequestSupplement {
            reasons: vec!["Thiếu tờ khai".into()],
        },
    );
    assert!(d.is_clock_paused());
    let ev = run(
        &mut d,
        vn(2025, 3, 4, 10, 0),
        Command::Withdraw {
            reason: Some("Không còn nhu cầu".into()),
        },
    );
    assert_eq!(ev[0].status, NationalStatus::WithdrawalRequested);
    assert!(!d.is_clock_paused());
    assert_eq!(d.timeliness(), None);
    assert_eq!(d.finished_at(), None);
}

#[test]
fn channels_levels_and_return_methods() {
    let at = vn(2025, 3, 3, 9, 0);
    let mut info = Dossier::new(plain_terms(ServiceLevel::InformationOnly, "Hộ tịch"));
    assert_eq!(
        fail(
            &mut info,
            at,
            Command::SubmitOnline {
                code: code_at(at, 1)
            }
        ),
        "dossier.online_not_allowed"
    );
    let ev = run(
        &mut info,
        at,
        Command::ReceiveByPost {
            code: code_at(at, 1),
        },
    );
    assert!(matches!(
        ev[0].kind,
        EventKind::Submitted {
            channel: Channel::Post,
            ..
        }
    ));
    assert_eq!(info.channel().map(Channel::code), Some(3));
    run(&mut info, at, Command::Accept);
    finish_plain(&mut info, vn(2025, 3, 4, 9, 0));
    assert_eq!(
        fail(
            &mut info,
            vn(2025, 3, 4, 10, 0),
            Command::ReturnResult {
                method: ReturnMethod::Online
            }
        ),
        "dossier.return_method_not_allowed"
    );
    run(
        &mut info,
        vn(2025, 3, 4, 10, 0),
        Command::ReturnResult {
            method: ReturnMethod::Post,
        },
    );
    assert_eq!(
        info.state(),
        &DossierState::Returned {
            method: ReturnMethod::Post
        }
    );
    assert_eq!(
        [
            Channel::Direct.code(),
            Channel::Online.code(),
            Channel::Post.code()
        ],
        [1, 2, 3]
    );
    assert_eq!(Channel::from_code(2), Some(Channel::Online));
}

#[test]
fn codes_must_carry_the_receipt_date_and_time_only_moves_forward() {
    let at = vn(2025, 3, 3, 9, 0);
    let mut d = Dossier::new(plain_terms(ServiceLevel::PartlyOnline, "Hộ tịch"));
    let yesterday = code_at(at - Duration::days(1), 1);
    assert_eq!(
        fail(&mut d, at, Command::ReceiveAtDesk { code: yesterday }),
        "dossier.code_date_mismatch"
    );
    run(
        &mut d,
        at,
        Command::ReceiveAtDesk {
            code: code_at(at, 1),
        },
    );
    assert_eq!(
        fail(&mut d, at - Duration::seconds(1), Command::Accept),
        "dossier.time_went_backwards"
    );
    // Terms whose route does not add up (not validated by an import) fail at acceptance with
    // the engine's error, and the dossier stays submitted.
    let mut terms = routed_terms();
    terms.route.pop();
    let mut bad = Dossier::new(terms);
    run(
        &mut bad,
        at,
        Command::ReceiveAtDesk {
            code: code_at(at, 2),
        },
    );
    let err = bad
        .clone()
        .apply(at, None, Command::Accept, &engine())
        .unwrap_err();
    assert_eq!(err.code(), "dossier.deadline");
    assert_eq!(err.calendar_code(), Some("calendar.allotment_mismatch"));
    assert_eq!(fail(&mut bad, at, Command::Accept), "dossier.deadline");
    assert_eq!(bad.state(), &DossierState::Submitted);
}

#[test]
fn empty_route_has_one_implicit_step() {
    let mut d = received_at_desk(
        plain_terms(ServiceLevel::PartlyOnline, "Hộ tịch"),
        vn(2025, 3, 3, 9, 0),
    );
    assert_eq!(d.processing_steps(), vec![0]);
    run(&mut d, vn(2025, 3, 3, 10, 0), Command::HandOver);
    let ev = run(&mut d, vn(2025, 3, 3, 11, 0), Command::ResultReady);
    assert_eq!(
        ev[0].kind,
        EventKind::ResultReady {
            timeliness: Timeliness::Early
        }
    );
}

#[test]
fn error_codes_are_listed_unique_and_translated() {
    use cqdt_domain::calendar::CalendarError;
    use cqdt_domain::dossier::CommandName;
    let cal = CalendarError::NotAWorkingDay {
        date: NaiveDate::from_ymd_opt(2025, 3, 15).unwrap(),
    };
    let samples = vec![
        DossierError::IllegalTransition {
            state: StateName::Draft,
            command: CommandName::Accept,
        },
        DossierError::SupplementAlreadyRequested,
        DossierError::ApologyAlreadyIssued,
        DossierError::NotLate {
            due: local(2025, 3, 10, 17, 0),
        },
        DossierError::ClockPaused,
        DossierError::ReasonsRequired,
        DossierError::TextRequired { field: "question" },
        DossierError::InvalidStep { step: 2 },
        DossierError::StepsRemaining,
        DossierError::OnlineNotAllowed,
        DossierError::ReturnMethodNotAllowed {
            method: ReturnMethod::Online,
        },
        DossierError::AlreadyEvaluated,
        DossierError::InvalidEvaluation { reason: "x".into() },
        DossierError::TimeWentBackwards,
        DossierError::CodeDateMismatch {
            code_date: NaiveDate::from_ymd_opt(2025, 3, 2).unwrap(),
            receipt_date: NaiveDate::from_ymd_opt(2025, 3, 3).unwrap(),
        },
        DossierError::InvalidCode { value: "x".into() },
        DossierError::SequenceOutOfRange { sequence: 0 },
        DossierError::InvalidAppointment {
            source: cal.clone(),
        },
        DossierError::Deadline { source: cal },
        DossierError::InvalidPeriod,
    ];
    let mut seen = std::collections::BTreeSet::new();
    for e in &samples {
        assert!(
            DossierError::CODES.contains(&e.code()),
            "{} not listed",
            e.code()
        );
        assert!(e.code().starts_with("dossier."));
        assert!(seen.insert(e.code()), "{} twice", e.code());
        assert!(!e.message_vi().is_empty());
    }
    assert_eq!(seen.len(), DossierError::CODES.len());
    assert_eq!(
        samples[0].message_vi(),
        "Không thể thực hiện thao tác «Tiếp nhận hồ sơ» khi hồ sơ ở trạng thái «Đang soạn»."
    );
}
