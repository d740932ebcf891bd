//! Hostile and malformed input: refused with the right error, quickly, without a panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]

mod common;

use common::*;
use cqdt_edxml::*;
use std::time::{Duration, Instant};

fn refuse(xml: &[u8], limits: &Limits) -> Error {
    let start = Instant::now();
    let e = Package::from_xml_with(xml, limits).unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "took {:?}",
        start.elapsed()
    );
    // The verifier refuses the same way.
    let _ = verify(xml).unwrap_err();
    e
}

#[test]
fn billion_laughs_is_refused_as_doctype() {
    let xml = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">&lol9;</edXML>"#;
    assert_eq!(refuse(xml, &Limits::default()), Error::Doctype { line: 2 });
}

#[test]
fn external_entities_are_refused() {
    let xml = br#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><edXML>&x;</edXML>"#;
    assert_eq!(refuse(xml, &Limits::default()).kind(), "Doctype");
    let xml = br#"<!DOCTYPE edXML SYSTEM "http://example.invalid/edxml.dtd"><edXML/>"#;
    assert_eq!(refuse(xml, &Limits::default()).kind(), "Doctype");
    // An undeclared entity without a DOCTYPE.
    let xml = b"<edXML>\n<a>&x;</a></edXML>";
    assert_eq!(refuse(xml, &Limits::default()).kind(), "Malformed");
}

#[test]
fn huge_attribute_is_refused() {
    let big = "a".repeat(70 * 1024);
    let xml = format!("<edXML v=\"{big}\"/>");
    assert_eq!(
        refuse(xml.as_bytes(), &Limits::default()),
        Error::TooLarge {
            what: "attribute",
            limit: 64 * 1024
        }
    );
    let many: String = (0..100).map(|i| format!(" a{i}=\"x\"")).collect();
    let xml = format!("<edXML{many}/>");
    assert_eq!(
        refuse(xml.as_bytes(), &Limits::default()).kind(),
        "TooLarge"
    );
}

#[test]
fn huge_text_and_package_are_refused() {
    let mut p = sample_package(1);
    p.header.subject = "x".repeat(2 * 1024 * 1024);
    let e = refuse(&p.to_xml(), &Limits::default());
    assert_eq!(
        e,
        Error::TooLarge {
            what: "text",
            limit: 1024 * 1024
        }
    );
    let xml = sample_package(4096).to_xml();
    let limits = Limits {
        max_package_bytes: 4096,
        ..Limits::default()
    };
    assert_eq!(
        refuse(&xml, &limits),
        Error::TooLarge {
            what: "package",
            limit: 4096
        }
    );
    // Attachment content may exceed the text limit (bounded by the package limit).
    let limits = Limits {
        max_text_bytes: 1024,
        ..Limits::default()
    };
    Package::from_xml_with(&sample_package(10_000).to_xml(), &limits).unwrap();
}

#[test]
fn deep_nesting_is_refused() {
    let depth = 100;
    let xml = format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
    assert_eq!(
        refuse(xml.as_bytes(), &Limits::default()),
        Error::TooDeep { limit: 64 }
    );
    // Very deep: refused early, no stack overflow.
    let depth = 1_000_000;
    let xml = format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
    assert_eq!(refuse(xml.as_bytes(), &Limits::default()).kind(), "TooDeep");
}

#[test]
fn too_many_elements_is_refused() {
    let xml = format!("<edXML>{}</edXML>", "<a/>".repeat(200_000));
    assert_eq!(
        refuse(xml.as_bytes(), &Limits::default()).kind(),
        "TooLarge"
    );
}

#[test]
fn too_many_attachments_is_refused() {
    let mut p = sample_package(1);
    let a = p.attachments[0].clone();
    p.attachments = (0..5)
        .map(|i| Attachment {
            content_id: format!("cid:{i}"),
            ..a.clone()
        })
        .collect();
    let limits = Limits {
        max_attachments: 4,
        ..Limits::default()
    };
    assert_eq!(
        refuse(&p.to_xml(), &limits),
        Error::TooManyAttachments { limit: 4 }
    );
}

#[test]
fn invalid_base64_is_refused() {
    let xml = String::from_utf8(sample_package(30).to_xml()).unwrap();
    let start = xml.find("<edXML:ContentTransferEncoded").unwrap();
    let open_end = xml[start..].find('>').unwrap() + start + 1;
    let mut bad = xml.clone();
    bad.replace_range(open_end..open_end + 4, "!!*%");
    assert_eq!(
        refuse(bad.as_bytes(), &Limits::default()),
        Error::InvalidBase64 {
            content_id: "cid:1".into()
        }
    );
}

#[test]
fn malformed_xml_reports_the_line() {
    let xml = b"<edXML>\n<a>\n<b></a>\n</edXML>";
    match refuse(xml, &Limits::default()) {
        Error::Malformed { line, .. } => assert_eq!(line, 3),
        e => panic!("{e:?}"),
    }
    for bad in [
        &b""[..],
        b"not xml",
        b"<edXML>",
        b"<edXML></edXML><second/>",
        b"<x:edXML/>",
        b"<edXML a='1' a='2'/>",
        b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><edXML/>",
        b"<edXML>\xff\xfe</edXML>",
        b"<edXML>&#0;</edXML>",
        b"<edXML>&#xD800;</edXML>",
        b"<edXML></edXML>",
    ] {
        let e = refuse(bad, &Limits::default());
        assert!(
            matches!(e.kind(), "Malformed" | "MissingElement"),
            "{:?} → {e:?}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn garbage_never_panics() {
    let xml = sample_package(50).to_signed_xml(&pki().signer).unwrap();
    // Truncations and byte flips of a real signed package.
    for cut in (0..xml.len()).step_by(53) {
        let _ = Package::from_xml(&xml[..cut]);
        let _ = verify(&xml[..cut]);
    }
    for pos in (0..xml.len()).step_by(29) {
        let mut t = xml.clone();
        t[pos] = t[pos].wrapping_add(0x5a);
        let _ = Package::from_xml(&t);
        let _ = verify(&t);
    }
}
