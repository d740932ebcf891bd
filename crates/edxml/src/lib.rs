//! edXML packages (QCVN 102:2016/BTTTT, standards.md §5): the model of a document package and
//! of a status message, building ([`Package::to_xml`]) and parsing ([`Package::from_xml`]) them,
//! and the enveloped XML signature (W3C XML-DSig, exclusive C14N, RSA-SHA256) that signs a whole
//! package: [`sign`] and [`verify`]. Pure Rust; parsing is bounded by [`Limits`] and refuses any
//! DOCTYPE. See `docs/edxml.md`.

pub mod c14n;
mod dom;
mod dsig;
mod model;

pub use dsig::{RsaSigner, Verified, XmlSigner, sign, verify, verify_and_parse, verify_trusted};
pub use model::*;

/// The edXML namespace.
pub const EDXML_NS: &str = "http://www.mic.gov.vn/TBT/QCVN_102_2016";

/// Bounds on what a parser accepts; anything beyond is refused with [`Error::TooLarge`] or
/// [`Error::TooDeep`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Whole package, bytes (default 50 MB).
    pub max_package_bytes: usize,
    /// One attribute value, bytes (default 64 KB).
    pub max_attribute_bytes: usize,
    /// Attributes on one element (default 64).
    pub max_attributes: usize,
    /// One text node outside attachment content, bytes (default 1 MB).
    pub max_text_bytes: usize,
    /// Element nesting (default 64).
    pub max_depth: usize,
    /// Elements in the document (default 100 000).
    pub max_elements: usize,
    /// Attachments (default 100).
    pub max_attachments: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_package_bytes: 50 * 1024 * 1024,
            max_attribute_bytes: 64 * 1024,
            max_attributes: 64,
            max_text_bytes: 1024 * 1024,
            max_depth: 64,
            max_elements: 100_000,
            max_attachments: 100,
        }
    }
}

/// Everything that can go wrong; [`Error::kind`] is the stable code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Not well-formed XML, or not an edXML package (`line` is 1-based).
    Malformed { line: usize, reason: String },
    /// The document has a DOCTYPE (refused outright: no DTDs, no entity declarations).
    Doctype { line: usize },
    /// A size limit was exceeded.
    TooLarge { what: &'static str, limit: usize },
    /// Nesting deeper than the limit.
    TooDeep { limit: usize },
    /// More attachments than the limit.
    TooManyAttachments { limit: usize },
    /// An attachment's content is not valid base64.
    InvalidBase64 { content_id: String },
    /// A required element is missing (path of local names).
    MissingElement { path: String },
    /// An element's text is not a valid value (date, number, code).
    InvalidValue { element: String, value: String },
    /// The document carries no XML signature.
    NotSigned,
    /// The digest of the signed content does not match: the package was changed.
    DigestMismatch,
    /// The signature value does not verify with the certificate's key.
    SignatureInvalid,
    /// The signature is valid but its certificate is not issued by a trusted CA, or is
    /// outside its validity period at the time asked.
    UntrustedCertificate(String),
    /// An algorithm or signature shape this implementation does not support.
    UnsupportedAlgorithm(String),
    /// The certificate could not be read.
    Certificate(String),
    /// Key or signing failure.
    Key(String),
}

impl Error {
    /// A stable code for the error kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Malformed { .. } => "Malformed",
            Error::Doctype { .. } => "Doctype",
            Error::TooLarge { .. } => "TooLarge",
            Error::TooDeep { .. } => "TooDeep",
            Error::TooManyAttachments { .. } => "TooManyAttachments",
            Error::InvalidBase64 { .. } => "InvalidBase64",
            Error::MissingElement { .. } => "MissingElement",
            Error::InvalidValue { .. } => "InvalidValue",
            Error::NotSigned => "NotSigned",
            Error::DigestMismatch => "DigestMismatch",
            Error::SignatureInvalid => "SignatureInvalid",
            Error::UntrustedCertificate(_) => "UntrustedCertificate",
            Error::UnsupportedAlgorithm(_) => "UnsupportedAlgorithm",
            Error::Certificate(_) => "Certificate",
            Error::Key(_) => "Key",
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Malformed { line, reason } => {
                write!(f, "malformed XML at line {line}: {reason}")
            }
            Error::Doctype { line } => write!(f, "DOCTYPE refused (line {line})"),
            Error::TooLarge { what, limit } => write!(f, "{what} beyond the limit of {limit}"),
            Error::TooDeep { limit } => write!(f, "nesting deeper than {limit}"),
            Error::TooManyAttachments { limit } => write!(f, "more than {limit} attachments"),
            Error::InvalidBase64 { content_id } => {
                write!(f, "attachment {content_id}: invalid base64")
            }
            Error::MissingElement { path } => write!(f, "missing element {path}"),
            Error::InvalidValue { element, value } => {
                write!(f, "invalid value {value:?} in {element}")
            }
            Error::NotSigned => write!(f, "the package is not signed"),
            Error::DigestMismatch => {
                write!(f, "digest mismatch: the signed content was modified")
            }
            Error::SignatureInvalid => write!(f, "the signature value does not verify"),
            Error::UntrustedCertificate(e) => write!(f, "untrusted certificate: {e}"),
            Error::UnsupportedAlgorithm(a) => write!(f, "unsupported: {a}"),
            Error::Certificate(e) => write!(f, "certificate: {e}"),
            Error::Key(e) => write!(f, "key: {e}"),
        }
    }
}

impl std::error::Error for Error {}
