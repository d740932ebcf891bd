//! The one-stop desk and processing pages: worklists per queue, reception of a paper dossier,
//! and the dossier page (for staff and for the applicant) with the forms of exactly the
//! actions the dossier's state and the caller's roles allow.
#![allow(clippy::result_large_err)]

use super::portal::{
    EventView, FieldView, FileView, Posted, agencies_by_id, agency_name, channel_label,
    dossier_row, download, errs_with, file_view, form_fields, form_values, local_hm, naive_hm,
    part_files, push_err, read_posted, return_label, satisfaction_label, shown_value, state_label,
    timeline, utc_hm,
};
use super::{Errs, Form, Nav, csrf_for, error_page, html_page, nav_of, see_other, with_cookie};
use crate::auth::Caller;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use cqdt_app::AppError;
use cqdt_app::dossiers::{
    ApplicantInput, DeskReception, DossierAction, DossierView, Queue, WorklistQuery,
};
use cqdt_app::files::Upload;
use cqdt_app::procedures::ProcedureQuery;
use cqdt_app::store::ProcedureRecord;
use cqdt_domain::ErrorCode;
use cqdt_domain::agency::Agency;
use cqdt_domain::calendar::{ExtensionTarget, WorkDuration};
use cqdt_domain::dossier::{
    Channel, DossierState, Evaluation, IndexScore, ReturnMethod, Satisfaction, StateName,
};
use cqdt_domain::files::FileKind;
use cqdt_domain::ids::{AgencyId, DossierId, FileId, ProcedureId};
use cqdt_domain::policy::{Action, Actor, Decision, Target, decide};
use cqdt_domain::text::vi_cmp;
use std::collections::{BTreeMap, HashMap};

fn query<T: serde::de::DeserializeOwned + Default>(uri: &Uri) -> T {
    serde_urlencoded::from_str(uri.query().unwrap_or("")).unwrap_or_default()
}

fn enc(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|x| x.trim_start_matches('=').to_string())
        .unwrap_or_default()
}

fn allowed_on(actor: &Actor, action: Action, path: &[AgencyId]) -> bool {
    decide(actor, action, Target::Agency(path)) == Decision::Allow
}

// ---------- worklists ----------

/// Queues in the order of the tabs, with their URL value and catalogue key.
const QUEUES: [(Queue, &str, Action); 4] = [
    (Queue::Desk, "mot-cua", Action::ReceiveDossier),
    (Queue::Processing, "xu-ly", Action::ProcessDossier),
    (Queue::Approval, "phe-duyet", Action::Approve),
    (Queue::All, "tat-ca", Action::ViewProcedures),
];

fn queue_states(q: Queue) -> Vec<StateName> {
    match q {
        Queue::Desk => vec![
            StateName::Submitted,
            StateName::SupplementRequested,
            StateName::Received,
            StateName::ResultReady,
        ],
        Queue::Processing => vec![
            StateName::Processing,
            StateName::ReturnedToStep,
            StateName::Consulting,
            StateName::AwaitingFinancialObligation,
        ],
        Queue::Approval => vec![StateName::AwaitingApproval],
        Queue::All => StateName::ALL
            .into_iter()
            .filter(|s| *s != StateName::Draft)
            .collect(),
    }
}

pub struct Tab {
    pub href: String,
    pub label: String,
    pub current: bool,
}

pub struct CountView {
    pub label: String,
    pub total: i64,
    pub overdue: i64,
    pub href: String,
}

pub struct WorkRow {
    pub id: String,
    pub code: String,
    pub procedure: String,
    pub applicant: String,
    pub state: String,
    pub submitted: String,
    pub due: String,
    pub flag: String,
    pub flag_class: &'static str,
}

#[derive(Template)]
#[template(path = "desk_worklist.html")]
struct WorklistPage {
    t: Tr,
    nav: Nav,
    errs: Errs,
    notice: String,
    tabs: Vec<Tab>,
    queue: String,
    queue_label: String,
    counts: Vec<CountView>,
    states: Vec<(String, String)>,
    state: String,
    procedures: Vec<(String, String)>,
    procedure: String,
    overdue: bool,
    q: String,
    rows: Vec<WorkRow>,
    range: String,
    prev: String,
    next: String,
    can_receive: bool,
}

#[derive(serde::Deserialize, Default)]
struct WorkQ {
    #[serde(default, rename = "hang-doi")]
    queue: String,
    #[serde(default, rename = "trang-thai")]
    state: String,
    #[serde(default, rename = "thu-tuc")]
    procedure: String,
    #[serde(default, rename = "qua-han")]
    overdue: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    trang: String,
    #[serde(default)]
    msg: String,
}

const PER_PAGE: i64 = 20;

/// Whether the actor may do `action` somewhere.
fn anywhere(actor: &Actor, action: Action) -> bool {
    super::any_scope_allows(actor, action)
}

async fn current_procedures(s: &AppState, caller: &Caller) -> Vec<ProcedureRecord> {
    s.app
        .procedures_search(
            &caller.ctx,
            &ProcedureQuery {
                limit: Some(500),
                ..ProcedureQuery::default()
            },
        )
        .await
        .map(|p| p.items)
        .unwrap_or_default()
}

async fn worklist(State(s): State<AppState>, caller: Caller, uri: Uri) -> Response {
    if caller.session.is_none() {
        return see_other("/dang-nhap");
    }
    let t = Tr::new(caller.lang);
    let actor = &caller.ctx.actor;
    let allowed: Vec<(Queue, &str, Action)> = QUEUES
        .iter()
        .copied()
        .filter(|(q, _, a)| match q {
            Queue::All => {
                anywhere(actor, Action::ReceiveDossier)
                    || anywhere(actor, Action::ProcessDossier)
                    || anywhere(actor, Action::Approve)
            }
            _ => anywhere(actor, *a),
        })
        .collect();
    if allowed.is_empty() {
        return error_page(&s, &caller, &AppError::new(ErrorCode::Forbidden));
    }
    let p: WorkQ = query(&uri);
    let (queue, queue_param) = allowed
        .iter()
        .find(|(_, name, _)| *name == p.queue)
        .or(allowed.first())
        .map(|(q, n, _)| (*q, *n))
        .unwrap_or((Queue::All, "tat-ca"));
    let state = StateName::ALL
        .into_iter()
        .find(|x| x.as_str() == p.state.trim());
    let procedure_id = ProcedureId::parse(p.procedure.trim());
    let overdue = p.overdue == "1";
    let page = p.trang.trim().parse::<i64>().unwrap_or(1).max(1);
    let w = match s
        .app
        .dossiers_worklist(
            &caller.ctx,
            &WorklistQuery {
                queue: Some(queue),
                states: state.into_iter().collect(),
                procedure_id,
                overdue: overdue.then_some(true),
                q: Some(p.q.clone()).filter(|q| !q.trim().is_empty()),
                agency: None,
                limit: Some(PER_PAGE),
                offset: Some((page - 1) * PER_PAGE),
            },
        )
        .await
    {
        Ok(w) => w,
        Err(e) => return error_page(&s, &caller, &e),
    };
    let base = format!("/mot-cua?hang-doi={queue_param}");
    let filters = format!(
        "{base}&trang-thai={}&thu-tuc={}&qua-han={}&q={}",
        enc(&p.state),
        enc(&p.procedure),
        if overdue { "1" } else { "" },
        enc(&p.q)
    );
    let tabs = allowed
        .iter()
        .map(|(q, name, _)| Tab {
            href: format!("/mot-cua?hang-doi={name}"),
            label: t.s(&format!("desk.queue.{name}")).into(),
            current: *q == queue,
        })
        .collect();
    let counts = w
        .counts
        .iter()
        .map(|c| CountView {
            label: state_label(&t, c.state),
            total: c.total,
            overdue: c.overdue,
            href: format!("{base}&trang-thai={}", c.state.as_str()),
        })
        .collect();
    let rows = w
        .items
        .iter()
        .map(|i| {
            let d = dossier_row(&t, &i.record, i.overdue, i.due_soon);
            WorkRow {
                id: d.id,
                code: d.code,
                procedure: d.procedure,
                applicant: i.record.applicant.name.clone(),
                state: d.state,
                submitted: d.submitted,
                due: d.due,
                flag: d.flag,
                flag_class: d.flag_class,
            }
        })
        .collect::<Vec<_>>();
    let range = if w.total > 0 {
        format!(
            "{}–{} / {}",
            (page - 1) * PER_PAGE + 1,
            (page - 1) * PER_PAGE + rows.len() as i64,
            w.total
        )
    } else {
        String::new()
    };
    let mut procedures: Vec<(String, String)> = current_procedures(&s, &caller)
        .await
        .iter()
        .map(|r| (r.id.to_string(), r.procedure.name.clone()))
        .collect();
    procedures.sort_by(|a, b| vi_cmp(&a.1, &b.1));
    let notice = match p.msg.as_str() {
        "" => String::new(),
        m => t.s(&format!("desk.msg.{m}")).to_string(),
    };
    let (csrf, cookie) = csrf_for(&s, &caller);
    with_cookie(
        html_page(WorklistPage {
            t,
            nav: nav_of(&caller, csrf),
            errs: Errs::default(),
            notice,
            tabs,
            queue: queue_param.into(),
            queue_label: t.s(&format!("desk.queue.{queue_param}")).into(),
            counts,
            states: queue_states(queue)
                .into_iter()
                .map(|x| (x.as_str().to_string(), state_label(&t, x)))
                .collect(),
            state: state.map(|x| x.as_str().to_string()).unwrap_or_default(),
            procedures,
            procedure: p.procedure.clone(),
            overdue,
            q: p.q.clone(),
            rows,
            range,
            prev: if page > 1 {
                format!("{filters}&trang={}", page - 1)
            } else {
                String::new()
            },
            next: if page * PER_PAGE < w.total {
                format!("{filters}&trang={}", page + 1)
            } else {
                String::new()
            },
            can_receive: anywhere(actor, Action::ReceiveDossier),
        }),
        cookie,
    )
}

// ---------- reception at the desk ----------

#[derive(Template)]
#[template(path = "desk_reception.html")]
struct ReceptionPage {
    t: Tr,
    nav: Nav,
    errs: Errs,
    notice: String,
    procedures: Vec<(String, String)>,
    procedure: String,
    chosen: Option<ChosenProcedure>,
}

pub struct ChosenProcedure {
    pub id: String,
    pub name: String,
    pub agencies: Vec<(String, String)>,
    pub agency: String,
    pub agency_error: String,
    pub applicant: Vec<FieldView>,
    pub fields: Vec<FieldView>,
    pub channel: String,
    pub method: String,
    pub methods: Vec<(String, String)>,
    pub accept: bool,
    pub parts: Vec<super::portal::PartView>,
}

/// Agencies where the caller may receive dossiers.
fn receiving_agencies(actor: &Actor, all: &HashMap<AgencyId, Agency>) -> Vec<AgencyId> {
    all.values()
        .filter(|a| allowed_on(actor, Action::ReceiveDossier, &a.path))
        .map(|a| a.id)
        .collect()
}

fn applicant_fields(t: &Tr, form: Option<&Form>, errs: &Errs) -> Vec<FieldView> {
    let v = |k: &str| form.map(|f| f.get(k)).unwrap_or_default();
    let mk = |key: &str, kind: &'static str, inputmode: &'static str, hint: &str| {
        let name = format!("applicant.{key}");
        FieldView {
            kind,
            inputmode,
            hint: if hint.is_empty() {
                String::new()
            } else {
                t.s(hint).into()
            },
            required: key == "name",
            ..FieldView::plain(
                &name,
                t.s(&format!("desk.applicant.{key}")).into(),
                v(&name),
                errs.e(&name),
            )
        }
    };
    vec![
        mk("name", "text", "", ""),
        mk("id_number", "text", "numeric", "desk.hint.id_or_phone"),
        mk("phone", "tel", "tel", "portal.hint.phone"),
        mk("email", "email", "email", ""),
        mk("address", "textarea", "", ""),
        mk("account", "text", "", "desk.hint.account"),
    ]
}

#[allow(clippy::too_many_arguments)]
async fn reception_page(
    s: &AppState,
    caller: &Caller,
    procedure: &str,
    form: Option<&Form>,
    errs: Errs,
) -> Response {
    let t = Tr::new(caller.lang);
    let all = agencies_by_id(s).await;
    let mine = receiving_agencies(&caller.ctx.actor, &all);
    if mine.is_empty() {
        return error_page(s, caller, &AppError::new(ErrorCode::Forbidden));
    }
    let procs = current_procedures(s, caller).await;
    let offered: Vec<&ProcedureRecord> = procs
        .iter()
        .filter(|r| r.procedure.agencies.iter().any(|a| mine.contains(a)))
        .collect();
    let mut procedures: Vec<(String, String)> = offered
        .iter()
        .map(|r| {
            (
                r.id.to_string(),
                format!("{} ({})", r.procedure.name, r.procedure.national_code),
            )
        })
        .collect();
    procedures.sort_by(|a, b| vi_cmp(&a.1, &b.1));
    let chosen = offered
        .iter()
        .find(|r| r.id.to_string() == procedure.trim())
        .map(|r| {
            let mut agencies: Vec<(String, String)> = r
                .procedure
                .agencies
                .iter()
                .filter(|a| mine.contains(a))
                .map(|a| (a.to_string(), agency_name(&all, *a)))
                .collect();
            agencies.sort_by(|a, b| vi_cmp(&a.1, &b.1));
            let values: BTreeMap<String, String> = form.map(form_values).unwrap_or_default();
            let get = |k: &str, d: &str| {
                form.map(|f| f.get(k))
                    .filter(|v| !v.is_empty())
                    .unwrap_or_else(|| d.to_string())
            };
            ChosenProcedure {
                id: r.id.to_string(),
                name: r.procedure.name.clone(),
                agency: get(
                    "agency_id",
                    &agencies.first().map(|a| a.0.clone()).unwrap_or_default(),
                ),
                agencies,
                agency_error: errs.e("agency_id").to_string(),
                applicant: applicant_fields(&t, form, &errs),
                fields: form_fields(&t, &r.procedure.form.fields, &values, &errs),
                channel: get("channel", "direct"),
                method: get("return_method", "desk"),
                methods: ReturnMethod::ALL
                    .into_iter()
                    .filter(|m| {
                        *m != ReturnMethod::Online || r.procedure.level.allows_online_result()
                    })
                    .map(|m| (method_param(m).to_string(), return_label(&t, m)))
                    .collect(),
                accept: get("accept", "yes") == "yes",
                parts: super::portal::parts_of(&t, r),
            }
        });
    let failed = !errs.summary.is_empty();
    let (csrf, cookie) = csrf_for(s, caller);
    let mut res = html_page(ReceptionPage {
        t,
        nav: nav_of(caller, csrf),
        errs,
        notice: String::new(),
        procedures,
        procedure: procedure.to_string(),
        chosen,
    });
    if failed {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    with_cookie(res, cookie)
}

#[derive(serde::Deserialize, Default)]
struct ReceptionQ {
    #[serde(default, rename = "thu-tuc")]
    procedure: String,
}

async fn reception_form(State(s): State<AppState>, caller: Caller, uri: Uri) -> Response {
    if caller.session.is_none() {
        return see_other("/dang-nhap");
    }
    let q: ReceptionQ = query(&uri);
    reception_page(&s, &caller, &q.procedure, None, Errs::default()).await
}

fn method_param(m: ReturnMethod) -> &'static str {
    match m {
        ReturnMethod::Desk => "desk",
        ReturnMethod::Post => "post",
        ReturnMethod::Online => "online",
    }
}

fn method_of(s: &str) -> Option<ReturnMethod> {
    ReturnMethod::ALL
        .into_iter()
        .find(|m| method_param(*m) == s.trim())
}

async fn reception_submit(
    State(s): State<AppState>,
    caller: Caller,
    req: axum::extract::Request,
) -> Response {
    let Posted { form, files } = match read_posted(&s, &caller, req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let t = Tr::new(caller.lang);
    let procedure = form.get("procedure_id");
    let Some(procedure_id) = ProcedureId::parse(&procedure) else {
        let mut errs = Errs::default();
        push_err(
            &mut errs,
            &t,
            "procedure",
            t.s("desk.procedure"),
            ErrorCode::Required,
        );
        return reception_page(&s, &caller, "", Some(&form), errs).await;
    };
    let mut errs = Errs::default();
    let agency_id = AgencyId::parse(&form.get("agency_id"));
    if agency_id.is_none() {
        push_err(
            &mut errs,
            &t,
            "agency_id",
            t.s("desk.agency"),
            ErrorCode::Required,
        );
    }
    let channel = match form.get("channel").as_str() {
        "post" => Channel::Post,
        _ => Channel::Direct,
    };
    let (Some(agency_id), true) = (agency_id, errs.summary.is_empty()) else {
        return reception_page(&s, &caller, &procedure, Some(&form), errs).await;
    };
    let input = DeskReception {
        procedure_id,
        agency_id,
        applicant: ApplicantInput {
            name: form.get("applicant.name"),
            id_number: form.opt("applicant.id_number"),
            phone: form.opt("applicant.phone"),
            email: form.opt("applicant.email"),
            address: form.opt("applicant.address"),
            account: form.opt("applicant.account"),
        },
        values: form_values(&form),
        channel,
        accept: form.get("accept") != "no",
        return_method: method_of(&form.get("return_method")),
        files: part_files(files),
    };
    match s.app.dossier_receive(&caller.ctx, &input).await {
        Ok(d) => {
            let msg = if input.accept {
                "received_accepted"
            } else {
                "received"
            };
            see_other(&format!("/ho-so/{}?msg={msg}", d.id))
        }
        Err(e) if matches!(e.code, ErrorCode::Forbidden | ErrorCode::Unauthenticated) => {
            error_page(&s, &caller, &e)
        }
        Err(e) => {
            let procs = current_procedures(&s, &caller).await;
            let labels: HashMap<String, String> = procs
                .iter()
                .find(|r| r.id == procedure_id)
                .map(|r| {
                    r.procedure
                        .form
                        .fields
                        .iter()
                        .map(|f| (format!("values.{}", f.key), f.label.clone()))
                        .collect()
                })
                .unwrap_or_default();
            let errs = errs_with(
                &t,
                &e,
                &|f| {
                    labels.get(f).cloned().or_else(|| {
                        f.strip_prefix("applicant.")
                            .map(|k| t.s(&format!("desk.applicant.{k}")).to_string())
                            .or_else(|| match f {
                                "agency_id" => Some(t.s("desk.agency").into()),
                                "procedure_id" => Some(t.s("desk.procedure").into()),
                                _ => f
                                    .strip_prefix("part-")
                                    .map(|n| format!("{} {n}", t.s("desk.part"))),
                            })
                    })
                },
                &|f| f.to_string(),
            );
            reception_page(&s, &caller, &procedure, Some(&form), errs).await
        }
    }
}

// ---------- the dossier page ----------

/// What the caller is to this dossier.
#[derive(Default, Clone, Copy)]
pub struct Roles {
    pub applicant: bool,
    pub desk: bool,
    pub process: bool,
    pub approver: bool,
}

impl Roles {
    pub fn staff(&self) -> bool {
        self.desk || self.process || self.approver
    }
}

fn roles_of(caller: &Caller, v: &DossierView, all: &HashMap<AgencyId, Agency>) -> Roles {
    let actor = &caller.ctx.actor;
    let rec = &v.record;
    let mut process_paths: Vec<&[AgencyId]> = vec![&rec.agency_path];
    let step_agency = rec
        .dossier
        .state()
        .step()
        .and_then(|k| rec.dossier.terms().route.get(usize::from(k)))
        .and_then(|st| st.agency);
    let consulted = match rec.dossier.state() {
        DossierState::Consulting { consultation, .. } => Some(consultation.agency),
        _ => None,
    };
    for a in step_agency.into_iter().chain(consulted) {
        if let Some(ag) = all.get(&a) {
            process_paths.push(&ag.path);
        }
    }
    Roles {
        applicant: matches!(actor, Actor::Citizen { .. })
            && rec.applicant.user_id.is_some()
            && rec.applicant.user_id == actor.user_id(),
        desk: allowed_on(actor, Action::ReceiveDossier, &rec.agency_path),
        process: process_paths
            .iter()
            .any(|p| allowed_on(actor, Action::ProcessDossier, p)),
        approver: allowed_on(actor, Action::Approve, &rec.agency_path),
    }
}

/// The actions the dossier's state and the caller's roles allow, in display order.
fn actions_for(v: &DossierView, r: Roles) -> Vec<&'static str> {
    let d = &v.record.dossier;
    let state = d.state();
    let name = state.name();
    let mut out = Vec::new();
    let supplement_free = d.supplement().is_none();
    let route = &d.terms().route;
    let steps = d.processing_steps();
    let last_step = steps.last().copied();
    let is_approval_step = |k: u16| route.get(usize::from(k)).is_some_and(|s| s.is_approval());
    let received_open = matches!(
        name,
        StateName::Received
            | StateName::Processing
            | StateName::ReturnedToStep
            | StateName::Consulting
            | StateName::AwaitingApproval
            | StateName::AwaitingFinancialObligation
    ) || matches!(state, DossierState::SupplementRequested { resume: Some(_) });
    match state {
        DossierState::Submitted => {
            if r.desk {
                out.push("accept");
                if supplement_free {
                    out.push("request_supplement");
                }
                out.push("refuse");
            }
        }
        DossierState::SupplementRequested { resume } => {
            if r.applicant || r.desk {
                out.push("answer_supplement");
            }
            if resume.is_none() && r.desk {
                out.push("refuse");
            }
            if resume.is_some() && r.approver {
                out.push("reject");
            }
        }
        DossierState::Received => {
            if r.desk {
                out.push("hand_over");
            }
            if supplement_free && (r.desk || r.process) {
                out.push("request_supplement");
            }
        }
        DossierState::Processing { step } | DossierState::ReturnedToStep { step } => {
            let approval = is_approval_step(*step);
            if approval {
                if r.approver {
                    out.extend(["approve", "reject"]);
                }
            } else if r.process {
                out.push("process");
                if Some(*step) == last_step {
                    out.push("result_ready");
                }
                out.push("consult");
            }
            if r.process && steps.iter().any(|k| k < step) {
                out.push("send_back");
            }
            if r.process {
                out.push("request_financial_obligation");
            }
            if !approval && r.approver {
                out.push("reject");
            }
            if supplement_free && r.process {
                out.push("request_supplement");
            }
        }
        DossierState::Consulting { .. } => {
            if r.process {
                out.push("consultation_answered");
            }
        }
        DossierState::AwaitingApproval { step } => {
            if r.approver {
                out.extend(["approve", "reject"]);
            }
            if r.process && steps.iter().any(|k| k < step) {
                out.push("send_back");
            }
            if r.process {
                out.push("request_financial_obligation");
            }
            if supplement_free && r.process {
                out.push("request_supplement");
            }
        }
        DossierState::AwaitingFinancialObligation { .. } => {
            if r.desk || r.process {
                out.push("financial_obligation_met");
            }
        }
        DossierState::ResultReady => {
            if r.desk {
                out.push("return_result");
            }
        }
        DossierState::Returned { .. } => {
            if r.applicant && d.evaluation().is_none() {
                out.push("evaluate");
            }
        }
        DossierState::Draft
        | DossierState::Refused
        | DossierState::Withdrawn
        | DossierState::Stopped => {}
    }
    if (name == StateName::Submitted || name.is_open()) && (r.applicant || r.desk) {
        out.push("withdraw");
    }
    if received_open
        && d.apology().is_none()
        && !d.is_clock_paused()
        && (v.overdue || v.due_soon)
        && (r.desk || r.process)
    {
        out.push("issue_apology");
    }
    out
}

pub struct ValueRow {
    pub label: String,
    pub value: String,
}

pub struct SlipLink {
    pub href: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "desk_dossier.html")]
struct DossierPage {
    t: Tr,
    nav: Nav,
    errs: Errs,
    notice: String,
    id: String,
    code: String,
    procedure: String,
    agency: String,
    state: String,
    national: String,
    channel: String,
    submitted: String,
    received: String,
    due: String,
    flag: String,
    flag_class: &'static str,
    clock_paused: bool,
    step: String,
    method: String,
    timeliness: String,
    staff: bool,
    applicant: Vec<ValueRow>,
    values: Vec<ValueRow>,
    supplement: Vec<String>,
    supplement_open: bool,
    apology: String,
    evaluation: String,
    events: Vec<EventView>,
    slips: Vec<SlipLink>,
    forms: Vec<ActionForm>,
    files: Vec<FileView>,
}

#[derive(serde::Deserialize, Default)]
struct MsgQ {
    #[serde(default)]
    msg: String,
}

async fn dossier_get(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    uri: Uri,
) -> Response {
    let q: MsgQ = query(&uri);
    let t = Tr::new(caller.lang);
    let notice = if q.msg.is_empty() {
        String::new()
    } else {
        t.s(&format!("desk.msg.{}", q.msg)).to_string()
    };
    dossier_page(
        &s,
        &caller,
        &id,
        notice,
        Errs::default(),
        "",
        HashMap::new(),
    )
    .await
}

async fn dossier_page(
    s: &AppState,
    caller: &Caller,
    id: &str,
    notice: String,
    errs: Errs,
    prev_action: &str,
    prev: HashMap<String, String>,
) -> Response {
    if caller.session.is_none() {
        return see_other("/dang-nhap");
    }
    let t = Tr::new(caller.lang);
    let Some(id) = DossierId::parse(id) else {
        return error_page(s, caller, &AppError::new(ErrorCode::DossierNotFound));
    };
    let v = match s.app.dossier(&caller.ctx, id, true).await {
        Ok(v) => v,
        Err(e) => return error_page(s, caller, &e),
    };
    let all = agencies_by_id(s).await;
    let roles = roles_of(caller, &v, &all);
    let rec = &v.record;
    let d = &rec.dossier;
    let proc = s.app.procedure(&caller.ctx, rec.procedure_id).await.ok();
    let staff = roles.staff();
    let a = &rec.applicant;
    let mut applicant = vec![ValueRow {
        label: t.s("desk.applicant.name").into(),
        value: a.name.clone(),
    }];
    for (k, v) in [
        ("id_number", &a.id_number),
        ("phone", &a.phone),
        ("email", &a.email),
        ("address", &a.address),
    ] {
        if let Some(v) = v {
            applicant.push(ValueRow {
                label: t.s(&format!("desk.applicant.{k}")).into(),
                value: v.clone(),
            });
        }
    }
    let form_spec = proc.as_ref().map(|p| p.procedure.form.fields.clone());
    let order = |k: &str| {
        form_spec
            .as_ref()
            .and_then(|fs| fs.iter().position(|f| f.key == k))
            .unwrap_or(usize::MAX)
    };
    let mut sorted: Vec<(&str, &str)> = rec.form_values.iter().collect();
    sorted.sort_by_key(|(k, _)| order(k));
    let values = sorted
        .into_iter()
        .map(|(k, val)| {
            let f = form_spec
                .as_ref()
                .and_then(|fs| fs.iter().find(|f| f.key == k).cloned());
            ValueRow {
                label: f.as_ref().map(|f| f.label.clone()).unwrap_or(k.to_string()),
                value: shown_value(f.as_ref(), val),
            }
        })
        .collect();
    let (flag, flag_class) = super::portal::flag_of(
        &t,
        v.overdue,
        v.due_soon,
        rec.due_at_us.is_some() && rec.closed_at_us.is_none(),
    );
    let step = d
        .state()
        .step()
        .and_then(|k| d.terms().route.get(usize::from(k)).map(|s| s.name.clone()))
        .unwrap_or_default();
    let mut slips = Vec::new();
    let mut slip = |n: &str| {
        slips.push(SlipLink {
            href: format!("/api/v1/dossiers/{}/slips/{n}", rec.id),
            label: t.s(&format!("dossier.slip.{n}")).into(),
        })
    };
    if d.received_at().is_some() {
        slip("01");
    }
    if d.supplement().is_some() {
        slip("02");
    }
    if d.state().name() == StateName::Refused {
        slip("03");
    }
    if d.apology().is_some() {
        slip("04");
    }
    if staff && d.received_at().is_some() {
        slip("05");
    }
    let current_step = d.state().step();
    let back_steps: Vec<(String, String)> = d
        .processing_steps()
        .into_iter()
        .filter(|k| current_step.is_some_and(|c| *k < c))
        .map(|k| {
            (
                k.to_string(),
                d.terms()
                    .route
                    .get(usize::from(k))
                    .map(|s| s.name.clone())
                    .unwrap_or_else(|| format!("{} {}", t.s("dossier.step"), k + 1)),
            )
        })
        .collect();
    let mut consult_agencies: Vec<(String, String)> = if staff {
        cqdt_app::agencies::tree_order(all.values().cloned().collect())
            .into_iter()
            .filter(|x| x.id != rec.agency_id)
            .map(|x| {
                (
                    x.id.to_string(),
                    format!(
                        "{}{}",
                        "— ".repeat(x.level.saturating_sub(1) as usize),
                        x.fields.name
                    ),
                )
            })
            .collect()
    } else {
        vec![]
    };
    consult_agencies.truncate(1000);
    let level = d.terms().level;
    let files: Vec<FileView> = s
        .app
        .dossier_files(&caller.ctx, rec.id)
        .await
        .unwrap_or_default()
        .iter()
        .map(|f| {
            let mut v = file_view(&t, f, format!("/ho-so/{}/tep/{}", rec.id, f.id));
            if let Some(p) = f.part.and_then(|n| {
                proc.as_ref()
                    .and_then(|p| p.procedure.parts.get((n as usize).checked_sub(1)?))
            }) {
                v.kind = format!("{}: {}", v.kind, p.name);
            }
            v
        })
        .collect();
    let actions = actions_for(&v, roles);
    let ctx = FormCtx {
        t: &t,
        errs: &errs,
        prev_action,
        prev: &prev,
    };
    let return_methods: Vec<(String, String)> = ReturnMethod::ALL
        .into_iter()
        .filter(|m| *m != ReturnMethod::Online || level.allows_online_result())
        .map(|m| (method_param(m).to_string(), return_label(&t, m)))
        .collect();
    let preferred = method_param(rec.return_method.unwrap_or(ReturnMethod::Desk));
    let forms: Vec<ActionForm> = actions
        .iter()
        .map(|a| {
            ctx.form(
                a,
                &back_steps,
                &consult_agencies,
                &return_methods,
                preferred,
            )
        })
        .collect();
    let supplement = d
        .supplement()
        .map(|x| x.reasons.clone())
        .unwrap_or_default();
    let (csrf, cookie) = csrf_for(s, caller);
    let failed = !errs.summary.is_empty();
    let status = errs_status(&errs);
    let page = DossierPage {
        t,
        nav: nav_of(caller, csrf),
        errs,
        notice,
        id: rec.id.to_string(),
        code: rec.code.clone(),
        procedure: d.terms().name.clone(),
        agency: agency_name(&all, rec.agency_id),
        state: state_label(&t, d.state().name()),
        national: format!(
            "{} — {}",
            d.national_status().code(),
            t.s(&format!("dossier.national.{}", d.national_status().code()))
        ),
        channel: d
            .channel()
            .map(|c| channel_label(&t, c))
            .unwrap_or_default(),
        submitted: d.submitted_at().map(utc_hm).unwrap_or_default(),
        received: d.received_at().map(utc_hm).unwrap_or_default(),
        due: rec.due_at_us.map(local_hm).unwrap_or_default(),
        flag,
        flag_class,
        clock_paused: d.is_clock_paused(),
        step,
        method: rec
            .return_method
            .map(|m| return_label(&t, m))
            .unwrap_or_default(),
        timeliness: d
            .timeliness()
            .map(|x| {
                let k = match x {
                    cqdt_domain::calendar::Timeliness::Early => "early",
                    cqdt_domain::calendar::Timeliness::OnTime => "on_time",
                    cqdt_domain::calendar::Timeliness::Late => "late",
                };
                t.s(&format!("dossier.timeliness.{k}")).to_string()
            })
            .unwrap_or_default(),
        staff,
        applicant,
        values,
        supplement_open: d.state().name() == StateName::SupplementRequested,
        supplement,
        apology: d
            .apology()
            .map(|x| {
                format!(
                    "{} — {}: {}",
                    x.reason,
                    t.s("dossier.new_appointment"),
                    naive_hm(x.new_appointment)
                )
            })
            .unwrap_or_default(),
        evaluation: d
            .evaluation()
            .map(|e| satisfaction_label(&t, e.satisfaction))
            .unwrap_or_default(),
        events: v
            .events
            .as_deref()
            .map(|e| timeline(&t, rec, e, &all, !staff && !roles.applicant))
            .unwrap_or_default(),
        slips,
        forms,
        files,
    };
    let mut res = html_page(page);
    if failed {
        *res.status_mut() = status;
    }
    with_cookie(res, cookie)
}

/// One input of an action form.
pub struct ActionInput {
    /// The form name; the element id is `f-{action}-{name}`.
    pub name: String,
    pub label: String,
    /// `textarea`, `text`, `date`, `number`, `select`, `radio`, `checkbox`.
    pub kind: &'static str,
    pub value: String,
    pub error: String,
    pub hint: String,
    pub options: Vec<(String, String)>,
}

/// The form of one action on the dossier page.
pub struct ActionForm {
    pub action: String,
    pub title: String,
    pub hint: String,
    pub button: String,
    pub danger: bool,
    pub multipart: bool,
    pub inputs: Vec<ActionInput>,
}

struct FormCtx<'a> {
    t: &'a Tr,
    errs: &'a Errs,
    prev_action: &'a str,
    prev: &'a HashMap<String, String>,
}

impl FormCtx<'_> {
    fn input(
        &self,
        action: &str,
        name: &str,
        kind: &'static str,
        default: &str,
        options: Vec<(String, String)>,
    ) -> ActionInput {
        let t = self.t;
        let hint_key = format!("desk.action.{action}.{name}_hint");
        let hint = t.s(&hint_key);
        let typed = if self.prev_action == action {
            self.prev.get(name).cloned()
        } else {
            None
        };
        ActionInput {
            name: name.into(),
            label: t.s(&format!("desk.action.{action}.{name}")).into(),
            kind,
            value: typed.unwrap_or_else(|| default.to_string()),
            error: self.errs.e(&format!("{action}-{name}")).to_string(),
            hint: if hint == "?" {
                String::new()
            } else {
                hint.into()
            },
            options,
        }
    }

    fn form(
        &self,
        action: &str,
        back_steps: &[(String, String)],
        agencies: &[(String, String)],
        methods: &[(String, String)],
        preferred: &str,
    ) -> ActionForm {
        let t = self.t;
        let i = |name: &str, kind: &'static str| self.input(action, name, kind, "", vec![]);
        let inputs = match action {
            "request_supplement" | "refuse" | "reject" => vec![i("reasons", "textarea")],
            "answer_supplement" => vec![i("note", "textarea"), i("files", "file")],
            "process" => vec![i("note", "textarea")],
            "consultation_answered" => vec![i("answer", "textarea")],
            "withdraw" => vec![i("reason", "textarea")],
            "consult" => vec![
                self.input(action, "agency_id", "select", "", agencies.to_vec()),
                i("question", "textarea"),
                self.input(action, "days", "number", "5", vec![]),
                self.input(
                    action,
                    "pause_clock",
                    "checkbox",
                    "",
                    vec![(
                        "yes".into(),
                        t.s("desk.action.consult.pause_clock_yes").into(),
                    )],
                ),
            ],
            "send_back" => vec![
                self.input(action, "to_step", "select", "", back_steps.to_vec()),
                i("reason", "textarea"),
            ],
            "request_financial_obligation" => {
                vec![i("description", "textarea"), i("amount", "number")]
            }
            "return_result" => vec![
                self.input(action, "method", "radio", preferred, methods.to_vec()),
                i("result", "file"),
            ],
            "issue_apology" => vec![i("reason", "textarea"), i("new_date", "date")],
            "evaluate" => {
                let mut v = vec![
                    self.input(
                        action,
                        "satisfaction",
                        "radio",
                        "",
                        [
                            Satisfaction::VerySatisfied,
                            Satisfaction::Satisfied,
                            Satisfaction::Dissatisfied,
                        ]
                        .into_iter()
                        .map(|x| (satisfaction_param(x).to_string(), satisfaction_label(t, x)))
                        .collect(),
                    ),
                ];
                for k in 1..=9u8 {
                    let name = format!("index{k}");
                    let mut input = self.input(
                        action,
                        &name,
                        "select",
                        "",
                        vec![
                            ("2".into(), t.s("dossier.points.2").into()),
                            ("1".into(), t.s("dossier.points.1").into()),
                            ("0".into(), t.s("dossier.points.0").into()),
                        ],
                    );
                    input.label = format!("{k}. {}", t.s(&format!("dossier.index.{k}")));
                    input.hint = String::new();
                    v.push(input);
                }
                v.push(i("comment", "textarea"));
                v
            }
            _ => vec![],
        };
        ActionForm {
            action: action.into(),
            title: t.s(&format!("desk.action.{action}")).into(),
            hint: {
                let h = t.s(&format!("desk.action.{action}.hint"));
                if h == "?" { String::new() } else { h.into() }
            },
            button: t.s(&format!("desk.action.{action}.button")).into(),
            danger: matches!(action, "refuse" | "reject" | "withdraw"),
            multipart: inputs.iter().any(|x| x.kind == "file"),
            inputs,
        }
    }
}

fn errs_status(errs: &Errs) -> StatusCode {
    if errs.summary.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

fn satisfaction_param(x: Satisfaction) -> &'static str {
    match x {
        Satisfaction::VerySatisfied => "very_satisfied",
        Satisfaction::Satisfied => "satisfied",
        Satisfaction::Dissatisfied => "dissatisfied",
    }
}

/// Reasons typed one per line.
fn lines(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// The action of a submitted action form, or the field and code of what is wrong with it.
fn action_of(form: &Form) -> Result<DossierAction, (&'static str, ErrorCode)> {
    let opt = |k: &str| form.opt(k);
    Ok(match form.get("action").as_str() {
        "accept" => DossierAction::Accept,
        "hand_over" => DossierAction::HandOver,
        "approve" => DossierAction::Approve,
        "result_ready" => DossierAction::ResultReady,
        "financial_obligation_met" => DossierAction::FinancialObligationMet,
        "request_supplement" => DossierAction::RequestSupplement {
            reasons: lines(&form.get("reasons")),
        },
        "refuse" => DossierAction::Refuse {
            reasons: lines(&form.get("reasons")),
        },
        "reject" => DossierAction::Reject {
            reasons: lines(&form.get("reasons")),
        },
        "answer_supplement" => DossierAction::AnswerSupplement { note: opt("note") },
        "process" => DossierAction::CompleteStep { note: opt("note") },
        "consultation_answered" => DossierAction::ConsultationAnswered {
            answer: opt("answer"),
        },
        "withdraw" => DossierAction::Withdraw {
            reason: opt("reason"),
        },
        "consult" => {
            let agency_id = AgencyId::parse(&form.get("agency_id"))
                .ok_or(("agency_id", ErrorCode::Required))?;
            let days = form
                .get("days")
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|d| (1..=365).contains(d))
                .ok_or(("days", ErrorCode::InvalidFormat))?;
            DossierAction::Consult {
                agency_id,
                question: form.get("question"),
                allotted: WorkDuration::Days(days),
                pause_clock: form.get("pause_clock") == "yes",
            }
        }
        "send_back" => DossierAction::SendBack {
            to_step: form
                .get("to_step")
                .trim()
                .parse::<u16>()
                .map_err(|_| ("to_step", ErrorCode::Required))?,
            reason: form.get("reason"),
        },
        "request_financial_obligation" => DossierAction::RequestFinancialObligation {
            description: form.get("description"),
            amount_vnd: match form.opt("amount") {
                None => None,
                Some(a) => Some(
                    a.chars()
                        .filter(|c| c.is_ascii_digit())
                        .collect::<String>()
                        .parse::<u64>()
                        .map_err(|_| ("amount", ErrorCode::InvalidFormat))?,
                ),
            },
        },
        "return_result" => DossierAction::ReturnResult {
            method: method_of(&form.get("method")).ok_or(("method", ErrorCode::Required))?,
        },
        "issue_apology" => {
            let raw = form.get("new_date");
            let date = ["%Y-%m-%d", "%d/%m/%Y"]
                .iter()
                .find_map(|f| chrono::NaiveDate::parse_from_str(raw.trim(), f).ok())
                .ok_or(("new_date", ErrorCode::InvalidDate))?;
            DossierAction::IssueApology {
                reason: form.get("reason"),
                new_appointment: ExtensionTarget::UntilDate(date),
            }
        }
        "evaluate" => {
            let satisfaction = [
                Satisfaction::VerySatisfied,
                Satisfaction::Satisfied,
                Satisfaction::Dissatisfied,
            ]
            .into_iter()
            .find(|x| satisfaction_param(*x) == form.get("satisfaction"))
            .ok_or(("satisfaction", ErrorCode::Required))?;
            let mut scores = Vec::new();
            for i in 1..=9u8 {
                if let Some(p) = form.opt(&format!("index{i}")) {
                    let points = p
                        .trim()
                        .parse::<u8>()
                        .ok()
                        .filter(|p| *p <= 2)
                        .ok_or(("satisfaction", ErrorCode::InvalidChoice))?;
                    scores.push(IndexScore { index: i, points });
                }
            }
            DossierAction::Evaluate {
                evaluation: Evaluation {
                    satisfaction,
                    scores,
                    comment: opt("comment"),
                },
            }
        }
        _ => return Err(("", ErrorCode::InvalidChoice)),
    })
}

/// The field of an action form a refusal of the use case belongs beside.
fn field_for(action: &str, code: ErrorCode) -> &'static str {
    match (action, code) {
        ("request_supplement" | "refuse" | "reject", _) => "reasons",
        ("consult", ErrorCode::AgencyNotFound) => "agency_id",
        ("consult", _) => "question",
        ("send_back", ErrorCode::DossierInvalidStep) => "to_step",
        ("send_back", _) => "reason",
        ("issue_apology", ErrorCode::DossierReasonsRequired | ErrorCode::DossierTextRequired) => {
            "reason"
        }
        ("issue_apology", _) => "new_date",
        ("evaluate", _) => "satisfaction",
        ("return_result", _) => "method",
        ("request_financial_obligation", _) => "description",
        _ => "",
    }
}

async fn dossier_act(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    req: axum::extract::Request,
) -> Response {
    let Posted { form, files } = match read_posted(&s, &caller, req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if caller.session.is_none() {
        return see_other("/dang-nhap");
    }
    let t = Tr::new(caller.lang);
    let Some(did) = DossierId::parse(&id) else {
        return error_page(&s, &caller, &AppError::new(ErrorCode::DossierNotFound));
    };
    let action_name = form.get("action");
    let label = |f: &str| t.s(&format!("desk.action.{action_name}.{f}")).to_string();
    let fail = |field: &str, code: ErrorCode| {
        let mut errs = Errs::default();
        if field.is_empty() {
            errs.summary.push((String::new(), t.error(code).into()));
        } else {
            push_err(
                &mut errs,
                &t,
                &format!("{action_name}-{field}"),
                &label(field),
                code,
            );
        }
        errs
    };
    let action = match action_of(&form) {
        Ok(a) => a,
        Err((field, code)) => {
            let errs = fail(field, code);
            return dossier_page(&s, &caller, &id, String::new(), errs, &action_name, form.0).await;
        }
    };
    let kind = match action_name.as_str() {
        "answer_supplement" => Some(FileKind::Supplement),
        "return_result" => Some(FileKind::Result),
        _ => None,
    };
    let uploads: Vec<Upload> = files
        .into_iter()
        .filter_map(|(_, name, bytes)| kind.map(|k| Upload::of_kind(k, name, bytes)))
        .collect();
    match s
        .app
        .dossier_act_with_files(&caller.ctx, did, action, uploads)
        .await
    {
        Ok(_) => see_other(&format!("/ho-so/{did}?msg={action_name}")),
        Err(e)
            if matches!(
                e.code,
                ErrorCode::Forbidden | ErrorCode::Unauthenticated | ErrorCode::DossierNotFound
            ) =>
        {
            error_page(&s, &caller, &e)
        }
        Err(e) => {
            let field = match (e.field.as_deref(), action_name.as_str()) {
                (Some("agency_id"), _) => "agency_id",
                (Some(_), "answer_supplement") if e.code.as_str().starts_with("upload.") => "files",
                (Some(_), "return_result") if e.code.as_str().starts_with("upload.") => "result",
                _ => field_for(&action_name, e.code),
            };
            let mut errs = fail(field, e.code);
            if let Some(d) = e.detail.as_deref()
                && e.code == ErrorCode::DossierDeadline
            {
                tracing::info!(detail = d, "dossier action refused");
            }
            if errs.summary.is_empty() {
                errs = fail("", e.code);
            }
            let mut res =
                dossier_page(&s, &caller, &id, String::new(), errs, &action_name, form.0).await;
            if res.status() == StatusCode::UNPROCESSABLE_ENTITY {
                *res.status_mut() = StatusCode::from_u16(e.code.http_status())
                    .unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            }
            res
        }
    }
}

async fn dossier_file(
    State(s): State<AppState>,
    caller: Caller,
    Path((id, file)): Path<(String, String)>,
) -> Response {
    let (Some(d), Some(f)) = (DossierId::parse(&id), FileId::parse(&file)) else {
        return error_page(&s, &caller, &AppError::new(ErrorCode::FileNotFound));
    };
    match s.app.dossier_file_content(&caller.ctx, d, f).await {
        Ok((rec, bytes)) => download(&rec, bytes),
        Err(e) => error_page(&s, &caller, &e),
    }
}

/// The desk and dossier routes.
pub fn routes(upload_limit: usize) -> Router<AppState> {
    Router::new()
        .route("/mot-cua", get(worklist))
        .route(
            "/mot-cua/tiep-nhan",
            get(reception_form)
                .post(reception_submit)
                .layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route("/ho-so/{id}", get(dossier_get))
        .route(
            "/ho-so/{id}/thao-tac",
            post(dossier_act).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route("/ho-so/{id}/tep/{file}", get(dossier_file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_one_per_line() {
        assert_eq!(
            lines("Thiếu bản sao CCCD\r\n\n  Tờ khai chưa ký \n"),
            vec!["Thiếu bản sao CCCD", "Tờ khai chưa ký"]
        );
    }

    #[test]
    fn every_action_has_a_field_or_none() {
        assert_eq!(
            field_for("refuse", ErrorCode::DossierReasonsRequired),
            "reasons"
        );
        assert_eq!(field_for("accept", ErrorCode::DossierIllegalTransition), "");
    }
}
