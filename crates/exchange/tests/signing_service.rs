//! The signing service: the test CA and the signers persist across instances on one folder,
//! files are private, first uses race to one key, PDFs and detached signatures verify (ours and
//! `openssl`), PKCS#12 import replaces a key, the agency's edXML signer signs packages.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use cqdt_app::{Clock, SystemClock};
use cqdt_exchange::sign::{Signer, TestCa, certificate_pem, verify_pdf};
use cqdt_exchange::signing::{
    KeyOwner, SigningAgency, SigningPerson, SigningService, Verification,
};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

const PASS: &str = "mật khẩu kho khóa";

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "cqdt-signsvc-{name}-{}-{}",
        std::process::id(),
        SystemClock.now_us()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn say(msg: &str) {
    let _ = std::io::stderr().write_all(format!("{msg}\n").as_bytes());
}

fn openssl() -> bool {
    let ok = Command::new("openssl").arg("version").output().is_ok();
    if !ok {
        say("skipped: openssl missing");
    }
    ok
}

fn service(dir: &Path) -> SigningService {
    SigningService::new(dir.join("keys"), PASS, Arc::new(SystemClock)).unwrap()
}

fn person(id: &str) -> SigningPerson {
    SigningPerson {
        id: id.into(),
        full_name: "Nguyễn Văn A".into(),
        position: Some("Chủ tịch".into()),
        email: Some("nguyenvana@tayninh.gov.vn".into()),
    }
}

fn agency() -> SigningAgency {
    SigningAgency {
        id: "0190aaaa-0000-7000-8000-000000000001".into(),
        name: "Ủy ban nhân dân tỉnh Tây Ninh".into(),
        official_id: Some("000.00.00.H53".into()),
    }
}

/// A one-page PDF (classic xref), offsets computed.
fn simple_pdf() -> Vec<u8> {
    let content = "BT /F1 14 Tf 72 760 Td (Quyet dinh so 1) Tj ET";
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>".to_string(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R /ID [<00112233445566778899AABBCCDDEEFF> <00112233445566778899AABBCCDDEEFF>] >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn keys_persist_across_instances_and_pdfs_verify_with_the_chain_to_the_saved_ca() {
    let dir = temp_dir("persist");
    let pdf = simple_pdf();

    let first = service(&dir);
    let ca1 = first.ca_certificate().unwrap();
    let p1 = first.personal_signer(&person("u1")).unwrap().certificate();
    let a1 = first.agency_signer(&agency()).unwrap().certificate();
    drop(first);

    let keys = dir.join("keys");
    #[cfg(unix)]
    {
        assert_eq!(mode(&keys), 0o700);
        assert_eq!(mode(&keys.join("ca.p12")), 0o600);
        assert_eq!(mode(&keys.join("persons/u1.p12")), 0o600);
        let agency_files: Vec<_> = std::fs::read_dir(keys.join("agencies"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(agency_files.len(), 1);
        assert_eq!(mode(&agency_files[0]), 0o600);
    }

    // A second instance on the same folder: the same CA, the same keys.
    let second = service(&dir);
    assert_eq!(second.ca_certificate().unwrap(), ca1);
    assert_eq!(
        second.personal_signer(&person("u1")).unwrap().certificate(),
        p1
    );
    assert_eq!(second.agency_signer(&agency()).unwrap().certificate(), a1);

    // A person first seen after the restart is issued by the reloaded CA and chains to it.
    let signed = second
        .sign_issued_pdf(&pdf, &person("u2"), &agency())
        .unwrap();
    let roots = second.trust_roots().unwrap();
    assert_eq!(roots, vec![ca1.clone()]);
    let reports = verify_pdf(&signed, &roots).unwrap();
    assert_eq!(reports.len(), 2);
    for r in &reports {
        assert!(r.valid(), "{r:#?}");
        let s = r.signer.as_ref().unwrap();
        assert!(s.chain_valid);
        assert_eq!(
            s.chain.last().unwrap(),
            &ca1.tbs_certificate.subject.to_string()
        );
    }
    let person_subject = reports[0].signer.as_ref().unwrap().subject.clone();
    assert!(person_subject.contains("Nguyễn Văn A"), "{person_subject}");
    assert!(person_subject.contains("Chủ tịch"), "{person_subject}");
    let agency_subject = reports[1].signer.as_ref().unwrap().subject.clone();
    assert!(agency_subject.contains("000.00.00.H53"), "{agency_subject}");
    assert!(second.verify_any(&signed, None).unwrap().all_valid());

    // A wrong passphrase does not silently make a new CA.
    let wrong = SigningService::new(dir.join("keys"), "sai", Arc::new(SystemClock)).unwrap();
    assert!(wrong.ca_certificate().is_err());
    assert_eq!(service(&dir).ca_certificate().unwrap(), ca1);

    // openssl: the saved CA opens with the passphrase, the certificate issued after the restart
    // verifies against it, and so does the detached signature of both.
    if openssl() {
        let ca_pem = dir.join("ca.pem");
        std::fs::write(&ca_pem, certificate_pem(&ca1).unwrap()).unwrap();
        let out = Command::new("openssl")
            .args(["pkcs12", "-in"])
            .arg(keys.join("ca.p12"))
            .args(["-nokeys", "-passin"])
            .arg(format!("pass:{PASS}"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl pkcs12: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let u2 = second.personal_signer(&person("u2")).unwrap().certificate();
        let u2_pem = dir.join("u2.pem");
        std::fs::write(&u2_pem, certificate_pem(&u2).unwrap()).unwrap();
        let out = Command::new("openssl")
            .args(["verify", "-CAfile"])
            .arg(&ca_pem)
            .arg(&u2_pem)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl verify: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let content = b"Quyet dinh so 1 (ban dien tu)".to_vec();
        let p7s = second
            .sign_detached_both(&content, &person("u2"), &agency())
            .unwrap();
        let (content_path, sig_path) = (dir.join("content.bin"), dir.join("content.p7s"));
        std::fs::write(&content_path, &content).unwrap();
        std::fs::write(&sig_path, &p7s).unwrap();
        let out = Command::new("openssl")
            .args(["cms", "-verify", "-binary", "-inform", "DER", "-in"])
            .arg(&sig_path)
            .arg("-content")
            .arg(&content_path)
            .arg("-CAfile")
            .arg(&ca_pem)
            .args(["-out", "/dev/null"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl cms -verify: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn verify_any_reads_pdfs_and_detached_signatures() {
    let dir = temp_dir("verify");
    let svc = service(&dir);
    let content = b"any file".to_vec();
    let p7s = svc
        .sign_detached_both(&content, &person("u1"), &agency())
        .unwrap();
    let v = svc.verify_any(&content, Some(&p7s)).unwrap();
    assert!(matches!(v, Verification::Detached(_)));
    assert_eq!(v.signature_count(), 2);
    assert!(v.all_valid());
    // PEM armour is accepted.
    use base64::Engine as _;
    let pem = format!(
        "-----BEGIN PKCS7-----\n{}\n-----END PKCS7-----\n",
        base64::engine::general_purpose::STANDARD.encode(&p7s)
    );
    assert!(
        svc.verify_any(&content, Some(pem.as_bytes()))
            .unwrap()
            .all_valid()
    );
    // A changed file does not verify.
    let v = svc.verify_any(b"any file!", Some(&p7s)).unwrap();
    assert!(!v.all_valid());
    // Neither a PDF nor a signature: an error; a PDF without signatures: nothing valid.
    assert!(svc.verify_any(b"hello", None).is_err());
    assert!(svc.verify_any(b"hello", Some(b"garbage")).is_err());
    let v = svc.verify_any(&simple_pdf(), None).unwrap();
    assert_eq!(v.signature_count(), 0);
    assert!(!v.all_valid());
    // The report serialises for the verification page.
    let json = serde_json::to_value(svc.verify_any(&content, Some(&p7s)).unwrap()).unwrap();
    assert_eq!(json["kind"], "detached");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn simultaneous_first_uses_make_one_key() {
    let dir = temp_dir("race");
    // Threads of one instance, and two instances (as two processes would) on one folder.
    let a = Arc::new(service(&dir));
    let b = Arc::new(service(&dir));
    // The CA first, so the race is on the person's key.
    let ca = a.ca_certificate().unwrap();
    assert_eq!(b.ca_certificate().unwrap(), ca);
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let svc = if i % 2 == 0 { a.clone() } else { b.clone() };
            std::thread::spawn(move || svc.personal_signer(&person("racer")).unwrap().certificate())
        })
        .collect();
    let certs: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(certs.windows(2).all(|w| w[0] == w[1]));
    let files: Vec<_> = std::fs::read_dir(dir.join("keys/persons"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    // A fresh instance reads the same.
    assert_eq!(
        service(&dir)
            .personal_signer(&person("racer"))
            .unwrap()
            .certificate(),
        certs[0]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn imported_pkcs12_signs_afterwards_and_persists() {
    let dir = temp_dir("import");
    let svc = service(&dir);
    let generated = svc.personal_signer(&person("u1")).unwrap().certificate();

    // A "real" certificate from another CA, as a .p12 with its own password.
    let other = TestCa::generate("Other CA", Arc::new(SystemClock)).unwrap();
    let real = other
        .issue_personal("Nguyễn Văn A", "a@tayninh.gov.vn")
        .unwrap();
    let p12 = real.to_pkcs12("p12-password").unwrap();

    let owner = KeyOwner::Person("u1".into());
    assert!(svc.import_pkcs12(&owner, &p12, "wrong").is_err());
    assert_eq!(
        svc.personal_signer(&person("u1")).unwrap().certificate(),
        generated
    );
    let cert = svc.import_pkcs12(&owner, &p12, "p12-password").unwrap();
    assert_eq!(cert, real.certificate());
    assert_eq!(
        svc.personal_signer(&person("u1")).unwrap().certificate(),
        cert
    );
    #[cfg(unix)]
    assert_eq!(mode(&dir.join("keys/persons/u1.p12")), 0o600);

    let content = b"van ban".to_vec();
    let p7s = svc
        .sign_detached_both(&content, &person("u1"), &agency())
        .unwrap();
    // Not trusted until the other CA is a trust anchor …
    let v = svc.verify_any(&content, Some(&p7s)).unwrap();
    assert!(!v.all_valid());
    let Verification::Detached(r) = &v else {
        panic!("detached expected")
    };
    assert!(r.signers.iter().all(|s| s.digest_ok && s.signature_ok));
    // … then it is.
    std::fs::create_dir_all(dir.join("keys/trust")).unwrap();
    std::fs::write(
        dir.join("keys/trust/other.pem"),
        certificate_pem(other.certificate()).unwrap(),
    )
    .unwrap();
    assert!(svc.verify_any(&content, Some(&p7s)).unwrap().all_valid());

    // A new instance signs with the imported key too.
    let again = service(&dir);
    assert_eq!(
        again.personal_signer(&person("u1")).unwrap().certificate(),
        cert
    );
    let pdf = again
        .sign_issued_pdf(&simple_pdf(), &person("u1"), &agency())
        .unwrap();
    let reports = verify_pdf(&pdf, &again.trust_roots().unwrap()).unwrap();
    assert_eq!(reports.len(), 2);
    assert!(reports.iter().all(|r| r.valid()), "{reports:#?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_agency_signs_edxml_with_its_organisation_key() {
    let dir = temp_dir("xml");
    let svc = service(&dir);
    let xml = br#"<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><edXML:edXMLEnvelope xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016"><edXML:edXMLHeader><edXML:MessageHeader><edXML:DocumentId>000.00.00.H53,2026/11/27,1/UBND-VP</edXML:DocumentId></edXML:MessageHeader></edXML:edXMLHeader><edXML:edXMLBody/></edXML:edXMLEnvelope></edXML>"#;
    let signer = svc.agency_xml_signer(&agency()).unwrap();
    assert_eq!(
        signer.certificate(),
        &svc.agency_signer(&agency()).unwrap().certificate()
    );
    let signed = cqdt_edxml::sign(xml, signer.as_ref()).unwrap();
    let v = cqdt_edxml::verify_trusted(
        &signed,
        &svc.trust_roots().unwrap(),
        std::time::SystemTime::UNIX_EPOCH
            + std::time::Duration::from_micros(SystemClock.now_us() as u64),
    )
    .unwrap();
    assert!(v.subject.contains("000.00.00.H53"), "{}", v.subject);
    let _ = std::fs::remove_dir_all(&dir);
}
