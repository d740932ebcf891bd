//! Property tests of the deadline arithmetic.

use chrono::{NaiveDate, NaiveDateTime};
use cqdt_domain::calendar::*;
use proptest::prelude::*;

use super::{CAL, engine};

/// An arbitrary local instant in 2018–2028, to the second.
fn instant() -> impl Strategy<Value = NaiveDateTime> {
    (0i64..(11 * 366), 0u32..86_400).prop_map(|(day, secs)| {
        NaiveDate::from_ymd_opt(2018, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            + chrono::Duration::days(day)
            + chrono::Duration::seconds(i64::from(secs))
    })
}

fn duration() -> impl Strategy<Value = WorkDuration> {
    prop_oneof![
        (0u32..=60).prop_map(WorkDuration::Days),
        (0u32..=120).prop_map(WorkDuration::HalfDays),
        (1u32..=27_000).prop_map(WorkDuration::Minutes),
    ]
}

/// Other office hours, to make sure nothing depends on the defaults.
fn hours() -> impl Strategy<Value = WorkingHours> {
    prop_oneof![
        Just(WorkingHours::default()),
        Just(WorkingHours::from_hm(("08:00", "12:00"), ("13:00", "17:00"), "16:00").unwrap()),
        Just(WorkingHours::from_hm(("07:00", "11:00"), ("12:00", "16:30"), "15:00").unwrap()),
    ]
}

fn is_session_start(t: NaiveDateTime, h: &WorkingHours) -> bool {
    t.time() == h.morning().start || t.time() == h.afternoon().start
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn adding_then_measuring_gives_back_n(received in instant(), n in 0u32..=60, h in hours()) {
        let e = DeadlineEngine::new(&CAL, h);
        let due = e.due(received, WorkDuration::Days(n)).unwrap();
        let w = e.elapsed(received, due, Counting::Days).unwrap();
        prop_assert_eq!(w.days, i64::from(n));
        prop_assert_eq!(w.remainder_minutes, 0);
        prop_assert_eq!(w.seconds, i64::from(n) * h.day_seconds());
        // And the due date is the N-th working day after the receipt day, at closing time.
        let d = e.receipt_date(received).unwrap();
        prop_assert_eq!(due.date(), CAL.add_working_days(d, n).unwrap());
        prop_assert_eq!(due.time(), h.afternoon().end);
    }

    #[test]
    fn minutes_added_then_measured_give_back_the_minutes(t in instant(), m in 0i64..50_000, h in hours()) {
        let e = DeadlineEngine::new(&CAL, h);
        let u = e.add_working_minutes(t, m).unwrap();
        prop_assert_eq!(e.working_minutes_between(t, u).unwrap(), m);
        prop_assert_eq!(e.working_minutes_between(u, t).unwrap(), -m);
    }

    #[test]
    fn a_due_date_is_never_a_non_working_moment(received in instant(), d in duration(), h in hours()) {
        let e = DeadlineEngine::new(&CAL, h);
        let due = e.due(received, d).unwrap();
        prop_assert!(e.is_working_moment(due).unwrap(), "{} → {}", received, due);
        prop_assert!(CAL.is_working_day(due.date()).unwrap());
        let positive = match d {
            WorkDuration::Days(_) | WorkDuration::HalfDays(_) => true,
            WorkDuration::Minutes(m) => m > 0,
        };
        if positive {
            // Never at the opening of a session: the end of the previous one is used instead.
            prop_assert!(!is_session_start(due, &h), "{}", due);
            prop_assert!(due > received);
        }
    }

    #[test]
    fn due_dates_are_monotonic_in_n(received in instant(), n in 0u32..60) {
        let e = engine();
        let a = e.due(received, WorkDuration::Days(n)).unwrap();
        let b = e.due(received, WorkDuration::Days(n + 1)).unwrap();
        prop_assert!(b > a);
        prop_assert_eq!(e.working_time_between(a, b).unwrap().minutes, 450);
        let ha = e.due(received, WorkDuration::HalfDays(2 * n)).unwrap();
        let hb = e.due(received, WorkDuration::HalfDays(2 * n + 1)).unwrap();
        prop_assert!(hb > ha);
    }

    #[test]
    fn a_pause_of_length_p_shifts_the_due_date_by_exactly_p(
        received in instant(),
        d in duration(),
        start_fraction in 0.0f64..1.0,
        pause_seconds in 0i64..(30 * 86_400),
        h in hours(),
    ) {
        let e = DeadlineEngine::new(&CAL, h);
        let mut req = DeadlineRequest::new(received, d);
        let base = e.compute(&req).unwrap();
        let due = base.due.unwrap();
        // A pause starting somewhere in the running time of the clock (before the due date).
        let span = e.working_time_between(base.counting_from, due).unwrap().seconds;
        prop_assume!(span > 0);
        let offset = ((span as f64) * start_fraction) as i64;
        let from = e.add_working_seconds(base.counting_from, offset).unwrap();
        prop_assume!(e.working_time_between(from, due).unwrap().seconds > 0);
        let until = from + chrono::Duration::seconds(pause_seconds);
        let p = e.working_time_between(from, until).unwrap().seconds;
        req.pauses.push(Pause { reason: PauseReason::Supplement, from, until: Some(until) });
        let shifted = e.compute(&req).unwrap();
        let new_due = shifted.due.unwrap();
        prop_assert_eq!(e.working_time_between(due, new_due).unwrap().seconds, p);
        prop_assert_eq!(shifted.paused.seconds, p);
        prop_assert!(e.is_working_moment(new_due).unwrap());
        prop_assert_eq!(shifted.legal_due, due);
    }

    #[test]
    fn step_allotments_end_at_the_procedure_due_date(
        received in instant(),
        parts in proptest::collection::vec(1u32..=10, 1..6),
    ) {
        let total: u32 = parts.iter().sum();
        let mut req = DeadlineRequest::new(received, WorkDuration::HalfDays(total));
        req.steps = parts
            .iter()
            .enumerate()
            .map(|(i, &n)| StepAllotment { name: format!("Bước {i}"), duration: WorkDuration::HalfDays(n) })
            .collect();
        let out = engine().compute(&req).unwrap();
        prop_assert_eq!(out.steps.last().unwrap().due, out.due);
        for w in out.steps.windows(2) {
            prop_assert!(w[1].due > w[0].due);
            prop_assert_eq!(w[1].starts_at, w[0].due);
        }
    }

    #[test]
    fn paper_handover_is_a_working_moment_not_before_receipt(received in instant()) {
        let e = engine();
        let h = e.paper_handover(received).unwrap();
        prop_assert!(h >= received);
        prop_assert!(e.is_working_moment(h).unwrap());
        if h.date() == received.date() {
            prop_assert!(received.time() <= e.hours().paper_handover_cutoff());
        }
    }

    #[test]
    fn lunar_round_trip(days in 0i64..109_572) {
        let d = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + chrono::Duration::days(days);
        let l = solar_to_lunar(d).unwrap();
        prop_assert_eq!(lunar_to_solar(l).unwrap(), d);
    }
}
