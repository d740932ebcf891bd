//! The signing service: the platform's custody of signing keys, for the demo and for imported
//! certificates (see `docs/signing-service.md`).
//!
//! One folder (`keys_dir`) holds everything, each file a PKCS#12 protected by the configured
//! passphrase, mode 0600, written atomically (temporary file, fsync, rename or link, folder
//! fsync):
//!
//! ```text
//! keys_dir/ca.p12                  the provincial test CA (made on first use, then reused)
//! keys_dir/persons/{id}.p12        a person's signing key and certificate chain
//! keys_dir/agencies/{id}.p12       an agency's (organisation certificate, the "seal")
//! keys_dir/trust/*.pem|crt|cer|der extra trust anchors for verification (e.g. the real CA of
//!                                  imported certificates), read-only for the service
//! ```
//!
//! `{id}` is the owner's id when it is short and made of `[A-Za-z0-9._-]`, otherwise `h-` and
//! 32 hex digits of its SHA-256. A person or agency gets a key issued by the test CA on first
//! use; [`SigningService::import_pkcs12`] replaces it with a real certificate.
//!
//! Concurrency: one lock per owner inside a process, and creation by hard link (fails if the
//! file exists) across processes, so two simultaneous first uses end with one key: the loser
//! reads the winner's file. Everything here is blocking (RSA key generation, file I/O): call
//! it from `tokio::task::spawn_blocking`.

use crate::fsutil;
use crate::sign::{
    PdfSignatureReport, Report, SignError, Signer, SoftwareSigner, TestCa, sign_document, verify,
    verify_pdf,
};
use base64::Engine as _;
use cqdt_app::Clock;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use x509_cert::Certificate;

/// A person who signs (the personal certificate's subject). Keyed by `id`; the name, position
/// and e-mail go into the certificate when it is first issued (a later change of name does not
/// re-issue it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningPerson {
    /// Stable id (the account id).
    pub id: String,
    pub full_name: String,
    /// Chức vụ, e.g. "Chủ tịch"; X.520 `title` in the certificate.
    pub position: Option<String>,
    /// ASCII e-mail, in the certificate's name and subjectAltName.
    pub email: Option<String>,
}

/// An agency whose seal signs (the organisation certificate's subject). Keyed by `id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningAgency {
    /// Stable id (the agency id).
    pub id: String,
    pub name: String,
    /// Mã định danh (`NNN.NN.NN.Xnn`); UID in the certificate.
    pub official_id: Option<String>,
}

/// Whose key an operation concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOwner {
    /// A person, by [`SigningPerson::id`].
    Person(String),
    /// An agency, by [`SigningAgency::id`].
    Agency(String),
}

/// What the verification page shows: every embedded signature of a PDF, or the signers of a
/// detached CMS signature over a file.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "kind", content = "signatures", rename_all = "snake_case")]
pub enum Verification {
    Pdf(Vec<PdfSignatureReport>),
    Detached(Report),
}

impl Verification {
    /// How many signatures were found.
    pub fn signature_count(&self) -> usize {
        match self {
            Verification::Pdf(r) => r.len(),
            Verification::Detached(r) => r.signers.len(),
        }
    }

    /// At least one signature, and every one valid (digest, signature, trusted chain, validity
    /// at signing time; for PDFs also the covered byte ranges).
    pub fn all_valid(&self) -> bool {
        match self {
            Verification::Pdf(r) => !r.is_empty() && r.iter().all(PdfSignatureReport::valid),
            Verification::Detached(r) => r.all_valid(),
        }
    }
}

const CA_FILE: &str = "ca.p12";
const PERSONS: &str = "persons";
const AGENCIES: &str = "agencies";
const TRUST: &str = "trust";

fn io_err(what: &Path, e: std::io::Error) -> SignError {
    SignError::Device(format!("key store {}: {e}", what.display()))
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The file stem for an owner id.
fn stem(id: &str) -> String {
    let plain = !id.is_empty()
        && id.len() <= 64
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if plain {
        id.to_string()
    } else {
        let h = Sha256::digest(id.as_bytes());
        let hex: String = h[..16].iter().map(|b| format!("{b:02x}")).collect();
        format!("h-{hex}")
    }
}

/// Key custody: the test CA, the persons' and agencies' signers, imports, and the signing and
/// verification helpers the document use cases call.
pub struct SigningService {
    dir: PathBuf,
    passphrase: String,
    clock: Arc<dyn Clock>,
    ca: Mutex<Option<Arc<TestCa>>>,
    signers: Mutex<HashMap<PathBuf, Arc<SoftwareSigner>>>,
    locks: Mutex<HashMap<PathBuf, Arc<Mutex<()>>>>,
}

impl std::fmt::Debug for SigningService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningService")
            .field("dir", &self.dir)
            .field("passphrase", &"<redacted>")
            .finish()
    }
}

impl SigningService {
    /// A service over `keys_dir` (created, mode 0700, on first use), its files protected by
    /// `passphrase`. `clock` gives certificate validity and signing times. Nothing is read or
    /// written until first use.
    pub fn new(
        keys_dir: impl Into<PathBuf>,
        passphrase: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, SignError> {
        if passphrase.is_empty() {
            return Err(SignError::Invalid(
                "the key store needs a non-empty passphrase".into(),
            ));
        }
        Ok(SigningService {
            dir: keys_dir.into(),
            passphrase: passphrase.to_string(),
            clock,
            ca: Mutex::new(None),
            signers: Mutex::new(HashMap::new()),
            locks: Mutex::new(HashMap::new()),
        })
    }

    /// The folder the keys are kept in.
    pub fn keys_dir(&self) -> &Path {
        &self.dir
    }

    fn owner_lock(&self, path: &Path) -> Arc<Mutex<()>> {
        lock(&self.locks)
            .entry(path.to_path_buf())
            .or_insert_with(|| Arc::new(Mutex::new(())))
            .clone()
    }

    fn ensure_dir(&self, dir: &Path) -> Result<(), SignError> {
        fsutil::create_private_dir(dir).map_err(|e| io_err(dir, e))
    }

    /// The provincial test CA: loaded from `ca.p12`, or made and saved on first use.
    pub fn test_ca(&self) -> Result<Arc<TestCa>, SignError> {
        let mut slot = lock(&self.ca);
        if let Some(ca) = slot.as_ref() {
            return Ok(ca.clone());
        }
        let path = self.dir.join(CA_FILE);
        let ca = match std::fs::read(&path) {
            Ok(bytes) => TestCa::from_pkcs12(&bytes, &self.passphrase, self.clock.clone())?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.ensure_dir(&self.dir)?;
                let ca = TestCa::tay_ninh(self.clock.clone())?;
                let p12 = ca.to_pkcs12(&self.passphrase)?;
                if fsutil::write_new(&path, &p12).map_err(|e| io_err(&path, e))? {
                    tracing::info!(path = %path.display(), "created the provincial test CA");
                    ca
                } else {
                    // Another process made it first: use theirs.
                    let bytes = std::fs::read(&path).map_err(|e| io_err(&path, e))?;
                    TestCa::from_pkcs12(&bytes, &self.passphrase, self.clock.clone())?
                }
            }
            Err(e) => return Err(io_err(&path, e)),
        };
        let ca = Arc::new(ca);
        *slot = Some(ca.clone());
        Ok(ca)
    }

    /// The test CA's certificate.
    pub fn ca_certificate(&self) -> Result<Certificate, SignError> {
        Ok(self.test_ca()?.certificate().clone())
    }

    /// The trust anchors for verification: the test CA and every certificate in
    /// `keys_dir/trust/` (PEM, possibly several per file, or DER).
    pub fn trust_roots(&self) -> Result<Vec<Certificate>, SignError> {
        let mut roots = vec![self.ca_certificate()?];
        let dir = self.dir.join(TRUST);
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(roots),
            Err(e) => return Err(io_err(&dir, e)),
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                matches!(
                    p.extension().and_then(|e| e.to_str()),
                    Some("pem" | "crt" | "cer" | "der")
                )
            })
            .collect();
        paths.sort();
        for p in paths {
            let bytes = std::fs::read(&p).map_err(|e| io_err(&p, e))?;
            let certs = if bytes.starts_with(b"-----BEGIN") {
                Certificate::load_pem_chain(&bytes)?
            } else {
                vec![crate::sign::parse_certificate(&bytes)?]
            };
            for c in certs {
                if !roots.contains(&c) {
                    roots.push(c);
                }
            }
        }
        Ok(roots)
    }

    fn owner_path(&self, owner: &KeyOwner) -> PathBuf {
        match owner {
            KeyOwner::Person(id) => self.dir.join(PERSONS).join(format!("{}.p12", stem(id))),
            KeyOwner::Agency(id) => self.dir.join(AGENCIES).join(format!("{}.p12", stem(id))),
        }
    }

    fn load(&self, bytes: &[u8]) -> Result<Arc<SoftwareSigner>, SignError> {
        Ok(Arc::new(
            SoftwareSigner::from_pkcs12(bytes, &self.passphrase)?.with_clock(self.clock.clone()),
        ))
    }

    /// The owner's signer: cached, else read from its file, else issued by `issue` and saved.
    fn signer_for(
        &self,
        owner: &KeyOwner,
        issue: impl FnOnce(&TestCa) -> Result<SoftwareSigner, SignError>,
    ) -> Result<Arc<SoftwareSigner>, SignError> {
        let path = self.owner_path(owner);
        if let Some(s) = lock(&self.signers).get(&path) {
            return Ok(s.clone());
        }
        let owner_lock = self.owner_lock(&path);
        let _guard = lock(&owner_lock);
        // Again under the owner's lock: another thread may have finished meanwhile.
        if let Some(s) = lock(&self.signers).get(&path) {
            return Ok(s.clone());
        }
        let signer = match std::fs::read(&path) {
            Ok(bytes) => self.load(&bytes)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let ca = self.test_ca()?;
                let issued = issue(&ca)?.with_clock(self.clock.clone());
                let p12 = issued.to_pkcs12(&self.passphrase)?;
                if let Some(parent) = path.parent() {
                    self.ensure_dir(parent)?;
                }
                if fsutil::write_new(&path, &p12).map_err(|e| io_err(&path, e))? {
                    tracing::info!(path = %path.display(), "issued a test signing certificate");
                    Arc::new(issued)
                } else {
                    let bytes = std::fs::read(&path).map_err(|e| io_err(&path, e))?;
                    self.load(&bytes)?
                }
            }
            Err(e) => return Err(io_err(&path, e)),
        };
        lock(&self.signers).insert(path, signer.clone());
        Ok(signer)
    }

    fn person_software(&self, person: &SigningPerson) -> Result<Arc<SoftwareSigner>, SignError> {
        self.signer_for(&KeyOwner::Person(person.id.clone()), |ca| {
            ca.issue_personal_for(
                &person.full_name,
                person.position.as_deref(),
                person.email.as_deref(),
            )
        })
    }

    fn agency_software(&self, agency: &SigningAgency) -> Result<Arc<SoftwareSigner>, SignError> {
        self.signer_for(&KeyOwner::Agency(agency.id.clone()), |ca| {
            ca.issue_organisation_for(&agency.name, &agency.name, agency.official_id.as_deref())
        })
    }

    /// The person's signer (personal certificate), issued by the test CA on first use.
    pub fn personal_signer(&self, person: &SigningPerson) -> Result<Arc<dyn Signer>, SignError> {
        Ok(self.person_software(person)?)
    }

    /// The agency's signer (organisation certificate), issued by the test CA on first use.
    pub fn agency_signer(&self, agency: &SigningAgency) -> Result<Arc<dyn Signer>, SignError> {
        Ok(self.agency_software(agency)?)
    }

    /// The agency's edXML package signer (XML-DSig, RSA-SHA256) over the same organisation key
    /// and certificate.
    pub fn agency_xml_signer(
        &self,
        agency: &SigningAgency,
    ) -> Result<Arc<dyn cqdt_edxml::XmlSigner>, SignError> {
        let s = self.agency_software(agency)?;
        let xml = cqdt_edxml::RsaSigner::new(s.key().clone(), s.certificate())
            .map_err(|e| SignError::Key(e.to_string()))?;
        Ok(Arc::new(xml))
    }

    /// Replace the owner's key with a real certificate from a PKCS#12 file (re-saved under the
    /// store's passphrase). Returns the imported signer's certificate. The file is checked (RSA
    /// key matching its certificate) before anything is replaced.
    pub fn import_pkcs12(
        &self,
        owner: &KeyOwner,
        p12: &[u8],
        password: &str,
    ) -> Result<Certificate, SignError> {
        let signer = SoftwareSigner::from_pkcs12(p12, password)?.with_clock(self.clock.clone());
        let saved = signer.to_pkcs12(&self.passphrase)?;
        let path = self.owner_path(owner);
        let owner_lock = self.owner_lock(&path);
        let _guard = lock(&owner_lock);
        if let Some(parent) = path.parent() {
            self.ensure_dir(parent)?;
        }
        fsutil::write_replace(&path, &saved).map_err(|e| io_err(&path, e))?;
        tracing::info!(path = %path.display(), "imported a signing certificate");
        let cert = signer.certificate();
        lock(&self.signers).insert(path, Arc::new(signer));
        Ok(cert)
    }

    /// An issued PDF with the person's and then the agency's embedded signatures.
    pub fn sign_issued_pdf(
        &self,
        pdf: &[u8],
        person: &SigningPerson,
        agency: &SigningAgency,
    ) -> Result<Vec<u8>, SignError> {
        let p = self.person_software(person)?;
        let a = self.agency_software(agency)?;
        crate::sign::sign_issued_pdf(pdf, p.as_ref(), a.as_ref())
    }

    /// A detached CMS signature (`.p7s`, DER) over `bytes` with the person's and the agency's
    /// SignerInfos.
    pub fn sign_detached_both(
        &self,
        bytes: &[u8],
        person: &SigningPerson,
        agency: &SigningAgency,
    ) -> Result<Vec<u8>, SignError> {
        let p = self.person_software(person)?;
        let a = self.agency_software(agency)?;
        sign_document(bytes, p.as_ref(), a.as_ref())
    }

    /// Verify what a visitor uploads: a file and its detached signature (DER or PEM `.p7s`),
    /// or, without one, a PDF's embedded signatures, against [`SigningService::trust_roots`].
    /// Errors when the input cannot be read at all (not a PDF and no signature, unreadable
    /// signature file); every problem with a readable signature is in the report.
    pub fn verify_any(
        &self,
        bytes: &[u8],
        detached_sig: Option<&[u8]>,
    ) -> Result<Verification, SignError> {
        let roots = self.trust_roots()?;
        verify_with_roots(bytes, detached_sig, &roots)
    }
}

/// [`SigningService::verify_any`] with explicit trust anchors.
pub fn verify_with_roots(
    bytes: &[u8],
    detached_sig: Option<&[u8]>,
    roots: &[Certificate],
) -> Result<Verification, SignError> {
    match detached_sig {
        Some(sig) => {
            let der = pem_or_der(sig)?;
            Ok(Verification::Detached(verify(bytes, &der, roots)?))
        }
        None => {
            let head = &bytes[..bytes.len().min(1024)];
            if !head.windows(5).any(|w| w == b"%PDF-") {
                return Err(SignError::Invalid(
                    "not a PDF, and no detached signature was given".into(),
                ));
            }
            Ok(Verification::Pdf(verify_pdf(bytes, roots)?))
        }
    }
}

/// A signature file as DER: PEM (`-----BEGIN PKCS7-----`, `CMS`, …) is unwrapped.
fn pem_or_der(sig: &[u8]) -> Result<Vec<u8>, SignError> {
    let trimmed = sig.trim_ascii_start();
    if !trimmed.starts_with(b"-----BEGIN") {
        return Ok(sig.to_vec());
    }
    let text = std::str::from_utf8(trimmed)
        .map_err(|_| SignError::Invalid("the PEM signature is not text".into()))?;
    let body: String = text
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::trim)
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|e| SignError::Invalid(format!("PEM signature: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_are_safe() {
        assert_eq!(stem("0190abcd-ef"), "0190abcd-ef");
        assert!(stem("../etc/passwd").starts_with("h-"));
        assert!(stem(".hidden").starts_with("h-"));
        assert!(stem("").starts_with("h-"));
        assert!(stem("Nguyễn").starts_with("h-"));
        assert_eq!(stem(&"a".repeat(65)).len(), 34);
    }
}

/// The document use cases' signing port over the service: a person's or an agency's detached
/// CMS signature (`.p7s`) over the file, an embedded PAdES signature (after a stamp of the
/// number and date) in a PDF, and the verification of uploads, all on tokio's blocking pool
/// (RSA key generation on first use, signing and verifying are CPU work).
#[derive(Debug, Clone)]
pub struct DocumentSigning(pub Arc<SigningService>);

fn failed(e: impl std::fmt::Display) -> cqdt_app::AppError {
    cqdt_app::AppError::new(cqdt_domain::ErrorCode::DocumentSigningFailed)
        .with_detail(e.to_string())
}

impl SigningService {
    /// The signer for the document port's `SignAs`.
    fn signer_as(
        &self,
        who: &cqdt_app::documents::SignAs,
    ) -> Result<Arc<SoftwareSigner>, SignError> {
        use cqdt_app::documents::SignAs;
        match who {
            SignAs::Person { user, full_name } => self.person_software(&SigningPerson {
                id: user.to_string(),
                full_name: full_name.clone(),
                position: None,
                email: None,
            }),
            SignAs::Agency {
                agency,
                identifier,
                name,
            } => self.agency_software(&SigningAgency {
                id: agency.to_string(),
                name: name.clone(),
                official_id: Some(identifier.clone()),
            }),
        }
    }

    /// The PDF stamped with `stamp` (if any) and then signed by `who` (embedded, PAdES B-B),
    /// each an incremental update. `Ok(None)` when this PDF cannot be signed here (see
    /// [`crate::sign::pdf_can_be_signed`]).
    pub fn stamp_and_sign_pdf(
        &self,
        who: &cqdt_app::documents::SignAs,
        pdf: &[u8],
        stamp: Option<&[String]>,
    ) -> Result<Option<Vec<u8>>, SignError> {
        use cqdt_app::documents::SignAs;
        if let Err(e) = crate::sign::pdf_can_be_signed(pdf) {
            tracing::warn!(error = %e, "PDF kept with detached signatures only");
            return Ok(None);
        }
        let signer = self.signer_as(who)?;
        let stamped;
        let input = match stamp {
            Some(lines) if !lines.is_empty() => {
                stamped = crate::sign::stamp_pdf(pdf, lines)?;
                &stamped[..]
            }
            _ => pdf,
        };
        let reason = match who {
            SignAs::Person { .. } => "Ký văn bản (người có thẩm quyền)",
            SignAs::Agency { .. } => "Ký số của cơ quan, tổ chức khi ban hành",
        };
        crate::sign::sign_pdf(
            input,
            signer.as_ref(),
            &crate::sign::PdfSignOptions {
                reason: Some(reason.into()),
                ..crate::sign::PdfSignOptions::default()
            },
        )
        .map(Some)
    }
}

/// The document port's report for one detached signer or embedded PDF signature.
fn checked(
    s: Option<&crate::sign::SignerReport>,
    pdf_problems: &[String],
    pdf: Option<cqdt_app::documents::PdfCoverage>,
    pdf_time: Option<&String>,
) -> cqdt_app::documents::VerifiedSignature {
    let mut problems: Vec<String> = pdf_problems.to_vec();
    if let Some(s) = s {
        problems.extend(s.problems.iter().cloned());
    }
    cqdt_app::documents::VerifiedSignature {
        signer_name: s.and_then(|s| s.common_name.clone()),
        subject: s.map(|s| s.subject.clone()).unwrap_or_default(),
        organization: s.and_then(|s| s.organization.clone()),
        issuer: s.map(|s| s.issuer.clone()).unwrap_or_default(),
        serial: s.map(|s| s.serial.clone()).unwrap_or_default(),
        not_before: s.and_then(|s| s.not_before.clone()),
        not_after: s.and_then(|s| s.not_after.clone()),
        signing_time: pdf_time
            .cloned()
            .or_else(|| s.and_then(|s| s.signing_time.clone())),
        chain: s.map(|s| s.chain.clone()).unwrap_or_default(),
        trusted: s.is_some_and(|s| s.chain_valid),
        intact: s.is_some_and(|s| s.digest_ok && s.signature_ok),
        cert_valid_at_signing_time: s.is_some_and(|s| s.cert_valid_at_signing_time),
        valid: pdf_problems.is_empty() && s.is_some_and(crate::sign::SignerReport::valid),
        problems,
        pdf,
    }
}

impl Verification {
    /// The document port's form of this report, over the file `bytes`.
    pub fn to_app(&self, bytes: &[u8]) -> cqdt_app::documents::SignatureVerification {
        use cqdt_app::documents::{PdfCoverage, SignatureVerification, VerificationKind};
        match self {
            Verification::Detached(r) => SignatureVerification::new(
                VerificationKind::Detached,
                bytes,
                r.signers
                    .iter()
                    .map(|s| checked(Some(s), &[], None, None))
                    .collect(),
            ),
            Verification::Pdf(reports) => SignatureVerification::new(
                VerificationKind::Pdf,
                bytes,
                reports
                    .iter()
                    .map(|r| {
                        checked(
                            r.signer.as_ref(),
                            &r.problems,
                            Some(PdfCoverage {
                                field: r.field.clone(),
                                reason: r.reason.clone(),
                                location: r.location.clone(),
                                revision: r.revision,
                                revisions: r.revisions,
                                signed_length: r.signed_length,
                                covers_whole_file: r.covers_whole_file,
                            }),
                            r.signing_time_vn.as_ref(),
                        )
                    })
                    .collect(),
            ),
        }
    }
}

#[async_trait::async_trait]
impl cqdt_app::documents::DocumentSigner for DocumentSigning {
    async fn sign(
        &self,
        who: &cqdt_app::documents::SignAs,
        bytes: &[u8],
    ) -> cqdt_app::AppResult<Vec<u8>> {
        let service = self.0.clone();
        let who = who.clone();
        let bytes = bytes.to_vec();
        tokio::task::spawn_blocking(move || service.signer_as(&who)?.sign_detached(&bytes))
            .await
            .map_err(failed)?
            .map_err(failed)
    }

    async fn sign_pdf(
        &self,
        who: &cqdt_app::documents::SignAs,
        pdf: &[u8],
        stamp: Option<&[String]>,
    ) -> cqdt_app::AppResult<Option<Vec<u8>>> {
        let service = self.0.clone();
        let who = who.clone();
        let pdf = pdf.to_vec();
        let stamp = stamp.map(<[String]>::to_vec);
        tokio::task::spawn_blocking(move || {
            service.stamp_and_sign_pdf(&who, &pdf, stamp.as_deref())
        })
        .await
        .map_err(failed)?
        .map_err(failed)
    }

    async fn verify(
        &self,
        bytes: &[u8],
        signature: Option<&[u8]>,
    ) -> cqdt_app::AppResult<cqdt_app::documents::SignatureVerification> {
        let service = self.0.clone();
        let bytes = bytes.to_vec();
        let signature = signature.map(<[u8]>::to_vec);
        tokio::task::spawn_blocking(move || {
            // The key store (the trust anchors) failing is ours, not the input's.
            let roots = service.trust_roots().map_err(failed)?;
            let v = verify_with_roots(&bytes, signature.as_deref(), &roots)
                .map_err(|e| cqdt_app::documents::signer::unreadable(e.to_string()))?;
            Ok(v.to_app(&bytes))
        })
        .await
        .map_err(failed)?
    }
}
