//! Document registers (NĐ 30/2020 Phụ lục IV) from the app's register rows to the printing
//! types of `cqdt_outputs` (`IncomingRegister`, `OutgoingRegister`, `FollowUpRegister`), and
//! their PDF/XLSX. Shared by the API (`GET /api/v1/documents/registers/{kind}`) and the pages.
//!
//! The app gives a register newest first and names the lead unit/person by id; here the rows
//! are put in register order (oldest first), the ids become names, and the header is built
//! from the agency tree with `printed_on` = today's local date from the app clock.

use std::collections::HashMap;

use chrono::NaiveDate;
use cqdt_app::documents::{Book, RegisterQuery, RegisterRow};
use cqdt_app::{App, AppError, AppResult, Ctx};
use cqdt_domain::ErrorCode;
use cqdt_domain::document::{DocState, format_number};
use cqdt_domain::ids::{AgencyId, UserId};
use cqdt_outputs::{
    FollowUpEntry, FollowUpRegister, IncomingEntry, IncomingRegister, OutgoingEntry,
    OutgoingRegister, RegisterHeader, RegisterKind,
};

/// The register named in a URL: `incoming`, `outgoing` or `follow-up`.
pub fn book_of(kind: &str) -> Option<Book> {
    match kind {
        "incoming" => Some(Book::Incoming),
        "outgoing" => Some(Book::Outgoing),
        "follow-up" => Some(Book::Handling),
        _ => None,
    }
}

/// The URL name of a register.
pub fn kind_name(book: Book) -> &'static str {
    match book {
        Book::Incoming => "incoming",
        Book::Outgoing => "outgoing",
        Book::Handling => "follow-up",
    }
}

/// The printed register of a book.
pub fn register_kind(book: Book) -> RegisterKind {
    match book {
        Book::Incoming => RegisterKind::Incoming,
        Book::Outgoing => RegisterKind::Outgoing,
        Book::Handling => RegisterKind::FollowUp,
    }
}

/// Names of the lead units and persons of register rows.
#[derive(Debug, Default, Clone)]
pub struct Names {
    pub agencies: HashMap<AgencyId, String>,
    pub users: HashMap<UserId, String>,
}

impl Names {
    /// Look up every lead unit and person of `rows`.
    pub async fn of(app: &App, rows: &[RegisterRow]) -> AppResult<Names> {
        let mut n = Names::default();
        for r in rows {
            if let Some(a) = r.lead_unit
                && !n.agencies.contains_key(&a)
                && let Some(ag) = app.store.agency_get(a).await?
            {
                n.agencies.insert(a, ag.fields.name);
            }
            if let Some(u) = r.lead_person
                && !n.users.contains_key(&u)
                && let Some(user) = app.store.user_get(u).await?
            {
                n.users.insert(u, user.full_name);
            }
        }
        Ok(n)
    }

    /// "Đơn vị hoặc người nhận": the lead unit, then the lead person.
    pub fn recipient(&self, r: &RegisterRow) -> Option<String> {
        let parts: Vec<String> = r
            .lead_unit
            .and_then(|a| self.agencies.get(&a).cloned())
            .into_iter()
            .chain(r.lead_person.and_then(|u| self.users.get(&u).cloned()))
            .collect();
        (!parts.is_empty()).then(|| parts.join(" — "))
    }
}

/// Today's local date from the app clock.
pub fn today(app: &App) -> NaiveDate {
    cqdt_domain::calendar::to_local(
        chrono::DateTime::from_timestamp_micros(app.now_us()).unwrap_or_default(),
    )
    .date()
}

fn urgency(r: &RegisterRow) -> Option<String> {
    r.urgency
        .is_urgent()
        .then(|| r.urgency.label_vi().to_string())
}

fn secrecy(r: &RegisterRow) -> Option<String> {
    r.secrecy
        .is_secret()
        .then(|| r.secrecy.label_vi().to_string())
}

fn electronic_note(r: &RegisterRow) -> Option<String> {
    r.electronic.then(|| "Văn bản điện tử".to_string())
}

/// "Tiến độ giải quyết" of an incoming document.
pub fn progress(r: &RegisterRow) -> String {
    let s = match r.state {
        DocState::Done => "Đã giải quyết",
        DocState::Refused => "Đã từ chối nhận",
        DocState::InProgress => "Đang giải quyết",
        DocState::Assigned => "Đã giao xử lý",
        DocState::Registered => "Chờ giao xử lý",
        DocState::Arrived => "Chưa vào sổ",
        _ => "",
    };
    if r.overdue {
        format!("{s}, quá hạn")
    } else {
        s.to_string()
    }
}

fn incoming_entry(r: &RegisterRow, names: &Names) -> Option<IncomingEntry> {
    Some(IncomingEntry {
        received_on: r.arrival_date?,
        number: format_number(r.arrival_number?),
        author: r.author.clone().unwrap_or_default(),
        notation: r.number.clone(),
        dated: r.date,
        type_name: r.type_name.clone(),
        subject: r.subject.clone(),
        recipient: names.recipient(r),
        transferred_on: None,
        signed_for: None,
        urgency: urgency(r),
        secrecy: secrecy(r),
        note: electronic_note(r),
    })
}

fn outgoing_entry(r: &RegisterRow) -> Option<OutgoingEntry> {
    Some(OutgoingEntry {
        notation: r.number.clone()?,
        dated: r.date?,
        type_name: r.type_name.clone(),
        subject: r.subject.clone(),
        signer: r.signer.clone().unwrap_or_default(),
        recipients: r.recipients.join("\n"),
        archive: String::new(),
        copies: String::new(),
        transferred_on: None,
        signed_for: None,
        urgency: urgency(r),
        secrecy: secrecy(r),
        note: electronic_note(r),
    })
}

fn follow_up_entry(r: &RegisterRow, names: &Names) -> Option<FollowUpEntry> {
    Some(FollowUpEntry {
        number: format_number(r.arrival_number?),
        type_name: r.type_name.clone(),
        notation: r.number.clone(),
        dated: r.date,
        issuer: r.author.clone().unwrap_or_default(),
        subject: r.subject.clone(),
        recipient: names.recipient(r).unwrap_or_default(),
        deadline: r.due,
        progress: progress(r),
        reply: r.reply_number.clone(),
        urgency: urgency(r),
        secrecy: secrecy(r),
        note: None,
    })
}

/// Every row of a register for a year, in register order (oldest first).
pub async fn all_rows(
    app: &App,
    ctx: &Ctx,
    agency_id: AgencyId,
    book: Book,
    year: i32,
) -> AppResult<Vec<RegisterRow>> {
    let mut rows = Vec::new();
    let mut offset = 0;
    loop {
        let page = app
            .document_register(
                ctx,
                &RegisterQuery {
                    agency_id,
                    book,
                    year,
                    limit: Some(500),
                    offset: Some(offset),
                },
            )
            .await?;
        let n = page.items.len() as i64;
        rows.extend(page.items);
        offset += n;
        if n == 0 || offset >= page.total {
            break;
        }
    }
    rows.reverse();
    Ok(rows)
}

/// The header: the agency and its parent, the year, the first and last number and date.
async fn header(
    app: &App,
    agency_id: AgencyId,
    year: i32,
    numbers: Option<(String, String)>,
    dates: &[NaiveDate],
) -> AppResult<RegisterHeader> {
    let agency = app
        .store
        .agency_get(agency_id)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::AgencyNotFound))?;
    let parent = match agency.parent_id {
        Some(p) => app.store.agency_get(p).await?.map(|p| p.fields.name),
        None => None,
    };
    let period = match (dates.iter().min(), dates.iter().max()) {
        (Some(a), Some(b)) => Some((*a, *b)),
        _ => None,
    };
    Ok(RegisterHeader {
        parent,
        agency: agency.fields.name,
        year,
        series: None,
        volume: None,
        numbers,
        period,
        printed_on: today(app),
    })
}

fn first_last(v: Vec<String>) -> Option<(String, String)> {
    Some((v.first()?.clone(), v.last()?.clone()))
}

/// A register ready to print.
pub enum Printable {
    Incoming(IncomingRegister),
    Outgoing(OutgoingRegister),
    FollowUp(FollowUpRegister),
}

impl Printable {
    pub fn render_pdf(&self) -> Result<Vec<u8>, cqdt_outputs::OutputError> {
        match self {
            Printable::Incoming(r) => r.render_pdf(),
            Printable::Outgoing(r) => r.render_pdf(),
            Printable::FollowUp(r) => r.render_pdf(),
        }
    }
    pub fn render_xlsx(&self) -> Result<Vec<u8>, cqdt_outputs::OutputError> {
        match self {
            Printable::Incoming(r) => r.render_xlsx(),
            Printable::Outgoing(r) => r.render_xlsx(),
            Printable::FollowUp(r) => r.render_xlsx(),
        }
    }
}

/// Map rows (in register order) to the printed register.
pub async fn printable(
    app: &App,
    agency_id: AgencyId,
    book: Book,
    year: i32,
    rows: &[RegisterRow],
) -> AppResult<Printable> {
    let names = Names::of(app, rows).await?;
    Ok(match book {
        Book::Incoming => {
            let entries: Vec<IncomingEntry> = rows
                .iter()
                .filter_map(|r| incoming_entry(r, &names))
                .collect();
            let nums = first_last(entries.iter().map(|e| e.number.clone()).collect());
            let dates: Vec<NaiveDate> = entries.iter().map(|e| e.received_on).collect();
            Printable::Incoming(IncomingRegister {
                header: header(app, agency_id, year, nums, &dates).await?,
                entries,
            })
        }
        Book::Outgoing => {
            let entries: Vec<OutgoingEntry> = rows.iter().filter_map(outgoing_entry).collect();
            let nums = first_last(entries.iter().map(|e| e.notation.clone()).collect());
            let dates: Vec<NaiveDate> = entries.iter().map(|e| e.dated).collect();
            Printable::Outgoing(OutgoingRegister {
                header: header(app, agency_id, year, nums, &dates).await?,
                entries,
            })
        }
        Book::Handling => {
            let entries: Vec<FollowUpEntry> = rows
                .iter()
                .filter_map(|r| follow_up_entry(r, &names))
                .collect();
            let nums = first_last(entries.iter().map(|e| e.number.clone()).collect());
            let dates: Vec<NaiveDate> = rows.iter().filter_map(|r| r.arrival_date).collect();
            Printable::FollowUp(FollowUpRegister {
                header: header(app, agency_id, year, nums, &dates).await?,
                entries,
            })
        }
    })
}

/// The whole register of a year as PDF (`xlsx` false) or XLSX, with its file name.
pub async fn render(
    app: &App,
    ctx: &Ctx,
    agency_id: AgencyId,
    book: Book,
    year: i32,
    xlsx: bool,
) -> AppResult<(Vec<u8>, String)> {
    let rows = all_rows(app, ctx, agency_id, book, year).await?;
    let p = printable(app, agency_id, book, year, &rows).await?;
    let bytes = tokio::task::spawn_blocking(move || {
        if xlsx {
            p.render_xlsx()
        } else {
            p.render_pdf()
        }
    })
    .await
    .map_err(|e| AppError::internal(e.to_string()))?
    .map_err(|e| AppError::internal(e.to_string()))?;
    let name = format!(
        "so-{}-{year}.{}",
        kind_name(book),
        if xlsx { "xlsx" } else { "pdf" }
    );
    Ok((bytes, name))
}
