//! Embedded PDF signatures (issue 5 point 4): one and two signatures on a hand-written PDF
//! (classic xref), on the same PDF rewritten by qpdf with xref and object streams, and on a
//! PDF from our own generator (krilla, cqdt-outputs); checked by `verify_pdf`, `pdfsig`,
//! `qpdf --check`, `pdftotext` and `openssl cms -verify`; tampering and hostile input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use cqdt_app::ports::FakeClock;
use cqdt_app::{Clock, SystemClock};
use cqdt_exchange::sign::{
    PdfSignOptions, PdfSignatureReport, SignError, Signer, SoftwareSigner, TestCa,
    VisibleSignature, certificate_pem, sign_issued_pdf, sign_pdf, stamp_pdf, verify_pdf,
};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

const TEXT: &str = "Quyet dinh so 123 cqdt test";

/// A one-page PDF with a line of text, offsets computed (classic xref table).
fn simple_pdf() -> Vec<u8> {
    build_pdf(false)
}

/// With `form`: the catalogue holds a direct /AcroForm with a text field, whose widget is in
/// the page's /Annots, an indirect array.
fn build_pdf(form: bool) -> Vec<u8> {
    let content = format!("BT /F1 14 Tf 72 760 Td ({TEXT}) Tj ET");
    let (catalog, annots) = if form {
        (
            "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [7 0 R] /DA (/Helv 0 Tf 0 g) >> >>",
            " /Annots 8 0 R",
        )
    } else {
        ("<< /Type /Catalog /Pages 2 0 R >>", "")
    };
    let mut objects = vec![
        catalog.to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R{annots} >>"
        ),
        format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
        "<< /Title (cqdt test) /Producer (hand) >>".to_string(),
    ];
    if form {
        objects.push(
            "<< /FT /Tx /T (Signature1) /V (x) /Type /Annot /Subtype /Widget /Rect [72 700 200 720] /P 3 0 R >>"
                .to_string(),
        );
        objects.push("[7 0 R]".to_string());
    }
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
            "trailer\n<< /Size {} /Root 1 0 R /Info 6 0 R /ID [<00112233445566778899AABBCCDDEEFF> <00112233445566778899AABBCCDDEEFF>] >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

struct Fixture {
    ca: TestCa,
    personal: SoftwareSigner,
    agency: SoftwareSigner,
}

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

fn say(msg: &str) {
    let _ = std::io::stderr().write_all(format!("{msg}\n").as_bytes());
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "cqdt-pdfsig-{name}-{}-{}",
        std::process::id(),
        SystemClock.now_us()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn tool(name: &str) -> bool {
    let ok = Command::new(name).arg("-v").output().is_ok()
        || Command::new(name).arg("--version").output().is_ok();
    if !ok {
        say(&format!("skipped: {name} missing"));
    }
    ok
}

/// `pdfsig` output, or None when it is missing.
fn pdfsig(path: &Path) -> Option<String> {
    if !tool("pdfsig") {
        return None;
    }
    let out = Command::new("pdfsig").arg(path).output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    Some(text)
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

fn qpdf_check(path: &Path) {
    if !tool("qpdf") {
        return;
    }
    let out = Command::new("qpdf")
        .arg("--check")
        .arg(path)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "qpdf --check failed: {text}");
    assert!(!text.contains("WARNING"), "qpdf warns: {text}");
}

fn pdftotext_contains(path: &Path, expected: &str) {
    if !tool("pdftotext") {
        return;
    }
    let out = Command::new("pdftotext")
        .arg(path)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(expected), "pdftotext: {text}");
}

/// The CMS and the signed bytes of a report, checked by `openssl cms -verify`.
fn openssl_verify(dir: &Path, pdf: &[u8], report: &PdfSignatureReport, i: usize) {
    if !tool("openssl") {
        return;
    }
    let br: Vec<usize> = report.byte_range.iter().map(|v| *v as usize).collect();
    let (a, b, c) = (br[1], br[2], br[3]);
    let mut content = pdf[..a].to_vec();
    content.extend_from_slice(&pdf[b..b + c]);
    let hex = std::str::from_utf8(&pdf[a + 1..b - 1]).unwrap();
    let mut cms: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    // Drop the zero padding: DER length of the outer SEQUENCE.
    let len = match cms[1] {
        l if l < 0x80 => 2 + l as usize,
        l => {
            let n = (l & 0x7f) as usize;
            2 + n
                + cms[2..2 + n]
                    .iter()
                    .fold(0usize, |acc, b| (acc << 8) | *b as usize)
        }
    };
    cms.truncate(len);
    let content_path = dir.join(format!("content{i}.bin"));
    let cms_path = dir.join(format!("sig{i}.p7s"));
    let ca_path = dir.join("ca.pem");
    std::fs::write(&content_path, &content).unwrap();
    std::fs::write(&cms_path, &cms).unwrap();
    std::fs::write(
        &ca_path,
        certificate_pem(fixture().ca.certificate()).unwrap(),
    )
    .unwrap();
    let out = Command::new("openssl")
        .args(["cms", "-verify", "-binary", "-inform", "DER", "-in"])
        .arg(&cms_path)
        .arg("-content")
        .arg(&content_path)
        .arg("-CAfile")
        .arg(&ca_path)
        .args(["-out", "/dev/null"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl cms -verify: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn roots() -> Vec<x509_cert::Certificate> {
    vec![fixture().ca.certificate().clone()]
}

/// All the outside checks of a doubly signed file, and ours.
fn check_doubly_signed(name: &str, original: &[u8], signed: &[u8], text: Option<&str>) {
    assert!(signed.starts_with(original), "incremental update");
    let reports = verify_pdf(signed, &roots()).unwrap();
    assert_eq!(reports.len(), 2, "{reports:#?}");
    assert!(
        reports.iter().all(PdfSignatureReport::valid),
        "{reports:#?}"
    );
    let first = reports.iter().find(|r| !r.covers_whole_file).unwrap();
    let second = reports.iter().find(|r| r.covers_whole_file).unwrap();
    assert!(
        first
            .signer
            .as_ref()
            .unwrap()
            .subject
            .contains("Nguyễn Văn A")
    );
    assert!(
        second
            .signer
            .as_ref()
            .unwrap()
            .subject
            .contains("UBND tỉnh Tây Ninh")
    );
    assert!(first.signing_time_vn.as_ref().unwrap().ends_with("+07:00"));
    assert_eq!(first.sub_filter, "ETSI.CAdES.detached");

    let dir = temp_dir(name);
    let path = dir.join("signed.pdf");
    std::fs::write(&path, signed).unwrap();
    if let Some(out) = pdfsig(&path) {
        say(&out);
        assert_eq!(count(&out, "Signature #"), 2, "{out}");
        assert_eq!(
            count(&out, "Signature Validation: Signature is Valid."),
            2,
            "{out}"
        );
    }
    qpdf_check(&path);
    if let Some(t) = text {
        pdftotext_contains(&path, t);
    }
    for (i, r) in reports.iter().enumerate() {
        openssl_verify(&dir, signed, r, i);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn one_signature_is_valid_for_us_pdfsig_qpdf_pdftotext_and_openssl() {
    let f = fixture();
    let original = simple_pdf();
    let opts = PdfSignOptions {
        reason: Some("Ký văn bản".into()),
        location: Some("Tây Ninh".into()),
        ..PdfSignOptions::default()
    };
    let signed = sign_pdf(&original, &f.personal, &opts).unwrap();
    assert!(signed.starts_with(&original));
    let reports = verify_pdf(&signed, &roots()).unwrap();
    assert_eq!(reports.len(), 1);
    let r = &reports[0];
    assert!(r.valid(), "{r:#?}");
    assert!(r.covers_whole_file);
    assert_eq!(r.field, "Signature1");
    assert_eq!(r.name.as_deref(), Some("Nguyễn Văn A"));
    assert_eq!(r.reason.as_deref(), Some("Ký văn bản"));
    assert_eq!(r.location.as_deref(), Some("Tây Ninh"));

    // Another CA's root: the signature holds, the chain does not.
    let other = TestCa::generate("Other Test CA", Arc::new(SystemClock)).unwrap();
    let foreign = verify_pdf(&signed, &[other.certificate().clone()]).unwrap();
    let s = foreign[0].signer.as_ref().unwrap();
    assert!(s.digest_ok && s.signature_ok && !s.chain_valid);
    assert!(!foreign[0].valid());

    let dir = temp_dir("once");
    let path = dir.join("signed.pdf");
    std::fs::write(&path, &signed).unwrap();
    if let Some(out) = pdfsig(&path) {
        say(&out);
        assert_eq!(count(&out, "Signature #"), 1, "{out}");
        assert!(
            out.contains("Signature Validation: Signature is Valid."),
            "{out}"
        );
        assert!(out.contains("Total document signed"), "{out}");
    }
    qpdf_check(&path);
    pdftotext_contains(&path, TEXT);
    openssl_verify(&dir, &signed, r, 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn two_signatures_personal_then_agency_both_verify() {
    let f = fixture();
    let original = simple_pdf();
    let signed = sign_issued_pdf(&original, &f.personal, &f.agency).unwrap();
    check_doubly_signed("twice", &original, &signed, Some(TEXT));
}

#[test]
fn existing_form_and_indirect_annots_are_kept() {
    let f = fixture();
    let original = build_pdf(true);
    let signed = sign_issued_pdf(&original, &f.personal, &f.agency).unwrap();
    check_doubly_signed("form", &original, &signed, Some(TEXT));
    // The text field stays and the new fields got free names.
    let fields: Vec<String> = verify_pdf(&signed, &roots())
        .unwrap()
        .into_iter()
        .map(|r| r.field)
        .collect();
    assert_eq!(fields, ["Signature2", "Signature3"]);
    let text = String::from_utf8_lossy(&signed);
    let last_annots = &text[text.rfind("/Annots").unwrap()..];
    assert!(
        last_annots.starts_with("/Annots [7 0 R "),
        "{last_annots:.40}"
    );
}

#[test]
fn a_visible_signature_box_with_name_position_and_time() {
    let f = fixture();
    let original = simple_pdf();
    let opts = PdfSignOptions {
        visible: Some(VisibleSignature {
            rect: [330.0, 600.0, 560.0, 660.0],
            position: Some("Chủ tịch Ủy ban nhân dân tỉnh".into()),
        }),
        ..PdfSignOptions::default()
    };
    let once = sign_pdf(&original, &f.personal, &opts).unwrap();
    let signed = sign_pdf(&once, &f.agency, &PdfSignOptions::default()).unwrap();
    check_doubly_signed("visible", &original, &signed, Some(TEXT));
    assert!(signed.windows(13).any(|w| w == b"/CIDFontType2"));
    if let Ok(dir) = std::env::var("CQDT_PDF_KEEP") {
        std::fs::write(Path::new(&dir).join("visible.pdf"), &signed).unwrap();
    }
}

/// A device that can only make a plain detached CMS (signing time included): the trait's
/// default `sign_pades` falls back to it.
struct DetachedOnly(SoftwareSigner);

impl Signer for DetachedOnly {
    fn certificate(&self) -> x509_cert::Certificate {
        self.0.certificate()
    }

    fn sign_detached(&self, content: &[u8]) -> Result<Vec<u8>, SignError> {
        self.0.sign_detached(content)
    }
}

#[test]
fn a_signer_with_only_sign_detached_still_signs_pdfs() {
    let f = fixture();
    let original = simple_pdf();
    let signed = sign_issued_pdf(&original, &DetachedOnly(f.personal.clone()), &f.agency).unwrap();
    check_doubly_signed("detached-only", &original, &signed, Some(TEXT));
}

#[test]
fn a_flipped_byte_breaks_both_signatures() {
    let f = fixture();
    let original = simple_pdf();
    let mut signed = sign_issued_pdf(&original, &f.personal, &f.agency).unwrap();
    let pos = signed
        .windows(TEXT.len())
        .position(|w| w == TEXT.as_bytes())
        .unwrap();
    signed[pos] ^= 0x01; // 'Q' -> 'P': same length, still a well-formed PDF
    let reports = verify_pdf(&signed, &roots()).unwrap();
    assert_eq!(reports.len(), 2);
    for r in &reports {
        assert!(!r.valid());
        let s = r.signer.as_ref().unwrap();
        assert!(!s.digest_ok && s.signature_ok, "{r:#?}");
    }
    let dir = temp_dir("tamper");
    let path = dir.join("tampered.pdf");
    std::fs::write(&path, &signed).unwrap();
    if let Some(out) = pdfsig(&path) {
        say(&out);
        assert_eq!(
            count(&out, "Signature Validation: Digest Mismatch."),
            2,
            "{out}"
        );
        assert!(!out.contains("Signature is Valid."), "{out}");
    }
    let _ = std::fs::remove_dir_all(&dir);

    // A byte of the agency's update (its /Reason) breaks only the agency's signature.
    let mut later = sign_issued_pdf(&original, &f.personal, &f.agency).unwrap();
    let pos = later.windows(7).rposition(|w| w == b"/Reason").unwrap();
    assert!(pos > original.len());
    later[pos + 1] = b'S'; // "/Season": still well-formed, no longer what was signed
    let reports = verify_pdf(&later, &roots()).unwrap();
    let first = reports.iter().find(|r| !r.covers_whole_file).unwrap();
    let second = reports.iter().find(|r| r.covers_whole_file).unwrap();
    assert!(first.valid(), "{first:#?}");
    assert!(!second.valid());
}

#[test]
fn xref_streams_and_object_streams_from_qpdf() {
    if !tool("qpdf") {
        return;
    }
    let f = fixture();
    let dir = temp_dir("objstm");
    let input = dir.join("in.pdf");
    let output = dir.join("objstm.pdf");
    std::fs::write(&input, simple_pdf()).unwrap();
    let st = Command::new("qpdf")
        .args(["--object-streams=generate", "--compress-streams=y"])
        .arg(&input)
        .arg(&output)
        .status()
        .unwrap();
    assert!(st.success());
    let original = std::fs::read(&output).unwrap();
    assert!(
        original.windows(5).any(|w| w == b"/XRef"),
        "qpdf made an xref stream"
    );
    assert!(
        original.windows(7).any(|w| w == b"/ObjStm"),
        "and object streams"
    );
    let signed = sign_issued_pdf(&original, &f.personal, &f.agency).unwrap();
    check_doubly_signed("objstm", &original, &signed, Some(TEXT));
    // Damage anywhere (compressed xref and object streams included): no panic.
    fuzz(&signed, fuzz_rounds());

    // A linearized file (first-page xref at the start, /Prev to the main one).
    let linearized = dir.join("linearized.pdf");
    let st = Command::new("qpdf")
        .arg("--linearize")
        .arg(&input)
        .arg(&linearized)
        .status()
        .unwrap();
    assert!(st.success());
    let original = std::fs::read(&linearized).unwrap();
    let signed = sign_issued_pdf(&original, &f.personal, &f.agency).unwrap();
    check_doubly_signed("linearized", &original, &signed, Some(TEXT));
    let _ = std::fs::remove_dir_all(&dir);
}

fn fuzz_rounds() -> usize {
    std::env::var("CQDT_PDF_FUZZ")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

/// Random byte changes and truncations: verification must not panic, and a changed byte
/// outside the last signature's /Contents never leaves a valid whole-file signature.
fn fuzz(signed: &[u8], rounds: usize) {
    let last = verify_pdf(signed, &roots())
        .unwrap()
        .into_iter()
        .find(|r| r.covers_whole_file)
        .unwrap();
    let (gap_start, gap_end) = (last.byte_range[1] as usize, last.byte_range[2] as usize);
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for round in 0..rounds {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut t = signed.to_vec();
        let i = (seed as usize) % t.len();
        if round % 10 == 9 {
            t.truncate(i);
        } else {
            t[i] = (seed >> 32) as u8;
        }
        // (A truncation to the end of revision 1 is a validly signed revision 1.)
        let changed = t.len() == signed.len() && t[i] != signed[i];
        if let Ok(reports) = verify_pdf(&t, &roots())
            && changed
            && !(gap_start..gap_end).contains(&i)
        {
            assert!(
                !reports.iter().any(|r| r.covers_whole_file && r.valid()),
                "byte {i} changed, yet {reports:#?}"
            );
        }
    }
}

#[test]
fn pdf_from_our_generator_krilla() {
    use chrono::NaiveDate;
    let f = fixture();
    let sheet = cqdt_outputs::Ii06aSheet {
        parent: Some("UBND tỉnh Tây Ninh".into()),
        unit: "Sở Tư pháp".into(),
        reporting_unit: "Sở Tư pháp".into(),
        receiving_unit: "Văn phòng UBND tỉnh".into(),
        from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
        lines: Vec::new(),
        total: [0; 11],
        place: "Tây Ninh".into(),
        issued_on: NaiveDate::from_ymd_opt(2026, 4, 2).unwrap(),
    };
    let original = sheet.render_pdf().unwrap();
    let signed = sign_issued_pdf(&original, &f.personal, &f.agency).unwrap();
    check_doubly_signed("krilla", &original, &signed, None);
}

#[test]
fn signing_time_comes_from_the_signers_clock_and_is_checked_against_validity() {
    // A CA and certificate made "now" by a fake clock, a signature claimed a year later.
    let clock = Arc::new(FakeClock::new(1_790_000_000_000_000));
    let ca = TestCa::generate("Clock Test CA", clock.clone()).unwrap();
    let person = ca.issue_personal("Trần Thị B", "b@tayninh.gov.vn").unwrap();
    let signed = sign_pdf(&simple_pdf(), &person, &PdfSignOptions::default()).unwrap();
    let r = &verify_pdf(&signed, &[ca.certificate().clone()]).unwrap()[0];
    assert!(r.valid(), "{r:#?}");
    let late = PdfSignOptions {
        signing_time: Some(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_790_000_000 + 3 * 365 * 86400),
        ),
        ..PdfSignOptions::default()
    };
    let signed = sign_pdf(&simple_pdf(), &person, &late).unwrap();
    let r = &verify_pdf(&signed, &[ca.certificate().clone()]).unwrap()[0];
    assert!(
        !r.signer.as_ref().unwrap().cert_valid_at_signing_time,
        "{r:#?}"
    );
}

#[test]
fn hostile_input_is_an_error_or_an_invalid_report_never_a_panic() {
    let f = fixture();
    let signed = sign_issued_pdf(&simple_pdf(), &f.personal, &f.agency).unwrap();
    // Damage to the agency's (last) update may leave the person's signature valid, never the
    // agency's.
    let check = |bytes: &[u8]| match verify_pdf(bytes, &roots()) {
        Err(_) => {}
        Ok(reports) => assert!(
            reports
                .iter()
                .filter(|r| r.field != "Signature1")
                .all(|r| !r.valid()),
            "{reports:#?}"
        ),
    };
    // Truncations.
    for cut in (0..signed.len()).step_by(97) {
        let _ = verify_pdf(&signed[..cut], &roots());
    }
    // Absurd ByteRanges.
    let text = String::from_utf8_lossy(&signed).into_owned();
    let start = text.rfind("/ByteRange [").unwrap() + "/ByteRange [".len();
    let end = start + text[start..].find(']').unwrap();
    for bogus in [
        "0 99999999999 99999999999 99999999999",
        "0 18446744073709551615 1 1",
        "5 10 20 30",
        "0 10 5 1",
        "-1 2 3 4",
        "0 1 2",
    ] {
        let mut t = signed.clone();
        let mut range = bogus.as_bytes().to_vec();
        range.resize(end - start, b' ');
        if range.len() == end - start {
            t.splice(start..end, range);
            check(&t);
        }
    }
    // A huge /Contents, garbage, an empty file, a loop of /Prev.
    let mut huge = simple_pdf();
    huge.extend_from_slice(
        b"\n7 0 obj <</Type /Sig /SubFilter /ETSI.CAdES.detached /ByteRange [0 1 2 3] /Contents <",
    );
    huge.extend(std::iter::repeat_n(b'A', 5_000_000));
    huge.extend_from_slice(b">>>\nendobj\n");
    check(&huge);
    check(b"");
    check(b"%PDF-1.7\n");
    check(&[0xff; 4096]);
    check(b"%PDF-1.7\nxref\n0 1\n0000000000 65535 f \ntrailer << /Size 1 /Root 1 0 R /Prev 9 >>\nstartxref\n9\n%%EOF");
    fuzz(&signed, fuzz_rounds());
}

/// The issuing sequence: the signer signs, the clerk stamps the number and date (an
/// incremental update), the agency signs over it. The first signature stays valid for us and
/// for pdfsig and covers revision 2 of 4; the stamp is text pdftotext reads, diacritics too.
#[test]
fn a_stamp_between_the_two_signatures_keeps_the_first_valid() {
    let f = fixture();
    let lines = [
        "Số: 01/UBND-VP".to_string(),
        "Ban hành ngày 05 tháng 3 năm 2024".to_string(),
    ];
    for (name, original) in [
        ("stamp-classic", simple_pdf()),
        ("stamp-form", build_pdf(true)),
    ] {
        let signed = sign_pdf(&original, &f.personal, &PdfSignOptions::default()).unwrap();
        let stamped = stamp_pdf(&signed, &lines).unwrap();
        assert!(stamped.starts_with(&signed), "incremental update");
        let issued = sign_pdf(&stamped, &f.agency, &PdfSignOptions::default()).unwrap();
        let reports = verify_pdf(&issued, &roots()).unwrap();
        assert_eq!(reports.len(), 2, "{reports:#?}");
        assert!(
            reports.iter().all(PdfSignatureReport::valid),
            "{reports:#?}"
        );
        let first = reports.iter().find(|r| !r.covers_whole_file).unwrap();
        let second = reports.iter().find(|r| r.covers_whole_file).unwrap();
        assert_eq!((first.revision, first.revisions), (2, 4), "{first:#?}");
        assert_eq!((second.revision, second.revisions), (4, 4), "{second:#?}");
        assert_eq!(first.signed_length, signed.len() as u64);
        let s = first.signer.as_ref().unwrap();
        assert_eq!(s.common_name.as_deref(), Some("Nguyễn Văn A"));
        assert!(s.not_before.is_some() && s.not_after.is_some());
        assert_eq!(
            second.signer.as_ref().unwrap().common_name.as_deref(),
            Some("UBND tỉnh Tây Ninh")
        );
        // A stamp over the agency's signature would not be covered by it.
        let after = stamp_pdf(&issued, &lines).unwrap();
        let r = verify_pdf(&after, &roots()).unwrap();
        assert!(r.iter().all(|r| !r.covers_whole_file), "{r:#?}");

        let dir = temp_dir(name);
        let path = dir.join("issued.pdf");
        std::fs::write(&path, &issued).unwrap();
        if let Some(out) = pdfsig(&path) {
            say(&out);
            assert_eq!(count(&out, "Signature #"), 2, "{out}");
            assert_eq!(
                count(&out, "Signature Validation: Signature is Valid."),
                2,
                "{out}"
            );
        }
        qpdf_check(&path);
        pdftotext_contains(&path, "Số: 01/UBND-VP");
        pdftotext_contains(&path, "Ban hành ngày 05 tháng 3 năm 2024");
        pdftotext_contains(&path, TEXT);
        // One byte of the stamp changed: the agency's signature breaks, pdfsig says so.
        let mut tampered = issued.clone();
        let at = signed.len() + 40;
        tampered[at] ^= 0x01;
        let r = verify_pdf(&tampered, &roots()).unwrap();
        assert!(!r.iter().find(|r| r.covers_whole_file).unwrap().valid());
        std::fs::write(&path, &tampered).unwrap();
        if let Some(out) = pdfsig(&path) {
            assert!(
                count(&out, "Signature Validation: Signature is Valid.") < 2,
                "{out}"
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// A stamp on a PDF written with an xref stream and object streams (our own generator).
#[test]
fn a_stamp_on_a_krilla_pdf() {
    use chrono::NaiveDate;
    let f = fixture();
    let sheet = cqdt_outputs::Ii06aSheet {
        parent: Some("UBND tỉnh Tây Ninh".into()),
        unit: "Sở Tư pháp".into(),
        reporting_unit: "Sở Tư pháp".into(),
        receiving_unit: "Văn phòng UBND tỉnh".into(),
        from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
        lines: Vec::new(),
        total: [0; 11],
        place: "Tây Ninh".into(),
        issued_on: NaiveDate::from_ymd_opt(2026, 4, 2).unwrap(),
    };
    let original = sheet.render_pdf().unwrap();
    let signed = sign_pdf(&original, &f.personal, &PdfSignOptions::default()).unwrap();
    let stamped = stamp_pdf(&signed, &["Số: 07/STP-VP".to_string()]).unwrap();
    let issued = sign_pdf(&stamped, &f.agency, &PdfSignOptions::default()).unwrap();
    let reports = verify_pdf(&issued, &roots()).unwrap();
    assert_eq!(reports.len(), 2);
    assert!(
        reports.iter().all(PdfSignatureReport::valid),
        "{reports:#?}"
    );
    let dir = temp_dir("stamp-krilla");
    let path = dir.join("issued.pdf");
    std::fs::write(&path, &issued).unwrap();
    if let Some(out) = pdfsig(&path) {
        assert_eq!(
            count(&out, "Signature Validation: Signature is Valid."),
            2,
            "{out}"
        );
    }
    qpdf_check(&path);
    pdftotext_contains(&path, "Số: 07/STP-VP");
    let _ = std::fs::remove_dir_all(&dir);
}
