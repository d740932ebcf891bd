//! Table of every (state, command) pair: the legal transitions and the error of every other.

use chrono::{DateTime, Duration, Utc};
use cqdt_domain::calendar::{ExtensionTarget, WorkDuration};
use cqdt_domain::dossier::{
    Command, CommandName, Dossier, DossierState, Evaluation, NationalStatus, ReturnMethod,
    Satisfaction, StateName,
};

use super::{agency_id, code_at, routed_terms, run, vn};

const T0_DAY: u32 = 3; // Monday 3 March 2025

fn t(hours: i64) -> DateTime<Utc> {
    vn(2025, 3, T0_DAY, 8, 0) + Duration::hours(hours)
}

/// The scenarios of the table: a name and how to reach it (route: 0 desk, 1 specialist,
/// 2 leader, 3 clerk).
fn scenarios() -> Vec<(&'static str, Dossier)> {
    let draft = Dossier::new(routed_terms());
    let mut submitted = draft.clone();
    run(
        &mut submitted,
        t(0),
        Command::SubmitOnline {
            code: code_at(t(0), 1),
        },
    );
    let mut supplement_at_reception = submitted.clone();
    run(&mut supplement_at_reception, t(1), supplement());
    let mut refused = submitted.clone();
    run(&mut refused, t(1), refuse());
    let mut received = submitted.clone();
    run(&mut received, t(1), Command::Accept);
    let mut processing = received.clone();
    run(&mut processing, t(2), Command::HandOver);
    let mut supplement_in_processing = processing.clone();
    run(&mut supplement_in_processing, t(3), supplement());
    let mut consulting = processing.clone();
    run(&mut consulting, t(3), consult());
    let mut awaiting_approval = processing.clone();
    run(
        &mut awaiting_approval,
        t(3),
        Command::CompleteStep { note: None },
    );
    let mut returned_to_step = awaiting_approval.clone();
    run(&mut returned_to_step, t(4), send_back());
    let mut awaiting_financial = processing.clone();
    run(&mut awaiting_financial, t(3), obligation());
    let mut processing_last = awaiting_approval.clone();
    run(&mut processing_last, t(4), Command::Approve);
    let mut result_ready = processing_last.clone();
    run(
        &mut result_ready,
        t(5),
        Command::CompleteStep { note: None },
    );
    let mut returned = result_ready.clone();
    run(
        &mut returned,
        t(6),
        Command::ReturnResult {
            method: ReturnMethod::Desk,
        },
    );
    let mut evaluated = returned.clone();
    run(&mut evaluated, t(7), evaluate());
    let mut withdrawn = received.clone();
    run(&mut withdrawn, t(2), Command::Withdraw { reason: None });
    let mut stopped = awaiting_approval.clone();
    run(&mut stopped, t(4), reject());
    vec![
        ("draft", draft),
        ("submitted", submitted),
        ("supplement_at_reception", supplement_at_reception),
        ("refused", refused),
        ("received", received),
        ("processing", processing),
        ("supplement_in_processing", supplement_in_processing),
        ("consulting", consulting),
        ("awaiting_approval", awaiting_approval),
        ("returned_to_step", returned_to_step),
        ("awaiting_financial", awaiting_financial),
        ("processing_last", processing_last),
        ("result_ready", result_ready),
        ("returned", returned),
        ("evaluated", evaluated),
        ("withdrawn", withdrawn),
        ("stopped", stopped),
    ]
}

fn supplement() -> Command {
    Command::RequestSupplement {
        reasons: vec![
            "Thiếu bản sao Giấy chứng nhận quyền sử dụng đất".into(),
            "Tờ khai chưa ghi ngày sinh".into(),
        ],
    }
}
fn refuse() -> Command {
    Command::Refuse {
        reasons: vec!["Không thuộc thẩm quyền giải quyết".into()],
    }
}
fn consult() -> Command {
    Command::Consult {
        agency: agency_id(7),
        question: "Xác nhận nghĩa vụ thuế".into(),
        allotted: WorkDuration::Days(2),
        pause_clock: true,
    }
}
fn send_back() -> Command {
    Command::SendBack {
        to_step: 1,
        reason: "Thẩm định lại diện tích".into(),
    }
}
fn obligation() -> Command {
    Command::RequestFinancialObligation {
        description: "Lệ phí trước bạ".into(),
        amount_vnd: Some(500_000),
    }
}
fn reject() -> Command {
    Command::Reject {
        reasons: vec!["Không đủ điều kiện".into()],
    }
}
fn evaluate() -> Command {
    Command::Evaluate {
        evaluation: Evaluation {
            satisfaction: Satisfaction::VerySatisfied,
            scores: vec![],
            comment: Some("Nhanh".into()),
        },
    }
}

fn canonical(name: CommandName, at: DateTime<Utc>) -> Command {
    match name {
        CommandName::SubmitOnline => Command::SubmitOnline {
            code: code_at(at, 2),
        },
        CommandName::ReceiveAtDesk => Command::ReceiveAtDesk {
            code: code_at(at, 2),
        },
        CommandName::ReceiveByPost => Command::ReceiveByPost {
            code: code_at(at, 2),
        },
        CommandName::Accept => Command::Accept,
        CommandName::RequestSupplement => supplement(),
        CommandName::AnswerSupplement => Command::AnswerSupplement { note: None },
        CommandName::Refuse => refuse(),
        CommandName::HandOver => Command::HandOver,
        CommandName::CompleteStep => Command::CompleteStep { note: None },
        CommandName::Consult => consult(),
        CommandName::ConsultationAnswered => Command::ConsultationAnswered { answer: None },
        CommandName::Approve => Command::Approve,
        CommandName::Reject => reject(),
        CommandName::SendBack => send_back(),
        CommandName::RequestFinancialObligation => obligation(),
        CommandName::FinancialObligationMet => Command::FinancialObligationMet,
        CommandName::ResultReady => Command::ResultReady,
        CommandName::ReturnResult => Command::ReturnResult {
            method: ReturnMethod::Post,
        },
        CommandName::Withdraw => Command::Withdraw { reason: None },
        CommandName::IssueApology => Command::IssueApology {
            reason: "Phải xác minh thực địa".into(),
            new_appointment: ExtensionTarget::By(WorkDuration::Days(3)),
        },
        CommandName::Evaluate => evaluate(),
    }
}

enum Expect {
    To(StateName),
    Err(&'static str),
}
use Expect::{Err as E, To};

/// Every legal transition, and every refusal with another code than illegal_transition.
/// Commands are applied 30 days after the scenario, so every received dossier is late.
fn table() -> Vec<(&'static str, CommandName, Expect)> {
    use CommandName as C;
    use StateName as S;
    vec![
        ("draft", C::SubmitOnline, To(S::Submitted)),
        ("draft", C::ReceiveAtDesk, To(S::Submitted)),
        ("draft", C::ReceiveByPost, To(S::Submitted)),
        ("submitted", C::Accept, To(S::Received)),
        (
            "submitted",
            C::RequestSupplement,
            To(S::SupplementRequested),
        ),
        ("submitted", C::Refuse, To(S::Refused)),
        ("submitted", C::Withdraw, To(S::Withdrawn)),
        (
            "supplement_at_reception",
            C::AnswerSupplement,
            To(S::Submitted),
        ),
        ("supplement_at_reception", C::Refuse, To(S::Refused)),
        ("supplement_at_reception", C::Withdraw, To(S::Withdrawn)),
        ("received", C::HandOver, To(S::Processing)),
        ("received", C::RequestSupplement, To(S::SupplementRequested)),
        ("received", C::Withdraw, To(S::Withdrawn)),
        ("received", C::IssueApology, To(S::Received)),
        ("processing", C::CompleteStep, To(S::AwaitingApproval)),
        (
            "processing",
            C::RequestSupplement,
            To(S::SupplementRequested),
        ),
        ("processing", C::Consult, To(S::Consulting)),
        ("processing", C::Reject, To(S::Stopped)),
        ("processing", C::SendBack, E("dossier.invalid_step")),
        (
            "processing",
            C::RequestFinancialObligation,
            To(S::AwaitingFinancialObligation),
        ),
        ("processing", C::ResultReady, E("dossier.steps_remaining")),
        ("processing", C::Withdraw, To(S::Withdrawn)),
        ("processing", C::IssueApology, To(S::Processing)),
        (
            "supplement_in_processing",
            C::AnswerSupplement,
            To(S::Processing),
        ),
        ("supplement_in_processing", C::Reject, To(S::Stopped)),
        ("supplement_in_processing", C::Withdraw, To(S::Withdrawn)),
        (
            "supplement_in_processing",
            C::IssueApology,
            E("dossier.clock_paused"),
        ),
        ("consulting", C::ConsultationAnswered, To(S::Processing)),
        ("consulting", C::Withdraw, To(S::Withdrawn)),
        ("consulting", C::IssueApology, E("dossier.clock_paused")),
        ("awaiting_approval", C::Approve, To(S::Processing)),
        ("awaiting_approval", C::Reject, To(S::Stopped)),
        ("awaiting_approval", C::SendBack, To(S::ReturnedToStep)),
        (
            "awaiting_approval",
            C::RequestSupplement,
            To(S::SupplementRequested),
        ),
        (
            "awaiting_approval",
            C::RequestFinancialObligation,
            To(S::AwaitingFinancialObligation),
        ),
        ("awaiting_approval", C::Withdraw, To(S::Withdrawn)),
        (
            "awaiting_approval",
            C::IssueApology,
            To(S::AwaitingApproval),
        ),
        ("returned_to_step", C::CompleteStep, To(S::AwaitingApproval)),
        ("returned_to_step", C::Consult, To(S::Consulting)),
        ("returned_to_step", C::Reject, To(S::Stopped)),
        ("returned_to_step", C::SendBack, E("dossier.invalid_step")),
        (
            "returned_to_step",
            C::RequestSupplement,
            To(S::SupplementRequested),
        ),
        (
            "returned_to_step",
            C::RequestFinancialObligation,
            To(S::AwaitingFinancialObligation),
        ),
        (
            "returned_to_step",
            C::ResultReady,
            E("dossier.steps_remaining"),
        ),
        ("returned_to_step", C::Withdraw, To(S::Withdrawn)),
        ("returned_to_step", C::IssueApology, To(S::ReturnedToStep)),
        (
            "awaiting_financial",
            C::FinancialObligationMet,
            To(S::Processing),
        ),
        ("awaiting_financial", C::Withdraw, To(S::Withdrawn)),
        (
            "awaiting_financial",
            C::IssueApology,
            E("dossier.clock_paused"),
        ),
        ("processing_last", C::CompleteStep, To(S::ResultReady)),
        ("processing_last", C::ResultReady, To(S::ResultReady)),
        ("processing_last", C::SendBack, To(S::ReturnedToStep)),
        ("processing_last", C::Consult, To(S::Consulting)),
        (
            "processing_last",
            C::RequestSupplement,
            To(S::SupplementRequested),
        ),
        (
            "processing_last",
            C::RequestFinancialObligation,
            To(S::AwaitingFinancialObligation),
        ),
        ("processing_last", C::Reject, To(S::Stopped)),
        ("processing_last", C::Withdraw, To(S::Withdrawn)),
        ("processing_last", C::IssueApology, To(S::Processing)),
        ("result_ready", C::ReturnResult, To(S::Returned)),
        ("returned", C::Evaluate, To(S::Returned)),
        ("evaluated", C::Evaluate, E("dossier.already_evaluated")),
    ]
}

#[test]
fn every_state_and_command() {
    let table = table();
    let mut checked = 0;
    let mut legal = 0;
    for (scenario, dossier) in scenarios() {
        let at = dossier.last_at().unwrap_or(t(0)) + Duration::days(30);
        for name in CommandName::ALL {
            let expected = table
                .iter()
                .find(|(s, c, _)| *s == scenario && *c == name)
                .map(|(_, _, e)| e);
            let mut d = dossier.clone();
            let result = d.apply(at, None, canonical(name, at), &super::engine());
            match (expected, result) {
                (Some(To(state)), Ok(events)) => {
                    legal += 1;
                    assert_eq!(d.state().name(), *state, "{scenario} × {name:?}");
                    assert!(!events.is_empty());
                    for e in &events {
                        assert_eq!(e.state, *state);
                        assert_eq!(e.status, state.national_status());
                        assert_eq!(e.at, at);
                    }
                }
                (Some(E(code)), Err(e)) => {
                    assert_eq!(e.code(), *code, "{scenario} × {name:?}");
                    assert_eq!(d, dossier, "{scenario} × {name:?} changed the dossier");
                }
                (None, Err(e)) => {
                    assert_eq!(
                        e.code(),
                        "dossier.illegal_transition",
                        "{scenario} × {name:?}: {e}"
                    );
                    assert_eq!(d, dossier);
                    assert!(!e.message_vi().is_empty());
                }
                (expected, Ok(_)) => panic!(
                    "{scenario} × {name:?} succeeded (to {:?}), expected {}",
                    d.state().name(),
                    if expected.is_some() {
                        "an error"
                    } else {
                        "illegal_transition"
                    }
                ),
                (Some(To(state)), Err(e)) => {
                    panic!("{scenario} × {name:?} failed with {e}, expected {state:?}")
                }
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 17 * 21);
    assert_eq!(
        legal,
        table.iter().filter(|(_, _, e)| matches!(e, To(_))).count()
    );
    assert_eq!(legal, 53);
}

#[test]
fn national_mapping_is_total_and_onto() {
    use NationalStatus as N;
    use StateName as S;
    let expected = [
        (S::Draft, 1),
        (S::Submitted, 1),
        (S::SupplementRequested, 5),
        (S::Refused, 3),
        (S::Received, 2),
        (S::Processing, 4),
        (S::ReturnedToStep, 4),
        (S::Consulting, 4),
        (S::AwaitingApproval, 4),
        (S::AwaitingFinancialObligation, 6),
        (S::ResultReady, 9),
        (S::Returned, 10),
        (S::Withdrawn, 7),
        (S::Stopped, 8),
    ];
    assert_eq!(expected.len(), S::ALL.len());
    for (state, code) in expected {
        assert_eq!(state.national_status().code(), code, "{state:?}");
        assert_eq!(N::from_code(code), Some(state.national_status()));
    }
    let mut hit: Vec<u8> = S::ALL.iter().map(|s| s.national_status().code()).collect();
    hit.sort_unstable();
    hit.dedup();
    assert_eq!(
        hit,
        (1..=10).collect::<Vec<u8>>(),
        "every national code is used"
    );
    for n in N::ALL {
        assert_eq!(serde_json::to_string(&n).unwrap(), n.code().to_string());
        assert!(!n.label_vi().is_empty());
    }
    assert_eq!(N::from_code(0), None);
    assert_eq!(N::from_code(11), None);
    assert!(serde_json::from_str::<N>("11").is_err());
    // Every scenario's state agrees with its name.
    for (_, d) in scenarios() {
        assert_eq!(d.national_status(), d.state().name().national_status());
    }
}

#[test]
fn states_serialise_with_their_data() {
    for (scenario, d) in scenarios() {
        let json = serde_json::to_string(&d).unwrap();
        let back: Dossier = serde_json::from_str(&json).unwrap();
        assert_eq!(back, d, "{scenario}");
    }
    let s = DossierState::Processing { step: 1 };
    assert_eq!(
        serde_json::to_string(&s).unwrap(),
        r#"{"state":"processing","step":1}"#
    );
}
