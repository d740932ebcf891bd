//! What the generator draws from: the procedures in effect and the agencies that offer them
//! (read back from the database after the demo seed), with yearly volumes per procedure, and
//! the plan of the year — which dossier enters where, when and by which channel — with the
//! dossier codes' day counters.

use super::life::Header;
use super::rng::{Rng, cumulative};
use anyhow::{Context, Result, bail};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use cqdt_app::App;
use cqdt_app::store::path_string;
use cqdt_domain::agency::{AgencyIdentifier, AgencyKind};
use cqdt_domain::calendar::{WorkingCalendar, from_local};
use cqdt_domain::dossier::{Channel, DossierCode};
use cqdt_domain::ids::AgencyId;
use cqdt_domain::procedure::{Procedure, ProcedureTerms};
use std::collections::HashMap;
use std::sync::Arc;

pub struct Ag {
    pub id: Arc<str>,
    pub identifier: AgencyIdentifier,
    pub path: Arc<str>,
    /// Where its applicants live: the commune's name (for a district or department, a commune
    /// under it or anywhere in the province is drawn instead).
    pub place: String,
    pub district: Option<String>,
    pub kind: AgencyKind,
}

pub struct Proc {
    pub id: Arc<str>,
    pub procedure: Procedure,
    pub terms: ProcedureTerms,
    pub terms_json: Arc<str>,
    pub national_code: Arc<str>,
    pub field: Arc<str>,
    /// Indices into `Catalogue::agencies`.
    pub agencies: Vec<u16>,
    /// Relative yearly volume (dossiers per implementing agency).
    pub weight: f64,
    pub online: bool,
    pub online_result: bool,
    /// Land and construction: financial obligations (taxes, land-use fees) are common.
    pub land: bool,
}

pub struct Catalogue {
    pub procs: Vec<Proc>,
    pub agencies: Vec<Ag>,
    /// Agencies a processing unit consults (the departments).
    pub consult: Vec<AgencyId>,
    /// Per agency: the communes its applicants live in (itself for a commune, the district's
    /// communes for a district, every commune for the province and its departments).
    pub residents: Vec<Vec<u16>>,
    pub citizen_id: Option<Arc<str>>,
    pub citizen_name: String,
    pub citizen_id_number: String,
    /// Cumulative volume weights over (procedure, agency) pairs.
    pairs: Vec<(u16, u16)>,
    pair_cum: Vec<f64>,
}

/// Yearly volume of a procedure per implementing agency, relative: certified copies dominate a
/// commune's work, then civil status; land and business registration at the districts.
fn volume(national_code: &str, level: &str) -> f64 {
    match national_code {
        "2.000815" => 30.0, // chứng thực bản sao từ bản chính
        "2.000884" => 6.0,  // chứng thực chữ ký
        "2.001035" => 3.0,  // chứng thực hợp đồng, giao dịch
        "1.001193" => 8.0,  // đăng ký khai sinh
        "1.004873" => 5.0,  // xác nhận tình trạng hôn nhân
        "2.000635" => 4.0,  // cấp bản sao trích lục hộ tịch
        "1.000894" => 3.0,  // đăng ký kết hôn
        "1.000656" => 2.5,  // đăng ký khai tử
        "1.013978" => 40.0, // đăng ký đất đai lần đầu (district)
        "1.001612" => 25.0, // đăng ký hộ kinh doanh (district)
        "1.013225" => 20.0, // giấy phép xây dựng (district)
        "2.000720" => 12.0, // thay đổi hộ kinh doanh
        "2.001610" => 60.0, // đăng ký doanh nghiệp (province)
        _ => match level {
            "commune" => 1.0,
            "district" => 6.0,
            _ => 25.0,
        },
    }
}

impl Catalogue {
    pub async fn load(app: &App) -> Result<Catalogue> {
        let agencies = app.store.agencies_all().await?;
        let by_id: HashMap<AgencyId, &cqdt_domain::agency::Agency> =
            agencies.iter().map(|a| (a.id, a)).collect();
        let strip = |s: &str| s.strip_prefix("UBND ").unwrap_or(s).to_string();
        let mut ags = Vec::new();
        let mut index: HashMap<AgencyId, u16> = HashMap::new();
        for a in &agencies {
            let short = a.fields.short_name.clone().unwrap_or(a.fields.name.clone());
            let district = a
                .parent_id
                .and_then(|p| by_id.get(&p))
                .filter(|p| p.fields.kind == AgencyKind::DistrictCommittee)
                .map(|p| strip(p.fields.short_name.as_deref().unwrap_or(&p.fields.name)));
            index.insert(a.id, u16::try_from(ags.len()).context("too many agencies")?);
            ags.push(Ag {
                id: a.id.to_string().into(),
                identifier: a.fields.identifier.clone(),
                path: path_string(&a.path).into(),
                place: strip(&short),
                district,
                kind: a.fields.kind,
            });
        }
        let communes: Vec<u16> = (0..ags.len())
            .filter(|&i| ags[i].kind == AgencyKind::CommuneCommittee)
            .filter_map(|i| u16::try_from(i).ok())
            .collect();
        let residents = agencies
            .iter()
            .enumerate()
            .map(|(i, a)| match a.fields.kind {
                AgencyKind::CommuneCommittee => vec![u16::try_from(i).unwrap_or(0)],
                AgencyKind::DistrictCommittee => communes
                    .iter()
                    .copied()
                    .filter(|&c| agencies[usize::from(c)].parent_id == Some(a.id))
                    .collect(),
                _ => communes.clone(),
            })
            .map(|v: Vec<u16>| if v.is_empty() { communes.clone() } else { v })
            .collect();
        let consult = agencies
            .iter()
            .filter(|a| a.fields.kind == AgencyKind::Department)
            .map(|a| a.id)
            .collect();
        let mut procs = Vec::new();
        for rec in app.store.procedures_current().await? {
            let p = rec.procedure;
            let terms = p.terms();
            let code = p.national_code.as_str().to_string();
            let folded = cqdt_domain::text::fold(&format!("{} {}", p.name, p.field.name));
            let land = folded.contains("dat dai")
                || folded.contains("su dung dat")
                || folded.contains("xay dung");
            let agencies: Vec<u16> = p
                .agencies
                .iter()
                .filter_map(|a| index.get(a).copied())
                .collect();
            if agencies.is_empty() {
                continue;
            }
            procs.push(Proc {
                id: rec.id.to_string().into(),
                terms_json: serde_json::to_string(&terms)?.into(),
                national_code: code.clone().into(),
                field: terms.field.name.clone().into(),
                online: p.level.allows_online_submission(),
                online_result: p.level.allows_online_result(),
                weight: volume(&code, rec.level.as_str()),
                agencies,
                land,
                terms,
                procedure: p,
            });
        }
        if procs.is_empty() {
            bail!("no procedures in effect: was the demo catalogue loaded?");
        }
        let mut pairs = Vec::new();
        let mut weights = Vec::new();
        for (pi, p) in procs.iter().enumerate() {
            for &a in &p.agencies {
                pairs.push((u16::try_from(pi)?, a));
                weights.push(p.weight);
            }
        }
        let citizen = app
            .store
            .user_by_email(cqdt_app::demo::CITIZEN_LOGIN)
            .await?;
        Ok(Catalogue {
            procs,
            agencies: ags,
            consult,
            residents,
            citizen_id: citizen.as_ref().map(|u| u.id.to_string().into()),
            citizen_name: citizen
                .as_ref()
                .map_or("Ngô Thị Dân".to_string(), |u| u.full_name.clone()),
            citizen_id_number: citizen
                .and_then(|u| u.id_number)
                .unwrap_or("072190000001".to_string()),
            pair_cum: cumulative(weights),
            pairs,
        })
    }
}

/// The plan of the year: `n` dossiers with their procedure, receiving agency, channel and
/// instant, sorted by instant, each with its code's day counter; and the final counters per
/// (agency, local day).
pub struct Plan {
    pub headers: Vec<Header>,
    pub counters: Vec<(u16, NaiveDate, u32)>,
}

pub fn plan(
    cat: &Catalogue,
    cal: &WorkingCalendar,
    seed: u64,
    n: u32,
    year: i32,
    citizen_every: u32,
) -> Result<Plan> {
    let first = NaiveDate::from_ymd_opt(year, 1, 1).context("year")?;
    let last = NaiveDate::from_ymd_opt(year, 12, 31).context("year")?;
    let mut days = Vec::new();
    let (mut paper_w, mut online_w) = (Vec::new(), Vec::new());
    let mut d = first;
    while d <= last {
        let working = cal.is_working_day(d)?;
        // Busier before Tết and at the year's end, quieter around Tết.
        let season = match d.month() {
            1 => 1.15,
            2 => 0.8,
            12 => 1.1,
            _ => 1.0,
        };
        days.push(d);
        paper_w.push(if working { season } else { 0.0 });
        online_w.push(if working { season } else { 0.25 * season });
        d += Duration::days(1);
    }
    let paper_cum = cumulative(paper_w);
    let online_cum = cumulative(online_w);
    let mut headers = Vec::with_capacity(n as usize);
    for i in 0..n {
        let mut r = Rng::new(seed, u64::from(i));
        let citizen = cat.citizen_id.is_some() && citizen_every > 0 && i % citizen_every == 0;
        let (pi, ai) = cat.pairs[r.weighted(&cat.pair_cum)];
        let p = &cat.procs[usize::from(pi)];
        let channel = if citizen && p.online {
            Channel::Online
        } else if p.online {
            let x = r.unit();
            if x < 0.45 {
                Channel::Online
            } else if x < 0.95 {
                Channel::Direct
            } else {
                Channel::Post
            }
        } else if r.chance(0.93) {
            Channel::Direct
        } else {
            Channel::Post
        };
        let at = if channel == Channel::Online {
            let day = days[r.weighted(&online_cum)];
            // 06:00–23:59, most in office hours and the evening.
            let minute = if r.chance(0.7) {
                7 * 60 + r.below(10 * 60)
            } else {
                6 * 60 + r.below(18 * 60)
            };
            instant(day, minute * 60 + r.below(60))
        } else {
            let day = days[r.weighted(&paper_cum)];
            // Office hours, mornings busier: 07:30–11:30, 13:30–17:00.
            let minute = if r.chance(0.6) {
                7 * 60 + 30 + r.below(240)
            } else {
                13 * 60 + 30 + r.below(210)
            };
            instant(day, minute * 60 + r.below(60))
        };
        headers.push(Header {
            index: i,
            proc: pi,
            agency: ai,
            at,
            channel,
            citizen,
            seq: 0,
        });
    }
    headers.sort_by_key(|h| (h.at, h.index));
    let mut counters: HashMap<(u16, NaiveDate), u32> = HashMap::new();
    for h in &mut headers {
        let c = counters
            .entry((h.agency, DossierCode::local_date(h.at)))
            .or_default();
        *c += 1;
        h.seq = *c;
    }
    let mut counters: Vec<(u16, NaiveDate, u32)> =
        counters.into_iter().map(|((a, d), n)| (a, d, n)).collect();
    counters.sort();
    Ok(Plan { headers, counters })
}

fn instant(day: NaiveDate, seconds: u64) -> DateTime<Utc> {
    let t = NaiveTime::from_num_seconds_from_midnight_opt(seconds.min(86_399) as u32, 0)
        .unwrap_or(NaiveTime::MIN);
    from_local(day.and_time(t))
}
