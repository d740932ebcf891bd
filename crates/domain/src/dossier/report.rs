//! Biểu II.06a/VPCP/KSTT "Tình hình, kết quả giải quyết TTHC" (standards §1.5), computed from
//! dossier event histories so that past periods stay exact.
//!
//! For a period `[from, to]` of local (Asia/Ho_Chi_Minh) dates, a dossier counts as follows
//! (the dates are the local dates of its events):
//!
//! | Col | Meaning | Rule |
//! |---|---|---|
//! | (3) | Tiếp nhận – Tổng số | (4) + (5) + (6) |
//! | (4) | Trong kỳ – Trực tuyến | received (event `received`, NgayTiepNhan) in the period, channel 2 |
//! | (5) | Trong kỳ – Trực tiếp, bưu chính | received in the period, channel 1 or 3 |
//! | (6) | Từ kỳ trước | received before `from` and not closed before `from` (closed = result ready, stopped or withdrawn) |
//! | (7) | Đã giải quyết – Tổng số | processing finished (event `result_ready`, status 9, NgayKetThucXuLy) in the period |
//! | (8) | – Trước hạn | its timeliness: finished on a day before the due day |
//! | (9) | – Đúng hạn | finished on the due day |
//! | (10) | – Quá hạn | finished after the due day (or more than one supplement request) |
//! | (11) | Đang giải quyết – Tổng số | received by `to` and not closed by the end of `to` |
//! | (12) | – Trong hạn | due day on or after `to` (`classify_open`); a dossier whose clock is paused at the end of `to` is within if the pause began before its due instant |
//! | (13) | – Quá hạn | otherwise |
//!
//! Refused and never-accepted dossiers are not received and count nowhere; stopped and withdrawn
//! dossiers leave the counts when they close. Columns (1) (line number) and (2) (field) are the
//! [`Ii06aLine`]'s.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::error::DossierError;
use super::state::{DossierEvent, EventKind};
use super::status::{Channel, StateName};
use crate::calendar::{LocalDateTime, OpenTimeliness, Timeliness, classify_open, to_local};
use crate::text::vi_cmp;

/// A report period: local dates, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportPeriod {
    /// First day (TuNgay).
    pub from: NaiveDate,
    /// Last day (DenNgay).
    pub to: NaiveDate,
}

impl ReportPeriod {
    /// A period; `to` may not be before `from`.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<ReportPeriod, DossierError> {
        if to < from {
            return Err(DossierError::InvalidPeriod);
        }
        Ok(ReportPeriod { from, to })
    }

    /// A calendar month.
    pub fn month(year: i32, month: u32) -> Result<ReportPeriod, DossierError> {
        let from = NaiveDate::from_ymd_opt(year, month, 1).ok_or(DossierError::InvalidPeriod)?;
        let next = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)
        }
        .ok_or(DossierError::InvalidPeriod)?;
        let to = next.pred_opt().ok_or(DossierError::InvalidPeriod)?;
        debug_assert_eq!(to.month(), month);
        ReportPeriod::new(from, to)
    }

    fn contains(&self, d: NaiveDate) -> bool {
        self.from <= d && d <= self.to
    }
}

/// Columns (3)–(13) of one line of the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ii06aRow {
    /// (3) Tiếp nhận – Tổng số.
    pub received_total: u64,
    /// (4) Trong kỳ – Trực tuyến.
    pub received_online: u64,
    /// (5) Trong kỳ – Trực tiếp, dịch vụ bưu chính.
    pub received_direct_or_post: u64,
    /// (6) Từ kỳ trước.
    pub carried_over: u64,
    /// (7) Đã giải quyết – Tổng số.
    pub resolved_total: u64,
    /// (8) Đã giải quyết – Trước hạn.
    pub resolved_early: u64,
    /// (9) Đã giải quyết – Đúng hạn.
    pub resolved_on_time: u64,
    /// (10) Đã giải quyết – Quá hạn.
    pub resolved_late: u64,
    /// (11) Đang giải quyết – Tổng số.
    pub pending_total: u64,
    /// (12) Đang giải quyết – Trong hạn.
    pub pending_within: u64,
    /// (13) Đang giải quyết – Quá hạn.
    pub pending_overdue: u64,
}

impl Ii06aRow {
    /// Columns (3) to (13), in order.
    pub fn columns(&self) -> [u64; 11] {
        [
            self.received_total,
            self.received_online,
            self.received_direct_or_post,
            self.carried_over,
            self.resolved_total,
            self.resolved_early,
            self.resolved_on_time,
            self.resolved_late,
            self.pending_total,
            self.pending_within,
            self.pending_overdue,
        ]
    }

    /// Adds another row (for totals).
    pub fn add(&mut self, o: &Ii06aRow) {
        self.received_total += o.received_total;
        self.received_online += o.received_online;
        self.received_direct_or_post += o.received_direct_or_post;
        self.carried_over += o.carried_over;
        self.resolved_total += o.resolved_total;
        self.resolved_early += o.resolved_early;
        self.resolved_on_time += o.resolved_on_time;
        self.resolved_late += o.resolved_late;
        self.pending_total += o.pending_total;
        self.pending_within += o.pending_within;
        self.pending_overdue += o.pending_overdue;
    }

    /// Adds one dossier's history.
    pub fn count(&mut self, events: &[DossierEvent], period: &ReportPeriod) {
        let mut received: Option<(NaiveDate, Channel)> = None;
        let mut closed_on: Option<NaiveDate> = None;
        let mut finished: Option<(NaiveDate, Timeliness)> = None;
        for ev in events {
            let local = to_local(ev.at);
            let day = local.date();
            match &ev.kind {
                EventKind::Received { channel, .. } if received.is_none() => {
                    received = Some((day, *channel));
                }
                EventKind::ResultReady { timeliness } if finished.is_none() => {
                    finished = Some((day, *timeliness));
                }
                _ => {}
            }
            if closed_on.is_none()
                && matches!(
                    ev.state,
                    StateName::ResultReady
                        | StateName::Returned
                        | StateName::Withdrawn
                        | StateName::Stopped
                )
            {
                closed_on = Some(day);
            }
        }
        let Some((received_on, channel)) = received else {
            return;
        };
        if period.contains(received_on) {
            self.received_total += 1;
            if channel == Channel::Online {
                self.received_online += 1;
            } else {
                self.received_direct_or_post += 1;
            }
        } else if received_on < period.from && closed_on.is_none_or(|c| c >= period.from) {
            self.received_total += 1;
            self.carried_over += 1;
        }
        if let Some((day, t)) = finished
            && period.contains(day)
        {
            self.resolved_total += 1;
            match t {
                Timeliness::Early => self.resolved_early += 1,
                Timeliness::OnTime => self.resolved_on_time += 1,
                Timeliness::Late => self.resolved_late += 1,
            }
        }
        if received_on <= period.to && closed_on.is_none_or(|c| c > period.to) {
            self.pending_total += 1;
            if open_within(events, period) {
                self.pending_within += 1;
            } else {
                self.pending_overdue += 1;
            }
        }
    }
}

/// Whether a dossier still open at the end of the period is within its deadline (column 12,
/// otherwise 13), from its history: its last due instant by the end of `to`, and if its clock
/// is paused then, whether the pause began before that instant.
pub fn open_within(events: &[DossierEvent], period: &ReportPeriod) -> bool {
    let mut last_due: Option<LocalDateTime> = None;
    let mut paused_from: Option<LocalDateTime> = None;
    for ev in events {
        let local = to_local(ev.at);
        if local.date() > period.to {
            continue;
        }
        if ev.clock_paused {
            paused_from.get_or_insert(local);
        } else {
            paused_from = None;
            if ev.due.is_some() {
                last_due = ev.due;
            }
        }
    }
    match (paused_from, last_due) {
        (Some(p), Some(d)) if p < d => true,
        (_, Some(d)) => classify_open(d, period.to) == OpenTimeliness::WithinDeadline,
        (_, None) => true,
    }
}

/// [`open_within`] decided from the dossier's **last event by the end of `to`** alone, which
/// is enough when it records the due instant or an open pause:
/// - clock running: the due instant it carries;
/// - clock paused, no due instant: the pause began before the due instant (an event's `due`
///   is hidden exactly then), so the dossier is within;
/// - clock paused with a due instant: the pause began after it, so the instant stands.
///
/// `None` (the whole history is needed) only for a running clock without a due instant.
pub fn open_within_from_last(last: &DossierEvent, period: &ReportPeriod) -> Option<bool> {
    match (last.clock_paused, last.due) {
        (_, Some(d)) => Some(classify_open(d, period.to) == OpenTimeliness::WithinDeadline),
        (true, None) => Some(true),
        (false, None) => None,
    }
}

/// Computes one row over many dossier histories.
pub fn ii06a_row<'a, I>(histories: I, period: &ReportPeriod) -> Ii06aRow
where
    I: IntoIterator<Item = &'a [DossierEvent]>,
{
    let mut row = Ii06aRow::default();
    for h in histories {
        row.count(h, period);
    }
    row
}

/// One line of the report: (1) number, (2) field, (3)–(13).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ii06aLine {
    /// (1) TT.
    pub number: u32,
    /// (2) Lĩnh vực.
    pub field: String,
    /// (3)–(13).
    pub row: Ii06aRow,
}

/// The report: one line per field (Vietnamese order), and the total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ii06aReport {
    /// The period.
    pub period: ReportPeriod,
    /// One line per field that has a non-zero cell.
    pub lines: Vec<Ii06aLine>,
    /// Sum of the lines.
    pub total: Ii06aRow,
}

/// Computes the report by field from `(field name, history)` pairs.
pub fn ii06a_by_field<'a, I>(dossiers: I, period: &ReportPeriod) -> Ii06aReport
where
    I: IntoIterator<Item = (&'a str, &'a [DossierEvent])>,
{
    let mut by_field: BTreeMap<&str, Ii06aRow> = BTreeMap::new();
    for (field, events) in dossiers {
        by_field.entry(field).or_default().count(events, period);
    }
    ii06a_from_rows(by_field, period)
}

/// Assembles the report from one row per field (as computed by [`ii06a_by_field`], or from
/// stored counts): fields in Vietnamese order, empty ones left out, numbered, with the total.
pub fn ii06a_from_rows<'a, I>(rows: I, period: &ReportPeriod) -> Ii06aReport
where
    I: IntoIterator<Item = (&'a str, Ii06aRow)>,
{
    let mut fields: Vec<(&str, Ii06aRow)> = rows
        .into_iter()
        .filter(|(_, r)| r.columns().iter().any(|&c| c > 0))
        .collect();
    fields.sort_by(|a, b| vi_cmp(a.0, b.0));
    let mut total = Ii06aRow::default();
    let lines = fields
        .into_iter()
        .enumerate()
        .map(|(i, (field, row))| {
            total.add(&row);
            Ii06aLine {
                number: u32::try_from(i + 1).unwrap_or(u32::MAX),
                field: field.to_string(),
                row,
            }
        })
        .collect();
    Ii06aReport {
        period: *period,
        lines,
        total,
    }
}
