//! The procedure catalogue: codes, levels, import validation, form validation, route
//! allotments.

use std::collections::BTreeMap;

use cqdt_domain::calendar::{DossierClock, WorkDuration};
use cqdt_domain::error::ErrorCode;
use cqdt_domain::policy::Role;
use cqdt_domain::procedure::{
    ApplicantForm, FieldType, FormField, LocalCode, NationalCode, Procedure, ProcedureError,
    RouteStep, ServiceLevel, check_allotments,
};
use unicode_normalization::UnicodeNormalization;

use super::{engine, vn};

#[test]
fn national_codes() {
    for ok in ["1.000894", "2.002154", "1.001612", "3.000181", " 2.000884 "] {
        assert_eq!(
            NationalCode::parse(ok).unwrap().as_str(),
            ok.trim(),
            "{ok:?}"
        );
    }
    for bad in [
        "1000894",
        "1.00089",
        "1.0008945",
        "A.000894",
        "1-000894",
        "12.00894",
        "1.00089a",
        "",
    ] {
        assert_eq!(
            NationalCode::parse(bad).unwrap_err().code(),
            "procedure.invalid_national_code",
            "{bad:?}"
        );
    }
}

#[test]
fn local_codes() {
    let c = LocalCode::parse("1.010708.000.00.00.H56").unwrap();
    assert_eq!(c.national().as_str(), "1.010708");
    assert_eq!(
        LocalCode::parse("1.000948.h38").unwrap().as_str(),
        "1.000948.H38"
    );
    assert!(LocalCode::parse("2.000815.000.00.00.H55").is_ok());
    for bad in [
        "1.000948",
        "1.000948.",
        "1.000948.X",
        "1.000948.000.00.H53",
        "1.00094.000.00.00.H53",
        "1.000948-000.00.00.H53",
    ] {
        assert_eq!(
            LocalCode::parse(bad).unwrap_err().code(),
            "procedure.invalid_local_code",
            "{bad:?}"
        );
    }
}

#[test]
fn service_levels_speak_both_vocabularies() {
    let table = [
        (
            ServiceLevel::InformationOnly,
            2,
            "Cung cấp thông tin",
            false,
            false,
        ),
        (
            ServiceLevel::PartlyOnline,
            3,
            "Dịch vụ công trực tuyến một phần",
            true,
            false,
        ),
        (
            ServiceLevel::FullyOnline,
            4,
            "Dịch vụ công trực tuyến toàn trình",
            true,
            true,
        ),
    ];
    for (level, n, label, submit, result) in table {
        assert_eq!(level.level_2019(), n);
        assert_eq!(ServiceLevel::from_level_2019(n), Some(level));
        assert_eq!(level.label_vi(), label);
        assert_eq!(level.label_2019_vi(), format!("Mức độ {n}"));
        assert_eq!(level.allows_online_submission(), submit);
        assert_eq!(level.allows_online_result(), result);
    }
    assert_eq!(ServiceLevel::from_level_2019(5), None);
    assert_eq!(
        serde_json::to_string(&ServiceLevel::PartlyOnline).unwrap(),
        "\"partly_online\""
    );
}

fn field(key: &str, t: FieldType, required: bool) -> FormField {
    FormField {
        key: key.into(),
        label: key.into(),
        field_type: t,
        required,
        max_length: None,
        choices: vec![],
        help: None,
    }
}

fn applicant_form() -> ApplicantForm {
    let mut name = field("ho_ten", FieldType::Text, true);
    name.max_length = Some(20);
    let mut sex = field("gioi_tinh", FieldType::Choice, false);
    sex.choices = vec!["Nam".into(), "Nữ".into()];
    ApplicantForm::new(vec![
        name,
        field("ngay_sinh", FieldType::Date, true),
        field("so_dinh_danh", FieldType::IdNumber, true),
        field("dien_thoai", FieldType::Phone, false),
        field("thu_dien_tu", FieldType::Email, false),
        sex,
        field("dia_chi", FieldType::Address, false),
        field("so_ban", FieldType::Number, false),
    ])
}

fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn form_values_are_normalised() {
    let decomposed: String = "Nguyễn Thị Nữ".nfd().collect();
    assert_ne!(decomposed, "Nguyễn Thị Nữ");
    let nu_nfd: String = "Nữ".nfd().collect();
    let addr_nfd: String = "Số 1, Phường 3, Thành phố Tây Ninh".nfd().collect();
    let out = applicant_form()
        .validate(&values(&[
            ("ho_ten", &format!("  {decomposed} ")),
            ("ngay_sinh", "05/03/1990"),
            ("so_dinh_danh", "072 190 001 234"),
            ("dien_thoai", "+84 912.345.678"),
            ("thu_dien_tu", "Cong.Dan@Example.VN"),
            ("gioi_tinh", &nu_nfd),
            ("dia_chi", &addr_nfd),
            ("so_ban", "1,5"),
        ]))
        .unwrap();
    assert_eq!(out.get("ho_ten"), Some("Nguyễn Thị Nữ"));
    assert_eq!(out.get("ngay_sinh"), Some("1990-03-05"));
    assert_eq!(out.get("so_dinh_danh"), Some("072190001234"));
    assert_eq!(out.get("dien_thoai"), Some("0912345678"));
    assert_eq!(out.get("thu_dien_tu"), Some("cong.dan@example.vn"));
    assert_eq!(out.get("gioi_tinh"), Some("Nữ"));
    assert_eq!(
        out.get("dia_chi"),
        Some("Số 1, Phường 3, Thành phố Tây Ninh")
    );
    assert_eq!(out.get("so_ban"), Some("1.5"));

    // Optional fields may be left out; ISO dates, old 9-digit ID cards and landlines pass.
    let out = applicant_form()
        .validate(&values(&[
            ("ho_ten", "Trần Văn B"),
            ("ngay_sinh", "1985-12-31"),
            ("so_dinh_danh", "290123456"),
            ("dien_thoai", "0276 3822 227"),
            ("thu_dien_tu", "   "),
        ]))
        .unwrap();
    assert_eq!(out.get("ngay_sinh"), Some("1985-12-31"));
    assert_eq!(out.get("so_dinh_danh"), Some("290123456"));
    assert_eq!(out.get("dien_thoai"), Some("02763822227"));
    assert_eq!(out.get("thu_dien_tu"), None);
}

#[test]
fn form_errors_are_all_reported_with_codes() {
    let errors = applicant_form()
        .validate(&values(&[
            ("ho_ten", "Một cái tên dài hơn hai mươi ký tự"),
            ("ngay_sinh", "31/02/1990"),
            ("so_dinh_danh", "07219000123"),
            ("dien_thoai", "12345"),
            ("thu_dien_tu", "khong-phai-thu"),
            ("gioi_tinh", "Khác"),
            ("so_ban", "1.000.000"),
            ("truong_la", "x"),
        ]))
        .unwrap_err();
    let got: Vec<(&str, ErrorCode)> = errors.iter().map(|e| (e.field.as_str(), e.code)).collect();
    assert_eq!(
        got,
        vec![
            ("ho_ten", ErrorCode::TooLong),
            ("ngay_sinh", ErrorCode::InvalidDate),
            ("so_dinh_danh", ErrorCode::InvalidIdNumber),
            ("dien_thoai", ErrorCode::InvalidPhone),
            ("thu_dien_tu", ErrorCode::InvalidEmail),
            ("gioi_tinh", ErrorCode::InvalidChoice),
            ("so_ban", ErrorCode::InvalidFormat),
            ("truong_la", ErrorCode::UnknownField),
        ]
    );
    let errors = applicant_form().validate(&BTreeMap::new()).unwrap_err();
    let required: Vec<&str> = errors
        .iter()
        .filter(|e| e.code == ErrorCode::Required)
        .map(|e| e.field.as_str())
        .collect();
    assert_eq!(required, vec!["ho_ten", "ngay_sinh", "so_dinh_danh"]);
    // Vietnamese mobile prefixes without the leading 0, and ID numbers of other lengths.
    for (phone, ok) in [
        ("0912345678", true),
        ("912345678", false),
        ("+8491234567", false),
    ] {
        let r = applicant_form().validate(&values(&[
            ("ho_ten", "A"),
            ("ngay_sinh", "01/01/2000"),
            ("so_dinh_danh", "072190001234"),
            ("dien_thoai", phone),
        ]));
        assert_eq!(r.is_ok(), ok, "{phone}");
    }
    for (id, ok) in [
        ("072190001234", true),
        ("290123456", true),
        ("0721900012345", false),
        ("29012345", false),
        ("07219000123A", false),
    ] {
        let r = applicant_form().validate(&values(&[
            ("ho_ten", "A"),
            ("ngay_sinh", "01/01/2000"),
            ("so_dinh_danh", id),
        ]));
        assert_eq!(r.is_ok(), ok, "{id}");
    }
}

const MARRIAGE: &str = r#"{
  "national_code": "1.000894",
  "local_code": "1.000894.000.00.00.H53",
  "name": "Đăng ký kết hôn",
  "field": {"code": "G06-TP02", "name": "Hộ tịch"},
  "agencies": ["01900000-0000-7000-8000-000000000001"],
  "level": "partly_online",
  "legal_time": {"days": 5},
  "fees": [{"name": "Lệ phí đăng ký kết hôn", "kind": "charge", "amount_vnd": 0,
            "note": "Miễn lệ phí khi đăng ký tại UBND cấp xã"}],
  "parts": [
    {"name": "Tờ khai đăng ký kết hôn", "required": true, "form": "original", "count": 1,
     "template": "to-khai-dang-ky-ket-hon.docx"},
    {"name": "Giấy xác nhận tình trạng hôn nhân", "required": false, "form": "original", "count": 1}
  ],
  "form": [
    {"key": "ho_ten_chong", "label": "Họ, chữ đệm, tên người chồng", "type": "text", "required": true},
    {"key": "ho_ten_vo", "label": "Họ, chữ đệm, tên người vợ", "type": "text", "required": true},
    {"key": "dien_thoai", "label": "Số điện thoại", "type": "phone"}
  ],
  "route": [
    {"name": "Tiếp nhận", "role": "one_stop_officer", "allotted": {"half_days": 1}},
    {"name": "Công chức tư pháp - hộ tịch xem xét", "role": "specialist", "allotted": {"days": 3}},
    {"name": "Chủ tịch UBND xã ký", "role": "leader", "allotted": {"days": 1}},
    {"name": "Trả kết quả", "role": "one_stop_officer", "allotted": {"half_days": 1}}
  ],
  "result": "Giấy chứng nhận kết hôn",
  "legal_basis": ["Luật Hộ tịch số 60/2014/QH13", "Nghị định 123/2015/NĐ-CP"],
  "effective_from": "2016-01-01",
  "version": 1
}"#;

#[test]
fn imports_a_procedure_from_json() {
    let p = Procedure::from_json(MARRIAGE).unwrap();
    assert_eq!(p.national_code.as_str(), "1.000894");
    assert_eq!(p.level.level_2019(), 3);
    assert_eq!(p.route.len(), 4);
    assert_eq!(p.total_fees_vnd(), 0);
    assert!(p.is_effective_on(chrono::NaiveDate::from_ymd_opt(2025, 3, 3).unwrap()));
    assert!(!p.is_effective_on(chrono::NaiveDate::from_ymd_opt(2015, 12, 31).unwrap()));
    let terms = p.terms();
    assert_eq!(terms.version, 1);
    assert_eq!(terms.legal_time, WorkDuration::Days(5));
    // Serialises back to something that imports to the same value.
    let again = Procedure::from_json(&serde_json::to_string(&p).unwrap()).unwrap();
    assert_eq!(again, p);
    // The form validates through the procedure.
    assert!(
        p.validate_form(&values(&[("ho_ten_chong", "A"), ("ho_ten_vo", "B")]))
            .is_ok()
    );
}

fn import_codes(json: &str) -> Vec<&'static str> {
    Procedure::from_json(json)
        .unwrap_err()
        .iter()
        .map(ProcedureError::code)
        .collect()
}

#[test]
fn import_refuses_bad_procedures() {
    let unknown = MARRIAGE.replace("\"version\": 1", "\"version\": 1, \"colour\": \"red\"");
    assert_eq!(import_codes(&unknown), vec!["procedure.parse"]);
    let bad_code = MARRIAGE.replace("\"1.000894\"", "\"1000894\"");
    assert_eq!(import_codes(&bad_code), vec!["procedure.parse"]);
    let mismatch = MARRIAGE.replace("{\"days\": 3}", "{\"days\": 2}");
    let errors = Procedure::from_json(&mismatch).unwrap_err();
    assert_eq!(errors[0].code(), "procedure.allotment_mismatch");
    assert_eq!(
        errors[0].message_vi(),
        "Tổng thời gian các bước của quy trình (4 ngày) không bằng thời hạn giải quyết (5 ngày)."
    );
    let local = MARRIAGE.replace("1.000894.000.00.00.H53", "1.000895.000.00.00.H53");
    assert_eq!(import_codes(&local), vec!["procedure.invalid"]);
    let several = MARRIAGE
        .replace(
            "\"agencies\": [\"01900000-0000-7000-8000-000000000001\"]",
            "\"agencies\": []",
        )
        .replace("\"name\": \"Đăng ký kết hôn\"", "\"name\": \"  \"")
        .replace(
            "\"count\": 1,\n     \"template\"",
            "\"count\": 0,\n     \"template\"",
        )
        .replace("\"type\": \"phone\"", "\"type\": \"choice\"")
        .replace("\"key\": \"ho_ten_vo\"", "\"key\": \"ho_ten_chong\"")
        .replace(
            "\"effective_from\": \"2016-01-01\"",
            "\"effective_from\": \"2016-01-01\", \"effective_to\": \"2015-01-01\"",
        )
        .replace("\"version\": 1", "\"version\": 0");
    assert_eq!(
        import_codes(&several),
        vec![
            "procedure.required",
            "procedure.no_agency",
            "procedure.invalid",
            "procedure.duplicate_key",
            "procedure.required",
            "procedure.invalid_dates",
            "procedure.invalid_version",
        ]
    );
    let paths: Vec<Option<String>> = Procedure::from_json(&several)
        .unwrap_err()
        .iter()
        .map(|e| e.path().map(str::to_string))
        .collect();
    assert_eq!(paths[2].as_deref(), Some("parts[0].count"));
    assert_eq!(paths[3].as_deref(), Some("form[1].key"));
    assert_eq!(paths[4].as_deref(), Some("form[2].choices"));
    let inter = MARRIAGE.replace(
        "\"role\": \"leader\", \"allotted\": {\"days\": 1}",
        "\"role\": \"leader\", \"allotted\": {\"days\": 1}, \"inter_agency\": true",
    );
    assert_eq!(import_codes(&inter), vec!["procedure.required"]);
    let template = MARRIAGE.replace("to-khai-dang-ky-ket-hon.docx", "../etc/passwd");
    assert_eq!(import_codes(&template), vec!["procedure.invalid"]);
    // NFC at import.
    let nfd: String = MARRIAGE.nfd().collect();
    assert_eq!(Procedure::from_json(&nfd).unwrap().name, "Đăng ký kết hôn");
}

fn route(durations: &[WorkDuration]) -> Vec<RouteStep> {
    durations
        .iter()
        .enumerate()
        .map(|(i, d)| RouteStep {
            name: format!("Bước {}", i + 1),
            agency: None,
            unit: None,
            role: Role::Specialist,
            allotted: *d,
            inter_agency: false,
        })
        .collect()
}

#[test]
fn route_allotments_must_sum_to_the_legal_time() {
    use WorkDuration::{Days, HalfDays, Minutes};
    let cases: Vec<(WorkDuration, Vec<WorkDuration>, Result<(), &str>)> = vec![
        (Days(5), vec![], Ok(())),
        (
            Days(5),
            vec![HalfDays(1), Days(3), Days(1), HalfDays(1)],
            Ok(()),
        ),
        (Days(5), vec![HalfDays(10)], Ok(())),
        (HalfDays(3), vec![Days(1), HalfDays(1)], Ok(())),
        (Days(0), vec![Days(0)], Ok(())),
        (Minutes(240), vec![Minutes(60), Minutes(180)], Ok(())),
        (
            Days(5),
            vec![HalfDays(1), Days(3), Days(1)],
            Err("procedure.allotment_mismatch"),
        ),
        (Days(5), vec![Days(6)], Err("procedure.allotment_mismatch")),
        (
            Days(5),
            vec![Days(4), Minutes(450)],
            Err("procedure.allotment_unit_mismatch"),
        ),
        (
            Minutes(240),
            vec![Days(1)],
            Err("procedure.allotment_unit_mismatch"),
        ),
    ];
    for (total, steps, expected) in cases {
        let steps = route(&steps);
        let got = check_allotments(total, &steps).map_err(|e| e.code());
        assert_eq!(got, expected, "{total:?} {steps:?}");
        // The deadline engine agrees with the catalogue check.
        let clock =
            DossierClock::start(cqdt_domain::calendar::to_local(vn(2025, 3, 3, 9, 0)), total)
                .with_steps(cqdt_domain::procedure::step_allotments(&steps));
        assert_eq!(
            clock.evaluate(&engine()).is_ok(),
            expected.is_ok(),
            "{total:?}"
        );
    }
    let e = check_allotments(Days(5), &route(&[HalfDays(9)])).unwrap_err();
    assert_eq!(
        e.message_vi(),
        "Tổng thời gian các bước của quy trình (4,5 ngày) không bằng thời hạn giải quyết (5 ngày)."
    );
}

#[test]
fn procedure_error_codes_are_listed_and_unique() {
    let samples = [
        ProcedureError::Parse {
            message: "x".into(),
        },
        ProcedureError::InvalidNationalCode { value: "x".into() },
        ProcedureError::InvalidLocalCode { value: "x".into() },
        ProcedureError::Required { path: "x".into() },
        ProcedureError::TooLong {
            path: "x".into(),
            max: 1,
        },
        ProcedureError::Invalid {
            path: "x".into(),
            reason: "y".into(),
        },
        ProcedureError::DuplicateKey {
            path: "x".into(),
            key: "y".into(),
        },
        ProcedureError::NoAgency,
        ProcedureError::AllotmentMismatch {
            steps: "1".into(),
            total: "2".into(),
        },
        ProcedureError::AllotmentUnitMismatch { path: "x".into() },
        ProcedureError::InvalidDates,
        ProcedureError::InvalidVersion,
    ];
    let mut seen = std::collections::BTreeSet::new();
    for e in &samples {
        assert!(ProcedureError::CODES.contains(&e.code()), "{}", e.code());
        assert!(seen.insert(e.code()));
        assert!(!e.message_vi().is_empty());
    }
    assert_eq!(seen.len(), ProcedureError::CODES.len());
}
