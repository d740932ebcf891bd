//! The serialised forms the web layer exposes, and the error codes.

use cqdt_domain::calendar::*;

use super::{CAL, engine};

#[test]
fn deadline_query_json_round_trip() {
    let body = r#"{
        "kind": "due",
        "received_at": "2019-02-01T09:00:00",
        "duration": {"days": 3},
        "start": "paper_handover",
        "pauses": [{"reason": "supplement", "from": "2019-02-11T08:00:00", "until": "2019-02-11T10:00:00"}],
        "finished_at": "2019-02-13T16:00:00"
    }"#;
    let q: DeadlineQuery = serde_json::from_str(body).unwrap();
    let answer = engine().answer(&q).unwrap();
    let json = serde_json::to_value(&answer).unwrap();
    assert_eq!(json["kind"], "due");
    // Friday 1/2 09:00 is before 15:00: handed over at once; D = 1/2; 3 days → 13/2 17:00;
    // the 120-minute pause on Monday 11/2 moves it by 120 working minutes: Thursday 14/2
    // 07:30 + 2 h = 09:30. Finished on 13/2, a day before the due day: early.
    assert_eq!(json["legal_due"], "2019-02-13T17:00:00");
    assert_eq!(json["due"], "2019-02-14T09:30:00");
    assert_eq!(json["timeliness"], "early");
    assert_eq!(json["calendar_version"], CAL.version());
    assert_eq!(json["working_hours"]["morning"]["start"], "07:30:00");
    let back: DeadlineAnswer = serde_json::from_value(json).unwrap();
    assert_eq!(back, answer);

    let q: DeadlineQuery = serde_json::from_str(
        r#"{"kind": "elapsed", "from": "2019-02-01T16:00:00", "to": "2019-02-11T08:30:00"}"#,
    )
    .unwrap();
    let json = serde_json::to_value(engine().answer(&q).unwrap()).unwrap();
    assert_eq!(json["working_time"]["minutes"], 120);
    assert_eq!(json["working_time"]["day_minutes"], 450);
}

#[test]
fn year_view_json() {
    let json = serde_json::to_value(CAL.year(2025).unwrap()).unwrap();
    assert_eq!(json["tet"], "2025-01-29");
    assert_eq!(json["gio_to_hung_vuong"], "2025-04-07");
    assert_eq!(json["leap_month"], 6);
    assert_eq!(json["source"]["kind"], "notice");
    assert_eq!(json["working_weekend_days"][0]["date"], "2025-04-26");
    assert_eq!(json["working_weekend_days"][0]["kind"], "swapped_working");
    let days = json["days"].as_array().unwrap();
    assert_eq!(days.len(), 365);
    let sep2 = days.iter().find(|d| d["date"] == "2025-09-02").unwrap();
    assert_eq!(sep2["kind"], "holiday");
    assert_eq!(sep2["name"], "Quốc khánh");
    assert_eq!(sep2["working"], false);
}

#[test]
fn working_hours_json_is_validated() {
    let ok: WorkingHours = serde_json::from_str(
        r#"{"morning": {"start": "07:00:00", "end": "11:00:00"}, "afternoon": {"start": "13:00:00", "end": "17:00:00"}, "paper_handover_cutoff": "15:00:00"}"#,
    )
    .unwrap();
    assert_eq!(ok.day_minutes(), 480);
    let bad = serde_json::from_str::<WorkingHours>(
        r#"{"morning": {"start": "12:00:00", "end": "11:00:00"}, "afternoon": {"start": "13:00:00", "end": "17:00:00"}, "paper_handover_cutoff": "15:00:00"}"#,
    );
    assert!(bad.is_err());
}

#[test]
fn every_error_code_is_unique_stable_and_has_a_message() {
    let mut codes = CalendarError::CODES.to_vec();
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), CalendarError::CODES.len());
    let samples = [
        CalendarError::YearOutOfRange { year: 1800 },
        CalendarError::InstantOutOfRange {
            at: chrono::NaiveDateTime::MIN,
        },
        CalendarError::InvalidZone { minutes_east: 9999 },
        CalendarError::InvalidLunarDate {
            date: LunarDate::new(2019, 13, 1),
        },
        CalendarError::InvalidWorkingHours { reason: "x".into() },
        CalendarError::Parse {
            what: "notice".into(),
            message: "x".into(),
        },
        CalendarError::InvalidNotice {
            year: 2019,
            reason: "x".into(),
        },
        CalendarError::NoticeConflict {
            date: chrono::NaiveDate::MIN,
        },
        CalendarError::InvalidRule {
            code: "x".into(),
            reason: "x".into(),
        },
        CalendarError::AllotmentMismatch {
            steps: "1".into(),
            total: "2".into(),
        },
        CalendarError::AllotmentUnitMismatch {
            step_unit: "x".into(),
            total_unit: "y".into(),
        },
        CalendarError::InvalidPause { reason: "x".into() },
        CalendarError::InvalidExtension { reason: "x".into() },
        CalendarError::NotAWorkingDay {
            date: chrono::NaiveDate::MIN,
        },
    ];
    assert_eq!(samples.len(), CalendarError::CODES.len());
    for e in &samples {
        assert!(CalendarError::CODES.contains(&e.code()), "{}", e.code());
        assert!(e.code().starts_with("calendar."));
        assert!(!e.message_vi().is_empty());
        assert!(!e.to_string().is_empty());
    }
    let used: std::collections::BTreeSet<_> = samples.iter().map(|e| e.code()).collect();
    assert_eq!(used.len(), samples.len());
}

#[test]
fn the_example_of_docs_calendar_md_computes() {
    let body = r#"{
      "kind": "due",
      "received_at": "2019-02-01T09:00:00",
      "duration": {"days": 3},
      "start": "receipt",
      "steps": [{"name": "Bộ phận Một cửa", "duration": {"half_days": 1}},
                {"name": "Phòng chuyên môn", "duration": {"half_days": 5}}],
      "pauses": [{"reason": "supplement", "from": "2019-02-11T08:00:00", "until": "2019-02-11T10:00:00"}],
      "extension": {"requested_at": "2019-02-13T09:00:00", "target": {"until_date": "2019-02-15"}},
      "finished_at": "2019-02-14T16:00:00"
    }"#;
    let q: DeadlineQuery = serde_json::from_str(body).unwrap();
    let DeadlineAnswer::Due(out) = engine().answer(&q).unwrap() else {
        panic!("not a due answer")
    };
    // Due 13/2 17:00 moved by the 120-minute pause to 14/2 09:30; the first step (1 session
    // after Friday 1/2 afternoon) ends Monday 11/2 11:30; 120 more working minutes after the
    // lunch break: 13:30 + 2 h = 15:30.
    assert_eq!(out.due.unwrap().to_string(), "2019-02-14 09:30:00");
    assert_eq!(out.steps[0].due.unwrap().to_string(), "2019-02-11 15:30:00");
    assert_eq!(out.steps[1].due, out.due);
    assert_eq!(out.appointment.unwrap().to_string(), "2019-02-15 17:00:00");
    assert_eq!(out.timeliness, Some(Timeliness::OnTime));
    assert_eq!(out.appointment_kept, Some(true));
}
