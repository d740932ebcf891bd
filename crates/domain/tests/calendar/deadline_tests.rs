//! Concrete deadlines, computed by hand. Office hours are the defaults: 07:30–11:30 and
//! 13:30–17:00 (450 working minutes a day), paper hand-over cut-off 15:00.
//!
//! The days off used below (from the bundled notices):
//! - Tết 2019: Monday 4/2 to Friday 8/2 (with the weekends, 2/2 to 10/2 off).
//! - 30/4–1/5 2019: Monday 29/4 swapped off, Tuesday 30/4 and Wednesday 1/5 holidays,
//!   Saturday 4/5 worked.
//! - Giỗ Tổ 2019: Sunday 14/4, compensatory Monday 15/4.
//! - Tết Dương lịch 2019: Monday 31/12/2018 swapped off, Tuesday 1/1 holiday, Saturday 5/1
//!   worked.
//! - Quốc khánh 2025: Monday 1/9 and Tuesday 2/9 (Saturday 30/8 and Sunday 31/8 are weekend).
//! - 30/4–1/5 2025: Saturday 26/4 worked, Wednesday 30/4 and Thursday 1/5 holidays, Friday
//!   2/5 swapped off.

use chrono::{NaiveDate, NaiveDateTime};
use cqdt_domain::calendar::*;

use super::{CAL, engine};

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, mo, d)
        .unwrap()
        .and_hms_opt(h, mi, 0)
        .unwrap()
}

fn due(received: NaiveDateTime, d: WorkDuration) -> NaiveDateTime {
    engine().due(received, d).unwrap()
}

#[test]
fn around_tet_2019() {
    // Friday 1/2 09:00, 3 days: day D = Friday 1/2 (not counted); working days after it:
    // Monday 11/2 (1), Tuesday 12/2 (2), Wednesday 13/2 (3) → Wednesday 13/2 17:00.
    assert_eq!(
        due(at(2019, 2, 1, 9, 0), WorkDuration::Days(3)),
        at(2019, 2, 13, 17, 0)
    );
    // Thursday 31/1 16:00, 5 days: Fri 1/2 (1), Mon 11/2 (2), Tue 12 (3), Wed 13 (4),
    // Thu 14 (5) → Thursday 14/2 17:00.
    assert_eq!(
        due(at(2019, 1, 31, 16, 0), WorkDuration::Days(5)),
        at(2019, 2, 14, 17, 0)
    );
    // Online on Saturday 2/2 10:00: received on the next working day, Monday 11/2; 1 day →
    // Tuesday 12/2 17:00.
    assert_eq!(
        due(at(2019, 2, 2, 10, 0), WorkDuration::Days(1)),
        at(2019, 2, 12, 17, 0)
    );
    assert_eq!(
        engine().receipt_date(at(2019, 2, 2, 10, 0)).unwrap(),
        NaiveDate::from_ymd_opt(2019, 2, 11).unwrap()
    );
    // At 17:00 sharp the office has closed: received Monday 11/2, 1 day → Tuesday 12/2; at
    // 16:59 it is received on Friday → Monday 11/2.
    assert_eq!(
        due(at(2019, 2, 1, 17, 0), WorkDuration::Days(1)),
        at(2019, 2, 12, 17, 0)
    );
    assert_eq!(
        due(at(2019, 2, 1, 16, 59), WorkDuration::Days(1)),
        at(2019, 2, 11, 17, 0)
    );
    // Friday 1/2 at 17:30 (after hours) counts as received Monday 11/2 → 1 day: Tuesday 12/2.
    assert_eq!(
        due(at(2019, 2, 1, 17, 30), WorkDuration::Days(1)),
        at(2019, 2, 12, 17, 0)
    );
    // Half-days: Friday 1/2 14:00 is the afternoon session; the next session is Monday 11/2
    // morning → due 11:30.
    assert_eq!(
        due(at(2019, 2, 1, 14, 0), WorkDuration::HalfDays(1)),
        at(2019, 2, 11, 11, 30)
    );
    // Friday 1/2 09:00 (morning session), 1 half-day → the same afternoon, 17:00.
    assert_eq!(
        due(at(2019, 2, 1, 9, 0), WorkDuration::HalfDays(1)),
        at(2019, 2, 1, 17, 0)
    );
    // 4 working hours from Friday 1/2 16:00: 60 minutes on Friday, 180 on Monday 11/2 from
    // 07:30 → 10:30.
    assert_eq!(
        due(at(2019, 2, 1, 16, 0), WorkDuration::hours(4)),
        at(2019, 2, 11, 10, 30)
    );
    // Working time Friday 1/2 16:00 → Monday 11/2 08:30: 60 + 60 minutes.
    assert_eq!(
        engine()
            .working_minutes_between(at(2019, 2, 1, 16, 0), at(2019, 2, 11, 8, 30))
            .unwrap(),
        120
    );
}

#[test]
fn paper_after_15h_is_handed_over_the_next_working_day() {
    let e = engine();
    // Friday 1/2/2019 15:30: next working day is Monday 11/2 (Tết) → 07:30.
    assert_eq!(
        e.paper_handover(at(2019, 2, 1, 15, 30)).unwrap(),
        at(2019, 2, 11, 7, 30)
    );
    // 15:00 sharp is not after 15:00: handed over at once.
    assert_eq!(
        e.paper_handover(at(2019, 2, 1, 15, 0)).unwrap(),
        at(2019, 2, 1, 15, 0)
    );
    // During the lunch break: at the start of the afternoon session.
    assert_eq!(
        e.paper_handover(at(2019, 1, 31, 12, 10)).unwrap(),
        at(2019, 1, 31, 13, 30)
    );
    // Before opening: at 07:30.
    assert_eq!(
        e.paper_handover(at(2019, 1, 31, 6, 45)).unwrap(),
        at(2019, 1, 31, 7, 30)
    );
    // On a Sunday: Monday 07:30.
    assert_eq!(
        e.paper_handover(at(2019, 3, 3, 10, 0)).unwrap(),
        at(2019, 3, 4, 7, 30)
    );
    // Friday 26/4/2019 16:00 before the 30/4 break: next working day Thursday 2/5.
    assert_eq!(
        e.paper_handover(at(2019, 4, 26, 16, 0)).unwrap(),
        at(2019, 5, 2, 7, 30)
    );
    // The clock of the processing agency starts at the hand-over: 2 days from Monday 11/2 →
    // Wednesday 13/2; counted from the receipt (Friday 1/2) it would be Tuesday 12/2.
    let mut req = DeadlineRequest::new(at(2019, 2, 1, 15, 30), WorkDuration::Days(2));
    assert_eq!(e.compute(&req).unwrap().due, Some(at(2019, 2, 12, 17, 0)));
    req.start = StartRule::PaperHandover;
    let out = e.compute(&req).unwrap();
    assert_eq!(out.clock_start, at(2019, 2, 11, 7, 30));
    assert_eq!(out.due, Some(at(2019, 2, 13, 17, 0)));
    // A custom cut-off and hours for another agency.
    let hours = WorkingHours::from_hm(("08:00", "12:00"), ("13:00", "17:00"), "16:00").unwrap();
    let other = DeadlineEngine::new(&CAL, hours);
    assert_eq!(
        other.paper_handover(at(2019, 2, 1, 15, 30)).unwrap(),
        at(2019, 2, 1, 15, 30)
    );
    assert_eq!(
        other.paper_handover(at(2019, 2, 1, 16, 1)).unwrap(),
        at(2019, 2, 11, 8, 0)
    );
}

#[test]
fn around_30_4_2019_with_the_swapped_saturday() {
    // Friday 26/4 10:00, 3 days: Monday 29/4 swapped off, 30/4 and 1/5 holidays; working days
    // after D: Thursday 2/5 (1), Friday 3/5 (2), Saturday 4/5 (3, worked in exchange) →
    // Saturday 4/5 17:00.
    assert_eq!(
        due(at(2019, 4, 26, 10, 0), WorkDuration::Days(3)),
        at(2019, 5, 4, 17, 0)
    );
    // 4 days: Sunday 5/5 is off → Monday 6/5.
    assert_eq!(
        due(at(2019, 4, 26, 10, 0), WorkDuration::Days(4)),
        at(2019, 5, 6, 17, 0)
    );
    // Received on the worked Saturday itself: it is a working day, so D = Saturday 4/5 and
    // 1 day → Monday 6/5.
    assert_eq!(
        due(at(2019, 5, 4, 9, 0), WorkDuration::Days(1)),
        at(2019, 5, 6, 17, 0)
    );
    // Half-days across the break: Friday 26/4 afternoon + 3 sessions = Thursday 2/5 morning,
    // Thursday afternoon, Friday 3/5 morning → 3/5 11:30.
    assert_eq!(
        due(at(2019, 4, 26, 14, 0), WorkDuration::HalfDays(3)),
        at(2019, 5, 3, 11, 30)
    );
    // Giỗ Tổ: Friday 12/4 10:00, 1 day: Monday 15/4 is the compensatory day → Tuesday 16/4.
    assert_eq!(
        due(at(2019, 4, 12, 10, 0), WorkDuration::Days(1)),
        at(2019, 4, 16, 17, 0)
    );
    // Tết Dương lịch: Friday 4/1/2019, 1 day → Saturday 5/1 (worked) 17:00; Friday 28/12/2018,
    // 1 day → 31/12 swapped off, 1/1 holiday → Wednesday 2/1/2019.
    assert_eq!(
        due(at(2019, 1, 4, 10, 0), WorkDuration::Days(1)),
        at(2019, 1, 5, 17, 0)
    );
    assert_eq!(
        due(at(2018, 12, 28, 10, 0), WorkDuration::Days(1)),
        at(2019, 1, 2, 17, 0)
    );
}

#[test]
fn around_2_9_2025() {
    // Friday 29/8/2025 09:00, 2 days: 1/9 and 2/9 off → Wednesday 3/9 (1), Thursday 4/9 (2).
    assert_eq!(
        due(at(2025, 8, 29, 9, 0), WorkDuration::Days(2)),
        at(2025, 9, 4, 17, 0)
    );
    // Friday 29/8 16:30 (afternoon session), 1 half-day → Wednesday 3/9 morning, 11:30.
    assert_eq!(
        due(at(2025, 8, 29, 16, 30), WorkDuration::HalfDays(1)),
        at(2025, 9, 3, 11, 30)
    );
    // Online Saturday 30/8 20:00, 10 days: D = Wednesday 3/9; then Thu 4 (1), Fri 5 (2),
    // Mon 8 (3), Tue 9 (4), Wed 10 (5), Thu 11 (6), Fri 12 (7), Mon 15 (8), Tue 16 (9),
    // Wed 17 (10) → Wednesday 17/9 17:00.
    assert_eq!(
        due(at(2025, 8, 30, 20, 0), WorkDuration::Days(10)),
        at(2025, 9, 17, 17, 0)
    );
    // Working time from Friday 29/8 15:00 to Wednesday 3/9 09:00: 120 + 90 minutes.
    let w = engine()
        .working_time_between(at(2025, 8, 29, 15, 0), at(2025, 9, 3, 9, 0))
        .unwrap();
    assert_eq!((w.minutes, w.days, w.remainder_minutes), (210, 0, 210));
}

#[test]
fn swapped_saturday_26_4_2025() {
    // Friday 25/4/2025 10:00: 1 day → Saturday 26/4 (worked); 2 → Monday 28/4; 3 → Tuesday
    // 29/4; 4 → 30/4, 1/5 holidays, 2/5 swapped off, 3–4/5 weekend → Monday 5/5.
    let r = at(2025, 4, 25, 10, 0);
    assert_eq!(due(r, WorkDuration::Days(1)), at(2025, 4, 26, 17, 0));
    assert_eq!(due(r, WorkDuration::Days(2)), at(2025, 4, 28, 17, 0));
    assert_eq!(due(r, WorkDuration::Days(3)), at(2025, 4, 29, 17, 0));
    assert_eq!(due(r, WorkDuration::Days(4)), at(2025, 5, 5, 17, 0));
    assert!(engine().is_working_moment(at(2025, 4, 26, 10, 0)).unwrap());
    assert!(!engine().is_working_moment(at(2025, 5, 2, 10, 0)).unwrap());
}

#[test]
fn a_pause_shifts_the_due_date_by_the_paused_working_time() {
    // Monday 4/3/2019 08:00, 5 days → Tue 5 (1) … Mon 11/3 (5), 17:00.
    let mut clock = DossierClock::start(at(2019, 3, 4, 8, 0), WorkDuration::Days(5));
    let e = engine();
    assert_eq!(
        clock.evaluate(&e).unwrap().due,
        Some(at(2019, 3, 11, 17, 0))
    );
    // Supplement requested Wednesday 6/3 14:00, received Friday 8/3 10:00: paused
    // 180 (Wed) + 450 (Thu) + 150 (Fri) = 780 working minutes. From Monday 11/3 17:00:
    // Tuesday 12/3 uses 450, 330 remain; Wednesday 13/3 morning 240, 90 remain → 15:00.
    clock
        .pause(at(2019, 3, 6, 14, 0), PauseReason::Supplement)
        .unwrap();
    let paused = clock.evaluate(&e).unwrap();
    assert_eq!(paused.due, None);
    assert_eq!(paused.paused_since, Some(at(2019, 3, 6, 14, 0)));
    assert_eq!(paused.legal_due, at(2019, 3, 11, 17, 0));
    assert!(clock.finish(at(2019, 3, 7, 9, 0)).is_err());
    assert!(
        clock
            .pause(at(2019, 3, 7, 9, 0), PauseReason::Other)
            .is_err()
    );
    clock.resume(at(2019, 3, 8, 10, 0)).unwrap();
    let out = clock.evaluate(&e).unwrap();
    assert_eq!(out.paused.minutes, 780);
    assert_eq!(out.due, Some(at(2019, 3, 13, 15, 0)));
    assert_eq!(out.supplement_requests, 1);
    // A pause that starts after the due date does not move it.
    let mut late = DossierClock::start(at(2019, 3, 4, 8, 0), WorkDuration::Days(5));
    late.pause(at(2019, 3, 12, 9, 0), PauseReason::Consultation)
        .unwrap();
    late.resume(at(2019, 3, 14, 9, 0)).unwrap();
    assert_eq!(late.evaluate(&e).unwrap().due, Some(at(2019, 3, 11, 17, 0)));
    // Edges: a pause starting exactly at the due instant does not move it; one starting a
    // minute before it moves it by its whole length (1 minute on Monday + 60 on Tuesday until
    // 08:30 = 61 working minutes → due Tuesday 12/3 07:30 + 61 min = 08:31).
    let mut req = DeadlineRequest::new(at(2019, 3, 4, 8, 0), WorkDuration::Days(5));
    req.pauses = vec![Pause {
        reason: PauseReason::Other,
        from: at(2019, 3, 11, 17, 0),
        until: Some(at(2019, 3, 12, 8, 30)),
    }];
    assert_eq!(e.compute(&req).unwrap().due, Some(at(2019, 3, 11, 17, 0)));
    req.pauses[0].from = at(2019, 3, 11, 16, 59);
    assert_eq!(e.compute(&req).unwrap().due, Some(at(2019, 3, 12, 8, 31)));
    // Pauses out of order are rejected.
    let mut req = DeadlineRequest::new(at(2019, 3, 4, 8, 0), WorkDuration::Days(5));
    req.pauses = vec![Pause {
        reason: PauseReason::Supplement,
        from: at(2019, 3, 6, 9, 0),
        until: Some(at(2019, 3, 5, 9, 0)),
    }];
    assert_eq!(
        e.compute(&req).unwrap_err().code(),
        "calendar.invalid_pause"
    );
}

#[test]
fn one_extension_with_a_new_appointment() {
    let e = engine();
    // Due Monday 11/3/2019 17:00 (as above). Apology on Monday 11/3 09:00 with a new
    // appointment on Friday 15/3.
    let mut clock = DossierClock::start(at(2019, 3, 4, 8, 0), WorkDuration::Days(5));
    clock
        .extend(Extension {
            requested_at: at(2019, 3, 11, 9, 0),
            target: ExtensionTarget::UntilDate(NaiveDate::from_ymd_opt(2019, 3, 15).unwrap()),
            reason: Some("Chờ kết quả xác minh".into()),
        })
        .unwrap();
    let second = Extension {
        requested_at: at(2019, 3, 12, 9, 0),
        target: ExtensionTarget::By(WorkDuration::Days(1)),
        reason: None,
    };
    assert_eq!(
        clock.extend(second).unwrap_err().code(),
        "calendar.invalid_extension"
    );
    clock.finish(at(2019, 3, 14, 10, 0)).unwrap();
    let out = clock.evaluate(&e).unwrap();
    assert_eq!(out.due, Some(at(2019, 3, 11, 17, 0)));
    assert_eq!(out.appointment, Some(at(2019, 3, 15, 17, 0)));
    // Judged against the legal due date: late, but the new appointment was kept.
    assert_eq!(out.timeliness, Some(Timeliness::Late));
    assert_eq!(out.appointment_kept, Some(true));
    // By 2 days from the due date → Wednesday 13/3 17:00.
    let mut req = DeadlineRequest::new(at(2019, 3, 4, 8, 0), WorkDuration::Days(5));
    req.extension = Some(Extension {
        requested_at: at(2019, 3, 11, 9, 0),
        target: ExtensionTarget::By(WorkDuration::Days(2)),
        reason: None,
    });
    assert_eq!(
        e.compute(&req).unwrap().appointment,
        Some(at(2019, 3, 13, 17, 0))
    );
    // A new appointment that is not later, or not a working day, is rejected.
    req.extension = Some(Extension {
        requested_at: at(2019, 3, 11, 9, 0),
        target: ExtensionTarget::UntilDate(NaiveDate::from_ymd_opt(2019, 3, 8).unwrap()),
        reason: None,
    });
    assert_eq!(
        e.compute(&req).unwrap_err().code(),
        "calendar.invalid_extension"
    );
    req.extension = Some(Extension {
        requested_at: at(2019, 3, 11, 9, 0),
        target: ExtensionTarget::UntilDate(NaiveDate::from_ymd_opt(2019, 3, 16).unwrap()),
        reason: None,
    });
    assert_eq!(
        e.compute(&req).unwrap_err().code(),
        "calendar.not_a_working_day"
    );
}

#[test]
fn route_allotments_add_up_to_the_legal_time() {
    // 10 days from Monday 4/3/2019 09:00 (D = 4/3; day k after D: Tue 5 = 1 … Mon 18/3 = 10),
    // split 0.5 + 7 + 2 + 0.5 days. Sessions after D: +1 = Tue 5 morning, +2k−1 = morning of
    // day k, +2k = its afternoon.
    let steps = vec![
        StepAllotment {
            name: "Bộ phận Một cửa".into(),
            duration: WorkDuration::HalfDays(1),
        },
        StepAllotment {
            name: "Phòng chuyên môn".into(),
            duration: WorkDuration::Days(7),
        },
        StepAllotment {
            name: "Lãnh đạo ký duyệt".into(),
            duration: WorkDuration::Days(2),
        },
        StepAllotment {
            name: "Trả kết quả".into(),
            duration: WorkDuration::HalfDays(1),
        },
    ];
    let mut req = DeadlineRequest::new(at(2019, 3, 4, 9, 0), WorkDuration::Days(10));
    req.steps = steps.clone();
    let out = engine().compute(&req).unwrap();
    let dues: Vec<_> = out.steps.iter().map(|s| s.due.unwrap()).collect();
    assert_eq!(
        dues,
        vec![
            at(2019, 3, 5, 11, 30),  // +1: day 1 morning
            at(2019, 3, 14, 11, 30), // +15: day 8 (Thu 14/3) morning
            at(2019, 3, 18, 11, 30), // +19: day 10 (Mon 18/3) morning
            at(2019, 3, 18, 17, 0),  // +20: day 10 afternoon
        ]
    );
    assert_eq!(out.due, Some(at(2019, 3, 18, 17, 0)));
    assert_eq!(out.steps[1].starts_at, Some(at(2019, 3, 5, 11, 30)));
    // Steps that do not add up are rejected.
    let mut short = steps.clone();
    short.pop();
    req.steps = short;
    assert_eq!(
        engine().compute(&req).unwrap_err().code(),
        "calendar.allotment_mismatch"
    );
    // Minutes cannot be mixed with days.
    let mut mixed = steps;
    mixed[0].duration = WorkDuration::Minutes(240);
    req.steps = mixed;
    assert_eq!(
        engine().compute(&req).unwrap_err().code(),
        "calendar.allotment_unit_mismatch"
    );
}

#[test]
fn timeliness_by_the_reporting_rules() {
    let due_at = at(2019, 2, 13, 17, 0);
    assert_eq!(
        classify_finished(at(2019, 2, 12, 16, 0), due_at, 0),
        Timeliness::Early
    );
    // On the due day, even after 17:00: on time (dates are compared, §1.5).
    assert_eq!(
        classify_finished(at(2019, 2, 13, 17, 30), due_at, 0),
        Timeliness::OnTime
    );
    assert_eq!(
        classify_finished(at(2019, 2, 14, 8, 0), due_at, 0),
        Timeliness::Late
    );
    // More than one supplement request is late (§1.2).
    assert_eq!(
        classify_finished(at(2019, 2, 12, 16, 0), due_at, 2),
        Timeliness::Late
    );
    assert_eq!(
        classify_finished(at(2019, 2, 12, 16, 0), due_at, 1),
        Timeliness::Early
    );
    let end = |d| NaiveDate::from_ymd_opt(2019, 2, d).unwrap();
    assert_eq!(
        classify_open(due_at, end(13)),
        OpenTimeliness::WithinDeadline
    );
    assert_eq!(classify_open(due_at, end(14)), OpenTimeliness::Overdue);
    assert_eq!(Timeliness::Early.label_vi(), "Trước hạn");
    assert_eq!(Timeliness::OnTime.label_vi(), "Đúng hạn");
    assert_eq!(Timeliness::Late.label_vi(), "Quá hạn");
    // Through the request: received Friday 1/2 09:00, 3 days → due 13/2; finished 13/2.
    let mut req = DeadlineRequest::new(at(2019, 2, 1, 9, 0), WorkDuration::Days(3));
    req.finished_at = Some(at(2019, 2, 13, 10, 0));
    assert_eq!(
        engine().compute(&req).unwrap().timeliness,
        Some(Timeliness::OnTime)
    );
}

#[test]
fn every_outcome_records_the_calendar_version() {
    let out = engine()
        .compute(&DeadlineRequest::new(
            at(2019, 2, 1, 9, 0),
            WorkDuration::Days(3),
        ))
        .unwrap();
    assert_eq!(out.calendar_version, CAL.version());
    assert!(out.calendar_version.starts_with("cal-"));
    assert_eq!(out.counting_from, at(2019, 2, 11, 7, 30));
    assert_eq!(out.working_hours, WorkingHours::default());
}

#[test]
fn working_hours_validation_and_other_agencies() {
    assert_eq!(WorkingHours::default().day_minutes(), 450);
    let e = WorkingHours::from_hm(("11:30", "07:30"), ("13:30", "17:00"), "15:00").unwrap_err();
    assert_eq!(e.code(), "calendar.invalid_working_hours");
    let e = WorkingHours::from_hm(("07:30", "12:00"), ("11:30", "17:00"), "15:00").unwrap_err();
    assert_eq!(e.code(), "calendar.invalid_working_hours");
    let e = WorkingHours::from_hm(("07:30", "11:30"), ("13:30", "17:00"), "18:00").unwrap_err();
    assert_eq!(e.code(), "calendar.invalid_working_hours");
    assert!(WorkingHours::from_hm(("7:30", "x"), ("13:30", "17:00"), "15:00").is_err());
    // 08:00–12:00 and 13:00–17:00 (480 minutes): 4 hours from Friday 1/2/2019 16:00 →
    // 60 minutes Friday, 180 Monday 11/2 from 08:00 → 11:00.
    let hours = WorkingHours::from_hm(("08:00", "12:00"), ("13:00", "17:00"), "15:00").unwrap();
    let e = DeadlineEngine::new(&CAL, hours);
    assert_eq!(
        e.due(at(2019, 2, 1, 16, 0), WorkDuration::hours(4))
            .unwrap(),
        at(2019, 2, 11, 11, 0)
    );
    assert_eq!(hours.day_minutes(), 480);
}

#[test]
fn utc_and_local_time() {
    let local = at(2019, 2, 1, 9, 0);
    let utc = from_local(local);
    assert_eq!(utc.to_rfc3339(), "2019-02-01T02:00:00+00:00");
    assert_eq!(to_local(utc), local);
}

#[test]
fn out_of_range_instants_are_errors() {
    let e = engine()
        .due(at(1999, 12, 31, 9, 0), WorkDuration::Days(1))
        .unwrap_err();
    assert_eq!(e.code(), "calendar.instant_out_of_range");
    let e = engine()
        .due(at(2199, 12, 30, 9, 0), WorkDuration::Days(60))
        .unwrap_err();
    assert_eq!(e.code(), "calendar.year_out_of_range");
}
