#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Property test of the document state machines: random command sequences over several
//! documents never break the invariants (issued ⇒ numbered and both signatures recorded;
//! registered ⇒ arrival number; …), refused commands change nothing, and the numbers drawn
//! for issued documents are unique and consecutive per series.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use cqdt_domain::ErrorCode;
use cqdt_domain::document::{
    Arrival, Command, DocState, Document, DocumentFields, DocumentUpdate, EdxmlStatus, Handling,
    InChannel, IncomingData, IssuedNumber, OutgoingData, ReceiverStatus, RequestKind, Secrecy,
    Sender, SenderRequest, Series, Urgency, Withdrawal, WithdrawalKind,
};
use cqdt_domain::ids::{AgencyId, DocumentId, UserId};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Register,
    Refuse(bool),
    Assign(bool),
    Start,
    LinkReply,
    Complete,
    Edit,
    SubmitForReview,
    SendBack(bool),
    SubmitForSignature,
    Sign,
    Issue,
    RecordStatus(u8),
    ReceiveRequest(bool, bool),
    AnswerRequest(bool, bool),
    Withdraw(u8),
    RequestRecall(bool),
    Revoke(u8),
    Correct(bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::Register),
        any::<bool>().prop_map(Op::Refuse),
        any::<bool>().prop_map(Op::Assign),
        Just(Op::Start),
        Just(Op::LinkReply),
        Just(Op::Complete),
        Just(Op::Edit),
        Just(Op::SubmitForReview),
        any::<bool>().prop_map(Op::SendBack),
        Just(Op::SubmitForSignature),
        Just(Op::Sign),
        Just(Op::Issue),
        prop::sample::select(vec![1u8, 2, 3, 4, 5, 6, 15, 16]).prop_map(Op::RecordStatus),
        (any::<bool>(), any::<bool>()).prop_map(|(u, e)| Op::ReceiveRequest(u, e)),
        (any::<bool>(), any::<bool>()).prop_map(|(a, e)| Op::AnswerRequest(a, e)),
        (0u8..3).prop_map(Op::Withdraw),
        any::<bool>().prop_map(Op::RequestRecall),
        (0u8..3).prop_map(Op::Revoke),
        any::<bool>().prop_map(Op::Correct),
    ]
}

fn fields(secret: bool) -> DocumentFields {
    DocumentFields {
        type_code: "quyet_dinh".into(),
        type_name: "Quyết định".into(),
        subject: "Về việc thử".into(),
        signer: None,
        urgency: Urgency::Normal,
        secrecy: if secret {
            Secrecy::Secret
        } else {
            Secrecy::None
        },
    }
}

fn kind(k: u8) -> WithdrawalKind {
    [
        WithdrawalKind::Recall,
        WithdrawalKind::Revoke,
        WithdrawalKind::Replace,
    ][k as usize % 3]
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 12, 30, 2, 0, 0).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn random_commands_keep_the_invariants(
        ops in prop::collection::vec((0usize..6, op()), 1..120),
    ) {
        // Documents 0–2 incoming, 3–5 outgoing (5 is secret: its own series).
        let mut docs: Vec<Document> = Vec::new();
        for i in 0..3 {
            let data = IncomingData {
                channel: if i == 0 { InChannel::Paper } else { InChannel::Electronic },
                sender: Sender { name: "Sở Nội vụ".into(), identifier: None },
                sender_number: None,
                sender_date: None,
                arrived_at: t0(),
                arrival: None,
                handling_due: None,
                handling: None,
                reply: None,
                done_at: None,
                refusal: None,
                request: None,
                withdrawal: None,
                replaces: None,
            };
            docs.push(Document::arrived(fields(false), data, None).unwrap().0);
        }
        for i in 3..6 {
            docs.push(Document::draft(fields(i == 5), OutgoingData::default(), t0(), None).unwrap().0);
        }
        // Counters per (year, series) as the store keeps them; the clock crosses New Year.
        let mut counters: BTreeMap<(i32, String), u32> = BTreeMap::new();
        let mut issued: BTreeSet<(i32, String, u32)> = BTreeSet::new();
        let mut arrivals: BTreeSet<(i32, u32)> = BTreeSet::new();
        for (k, (i, o)) in ops.into_iter().enumerate() {
            let at = t0() + Duration::hours(k as i64 * 3);
            let date = cqdt_domain::calendar::to_local(at).date();
            let before = docs[i].clone();
            let series = if docs[i].fields.secrecy.is_secret() { Series::Secret } else { Series::Administrative };
            let mut draw = |key: String| {
                use chrono::Datelike;
                let c = counters.entry((date.year(), key)).or_insert(0);
                *c += 1;
                *c
            };
            let cmd = match o {
                Op::Register => {
                    use chrono::Datelike;
                    Command::Register {
                        arrival: Arrival { number: draw("den".into()), year: date.year(), date },
                        handling_due: date + Duration::days(7),
                    }
                }
                Op::Refuse(empty) => Command::Refuse { reason: if empty { " ".into() } else { "Sai nơi nhận".into() } },
                Op::Assign(lead) => Command::Assign { handling: Handling {
                    lead_unit: lead.then_some(AgencyId(uuid::Uuid::nil())),
                    due: date + Duration::days(5),
                    ..Default::default()
                } },
                Op::Start => Command::Start,
                Op::LinkReply => Command::LinkReply { reply: DocumentId(uuid::Uuid::nil()) },
                Op::Complete => Command::Complete { reply: None, note: None },
                Op::Edit => Command::Edit { fields: fields(docs[i].fields.secrecy.is_secret()) },
                Op::SubmitForReview => Command::SubmitForReview,
                Op::SendBack(empty) => Command::SendBack { reason: if empty { "".into() } else { "Sửa trích yếu".into() } },
                Op::SubmitForSignature => Command::SubmitForSignature,
                Op::Sign => Command::Sign,
                Op::Issue => {
                    // The store draws the number only when the command will be accepted; the
                    // test draws it inside the same "transaction" and rolls it back on refusal.
                    let key = series.key();
                    let n = draw(key.clone());
                    let num = IssuedNumber::new(n, date, &series, "QĐ-UBND".into()).unwrap();
                    Command::Issue { number: num }
                }
                Op::RecordStatus(c) => Command::RecordStatus(ReceiverStatus {
                    from: "000.00.20.H53".into(),
                    status: EdxmlStatus::from_code(c).unwrap(),
                    description: None,
                }),
                Op::ReceiveRequest(update, empty) => Command::ReceiveRequest(SenderRequest {
                    kind: if update { RequestKind::Update } else { RequestKind::Recall },
                    reason: if empty { " ".into() } else { "Gửi nhầm nơi nhận".into() },
                    at,
                    update: update.then(|| DocumentUpdate {
                        fields: DocumentFields { subject: "Về việc thử (sửa)".into(), ..fields(false) },
                        sender_number: Some("07/QĐ-UBND".into()),
                        sender_date: None,
                    }),
                }),
                Op::AnswerRequest(agree, empty) => Command::AnswerRequest {
                    agree,
                    reason: (!empty).then(|| "Đã xử lý xong".into()),
                },
                Op::Withdraw(k) => Command::Withdraw(Withdrawal {
                    kind: kind(k),
                    reason: "Thu hồi".into(),
                    at,
                    replaced_by: None,
                }),
                Op::RequestRecall(empty) => Command::RequestRecall {
                    reason: if empty { "".into() } else { "Sai nơi nhận".into() },
                },
                Op::Correct(empty) => Command::Correct {
                    fields: DocumentFields { subject: "Về việc thử (đính chính)".into(), type_code: "cong_van".into(), ..fields(false) },
                    reason: if empty { "".into() } else { "Đính chính trích yếu".into() },
                },
                Op::Revoke(k) => Command::Revoke(Withdrawal {
                    kind: kind(k),
                    reason: "Văn bản trái quy định".into(),
                    at,
                    replaced_by: None,
                }),
            };
            let drawn = match &cmd {
                Command::Issue { number } => Some((number.year, number.series.clone(), number.number)),
                Command::Register { arrival, .. } => Some((arrival.year, "den".into(), arrival.number)),
                _ => None,
            };
            match docs[i].apply(at, Some(UserId(uuid::Uuid::nil())), cmd) {
                Ok(ev) => {
                    prop_assert_eq!(ev.state, docs[i].state);
                    if let Some((y, s, n)) = drawn {
                        if s == "den" {
                            prop_assert!(arrivals.insert((y, n)), "arrival number reused");
                        } else {
                            prop_assert!(issued.insert((y, s, n)), "issued number reused");
                        }
                    }
                }
                Err(e) => {
                    prop_assert!(matches!(
                        e.code,
                        ErrorCode::DocumentIllegalTransition
                            | ErrorCode::DocumentReasonRequired
                            | ErrorCode::DocumentHandlerRequired
                            | ErrorCode::DocumentNotSigned
                            | ErrorCode::Required
                    ), "unexpected {:?}", e);
                    prop_assert_eq!(&docs[i], &before, "a refused command changed the document");
                    // Roll the counter back: the transaction that drew it did not commit.
                    if let Some((y, s, _)) = drawn
                        && let Some(c) = counters.get_mut(&(y, s))
                    {
                        *c -= 1;
                    }
                }
            }
            prop_assert_eq!(docs[i].check_invariants(), Ok(()));
            // Withdrawn and revoked documents are closed: nothing but statuses moves them.
            if before.state == DocState::Withdrawn {
                prop_assert_eq!(&docs[i], &before, "a withdrawn document changed");
            }
            if before.state == DocState::Revoked {
                prop_assert_eq!(docs[i].state, DocState::Revoked);
            }
            // A correction keeps the type, the secrecy and the number.
            if before.state == DocState::Issued {
                prop_assert_eq!(&docs[i].fields.type_code, &before.fields.type_code);
                prop_assert_eq!(docs[i].fields.secrecy, before.fields.secrecy);
                prop_assert_eq!(&docs[i].outgoing.as_ref().unwrap().number, &before.outgoing.as_ref().unwrap().number);
            }
            if docs[i].state == DocState::Withdrawn && before.state != DocState::Withdrawn {
                let w = docs[i].incoming.as_ref().and_then(|x| x.withdrawal.clone()).unwrap();
                prop_assert!(before.incoming.as_ref().unwrap().request.is_some() || w.kind != WithdrawalKind::Recall,
                    "recalled without a request");
            }
            if docs[i].state == DocState::Issued {
                let out = docs[i].outgoing.as_ref().unwrap();
                prop_assert!(out.number.is_some() && out.signer_signed && out.agency_signed);
            }
        }
        // Gap-free: the numbers of each (year, series) are exactly 1..=n.
        let mut per: BTreeMap<(i32, String), Vec<u32>> = BTreeMap::new();
        for (y, s, n) in &issued { per.entry((*y, s.clone())).or_default().push(*n); }
        for ((y, s), mut ns) in per {
            ns.sort();
            let want: Vec<u32> = (1..=ns.len() as u32).collect();
            prop_assert_eq!(ns, want, "series {} of {} has gaps", s, y);
        }
        let _ = NaiveDate::MIN;
    }
}
