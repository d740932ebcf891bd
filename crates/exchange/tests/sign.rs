//! Digital signatures (issue 5 point 4): the test CA, two detached CMS signatures on a PDF,
//! verification by `openssl cms -verify` and by our own verifier, tampering, a foreign CA,
//! PKCS#12 import.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use cqdt_app::ports::FakeClock;
use cqdt_app::{Clock, SystemClock};
use cqdt_exchange::sign::{
    Signer, SoftwareSigner, TestCa, certificate_pem, merge, parse_certificate, sign_document,
    verify,
};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A small but well-formed PDF with one page.
const PDF: &[u8] = b"%PDF-1.4\n\
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n\
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n\
xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n0000000115 00000 n \n\
trailer << /Size 4 /Root 1 0 R >>\nstartxref\n186\n%%EOF\n";

struct Fixture {
    ca: TestCa,
    personal: SoftwareSigner,
    agency: SoftwareSigner,
}

/// RSA key generation is slow in debug builds: one CA and its two certificates for all tests.
fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let ca = TestCa::tay_ninh(Arc::new(SystemClock)).unwrap();
        let personal = ca
            .issue_personal("Nguyễn Văn A", "nguyenvana@tayninh.gov.vn")
            .unwrap();
        let agency = ca
            .issue_organisation("UBND tỉnh Tây Ninh", "Ủy ban nhân dân tỉnh Tây Ninh")
            .unwrap();
        Fixture {
            ca,
            personal,
            agency,
        }
    })
}

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_micros(SystemClock.now_us() as u64)
}

fn temp_dir(name: &str) -> PathBuf {
    let nanos = SystemClock.now_us();
    let dir = std::env::temp_dir().join(format!("cqdt-sign-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn say(msg: &str) {
    let _ = std::io::stderr().write_all(format!("{msg}\n").as_bytes());
}

fn openssl_available() -> bool {
    let ok = Command::new("openssl").arg("version").output().is_ok();
    if !ok {
        say("skipped: openssl not installed");
    }
    ok
}

/// `openssl cms -verify`; Some(success) or None when openssl is missing.
fn openssl_verify(dir: &Path, doc: &Path, sig: &Path, ca: &Path) -> Option<bool> {
    if !openssl_available() {
        return None;
    }
    let out = Command::new("openssl")
        .args(["cms", "-verify", "-binary", "-inform", "DER", "-in"])
        .arg(sig)
        .arg("-content")
        .arg(doc)
        .arg("-CAfile")
        .arg(ca)
        .args(["-purpose", "any", "-out"])
        .arg(dir.join("out.bin"))
        .output()
        .unwrap();
    say(&format!(
        "openssl cms -verify {}: {}",
        sig.display(),
        String::from_utf8_lossy(&out.stderr).trim()
    ));
    Some(out.status.success())
}

/// Remove a test folder unless CQDT_SIGN_KEEP is set (to look at the files by hand).
fn clean(dir: &Path) {
    if std::env::var_os("CQDT_SIGN_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(dir);
    } else {
        say(&format!("kept {}", dir.display()));
    }
}

fn write_files(dir: &Path, doc: &[u8], sig: &[u8], ca: &TestCa) -> (PathBuf, PathBuf, PathBuf) {
    let (d, s, c) = (dir.join("doc.pdf"), dir.join("sig.p7s"), dir.join("ca.pem"));
    std::fs::write(&d, doc).unwrap();
    std::fs::write(&s, sig).unwrap();
    std::fs::write(&c, certificate_pem(ca.certificate()).unwrap()).unwrap();
    (d, s, c)
}

#[test]
fn test_ca_and_certificates_are_marked_and_named() {
    let f = fixture();
    let root = f.ca.certificate().tbs_certificate.subject.to_string();
    assert!(root.contains("CN=Tây Ninh Test CA"), "{root}");
    assert!(root.contains("TEST"), "{root}");
    let p = f.personal.certificate().tbs_certificate.subject.to_string();
    assert!(p.contains("CN=Nguyễn Văn A"), "{p}");
    let a = f.agency.certificate().tbs_certificate.subject.to_string();
    assert!(a.contains("CN=UBND tỉnh Tây Ninh"), "{a}");
    assert!(a.contains("O=Ủy ban nhân dân tỉnh Tây Ninh"), "{a}");
    assert_eq!(f.personal.chain().len(), 2);
    // PEM round trip, as the verification page takes uploaded roots.
    let pem = certificate_pem(f.ca.certificate()).unwrap();
    assert_eq!(
        &parse_certificate(pem.as_bytes()).unwrap(),
        f.ca.certificate()
    );
}

#[test]
fn two_signatures_verify_with_openssl_and_rust_and_tampering_fails_both() {
    let f = fixture();
    let before = now() - Duration::from_secs(1);
    let sig = sign_document(PDF, &f.personal, &f.agency).unwrap();
    let dir = temp_dir("two");
    let (doc, sig_path, ca) = write_files(&dir, PDF, &sig, &f.ca);

    // Rust verifier: two valid signers, signer first.
    let report = verify(PDF, &sig, &[f.ca.certificate().clone()]).unwrap();
    say(&format!("{report:#?}"));
    assert_eq!(report.signers.len(), 2);
    assert!(report.all_valid(), "{report:#?}");
    let subjects: Vec<&str> = report.signers.iter().map(|s| s.subject.as_str()).collect();
    assert!(subjects.iter().any(|s| s.contains("Nguyễn Văn A")));
    assert!(subjects.iter().any(|s| s.contains("UBND tỉnh Tây Ninh")));
    for s in &report.signers {
        assert!(s.issuer.contains("Tây Ninh Test CA"));
        assert!(!s.serial.is_empty());
        assert_eq!(s.chain.len(), 2);
        // Signing time reported, between the call and now.
        let t = s.signing_time.as_deref().unwrap();
        let parsed = der::DateTime::from_system_time(before).unwrap().to_string();
        assert!(t >= parsed.as_str(), "{t} < {parsed}");
        assert!(t.ends_with('Z'));
    }
    // The JSON an API would return.
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["signers"][0]["chain_valid"], true);

    if let Some(ok) = openssl_verify(&dir, &doc, &sig_path, &ca) {
        assert!(ok, "openssl rejected a good signature");
        assert_eq!(std::fs::read(dir.join("out.bin")).unwrap(), PDF);
    }

    // One flipped byte: both verifications fail.
    let mut tampered = PDF.to_vec();
    tampered[40] ^= 0x01;
    let bad_doc = dir.join("doc-tampered.pdf");
    std::fs::write(&bad_doc, &tampered).unwrap();
    let report = verify(&tampered, &sig, &[f.ca.certificate().clone()]).unwrap();
    assert!(!report.all_valid());
    assert!(report.signers.iter().all(|s| !s.digest_ok && s.chain_valid));
    if let Some(ok) = openssl_verify(&dir, &bad_doc, &sig_path, &ca) {
        assert!(!ok, "openssl accepted a changed document");
    }

    // One flipped byte in the signature file's RSA signature: both fail too.
    let mut bad_sig = sig.clone();
    let n = bad_sig.len();
    bad_sig[n - 10] ^= 0x01;
    let bad_sig_path = dir.join("sig-tampered.p7s");
    std::fs::write(&bad_sig_path, &bad_sig).unwrap();
    let report = verify(PDF, &bad_sig, &[f.ca.certificate().clone()]).unwrap();
    assert!(!report.all_valid());
    if let Some(ok) = openssl_verify(&dir, &doc, &bad_sig_path, &ca) {
        assert!(!ok, "openssl accepted a changed signature");
    }
    clean(&dir);
}

#[test]
fn agency_signature_added_later_by_merge() {
    let f = fixture();
    let first = f.personal.sign_detached(PDF).unwrap();
    let roots = [f.ca.certificate().clone()];
    let r = verify(PDF, &first, &roots).unwrap();
    assert_eq!(r.signers.len(), 1);
    assert!(r.all_valid());
    let second = f.agency.sign_detached(PDF).unwrap();
    let both = merge(&[&first, &second]).unwrap();
    let r = verify(PDF, &both, &roots).unwrap();
    assert_eq!(r.signers.len(), 2);
    assert!(r.all_valid(), "{r:#?}");
    // Merging the same signature twice does not duplicate it.
    let again = merge(&[&both, &first]).unwrap();
    assert_eq!(verify(PDF, &again, &roots).unwrap().signers.len(), 2);

    // Not a signature: an error, not a panic.
    assert!(verify(PDF, b"not a signature", &roots).is_err());
    assert!(merge(&[b"junk".as_slice()]).is_err());

    let dir = temp_dir("merge");
    let (doc, sig, ca) = write_files(&dir, PDF, &both, &f.ca);
    if let Some(ok) = openssl_verify(&dir, &doc, &sig, &ca) {
        assert!(ok);
    }
    clean(&dir);
}

#[test]
fn certificate_from_another_ca_fails_chain_validation() {
    let f = fixture();
    let other = TestCa::generate("Other Test CA", Arc::new(SystemClock)).unwrap();
    let intruder = other
        .issue_personal("Nguyễn Văn A", "nguyenvana@tayninh.gov.vn")
        .unwrap();
    let sig = intruder.sign_detached(PDF).unwrap();
    let report = verify(PDF, &sig, &[f.ca.certificate().clone()]).unwrap();
    let s = &report.signers[0];
    assert!(s.digest_ok && s.signature_ok, "{s:#?}");
    assert!(!s.chain_valid, "{s:#?}");
    assert!(!report.all_valid());
    assert!(s.problems.iter().any(|p| p.contains("no trusted issuer")));
    // Trusting the other CA instead makes it valid: the only problem was trust.
    assert!(
        verify(PDF, &sig, &[other.certificate().clone()])
            .unwrap()
            .all_valid()
    );

    let dir = temp_dir("other");
    let (doc, sig_path, ca) = write_files(&dir, PDF, &sig, &f.ca);
    if let Some(ok) = openssl_verify(&dir, &doc, &sig_path, &ca) {
        assert!(!ok, "openssl accepted a certificate from another CA");
    }
    clean(&dir);
}

#[test]
fn signing_time_is_reported_and_checked_against_validity() {
    let f = fixture();
    let roots = [f.ca.certificate().clone()];
    // Whole seconds ten minutes ago, from a clock the test sets (the Clock port).
    let secs = SystemClock.now_us() / 1_000_000 - 600;
    let at = UNIX_EPOCH + Duration::from_secs(secs as u64);
    let signer = f
        .personal
        .clone()
        .with_clock(Arc::new(FakeClock::new(secs * 1_000_000)));
    let sig = signer.sign_detached(PDF).unwrap();
    let r = verify(PDF, &sig, &roots).unwrap();
    let expected = der::DateTime::from_system_time(at).unwrap().to_string();
    assert_eq!(
        r.signers[0].signing_time.as_deref(),
        Some(expected.as_str())
    );
    assert!(r.signers[0].cert_valid_at_signing_time);
    assert!(r.all_valid());

    // The same with an explicit time.
    let sig = f.personal.sign_detached_at(PDF, at).unwrap();
    let r = verify(PDF, &sig, &roots).unwrap();
    assert_eq!(
        r.signers[0].signing_time.as_deref(),
        Some(expected.as_str())
    );

    // A signing time after the personal certificate expires (two years) and one before the
    // certificates existed: reported as not valid at signing time, all else fine.
    for t in [
        now() + Duration::from_secs(3 * 365 * 86_400),
        now() - Duration::from_secs(86_400),
    ] {
        let sig = f.personal.sign_detached_at(PDF, t).unwrap();
        let r = verify(PDF, &sig, &roots).unwrap();
        assert!(r.signers[0].digest_ok && r.signers[0].chain_valid);
        assert!(!r.signers[0].cert_valid_at_signing_time);
        assert!(!r.all_valid());
    }
}

#[test]
fn pkcs12_export_and_import() {
    let f = fixture();
    let p12 = f.personal.to_pkcs12("mật khẩu 123").unwrap();
    let imported = SoftwareSigner::from_pkcs12(&p12, "mật khẩu 123").unwrap();
    assert_eq!(imported.certificate(), f.personal.certificate());
    assert_eq!(imported.chain().len(), 2);
    let sig = imported.sign_detached(PDF).unwrap();
    assert!(
        verify(PDF, &sig, &[f.ca.certificate().clone()])
            .unwrap()
            .all_valid()
    );
    assert!(SoftwareSigner::from_pkcs12(&p12, "wrong").is_err());
    assert!(SoftwareSigner::from_pkcs12(b"not a pfx", "x").is_err());

    // OpenSSL reads our file too.
    if openssl_available() {
        let dir = temp_dir("p12");
        let path = dir.join("signer.p12");
        std::fs::write(&path, &p12).unwrap();
        let out = Command::new("openssl")
            .args(["pkcs12", "-in"])
            .arg(&path)
            .args(["-passin", "pass:mật khẩu 123", "-nokeys"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        clean(&dir);
    }
}

/// A .p12 made by OpenSSL (as a real CA or Windows would hand one out), modern AES and legacy
/// 3DES, with the CA certificate included.
#[test]
fn pkcs12_from_openssl_is_imported() {
    if !openssl_available() {
        return;
    }
    let dir = temp_dir("p12-openssl");
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "30",
        "-subj",
        "/CN=Imported Test CA",
        "-sha256",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "u.key",
        "-out",
        "u.csr",
        "-subj",
        "/CN=Imported Signer",
    ]);
    run(&[
        "x509",
        "-req",
        "-in",
        "u.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "u.pem",
        "-days",
        "30",
        "-sha256",
    ]);
    run(&[
        "pkcs12",
        "-export",
        "-inkey",
        "u.key",
        "-in",
        "u.pem",
        "-certfile",
        "ca.pem",
        "-out",
        "aes.p12",
        "-passout",
        "pass:secret",
    ]);
    run(&[
        "pkcs12",
        "-export",
        "-inkey",
        "u.key",
        "-in",
        "u.pem",
        "-certfile",
        "ca.pem",
        "-out",
        "3des.p12",
        "-passout",
        "pass:secret",
        "-keypbe",
        "PBE-SHA1-3DES",
        "-certpbe",
        "PBE-SHA1-3DES",
        "-macalg",
        "sha1",
    ]);
    let ca = parse_certificate(&std::fs::read(dir.join("ca.pem")).unwrap()).unwrap();

    // A signature made by OpenSSL itself is read by our verifier (signer, time, chain).
    std::fs::write(dir.join("doc.pdf"), PDF).unwrap();
    run(&[
        "cms",
        "-sign",
        "-binary",
        "-outform",
        "DER",
        "-in",
        "doc.pdf",
        "-signer",
        "u.pem",
        "-inkey",
        "u.key",
        "-out",
        "openssl.p7s",
    ]);
    let by_openssl = std::fs::read(dir.join("openssl.p7s")).unwrap();
    let r = verify(PDF, &by_openssl, std::slice::from_ref(&ca)).unwrap();
    assert!(r.all_valid(), "{r:#?}");
    assert!(r.signers[0].subject.contains("Imported Signer"));
    assert!(r.signers[0].signing_time.is_some());
    let r = verify(b"%PDF-1.4 other", &by_openssl, std::slice::from_ref(&ca)).unwrap();
    assert!(!r.signers[0].digest_ok);
    for file in ["aes.p12", "3des.p12"] {
        let signer = SoftwareSigner::from_pkcs12(&std::fs::read(dir.join(file)).unwrap(), "secret")
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(signer.chain().len(), 2, "{file}");
        let sig = signer.sign_detached(PDF).unwrap();
        let r = verify(PDF, &sig, std::slice::from_ref(&ca)).unwrap();
        assert!(r.all_valid(), "{file}: {r:#?}");
        assert!(r.signers[0].subject.contains("Imported Signer"));
        std::fs::write(dir.join("doc.pdf"), PDF).unwrap();
        std::fs::write(dir.join("sig.p7s"), &sig).unwrap();
        let ok = openssl_verify(
            &dir,
            &dir.join("doc.pdf"),
            &dir.join("sig.p7s"),
            &dir.join("ca.pem"),
        );
        assert_eq!(ok, Some(true), "{file}");
    }
    clean(&dir);
}
