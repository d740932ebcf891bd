//! edXML throughput with a 1 MB attachment: build+sign and verify+parse per second.
//!
//! `cargo run --release -p cqdt-edxml --example edxml_bench [seconds-per-measure]`
//!
//! The signing key is generated with `openssl` if it is installed (any RSA-2048 key and a
//! self-signed certificate do); otherwise the example says so and stops.

use chrono::NaiveDate;
use cqdt_edxml::*;
use std::process::Command;
use std::time::{Duration, Instant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let dir = std::env::temp_dir().join(format!("edxml-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let key = dir.join("key.pem");
    let cert = dir.join("cert.pem");
    let ok = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
        ])
        .arg("/C=VN/O=cqdt bench/CN=edXML bench")
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        eprintln!("skipped: openssl not installed (needed to make the bench key)");
        return Ok(());
    }
    let signer = RsaSigner::from_pem(
        &std::fs::read_to_string(&key)?,
        &std::fs::read_to_string(&cert)?,
    )?;
    let _ = std::fs::remove_dir_all(&dir);

    let package = package(1024 * 1024)?;
    let signed = package.to_signed_xml(&signer)?;
    println!(
        "package: 1 MiB attachment, {} bytes signed XML; {seconds} s per measure",
        signed.len()
    );
    let limits = Limits::default();
    let budget = Duration::from_secs(seconds);

    let rate = measure(budget, || {
        let _ = package.to_xml();
    });
    println!("build (unsigned)      {rate:8.1} /s");
    let rate = measure(budget, || {
        let _ = package.to_signed_xml(&signer);
    });
    println!("build + sign          {rate:8.1} /s");
    let rate = measure(budget, || {
        let _ = Package::from_xml(&signed);
    });
    println!("parse                 {rate:8.1} /s");
    let rate = measure(budget, || {
        let r = verify_and_parse(&signed, &limits);
        assert!(r.is_ok());
    });
    println!("verify + parse        {rate:8.1} /s");
    Ok(())
}

fn measure(budget: Duration, mut f: impl FnMut()) -> f64 {
    f(); // warm up
    let start = Instant::now();
    let mut n = 0u32;
    while start.elapsed() < budget {
        f();
        n += 1;
    }
    f64::from(n) / start.elapsed().as_secs_f64()
}

fn package(size: usize) -> Result<Package, Box<dyn std::error::Error>> {
    let d = NaiveDate::from_ymd_opt(2019, 3, 15).ok_or("date")?;
    let code = Code {
        code_number: "1234".into(),
        code_notation: "UBND-VP".into(),
    };
    let org = |id: &str, name: &str| Organization {
        organ_id: id.into(),
        organ_name: name.into(),
        ..Organization::default()
    };
    Ok(Package {
        header: MessageHeader {
            from: org("000.00.00.H53", "UBND tỉnh Tây Ninh"),
            to: vec![org("000.00.30.H53", "UBND huyện Hòa Thành")],
            document_id: document_id("000.00.00.H53", d, &code),
            code,
            promulgation_info: PromulgationInfo {
                place: "Tây Ninh".into(),
                promulgation_date: d,
            },
            document_type: DocumentType {
                type_code: "1".into(),
                type_detail: "0".into(),
                type_name: "Công văn".into(),
            },
            subject: "V/v triển khai hệ thống quản lý văn bản".into(),
            content: String::new(),
            signer_info: SignerInfo::default(),
            due_date: None,
            other_info: OtherInfo::default(),
            steering_type: None,
            to_places: vec!["Như trên".into()],
            response_for: vec![],
        },
        trace: TraceHeaderList {
            trace_headers: vec![TraceHeader {
                organ_id: "000.00.00.H53".into(),
                timestamp: d.and_hms_opt(8, 0, 0).ok_or("time")?,
            }],
            bussiness: Some(Bussiness::default()),
        },
        attachments: vec![Attachment {
            content_id: "cid:1".into(),
            content_type: "application/pdf".into(),
            description: "Công văn".into(),
            attachment_name: "1234-UBND-VP.pdf".into(),
            content: (0..size).map(|i| (i * 31 % 251) as u8).collect(),
        }],
    })
}
