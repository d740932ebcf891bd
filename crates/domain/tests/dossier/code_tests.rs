//! The dossier code: format, parse, the UTC+7 date, the counter past 9999.

use chrono::{NaiveDate, TimeZone, Utc};
use cqdt_domain::agency::AgencyIdentifier;
use cqdt_domain::dossier::DossierCode;
use proptest::prelude::*;

use super::tay_ninh;

#[test]
fn formats_the_documented_example() {
    let agency = AgencyIdentifier::parse("000.00.53.H48").unwrap();
    let c = DossierCode::new(agency, NaiveDate::from_ymd_opt(2022, 9, 21).unwrap(), 99).unwrap();
    assert_eq!(c.to_string(), "000.00.53.H48-220921-0099");
    assert_eq!(DossierCode::parse("000.00.53.H48-220921-0099").unwrap(), c);
    assert_eq!(c.sequence(), 99);
    assert_eq!(c.date(), NaiveDate::from_ymd_opt(2022, 9, 21).unwrap());
    assert_eq!(c.agency().as_str(), "000.00.53.H48");
}

#[test]
fn date_is_the_vietnamese_day_of_the_instant() {
    // 23:30 UTC on 3 March is 06:30 on 4 March in Vietnam.
    let late = Utc.with_ymd_and_hms(2025, 3, 3, 23, 30, 0).unwrap();
    assert_eq!(
        DossierCode::for_instant(tay_ninh(), late, 1)
            .unwrap()
            .to_string(),
        "000.00.00.H53-250304-0001"
    );
    // The boundary is 17:00 UTC.
    let before = Utc.with_ymd_and_hms(2025, 3, 3, 16, 59, 59).unwrap();
    let at = Utc.with_ymd_and_hms(2025, 3, 3, 17, 0, 0).unwrap();
    assert_eq!(
        DossierCode::local_date(before),
        NaiveDate::from_ymd_opt(2025, 3, 3).unwrap()
    );
    assert_eq!(
        DossierCode::local_date(at),
        NaiveDate::from_ymd_opt(2025, 3, 4).unwrap()
    );
    // New Year's Eve in UTC is already 1 January in Vietnam (year in the code too).
    let nye = Utc.with_ymd_and_hms(2025, 12, 31, 18, 0, 0).unwrap();
    assert_eq!(
        DossierCode::for_instant(tay_ninh(), nye, 7)
            .unwrap()
            .to_string(),
        "000.00.00.H53-260101-0007"
    );
}

#[test]
fn counter_widens_past_9999_and_stops_at_999999() {
    let d = NaiveDate::from_ymd_opt(2025, 3, 3).unwrap();
    let code = |n| DossierCode::new(tay_ninh(), d, n).map(|c| c.to_string());
    assert_eq!(code(1).unwrap(), "000.00.00.H53-250303-0001");
    assert_eq!(code(9999).unwrap(), "000.00.00.H53-250303-9999");
    assert_eq!(code(10000).unwrap(), "000.00.00.H53-250303-10000");
    assert_eq!(code(999_999).unwrap(), "000.00.00.H53-250303-999999");
    assert_eq!(
        code(1_000_000).unwrap_err().code(),
        "dossier.code_sequence_out_of_range"
    );
    assert_eq!(
        code(0).unwrap_err().code(),
        "dossier.code_sequence_out_of_range"
    );
    // Codes past 9999 parse back.
    assert_eq!(
        DossierCode::parse("000.00.00.H53-250303-10000")
            .unwrap()
            .sequence(),
        10000
    );
}

#[test]
fn parse_refuses_malformed_codes() {
    for bad in [
        "",
        "000.00.00.H53-250303",
        "000.00.00.H53-250303-001",
        "000.00.00.H53-250303-00001",
        "000.00.00.H53-250303-0000",
        "000.00.00.H53-250230-0001",
        "000.00.00.H53-20250303-0001",
        "000.00.00.H53-250303-0001-1",
        "000.00.00.53-250303-0001",
        "000.00.00.H53-25O303-0001",
        "000.00.00.H53-250303-1000000",
        "000.00.00.H53 250303 0001",
    ] {
        let e = DossierCode::parse(bad).unwrap_err();
        assert_eq!(e.code(), "dossier.invalid_code", "{bad:?}");
    }
    // Lenient about case and surrounding space, canonical on output.
    assert_eq!(
        DossierCode::parse(" 000.00.00.h53-250303-0042 ")
            .unwrap()
            .to_string(),
        "000.00.00.H53-250303-0042"
    );
}

#[test]
fn serde_is_the_text_form() {
    let c = DossierCode::parse("000.00.00.H53-250303-0042").unwrap();
    let json = serde_json::to_string(&c).unwrap();
    assert_eq!(json, "\"000.00.00.H53-250303-0042\"");
    assert_eq!(serde_json::from_str::<DossierCode>(&json).unwrap(), c);
    assert!(serde_json::from_str::<DossierCode>("\"nope\"").is_err());
}

fn agency_strategy() -> impl Strategy<Value = AgencyIdentifier> {
    (
        0u32..3,
        1u32..100,
        1u32..100,
        1u32..1000,
        b'A'..=b'Z',
        0u32..100,
    )
        .prop_map(|(depth, l2, l3, l4, letter, n)| {
            let letter = letter as char;
            let s = match depth {
                0 => format!("000.00.00.{letter}{n:02}"),
                1 => format!("000.00.{l2:02}.{letter}{n:02}"),
                _ => format!("{l4:03}.{l3:02}.{l2:02}.{letter}{n:02}"),
            };
            AgencyIdentifier::parse(&s).unwrap()
        })
}

proptest! {
    #[test]
    fn format_parse_round_trip(
        agency in agency_strategy(),
        days in 0i64..36_500,
        seq in 1u32..=999_999,
    ) {
        let date = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + chrono::Duration::days(days);
        let code = DossierCode::new(agency, date, seq).unwrap();
        let text = code.to_string();
        prop_assert_eq!(DossierCode::parse(&text).unwrap(), code);
        let counter = text.rsplit('-').next().unwrap();
        prop_assert_eq!(counter.len(), if seq < 10_000 { 4 } else { seq.to_string().len() });
    }

    #[test]
    fn date_is_utc_plus_seven(secs in 946_684_800i64..4_102_419_600) {
        let at = Utc.timestamp_opt(secs, 0).unwrap();
        let code = DossierCode::for_instant(tay_ninh(), at, 1).unwrap();
        let expected = (at + chrono::Duration::hours(7)).date_naive();
        prop_assert_eq!(code.date(), expected);
    }
}
