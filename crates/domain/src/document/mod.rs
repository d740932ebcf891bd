//! Electronic documents (văn bản điện tử, issue 5): incoming and outgoing documents, their
//! state machines and edXML status codes, numbering and notation (NĐ 30/2020 Điều 15, Phụ lục
//! I), urgency and secrecy, and the document types with their abbreviations as data. Pure:
//! time and numbers come in as arguments. See `docs/documents.md`.
//!
//! - [`kinds`]: [`Urgency`] (edXML Priority 0–4), [`Secrecy`], [`InChannel`], [`EdxmlStatus`]
//!   (01–06), [`Tier`].
//! - [`types`]: [`DocumentTypes`], parsed from `data/documents/document-types.csv`.
//! - [`number`]: [`Series`], [`IssuedNumber`], [`notation`], the edXML `DocumentId`.
//! - [`state`]: the [`Document`] aggregate, its [`Command`]s and [`DocumentEvent`]s.

pub mod kinds;
pub mod number;
pub mod state;
pub mod types;

pub use kinds::{EdxmlStatus, InChannel, Secrecy, Tier, Urgency};
pub use number::{
    IssuedNumber, MAX_NUMBER, Series, check_abbreviation, edxml_document_id, format_number,
    notation,
};
pub use state::{
    Arrival, Command, Direction, DocState, Document, DocumentEvent, DocumentFields, DocumentUpdate,
    EventKind, Handling, IncomingData, OutgoingData, ReceiverStatus, Recipient, RequestKind,
    Sender, SenderRequest, SignerInfo, Withdrawal, WithdrawalKind,
};
pub use types::{DocumentType, DocumentTypes, SeriesRule, TypeLineError};
