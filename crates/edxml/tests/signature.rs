//! The enveloped signature: our own verifier, xmlsec1 both ways, tampering.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]

mod common;

use common::*;
use cqdt_edxml::*;
use der::Decode;
use std::process::Command;

fn signed_sample() -> Vec<u8> {
    sample_package(2000).to_signed_xml(&pki().signer).unwrap()
}

#[test]
fn signed_package_verifies_and_parses() {
    let xml = signed_sample();
    let (package, v) = verify_and_parse(&xml, &Limits::default()).unwrap();
    assert_eq!(package, sample_package(2000));
    assert!(
        v.subject.contains("Văn thư UBND tỉnh Tây Ninh"),
        "{}",
        v.subject
    );
    assert!(v.issuer.contains("Tây Ninh Test CA"), "{}", v.issuer);
    assert!(v.valid_at(std::time::SystemTime::now()));
    assert!(v.issued_by(&pki().ca_cert));
    // Another CA is not trusted.
    let other =
        x509_cert::Certificate::from_der(&der::Encode::to_der(&v.certificate).unwrap()).unwrap();
    assert_eq!(
        verify_trusted(&signed_sample(), &[other], std::time::SystemTime::now())
            .unwrap_err()
            .kind(),
        "UntrustedCertificate"
    );
    let far = std::time::SystemTime::now() + std::time::Duration::from_secs(400 * 86400);
    assert_eq!(
        verify_trusted(&signed_sample(), &[pki().ca_cert.clone()], far)
            .unwrap_err()
            .kind(),
        "UntrustedCertificate"
    );
    assert_eq!(
        v.signature_method,
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    );
    // The signature sits in edXMLHeader.
    let s = String::from_utf8(xml).unwrap();
    let header_end = s.find("</edXML:edXMLHeader>").unwrap();
    let sig = s
        .find("<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\">")
        .unwrap();
    assert!(sig < header_end);
    assert!(s.contains("<Reference URI=\"\">"));
}

#[test]
fn unsigned_package_is_not_signed() {
    let xml = sample_package(10).to_xml();
    assert_eq!(verify(&xml).unwrap_err(), Error::NotSigned);
}

#[test]
fn signing_twice_is_refused_and_sign_of_bytes_works() {
    let unsigned = sample_package(10).to_xml();
    let signed = sign(&unsigned, &pki().signer).unwrap();
    verify(&signed).unwrap();
    assert_eq!(
        sign(&signed, &pki().signer).unwrap_err().kind(),
        "UnsupportedAlgorithm"
    );
}

#[test]
fn status_message_signs_and_verifies() {
    let st = StatusMessage {
        from: org("000.00.30.H53", "UBND huyện Hòa Thành"),
        response_for: ResponseFor {
            organ_id: "000.00.00.H53".into(),
            code: "1234/UBND-VP".into(),
            promulgation_date: date(2019, 3, 15),
            document_id: "000.00.00.H53,2019/03/15,1234/UBND-VP".into(),
        },
        staff_info: StaffInfo::default(),
        status_code: StatusCode::Accepted,
        description: StatusCode::Accepted.description_vi().into(),
        timestamp: ts(2019, 3, 15, 9, 0, 0),
    };
    let xml = st.to_signed_xml(&pki().signer).unwrap();
    verify(&xml).unwrap();
    assert_eq!(StatusMessage::from_xml(&xml).unwrap(), st);
}

/// Replace the first occurrence of `from` by `to` (same length or not).
fn tamper(xml: &[u8], from: &str, to: &str) -> Vec<u8> {
    let s = String::from_utf8(xml.to_vec()).unwrap();
    assert!(s.contains(from), "{from} not in document");
    s.replacen(from, to, 1).into_bytes()
}

#[test]
fn tampered_packages_are_refused() {
    let xml = signed_sample();
    // Content in the header.
    let t = tamper(&xml, "Nguyễn Văn A", "Nguyễn Văn B");
    assert_eq!(verify(&t).unwrap_err(), Error::DigestMismatch);
    // An attachment byte (outside the envelope, still signed).
    let s = String::from_utf8(xml.clone()).unwrap();
    let at = s.find("<edXML:ContentTransferEncoded").unwrap();
    let pos = s[at..].find('>').unwrap() + at + 10;
    let mut t = xml.clone();
    t[pos] = if t[pos] == b'A' { b'B' } else { b'A' };
    assert_eq!(verify(&t).unwrap_err(), Error::DigestMismatch);
    // An attribute.
    let t = tamper(&xml, "version=\"1.0\">", "version=\"1.1\">");
    assert_eq!(verify(&t).unwrap_err(), Error::DigestMismatch);
    // The digest value itself (SignedInfo changed → signature fails).
    let s = String::from_utf8(xml.clone()).unwrap();
    let dv = s.find("<DigestValue>").unwrap() + "<DigestValue>".len();
    let mut t = xml.clone();
    t[dv] = if t[dv] == b'A' { b'B' } else { b'A' };
    assert_eq!(verify(&t).unwrap_err(), Error::SignatureInvalid);
    // The signature value.
    let sv = s.find("<SignatureValue>").unwrap() + "<SignatureValue>".len() + 5;
    let mut t = xml.clone();
    t[sv] = if t[sv] == b'A' { b'B' } else { b'A' };
    assert_eq!(verify(&t).unwrap_err(), Error::SignatureInvalid);
    // Every single-byte change in the document's letters is caught (sampled).
    // (`X509SubjectName` is informational and not signed, as in XML-DSig generally; the
    // certificate is checked against the CA.)
    let s = String::from_utf8(xml.clone()).unwrap();
    let name_start = s.find("<X509SubjectName>").unwrap();
    let name_end = s.find("</X509SubjectName>").unwrap();
    let roots = [pki().ca_cert.clone()];
    let now = std::time::SystemTime::now();
    verify_trusted(&xml, &roots, now).unwrap();
    let mut caught = 0;
    for pos in (0..xml.len()).step_by(41) {
        if !xml[pos].is_ascii_alphanumeric() || (name_start..name_end).contains(&pos) {
            continue;
        }
        let mut t = xml.clone();
        t[pos] = if t[pos] == b'a' { b'b' } else { b'a' };
        let r = verify_trusted(&t, &roots, now);
        assert!(
            r.is_err(),
            "change at byte {pos} not detected: {}",
            String::from_utf8_lossy(&xml[pos.saturating_sub(80)..pos + 20])
        );
        caught += 1;
    }
    assert!(caught > 20);
}

#[test]
fn xmlsec1_verifies_our_signature() {
    if !tool("xmlsec1") {
        return;
    }
    let dir = tmpdir("xmlsec-verify");
    let xml = signed_sample();
    let file = write(&dir, "package.edxml", &xml);
    let ca = write(&dir, "ca.pem", pki().ca_pem.as_bytes());
    let cert = write(&dir, "cert.pem", pki().cert_pem.as_bytes());
    // With the CA as trust anchor (the certificate comes from KeyInfo).
    let out = Command::new("xmlsec1")
        .args(["--verify", "--trusted-pem"])
        .arg(&ca)
        .arg(&file)
        .output()
        .unwrap();
    eprintln!(
        "xmlsec1 --verify --trusted-pem: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success());
    // With the signer's certificate as the key.
    let out = Command::new("xmlsec1")
        .args(["--verify", "--pubkey-cert-pem"])
        .arg(&cert)
        .arg(&file)
        .output()
        .unwrap();
    eprintln!(
        "xmlsec1 --verify --pubkey-cert-pem: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success());
    // And xmlsec1 refuses a tampered copy.
    let bad = write(
        &dir,
        "bad.edxml",
        &tamper(&xml, "Nguyễn Văn A", "Nguyễn Văn B"),
    );
    let out = Command::new("xmlsec1")
        .args(["--verify", "--trusted-pem"])
        .arg(&ca)
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn we_verify_xmlsec1_signatures() {
    if !tool("xmlsec1") {
        return;
    }
    let dir = tmpdir("xmlsec-sign");
    // A template: the unsigned package with an empty Signature in edXMLHeader; an exclusive
    // C14N signature (ours) and an inclusive one (like the VPCP sample).
    let unsigned = String::from_utf8(sample_package(500).to_xml()).unwrap();
    for (name, c14n, transform) in [
        (
            "exc",
            "http://www.w3.org/2001/10/xml-exc-c14n#",
            "http://www.w3.org/2001/10/xml-exc-c14n#",
        ),
        (
            "inc",
            "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
            "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
        ),
    ] {
        let template = format!(
            r#"<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><CanonicalizationMethod Algorithm="{c14n}"/><SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><Reference URI=""><Transforms><Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><Transform Algorithm="{transform}"/></Transforms><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue/></Reference></SignedInfo><SignatureValue/><KeyInfo><X509Data><X509Certificate/></X509Data></KeyInfo></Signature>"#
        );
        let doc = unsigned.replacen(
            "</edXML:edXMLHeader>",
            &format!("{template}</edXML:edXMLHeader>"),
            1,
        );
        let tmpl = write(&dir, &format!("{name}-tmpl.xml"), doc.as_bytes());
        let key = write(&dir, "key.pem", pki().key_pem.as_bytes());
        let cert = write(&dir, "cert.pem", pki().cert_pem.as_bytes());
        let out_path = dir.join(format!("{name}-signed.xml"));
        let out = Command::new("xmlsec1")
            .arg("--sign")
            .arg("--privkey-pem")
            .arg(format!("{},{}", key.display(), cert.display()))
            .arg("--output")
            .arg(&out_path)
            .arg(&tmpl)
            .output()
            .unwrap();
        eprintln!(
            "xmlsec1 --sign ({name}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success());
        let signed = std::fs::read(&out_path).unwrap();
        let (package, v) =
            verify_and_parse(&signed, &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(package, sample_package(500));
        assert!(v.subject.contains("Văn thư"));
        let t = tamper(&signed, "Nguyễn Văn A", "Nguyễn Văn C");
        assert_eq!(verify(&t).unwrap_err(), Error::DigestMismatch, "{name}");
    }
    let _ = std::fs::remove_dir_all(dir);
}
