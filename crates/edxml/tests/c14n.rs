//! Canonical XML on tricky inputs, against fixed expectations and against `xmllint
//! --exc-c14n` / `--c14n` (libxml2) as an oracle when it is installed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]

mod common;

use common::*;
use cqdt_edxml::Limits;
use cqdt_edxml::c14n::{Mode, canonicalize_document};
use proptest::prelude::*;
use std::process::Command;

fn exc(xml: &str) -> String {
    canonicalize_document(xml.as_bytes(), &Mode::Exclusive(vec![]), &Limits::default()).unwrap()
}

fn inc(xml: &str) -> String {
    canonicalize_document(xml.as_bytes(), &Mode::Inclusive, &Limits::default()).unwrap()
}

/// libxml2's canonical form, or None when xmllint is missing.
fn xmllint(xml: &str, flag: &str) -> Option<String> {
    static CHECKED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if !*CHECKED.get_or_init(|| tool("xmllint")) {
        return None;
    }
    let dir = tmpdir("c14n");
    let f = write(&dir, "in.xml", xml.as_bytes());
    let out = Command::new("xmllint").arg(flag).arg(&f).output().unwrap();
    let _ = std::fs::remove_dir_all(dir);
    assert!(
        out.status.success(),
        "xmllint failed on {xml:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap())
}

const CASES: &[(&str, &str, &str)] = &[
    // (input, exclusive, inclusive)
    (
        r#"<a b="2" a="1" xmlns:z="urn:z" z:c="3" xmlns="urn:d"><e/></a>"#,
        r#"<a xmlns="urn:d" xmlns:z="urn:z" a="1" b="2" z:c="3"><e></e></a>"#,
        r#"<a xmlns="urn:d" xmlns:z="urn:z" a="1" b="2" z:c="3"><e></e></a>"#,
    ),
    (
        r#"<r xmlns:u="urn:u" xmlns:v="urn:v"><u:x v:y="1"/><u:x/></r>"#,
        r#"<r><u:x xmlns:u="urn:u" xmlns:v="urn:v" v:y="1"></u:x><u:x xmlns:u="urn:u"></u:x></r>"#,
        r#"<r xmlns:u="urn:u" xmlns:v="urn:v"><u:x v:y="1"></u:x><u:x></u:x></r>"#,
    ),
    (
        "<r a=\"&lt;&amp;&quot;&#9;&#xA;&#xD;>'\">&amp;&lt;&gt;&#xD;\"'</r>",
        "<r a=\"&lt;&amp;&quot;&#x9;&#xA;&#xD;>'\">&amp;&lt;&gt;&#xD;\"'</r>",
        "<r a=\"&lt;&amp;&quot;&#x9;&#xA;&#xD;>'\">&amp;&lt;&gt;&#xD;\"'</r>",
    ),
    ("<r>a\r\nb\rc\n</r>", "<r>a\nb\nc\n</r>", "<r>a\nb\nc\n</r>"),
    (
        "<r a=\"x\ty\r\nz\"/>",
        "<r a=\"x y z\"></r>",
        "<r a=\"x y z\"></r>",
    ),
    (
        "<?xml version=\"1.0\"?>\n<r><?p?>t<?q  x\r\ny ?></r>",
        "<r><?p?>t<?q x\ny ?></r>",
        "<r><?p?>t<?q x\ny ?></r>",
    ),
    (
        r#"<a xmlns="urn:a"><b xmlns=""><c/></b></a>"#,
        r#"<a xmlns="urn:a"><b xmlns=""><c></c></b></a>"#,
        r#"<a xmlns="urn:a"><b xmlns=""><c></c></b></a>"#,
    ),
    (
        "<r><![CDATA[<&>]]]></r>",
        "<r>&lt;&amp;&gt;]</r>",
        "<r>&lt;&amp;&gt;]</r>",
    ),
    (
        r#"<p:r xmlns:p="urn:p" xmlns:q="urn:q"><p:s xmlns:p="urn:p2"/><q:t xmlns:q="urn:q"/></p:r>"#,
        r#"<p:r xmlns:p="urn:p"><p:s xmlns:p="urn:p2"></p:s><q:t xmlns:q="urn:q"></q:t></p:r>"#,
        r#"<p:r xmlns:p="urn:p" xmlns:q="urn:q"><p:s xmlns:p="urn:p2"></p:s><q:t></q:t></p:r>"#,
    ),
    (
        "<r xml:lang=\"vi\" b:x=\"1\" a:x=\"2\" xmlns:b=\"urn:a\" xmlns:a=\"urn:b\">Tây Ninh</r>",
        "<r xmlns:a=\"urn:b\" xmlns:b=\"urn:a\" xml:lang=\"vi\" b:x=\"1\" a:x=\"2\">Tây Ninh</r>",
        "<r xmlns:a=\"urn:b\" xmlns:b=\"urn:a\" xml:lang=\"vi\" b:x=\"1\" a:x=\"2\">Tây Ninh</r>",
    ),
];

#[test]
fn tricky_inputs() {
    for (input, want_exc, want_inc) in CASES {
        assert_eq!(&exc(input), want_exc, "exclusive of {input:?}");
        assert_eq!(&inc(input), want_inc, "inclusive of {input:?}");
        if let Some(lib) = xmllint(input, "--exc-c14n") {
            assert_eq!(&lib, want_exc, "xmllint --exc-c14n of {input:?}");
        }
        if let Some(lib) = xmllint(input, "--c14n") {
            assert_eq!(&lib, want_inc, "xmllint --c14n of {input:?}");
        }
    }
}

#[test]
fn comments_are_removed() {
    // (xmllint's --exc-c14n keeps comments, so no oracle here.)
    let input = "<?xml version=\"1.0\"?>\n<!-- c --><r><!-- in -->t<!--x--></r>\n<!-- after -->";
    assert_eq!(exc(input), "<r>t</r>");
    assert_eq!(inc(input), "<r>t</r>");
}

#[test]
fn our_packages_canonicalise_like_libxml2() {
    let xml = String::from_utf8(cqdt_edxml::Package::to_xml(&sample_package(100))).unwrap();
    if let Some(lib) = xmllint(&xml, "--exc-c14n") {
        assert_eq!(exc(&xml), lib);
    }
    if let Some(lib) = xmllint(&xml, "--c14n") {
        assert_eq!(inc(&xml), lib);
    }
}

/// Random small documents: prefixes declared at random depths, attributes in random order,
/// special characters in text and attributes.
fn doc() -> impl Strategy<Value = String> {
    let text = || proptest::string::string_regex("[a-z &<>\"'\\t\\r\\nđ]{0,8}").unwrap();
    let leaf = (
        0usize..3,
        0usize..3,
        proptest::collection::vec((0usize..4, 0usize..3, text()), 0..4),
        text(),
    );
    proptest::collection::vec(leaf, 1..6).prop_map(|items| {
        let prefixes = ["", "a", "b"];
        let uris = ["urn:x", "urn:y", "urn:z"];
        let esc = |s: &str| {
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('"', "&quot;")
                .replace('\r', "&#xD;")
        };
        let mut out = String::from("<root xmlns:a=\"urn:x\" xmlns:b=\"urn:y\">");
        for (i, (p, decl, attrs, t)) in items.iter().enumerate() {
            let name = if prefixes[*p].is_empty() {
                format!("e{i}")
            } else {
                format!("{}:e{i}", prefixes[*p])
            };
            out.push('<');
            out.push_str(&name);
            if *decl == 1 {
                out.push_str(&format!(" xmlns=\"{}\"", uris[i % 3]));
            } else if *decl == 2 {
                out.push_str(&format!(" xmlns:b=\"{}\"", uris[(i + 1) % 3]));
            }
            let mut seen = std::collections::HashSet::new();
            for (k, ap, v) in attrs {
                let an = match ap {
                    0 => format!("k{k}"),
                    1 => format!("a:k{k}"),
                    _ => format!("b:k{k}"),
                };
                // Attributes are unique by namespace URI and local name: `b` may be
                // redeclared to `a`'s URI, making `a:k1` and `b:k1` the same attribute.
                let uri = match ap {
                    0 => "",
                    1 => "urn:x",
                    _ if *decl == 2 => uris[(i + 1) % 3],
                    _ => "urn:y",
                };
                if !seen.insert((uri, *k)) {
                    continue;
                }
                out.push_str(&format!(" {an}=\"{}\"", esc(v)));
            }
            out.push('>');
            out.push_str(&esc(t).replace('>', "&gt;"));
            out.push_str("<inner/>");
            out.push_str(&format!("</{name}>"));
        }
        out.push_str("</root>");
        out
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn random_documents_match_libxml2(xml in doc()) {
        if let Some(lib) = xmllint(&xml, "--exc-c14n") {
            prop_assert_eq!(exc(&xml), lib, "exclusive: {}", xml);
        }
        if let Some(lib) = xmllint(&xml, "--c14n") {
            prop_assert_eq!(inc(&xml), lib, "inclusive: {}", xml);
        }
        // Canonical form is a fixed point.
        let once = exc(&xml);
        prop_assert_eq!(exc(&once), once.clone());
    }
}
