//! The public portal (Cổng dịch vụ công): procedure search and pages, online submission with a
//! review step, the receipt, "my dossiers" and the lookup without login. Shared view helpers
//! of the dossier pages (labels, local times, form fields) live here too.
#![allow(clippy::result_large_err)]

use super::{
    Errs, Form, Nav, accept_form, csrf_for, error_page, html_page, nav_of, see_other, with_cookie,
};
use crate::auth::Caller;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use cqdt_app::AppError;
use cqdt_app::dossiers::{DossierView, WorklistQuery};
use cqdt_app::files::{DraftInput, DraftView, Upload};
use cqdt_app::procedures::ProcedureQuery;
use cqdt_app::store::{
    DossierRecord, DraftBody, DraftRecord, FileRecord, ProcedureLevel, ProcedureRecord,
};
use cqdt_domain::ErrorCode;
use cqdt_domain::agency::{Agency, normalize_phone, valid_email};
use cqdt_domain::calendar::{Timeliness, WorkDuration};
use cqdt_domain::dossier::{
    Channel, DossierEvent, EventKind, ReturnMethod, Satisfaction, StateName,
};
use cqdt_domain::files::FileKind;
use cqdt_domain::ids::{AgencyId, DossierId, DraftId, FileId, ProcedureId};
use cqdt_domain::procedure::{FieldType, FormField, PaperForm, ServiceLevel};
use cqdt_domain::text::vi_cmp;
use std::collections::{BTreeMap, HashMap};

// ---------- shared helpers of the dossier pages ----------

/// A local (Asia/Ho_Chi_Minh, UTC+7) time as `dd/mm/yyyy HH:MM`.
pub(super) fn local_hm(us: i64) -> String {
    let tz = chrono::FixedOffset::east_opt(7 * 3600);
    match (chrono::DateTime::from_timestamp_micros(us), tz) {
        (Some(d), Some(tz)) => d.with_timezone(&tz).format("%d/%m/%Y %H:%M").to_string(),
        _ => String::new(),
    }
}

/// A UTC instant as local `dd/mm/yyyy HH:MM`.
pub(super) fn utc_hm(t: chrono::DateTime<chrono::Utc>) -> String {
    local_hm(t.timestamp_micros())
}

/// A local date-time (already UTC+7) as `dd/mm/yyyy HH:MM`.
pub(super) fn naive_hm(t: chrono::NaiveDateTime) -> String {
    t.format("%d/%m/%Y %H:%M").to_string()
}

/// An amount in VND with dots between thousands: `1.500.000 đồng`.
pub(super) fn money(t: &Tr, vnd: u64) -> String {
    let digits = vnd.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    format!("{out} {}", t.s("portal.currency"))
}

/// A working duration in words ("3 ngày làm việc", "1,5 ngày làm việc").
pub(super) fn duration_text(t: &Tr, d: WorkDuration) -> String {
    match d {
        WorkDuration::Days(0) | WorkDuration::HalfDays(0) => t.s("portal.within_day").into(),
        WorkDuration::Days(n) => format!("{n} {}", t.s("portal.working_days")),
        WorkDuration::HalfDays(n) if n % 2 == 0 => {
            format!("{} {}", n / 2, t.s("portal.working_days"))
        }
        WorkDuration::HalfDays(n) => format!("{},5 {}", n / 2, t.s("portal.working_days")),
        WorkDuration::Minutes(m) => format!("{m} {}", t.s("portal.working_minutes")),
    }
}

pub(super) fn state_label(t: &Tr, s: StateName) -> String {
    t.s(&format!("dossier.state.{}", s.as_str())).into()
}

fn serde_name<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

pub(super) fn return_label(t: &Tr, m: ReturnMethod) -> String {
    t.s(&format!("dossier.return.{}", serde_name(&m))).into()
}

pub(super) fn channel_label(t: &Tr, c: Channel) -> String {
    t.s(&format!("dossier.channel.{}", serde_name(&c))).into()
}

fn timeliness_label(t: &Tr, x: Timeliness) -> String {
    let k = match x {
        Timeliness::Early => "early",
        Timeliness::OnTime => "on_time",
        Timeliness::Late => "late",
    };
    t.s(&format!("dossier.timeliness.{k}")).into()
}

pub(super) fn satisfaction_label(t: &Tr, x: Satisfaction) -> String {
    t.s(&format!("dossier.satisfaction.{}", serde_name(&x)))
        .into()
}

/// The 2022 words and the 2019 level of a service level: "Mức độ 3 — DVC trực tuyến một phần".
pub(super) fn service_level_text(t: &Tr, l: ServiceLevel) -> String {
    format!(
        "{} {} — {}",
        t.s("portal.level_2019"),
        l.level_2019(),
        t.s(&format!("portal.service.{}", serde_name(&l)))
    )
}

fn cap_param(l: ProcedureLevel) -> &'static str {
    match l {
        ProcedureLevel::Province => "tinh",
        ProcedureLevel::District => "huyen",
        ProcedureLevel::Commune => "xa",
    }
}

fn cap_of_param(s: &str) -> Option<ProcedureLevel> {
    ProcedureLevel::ALL
        .into_iter()
        .find(|l| cap_param(*l) == s.trim())
}

fn cap_label(t: &Tr, l: ProcedureLevel) -> String {
    t.s(&format!("portal.cap.{}", l.as_str())).into()
}

/// Every agency by id.
pub(super) async fn agencies_by_id(s: &AppState) -> HashMap<AgencyId, Agency> {
    s.app
        .store
        .agencies_all()
        .await
        .map(|v| v.into_iter().map(|a| (a.id, a)).collect())
        .unwrap_or_default()
}

pub(super) fn agency_name(all: &HashMap<AgencyId, Agency>, id: AgencyId) -> String {
    all.get(&id)
        .map(|a| a.fields.name.clone())
        .unwrap_or_default()
}

/// Errors of a form whose field labels the page knows (procedure form fields, contact
/// details): the summary names the field with its label.
pub(super) fn errs_with(
    t: &Tr,
    e: &AppError,
    label: &dyn Fn(&str) -> Option<String>,
    rename: &dyn Fn(&str) -> String,
) -> Errs {
    let mut errs = Errs::default();
    let mut add = |field: Option<&str>, code: ErrorCode| {
        let msg = t.error(code).to_string();
        match field {
            Some(f) => {
                let name = rename(f);
                if errs.map.contains_key(&name) {
                    return;
                }
                let l = label(f).unwrap_or_else(|| t.field(f));
                errs.summary.push((name.clone(), format!("{l}: {msg}")));
                errs.map.insert(name, msg);
            }
            None => errs.summary.push((String::new(), msg)),
        }
    };
    if e.lines.is_empty() {
        add(e.field.as_deref(), e.code);
    } else {
        for l in &e.lines {
            add(l.field.as_deref(), l.code);
        }
    }
    errs
}

/// Adds one field error.
pub(super) fn push_err(errs: &mut Errs, t: &Tr, name: &str, label: &str, code: ErrorCode) {
    if errs.map.contains_key(name) {
        return;
    }
    let msg = t.error(code).to_string();
    errs.summary
        .push((name.to_string(), format!("{label}: {msg}")));
    errs.map.insert(name.to_string(), msg);
}

/// One input of a generated form.
pub struct FieldView {
    /// The form name (and, with `f-`, the element id), e.g. `values.ho_ten`.
    pub name: String,
    pub label: String,
    /// `text`, `date`, `email`, `tel`, `select`, `textarea`.
    pub kind: &'static str,
    /// `inputmode`, if any.
    pub inputmode: &'static str,
    pub autocomplete: &'static str,
    pub value: String,
    pub error: String,
    pub required: bool,
    pub choices: Vec<String>,
    pub hint: String,
}

impl FieldView {
    pub fn plain(name: &str, label: String, value: String, error: &str) -> FieldView {
        FieldView {
            name: name.into(),
            label,
            kind: "text",
            inputmode: "",
            autocomplete: "off",
            value,
            error: error.into(),
            required: false,
            choices: vec![],
            hint: String::new(),
        }
    }
}

/// The inputs of a procedure's applicant form, with the values typed and the errors.
pub(super) fn form_fields(
    t: &Tr,
    fields: &[FormField],
    values: &BTreeMap<String, String>,
    errs: &Errs,
) -> Vec<FieldView> {
    fields
        .iter()
        .map(|f| {
            let name = format!("values.{}", f.key);
            let (kind, inputmode, hint_key) = match f.field_type {
                FieldType::Text if f.max_length.is_none_or(|m| m > 300) => ("textarea", "", ""),
                FieldType::Text => ("text", "", ""),
                FieldType::Number => ("text", "decimal", "portal.hint.number"),
                FieldType::Date => ("date", "", "portal.hint.date"),
                FieldType::Choice => ("select", "", ""),
                FieldType::Address => ("textarea", "", ""),
                FieldType::IdNumber => ("text", "numeric", "portal.hint.id_number"),
                FieldType::Phone => ("tel", "tel", "portal.hint.phone"),
                FieldType::Email => ("email", "email", ""),
            };
            let mut hint = f.help.clone().unwrap_or_default();
            if !hint_key.is_empty() {
                if !hint.is_empty() {
                    hint.push_str(" — ");
                }
                hint.push_str(t.s(hint_key));
            }
            FieldView {
                error: errs.e(&name).to_string(),
                value: values.get(&f.key).cloned().unwrap_or_default(),
                name,
                label: f.label.clone(),
                kind,
                inputmode,
                autocomplete: "off",
                required: f.required,
                choices: f.choices.clone(),
                hint,
            }
        })
        .collect()
}

/// The `values.*` entries of a submitted form, without empty ones.
pub(super) fn form_values(form: &Form) -> BTreeMap<String, String> {
    form.0
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("values.")
                .map(|k| (k.to_string(), v.clone()))
        })
        .filter(|(_, v)| !v.trim().is_empty())
        .collect()
}

/// A value of the applicant's form as people read it (dates as dd/mm/yyyy).
pub(super) fn shown_value(f: Option<&FormField>, v: &str) -> String {
    match f.map(|f| f.field_type) {
        Some(FieldType::Date) => chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or_else(|_| v.to_string()),
        _ => v.to_string(),
    }
}

/// One event of a timeline.
pub struct EventView {
    pub at: String,
    pub label: String,
    pub state: String,
    pub details: Vec<String>,
}

/// The timeline of a dossier, oldest first. `public`: leave out what only staff and the
/// applicant should read (the consultation's question and answer, notes).
pub(super) fn timeline(
    t: &Tr,
    rec: &DossierRecord,
    events: &[(i64, DossierEvent)],
    agencies: &HashMap<AgencyId, Agency>,
    public: bool,
) -> Vec<EventView> {
    let step = |k: u16| {
        rec.dossier
            .terms()
            .route
            .get(usize::from(k))
            .map(|s| s.name.clone())
            .unwrap_or_else(|| format!("{} {}", t.s("dossier.step"), k + 1))
    };
    events
        .iter()
        .map(|(_, e)| {
            let mut details: Vec<String> = Vec::new();
            let mut line = |k: &str, v: String| {
                if !v.is_empty() {
                    details.push(format!("{}: {v}", t.s(k)));
                }
            };
            let kind = serde_json::to_value(&e.kind)
                .ok()
                .and_then(|v| v.get("type").and_then(|x| x.as_str()).map(str::to_string))
                .unwrap_or_default();
            match &e.kind {
                EventKind::Submitted { channel, code } => {
                    line("dossier.code", code.to_string());
                    line("dossier.channel", channel_label(t, *channel));
                }
                EventKind::Received { legal_time, .. } => {
                    line("portal.legal_time", duration_text(t, *legal_time));
                }
                EventKind::SupplementRequested { reasons, .. }
                | EventKind::Refused { reasons }
                | EventKind::Rejected { reasons, .. } => {
                    for r in reasons {
                        line("dossier.reason", r.clone());
                    }
                }
                EventKind::SupplementAnswered { note } if !public => {
                    line("dossier.note", note.clone().unwrap_or_default());
                }
                EventKind::HandedOver { to_step } => line("dossier.to_step", step(*to_step)),
                EventKind::StepCompleted {
                    step: k,
                    next_step,
                    note,
                } => {
                    line("dossier.at_step", step(*k));
                    if let Some(n) = next_step {
                        line("dossier.to_step", step(*n));
                    }
                    if !public {
                        line("dossier.note", note.clone().unwrap_or_default());
                    }
                }
                EventKind::ConsultationRequested {
                    agency,
                    question,
                    allotted,
                    due,
                    ..
                } => {
                    line("dossier.consulted", agency_name(agencies, *agency));
                    if !public {
                        line("dossier.question", question.clone());
                        line("dossier.allotted", duration_text(t, *allotted));
                        line("dossier.consult_due", naive_hm(*due));
                    }
                }
                EventKind::ConsultationAnswered {
                    agency,
                    answer,
                    timeliness,
                } => {
                    line("dossier.consulted", agency_name(agencies, *agency));
                    if !public {
                        line("dossier.answer", answer.clone().unwrap_or_default());
                        line("dossier.timeliness", timeliness_label(t, *timeliness));
                    }
                }
                EventKind::Approved { step: k, .. } => line("dossier.at_step", step(*k)),
                EventKind::SentBack {
                    from_step,
                    to_step,
                    reason,
                } => {
                    line("dossier.at_step", step(*from_step));
                    line("dossier.to_step", step(*to_step));
                    line("dossier.reason", reason.clone());
                }
                EventKind::FinancialObligationRequested {
                    description,
                    amount_vnd,
                } => {
                    line("dossier.obligation", description.clone());
                    if let Some(a) = amount_vnd {
                        line("dossier.amount", money(t, *a));
                    }
                }
                EventKind::ResultReady { timeliness } => {
                    line("dossier.timeliness", timeliness_label(t, *timeliness));
                }
                EventKind::ResultReturned { method } => {
                    line("dossier.return_method", return_label(t, *method));
                }
                EventKind::Withdrawn { reason } => {
                    line("dossier.reason", reason.clone().unwrap_or_default());
                }
                EventKind::ApologyIssued {
                    reason,
                    previous_due,
                    new_appointment,
                } => {
                    line("dossier.reason", reason.clone());
                    line("dossier.previous_due", naive_hm(*previous_due));
                    line("dossier.new_appointment", naive_hm(*new_appointment));
                }
                EventKind::Evaluated { evaluation } => {
                    line(
                        "dossier.satisfaction",
                        satisfaction_label(t, evaluation.satisfaction),
                    );
                }
                _ => {}
            }
            if let Some(due) = e.due
                && matches!(e.kind, EventKind::Received { .. })
            {
                line("dossier.due", naive_hm(due));
            }
            if e.clock_paused {
                details.push(t.s("dossier.clock_paused").into());
            }
            EventView {
                at: utc_hm(e.at),
                label: t.s(&format!("dossier.event.{kind}")).into(),
                state: state_label(t, e.state),
                details,
            }
        })
        .collect()
}

fn query<T: serde::de::DeserializeOwned + Default>(uri: &Uri) -> T {
    serde_urlencoded::from_str(uri.query().unwrap_or("")).unwrap_or_default()
}

// ---------- procedure search ----------

pub struct ProcRow {
    pub id: String,
    pub name: String,
    pub code: String,
    pub field: String,
    pub cap: String,
    pub level: String,
    pub time: String,
    pub online: bool,
}

#[derive(Template)]
#[template(path = "portal_search.html")]
struct SearchPage {
    t: Tr,
    nav: Nav,
    errs: Errs,
    notice: String,
    q: String,
    field: String,
    agency: String,
    cap: String,
    searched: bool,
    rows: Vec<ProcRow>,
    fields: Vec<(String, String, usize)>,
    agencies: Vec<(String, String)>,
    caps: Vec<(String, String)>,
    prev: String,
    next: String,
    range: String,
}

#[derive(serde::Deserialize, Default)]
struct SearchQ {
    #[serde(default)]
    q: String,
    #[serde(default, rename = "linh-vuc")]
    field: String,
    #[serde(default, rename = "co-quan")]
    agency: String,
    #[serde(default)]
    cap: String,
    #[serde(default)]
    trang: String,
}

const PER_PAGE: i64 = 20;

fn proc_row(t: &Tr, r: &ProcedureRecord) -> ProcRow {
    let p = &r.procedure;
    ProcRow {
        id: r.id.to_string(),
        name: p.name.clone(),
        code: p.national_code.to_string(),
        field: p.field.name.clone(),
        cap: cap_label(t, r.level),
        level: service_level_text(t, p.level),
        time: duration_text(t, p.legal_time),
        online: p.level.allows_online_submission(),
    }
}

fn enc(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|x| x.trim_start_matches('=').to_string())
        .unwrap_or_default()
}

async fn search(State(s): State<AppState>, caller: Caller, uri: Uri) -> Response {
    let t = Tr::new(caller.lang);
    let p: SearchQ = query(&uri);
    let page = p.trang.trim().parse::<i64>().unwrap_or(1).max(1);
    let agency = AgencyId::parse(p.agency.trim());
    let level = cap_of_param(&p.cap);
    let searched =
        !p.q.trim().is_empty() || !p.field.trim().is_empty() || agency.is_some() || level.is_some();
    let all = match s
        .app
        .procedures_search(
            &caller.ctx,
            &ProcedureQuery {
                limit: Some(500),
                ..ProcedureQuery::default()
            },
        )
        .await
    {
        Ok(p) => p.items,
        Err(e) => return error_page(&s, &caller, &e),
    };
    let (rows, total) = if searched {
        match s
            .app
            .procedures_search(
                &caller.ctx,
                &ProcedureQuery {
                    q: Some(p.q.clone()).filter(|q| !q.trim().is_empty()),
                    field: Some(p.field.clone()).filter(|q| !q.trim().is_empty()),
                    level,
                    agency,
                    limit: Some(PER_PAGE),
                    offset: Some((page - 1) * PER_PAGE),
                },
            )
            .await
        {
            Ok(r) => (r.items.iter().map(|x| proc_row(&t, x)).collect(), r.total),
            Err(e) => return error_page(&s, &caller, &e),
        }
    } else {
        (vec![], 0)
    };
    let mut fields: Vec<(String, String, usize)> = cqdt_app::procedures::fields_of(&all)
        .into_iter()
        .map(|(name, n)| (enc(&name), name, n))
        .collect();
    fields.sort_by(|a, b| vi_cmp(&a.1, &b.1));
    let used: std::collections::HashSet<AgencyId> = all
        .iter()
        .flat_map(|r| r.procedure.agencies.iter().copied())
        .collect();
    let tree = cqdt_app::agencies::tree_order(s.app.store.agencies_all().await.unwrap_or_default());
    let agencies = tree
        .into_iter()
        .filter(|a| used.contains(&a.id))
        .map(|a| (a.id.to_string(), a.fields.name))
        .collect();
    let caps = ProcedureLevel::ALL
        .iter()
        .map(|l| (cap_param(*l).to_string(), cap_label(&t, *l)))
        .collect();
    let link = |n: i64| {
        format!(
            "/thu-tuc?q={}&linh-vuc={}&co-quan={}&cap={}&trang={n}",
            enc(&p.q),
            enc(&p.field),
            enc(&p.agency),
            enc(&p.cap)
        )
    };
    let prev = if page > 1 {
        link(page - 1)
    } else {
        String::new()
    };
    let next = if page * PER_PAGE < total {
        link(page + 1)
    } else {
        String::new()
    };
    let range = if total > 0 {
        format!(
            "{}–{} / {}",
            (page - 1) * PER_PAGE + 1,
            ((page - 1) * PER_PAGE + rows.len() as i64),
            total
        )
    } else {
        String::new()
    };
    let (csrf, cookie) = csrf_for(&s, &caller);
    with_cookie(
        html_page(SearchPage {
            t,
            nav: nav_of(&caller, csrf),
            errs: Errs::default(),
            notice: String::new(),
            q: p.q,
            field: p.field,
            agency: p.agency,
            cap: p.cap,
            searched,
            rows,
            fields,
            agencies,
            caps,
            prev,
            next,
            range,
        }),
        cookie,
    )
}

// ---------- procedure page ----------

pub struct PartView {
    pub number: usize,
    pub name: String,
    pub required: bool,
    pub form: String,
    pub count: u32,
    pub template: String,
}

pub struct FeeView {
    pub name: String,
    pub kind: String,
    pub amount: String,
    pub note: String,
}

pub struct StepView {
    pub name: String,
    pub unit: String,
    pub time: String,
}

fn paper_label(t: &Tr, f: PaperForm) -> String {
    t.s(&format!("portal.paper.{}", serde_name(&f))).into()
}

pub(super) fn parts_of(t: &Tr, r: &ProcedureRecord) -> Vec<PartView> {
    r.procedure
        .parts
        .iter()
        .enumerate()
        .map(|(i, p)| PartView {
            number: i + 1,
            name: p.name.clone(),
            required: p.required,
            form: paper_label(t, p.form),
            count: p.count,
            template: p.template.clone().unwrap_or_default(),
        })
        .collect()
}

pub(super) fn fees_of(t: &Tr, r: &ProcedureRecord) -> Vec<FeeView> {
    r.procedure
        .fees
        .iter()
        .map(|f| FeeView {
            name: f.name.clone(),
            kind: t.s(&format!("portal.fee.{}", serde_name(&f.kind))).into(),
            amount: money(t, f.amount_vnd),
            note: f.note.clone().unwrap_or_default(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "portal_procedure.html")]
struct ProcedurePage {
    t: Tr,
    nav: Nav,
    errs: Errs,
    notice: String,
    id: String,
    name: String,
    code: String,
    local_code: String,
    field: String,
    cap: String,
    level: String,
    online: bool,
    current: bool,
    time: String,
    time_note: String,
    fees: Vec<FeeView>,
    total_fees: String,
    parts: Vec<PartView>,
    agencies: Vec<String>,
    steps: Vec<StepView>,
    result: String,
    legal_basis: Vec<String>,
    effective_from: String,
    version: u32,
}

async fn procedure_page(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Response {
    let t = Tr::new(caller.lang);
    let Some(id) = ProcedureId::parse(&id) else {
        return error_page(&s, &caller, &AppError::new(ErrorCode::ProcedureNotFound));
    };
    let r = match s.app.procedure(&caller.ctx, id).await {
        Ok(r) => r,
        Err(e) => return error_page(&s, &caller, &e),
    };
    let all = agencies_by_id(&s).await;
    let p = &r.procedure;
    let mut agencies: Vec<String> = p.agencies.iter().map(|a| agency_name(&all, *a)).collect();
    agencies.sort_by(|a, b| vi_cmp(a, b));
    let (csrf, cookie) = csrf_for(&s, &caller);
    let page = ProcedurePage {
        t,
        nav: nav_of(&caller, csrf),
        errs: Errs::default(),
        notice: String::new(),
        id: r.id.to_string(),
        name: p.name.clone(),
        code: p.national_code.to_string(),
        local_code: p
            .local_code
            .as_ref()
            .map(|c| c.to_string())
            .unwrap_or_default(),
        field: p.field.name.clone(),
        cap: cap_label(&t, r.level),
        level: service_level_text(&t, p.level),
        online: p.level.allows_online_submission() && r.current,
        current: r.current,
        time: duration_text(&t, p.legal_time),
        time_note: r.notes.legal_days_note.clone().unwrap_or_default(),
        fees: fees_of(&t, &r),
        total_fees: money(&t, p.total_fees_vnd()),
        parts: parts_of(&t, &r),
        agencies,
        steps: p
            .route
            .iter()
            .map(|st| StepView {
                name: st.name.clone(),
                unit: st
                    .unit
                    .clone()
                    .or_else(|| st.agency.map(|a| agency_name(&all, a)))
                    .unwrap_or_default(),
                time: duration_text(&t, st.allotted),
            })
            .collect(),
        result: p.result.clone(),
        legal_basis: p.legal_basis.clone(),
        effective_from: p.effective_from.format("%d/%m/%Y").to_string(),
        version: p.version,
    };
    with_cookie(html_page(page), cookie)
}

struct Typed {
    agency: String,
    values: BTreeMap<String, String>,
    id_number: String,
    phone: String,
    email: String,
    address: String,
    method: String,
}

fn typed_of(form: &Form) -> Typed {
    Typed {
        agency: form.get("agency_id"),
        values: form_values(form),
        id_number: form.get("id_number"),
        phone: form.get("phone"),
        email: form.get("email"),
        address: form.get("address"),
        method: form.get("return_method"),
    }
}

fn methods_for(t: &Tr, level: ServiceLevel) -> Vec<(String, String)> {
    ReturnMethod::ALL
        .into_iter()
        .filter(|m| *m != ReturnMethod::Online || level.allows_online_result())
        .map(|m| (serde_name(&m), return_label(t, m)))
        .collect()
}

fn contact_fields(t: &Tr, ty: &Typed, errs: &Errs) -> Vec<FieldView> {
    let mut v = vec![
        FieldView {
            kind: "text",
            inputmode: "numeric",
            hint: t.s("portal.hint.id_number").into(),
            ..FieldView::plain(
                "id_number",
                t.s("portal.contact.id_number").into(),
                ty.id_number.clone(),
                errs.e("id_number"),
            )
        },
        FieldView {
            kind: "tel",
            inputmode: "tel",
            autocomplete: "tel",
            hint: t.s("portal.hint.phone").into(),
            ..FieldView::plain(
                "phone",
                t.s("portal.contact.phone").into(),
                ty.phone.clone(),
                errs.e("phone"),
            )
        },
        FieldView {
            kind: "email",
            autocomplete: "email",
            ..FieldView::plain(
                "email",
                t.s("portal.contact.email").into(),
                ty.email.clone(),
                errs.e("email"),
            )
        },
        FieldView {
            kind: "textarea",
            autocomplete: "street-address",
            hint: t.s("portal.hint.address").into(),
            ..FieldView::plain(
                "address",
                t.s("portal.contact.address").into(),
                ty.address.clone(),
                errs.e("address"),
            )
        },
    ];
    for f in &mut v {
        f.required = false;
    }
    v
}

async fn load_online_procedure(
    s: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<ProcedureRecord, Response> {
    let Some(id) = ProcedureId::parse(id) else {
        return Err(error_page(
            s,
            caller,
            &AppError::new(ErrorCode::ProcedureNotFound),
        ));
    };
    let r = s
        .app
        .procedure(&caller.ctx, id)
        .await
        .map_err(|e| error_page(s, caller, &e))?;
    if !r.procedure.level.allows_online_submission() {
        return Err(error_page(
            s,
            caller,
            &AppError::new(ErrorCode::DossierOnlineNotAllowed),
        ));
    }
    if !r.current {
        return Err(error_page(
            s,
            caller,
            &AppError::new(ErrorCode::ProcedureNotInEffect),
        ));
    }
    Ok(r)
}

fn check_typed(t: &Tr, r: &ProcedureRecord, ty: &Typed) -> Errs {
    let labels: HashMap<String, String> = r
        .procedure
        .form
        .fields
        .iter()
        .map(|f| (format!("values.{}", f.key), f.label.clone()))
        .collect();
    let mut errs = match r.procedure.validate_form(&ty.values) {
        Ok(_) => Errs::default(),
        Err(list) => {
            let mut errs = Errs::default();
            for e in list {
                let name = format!("values.{}", e.field);
                let label = labels.get(&name).cloned().unwrap_or_else(|| name.clone());
                push_err(&mut errs, t, &name, &label, e.code);
            }
            errs
        }
    };
    let agency_ok = AgencyId::parse(&ty.agency).is_some_and(|a| r.procedure.agencies.contains(&a));
    if !agency_ok {
        let code = if ty.agency.trim().is_empty() {
            ErrorCode::Required
        } else {
            ErrorCode::ProcedureNotOfferedByAgency
        };
        push_err(&mut errs, t, "agency_id", t.s("portal.submit.agency"), code);
    }
    let id = ty.id_number.chars().filter(|c| !c.is_whitespace()).count();
    if !ty.id_number.trim().is_empty()
        && !((id == 9 || id == 12)
            && ty
                .id_number
                .chars()
                .filter(|c| !c.is_whitespace())
                .all(|c| c.is_ascii_digit()))
    {
        push_err(
            &mut errs,
            t,
            "id_number",
            t.s("portal.contact.id_number"),
            ErrorCode::InvalidIdNumber,
        );
    }
    if !ty.phone.trim().is_empty() && normalize_phone(&ty.phone).is_none() {
        push_err(
            &mut errs,
            t,
            "phone",
            t.s("portal.contact.phone"),
            ErrorCode::InvalidPhone,
        );
    }
    if !ty.email.trim().is_empty() && !valid_email(&ty.email.trim().to_lowercase()) {
        push_err(
            &mut errs,
            t,
            "email",
            t.s("portal.contact.email"),
            ErrorCode::InvalidEmail,
        );
    }
    if ty.id_number.trim().is_empty() && ty.phone.trim().is_empty() {
        push_err(
            &mut errs,
            t,
            "id_number",
            t.s("portal.contact.id_number"),
            ErrorCode::Required,
        );
    }
    match ReturnMethod::ALL
        .into_iter()
        .find(|m| serde_name(m) == ty.method)
    {
        None => push_err(
            &mut errs,
            t,
            "return_method",
            t.s("portal.submit.method"),
            ErrorCode::InvalidChoice,
        ),
        Some(ReturnMethod::Online) if !r.procedure.level.allows_online_result() => push_err(
            &mut errs,
            t,
            "return_method",
            t.s("portal.submit.method"),
            ErrorCode::DossierReturnMethodNotAllowed,
        ),
        Some(ReturnMethod::Post) if ty.address.trim().is_empty() => push_err(
            &mut errs,
            t,
            "address",
            t.s("portal.contact.address"),
            ErrorCode::Required,
        ),
        _ => {}
    }
    errs
}

// ---------- online submission: a resumable draft with one upload per dossier part ----------

/// A file as the pages list it.
pub struct FileView {
    pub id: String,
    pub name: String,
    pub size: String,
    pub href: String,
    pub kind: String,
}

/// A dossier part with its upload input and the files already attached.
pub struct PartUpload {
    pub number: usize,
    pub name: String,
    pub required: bool,
    pub form: String,
    pub count: u32,
    pub error: String,
    pub files: Vec<FileView>,
}

pub(super) fn size_text(bytes: i64) -> String {
    if bytes >= 1_048_576 {
        format!("{:.1} MB", bytes as f64 / 1_048_576.0).replace('.', ",")
    } else {
        format!("{} KB", (bytes + 1023) / 1024)
    }
}

pub(super) fn file_view(t: &Tr, f: &FileRecord, href: String) -> FileView {
    FileView {
        id: f.id.to_string(),
        name: f.name.clone(),
        size: size_text(f.size),
        href,
        kind: t
            .s(&format!("dossier.file_kind.{}", f.kind.as_str()))
            .into(),
    }
}

#[derive(Template)]
#[template(path = "portal_submit.html")]
struct SubmitPage {
    t: Tr,
    nav: Nav,
    errs: Errs,
    notice: String,
    id: String,
    name: String,
    code: String,
    action: String,
    draft: String,
    agencies: Vec<(String, String)>,
    agency: String,
    agency_error: String,
    fields: Vec<FieldView>,
    contact: Vec<FieldView>,
    methods: Vec<(String, String)>,
    method: String,
    method_error: String,
    parts: Vec<PartUpload>,
    fees: String,
}

#[derive(Template)]
#[template(path = "portal_review.html")]
struct ReviewPage {
    t: Tr,
    nav: Nav,
    errs: Errs,
    notice: String,
    draft: String,
    name: String,
    code: String,
    rows: Vec<(String, String)>,
    parts: Vec<PartUpload>,
    fees: String,
}

fn typed_of_draft(d: &DraftRecord) -> Typed {
    Typed {
        agency: d.agency_id.map(|a| a.to_string()).unwrap_or_default(),
        values: d.body.values.clone(),
        id_number: d.body.id_number.clone().unwrap_or_default(),
        phone: d.body.phone.clone().unwrap_or_default(),
        email: d.body.email.clone().unwrap_or_default(),
        address: d.body.address.clone().unwrap_or_default(),
        method: d
            .body
            .return_method
            .map(|m| serde_name(&m))
            .unwrap_or_default(),
    }
}

fn body_of(ty: &Typed) -> DraftBody {
    let opt = |s: &str| Some(s.to_string()).filter(|v| !v.trim().is_empty());
    DraftBody {
        values: ty.values.clone(),
        return_method: ReturnMethod::ALL
            .into_iter()
            .find(|m| serde_name(m) == ty.method),
        id_number: opt(&ty.id_number),
        phone: opt(&ty.phone),
        email: opt(&ty.email),
        address: opt(&ty.address),
    }
}

fn part_uploads(
    t: &Tr,
    r: &ProcedureRecord,
    files: &[FileRecord],
    errs: &Errs,
    href: &dyn Fn(&FileRecord) -> String,
) -> Vec<PartUpload> {
    r.procedure
        .parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let n = i + 1;
            PartUpload {
                number: n,
                name: p.name.clone(),
                required: p.required,
                form: t.s(&format!("portal.paper.{}", serde_name(&p.form))).into(),
                count: p.count,
                error: errs.e(&format!("part-{n}")).to_string(),
                files: files
                    .iter()
                    .filter(|f| f.kind == FileKind::Part && f.part == u32::try_from(n).ok())
                    .map(|f| file_view(t, f, href(f)))
                    .collect(),
            }
        })
        .collect()
}

/// A text form and the files of a `multipart/form-data` (or urlencoded) POST, CSRF checked.
pub(super) struct Posted {
    pub form: Form,
    /// (field name, file name, bytes) of every non-empty file.
    pub files: Vec<(String, String, Vec<u8>)>,
}

pub(super) async fn read_posted(
    s: &AppState,
    caller: &Caller,
    req: axum::extract::Request,
) -> Result<Posted, Response> {
    use axum::extract::FromRequest;
    let multipart = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let body = Bytes::from_request(req, s)
            .await
            .map_err(|_| error_page(s, caller, &AppError::new(ErrorCode::BodyTooLarge)))?;
        let form = accept_form(s, caller, &body)?;
        return Ok(Posted {
            form,
            files: vec![],
        });
    }
    let mut mp = axum::extract::Multipart::from_request(req, s)
        .await
        .map_err(|_| error_page(s, caller, &AppError::new(ErrorCode::InvalidFormat)))?;
    let mut form = HashMap::new();
    let mut files = Vec::new();
    loop {
        match mp.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
                let file_name = field.file_name().map(str::to_string);
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|_| error_page(s, caller, &AppError::new(ErrorCode::BodyTooLarge)))?;
                match file_name {
                    Some(f) => {
                        if !f.is_empty() || !bytes.is_empty() {
                            files.push((name, f, bytes.to_vec()));
                        }
                    }
                    None => {
                        let text = String::from_utf8(bytes.to_vec()).map_err(|_| {
                            error_page(s, caller, &AppError::new(ErrorCode::InvalidUtf8))
                        })?;
                        form.insert(name, text);
                    }
                }
            }
            Ok(None) => break,
            Err(_) => {
                return Err(error_page(
                    s,
                    caller,
                    &AppError::new(ErrorCode::BodyTooLarge),
                ));
            }
        }
    }
    let form = Form(form);
    caller
        .check_csrf(&form.get("_csrf"))
        .map_err(|e| error_page(s, caller, &e.error))?;
    Ok(Posted { form, files })
}

/// The uploads of a posted form whose file inputs are named `part-N`.
pub(super) fn part_files(files: Vec<(String, String, Vec<u8>)>) -> Vec<Upload> {
    files
        .into_iter()
        .filter_map(|(field, name, bytes)| {
            let n = field.strip_prefix("part-")?.parse::<u32>().ok()?;
            Some(Upload::part(n, name, bytes))
        })
        .collect()
}

fn part_label(r: &ProcedureRecord, field: &str) -> Option<String> {
    let n = field.strip_prefix("part-")?.parse::<usize>().ok()?;
    r.procedure
        .parts
        .get(n.checked_sub(1)?)
        .map(|p| p.name.clone())
}

fn submit_labels<'a>(t: &'a Tr, r: &'a ProcedureRecord) -> impl Fn(&str) -> Option<String> + 'a {
    move |f: &str| {
        r.procedure
            .form
            .fields
            .iter()
            .find(|x| f.strip_prefix("values.") == Some(x.key.as_str()))
            .map(|x| x.label.clone())
            .or_else(|| part_label(r, f))
            .or_else(|| match f {
                "agency_id" => Some(t.s("portal.submit.agency").into()),
                "return_method" => Some(t.s("portal.submit.method").into()),
                "id_number" | "phone" | "email" | "address" => {
                    Some(t.s(&format!("portal.contact.{f}")).into())
                }
                _ => None,
            })
    }
}

#[allow(clippy::too_many_arguments)]
async fn draft_form_page(
    s: &AppState,
    caller: &Caller,
    r: &ProcedureRecord,
    draft: Option<DraftId>,
    ty: &Typed,
    files: &[FileRecord],
    errs: Errs,
    notice: String,
) -> Response {
    let t = Tr::new(caller.lang);
    let all = agencies_by_id(s).await;
    let mut agencies: Vec<(String, String)> = r
        .procedure
        .agencies
        .iter()
        .map(|a| (a.to_string(), agency_name(&all, *a)))
        .collect();
    agencies.sort_by(|a, b| vi_cmp(&a.1, &b.1));
    let draft_s = draft.map(|d| d.to_string()).unwrap_or_default();
    let href = |f: &FileRecord| format!("/ho-so-nhap/{draft_s}/tep/{}", f.id);
    let parts = part_uploads(&t, r, files, &errs, &href);
    let failed = !errs.summary.is_empty();
    let (csrf, cookie) = csrf_for(s, caller);
    let mut res = html_page(SubmitPage {
        t,
        nav: nav_of(caller, csrf),
        agency_error: errs.e("agency_id").to_string(),
        method_error: errs.e("return_method").to_string(),
        fields: form_fields(&t, &r.procedure.form.fields, &ty.values, &errs),
        contact: contact_fields(&t, ty, &errs),
        errs,
        notice,
        id: r.id.to_string(),
        name: r.procedure.name.clone(),
        code: r.procedure.national_code.to_string(),
        action: match draft {
            Some(d) => format!("/ho-so-nhap/{d}"),
            None => format!("/thu-tuc/{}/nop-ho-so", r.id),
        },
        draft: draft_s.clone(),
        agencies,
        agency: ty.agency.clone(),
        methods: methods_for(&t, r.procedure.level),
        method: ty.method.clone(),
        parts,
        fees: money(&t, r.procedure.total_fees_vnd()),
    });
    if failed {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    with_cookie(res, cookie)
}

async fn submit_form(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Response {
    let Some(session) = &caller.session else {
        return see_other("/dang-nhap");
    };
    let r = match load_online_procedure(&s, &caller, &id).await {
        Ok(r) => r,
        Err(res) => return res,
    };
    let ty = Typed {
        agency: if r.procedure.agencies.len() == 1 {
            r.procedure.agencies[0].to_string()
        } else {
            String::new()
        },
        values: BTreeMap::new(),
        id_number: session.user.id_number.clone().unwrap_or_default(),
        phone: session.user.phone.clone().unwrap_or_default(),
        email: session.user.email.clone().unwrap_or_default(),
        address: String::new(),
        method: "desk".into(),
    };
    draft_form_page(
        &s,
        &caller,
        &r,
        None,
        &ty,
        &[],
        Errs::default(),
        String::new(),
    )
    .await
}

/// Saves the posted form and files into the draft (a new one for `draft: None`), then: back
/// to the form ("Lưu nháp"), or checked and on to the review.
async fn save_draft(
    s: &AppState,
    caller: &Caller,
    r: &ProcedureRecord,
    draft: Option<DraftId>,
    posted: Posted,
) -> Response {
    let t = Tr::new(caller.lang);
    let ty = typed_of(&posted.form);
    let step = posted.form.get("buoc");
    let agency = AgencyId::parse(&ty.agency).filter(|a| r.procedure.agencies.contains(a));
    let input = DraftInput {
        procedure_id: Some(r.id),
        agency_id: agency,
        body: body_of(&ty),
    };
    let labels = submit_labels(&t, r);
    let saved = match draft {
        None => s.app.draft_create(&caller.ctx, input).await,
        Some(d) => {
            s.app
                .draft_update(
                    &caller.ctx,
                    d,
                    DraftInput {
                        procedure_id: None,
                        ..input
                    },
                )
                .await
        }
    };
    let d = match saved {
        Ok(d) => d,
        Err(e) if e.field.is_none() => return error_page(s, caller, &e),
        Err(e) => {
            let errs = errs_with(&t, &e, &labels, &|f| f.to_string());
            return draft_form_page(s, caller, r, draft, &ty, &[], errs, String::new()).await;
        }
    };
    let mut errs = Errs::default();
    for up in part_files(posted.files) {
        let field = up.field();
        if let Err(e) = s.app.draft_file_add(&caller.ctx, d.id, up).await {
            let label = labels(&field).unwrap_or_else(|| field.clone());
            push_err(&mut errs, &t, &field, &label, e.code);
        }
    }
    let files = match s.app.draft_get(&caller.ctx, d.id).await {
        Ok(v) => v.files,
        Err(e) => return error_page(s, caller, &e),
    };
    if !errs.summary.is_empty() {
        return draft_form_page(s, caller, r, Some(d.id), &ty, &files, errs, String::new()).await;
    }
    if step != "xem-lai" {
        return see_other(&format!("/ho-so-nhap/{}?msg=saved", d.id));
    }
    let errs = check_draft(&t, r, &ty, &files);
    if !errs.summary.is_empty() {
        return draft_form_page(s, caller, r, Some(d.id), &ty, &files, errs, String::new()).await;
    }
    see_other(&format!("/ho-so-nhap/{}/xem-lai", d.id))
}

/// Everything the submission will check: the form, the contact details, the agency, the way
/// to receive the result, and a file for every required dossier part.
fn check_draft(t: &Tr, r: &ProcedureRecord, ty: &Typed, files: &[FileRecord]) -> Errs {
    let mut errs = check_typed(t, r, ty);
    let present = files.iter().map(|f| (f.kind, f.part));
    let parts = &r.procedure.parts;
    for (i, p) in parts.iter().enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let has = present
            .clone()
            .any(|(k, x)| k == FileKind::Part && x == Some(n));
        if p.required && !has {
            push_err(
                &mut errs,
                t,
                &format!("part-{n}"),
                &p.name,
                ErrorCode::UploadRequiredPartMissing,
            );
        }
    }
    errs
}

async fn submit_new(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    req: axum::extract::Request,
) -> Response {
    let posted = match read_posted(&s, &caller, req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if caller.session.is_none() {
        return see_other("/dang-nhap");
    }
    let r = match load_online_procedure(&s, &caller, &id).await {
        Ok(r) => r,
        Err(res) => return res,
    };
    save_draft(&s, &caller, &r, None, posted).await
}

async fn load_draft(
    s: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<(DraftView, ProcedureRecord), Response> {
    if caller.session.is_none() {
        return Err(see_other("/dang-nhap"));
    }
    let Some(id) = DraftId::parse(id) else {
        return Err(error_page(
            s,
            caller,
            &AppError::new(ErrorCode::DraftNotFound),
        ));
    };
    let v = s
        .app
        .draft_get(&caller.ctx, id)
        .await
        .map_err(|e| error_page(s, caller, &e))?;
    if let Some(d) = v.draft.dossier_id {
        return Err(see_other(&format!("/ho-so/{d}")));
    }
    let r = s
        .app
        .procedure(&caller.ctx, v.draft.procedure_id)
        .await
        .map_err(|e| error_page(s, caller, &e))?;
    Ok((v, r))
}

async fn draft_get(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    uri: Uri,
) -> Response {
    let (v, r) = match load_draft(&s, &caller, &id).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let t = Tr::new(caller.lang);
    let notice = if uri.query().is_some_and(|q| q.contains("msg=saved")) {
        t.s("portal.draft.saved").to_string()
    } else if uri.query().is_some_and(|q| q.contains("msg=removed")) {
        t.s("portal.draft.file_removed").to_string()
    } else {
        String::new()
    };
    let ty = typed_of_draft(&v.draft);
    draft_form_page(
        &s,
        &caller,
        &r,
        Some(v.draft.id),
        &ty,
        &v.files,
        Errs::default(),
        notice,
    )
    .await
}

async fn draft_post(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    req: axum::extract::Request,
) -> Response {
    let posted = match read_posted(&s, &caller, req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (v, r) = match load_draft(&s, &caller, &id).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    save_draft(&s, &caller, &r, Some(v.draft.id), posted).await
}

async fn draft_review(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Response {
    let (v, r) = match load_draft(&s, &caller, &id).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let t = Tr::new(caller.lang);
    let ty = typed_of_draft(&v.draft);
    let errs = check_draft(&t, &r, &ty, &v.files);
    if !errs.summary.is_empty() {
        return draft_form_page(
            &s,
            &caller,
            &r,
            Some(v.draft.id),
            &ty,
            &v.files,
            errs,
            String::new(),
        )
        .await;
    }
    let all = agencies_by_id(&s).await;
    let mut rows = vec![(
        t.s("portal.submit.agency").to_string(),
        v.draft
            .agency_id
            .map(|a| agency_name(&all, a))
            .unwrap_or_default(),
    )];
    for f in &r.procedure.form.fields {
        let val = ty.values.get(&f.key).cloned().unwrap_or_default();
        rows.push((f.label.clone(), shown_value(Some(f), &val)));
    }
    for c in contact_fields(&t, &ty, &Errs::default()) {
        rows.push((c.label, c.value));
    }
    let m = methods_for(&t, r.procedure.level)
        .into_iter()
        .find(|m| m.0 == ty.method)
        .map(|m| m.1)
        .unwrap_or_default();
    rows.push((t.s("portal.submit.method").to_string(), m));
    let d = v.draft.id;
    let href = |f: &FileRecord| format!("/ho-so-nhap/{d}/tep/{}", f.id);
    let parts = part_uploads(&t, &r, &v.files, &Errs::default(), &href);
    let (csrf, cookie) = csrf_for(&s, &caller);
    with_cookie(
        html_page(ReviewPage {
            t,
            nav: nav_of(&caller, csrf),
            errs: Errs::default(),
            notice: String::new(),
            draft: d.to_string(),
            name: r.procedure.name.clone(),
            code: r.procedure.national_code.to_string(),
            rows,
            parts,
            fees: money(&t, r.procedure.total_fees_vnd()),
        }),
        cookie,
    )
}

async fn draft_submit(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(r) = accept_form(&s, &caller, &body) {
        return r;
    }
    let (v, r) = match load_draft(&s, &caller, &id).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let t = Tr::new(caller.lang);
    match s.app.draft_submit(&caller.ctx, v.draft.id).await {
        Ok(d) => see_other(&format!("/ho-so/{}/bien-nhan", d.id)),
        Err(e) if matches!(e.code, ErrorCode::Forbidden | ErrorCode::Unauthenticated) => {
            error_page(&s, &caller, &e)
        }
        Err(e) => {
            let labels = submit_labels(&t, &r);
            let errs = errs_with(&t, &e, &labels, &|f| f.to_string());
            let ty = typed_of_draft(&v.draft);
            draft_form_page(
                &s,
                &caller,
                &r,
                Some(v.draft.id),
                &ty,
                &v.files,
                errs,
                String::new(),
            )
            .await
        }
    }
}

async fn draft_file_remove(
    State(s): State<AppState>,
    caller: Caller,
    Path((id, file)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if let Err(r) = accept_form(&s, &caller, &body) {
        return r;
    }
    let (Some(d), Some(f)) = (DraftId::parse(&id), FileId::parse(&file)) else {
        return error_page(&s, &caller, &AppError::new(ErrorCode::FileNotFound));
    };
    match s.app.draft_file_remove(&caller.ctx, d, f).await {
        Ok(()) => see_other(&format!("/ho-so-nhap/{d}?msg=removed")),
        Err(e) => error_page(&s, &caller, &e),
    }
}

async fn draft_delete(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(r) = accept_form(&s, &caller, &body) {
        return r;
    }
    let Some(d) = DraftId::parse(&id) else {
        return error_page(&s, &caller, &AppError::new(ErrorCode::DraftNotFound));
    };
    match s.app.draft_delete(&caller.ctx, d).await {
        Ok(()) => see_other("/ho-so-cua-toi?msg=draft_deleted"),
        Err(e) => error_page(&s, &caller, &e),
    }
}

/// A stored file as a download (the same answer as the API's).
pub(super) fn download(f: &FileRecord, bytes: Vec<u8>) -> Response {
    crate::api::file_response(f, bytes)
}

async fn draft_file_get(
    State(s): State<AppState>,
    caller: Caller,
    Path((id, file)): Path<(String, String)>,
) -> Response {
    let (Some(d), Some(f)) = (DraftId::parse(&id), FileId::parse(&file)) else {
        return error_page(&s, &caller, &AppError::new(ErrorCode::FileNotFound));
    };
    match s.app.draft_file_content(&caller.ctx, d, f).await {
        Ok((rec, bytes)) => download(&rec, bytes),
        Err(e) => error_page(&s, &caller, &e),
    }
}

// ---------- receipt ----------

#[derive(Template)]
#[template(path = "portal_receipt.html")]
struct ReceiptPage {
    t: Tr,
    nav: Nav,
    errs: Errs,
    notice: String,
    id: String,
    code: String,
    procedure: String,
    agency: String,
    state: String,
    submitted: String,
    due: String,
    fees: Vec<FeeView>,
    total_fees: String,
    method: String,
    next: String,
    received: bool,
}

async fn receipt(State(s): State<AppState>, caller: Caller, Path(id): Path<String>) -> Response {
    let t = Tr::new(caller.lang);
    let Some(id) = DossierId::parse(&id) else {
        return error_page(&s, &caller, &AppError::new(ErrorCode::DossierNotFound));
    };
    let v = match s.app.dossier(&caller.ctx, id, false).await {
        Ok(v) => v,
        Err(e) => return error_page(&s, &caller, &e),
    };
    let rec = &v.record;
    let all = agencies_by_id(&s).await;
    let proc = s.app.procedure(&caller.ctx, rec.procedure_id).await.ok();
    let state = rec.dossier.state().name();
    let next_key = match state {
        StateName::Submitted => "portal.next.submitted",
        StateName::SupplementRequested => "portal.next.supplement",
        StateName::Refused | StateName::Withdrawn | StateName::Stopped => "portal.next.closed",
        StateName::ResultReady => "portal.next.result_ready",
        StateName::Returned => "portal.next.returned",
        _ => "portal.next.processing",
    };
    let (csrf, cookie) = csrf_for(&s, &caller);
    let page = ReceiptPage {
        t,
        nav: nav_of(&caller, csrf),
        errs: Errs::default(),
        notice: String::new(),
        id: rec.id.to_string(),
        code: rec.code.clone(),
        procedure: rec.dossier.terms().name.clone(),
        agency: agency_name(&all, rec.agency_id),
        state: state_label(&t, state),
        submitted: rec
            .dossier
            .submitted_at()
            .map(utc_hm)
            .unwrap_or_else(|| local_hm(rec.created_at_us)),
        due: rec
            .appointment_at_us
            .or(rec.due_at_us)
            .map(local_hm)
            .unwrap_or_default(),
        fees: proc.as_ref().map(|p| fees_of(&t, p)).unwrap_or_default(),
        total_fees: proc
            .as_ref()
            .map(|p| money(&t, p.procedure.total_fees_vnd()))
            .unwrap_or_default(),
        method: rec
            .return_method
            .map(|m| return_label(&t, m))
            .unwrap_or_default(),
        next: t.s(next_key).into(),
        received: rec.dossier.received_at().is_some(),
    };
    with_cookie(html_page(page), cookie)
}

// ---------- my dossiers ----------

pub struct DossierRow {
    pub id: String,
    pub code: String,
    pub procedure: String,
    pub state: String,
    pub submitted: String,
    pub due: String,
    pub flag: String,
    pub flag_class: &'static str,
}

/// The deadline flag in words (never colour alone).
pub(super) fn flag_of(t: &Tr, overdue: bool, due_soon: bool, open: bool) -> (String, &'static str) {
    if overdue {
        (t.s("dossier.flag.overdue").into(), "flag-overdue")
    } else if due_soon {
        (t.s("dossier.flag.due_soon").into(), "flag-soon")
    } else if open {
        (t.s("dossier.flag.in_time").into(), "flag-ok")
    } else {
        (String::new(), "")
    }
}

pub(super) fn dossier_row(t: &Tr, r: &DossierRecord, overdue: bool, due_soon: bool) -> DossierRow {
    let state = r.dossier.state().name();
    let open = r.due_at_us.is_some() && r.closed_at_us.is_none();
    let (flag, flag_class) = flag_of(t, overdue, due_soon, open);
    DossierRow {
        id: r.id.to_string(),
        code: r.code.clone(),
        procedure: r.dossier.terms().name.clone(),
        state: state_label(t, state),
        submitted: r
            .dossier
            .submitted_at()
            .map(utc_hm)
            .unwrap_or_else(|| local_hm(r.created_at_us)),
        due: r
            .appointment_at_us
            .or(r.due_at_us)
            .map(local_hm)
            .unwrap_or_default(),
        flag,
        flag_class,
    }
}

#[derive(Template)]
#[template(path = "portal_mine.html")]
struct MinePage {
    t: Tr,
    nav: Nav,
    errs: Errs,
    notice: String,
    rows: Vec<DossierRow>,
    drafts: Vec<(String, String, String)>,
    prev: String,
    next: String,
    total: i64,
}

#[derive(serde::Deserialize, Default)]
struct PageQ {
    #[serde(default)]
    trang: String,
}

async fn mine(State(s): State<AppState>, caller: Caller, uri: Uri) -> Response {
    if caller.session.is_none() {
        return see_other("/dang-nhap");
    }
    let t = Tr::new(caller.lang);
    let p: PageQ = query(&uri);
    let page = p.trang.trim().parse::<i64>().unwrap_or(1).max(1);
    let list = match s
        .app
        .dossiers_mine(
            &caller.ctx,
            &WorklistQuery {
                limit: Some(PER_PAGE),
                offset: Some((page - 1) * PER_PAGE),
                ..WorklistQuery::default()
            },
        )
        .await
    {
        Ok(l) => l,
        Err(e) => return error_page(&s, &caller, &e),
    };
    let rows = list
        .items
        .iter()
        .map(|r| dossier_row(&t, r, false, false))
        .collect();
    let mut drafts = Vec::new();
    for d in s.app.drafts_mine(&caller.ctx).await.unwrap_or_default() {
        let name = s
            .app
            .procedure(&caller.ctx, d.procedure_id)
            .await
            .map(|p| p.procedure.name)
            .unwrap_or_default();
        drafts.push((d.id.to_string(), name, local_hm(d.updated_at_us)));
    }
    let notice = if uri.query().is_some_and(|q| q.contains("msg=draft_deleted")) {
        t.s("portal.draft.deleted").to_string()
    } else {
        String::new()
    };
    let (csrf, cookie) = csrf_for(&s, &caller);
    with_cookie(
        html_page(MinePage {
            t,
            nav: nav_of(&caller, csrf),
            errs: Errs::default(),
            notice,
            rows,
            drafts,
            prev: if page > 1 {
                format!("/ho-so-cua-toi?trang={}", page - 1)
            } else {
                String::new()
            },
            next: if page * PER_PAGE < list.total {
                format!("/ho-so-cua-toi?trang={}", page + 1)
            } else {
                String::new()
            },
            total: list.total,
        }),
        cookie,
    )
}

// ---------- lookup without login ----------

#[derive(Template)]
#[template(path = "portal_lookup.html")]
struct LookupPage {
    t: Tr,
    nav: Nav,
    errs: Errs,
    notice: String,
    fields: Vec<FieldView>,
    found: Option<LookupResult>,
}

pub struct LookupResult {
    pub code: String,
    pub procedure: String,
    pub agency: String,
    pub state: String,
    pub national: String,
    pub submitted: String,
    pub due: String,
    pub events: Vec<EventView>,
}

#[derive(serde::Deserialize, Default)]
struct LookupQ {
    #[serde(default, rename = "MHS")]
    code: String,
    #[serde(default, rename = "SGT")]
    id_number: String,
    #[serde(default, rename = "SDT")]
    phone: String,
}

async fn lookup(State(s): State<AppState>, caller: Caller, uri: Uri) -> Response {
    let t = Tr::new(caller.lang);
    let q: LookupQ = query(&uri);
    let mut errs = Errs::default();
    let mut found = None;
    let asked = uri.query().is_some_and(|q| q.contains("MHS="));
    if asked {
        if q.code.trim().is_empty() {
            push_err(
                &mut errs,
                &t,
                "MHS",
                t.s("portal.lookup.code"),
                ErrorCode::Required,
            );
        }
        if q.id_number.trim().is_empty() && q.phone.trim().is_empty() {
            push_err(
                &mut errs,
                &t,
                "SGT",
                t.s("portal.lookup.id_number"),
                ErrorCode::Required,
            );
        }
        if errs.summary.is_empty() {
            match s
                .app
                .dossier_lookup(
                    &caller.ctx,
                    &q.code,
                    Some(q.id_number.as_str()),
                    Some(q.phone.as_str()),
                )
                .await
            {
                Ok(v) => found = Some(lookup_result(&t, &s, &v).await),
                Err(e) => {
                    let field = if e.code == ErrorCode::DossierLookupFailed {
                        "MHS"
                    } else {
                        ""
                    };
                    if field.is_empty() {
                        errs.summary.push((String::new(), t.error(e.code).into()));
                    } else {
                        push_err(&mut errs, &t, field, t.s("portal.lookup.code"), e.code);
                    }
                }
            }
        }
    }
    let status = if errs.summary.is_empty() {
        StatusCode::OK
    } else if errs.map.contains_key("MHS") && !q.code.trim().is_empty() {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let (csrf, cookie) = csrf_for(&s, &caller);
    let mut res = html_page(LookupPage {
        t,
        nav: nav_of(&caller, csrf),
        notice: String::new(),
        fields: vec![
            FieldView::plain(
                "MHS",
                t.s("portal.lookup.code").into(),
                q.code,
                errs.e("MHS"),
            ),
            FieldView {
                inputmode: "numeric",
                ..FieldView::plain(
                    "SGT",
                    t.s("portal.lookup.id_number").into(),
                    q.id_number,
                    errs.e("SGT"),
                )
            },
            FieldView {
                kind: "tel",
                inputmode: "tel",
                ..FieldView::plain(
                    "SDT",
                    t.s("portal.lookup.phone").into(),
                    q.phone,
                    errs.e("SDT"),
                )
            },
        ],
        errs,
        found,
    });
    *res.status_mut() = status;
    with_cookie(res, cookie)
}

async fn lookup_result(t: &Tr, s: &AppState, v: &DossierView) -> LookupResult {
    let all = agencies_by_id(s).await;
    let rec = &v.record;
    let st = rec.dossier.national_status();
    LookupResult {
        code: rec.code.clone(),
        procedure: rec.dossier.terms().name.clone(),
        agency: agency_name(&all, rec.agency_id),
        state: state_label(t, rec.dossier.state().name()),
        national: format!(
            "{} — {}",
            st.code(),
            t.s(&format!("dossier.national.{}", st.code()))
        ),
        submitted: rec.dossier.submitted_at().map(utc_hm).unwrap_or_default(),
        due: rec
            .appointment_at_us
            .or(rec.due_at_us)
            .map(local_hm)
            .unwrap_or_default(),
        events: v
            .events
            .as_deref()
            .map(|e| timeline(t, rec, e, &all, true))
            .unwrap_or_default(),
    }
}

/// The portal's routes.
pub fn routes(upload_limit: usize) -> Router<AppState> {
    Router::new()
        .route("/thu-tuc", get(search))
        .route("/thu-tuc/{id}", get(procedure_page))
        .route(
            "/thu-tuc/{id}/nop-ho-so",
            get(submit_form)
                .post(submit_new)
                .layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/ho-so-nhap/{id}",
            get(draft_get)
                .post(draft_post)
                .layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route("/ho-so-nhap/{id}/xem-lai", get(draft_review))
        .route("/ho-so-nhap/{id}/nop", post(draft_submit))
        .route("/ho-so-nhap/{id}/xoa", post(draft_delete))
        .route("/ho-so-nhap/{id}/tep/{file}", get(draft_file_get))
        .route("/ho-so-nhap/{id}/tep/{file}/xoa", post(draft_file_remove))
        .route("/ho-so/{id}/bien-nhan", get(receipt))
        .route("/ho-so-cua-toi", get(mine))
        .route("/tra-cuu", get(lookup))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_has_dots_between_thousands() {
        let t = Tr::new(crate::i18n::Lang::Vi);
        assert_eq!(money(&t, 1_500_000), "1.500.000 đồng");
        assert_eq!(money(&t, 100), "100 đồng");
        assert_eq!(money(&t, 0), "0 đồng");
    }

    #[test]
    fn local_times_are_utc_plus_7() {
        // 2025-03-03 17:30 UTC is 4 March 00:30 in Vietnam.
        let us = chrono::DateTime::parse_from_rfc3339("2025-03-03T17:30:00Z")
            .map(|d| d.timestamp_micros())
            .unwrap_or_default();
        assert_eq!(local_hm(us), "04/03/2025 00:30");
    }
}
