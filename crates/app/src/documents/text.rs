//! The text of a document's files for search: an outside effect (a parser of untrusted bytes),
//! behind a port. `cqdt_exchange::pdf_text::PdfText` reads PDFs; [`NoText`] reads nothing (the
//! default of `App::new`); [`FakeText`] answers a given text, for unit tests.

/// Most characters of one file's text kept for search.
pub const MAX_TEXT_CHARS: usize = 200_000;

/// Reads the text of an uploaded file (already checked by content: `file_type` is
/// `FileType::as_str`, e.g. `pdf`). Implementations bound their work on hostile input and never
/// panic; the app also runs them on a blocking thread and takes a panic as "no text".
pub trait TextExtractor: Send + Sync {
    /// The file's text (NFC), `None` when it has none (a scan without a text layer) or cannot
    /// be read.
    fn extract(&self, file_type: &str, bytes: &[u8]) -> Option<String>;
}

/// Reads no text.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoText;

impl TextExtractor for NoText {
    fn extract(&self, _file_type: &str, _bytes: &[u8]) -> Option<String> {
        None
    }
}

/// For tests: every PDF "contains" this text.
#[derive(Debug, Default, Clone)]
pub struct FakeText(pub String);

impl TextExtractor for FakeText {
    fn extract(&self, file_type: &str, _bytes: &[u8]) -> Option<String> {
        (file_type == "pdf").then(|| self.0.clone())
    }
}
