//! The enveloped XML signature (W3C XML-DSig 1.0) over a whole edXML document.
//!
//! Produced: `Signature` (default namespace `http://www.w3.org/2000/09/xmldsig#`) as the last
//! child of `edXMLHeader`; exclusive C14N for SignedInfo; RSA-SHA256 (PKCS#1 v1.5); one
//! `Reference URI=""` with the enveloped-signature and exclusive C14N transforms and a SHA-256
//! digest; `KeyInfo/X509Data` with the signer's subject name and certificate.
//!
//! Verified: the same, and the older forms seen in the VPCP samples (inclusive C14N for
//! SignedInfo, RSA-SHA1 and SHA-1), wherever the `Signature` element sits. Exactly one
//! signature, one reference, `URI=""`.

use crate::c14n::{Mode, canonicalize};
use crate::dom::{self, Element, Node};
use crate::{Error, Limits, Package};
use base64::Engine as _;
use der::{Decode, Encode};
use rsa::pkcs1v15;
use rsa::signature::{SignatureEncoding, Signer as _, Verifier as _};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256};
use std::time::SystemTime;
use x509_cert::Certificate;

pub(crate) const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const EXC_C14N_COMMENTS: &str = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments";
const C14N: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
const C14N_COMMENTS: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments";
/// Seen in the VPCP sample (a non-standard spelling of the exclusive C14N URI).
const EXC_C14N_SAMPLE: &str = "http://www.w3.org/TR/xml-exc-c14n#";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
const SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Something that signs with RSA-SHA256 (PKCS#1 v1.5): the platform's software key
/// ([`RsaSigner`]), later a USB token or a remote signing service.
pub trait XmlSigner: Send + Sync {
    /// The signer's certificate, put in `KeyInfo`.
    fn certificate(&self) -> &Certificate;
    /// An RSA PKCS#1 v1.5 signature with SHA-256 over `data`.
    fn sign_rsa_sha256(&self, data: &[u8]) -> Result<Vec<u8>, Error>;
}

/// An RSA private key in memory and its certificate.
#[derive(Clone)]
pub struct RsaSigner {
    key: pkcs1v15::SigningKey<Sha256>,
    cert: Certificate,
}

impl std::fmt::Debug for RsaSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RsaSigner")
            .field("key", &"<RSA key>")
            .field("subject", &self.cert.tbs_certificate.subject.to_string())
            .finish()
    }
}

fn public_key_of(cert: &Certificate) -> Result<RsaPublicKey, Error> {
    use rsa::pkcs8::DecodePublicKey;
    let spki = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| Error::Certificate(e.to_string()))?;
    RsaPublicKey::from_public_key_der(&spki).map_err(|e| Error::Certificate(e.to_string()))
}

impl RsaSigner {
    /// A signer from a key and the certificate of its public half.
    pub fn new(key: RsaPrivateKey, cert: Certificate) -> Result<Self, Error> {
        if public_key_of(&cert)? != key.to_public_key() {
            return Err(Error::Key("the key does not match the certificate".into()));
        }
        Ok(RsaSigner {
            key: pkcs1v15::SigningKey::<Sha256>::new(key),
            cert,
        })
    }

    /// From PEM text: a PKCS#8 (`PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`) key and a
    /// certificate.
    pub fn from_pem(key_pem: &str, cert_pem: &str) -> Result<Self, Error> {
        use der::DecodePem;
        use rsa::pkcs1::DecodeRsaPrivateKey;
        use rsa::pkcs8::DecodePrivateKey;
        let key = RsaPrivateKey::from_pkcs8_pem(key_pem)
            .or_else(|_| RsaPrivateKey::from_pkcs1_pem(key_pem))
            .map_err(|e| Error::Key(e.to_string()))?;
        let cert = Certificate::from_pem(cert_pem.as_bytes())
            .map_err(|e| Error::Certificate(e.to_string()))?;
        Self::new(key, cert)
    }
}

impl XmlSigner for RsaSigner {
    fn certificate(&self) -> &Certificate {
        &self.cert
    }

    fn sign_rsa_sha256(&self, data: &[u8]) -> Result<Vec<u8>, Error> {
        self.key
            .try_sign(data)
            .map(|s| s.to_vec())
            .map_err(|e| Error::Key(e.to_string()))
    }
}

fn ds(local: &str) -> Element {
    Element::new(None, local, Some(DSIG_NS))
}

fn ds_alg(local: &str, alg: &str) -> Element {
    let mut e = ds(local);
    e.attrs.push(dom::Attr {
        prefix: None,
        local: "Algorithm".into(),
        ns: None,
        value: alg.into(),
    });
    e
}

fn ds_text(local: &str, text: &str) -> Element {
    let mut e = ds(local);
    e.push_text(text);
    e
}

fn child_mut<'a>(el: &'a mut Element, local: &str) -> Option<&'a mut Element> {
    el.children.iter_mut().find_map(|n| match n {
        Node::Element(e) if e.local == local => Some(e),
        _ => None,
    })
}

/// Sign a parsed document in place: the Signature goes at the end of `edXMLHeader`.
pub(crate) fn sign_tree(root: &mut Element, signer: &dyn XmlSigner) -> Result<(), Error> {
    let cert = signer.certificate();
    let cert_der = cert
        .to_der()
        .map_err(|e| Error::Certificate(e.to_string()))?;
    let mut reference = ds("Reference");
    reference.attrs.push(dom::Attr {
        prefix: None,
        local: "URI".into(),
        ns: None,
        value: String::new(),
    });
    let mut transforms = ds("Transforms");
    transforms.push(ds_alg("Transform", ENVELOPED));
    transforms.push(ds_alg("Transform", EXC_C14N));
    reference.push(transforms);
    reference.push(ds_alg("DigestMethod", SHA256));
    reference.push(ds("DigestValue"));
    let mut signed_info = ds("SignedInfo");
    signed_info.push(ds_alg("CanonicalizationMethod", EXC_C14N));
    signed_info.push(ds_alg("SignatureMethod", RSA_SHA256));
    signed_info.push(reference);
    let mut sig = ds("Signature");
    sig.ns_decls.push((None, DSIG_NS.to_owned()));
    sig.push(signed_info);
    sig.push(ds("SignatureValue"));
    let mut x509 = ds("X509Data");
    x509.push(ds_text(
        "X509SubjectName",
        &cert.tbs_certificate.subject.to_string(),
    ));
    x509.push(ds_text("X509Certificate", &B64.encode(&cert_der)));
    let mut key_info = ds("KeyInfo");
    key_info.push(x509);
    sig.push(key_info);
    crate::model::indent(&mut sig, 3);

    let ancestors_ns: Vec<(Option<String>, String)>;
    {
        let root_decls = root.ns_decls.clone();
        let env = child_mut(root, "edXMLEnvelope").ok_or_else(|| Error::MissingElement {
            path: "edXML/edXMLEnvelope".into(),
        })?;
        let env_decls = env.ns_decls.clone();
        let header = child_mut(env, "edXMLHeader").ok_or_else(|| Error::MissingElement {
            path: "edXMLEnvelope/edXMLHeader".into(),
        })?;
        if header
            .child_elements()
            .any(|e| e.local == "Signature" && e.ns.as_deref() == Some(DSIG_NS))
        {
            return Err(Error::UnsupportedAlgorithm(
                "the document is already signed".into(),
            ));
        }
        ancestors_ns = root_decls
            .into_iter()
            .chain(env_decls)
            .chain(header.ns_decls.iter().cloned())
            .chain(sig.ns_decls.iter().cloned())
            .collect();
        // Keep the indentation: the header ends with a whitespace text node.
        let closing = match header.children.last() {
            Some(Node::Text(t)) if t.trim().is_empty() => Some(t.clone()),
            _ => None,
        };
        match closing {
            Some(_) => {
                let at = header.children.len() - 1;
                header.children.insert(at, Node::Element(sig));
                header.children.insert(at, Node::Text("\n      ".into()));
            }
            None => header.children.push(Node::Element(sig)),
        }
    }
    // Digest of the document without the Signature.
    let digest = {
        let sig_ref = find_header_signature(root)?;
        let c = canonicalize(root, &[], Some(sig_ref), &Mode::Exclusive(Vec::new()));
        Sha256::digest(c.as_bytes())
    };
    let sig = find_header_signature_mut(root)?;
    {
        let si = child_mut(sig, "SignedInfo").ok_or(Error::NotSigned)?;
        let r = child_mut(si, "Reference").ok_or(Error::NotSigned)?;
        let dv = child_mut(r, "DigestValue").ok_or(Error::NotSigned)?;
        dv.push_text(&B64.encode(digest));
    }
    let signed_info_c14n = {
        let si = sig.child("SignedInfo").ok_or(Error::NotSigned)?;
        canonicalize(si, &ancestors_ns, None, &Mode::Exclusive(Vec::new()))
    };
    let value = signer.sign_rsa_sha256(signed_info_c14n.as_bytes())?;
    let sv = child_mut(sig, "SignatureValue").ok_or(Error::NotSigned)?;
    sv.push_text(&B64.encode(value));
    Ok(())
}

fn find_header_signature(root: &Element) -> Result<&Element, Error> {
    root.child("edXMLEnvelope")
        .and_then(|e| e.child("edXMLHeader"))
        .and_then(|h| {
            h.child_elements()
                .find(|e| e.local == "Signature" && e.ns.as_deref() == Some(DSIG_NS))
        })
        .ok_or(Error::NotSigned)
}

fn find_header_signature_mut(root: &mut Element) -> Result<&mut Element, Error> {
    let env = child_mut(root, "edXMLEnvelope").ok_or(Error::NotSigned)?;
    let header = child_mut(env, "edXMLHeader").ok_or(Error::NotSigned)?;
    header
        .children
        .iter_mut()
        .find_map(|n| match n {
            Node::Element(e) if e.local == "Signature" && e.ns.as_deref() == Some(DSIG_NS) => {
                Some(e)
            }
            _ => None,
        })
        .ok_or(Error::NotSigned)
}

/// Sign an edXML document (package or status message) given as bytes.
pub fn sign(xml: &[u8], signer: &dyn XmlSigner) -> Result<Vec<u8>, Error> {
    let mut root = dom::parse(xml, &Limits::default())?;
    sign_tree(&mut root, signer)?;
    Ok(crate::model::serialize(&root))
}

/// What a valid signature tells about its signer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The certificate's subject (RFC 4514 form).
    pub subject: String,
    pub issuer: String,
    /// Serial number, hex.
    pub serial: String,
    pub not_before: SystemTime,
    pub not_after: SystemTime,
    /// The signature method URI.
    pub signature_method: String,
    /// The signer's certificate.
    pub certificate: Certificate,
}

impl Verified {
    /// Whether the certificate was within its validity period at `t`. The signature itself
    /// says nothing about when it was made; the caller picks the time (now, or the package's
    /// trace timestamp).
    pub fn valid_at(&self, t: SystemTime) -> bool {
        self.not_before <= t && t <= self.not_after
    }

    /// Whether the signer's certificate was issued (signed, SHA-256 with RSA) by `ca`. Trust
    /// policy (which CAs, revocation) is the caller's.
    pub fn issued_by(&self, ca: &Certificate) -> bool {
        let Ok(key) = public_key_of(ca) else {
            return false;
        };
        if self.certificate.tbs_certificate.issuer != ca.tbs_certificate.subject {
            return false;
        }
        let Ok(tbs) = self.certificate.tbs_certificate.to_der() else {
            return false;
        };
        let Some(sig) = self.certificate.signature.as_bytes() else {
            return false;
        };
        let Ok(sig) = pkcs1v15::Signature::try_from(sig) else {
            return false;
        };
        pkcs1v15::VerifyingKey::<Sha256>::new(key)
            .verify(&tbs, &sig)
            .is_ok()
    }
}

/// Namespace declarations, outermost first.
type NsDecls = Vec<(Option<String>, String)>;

/// Find every dsig `Signature` element, with the namespace declarations of its ancestors.
fn find_signatures<'a>(el: &'a Element, ns: &mut NsDecls, out: &mut Vec<(NsDecls, &'a Element)>) {
    let mark = ns.len();
    ns.extend(el.ns_decls.iter().cloned());
    if el.local == "Signature" && el.ns.as_deref() == Some(DSIG_NS) {
        out.push((ns.clone(), el));
    } else {
        for c in el.child_elements() {
            find_signatures(c, ns, out);
        }
    }
    ns.truncate(mark);
}

fn ds_child<'a>(el: &'a Element, local: &str) -> Result<&'a Element, Error> {
    el.child_elements()
        .find(|e| e.local == local && e.ns.as_deref() == Some(DSIG_NS))
        .ok_or_else(|| Error::MissingElement {
            path: format!("{}/{local}", el.local),
        })
}

fn algorithm(el: &Element) -> String {
    el.attr("Algorithm").unwrap_or_default().to_owned()
}

fn c14n_mode(el: &Element) -> Result<Option<Mode>, Error> {
    let alg = algorithm(el);
    Ok(match alg.as_str() {
        EXC_C14N | EXC_C14N_COMMENTS | EXC_C14N_SAMPLE => {
            let list = el
                .child_elements()
                .find(|e| e.local == "InclusiveNamespaces")
                .and_then(|e| e.attr("PrefixList"))
                .map(|l| {
                    l.split_ascii_whitespace()
                        .map(|p| (p != "#default").then(|| p.to_owned()))
                        .collect()
                })
                .unwrap_or_default();
            Some(Mode::Exclusive(list))
        }
        C14N | C14N_COMMENTS => Some(Mode::Inclusive),
        _ => None,
    })
}

fn decode_b64(s: &str) -> Result<Vec<u8>, Error> {
    let compact: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    B64.decode(compact).map_err(|_| Error::Malformed {
        line: 0,
        reason: "invalid base64 in the signature".into(),
    })
}

fn system_time(t: x509_cert::time::Time) -> SystemTime {
    t.to_system_time()
}

pub(crate) fn verify_tree(root: &Element) -> Result<Verified, Error> {
    let mut found = Vec::new();
    find_signatures(root, &mut Vec::new(), &mut found);
    let (sig_ns, sig) = match found.len() {
        0 => return Err(Error::NotSigned),
        1 => found.swap_remove(0),
        _ => {
            return Err(Error::UnsupportedAlgorithm(
                "more than one Signature element".into(),
            ));
        }
    };
    let si = ds_child(sig, "SignedInfo")?;
    let c14n_el = ds_child(si, "CanonicalizationMethod")?;
    let si_mode = c14n_mode(c14n_el)?.ok_or_else(|| {
        Error::UnsupportedAlgorithm(format!("canonicalization {}", algorithm(c14n_el)))
    })?;
    let sig_method = algorithm(ds_child(si, "SignatureMethod")?);
    let references: Vec<&Element> = si
        .child_elements()
        .filter(|e| e.local == "Reference" && e.ns.as_deref() == Some(DSIG_NS))
        .collect();
    let [reference] = references.as_slice() else {
        return Err(Error::UnsupportedAlgorithm(format!(
            "{} references (exactly one, URI=\"\", is supported)",
            references.len()
        )));
    };
    if reference.attr("URI") != Some("") {
        return Err(Error::UnsupportedAlgorithm(format!(
            "Reference URI {:?} (only URI=\"\", the whole document, is supported)",
            reference.attr("URI").unwrap_or("<absent>")
        )));
    }
    let mut enveloped = false;
    let mut mode = Mode::Inclusive;
    if let Ok(ts) = ds_child(reference, "Transforms") {
        for t in ts.child_elements() {
            let alg = algorithm(t);
            if alg == ENVELOPED {
                enveloped = true;
            } else if let Some(m) = c14n_mode(t)? {
                mode = m;
            } else {
                return Err(Error::UnsupportedAlgorithm(format!("transform {alg}")));
            }
        }
    }
    if !enveloped {
        return Err(Error::UnsupportedAlgorithm(
            "a whole-document reference without the enveloped-signature transform".into(),
        ));
    }
    let digest_method = algorithm(ds_child(reference, "DigestMethod")?);
    let expected = decode_b64(&ds_child(reference, "DigestValue")?.text())?;

    // The signer's certificate.
    let cert_el = ds_child(sig, "KeyInfo")
        .and_then(|k| ds_child(k, "X509Data"))
        .and_then(|x| ds_child(x, "X509Certificate"))
        .map_err(|_| Error::Certificate("no KeyInfo/X509Data/X509Certificate".into()))?;
    let cert_der = decode_b64(&cert_el.text())
        .map_err(|_| Error::Certificate("X509Certificate is not base64".into()))?;
    let cert = Certificate::from_der(&cert_der).map_err(|e| Error::Certificate(e.to_string()))?;
    let key = public_key_of(&cert)?;

    // Signature over the canonical SignedInfo.
    let si_c14n = canonicalize(si, &sig_ns, None, &si_mode);
    let value = decode_b64(&ds_child(sig, "SignatureValue")?.text())
        .map_err(|_| Error::SignatureInvalid)?;
    let signature =
        pkcs1v15::Signature::try_from(value.as_slice()).map_err(|_| Error::SignatureInvalid)?;
    let ok = match sig_method.as_str() {
        RSA_SHA256 => pkcs1v15::VerifyingKey::<Sha256>::new(key)
            .verify(si_c14n.as_bytes(), &signature)
            .is_ok(),
        RSA_SHA1 => pkcs1v15::VerifyingKey::<sha1::Sha1>::new(key)
            .verify(si_c14n.as_bytes(), &signature)
            .is_ok(),
        other => {
            return Err(Error::UnsupportedAlgorithm(format!(
                "signature method {other}"
            )));
        }
    };
    if !ok {
        return Err(Error::SignatureInvalid);
    }

    // Digest of the document without the Signature.
    let doc_c14n = canonicalize(root, &[], Some(sig), &mode);
    let actual: Vec<u8> = match digest_method.as_str() {
        SHA256 => Sha256::digest(doc_c14n.as_bytes()).to_vec(),
        SHA1 => sha1::Sha1::digest(doc_c14n.as_bytes()).to_vec(),
        other => {
            return Err(Error::UnsupportedAlgorithm(format!(
                "digest method {other}"
            )));
        }
    };
    if actual != expected {
        return Err(Error::DigestMismatch);
    }

    let tbs = &cert.tbs_certificate;
    Ok(Verified {
        subject: tbs.subject.to_string(),
        issuer: tbs.issuer.to_string(),
        serial: hex_of(tbs.serial_number.as_bytes()),
        not_before: system_time(tbs.validity.not_before),
        not_after: system_time(tbs.validity.not_after),
        signature_method: sig_method,
        certificate: cert,
    })
}

fn hex_of(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Verify the enveloped signature of an edXML document (package or status message).
///
/// This proves that the holder of the key in the embedded certificate signed exactly this
/// document. It does **not** prove who that is: the certificate's subject is only as good as
/// its issuer, so callers that act on the signer's identity use [`verify_trusted`] (or check
/// [`Verified::issued_by`] and [`Verified::valid_at`] themselves).
pub fn verify(xml: &[u8]) -> Result<Verified, Error> {
    let root = dom::parse(xml, &Limits::default())?;
    verify_tree(&root)
}

/// Verify a signed package and parse it, reading the XML once.
pub fn verify_and_parse(xml: &[u8], limits: &Limits) -> Result<(Package, Verified), Error> {
    let root = dom::parse(xml, limits)?;
    let verified = verify_tree(&root)?;
    let package = Package::from_tree(&root, limits)?;
    Ok((package, verified))
}

/// [`verify`], then require the signer's certificate to be issued by one of `roots` (directly)
/// and valid at `at`; otherwise [`Error::UntrustedCertificate`].
pub fn verify_trusted(
    xml: &[u8],
    roots: &[Certificate],
    at: SystemTime,
) -> Result<Verified, Error> {
    let v = verify(xml)?;
    check_trust(&v, roots, at)?;
    Ok(v)
}

pub(crate) fn check_trust(
    v: &Verified,
    roots: &[Certificate],
    at: SystemTime,
) -> Result<(), Error> {
    if !roots.iter().any(|r| v.issued_by(r)) {
        return Err(Error::UntrustedCertificate(format!(
            "{} is not issued by a trusted CA",
            v.subject
        )));
    }
    if !v.valid_at(at) {
        return Err(Error::UntrustedCertificate(format!(
            "{} is not valid at the time asked",
            v.subject
        )));
    }
    Ok(())
}
