//! The documents of a province-year (issue 5's registers at scale): incoming documents
//! registered by the clerks of every agency, assigned, handled and completed; outgoing ones
//! drafted, reviewed, signed and issued with their yearly numbers and recipients.
//!
//! 1. Plan: each document's agency (weighted: the provincial committee and departments write
//!    more than a commune), direction, arrival or drafting instant (a working day, office
//!    hours) and the instants of its later steps, each from its own random stream
//!    (seed, number); steps after the end of the year do not happen, so the last weeks stay
//!    open, and a few documents are never completed (the overdue list).
//! 2. Number: arrival numbers per agency and year in registration order, issued numbers per
//!    agency, year and series (`hc`, `qppl:<type>`, `mat`) in issue order — gap-free from 1.
//! 3. Play every document through the domain (`Document::arrived` / `draft` / `apply`), so the
//!    stored aggregate, events and states are the domain's own; search terms by the app's
//!    `search_terms`.
//! 4. Load in big transactions through `cqdt_store::documents_bulk` and write the counters.

use super::rng::{Rng, cumulative};
use anyhow::{Result, anyhow};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use cqdt_app::App;
use cqdt_app::documents::{DocumentRecord, DocumentWrite, document_types, search_terms};
use cqdt_domain::agency::AgencyKind;
use cqdt_domain::calendar::{WorkingCalendar, from_local, to_local};
use cqdt_domain::document::{
    Arrival, Command, Document, DocumentFields, Handling, InChannel, IncomingData, IssuedNumber,
    OutgoingData, Recipient, Secrecy, Sender, Series, SignerInfo, Tier, Urgency, edxml_document_id,
    notation,
};
use cqdt_domain::ids::{AgencyId, DocumentId, UserId};
use cqdt_store::documents_bulk::BulkDocument;
use std::collections::HashMap;

/// Share of incoming documents.
const INCOMING: f64 = 0.62;
/// Handling time of an ordinary incoming document, in working days (the app's default).
const HANDLING_DAYS: u32 = 7;

/// An agency that keeps registers.
#[derive(Debug, Clone)]
pub struct DocAgency {
    pub id: AgencyId,
    pub path: Vec<AgencyId>,
    pub tier: Tier,
    pub identifier: String,
    pub name: String,
    /// The abbreviation it issues under (`UBND`, `SNV`…).
    pub issuer: String,
    pub weight: f64,
}

/// The demo staff of UBND tỉnh, who act on the provincial committee's documents (the others'
/// steps carry no actor).
#[derive(Debug, Clone, Copy, Default)]
pub struct DocActors {
    pub clerk: Option<UserId>,
    pub leader: Option<UserId>,
    pub specialist: Option<UserId>,
}

pub struct DocWorld<'a> {
    pub agencies: Vec<DocAgency>,
    cumulative: Vec<f64>,
    /// The province committee's agency index (its staff act for it).
    province: Option<usize>,
    pub calendar: &'a WorkingCalendar,
    working_days: Vec<NaiveDate>,
    pub actors: DocActors,
    pub seed: u64,
    pub as_of: DateTime<Utc>,
}

impl<'a> DocWorld<'a> {
    pub async fn load(
        app: &App,
        calendar: &'a WorkingCalendar,
        seed: u64,
        year: i32,
        as_of: DateTime<Utc>,
    ) -> Result<DocWorld<'a>> {
        let all = app.store.agencies_all().await?;
        let by_id: HashMap<AgencyId, &cqdt_domain::agency::Agency> =
            all.iter().map(|a| (a.id, a)).collect();
        let mut agencies = Vec::new();
        for a in &all {
            let weight = match a.fields.kind {
                AgencyKind::ProvinceCommittee => 60.0,
                AgencyKind::Department => 14.0,
                AgencyKind::DistrictCommittee => 22.0,
                AgencyKind::CommuneCommittee => 2.5,
                AgencyKind::Unit | AgencyKind::Other => 0.0,
            };
            if weight == 0.0 {
                continue;
            }
            let tier = Tier::of_kind(a.fields.kind)
                .or_else(|| {
                    a.path
                        .iter()
                        .rev()
                        .filter_map(|p| by_id.get(p))
                        .find_map(|p| Tier::of_kind(p.fields.kind))
                })
                .unwrap_or(Tier::Other);
            agencies.push(DocAgency {
                id: a.id,
                path: a.path.clone(),
                tier,
                identifier: a.fields.identifier.to_string(),
                name: a.fields.name.clone(),
                issuer: app.document_issuer_abbreviation(a).await?,
                weight,
            });
        }
        if agencies.is_empty() {
            return Err(anyhow!("no agencies that keep document registers"));
        }
        let province = all
            .iter()
            .find(|a| a.fields.kind == AgencyKind::ProvinceCommittee)
            .and_then(|p| agencies.iter().position(|x| x.id == p.id));
        let id = |email: &'static str| {
            let app = app.clone();
            async move { anyhow::Ok(app.store.user_by_email(email).await?.map(|u| u.id)) }
        };
        let actors = DocActors {
            clerk: id("vanthutinh@tayninh.demo").await?,
            leader: id("lanhdaotinhvp@tayninh.demo").await?,
            specialist: id("chuyenvientinh@tayninh.demo").await?,
        };
        let mut working_days = Vec::new();
        let mut d = NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(|| anyhow!("year {year}"))?;
        while d.year() == year {
            if calendar
                .is_working_day(d)
                .map_err(|e| anyhow!("calendar: {e}"))?
            {
                working_days.push(d);
            }
            d = d.succ_opt().ok_or_else(|| anyhow!("date"))?;
        }
        let cumulative = cumulative(agencies.iter().map(|a| a.weight));
        Ok(DocWorld {
            agencies,
            cumulative,
            province,
            calendar,
            working_days,
            actors,
            seed,
            as_of,
        })
    }

    fn after_working_days(&self, at: DateTime<Utc>, n: u32, r: &mut Rng) -> Result<DateTime<Utc>> {
        if n == 0 {
            return Ok(at + Duration::minutes(r.range(10, 180) as i64));
        }
        let day = self
            .calendar
            .add_working_days(to_local(at).date(), n)
            .map_err(|e| anyhow!("calendar: {e}"))?;
        Ok(office_instant(day, r))
    }
}

fn office_instant(day: NaiveDate, r: &mut Rng) -> DateTime<Utc> {
    // 07:30–17:00 local.
    let minute = r.range(0, 9 * 60 + 29) as u32;
    let t = NaiveTime::from_hms_opt(
        7 + (30 + minute) / 60,
        (30 + minute) % 60,
        r.range(0, 59) as u32,
    )
    .unwrap_or(NaiveTime::MIN);
    from_local(day.and_time(t))
}

/// What happens to one document, planned before numbering.
#[derive(Debug, Clone)]
pub struct Plan {
    pub n: u64,
    pub agency: usize,
    pub incoming: bool,
    pub start: DateTime<Utc>,
    /// Incoming: registration; outgoing: issue (when it happens within the year).
    pub register: Option<DateTime<Utc>>,
    pub series: String,
    /// Drawn after sorting.
    pub number: u32,
}

/// Step 1: the plans, sorted by start instant.
pub fn plan(w: &DocWorld<'_>, count: u64) -> Result<Vec<Plan>> {
    let types = document_types().map_err(|e| anyhow!("{e}"))?;
    let mut plans = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    for n in 0..count {
        let mut r = Rng::new(w.seed ^ 0xD0C0_0000, n);
        let agency = r.weighted(&w.cumulative);
        let incoming = r.chance(INCOMING);
        let day = *r.pick(&w.working_days);
        let start = office_instant(day, &mut r);
        let life = Life::draw(w, &mut Rng::new(w.seed ^ 0xD0C1_0000, n), incoming, start)?;
        let series = if incoming {
            Series::Incoming.key()
        } else {
            let ty = types
                .on(life.type_code, day)
                .map_err(|e| anyhow!("type {}: {e}", life.type_code))?;
            Series::outgoing(&ty.code, ty.series, life.secrecy).key()
        };
        let register = if incoming {
            life.registered
        } else {
            life.issued
        };
        plans.push(Plan {
            n,
            agency,
            incoming,
            start,
            register: register.filter(|t| *t <= w.as_of),
            series,
            number: 0,
        });
    }
    // Step 2: numbers in register order per agency, year and series.
    let mut order: Vec<usize> = (0..plans.len())
        .filter(|i| plans[*i].register.is_some())
        .collect();
    order.sort_by_key(|i| (plans[*i].register, plans[*i].n));
    let mut last: HashMap<(usize, i32, String), u32> = HashMap::new();
    for i in order {
        let p = &plans[i];
        let Some(at) = p.register else { continue };
        let key = (p.agency, to_local(at).date().year(), p.series.clone());
        let next = last.entry(key).or_insert(0);
        *next += 1;
        plans[i].number = *next;
    }
    plans.sort_by_key(|p| (p.start, p.n));
    Ok(plans)
}

/// The counters after the plan: (agency id, year, series, last number).
pub fn counters(w: &DocWorld<'_>, plans: &[Plan]) -> Vec<(String, i64, String, i64)> {
    let mut last: HashMap<(usize, i32, String), u32> = HashMap::new();
    for p in plans {
        if let Some(at) = p.register {
            let k = (p.agency, to_local(at).date().year(), p.series.clone());
            let e = last.entry(k).or_insert(0);
            *e = (*e).max(p.number);
        }
    }
    let mut out: Vec<(String, i64, String, i64)> = last
        .into_iter()
        .filter_map(|((a, y, s), n)| {
            w.agencies
                .get(a)
                .map(|ag| (ag.id.to_string(), i64::from(y), s, i64::from(n)))
        })
        .collect();
    out.sort();
    out
}

/// The drawn course of a document: its fields and the instants of its steps (any may be
/// after the end of the year, then it does not happen).
struct Life {
    type_code: &'static str,
    urgency: Urgency,
    secrecy: Secrecy,
    electronic: bool,
    refused: Option<DateTime<Utc>>,
    registered: Option<DateTime<Utc>>,
    assigned: Option<DateTime<Utc>>,
    started: Option<DateTime<Utc>>,
    completed: Option<DateTime<Utc>>,
    review: Option<DateTime<Utc>>,
    sent_back: Option<DateTime<Utc>>,
    resubmitted: Option<DateTime<Utc>>,
    to_signature: Option<DateTime<Utc>>,
    signed: Option<DateTime<Utc>>,
    issued: Option<DateTime<Utc>>,
}

const IN_TYPES: &[(&str, f64)] = &[
    ("cong_van", 52.0),
    ("quyet_dinh", 10.0),
    ("ke_hoach", 8.0),
    ("bao_cao", 6.0),
    ("thong_bao", 7.0),
    ("giay_moi", 9.0),
    ("to_trinh", 3.0),
    ("huong_dan", 3.0),
    ("chi_thi", 1.0),
    ("nghi_quyet", 1.0),
];
const OUT_TYPES: &[(&str, f64)] = &[
    ("cong_van", 48.0),
    ("quyet_dinh", 16.0),
    ("ke_hoach", 7.0),
    ("bao_cao", 9.0),
    ("thong_bao", 6.0),
    ("giay_moi", 8.0),
    ("to_trinh", 4.0),
    ("huong_dan", 2.0),
];

impl Life {
    fn draw(w: &DocWorld<'_>, r: &mut Rng, incoming: bool, start: DateTime<Utc>) -> Result<Life> {
        let table = if incoming { IN_TYPES } else { OUT_TYPES };
        let cum = cumulative(table.iter().map(|(_, x)| *x));
        let type_code = table[r.weighted(&cum)].0;
        let urgency = match r.below(100) {
            0..=84 => Urgency::Normal,
            85..=95 => Urgency::Urgent,
            96..=98 => Urgency::VeryUrgent,
            _ => Urgency::Flash,
        };
        let secrecy = match r.below(1000) {
            0..=979 => Secrecy::None,
            980..=994 => Secrecy::Confidential,
            995..=998 => Secrecy::Secret,
            _ => Secrecy::TopSecret,
        };
        let mut l = Life {
            type_code,
            urgency,
            secrecy,
            electronic: !secrecy.is_secret() && r.chance(0.78),
            refused: None,
            registered: None,
            assigned: None,
            started: None,
            completed: None,
            review: None,
            sent_back: None,
            resubmitted: None,
            to_signature: None,
            signed: None,
            issued: None,
        };
        if incoming {
            if l.electronic && r.chance(0.015) {
                l.refused = Some(w.after_working_days(start, 0, r)?);
                return Ok(l);
            }
            let reg = if l.electronic {
                let d = if r.chance(0.7) {
                    0
                } else {
                    r.range(1, 2) as u32
                };
                w.after_working_days(start, d, r)?
            } else {
                start
            };
            l.registered = Some(reg);
            // Giấy mời, báo cáo and thông báo are mostly for information: no assignment.
            let handled = !matches!(type_code, "giay_moi" | "thong_bao") || r.chance(0.3);
            if handled {
                let assigned = w.after_working_days(reg, r.below(2) as u32, r)?;
                let started = w.after_working_days(assigned, r.below(2) as u32, r)?;
                l.assigned = Some(assigned);
                l.started = Some(started);
                // 5 % are never completed; ~10 % late; the rest within the handling time.
                if !r.chance(0.05) {
                    let days = if r.chance(0.1) {
                        HANDLING_DAYS + r.range(1, 10) as u32
                    } else {
                        r.below(u64::from(HANDLING_DAYS - 1)) as u32
                    };
                    l.completed = Some(w.after_working_days(started, days, r)?);
                }
            }
        } else {
            let review = w.after_working_days(start, r.below(2) as u32, r)?;
            l.review = Some(review);
            let mut next = review;
            if r.chance(0.04) {
                let back = w.after_working_days(review, 1, r)?;
                l.sent_back = Some(back);
                next = w.after_working_days(back, 0, r)?;
                l.resubmitted = Some(next);
            }
            let to_sig = w.after_working_days(next, r.below(2) as u32, r)?;
            let signed = w.after_working_days(to_sig, r.below(2) as u32, r)?;
            l.to_signature = Some(to_sig);
            l.signed = Some(signed);
            l.issued = Some(signed + Duration::minutes(r.range(15, 240) as i64));
        }
        Ok(l)
    }
}

pub const TASKS: &[&str] = &[
    "triển khai công tác phòng, chống dịch bệnh",
    "đẩy mạnh cải cách hành chính",
    "thực hiện chuyển đổi số",
    "xây dựng nông thôn mới",
    "bảo đảm công tác phòng cháy, chữa cháy",
    "bảo vệ môi trường và xử lý chất thải rắn",
    "tăng cường quản lý đất đai",
    "bảo đảm trật tự an toàn giao thông",
    "thu ngân sách nhà nước",
    "đẩy nhanh giải ngân vốn đầu tư công",
    "tuyển sinh đầu cấp",
    "tiêm chủng mở rộng",
    "phòng, chống thiên tai và tìm kiếm cứu nạn",
    "hỗ trợ hộ nghèo, hộ cận nghèo",
    "cấp giấy chứng nhận quyền sử dụng đất",
    "kiểm tra công tác văn thư, lưu trữ",
    "tổ chức các hoạt động mừng Đảng, mừng Xuân",
    "quản lý chất lượng hàng hóa trên thị trường",
    "chăm sóc sức khỏe người cao tuổi",
    "phát triển du lịch núi Bà Đen",
    "phòng, chống buôn lậu qua biên giới",
    "thực hiện chính sách đối với người có công",
    "sắp xếp đơn vị hành chính cấp xã",
    "kiện toàn Ban Chỉ đạo",
    "đánh giá, xếp loại công chức, viên chức",
    "tiếp công dân và giải quyết khiếu nại, tố cáo",
    "phòng, chống hạn hán, xâm nhập mặn",
    "quản lý hoạt động khai thác khoáng sản",
    "cung cấp dịch vụ công trực tuyến",
    "bảo đảm an toàn thông tin mạng",
];
const PLACES: &[&str] = &[
    "trên địa bàn tỉnh",
    "trên địa bàn thành phố Tây Ninh",
    "trên địa bàn huyện Tân Biên",
    "trên địa bàn huyện Châu Thành",
    "trên địa bàn huyện Dương Minh Châu",
    "trên địa bàn thị xã Hòa Thành",
    "trên địa bàn thị xã Trảng Bàng",
    "trên địa bàn huyện Gò Dầu",
    "trên địa bàn huyện Bến Cầu",
    "trên địa bàn huyện Tân Châu",
    "khu vực biên giới",
];
const WHEN: &[&str] = &[
    "năm 2025",
    "quý I năm 2025",
    "quý II năm 2025",
    "6 tháng đầu năm 2025",
    "giai đoạn 2021–2025",
    "giai đoạn 2026–2030",
    "tháng cao điểm",
];
/// Ministries and provincial bodies outside the agency tree (name, abbreviation).
pub const OUTSIDE: &[(&str, &str)] = &[
    ("Văn phòng Chính phủ", "VPCP"),
    ("Bộ Nội vụ", "BNV"),
    ("Bộ Tài chính", "BTC"),
    ("Bộ Y tế", "BYT"),
    ("Bộ Giáo dục và Đào tạo", "BGDĐT"),
    ("Bộ Nông nghiệp và Môi trường", "BNNMT"),
    ("Bộ Khoa học và Công nghệ", "BKHCN"),
    ("Bộ Công an", "BCA"),
    ("Tỉnh ủy Tây Ninh", "TU"),
    ("Hội đồng nhân dân tỉnh Tây Ninh", "HĐND"),
    ("Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh Tây Ninh", "MTTQ"),
];
const SIGNERS: &[&str] = &[
    "Nguyễn Thanh Ngọc",
    "Trần Văn Chiến",
    "Nguyễn Mạnh Hùng",
    "Dương Văn Thắng",
    "Võ Đức Trong",
    "Phạm Thị Ngọc Hạnh",
    "Lê Hồng Phúc",
    "Huỳnh Thanh Tú",
];

/// The subject of a generated document of a type (also what `doc-register` registers, so
/// that a benchmark's own registrations look like the year around them).
pub fn subject(type_code: &str, r: &mut Rng) -> String {
    let task = *r.pick(TASKS);
    let place = *r.pick(PLACES);
    let when = *r.pick(WHEN);
    match type_code {
        "cong_van" => format!("V/v {task} {place}"),
        "quyet_dinh" => format!("Về việc phê duyệt kế hoạch {task} {when}"),
        "ke_hoach" => format!("Kế hoạch {task} {place} {when}"),
        "bao_cao" => format!("Báo cáo kết quả {task} {when}"),
        "thong_bao" => format!("Thông báo kết luận về {task}"),
        "giay_moi" => format!("Mời dự họp về {task}"),
        "to_trinh" => format!("Đề nghị phê duyệt kinh phí {task} {when}"),
        "huong_dan" => format!("Hướng dẫn {task} {when}"),
        "chi_thi" => format!("Về {task} {when}"),
        _ => format!("Về việc {task}"),
    }
}

fn doc_id(at: DateTime<Utc>, r: &mut Rng) -> DocumentId {
    let b = r.bytes16();
    let mut a = [0u8; 10];
    a.copy_from_slice(&b[..10]);
    DocumentId(
        uuid::Builder::from_unix_timestamp_millis(
            u64::try_from(at.timestamp_millis()).unwrap_or(0),
            &a,
        )
        .into_uuid(),
    )
}

/// Counts by state, for the summary.
#[derive(Debug, Default, Clone)]
pub struct DocTally {
    pub documents: u64,
    pub events: u64,
    pub terms: u64,
    pub by_state: std::collections::BTreeMap<&'static str, u64>,
}

/// Step 3: one document's whole history through the domain.
pub fn play(w: &DocWorld<'_>, p: &Plan, tally: &mut DocTally) -> Result<BulkDocument> {
    let types = document_types().map_err(|e| anyhow!("{e}"))?;
    let mut r = Rng::new(w.seed ^ 0xD0C1_0000, p.n);
    let life = Life::draw(w, &mut r, p.incoming, p.start)?;
    let mut r = Rng::new(w.seed ^ 0xD0C2_0000, p.n);
    let ag = w
        .agencies
        .get(p.agency)
        .ok_or_else(|| anyhow!("agency {}", p.agency))?;
    let staff = if Some(p.agency) == w.province {
        w.actors
    } else {
        DocActors::default()
    };
    let day = to_local(p.start).date();
    let ty = types
        .on(life.type_code, day)
        .map_err(|e| anyhow!("type {}: {e}", life.type_code))?;
    let fields = DocumentFields {
        type_code: ty.code.clone(),
        type_name: ty.name.clone(),
        subject: subject(life.type_code, &mut r),
        signer: Some(SignerInfo {
            competence: Some("KT. CHỦ TỊCH".into()),
            position: Some("PHÓ CHỦ TỊCH".into()),
            full_name: (*r.pick(SIGNERS)).to_string(),
        }),
        urgency: life.urgency,
        secrecy: life.secrecy,
    };
    let id = doc_id(p.start, &mut r);
    let happens = |t: Option<DateTime<Utc>>| t.filter(|t| *t <= w.as_of);
    let mut events = Vec::new();
    let mut updated = p.start;
    let mut edxml = None;
    let mut sent_electronic = false;
    let doc = if p.incoming {
        // The sender: another agency of the province (with its identifier) or outside.
        let (sender, issuer) = if r.chance(0.6) {
            let other = &w.agencies[r.weighted(&w.cumulative)];
            (
                Sender {
                    name: other.name.clone(),
                    identifier: Some(other.identifier.clone()),
                },
                other.issuer.clone(),
            )
        } else {
            let (name, abbr) = *r.pick(OUTSIDE);
            (
                Sender {
                    name: name.to_string(),
                    identifier: None,
                },
                abbr.to_string(),
            )
        };
        let sender_date = day - Duration::days(r.range(0, 4) as i64);
        let sender_number = format!(
            "{:02}/{}",
            r.range(1, 3000),
            notation(ty.abbreviation.as_deref(), &issuer, None)
        );
        let data = IncomingData {
            channel: if life.electronic {
                InChannel::Electronic
            } else {
                InChannel::Paper
            },
            sender,
            sender_number: Some(sender_number),
            sender_date: Some(sender_date),
            arrived_at: p.start,
            arrival: None,
            handling_due: None,
            handling: None,
            reply: None,
            done_at: None,
            refusal: None,
            request: None,
            withdrawal: None,
            replaces: None,
        };
        let actor = if life.electronic { None } else { staff.clerk };
        let (mut doc, ev) = Document::arrived(fields, data, actor)?;
        events.push(ev);
        if let Some(t) = happens(life.refused) {
            events.push(doc.apply(
                t,
                staff.clerk,
                Command::Refuse {
                    reason: "Văn bản gửi nhầm nơi nhận".into(),
                },
            )?);
            updated = t;
        }
        if let (Some(t), true) = (p.register, p.number > 0) {
            let reg_day = to_local(t).date();
            let n = if life.urgency.is_urgent() {
                0
            } else {
                HANDLING_DAYS
            };
            let due = w
                .calendar
                .add_working_days(reg_day, n)
                .map_err(|e| anyhow!("calendar: {e}"))?;
            events.push(doc.apply(
                t,
                staff.clerk,
                Command::Register {
                    arrival: Arrival {
                        number: p.number,
                        year: reg_day.year(),
                        date: reg_day,
                    },
                    handling_due: due,
                },
            )?);
            updated = t;
            if let Some(t) = happens(life.assigned) {
                events.push(doc.apply(
                    t,
                    staff.leader,
                    Command::Assign {
                        handling: Handling {
                            lead_unit: Some(ag.id),
                            lead_person: staff.specialist,
                            coordinators: vec![],
                            due,
                            opinion: Some("Giao chuyên viên nghiên cứu, tham mưu".into()),
                            assigned_by: staff.leader,
                        },
                    },
                )?);
                updated = t;
            }
            if let Some(t) = happens(life.started) {
                events.push(doc.apply(t, staff.specialist, Command::Start)?);
                updated = t;
            }
            if let Some(t) = happens(life.completed) {
                events.push(doc.apply(
                    t,
                    staff.specialist,
                    Command::Complete {
                        reply: None,
                        note: Some("Đã xử lý, lưu hồ sơ".into()),
                    },
                )?);
                updated = t;
            }
        }
        doc
    } else {
        let k = r.range(1, 4) as usize;
        let mut recipients = Vec::with_capacity(k);
        for _ in 0..k {
            let other = &w.agencies[r.weighted(&w.cumulative)];
            if other.id == ag.id
                || recipients
                    .iter()
                    .any(|x: &Recipient| x.agency_id == Some(other.id))
            {
                continue;
            }
            recipients.push(Recipient {
                agency_id: Some(other.id),
                identifier: Some(other.identifier.clone()),
                name: other.name.clone(),
                tier: Some(other.tier),
            });
        }
        if r.chance(0.15) {
            recipients.push(Recipient {
                agency_id: None,
                identifier: None,
                name: "Lưu: VT".into(),
                tier: None,
            });
        }
        let data = OutgoingData {
            drafting_unit: Some("VP".into()),
            recipients,
            ..OutgoingData::default()
        };
        let (mut doc, ev) = Document::draft(fields, data, p.start, staff.specialist)?;
        events.push(ev);
        if let Some(t) = happens(life.review) {
            events.push(doc.apply(t, staff.specialist, Command::SubmitForReview)?);
            updated = t;
            if let Some(t) = happens(life.sent_back) {
                events.push(doc.apply(
                    t,
                    staff.leader,
                    Command::SendBack {
                        reason: "Đề nghị bổ sung căn cứ pháp lý".into(),
                    },
                )?);
                updated = t;
                if let Some(t) = happens(life.resubmitted) {
                    events.push(doc.apply(t, staff.specialist, Command::SubmitForReview)?);
                    updated = t;
                }
            }
        }
        // Every step follows the one before in time, so a step that happens finds its
        // predecessors done (the domain refuses it otherwise, and the generation stops).
        if let Some(t) = happens(life.to_signature) {
            events.push(doc.apply(t, staff.specialist, Command::SubmitForSignature)?);
            updated = t;
            if let Some(t) = happens(life.signed) {
                events.push(doc.apply(t, staff.leader, Command::Sign)?);
                updated = t;
                if let (Some(t), true) = (p.register, p.number > 0) {
                    let d = to_local(t).date();
                    let series = Series::outgoing(&ty.code, ty.series, life.secrecy);
                    let note = notation(ty.abbreviation.as_deref(), &ag.issuer, Some("VP"));
                    let number = IssuedNumber::new(p.number, d, &series, note)?;
                    if !life.secrecy.is_secret() {
                        edxml = Some(edxml_document_id(&ag.identifier, &number));
                    }
                    events.push(doc.apply(t, staff.clerk, Command::Issue { number })?);
                    updated = t;
                    sent_electronic = !life.secrecy.is_secret()
                        && doc
                            .outgoing
                            .as_ref()
                            .is_some_and(|o| o.recipients.iter().any(|x| x.electronic()));
                }
            }
        }
        doc
    };
    *tally.by_state.entry(doc.state.as_str()).or_insert(0) += 1;
    tally.documents += 1;
    tally.events += events.len() as u64;
    let terms = search_terms(&doc, &[]);
    tally.terms += terms.len() as u64;
    let registered_at_us = p.register.map(|t| t.timestamp_micros());
    let version = events.len() as i64;
    Ok(BulkDocument {
        write: DocumentWrite {
            record: DocumentRecord {
                id,
                agency_id: ag.id,
                agency_path: ag.path.clone(),
                agency_tier: ag.tier,
                doc,
                edxml_document_id: edxml,
                source_document_id: None,
                sent_electronic,
                created_by: staff.clerk,
                version,
                created_at_us: p.start.timestamp_micros(),
                updated_at_us: updated.timestamp_micros(),
            },
            events,
            files: vec![],
            terms,
            outbox: vec![],
        },
        registered_at_us,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use crate::generate::{GenerateArgs, run};
    use cqdt_app::documents::{Book, PaperIncoming, RegisterQuery};
    use cqdt_app::ports::FakeClock;
    use cqdt_app::{App, AppConfig, Ctx};
    use cqdt_domain::document::{Direction, DocState, Secrecy, Urgency};
    use cqdt_store::testing::TestDb;
    use std::collections::BTreeMap;
    use std::sync::Arc;

    /// A small generated year on both databases, read back through the app: every register's
    /// numbers run 1..=n without a gap, every stored aggregate decodes and keeps the domain's
    /// invariants, search and the overdue list find generated documents, and the next paper
    /// registration continues the generated series.
    #[test]
    fn generated_documents_read_back_through_the_app() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let dbs = rt.block_on(TestDb::all("doc_gen")).unwrap();
        for db in dbs {
            let mut args = GenerateArgs {
                database: None,
                database_url: Some(db.url.clone()),
                dossiers: 0,
                seed: 11,
                year: 2025,
                citizen_every: 0,
                threads: Some(2),
                batch: 500,
                documents: 3_000,
            };
            if db.backend == "sqlite" {
                args.database = db.url.strip_prefix("sqlite://").map(Into::into);
                args.database_url = None;
            }
            let summary = run(&args, true).unwrap();
            assert_eq!(summary.documents, 3_000, "{}", db.backend);
            rt.block_on(check(&db))
                .unwrap_or_else(|e| panic!("{}: {e:#}", db.backend));
            rt.block_on(db.cleanup());
        }
    }

    async fn check(db: &TestDb) -> anyhow::Result<()> {
        let mut app = App::new(db.store.clone(), AppConfig::default());
        // 31 December 2025, 15:00 in Vietnam.
        app.clock = Arc::new(FakeClock::new(1_767_168_000_000_000));
        let ctx = Ctx::cli();
        let agencies = app.store.agencies_all().await?;
        let province = agencies
            .iter()
            .find(|a| a.fields.identifier.to_string() == "000.00.00.H53")
            .expect("UBND tỉnh");
        let mut seen = 0usize;
        let mut incoming_registered = 0usize;
        let mut issued = 0usize;
        for a in &agencies {
            for book in [Book::Incoming, Book::Outgoing] {
                let mut rows = Vec::new();
                loop {
                    let page = app
                        .document_register(
                            &ctx,
                            &RegisterQuery {
                                agency_id: a.id,
                                book,
                                year: 2025,
                                limit: Some(500),
                                offset: Some(rows.len() as i64),
                            },
                        )
                        .await?;
                    let n = page.items.len();
                    rows.extend(page.items);
                    if n == 0 || rows.len() as i64 >= page.total {
                        break;
                    }
                }
                // Series → numbers, from the stored aggregates.
                let mut series: BTreeMap<String, Vec<u32>> = BTreeMap::new();
                for r in &rows {
                    let rec = app.store.document_get(r.id).await?.expect("stored");
                    rec.doc
                        .check_invariants()
                        .map_err(|e| anyhow::anyhow!("{}: {e}", r.id))?;
                    let events = app.store.document_events(r.id).await?;
                    assert_eq!(events.len() as i64, rec.version, "one save per event");
                    assert_eq!(events.last().map(|(_, e)| e.state), Some(rec.doc.state));
                    match book {
                        Book::Incoming => {
                            let arr = rec.doc.incoming.as_ref().and_then(|i| i.arrival.clone());
                            let arr = arr.expect("registered");
                            assert_eq!(Some(arr.number), r.arrival_number);
                            series.entry("den".into()).or_default().push(arr.number);
                            incoming_registered += 1;
                        }
                        Book::Outgoing => {
                            let o = rec.doc.outgoing.as_ref().expect("outgoing");
                            let n = o.number.clone().expect("issued");
                            assert_eq!(rec.doc.state, DocState::Issued);
                            assert!(o.signer_signed && o.agency_signed);
                            assert_eq!(Some(n.full.clone()), r.number);
                            series.entry(n.series.clone()).or_default().push(n.number);
                            issued += 1;
                        }
                        Book::Handling => {}
                    }
                }
                for (s, mut nums) in series {
                    nums.sort_unstable();
                    let want: Vec<u32> = (1..=nums.len() as u32).collect();
                    assert_eq!(nums, want, "{} {s}: numbers without gaps", a.fields.name);
                }
                seen += rows.len();
            }
        }
        assert!(
            incoming_registered > 1_500,
            "{incoming_registered} registered"
        );
        assert!(issued > 800, "{issued} issued");
        assert!(seen <= 3_000);

        // Search without diacritics finds generated subjects, all with the words.
        let found = app
            .documents_search(&ctx, province.id, "cai cach hanh chinh", Some(200))
            .await?;
        assert!(!found.is_empty(), "search found nothing");
        for r in &found {
            let s = cqdt_domain::text::fold(&r.doc.fields.subject);
            assert!(s.contains("cai cach hanh chinh"), "{s}");
        }
        // Some were never completed: overdue at the end of the year.
        let overdue = app
            .documents_overdue(&ctx, province.id, Some(10), None)
            .await?;
        assert!(overdue.total > 0, "no overdue documents");
        for r in &overdue.items {
            assert_eq!(r.doc.direction, Direction::Incoming);
            assert!(r.doc.state.is_open_handling());
        }

        // The next registration continues UBND tỉnh's arrival series.
        let page = app
            .document_register(
                &ctx,
                &RegisterQuery {
                    agency_id: province.id,
                    book: Book::Incoming,
                    year: 2025,
                    limit: Some(1),
                    offset: Some(0),
                },
            )
            .await?;
        let total = page.total;
        let rec = app
            .document_register_paper(
                &ctx,
                PaperIncoming {
                    agency_id: province.id,
                    type_code: "cong_van".into(),
                    subject: "Về việc kiểm tra số đến sau khi sinh dữ liệu".into(),
                    sender_name: "Bộ Nội vụ".into(),
                    sender_identifier: None,
                    sender_number: Some("12/BNV-VP".into()),
                    sender_date: None,
                    signer: None,
                    urgency: Urgency::Normal,
                    secrecy: Secrecy::None,
                    handling_days: None,
                    scans: vec![],
                },
            )
            .await?;
        let arrival = rec
            .doc
            .incoming
            .and_then(|i| i.arrival)
            .expect("registered");
        assert_eq!(i64::from(arrival.number), total + 1);
        Ok(())
    }
}
