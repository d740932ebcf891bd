//! What the one-stop slips of a dossier say (forms 01–05 of TT 01/2018/TT-VPCP), gathered from
//! the stored dossier, its events, the procedure version, the agencies and the officers. Read
//! only; the PDF itself is drawn by `cqdt-outputs` (the web layer turns [`SlipData`] into its
//! slip structs).
//!
//! - [`App::dossier_slip`] loads everything for one form, for whoever may see the dossier
//!   (`App::dossier` decides), and answers `slip.not_available` when the dossier has not reached
//!   the form's step (01 before it is received, 02 without a supplement request, 03 unless
//!   refused, 04 without an apology, 05 before it is received).
//! - [`build`] is the pure mapping from the loaded [`SlipInputs`], and [`hand_overs`] the rows of
//!   the control slip computed from the events: received → handed over → each completed,
//!   approved or sent-back step and consultation → result ready → returned, each row with the
//!   receiving unit's due time (the deadline engine's per-step dates) and whether it finished
//!   early, on time or late (by calendar day, as the dossier's own timeliness).
//!
//! Times are local (Asia/Ho_Chi_Minh): events carry UTC instants, their `due` and `appointment`
//! are already local.

use std::collections::{BTreeSet, HashMap};

use cqdt_domain::ErrorCode;
use cqdt_domain::agency::Agency;
use cqdt_domain::calendar::{
    DeadlineEngine, LocalDateTime, Timeliness, WorkDuration, WorkingHours, classify_finished,
    to_local,
};
use cqdt_domain::dossier::{Channel, DossierEvent, EventKind, ReturnMethod};
use cqdt_domain::files::FileKind;
use cqdt_domain::ids::{AgencyId, DossierId, UserId};
use cqdt_domain::procedure::{PaperForm, Procedure, RouteStep};

use crate::error::{AppError, AppResult};
use crate::store::{Applicant, DossierRecord};
use crate::{App, Ctx};

/// The one-stop desk, when the route does not name it.
pub const DESK_UNIT: &str = "Bộ phận tiếp nhận và trả kết quả";
/// Who the dossier comes from and goes back to, on the control slip.
pub const APPLICANT_UNIT: &str = "Tổ chức, cá nhân";

/// The forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlipForm {
    /// 01: Giấy tiếp nhận hồ sơ và hẹn trả kết quả.
    Receipt,
    /// 02: Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ.
    SupplementRequest,
    /// 03: Phiếu từ chối tiếp nhận giải quyết hồ sơ.
    Refusal,
    /// 04: Phiếu xin lỗi và hẹn lại ngày trả kết quả.
    Apology,
    /// 05: Phiếu kiểm soát quá trình giải quyết hồ sơ.
    Control,
}

impl SlipForm {
    /// Every form, in order.
    pub const ALL: [SlipForm; 5] = [
        SlipForm::Receipt,
        SlipForm::SupplementRequest,
        SlipForm::Refusal,
        SlipForm::Apology,
        SlipForm::Control,
    ];

    /// `01`…`05` (also `1`…`5`).
    pub fn parse(s: &str) -> Option<SlipForm> {
        match s.trim() {
            "01" | "1" => Some(SlipForm::Receipt),
            "02" | "2" => Some(SlipForm::SupplementRequest),
            "03" | "3" => Some(SlipForm::Refusal),
            "04" | "4" => Some(SlipForm::Apology),
            "05" | "5" => Some(SlipForm::Control),
            _ => None,
        }
    }

    /// `01`…`05`.
    pub fn number(self) -> &'static str {
        match self {
            SlipForm::Receipt => "01",
            SlipForm::SupplementRequest => "02",
            SlipForm::Refusal => "03",
            SlipForm::Apology => "04",
            SlipForm::Control => "05",
        }
    }
}

/// Who issues the slip: the receiving agency under its parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlipIssuer {
    /// The parent agency's name (cơ quan chủ quản), if any.
    pub parent: Option<String>,
    /// The receiving agency's name.
    pub unit: String,
    /// The place of the date line: the province ("Tây Ninh").
    pub place: String,
    /// The agency's phone, for questions.
    pub phone: Option<String>,
}

/// One paper of the dossier as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaperLine {
    pub name: String,
    pub form: PaperForm,
    /// Submitted as a file online.
    pub electronic: bool,
    pub count: u32,
}

/// A fee or charge of the procedure (whole đồng; zero amounts are left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeLine {
    pub name: String,
    pub amount_vnd: u64,
}

/// One row of the control slip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandOverRow {
    pub from_unit: String,
    pub from_person: Option<String>,
    pub to_unit: String,
    pub to_person: Option<String>,
    /// When it changed hands (local).
    pub at: LocalDateTime,
    /// When the receiving unit's part is due (local).
    pub due: Option<LocalDateTime>,
    /// How the receiving unit's part ended; none while it holds the dossier.
    pub result: Option<Timeliness>,
    pub note: Option<String>,
}

/// What one form says, beyond the common header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlipFacts {
    Receipt {
        received_at: LocalDateTime,
        appointment_at: LocalDateTime,
        officer: Option<String>,
        legal_time: WorkDuration,
        papers: Vec<PaperLine>,
        fees: Vec<FeeLine>,
        return_method: Option<ReturnMethod>,
    },
    SupplementRequest {
        issued_at: LocalDateTime,
        reasons: Vec<String>,
        officer: Option<String>,
    },
    Refusal {
        issued_at: LocalDateTime,
        reasons: Vec<String>,
        officer: Option<String>,
    },
    Apology {
        issued_at: LocalDateTime,
        received_at: LocalDateTime,
        previous_due: LocalDateTime,
        new_appointment: LocalDateTime,
        reason: String,
        officer: Option<String>,
    },
    Control {
        received_at: LocalDateTime,
        /// The appointment in effect (the apology's new date, if any).
        appointment_at: LocalDateTime,
        lead_agency: String,
        coordinating_agencies: Vec<String>,
        hand_overs: Vec<HandOverRow>,
    },
}

/// Everything one slip prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlipData {
    pub form: SlipForm,
    pub dossier_code: String,
    pub issuer: SlipIssuer,
    pub applicant: Applicant,
    /// The procedure's name (of the version the dossier was submitted under).
    pub procedure: String,
    pub facts: SlipFacts,
}

/// What [`build`] needs, loaded by [`App::dossier_slip`].
#[derive(Debug, Clone)]
pub struct SlipInputs<'a> {
    pub record: &'a DossierRecord,
    pub events: &'a [DossierEvent],
    /// The procedure version (papers, fees); none if it was deleted.
    pub procedure: Option<&'a Procedure>,
    pub issuer: SlipIssuer,
    /// Officers' names by account.
    pub names: &'a HashMap<UserId, String>,
    /// Names of the agencies the route and the consultations name.
    pub agencies: &'a HashMap<AgencyId, String>,
    /// Dossier parts (1-based) that have a file.
    pub part_files: &'a BTreeSet<u32>,
    /// Due instant of each route step, by index (the engine's per-step dates).
    pub step_dues: &'a [Option<LocalDateTime>],
    /// The dossier's due instant (with pauses), if known.
    pub due: Option<LocalDateTime>,
}

fn unavailable() -> AppError {
    AppError::new(ErrorCode::SlipNotAvailable)
}

impl SlipInputs<'_> {
    fn name_of(&self, actor: Option<UserId>) -> Option<String> {
        actor.and_then(|a| self.names.get(&a).cloned())
    }

    fn received(&self) -> Option<&DossierEvent> {
        self.events
            .iter()
            .find(|e| matches!(e.kind, EventKind::Received { .. }))
    }
}

/// The slip `form` from the loaded inputs, or `slip.not_available` when the dossier has not
/// reached its step.
pub fn build(form: SlipForm, inp: &SlipInputs<'_>) -> AppResult<SlipData> {
    let rec = inp.record;
    let dossier = &rec.dossier;
    let facts = match form {
        SlipForm::Receipt => {
            let ev = inp.received().ok_or_else(unavailable)?;
            let appointment_at = ev.appointment.or(ev.due).ok_or_else(unavailable)?;
            SlipFacts::Receipt {
                received_at: to_local(ev.at),
                appointment_at,
                officer: inp.name_of(ev.actor),
                legal_time: dossier.terms().legal_time,
                papers: papers(inp),
                fees: inp
                    .procedure
                    .map(|p| {
                        p.fees
                            .iter()
                            .filter(|f| f.amount_vnd > 0)
                            .map(|f| FeeLine {
                                name: f.name.clone(),
                                amount_vnd: f.amount_vnd,
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                return_method: rec.return_method,
            }
        }
        SlipForm::SupplementRequest => {
            let s = dossier.supplement().ok_or_else(unavailable)?;
            let ev = inp
                .events
                .iter()
                .find(|e| matches!(e.kind, EventKind::SupplementRequested { .. }));
            SlipFacts::SupplementRequest {
                issued_at: to_local(s.requested_at),
                reasons: s.reasons.clone(),
                officer: inp.name_of(ev.and_then(|e| e.actor)),
            }
        }
        SlipForm::Refusal => {
            let (ev, reasons) = inp
                .events
                .iter()
                .find_map(|e| match &e.kind {
                    EventKind::Refused { reasons } => Some((e, reasons)),
                    _ => None,
                })
                .ok_or_else(unavailable)?;
            SlipFacts::Refusal {
                issued_at: to_local(ev.at),
                reasons: reasons.clone(),
                officer: inp.name_of(ev.actor),
            }
        }
        SlipForm::Apology => {
            let a = dossier.apology().ok_or_else(unavailable)?;
            let received_at = dossier.received_at().ok_or_else(unavailable)?;
            let ev = inp
                .events
                .iter()
                .find(|e| matches!(e.kind, EventKind::ApologyIssued { .. }));
            SlipFacts::Apology {
                issued_at: to_local(a.issued_at),
                received_at: to_local(received_at),
                previous_due: a.previous_due,
                new_appointment: a.new_appointment,
                reason: a.reason.clone(),
                officer: inp.name_of(ev.and_then(|e| e.actor)),
            }
        }
        SlipForm::Control => {
            let ev = inp.received().ok_or_else(unavailable)?;
            let first = ev.appointment.or(ev.due).ok_or_else(unavailable)?;
            let appointment_at = inp
                .events
                .iter()
                .rev()
                .find_map(|e| e.appointment)
                .unwrap_or(first);
            let route = &dossier.terms().route;
            let mut coordinating: Vec<String> = Vec::new();
            let mut add = |name: String| {
                if !coordinating.contains(&name) {
                    coordinating.push(name);
                }
            };
            for step in route.iter().filter(|s| s.inter_agency) {
                add(step_unit(step, inp.agencies, &inp.issuer.unit));
            }
            for e in inp.events {
                if let EventKind::ConsultationRequested { agency, .. } = &e.kind {
                    add(agency_name(*agency, inp.agencies));
                }
            }
            SlipFacts::Control {
                received_at: to_local(ev.at),
                appointment_at,
                lead_agency: inp.issuer.unit.clone(),
                coordinating_agencies: coordinating,
                hand_overs: hand_overs(inp),
            }
        }
    };
    Ok(SlipData {
        form,
        dossier_code: rec.code.clone(),
        issuer: inp.issuer.clone(),
        applicant: rec.applicant.clone(),
        procedure: dossier.terms().name.clone(),
        facts,
    })
}

/// The papers received: the version's parts that are required or have a file (those submitted
/// online as files are electronic).
fn papers(inp: &SlipInputs<'_>) -> Vec<PaperLine> {
    let online = inp.record.dossier.channel() == Some(Channel::Online);
    let Some(p) = inp.procedure else {
        return Vec::new();
    };
    p.parts
        .iter()
        .zip(1u32..)
        .filter(|(part, n)| part.required || inp.part_files.contains(n))
        .map(|(part, n)| PaperLine {
            name: part.name.clone(),
            form: part.form,
            electronic: online && inp.part_files.contains(&n),
            count: part.count.max(1),
        })
        .collect()
}

fn agency_name(id: AgencyId, agencies: &HashMap<AgencyId, String>) -> String {
    agencies.get(&id).cloned().unwrap_or_else(|| id.to_string())
}

/// The unit of a route step: its unit text, else its agency's name, else the receiving agency.
fn step_unit(step: &RouteStep, agencies: &HashMap<AgencyId, String>, fallback: &str) -> String {
    step.unit
        .clone()
        .or_else(|| step.agency.map(|a| agency_name(a, agencies)))
        .unwrap_or_else(|| fallback.to_owned())
}

/// The rows of the control slip, from the events.
pub fn hand_overs(inp: &SlipInputs<'_>) -> Vec<HandOverRow> {
    let route = &inp.record.dossier.terms().route;
    let lead = inp.issuer.unit.as_str();
    let unit = |k: u16| match route.get(usize::from(k)) {
        Some(step) => step_unit(step, inp.agencies, lead),
        None => lead.to_owned(),
    };
    let step_due = |k: u16| inp.step_dues.get(usize::from(k)).copied().flatten();
    let desk = route
        .iter()
        .find(|s| s.is_desk())
        .and_then(|s| s.unit.clone())
        .unwrap_or_else(|| DESK_UNIT.to_owned());
    // The desk's own due dates: its first step (reception) and its last one (return).
    let desk_in = match route.first() {
        Some(s) if s.is_desk() => step_due(0),
        _ => None,
    };
    let applicant = Some(inp.record.applicant.name.clone());

    let mut rows: Vec<HandOverRow> = Vec::new();
    // The row whose receiving unit holds the dossier now, and an open consultation's row.
    let mut open: Option<usize> = None;
    let mut consulting: Option<usize> = None;
    let mut step: Option<u16> = None;

    fn close(
        rows: &mut [HandOverRow],
        open: &mut Option<usize>,
        at: LocalDateTime,
        by: Option<String>,
    ) {
        if let Some(row) = open.take().and_then(|i| rows.get_mut(i)) {
            if row.to_person.is_none() {
                row.to_person = by;
            }
            if row.result.is_none() {
                row.result = row.due.map(|due| classify_finished(at, due, 0));
            }
        }
    }
    fn push(rows: &mut Vec<HandOverRow>, row: HandOverRow) -> usize {
        rows.push(row);
        rows.len() - 1
    }
    fn note(rows: &mut [HandOverRow], open: Option<usize>, text: String) {
        if let Some(row) = open.and_then(|i| rows.get_mut(i)) {
            row.note = Some(match row.note.take() {
                Some(n) => format!("{n}; {text}"),
                None => text,
            });
        }
    }

    for e in inp.events {
        let at = to_local(e.at);
        let by = inp.name_of(e.actor);
        match &e.kind {
            EventKind::Received { .. } => {
                close(&mut rows, &mut open, at, by.clone());
                let i = push(
                    &mut rows,
                    HandOverRow {
                        from_unit: APPLICANT_UNIT.to_owned(),
                        from_person: applicant.clone(),
                        to_unit: desk.clone(),
                        to_person: by,
                        at,
                        due: desk_in,
                        result: None,
                        note: None,
                    },
                );
                open = Some(i);
            }
            EventKind::HandedOver { to_step } => {
                close(&mut rows, &mut open, at, by.clone());
                let i = push(
                    &mut rows,
                    HandOverRow {
                        from_unit: desk.clone(),
                        from_person: by,
                        to_unit: unit(*to_step),
                        to_person: None,
                        at,
                        due: step_due(*to_step).or(inp.due),
                        result: None,
                        note: None,
                    },
                );
                open = Some(i);
                step = Some(*to_step);
            }
            EventKind::StepCompleted {
                step: k,
                next_step,
                note: text,
            } => {
                if let Some(t) = text {
                    note(&mut rows, open, t.clone());
                }
                close(&mut rows, &mut open, at, by.clone());
                if let Some(n) = next_step {
                    let i = push(
                        &mut rows,
                        HandOverRow {
                            from_unit: unit(*k),
                            from_person: by,
                            to_unit: unit(*n),
                            to_person: None,
                            at,
                            due: step_due(*n).or(inp.due),
                            result: None,
                            note: None,
                        },
                    );
                    open = Some(i);
                    step = Some(*n);
                }
            }
            EventKind::Approved { step: k, next_step } => {
                close(&mut rows, &mut open, at, by.clone());
                if let Some(n) = next_step {
                    let i = push(
                        &mut rows,
                        HandOverRow {
                            from_unit: unit(*k),
                            from_person: by,
                            to_unit: unit(*n),
                            to_person: None,
                            at,
                            due: step_due(*n).or(inp.due),
                            result: None,
                            note: None,
                        },
                    );
                    open = Some(i);
                    step = Some(*n);
                }
            }
            EventKind::SentBack {
                from_step,
                to_step,
                reason,
            } => {
                close(&mut rows, &mut open, at, by.clone());
                let i = push(
                    &mut rows,
                    HandOverRow {
                        from_unit: unit(*from_step),
                        from_person: by,
                        to_unit: unit(*to_step),
                        to_person: None,
                        at,
                        due: step_due(*to_step).or(inp.due),
                        result: None,
                        note: Some(format!("Trả lại: {reason}")),
                    },
                );
                open = Some(i);
                step = Some(*to_step);
            }
            EventKind::ConsultationRequested {
                step: k,
                agency,
                question,
                due,
                ..
            } => {
                let from = k.or(step).map(unit).unwrap_or_else(|| lead.to_owned());
                let i = push(
                    &mut rows,
                    HandOverRow {
                        from_unit: from,
                        from_person: by,
                        to_unit: agency_name(*agency, inp.agencies),
                        to_person: None,
                        at,
                        due: Some(*due),
                        result: None,
                        note: Some(format!("Lấy ý kiến: {question}")),
                    },
                );
                consulting = Some(i);
            }
            EventKind::ConsultationAnswered {
                agency, timeliness, ..
            } => {
                // Who records the answer may be either side: the consulted agency's receiver
                // signs by hand.
                if let Some(row) = consulting.take().and_then(|i| rows.get_mut(i)) {
                    row.result = Some(*timeliness);
                }
                push(
                    &mut rows,
                    HandOverRow {
                        from_unit: agency_name(*agency, inp.agencies),
                        from_person: by,
                        to_unit: step.map(unit).unwrap_or_else(|| lead.to_owned()),
                        to_person: None,
                        at,
                        due: None,
                        result: None,
                        note: Some("Trả lời ý kiến".to_owned()),
                    },
                );
            }
            EventKind::ResultReady { timeliness } => {
                close(&mut rows, &mut open, at, by.clone());
                let i = push(
                    &mut rows,
                    HandOverRow {
                        from_unit: step.map(unit).unwrap_or_else(|| lead.to_owned()),
                        from_person: by,
                        to_unit: desk.clone(),
                        to_person: None,
                        at,
                        due: e.appointment.or(e.due),
                        result: None,
                        note: Some(format!(
                            "Hoàn thành giải quyết: {}",
                            timeliness.label_vi().to_lowercase()
                        )),
                    },
                );
                open = Some(i);
            }
            EventKind::ResultReturned { method } => {
                close(&mut rows, &mut open, at, by.clone());
                push(
                    &mut rows,
                    HandOverRow {
                        from_unit: desk.clone(),
                        from_person: by,
                        to_unit: APPLICANT_UNIT.to_owned(),
                        to_person: applicant.clone(),
                        at,
                        due: None,
                        result: None,
                        note: Some(format!("Trả kết quả: {}", method.label_vi())),
                    },
                );
            }
            EventKind::SupplementRequested {
                during_processing: true,
                ..
            } => note(
                &mut rows,
                open,
                format!("Yêu cầu bổ sung hồ sơ ngày {}", dmy(at)),
            ),
            EventKind::SupplementAnswered { .. } => note(
                &mut rows,
                open,
                format!("Đã bổ sung hồ sơ ngày {}", dmy(at)),
            ),
            EventKind::FinancialObligationRequested { .. } => note(
                &mut rows,
                open,
                format!("Yêu cầu thực hiện nghĩa vụ tài chính ngày {}", dmy(at)),
            ),
            EventKind::ApologyIssued {
                new_appointment, ..
            } => note(
                &mut rows,
                open,
                format!(
                    "Xin lỗi, hẹn lại ngày trả kết quả: {}",
                    dmy(*new_appointment)
                ),
            ),
            EventKind::Rejected { reasons, .. } => {
                note(
                    &mut rows,
                    open,
                    format!("Dừng xử lý: {}", reasons.join("; ")),
                );
                close(&mut rows, &mut open, at, by);
            }
            EventKind::Withdrawn { .. } => {
                note(&mut rows, open, format!("Rút hồ sơ ngày {}", dmy(at)));
                open = None;
            }
            EventKind::Submitted { .. }
            | EventKind::SupplementRequested { .. }
            | EventKind::Refused { .. }
            | EventKind::FinancialObligationMet
            | EventKind::Evaluated { .. } => {}
        }
    }
    rows
}

fn dmy(at: LocalDateTime) -> String {
    at.format("%d/%m/%Y").to_string()
}

impl App {
    /// What the slip `form` of a dossier prints, for whoever may see the dossier;
    /// `slip.not_available` (409) when the dossier has not reached the form's step.
    pub async fn dossier_slip(
        &self,
        ctx: &Ctx,
        id: DossierId,
        form: SlipForm,
    ) -> AppResult<SlipData> {
        let view = self.dossier(ctx, id, true).await?;
        let rec = view.record;
        let events: Vec<DossierEvent> = view
            .events
            .unwrap_or_default()
            .into_iter()
            .map(|(_, e)| e)
            .collect();
        let agency = self
            .store
            .agency_get(rec.agency_id)
            .await?
            .ok_or_else(|| AppError::internal("the dossier's agency is gone"))?;
        let parent = match agency.parent_id {
            Some(p) => self.store.agency_get(p).await?,
            None => None,
        };
        let root = match agency.path.first() {
            Some(r) if *r == agency.id => Some(agency.clone()),
            Some(r) if parent.as_ref().is_some_and(|p| p.id == *r) => parent.clone(),
            Some(r) => self.store.agency_get(*r).await?,
            None => None,
        };
        let issuer = SlipIssuer {
            parent: parent.as_ref().map(|p| p.fields.name.clone()),
            unit: agency.fields.name.clone(),
            place: place_of(root.as_ref().unwrap_or(&agency)),
            phone: agency.fields.phone.clone(),
        };

        let procedure = self
            .store
            .procedure_get(rec.procedure_id)
            .await?
            .map(|p| p.procedure);

        let mut names = HashMap::new();
        for actor in events.iter().filter_map(|e| e.actor) {
            if let std::collections::hash_map::Entry::Vacant(v) = names.entry(actor)
                && let Some(u) = self.store.user_get(actor).await?
            {
                v.insert(u.full_name);
            }
        }
        let mut agency_ids: BTreeSet<AgencyId> = rec
            .dossier
            .terms()
            .route
            .iter()
            .filter_map(|s| s.agency)
            .collect();
        for e in &events {
            if let EventKind::ConsultationRequested { agency, .. }
            | EventKind::ConsultationAnswered { agency, .. } = &e.kind
            {
                agency_ids.insert(*agency);
            }
        }
        let mut agencies = HashMap::new();
        agencies.insert(agency.id, agency.fields.name.clone());
        for a in agency_ids {
            if let std::collections::hash_map::Entry::Vacant(v) = agencies.entry(a)
                && let Some(found) = self.store.agency_get(a).await?
            {
                v.insert(found.fields.name);
            }
        }

        let part_files: BTreeSet<u32> = if form == SlipForm::Receipt {
            self.store
                .files_of_dossier(id)
                .await?
                .into_iter()
                .filter(|f| f.kind == FileKind::Part)
                .filter_map(|f| f.part)
                .collect()
        } else {
            BTreeSet::new()
        };

        let (step_dues, due) = if form == SlipForm::Control {
            let calendar = self.effective_calendar().await?;
            let engine = DeadlineEngine::new(&calendar.calendar, WorkingHours::default());
            // A clock the engine cannot evaluate only costs the per-step dates.
            match rec.dossier.deadlines(&engine) {
                Ok(Some(o)) => (o.steps.iter().map(|s| s.due).collect(), o.due),
                _ => (Vec::new(), None),
            }
        } else {
            (Vec::new(), None)
        };

        build(
            form,
            &SlipInputs {
                record: &rec,
                events: &events,
                procedure: procedure.as_ref(),
                issuer,
                names: &names,
                agencies: &agencies,
                part_files: &part_files,
                step_dues: &step_dues,
                due,
            },
        )
    }
}

/// The place of the date line: the province's name without "UBND tỉnh" ("Tây Ninh").
fn place_of(root: &Agency) -> String {
    let name = root.fields.name.trim();
    for prefix in [
        "Ủy ban nhân dân tỉnh ",
        "Uỷ ban nhân dân tỉnh ",
        "UBND tỉnh ",
        "Ủy ban nhân dân thành phố ",
        "Uỷ ban nhân dân thành phố ",
        "UBND thành phố ",
        "UBND TP ",
    ] {
        if let Some(rest) = name.strip_prefix(prefix) {
            return rest.trim().to_owned();
        }
    }
    name.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, Utc};
    use cqdt_domain::agency::AgencyIdentifier;
    use cqdt_domain::calendar::{WorkingCalendar, from_local};
    use cqdt_domain::dossier::{Command, Dossier, DossierCode};
    use cqdt_domain::policy::Role;
    use cqdt_domain::procedure::{
        DossierPartSpec, Fee, FeeKind, NationalCode, ProcedureField, ProcedureTerms, ServiceLevel,
    };

    fn local(d: u32, h: u32, m: u32) -> chrono::DateTime<Utc> {
        from_local(
            NaiveDate::from_ymd_opt(2025, 3, d)
                .and_then(|x| x.and_hms_opt(h, m, 0))
                .unwrap(),
        )
    }

    fn step(name: &str, unit: &str, role: Role, days: u32) -> RouteStep {
        RouteStep {
            name: name.into(),
            agency: None,
            unit: Some(unit.into()),
            role,
            allotted: WorkDuration::HalfDays(days),
            inter_agency: false,
        }
    }

    fn terms() -> ProcedureTerms {
        ProcedureTerms {
            national_code: NationalCode::parse("1.001612").unwrap(),
            version: 1,
            name: "Đăng ký thành lập hộ kinh doanh".into(),
            field: ProcedureField {
                code: None,
                name: "Hộ kinh doanh".into(),
            },
            level: ServiceLevel::PartlyOnline,
            legal_time: WorkDuration::Days(3),
            route: vec![
                step("Tiếp nhận", "Bộ phận Một cửa", Role::OneStopOfficer, 1),
                step(
                    "Thẩm định",
                    "Phòng Tài chính - Kế hoạch",
                    Role::Specialist,
                    2,
                ),
                step("Ký duyệt", "Lãnh đạo UBND", Role::Leader, 1),
                step("Vào sổ", "Phòng Tài chính - Kế hoạch", Role::Specialist, 1),
                step("Trả kết quả", "Bộ phận Một cửa", Role::OneStopOfficer, 1),
            ],
        }
    }

    struct Run {
        rec: DossierRecord,
        events: Vec<DossierEvent>,
        names: HashMap<UserId, String>,
        steps: Vec<Option<LocalDateTime>>,
        due: Option<LocalDateTime>,
    }

    fn run(commands: &[(chrono::DateTime<Utc>, Command)]) -> Run {
        let calendar = WorkingCalendar::vietnam_default().unwrap();
        let engine = DeadlineEngine::new(&calendar, WorkingHours::default());
        let mut d = Dossier::new(terms());
        let desk = UserId(uuid::Uuid::from_u128(1));
        let officer = UserId(uuid::Uuid::from_u128(2));
        let agency = AgencyIdentifier::parse("000.00.20.H53").unwrap();
        let first = commands[0].0;
        let code = DossierCode::for_instant(agency, first, 1).unwrap();
        let mut events = d
            .apply(
                first,
                Some(desk),
                Command::ReceiveAtDesk { code: code.clone() },
                &engine,
            )
            .unwrap();
        for (at, c) in commands {
            let who = match c {
                Command::Accept | Command::HandOver | Command::ReturnResult { .. } => desk,
                _ => officer,
            };
            events.extend(d.apply(*at, Some(who), c.clone(), &engine).unwrap());
        }
        let o = d.deadlines(&engine).unwrap();
        let rec = DossierRecord {
            id: DossierId(uuid::Uuid::from_u128(9)),
            code: code.to_string(),
            agency_id: AgencyId(uuid::Uuid::from_u128(3)),
            agency_path: vec![],
            procedure_id: cqdt_domain::ids::ProcedureId(uuid::Uuid::from_u128(4)),
            applicant: Applicant {
                user_id: None,
                name: "Ngô Thị Dân".into(),
                id_number: Some("072190000001".into()),
                phone: None,
                email: None,
                address: None,
            },
            form_values: Default::default(),
            return_method: Some(ReturnMethod::Desk),
            dossier: d,
            due_at_us: None,
            appointment_at_us: None,
            closed_at_us: None,
            version: 1,
            created_at_us: 0,
            updated_at_us: 0,
        };
        Run {
            rec,
            events,
            names: HashMap::from([
                (desk, "Trần Thị Một".to_owned()),
                (officer, "Lê Văn Chuyên".to_owned()),
            ]),
            steps: o
                .as_ref()
                .map(|o| o.steps.iter().map(|s| s.due).collect())
                .unwrap_or_default(),
            due: o.and_then(|o| o.due),
        }
    }

    fn issuer() -> SlipIssuer {
        SlipIssuer {
            parent: Some("UBND tỉnh Tây Ninh".into()),
            unit: "UBND thành phố Tây Ninh".into(),
            place: "Tây Ninh".into(),
            phone: None,
        }
    }

    fn procedure() -> Procedure {
        let mut p: Procedure = serde_json::from_value(serde_json::json!({
            "national_code": "1.001612", "name": "Đăng ký thành lập hộ kinh doanh",
            "field": {"name": "Hộ kinh doanh"}, "agencies": [uuid::Uuid::from_u128(3)],
            "level": "partly_online", "legal_time": {"days": 3},
            "result": "Giấy chứng nhận", "effective_from": "2020-01-01", "version": 1
        }))
        .unwrap();
        p.parts = vec![
            DossierPartSpec {
                name: "Giấy đề nghị đăng ký hộ kinh doanh".into(),
                required: true,
                form: PaperForm::Original,
                count: 1,
                template: None,
            },
            DossierPartSpec {
                name: "Hợp đồng thuê nhà".into(),
                required: false,
                form: PaperForm::Copy,
                count: 2,
                template: None,
            },
        ];
        p.fees = vec![
            Fee {
                name: "Lệ phí đăng ký hộ kinh doanh".into(),
                kind: FeeKind::Charge,
                amount_vnd: 100_000,
                note: None,
            },
            Fee {
                name: "Miễn".into(),
                kind: FeeKind::Fee,
                amount_vnd: 0,
                note: None,
            },
        ];
        p
    }

    fn inputs<'a>(
        r: &'a Run,
        p: Option<&'a Procedure>,
        agencies: &'a HashMap<AgencyId, String>,
        files: &'a BTreeSet<u32>,
    ) -> SlipInputs<'a> {
        SlipInputs {
            record: &r.rec,
            events: &r.events,
            procedure: p,
            issuer: issuer(),
            names: &r.names,
            agencies,
            part_files: files,
            step_dues: &r.steps,
            due: r.due,
        }
    }

    fn at(d: u32, h: u32, m: u32) -> LocalDateTime {
        to_local(local(d, h, m))
    }

    #[test]
    fn forms_parse_and_number() {
        for f in SlipForm::ALL {
            assert_eq!(SlipForm::parse(f.number()), Some(f));
        }
        assert_eq!(SlipForm::parse("06"), None);
        assert_eq!(SlipForm::parse(""), None);
    }

    #[test]
    fn a_whole_flow_gives_every_row_with_its_timeliness() {
        // Monday 3 March 2025, 08:00: received; the legal time is 3 working days.
        let r = run(&[
            (local(3, 8, 0), Command::Accept),
            (local(3, 9, 0), Command::HandOver),
            (
                local(3, 15, 0),
                Command::CompleteStep {
                    note: Some("Hợp lệ".into()),
                },
            ),
            (local(5, 9, 0), Command::Approve),
            (local(5, 10, 0), Command::ResultReady),
            (
                local(6, 8, 30),
                Command::ReturnResult {
                    method: ReturnMethod::Desk,
                },
            ),
        ]);
        let (agencies, files) = (HashMap::new(), BTreeSet::new());
        let rows = hand_overs(&inputs(&r, None, &agencies, &files));
        let route: Vec<(&str, &str)> = rows
            .iter()
            .map(|h| (h.from_unit.as_str(), h.to_unit.as_str()))
            .collect();
        assert_eq!(
            route,
            vec![
                (APPLICANT_UNIT, "Bộ phận Một cửa"),
                ("Bộ phận Một cửa", "Phòng Tài chính - Kế hoạch"),
                ("Phòng Tài chính - Kế hoạch", "Lãnh đạo UBND"),
                ("Lãnh đạo UBND", "Phòng Tài chính - Kế hoạch"),
                ("Phòng Tài chính - Kế hoạch", "Bộ phận Một cửa"),
                ("Bộ phận Một cửa", APPLICANT_UNIT),
            ]
        );
        assert_eq!(rows[0].from_person.as_deref(), Some("Ngô Thị Dân"));
        assert_eq!(rows[0].to_person.as_deref(), Some("Trần Thị Một"));
        assert_eq!(rows[1].from_person.as_deref(), Some("Trần Thị Một"));
        assert_eq!(rows[1].to_person.as_deref(), Some("Lê Văn Chuyên"));
        assert_eq!(rows[1].at, at(3, 9, 0));
        assert_eq!(rows[1].note.as_deref(), Some("Hợp lệ"));
        // Every step had a due date and finished by it.
        for row in &rows[..4] {
            assert!(row.due.is_some(), "{row:?}");
            assert!(
                matches!(row.result, Some(Timeliness::Early | Timeliness::OnTime)),
                "{row:?}"
            );
        }
        // The desk's leg ends with the return; the appointment is Thursday 6 March.
        assert_eq!(
            rows[4].due.map(|d| d.date()),
            NaiveDate::from_ymd_opt(2025, 3, 6)
        );
        assert_eq!(rows[4].result, Some(Timeliness::OnTime));
        assert!(
            rows[4].note.as_deref().unwrap().contains("trước hạn"),
            "{rows:?}"
        );
        assert_eq!(rows[5].to_person.as_deref(), Some("Ngô Thị Dân"));
        assert_eq!(rows[5].result, None);
    }

    #[test]
    fn a_late_step_is_late_and_a_send_back_is_a_row() {
        let r = run(&[
            (local(3, 8, 0), Command::Accept),
            (local(3, 9, 0), Command::HandOver),
            // The assessment had one working day, due Wednesday 5 March at 11:30: Thursday is
            // late.
            (local(6, 16, 0), Command::CompleteStep { note: None }),
            (
                local(7, 9, 0),
                Command::SendBack {
                    to_step: 1,
                    reason: "Thiếu chữ ký".into(),
                },
            ),
        ]);
        let (agencies, files) = (HashMap::new(), BTreeSet::new());
        let rows = hand_overs(&inputs(&r, None, &agencies, &files));
        assert_eq!(rows[1].result, Some(Timeliness::Late), "{rows:?}");
        let back = rows.last().unwrap();
        assert_eq!(back.from_unit, "Lãnh đạo UBND");
        assert_eq!(back.to_unit, "Phòng Tài chính - Kế hoạch");
        assert_eq!(back.note.as_deref(), Some("Trả lại: Thiếu chữ ký"));
        assert_eq!(back.result, None);
        assert_eq!(rows[2].to_person.as_deref(), Some("Lê Văn Chuyên"));
    }

    #[test]
    fn a_consultation_is_a_row_there_and_back_and_a_coordinating_agency() {
        let police = AgencyId(uuid::Uuid::from_u128(7));
        let r = run(&[
            (local(3, 8, 0), Command::Accept),
            (local(3, 9, 0), Command::HandOver),
            (
                local(3, 10, 0),
                Command::Consult {
                    agency: police,
                    question: "Xác nhận địa điểm kinh doanh".into(),
                    allotted: WorkDuration::Days(1),
                    pause_clock: true,
                },
            ),
            (
                local(4, 9, 0),
                Command::ConsultationAnswered {
                    answer: Some("Đồng ý".into()),
                },
            ),
        ]);
        let agencies = HashMap::from([(police, "Công an phường 3".to_owned())]);
        let files = BTreeSet::new();
        let inp = inputs(&r, None, &agencies, &files);
        let rows = hand_overs(&inp);
        assert_eq!(rows.len(), 4, "{rows:?}");
        assert_eq!(
            (rows[2].from_unit.as_str(), rows[2].to_unit.as_str()),
            ("Phòng Tài chính - Kế hoạch", "Công an phường 3")
        );
        assert_eq!(
            rows[2].note.as_deref(),
            Some("Lấy ý kiến: Xác nhận địa điểm kinh doanh")
        );
        assert!(rows[2].due.is_some());
        assert!(matches!(
            rows[2].result,
            Some(Timeliness::Early | Timeliness::OnTime)
        ));
        assert_eq!(
            (rows[3].from_unit.as_str(), rows[3].to_unit.as_str()),
            ("Công an phường 3", "Phòng Tài chính - Kế hoạch")
        );
        // The step itself is still in progress.
        assert_eq!(rows[1].result, None);
        let s = build(SlipForm::Control, &inp).unwrap();
        let SlipFacts::Control {
            coordinating_agencies,
            ..
        } = &s.facts
        else {
            panic!("{s:?}")
        };
        assert_eq!(coordinating_agencies, &vec!["Công an phường 3".to_owned()]);
    }

    #[test]
    fn receipt_lists_required_parts_and_parts_with_files_and_non_zero_fees() {
        let r = run(&[(local(3, 8, 0), Command::Accept)]);
        let p = procedure();
        let agencies = HashMap::new();
        let none = BTreeSet::new();
        let s = build(SlipForm::Receipt, &inputs(&r, Some(&p), &agencies, &none)).unwrap();
        let SlipFacts::Receipt {
            received_at,
            appointment_at,
            officer,
            papers,
            fees,
            ..
        } = &s.facts
        else {
            panic!("{s:?}")
        };
        assert_eq!(*received_at, at(3, 8, 0));
        assert_eq!(
            appointment_at.date(),
            NaiveDate::from_ymd_opt(2025, 3, 6).unwrap()
        );
        assert_eq!(officer.as_deref(), Some("Trần Thị Một"));
        assert_eq!(papers.len(), 1);
        assert_eq!(fees.len(), 1);
        assert_eq!(fees[0].amount_vnd, 100_000);
        let with_file = BTreeSet::from([2]);
        let s = build(
            SlipForm::Receipt,
            &inputs(&r, Some(&p), &agencies, &with_file),
        )
        .unwrap();
        let SlipFacts::Receipt { papers, .. } = &s.facts else {
            panic!()
        };
        assert_eq!(papers.len(), 2);
        assert_eq!((papers[1].form, papers[1].count), (PaperForm::Copy, 2));
        assert_eq!(s.procedure, "Đăng ký thành lập hộ kinh doanh");
        assert_eq!(s.applicant.name, "Ngô Thị Dân");
    }

    #[test]
    fn forms_not_reached_are_not_available() {
        let r = run(&[(local(3, 8, 0), Command::Accept)]);
        let (agencies, files) = (HashMap::new(), BTreeSet::new());
        for f in [
            SlipForm::SupplementRequest,
            SlipForm::Refusal,
            SlipForm::Apology,
        ] {
            let e = build(f, &inputs(&r, None, &agencies, &files)).unwrap_err();
            assert_eq!(e.code, ErrorCode::SlipNotAvailable, "{f:?}");
        }
        assert!(build(SlipForm::Control, &inputs(&r, None, &agencies, &files)).is_ok());
        // Refused at the desk: only 03.
        let refused = run(&[(
            local(3, 8, 0),
            Command::Refuse {
                reasons: vec!["Không thuộc thẩm quyền".into()],
            },
        )]);
        let inp = inputs(&refused, None, &agencies, &files);
        for f in [SlipForm::Receipt, SlipForm::Control] {
            assert_eq!(
                build(f, &inp).unwrap_err().code,
                ErrorCode::SlipNotAvailable
            );
        }
        let s = build(SlipForm::Refusal, &inp).unwrap();
        assert_eq!(
            s.facts,
            SlipFacts::Refusal {
                issued_at: at(3, 8, 0),
                reasons: vec!["Không thuộc thẩm quyền".into()],
                officer: Some("Lê Văn Chuyên".into()),
            }
        );
    }

    #[test]
    fn the_place_is_the_province() {
        let mut a: Agency = serde_json::from_value(serde_json::json!({
            "id": uuid::Uuid::from_u128(1), "parent_id": null, "level": 1, "path": [],
            "identifier": "000.00.00.H53", "parent_identifier": null, "kind": "province_committee",
            "name": "UBND tỉnh Tây Ninh", "short_name": null, "address": null, "phone": null,
            "email": null, "valid_from": null, "valid_to": null, "gso_code": null, "note": null
        }))
        .unwrap();
        assert_eq!(place_of(&a), "Tây Ninh");
        a.fields.name = "Sở Tư pháp".into();
        assert_eq!(place_of(&a), "Sở Tư pháp");
    }
}
