//! Biểu II.06a over a hand-counted month.

use chrono::{DateTime, TimeZone, Utc};
use cqdt_domain::dossier::{
    Channel, Command, Dossier, DossierEvent, Ii06aRow, ReportPeriod, ReturnMethod, ii06a_by_field,
    ii06a_row,
};
use cqdt_domain::procedure::ServiceLevel;

use super::{code_at, engine, plain_terms, vn};

struct Story {
    field: &'static str,
    d: Dossier,
    events: Vec<DossierEvent>,
}

impl Story {
    fn submitted(field: &'static str, channel: Channel, at: DateTime<Utc>) -> Story {
        let d = Dossier::new(plain_terms(ServiceLevel::FullyOnline, field));
        let code = code_at(at, 1);
        let cmd = match channel {
            Channel::Online => Command::SubmitOnline { code },
            Channel::Direct => Command::ReceiveAtDesk { code },
            Channel::Post => Command::ReceiveByPost { code },
        };
        Story {
            field,
            d,
            events: vec![],
        }
        .then(at, cmd)
    }

    fn received(field: &'static str, channel: Channel, at: DateTime<Utc>) -> Story {
        Story::submitted(field, channel, at).then(at, Command::Accept)
    }

    fn then(mut self, at: DateTime<Utc>, cmd: Command) -> Story {
        let events = self.d.apply(at, None, cmd, &engine()).unwrap();
        self.events.extend(events);
        self
    }

    fn finished(self, at: DateTime<Utc>) -> Story {
        self.then(at, Command::HandOver)
            .then(at, Command::CompleteStep { note: None })
    }
}

fn month() -> Vec<Story> {
    use Channel::{Direct, Online, Post};
    const H: &str = "Hộ tịch";
    const C: &str = "Chứng thực";
    let supplement = || Command::RequestSupplement {
        reasons: vec!["Thiếu giấy tờ".into()],
    };
    // Legal time 5 working days everywhere; due dates in the comments (17:00).
    vec![
        // A: received 24/2 (due 3/3), finished 28/2: before the period.
        Story::received(H, Online, vn(2025, 2, 24, 9, 0)).finished(vn(2025, 2, 28, 10, 0)),
        // B: received 26/2 (due 5/3), finished 5/3 10:00: carried over, on time.
        Story::received(H, Direct, vn(2025, 2, 26, 9, 0)).finished(vn(2025, 3, 5, 10, 0)),
        // C: received 27/2 (due 6/3), still open: carried over, overdue.
        Story::received(H, Direct, vn(2025, 2, 27, 9, 0))
            .then(vn(2025, 2, 27, 10, 0), Command::HandOver),
        // D: received 3/3 online (due 10/3), finished 7/3: early.
        Story::received(H, Online, vn(2025, 3, 3, 9, 0)).finished(vn(2025, 3, 7, 10, 0)),
        // E: received 4/3 by post (due 11/3), finished 12/3: late; returned 13/3.
        Story::received(H, Post, vn(2025, 3, 4, 9, 0))
            .finished(vn(2025, 3, 12, 10, 0))
            .then(
                vn(2025, 3, 13, 9, 0),
                Command::ReturnResult {
                    method: ReturnMethod::Post,
                },
            ),
        // F: received 24/3 (due 31/3), open: due on the last day, within.
        Story::received(H, Direct, vn(2025, 3, 24, 9, 0)),
        // G: received 25/3 online (due 1/4), supplement requested 26/3: paused, within.
        Story::received(H, Online, vn(2025, 3, 25, 9, 0)).then(vn(2025, 3, 26, 9, 0), supplement()),
        // H: received 5/3 online, withdrawn 6/3.
        Story::received(H, Online, vn(2025, 3, 5, 9, 0))
            .then(vn(2025, 3, 6, 9, 0), Command::Withdraw { reason: None }),
        // I: received 6/3 at the desk, stopped 10/3.
        Story::received(H, Direct, vn(2025, 3, 6, 9, 0))
            .then(vn(2025, 3, 6, 10, 0), Command::HandOver)
            .then(
                vn(2025, 3, 10, 9, 0),
                Command::Reject {
                    reasons: vec!["Không đủ điều kiện".into()],
                },
            ),
        // J: submitted online 28/3, refused: never received.
        Story::submitted(H, Online, vn(2025, 3, 28, 9, 0)).then(
            vn(2025, 3, 28, 10, 0),
            Command::Refuse {
                reasons: vec!["Sai thủ tục".into()],
            },
        ),
        // K: submitted and received at 17:30 UTC on 31/3 = 00:30 on 1/4 in Vietnam: April.
        Story::received(
            H,
            Online,
            Utc.with_ymd_and_hms(2025, 3, 31, 17, 30, 0).unwrap(),
        ),
        // L: received 10/3 (due 17/3), open: overdue.
        Story::received(H, Direct, vn(2025, 3, 10, 9, 0))
            .then(vn(2025, 3, 10, 10, 0), Command::HandOver),
        // M: received 14/2 (due 21/2), supplement requested 17/2, never answered: carried over,
        // paused before its due date, within.
        Story::received(H, Direct, vn(2025, 2, 14, 9, 0)).then(vn(2025, 2, 17, 9, 0), supplement()),
        // O: received 26/3 online (due 2/4), finished 2/4: open at the end of March, within.
        Story::received(H, Online, vn(2025, 3, 26, 9, 0)).finished(vn(2025, 4, 2, 10, 0)),
        // N1: received 20/3 (due 27/3), finished 21/3: early.
        Story::received(C, Direct, vn(2025, 3, 20, 9, 0)).finished(vn(2025, 3, 21, 10, 0)),
        // N2: received online 31/3 16:00 (due 8/4, after Giỗ Tổ on 7/4), open: within.
        Story::received(C, Online, vn(2025, 3, 31, 16, 0)),
    ]
}

fn row(c: [u64; 11]) -> Ii06aRow {
    Ii06aRow {
        received_total: c[0],
        received_online: c[1],
        received_direct_or_post: c[2],
        carried_over: c[3],
        resolved_total: c[4],
        resolved_early: c[5],
        resolved_on_time: c[6],
        resolved_late: c[7],
        pending_total: c[8],
        pending_within: c[9],
        pending_overdue: c[10],
    }
}

#[test]
fn march_2025_hand_counted() {
    let stories = month();
    let march = ReportPeriod::month(2025, 3).unwrap();
    assert_eq!(
        march.to,
        chrono::NaiveDate::from_ymd_opt(2025, 3, 31).unwrap()
    );
    let report = ii06a_by_field(
        stories.iter().map(|s| (s.field, s.events.as_slice())),
        &march,
    );
    //                          (3) (4) (5) (6) (7) (8) (9) (10) (11) (12) (13)
    let chung_thuc = row([2, 1, 1, 0, 1, 1, 0, 0, 1, 1, 0]);
    let ho_tich = row([11, 4, 4, 3, 3, 1, 1, 1, 6, 4, 2]);
    let total = row([13, 5, 5, 3, 4, 2, 1, 1, 7, 5, 2]);
    assert_eq!(report.lines.len(), 2);
    assert_eq!(
        (report.lines[0].number, report.lines[0].field.as_str()),
        (1, "Chứng thực")
    );
    assert_eq!(report.lines[0].row, chung_thuc);
    assert_eq!(
        (report.lines[1].number, report.lines[1].field.as_str()),
        (2, "Hộ tịch")
    );
    assert_eq!(report.lines[1].row, ho_tich);
    assert_eq!(report.total, total);
    assert_eq!(
        ii06a_row(stories.iter().map(|s| s.events.as_slice()), &march),
        total
    );
    // (3) = (4) + (5) + (6); (7) = (8) + (9) + (10); (11) = (12) + (13).
    let c = total.columns();
    assert_eq!(c[0], c[1] + c[2] + c[3]);
    assert_eq!(c[4], c[5] + c[6] + c[7]);
    assert_eq!(c[8], c[9] + c[10]);
}

#[test]
fn february_2025_hand_counted() {
    let stories = month();
    let feb = ReportPeriod::month(2025, 2).unwrap();
    let report = ii06a_by_field(stories.iter().map(|s| (s.field, s.events.as_slice())), &feb);
    // A, B, C, M received in February; A finished early; B, C, M open and within (M paused).
    assert_eq!(report.lines.len(), 1);
    assert_eq!(report.lines[0].field, "Hộ tịch");
    assert_eq!(report.lines[0].row, row([4, 1, 3, 0, 1, 1, 0, 0, 3, 3, 0]));
}

#[test]
fn periods() {
    let d = |m, day| chrono::NaiveDate::from_ymd_opt(2025, m, day).unwrap();
    assert_eq!(
        ReportPeriod::new(d(3, 2), d(3, 1)).unwrap_err().code(),
        "dossier.invalid_report_period"
    );
    assert!(ReportPeriod::new(d(3, 1), d(3, 1)).is_ok());
    assert_eq!(
        ReportPeriod::month(2024, 2).unwrap().to.to_string(),
        "2024-02-29"
    );
    assert_eq!(
        ReportPeriod::month(2025, 12).unwrap().to.to_string(),
        "2025-12-31"
    );
    assert!(ReportPeriod::month(2025, 13).is_err());
}
