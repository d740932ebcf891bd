//! Electronic documents (issue 5): the work of the clerk (văn thư), leader and specialist —
//! "my documents", the registers with their print links, registration of a paper incoming
//! document with its scans, the inbox of documents arrived from other agencies, a new outgoing
//! draft, the document page with exactly the actions its state and the caller's roles allow,
//! search and figures. The pages call the use cases of `cqdt_app::documents` directly.
#![allow(clippy::result_large_err)]

use super::portal::{agencies_by_id, agency_name, errs_with, read_posted, utc_hm};
use super::{Errs, Nav, any_scope_allows, csrf_for, error_page, html_page, nav_of, see_other};
use super::{Form, with_cookie};
use crate::auth::Caller;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use chrono::{Datelike, NaiveDate};
use cqdt_app::AppError;
use cqdt_app::documents::{
    AssignInput, Book, DocumentFile, DocumentRecord, DraftInput, PaperIncoming, RecipientInput,
    RegisterQuery, StateQuery, document_types,
};
use cqdt_app::files::Upload;
use cqdt_app::store::{UserFilter, UserKind};
use cqdt_domain::ErrorCode;
use cqdt_domain::agency::{Agency, AgencyKind};
use cqdt_domain::document::{
    Direction, DocState, EdxmlStatus, EventKind, Secrecy, SignerInfo, Urgency,
};
use cqdt_domain::files::FileKind;
use cqdt_domain::ids::{AgencyId, DocumentId, FileId, UserId};
use cqdt_domain::policy::{Action, Actor, Decision, Target, decide};
use cqdt_domain::text::vi_cmp;
use std::collections::HashMap;

fn query<T: serde::de::DeserializeOwned + Default>(uri: &Uri) -> T {
    serde_urlencoded::from_str(uri.query().unwrap_or("")).unwrap_or_default()
}

fn allowed_on(actor: &Actor, action: Action, path: &[AgencyId]) -> bool {
    decide(actor, action, Target::Agency(path)) == Decision::Allow
}

/// Whether the caller sees the documents pages at all.
pub(super) fn may_see_documents(actor: &Actor) -> bool {
    any_scope_allows(actor, Action::ViewDocuments)
}

fn today(s: &AppState) -> NaiveDate {
    chrono::DateTime::from_timestamp_micros(s.app.now_us())
        .map(|d| cqdt_domain::calendar::to_local(d).date())
        .unwrap_or_default()
}

fn dmy(d: Option<NaiveDate>) -> String {
    d.map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_default()
}

fn state_label(t: &Tr, s: DocState) -> String {
    t.s(&format!("doc.state.{}", s.as_str())).into()
}

fn status_label(t: &Tr, s: EdxmlStatus) -> String {
    format!(
        "{} — {}",
        s.code_str(),
        t.s(&format!("doc.status.{}", s.code_str()))
    )
}

fn urgency_param(u: Urgency) -> &'static str {
    match u {
        Urgency::Normal => "thuong",
        Urgency::Urgent => "khan",
        Urgency::VeryUrgent => "thuong-khan",
        Urgency::Flash => "hoa-toc",
        Urgency::FlashTimed => "hoa-toc-hen-gio",
    }
}

fn secrecy_param(x: Secrecy) -> &'static str {
    match x {
        Secrecy::None => "khong",
        Secrecy::Confidential => "mat",
        Secrecy::Secret => "toi-mat",
        Secrecy::TopSecret => "tuyet-mat",
    }
}

fn urgency_options() -> Vec<(String, String)> {
    Urgency::ALL
        .iter()
        .map(|u| (urgency_param(*u).into(), u.label_vi().into()))
        .collect()
}

fn secrecy_options() -> Vec<(String, String)> {
    Secrecy::ALL
        .iter()
        .map(|x| (secrecy_param(*x).into(), x.label_vi().into()))
        .collect()
}

fn type_options(s: &AppState) -> Vec<(String, String)> {
    let day = today(s);
    document_types()
        .map(|ty| {
            ty.in_effect(day)
                .map(|r| (r.code.clone(), r.name.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// The caller's own agency (staff accounts belong to one).
fn my_agency(caller: &Caller) -> Option<AgencyId> {
    caller.session.as_ref().and_then(|s| s.user.agency_id)
}

fn my_id(caller: &Caller) -> Option<UserId> {
    caller.session.as_ref().map(|s| s.user.id)
}

/// Login required, documents visible somewhere and an agency of one's own.
fn gate(s: &AppState, caller: &Caller) -> Result<AgencyId, Response> {
    if caller.session.is_none() {
        return Err(see_other("/dang-nhap"));
    }
    match my_agency(caller) {
        Some(a) if may_see_documents(&caller.ctx.actor) => Ok(a),
        _ => Err(error_page(s, caller, &AppError::new(ErrorCode::Forbidden))),
    }
}

/// One line of a document list.
pub struct DocRow {
    pub id: String,
    pub number: String,
    pub date: String,
    pub type_name: String,
    pub subject: String,
    pub party: String,
    pub state: String,
    pub due: String,
    pub flag: String,
    pub urgent: String,
}

fn doc_row(t: &Tr, r: &DocumentRecord, day: NaiveDate) -> DocRow {
    let d = &r.doc;
    let (number, date, party, due) = match (&d.incoming, &d.outgoing) {
        (Some(i), _) => (
            i.sender_number.clone().unwrap_or_default(),
            dmy(i.sender_date),
            i.sender.name.clone(),
            dmy(i.handling.as_ref().map(|h| h.due).or(i.handling_due)),
        ),
        (_, Some(o)) => (
            o.number
                .as_ref()
                .map(|n| n.full.clone())
                .unwrap_or_default(),
            dmy(o.number.as_ref().map(|n| n.date)),
            o.recipients
                .iter()
                .map(|x| x.name.clone())
                .collect::<Vec<_>>()
                .join("; "),
            String::new(),
        ),
        _ => Default::default(),
    };
    DocRow {
        id: r.id.to_string(),
        number,
        date,
        type_name: d.fields.type_name.clone(),
        subject: d.fields.subject.clone(),
        party,
        state: state_label(t, d.state),
        due,
        flag: if d.is_overdue(day) {
            t.s("doc.overdue").into()
        } else {
            String::new()
        },
        urgent: if d.fields.urgency.is_urgent() {
            d.fields.urgency.label_vi().into()
        } else {
            String::new()
        },
    }
}

/// Whether a document waits for the caller, and under which heading.
fn needs_me(actor: &Actor, me: Option<UserId>, r: &DocumentRecord) -> Option<&'static str> {
    let p = &r.agency_path;
    let lead_is_me = r
        .doc
        .incoming
        .as_ref()
        .and_then(|i| i.handling.as_ref())
        .and_then(|h| h.lead_person)
        .is_some_and(|x| Some(x) == me);
    match r.doc.state {
        DocState::Arrived if allowed_on(actor, Action::RegisterDocument, p) => Some("inbox"),
        DocState::Registered if allowed_on(actor, Action::Approve, p) => Some("to_assign"),
        DocState::Assigned | DocState::InProgress
            if lead_is_me && allowed_on(actor, Action::HandleDocument, p) =>
        {
            Some("to_handle")
        }
        DocState::Draft if r.created_by == me && allowed_on(actor, Action::HandleDocument, p) => {
            Some("drafts")
        }
        DocState::InReview if allowed_on(actor, Action::Approve, p) => Some("to_review"),
        DocState::AwaitingSignature if allowed_on(actor, Action::Approve, p) => Some("to_sign"),
        DocState::Signed if allowed_on(actor, Action::RegisterDocument, p) => Some("to_issue"),
        _ => None,
    }
}

const GROUPS: [&str; 7] = [
    "inbox",
    "to_assign",
    "to_handle",
    "drafts",
    "to_review",
    "to_sign",
    "to_issue",
];

/// The store query behind a group of the worklist: its states, the action it needs on the
/// agency, and whether it holds only the caller's documents (handling led by them, drafts
/// written by them).
fn group_query(g: &str) -> (&'static [DocState], Action, bool) {
    match g {
        "inbox" => (&[DocState::Arrived], Action::RegisterDocument, false),
        "to_assign" => (&[DocState::Registered], Action::Approve, false),
        "to_handle" => (
            &[DocState::Assigned, DocState::InProgress],
            Action::HandleDocument,
            true,
        ),
        "drafts" => (&[DocState::Draft], Action::HandleDocument, true),
        "to_review" => (&[DocState::InReview], Action::Approve, false),
        "to_sign" => (&[DocState::AwaitingSignature], Action::Approve, false),
        _ => (&[DocState::Signed], Action::RegisterDocument, false),
    }
}

/// Rows shown per group of the worklist (the newest; the heading gives the total).
const WORK_ROWS: i64 = 100;

/// Documents of an agency in some states, newest first (empty when not allowed).
async fn of_agency(
    s: &AppState,
    caller: &Caller,
    agency_id: AgencyId,
    states: &[DocState],
    limit: i64,
) -> Result<Vec<DocumentRecord>, AppError> {
    Ok(s.app
        .documents_by_state(&caller.ctx, &StateQuery::new(agency_id, states, limit))
        .await?
        .items)
}

// ---------- /van-ban ----------

pub struct GroupView {
    pub key: String,
    pub label: String,
    pub rows: Vec<DocRow>,
    /// Documents in the group (rows shows the newest `WORK_ROWS`).
    pub total: i64,
    pub overdue: usize,
}

impl GroupView {
    /// More documents than rows shown.
    pub fn more(&self) -> bool {
        self.total > self.rows.len() as i64
    }
}

#[derive(Template)]
#[template(path = "doc_work.html")]
struct WorkPage {
    t: Tr,
    nav: Nav,
    errs: Errs,
    notice: String,
    agency: String,
    groups: Vec<GroupView>,
    overdue: Vec<DocRow>,
    nothing: bool,
    can_register: bool,
    can_draft: bool,
}

#[derive(serde::Deserialize, Default)]
struct MsgQ {
    #[serde(default)]
    msg: String,
}

async fn work(State(s): State<AppState>, caller: Caller, uri: Uri) -> Response {
    let agency_id = match gate(&s, &caller) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let t = Tr::new(caller.lang);
    let actor = &caller.ctx.actor;
    let day = today(&s);
    let all = agencies_by_id(&s).await;
    let me = my_id(&caller);
    let path = all
        .get(&agency_id)
        .map(|a| a.path.clone())
        .unwrap_or_default();
    let mut groups: Vec<GroupView> = Vec::new();
    for g in GROUPS {
        let (states, action, mine) = group_query(g);
        let mut gv = GroupView {
            key: g.into(),
            label: t.s(&format!("doc.group.{g}")).into(),
            rows: vec![],
            total: 0,
            overdue: 0,
        };
        if allowed_on(actor, action, &path) && (!mine || me.is_some()) {
            let mut q = StateQuery::new(agency_id, states, WORK_ROWS);
            if mine && g == "to_handle" {
                q.lead_person = me;
            } else if mine {
                q.created_by = me;
            }
            let page = match s.app.documents_by_state(&caller.ctx, &q).await {
                Ok(p) => p,
                Err(e) => return error_page(&s, &caller, &e),
            };
            gv.total = page.total;
            for r in page
                .items
                .iter()
                .filter(|r| needs_me(actor, me, r) == Some(g))
            {
                if r.doc.is_overdue(day) {
                    gv.overdue += 1;
                }
                gv.rows.push(doc_row(&t, r, day));
            }
        }
        groups.push(gv);
    }
    // Copies whose sender asked for them back or sent an update: the clerk answers.
    if allowed_on(actor, Action::RegisterDocument, &path) {
        let (items, total) = match s
            .app
            .documents_awaiting_answer(&caller.ctx, agency_id, WORK_ROWS)
            .await
        {
            Ok(x) => x,
            Err(e) => return error_page(&s, &caller, &e),
        };
        groups.push(GroupView {
            key: "requests".into(),
            label: t.s("doc.group.requests").into(),
            rows: items.iter().map(|r| doc_row(&t, r, day)).collect(),
            total,
            overdue: 0,
        });
    }
    let overdue = s
        .app
        .documents_overdue(&caller.ctx, agency_id, Some(50), None)
        .await
        .map(|p| {
            p.items
                .iter()
                .filter(|r| r.agency_id == agency_id)
                .map(|r| doc_row(&t, r, day))
                .collect()
        })
        .unwrap_or_default();
    let p: MsgQ = query(&uri);
    let (csrf, cookie) = csrf_for(&s, &caller);
    let page = WorkPage {
        nav: nav_of(&caller, csrf),
        errs: Errs::default(),
        notice: notice(&t, &p.msg),
        agency: agency_name(&all, agency_id),
        nothing: groups.iter().all(|g| g.rows.is_empty()),
        groups,
        overdue,
        can_register: allowed_on(actor, Action::RegisterDocument, &path),
        can_draft: allowed_on(actor, Action::HandleDocument, &path),
        t,
    };
    with_cookie(html_page(page), cookie)
}

fn notice(t: &Tr, msg: &str) -> String {
    if msg.is_empty() || !msg.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
        String::new()
    } else {
        t.s(&format!("doc.msg.{msg}")).into()
    }
}

// ---------- registers ----------

pub struct RegRow {
    pub id: String,
    pub cells: Vec<String>,
    pub flag: String,
}

#[derive(Template)]
#[template(path = "doc_register.html")]
struct RegisterPage {
    t: Tr,
    nav: Nav,
    errs: Errs,
    notice: String,
    title: String,
    agency: String,
    year: i32,
    years: Vec<(i32, bool)>,
    path: String,
    heads: Vec<String>,
    rows: Vec<RegRow>,
    range: String,
    prev: String,
    next: String,
    pdf: String,
    xlsx: String,
    followup_pdf: String,
    followup_xlsx: String,
    can_register: bool,
}

#[derive(serde::Deserialize, Default)]
struct RegQ {
    #[serde(default)]
    nam: String,
    #[serde(default)]
    trang: String,
}

const PER_PAGE: i64 = 20;

async fn register_in(s: State<AppState>, caller: Caller, uri: Uri) -> Response {
    register_page(s, caller, uri, Book::Incoming).await
}
async fn register_out(s: State<AppState>, caller: Caller, uri: Uri) -> Response {
    register_page(s, caller, uri, Book::Outgoing).await
}
async fn register_followup(s: State<AppState>, caller: Caller, uri: Uri) -> Response {
    register_page(s, caller, uri, Book::Handling).await
}

fn book_path(b: Book) -> &'static str {
    match b {
        Book::Incoming => "/van-ban/den",
        Book::Outgoing => "/van-ban/di",
        Book::Handling => "/van-ban/theo-doi",
    }
}

fn book_kind(b: Book) -> &'static str {
    match b {
        Book::Incoming => "incoming",
        Book::Outgoing => "outgoing",
        Book::Handling => "follow-up",
    }
}

fn print_link(kind: &str, agency: AgencyId, year: i32, format: &str) -> String {
    format!("/api/v1/documents/registers/{kind}?agency={agency}&year={year}&format={format}")
}

async fn register_page(
    State(s): State<AppState>,
    caller: Caller,
    uri: Uri,
    book: Book,
) -> Response {
    let agency_id = match gate(&s, &caller) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let t = Tr::new(caller.lang);
    let p: RegQ = query(&uri);
    let day = today(&s);
    let year = p
        .nam
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=day.year() + 1).contains(y))
        .unwrap_or(day.year());
    let pageno = p.trang.parse::<i64>().unwrap_or(1).max(1);
    let res = s
        .app
        .document_register(
            &caller.ctx,
            &RegisterQuery {
                agency_id,
                book,
                year,
                limit: Some(PER_PAGE),
                offset: Some((pageno - 1) * PER_PAGE),
            },
        )
        .await;
    let reg = match res {
        Ok(r) => r,
        Err(e) => return error_page(&s, &caller, &e),
    };
    let all = agencies_by_id(&s).await;
    let users = staff_names(&s, agency_id).await;
    let heads: Vec<String> = (1..=match book {
        Book::Incoming => 8,
        Book::Outgoing => 6,
        Book::Handling => 7,
    })
        .map(|i| t.s(&format!("doc.reg.{}.{i}", book_kind(book))).to_string())
        .collect();
    let who = |u: Option<AgencyId>, p: Option<UserId>| -> String {
        let mut v = vec![];
        if let Some(u) = u {
            v.push(agency_name(&all, u));
        }
        if let Some(p) = p
            && let Some(n) = users.get(&p)
        {
            v.push(n.clone());
        }
        v.join(" — ")
    };
    let rows = reg
        .items
        .iter()
        .map(|r| {
            let kind_subject = format!("{} — {}", r.type_name, r.subject);
            let cells = match book {
                Book::Incoming => vec![
                    dmy(r.arrival_date),
                    r.arrival_number
                        .map(|n| format!("{n:02}"))
                        .unwrap_or_default(),
                    r.author.clone().unwrap_or_default(),
                    r.number.clone().unwrap_or_default(),
                    dmy(r.date),
                    kind_subject,
                    who(r.lead_unit, r.lead_person),
                    state_label(&t, r.state),
                ],
                Book::Outgoing => vec![
                    r.number.clone().unwrap_or_default(),
                    dmy(r.date),
                    kind_subject,
                    r.signer.clone().unwrap_or_default(),
                    r.recipients.join("; "),
                    if r.electronic {
                        t.s("doc.electronic").into()
                    } else {
                        t.s("doc.paper").into()
                    },
                ],
                Book::Handling => vec![
                    r.arrival_number
                        .map(|n| format!("{n:02}"))
                        .unwrap_or_default(),
                    format!(
                        "{} {} {} — {}",
                        r.type_name,
                        r.number.clone().unwrap_or_default(),
                        dmy(r.date),
                        r.author.clone().unwrap_or_default()
                    ),
                    who(r.lead_unit, r.lead_person),
                    dmy(r.due),
                    state_label(&t, r.state),
                    r.reply_number.clone().unwrap_or_default(),
                    r.subject.clone(),
                ],
            };
            RegRow {
                id: r.id.to_string(),
                cells,
                flag: if r.overdue {
                    t.s("doc.overdue").into()
                } else {
                    String::new()
                },
            }
        })
        .collect::<Vec<_>>();
    let base = book_path(book);
    let last = (reg.total + PER_PAGE - 1) / PER_PAGE;
    let href = |n: i64| format!("{base}?nam={year}&trang={n}");
    let from = (pageno - 1) * PER_PAGE + 1;
    let range = if reg.total == 0 {
        String::new()
    } else {
        format!(
            "{from}–{} / {}",
            (from + rows.len() as i64 - 1).max(from),
            reg.total
        )
    };
    let path = all
        .get(&agency_id)
        .map(|a| a.path.clone())
        .unwrap_or_default();
    let (csrf, cookie) = csrf_for(&s, &caller);
    let page = RegisterPage {
        nav: nav_of(&caller, csrf),
        errs: Errs::default(),
        notice: String::new(),
        title: t.s(&format!("doc.book.{}", book_kind(book))).into(),
        agency: agency_name(&all, agency_id),
        year,
        years: (day.year() - 4..=day.year())
            .rev()
            .map(|y| (y, y == year))
            .collect(),
        path: base.into(),
        heads,
        rows,
        range,
        prev: if pageno > 1 {
            href(pageno - 1)
        } else {
            String::new()
        },
        next: if pageno < last {
            href(pageno + 1)
        } else {
            String::new()
        },
        pdf: print_link(book_kind(book), agency_id, year, "pdf"),
        xlsx: print_link(book_kind(book), agency_id, year, "xlsx"),
        followup_pdf: print_link("follow-up", agency_id, year, "pdf"),
        followup_xlsx: print_link("follow-up", agency_id, year, "xlsx"),
        can_register: book == Book::Incoming
            && allowed_on(&caller.ctx.actor, Action::RegisterDocument, &path),
        t,
    };
    with_cookie(html_page(page), cookie)
}

/// Names of the staff of one agency (for "who handles").
async fn staff_names(s: &AppState, agency: AgencyId) -> HashMap<UserId, String> {
    staff_of(s, agency).await.into_iter().collect()
}

async fn staff_of(s: &AppState, agency: AgencyId) -> Vec<(UserId, String)> {
    let mut v: Vec<(UserId, String)> = s
        .app
        .store
        .users_list(&UserFilter {
            agency_subtree: Some(agency),
            kind: Some(UserKind::Staff),
            query: None,
            limit: 500,
            offset: 0,
        })
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|u| u.agency_id == Some(agency) && !u.disabled)
        .map(|u| (u.id, u.full_name))
        .collect();
    v.sort_by(|a, b| vi_cmp(&a.1, &b.1));
    v
}

// ---------- paper registration ----------

#[derive(Template)]
#[template(path = "doc_paper.html")]
struct PaperPage {
    t: Tr,
    nav: Nav,
    errs: Errs,
    notice: String,
    types: Vec<(String, String)>,
    urgencies: Vec<(String, String)>,
    secrecies: Vec<(String, String)>,
    v: Form,
}

impl PaperPage {
    fn val(&self, k: &str) -> String {
        self.v.0.get(k).cloned().unwrap_or_default()
    }
}

fn paper_page(s: &AppState, caller: &Caller, errs: Errs, v: Form) -> Response {
    let t = Tr::new(caller.lang);
    let (csrf, cookie) = csrf_for(s, caller);
    let status = if errs.summary.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = PaperPage {
        nav: nav_of(caller, csrf),
        errs,
        notice: String::new(),
        types: type_options(s),
        urgencies: urgency_options(),
        secrecies: secrecy_options(),
        v,
        t,
    };
    let mut r = html_page(page);
    *r.status_mut() = status;
    with_cookie(r, cookie)
}

async fn paper_form(State(s): State<AppState>, caller: Caller) -> Response {
    if let Err(r) = gate(&s, &caller) {
        return r;
    }
    let mut v = HashMap::new();
    v.insert("type_code".to_string(), "cong_van".to_string());
    paper_page(&s, &caller, Errs::default(), Form(v))
}

fn parse_urgency(v: &str) -> Urgency {
    Urgency::ALL
        .into_iter()
        .find(|u| urgency_param(*u) == v)
        .unwrap_or_default()
}

fn parse_secrecy(v: &str) -> Secrecy {
    Secrecy::ALL
        .into_iter()
        .find(|x| secrecy_param(*x) == v)
        .unwrap_or_default()
}

fn field_labels(t: &Tr) -> impl Fn(&str) -> Option<String> + '_ {
    move |f: &str| {
        let k = format!("doc.field.{f}");
        let l = t.s(&k);
        (l != "?").then(|| l.to_string())
    }
}

async fn paper_submit(
    State(s): State<AppState>,
    caller: Caller,
    req: axum::extract::Request,
) -> Response {
    let agency_id = match gate(&s, &caller) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let posted = match read_posted(&s, &caller, req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let f = &posted.form;
    let t = Tr::new(caller.lang);
    let mut bad: Option<(&str, ErrorCode)> = None;
    let sender_date = match f.opt("sender_date") {
        Some(d) => match NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                bad = Some(("sender_date", ErrorCode::InvalidDate));
                None
            }
        },
        None => None,
    };
    let handling_days = match f.opt("handling_days") {
        Some(d) => match d.trim().parse::<u32>() {
            Ok(n) if (1..=365).contains(&n) => Some(n),
            _ => {
                bad = Some(("handling_days", ErrorCode::InvalidFormat));
                None
            }
        },
        None => None,
    };
    if f.opt("sender_name").is_none() {
        bad = bad.or(Some(("sender_name", ErrorCode::Required)));
    }
    if let Some((field, code)) = bad {
        let e = AppError::field(code, field);
        let errs = errs_with(&t, &e, &field_labels(&t), &|x| x.to_string());
        return paper_page(&s, &caller, errs, Form(posted.form.0));
    }
    let scans = posted
        .files
        .iter()
        .filter(|(n, _, _)| n == "scans")
        .map(|(_, name, b)| Upload::of_kind(FileKind::Working, name.clone(), b.clone()))
        .collect();
    let input = PaperIncoming {
        agency_id,
        type_code: f.get("type_code"),
        subject: f.get("subject"),
        sender_name: f.get("sender_name"),
        sender_identifier: None,
        sender_number: f.opt("sender_number"),
        sender_date,
        signer: f.opt("signer").map(|n| SignerInfo {
            full_name: n,
            ..SignerInfo::default()
        }),
        urgency: parse_urgency(&f.get("urgency")),
        secrecy: parse_secrecy(&f.get("secrecy")),
        handling_days,
        scans,
    };
    match s.app.document_register_paper(&caller.ctx, input).await {
        Ok(r) => see_other(&format!("/van-ban/{}?msg=registered", r.id)),
        Err(e) if e.code == ErrorCode::Forbidden => error_page(&s, &caller, &e),
        Err(e) => {
            let errs = errs_with(&t, &e, &field_labels(&t), &|x| x.to_string());
            paper_page(&s, &caller, errs, Form(posted.form.0))
        }
    }
}

// ---------- inbox ----------

#[derive(Template)]
#[template(path = "doc_inbox.html")]
struct InboxPage {
    t: Tr,
    nav: Nav,
    errs: Errs,
    notice: String,
    agency: String,
    rows: Vec<DocRow>,
    can_register: bool,
}

async fn inbox(State(s): State<AppState>, caller: Caller, uri: Uri) -> Response {
    let agency_id = match gate(&s, &caller) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let t = Tr::new(caller.lang);
    let day = today(&s);
    let docs = match of_agency(&s, &caller, agency_id, &[DocState::Arrived], 500).await {
        Ok(d) => d,
        Err(e) => return error_page(&s, &caller, &e),
    };
    let all = agencies_by_id(&s).await;
    let path = all
        .get(&agency_id)
        .map(|a| a.path.clone())
        .unwrap_or_default();
    let rows = docs
        .iter()
        .filter(|r| r.doc.state == DocState::Arrived)
        .map(|r| doc_row(&t, r, day))
        .collect();
    let p: MsgQ = query(&uri);
    let (csrf, cookie) = csrf_for(&s, &caller);
    let page = InboxPage {
        nav: nav_of(&caller, csrf),
        errs: Errs::default(),
        notice: notice(&t, &p.msg),
        agency: agency_name(&all, agency_id),
        rows,
        can_register: allowed_on(&caller.ctx.actor, Action::RegisterDocument, &path),
        t,
    };
    with_cookie(html_page(page), cookie)
}

// ---------- new outgoing draft ----------

#[derive(Template)]
#[template(path = "doc_draft.html")]
struct DraftPage {
    t: Tr,
    nav: Nav,
    errs: Errs,
    notice: String,
    types: Vec<(String, String)>,
    urgencies: Vec<(String, String)>,
    secrecies: Vec<(String, String)>,
    agencies: Vec<(String, String)>,
    chosen: Vec<String>,
    replies: Vec<(String, String)>,
    v: Form,
}

impl DraftPage {
    fn is_chosen(&self, id: &str) -> bool {
        self.chosen.iter().any(|c| c == id)
    }
    fn val(&self, k: &str) -> String {
        self.v.0.get(k).cloned().unwrap_or_default()
    }
}

#[derive(serde::Deserialize, Default)]
struct DraftQ {
    #[serde(default, rename = "tra-loi")]
    reply_to: String,
    #[serde(default, rename = "thay-the")]
    replaces: String,
}

async fn draft_page(
    s: &AppState,
    caller: &Caller,
    agency_id: AgencyId,
    errs: Errs,
    v: Form,
    chosen: Vec<String>,
) -> Response {
    let t = Tr::new(caller.lang);
    let all = agencies_by_id(s).await;
    let mut agencies: Vec<&Agency> = all
        .values()
        .filter(|a| {
            a.id != agency_id
                && matches!(
                    a.fields.kind,
                    AgencyKind::ProvinceCommittee
                        | AgencyKind::Department
                        | AgencyKind::DistrictCommittee
                )
        })
        .collect();
    agencies.sort_by(|a, b| {
        a.fields
            .level
            .cmp(&b.fields.level)
            .then_with(|| vi_cmp(&a.fields.name, &b.fields.name))
    });
    let day = today(s);
    let open = [
        DocState::Registered,
        DocState::Assigned,
        DocState::InProgress,
    ];
    let replies = of_agency(s, caller, agency_id, &open, 500)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.doc.direction == Direction::Incoming && r.doc.state.is_open_handling())
        .map(|r| {
            let row = doc_row(&t, &r, day);
            (
                row.id,
                format!("{} {} — {}", row.type_name, row.number, row.subject),
            )
        })
        .collect();
    let (csrf, cookie) = csrf_for(s, caller);
    let status = if errs.summary.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = DraftPage {
        nav: nav_of(caller, csrf),
        errs,
        notice: String::new(),
        types: type_options(s),
        urgencies: urgency_options(),
        secrecies: secrecy_options(),
        agencies: agencies
            .iter()
            .map(|a| (a.id.to_string(), a.fields.name.clone()))
            .collect(),
        chosen,
        replies,
        v,
        t,
    };
    let mut r = html_page(page);
    *r.status_mut() = status;
    with_cookie(r, cookie)
}

async fn draft_form(State(s): State<AppState>, caller: Caller, uri: Uri) -> Response {
    let agency_id = match gate(&s, &caller) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let q: DraftQ = query(&uri);
    let mut v = HashMap::new();
    v.insert("type_code".to_string(), "cong_van".to_string());
    v.insert("reply_to".to_string(), q.reply_to);
    if DocumentId::parse(&q.replaces).is_some() {
        v.insert("replaces".to_string(), q.replaces);
    }
    draft_page(&s, &caller, agency_id, Errs::default(), Form(v), vec![]).await
}

/// Every value of a repeated field of a posted form (checkboxes): `Form` keeps one value per
/// name, so the page names them `recipient-{agency id}`.
fn chosen_agencies(f: &Form) -> Vec<String> {
    let mut v: Vec<String> =
        f.0.keys()
            .filter_map(|k| k.strip_prefix("recipient-"))
            .map(str::to_string)
            .collect();
    v.sort();
    v
}

async fn draft_submit(
    State(s): State<AppState>,
    caller: Caller,
    req: axum::extract::Request,
) -> Response {
    let agency_id = match gate(&s, &caller) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let posted = match read_posted(&s, &caller, req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let t = Tr::new(caller.lang);
    let f = &posted.form;
    let chosen = chosen_agencies(f);
    let mut recipients: Vec<RecipientInput> = chosen
        .iter()
        .filter_map(|x| AgencyId::parse(x))
        .map(RecipientInput::Agency)
        .collect();
    for line in f.get("external").lines() {
        let name = line.trim();
        if !name.is_empty() {
            recipients.push(RecipientInput::External {
                name: name.into(),
                identifier: None,
            });
        }
    }
    let reply_to = f.opt("reply_to").and_then(|x| DocumentId::parse(&x));
    let replaces = f.opt("replaces").and_then(|x| DocumentId::parse(&x));
    let mut main = None;
    let mut attachments = vec![];
    for (field, name, bytes) in &posted.files {
        let u = Upload::of_kind(FileKind::Working, name.clone(), bytes.clone());
        match field.as_str() {
            "main" if main.is_none() => main = Some(u),
            "attachments" => attachments.push(u),
            _ => {}
        }
    }
    let fail = |e: AppError| {
        let errs = errs_with(&t, &e, &field_labels(&t), &|x| x.to_string());
        (errs, Form(posted.form.0.clone()), chosen.clone())
    };
    if main.is_none() {
        let (e, v, c) = fail(AppError::field(ErrorCode::Required, "main"));
        return draft_page(&s, &caller, agency_id, e, v, c).await;
    }
    let input = DraftInput {
        agency_id,
        type_code: f.get("type_code"),
        subject: f.get("subject"),
        signer: f.opt("signer_name").map(|n| SignerInfo {
            full_name: n,
            position: f.opt("signer_position"),
            competence: f.opt("signer_competence"),
        }),
        urgency: parse_urgency(&f.get("urgency")),
        secrecy: parse_secrecy(&f.get("secrecy")),
        drafting_unit: f.opt("drafting_unit"),
        recipients,
        reply_to,
        replaces,
        main,
        attachments,
    };
    match s.app.document_draft_create(&caller.ctx, input).await {
        Ok(r) => see_other(&format!("/van-ban/{}?msg=drafted", r.id)),
        Err(e) if e.code == ErrorCode::Forbidden => error_page(&s, &caller, &e),
        Err(e) => {
            let (e, v, c) = fail(e);
            draft_page(&s, &caller, agency_id, e, v, c).await
        }
    }
}

// ---------- the document page ----------

pub struct FactView {
    pub label: String,
    pub value: String,
    /// A link to another document, if the value names one.
    pub href: String,
}

pub struct DocFileView {
    pub name: String,
    pub href: String,
    pub kind: String,
    pub size: String,
}

pub struct EventLine {
    pub at: String,
    pub label: String,
    pub who: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "doc_view.html")]
struct DocPage {
    t: Tr,
    nav: Nav,
    errs: Errs,
    notice: String,
    id: String,
    title: String,
    /// Trích yếu (the correction form starts from it).
    subject: String,
    state: String,
    facts: Vec<FactView>,
    files: Vec<DocFileView>,
    /// The document's file as downloaded by default (href, label): the issued PDF once there
    /// is one, else the main file.
    download: Option<(String, String)>,
    events: Vec<EventLine>,
    receivers: Vec<FactView>,
    /// The actions offered (keys of `doc.action.*`).
    acts: Vec<String>,
    units: Vec<(String, String)>,
    people: Vec<(String, String)>,
    replies: Vec<(String, String)>,
    v: Form,
}

impl DocPage {
    fn act_title(&self, a: &str) -> &'static str {
        self.t.s(&format!("doc.action.{a}.title"))
    }
    fn act_label(&self, a: &str) -> &'static str {
        self.t.s(&format!("doc.action.{a}"))
    }
    /// The name of an action form's field, as its element id without `f-`.
    fn fid(&self, a: &str, name: &str) -> String {
        format!("{a}-{name}")
    }
    fn val(&self, k: &str) -> String {
        self.v.0.get(k).cloned().unwrap_or_default()
    }
}

pub(super) fn size_label(n: i64) -> String {
    if n >= 1024 * 1024 {
        format!("{:.1} MB", n as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", (n + 1023) / 1024)
    }
}

/// The actions the state and the caller's roles allow.
fn actions_for(actor: &Actor, me: Option<UserId>, r: &DocumentRecord) -> Vec<String> {
    let p = &r.agency_path;
    let clerk = allowed_on(actor, Action::RegisterDocument, p);
    let leader = allowed_on(actor, Action::Approve, p);
    let handler = allowed_on(actor, Action::HandleDocument, p);
    let lead_is_me_or_leader = leader
        || r.doc
            .incoming
            .as_ref()
            .and_then(|i| i.handling.as_ref())
            .and_then(|h| h.lead_person)
            .is_none_or(|x| Some(x) == me);
    let mut v: Vec<&str> = vec![];
    match r.doc.state {
        DocState::Arrived if clerk => v.extend(["register", "refuse"]),
        DocState::Registered | DocState::Assigned if leader => v.push("assign"),
        _ => {}
    }
    match r.doc.state {
        DocState::Assigned if handler && lead_is_me_or_leader => {
            v.extend(["start", "link_reply", "complete"])
        }
        DocState::InProgress if handler && lead_is_me_or_leader => {
            v.extend(["link_reply", "complete"])
        }
        DocState::Draft if handler => v.push("submit_review"),
        DocState::InReview if leader => v.extend(["submit_signature", "send_back"]),
        DocState::AwaitingSignature if leader => v.extend(["sign", "send_back"]),
        DocState::Signed if clerk => v.push("issue"),
        DocState::Issued if r.edxml_document_id.is_some() => {
            if clerk {
                v.push("recall");
            }
            if leader {
                v.extend(["correct", "revoke"]);
            }
        }
        _ => {}
    }
    let pending = r.doc.incoming.as_ref().is_some_and(|i| i.request.is_some());
    if pending && clerk && r.doc.state.is_open_to_sender() {
        v.extend(["agree_request", "refuse_request"]);
    }
    v.into_iter().map(str::to_string).collect()
}

async fn doc_get(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    uri: Uri,
) -> Response {
    let p: MsgQ = query(&uri);
    let t = Tr::new(caller.lang);
    render_doc(
        &s,
        &caller,
        &id,
        Errs::default(),
        notice(&t, &p.msg),
        Form(HashMap::new()),
    )
    .await
}

async fn render_doc(
    s: &AppState,
    caller: &Caller,
    id: &str,
    errs: Errs,
    notice: String,
    v: Form,
) -> Response {
    if caller.session.is_none() {
        return see_other("/dang-nhap");
    }
    let Some(did) = DocumentId::parse(id) else {
        return error_page(s, caller, &AppError::new(ErrorCode::DocumentNotFound));
    };
    let view = match s.app.document_view(&caller.ctx, did).await {
        Ok(v) => v,
        Err(e) => return error_page(s, caller, &e),
    };
    let t = Tr::new(caller.lang);
    let all = agencies_by_id(s).await;
    let rec = &view.record;
    let d = &rec.doc;
    let people = staff_of(s, rec.agency_id).await;
    let names: HashMap<UserId, String> = people.iter().cloned().collect();
    let mut facts = vec![];
    let mut fact = |k: &str, v: String| {
        if !v.is_empty() {
            let href = DocumentId::parse(&v)
                .map(|d| format!("/van-ban/{d}"))
                .unwrap_or_default();
            let value = if href.is_empty() {
                v
            } else {
                t.s("doc.open_document").to_string()
            };
            facts.push(FactView {
                label: t.s(&format!("doc.field.{k}")).into(),
                value,
                href,
            });
        }
    };
    fact("state", state_label(&t, d.state));
    fact("agency", agency_name(&all, rec.agency_id));
    fact("type_code", d.fields.type_name.clone());
    fact("subject", d.fields.subject.clone());
    fact("urgency", d.fields.urgency.label_vi().into());
    fact("secrecy", d.fields.secrecy.label_vi().into());
    if let Some(sg) = &d.fields.signer {
        let mut parts = vec![];
        parts.extend(sg.competence.clone());
        parts.extend(sg.position.clone());
        parts.push(sg.full_name.clone());
        fact("signer", parts.join(" "));
    }
    let mut receivers = vec![];
    if let Some(i) = &d.incoming {
        fact("sender_name", i.sender.name.clone());
        fact("sender_number", i.sender_number.clone().unwrap_or_default());
        fact("sender_date", dmy(i.sender_date));
        fact(
            "channel",
            t.s(&format!("doc.channel.{}", i.channel.as_str())).into(),
        );
        fact("arrived_at", utc_hm(i.arrived_at));
        if let Some(a) = &i.arrival {
            fact("arrival_number", format!("{:02}", a.number));
            fact("arrival_date", dmy(Some(a.date)));
        }
        let due = i.handling.as_ref().map(|h| h.due).or(i.handling_due);
        let mut due_s = dmy(due);
        if view.overdue {
            due_s = format!("{due_s} ({})", t.s("doc.overdue"));
        }
        fact("due", due_s);
        if let Some(h) = &i.handling {
            fact(
                "lead_unit",
                h.lead_unit
                    .map(|u| agency_name(&all, u))
                    .unwrap_or_default(),
            );
            fact(
                "lead_person",
                h.lead_person
                    .and_then(|u| names.get(&u).cloned())
                    .unwrap_or_default(),
            );
            fact(
                "coordinators",
                h.coordinators
                    .iter()
                    .map(|u| agency_name(&all, *u))
                    .collect::<Vec<_>>()
                    .join("; "),
            );
            fact("opinion", h.opinion.clone().unwrap_or_default());
        }
        if let Some(r) = i.reply {
            fact("reply", r.to_string());
        }
        fact("refusal", i.refusal.clone().unwrap_or_default());
        if let Some(q) = &i.request {
            let mut v = format!(
                "{}: {}",
                t.s(&format!("doc.request.{}", q.kind.as_str())),
                q.reason
            );
            if let Some(u) = &q.update {
                v.push_str(&format!(
                    " — {}: {} {}",
                    t.s("doc.request.new_metadata"),
                    u.sender_number.clone().unwrap_or_default(),
                    u.fields.subject
                ));
            }
            fact("sender_request", v);
        }
        if let Some(r) = i.replaces {
            fact("replaces", r.to_string());
        }
    }
    if let Some(o) = &d.outgoing {
        fact(
            "number",
            o.number
                .as_ref()
                .map(|n| n.full.clone())
                .unwrap_or_default(),
        );
        fact("issued_date", dmy(o.number.as_ref().map(|n| n.date)));
        fact("drafting_unit", o.drafting_unit.clone().unwrap_or_default());
        fact(
            "recipients",
            o.recipients
                .iter()
                .map(|r| {
                    if r.electronic() {
                        format!("{} ({})", r.name, t.s("doc.electronic"))
                    } else {
                        r.name.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join("; "),
        );
        fact(
            "signatures",
            format!(
                "{}: {} · {}: {}",
                t.s("doc.sig.signer"),
                t.s(if o.signer_signed { "doc.yes" } else { "doc.no" }),
                t.s("doc.sig.agency"),
                t.s(if o.agency_signed { "doc.yes" } else { "doc.no" })
            ),
        );
        fact(
            "send_back_reason",
            o.send_back_reason.clone().unwrap_or_default(),
        );
        if let Some(r) = o.reply_to {
            fact("reply_to", r.to_string());
        }
        if let Some(r) = o.replaces {
            fact("replaces", r.to_string());
        }
        fact("recall_reason", o.recall_reason.clone().unwrap_or_default());
        fact("update_reason", o.update_reason.clone().unwrap_or_default());
    }
    // Withdrawn (incoming) or revoked (outgoing): why, and the replacing document.
    let withdrawal = d
        .incoming
        .as_ref()
        .and_then(|i| i.withdrawal.as_ref())
        .or_else(|| d.outgoing.as_ref().and_then(|o| o.revocation.as_ref()));
    if let Some(w) = withdrawal {
        fact(
            "withdrawal",
            format!(
                "{}: {}",
                t.s(&format!("doc.withdrawal.{}", w.kind.as_str())),
                w.reason
            ),
        );
        if let Some(b) = w.replaced_by {
            fact("replaced_by", b.to_string());
        }
    }
    let download = cqdt_app::documents::default_file(&view.files).map(|f| {
        let label = if f.kind == cqdt_app::documents::DocFileKind::IssuedPdf {
            t.s("doc.download_issued")
        } else {
            t.s("doc.download")
        };
        (
            format!("/van-ban/{}/tep/{}", rec.id, f.id),
            label.to_string(),
        )
    });
    let files = view
        .files
        .iter()
        .map(|f: &DocumentFile| DocFileView {
            name: f.name.clone(),
            href: format!("/van-ban/{}/tep/{}", rec.id, f.id),
            kind: t.s(&format!("doc.file.{}", f.kind.as_str())).into(),
            size: size_label(f.size),
        })
        .collect();
    let by_identifier: HashMap<String, String> = all
        .values()
        .map(|a| (a.fields.identifier.to_string(), a.fields.name.clone()))
        .collect();
    let events = view
        .events
        .iter()
        .map(|(_, e)| {
            let mut label = t.s(&format!("doc.event.{}", e.kind.as_str())).to_string();
            if e.kind == EventKind::StatusReceived {
                let from = e
                    .from
                    .as_ref()
                    .map(|f| by_identifier.get(f).cloned().unwrap_or_else(|| f.clone()))
                    .unwrap_or_default();
                if let Some(st) = e.status {
                    label = format!("{label}: {from} — {}", status_label(&t, st));
                    receivers.push(FactView {
                        label: from,
                        value: status_label(&t, st),
                        href: String::new(),
                    });
                }
            }
            EventLine {
                at: utc_hm(e.at),
                label,
                who: e
                    .actor
                    .and_then(|u| names.get(&u).cloned())
                    .unwrap_or_default(),
                note: e.note.clone().unwrap_or_default(),
            }
        })
        .collect();
    // The last status of each receiver.
    let mut last: Vec<FactView> = vec![];
    for r in receivers {
        match last.iter_mut().find(|x| x.label == r.label) {
            Some(x) => x.value = r.value,
            None => last.push(r),
        }
    }
    let acts = actions_for(&caller.ctx.actor, my_id(caller), rec);
    let mut units: Vec<(String, String)> = vec![];
    let mut replies = vec![];
    if acts.iter().any(|a| a == "assign") {
        let mut u: Vec<&Agency> = all
            .values()
            .filter(|a| {
                a.id == rec.agency_id
                    || a.path.len() >= 2 && a.path[a.path.len() - 2] == rec.agency_id
            })
            .collect();
        u.sort_by(|a, b| vi_cmp(&a.fields.name, &b.fields.name));
        units = u
            .iter()
            .map(|a| (a.id.to_string(), a.fields.name.clone()))
            .collect();
    }
    if acts.iter().any(|a| a == "link_reply" || a == "complete") {
        let day = today(s);
        let outgoing = [
            DocState::Draft,
            DocState::InReview,
            DocState::AwaitingSignature,
            DocState::Signed,
            DocState::Issued,
        ];
        replies = of_agency(s, caller, rec.agency_id, &outgoing, 500)
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|r| {
                r.doc
                    .outgoing
                    .as_ref()
                    .is_some_and(|o| o.reply_to == Some(rec.id))
            })
            .map(|r| {
                let row = doc_row(&t, &r, day);
                let number = if row.number.is_empty() {
                    row.state.clone()
                } else {
                    row.number.clone()
                };
                (row.id, format!("{number} — {}", row.subject))
            })
            .collect();
    }
    let title = match &d.outgoing {
        Some(o) => match &o.number {
            Some(n) => format!("{} {}", d.fields.type_name, n.full),
            None => format!("{} ({})", d.fields.type_name, t.s("doc.unnumbered")),
        },
        None => format!(
            "{} {}",
            d.fields.type_name,
            d.incoming
                .as_ref()
                .and_then(|i| i.sender_number.clone())
                .unwrap_or_default()
        ),
    };
    let (csrf, cookie) = csrf_for(s, caller);
    let status = if errs.summary.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = DocPage {
        nav: nav_of(caller, csrf),
        errs,
        notice,
        id: rec.id.to_string(),
        title: title.trim().to_string(),
        subject: d.fields.subject.clone(),
        state: state_label(&t, d.state),
        facts,
        files,
        download,
        events,
        receivers: last,
        acts,
        units,
        people: people
            .iter()
            .map(|(id, n)| (id.to_string(), n.clone()))
            .collect(),
        replies,
        v,
        t,
    };
    let mut r = html_page(page);
    *r.status_mut() = status;
    with_cookie(r, cookie)
}

async fn doc_act(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    req: axum::extract::Request,
) -> Response {
    if caller.session.is_none() {
        return see_other("/dang-nhap");
    }
    let Some(did) = DocumentId::parse(&id) else {
        return error_page(&s, &caller, &AppError::new(ErrorCode::DocumentNotFound));
    };
    let posted = match read_posted(&s, &caller, req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let f = &posted.form;
    let action = f.get("action");
    let ctx = &caller.ctx;
    let app = &s.app;
    let date = |k: &str| -> Result<Option<NaiveDate>, AppError> {
        match f.opt(k) {
            None => Ok(None),
            Some(v) => NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
                .map(Some)
                .map_err(|_| AppError::field(ErrorCode::InvalidDate, k)),
        }
    };
    let days = |k: &str| -> Result<Option<u32>, AppError> {
        match f.opt(k) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=365).contains(n))
                .map(Some)
                .ok_or_else(|| AppError::field(ErrorCode::InvalidFormat, k)),
        }
    };
    let reason = |k: &str| -> Result<String, AppError> {
        f.opt(k)
            .ok_or_else(|| AppError::field(ErrorCode::DocumentReasonRequired, k))
    };
    let res: Result<&str, AppError> = async {
        match action.as_str() {
            "register" => {
                app.document_register_arrived(ctx, did, days("handling_days")?)
                    .await?;
                Ok("registered")
            }
            "refuse" => {
                app.document_refuse(ctx, did, &reason("reason")?).await?;
                Ok("refused")
            }
            "assign" => {
                let input = AssignInput {
                    lead_unit: f.opt("lead_unit").and_then(|x| AgencyId::parse(&x)),
                    lead_person: f.opt("lead_person").and_then(|x| UserId::parse(&x)),
                    coordinators: f
                        .0
                        .keys()
                        .filter_map(|k| k.strip_prefix("coordinator-"))
                        .filter_map(AgencyId::parse)
                        .collect(),
                    days: days("days")?,
                    due: date("due")?,
                    opinion: f.opt("opinion"),
                };
                app.document_assign(ctx, did, input).await?;
                Ok("assigned")
            }
            "start" => {
                app.document_start(ctx, did).await?;
                Ok("started")
            }
            "link_reply" => {
                let r = f
                    .opt("reply")
                    .and_then(|x| DocumentId::parse(&x))
                    .ok_or_else(|| AppError::field(ErrorCode::Required, "reply"))?;
                app.document_link_reply(ctx, did, r).await?;
                Ok("reply_linked")
            }
            "complete" => {
                let r = f.opt("reply").and_then(|x| DocumentId::parse(&x));
                app.document_complete(ctx, did, r, f.opt("note")).await?;
                Ok("completed")
            }
            "submit_review" => {
                app.document_submit_review(ctx, did).await?;
                Ok("submitted_review")
            }
            "send_back" => {
                app.document_send_back(ctx, did, &reason("reason")?).await?;
                Ok("sent_back")
            }
            "submit_signature" => {
                app.document_submit_signature(ctx, did).await?;
                Ok("submitted_signature")
            }
            "sign" => {
                app.document_sign(ctx, did, &*app.signer).await?;
                Ok("signed")
            }
            "issue" => {
                app.document_issue(ctx, did, &*app.signer).await?;
                Ok("issued")
            }
            "recall" => {
                app.document_request_recall(ctx, did, &reason("reason")?)
                    .await?;
                Ok("recall_requested")
            }
            "revoke" => {
                app.document_revoke(ctx, did, &reason("reason")?).await?;
                Ok("revoked")
            }
            "correct" => {
                let input = cqdt_app::documents::CorrectionInput {
                    subject: f.get("subject"),
                    signer: None,
                    urgency: None,
                    reason: reason("reason")?,
                };
                app.document_correct(ctx, did, input).await?;
                Ok("corrected")
            }
            "agree_request" => {
                app.document_answer_request(ctx, did, true, f.opt("reason").as_deref())
                    .await?;
                Ok("request_agreed")
            }
            "refuse_request" => {
                app.document_answer_request(ctx, did, false, Some(&reason("reason")?))
                    .await?;
                Ok("request_refused")
            }
            _ => Err(AppError::field(ErrorCode::InvalidChoice, "action")),
        }
    }
    .await;
    let t = Tr::new(caller.lang);
    match res {
        Ok(msg) => see_other(&format!("/van-ban/{did}?msg={msg}")),
        Err(e) if matches!(e.code, ErrorCode::Forbidden | ErrorCode::DocumentNotFound) => {
            error_page(&s, &caller, &e)
        }
        Err(e) => {
            let prefix = action.clone();
            let errs = errs_with(&t, &e, &field_labels(&t), &|x| format!("{prefix}-{x}"));
            render_doc(&s, &caller, &id, errs, String::new(), Form(posted.form.0)).await
        }
    }
}

async fn doc_file(
    State(s): State<AppState>,
    caller: Caller,
    Path((id, file)): Path<(String, String)>,
) -> Response {
    let (Some(d), Some(f)) = (DocumentId::parse(&id), FileId::parse(&file)) else {
        return error_page(&s, &caller, &AppError::new(ErrorCode::FileNotFound));
    };
    match s.app.document_file_content(&caller.ctx, d, f).await {
        Ok((rec, bytes)) => crate::api::document_file_response(&rec, bytes),
        Err(e) => error_page(&s, &caller, &e),
    }
}

// ---------- search ----------

#[derive(Template)]
#[template(path = "doc_search.html")]
struct SearchPage {
    t: Tr,
    nav: Nav,
    errs: Errs,
    notice: String,
    q: String,
    rows: Vec<DocRow>,
    searched: bool,
}

#[derive(serde::Deserialize, Default)]
struct SearchQ {
    #[serde(default)]
    q: String,
}

async fn search(State(s): State<AppState>, caller: Caller, uri: Uri) -> Response {
    let agency_id = match gate(&s, &caller) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let t = Tr::new(caller.lang);
    let p: SearchQ = query(&uri);
    let q = p.q.trim().to_string();
    let day = today(&s);
    let rows = if q.is_empty() {
        vec![]
    } else {
        match s
            .app
            .documents_search(&caller.ctx, agency_id, &q, Some(50))
            .await
        {
            Ok(v) => v.iter().map(|r| doc_row(&t, r, day)).collect(),
            Err(e) => return error_page(&s, &caller, &e),
        }
    };
    let (csrf, cookie) = csrf_for(&s, &caller);
    let page = SearchPage {
        nav: nav_of(&caller, csrf),
        errs: Errs::default(),
        notice: String::new(),
        searched: !q.is_empty(),
        q,
        rows,
        t,
    };
    with_cookie(html_page(page), cookie)
}

// ---------- figures ----------

#[derive(Template)]
#[template(path = "doc_figures.html")]
struct FiguresPage {
    t: Tr,
    nav: Nav,
    errs: Errs,
    notice: String,
    agencies: Vec<(String, String)>,
    agency: String,
    from: String,
    to: String,
    lines: Vec<FactView>,
}

#[derive(serde::Deserialize, Default)]
struct FigQ {
    #[serde(default, rename = "co-quan")]
    agency: String,
    #[serde(default)]
    tu: String,
    #[serde(default)]
    den: String,
}

fn share(part: i64, whole: i64) -> String {
    if whole == 0 {
        "—".into()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64).replace('.', ",")
    }
}

async fn figures(State(s): State<AppState>, caller: Caller, uri: Uri) -> Response {
    let mine = match gate(&s, &caller) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let t = Tr::new(caller.lang);
    let p: FigQ = query(&uri);
    let day = today(&s);
    let agency_id = AgencyId::parse(&p.agency).unwrap_or(mine);
    let from = NaiveDate::parse_from_str(&p.tu, "%Y-%m-%d")
        .unwrap_or_else(|_| NaiveDate::from_ymd_opt(day.year(), 1, 1).unwrap_or(day));
    let to = NaiveDate::parse_from_str(&p.den, "%Y-%m-%d").unwrap_or(day);
    let all = agencies_by_id(&s).await;
    let actor = &caller.ctx.actor;
    let mut agencies: Vec<&Agency> = all
        .values()
        .filter(|a| allowed_on(actor, Action::ViewDocuments, &a.path))
        .filter(|a| {
            !matches!(
                a.fields.kind,
                AgencyKind::CommuneCommittee | AgencyKind::Unit
            ) || a.id == mine
        })
        .collect();
    agencies.sort_by(|a, b| {
        a.fields
            .level
            .cmp(&b.fields.level)
            .then_with(|| vi_cmp(&a.fields.name, &b.fields.name))
    });
    let mut errs = Errs::default();
    let lines = match s
        .app
        .document_figures(&caller.ctx, agency_id, from, to)
        .await
    {
        Ok(v) => {
            let f = v.figures;
            let l = |k: &str, v: String| FactView {
                label: t.s(&format!("doc.fig.{k}")).into(),
                value: v,
                href: String::new(),
            };
            vec![
                l("issued", f.issued.to_string()),
                l(
                    "issued_electronic",
                    format!(
                        "{} ({})",
                        f.issued_electronic,
                        share(f.issued_electronic, f.issued)
                    ),
                ),
                l(
                    "issued_both_signatures",
                    format!(
                        "{} ({})",
                        f.issued_both_signatures,
                        share(f.issued_both_signatures, f.issued)
                    ),
                ),
                l("received", f.received.to_string()),
                l(
                    "received_electronic",
                    format!(
                        "{} ({})",
                        f.received_electronic,
                        share(f.received_electronic, f.received)
                    ),
                ),
                l(
                    "province_to_district",
                    format!(
                        "{} / {} ({})",
                        f.province_to_district_electronic,
                        f.province_to_district,
                        share(f.province_to_district_electronic, f.province_to_district)
                    ),
                ),
            ]
        }
        Err(e) if e.code == ErrorCode::Forbidden => return error_page(&s, &caller, &e),
        Err(e) => {
            errs = errs_with(&t, &e, &field_labels(&t), &|x| match x {
                "to" => "den".into(),
                _ => x.into(),
            });
            vec![]
        }
    };
    let (csrf, cookie) = csrf_for(&s, &caller);
    let page = FiguresPage {
        nav: nav_of(&caller, csrf),
        errs,
        notice: String::new(),
        agencies: agencies
            .iter()
            .map(|a| (a.id.to_string(), a.fields.name.clone()))
            .collect(),
        agency: agency_id.to_string(),
        from: from.format("%Y-%m-%d").to_string(),
        to: to.format("%Y-%m-%d").to_string(),
        lines,
        t,
    };
    with_cookie(html_page(page), cookie)
}

pub fn routes(upload_limit: usize) -> Router<AppState> {
    Router::new()
        .route("/van-ban", get(work))
        .route("/van-ban/den", get(register_in))
        .route("/van-ban/di", get(register_out))
        .route("/van-ban/theo-doi", get(register_followup))
        .route(
            "/van-ban/den/vao-so",
            get(paper_form)
                .post(paper_submit)
                .layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route("/van-ban/hop-thu", get(inbox))
        .route(
            "/van-ban/soan-thao",
            get(draft_form)
                .post(draft_submit)
                .layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route("/van-ban/tim-kiem", get(search))
        .route("/van-ban/so-lieu", get(figures))
        .route("/van-ban/{id}", get(doc_get))
        .route(
            "/van-ban/{id}/thao-tac",
            post(doc_act).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route("/van-ban/{id}/tep/{file}", get(doc_file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urgency_and_secrecy_params_round_trip() {
        for u in Urgency::ALL {
            assert_eq!(parse_urgency(urgency_param(u)), u);
        }
        for x in Secrecy::ALL {
            assert_eq!(parse_secrecy(secrecy_param(x)), x);
        }
    }

    #[test]
    fn share_is_written_with_a_comma() {
        assert_eq!(share(1, 4), "25,0%");
        assert_eq!(share(0, 0), "—");
    }
}
