//! The five slips rendered with Vietnamese data, written to `target/slips/*.pdf` for people to
//! look at, and read back with poppler-utils: the text (`pdftotext -layout`), the page size
//! (`pdfinfo`), the fonts (`pdffonts`) and the QR code (`pdftoppm` + rqrr).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{NaiveDate, NaiveDateTime};
use cqdt_outputs::*;
use unicode_normalization::UnicodeNormalization;

const LOOKUP: &str =
    "https://dichvucong.tayninh.example/tra-cuu?MHS=000.21.11.H53-190212-0007&SGT=072190001234";

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(h, min, 0)
        .unwrap()
}

fn ward() -> Issuer {
    Issuer {
        parent: Some("Ủy ban nhân dân phường Hiệp Ninh".into()),
        unit: "Bộ phận tiếp nhận và trả kết quả".into(),
        full_name: "Bộ phận tiếp nhận và trả kết quả Ủy ban nhân dân phường Hiệp Ninh".into(),
        place: "Tây Ninh".into(),
    }
}

fn applicant() -> Applicant {
    Applicant {
        name: "Nguyễn Thị Ánh Tuyết".into(),
        // Decomposed on purpose (NFD): the slip must print it as NFC.
        address: Some(
            "Số 12 đường Nguyễn Chí Thanh, khu phố 1, phường Hiệp Ninh, thành phố Tây Ninh"
                .nfd()
                .collect(),
        ),
        phone: Some("0276 3822 123".into()),
        email: Some("anhtuyet@example.vn".into()),
    }
}

fn receipt() -> ReceiptSlip {
    ReceiptSlip {
        issuer: ward(),
        dossier_code: "000.21.11.H53-190212-0007".into(),
        copy_label: Some("Giao người nộp hồ sơ".into()),
        applicant: applicant(),
        procedure: "Đăng ký khai sinh".into(),
        papers: vec![
            ReceivedPaper {
                name: "Tờ khai đăng ký khai sinh".into(),
                form: PaperForm::Original,
                count: 1,
            },
            ReceivedPaper {
                name: "Giấy chứng sinh".into(),
                form: PaperForm::Original,
                count: 1,
            },
            ReceivedPaper {
                name: "Giấy chứng nhận kết hôn của cha, mẹ".into(),
                form: PaperForm::CertifiedCopy,
                count: 1,
            },
            ReceivedPaper {
                name: "Chứng minh nhân dân của người đi đăng ký".into(),
                form: PaperForm::Copy,
                count: 2,
            },
        ],
        sets: 1,
        processing_time: "03 ngày làm việc".into(),
        received_at: at(2019, 2, 12, 7, 45),
        appointment_at: at(2019, 2, 15, 16, 30),
        delivery: ResultDelivery::AtDesk,
        fees: vec![Fee {
            name: "Lệ phí đăng ký khai sinh".into(),
            amount: 8_000,
        }],
        ledger: Some(LedgerEntry {
            book: "01/2019".into(),
            number: 7,
        }),
        receiving_officer: "Phạm Quốc Hưng".into(),
        lookup_url: LOOKUP.into(),
    }
}

fn supplement(rows: usize) -> SupplementRequestSlip {
    let mut missing = vec![
        MissingPaper {
            paper: "Giấy chứng sinh".into(),
            reason: "Bản chụp không rõ chữ, cần nộp bản chính do cơ sở y tế cấp".into(),
        },
        MissingPaper {
            paper: "Tờ khai đăng ký khai sinh".into(),
            reason: "Thiếu chữ ký của người đi đăng ký ở mục “Người yêu cầu”".into(),
        },
    ];
    for n in missing.len()..rows {
        missing.push(MissingPaper {
            paper: format!("Giấy tờ số {}", n + 1),
            reason: "Chưa có xác nhận của Ủy ban nhân dân cấp xã nơi cư trú".into(),
        });
    }
    SupplementRequestSlip {
        issuer: ward(),
        issued_on: NaiveDate::from_ymd_opt(2019, 2, 12).unwrap(),
        dossier_code: Some("000.21.11.H53-190212-0008".into()),
        applicant: applicant(),
        procedure: "Đăng ký khai sinh".into(),
        missing,
        officer: "Phạm Quốc Hưng".into(),
        contact_phone: Some("0276 3822 456".into()),
        lookup_url: Some(LOOKUP.into()),
    }
}

fn refusal() -> RefusalSlip {
    RefusalSlip {
        issuer: ward(),
        issued_on: NaiveDate::from_ymd_opt(2019, 2, 5).unwrap(),
        dossier_code: None,
        applicant: Applicant {
            name: "Trương Văn Đạt".into(),
            address: Some("Ấp Tân Hòa, xã Tân Bình, thành phố Tây Ninh".into()),
            phone: None,
            email: None,
        },
        procedure: "Đăng ký kết hôn".into(),
        reasons: vec![
            "Người yêu cầu không cư trú trên địa bàn phường Hiệp Ninh, không thuộc thẩm quyền \
             giải quyết của Ủy ban nhân dân phường."
                .into(),
            "Đề nghị Ông/Bà liên hệ Ủy ban nhân dân xã Tân Bình để được hướng dẫn.".into(),
        ],
        officer: "Phạm Quốc Hưng".into(),
    }
}

fn apology() -> ApologySlip {
    ApologySlip {
        issuer: Issuer {
            parent: Some("Ủy ban nhân dân thành phố Tây Ninh".into()),
            unit: "Phòng Tài nguyên và Môi trường".into(),
            full_name: "Phòng Tài nguyên và Môi trường thành phố Tây Ninh".into(),
            place: "Tây Ninh".into(),
        },
        issued_on: NaiveDate::from_ymd_opt(2019, 2, 26).unwrap(),
        dossier_code: "000.21.11.H53-190212-0007".into(),
        applicant: applicant(),
        procedure: "Đăng ký biến động quyền sử dụng đất".into(),
        received_at: at(2019, 2, 12, 7, 45),
        original_appointment: at(2019, 2, 26, 16, 30),
        reason: "Hồ sơ phải chờ kết quả đo đạc lại thửa đất số 215, tờ bản đồ số 12 từ Văn \
                 phòng đăng ký đất đai."
            .into(),
        new_appointment: at(2019, 3, 5, 9, 0),
        signer: Signer {
            title: "Trưởng phòng".into(),
            name: "Đoàn Minh Quốc".into(),
        },
        lookup_url: Some(LOOKUP.into()),
    }
}

fn control() -> ControlSlip {
    ControlSlip {
        issuer: ward(),
        dossier_code: "000.21.11.H53-190212-0007".into(),
        applicant: applicant(),
        procedure: "Đăng ký khai sinh".into(),
        received_at: at(2019, 2, 12, 7, 45),
        appointment_at: at(2019, 2, 15, 16, 30),
        lead_agency: "Công chức Tư pháp - Hộ tịch phường Hiệp Ninh".into(),
        coordinating_agencies: vec!["Công an phường Hiệp Ninh".into()],
        hand_overs: vec![
            HandOver {
                from_unit: "Bộ phận tiếp nhận và trả kết quả".into(),
                from_person: Some("Phạm Quốc Hưng".into()),
                to_unit: "Công chức Tư pháp - Hộ tịch".into(),
                to_person: Some("Trần Văn Đức".into()),
                at: at(2019, 2, 12, 9, 0),
                due: Some(at(2019, 2, 14, 17, 0)),
                result: Some(Timeliness::Early),
                note: None,
            },
            HandOver {
                from_unit: "Công chức Tư pháp - Hộ tịch".into(),
                from_person: Some("Trần Văn Đức".into()),
                to_unit: "Lãnh đạo Ủy ban nhân dân phường".into(),
                to_person: Some("Lê Thị Hồng".into()),
                at: at(2019, 2, 14, 10, 0),
                due: Some(at(2019, 2, 15, 10, 0)),
                result: Some(Timeliness::Late),
                note: Some("Chờ xác minh".into()),
            },
            HandOver {
                from_unit: "Lãnh đạo Ủy ban nhân dân phường".into(),
                from_person: Some("Lê Thị Hồng".into()),
                to_unit: "Bộ phận tiếp nhận và trả kết quả".into(),
                to_person: Some("Phạm Quốc Hưng".into()),
                at: at(2019, 2, 15, 15, 0),
                due: Some(at(2019, 2, 15, 16, 30)),
                result: Some(Timeliness::OnTime),
                note: None,
            },
        ],
        lookup_url: Some(LOOKUP.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Reading PDFs back with poppler-utils.

fn out_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/slips");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(name: &str, pdf: &[u8]) -> PathBuf {
    let path = out_dir().join(format!("{name}.pdf"));
    std::fs::write(&path, pdf).unwrap();
    path
}

fn have(tool: &str) -> bool {
    let found = Command::new(tool).arg("-v").output().is_ok();
    if !found {
        std::io::stderr()
            .write_all(format!("skipped: {tool} not installed\n").as_bytes())
            .unwrap();
    }
    found
}

fn run(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `pdftotext -layout`, NFC-normalised.
fn text_of(path: &Path) -> String {
    run("pdftotext", &["-layout", path.to_str().unwrap(), "-"])
        .nfc()
        .collect()
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every needle appears, whitespace-insensitively (a paragraph may wrap anywhere), exactly as
/// written otherwise.
fn assert_text(name: &str, text: &str, needles: &[&str]) {
    let flat = collapse(text);
    for needle in needles {
        assert!(
            flat.contains(&collapse(needle)),
            "{name}.pdf lacks {needle:?}; its text:\n{text}"
        );
    }
}

/// Every page is A4 (595 × 842 pt); returns the number of pages.
fn assert_a4(path: &Path) -> usize {
    let info = run("pdfinfo", &["-box", "-l", "99", path.to_str().unwrap()]);
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let boxes: Vec<&str> = info.lines().filter(|l| l.contains("MediaBox:")).collect();
    assert_eq!(boxes.len(), pages, "{info}");
    for line in boxes {
        let nums: Vec<f64> = line
            .split_once("MediaBox:")
            .unwrap()
            .1
            .split_whitespace()
            .map(|n| n.parse().unwrap())
            .collect();
        assert_eq!(nums.len(), 4, "{line}");
        assert_eq!((nums[0], nums[1]), (0.0, 0.0), "{line}");
        assert_eq!(nums[2].round(), 595.0, "{line}");
        assert_eq!(nums[3].round(), 842.0, "{line}");
    }
    assert!(info.contains("(A4)"), "{info}");
    pages
}

/// Every font is embedded (and mapped to Unicode); they are the vendored Liberation Serif.
fn assert_fonts_embedded(path: &Path) {
    let list = run("pdffonts", &[path.to_str().unwrap()]);
    let rows: Vec<&str> = list
        .lines()
        .skip(2)
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert!(!rows.is_empty(), "no fonts:\n{list}");
    for row in rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        let n = cols.len();
        assert!(n >= 6, "{row}");
        assert_eq!(cols[n - 5], "yes", "font not embedded: {row}");
        assert_eq!(cols[n - 3], "yes", "font without a Unicode map: {row}");
        assert!(cols[0].contains("LiberationSerif"), "{row}");
    }
}

/// Rasterises page 1 at 150 dpi and reads the QR code on it.
fn qr_on_page(path: &Path, name: &str) -> Vec<String> {
    let prefix = out_dir().join(format!("{name}-page1"));
    run(
        "pdftoppm",
        &[
            "-r",
            "150",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            path.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
    let png = prefix.with_extension("png");
    let img = image::open(&png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    prepared
        .detect_grids()
        .iter()
        .map(|grid| grid.decode().unwrap().1)
        .collect()
}

/// Writes the slip, checks A4, fonts, the text and (when given) the QR code; returns the text.
fn check(name: &str, pdf: &[u8], needles: &[&str], qr: Option<&str>) -> Option<String> {
    assert!(pdf.starts_with(b"%PDF-"));
    let path = write(name, pdf);
    if !have("pdftotext") {
        return None;
    }
    assert_a4(&path);
    assert_fonts_embedded(&path);
    let text = text_of(&path);
    assert_text(name, &text, needles);
    if let Some(url) = qr {
        assert_eq!(qr_on_page(&path, name), vec![url.to_owned()], "{name}");
    }
    Some(text)
}

const HEADER: [&str; 3] = [
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ",
];

// ---------------------------------------------------------------------------------------------
// The slips.

#[test]
fn receipt_form_01() {
    let pdf = receipt().render_pdf().unwrap();
    let mut needles = HEADER.to_vec();
    needles.extend([
        "Tây Ninh, ngày 12 tháng 02 năm 2019",
        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
        "Mã hồ sơ: 000.21.11.H53-190212-0007",
        "(Liên: Giao người nộp hồ sơ)",
        "Bộ phận tiếp nhận và trả kết quả Ủy ban nhân dân phường Hiệp Ninh tiếp nhận hồ sơ \
         của: Nguyễn Thị Ánh Tuyết",
        "Địa chỉ: Số 12 đường Nguyễn Chí Thanh, khu phố 1, phường Hiệp Ninh, thành phố Tây Ninh",
        "Số điện thoại: 0276 3822 123; Email: anhtuyet@example.vn",
        "Nội dung yêu cầu giải quyết: Đăng ký khai sinh",
        "1. Thành phần hồ sơ nộp gồm:",
        "TT Tên giấy tờ",
        "1 Tờ khai đăng ký khai sinh Bản chính 01",
        "3 Giấy chứng nhận kết hôn của cha, mẹ Bản sao có chứng thực 01",
        "4 Chứng minh nhân dân của người đi đăng ký Bản sao 02",
        "2. Số lượng hồ sơ: 01 (bộ)",
        "3. Thời gian giải quyết hồ sơ theo quy định là: 03 ngày làm việc",
        "4. Thời gian nhận hồ sơ: 07 giờ 45 phút, ngày 12 tháng 02 năm 2019",
        "5. Thời gian trả kết quả giải quyết hồ sơ: 16 giờ 30 phút, ngày 15 tháng 02 năm 2019",
        "6. Đăng ký nhận kết quả tại:",
        "7. Phí, lệ phí: Lệ phí đăng ký khai sinh: 8.000 ₫",
        "Vào Sổ theo dõi hồ sơ, Quyển số: 01/2019, Số thứ tự: 7",
        LOOKUP,
        "NGƯỜI NỘP HỒ SƠ",
        "NGƯỜI TIẾP NHẬN HỒ SƠ",
        "(Ký và ghi rõ họ tên)",
        "Phạm Quốc Hưng",
        "Quét mã để tra cứu",
    ]);
    let Some(text) = check("receipt", &pdf, &needles, Some(LOOKUP)) else {
        return;
    };
    // The header's two blocks sit side by side; the agency's name wraps in its column.
    assert!(text.contains("ỦY BAN NHÂN DÂN"), "{text}");
    assert!(text.contains("PHƯỜNG HIỆP NINH"), "{text}");
    // One page for a usual dossier.
    assert_eq!(assert_a4(&out_dir().join("receipt.pdf")), 1);
}

#[test]
fn supplement_request_form_02() {
    let pdf = supplement(2).render_pdf().unwrap();
    let mut needles = HEADER.to_vec();
    needles.extend([
        "Tây Ninh, ngày 12 tháng 02 năm 2019",
        "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
        "Mã hồ sơ: 000.21.11.H53-190212-0008",
        "tiếp nhận hồ sơ của: Nguyễn Thị Ánh Tuyết",
        "Yêu cầu hoàn thiện hồ sơ gồm những nội dung sau:",
        "Giấy tờ cần bổ sung, hoàn thiện",
        "Lý do",
        "Giấy chứng sinh",
        "Bản chụp không rõ chữ, cần nộp bản chính do cơ sở y tế cấp",
        "Tờ khai đăng ký khai sinh",
        "Thiếu chữ ký của người đi đăng ký",
        "liên hệ với Phạm Quốc Hưng, số điện thoại 0276 3822 456 để được hướng dẫn.",
        "NGƯỜI HƯỚNG DẪN",
        LOOKUP,
    ]);
    check("supplement", &pdf, &needles, Some(LOOKUP));
}

#[test]
fn refusal_form_03() {
    let pdf = refusal().render_pdf().unwrap();
    let mut needles = HEADER.to_vec();
    needles.extend([
        "Tây Ninh, ngày 05 tháng 02 năm 2019",
        "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ",
        "tiếp nhận hồ sơ của: Trương Văn Đạt",
        "Nội dung yêu cầu giải quyết: Đăng ký kết hôn",
        "Địa chỉ: Ấp Tân Hòa, xã Tân Bình, thành phố Tây Ninh",
        "Qua xem xét, Bộ phận tiếp nhận và trả kết quả Ủy ban nhân dân phường Hiệp Ninh từ \
         chối tiếp nhận, giải quyết hồ sơ này với lý do cụ thể như sau:",
        "1. Người yêu cầu không cư trú trên địa bàn phường Hiệp Ninh",
        "2. Đề nghị Ông/Bà liên hệ Ủy ban nhân dân xã Tân Bình để được hướng dẫn.",
        "Xin thông báo cho Ông/Bà được biết và thực hiện./.",
        "NGƯỜI TIẾP NHẬN HỒ SƠ",
        "Phạm Quốc Hưng",
    ]);
    let Some(text) = check("refusal", &pdf, &needles, None) else {
        return;
    };
    assert!(!text.contains("Mã hồ sơ"), "no code was given:\n{text}");
}

#[test]
fn apology_form_04() {
    let pdf = apology().render_pdf().unwrap();
    let needles = [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "PHÒNG TÀI NGUYÊN VÀ MÔI TRƯỜNG",
        "Tây Ninh, ngày 26 tháng 02 năm 2019",
        "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
        "Kính gửi: Nguyễn Thị Ánh Tuyết",
        "Ngày 12 tháng 02 năm 2019, Phòng Tài nguyên và Môi trường thành phố Tây Ninh tiếp \
         nhận giải quyết hồ sơ của Ông/Bà/Tổ chức Nguyễn Thị Ánh Tuyết đề nghị giải quyết thủ \
         tục Đăng ký biến động quyền sử dụng đất.",
        "Mã hồ sơ: 000.21.11.H53-190212-0007.",
        "Thời gian hẹn trả kết quả giải quyết hồ sơ: 16 giờ 30 phút, ngày 26 tháng 02 năm 2019.",
        "Lý do: Hồ sơ phải chờ kết quả đo đạc lại thửa đất số 215, tờ bản đồ số 12",
        "xin lỗi Ông/Bà/Tổ chức và hẹn trả kết quả giải quyết hồ sơ vào 09 giờ 00 phút, ngày \
         05 tháng 3 năm 2019.",
        "Xin trân trọng cảm ơn sự hợp tác của Ông/Bà/Tổ chức./.",
        "TRƯỞNG PHÒNG",
        "(Ký, ghi rõ họ tên và đóng dấu)",
        "Đoàn Minh Quốc",
    ];
    check("apology", &pdf, &needles, Some(LOOKUP));
}

#[test]
fn control_form_05() {
    let pdf = control().render_pdf().unwrap();
    let mut needles = HEADER.to_vec();
    needles.extend([
        "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
        "Mã hồ sơ: 000.21.11.H53-190212-0007",
        "Người nộp hồ sơ: Nguyễn Thị Ánh Tuyết",
        "Nội dung yêu cầu giải quyết: Đăng ký khai sinh",
        "Thời gian nhận hồ sơ: 07 giờ 45 phút, ngày 12 tháng 02 năm 2019",
        "Thời gian hẹn trả kết quả: 16 giờ 30 phút, ngày 15 tháng 02 năm 2019",
        "Cơ quan (bộ phận) giải quyết hồ sơ: Công chức Tư pháp - Hộ tịch phường Hiệp Ninh",
        "Cơ quan phối hợp giải quyết hồ sơ: Công an phường Hiệp Ninh",
        "TÊN CƠ QUAN",
        "GHI CHÚ",
        "Trước hạn",
        "Quá hạn",
        "Đúng hạn",
        "Trần Văn Đức",
        "Lê Thị Hồng",
        "Chờ xác minh",
    ]);
    let Some(text) = check("control", &pdf, &needles, Some(LOOKUP)) else {
        return;
    };
    // The three rows, in order.
    let early = text.find("Trước hạn").unwrap();
    let late = text.find("Quá hạn").unwrap();
    let on_time = text.rfind("Đúng hạn").unwrap();
    assert!(early < late && late < on_time, "{text}");
}

// ---------------------------------------------------------------------------------------------
// Layout, purity, errors.

#[test]
fn long_lists_break_across_pages_with_numbered_pages() {
    let pdf = supplement(40).render_pdf().unwrap();
    let path = write("supplement-long", &pdf);
    if !have("pdftotext") {
        return;
    }
    let pages = assert_a4(&path);
    assert!(pages >= 2, "40 rows should not fit one page");
    let text = text_of(&path);
    for n in 3..=40 {
        assert!(
            text.contains(&format!("Giấy tờ số {n}")),
            "row {n}:\n{text}"
        );
    }
    // The table header repeats on every page, and pages from the second are numbered.
    let pages_text: Vec<&str> = text
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .collect();
    assert_eq!(pages_text.len(), pages);
    for (n, page) in pages_text.iter().enumerate().skip(1) {
        assert!(page.contains("Giấy tờ cần bổ sung, hoàn thiện"), "{page}");
        assert_eq!(page.split_whitespace().next(), Some(&*(n + 1).to_string()));
    }
}

#[test]
fn rendering_is_pure_same_input_same_bytes() {
    assert_eq!(
        receipt().render_pdf().unwrap(),
        receipt().render_pdf().unwrap()
    );
    assert_eq!(
        control().render_pdf().unwrap(),
        control().render_pdf().unwrap()
    );
}

#[test]
fn a_character_the_font_lacks_is_an_error_not_a_box() {
    let mut slip = refusal();
    slip.applicant.name = "Lý 李".into();
    match slip.render_pdf() {
        Err(OutputError::MissingGlyph('李')) => {}
        other => panic!("expected a missing glyph error, got {other:?}"),
    }
}

#[test]
fn a_url_too_long_for_a_qr_code_is_an_error() {
    let mut slip = receipt();
    slip.lookup_url = format!("https://x.example/{}", "a".repeat(5000));
    assert!(matches!(slip.render_pdf(), Err(OutputError::Qr(_))));
    assert!(matches!(qr_svg(&slip.lookup_url), Err(OutputError::Qr(_))));
}

// ---------------------------------------------------------------------------------------------
// QR codes and formats.

#[test]
fn qr_matrix_round_trips_through_a_decoder() {
    let code = QrModules::encode(LOOKUP).unwrap();
    let scale = 4;
    let side = (code.width() + 2 * QUIET_ZONE) * scale;
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| {
        let (mx, my) = (x / scale, y / scale);
        let dark =
            mx >= QUIET_ZONE && my >= QUIET_ZONE && code.is_dark(mx - QUIET_ZONE, my - QUIET_ZONE);
        if dark { 0 } else { 255 }
    });
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1);
    assert_eq!(grids[0].decode().unwrap().1, LOOKUP);
}

#[test]
fn qr_svg_is_a_scalable_accessible_image() {
    let svg = qr_svg(LOOKUP).unwrap();
    let side = QrModules::encode(LOOKUP).unwrap().width() + 2 * QUIET_ZONE;
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.contains(&format!("viewBox=\"0 0 {side} {side}\"")));
    assert!(svg.contains("role=\"img\""));
    assert!(svg.contains("aria-label=\"Mã QR: https://dichvucong.tayninh.example/tra-cuu?"));
    assert!(svg.contains("&amp;SGT="), "the URL's & must be escaped");
    assert!(!svg.contains("&SGT="));
    assert!(svg.ends_with("</svg>"));
}

#[test]
fn dates_follow_the_leading_zero_rule() {
    let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    assert_eq!(date_vi(d(2019, 2, 5)), "ngày 05 tháng 02 năm 2019");
    assert_eq!(date_vi(d(2019, 1, 31)), "ngày 31 tháng 01 năm 2019");
    assert_eq!(date_vi(d(2019, 3, 9)), "ngày 09 tháng 3 năm 2019");
    assert_eq!(date_vi(d(2019, 12, 25)), "ngày 25 tháng 12 năm 2019");
    assert_eq!(
        datetime_vi(at(2019, 2, 5, 7, 5)),
        "07 giờ 05 phút, ngày 05 tháng 02 năm 2019"
    );
}

#[test]
fn money_groups_thousands_with_dots() {
    assert_eq!(vnd(0), "0 ₫");
    assert_eq!(vnd(100), "100 ₫");
    assert_eq!(vnd(8_000), "8.000 ₫");
    assert_eq!(vnd(1_250_000), "1.250.000 ₫");
    assert_eq!(vnd(-50_000), "-50.000 ₫");
}
