//! One dossier's life, played through the domain: the intake command at its instant, then the
//! desk's check, the processing route step by step, with the detours real dossiers take
//! (supplement requests at reception or during processing, refusals, consultations of another
//! agency, financial obligations, sends-back, rejections, withdrawals, apologies for late
//! ones), the return of the result and the applicant's evaluation. Every change is
//! `Dossier::apply` with the deadline engine over the working calendar, at instants within
//! office hours (online submissions and the applicants' own actions at any hour); nothing
//! happens after the end of the generated period, so dossiers submitted late in the year are
//! still open. The rows are what `Store::dossier_create` / `dossier_update` would have written
//! after the same commands (`crates/store/src/sql.rs`).

use super::catalogue::{Catalogue, Proc};
use super::people::{self, Tables};
use super::rng::Rng;
use anyhow::{Result, anyhow};
use chrono::{DateTime, Duration, NaiveTime, Utc};
use cqdt_app::dossiers::local_us;
use cqdt_domain::calendar::{
    DeadlineEngine, ExtensionTarget, LocalDateTime, WorkDuration, from_local, to_local,
};
use cqdt_domain::dossier::{
    Channel, Command, Dossier, DossierCode, DossierEvent, Evaluation, IndexScore, ReturnMethod,
    Satisfaction, StateName,
};
use cqdt_domain::ids::UserId;
use std::sync::Arc;

/// Minutes of one working day (07:30–11:30, 13:30–17:00).
const DAY_MINUTES: u32 = 450;

/// A dossier as planned before its life is played: what it is, where, when it entered.
#[derive(Debug, Clone)]
pub struct Header {
    /// Its number in the generated set (the seed of its random stream).
    pub index: u32,
    pub proc: u16,
    pub agency: u16,
    pub at: DateTime<Utc>,
    pub channel: Channel,
    /// The demo citizen's own dossier.
    pub citizen: bool,
    /// The day's counter (filled after sorting).
    pub seq: u32,
}

/// The `dossiers` row, column by column as `sql.rs` writes it.
#[derive(Debug, Clone)]
pub struct DossierRow {
    pub id: String,
    pub code: String,
    pub agency_id: Arc<str>,
    pub agency_path: Arc<str>,
    pub procedure_id: Arc<str>,
    pub procedure_version: i64,
    pub national_code: Arc<str>,
    pub field: Arc<str>,
    pub procedure_terms: Arc<str>,
    pub applicant_user_id: Option<Arc<str>>,
    pub applicant_name: String,
    pub applicant_name_folded: String,
    pub applicant_id_number: Option<String>,
    pub applicant_phone: Option<String>,
    pub applicant_email: Option<String>,
    pub applicant_address: Option<String>,
    pub form_values: String,
    pub return_method: Option<&'static str>,
    pub channel: i64,
    pub state: &'static str,
    pub national_status: i64,
    pub clock_paused: bool,
    pub submitted_at_us: i64,
    pub received_at_us: Option<i64>,
    pub due_at_us: Option<i64>,
    pub appointment_at_us: Option<i64>,
    pub finished_at_us: Option<i64>,
    pub closed_at_us: Option<i64>,
    pub timeliness: Option<&'static str>,
    pub state_json: String,
    pub version: i64,
    pub created_at_us: i64,
    pub updated_at_us: i64,
}

/// A `dossier_events` row.
#[derive(Debug, Clone)]
pub struct EventRow {
    pub dossier_id: String,
    pub seq: i64,
    pub at_us: i64,
    pub actor: Option<String>,
    pub kind: String,
    pub state: &'static str,
    pub national_status: i64,
    pub payload: String,
}

/// Who acts, by role (the demo accounts).
#[derive(Debug, Clone, Copy)]
pub struct Actors {
    pub desk: Option<UserId>,
    pub specialist: Option<UserId>,
    pub leader: Option<UserId>,
    pub citizen: Option<UserId>,
}

/// Counters of what happened, for the summary.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub dossiers: u64,
    pub events: u64,
    /// Commands the domain refused (the plan tried something not legal then; skipped).
    pub refused_commands: u64,
    pub by_state: std::collections::BTreeMap<&'static str, u64>,
    pub by_channel: [u64; 4],
}

impl Tally {
    pub fn add(&mut self, o: &Tally) {
        self.dossiers += o.dossiers;
        self.events += o.events;
        self.refused_commands += o.refused_commands;
        for (k, v) in &o.by_state {
            *self.by_state.entry(k).or_default() += v;
        }
        for i in 0..4 {
            self.by_channel[i] += o.by_channel[i];
        }
    }
}

pub struct World<'a> {
    pub cat: &'a Catalogue,
    pub engine: DeadlineEngine<'a>,
    pub tables: Tables,
    pub actors: Actors,
    pub seed: u64,
    pub year: i32,
    /// Nothing happens after this instant (end of the period, local 23:59:59).
    pub as_of: DateTime<Utc>,
}

struct Sim<'w, 'a> {
    w: &'w World<'a>,
    d: Dossier,
    events: Vec<DossierEvent>,
    version: i64,
    due: Option<LocalDateTime>,
    appointment: Option<LocalDateTime>,
    closed_at: Option<i64>,
    updated_at: i64,
    /// Time ran out (past the end of the period): nothing more happens.
    ended: bool,
    refused: u64,
}

fn is_closed(s: StateName) -> bool {
    matches!(
        s,
        StateName::ResultReady | StateName::Returned | StateName::Withdrawn | StateName::Stopped
    )
}

impl Sim<'_, '_> {
    /// Applies a command at `at` (if the period is not over); `true` if the domain accepted it.
    /// `bump`: a separate save (version + 1), as `dossier_act` does; the intake and the
    /// immediate acceptance are one save.
    fn act(&mut self, at: DateTime<Utc>, actor: Option<UserId>, c: Command, bump: bool) -> bool {
        if self.ended || at > self.w.as_of {
            self.ended = true;
            return false;
        }
        match self.d.apply(at, actor, c, &self.w.engine) {
            Ok(evs) => {
                let now = at.timestamp_micros();
                if let Some(last) = evs.last() {
                    self.due = last.due;
                    self.appointment = last.appointment;
                    if self.closed_at.is_none() && is_closed(last.state) {
                        self.closed_at = Some(now);
                    }
                }
                self.updated_at = now;
                if bump {
                    self.version += 1;
                }
                self.events.extend(evs);
                true
            }
            Err(_) => {
                self.refused += 1;
                false
            }
        }
    }

    fn state(&self) -> StateName {
        self.d.state().name()
    }
}

/// `minutes` of working time after `t` (the engine skips nights, weekends and holidays).
fn later(w: &World<'_>, t: DateTime<Utc>, minutes: u64) -> DateTime<Utc> {
    let m = u32::try_from(minutes.max(1)).unwrap_or(u32::MAX / 2);
    match w.engine.due(to_local(t), WorkDuration::Minutes(m)) {
        Ok(local) => from_local(local).max(t),
        // Out of the calendar's range: push past the period so nothing more happens.
        Err(_) => w.as_of + Duration::days(1),
    }
}

/// Some calendar days after `t`, at an hour people act at (07–21 local).
fn days_later(r: &mut Rng, t: DateTime<Utc>, lo: u64, hi: u64) -> DateTime<Utc> {
    let local = to_local(t).date() + Duration::days(r.range(lo, hi) as i64);
    let time =
        NaiveTime::from_num_seconds_from_midnight_opt((7 * 3600 + r.below(14 * 3600)) as u32, 0)
            .unwrap_or(NaiveTime::MIN);
    from_local(local.and_time(time)).max(t + Duration::minutes(1))
}

fn minutes_of(d: WorkDuration) -> u64 {
    match d {
        WorkDuration::Days(n) => u64::from(n) * u64::from(DAY_MINUTES),
        WorkDuration::HalfDays(n) => u64::from(n) * u64::from(DAY_MINUTES / 2),
        WorkDuration::Minutes(m) => u64::from(m),
    }
}

const SUPPLEMENT_REASONS: &[&str] = &[
    "Thiếu bản sao giấy khai sinh có chứng thực",
    "Tờ khai chưa ghi đủ thông tin theo mẫu",
    "Thiếu giấy tờ chứng minh nơi cư trú",
    "Bản sao căn cước không rõ nét",
    "Thiếu văn bản ủy quyền có chứng thực",
    "Sơ đồ thửa đất chưa có xác nhận",
];
const REFUSAL_REASONS: &[&str] = &[
    "Hồ sơ không thuộc thẩm quyền giải quyết",
    "Người nộp không có quyền yêu cầu theo quy định",
    "Không bổ sung hồ sơ theo yêu cầu",
];
const REJECT_REASONS: &[&str] = &[
    "Không đủ điều kiện theo quy định của pháp luật",
    "Kết quả xác minh không phù hợp với hồ sơ",
    "Thửa đất đang có tranh chấp",
];

/// Plays one dossier's life and returns its rows.
pub fn play(w: &World<'_>, h: &Header, tally: &mut Tally) -> Result<(DossierRow, Vec<EventRow>)> {
    let cat = w.cat;
    let p: &Proc = cat
        .procs
        .get(usize::from(h.proc))
        .ok_or_else(|| anyhow!("procedure index"))?;
    let ag = cat
        .agencies
        .get(usize::from(h.agency))
        .ok_or_else(|| anyhow!("agency index"))?;
    let mut r = Rng::new(w.seed ^ 0x5EED_1A7E, u64::from(h.index));
    let home = cat
        .residents
        .get(usize::from(h.agency))
        .filter(|v| !v.is_empty())
        .map(|v| *r.pick(v))
        .and_then(|i| cat.agencies.get(usize::from(i)))
        .unwrap_or(ag);

    // The applicant and the form.
    let mut who = people::person(
        &w.tables,
        &mut r,
        w.year,
        &home.place,
        home.district.as_deref(),
    );
    if h.citizen {
        who.name = cat.citizen_name.clone();
        who.id_number = cat.citizen_id_number.clone();
        who.email = Some(cqdt_app::demo::CITIZEN_LOGIN.to_string());
    }
    let raw = people::form_values(
        &w.tables,
        &mut r,
        &p.procedure.form.fields,
        &who,
        w.year,
        &home.place,
        home.district.as_deref(),
    );
    let values = p.procedure.validate_form(&raw).map_err(|e| {
        anyhow!(
            "generated form of {} does not validate: {:?}",
            p.procedure.national_code.as_str(),
            e
        )
    })?;
    let has_id = h.citizen || r.chance(0.96);
    let has_phone = !has_id || r.chance(0.85);
    let return_method = if p.online_result && r.chance(0.3) {
        ReturnMethod::Online
    } else if r.chance(0.12) {
        ReturnMethod::Post
    } else {
        ReturnMethod::Desk
    };

    let id = uuid::Builder::from_unix_timestamp_millis(
        u64::try_from(h.at.timestamp_millis()).unwrap_or(0),
        &{
            let b = r.bytes16();
            let mut a = [0u8; 10];
            a.copy_from_slice(&b[..10]);
            a
        },
    )
    .into_uuid();
    let code = DossierCode::for_instant(ag.identifier.clone(), h.at, h.seq)
        .map_err(|e| anyhow!("dossier code: {e}"))?;
    let code_text = code.to_string();
    let applicant = if h.citizen { w.actors.citizen } else { None };
    let (desk, spec, lead) = (w.actors.desk, w.actors.specialist, w.actors.leader);

    let mut s = Sim {
        w,
        d: Dossier::new(p.terms.clone()),
        events: Vec::new(),
        version: 1,
        due: None,
        appointment: None,
        closed_at: None,
        updated_at: h.at.timestamp_micros(),
        ended: false,
        refused: 0,
    };
    let intake = match h.channel {
        Channel::Online => Command::SubmitOnline { code },
        Channel::Direct => Command::ReceiveAtDesk { code },
        Channel::Post => Command::ReceiveByPost { code },
    };
    let intake_actor = if h.channel == Channel::Online {
        applicant
    } else {
        desk
    };
    if !s.act(h.at, intake_actor, intake, false) {
        return Err(anyhow!("intake refused for {code_text}"));
    }

    // Reception: a desk dossier is usually accepted on the spot (one save with the intake).
    let mut t = h.at;
    let mut accepted = false;
    if h.channel == Channel::Direct && r.chance(0.88) {
        accepted = s.act(t, desk, Command::Accept, false);
    }
    if !accepted {
        t = if h.channel == Channel::Direct {
            later(w, t, r.range(5, 120))
        } else {
            later(w, t, r.range(20, 2 * u64::from(DAY_MINUTES)))
        };
        let x = r.unit();
        if x < 0.025 {
            s.act(
                t,
                desk,
                Command::Refuse {
                    reasons: vec![r.pick(REFUSAL_REASONS).to_string()],
                },
                true,
            );
        } else if x < 0.085 {
            let n = r.range(1, 3) as usize;
            let reasons = (0..n)
                .map(|_| r.pick(SUPPLEMENT_REASONS).to_string())
                .collect();
            s.act(t, desk, Command::RequestSupplement { reasons }, true);
            let y = r.unit();
            if y < 0.86 {
                t = days_later(&mut r, t, 1, 10);
                let note = Some("Đã bổ sung đủ giấy tờ".to_string());
                if s.act(
                    t,
                    applicant.or(desk),
                    Command::AnswerSupplement { note },
                    true,
                ) {
                    t = later(w, t, r.range(10, 300));
                    if r.chance(0.96) {
                        accepted = s.act(t, desk, Command::Accept, true);
                    } else {
                        s.act(
                            t,
                            desk,
                            Command::Refuse {
                                reasons: vec![r.pick(REFUSAL_REASONS).to_string()],
                            },
                            true,
                        );
                    }
                }
            } else if y < 0.93 {
                t = later(w, t, r.range(450, 4500));
                s.act(
                    t,
                    desk,
                    Command::Refuse {
                        reasons: vec!["Không bổ sung hồ sơ theo yêu cầu".to_string()],
                    },
                    true,
                );
            }
            // else: never answered, still waiting.
        } else if x < 0.09 {
            t = days_later(&mut r, t, 0, 3);
            s.act(
                t,
                applicant.or(desk),
                Command::Withdraw {
                    reason: Some("Không có nhu cầu nữa".into()),
                },
                true,
            );
        } else {
            accepted = s.act(t, desk, Command::Accept, true);
        }
    }

    if accepted {
        process(
            &mut s,
            &mut r,
            p,
            &mut t,
            (desk, spec, lead, applicant),
            return_method,
        );
    }

    // The rows.
    let d = &s.d;
    let terms = d.terms();
    let state = d.state().name();
    let id_text = id.to_string();
    let channel = d.channel().map_or(0, |c| i64::from(c.code()));
    tally.dossiers += 1;
    tally.events += s.events.len() as u64;
    tally.refused_commands += s.refused;
    *tally.by_state.entry(state.as_str()).or_default() += 1;
    if let Some(slot) = tally.by_channel.get_mut(channel.clamp(0, 3) as usize) {
        *slot += 1;
    }
    let us = |t: Option<DateTime<Utc>>| t.map(|t| t.timestamp_micros());
    let row = DossierRow {
        id: id_text.clone(),
        code: code_text,
        agency_id: ag.id.clone(),
        agency_path: ag.path.clone(),
        procedure_id: p.id.clone(),
        procedure_version: i64::from(terms.version),
        national_code: p.national_code.clone(),
        field: p.field.clone(),
        procedure_terms: p.terms_json.clone(),
        applicant_user_id: if h.citizen {
            cat.citizen_id.clone()
        } else {
            None
        },
        applicant_name_folded: cqdt_domain::text::fold(&who.name),
        applicant_name: who.name,
        applicant_id_number: has_id.then_some(who.id_number),
        applicant_phone: has_phone.then_some(who.phone),
        applicant_email: who.email,
        applicant_address: Some(who.address),
        form_values: serde_json::to_string(&values)?,
        return_method: Some(return_method_name(return_method)),
        channel,
        state: state.as_str(),
        national_status: i64::from(d.national_status().code()),
        clock_paused: d.is_clock_paused(),
        submitted_at_us: us(d.submitted_at()).unwrap_or(h.at.timestamp_micros()),
        received_at_us: us(d.received_at()),
        due_at_us: s.due.map(local_us),
        appointment_at_us: s.appointment.map(local_us),
        finished_at_us: us(d.finished_at()),
        closed_at_us: s.closed_at,
        timeliness: d.timeliness().map(timeliness_name),
        state_json: serde_json::to_string(d)?,
        version: s.version,
        created_at_us: h.at.timestamp_micros(),
        updated_at_us: s.updated_at,
    };
    let mut events = Vec::with_capacity(s.events.len());
    for (k, e) in s.events.iter().enumerate() {
        let kind = serde_json::to_value(&e.kind)?
            .get("type")
            .and_then(|t| t.as_str())
            .ok_or_else(|| anyhow!("event without a type"))?
            .to_string();
        events.push(EventRow {
            dossier_id: id_text.clone(),
            seq: k as i64 + 1,
            at_us: e.at.timestamp_micros(),
            actor: e.actor.map(|u| format!("user:{u}")),
            kind,
            state: e.state.as_str(),
            national_status: i64::from(e.status.code()),
            payload: serde_json::to_string(e)?,
        });
    }
    Ok((row, events))
}

fn return_method_name(m: ReturnMethod) -> &'static str {
    match m {
        ReturnMethod::Desk => "desk",
        ReturnMethod::Post => "post",
        ReturnMethod::Online => "online",
    }
}

fn timeliness_name(t: cqdt_domain::calendar::Timeliness) -> &'static str {
    use cqdt_domain::calendar::Timeliness;
    match t {
        Timeliness::Early => "early",
        Timeliness::OnTime => "on_time",
        Timeliness::Late => "late",
    }
}

/// From acceptance to the evaluation.
fn process(
    s: &mut Sim<'_, '_>,
    r: &mut Rng,
    p: &Proc,
    t: &mut DateTime<Utc>,
    (desk, spec, lead, applicant): (
        Option<UserId>,
        Option<UserId>,
        Option<UserId>,
        Option<UserId>,
    ),
    method: ReturnMethod,
) {
    let w = s.w;
    *t = later(w, *t, r.range(10, 240));
    if !s.act(*t, desk, Command::HandOver, true) {
        return;
    }
    // How this dossier's handling goes: most early, some just in time, some late.
    let pace = r.unit();
    let (lo, hi) = if pace < 0.55 {
        (0.15, 0.75)
    } else if pace < 0.9 {
        (0.75, 1.0)
    } else {
        (1.05, 2.2)
    };
    let late = pace >= 0.9;
    let steps = s.d.processing_steps();
    let route = s.d.terms().route.clone();
    let legal = minutes_of(s.d.terms().legal_time);
    let mut detours_done = false;
    let mut sent_back = false;
    let mut apologised = false;
    let mut i = 0usize;
    let mut guard = 0;
    while i < steps.len() && guard < 16 {
        guard += 1;
        let k = steps[i];
        let allotted = route
            .get(usize::from(k))
            .map_or(legal, |st| minutes_of(st.allotted))
            .max(30);
        let spend = (allotted as f64 * (lo + (hi - lo) * r.unit())).max(5.0) as u64;
        let approval = route.get(usize::from(k)).is_some_and(|st| st.is_approval());
        // Detours, at most once per dossier, during its first processing step.
        if !detours_done && !approval {
            detours_done = true;
            let mid = later(w, *t, spend / 2);
            let x = r.unit();
            if x < 0.04 {
                *t = mid;
                let reasons = vec![r.pick(SUPPLEMENT_REASONS).to_string()];
                if s.act(*t, spec, Command::RequestSupplement { reasons }, true) {
                    if r.chance(0.9) {
                        *t = days_later(r, *t, 1, 8);
                        s.act(
                            *t,
                            applicant.or(desk),
                            Command::AnswerSupplement { note: None },
                            true,
                        );
                    } else {
                        *t = days_later(r, *t, 10, 30);
                        s.act(
                            *t,
                            lead,
                            Command::Reject {
                                reasons: vec!["Không bổ sung hồ sơ theo yêu cầu".into()],
                            },
                            true,
                        );
                        return;
                    }
                }
            } else if x < 0.07 && !w.cat.consult.is_empty() {
                *t = mid;
                let agency = *r.pick(&w.cat.consult);
                let days = r.range(3, 10) as u32;
                let pause = r.chance(0.5);
                if s.act(
                    *t,
                    spec,
                    Command::Consult {
                        agency,
                        question: "Đề nghị cho ý kiến về hồ sơ theo quy định".into(),
                        allotted: WorkDuration::Days(days),
                        pause_clock: pause,
                    },
                    true,
                ) {
                    let used = (f64::from(days * DAY_MINUTES) * (0.4 + 0.9 * r.unit())) as u64;
                    *t = later(w, *t, used);
                    s.act(
                        *t,
                        spec,
                        Command::ConsultationAnswered {
                            answer: Some("Thống nhất với đề xuất".into()),
                        },
                        true,
                    );
                }
            } else if p.land && x < 0.6 {
                *t = mid;
                if s.act(
                    *t,
                    spec,
                    Command::RequestFinancialObligation {
                        description: "Nộp tiền sử dụng đất và lệ phí trước bạ".into(),
                        amount_vnd: Some(r.range(5, 400) * 1_000_000),
                    },
                    true,
                ) {
                    *t = days_later(r, *t, 1, 12);
                    s.act(*t, desk, Command::FinancialObligationMet, true);
                }
            } else if x > 0.993 {
                *t = days_later(r, mid, 0, 2);
                s.act(
                    *t,
                    applicant.or(desk),
                    Command::Withdraw {
                        reason: Some("Người nộp xin rút hồ sơ".into()),
                    },
                    true,
                );
                return;
            }
            if s.ended || !s.state().is_open() {
                return;
            }
        }
        *t = later(w, *t, spend);
        // A late dossier gets the apology slip before its result.
        if late && !apologised && i + 1 == steps.len() && r.chance(0.6) {
            apologised = true;
            s.act(
                *t,
                desk,
                Command::IssueApology {
                    reason: "Hồ sơ cần xác minh thêm".into(),
                    new_appointment: ExtensionTarget::By(WorkDuration::Days(r.range(2, 5) as u32)),
                },
                true,
            );
        }
        if approval {
            let x = r.unit();
            if x < 0.012 {
                s.act(
                    *t,
                    lead,
                    Command::Reject {
                        reasons: vec![r.pick(REJECT_REASONS).to_string()],
                    },
                    true,
                );
                return;
            }
            if x < 0.03 && !sent_back && i > 0 {
                sent_back = true;
                let back = steps[i - 1];
                if s.act(
                    *t,
                    lead,
                    Command::SendBack {
                        to_step: back,
                        reason: "Đề nghị thẩm định lại".into(),
                    },
                    true,
                ) {
                    i -= 1;
                    continue;
                }
            }
            if !s.act(*t, lead, Command::Approve, true) {
                return;
            }
        } else if !s.act(*t, spec, Command::CompleteStep { note: None }, true) {
            return;
        }
        i += 1;
    }
    if s.state() != StateName::ResultReady {
        return;
    }
    // The result goes back to the applicant; a few never come for it.
    if r.chance(0.03) {
        return;
    }
    *t = match method {
        ReturnMethod::Desk => later(w, *t, r.range(30, 5 * u64::from(DAY_MINUTES))),
        _ => later(w, *t, r.range(10, u64::from(DAY_MINUTES))),
    };
    if !s.act(*t, desk, Command::ReturnResult { method }, true) {
        return;
    }
    if r.chance(0.25) {
        *t = days_later(r, *t, 0, 4);
        let x = r.unit();
        let satisfaction = if x < 0.7 {
            Satisfaction::VerySatisfied
        } else if x < 0.97 {
            Satisfaction::Satisfied
        } else {
            Satisfaction::Dissatisfied
        };
        let scores = if r.chance(0.4) {
            (1..=9)
                .map(|index| IndexScore {
                    index,
                    points: if satisfaction == Satisfaction::Dissatisfied {
                        r.below(2) as u8
                    } else {
                        2 - u8::from(r.chance(0.15))
                    },
                })
                .collect()
        } else {
            vec![]
        };
        s.act(
            *t,
            applicant,
            Command::Evaluate {
                evaluation: Evaluation {
                    satisfaction,
                    scores,
                    comment: None,
                },
            },
            true,
        );
    }
}
