//! The working calendar in effect, yearly notices edited by administrators, and deadlines.
//!
//! The calendar in effect is the bundled one (`WorkingCalendar::vietnam_default`: rules and the
//! notices compiled into the binary, 2000–2199) with the notices stored by administrators
//! applied on top: a stored notice replaces the bundled notice of its year (or the rules'
//! pre-fill when there is none). It is built once and cached in the [`App`]; an edit on this node
//! installs the new calendar at once, and every node rebuilds from the database at least every
//! [`RELOAD_AFTER_US`] so that edits made on another node are seen within a minute.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, RwLock};

use cqdt_domain::ErrorCode;
use cqdt_domain::calendar::holidays::NOTICE_FORMAT;
use cqdt_domain::calendar::working::DEFAULT_YEARS;
use cqdt_domain::calendar::{
    CalendarError, DayKind, DeadlineAnswer, DeadlineEngine, DeadlineQuery, Notice, NoticeDayOff,
    NoticeStatus, OffKind, RuleSet, WorkingCalendar, WorkingHours, YearView, bundled_notices,
};
use cqdt_domain::policy::{Action, Target};

use crate::error::{AppError, AppResult};
use crate::{App, Ctx};

/// How long a node trusts its cached calendar before reading the stored notices again (one
/// minute), so that an edit made through another node is seen everywhere within that time.
pub const RELOAD_AFTER_US: i64 = 60_000_000;

/// The form field (and API field) that carries a notice.
pub const NOTICE_FIELD: &str = "notice";

/// Maps an error of the calendar engine to the application's stable codes, keeping the engine's
/// own code and message as the detail.
pub fn calendar_error(e: CalendarError) -> AppError {
    let code = match &e {
        CalendarError::YearOutOfRange { .. } => ErrorCode::CalendarYearOutOfRange,
        CalendarError::InstantOutOfRange { .. } => ErrorCode::CalendarInstantOutOfRange,
        CalendarError::Parse { .. } | CalendarError::InvalidNotice { .. } => {
            ErrorCode::CalendarInvalidNotice
        }
        CalendarError::NoticeConflict { .. } => ErrorCode::CalendarNoticeConflict,
        CalendarError::InvalidWorkingHours { .. } => ErrorCode::CalendarInvalidWorkingHours,
        CalendarError::AllotmentMismatch { .. } | CalendarError::AllotmentUnitMismatch { .. } => {
            ErrorCode::CalendarAllotmentMismatch
        }
        CalendarError::InvalidPause { .. } => ErrorCode::CalendarInvalidPause,
        CalendarError::InvalidExtension { .. } => ErrorCode::CalendarInvalidExtension,
        CalendarError::NotAWorkingDay { .. } => ErrorCode::CalendarNotAWorkingDay,
        _ => ErrorCode::CalendarInvalid,
    };
    AppError::new(code).with_detail(format!("{}: {e}", e.code()))
}

/// The same, about the notice an administrator sent (the error belongs beside that field).
fn notice_error(e: CalendarError) -> AppError {
    AppError {
        field: Some(NOTICE_FIELD.into()),
        ..calendar_error(e)
    }
}

/// The calendar in effect, with what pages need to know about where each year comes from.
pub struct EffectiveCalendar {
    /// The calendar: bundled rules and notices plus the stored notices.
    pub calendar: WorkingCalendar,
    /// Years whose notice was stored by an administrator (rather than bundled).
    pub stored_years: BTreeSet<i32>,
    /// When the stored notices were read (app clock).
    loaded_at_us: i64,
    /// Year views already computed for this calendar (at most one per year of the range).
    views: Mutex<HashMap<i32, Arc<YearView>>>,
}

impl EffectiveCalendar {
    fn new(calendar: WorkingCalendar, stored_years: BTreeSet<i32>, loaded_at_us: i64) -> Self {
        EffectiveCalendar {
            calendar,
            stored_years,
            loaded_at_us,
            views: Mutex::new(HashMap::new()),
        }
    }

    /// The view of one year (computed once per calendar version).
    pub fn year_view(&self, year: i32) -> AppResult<Arc<YearView>> {
        if let Some(v) = self.views.lock().ok().and_then(|m| m.get(&year).cloned()) {
            return Ok(v);
        }
        let view = Arc::new(self.calendar.year(year).map_err(calendar_error)?);
        if let Ok(mut m) = self.views.lock() {
            m.insert(year, view.clone());
        }
        Ok(view)
    }
}

/// The cache of the calendar in effect, kept in the [`App`].
#[derive(Default)]
pub struct CalendarCache {
    current: RwLock<Option<Arc<EffectiveCalendar>>>,
    /// Held while the calendar is rebuilt or edited on this node: one rebuild at a time.
    loading: tokio::sync::Mutex<()>,
}

impl CalendarCache {
    /// The cached calendar, if it was read less than [`RELOAD_AFTER_US`] ago.
    fn fresh(&self, now_us: i64) -> Option<Arc<EffectiveCalendar>> {
        let guard = self.current.read().ok()?;
        guard
            .as_ref()
            .filter(|c| (0..RELOAD_AFTER_US).contains(&(now_us - c.loaded_at_us)))
            .cloned()
    }

    fn install(&self, c: Arc<EffectiveCalendar>) {
        if let Ok(mut g) = self.current.write() {
            *g = Some(c);
        }
    }

    /// Forget the cached calendar: the next use reads the stored notices again.
    pub fn invalidate(&self) {
        if let Ok(mut g) = self.current.write() {
            *g = None;
        }
    }
}

/// The bundled rules and notices with the stored notices applied. A stored notice that cannot
/// be read, or that contradicts the others, is left out (and logged) rather than taking the
/// whole calendar down: the administrator sees its year as bundled and can upload it again.
pub fn build_effective(
    stored: &[(i32, String)],
) -> Result<(WorkingCalendar, BTreeSet<i32>), CalendarError> {
    let rules = RuleSet::bundled()?;
    let bundled: BTreeMap<i32, Notice> = bundled_notices()?
        .into_iter()
        .map(|n| (n.year, n))
        .collect();
    let mut mine: Vec<Notice> = Vec::new();
    for (year, body) in stored {
        match Notice::parse(body) {
            Ok(n) if n.year == *year && DEFAULT_YEARS.contains(year) => mine.push(n),
            Ok(n) => tracing::error!(
                year,
                notice_year = n.year,
                "stored calendar notice is for another year or out of range; ignored"
            ),
            Err(e) => {
                tracing::error!(year, error = %e, "stored calendar notice is not valid; ignored")
            }
        }
    }
    let mut all = bundled.clone();
    for n in &mine {
        all.insert(n.year, n.clone());
    }
    match WorkingCalendar::new(rules.clone(), all.into_values().collect(), DEFAULT_YEARS) {
        Ok(c) => return Ok((c, mine.iter().map(|n| n.year).collect())),
        Err(e) => {
            tracing::error!(error = %e, "stored calendar notices conflict; applying those that fit")
        }
    }
    let mut calendar = WorkingCalendar::new(rules, bundled.into_values().collect(), DEFAULT_YEARS)?;
    let mut years = BTreeSet::new();
    for n in mine {
        let year = n.year;
        match calendar.with_notice(n) {
            Ok(c) => {
                calendar = c;
                years.insert(year);
            }
            Err(e) => tracing::error!(year, error = %e, "stored calendar notice ignored"),
        }
    }
    Ok((calendar, years))
}

/// Runs CPU-heavy calendar work (a rebuild takes about 10 ms) off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, CalendarError> + Send + 'static,
) -> AppResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AppError::internal(format!("calendar task failed: {e}")))?
        .map_err(calendar_error)
}

/// A year of the calendar in effect, for the API and the page.
#[derive(Debug, Clone)]
pub struct CalendarYear {
    /// Holidays, swaps and every day of the year.
    pub view: Arc<YearView>,
    /// Whether the year's notice was stored by an administrator (and so can be removed).
    pub stored: bool,
}

/// A draft notice from the rules' pre-fill of a year, for an administrator to complete (the legal
/// reference is left empty on purpose: a notice without one is refused).
pub fn draft_notice(year: i32) -> Result<Notice, CalendarError> {
    let days_off = RuleSet::bundled()?
        .prefill(year)?
        .into_iter()
        .filter_map(|e| {
            let kind = match e.kind {
                DayKind::Holiday => OffKind::Holiday,
                DayKind::Compensatory => OffKind::Compensatory,
                DayKind::SwappedOff => OffKind::Swapped,
                _ => return None,
            };
            Some(NoticeDayOff {
                date: e.date,
                kind,
                name: e.name,
            })
        })
        .collect();
    Ok(Notice {
        format: NOTICE_FORMAT.into(),
        year,
        version: format!("{year}.1"),
        legal_reference: String::new(),
        issued_by: None,
        status: NoticeStatus::Reconstructed,
        sources: vec![],
        notes: None,
        days_off,
        working_days: vec![],
    })
}

impl App {
    /// The calendar in effect (cached).
    pub async fn effective_calendar(&self) -> AppResult<Arc<EffectiveCalendar>> {
        if let Some(c) = self.calendar.fresh(self.now_us()) {
            return Ok(c);
        }
        let _guard = self.calendar.loading.lock().await;
        self.load_locked().await
    }

    /// With the loading lock held: the cached calendar if fresh, else a rebuild from the store.
    async fn load_locked(&self) -> AppResult<Arc<EffectiveCalendar>> {
        let now = self.now_us();
        if let Some(c) = self.calendar.fresh(now) {
            return Ok(c);
        }
        let stored = self.store.calendar_notices().await?;
        let (calendar, years) = blocking(move || build_effective(&stored)).await?;
        let c = Arc::new(EffectiveCalendar::new(calendar, years, now));
        self.calendar.install(c.clone());
        Ok(c)
    }

    /// One year of the calendar in effect.
    pub async fn calendar_year(&self, ctx: &Ctx, year: i32) -> AppResult<CalendarYear> {
        self.authorize(ctx, Action::ViewCalendar, Target::Platform)?;
        let c = self.effective_calendar().await?;
        Ok(CalendarYear {
            view: c.year_view(year)?,
            stored: c.stored_years.contains(&year),
        })
    }

    /// The notice JSON an administrator starts from to edit a year: the notice in effect, or a
    /// draft from the rules' pre-fill.
    pub async fn calendar_notice_draft(&self, ctx: &Ctx, year: i32) -> AppResult<String> {
        self.authorize(ctx, Action::ViewCalendar, Target::Platform)?;
        if !DEFAULT_YEARS.contains(&year) {
            return Err(calendar_error(CalendarError::YearOutOfRange { year }));
        }
        let c = self.effective_calendar().await?;
        let notice = match c.calendar.notice(year) {
            Some(n) => n.clone(),
            None => draft_notice(year).map_err(calendar_error)?,
        };
        notice.to_json().map_err(calendar_error)
    }

    /// Store an administrator's notice for its year (replacing a stored or bundled one).
    /// The notice is validated alone and against the neighbouring years before it is stored.
    pub async fn calendar_notice_put(&self, ctx: &Ctx, json_text: &str) -> AppResult<CalendarYear> {
        self.authorize(ctx, Action::ManageCalendar, Target::Platform)?;
        let notice = Notice::parse(json_text).map_err(notice_error)?;
        let year = notice.year;
        if !DEFAULT_YEARS.contains(&year) {
            return Err(notice_error(CalendarError::YearOutOfRange { year }));
        }
        let body = notice.to_json().map_err(notice_error)?;
        let _guard = self.calendar.loading.lock().await;
        let base = self.load_locked().await?;
        let before = base.calendar.notice(year).cloned();
        let next = {
            let (base, notice) = (base.clone(), notice.clone());
            tokio::task::spawn_blocking(move || base.calendar.with_notice(notice))
                .await
                .map_err(|e| AppError::internal(format!("calendar task failed: {e}")))?
                .map_err(notice_error)?
        };
        let audit = ctx.audit(
            self.now_us(),
            "calendar.notice_put",
            "calendar_notice",
            year,
            before.as_ref(),
            Some(&notice),
        );
        self.store.calendar_notice_put(year, &body, &audit).await?;
        let mut years = base.stored_years.clone();
        years.insert(year);
        // As fresh as the calendar it was derived from: the next reload is not postponed.
        let c = Arc::new(EffectiveCalendar::new(next, years, base.loaded_at_us));
        self.calendar.install(c.clone());
        Ok(CalendarYear {
            view: c.year_view(year)?,
            stored: true,
        })
    }

    /// Remove the stored notice of a year: the year goes back to its bundled notice, or to the
    /// rules' pre-fill when the binary has none for it.
    pub async fn calendar_notice_delete(&self, ctx: &Ctx, year: i32) -> AppResult<CalendarYear> {
        self.authorize(ctx, Action::ManageCalendar, Target::Platform)?;
        if !DEFAULT_YEARS.contains(&year) {
            return Err(calendar_error(CalendarError::YearOutOfRange { year }));
        }
        let _guard = self.calendar.loading.lock().await;
        let base = self.load_locked().await?;
        let before = base.calendar.notice(year).cloned();
        let next = {
            let base = base.clone();
            blocking(move || {
                let bundled = bundled_notices()?.into_iter().find(|n| n.year == year);
                match bundled {
                    Some(n) => base.calendar.with_notice(n),
                    None => base.calendar.without_notice(year),
                }
            })
            .await?
        };
        let audit = ctx.audit(
            self.now_us(),
            "calendar.notice_delete",
            "calendar_notice",
            year,
            before.as_ref(),
            next.notice(year),
        );
        if !self.store.calendar_notice_delete(year, &audit).await? {
            return Err(AppError::new(ErrorCode::CalendarNoticeNotFound));
        }
        let mut years = base.stored_years.clone();
        years.remove(&year);
        let c = Arc::new(EffectiveCalendar::new(next, years, base.loaded_at_us));
        self.calendar.install(c.clone());
        Ok(CalendarYear {
            view: c.year_view(year)?,
            stored: false,
        })
    }

    /// A due date or an elapsed working time, with the default office hours.
    pub async fn deadline(&self, ctx: &Ctx, query: &DeadlineQuery) -> AppResult<DeadlineAnswer> {
        self.deadline_with_hours(ctx, query, WorkingHours::default())
            .await
    }

    /// A due date or an elapsed working time, with an agency's office hours.
    pub async fn deadline_with_hours(
        &self,
        ctx: &Ctx,
        query: &DeadlineQuery,
        hours: WorkingHours,
    ) -> AppResult<DeadlineAnswer> {
        self.authorize(ctx, Action::ViewCalendar, Target::Platform)?;
        let c = self.effective_calendar().await?;
        DeadlineEngine::new(&c.calendar, hours)
            .answer(query)
            .map_err(calendar_error)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use chrono::NaiveDate;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn without_stored_notices_the_calendar_is_the_bundled_one() {
        let (c, years) = build_effective(&[]).unwrap();
        assert!(years.is_empty());
        assert_eq!(
            c.version(),
            WorkingCalendar::vietnam_default().unwrap().version()
        );
    }

    #[test]
    fn a_stored_notice_overrides_the_bundled_one_and_bad_ones_are_left_out() {
        let mut n = bundled_notices()
            .unwrap()
            .into_iter()
            .find(|n| n.year == 2025)
            .unwrap();
        // An invented extra day off on Friday 5 December 2025.
        n.version = "2025.2".into();
        n.days_off.push(NoticeDayOff {
            date: d(2025, 12, 5),
            kind: OffKind::Holiday,
            name: "Ngày thử".into(),
        });
        let stored = vec![
            (2025, n.to_json().unwrap()),
            (2030, "not json".to_string()),
            (2031, n.to_json().unwrap()), // stored under the wrong year
        ];
        let (c, years) = build_effective(&stored).unwrap();
        assert_eq!(years, BTreeSet::from([2025]));
        assert_eq!(c.notice(2025).unwrap().version, "2025.2");
        assert!(!c.is_working_day(d(2025, 12, 5)).unwrap());
        assert_ne!(
            c.version(),
            WorkingCalendar::vietnam_default().unwrap().version()
        );
    }

    #[test]
    fn the_draft_of_a_year_without_notice_is_the_rules_prefill() {
        let n = draft_notice(2030).unwrap();
        assert_eq!(n.year, 2030);
        assert!(n.legal_reference.is_empty());
        assert!(n.days_off.iter().any(|o| o.date == d(2030, 9, 2)));
        // Tết 2030 (Vietnam) is Saturday 2 February: mùng 1 falls on the weekend.
        assert!(n.days_off.iter().any(|o| o.date == d(2030, 2, 2)));
        // Not valid until the administrator fills in the legal reference.
        let err = Notice::parse(&n.to_json().unwrap()).unwrap_err();
        assert_eq!(calendar_error(err).code, ErrorCode::CalendarInvalidNotice);
    }

    #[test]
    fn engine_errors_keep_their_detail() {
        let e = calendar_error(CalendarError::YearOutOfRange { year: 1800 });
        assert_eq!(e.code, ErrorCode::CalendarYearOutOfRange);
        assert!(
            e.detail
                .as_deref()
                .unwrap()
                .starts_with("calendar.year_out_of_range")
        );
        let e = notice_error(CalendarError::NotAWorkingDay {
            date: d(2025, 1, 4),
        });
        assert_eq!(e.code, ErrorCode::CalendarNotAWorkingDay);
        assert_eq!(e.field.as_deref(), Some(NOTICE_FIELD));
    }
}
