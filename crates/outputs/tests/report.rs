//! Biểu II.06a as PDF (text checked with `pdftotext`) and as XLSX (opened with Python's own
//! zip and XML readers): every cell of a known report is where the form puts it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use cqdt_outputs::{Ii06aSheet, Ii06aSheetLine};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use unicode_normalization::UnicodeNormalization;

fn sheet() -> Ii06aSheet {
    let line = |number, field: &str, base: u64| Ii06aSheetLine {
        number,
        field: field.into(),
        cells: std::array::from_fn(|k| base + k as u64),
    };
    let lines = vec![
        line(1, "Đất đai", 100),
        line(2, "Hộ tịch", 1_234_560),
        line(3, "Thành lập và hoạt động của hộ kinh doanh", 7),
    ];
    let mut total = [0u64; 11];
    for l in &lines {
        for (t, c) in total.iter_mut().zip(l.cells) {
            *t += c;
        }
    }
    Ii06aSheet {
        parent: Some("Ủy ban nhân dân tỉnh Tây Ninh".into()),
        unit: "Văn phòng Ủy ban nhân dân tỉnh".into(),
        reporting_unit: "Ủy ban nhân dân tỉnh Tây Ninh".into(),
        receiving_unit: "Văn phòng Chính phủ".into(),
        from: NaiveDate::from_ymd_opt(2019, 1, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2019, 12, 31).unwrap(),
        lines,
        total,
        place: "Tây Ninh".into(),
        issued_on: NaiveDate::from_ymd_opt(2020, 1, 5).unwrap(),
    }
}

fn out(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/reports");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn have(tool: &str, arg: &str) -> bool {
    let found = Command::new(tool).arg(arg).output().is_ok();
    if !found {
        std::io::stderr()
            .write_all(format!("skipped: {tool} not installed\n").as_bytes())
            .unwrap();
    }
    found
}

#[test]
fn ii06a_pdf_has_every_cell() {
    let s = sheet();
    let pdf = s.render_pdf().unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    if !have("pdftotext", "-v") {
        return;
    }
    let path = out("ii06a.pdf", &pdf);
    let o = Command::new("pdftotext")
        .args(["-layout", path.to_str().unwrap(), "-"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let text: String = String::from_utf8(o.stdout).unwrap().nfc().collect();
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "Biểu II.06a/VPCP/KSTT",
        "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH",
        "Kỳ báo cáo: từ 01/01/2019 đến 31/12/2019",
        "Đơn vị báo cáo: Ủy ban nhân dân tỉnh Tây Ninh",
        "Đơn vị nhận báo cáo: Văn phòng Chính phủ",
        "Tây Ninh, ngày 05 tháng 01 năm 2020",
        "Tổng cộng",
        "(13)",
    ] {
        assert!(flat.contains(needle), "lacks {needle:?}:\n{text}");
    }
    // Each line's cells in order, on its row (numbers with dots between thousands).
    for (field, cells) in [
        (
            "Đất đai",
            (100..111).map(|n: u64| n.to_string()).collect::<Vec<_>>(),
        ),
        (
            "Hộ tịch",
            [
                "1.234.560",
                "1.234.561",
                "1.234.562",
                "1.234.563",
                "1.234.564",
                "1.234.565",
                "1.234.566",
                "1.234.567",
                "1.234.568",
                "1.234.569",
                "1.234.570",
            ]
            .map(String::from)
            .to_vec(),
        ),
    ] {
        let row = text
            .lines()
            .find(|l| l.contains(field))
            .unwrap_or_else(|| panic!("no row {field}:\n{text}"));
        let numbers: Vec<&str> = row
            .split_whitespace()
            .filter(|w| w.chars().all(|c| c.is_ascii_digit() || c == '.'))
            .collect();
        assert_eq!(numbers[1..], cells[..], "row {row:?}");
    }
}

#[test]
fn ii06a_xlsx_has_every_cell_as_a_number() {
    let s = sheet();
    let xlsx = s.render_xlsx().unwrap();
    assert!(xlsx.starts_with(b"PK\x03\x04"));
    if !have("python3", "--version") {
        return;
    }
    let path = out("ii06a.xlsx", &xlsx);
    // Read it back with Python's standard library: shared strings and the sheet's cells.
    let script = r#"
import sys, zipfile, xml.etree.ElementTree as ET
ns = {'m': 'http://schemas.openxmlformats.org/spreadsheetml/2006/main'}
z = zipfile.ZipFile(sys.argv[1])
strings = [''.join(t.text or '' for t in si.iter('{%s}t' % ns['m'])) for si in ET.fromstring(z.read('xl/sharedStrings.xml')).findall('m:si', ns)]
sheet = ET.fromstring(z.read('xl/worksheets/sheet1.xml'))
for c in sheet.iter('{%s}c' % ns['m']):
    v = c.find('m:v', ns)
    if v is None:
        continue
    val = strings[int(v.text)] if c.get('t') == 's' else v.text
    print(c.get('r') + '\t' + val)
"#;
    let o = Command::new("python3")
        .args(["-c", script, path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let cells: std::collections::BTreeMap<String, String> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(a, b)| (a.to_string(), b.nfc().collect()))
        .collect();
    let at = |r: &str| cells.get(r).map(String::as_str).unwrap_or("");
    assert_eq!(at("A4"), "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH");
    assert_eq!(at("A5"), "Kỳ báo cáo: từ 01/01/2019 đến 31/12/2019");
    assert_eq!(at("C10"), "Số hồ sơ nhận giải quyết");
    assert_eq!(at("F11"), "Từ kỳ trước");
    assert_eq!(at("M12"), "(13)");
    // Row 13 (first line) to row 15, then the total on row 16.
    let cols = ["C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M"];
    for (row, line) in (13..).zip(&s.lines) {
        assert_eq!(at(&format!("B{row}")), line.field);
        for (col, v) in cols.iter().zip(line.cells) {
            assert_eq!(at(&format!("{col}{row}")), v.to_string(), "{col}{row}");
        }
    }
    assert_eq!(at("B16"), "Tổng cộng");
    for (col, v) in cols.iter().zip(s.total) {
        assert_eq!(at(&format!("{col}16")), v.to_string(), "{col}16");
    }
}

#[test]
fn the_same_report_renders_to_the_same_bytes_a_second_later() {
    let s = sheet();
    let (pdf, xlsx) = (s.render_pdf().unwrap(), s.render_xlsx().unwrap());
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(pdf, s.render_pdf().unwrap());
    assert_eq!(xlsx, s.render_xlsx().unwrap());
}
