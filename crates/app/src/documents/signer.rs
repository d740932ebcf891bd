//! The signing port of documents: a detached signature over a file's bytes, for a person (the
//! signer) or for an agency (its seal); an embedded (PAdES) signature in a PDF, after an
//! optional stamp of the number and date; and the verification of any uploaded file. The real
//! one is `cqdt-exchange`'s `signing::DocumentSigning` (CMS SignedData, PAdES B-B);
//! [`FakeSigner`] is for tests.

use async_trait::async_trait;
use cqdt_domain::ErrorCode;
use cqdt_domain::ids::{AgencyId, UserId};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};

/// On whose behalf a signature is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignAs {
    Person {
        user: UserId,
        full_name: String,
    },
    Agency {
        agency: AgencyId,
        /// Official identifier (mã định danh).
        identifier: String,
        /// The agency's name, for its certificate.
        name: String,
    },
}

/// What kind of signature a verification found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationKind {
    /// Signatures embedded in a PDF.
    Pdf,
    /// A detached signature file (`.p7s`) over the file.
    Detached,
}

/// For an embedded PDF signature: what part of the file it covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PdfCoverage {
    /// The signature field's name.
    pub field: String,
    pub reason: Option<String>,
    pub location: Option<String>,
    /// The revision the signature covers (1 = the original file, each incremental update
    /// adds one) and how many revisions the file has.
    pub revision: u32,
    pub revisions: u32,
    /// Bytes covered (the length of that revision).
    pub signed_length: u64,
    /// The signature covers the whole file; when false, later revisions (a stamp, another
    /// signature) were added after it and are not covered by it.
    pub covers_whole_file: bool,
}

/// One signature found in an uploaded file, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifiedSignature {
    /// The signer's name (certificate common name).
    pub signer_name: Option<String>,
    /// The certificate's subject (RFC 4514).
    pub subject: String,
    /// The organisation (O) of the certificate.
    pub organization: Option<String>,
    pub issuer: String,
    /// Certificate serial number (hexadecimal).
    pub serial: String,
    /// Certificate validity, RFC 3339 UTC.
    pub not_before: Option<String>,
    pub not_after: Option<String>,
    /// The signing time (RFC 3339 or, for PDFs, ISO 8601 in Vietnamese time).
    pub signing_time: Option<String>,
    /// Subjects from the signer's certificate up to the trust anchor (or as far as found).
    pub chain: Vec<String>,
    /// The chain leads to a trusted certificate authority.
    pub trusted: bool,
    /// The signed bytes are unchanged (digest and signature verify).
    pub intact: bool,
    /// Every certificate of the chain was valid at the signing time.
    pub cert_valid_at_signing_time: bool,
    /// Everything above holds (and, for a PDF, the signature's byte ranges are sound).
    pub valid: bool,
    /// Why anything is not valid, in plain words.
    pub problems: Vec<String>,
    /// For embedded PDF signatures.
    pub pdf: Option<PdfCoverage>,
}

/// The signatures of an uploaded file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureVerification {
    pub kind: VerificationKind,
    /// The file's SHA-256 (hex) and size.
    pub sha256: String,
    pub size: u64,
    pub signatures: Vec<VerifiedSignature>,
    /// At least one signature and every one valid.
    pub all_valid: bool,
}

impl SignatureVerification {
    /// A report over `bytes` with these signatures (`all_valid` computed).
    pub fn new(kind: VerificationKind, bytes: &[u8], signatures: Vec<VerifiedSignature>) -> Self {
        SignatureVerification {
            kind,
            sha256: hex::encode(Sha256::digest(bytes)),
            size: bytes.len() as u64,
            all_valid: !signatures.is_empty() && signatures.iter().all(|s| s.valid),
            signatures,
        }
    }
}

/// The input of a verification cannot be read at all (not a PDF and no signature file, an
/// unreadable signature file): `signature.unreadable`.
pub fn unreadable(detail: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::SignatureUnreadable).with_detail(detail.into())
}

#[async_trait]
pub trait DocumentSigner: Send + Sync {
    /// A detached signature over `bytes` (stored as a `.p7s` file of the document). An error
    /// refuses the signing step; nothing is written.
    async fn sign(&self, who: &SignAs, bytes: &[u8]) -> AppResult<Vec<u8>>;

    /// The PDF with `stamp` (lines of text: number and notation, date of issue) added on its
    /// first page and then `who`'s embedded signature, each as an incremental update, so that
    /// earlier signatures stay valid. `Ok(None)`: this PDF cannot take an embedded signature
    /// here (unreadable structure, encrypted, certified) — the caller keeps the detached
    /// signature only. An error refuses the signing step.
    async fn sign_pdf(
        &self,
        who: &SignAs,
        pdf: &[u8],
        stamp: Option<&[String]>,
    ) -> AppResult<Option<Vec<u8>>>;

    /// Check the signatures of an uploaded file: with `signature`, that detached signature
    /// over `bytes`; without, the PDF's embedded signatures. Errors with
    /// `signature.unreadable` when the input cannot be read at all.
    async fn verify(
        &self,
        bytes: &[u8],
        signature: Option<&[u8]>,
    ) -> AppResult<SignatureVerification>;
}

/// Not a signature: a text naming the signer and the SHA-256 of the content. For tests only.
/// Its "embedded signature" is a PDF comment appended after the file (`%FAKE-PDF-SIGNATURE
/// …`), after the stamp's lines as comments (`%FAKE-STAMP …`); [`FakeSigner::verify`] reads
/// both forms back, never as trusted.
#[derive(Debug, Default)]
pub struct FakeSigner;

fn fake_whom(who: &SignAs) -> String {
    match who {
        SignAs::Person { user, full_name } => format!("person {user} {full_name}"),
        SignAs::Agency {
            agency, identifier, ..
        } => format!("agency {agency} {identifier}"),
    }
}

const FAKE_PDF_MARK: &str = "%FAKE-PDF-SIGNATURE ";

fn fake_check(name: String, intact: bool, pdf: Option<PdfCoverage>) -> VerifiedSignature {
    let mut problems = vec!["a fake signature (tests only): not trusted".to_string()];
    if !intact {
        problems.push("the file's digest differs from the signed one".into());
    }
    VerifiedSignature {
        signer_name: Some(name.clone()),
        subject: name,
        organization: None,
        issuer: "FAKE".into(),
        serial: String::new(),
        not_before: None,
        not_after: None,
        signing_time: None,
        chain: Vec::new(),
        trusted: false,
        intact,
        cert_valid_at_signing_time: false,
        valid: false,
        problems,
        pdf,
    }
}

#[async_trait]
impl DocumentSigner for FakeSigner {
    async fn sign(&self, who: &SignAs, bytes: &[u8]) -> AppResult<Vec<u8>> {
        Ok(format!(
            "FAKE SIGNATURE (no legal value)\nsigner: {}\nsha256: {}\n",
            fake_whom(who),
            hex::encode(Sha256::digest(bytes))
        )
        .into_bytes())
    }

    async fn sign_pdf(
        &self,
        who: &SignAs,
        pdf: &[u8],
        stamp: Option<&[String]>,
    ) -> AppResult<Option<Vec<u8>>> {
        if !pdf.starts_with(b"%PDF-") {
            return Ok(None);
        }
        let mut out = pdf.to_vec();
        if !out.ends_with(b"\n") {
            out.push(b'\n');
        }
        for line in stamp.unwrap_or_default() {
            out.extend_from_slice(format!("%FAKE-STAMP {line}\n").as_bytes());
        }
        let digest = hex::encode(Sha256::digest(&out));
        out.extend_from_slice(
            format!("{FAKE_PDF_MARK}{} sha256:{digest}\n%%EOF\n", fake_whom(who)).as_bytes(),
        );
        Ok(Some(out))
    }

    async fn verify(
        &self,
        bytes: &[u8],
        signature: Option<&[u8]>,
    ) -> AppResult<SignatureVerification> {
        if let Some(sig) = signature {
            let text = std::str::from_utf8(sig).map_err(|_| unreadable("not a fake signature"))?;
            let field = |k: &str| {
                text.lines()
                    .find_map(|l| l.strip_prefix(k))
                    .map(str::trim)
                    .map(str::to_string)
            };
            let (Some(name), Some(sha)) = (field("signer:"), field("sha256:")) else {
                return Err(unreadable("not a fake signature"));
            };
            let intact = sha == hex::encode(Sha256::digest(bytes));
            return Ok(SignatureVerification::new(
                VerificationKind::Detached,
                bytes,
                vec![fake_check(name, intact, None)],
            ));
        }
        if !bytes.starts_with(b"%PDF-") {
            return Err(unreadable("not a PDF, and no signature file was given"));
        }
        let mark = FAKE_PDF_MARK.as_bytes();
        let mut found = Vec::new();
        let mut i = 0;
        while let Some(p) = bytes[i..].windows(mark.len()).position(|w| w == mark) {
            let at = i + p;
            let line_end = bytes[at..]
                .iter()
                .position(|c| *c == b'\n')
                .map_or(bytes.len(), |e| at + e);
            let line = String::from_utf8_lossy(&bytes[at + mark.len()..line_end]).into_owned();
            let (name, sha) = line.rsplit_once(" sha256:").unwrap_or((&line, ""));
            let intact = sha == hex::encode(Sha256::digest(&bytes[..at]));
            let end = line_end + 1 + b"%%EOF\n".len();
            found.push(fake_check(
                name.to_string(),
                intact,
                Some(PdfCoverage {
                    field: format!("Signature{}", found.len() + 1),
                    reason: None,
                    location: None,
                    revision: 0,
                    revisions: 0,
                    signed_length: end.min(bytes.len()) as u64,
                    covers_whole_file: end >= bytes.len(),
                }),
            ));
            i = line_end.min(bytes.len());
        }
        Ok(SignatureVerification::new(
            VerificationKind::Pdf,
            bytes,
            found,
        ))
    }
}

/// No signing service configured: every signing step is refused (nothing is written), and
/// so is verification.
#[derive(Debug, Default)]
pub struct UnavailableSigner;

fn unavailable() -> AppError {
    AppError::new(ErrorCode::DocumentSigningFailed).with_detail("no signing service is configured")
}

#[async_trait]
impl DocumentSigner for UnavailableSigner {
    async fn sign(&self, _who: &SignAs, _bytes: &[u8]) -> AppResult<Vec<u8>> {
        Err(unavailable())
    }

    async fn sign_pdf(
        &self,
        _who: &SignAs,
        _pdf: &[u8],
        _stamp: Option<&[String]>,
    ) -> AppResult<Option<Vec<u8>>> {
        Err(unavailable())
    }

    async fn verify(
        &self,
        _bytes: &[u8],
        _signature: Option<&[u8]>,
    ) -> AppResult<SignatureVerification> {
        Err(unavailable())
    }
}
