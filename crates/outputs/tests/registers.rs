//! The document registers (NĐ 30/2020 Phụ lục IV) as PDF, read back with poppler-utils
//! (`pdftotext -layout`, `pdfinfo`), and as XLSX, opened with Python's own zip and XML readers.
//! Every column title is rebuilt from where its words stand on each page, every row is found on
//! its own line, and a register with a row left out fails the same checks.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{Days, NaiveDate};
use cqdt_outputs::*;
use unicode_normalization::UnicodeNormalization;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

const LONG: &str = "V/v đề nghị các sở, ban, ngành tỉnh và Ủy ban nhân dân các huyện, thị xã, thành phố \
    rà soát, thống kê, đánh giá tình hình tiếp nhận và giải quyết hồ sơ thủ tục hành chính \
    trên môi trường điện tử, số hóa hồ sơ, kết quả giải quyết thủ tục hành chính, đồng thời \
    báo cáo những khó khăn, vướng mắc và đề xuất giải pháp khắc phục trước ngày 15 tháng 3 năm 2026";

fn header() -> RegisterHeader {
    RegisterHeader {
        parent: Some("Ủy ban nhân dân tỉnh Tây Ninh".into()),
        // Decomposed on purpose (NFD): it must print as NFC.
        agency: "Văn phòng Ủy ban nhân dân tỉnh".nfd().collect(),
        year: 2026,
        series: None,
        volume: Some("01".into()),
        numbers: Some(("01".into(), "120".into())),
        period: Some((day(2026, 1, 2), day(2026, 6, 30))),
        printed_on: day(2026, 7, 1),
    }
}

const AUTHORS: [&str; 4] = [
    "Sở Nội vụ",
    "Ủy ban nhân dân huyện Dương Minh Châu",
    "Bộ Thông tin và Truyền thông",
    "Sở Tài chính",
];
const SUFFIXES: [&str; 4] = ["SNV-VP", "UBND-KT", "BTTTT-CĐS", "STC-QLNS"];

fn incoming_notation(n: usize) -> String {
    format!("{n:02}/{}", SUFFIXES[n % 4])
}

fn incoming(n_rows: usize) -> IncomingRegister {
    let entries = (1..=n_rows)
        .map(|n| {
            let received = day(2026, 1, 2)
                .checked_add_days(Days::new(n as u64 / 2))
                .unwrap();
            IncomingEntry {
                received_on: received,
                number: n.to_string(),
                author: AUTHORS[n % 4].into(),
                notation: (n != 3).then(|| incoming_notation(n)),
                dated: (n != 3).then(|| received.checked_sub_days(Days::new(2)).unwrap()),
                type_name: if n % 3 == 0 {
                    "Quyết định"
                } else {
                    "Công văn"
                }
                .into(),
                subject: if n == 7 {
                    LONG.into()
                } else {
                    format!("V/v triển khai nhiệm vụ cải cách hành chính đợt {n}")
                },
                recipient: Some("Phòng Kiểm soát thủ tục hành chính".into()),
                transferred_on: Some(received),
                signed_for: None,
                urgency: (n == 5).then(|| "Hỏa tốc".into()),
                secrecy: (n == 9).then(|| "Mật".into()),
                note: match n {
                    3 => Some("Văn bản không có số, ký hiệu".into()),
                    9 => Some("Bản sao".into()),
                    _ => None,
                },
            }
        })
        .collect();
    IncomingRegister {
        header: header(),
        entries,
    }
}

fn outgoing(n_rows: usize) -> OutgoingRegister {
    let entries = (1..=n_rows)
        .map(|n| OutgoingEntry {
            notation: format!("{n:02}/QĐ-UBND"),
            dated: day(2026, 1, 5)
                .checked_add_days(Days::new(n as u64))
                .unwrap(),
            type_name: "Quyết định".into(),
            subject: if n == 2 {
                LONG.replace("V/v đề nghị", "về việc giao")
            } else {
                format!("về việc phê duyệt danh mục thủ tục hành chính số {n}")
            },
            signer: "Nguyễn Văn Đức".into(),
            recipients: "Như Điều 3;\nLưu: VT, KSTT.".into(),
            archive: "Phòng Kiểm soát thủ tục hành chính".into(),
            copies: (n % 5 + 2).to_string(),
            transferred_on: Some(
                day(2026, 1, 6)
                    .checked_add_days(Days::new(n as u64))
                    .unwrap(),
            ),
            signed_for: None,
            urgency: (n == 4).then(|| "Thượng khẩn".into()),
            secrecy: None,
            note: None,
        })
        .collect();
    OutgoingRegister {
        header: RegisterHeader {
            series: Some("Quyết định".into()),
            ..header()
        },
        entries,
    }
}

fn follow_up(n_rows: usize) -> FollowUpRegister {
    let entries = (1..=n_rows)
        .map(|n| FollowUpEntry {
            number: (200 + n).to_string(),
            type_name: "Công văn".into(),
            notation: Some(format!("{n:02}/SNV-CCHC")),
            dated: Some(day(2026, 2, 2)),
            issuer: "Sở Nội vụ tỉnh Tây Ninh".into(),
            subject: if n == 1 {
                LONG.into()
            } else {
                format!("V/v góp ý dự thảo quy chế số {n}")
            },
            recipient: "Phòng Nội chính".into(),
            deadline: Some(day(2026, 2, 16)),
            progress: if n % 2 == 0 {
                "Đã giải quyết ngày 12/02/2026".into()
            } else {
                "Đang giải quyết".into()
            },
            reply: (n % 2 == 0).then(|| format!("{}/UBND-NC", 300 + n)),
            urgency: (n == 3).then(|| "Khẩn".into()),
            secrecy: None,
            note: None,
        })
        .collect();
    FollowUpRegister {
        header: header(),
        entries,
    }
}

// ---------------------------------------------------------------------------------------------
// Tools.

fn out(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/registers");
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

fn run(tool: &str, args: &[&str]) -> String {
    let o = Command::new(tool).args(args).output().unwrap();
    assert!(
        o.status.success(),
        "{tool}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap().nfc().collect()
}

/// Every page is A4 landscape (842 × 595 pt); returns the number of pages.
fn landscape_pages(path: &Path) -> usize {
    let info = run("pdfinfo", &["-box", "-l", "999", path.to_str().unwrap()]);
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let boxes: Vec<Vec<f64>> = info
        .lines()
        .filter_map(|l| l.split_once("MediaBox:"))
        .map(|(_, b)| b.split_whitespace().map(|n| n.parse().unwrap()).collect())
        .collect();
    assert_eq!(boxes.len(), pages, "{info}");
    for b in boxes {
        assert_eq!(
            (b[2].round(), b[3].round()),
            (842.0, 595.0),
            "not A4 landscape"
        );
    }
    pages
}

/// The PDF's text, page by page, and the page count from `pdfinfo`; `None` without poppler.
fn pdf_pages(name: &str, pdf: &[u8]) -> Option<Vec<String>> {
    assert!(pdf.starts_with(b"%PDF-"));
    let path = out(name, pdf);
    if !have("pdftotext", "-v") {
        return None;
    }
    let n = landscape_pages(&path);
    let text = run("pdftotext", &["-layout", path.to_str().unwrap(), "-"]);
    let pages: Vec<String> = text
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .map(String::from)
        .collect();
    assert_eq!(pages.len(), n, "pdftotext pages vs pdfinfo");
    Some(pages)
}

/// Runs of text on a line separated by two spaces or more, with their start and end (in chars).
fn phrases(line: &str) -> Vec<(usize, usize, String)> {
    let chars: Vec<char> = line.chars().collect();
    let mut out = Vec::new();
    let mut k = 0;
    while k < chars.len() {
        if chars[k] == ' ' {
            k += 1;
            continue;
        }
        let start = k;
        while k < chars.len() && !(chars[k] == ' ' && chars.get(k + 1).is_none_or(|c| *c == ' ')) {
            k += 1;
        }
        out.push((start, k, chars[start..k].iter().collect()));
    }
    out
}

fn tokens(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

/// The checks every register's PDF passes, page by page: the agency block and title on page 1,
/// "Trang n/N" at the foot of every page, and on every page the numbered row under the column
/// titles, each title rebuilt from the words standing over its number. Returns, per page, the
/// lines under the numbered row (the entries).
fn check_pages(pages: &[String], kind: RegisterKind, cover: &[&str]) -> Vec<Vec<String>> {
    let titles = kind.column_titles();
    let numbers: Vec<String> = (1..=titles.len()).map(|n| format!("({n})")).collect();
    let flat_first = tokens(&pages[0]).join(" ");
    for needle in cover {
        assert!(
            flat_first.contains(needle),
            "page 1 lacks {needle:?}:\n{}",
            pages[0]
        );
    }
    let total = pages.len();
    let mut bodies = Vec::new();
    for (p, page) in pages.iter().enumerate() {
        let lines: Vec<&str> = page.lines().collect();
        let foot = lines.iter().rev().find(|l| !l.trim().is_empty()).unwrap();
        assert_eq!(
            foot.trim(),
            format!("Trang {}/{total}", p + 1),
            "page {}",
            p + 1
        );
        let at = lines
            .iter()
            .position(|l| tokens(l) == numbers)
            .unwrap_or_else(|| panic!("page {}: no numbered row:\n{page}", p + 1));
        // Each number's centre marks its column; a title's words stand centred over it.
        let centres: Vec<f32> = phrases(lines[at])
            .iter()
            .map(|(s, e, _)| (*s + *e) as f32 / 2.0)
            .collect();
        let first = if p == 0 {
            // Below the cover block (its last line is the last of `cover`).
            let last = cover.last().unwrap();
            lines
                .iter()
                .position(|l| tokens(l).join(" ").contains(last))
                .unwrap()
                + 1
        } else {
            0
        };
        let mut rebuilt = vec![Vec::<String>::new(); titles.len()];
        for line in &lines[first..at] {
            for (s, e, text) in phrases(line) {
                let c = (s + e) as f32 / 2.0;
                let col = (0..centres.len())
                    .min_by(|a, b| (centres[*a] - c).abs().total_cmp(&(centres[*b] - c).abs()))
                    .unwrap();
                rebuilt[col].push(text);
            }
        }
        for (title, words) in titles.iter().zip(&rebuilt) {
            assert_eq!(words.join(" "), *title, "page {}:\n{page}", p + 1);
        }
        let body: Vec<String> = lines[at + 1..]
            .iter()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.to_string())
            .collect();
        bodies.push(body);
    }
    bodies
}

/// The first line of the row that starts with `first` and `second` (its first two cells).
fn row_starting<'a>(lines: &'a [String], first: &str, second: &str) -> Vec<&'a String> {
    lines
        .iter()
        .filter(|l| {
            let t = tokens(l);
            t.len() >= 2 && t[0] == first && t[1] == second
        })
        .collect()
}

/// `part` appears in `whole` in order, other words between allowed.
fn in_order(part: &[&str], whole: &[&str]) -> bool {
    let mut rest = whole.iter();
    part.iter().all(|w| rest.any(|x| x == w))
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

const COVER: [&str; 7] = [
    "ỦY BAN NHÂN DÂN TỈNH TÂY NINH",
    "VĂN PHÒNG ỦY BAN NHÂN DÂN TỈNH",
    "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN",
    "Năm 2026",
    "Từ số 01 đến số 120",
    "Từ ngày 02/01/2026 đến ngày 30/06/2026",
    "Quyển số: 01",
];

fn incoming_pdf_checks(reg: &IncomingRegister, pages: &[String]) {
    let bodies = check_pages(pages, RegisterKind::Incoming, &COVER);
    let all: Vec<String> = bodies.concat();
    // Exactly one row per entry, in order, each starting with its Ngày đến and Số đến and
    // holding its notation and date on its first line.
    let starts: Vec<usize> = all
        .iter()
        .enumerate()
        .filter(|(_, l)| {
            let t = tokens(l);
            t.len() >= 2
                && t[0].len() == 10
                && t[0].chars().nth(2) == Some('/')
                && t[1].chars().all(|c| c.is_ascii_digit())
        })
        .map(|(k, _)| k)
        .collect();
    assert_eq!(starts.len(), reg.entries.len(), "rows:\n{}", all.join("\n"));
    for (e, k) in reg.entries.iter().zip(&starts) {
        let line = &all[*k];
        let t = tokens(line);
        assert_eq!(t[0], e.received_on.format("%d/%m/%Y").to_string(), "{line}");
        assert_eq!(t[1], e.number, "{line}");
        if let Some(n) = &e.notation {
            let at_notation = t
                .iter()
                .position(|w| w == n)
                .unwrap_or_else(|| panic!("{n} not on {line}"));
            let dated = e.dated.unwrap().format("%d/%m/%Y").to_string();
            assert_eq!(t.get(at_notation + 1), Some(&dated.as_str()), "{line}");
        }
        let n = rows_with(
            &all,
            &e.number,
            &e.received_on.format("%d/%m/%Y").to_string(),
        );
        assert_eq!(n, 1, "row {} printed {n} times", e.number);
    }
    // The long subject wraps inside its cell, every word kept, in order.
    // The long subject wraps inside its cell: the row's lines hold exactly the words of its
    // cells, none lost, and the subject's words come in order.
    let e = &reg.entries[6];
    let row_words: Vec<String> = all[starts[6]..starts[7]]
        .iter()
        .flat_map(|l| tokens(l))
        .map(String::from)
        .collect();
    let date = |d: NaiveDate| d.format("%d/%m/%Y").to_string();
    let mut cells = vec![date(e.received_on), e.number.clone()];
    cells.extend(tokens(&e.author).into_iter().map(String::from));
    cells.push(e.notation.clone().unwrap());
    cells.push(date(e.dated.unwrap()));
    let subject = format!("{} {}", e.type_name, e.subject);
    cells.extend(tokens(&subject).into_iter().map(String::from));
    cells.extend(
        tokens(e.recipient.as_deref().unwrap())
            .into_iter()
            .map(String::from),
    );
    cells.push(date(e.transferred_on.unwrap()));
    assert_eq!(sorted(row_words.clone()), sorted(cells), "row 7's words");
    let row_words: Vec<&str> = row_words.iter().map(String::as_str).collect();
    assert!(
        in_order(&tokens(&subject), &row_words),
        "row 7's subject out of order"
    );
    let lines_of_7 = starts[7] - starts[6];
    assert!(
        lines_of_7 >= 4,
        "the long subject should wrap: {lines_of_7} lines"
    );
    // The marks head the Ghi chú cell.
    for (row, needle) in [
        (3, "Văn bản không có số, ký hiệu"),
        (5, "Hỏa tốc"),
        (9, "Mật Bản sao"),
    ] {
        let words: Vec<&str> = all[starts[row - 1]..starts[row]]
            .iter()
            .flat_map(|l| tokens(l))
            .collect();
        assert!(
            in_order(&tokens(needle), &words),
            "row {row} lacks {needle:?}"
        );
    }
    let last = pages.last().unwrap();
    assert!(
        tokens(last).join(" ").contains(&format!(
            "Sổ gồm {} văn bản. In ngày 01 tháng 7 năm 2026.",
            reg.entries.len()
        )),
        "{last}"
    );
}

fn rows_with(lines: &[String], number: &str, date: &str) -> usize {
    row_starting(lines, date, number).len()
}

#[test]
fn incoming_register_pdf_has_every_row_and_the_titles_on_every_page() {
    let reg = incoming(120);
    let Some(pages) = pdf_pages("incoming.pdf", &reg.render_pdf().unwrap()) else {
        return;
    };
    assert!(pages.len() >= 5, "120 rows on {} pages", pages.len());
    incoming_pdf_checks(&reg, &pages);
}

#[test]
fn the_checks_fail_when_a_row_is_missing() {
    let full = incoming(40);
    let mut partial = full.clone();
    partial.entries.remove(20);
    let Some(pages) = pdf_pages("incoming-partial.pdf", &partial.render_pdf().unwrap()) else {
        return;
    };
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let caught = std::panic::catch_unwind(|| incoming_pdf_checks(&full, &pages));
    std::panic::set_hook(hook);
    assert!(
        caught.is_err(),
        "a register without row 21 passed the checks"
    );
    // And the full register passes them.
    let pages = pdf_pages("incoming-40.pdf", &full.render_pdf().unwrap()).unwrap();
    incoming_pdf_checks(&full, &pages);
}

#[test]
fn outgoing_register_pdf_has_every_row() {
    let reg = outgoing(45);
    let Some(pages) = pdf_pages("outgoing.pdf", &reg.render_pdf().unwrap()) else {
        return;
    };
    assert!(pages.len() >= 2);
    let bodies = check_pages(
        &pages,
        RegisterKind::Outgoing,
        &[
            "SỔ ĐĂNG KÝ VĂN BẢN ĐI",
            "(Quyết định)",
            "Năm 2026",
            "Quyển số: 01",
        ],
    );
    let all = bodies.concat();
    for e in &reg.entries {
        let date = e.dated.format("%d/%m/%Y").to_string();
        let rows = row_starting(&all, &e.notation, &date);
        assert_eq!(rows.len(), 1, "{}:\n{}", e.notation, all.join("\n"));
        let t = tokens(rows[0]);
        assert!(t.contains(&"Quyết"), "{}", rows[0]);
    }
    let flat = tokens(&all.join("\n")).join(" ");
    assert!(flat.contains("Thượng khẩn"));
    assert!(flat.contains("Như Điều 3;"));
    for word in tokens(LONG).iter().skip(3) {
        assert!(flat.contains(word), "lacks {word}");
    }
}

#[test]
fn follow_up_register_pdf_has_every_row() {
    let reg = follow_up(30);
    let Some(pages) = pdf_pages("follow-up.pdf", &reg.render_pdf().unwrap()) else {
        return;
    };
    let bodies = check_pages(
        &pages,
        RegisterKind::FollowUp,
        &[
            "SỔ THEO DÕI GIẢI QUYẾT VĂN BẢN ĐẾN",
            "Năm 2026",
            "Quyển số: 01",
        ],
    );
    let all = bodies.concat();
    for e in &reg.entries {
        let notation = e.notation.as_deref().unwrap();
        let rows: Vec<&String> = all
            .iter()
            .filter(|l| {
                let t = tokens(l);
                t.first() == Some(&e.number.as_str()) && t.contains(&notation)
            })
            .collect();
        assert_eq!(rows.len(), 1, "{}:\n{}", e.number, all.join("\n"));
        if let Some(reply) = &e.reply {
            assert!(tokens(rows[0]).contains(&reply.as_str()), "{}", rows[0]);
        }
        assert!(tokens(rows[0]).contains(&"16/02/2026"), "{}", rows[0]);
    }
}

#[test]
fn an_empty_register_prints_its_header_and_says_so() {
    let reg = IncomingRegister {
        header: RegisterHeader {
            numbers: None,
            period: None,
            volume: None,
            ..header()
        },
        entries: vec![],
    };
    let Some(pages) = pdf_pages("incoming-empty.pdf", &reg.render_pdf().unwrap()) else {
        return;
    };
    assert_eq!(pages.len(), 1);
    let bodies = check_pages(
        &pages,
        RegisterKind::Incoming,
        &[
            "VĂN PHÒNG ỦY BAN NHÂN DÂN TỈNH",
            "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN",
            "Năm 2026",
        ],
    );
    let flat = tokens(&bodies[0].join("\n")).join(" ");
    assert!(
        flat.contains("Không có văn bản nào được đăng ký trong sổ."),
        "{flat}"
    );
    assert!(!flat.contains("Sổ gồm"), "{flat}");
    assert!(!tokens(&pages[0]).join(" ").contains("Từ số"));
}

#[test]
fn a_row_taller_than_a_page_is_split_not_cut() {
    let mut reg = incoming(3);
    let words: Vec<String> = (1..=420).map(|k| format!("đoạn{k}")).collect();
    reg.entries[1].subject = words.join(" ");
    let Some(pages) = pdf_pages("incoming-giant-row.pdf", &reg.render_pdf().unwrap()) else {
        return;
    };
    assert!(pages.len() >= 3, "{} pages", pages.len());
    let bodies = check_pages(&pages, RegisterKind::Incoming, &COVER);
    let found: Vec<&str> = bodies
        .iter()
        .flatten()
        .flat_map(|l| tokens(l))
        .filter(|w| w.starts_with("đoạn"))
        .collect();
    assert_eq!(found, words.iter().map(String::as_str).collect::<Vec<_>>());
    // The row after the giant one is still there.
    assert_eq!(row_starting(&bodies.concat(), "03/01/2026", "3").len(), 1);
}

#[test]
fn the_column_titles_are_the_appendix_words() {
    assert_eq!(
        RegisterKind::Incoming.column_titles(),
        [
            "Ngày đến",
            "Số đến",
            "Tác giả",
            "Số, ký hiệu văn bản",
            "Ngày tháng văn bản",
            "Tên loại và trích yếu nội dung văn bản",
            "Đơn vị hoặc người nhận",
            "Ngày chuyển",
            "Ký nhận",
            "Ghi chú",
        ]
    );
    assert_eq!(
        RegisterKind::Outgoing.column_titles(),
        [
            "Số, ký hiệu văn bản",
            "Ngày tháng văn bản",
            "Tên loại và trích yếu nội dung văn bản",
            "Người ký",
            "Nơi nhận văn bản",
            "Đơn vị, người nhận bản lưu",
            "Số lượng bản",
            "Ngày chuyển",
            "Ký nhận",
            "Ghi chú",
        ]
    );
    assert_eq!(
        RegisterKind::FollowUp.column_titles(),
        [
            "Số đến",
            "Tên loại, số, ký hiệu, ngày, tháng và tên cơ quan, tổ chức ban hành văn bản",
            "Đơn vị hoặc người nhận",
            "Thời hạn giải quyết",
            "Tiến độ giải quyết",
            "Số, ký hiệu văn bản trả lời",
            "Ghi chú",
        ]
    );
    for kind in [
        RegisterKind::Incoming,
        RegisterKind::Outgoing,
        RegisterKind::FollowUp,
    ] {
        for t in kind.column_titles() {
            assert_eq!(t.nfc().collect::<String>(), *t, "{t} is NFC");
        }
    }
}

#[test]
fn rendering_is_pure() {
    let reg = incoming(10);
    let (pdf, xlsx) = (reg.render_pdf().unwrap(), reg.render_xlsx().unwrap());
    // Across a second boundary: the workbook's creation time once came from the clock, and
    // two renders a second apart differed (CI caught it when they happened to straddle one).
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(pdf, reg.render_pdf().unwrap());
    assert_eq!(xlsx, reg.render_xlsx().unwrap());
}

// ---------------------------------------------------------------------------------------------
// XLSX.

/// The sheet's cells (`A1` → text; dates as `date:YYYY-MM-DD`), and page setup facts as
/// `!orientation`, `!paper`, `!titles`, `!fit`, `!footer`, `!wrap:<cell>`.
fn xlsx_cells(name: &str, xlsx: &[u8]) -> Option<BTreeMap<String, String>> {
    assert!(xlsx.starts_with(b"PK\x03\x04"));
    let path = out(name, xlsx);
    if !have("python3", "--version") {
        return None;
    }
    let script = r#"
import sys, zipfile, datetime, xml.etree.ElementTree as ET
M = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main'
ns = {'m': M}
z = zipfile.ZipFile(sys.argv[1])
strings = [''.join(t.text or '' for t in si.iter('{%s}t' % M)) for si in ET.fromstring(z.read('xl/sharedStrings.xml')).findall('m:si', ns)]
styles = ET.fromstring(z.read('xl/styles.xml'))
numfmts = {n.get('numFmtId'): n.get('formatCode') for n in styles.iter('{%s}numFmt' % M)}
xfs = styles.find('m:cellXfs', ns).findall('m:xf', ns)
sheet = ET.fromstring(z.read('xl/worksheets/sheet1.xml'))
out = []
for c in sheet.iter('{%s}c' % M):
    xf = xfs[int(c.get('s', '0'))]
    al = xf.find('m:alignment', ns)
    if al is not None and al.get('wrapText') == '1':
        out.append('!wrap:' + c.get('r') + '\t1')
    v = c.find('m:v', ns)
    if v is None:
        continue
    if c.get('t') == 's':
        val = strings[int(v.text)]
    elif 'yy' in numfmts.get(xf.get('numFmtId'), ''):
        val = 'date:' + (datetime.date(1899, 12, 30) + datetime.timedelta(days=int(float(v.text)))).isoformat()
    else:
        val = v.text
    out.append(c.get('r') + '\t' + val.replace('\n', '\\n'))
ps = sheet.find('m:pageSetup', ns)
out.append('!orientation\t' + ps.get('orientation', ''))
out.append('!paper\t' + ps.get('paperSize', ''))
fit = sheet.find('m:sheetPr/m:pageSetUpPr', ns)
out.append('!fit\t' + ('' if fit is None else fit.get('fitToPage', '')))
foot = sheet.find('m:headerFooter/m:oddFooter', ns)
out.append('!footer\t' + ('' if foot is None else foot.text))
wb = ET.fromstring(z.read('xl/workbook.xml'))
for d in wb.iter('{%s}definedName' % M):
    if d.get('name') == '_xlnm.Print_Titles':
        out.append('!titles\t' + d.text)
for s in wb.iter('{%s}sheet' % M):
    out.append('!sheet\t' + s.get('name'))
cols = sheet.find('m:cols', ns)
out.append('!cols\t' + str(0 if cols is None else sum(int(c.get('max')) - int(c.get('min')) + 1 for c in cols)))
print('\n'.join(out))
"#;
    let o = Command::new("python3")
        .args(["-c", script, path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    Some(
        String::from_utf8(o.stdout)
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .map(|(a, b)| (a.to_string(), b.nfc().collect()))
            .collect(),
    )
}

const COLS: [&str; 10] = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J"];

fn check_xlsx_frame(cells: &BTreeMap<String, String>, kind: RegisterKind) {
    let at = |r: &str| cells.get(r).map(String::as_str).unwrap_or("");
    assert_eq!(at("A1"), "ỦY BAN NHÂN DÂN TỈNH TÂY NINH");
    assert_eq!(at("A2"), "VĂN PHÒNG ỦY BAN NHÂN DÂN TỈNH");
    assert_eq!(at("A4"), kind.title().to_uppercase());
    for (k, title) in kind.column_titles().iter().enumerate() {
        assert_eq!(at(&format!("{}11", COLS[k])), *title);
        assert_eq!(at(&format!("{}12", COLS[k])), format!("({})", k + 1));
        assert_eq!(at(&format!("!wrap:{}11", COLS[k])), "1", "title wraps");
    }
    assert_eq!(at("!orientation"), "landscape");
    assert_eq!(at("!paper"), "9", "A4");
    assert_eq!(at("!fit"), "1", "fit to the page width");
    assert!(at("!titles").ends_with("!$11:$12"), "{}", at("!titles"));
    assert_eq!(at("!footer"), "&CTrang &P/&N");
    assert_eq!(at("!cols"), kind.column_titles().len().to_string());
}

#[test]
fn incoming_register_xlsx_has_every_cell() {
    let reg = incoming(120);
    let Some(cells) = xlsx_cells("incoming.xlsx", &reg.render_xlsx().unwrap()) else {
        return;
    };
    let at = |r: &str| cells.get(r).map(String::as_str).unwrap_or("");
    check_xlsx_frame(&cells, RegisterKind::Incoming);
    assert_eq!(at("!sheet"), "Sổ văn bản đến 2026");
    assert_eq!(at("A5"), "Năm 2026");
    assert_eq!(at("A6"), "Từ số 01 đến số 120");
    assert_eq!(at("A7"), "Từ ngày 02/01/2026 đến ngày 30/06/2026");
    assert_eq!(at("A8"), "Quyển số: 01");
    let mut rows = 0;
    for (row, e) in (13..).zip(&reg.entries) {
        let c = |col: &str| at(&format!("{col}{row}")).to_string();
        assert_eq!(c("A"), format!("date:{}", e.received_on), "A{row}");
        assert_eq!(c("B"), e.number, "B{row}");
        assert_eq!(c("C"), e.author, "C{row}");
        assert_eq!(c("D"), e.notation.clone().unwrap_or_default(), "D{row}");
        assert_eq!(
            c("E"),
            e.dated.map(|d| format!("date:{d}")).unwrap_or_default(),
            "E{row}"
        );
        assert_eq!(c("F"), format!("{} {}", e.type_name, e.subject), "F{row}");
        assert_eq!(c("G"), e.recipient.clone().unwrap(), "G{row}");
        assert_eq!(
            c("H"),
            format!("date:{}", e.transferred_on.unwrap()),
            "H{row}"
        );
        assert_eq!(c("I"), "", "I{row} is left to sign");
        assert_eq!(at(&format!("!wrap:F{row}")), "1", "F{row} wraps");
        rows += 1;
    }
    assert_eq!(rows, 120);
    assert_eq!(at("J15"), "Văn bản không có số, ký hiệu");
    assert_eq!(at("J17"), "Hỏa tốc");
    assert_eq!(at("J21"), "Mật\\nBản sao");
    assert_eq!(at("A133"), "", "nothing after the last row");
    assert_eq!(
        at("A134"),
        "Sổ gồm 120 văn bản. In ngày 01 tháng 7 năm 2026."
    );
}

#[test]
fn outgoing_and_follow_up_xlsx_have_their_columns_and_rows() {
    let reg = outgoing(12);
    let Some(cells) = xlsx_cells("outgoing.xlsx", &reg.render_xlsx().unwrap()) else {
        return;
    };
    let at = |r: &str| cells.get(r).map(String::as_str).unwrap_or("");
    check_xlsx_frame(&cells, RegisterKind::Outgoing);
    assert_eq!(at("A5"), "(Quyết định)");
    for (row, e) in (13..).zip(&reg.entries) {
        assert_eq!(at(&format!("A{row}")), e.notation);
        assert_eq!(at(&format!("B{row}")), format!("date:{}", e.dated));
        assert_eq!(at(&format!("E{row}")), "Như Điều 3;\\nLưu: VT, KSTT.");
        assert_eq!(at(&format!("G{row}")), e.copies);
    }
    assert_eq!(at("J16"), "Thượng khẩn");

    let reg = follow_up(8);
    let cells = xlsx_cells("follow-up.xlsx", &reg.render_xlsx().unwrap()).unwrap();
    let at = |r: &str| cells.get(r).map(String::as_str).unwrap_or("");
    check_xlsx_frame(&cells, RegisterKind::FollowUp);
    assert_eq!(at("H11"), "", "seven columns");
    for (row, e) in (13..).zip(&reg.entries) {
        assert_eq!(at(&format!("A{row}")), e.number);
        assert_eq!(
            at(&format!("B{row}")),
            format!(
                "Công văn số {} ngày 02/02/2026 của Sở Nội vụ tỉnh Tây Ninh\\n{}",
                e.notation.as_deref().unwrap(),
                e.subject
            )
        );
        assert_eq!(at(&format!("D{row}")), "date:2026-02-16");
        assert_eq!(at(&format!("E{row}")), e.progress);
        assert_eq!(at(&format!("F{row}")), e.reply.clone().unwrap_or_default());
    }
}

#[test]
fn an_empty_register_xlsx_says_so() {
    let reg = FollowUpRegister {
        header: header(),
        entries: vec![],
    };
    let Some(cells) = xlsx_cells("follow-up-empty.xlsx", &reg.render_xlsx().unwrap()) else {
        return;
    };
    check_xlsx_frame(&cells, RegisterKind::FollowUp);
    assert_eq!(
        cells.get("A13").map(String::as_str),
        Some("Không có văn bản nào được theo dõi trong sổ.")
    );
    assert_eq!(
        cells.get("A15").map(String::as_str),
        Some("In ngày 01 tháng 7 năm 2026.")
    );
}
