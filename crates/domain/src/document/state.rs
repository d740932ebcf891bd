//! The document aggregate: incoming documents (arrived → registered → assigned → in progress →
//! done, or refused) and outgoing ones (draft → in review → awaiting signature → signed →
//! issued, with send-back to draft). Every command that is accepted yields one event; a
//! command not allowed in the current state is `document.illegal_transition`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::kinds::{EdxmlStatus, InChannel, Secrecy, Tier, Urgency};
use super::number::IssuedNumber;
use crate::error::{DomainError, ErrorCode};
use crate::ids::{AgencyId, DocumentId, UserId};
use crate::text::nfc;

/// Incoming (văn bản đến) or outgoing (văn bản đi).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Incoming,
    Outgoing,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Incoming => "incoming",
            Direction::Outgoing => "outgoing",
        }
    }
    pub fn parse(s: &str) -> Option<Direction> {
        match s {
            "incoming" => Some(Direction::Incoming),
            "outgoing" => Some(Direction::Outgoing),
            _ => None,
        }
    }
}

/// Every state of both machines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocState {
    // Incoming.
    Arrived,
    Registered,
    Assigned,
    InProgress,
    Done,
    Refused,
    /// Taken back by its sender: recalled (13 agreed), revoked or replaced (edXML
    /// BussinessDocType 1 or 3). Out of handling; kept in the register.
    Withdrawn,
    // Outgoing.
    Draft,
    InReview,
    AwaitingSignature,
    Signed,
    Issued,
    /// Revoked (thu hồi) or replaced (thay thế) by a later document after it was issued.
    Revoked,
}

impl DocState {
    pub const ALL: [DocState; 13] = [
        DocState::Arrived,
        DocState::Registered,
        DocState::Assigned,
        DocState::InProgress,
        DocState::Done,
        DocState::Refused,
        DocState::Withdrawn,
        DocState::Draft,
        DocState::InReview,
        DocState::AwaitingSignature,
        DocState::Signed,
        DocState::Issued,
        DocState::Revoked,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            DocState::Arrived => "arrived",
            DocState::Registered => "registered",
            DocState::Assigned => "assigned",
            DocState::InProgress => "in_progress",
            DocState::Done => "done",
            DocState::Refused => "refused",
            DocState::Draft => "draft",
            DocState::InReview => "in_review",
            DocState::AwaitingSignature => "awaiting_signature",
            DocState::Signed => "signed",
            DocState::Issued => "issued",
            DocState::Withdrawn => "withdrawn",
            DocState::Revoked => "revoked",
        }
    }
    pub fn parse(s: &str) -> Option<DocState> {
        DocState::ALL.into_iter().find(|x| x.as_str() == s)
    }
    /// The edXML status of an incoming state (the total mapping of standards.md §5.3);
    /// `None` for outgoing states.
    pub fn edxml_status(self) -> Option<EdxmlStatus> {
        match self {
            DocState::Arrived => Some(EdxmlStatus::Arrived),
            DocState::Refused => Some(EdxmlStatus::Refused),
            DocState::Registered => Some(EdxmlStatus::Registered),
            DocState::Assigned => Some(EdxmlStatus::Assigned),
            DocState::InProgress => Some(EdxmlStatus::InProgress),
            DocState::Done => Some(EdxmlStatus::Done),
            DocState::Withdrawn => Some(EdxmlStatus::RequestAgreed),
            _ => None,
        }
    }
    /// An incoming copy its sender can still recall, update, revoke or replace.
    pub fn is_open_to_sender(self) -> bool {
        matches!(
            self,
            DocState::Arrived
                | DocState::Registered
                | DocState::Assigned
                | DocState::InProgress
                | DocState::Done
        )
    }
    /// Registered and not yet done: counts for the handling deadline.
    pub fn is_open_handling(self) -> bool {
        matches!(
            self,
            DocState::Registered | DocState::Assigned | DocState::InProgress
        )
    }
}

/// Who signs (người ký): competence prefix (`TM.`, `KT.`, `TL.`…), position and name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignerInfo {
    #[serde(default)]
    pub competence: Option<String>,
    #[serde(default)]
    pub position: Option<String>,
    pub full_name: String,
}

/// The author of an incoming document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sender {
    pub name: String,
    /// Its agency identifier (mã định danh), when known.
    #[serde(default)]
    pub identifier: Option<String>,
}

/// Arrival data written when the clerk registers (vào sổ).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arrival {
    /// Số đến.
    pub number: u32,
    pub year: i32,
    /// Ngày đến.
    pub date: NaiveDate,
}

/// Who handles an incoming document (phiếu giải quyết văn bản đến).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handling {
    /// The lead unit (an agency or unit of the tree).
    #[serde(default)]
    pub lead_unit: Option<AgencyId>,
    /// The lead person.
    #[serde(default)]
    pub lead_person: Option<UserId>,
    /// Coordinating units.
    #[serde(default)]
    pub coordinators: Vec<AgencyId>,
    /// Thời hạn giải quyết (local date).
    pub due: NaiveDate,
    /// The leader's opinion (ý kiến chỉ đạo).
    #[serde(default)]
    pub opinion: Option<String>,
    #[serde(default)]
    pub assigned_by: Option<UserId>,
}

/// A recipient (nơi nhận) of an outgoing document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    /// The agency, when it is on the platform (then it is sent over the exchange).
    #[serde(default)]
    pub agency_id: Option<AgencyId>,
    #[serde(default)]
    pub identifier: Option<String>,
    pub name: String,
    #[serde(default)]
    pub tier: Option<Tier>,
}

impl Recipient {
    pub fn electronic(&self) -> bool {
        self.agency_id.is_some()
    }
}

/// A receiver's status reported back on an outgoing document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiverStatus {
    /// The receiving agency's identifier.
    pub from: String,
    pub status: EdxmlStatus,
    #[serde(default)]
    pub description: Option<String>,
}

/// What a sender asks of a receiver's copy: to take it back (status 13) or to accept an
/// update of its metadata (edXML BussinessDocType 2). The receiver agrees (15) or refuses (16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    Recall,
    Update,
}

impl RequestKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Recall => "recall",
            RequestKind::Update => "update",
        }
    }
}

/// The metadata an update carries (what the receiver's copy becomes when it agrees).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentUpdate {
    pub fields: DocumentFields,
    #[serde(default)]
    pub sender_number: Option<String>,
    #[serde(default)]
    pub sender_date: Option<NaiveDate>,
}

/// A sender's request waiting for the receiver's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SenderRequest {
    pub kind: RequestKind,
    pub reason: String,
    pub at: DateTime<Utc>,
    #[serde(default)]
    pub update: Option<DocumentUpdate>,
}

/// Why a document left circulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WithdrawalKind {
    /// Lấy lại: the sender asked (13) and the receiver agreed (15).
    Recall,
    /// Thu hồi (BussinessDocType 1).
    Revoke,
    /// Thay thế by a later document (BussinessDocType 3).
    Replace,
}

impl WithdrawalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WithdrawalKind::Recall => "recall",
            WithdrawalKind::Revoke => "revoke",
            WithdrawalKind::Replace => "replace",
        }
    }
}

/// A withdrawal: kind, reason, when, and the replacing document when there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdrawal {
    pub kind: WithdrawalKind,
    pub reason: String,
    pub at: DateTime<Utc>,
    #[serde(default)]
    pub replaced_by: Option<DocumentId>,
}

/// The fields people type (both directions).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentFields {
    pub type_code: String,
    /// Tên loại as shown (from the type table, or as a package named it).
    pub type_name: String,
    /// Trích yếu.
    pub subject: String,
    #[serde(default)]
    pub signer: Option<SignerInfo>,
    pub urgency: Urgency,
    pub secrecy: Secrecy,
}

impl DocumentFields {
    /// NFC, trimmed; subject and type required.
    pub fn normalised(mut self) -> Result<DocumentFields, DomainError> {
        self.type_code = nfc(&self.type_code);
        self.type_name = nfc(&self.type_name);
        self.subject = nfc(&self.subject);
        if self.subject.is_empty() {
            return Err(DomainError::field(ErrorCode::Required, "subject"));
        }
        if self.subject.chars().count() > 500 {
            return Err(DomainError::field(ErrorCode::TooLong, "subject"));
        }
        if self.type_code.is_empty() {
            return Err(DomainError::field(ErrorCode::Required, "type_code"));
        }
        if let Some(s) = &mut self.signer {
            s.full_name = nfc(&s.full_name);
            s.position = crate::text::nfc_opt(s.position.as_deref());
            s.competence = crate::text::nfc_opt(s.competence.as_deref());
        }
        if self.signer.as_ref().is_some_and(|s| s.full_name.is_empty()) {
            self.signer = None;
        }
        Ok(self)
    }
}

/// Incoming-only data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomingData {
    pub channel: InChannel,
    pub sender: Sender,
    /// The sender's number and notation (`05/QĐ-UBND`).
    #[serde(default)]
    pub sender_number: Option<String>,
    /// The sender's date (ngày tháng văn bản).
    #[serde(default)]
    pub sender_date: Option<NaiveDate>,
    /// When it arrived (in the inbox, or at the desk).
    pub arrived_at: DateTime<Utc>,
    #[serde(default)]
    pub arrival: Option<Arrival>,
    /// Thời hạn giải quyết (set at registration, replaced by the leader's).
    #[serde(default)]
    pub handling_due: Option<NaiveDate>,
    #[serde(default)]
    pub handling: Option<Handling>,
    /// The outgoing reply.
    #[serde(default)]
    pub reply: Option<DocumentId>,
    #[serde(default)]
    pub done_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub refusal: Option<String>,
    /// The sender's pending request (recall or update).
    #[serde(default)]
    pub request: Option<SenderRequest>,
    /// Set when the sender took it back (state `withdrawn`).
    #[serde(default)]
    pub withdrawal: Option<Withdrawal>,
    /// The earlier incoming document this one replaces (BussinessDocType 3).
    #[serde(default)]
    pub replaces: Option<DocumentId>,
}

/// Outgoing-only data.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingData {
    /// The incoming document this one answers.
    #[serde(default)]
    pub reply_to: Option<DocumentId>,
    /// Abbreviation of the drafting unit (công văn notation).
    #[serde(default)]
    pub drafting_unit: Option<String>,
    #[serde(default)]
    pub recipients: Vec<Recipient>,
    #[serde(default)]
    pub number: Option<IssuedNumber>,
    /// The signer's digital signature is recorded.
    #[serde(default)]
    pub signer_signed: bool,
    /// The agency's digital signature is recorded.
    #[serde(default)]
    pub agency_signed: bool,
    #[serde(default)]
    pub signed_by: Option<UserId>,
    #[serde(default)]
    pub issued_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub send_back_reason: Option<String>,
    /// The issued document of the same agency this one replaces (thay thế).
    #[serde(default)]
    pub replaces: Option<DocumentId>,
    /// The last recall asked of the receivers (status 13), with its reason.
    #[serde(default)]
    pub recall_reason: Option<String>,
    /// Set when revoked or replaced (state `revoked`).
    #[serde(default)]
    pub revocation: Option<Withdrawal>,
    /// The reason of the last correction of the issued document's metadata (cập nhật).
    #[serde(default)]
    pub update_reason: Option<String>,
}

/// The aggregate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub direction: Direction,
    pub state: DocState,
    pub fields: DocumentFields,
    #[serde(default)]
    pub incoming: Option<IncomingData>,
    #[serde(default)]
    pub outgoing: Option<OutgoingData>,
}

/// What happened, one per accepted command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Arrived,
    Registered,
    Refused,
    Assigned,
    Started,
    ReplyLinked,
    Completed,
    Drafted,
    Edited,
    SubmittedForReview,
    SentBack,
    SubmittedForSignature,
    Signed,
    Issued,
    StatusReceived,
    /// Incoming: the sender asks to take it back (13) or to update it.
    RequestReceived,
    /// Incoming: the receiver agreed (15).
    RequestAgreed,
    /// Incoming: the receiver refused (16).
    RequestRefused,
    /// Incoming: revoked or replaced by its sender.
    Withdrawn,
    /// Outgoing: the sender asked its receivers to give it back (13).
    RecallRequested,
    /// Outgoing: revoked or replaced.
    Revoked,
    /// Outgoing: the issued document's metadata corrected (receivers asked to update).
    Corrected,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Arrived => "arrived",
            EventKind::Registered => "registered",
            EventKind::Refused => "refused",
            EventKind::Assigned => "assigned",
            EventKind::Started => "started",
            EventKind::ReplyLinked => "reply_linked",
            EventKind::Completed => "completed",
            EventKind::Drafted => "drafted",
            EventKind::Edited => "edited",
            EventKind::SubmittedForReview => "submitted_for_review",
            EventKind::SentBack => "sent_back",
            EventKind::SubmittedForSignature => "submitted_for_signature",
            EventKind::Signed => "signed",
            EventKind::Issued => "issued",
            EventKind::StatusReceived => "status_received",
            EventKind::RequestReceived => "request_received",
            EventKind::RequestAgreed => "request_agreed",
            EventKind::RequestRefused => "request_refused",
            EventKind::Withdrawn => "withdrawn",
            EventKind::RecallRequested => "recall_requested",
            EventKind::Revoked => "revoked",
            EventKind::Corrected => "corrected",
        }
    }
}

/// One event of a document's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentEvent {
    pub at: DateTime<Utc>,
    pub actor: Option<UserId>,
    pub kind: EventKind,
    /// The state after the event.
    pub state: DocState,
    /// Incoming: the edXML status after the event; `StatusReceived`: the status reported.
    #[serde(default)]
    pub status: Option<EdxmlStatus>,
    /// A reason, opinion or note.
    #[serde(default)]
    pub note: Option<String>,
    /// `StatusReceived`: the reporting agency's identifier.
    #[serde(default)]
    pub from: Option<String>,
}

/// A command of either machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Vào sổ văn bản đến, with the arrival number drawn by the store.
    Register {
        arrival: Arrival,
        handling_due: NaiveDate,
    },
    /// Từ chối tiếp nhận (returned to the sender).
    Refuse {
        reason: String,
    },
    /// A leader assigns (or re-assigns) the handling.
    Assign {
        handling: Handling,
    },
    /// The handler starts.
    Start,
    /// The handler links the outgoing reply.
    LinkReply {
        reply: DocumentId,
    },
    /// The handler completes (optionally naming the reply).
    Complete {
        reply: Option<DocumentId>,
        note: Option<String>,
    },
    /// Change the draft's fields (the caller sets them; this checks the state).
    Edit {
        fields: DocumentFields,
    },
    SubmitForReview,
    SendBack {
        reason: String,
    },
    SubmitForSignature,
    /// The signer's signature is recorded.
    Sign,
    /// The clerk numbers, dates and seals it (agency signature recorded).
    Issue {
        number: IssuedNumber,
    },
    /// A receiver's status (01–06, 15, 16) on an issued or revoked document.
    RecordStatus(ReceiverStatus),
    /// Incoming: the sender's recall (13) or update request arrived.
    ReceiveRequest(SenderRequest),
    /// Incoming: the clerk answers the pending request; refusing needs a reason.
    AnswerRequest {
        agree: bool,
        reason: Option<String>,
    },
    /// Incoming: the sender revoked or replaced it.
    Withdraw(Withdrawal),
    /// Outgoing: ask every receiver to give it back (13).
    RequestRecall {
        reason: String,
    },
    /// Outgoing: revoke it, or mark it replaced (`kind` Revoke or Replace).
    Revoke(Withdrawal),
    /// Outgoing: correct the issued document's subject, signer or urgency (its type, secrecy
    /// and number stay: another type is another document, to be replaced).
    Correct {
        fields: DocumentFields,
        reason: String,
    },
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Command::Register { .. } => "register",
            Command::Refuse { .. } => "refuse",
            Command::Assign { .. } => "assign",
            Command::Start => "start",
            Command::LinkReply { .. } => "link_reply",
            Command::Complete { .. } => "complete",
            Command::Edit { .. } => "edit",
            Command::SubmitForReview => "submit_for_review",
            Command::SendBack { .. } => "send_back",
            Command::SubmitForSignature => "submit_for_signature",
            Command::Sign => "sign",
            Command::Issue { .. } => "issue",
            Command::RecordStatus(_) => "record_status",
            Command::ReceiveRequest(_) => "receive_request",
            Command::AnswerRequest { .. } => "answer_request",
            Command::Withdraw(_) => "withdraw",
            Command::RequestRecall { .. } => "request_recall",
            Command::Revoke(_) => "revoke",
            Command::Correct { .. } => "correct",
        }
    }
}

fn illegal(state: DocState, cmd: &Command) -> DomainError {
    DomainError::field(
        ErrorCode::DocumentIllegalTransition,
        format!("{}:{}", state.as_str(), cmd.name()),
    )
}

fn reason(s: &str) -> Result<String, DomainError> {
    let r = nfc(s);
    if r.is_empty() {
        Err(DomainError::field(
            ErrorCode::DocumentReasonRequired,
            "reason",
        ))
    } else {
        Ok(r)
    }
}

impl Document {
    /// An incoming document that arrived (electronic inbox, or at the desk before registration).
    pub fn arrived(
        fields: DocumentFields,
        data: IncomingData,
        actor: Option<UserId>,
    ) -> Result<(Document, DocumentEvent), DomainError> {
        let fields = fields.normalised()?;
        let at = data.arrived_at;
        let doc = Document {
            direction: Direction::Incoming,
            state: DocState::Arrived,
            fields,
            incoming: Some(IncomingData {
                arrival: None,
                handling: None,
                handling_due: data.handling_due,
                reply: None,
                done_at: None,
                refusal: None,
                request: None,
                withdrawal: None,
                ..data
            }),
            outgoing: None,
        };
        let ev = doc.event(at, actor, EventKind::Arrived, None);
        Ok((doc, ev))
    }

    /// A new outgoing draft.
    pub fn draft(
        fields: DocumentFields,
        data: OutgoingData,
        at: DateTime<Utc>,
        actor: Option<UserId>,
    ) -> Result<(Document, DocumentEvent), DomainError> {
        let fields = fields.normalised()?;
        let doc = Document {
            direction: Direction::Outgoing,
            state: DocState::Draft,
            fields,
            incoming: None,
            outgoing: Some(OutgoingData {
                number: None,
                signer_signed: false,
                agency_signed: false,
                signed_by: None,
                issued_at: None,
                send_back_reason: None,
                recall_reason: None,
                revocation: None,
                update_reason: None,
                ..data
            }),
        };
        let ev = doc.event(at, actor, EventKind::Drafted, None);
        Ok((doc, ev))
    }

    fn event(
        &self,
        at: DateTime<Utc>,
        actor: Option<UserId>,
        kind: EventKind,
        note: Option<String>,
    ) -> DocumentEvent {
        DocumentEvent {
            at,
            actor,
            kind,
            state: self.state,
            status: self.state.edxml_status(),
            note,
            from: None,
        }
    }

    /// The edXML status of an incoming document.
    pub fn edxml_status(&self) -> Option<EdxmlStatus> {
        self.state.edxml_status()
    }

    /// Apply a command: the new state and its event, or an error and no change.
    pub fn apply(
        &mut self,
        at: DateTime<Utc>,
        actor: Option<UserId>,
        cmd: Command,
    ) -> Result<DocumentEvent, DomainError> {
        let mut next = self.clone();
        let ev = next.step(at, actor, cmd)?;
        *self = next;
        Ok(ev)
    }

    fn step(
        &mut self,
        at: DateTime<Utc>,
        actor: Option<UserId>,
        cmd: Command,
    ) -> Result<DocumentEvent, DomainError> {
        use DocState as S;
        let state = self.state;
        match (self.direction, state, cmd) {
            // ---- incoming ----
            (
                Direction::Incoming,
                S::Arrived,
                Command::Register {
                    arrival,
                    handling_due,
                },
            ) => {
                let inc = self.inc()?;
                if handling_due < arrival.date {
                    return Err(DomainError::field(
                        ErrorCode::DocumentInvalidDeadline,
                        "handling_due",
                    ));
                }
                inc.arrival = Some(arrival);
                inc.handling_due = Some(handling_due);
                self.state = S::Registered;
                Ok(self.event(at, actor, EventKind::Registered, None))
            }
            (Direction::Incoming, S::Arrived, Command::Refuse { reason: r }) => {
                let r = reason(&r)?;
                let inc = self.inc()?;
                inc.refusal = Some(r.clone());
                // A refused document answers any pending request of its sender (02 says it).
                inc.request = None;
                self.state = S::Refused;
                Ok(self.event(at, actor, EventKind::Refused, Some(r)))
            }
            (
                Direction::Incoming,
                S::Registered | S::Assigned,
                Command::Assign { mut handling },
            ) => {
                if handling.lead_unit.is_none() && handling.lead_person.is_none() {
                    return Err(DomainError::field(
                        ErrorCode::DocumentHandlerRequired,
                        "lead",
                    ));
                }
                let inc = self.inc()?;
                let arrival_date = inc.arrival.as_ref().map(|a| a.date);
                if arrival_date.is_some_and(|d| handling.due < d) {
                    return Err(DomainError::field(
                        ErrorCode::DocumentInvalidDeadline,
                        "due",
                    ));
                }
                handling.opinion = crate::text::nfc_opt(handling.opinion.as_deref());
                handling.coordinators.sort();
                handling.coordinators.dedup();
                let note = handling.opinion.clone();
                inc.handling_due = Some(handling.due);
                inc.handling = Some(handling);
                self.state = S::Assigned;
                Ok(self.event(at, actor, EventKind::Assigned, note))
            }
            (Direction::Incoming, S::Assigned, Command::Start) => {
                self.state = S::InProgress;
                Ok(self.event(at, actor, EventKind::Started, None))
            }
            (Direction::Incoming, S::InProgress, Command::LinkReply { reply }) => {
                self.inc()?.reply = Some(reply);
                Ok(self.event(at, actor, EventKind::ReplyLinked, Some(reply.to_string())))
            }
            (Direction::Incoming, S::InProgress, Command::Complete { reply, note }) => {
                let inc = self.inc()?;
                if reply.is_some() {
                    inc.reply = reply;
                }
                inc.done_at = Some(at);
                self.state = S::Done;
                Ok(self.event(
                    at,
                    actor,
                    EventKind::Completed,
                    crate::text::nfc_opt(note.as_deref()),
                ))
            }
            // ---- outgoing ----
            (Direction::Outgoing, S::Draft, Command::Edit { fields }) => {
                self.fields = fields.normalised()?;
                Ok(self.event(at, actor, EventKind::Edited, None))
            }
            (Direction::Outgoing, S::Draft, Command::SubmitForReview) => {
                self.state = S::InReview;
                Ok(self.event(at, actor, EventKind::SubmittedForReview, None))
            }
            (
                Direction::Outgoing,
                S::InReview | S::AwaitingSignature,
                Command::SendBack { reason: r },
            ) => {
                let r = reason(&r)?;
                self.out()?.send_back_reason = Some(r.clone());
                self.state = S::Draft;
                Ok(self.event(at, actor, EventKind::SentBack, Some(r)))
            }
            (Direction::Outgoing, S::InReview, Command::SubmitForSignature) => {
                self.state = S::AwaitingSignature;
                Ok(self.event(at, actor, EventKind::SubmittedForSignature, None))
            }
            (Direction::Outgoing, S::AwaitingSignature, Command::Sign) => {
                let out = self.out()?;
                out.signer_signed = true;
                out.signed_by = actor;
                self.state = S::Signed;
                Ok(self.event(at, actor, EventKind::Signed, None))
            }
            (Direction::Outgoing, S::Signed, Command::Issue { number }) => {
                let out = self.out()?;
                if !out.signer_signed {
                    return Err(DomainError::new(ErrorCode::DocumentNotSigned));
                }
                let note = Some(number.full.clone());
                out.number = Some(number);
                out.agency_signed = true;
                out.issued_at = Some(at);
                self.state = S::Issued;
                Ok(self.event(at, actor, EventKind::Issued, note))
            }
            (
                Direction::Incoming,
                S::Arrived | S::Registered | S::Assigned | S::InProgress | S::Done,
                Command::ReceiveRequest(mut req),
            ) => {
                req.reason = reason(&req.reason)?;
                if let Some(u) = req.update.take() {
                    req.update = Some(DocumentUpdate {
                        fields: u.fields.normalised()?,
                        sender_number: crate::text::nfc_opt(u.sender_number.as_deref()),
                        sender_date: u.sender_date,
                    });
                } else if req.kind == RequestKind::Update {
                    return Err(DomainError::field(ErrorCode::Required, "update"));
                }
                let note = Some(req.reason.clone());
                let kind = req.kind;
                self.inc()?.request = Some(req);
                let mut ev = self.event(at, actor, EventKind::RequestReceived, note);
                if kind == RequestKind::Recall {
                    ev.status = Some(EdxmlStatus::RecallRequested);
                }
                Ok(ev)
            }
            (
                Direction::Incoming,
                S::Arrived | S::Registered | S::Assigned | S::InProgress | S::Done,
                Command::AnswerRequest { agree, reason: r },
            ) => {
                let inc = self.inc()?;
                let Some(req) = inc.request.clone() else {
                    return Err(illegal(state, &Command::AnswerRequest { agree, reason: r }));
                };
                if !agree {
                    let r = reason(r.as_deref().unwrap_or(""))?;
                    inc.request = None;
                    let mut ev = self.event(at, actor, EventKind::RequestRefused, Some(r));
                    ev.status = Some(EdxmlStatus::RequestRefused);
                    return Ok(ev);
                }
                inc.request = None;
                match req.kind {
                    RequestKind::Recall => {
                        inc.withdrawal = Some(Withdrawal {
                            kind: WithdrawalKind::Recall,
                            reason: req.reason.clone(),
                            at,
                            replaced_by: None,
                        });
                        self.state = S::Withdrawn;
                    }
                    RequestKind::Update => {
                        if let Some(u) = req.update {
                            inc.sender_number = u.sender_number.or(inc.sender_number.take());
                            inc.sender_date = u.sender_date.or(inc.sender_date);
                            // The secrecy and the type code the receiver chose stay its own.
                            let keep = (self.fields.secrecy, self.fields.type_code.clone());
                            self.fields = u.fields;
                            (self.fields.secrecy, self.fields.type_code) = keep;
                        }
                    }
                }
                let note = crate::text::nfc_opt(r.as_deref());
                let mut ev = self.event(at, actor, EventKind::RequestAgreed, note);
                ev.status = Some(EdxmlStatus::RequestAgreed);
                Ok(ev)
            }
            (
                Direction::Incoming,
                S::Arrived | S::Registered | S::Assigned | S::InProgress | S::Done,
                Command::Withdraw(mut w),
            ) => {
                if w.kind == WithdrawalKind::Recall {
                    return Err(illegal(state, &Command::Withdraw(w)));
                }
                w.reason = reason(&w.reason)?;
                let note = Some(w.reason.clone());
                let inc = self.inc()?;
                inc.request = None;
                inc.withdrawal = Some(w);
                self.state = S::Withdrawn;
                Ok(self.event(at, actor, EventKind::Withdrawn, note))
            }
            (Direction::Outgoing, S::Issued, Command::RequestRecall { reason: r }) => {
                let r = reason(&r)?;
                self.out()?.recall_reason = Some(r.clone());
                let mut ev = self.event(at, actor, EventKind::RecallRequested, Some(r));
                ev.status = Some(EdxmlStatus::RecallRequested);
                Ok(ev)
            }
            (Direction::Outgoing, S::Issued, Command::Correct { fields, reason: r }) => {
                let r = reason(&r)?;
                let mut fields = fields.normalised()?;
                fields.type_code = self.fields.type_code.clone();
                fields.type_name = self.fields.type_name.clone();
                fields.secrecy = self.fields.secrecy;
                self.fields = fields;
                self.out()?.update_reason = Some(r.clone());
                Ok(self.event(at, actor, EventKind::Corrected, Some(r)))
            }
            (Direction::Outgoing, S::Issued, Command::Revoke(mut w)) => {
                if w.kind == WithdrawalKind::Recall {
                    return Err(illegal(state, &Command::Revoke(w)));
                }
                w.reason = reason(&w.reason)?;
                let note = Some(w.reason.clone());
                self.out()?.revocation = Some(w);
                self.state = S::Revoked;
                Ok(self.event(at, actor, EventKind::Revoked, note))
            }
            (Direction::Outgoing, S::Issued | S::Revoked, Command::RecordStatus(st)) => {
                let mut ev = self.event(
                    at,
                    actor,
                    EventKind::StatusReceived,
                    crate::text::nfc_opt(st.description.as_deref()),
                );
                ev.status = Some(st.status);
                ev.from = Some(st.from);
                Ok(ev)
            }
            (_, state, cmd) => Err(illegal(state, &cmd)),
        }
    }

    fn inc(&mut self) -> Result<&mut IncomingData, DomainError> {
        self.incoming
            .as_mut()
            .ok_or_else(|| DomainError::new(ErrorCode::DocumentIllegalTransition))
    }

    fn out(&mut self) -> Result<&mut OutgoingData, DomainError> {
        self.outgoing
            .as_mut()
            .ok_or_else(|| DomainError::new(ErrorCode::DocumentIllegalTransition))
    }

    /// The handling deadline is past on `today` (local date) and the document is not done.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.state.is_open_handling()
            && self
                .incoming
                .as_ref()
                .and_then(|i| i.handling_due)
                .is_some_and(|d| d < today)
    }

    /// The invariants every reachable state keeps (checked by the property test; cheap enough
    /// to call before every save).
    pub fn check_invariants(&self) -> Result<(), String> {
        use DocState as S;
        match self.direction {
            Direction::Incoming => {
                let inc = self.incoming.as_ref().ok_or("incoming without data")?;
                if self.outgoing.is_some() {
                    return Err("incoming with outgoing data".into());
                }
                if !matches!(
                    self.state,
                    S::Arrived
                        | S::Registered
                        | S::Assigned
                        | S::InProgress
                        | S::Done
                        | S::Refused
                        | S::Withdrawn
                ) {
                    return Err(format!("incoming in {:?}", self.state));
                }
                let withdrawn = self.state == S::Withdrawn;
                if withdrawn != inc.withdrawal.is_some() {
                    return Err("withdrawal iff withdrawn".into());
                }
                if matches!(self.state, S::Refused | S::Withdrawn) && inc.request.is_some() {
                    return Err("a pending request on a closed document".into());
                }
                let registered = matches!(
                    self.state,
                    S::Registered | S::Assigned | S::InProgress | S::Done
                );
                // A withdrawn document keeps what it had when it was taken back.
                if !withdrawn && registered != inc.arrival.is_some() {
                    return Err("arrival number iff registered".into());
                }
                if inc.arrival.is_some() && inc.handling_due.is_none() {
                    return Err("registered without a handling due date".into());
                }
                let assigned = matches!(self.state, S::Assigned | S::InProgress | S::Done);
                if !withdrawn && assigned != inc.handling.is_some() {
                    return Err("handling iff assigned".into());
                }
                if inc.handling.is_some() && inc.arrival.is_none() {
                    return Err("handling without registration".into());
                }
                if (self.state == S::Done) != inc.done_at.is_some() && !withdrawn {
                    return Err("done_at iff done".into());
                }
                if (self.state == S::Refused) != inc.refusal.is_some() {
                    return Err("refusal iff refused".into());
                }
            }
            Direction::Outgoing => {
                let out = self.outgoing.as_ref().ok_or("outgoing without data")?;
                if self.incoming.is_some() {
                    return Err("outgoing with incoming data".into());
                }
                let issued = matches!(self.state, S::Issued | S::Revoked);
                if !matches!(
                    self.state,
                    S::Draft
                        | S::InReview
                        | S::AwaitingSignature
                        | S::Signed
                        | S::Issued
                        | S::Revoked
                ) {
                    return Err(format!("outgoing in {:?}", self.state));
                }
                if (self.state == S::Revoked) != out.revocation.is_some() {
                    return Err("revocation iff revoked".into());
                }
                if out.recall_reason.is_some() && !issued {
                    return Err("a recall before issue".into());
                }
                if issued != out.number.is_some() || issued != out.agency_signed {
                    return Err("number and agency signature iff issued".into());
                }
                if issued && !out.signer_signed {
                    return Err("issued without the signer's signature".into());
                }
                if matches!(self.state, S::Signed | S::Issued | S::Revoked) != out.signer_signed {
                    return Err("signer's signature iff signed or issued".into());
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::number::Series;
    use chrono::TimeZone;

    fn t(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 3, 4, h, 0, 0)
            .single()
            .unwrap_or_default()
    }
    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 3, d).unwrap_or_default()
    }
    fn fields() -> DocumentFields {
        DocumentFields {
            type_code: "cong_van".into(),
            type_name: "Công văn".into(),
            subject: "V/v phòng, chống dịch".into(),
            signer: None,
            urgency: Urgency::Normal,
            secrecy: Secrecy::None,
        }
    }

    #[test]
    fn incoming_path_with_statuses() {
        let data = IncomingData {
            channel: InChannel::Electronic,
            sender: Sender {
                name: "UBND tỉnh".into(),
                identifier: Some("000.00.00.H53".into()),
            },
            sender_number: Some("05/UBND-VP".into()),
            sender_date: Some(day(1)),
            arrived_at: t(1),
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
        let (mut d, ev) = Document::arrived(fields(), data, None)
            .map_err(|e| e.code)
            .unwrap_or_else(|c| panic!("{c}"));
        assert_eq!(ev.status, Some(EdxmlStatus::Arrived));
        let e = d.apply(t(2), None, Command::Start).err().map(|e| e.code);
        assert_eq!(e, Some(ErrorCode::DocumentIllegalTransition));
        let ev = d
            .apply(
                t(2),
                None,
                Command::Register {
                    arrival: Arrival {
                        number: 1,
                        year: 2024,
                        date: day(4),
                    },
                    handling_due: day(11),
                },
            )
            .ok();
        assert_eq!(ev.and_then(|e| e.status).map(|s| s.code()), Some(3));
        assert!(d.is_overdue(day(12)));
        assert!(!d.is_overdue(day(11)));
        let no_lead = d.apply(
            t(3),
            None,
            Command::Assign {
                handling: Handling {
                    due: day(8),
                    ..Default::default()
                },
            },
        );
        assert_eq!(
            no_lead.err().map(|e| e.code),
            Some(ErrorCode::DocumentHandlerRequired)
        );
        let ok = d.apply(
            t(3),
            None,
            Command::Assign {
                handling: Handling {
                    lead_person: Some(UserId(uuid::Uuid::nil())),
                    due: day(8),
                    ..Default::default()
                },
            },
        );
        assert_eq!(ok.ok().and_then(|e| e.status).map(|s| s.code()), Some(4));
        assert!(d.apply(t(4), None, Command::Start).is_ok());
        let done = d.apply(
            t(5),
            None,
            Command::Complete {
                reply: None,
                note: None,
            },
        );
        assert_eq!(done.ok().and_then(|e| e.status).map(|s| s.code()), Some(6));
        assert!(!d.is_overdue(day(30)));
        assert_eq!(d.check_invariants(), Ok(()));
    }

    #[test]
    fn outgoing_cannot_be_issued_before_signature() {
        let (mut d, _) = Document::draft(fields(), OutgoingData::default(), t(1), None)
            .map_err(|e| e.code)
            .unwrap_or_else(|c| panic!("{c}"));
        let n = IssuedNumber::new(1, day(4), &Series::Administrative, "UBND-VP".into())
            .map_err(|e| e.code)
            .unwrap_or_else(|c| panic!("{c}"));
        let e = d.apply(t(2), None, Command::Issue { number: n }).err();
        assert_eq!(
            e.map(|e| (e.code, e.field)),
            Some((
                ErrorCode::DocumentIllegalTransition,
                Some("draft:issue".into())
            ))
        );
        let e = d
            .apply(t(2), None, Command::SendBack { reason: " ".into() })
            .err();
        assert_eq!(
            e.map(|e| e.code),
            Some(ErrorCode::DocumentIllegalTransition)
        );
        assert!(d.apply(t(2), None, Command::SubmitForReview).is_ok());
        let e = d
            .apply(t(2), None, Command::SendBack { reason: " ".into() })
            .err();
        assert_eq!(e.map(|e| e.code), Some(ErrorCode::DocumentReasonRequired));
        assert_eq!(d.state, DocState::InReview);
    }
}
