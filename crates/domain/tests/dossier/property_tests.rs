//! Random command sequences against the state machine: invariants after every step.

use chrono::{DateTime, Duration, Utc};
use cqdt_domain::calendar::{ExtensionTarget, PauseReason, WorkDuration, to_local};
use cqdt_domain::dossier::{
    Command, CommandName, Dossier, DossierEvent, DossierState, Evaluation, EventKind, IndexScore,
    ReturnMethod, Satisfaction, StateName,
};
use cqdt_domain::policy::Role;
use cqdt_domain::procedure::{ProcedureTerms, RouteStep, ServiceLevel};
use proptest::prelude::*;

use super::{agency_id, code_at, engine, plain_terms, routed_terms, vn};

fn terms(k: u8) -> ProcedureTerms {
    match k % 4 {
        0 => routed_terms(),
        1 => plain_terms(ServiceLevel::FullyOnline, "Hộ tịch"),
        2 => plain_terms(ServiceLevel::InformationOnly, "Chứng thực"),
        _ => {
            // Desk, then a leader decides alone.
            let mut t = plain_terms(ServiceLevel::PartlyOnline, "Đất đai");
            t.route = vec![
                RouteStep {
                    name: "Tiếp nhận".into(),
                    agency: None,
                    unit: None,
                    role: Role::OneStopOfficer,
                    allotted: WorkDuration::Days(1),
                    inter_agency: false,
                },
                RouteStep {
                    name: "Chủ tịch quyết định".into(),
                    agency: Some(agency_id(3)),
                    unit: None,
                    role: Role::Leader,
                    allotted: WorkDuration::Days(4),
                    inter_agency: true,
                },
            ];
            t
        }
    }
}

fn command(name: CommandName, arg: u8, at: DateTime<Utc>) -> Command {
    let day = if arg.is_multiple_of(13) {
        at - Duration::days(1)
    } else {
        at
    };
    let reasons = |arg: u8| -> Vec<String> {
        if arg.is_multiple_of(6) {
            vec![]
        } else {
            (0..=arg % 3).map(|i| format!("Lý do {i}")).collect()
        }
    };
    match name {
        CommandName::SubmitOnline => Command::SubmitOnline {
            code: code_at(day, 1 + u32::from(arg)),
        },
        CommandName::ReceiveAtDesk => Command::ReceiveAtDesk {
            code: code_at(day, 1),
        },
        CommandName::ReceiveByPost => Command::ReceiveByPost {
            code: code_at(day, 1),
        },
        CommandName::Accept => Command::Accept,
        CommandName::RequestSupplement => Command::RequestSupplement {
            reasons: reasons(arg),
        },
        CommandName::AnswerSupplement => Command::AnswerSupplement { note: None },
        CommandName::Refuse => Command::Refuse {
            reasons: reasons(arg),
        },
        CommandName::HandOver => Command::HandOver,
        CommandName::CompleteStep => Command::CompleteStep { note: None },
        CommandName::Consult => Command::Consult {
            agency: agency_id(u128::from(arg)),
            question: if arg.is_multiple_of(9) {
                String::new()
            } else {
                "Ý kiến?".into()
            },
            allotted: WorkDuration::Days(u32::from(arg % 4)),
            pause_clock: arg.is_multiple_of(2),
        },
        CommandName::ConsultationAnswered => Command::ConsultationAnswered { answer: None },
        CommandName::Approve => Command::Approve,
        CommandName::Reject => Command::Reject {
            reasons: reasons(arg),
        },
        CommandName::SendBack => Command::SendBack {
            to_step: u16::from(arg % 5),
            reason: "Xem lại".into(),
        },
        CommandName::RequestFinancialObligation => Command::RequestFinancialObligation {
            description: "Thuế".into(),
            amount_vnd: Some(u64::from(arg) * 1000),
        },
        CommandName::FinancialObligationMet => Command::FinancialObligationMet,
        CommandName::ResultReady => Command::ResultReady,
        CommandName::ReturnResult => Command::ReturnResult {
            method: ReturnMethod::ALL[usize::from(arg % 3)],
        },
        CommandName::Withdraw => Command::Withdraw { reason: None },
        CommandName::IssueApology => Command::IssueApology {
            reason: "Trễ".into(),
            new_appointment: if arg.is_multiple_of(2) {
                ExtensionTarget::By(WorkDuration::Days(u32::from(arg % 4)))
            } else {
                ExtensionTarget::UntilDate(
                    to_local(at).date() + Duration::days(i64::from(arg % 12)),
                )
            },
        },
        CommandName::Evaluate => Command::Evaluate {
            evaluation: Evaluation {
                satisfaction: [
                    Satisfaction::VerySatisfied,
                    Satisfaction::Satisfied,
                    Satisfaction::Dissatisfied,
                ][usize::from(arg % 3)],
                scores: vec![IndexScore {
                    index: 1 + arg % 10,
                    points: arg % 3,
                }],
                comment: None,
            },
        },
    }
}

/// Commands that move a dossier forward, drawn more often so that sequences go deep.
const FORWARD: [CommandName; 12] = [
    CommandName::SubmitOnline,
    CommandName::ReceiveAtDesk,
    CommandName::Accept,
    CommandName::HandOver,
    CommandName::CompleteStep,
    CommandName::Approve,
    CommandName::ResultReady,
    CommandName::ReturnResult,
    CommandName::Evaluate,
    CommandName::AnswerSupplement,
    CommandName::ConsultationAnswered,
    CommandName::FinancialObligationMet,
];

fn op() -> impl Strategy<Value = (CommandName, u8, i64)> {
    let name = prop_oneof![
        3 => (0..FORWARD.len()).prop_map(|i| FORWARD[i]),
        2 => (0..CommandName::ALL.len()).prop_map(|i| CommandName::ALL[i]),
    ];
    // Minutes to the next command; a few go backwards.
    let gap = prop_oneof![1 => -120i64..0, 12 => 0i64..6000];
    (name, any::<u8>(), gap)
}

fn count(history: &[DossierEvent], f: impl Fn(&EventKind) -> bool) -> usize {
    history.iter().filter(|e| f(&e.kind)).count()
}

fn check_invariants(d: &Dossier, history: &[DossierEvent]) -> Result<(), TestCaseError> {
    let name = d.state().name();
    // The national mapping is total and in range.
    let status = d.national_status();
    prop_assert!((1..=10).contains(&status.code()));
    prop_assert_eq!(status, name.national_status());
    // At most one supplement request, one apology, one end of processing, one evaluation.
    let supplements = count(history, |k| {
        matches!(k, EventKind::SupplementRequested { .. })
    });
    let apologies = count(history, |k| matches!(k, EventKind::ApologyIssued { .. }));
    let finishes = count(history, |k| matches!(k, EventKind::ResultReady { .. }));
    let evaluations = count(history, |k| matches!(k, EventKind::Evaluated { .. }));
    prop_assert!(supplements <= 1);
    prop_assert!(apologies <= 1);
    prop_assert!(finishes <= 1);
    prop_assert!(evaluations <= 1);
    prop_assert_eq!(d.supplement().is_some(), supplements == 1);
    prop_assert_eq!(d.apology().is_some(), apologies == 1);
    prop_assert_eq!(d.evaluation().is_some(), evaluations == 1);
    // The clock exists exactly once received, and is paused exactly while a supplement
    // request (during processing), a pausing consultation or a financial obligation is open.
    prop_assert_eq!(d.clock().is_some(), d.received_at().is_some());
    let expect_paused = match d.state() {
        DossierState::SupplementRequested { resume } => resume.is_some(),
        DossierState::Consulting { consultation, .. } => consultation.pauses_main_clock,
        DossierState::AwaitingFinancialObligation { .. } => true,
        _ => false,
    };
    prop_assert_eq!(d.is_clock_paused(), expect_paused);
    let supplement_pause = d.is_clock_paused()
        && d.clock()
            .and_then(|c| c.request().pauses.last())
            .is_some_and(|p| p.reason == PauseReason::Supplement);
    prop_assert_eq!(
        supplement_pause,
        matches!(
            d.state(),
            DossierState::SupplementRequested { resume: Some(_) }
        )
    );
    // A supplement request is open exactly in that state (either phase).
    let open = d.supplement().is_some_and(|s| s.answered_at.is_none());
    prop_assert_eq!(
        open && name == StateName::SupplementRequested,
        name == StateName::SupplementRequested
    );
    if let Some(c) = d.clock() {
        prop_assert!(
            c.request()
                .pauses
                .iter()
                .filter(|p| p.reason == PauseReason::Supplement)
                .count()
                <= 1
        );
    }
    // Timeliness exists exactly once processing finished.
    let finished = matches!(
        name,
        StateName::ResultReady | StateName::Returned | StateName::Stopped
    );
    prop_assert_eq!(d.timeliness().is_some(), finished);
    prop_assert_eq!(d.finished_at().is_some(), finished);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn random_command_sequences_keep_the_invariants(
        k in any::<u8>(),
        start in 0i64..(2 * 365 * 24 * 60),
        ops in proptest::collection::vec(op(), 1..70),
    ) {
        let engine = engine();
        let mut d = Dossier::new(terms(k));
        let mut history: Vec<DossierEvent> = Vec::new();
        let mut at = vn(2025, 1, 1, 0, 0) + Duration::minutes(start);
        for (name, arg, gap) in ops {
            at += Duration::minutes(gap);
            let before = d.clone();
            let result = d.apply(at, None, command(name, arg, at), &engine);
            match result {
                Err(e) => {
                    prop_assert_eq!(&d, &before, "a refused command changed the dossier");
                    prop_assert!(cqdt_domain::dossier::DossierError::CODES.contains(&e.code()));
                    if before.last_at().is_some_and(|l| at < l) {
                        prop_assert_eq!(e.code(), "dossier.time_went_backwards");
                    }
                }
                Ok(events) => {
                    let was = before.state().name();
                    prop_assert!(
                        !matches!(was, StateName::Refused | StateName::Withdrawn | StateName::Stopped),
                        "{:?} accepted {:?}", was, name
                    );
                    if was == StateName::Returned {
                        prop_assert_eq!(name, CommandName::Evaluate);
                        prop_assert_eq!(d.state().name(), StateName::Returned);
                    }
                    if before.timeliness().is_some() {
                        prop_assert_eq!(d.timeliness(), before.timeliness(), "timeliness computed once");
                    }
                    prop_assert!(!events.is_empty());
                    for e in &events {
                        prop_assert_eq!(e.at, at);
                        prop_assert_eq!(e.state, d.state().name());
                        prop_assert_eq!(e.status, e.state.national_status());
                        prop_assert!((1..=10).contains(&e.status.code()));
                        prop_assert_eq!(e.clock_paused, d.is_clock_paused());
                        // No due date before receipt; always one while the clock runs (a pause that
                        // starts after the due instant leaves it known).
                        if d.clock().is_none() {
                            prop_assert!(e.due.is_none());
                        } else if !d.is_clock_paused() {
                            prop_assert!(e.due.is_some());
                        }
                    }
                    history.extend(events);
                }
            }
            check_invariants(&d, &history)?;
        }
        // Replaying the accepted commands' times gives a non-decreasing history.
        prop_assert!(history.windows(2).all(|w| w[0].at <= w[1].at));
    }
}
