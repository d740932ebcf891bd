//! What cqdt prints: the one-stop desk's slips as A4 PDF (the forms 01–05 of TT 01/2018/TT-VPCP)
//! and QR codes.
//!
//! - [`ReceiptSlip`] (Mẫu 01), [`SupplementRequestSlip`] (02), [`RefusalSlip`] (03),
//!   [`ApologySlip`] (04) and [`ControlSlip`] (05) are plain data; each has
//!   `render_pdf(&self) -> Result<Vec<u8>, OutputError>`.
//! - [`IncomingRegister`], [`OutgoingRegister`] and [`FollowUpRegister`] are the document
//!   registers of NĐ 30/2020 Phụ lục IV; each has `render_pdf` (A4 landscape) and `render_xlsx`.
//! - [`qr_svg`] draws the QR code of a lookup URL for web pages; [`QrModules`] is the matrix.
//! - [`date_vi`], [`datetime_vi`] and [`vnd`] format dates, times and money the way the forms
//!   write them.
//!
//! Rendering is pure: no I/O, no clock, no randomness. Dates and times are arguments (already in
//! Asia/Ho_Chi_Minh), and the same slip always gives the same bytes. Text is normalised to NFC
//! before it is shaped. The fonts (Liberation Serif, SIL OFL 1.1, `fonts/`) are compiled in and
//! embedded as subsets; the PDF is PDF/A-2u, so its text can be extracted and searched.
//!
//! The page follows NĐ 30/2020's layout: A4 portrait, margins 20 mm top and bottom, 30 mm left,
//! 15 mm right; the agency block on the left and the national title and motto on the right, each
//! with its rule; the place and date line in italics; the document name in bold capitals; pages
//! numbered from the second.

mod fonts;
mod layout;
mod qr;
mod registers;
mod render;
mod report;
mod slips;
mod vi;

pub use qr::{QUIET_ZONE, QrModules, qr_svg};
pub use registers::{
    FollowUpEntry, FollowUpRegister, IncomingEntry, IncomingRegister, OutgoingEntry,
    OutgoingRegister, RegisterHeader, RegisterKind,
};
pub use report::{Ii06aSheet, Ii06aSheetLine};
pub use slips::{
    ApologySlip, Applicant, ControlSlip, Fee, HandOver, Issuer, LedgerEntry, MissingPaper,
    PaperForm, ReceiptSlip, ReceivedPaper, RefusalSlip, ResultDelivery, Signer,
    SupplementRequestSlip, Timeliness,
};
pub use vi::{date_vi, datetime_vi, vnd};

/// Why a slip could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// A compiled-in font file could not be parsed (a broken build, not bad input).
    #[error("the font {0} could not be read")]
    Font(&'static str),
    /// The text holds a character the font has no glyph for (it would print as a box).
    #[error("the font has no glyph for {0:?} (U+{code:04X})", code = u32::from(*.0))]
    MissingGlyph(char),
    /// The data does not fit in a QR code (at most about 2,300 bytes at error correction M).
    #[error("cannot make a QR code: {0}")]
    Qr(String),
    /// krilla refused to write the PDF.
    #[error("cannot write the PDF: {0}")]
    Pdf(String),
    /// The XLSX writer refused.
    #[error("cannot write the XLSX file: {0}")]
    Xlsx(String),
}
