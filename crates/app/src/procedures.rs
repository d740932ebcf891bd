//! The procedure catalogue: import (a JSON array, all or nothing, errors numbered by item),
//! search (diacritic-insensitive, ranked), one procedure, and the demo catalogue of Tây Ninh.
//!
//! The import format is the one the demo data is written in (`data/demo/tay-ninh/
//! procedures.json`): flat, with agencies by their official identifier, the 2019 service level
//! number and the legal time in days (halves allowed). [`CatalogueItem::to_procedure`] turns an
//! item into the domain's [`Procedure`], which then checks every rule of its own.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use cqdt_domain::ErrorCode;
use cqdt_domain::agency::{Agency, AgencyIdentifier};
use cqdt_domain::calendar::WorkDuration;
use cqdt_domain::ids::{AgencyId, ProcedureId};
use cqdt_domain::policy::{Action, Role, Target};
use cqdt_domain::procedure::{
    ApplicantForm, DossierPartSpec, Fee, FeeKind, FieldType, FormField, LocalCode, NationalCode,
    PaperForm, Procedure, ProcedureError, ProcedureField, RouteStep, ServiceLevel,
};
use cqdt_domain::text::{fold, nfc};
use serde::{Deserialize, Serialize};

use crate::agencies::Format;
use crate::error::{AppError, AppResult, LineError};
use crate::store::{ProcedureFilter, ProcedureLevel, ProcedureNotes, ProcedureRecord};
use crate::{App, Ctx};

/// The stable code of a domain catalogue error.
pub fn procedure_code(e: &ProcedureError) -> ErrorCode {
    ErrorCode::parse(e.code()).unwrap_or(ErrorCode::ProcedureInvalid)
}

/// A domain catalogue error as an application error (the field is its path).
pub fn procedure_error(e: &ProcedureError) -> AppError {
    AppError {
        code: procedure_code(e),
        field: e.path().map(str::to_string),
        lines: vec![],
        detail: Some(e.to_string()),
    }
}

// ---------------------------------------------------------------------------------------------
// The import format

/// The field (lĩnh vực): a name, or `{"code": …, "name": …}`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum FieldItem {
    Name(String),
    Coded {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<String>,
        name: String,
    },
}

/// A fee or charge.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FeeItem {
    pub name: String,
    /// `fee` (phí) or `charge` (lệ phí).
    pub kind: FeeKind,
    pub amount_vnd: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Which form of a paper: a flag (`true`: the original, `false`: a copy; `copies` is then how
/// many), or a number of originals (with `copies` the number of copies).
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(untagged)]
pub enum CountItem {
    Flag(bool),
    Count(u32),
}

/// A paper of the dossier.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PartItem {
    pub name: String,
    #[serde(default = "yes")]
    pub required: bool,
    /// `true`: the original, `false`: a copy; or the number of originals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original: Option<CountItem>,
    /// How many (with a flag), or the number of copies (with a number of originals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copies: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
}

fn yes() -> bool {
    true
}

/// A field of the applicant's form.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FormItem {
    /// The machine key.
    pub name: String,
    pub label: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choices: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_len: Option<u32>,
}

/// A route step's name, or its number (the unit then names it).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum StepItem {
    Number(u32),
    Name(String),
}

/// A step of the processing route.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RouteItem {
    /// What the step is, or its number.
    pub step: StepItem,
    /// The unit in charge, as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Where the unit sits (`same`, `other`, `tax_office`, a level…): informative only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency_level: Option<String>,
    /// The role acting at the step (`one_stop_officer`, `specialist`, `leader`…).
    pub role: String,
    /// Allotted working days (halves allowed).
    #[serde(serialize_with = "whole_or_half")]
    pub days: f64,
    #[serde(default)]
    pub inter_agency: bool,
}

/// One procedure of an import file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogueItem {
    pub national_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_code: Option<String>,
    pub name: String,
    pub field: FieldItem,
    /// `province`, `district` or `commune`.
    pub level: String,
    /// Official identifiers of the implementing agencies.
    #[serde(default)]
    pub agencies: Vec<String>,
    /// The 2019 level number: 2, 3 or 4.
    pub service_level: u8,
    /// Legal time in working days; halves allowed (0.5 = one half-day); 0 = within the day.
    #[serde(serialize_with = "whole_or_half")]
    pub legal_days: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_days_note: Option<String>,
    #[serde(default)]
    pub fees: Vec<FeeItem>,
    #[serde(default)]
    pub parts: Vec<PartItem>,
    #[serde(default)]
    pub form: Vec<FormItem>,
    #[serde(default)]
    pub route: Vec<RouteItem>,
    pub result: String,
    #[serde(default)]
    pub legal_basis: Vec<String>,
    /// `YYYY-MM-DD`; `null` when the source gives no date: the procedure is then taken to be in
    /// effect from the day of the import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_to: Option<String>,
    #[serde(default)]
    pub unconfirmed: Vec<serde_json::Value>,
    #[serde(default)]
    pub sources: Vec<serde_json::Value>,
}

/// Days as the import format writes them: `3`, not `3.0`; `0.5` stays.
fn whole_or_half<S: serde::Serializer>(days: &f64, s: S) -> Result<S::Ok, S::Error> {
    if days.fract() == 0.0 && (0.0..=1e15).contains(days) {
        s.serialize_u64(*days as u64)
    } else {
        s.serialize_f64(*days)
    }
}

/// An error of one item: the field and the code.
type ItemError = (Option<String>, ErrorCode);

/// Items numbered by the caller (item number or line of the file), each read or the errors
/// found before it could be (a CSV row's bad cells).
type NumberedItems = Vec<(usize, Result<serde_json::Value, Vec<ItemError>>)>;

/// A number of working days, halves allowed, as a duration.
pub fn days_duration(days: f64) -> Option<WorkDuration> {
    if !days.is_finite() || !(0.0..=10_000.0).contains(&days) {
        return None;
    }
    let halves = days * 2.0;
    if halves.fract() != 0.0 {
        return None;
    }
    let halves = halves as u32;
    Some(if halves.is_multiple_of(2) {
        WorkDuration::Days(halves / 2)
    } else {
        WorkDuration::HalfDays(halves)
    })
}

/// A role of a route step, by its machine name (or a few plain-word aliases).
pub fn route_role(s: &str) -> Option<Role> {
    let s = s.trim().to_ascii_lowercase();
    Role::parse(&s).or(match s.as_str() {
        "one_stop" | "desk" | "one-stop" | "one_stop_desk" => Some(Role::OneStopOfficer),
        "approver" | "leadership" => Some(Role::Leader),
        "officer" | "processing" | "processor" => Some(Role::Specialist),
        _ => None,
    })
}

fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

impl CatalogueItem {
    /// The domain procedure (version 1), with agencies resolved by identifier; every error of
    /// the item, with the field it concerns.
    pub fn to_procedure(
        &self,
        agencies: &HashMap<String, AgencyId>,
        today: NaiveDate,
    ) -> Result<(Procedure, ProcedureLevel, ProcedureNotes), Vec<ItemError>> {
        let mut errors: Vec<ItemError> = Vec::new();
        let mut bad = |field: &str, code: ErrorCode| errors.push((Some(field.to_string()), code));
        let national_code = NationalCode::parse(&self.national_code);
        if national_code.is_err() {
            bad("national_code", ErrorCode::ProcedureInvalidNationalCode);
        }
        let local_code = match self.local_code.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(c) => match LocalCode::parse(c) {
                Ok(c) => Some(c),
                Err(_) => {
                    bad("local_code", ErrorCode::ProcedureInvalidLocalCode);
                    None
                }
            },
        };
        let level = ProcedureLevel::parse(&self.level);
        if level.is_none() {
            bad("level", ErrorCode::InvalidChoice);
        }
        let service = ServiceLevel::from_level_2019(self.service_level);
        if service.is_none() {
            bad("service_level", ErrorCode::InvalidChoice);
        }
        let legal_time = days_duration(self.legal_days);
        if legal_time.is_none() {
            bad("legal_days", ErrorCode::ProcedureInvalid);
        }
        let mut ids = Vec::new();
        for (i, a) in self.agencies.iter().enumerate() {
            match AgencyIdentifier::parse(a) {
                Err(_) => bad(
                    &format!("agencies[{i}]"),
                    ErrorCode::AgencyIdentifierInvalid,
                ),
                Ok(ident) => match agencies.get(ident.as_str()) {
                    Some(id) if !ids.contains(id) => ids.push(*id),
                    Some(_) => bad(&format!("agencies[{i}]"), ErrorCode::ProcedureDuplicateKey),
                    None => bad(&format!("agencies[{i}]"), ErrorCode::AgencyNotFound),
                },
            }
        }
        let parts = self
            .parts
            .iter()
            .map(|p| {
                let copies = p.copies.unwrap_or(0);
                let (form, count) = match p.original {
                    Some(CountItem::Flag(true)) => (PaperForm::Original, copies.max(1)),
                    Some(CountItem::Flag(false)) => (PaperForm::Copy, copies.max(1)),
                    Some(CountItem::Count(n)) if n > 0 && copies > 0 => {
                        (PaperForm::OriginalOrCopy, n.max(copies))
                    }
                    Some(CountItem::Count(n)) if n > 0 => (PaperForm::Original, n),
                    _ if copies > 0 => (PaperForm::Copy, copies),
                    _ => (PaperForm::OriginalOrCopy, 1),
                };
                DossierPartSpec {
                    name: p.name.clone(),
                    required: p.required,
                    form,
                    count,
                    template: p.template.clone().filter(|t| !t.trim().is_empty()),
                }
            })
            .collect();
        let form = ApplicantForm::new(
            self.form
                .iter()
                .map(|f| FormField {
                    key: f.name.clone(),
                    label: f.label.clone(),
                    field_type: f.field_type,
                    required: f.required,
                    max_length: f.max_len,
                    choices: f.choices.clone().unwrap_or_default(),
                    help: None,
                })
                .collect(),
        );
        let mut route = Vec::new();
        for (i, s) in self.route.iter().enumerate() {
            let role = route_role(&s.role);
            if role.is_none() {
                bad(&format!("route[{i}].role"), ErrorCode::RoleInvalid);
            }
            let allotted = days_duration(s.days);
            if allotted.is_none() {
                bad(&format!("route[{i}].days"), ErrorCode::ProcedureInvalid);
            }
            let unit = s.unit.as_deref().map(nfc).filter(|u| !u.is_empty());
            let name = match (&s.step, &unit) {
                (StepItem::Name(n), _) if !n.trim().is_empty() => n.clone(),
                (_, Some(u)) => u.clone(),
                (StepItem::Number(n), None) => format!("Bước {n}"),
                (StepItem::Name(_), None) => format!("Bước {}", i + 1),
            };
            if let (Some(role), Some(allotted)) = (role, allotted) {
                route.push(RouteStep {
                    name,
                    agency: None,
                    unit,
                    role,
                    allotted,
                    inter_agency: s.inter_agency,
                });
            }
        }
        let effective_from = match self.effective_from.as_deref().map(str::trim) {
            None | Some("") => Some(today),
            Some(d) => date(d),
        };
        if effective_from.is_none() {
            bad("effective_from", ErrorCode::InvalidDate);
        }
        let effective_to = match self.effective_to.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(d) => {
                let parsed = date(d);
                if parsed.is_none() {
                    bad("effective_to", ErrorCode::InvalidDate);
                }
                parsed
            }
        };
        let field = match &self.field {
            FieldItem::Name(name) => ProcedureField {
                code: None,
                name: name.clone(),
            },
            FieldItem::Coded { code, name } => ProcedureField {
                code: code.clone().filter(|c| !c.trim().is_empty()),
                name: name.clone(),
            },
        };
        let (Ok(national_code), Some(level), Some(service), Some(legal_time), Some(from), true) = (
            national_code,
            level,
            service,
            legal_time,
            effective_from,
            errors.is_empty(),
        ) else {
            return Err(errors);
        };
        let procedure = Procedure {
            national_code,
            local_code,
            name: self.name.clone(),
            field,
            agencies: ids,
            level: service,
            legal_time,
            fees: self
                .fees
                .iter()
                .map(|f| Fee {
                    name: f.name.clone(),
                    kind: f.kind,
                    amount_vnd: f.amount_vnd,
                    note: f.note.clone(),
                })
                .collect(),
            parts,
            form,
            route,
            result: self.result.clone(),
            legal_basis: self.legal_basis.clone(),
            effective_from: from,
            effective_to,
            version: 1,
        };
        let procedure = procedure.validate().map_err(|es| {
            es.iter()
                .map(|e| (e.path().map(str::to_string), procedure_code(e)))
                .collect::<Vec<_>>()
        })?;
        let notes = ProcedureNotes {
            legal_days_note: self
                .legal_days_note
                .as_deref()
                .map(nfc)
                .filter(|n| !n.is_empty()),
            unconfirmed: self.unconfirmed.clone(),
            sources: self.sources.clone(),
        };
        Ok((procedure, level, notes))
    }
}

/// A duration as the import format's days; `None` for minutes, which it cannot express.
fn duration_days(d: WorkDuration) -> Option<f64> {
    match d {
        WorkDuration::Days(n) => Some(f64::from(n)),
        WorkDuration::HalfDays(n) => Some(f64::from(n) / 2.0),
        WorkDuration::Minutes(_) => None,
    }
}

impl CatalogueItem {
    /// The item of a stored procedure: the inverse of [`CatalogueItem::to_procedure`], agencies
    /// by their official identifier (an agency no longer known is written as its id, which an
    /// import then refuses). What the import format cannot express is refused with an internal
    /// error naming the procedure (a legal time in minutes, a certified copy, a route step's
    /// platform agency) rather than exported wrongly.
    pub fn from_record(
        record: &ProcedureRecord,
        identifiers: &HashMap<AgencyId, String>,
    ) -> AppResult<CatalogueItem> {
        let p = &record.procedure;
        let cannot = |what: &str| {
            AppError::internal(format!(
                "procedure {}: {what} cannot be exported in the import format",
                p.national_code
            ))
        };
        let legal_days = duration_days(p.legal_time).ok_or_else(|| cannot("legal time"))?;
        let mut parts = Vec::with_capacity(p.parts.len());
        for part in &p.parts {
            let (original, copies) = match part.form {
                PaperForm::Original => (Some(CountItem::Flag(true)), part.count),
                PaperForm::Copy => (Some(CountItem::Flag(false)), part.count),
                PaperForm::OriginalOrCopy => (Some(CountItem::Count(part.count)), part.count),
                PaperForm::CertifiedCopy => return Err(cannot("a certified copy")),
            };
            parts.push(PartItem {
                name: part.name.clone(),
                required: part.required,
                original,
                copies: Some(copies),
                template: part.template.clone(),
            });
        }
        let mut route = Vec::with_capacity(p.route.len());
        for s in &p.route {
            if s.agency.is_some() {
                return Err(cannot("a route step's agency"));
            }
            route.push(RouteItem {
                step: StepItem::Name(s.name.clone()),
                unit: s.unit.clone(),
                agency_level: None,
                role: s.role.as_str().to_string(),
                days: duration_days(s.allotted).ok_or_else(|| cannot("a step's time"))?,
                inter_agency: s.inter_agency,
            });
        }
        Ok(CatalogueItem {
            national_code: p.national_code.to_string(),
            local_code: p.local_code.as_ref().map(|c| c.to_string()),
            name: p.name.clone(),
            field: match &p.field.code {
                None => FieldItem::Name(p.field.name.clone()),
                Some(code) => FieldItem::Coded {
                    code: Some(code.clone()),
                    name: p.field.name.clone(),
                },
            },
            level: record.level.as_str().to_string(),
            agencies: p
                .agencies
                .iter()
                .map(|a| {
                    identifiers
                        .get(a)
                        .cloned()
                        .unwrap_or_else(|| a.0.to_string())
                })
                .collect(),
            service_level: p.level.level_2019(),
            legal_days,
            legal_days_note: record.notes.legal_days_note.clone(),
            fees: p
                .fees
                .iter()
                .map(|f| FeeItem {
                    name: f.name.clone(),
                    kind: f.kind,
                    amount_vnd: f.amount_vnd,
                    note: f.note.clone(),
                })
                .collect(),
            parts,
            form: p
                .form
                .fields
                .iter()
                .map(|f| FormItem {
                    name: f.key.clone(),
                    label: f.label.clone(),
                    field_type: f.field_type,
                    required: f.required,
                    choices: Some(f.choices.clone()).filter(|c| !c.is_empty()),
                    max_len: f.max_length,
                })
                .collect(),
            route,
            result: p.result.clone(),
            legal_basis: p.legal_basis.clone(),
            effective_from: Some(p.effective_from.to_string()),
            effective_to: p.effective_to.map(|d| d.to_string()),
            unconfirmed: record.notes.unconfirmed.clone(),
            sources: record.notes.sources.clone(),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// CSV: one procedure a row; lists as JSON text in their cells

/// The CSV columns, in order.
pub const CSV_COLUMNS: [&str; 20] = [
    "national_code",
    "local_code",
    "name",
    "field_code",
    "field_name",
    "level",
    "service_level",
    "legal_days",
    "legal_days_note",
    "agencies",
    "result",
    "effective_from",
    "effective_to",
    "fees",
    "parts",
    "form",
    "route",
    "legal_basis",
    "unconfirmed",
    "sources",
];

/// The columns a CSV file must have.
const CSV_REQUIRED: [&str; 7] = [
    "national_code",
    "name",
    "field_name",
    "level",
    "service_level",
    "legal_days",
    "result",
];

/// The columns holding JSON text.
const CSV_JSON: [&str; 7] = [
    "fees",
    "parts",
    "form",
    "route",
    "legal_basis",
    "unconfirmed",
    "sources",
];

/// A number of days as text: `3`, `0.5`.
fn days_text(days: f64) -> String {
    if days.fract() == 0.0 {
        format!("{days:.0}")
    } else {
        days.to_string()
    }
}

/// The CSV export of items.
fn items_csv(items: &[CatalogueItem]) -> AppResult<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| AppError::internal(e.to_string());
    w.write_record(CSV_COLUMNS).map_err(fail)?;
    for i in items {
        let (field_code, field_name) = match &i.field {
            FieldItem::Name(n) => (String::new(), n.clone()),
            FieldItem::Coded { code, name } => (code.clone().unwrap_or_default(), name.clone()),
        };
        w.write_record([
            i.national_code.clone(),
            i.local_code.clone().unwrap_or_default(),
            i.name.clone(),
            field_code,
            field_name,
            i.level.clone(),
            i.service_level.to_string(),
            days_text(i.legal_days),
            i.legal_days_note.clone().unwrap_or_default(),
            i.agencies.join(";"),
            i.result.clone(),
            i.effective_from.clone().unwrap_or_default(),
            i.effective_to.clone().unwrap_or_default(),
            json_cell(&i.fees)?,
            json_cell(&i.parts)?,
            json_cell(&i.form)?,
            json_cell(&i.route)?,
            json_cell(&i.legal_basis)?,
            json_cell(&i.unconfirmed)?,
            json_cell(&i.sources)?,
        ])
        .map_err(fail)?;
    }
    w.into_inner()
        .map_err(|e| AppError::internal(e.to_string()))
}

/// A list as compact JSON text in a cell.
fn json_cell<T: Serialize>(list: &[T]) -> AppResult<String> {
    serde_json::to_string(list).map_err(|e| AppError::internal(e.to_string()))
}

/// One CSV row (already split into cells, by column name) as an import item: the JSON object
/// [`CatalogueItem`] reads, or the errors of its cells (column name and code).
fn csv_row_item(
    cell: &dyn Fn(&str) -> Option<String>,
) -> Result<serde_json::Value, Vec<ItemError>> {
    use serde_json::{Map, Value};
    let mut out = Map::new();
    let mut errors: Vec<ItemError> = Vec::new();
    let text = |c: &str| {
        cell(c)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    for c in ["national_code", "name", "level", "result"] {
        out.insert(c.into(), Value::String(cell(c).unwrap_or_default()));
    }
    for c in [
        "local_code",
        "legal_days_note",
        "effective_from",
        "effective_to",
    ] {
        if let Some(v) = text(c) {
            out.insert(c.into(), Value::String(v));
        }
    }
    let name = cell("field_name").unwrap_or_default();
    out.insert(
        "field".into(),
        match text("field_code") {
            Some(code) => serde_json::json!({"code": code, "name": name}),
            None => Value::String(name),
        },
    );
    match text("service_level").map(|v| v.parse::<u8>()) {
        None => errors.push((Some("service_level".into()), ErrorCode::Required)),
        Some(Ok(n)) => {
            out.insert("service_level".into(), Value::from(n));
        }
        Some(Err(_)) => errors.push((Some("service_level".into()), ErrorCode::InvalidFormat)),
    }
    let days = text("legal_days").map(|v| v.replace(',', "."));
    match days
        .as_deref()
        .map(|v| (v.parse::<f64>(), v.parse::<u64>()))
    {
        None => errors.push((Some("legal_days".into()), ErrorCode::Required)),
        Some((_, Ok(n))) => {
            out.insert("legal_days".into(), Value::from(n));
        }
        Some((Ok(d), _)) if d.is_finite() => {
            out.insert("legal_days".into(), Value::from(d));
        }
        Some(_) => errors.push((Some("legal_days".into()), ErrorCode::InvalidFormat)),
    }
    let agencies: Vec<Value> = cell("agencies")
        .unwrap_or_default()
        .split(';')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| Value::String(a.to_string()))
        .collect();
    out.insert("agencies".into(), Value::Array(agencies));
    for c in CSV_JSON {
        if let Some(v) = text(c) {
            match serde_json::from_str::<Value>(&v) {
                Ok(v @ Value::Array(_)) => {
                    out.insert(c.into(), v);
                }
                Ok(_) | Err(_) => errors.push((Some(c.into()), ErrorCode::MalformedJson)),
            }
        }
    }
    if errors.is_empty() {
        Ok(Value::Object(out))
    } else {
        Err(errors)
    }
}

/// The rows of a CSV file, with their line numbers (the header is line 1, the first row line
/// 2): each an import item, or the errors of its cells. A bad header is a bad file (422),
/// reported on line 1 with the column, as for agencies.
fn parse_procedures_csv(bytes: &[u8]) -> AppResult<NumberedItems> {
    let text = std::str::from_utf8(bytes).map_err(|_| AppError::new(ErrorCode::InvalidUtf8))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| AppError::new(ErrorCode::ImportFormat).with_detail(e.to_string()))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let bad_header = |column: &str, code: ErrorCode| AppError {
        code: ErrorCode::ImportFormat,
        field: None,
        lines: vec![LineError {
            line: 1,
            field: Some(column.to_string()),
            code,
        }],
        detail: Some(format!("{code} column {column}")),
    };
    let mut seen = HashSet::new();
    for h in &header {
        if !CSV_COLUMNS.contains(&h.as_str()) {
            return Err(bad_header(h, ErrorCode::UnknownField));
        }
        if !seen.insert(h.as_str()) {
            return Err(bad_header(h, ErrorCode::ProcedureDuplicateKey));
        }
    }
    for required in CSV_REQUIRED {
        if !seen.contains(required) {
            return Err(bad_header(required, ErrorCode::MissingField));
        }
    }
    let col = |name: &str| header.iter().position(|h| h == name);
    // The line a record starts on, from its byte offset: the reader's own line count lags by
    // one after `\r\n` line ends (files saved by spreadsheets).
    let line_at = |pos: Option<&csv::Position>| {
        let bytes = text.as_bytes();
        let Some(mut b) = pos.and_then(|p| usize::try_from(p.byte()).ok()) else {
            return 0;
        };
        while b < bytes.len() && matches!(bytes[b], b'\r' | b'\n') {
            b += 1;
        }
        bytes[..b.min(bytes.len())]
            .iter()
            .filter(|&&c| c == b'\n')
            .count()
            + 1
    };
    let mut out = Vec::new();
    for rec in rdr.records() {
        match rec {
            Ok(rec) => {
                let line = line_at(rec.position());
                let cell = |name: &str| col(name).and_then(|i| rec.get(i)).map(str::to_string);
                out.push((line, csv_row_item(&cell)));
            }
            Err(e) => {
                out.push((
                    line_at(e.position()),
                    Err(vec![(None, ErrorCode::ImportFormat)]),
                ));
            }
        }
    }
    Ok(out)
}

/// The errors of a serde complaint about one item.
fn serde_item_error(e: &serde_json::Error) -> ItemError {
    let msg = e.to_string();
    let quoted = || msg.split('`').nth(1).map(str::to_string);
    if msg.starts_with("unknown field") {
        (quoted(), ErrorCode::UnknownField)
    } else if msg.starts_with("missing field") {
        (quoted(), ErrorCode::MissingField)
    } else {
        (None, ErrorCode::ProcedureParse)
    }
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueImport {
    /// New procedures (version 1).
    pub inserted: usize,
    /// New versions of procedures already in the catalogue.
    pub new_versions: usize,
    /// Items identical to the version in effect (nothing stored).
    pub unchanged: usize,
}

/// The demo catalogue of Tây Ninh.
pub const DEMO_PROCEDURES_JSON: &str = include_str!("../../../data/demo/tay-ninh/procedures.json");

/// A page of results.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}

/// The catalogue query of the API and the portal.
#[derive(Debug, Clone, Default)]
pub struct ProcedureQuery {
    pub q: Option<String>,
    pub field: Option<String>,
    pub level: Option<ProcedureLevel>,
    pub agency: Option<AgencyId>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

impl App {
    /// Import procedures from a JSON array: every item is checked first; if any is bad, nothing
    /// is written and every error is reported with its item number (from 1) and field. An item
    /// whose national code is already in the catalogue becomes its next version, unless it is
    /// identical to the version in effect. The caller must administer every implementing agency.
    pub async fn procedures_import(&self, ctx: &Ctx, bytes: &[u8]) -> AppResult<CatalogueImport> {
        let text = std::str::from_utf8(bytes).map_err(|_| AppError::new(ErrorCode::InvalidUtf8))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let raw: Vec<serde_json::Value> = serde_json::from_str(text).map_err(|e| AppError {
            code: ErrorCode::ImportFormat,
            field: None,
            lines: vec![LineError {
                line: e.line(),
                field: None,
                code: ErrorCode::MalformedJson,
            }],
            detail: Some(e.to_string()),
        })?;
        self.procedures_import_items(ctx, raw).await
    }

    /// Import a file of either format: JSON as [`App::procedures_import`] (errors numbered by
    /// item), CSV one procedure a row (errors numbered by line, the header being line 1, with
    /// the column).
    pub async fn procedures_import_file(
        &self,
        ctx: &Ctx,
        format: Format,
        bytes: &[u8],
    ) -> AppResult<CatalogueImport> {
        match format {
            Format::Json => self.procedures_import(ctx, bytes).await,
            Format::Csv => {
                let rows = parse_procedures_csv(bytes)?;
                // The field of a procedure is two columns.
                self.procedures_import_numbered(ctx, rows)
                    .await
                    .map_err(|mut e| {
                        for l in &mut e.lines {
                            if let Some(f) = &mut l.field
                                && let Some(rest) = f.strip_prefix("field.")
                            {
                                *f = format!("field_{rest}");
                            }
                        }
                        e
                    })
            }
        }
    }

    /// The catalogue as a file of the import format: the version in effect of every procedure,
    /// by national code. Importing it back changes nothing.
    pub async fn procedures_export(&self, ctx: &Ctx, format: Format) -> AppResult<Vec<u8>> {
        self.authorize(ctx, Action::ViewProcedures, Target::Platform)?;
        let identifiers: HashMap<AgencyId, String> = self
            .store
            .agencies_all()
            .await?
            .into_iter()
            .map(|a| (a.id, a.fields.identifier.to_string()))
            .collect();
        let mut records = self.store.procedures_current().await?;
        records.sort_by(|a, b| {
            a.procedure
                .national_code
                .as_str()
                .cmp(b.procedure.national_code.as_str())
        });
        let items = records
            .iter()
            .map(|r| CatalogueItem::from_record(r, &identifiers))
            .collect::<AppResult<Vec<_>>>()?;
        match format {
            Format::Json => {
                let mut out = serde_json::to_vec_pretty(&items)
                    .map_err(|e| AppError::internal(e.to_string()))?;
                out.push(b'\n');
                Ok(out)
            }
            Format::Csv => items_csv(&items),
        }
    }

    /// [`App::procedures_import`] of an already parsed JSON array.
    pub async fn procedures_import_items(
        &self,
        ctx: &Ctx,
        raw: Vec<serde_json::Value>,
    ) -> AppResult<CatalogueImport> {
        let rows = raw
            .into_iter()
            .enumerate()
            .map(|(i, v)| (i + 1, Ok(v)))
            .collect();
        self.procedures_import_numbered(ctx, rows).await
    }

    /// The import of items numbered by the caller (item number or line), each an item or the
    /// errors found before it could be read (a CSV row's bad cells).
    async fn procedures_import_numbered(
        &self,
        ctx: &Ctx,
        raw: NumberedItems,
    ) -> AppResult<CatalogueImport> {
        // Someone not signed in is told so at once (the per-item checks below say which
        // agencies a signed-in caller may not administer).
        if let Err(e) = self.authorize(ctx, Action::ManageAgency, Target::Platform)
            && e.code == ErrorCode::Unauthenticated
        {
            return Err(e);
        }
        let all_agencies = self.store.agencies_all().await?;
        let by_identifier: HashMap<String, AgencyId> = all_agencies
            .iter()
            .map(|a| (a.fields.identifier.to_string(), a.id))
            .collect();
        let by_id: HashMap<AgencyId, &Agency> = all_agencies.iter().map(|a| (a.id, a)).collect();
        let today = chrono::DateTime::from_timestamp_micros(self.now_us())
            .map(|t| cqdt_domain::calendar::to_local(t).date())
            .ok_or_else(|| AppError::internal("clock out of range"))?;
        let mut errors = Vec::new();
        let mut refusals = Vec::new();
        let mut parsed: Vec<(usize, Procedure, ProcedureLevel, ProcedureNotes)> = Vec::new();
        let mut seen = HashSet::new();
        for (line, value) in raw {
            let mut push = |(field, code): ItemError| {
                errors.push(LineError { line, field, code });
            };
            let value = match value {
                Ok(v) => v,
                Err(es) => {
                    es.into_iter().for_each(push);
                    continue;
                }
            };
            let item: CatalogueItem = match serde_json::from_value(value) {
                Ok(item) => item,
                Err(e) => {
                    push(serde_item_error(&e));
                    continue;
                }
            };
            match item.to_procedure(&by_identifier, today) {
                Err(es) => es.into_iter().for_each(push),
                Ok((p, level, notes)) => {
                    if !seen.insert(p.national_code.clone()) {
                        push((
                            Some("national_code".into()),
                            ErrorCode::ProcedureDuplicateKey,
                        ));
                        continue;
                    }
                    for (k, a) in p.agencies.iter().enumerate() {
                        let path = by_id.get(a).map(|a| a.path.clone()).unwrap_or_default();
                        if let Err(e) =
                            self.authorize(ctx, Action::ManageAgency, Target::Agency(&path))
                        {
                            refusals.push(LineError {
                                line,
                                field: Some(format!("agencies[{k}]")),
                                code: e.code,
                            });
                        }
                    }
                    parsed.push((line, p, level, notes));
                }
            }
        }
        // Not allowed: 403, listing the items and agencies concerned.
        if let Some(first) = refusals.first() {
            return Err(AppError {
                code: first.code,
                field: None,
                lines: refusals,
                detail: None,
            });
        }
        if !errors.is_empty() {
            return Err(AppError {
                code: ErrorCode::ImportFailed,
                field: None,
                lines: errors,
                detail: None,
            });
        }
        let current: HashMap<NationalCode, ProcedureRecord> = self
            .store
            .procedures_current()
            .await?
            .into_iter()
            .map(|r| (r.procedure.national_code.clone(), r))
            .collect();
        let now = self.now_us();
        let (mut records, mut audits) = (Vec::new(), Vec::new());
        let mut report = CatalogueImport {
            inserted: 0,
            new_versions: 0,
            unchanged: 0,
        };
        for (_, mut p, level, notes) in parsed {
            let before = current.get(&p.national_code);
            if let Some(b) = before {
                p.version = b.procedure.version + 1;
                let mut same = b.procedure.clone();
                same.version = p.version;
                if same == p && b.level == level && b.notes == notes {
                    report.unchanged += 1;
                    continue;
                }
                report.new_versions += 1;
            } else {
                report.inserted += 1;
            }
            let id = ProcedureId(self.ids.new_id());
            audits.push(ctx.audit(
                now,
                "procedure.import",
                "procedure",
                id,
                before.map(|b| &b.procedure),
                Some(&p),
            ));
            records.push(ProcedureRecord {
                id,
                procedure: p,
                level,
                notes,
                current: true,
                created_at_us: now,
                updated_at_us: now,
            });
        }
        if !records.is_empty() {
            self.store.procedures_insert(&records, &audits).await?;
        }
        Ok(report)
    }

    /// Search the catalogue (current versions): diacritic-insensitive ("dang ky ket hon" finds
    /// "Đăng ký kết hôn"), every word must appear; exact names first, then names that start with
    /// the text, then names with a word starting with it, then the rest, each by name. A national
    /// code finds its procedure.
    pub async fn procedures_search(
        &self,
        ctx: &Ctx,
        q: &ProcedureQuery,
    ) -> AppResult<Page<ProcedureRecord>> {
        self.authorize(ctx, Action::ViewProcedures, Target::Platform)?;
        let filter = ProcedureFilter {
            query: q
                .q
                .as_deref()
                .map(|s| fold(&nfc(s)))
                .filter(|s| !s.is_empty()),
            field: q
                .field
                .as_deref()
                .map(|s| fold(&nfc(s)))
                .filter(|s| !s.is_empty()),
            level: q.level,
            agency: q.agency,
            limit: q.limit.unwrap_or(50).clamp(1, 500),
            offset: q.offset.unwrap_or(0).max(0),
        };
        let (items, total) = self.store.procedures_search(&filter).await?;
        Ok(Page { items, total })
    }

    /// One version of a procedure.
    pub async fn procedure(&self, ctx: &Ctx, id: ProcedureId) -> AppResult<ProcedureRecord> {
        self.authorize(ctx, Action::ViewProcedures, Target::Platform)?;
        self.store
            .procedure_get(id)
            .await?
            .ok_or_else(|| AppError::new(ErrorCode::ProcedureNotFound))
    }

    /// Load the demo catalogue (as the command line). Entries whose national code the
    /// research could not confirm (`"national_code": null`) are left out and logged: a
    /// procedure of the catalogue is keyed by its national code.
    pub async fn seed_demo_procedures(&self) -> AppResult<CatalogueImport> {
        let (items, skipped) = demo_catalogue_items()?;
        for name in &skipped {
            tracing::warn!(procedure = %name, "demo procedure without a national code left out");
        }
        let bytes = serde_json::to_vec(&items).map_err(|e| AppError::internal(e.to_string()))?;
        self.procedures_import(&Ctx::cli(), &bytes).await
    }
}

/// The demo catalogue's items that have a national code, and the names of those left out.
pub fn demo_catalogue_items() -> AppResult<(Vec<serde_json::Value>, Vec<String>)> {
    let all: Vec<serde_json::Value> = serde_json::from_str(DEMO_PROCEDURES_JSON)
        .map_err(|e| AppError::internal(format!("demo procedures: {e}")))?;
    let (with, without): (Vec<_>, Vec<_>) = all
        .into_iter()
        .partition(|v| v.get("national_code").is_some_and(|c| c.is_string()));
    let names = without
        .iter()
        .map(|v| {
            v.get("name")
                .and_then(|n| n.as_str())
                .unwrap_or("?")
                .to_string()
        })
        .collect();
    Ok((with, names))
}

/// The fields (lĩnh vực) of a list of procedures, by name, with how many each has.
pub fn fields_of(items: &[ProcedureRecord]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for r in items {
        *out.entry(r.procedure.field.name.clone()).or_insert(0) += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    /// Every demo procedure with a national code converts, against the demo agency tree.
    #[test]
    fn the_demo_catalogue_converts() {
        let agencies: HashMap<String, AgencyId> = crate::demo::AGENCIES_CSV
            .lines()
            .skip(1)
            .enumerate()
            .filter_map(|(i, l)| l.split(',').next().map(|id| (id.to_string(), i)))
            .map(|(id, i)| (id, AgencyId(uuid::Uuid::from_u128(i as u128 + 1))))
            .collect();
        let (items, _) = demo_catalogue_items().unwrap();
        assert!(items.len() >= 20, "{} demo procedures", items.len());
        let mut failures = Vec::new();
        for (i, v) in items.into_iter().enumerate() {
            let name = v["name"].as_str().unwrap_or("?").to_string();
            match serde_json::from_value::<CatalogueItem>(v) {
                Err(e) => failures.push(format!("{}: {name}: {e}", i + 1)),
                Ok(item) => {
                    if let Err(es) = item.to_procedure(&agencies, day()) {
                        failures.push(format!("{}: {name}: {es:?}", i + 1));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn days_become_durations() {
        assert_eq!(days_duration(0.0), Some(WorkDuration::Days(0)));
        assert_eq!(days_duration(0.5), Some(WorkDuration::HalfDays(1)));
        assert_eq!(days_duration(3.0), Some(WorkDuration::Days(3)));
        assert_eq!(days_duration(2.5), Some(WorkDuration::HalfDays(5)));
        assert_eq!(days_duration(0.3), None);
        assert_eq!(days_duration(-1.0), None);
        assert_eq!(days_duration(f64::NAN), None);
    }

    #[test]
    fn roles_by_name_and_alias() {
        assert_eq!(route_role("one_stop_officer"), Some(Role::OneStopOfficer));
        assert_eq!(route_role(" Leader "), Some(Role::Leader));
        assert_eq!(route_role("desk"), Some(Role::OneStopOfficer));
        assert_eq!(route_role("chairman"), None);
    }

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 3, 3).unwrap()
    }

    fn item(json: &str) -> CatalogueItem {
        serde_json::from_str(json).unwrap()
    }

    const BIRTH: &str = r#"{
        "national_code": "1.001193", "local_code": null, "name": "Thủ tục đăng ký khai sinh",
        "field": "Hộ tịch", "level": "commune", "agencies": ["000.01.20.H53"],
        "service_level": 3, "legal_days": 0.5, "legal_days_note": "Ngay trong ngày",
        "fees": [{"name": "Lệ phí đăng ký khai sinh", "kind": "charge", "amount_vnd": 0, "note": "Miễn"}],
        "parts": [{"name": "Tờ khai đăng ký khai sinh", "required": true, "original": 1, "copies": 0, "template": "to-khai.docx"},
                  {"name": "Giấy chứng sinh", "required": true, "original": true}],
        "form": [{"name": "ho_ten_tre", "label": "Họ tên trẻ", "type": "text", "required": true, "max_len": 100}],
        "route": [{"step": "Tiếp nhận", "unit": "Bộ phận Một cửa", "agency_level": "commune", "role": "one_stop_officer", "days": 0, "inter_agency": false},
                  {"step": "Xử lý", "unit": "Công chức tư pháp - hộ tịch", "agency_level": "commune", "role": "specialist", "days": 0.5, "inter_agency": false}],
        "result": "Giấy khai sinh", "legal_basis": ["Luật Hộ tịch 2014"],
        "effective_from": "2016-01-01", "unconfirmed": ["fee"], "sources": ["https://dichvucong.gov.vn"]
    }"#;

    #[test]
    fn an_item_becomes_a_procedure() {
        let agencies: HashMap<String, AgencyId> = [(
            "000.01.20.H53".to_string(),
            AgencyId(uuid::Uuid::from_u128(7)),
        )]
        .into();
        let (p, level, notes) = item(BIRTH).to_procedure(&agencies, day()).unwrap();
        assert_eq!(p.national_code.as_str(), "1.001193");
        assert_eq!(level, ProcedureLevel::Commune);
        assert_eq!(p.level, ServiceLevel::PartlyOnline);
        assert_eq!(p.legal_time, WorkDuration::HalfDays(1));
        assert_eq!(p.parts[0].form, PaperForm::Original);
        assert_eq!(p.parts[1].count, 1);
        assert_eq!(p.form.fields[0].key, "ho_ten_tre");
        assert_eq!(p.route.len(), 2);
        assert_eq!(p.route[0].allotted, WorkDuration::Days(0));
        assert_eq!(p.agencies, vec![AgencyId(uuid::Uuid::from_u128(7))]);
        assert_eq!(notes.legal_days_note.as_deref(), Some("Ngay trong ngày"));

        // Every error of the item at once, by field.
        let broken = BIRTH
            .replace("\"1.001193\"", "\"1001193\"")
            .replace("\"commune\", \"agencies\"", "\"hamlet\", \"agencies\"")
            .replace("\"000.01.20.H53\"]", "\"000.99.20.H53\"]")
            .replace("\"days\": 0.5", "\"days\": 0.3");
        let errs = item(&broken).to_procedure(&agencies, day()).unwrap_err();
        let fields: Vec<&str> = errs.iter().filter_map(|e| e.0.as_deref()).collect();
        assert_eq!(
            fields,
            vec!["national_code", "level", "agencies[0]", "route[1].days"]
        );
        // The domain's own rules: the route adds up to more than the legal time.
        let long = BIRTH.replace("\"days\": 0.5", "\"days\": 1");
        let errs = item(&long).to_procedure(&agencies, day()).unwrap_err();
        assert_eq!(
            errs,
            vec![(Some("route".into()), ErrorCode::ProcedureAllotmentMismatch)]
        );
    }
}
