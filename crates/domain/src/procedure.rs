//! The procedure catalogue (thủ tục hành chính, TTHC): what a procedure is, as the national
//! database and a province publish it, and the validation of the applicant's form.
//!
//! A [`Procedure`] is one *version* of a catalogue entry. Dossiers keep the [`ProcedureTerms`]
//! of the version they were submitted under (see `crate::dossier`). Import goes through serde
//! (unknown fields are refused) and [`Procedure::validate`], which normalises every text to NFC
//! and checks the cross-field rules (route allotments add up to the legal time, form fields are
//! well formed, effective dates are ordered…). See `docs/dossiers.md`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::agency::{AgencyIdentifier, normalize_phone, valid_email};
use crate::calendar::{StepAllotment, WorkDuration};
use crate::error::ErrorCode;
use crate::ids::AgencyId;
use crate::policy::Role;
use crate::text::{nfc, nfc_opt};

// ---------------------------------------------------------------------------------------------
// Codes

/// National procedure code `D.NNNNNN` (standards §7): one digit, a dot, six digits, e.g.
/// `1.000894` (Đăng ký kết hôn) or `2.000884` (Chứng thực chữ ký). The meaning of the first digit
/// is not documented, so any digit is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NationalCode(String);

impl NationalCode {
    /// Parses a national code (surrounding white space is ignored).
    pub fn parse(raw: &str) -> Result<NationalCode, ProcedureError> {
        let s = nfc(raw);
        if is_national_code(&s) {
            Ok(NationalCode(s))
        } else {
            Err(ProcedureError::InvalidNationalCode { value: s })
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_national_code(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 8 && b[0].is_ascii_digit() && b[1] == b'.' && b[2..].iter().all(u8::is_ascii_digit)
}

impl TryFrom<String> for NationalCode {
    type Error = ProcedureError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        NationalCode::parse(&s)
    }
}

impl From<NationalCode> for String {
    fn from(c: NationalCode) -> Self {
        c.0
    }
}

impl std::fmt::Display for NationalCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Local (province-applied) code (standards §7): `{national code}.{agency identifier of the
/// publishing province}`, e.g. `1.010708.000.00.00.H56`, or the short display form
/// `{national code}.{level-1 unit}`, e.g. `1.000948.H38`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LocalCode(String);

impl LocalCode {
    /// Parses a local code; letters are upper-cased.
    pub fn parse(raw: &str) -> Result<LocalCode, ProcedureError> {
        let s = nfc(raw).to_ascii_uppercase();
        let bad = || ProcedureError::InvalidLocalCode { value: s.clone() };
        let (Some(national), Some(rest)) = (s.get(..8), s.get(8..)) else {
            return Err(bad());
        };
        let Some(publisher) = rest.strip_prefix('.') else {
            return Err(bad());
        };
        if !is_national_code(national) {
            return Err(bad());
        }
        let short = publisher.len() == 3 && {
            let p = publisher.as_bytes();
            p[0].is_ascii_uppercase() && p[1].is_ascii_digit() && p[2].is_ascii_digit()
        };
        if short || AgencyIdentifier::parse(publisher).is_ok() {
            Ok(LocalCode(s))
        } else {
            Err(bad())
        }
    }

    /// The national code it derives from.
    pub fn national(&self) -> NationalCode {
        NationalCode(self.0.get(..8).unwrap_or_default().to_string())
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for LocalCode {
    type Error = ProcedureError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        LocalCode::parse(&s)
    }
}

impl From<LocalCode> for String {
    fn from(c: LocalCode) -> Self {
        c.0
    }
}

impl std::fmt::Display for LocalCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

// ---------------------------------------------------------------------------------------------
// Service level, fees, parts

/// Online service level (standards §3): the 2022 categories of NĐ 42/2022, with the 2019
/// level numbers of NĐ 43/2011 (`MucDo` 2 / 3 / 4) that DVC systems still exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceLevel {
    /// Information only (cung cấp thông tin; 2019: mức độ 2 — forms downloadable, dossier
    /// submitted in person or by post).
    InformationOnly,
    /// Partly online (DVC trực tuyến một phần; 2019: mức độ 3 — submitted online, fees paid and
    /// result collected in person).
    PartlyOnline,
    /// Fully online (DVC trực tuyến toàn trình; 2019: mức độ 4 — paid online, result returned
    /// online, in person or by post).
    FullyOnline,
}

impl ServiceLevel {
    /// Every level.
    pub const ALL: [ServiceLevel; 3] = [
        ServiceLevel::InformationOnly,
        ServiceLevel::PartlyOnline,
        ServiceLevel::FullyOnline,
    ];

    /// The 2019 level number (`MucDo`): 2, 3 or 4.
    pub fn level_2019(self) -> u8 {
        match self {
            ServiceLevel::InformationOnly => 2,
            ServiceLevel::PartlyOnline => 3,
            ServiceLevel::FullyOnline => 4,
        }
    }

    /// From a 2019 level number (`MucDo`). Level 1 (information published) is shown as
    /// information only too.
    pub fn from_level_2019(level: u8) -> Option<ServiceLevel> {
        match level {
            1 | 2 => Some(ServiceLevel::InformationOnly),
            3 => Some(ServiceLevel::PartlyOnline),
            4 => Some(ServiceLevel::FullyOnline),
            _ => None,
        }
    }

    /// The 2022 name, in Vietnamese.
    pub fn label_vi(self) -> &'static str {
        match self {
            ServiceLevel::InformationOnly => "Cung cấp thông tin",
            ServiceLevel::PartlyOnline => "Dịch vụ công trực tuyến một phần",
            ServiceLevel::FullyOnline => "Dịch vụ công trực tuyến toàn trình",
        }
    }

    /// The 2019 words, in Vietnamese ("Mức độ 3").
    pub fn label_2019_vi(self) -> String {
        format!("Mức độ {}", self.level_2019())
    }

    /// Whether a dossier may be submitted online.
    pub fn allows_online_submission(self) -> bool {
        !matches!(self, ServiceLevel::InformationOnly)
    }

    /// Whether the result may be returned online.
    pub fn allows_online_result(self) -> bool {
        matches!(self, ServiceLevel::FullyOnline)
    }
}

/// Whether an amount is a fee (phí: pays for a service) or a charge (lệ phí: collected for the
/// State's administrative act).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeKind {
    /// Phí.
    Fee,
    /// Lệ phí.
    Charge,
}

impl FeeKind {
    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            FeeKind::Fee => "Phí",
            FeeKind::Charge => "Lệ phí",
        }
    }
}

/// One fee or charge of a procedure. Money is integer VND.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fee {
    /// Name, e.g. "Lệ phí đăng ký hộ kinh doanh".
    pub name: String,
    /// Fee or charge.
    pub kind: FeeKind,
    /// Amount in VND (0 for an exemption stated explicitly).
    pub amount_vnd: u64,
    /// Conditions, exemptions, legal basis of the amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Which form of a paper is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaperForm {
    /// Bản chính.
    Original,
    /// Bản sao.
    Copy,
    /// Bản sao có chứng thực.
    CertifiedCopy,
    /// Bản chính hoặc bản sao (xuất trình bản chính để đối chiếu).
    OriginalOrCopy,
}

impl PaperForm {
    /// Vietnamese label.
    pub fn label_vi(self) -> &'static str {
        match self {
            PaperForm::Original => "Bản chính",
            PaperForm::Copy => "Bản sao",
            PaperForm::CertifiedCopy => "Bản sao có chứng thực",
            PaperForm::OriginalOrCopy => "Bản chính hoặc bản sao",
        }
    }
}

/// One paper of the dossier (thành phần hồ sơ).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DossierPartSpec {
    /// Name, e.g. "Tờ khai đăng ký kết hôn".
    pub name: String,
    /// Required, or optional (depending on the case).
    pub required: bool,
    /// Original or copy.
    pub form: PaperForm,
    /// How many of them (số lượng), at least 1.
    pub count: u32,
    /// File name of the blank template to download, if any (a plain file name, no path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// The applicant's form

/// Type of a form field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// Free text (one or several lines).
    Text,
    /// A number: optional minus sign, digits, optional decimal part after `.` or `,`; spaces
    /// are ignored. No thousands separators (`1.000` is read as one).
    Number,
    /// A date, `dd/mm/yyyy` or `yyyy-mm-dd`; normalised to `yyyy-mm-dd`.
    Date,
    /// One of the field's `choices`.
    Choice,
    /// A postal address (free text).
    Address,
    /// Citizen ID number: 12 digits (căn cước công dân / căn cước) or 9 digits (old CMND).
    IdNumber,
    /// Vietnamese phone number (see [`normalize_phone`]); normalised to the `0…` form.
    Phone,
    /// E-mail address; normalised to lower case.
    Email,
}

impl FieldType {
    /// Maximum length of a value when the field gives none.
    pub fn default_max_length(self) -> usize {
        match self {
            FieldType::Text => 2000,
            FieldType::Address => 500,
            FieldType::Choice => 500,
            FieldType::Email => 254,
            FieldType::Number => 40,
            FieldType::Date | FieldType::IdNumber | FieldType::Phone => 20,
        }
    }
}

/// One field of the applicant's form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormField {
    /// Machine key: lower-case ASCII letters, digits and `_`, e.g. `ho_ten`.
    pub key: String,
    /// Label shown to people, e.g. "Họ và tên".
    pub label: String,
    /// Type of the value.
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// Whether a value is required.
    #[serde(default)]
    pub required: bool,
    /// Maximum length in characters (after normalisation); default per type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// The allowed values of a `choice` field (and only of one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    /// Help text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

/// An invalid value in the applicant's form: the field's key and a stable code
/// (`validation.required`, `validation.invalid_phone`, `request.unknown_field`…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Key of the field.
    pub field: String,
    /// What is wrong.
    pub code: ErrorCode,
}

/// The values of a form after validation: NFC, trimmed, typed values normalised (dates ISO,
/// phones in the `0…` form, e-mails lower case, numbers with a `.`). Empty optional fields are
/// absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NormalisedValues(BTreeMap<String, String>);

impl NormalisedValues {
    /// The value of a field.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// Every value, by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The map.
    pub fn into_inner(self) -> BTreeMap<String, String> {
        self.0
    }
}

/// The applicant's form: an ordered list of typed fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ApplicantForm {
    /// The fields, in display order.
    pub fields: Vec<FormField>,
}

impl ApplicantForm {
    /// A form of these fields.
    pub fn new(fields: Vec<FormField>) -> ApplicantForm {
        ApplicantForm { fields }
    }

    /// Validates and normalises submitted values (key → raw text). Every error is reported,
    /// in form order, then unknown keys.
    pub fn validate(
        &self,
        values: &BTreeMap<String, String>,
    ) -> Result<NormalisedValues, Vec<FieldError>> {
        let mut out = BTreeMap::new();
        let mut errors = Vec::new();
        for field in &self.fields {
            let raw = values.get(&field.key).map(|v| nfc(v)).unwrap_or_default();
            if raw.is_empty() {
                if field.required {
                    errors.push(FieldError {
                        field: field.key.clone(),
                        code: ErrorCode::Required,
                    });
                }
                continue;
            }
            match normalise_value(field, &raw) {
                Ok(v) => {
                    let max = field
                        .max_length
                        .map_or(field.field_type.default_max_length(), |m| m as usize);
                    if v.chars().count() > max {
                        errors.push(FieldError {
                            field: field.key.clone(),
                            code: ErrorCode::TooLong,
                        });
                    } else {
                        out.insert(field.key.clone(), v);
                    }
                }
                Err(code) => errors.push(FieldError {
                    field: field.key.clone(),
                    code,
                }),
            }
        }
        for key in values.keys() {
            if !self.fields.iter().any(|f| &f.key == key) {
                errors.push(FieldError {
                    field: key.clone(),
                    code: ErrorCode::UnknownField,
                });
            }
        }
        if errors.is_empty() {
            Ok(NormalisedValues(out))
        } else {
            Err(errors)
        }
    }

    fn check(&self, errors: &mut Vec<ProcedureError>) {
        let mut keys = BTreeSet::new();
        for (i, f) in self.fields.iter().enumerate() {
            let path = format!("form[{i}]");
            let key_ok = !f.key.is_empty()
                && f.key.len() <= 64
                && f.key
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !key_ok {
                errors.push(ProcedureError::Invalid {
                    path: format!("{path}.key"),
                    reason: "lower-case ASCII letters, digits and _ only".into(),
                });
            } else if !keys.insert(f.key.as_str()) {
                errors.push(ProcedureError::DuplicateKey {
                    path: format!("{path}.key"),
                    key: f.key.clone(),
                });
            }
            require(&f.label, &format!("{path}.label"), 300, errors);
            if f.max_length == Some(0) {
                errors.push(ProcedureError::Invalid {
                    path: format!("{path}.max_length"),
                    reason: "must be positive".into(),
                });
            }
            match (f.field_type, f.choices.is_empty()) {
                (FieldType::Choice, true) => errors.push(ProcedureError::Required {
                    path: format!("{path}.choices"),
                }),
                (FieldType::Choice, false) => {
                    let mut seen = BTreeSet::new();
                    for (j, c) in f.choices.iter().enumerate() {
                        let cpath = format!("{path}.choices[{j}]");
                        require(c, &cpath, 500, errors);
                        if !seen.insert(c.as_str()) {
                            errors.push(ProcedureError::DuplicateKey {
                                path: cpath,
                                key: c.clone(),
                            });
                        }
                    }
                }
                (_, false) => errors.push(ProcedureError::Invalid {
                    path: format!("{path}.choices"),
                    reason: "only a choice field has choices".into(),
                }),
                (_, true) => {}
            }
        }
    }

    fn normalise_text(&mut self) {
        for f in &mut self.fields {
            f.key = nfc(&f.key);
            f.label = nfc(&f.label);
            f.help = nfc_opt(f.help.as_deref());
            for c in &mut f.choices {
                *c = nfc(c);
            }
        }
    }
}

/// Normalises one non-empty, NFC, trimmed value by type.
fn normalise_value(field: &FormField, raw: &str) -> Result<String, ErrorCode> {
    match field.field_type {
        FieldType::Text | FieldType::Address => {
            if raw
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t')
            {
                return Err(ErrorCode::InvalidFormat);
            }
            Ok(raw.replace("\r\n", "\n"))
        }
        FieldType::Number => {
            let compact: String = raw
                .chars()
                .filter(|c| !c.is_whitespace())
                .map(|c| if c == ',' { '.' } else { c })
                .collect();
            let body = compact.strip_prefix('-').unwrap_or(&compact);
            let (int, frac) = match body.split_once('.') {
                Some((i, f)) => (i, Some(f)),
                None => (body, None),
            };
            let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
            if digits(int) && frac.is_none_or(digits) {
                Ok(compact)
            } else {
                Err(ErrorCode::InvalidFormat)
            }
        }
        FieldType::Date => ["%d/%m/%Y", "%Y-%m-%d"]
            .iter()
            .find_map(|f| NaiveDate::parse_from_str(raw, f).ok())
            .map(|d| d.format("%Y-%m-%d").to_string())
            .ok_or(ErrorCode::InvalidDate),
        FieldType::Choice => {
            if field.choices.iter().any(|c| c == raw) {
                Ok(raw.to_string())
            } else {
                Err(ErrorCode::InvalidChoice)
            }
        }
        FieldType::IdNumber => {
            let digits: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
            if (digits.len() == 12 || digits.len() == 9)
                && digits.bytes().all(|b| b.is_ascii_digit())
            {
                Ok(digits)
            } else {
                Err(ErrorCode::InvalidIdNumber)
            }
        }
        FieldType::Phone => normalize_phone(raw).ok_or(ErrorCode::InvalidPhone),
        FieldType::Email => {
            let e = raw.to_lowercase();
            if valid_email(&e) {
                Ok(e)
            } else {
                Err(ErrorCode::InvalidEmail)
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Route

/// One step of the processing route (quy trình nội bộ, liên thông).
///
/// Steps whose role is [`Role::OneStopOfficer`] are desk steps (reception, return of the
/// result); the others are processing steps, and those whose role is [`Role::Leader`] are
/// approval steps. See `crate::dossier` for how a dossier moves along them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteStep {
    /// What the step is, e.g. "Thẩm định hồ sơ".
    pub name: String,
    /// Unit or agency in charge, when it is an agency of the platform; an inter-agency step
    /// names it here or in `unit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency: Option<AgencyId>,
    /// The unit in charge as text, e.g. "Chi cục Thuế" for an inter-agency step whose agency is
    /// not on the platform (central-government offices), or "Phòng Tư pháp".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Role that acts at the step.
    pub role: Role,
    /// Allotted time (working days, half-days, or working minutes when the legal time is in
    /// minutes). The steps add up to the procedure's legal time.
    pub allotted: WorkDuration,
    /// The step is carried out by another agency (liên thông), e.g. the tax office.
    #[serde(default)]
    pub inter_agency: bool,
}

impl RouteStep {
    /// A desk step (reception or return at the one-stop desk).
    pub fn is_desk(&self) -> bool {
        self.role == Role::OneStopOfficer
    }

    /// An approval step (a leader decides).
    pub fn is_approval(&self) -> bool {
        self.role == Role::Leader
    }
}

/// Checks that route allotments add up to the legal time: days and half-days combine (one day
/// is two half-days); minutes combine only with minutes. An empty route is accepted (no
/// per-step deadlines). The deadline engine applies the same rule when it computes step due
/// dates.
pub fn check_allotments(
    legal_time: WorkDuration,
    steps: &[RouteStep],
) -> Result<(), ProcedureError> {
    if steps.is_empty() {
        return Ok(());
    }
    // The amount in the total's unit: half-days for days and half-days, else minutes.
    let amount = |d: WorkDuration| match (legal_time, d) {
        (WorkDuration::Minutes(_), WorkDuration::Minutes(m)) => Some(u64::from(m)),
        (WorkDuration::Minutes(_), _) | (_, WorkDuration::Minutes(_)) => None,
        (_, WorkDuration::Days(n)) => Some(2 * u64::from(n)),
        (_, WorkDuration::HalfDays(n)) => Some(u64::from(n)),
    };
    let mut sum = 0u64;
    for (i, s) in steps.iter().enumerate() {
        sum += amount(s.allotted).ok_or_else(|| ProcedureError::AllotmentUnitMismatch {
            path: format!("route[{i}].allotted"),
        })?;
    }
    let total = amount(legal_time).unwrap_or(0);
    let show = |x: u64| match legal_time {
        WorkDuration::Minutes(_) => format!("{x} phút"),
        _ if x.is_multiple_of(2) => format!("{} ngày", x / 2),
        _ => format!("{},5 ngày", x / 2),
    };
    if sum == total {
        Ok(())
    } else {
        Err(ProcedureError::AllotmentMismatch {
            steps: show(sum),
            total: show(total),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// The procedure

/// Field (lĩnh vực) of a procedure, e.g. `G03-GD10` "Giáo dục Trung học".
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcedureField {
    /// Code in the national database, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Name, e.g. "Hộ tịch".
    pub name: String,
}

/// One version of a procedure of the catalogue. Import: deserialise (unknown fields refused),
/// then [`Procedure::validate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Procedure {
    /// National code `D.NNNNNN`.
    pub national_code: NationalCode,
    /// Province-applied code, if published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_code: Option<LocalCode>,
    /// Name, e.g. "Đăng ký kết hôn".
    pub name: String,
    /// Field (lĩnh vực).
    pub field: ProcedureField,
    /// Agencies that implement it (at least one).
    pub agencies: Vec<AgencyId>,
    /// Online service level.
    pub level: ServiceLevel,
    /// Legal processing time (thời hạn giải quyết); `{"days": 0}` is "within the receipt day".
    pub legal_time: WorkDuration,
    /// Fees and charges.
    #[serde(default)]
    pub fees: Vec<Fee>,
    /// Papers of the dossier.
    #[serde(default)]
    pub parts: Vec<DossierPartSpec>,
    /// The applicant's form.
    #[serde(default)]
    pub form: ApplicantForm,
    /// Processing route; the allotments add up to `legal_time`. May be empty.
    #[serde(default)]
    pub route: Vec<RouteStep>,
    /// What the applicant gets (kết quả), e.g. "Giấy chứng nhận kết hôn".
    pub result: String,
    /// Legal basis (căn cứ pháp lý), one text per document.
    #[serde(default)]
    pub legal_basis: Vec<String>,
    /// First day this version applies.
    pub effective_from: NaiveDate,
    /// Last day this version applies, if it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_to: Option<NaiveDate>,
    /// Version number, from 1; a dossier keeps the version it was submitted under.
    pub version: u32,
}

impl Procedure {
    /// Parses and validates one procedure from JSON.
    pub fn from_json(json: &str) -> Result<Procedure, Vec<ProcedureError>> {
        let p: Procedure = serde_json::from_str(json).map_err(|e| {
            vec![ProcedureError::Parse {
                message: e.to_string(),
            }]
        })?;
        p.validate()
    }

    /// Normalises every text to NFC and checks every rule; returns the normalised procedure
    /// or every error found.
    pub fn validate(mut self) -> Result<Procedure, Vec<ProcedureError>> {
        self.normalise_text();
        let mut errors = Vec::new();
        require(&self.name, "name", 1000, &mut errors);
        require(&self.field.name, "field.name", 300, &mut errors);
        if self
            .field
            .code
            .as_ref()
            .is_some_and(|c| c.chars().count() > 50)
        {
            errors.push(ProcedureError::TooLong {
                path: "field.code".into(),
                max: 50,
            });
        }
        if let Some(local) = &self.local_code
            && local.national() != self.national_code
        {
            errors.push(ProcedureError::Invalid {
                path: "local_code".into(),
                reason: "does not start with the national code".into(),
            });
        }
        if self.agencies.is_empty() {
            errors.push(ProcedureError::NoAgency);
        }
        for (i, f) in self.fees.iter().enumerate() {
            require(&f.name, &format!("fees[{i}].name"), 300, &mut errors);
        }
        for (i, p) in self.parts.iter().enumerate() {
            let path = format!("parts[{i}]");
            require(&p.name, &format!("{path}.name"), 1000, &mut errors);
            if p.count == 0 {
                errors.push(ProcedureError::Invalid {
                    path: format!("{path}.count"),
                    reason: "at least one".into(),
                });
            }
            if let Some(t) = &p.template
                && !safe_file_name(t)
            {
                errors.push(ProcedureError::Invalid {
                    path: format!("{path}.template"),
                    reason: "a plain file name without a path".into(),
                });
            }
        }
        self.form.check(&mut errors);
        for (i, s) in self.route.iter().enumerate() {
            let path = format!("route[{i}]");
            require(&s.name, &format!("{path}.name"), 300, &mut errors);
            if let Some(u) = &s.unit
                && u.chars().count() > 300
            {
                errors.push(ProcedureError::TooLong {
                    path: format!("{path}.unit"),
                    max: 300,
                });
            }
            if s.inter_agency && s.agency.is_none() && s.unit.is_none() {
                errors.push(ProcedureError::Required {
                    path: format!("{path}.agency"),
                });
            }
        }
        if let Err(e) = check_allotments(self.legal_time, &self.route) {
            errors.push(e);
        }
        require(&self.result, "result", 1000, &mut errors);
        for (i, b) in self.legal_basis.iter().enumerate() {
            require(b, &format!("legal_basis[{i}]"), 1000, &mut errors);
        }
        if self.effective_to.is_some_and(|t| t < self.effective_from) {
            errors.push(ProcedureError::InvalidDates);
        }
        if self.version == 0 {
            errors.push(ProcedureError::InvalidVersion);
        }
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(errors)
        }
    }

    fn normalise_text(&mut self) {
        self.name = nfc(&self.name);
        self.field.name = nfc(&self.field.name);
        self.field.code = nfc_opt(self.field.code.as_deref());
        for f in &mut self.fees {
            f.name = nfc(&f.name);
            f.note = nfc_opt(f.note.as_deref());
        }
        for p in &mut self.parts {
            p.name = nfc(&p.name);
            p.template = nfc_opt(p.template.as_deref());
        }
        self.form.normalise_text();
        for s in &mut self.route {
            s.name = nfc(&s.name);
            s.unit = nfc_opt(s.unit.as_deref());
        }
        self.result = nfc(&self.result);
        for b in &mut self.legal_basis {
            *b = nfc(b);
        }
    }

    /// Whether this version applies on `date`.
    pub fn is_effective_on(&self, date: NaiveDate) -> bool {
        date >= self.effective_from && self.effective_to.is_none_or(|t| date <= t)
    }

    /// Total of the fees and charges, in VND.
    pub fn total_fees_vnd(&self) -> u64 {
        self.fees.iter().map(|f| f.amount_vnd).sum()
    }

    /// Validates the applicant's form values (see [`ApplicantForm::validate`]).
    pub fn validate_form(
        &self,
        values: &BTreeMap<String, String>,
    ) -> Result<NormalisedValues, Vec<FieldError>> {
        self.form.validate(values)
    }

    /// The route as the deadline engine's step allotments.
    pub fn step_allotments(&self) -> Vec<StepAllotment> {
        step_allotments(&self.route)
    }

    /// What a dossier keeps of this version.
    pub fn terms(&self) -> ProcedureTerms {
        ProcedureTerms {
            national_code: self.national_code.clone(),
            version: self.version,
            name: self.name.clone(),
            field: self.field.clone(),
            level: self.level,
            legal_time: self.legal_time,
            route: self.route.clone(),
        }
    }
}

/// The route as the deadline engine's step allotments.
pub fn step_allotments(route: &[RouteStep]) -> Vec<StepAllotment> {
    route
        .iter()
        .map(|s| StepAllotment {
            name: s.name.clone(),
            duration: s.allotted,
        })
        .collect()
}

/// What a dossier keeps of the procedure version it was submitted under: enough to run its
/// state machine and clock even after the catalogue changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcedureTerms {
    /// National code.
    pub national_code: NationalCode,
    /// Version of the procedure.
    pub version: u32,
    /// Name.
    pub name: String,
    /// Field (lĩnh vực), for reports.
    pub field: ProcedureField,
    /// Online service level.
    pub level: ServiceLevel,
    /// Legal processing time.
    pub legal_time: WorkDuration,
    /// Processing route.
    pub route: Vec<RouteStep>,
}

fn safe_file_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars().count() <= 255
        && !s.contains(['/', '\\', '\0'])
        && s != "."
        && s != ".."
        && !s.chars().any(char::is_control)
}

fn require(v: &str, path: &str, max: usize, errors: &mut Vec<ProcedureError>) {
    if v.is_empty() {
        errors.push(ProcedureError::Required { path: path.into() });
    } else if v.chars().count() > max {
        errors.push(ProcedureError::TooLong {
            path: path.into(),
            max,
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Errors

/// What can be wrong with a procedure of the catalogue. [`ProcedureError::code`] is a stable
/// machine code (`procedure.…`), [`ProcedureError::message_vi`] a Vietnamese sentence; `path`
/// names the offending field (`route[2].allotted`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ProcedureError {
    /// Not JSON of the expected shape (unknown field, wrong type…).
    #[error("cannot parse the procedure: {message}")]
    Parse {
        /// The parser's message.
        message: String,
    },
    /// A national code that is not `D.NNNNNN`.
    #[error("invalid national procedure code {value:?}")]
    InvalidNationalCode {
        /// The offending value.
        value: String,
    },
    /// A local code that is not `{national code}.{agency identifier}`.
    #[error("invalid local procedure code {value:?}")]
    InvalidLocalCode {
        /// The offending value.
        value: String,
    },
    /// A required text is empty.
    #[error("{path} is required")]
    Required {
        /// Which field.
        path: String,
    },
    /// A text is too long.
    #[error("{path} is longer than {max} characters")]
    TooLong {
        /// Which field.
        path: String,
        /// The limit.
        max: usize,
    },
    /// A value breaks a rule.
    #[error("{path} is invalid: {reason}")]
    Invalid {
        /// Which field.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A key or choice appears twice.
    #[error("{path}: {key:?} appears twice")]
    DuplicateKey {
        /// Which field.
        path: String,
        /// The repeated value.
        key: String,
    },
    /// No implementing agency.
    #[error("a procedure needs at least one implementing agency")]
    NoAgency,
    /// Route allotments that do not add up to the legal time.
    #[error("the route steps add up to {steps} but the legal time is {total}")]
    AllotmentMismatch {
        /// Sum of the steps.
        steps: String,
        /// The legal time.
        total: String,
    },
    /// A step in minutes with a total in days, or the reverse.
    #[error("{path}: unit does not match the legal time")]
    AllotmentUnitMismatch {
        /// Which step.
        path: String,
    },
    /// `effective_to` before `effective_from`.
    #[error("the version ends before it starts")]
    InvalidDates,
    /// Version 0.
    #[error("versions are numbered from 1")]
    InvalidVersion,
}

impl ProcedureError {
    /// Every machine code, for tests and the message catalogues.
    pub const CODES: &'static [&'static str] = &[
        "procedure.parse",
        "procedure.invalid_national_code",
        "procedure.invalid_local_code",
        "procedure.required",
        "procedure.too_long",
        "procedure.invalid",
        "procedure.duplicate_key",
        "procedure.no_agency",
        "procedure.allotment_mismatch",
        "procedure.allotment_unit_mismatch",
        "procedure.invalid_dates",
        "procedure.invalid_version",
    ];

    /// The stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            ProcedureError::Parse { .. } => "procedure.parse",
            ProcedureError::InvalidNationalCode { .. } => "procedure.invalid_national_code",
            ProcedureError::InvalidLocalCode { .. } => "procedure.invalid_local_code",
            ProcedureError::Required { .. } => "procedure.required",
            ProcedureError::TooLong { .. } => "procedure.too_long",
            ProcedureError::Invalid { .. } => "procedure.invalid",
            ProcedureError::DuplicateKey { .. } => "procedure.duplicate_key",
            ProcedureError::NoAgency => "procedure.no_agency",
            ProcedureError::AllotmentMismatch { .. } => "procedure.allotment_mismatch",
            ProcedureError::AllotmentUnitMismatch { .. } => "procedure.allotment_unit_mismatch",
            ProcedureError::InvalidDates => "procedure.invalid_dates",
            ProcedureError::InvalidVersion => "procedure.invalid_version",
        }
    }

    /// The field concerned, if any.
    pub fn path(&self) -> Option<&str> {
        match self {
            ProcedureError::Required { path }
            | ProcedureError::TooLong { path, .. }
            | ProcedureError::Invalid { path, .. }
            | ProcedureError::DuplicateKey { path, .. }
            | ProcedureError::AllotmentUnitMismatch { path } => Some(path),
            ProcedureError::InvalidNationalCode { .. } => Some("national_code"),
            ProcedureError::InvalidLocalCode { .. } => Some("local_code"),
            ProcedureError::NoAgency => Some("agencies"),
            ProcedureError::AllotmentMismatch { .. } => Some("route"),
            ProcedureError::InvalidDates => Some("effective_to"),
            ProcedureError::InvalidVersion => Some("version"),
            ProcedureError::Parse { .. } => None,
        }
    }

    /// A Vietnamese sentence for people.
    pub fn message_vi(&self) -> String {
        match self {
            ProcedureError::Parse { .. } => {
                "Dữ liệu thủ tục không đúng định dạng (trường lạ hoặc sai kiểu dữ liệu).".into()
            }
            ProcedureError::InvalidNationalCode { value } => format!(
                "Mã thủ tục «{value}» không hợp lệ: cần dạng một chữ số, dấu chấm và sáu chữ số (ví dụ 1.000894)."
            ),
            ProcedureError::InvalidLocalCode { value } => format!(
                "Mã thủ tục địa phương «{value}» không hợp lệ: cần dạng mã thủ tục quốc gia, dấu chấm và mã định danh cơ quan (ví dụ 1.000894.000.00.00.H53)."
            ),
            ProcedureError::Required { path } => format!("Trường «{path}» là bắt buộc."),
            ProcedureError::TooLong { path, max } => {
                format!("Trường «{path}» dài quá {max} ký tự.")
            }
            ProcedureError::Invalid { path, .. } => {
                format!("Giá trị của trường «{path}» không hợp lệ.")
            }
            ProcedureError::DuplicateKey { path, key } => {
                format!("Giá trị «{key}» bị lặp lại ({path}).")
            }
            ProcedureError::NoAgency => "Thủ tục cần có ít nhất một cơ quan thực hiện.".into(),
            ProcedureError::AllotmentMismatch { steps, total } => format!(
                "Tổng thời gian các bước của quy trình ({steps}) không bằng thời hạn giải quyết ({total})."
            ),
            ProcedureError::AllotmentUnitMismatch { path } => format!(
                "Đơn vị thời gian của bước «{path}» không thống nhất với thời hạn giải quyết."
            ),
            ProcedureError::InvalidDates => {
                "Ngày hết hiệu lực phải sau ngày bắt đầu hiệu lực.".into()
            }
            ProcedureError::InvalidVersion => "Số phiên bản phải từ 1 trở lên.".into(),
        }
    }
}
