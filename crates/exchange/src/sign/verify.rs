//! Verification of detached CMS signatures, for the verification page and API.

use super::SignError;
use super::cms_build::parse_signed_data;
use super::software::public_key_of;
use cms::cert::CertificateChoices;
use cms::signed_data::{SignerIdentifier, SignerInfo};
use const_oid::db::rfc5280::ID_CE_BASIC_CONSTRAINTS;
use const_oid::db::rfc5911::{
    ID_AA_SIGNING_CERTIFICATE_V_2, ID_DATA, ID_MESSAGE_DIGEST, ID_SIGNING_TIME,
};
use const_oid::db::rfc5912::{ID_SHA_256, RSA_ENCRYPTION, SHA_256_WITH_RSA_ENCRYPTION};
use der::asn1::OctetString;
use der::{Decode, Encode};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use sha2::{Digest, Sha256};
use std::time::Duration;
use x509_cert::Certificate;
use x509_cert::ext::pkix::BasicConstraints;
use x509_cert::time::Time;

/// What the verification page shows for one signature.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SignerReport {
    /// The signer certificate's subject (RFC 4514 string), empty if the certificate is missing.
    pub subject: String,
    /// The subject's common name (the person's or the agency's name).
    pub common_name: Option<String>,
    /// The subject's organisation (O), if any.
    pub organization: Option<String>,
    /// The signer certificate's validity, RFC 3339 UTC.
    pub not_before: Option<String>,
    pub not_after: Option<String>,
    pub issuer: String,
    /// Serial number in hexadecimal.
    pub serial: String,
    /// The signed signing-time attribute, RFC 3339 UTC (`2026-11-27T16:44:01Z`).
    pub signing_time: Option<String>,
    /// Subjects from the signer's certificate up to the trusted root, when a chain was found.
    pub chain: Vec<String>,
    /// The certificate chain leads, signature by signature, to one of the trusted roots.
    pub chain_valid: bool,
    /// The file's SHA-256 equals the signed message digest.
    pub digest_ok: bool,
    /// The RSA signature over the signed attributes verifies with the certificate's key.
    pub signature_ok: bool,
    /// Every certificate of the chain was within its validity period at the signing time.
    pub cert_valid_at_signing_time: bool,
    /// Why anything above is false, in plain words.
    pub problems: Vec<String>,
}

impl SignerReport {
    /// All checks passed.
    pub fn valid(&self) -> bool {
        self.chain_valid && self.digest_ok && self.signature_ok && self.cert_valid_at_signing_time
    }
}

/// The result of verifying one signature file against one document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub signers: Vec<SignerReport>,
}

impl Report {
    /// At least one signer and every signer valid.
    pub fn all_valid(&self) -> bool {
        !self.signers.is_empty() && self.signers.iter().all(SignerReport::valid)
    }
}

/// A name attribute (CN, O …) of a certificate's subject, as text.
pub(crate) fn subject_attr(cert: &Certificate, oid: const_oid::ObjectIdentifier) -> Option<String> {
    cert.tbs_certificate
        .subject
        .0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .find(|a| a.oid == oid)
        .and_then(|a| {
            a.value.decode_as::<String>().ok().or_else(|| {
                a.value
                    .decode_as::<der::asn1::PrintableStringRef<'_>>()
                    .ok()
                    .map(|s| s.to_string())
            })
        })
}

fn unix(t: &Time) -> Duration {
    t.to_unix_duration()
}

fn verify_rsa_sha256(cert: &Certificate, msg: &[u8], sig: &[u8]) -> Result<(), String> {
    let key = public_key_of(cert).map_err(|e| e.to_string())?;
    let sig = Signature::try_from(sig).map_err(|e| e.to_string())?;
    VerifyingKey::<Sha256>::new(key)
        .verify(msg, &sig)
        .map_err(|_| "signature does not verify".to_string())
}

/// Whether `issuer` signed `cert` (SHA-256 with RSA only).
fn issued_by(cert: &Certificate, issuer: &Certificate) -> bool {
    if cert.tbs_certificate.issuer != issuer.tbs_certificate.subject
        || cert.signature_algorithm.oid != SHA_256_WITH_RSA_ENCRYPTION
    {
        return false;
    }
    let Ok(tbs) = cert.tbs_certificate.to_der() else {
        return false;
    };
    let Some(sig) = cert.signature.as_bytes() else {
        return false;
    };
    verify_rsa_sha256(issuer, &tbs, sig).is_ok()
}

fn is_ca(cert: &Certificate) -> bool {
    cert.tbs_certificate
        .extensions
        .iter()
        .flatten()
        .filter(|e| e.extn_id == ID_CE_BASIC_CONSTRAINTS)
        .any(|e| {
            BasicConstraints::from_der(e.extn_value.as_bytes())
                .map(|bc| bc.ca)
                .unwrap_or(false)
        })
}

/// Chain from `leaf` to a trusted root: Ok(chain) or Err(reason, partial chain).
fn build_chain(
    leaf: &Certificate,
    pool: &[Certificate],
    roots: &[Certificate],
) -> Result<Vec<Certificate>, (String, Vec<Certificate>)> {
    let mut chain = vec![leaf.clone()];
    for _ in 0..8 {
        let Some(current) = chain.last() else { break };
        if roots.contains(current) {
            return Ok(chain);
        }
        if let Some(root) = roots.iter().find(|r| issued_by(current, r)) {
            chain.push(root.clone());
            return Ok(chain);
        }
        match pool
            .iter()
            .find(|c| !chain.contains(c) && is_ca(c) && issued_by(current, c))
        {
            Some(next) => chain.push(next.clone()),
            None => {
                let msg = format!(
                    "no trusted issuer found for {}",
                    current.tbs_certificate.subject
                );
                return Err((msg, chain));
            }
        }
    }
    Err(("certificate chain too long".into(), chain))
}

fn find_cert<'a>(sid: &SignerIdentifier, pool: &'a [Certificate]) -> Option<&'a Certificate> {
    pool.iter().find(|c| match sid {
        SignerIdentifier::IssuerAndSerialNumber(ias) => {
            c.tbs_certificate.issuer == ias.issuer
                && c.tbs_certificate.serial_number == ias.serial_number
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => c
            .tbs_certificate
            .extensions
            .iter()
            .flatten()
            .filter(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER)
            .any(|e| {
                OctetString::from_der(e.extn_value.as_bytes())
                    .map(|o| o.as_bytes() == ski.0.as_bytes())
                    .unwrap_or(false)
            }),
    })
}

/// One DER TLV: (tag, content, rest).
fn read_tlv(data: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = data.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The first ESSCertIDv2 of a SigningCertificateV2 holds the SHA-256 of `cert` (RFC 5035).
fn ess_cert_hash_matches(ess: &[u8], cert: &Certificate) -> bool {
    let check = || -> Option<bool> {
        let (0x30, signing_cert, _) = read_tlv(ess)? else {
            return None;
        };
        let (0x30, certs, _) = read_tlv(signing_cert)? else {
            return None;
        };
        let (0x30, id, _) = read_tlv(certs)? else {
            return None;
        };
        let (mut tag, mut value, mut rest) = read_tlv(id)?;
        if tag == 0x30 {
            // An explicit hashAlgorithm: only SHA-256 is understood.
            let (0x06, oid, _) = read_tlv(value)? else {
                return None;
            };
            if oid != ID_SHA_256.as_bytes() {
                return Some(false);
            }
            (tag, value, rest) = read_tlv(rest)?;
        }
        let _ = rest;
        let der = cert.to_der().ok()?;
        Some(tag == 0x04 && value == Sha256::digest(&der).as_slice())
    };
    check().unwrap_or(false)
}

fn check_signer(
    content: &[u8],
    info: &SignerInfo,
    pool: &[Certificate],
    roots: &[Certificate],
    claimed_time: Option<Time>,
) -> SignerReport {
    let mut r = SignerReport {
        subject: String::new(),
        common_name: None,
        organization: None,
        not_before: None,
        not_after: None,
        issuer: String::new(),
        serial: String::new(),
        signing_time: None,
        chain: Vec::new(),
        chain_valid: false,
        digest_ok: false,
        signature_ok: false,
        cert_valid_at_signing_time: false,
        problems: Vec::new(),
    };
    let cert = find_cert(&info.sid, pool);
    match (&info.sid, cert) {
        (_, Some(c)) => {
            r.subject = c.tbs_certificate.subject.to_string();
            r.common_name = subject_attr(c, const_oid::db::rfc4519::CN);
            r.organization = subject_attr(c, const_oid::db::rfc4519::O);
            let v = &c.tbs_certificate.validity;
            r.not_before = Some(v.not_before.to_date_time().to_string());
            r.not_after = Some(v.not_after.to_date_time().to_string());
            r.issuer = c.tbs_certificate.issuer.to_string();
            r.serial = c.tbs_certificate.serial_number.to_string();
        }
        (SignerIdentifier::IssuerAndSerialNumber(ias), None) => {
            r.issuer = ias.issuer.to_string();
            r.serial = ias.serial_number.to_string();
            r.problems
                .push("the signer's certificate is not in the signature".into());
        }
        (SignerIdentifier::SubjectKeyIdentifier(_), None) => {
            r.problems
                .push("the signer's certificate is not in the signature".into());
        }
    }

    // Signed attributes: message digest and signing time.
    let mut signing_time = None;
    let mut message_digest = None;
    let mut ess_cert = None;
    match &info.signed_attrs {
        None => r.problems.push("no signed attributes (unsupported)".into()),
        Some(attrs) => {
            for a in attrs.iter() {
                let Some(v) = a.values.iter().next() else {
                    continue;
                };
                if a.oid == ID_SIGNING_TIME {
                    signing_time = v.to_der().ok().and_then(|d| Time::from_der(&d).ok());
                } else if a.oid == ID_MESSAGE_DIGEST {
                    message_digest = v.decode_as::<OctetString>().ok();
                } else if a.oid == ID_AA_SIGNING_CERTIFICATE_V_2 {
                    ess_cert = v.to_der().ok();
                }
            }
        }
    }
    // PAdES signatures carry no signing-time attribute: the PDF's /M is the claimed time.
    let signing_time = signing_time.or(claimed_time);
    r.signing_time = signing_time.map(|t| t.to_date_time().to_string());

    // ESS signing-certificate-v2 (when present) must name the signer's certificate.
    if let (Some(ess), Some(c)) = (&ess_cert, cert)
        && !ess_cert_hash_matches(ess, c)
    {
        r.problems.push(
            "the signing-certificate attribute does not match the signer's certificate".into(),
        );
    }

    if info.digest_alg.oid != ID_SHA_256 {
        r.problems.push(format!(
            "digest algorithm {} not supported",
            info.digest_alg.oid
        ));
    } else if let Some(md) = &message_digest {
        r.digest_ok = md.as_bytes() == Sha256::digest(content).as_slice();
        if !r.digest_ok {
            r.problems
                .push("the file's digest differs from the signed one: the file was changed".into());
        }
    } else {
        r.problems.push("no message digest attribute".into());
    }

    if let (Some(c), Some(attrs)) = (cert, &info.signed_attrs) {
        let alg = info.signature_algorithm.oid;
        if alg != RSA_ENCRYPTION && alg != SHA_256_WITH_RSA_ENCRYPTION {
            r.problems
                .push(format!("signature algorithm {alg} not supported"));
        } else {
            match attrs.to_der() {
                Ok(der) => match verify_rsa_sha256(c, &der, info.signature.as_bytes()) {
                    Ok(()) => r.signature_ok = true,
                    Err(e) => r.problems.push(e),
                },
                Err(e) => r.problems.push(e.to_string()),
            }
        }
    }

    if let Some(c) = cert {
        let chain = match build_chain(c, pool, roots) {
            Ok(chain) => {
                r.chain_valid = true;
                chain
            }
            Err((msg, partial)) => {
                r.problems.push(msg);
                partial
            }
        };
        r.chain = chain
            .iter()
            .map(|c| c.tbs_certificate.subject.to_string())
            .collect();
        match signing_time {
            None => r.problems.push("no signing time attribute".into()),
            Some(t) => {
                let at = unix(&t);
                r.cert_valid_at_signing_time = chain.iter().all(|c| {
                    let v = &c.tbs_certificate.validity;
                    unix(&v.not_before) <= at && at <= unix(&v.not_after)
                });
                if !r.cert_valid_at_signing_time {
                    r.problems
                        .push("a certificate was not valid at the signing time".into());
                }
            }
        }
    }
    r
}

/// Verify a detached CMS signature (`cms_der`, DER ContentInfo/SignedData) over `content`,
/// trusting `trust_roots`. Errors only when the signature file cannot be read at all; every
/// check on a readable signature is reported per signer.
pub fn verify(
    content: &[u8],
    cms_der: &[u8],
    trust_roots: &[Certificate],
) -> Result<Report, SignError> {
    verify_with_claimed_time(content, cms_der, trust_roots, None)
}

/// [`verify`], with the time to use when a SignerInfo has no signing-time attribute (an
/// embedded PDF signature's `/M`).
pub(crate) fn verify_with_claimed_time(
    content: &[u8],
    cms_der: &[u8],
    trust_roots: &[Certificate],
    claimed_time: Option<Time>,
) -> Result<Report, SignError> {
    let sd = parse_signed_data(cms_der)?;
    if sd.encap_content_info.econtent.is_some() {
        return Err(SignError::Invalid(
            "the signature embeds its content; a detached signature is expected".into(),
        ));
    }
    if sd.encap_content_info.econtent_type != ID_DATA {
        return Err(SignError::Invalid(
            "the signed content type is not data".into(),
        ));
    }
    let pool: Vec<Certificate> = sd
        .certificates
        .iter()
        .flat_map(|s| s.0.iter())
        .filter_map(|c| match c {
            CertificateChoices::Certificate(c) => Some(c.clone()),
            CertificateChoices::Other(_) => None,
        })
        .collect();
    let signers = sd
        .signer_infos
        .0
        .iter()
        .map(|info| check_signer(content, info, &pool, trust_roots, claimed_time))
        .collect();
    Ok(Report { signers })
}
