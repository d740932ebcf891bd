//! The dossier code (mã hồ sơ, standards §0 and §1.1):
//! `{agency identifier}-{yyMMdd}-{NNNN}`, e.g. `000.00.00.H53-250303-0001`.
//!
//! - The agency identifier is the receiving agency's (`NNN.NN.NN.Xnn`).
//! - The date is the day the dossier entered the system, in Asia/Ho_Chi_Minh (UTC+7): a
//!   submission at 23:30 UTC counts on the next calendar day in Vietnam.
//! - `NNNN` is the agency's counter for that day, from 1, zero-padded to 4 digits.
//! - **Past 9999** the counter widens to 5 or 6 digits without padding (`…-10000`), as the
//!   production generator the standards cite does (`PadLeft(4, '0')` only pads); the largest
//!   counter is 999 999 (`dossier.code_sequence_out_of_range` beyond), which keeps a code at most
//!   27 characters. Parsing accepts only the canonical form: exactly 4 digits below 10000, no
//!   leading zero above.
//!
//! Uniqueness is the store's job: it draws the counter with an atomic `UPDATE … RETURNING` on an
//! `(agency, date)` row in the transaction that records the dossier.

use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::error::DossierError;
use crate::agency::AgencyIdentifier;
use crate::calendar::to_local;

/// A dossier code. Ordering is by agency, then date, then counter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DossierCode {
    agency: AgencyIdentifier,
    date: NaiveDate,
    sequence: u32,
}

impl DossierCode {
    /// Digits the counter is padded to.
    pub const MIN_DIGITS: usize = 4;
    /// The largest daily counter.
    pub const MAX_SEQUENCE: u32 = 999_999;

    /// A code for `agency`, the local date `date` and the daily counter `sequence` (from 1).
    /// The date must lie in 2000–2099 (two-digit years).
    pub fn new(
        agency: AgencyIdentifier,
        date: NaiveDate,
        sequence: u32,
    ) -> Result<DossierCode, DossierError> {
        if sequence == 0 || sequence > Self::MAX_SEQUENCE {
            return Err(DossierError::SequenceOutOfRange { sequence });
        }
        if !(2000..=2099).contains(&date.year()) {
            return Err(DossierError::InvalidCode {
                value: format!("{agency}-{}-{sequence}", date.format("%Y%m%d")),
            });
        }
        Ok(DossierCode {
            agency,
            date,
            sequence,
        })
    }

    /// The code of a dossier that entered the system at the UTC instant `at`: the date is
    /// `at`'s calendar day in Asia/Ho_Chi_Minh.
    pub fn for_instant(
        agency: AgencyIdentifier,
        at: DateTime<Utc>,
        sequence: u32,
    ) -> Result<DossierCode, DossierError> {
        DossierCode::new(agency, Self::local_date(at), sequence)
    }

    /// The calendar day of a UTC instant in Asia/Ho_Chi_Minh (UTC+7): the day a counter row is
    /// keyed by.
    pub fn local_date(at: DateTime<Utc>) -> NaiveDate {
        to_local(at).date()
    }

    /// Parses a code. Surrounding white space is ignored and the agency's letter may be lower
    /// case; everything else must be canonical.
    pub fn parse(raw: &str) -> Result<DossierCode, DossierError> {
        let value = raw.trim();
        let bad = || DossierError::InvalidCode {
            value: value.to_string(),
        };
        let mut parts = value.split('-');
        let (Some(agency), Some(date), Some(seq), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let agency = AgencyIdentifier::parse(agency).map_err(|_| bad())?;
        if date.len() != 6 || !date.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let date = NaiveDate::parse_from_str(&format!("20{date}"), "%Y%m%d").map_err(|_| bad())?;
        let canonical_width = seq.len() == Self::MIN_DIGITS
            || (seq.len() > Self::MIN_DIGITS && !seq.starts_with('0'));
        if !canonical_width || !seq.bytes().all(|b| b.is_ascii_digit()) || seq.len() > 6 {
            return Err(bad());
        }
        let sequence: u32 = seq.parse().map_err(|_| bad())?;
        DossierCode::new(agency, date, sequence).map_err(|_| bad())
    }

    /// The receiving agency.
    pub fn agency(&self) -> &AgencyIdentifier {
        &self.agency
    }

    /// The local date of receipt.
    pub fn date(&self) -> NaiveDate {
        self.date
    }

    /// The daily counter.
    pub fn sequence(&self) -> u32 {
        self.sequence
    }
}

impl std::fmt::Display for DossierCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}-{}-{:0width$}",
            self.agency,
            self.date.format("%y%m%d"),
            self.sequence,
            width = Self::MIN_DIGITS
        )
    }
}

impl FromStr for DossierCode {
    type Err = DossierError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DossierCode::parse(s)
    }
}

impl TryFrom<String> for DossierCode {
    type Error = DossierError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        DossierCode::parse(&s)
    }
}

impl From<DossierCode> for String {
    fn from(c: DossierCode) -> Self {
        c.to_string()
    }
}
