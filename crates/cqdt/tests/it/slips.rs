//! The printable slips over HTTP (`GET /api/v1/dossiers/{id}/slips/{form}`), on SQLite and
//! PostgreSQL, with the server's clock in the test's hands: a dossier received at the desk
//! after a supplement request and processed to its return (forms 02, 01, 05), one that runs
//! late and gets the apology (04, 05 with a late step), one refused (03). Each PDF is read back
//! with `pdftotext -layout` for the real values and its QR code is decoded (`pdftoppm` + rqrr);
//! slips the dossier has not reached are 409, strangers 403, anonymous callers 401.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use cqdt_app::ports::FakeClock;
use cqdt_store::testing::TestDb;
use serde_json::{Value, json};
use unicode_normalization::UnicodeNormalization;

use crate::{PW, TestApp, problem};

const FIXTURE: &str = include_str!("../../../store/tests/fixtures/procedures.json");
const PROCEDURE: &str = "Đăng ký thành lập hộ kinh doanh (thử nghiệm)";

/// Local (UTC+7) wall time as microseconds since the epoch.
fn local_us(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
    let local = NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(h, min, 0)
        .unwrap();
    (local - chrono::Duration::hours(7))
        .and_utc()
        .timestamp_micros()
}

/// The demo server with a clock the test moves.
async fn start(db: TestDb, clock: Arc<FakeClock>) -> TestApp {
    TestApp::start_with(db, Some(clock)).await
}

type Session = (reqwest::Client, String);

struct People {
    desk: Session,
    specialist: Session,
    leader: Session,
    citizen: Session,
}

/// Everyone logs in (again: moving the clock by days ends the sessions).
async fn people(t: &TestApp) -> People {
    People {
        desk: t.login("motcua@tayninh.demo").await,
        specialist: t.login("chuyenvien@tayninh.demo").await,
        leader: t.login("lanhdao@tayninh.demo").await,
        citizen: t.login("congdan@tayninh.demo").await,
    }
}

async fn get(c: &reqwest::Client, url: String) -> Value {
    let r = c.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200, "GET {url}");
    r.json().await.unwrap()
}

async fn post(t: &TestApp, (c, csrf): &Session, path: &str, body: Value) -> Value {
    let r = c
        .post(t.url(path))
        .header("x-csrf-token", csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert!(
        status.is_success(),
        "{path} {body} on {}: {status} {v}",
        t.backend()
    );
    v
}

async fn act(t: &TestApp, who: &Session, id: &str, body: Value) -> Value {
    post(t, who, &format!("/api/v1/dossiers/{id}/actions"), body).await
}

fn slip_url(t: &TestApp, id: &str, form: &str) -> String {
    t.url(&format!("/api/v1/dossiers/{id}/slips/{form}"))
}

/// Downloads a slip: 200, a PDF, shown inline under `<code>-mau-<form>.pdf`.
async fn slip(t: &TestApp, who: &Session, id: &str, code: &str, form: &str) -> Vec<u8> {
    let r = who.0.get(slip_url(t, id, form)).send().await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let bytes = r.bytes().await.unwrap().to_vec();
    assert_eq!(
        status,
        200,
        "slip {form} on {}: {}",
        t.backend(),
        String::from_utf8_lossy(&bytes)
    );
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(
        headers["content-disposition"].to_str().unwrap(),
        format!("inline; filename=\"{code}-mau-{form}.pdf\"")
    );
    assert!(bytes.starts_with(b"%PDF-"));
    bytes
}

async fn slip_refused(t: &TestApp, who: &Session, id: &str, form: &str, status: u16, code: &str) {
    let r = who.0.get(slip_url(t, id, form)).send().await.unwrap();
    problem(r, status, code).await;
}

// ---------------------------------------------------------------------------------------------
// Reading PDFs back with poppler-utils.

fn have_poppler() -> bool {
    let found = Command::new("pdftotext").arg("-v").output().is_ok()
        && Command::new("pdftoppm").arg("-v").output().is_ok();
    if !found {
        std::io::stderr()
            .write_all(b"skipped: pdftotext not installed\n")
            .unwrap();
    }
    found
}

fn out_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("slips");
    std::fs::create_dir_all(&dir).unwrap();
    dir
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

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Writes the PDF, checks every needle is in its text (whitespace-insensitively) and returns
/// the QR codes found on page 1.
fn read_slip(name: &str, pdf: &[u8], needles: &[&str]) -> Vec<String> {
    let path = out_dir().join(format!("{name}.pdf"));
    std::fs::write(&path, pdf).unwrap();
    let p = path.to_str().unwrap();
    let text: String = run("pdftotext", &["-layout", p, "-"]).nfc().collect();
    let flat = collapse(&text);
    for needle in needles {
        assert!(
            flat.contains(&collapse(needle)),
            "{name}.pdf lacks {needle:?}; its text:\n{text}"
        );
    }
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
            p,
            prefix.to_str().unwrap(),
        ],
    );
    let img = image::open(prefix.with_extension("png"))
        .unwrap()
        .to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    prepared
        .detect_grids()
        .iter()
        .map(|g| g.decode().unwrap().1)
        .collect()
}

/// The collapsed text of a slip `read_slip` wrote.
fn text_of(name: &str) -> String {
    let path = out_dir().join(format!("{name}.pdf"));
    let text: String = run("pdftotext", &["-layout", path.to_str().unwrap(), "-"])
        .nfc()
        .collect();
    collapse(&text)
}

/// "ngày 06 tháng 3 năm 2025" (leading zero for days and for months 1–2).
fn date_vi(d: NaiveDate) -> String {
    use chrono::Datelike;
    let m = if d.month() <= 2 {
        format!("{:02}", d.month())
    } else {
        d.month().to_string()
    };
    format!("ngày {:02} tháng {m} năm {}", d.day(), d.year())
}

/// "16 giờ 30 phút, ngày 06 tháng 3 năm 2025".
fn datetime_vi(at: NaiveDateTime) -> String {
    format!("{}, {}", at.format("%H giờ %M phút"), date_vi(at.date()))
}

/// An RFC 3339 instant of the API in local time.
fn local_of(rfc3339: &str) -> NaiveDateTime {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().naive_utc() + chrono::Duration::hours(7)
}

#[tokio::test]
async fn slips_of_real_dossiers_over_http() {
    for db in TestDb::all("slips_http").await.expect("database") {
        // Monday 3 March 2025, 08:00 in Tây Ninh.
        let clock = Arc::new(FakeClock::new(local_us(2025, 3, 3, 8, 0)));
        let t = start(db, clock.clone()).await;
        let poppler = have_poppler();
        let backend = t.backend();
        let anon = TestApp::client();
        let admin = t.login("quantri@tayninh.demo").await;
        let items: Value = serde_json::from_str(FIXTURE).unwrap();
        post(&t, &admin, "/api/v1/procedures/import", items).await;
        let business = get(&anon, t.url("/api/v1/procedures?q=9.900002")).await["items"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let city = get(&anon, t.url("/api/v1/agencies?q=000.00.20.H53")).await["items"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let p = people(&t).await;
        let values = json!({"ten_ho_kinh_doanh": "Tạp hóa Ánh Tuyết", "nganh_nghe": "Bán lẻ"});

        // ---- A: registered at the desk, supplement at reception, received, processed,
        // returned.
        let d = post(
            &t,
            &p.desk,
            "/api/v1/dossiers/desk",
            json!({
                "procedure_id": business, "agency_id": city, "accept": false,
                "applicant": {"name": "Nguyễn Thị Ánh Tuyết", "id_number": "072190001234",
                              "phone": "0912345670",
                              "address": "Số 12 đường Nguyễn Chí Thanh, phường 3, thành phố Tây Ninh"},
                "values": values, "return_method": "desk"
            }),
        )
        .await;
        let a = d["id"].as_str().unwrap().to_string();
        let a_code = d["code"].as_str().unwrap().to_string();
        assert_eq!(a_code, "000.00.20.H53-250303-0001", "{backend}");
        let a_lookup = format!("{}/tra-cuu?MHS={a_code}", t.base);
        // Not received yet: no receipt, no control slip; nothing else either.
        for form in ["01", "02", "03", "04", "05"] {
            slip_refused(&t, &p.desk, &a, form, 409, "slip.not_available").await;
        }
        slip_refused(&t, &p.desk, &a, "06", 422, "validation.invalid_choice").await;
        slip_refused(&t, &p.desk, &a, "mau", 422, "validation.invalid_choice").await;
        let r = p
            .desk
            .0
            .get(t.url("/api/v1/dossiers/00000000-0000-0000-0000-000000000000/slips/01"))
            .send()
            .await
            .unwrap();
        problem(r, 404, "dossier.not_found").await;

        clock.advance_secs(10 * 60);
        act(
            &t,
            &p.desk,
            &a,
            json!({"action": "request_supplement", "reasons": [
                "Giấy đề nghị đăng ký hộ kinh doanh: thiếu chữ ký của chủ hộ",
                "Bản sao giấy tờ pháp lý của cá nhân: bản chụp không rõ số định danh"
            ]}),
        )
        .await;
        let pdf = slip(&t, &p.desk, &a, &a_code, "02").await;
        if poppler {
            let qr = read_slip(
                &format!("{backend}-a-02"),
                &pdf,
                &[
                    "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
                    "Tây Ninh, ngày 03 tháng 3 năm 2025",
                    "UBND TỈNH TÂY NINH",
                    &format!("Mã hồ sơ: {a_code}"),
                    "Nguyễn Thị Ánh Tuyết",
                    PROCEDURE,
                    "Giấy đề nghị đăng ký hộ kinh doanh",
                    "thiếu chữ ký của chủ hộ",
                    "bản chụp không rõ số định danh",
                    "Trần Thị Một",
                ],
            );
            assert_eq!(qr, vec![a_lookup.clone()], "{backend}");
        }
        clock.advance_secs(20 * 60);
        act(
            &t,
            &p.desk,
            &a,
            json!({"action": "answer_supplement", "note": "Đã ký"}),
        )
        .await;
        clock.advance_secs(30 * 60);
        // 09:00: received; the clock starts.
        let v = act(&t, &p.desk, &a, json!({"action": "accept"})).await;
        let appointment = local_of(v["appointment_at"].as_str().unwrap());
        assert_eq!(
            appointment.date(),
            NaiveDate::from_ymd_opt(2025, 3, 6).unwrap(),
            "{backend}: three working days from Monday"
        );
        slip_refused(&t, &p.desk, &a, "03", 409, "slip.not_available").await;
        slip_refused(&t, &p.desk, &a, "04", 409, "slip.not_available").await;
        let pdf = slip(&t, &p.desk, &a, &a_code, "01").await;
        if poppler {
            let qr = read_slip(
                &format!("{backend}-a-01"),
                &pdf,
                &[
                    "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
                    "UBND TỈNH TÂY NINH",
                    "UBND THÀNH PHỐ TÂY NINH",
                    "Tây Ninh, ngày 03 tháng 3 năm 2025",
                    &format!("Mã hồ sơ: {a_code}"),
                    "UBND thành phố Tây Ninh tiếp nhận hồ sơ của: Nguyễn Thị Ánh Tuyết",
                    "Số 12 đường Nguyễn Chí Thanh, phường 3, thành phố Tây Ninh",
                    &format!("Nội dung yêu cầu giải quyết: {PROCEDURE}"),
                    "1 Giấy đề nghị đăng ký hộ kinh doanh Bản chính 01",
                    "2 Bản sao giấy tờ pháp lý của cá nhân Bản sao 01",
                    "3. Thời gian giải quyết hồ sơ theo quy định là: 03 ngày làm việc",
                    "4. Thời gian nhận hồ sơ: 09 giờ 00 phút, ngày 03 tháng 3 năm 2025",
                    &format!(
                        "5. Thời gian trả kết quả giải quyết hồ sơ: {}",
                        datetime_vi(appointment)
                    ),
                    "Lệ phí đăng ký hộ kinh doanh: 100.000 ₫",
                    &a_lookup,
                    "Trần Thị Một",
                ],
            );
            assert_eq!(qr, vec![a_lookup.clone()], "{backend}");
        }
        clock.advance_secs(30 * 60);
        act(&t, &p.desk, &a, json!({"action": "hand_over"})).await;
        clock.advance_secs(4 * 3600 + 30 * 60);
        act(
            &t,
            &p.specialist,
            &a,
            json!({"action": "process", "note": "Hồ sơ hợp lệ"}),
        )
        .await;
        // Tuesday 4 March, 08:30: the sessions of Monday are over.
        clock.advance_secs(local_us(2025, 3, 4, 8, 30) / 1_000_000 - clock_secs(&clock));
        let p = people(&t).await;
        act(&t, &p.leader, &a, json!({"action": "approve"})).await;
        clock.advance_secs(30 * 60);
        let v = act(&t, &p.specialist, &a, json!({"action": "result_ready"})).await;
        assert_eq!(v["timeliness"], "early", "{backend}");
        clock.advance_secs(60 * 60);
        act(
            &t,
            &p.desk,
            &a,
            json!({"action": "return_result", "method": "desk"}),
        )
        .await;
        let pdf = slip(&t, &p.desk, &a, &a_code, "05").await;
        if poppler {
            let qr = read_slip(
                &format!("{backend}-a-05"),
                &pdf,
                &[
                    "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
                    &format!("Mã hồ sơ: {a_code}"),
                    "Người nộp hồ sơ: Nguyễn Thị Ánh Tuyết",
                    PROCEDURE,
                    "Thời gian nhận hồ sơ: 09 giờ 00 phút, ngày 03 tháng 3 năm 2025",
                    &format!("Thời gian hẹn trả kết quả: {}", datetime_vi(appointment)),
                    "Cơ quan (bộ phận) giải quyết hồ sơ: UBND thành phố Tây Ninh",
                    // The table wraps its cells: short pieces only.
                    "1. Giao: Tổ chức, cá",
                    "Nhận: Bộ phận Một",
                    "Nhận: Phòng Tài chính",
                    "Nhận: Lãnh đạo",
                    "Giao, nhận: 09 giờ 30",
                    "Giao, nhận: 14 giờ 00",
                    "Giao, nhận: 08 giờ 30",
                    "Hạn xử lý: 11 giờ 30",
                    "Trần Thị Một",
                    "Lê Văn Chuyên",
                    "Phạm Thị Lãnh",
                    "Hồ sơ hợp lệ",
                    "6. Giao: Bộ phận Một",
                ],
            );
            assert_eq!(qr, vec![a_lookup.clone()], "{backend}");
            // Five steps ended early (besides the column headers); none late.
            let text = text_of(&format!("{backend}-a-05"));
            assert!(text.matches("Trước hạn").count() > 5, "{text}");
            assert_eq!(text.matches("Quá hạn").count(), 0, "{text}");
        }
        // The receipt stays available after the return; the apology never existed.
        slip(&t, &p.desk, &a, &a_code, "01").await;
        slip_refused(&t, &p.desk, &a, "04", 409, "slip.not_available").await;
        // The specialist and the leader of the agency may print it too.
        slip(&t, &p.leader, &a, &a_code, "05").await;
        // A citizen whose dossier it is not, and an anonymous caller, may not.
        slip_refused(&t, &p.citizen, &a, "01", 403, "auth.forbidden").await;
        let r = anon.get(slip_url(&t, &a, "01")).send().await.unwrap();
        problem(r, 401, "auth.unauthenticated").await;

        // ---- C: refused at the desk.
        let d = post(
            &t,
            &p.desk,
            "/api/v1/dossiers/desk",
            json!({
                "procedure_id": business, "agency_id": city, "accept": false,
                "applicant": {"name": "Trương Văn Đạt", "phone": "0912345671"},
                "values": values
            }),
        )
        .await;
        let c = d["id"].as_str().unwrap().to_string();
        let c_code = d["code"].as_str().unwrap().to_string();
        clock.advance_secs(5 * 60);
        act(
            &t,
            &p.desk,
            &c,
            json!({"action": "refuse", "reasons": ["Người yêu cầu không cư trú trên địa bàn, không thuộc thẩm quyền giải quyết."]}),
        )
        .await;
        for form in ["01", "02", "04", "05"] {
            slip_refused(&t, &p.desk, &c, form, 409, "slip.not_available").await;
        }
        let pdf = slip(&t, &p.desk, &c, &c_code, "03").await;
        if poppler {
            read_slip(
                &format!("{backend}-c-03"),
                &pdf,
                &[
                    "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ",
                    "Tây Ninh, ngày 04 tháng 3 năm 2025",
                    &format!("Mã hồ sơ: {c_code}"),
                    "Trương Văn Đạt",
                    PROCEDURE,
                    "1. Người yêu cầu không cư trú trên địa bàn, không thuộc thẩm quyền giải quyết.",
                    "Trần Thị Một",
                ],
            );
        }

        // ---- B: received on Tuesday, linked to the citizen's account, runs late, apology.
        let d = post(
            &t,
            &p.desk,
            "/api/v1/dossiers/desk",
            json!({
                "procedure_id": business, "agency_id": city, "accept": true,
                "applicant": {"name": "Ngô Thị Dân", "id_number": "072190000001",
                              "phone": "0912345678", "account": "congdan@tayninh.demo",
                              "address": "Phường 1, thành phố Tây Ninh"},
                "values": values, "return_method": "post"
            }),
        )
        .await;
        let b = d["id"].as_str().unwrap().to_string();
        let b_code = d["code"].as_str().unwrap().to_string();
        let b_lookup = format!("{}/tra-cuu?MHS={b_code}", t.base);
        let due = local_of(d["appointment_at"].as_str().unwrap());
        assert_eq!(due.date(), NaiveDate::from_ymd_opt(2025, 3, 7).unwrap());
        clock.advance_secs(15 * 60);
        act(&t, &p.desk, &b, json!({"action": "hand_over"})).await;
        slip_refused(&t, &p.citizen, &b, "04", 409, "slip.not_available").await;
        slip_refused(&t, &p.citizen, &b, "02", 409, "slip.not_available").await;
        // Monday 10 March, 09:00: past the appointment.
        clock.advance_secs(local_us(2025, 3, 10, 9, 0) / 1_000_000 - clock_secs(&clock));
        let p = people(&t).await;
        act(
            &t,
            &p.specialist,
            &b,
            json!({"action": "issue_apology",
                   "reason": "Phải xác minh thêm địa điểm kinh doanh với UBND phường 3.",
                   "new_appointment": {"until_date": "2025-03-12"}}),
        )
        .await;
        clock.advance_secs(60 * 60);
        act(&t, &p.specialist, &b, json!({"action": "process"})).await;
        // The applicant prints the apology addressed to them.
        let pdf = slip(&t, &p.citizen, &b, &b_code, "04").await;
        if poppler {
            let qr = read_slip(
                &format!("{backend}-b-04"),
                &pdf,
                &[
                    "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
                    "Tây Ninh, ngày 10 tháng 3 năm 2025",
                    "Kính gửi: Ngô Thị Dân",
                    "Ngày 04 tháng 3 năm 2025, UBND thành phố Tây Ninh tiếp nhận giải quyết hồ sơ",
                    PROCEDURE,
                    &format!("Mã hồ sơ: {b_code}"),
                    &format!(
                        "Thời gian hẹn trả kết quả giải quyết hồ sơ: {}",
                        datetime_vi(due)
                    ),
                    "Lý do: Phải xác minh thêm địa điểm kinh doanh với UBND phường 3.",
                    "ngày 12 tháng 3 năm 2025",
                    "Lê Văn Chuyên",
                ],
            );
            assert_eq!(qr, vec![b_lookup.clone()], "{backend}");
        }
        let pdf = slip(&t, &p.desk, &b, &b_code, "05").await;
        if poppler {
            let qr = read_slip(
                &format!("{backend}-b-05"),
                &pdf,
                &[
                    &format!("Mã hồ sơ: {b_code}"),
                    "Người nộp hồ sơ: Ngô Thị Dân",
                    "Xin lỗi, hẹn lại",
                    "12/03/2025",
                    // The appointment in effect is the apology's.
                    "Thời gian hẹn trả kết quả: 17 giờ 00 phút, ngày 12 tháng 3 năm 2025",
                ],
            );
            assert_eq!(qr, vec![b_lookup], "{backend}");
            // The assessment, due on 5 March, was done on the 10th.
            let text = text_of(&format!("{backend}-b-05"));
            assert!(text.matches("Quá hạn").count() >= 1, "{text}");
        }
        let pdf = slip(&t, &p.citizen, &b, &b_code, "01").await;
        if poppler {
            read_slip(
                &format!("{backend}-b-01"),
                &pdf,
                &[
                    "Ngô Thị Dân",
                    "Qua dịch vụ bưu chính công ích",
                    &datetime_vi(due),
                ],
            );
        }
        // The citizen may not see A's slips, nor the other citizen B's.
        slip_refused(&t, &p.citizen, &a, "05", 403, "auth.forbidden").await;
        let other = TestApp::client();
        let r = other
            .post(t.url("/api/v1/auth/register"))
            .json(&json!({"full_name": "Lý Văn Khác", "login": "khac@example.vn", "password": PW}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let other = t.login("khac@example.vn").await;
        slip_refused(&t, &other, &b, "04", 403, "auth.forbidden").await;
        t.stop().await;
    }
}

fn clock_secs(clock: &FakeClock) -> i64 {
    use cqdt_app::Clock;
    clock.now_us() / 1_000_000
}
