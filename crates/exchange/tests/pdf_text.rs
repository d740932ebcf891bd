//! The text of PDFs for search: our own registers (Vietnamese, embedded fonts with ToUnicode
//! CMaps) read the same words as `pdftotext`; simple fonts; and hostile input (truncated,
//! garbage, false lengths, a decompression bomb, loops, deep nesting) gives an error or text
//! within the limits, never a panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::io::Write;
use std::time::Instant;

use chrono::NaiveDate;
use cqdt_app::documents::TextExtractor;
use cqdt_exchange::pdf_text::{PdfText, TextLimits, extract_text};
use cqdt_outputs::{IncomingEntry, IncomingRegister, RegisterHeader};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn register() -> Vec<u8> {
    let entry = |n: u32, author: &str, subject: &str| IncomingEntry {
        received_on: day(2024, 3, 4),
        number: n.to_string(),
        author: author.into(),
        notation: Some(format!("{n}/SYT-NVY")),
        dated: Some(day(2024, 3, 1)),
        type_name: "Công văn".into(),
        subject: subject.into(),
        recipient: Some("Văn phòng UBND tỉnh".into()),
        transferred_on: None,
        signed_for: None,
        urgency: Some("Hỏa tốc".into()),
        secrecy: None,
        note: Some("Đã chuyển lãnh đạo xem xét".into()),
    };
    IncomingRegister {
        header: RegisterHeader {
            parent: Some("Ủy ban nhân dân tỉnh Tây Ninh".into()),
            agency: "Văn phòng Ủy ban nhân dân tỉnh".into(),
            year: 2024,
            series: None,
            volume: None,
            numbers: None,
            period: None,
            printed_on: day(2024, 3, 5),
        },
        entries: vec![
            entry(
                15,
                "Sở Y tế tỉnh Tây Ninh",
                "Về phòng, chống dịch Covid-19 trong trường học",
            ),
            entry(
                16,
                "Sở Giao thông vận tải",
                "Về kế hoạch đầu tư đường giao thông nông thôn huyện Tân Biên",
            ),
        ],
    }
    .render_pdf()
    .unwrap()
}

/// Folded-free word set: lower case letters and digits, NFC as extracted.
fn word_set(s: &str) -> BTreeSet<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn pdftotext(pdf: &[u8]) -> Option<String> {
    if std::process::Command::new("pdftotext")
        .arg("-v")
        .output()
        .is_err()
    {
        println!("skipped: pdftotext not installed");
        return None;
    }
    let dir = std::env::temp_dir().join(format!("cqdt-pdftext-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("in.pdf");
    std::fs::write(&input, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&input)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success(), "pdftotext failed");
    let _ = std::fs::remove_dir_all(&dir);
    Some(cqdt_domain::text::nfc(
        &String::from_utf8(out.stdout).unwrap(),
    ))
}

#[test]
fn our_register_reads_the_same_words_as_pdftotext() {
    let pdf = register();
    let text = extract_text(&pdf, &TextLimits::default()).unwrap();
    for w in [
        "phòng",
        "chống",
        "dịch",
        "trường",
        "học",
        "Tây",
        "Ninh",
        "Hỏa",
        "tốc",
        "Tân",
        "Biên",
        "đường",
    ] {
        assert!(
            text.split(|c: char| !c.is_alphanumeric()).any(|x| x == w),
            "{w} missing from {text}"
        );
    }
    let Some(reference) = pdftotext(&pdf) else {
        return;
    };
    let ours = word_set(&text);
    let theirs = word_set(&reference);
    let only_ours: Vec<_> = ours.difference(&theirs).collect();
    let only_theirs: Vec<_> = theirs.difference(&ours).collect();
    assert!(
        only_ours.is_empty() && only_theirs.is_empty(),
        "only ours: {only_ours:?}\nonly pdftotext: {only_theirs:?}\nours: {text}"
    );
}

#[test]
fn the_port_reads_pdfs_only() {
    let pdf = register();
    let x = PdfText::default();
    assert!(x.extract("pdf", &pdf).unwrap().contains("chống dịch"));
    assert_eq!(x.extract("docx", &pdf), None);
    assert_eq!(x.extract("pdf", b"not a pdf"), None);
}

// ---- Hand-made PDFs ----

/// A PDF with these objects (numbered from 1, object 1 the catalogue) and a classic xref.
fn pdf_of(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        writeln!(out, "{} 0 obj", i + 1).unwrap();
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    write!(out, "xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).unwrap();
    for o in offsets {
        writeln!(out, "{o:010} 00000 n ").unwrap();
    }
    write!(
        out,
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    )
    .unwrap();
    out
}

fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut o = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    o.extend_from_slice(data);
    o.extend_from_slice(b"\nendstream");
    o
}

fn flate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// One page (object 3) drawing `content` (object 4) with Helvetica as /F1 (object 5).
fn one_page(content: Vec<u8>, font: &str, more: Vec<Vec<u8>>) -> Vec<u8> {
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
           /Resources << /Font << /F1 5 0 R >> /XObject << /X1 6 0 R >> >> >>"
            .to_vec(),
        content,
        font.as_bytes().to_vec(),
    ];
    objects.extend(more);
    pdf_of(&objects)
}

const HELVETICA: &str =
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>";

fn text_of(pdf: &[u8]) -> String {
    extract_text(pdf, &TextLimits::default()).unwrap()
}

#[test]
fn simple_fonts_tj_operators_and_differences() {
    let content = stream(
        "/Filter /FlateDecode",
        &flate(
            b"BT /F1 12 Tf 72 720 Td (Hello ) Tj [(W) 20 (orld) -300 (again)] TJ \
              0 -14 Td (Caf\xe9 \x93quoted\x94) Tj T* (next) ' 1 2 (line) \" ET",
        ),
    );
    let t = text_of(&one_page(content, HELVETICA, vec![]));
    assert_eq!(
        word_set(&t),
        word_set("Hello World again Café quoted next line")
    );
    assert!(t.contains("Café “quoted”"), "{t}");
    // Differences with glyph names.
    let font = "<< /Type /Font /Subtype /Type1 /BaseFont /X /Encoding << /Type /Encoding \
                /BaseEncoding /WinAnsiEncoding /Differences [65 /uni1EA1 /dcroat /u0110] >> >>";
    let content = stream("", b"BT /F1 12 Tf (ph\x41m \x43\x41i) Tj ET");
    let t = text_of(&one_page(content, font, vec![]));
    assert_eq!(t, "phạm Đại");
}

#[test]
fn forms_and_actual_text_are_read_images_are_not() {
    let content = stream(
        "",
        b"BT /F1 12 Tf (outside) Tj ET /X1 Do /Span << /ActualText (\xfe\xff\x00p\x00h\x1e\xa1\x00m) >> BDC \
          BT /F1 12 Tf (xx) Tj ET EMC",
    );
    let form = stream(
        "/Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources << /Font << /F1 5 0 R >> /XObject << /X1 6 0 R >> >>",
        b"BT /F1 9 Tf (inside) Tj ET /X1 Do",
    );
    let t = text_of(&one_page(content, HELVETICA, vec![form]));
    assert_eq!(word_set(&t), word_set("outside inside phạm"), "{t}");
    // An image XObject is not decoded (a bomb in it costs nothing).
    let image = stream(
        "/Type /XObject /Subtype /Image /Width 1 /Height 1 /Filter /FlateDecode",
        &flate(&vec![0u8; 1 << 20]),
    );
    let content = stream("", b"/X1 Do BT /F1 12 Tf (scan) Tj ET");
    assert_eq!(text_of(&one_page(content, HELVETICA, vec![image])), "scan");
}

#[test]
fn a_scan_without_text_gives_none() {
    let content = stream("", b"q 612 0 0 792 0 0 cm /X1 Do Q");
    let image = stream(
        "/Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray /BitsPerComponent 8",
        b"\x00",
    );
    let pdf = one_page(content, HELVETICA, vec![image]);
    assert_eq!(text_of(&pdf), "");
    assert_eq!(PdfText::default().extract("pdf", &pdf), None);
}

/// Hostile inputs end in an error or bounded text, quickly, without a panic.
#[test]
fn hostile_input_never_panics() {
    let good = register();
    let limits = TextLimits::default();
    let started = Instant::now();
    // Truncated at many lengths, and bytes flipped.
    for cut in (0..good.len()).step_by(good.len() / 97 + 1) {
        let _ = extract_text(&good[..cut], &limits);
    }
    let mut flipped = good.clone();
    for i in (0..flipped.len()).step_by(89) {
        flipped[i] ^= 0x5a;
        let _ = extract_text(&flipped, &limits);
    }
    // Garbage.
    let mut seed = 0x2545_f491_u32;
    let garbage: Vec<u8> = (0..100_000)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed as u8
        })
        .collect();
    assert!(extract_text(&garbage, &limits).is_err());
    let mut with_header = b"%PDF-1.7\n".to_vec();
    with_header.extend_from_slice(&garbage);
    assert!(extract_text(&with_header, &limits).is_err());
    // A stream claiming a huge length.
    let claim = b"<< /Length 99999999999 >>\nstream\nBT (x) Tj ET\nendstream".to_vec();
    let t = extract_text(&one_page(claim, HELVETICA, vec![]), &limits).unwrap();
    assert_eq!(t, "");
    // A decompression bomb: 64 MiB of zeros (beyond the 8 MiB of one stream) is cut, and the
    // page's other content is still read.
    let bomb = stream("/Filter /FlateDecode", &flate(&vec![b' '; 64 << 20]));
    let pages = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /Contents [4 0 R 6 0 R] /Resources << /Font << /F1 5 0 R >> >> >>".to_vec(),
        bomb,
        HELVETICA.as_bytes().to_vec(),
        stream("", b"BT /F1 12 Tf (survived) Tj ET"),
    ];
    let t0 = Instant::now();
    assert_eq!(extract_text(&pdf_of(&pages), &limits).unwrap(), "survived");
    assert!(t0.elapsed().as_secs() < 20, "the bomb was not cut early");
    // A page tree that loops, a form drawing itself, deep nesting, unterminated things.
    let looped = pdf_of(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Pages /Kids [2 0 R] >>".to_vec(),
    ]);
    assert_eq!(extract_text(&looped, &limits).unwrap(), "");
    let deep = stream("", &[b"[".repeat(100_000), b" TJ".to_vec()].concat());
    let _ = extract_text(&one_page(deep, HELVETICA, vec![]), &limits);
    let open = stream("", b"BT /F1 12 Tf (never closed Tj ET");
    assert_eq!(
        extract_text(&one_page(open, HELVETICA, vec![]), &limits).unwrap(),
        ""
    );
    // A CMap claiming a range of every code, and many operators.
    let cmap = stream(
        "",
        b"1 beginbfrange <00000000> <FFFFFFFF> <0041> endbfrange 1 beginbfrange <0000> <FFFF> <0041> endbfrange",
    );
    let font =
        "<< /Type /Font /Subtype /Type0 /BaseFont /X /Encoding /Identity-H /ToUnicode 6 0 R >>";
    let content = stream("", &b"BT /F1 1 Tf <0001> Tj ET ".repeat(50_000));
    let t = extract_text(&one_page(content, font, vec![cmap]), &limits).unwrap();
    assert!(t.chars().count() <= limits.max_chars, "text bounded");
    let few = TextLimits {
        max_ops: 1_000,
        ..limits
    };
    let content = stream("", &b"BT /F1 1 Tf (a) Tj ET ".repeat(10_000));
    let t = extract_text(&one_page(content, HELVETICA, vec![]), &few).unwrap();
    assert!(t.len() < 1_000, "operators bounded: {}", t.len());
    assert!(
        started.elapsed().as_secs() < 120,
        "hostile inputs took {:?}",
        started.elapsed()
    );
}
