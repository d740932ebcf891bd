//! Digital signatures on issued documents (issue 5, point 4): detached CMS (PKCS#7) signatures
//! over a file's bytes, RSA with SHA-256, the signing time and the certificate chain embedded.
//!
//! - [`Signer`] is the seam: the platform's [`SoftwareSigner`] (a key and its chain, made by the
//!   provincial [`TestCa`] or imported from PKCS#12) implements it, and so can a USB token or a
//!   remote signing service. Such an implementation only needs a raw RSA-SHA256 signature
//!   primitive and can reuse [`build_detached`] to wrap it into CMS.
//! - [`sign_document`] puts the two signatures an issued document carries — the signer's
//!   (personal certificate) and the agency's (organisation certificate) — into **one** CMS
//!   SignedData with two SignerInfos (parallel signatures, RFC 5652 §5.1).
//!   Why one file rather than two `.p7s`: a document then has a single signature file to store,
//!   send over edXML and upload to the verification page; `openssl cms -verify` checks every
//!   SignerInfo in one run, so a document with only one of the two signatures, or one bad one,
//!   fails as a whole; and the signatures stay independent (each SignerInfo signs the file's
//!   digest, not the other signature), so the agency's signature can be added later, at issuance,
//!   with [`merge`], without touching the signer's.
//! - [`verify`] reads any detached CMS signature and reports, per signer, subject, issuer,
//!   serial, signing time, whether the digest and signature match the file, whether the chain
//!   leads to a trusted root, and whether the chain was valid at the signing time.
//!
//! - [`sign_pdf`] embeds a signature in a PDF as an incremental update (PAdES B-B,
//!   `/ETSI.CAdES.detached`); [`sign_issued_pdf`] adds the signer's and then the agency's, and
//!   [`verify_pdf`] checks every embedded signature and what part of the file it covers. See
//!   `docs/pdf-signatures.md`.
//! - Every SignerInfo carries the ESS signing-certificate-v2 attribute (CAdES-BES, RFC 5035).
//!
//! Not here yet: timestamps from a TSA, revocation (CRL/OCSP), long-term validation data.

mod appearance;
mod ca;
mod cms_build;
mod pdf;
// Also read by `crate::pdf_text` (text of PDFs for search).
pub(crate) mod pdf_read;
mod software;
mod verify;

pub use appearance::VisibleSignature;
pub use ca::TestCa;
pub use cms_build::{build_detached, build_pades, merge, sign_document};
pub use pdf::{
    PdfSignOptions, PdfSignatureReport, pdf_can_be_signed, sign_issued_pdf, sign_pdf, stamp_pdf,
    verify_pdf,
};
pub use software::SoftwareSigner;
pub use verify::{Report, SignerReport, verify};

use der::{Decode, Encode, EncodePem};
use std::time::SystemTime;
use x509_cert::Certificate;

/// Errors of signing, key import and certificate issuance. Verification problems are not
/// errors: they are reported per signer in the [`Report`].
#[derive(Debug)]
pub enum SignError {
    /// ASN.1 / DER encoding or decoding.
    Der(String),
    /// RSA key generation, import or signing.
    Key(String),
    /// Certificate generation.
    Certificate(String),
    /// PKCS#12 import or export (wrong password, unsupported algorithm, no key).
    Pkcs12(String),
    /// Input that is not what was expected (not a detached SignedData, key not matching …).
    Invalid(String),
    /// A signing device or service failed.
    Device(String),
}

impl std::fmt::Display for SignError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignError::Der(e) => write!(f, "DER: {e}"),
            SignError::Key(e) => write!(f, "key: {e}"),
            SignError::Certificate(e) => write!(f, "certificate: {e}"),
            SignError::Pkcs12(e) => write!(f, "PKCS#12: {e}"),
            SignError::Invalid(e) => write!(f, "invalid: {e}"),
            SignError::Device(e) => write!(f, "signing device: {e}"),
        }
    }
}

impl std::error::Error for SignError {}

impl From<der::Error> for SignError {
    fn from(e: der::Error) -> Self {
        SignError::Der(e.to_string())
    }
}

/// Something that can sign a document: the platform's software key, a USB token (PKCS#11), a
/// remote signing service. `Send + Sync` so the web layer can hold one behind an `Arc`.
pub trait Signer: Send + Sync {
    /// The signer's own (end-entity) certificate.
    fn certificate(&self) -> Certificate;

    /// A detached CMS SignedData (DER-encoded ContentInfo) over `content`, with one SignerInfo,
    /// the signing time and the certificate chain embedded.
    fn sign_detached(&self, content: &[u8]) -> Result<Vec<u8>, SignError>;

    /// The time this signer puts on a signature (its clock; the system clock by default).
    fn signing_time(&self) -> SystemTime {
        software::clock_time(&cqdt_app::SystemClock)
    }

    /// The CMS of an embedded PDF signature over `content` (the PDF's two byte ranges): PAdES
    /// B-B as [`build_pades`] makes it, without a signing-time attribute since the time is the
    /// signature dictionary's `/M`. The default falls back to [`Signer::sign_detached`]: a
    /// device that cannot leave the signing time out still gives a signature that poppler and
    /// Adobe verify, though strict PAdES validators will note the extra attribute.
    fn sign_pades(&self, content: &[u8]) -> Result<Vec<u8>, SignError> {
        self.sign_detached(content)
    }
}

/// A certificate as PEM text (`-----BEGIN CERTIFICATE-----`).
pub fn certificate_pem(cert: &Certificate) -> Result<String, SignError> {
    Ok(cert.to_pem(der::pem::LineEnding::LF)?)
}

/// A certificate from DER or PEM bytes.
pub fn parse_certificate(bytes: &[u8]) -> Result<Certificate, SignError> {
    if bytes.starts_with(b"-----BEGIN") {
        use der::DecodePem;
        Ok(Certificate::from_pem(bytes)?)
    } else {
        Ok(Certificate::from_der(bytes)?)
    }
}

/// A certificate's DER bytes.
pub fn certificate_der(cert: &Certificate) -> Result<Vec<u8>, SignError> {
    Ok(cert.to_der()?)
}
