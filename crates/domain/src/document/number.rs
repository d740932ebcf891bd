//! Number and notation of an issued document (NĐ 30/2020 Điều 15 and Phụ lục I).
//!
//! - Numbers run from 1 each 1 January per issuing agency and series, and are written with a
//!   leading zero below 10: `05/QĐ-UBND`.
//! - The notation is the type abbreviation and the issuer abbreviation (`QĐ-UBND`); a công văn
//!   (no type abbreviation) has the issuer abbreviation and the drafting unit (`UBND-VP`).
//! - Series: the ordinary administrative series; a series of its own per type for legal
//!   normative documents (written `12/2020/QĐ-UBND`, Luật Ban hành VBQPPL 2015 Điều 8); secret
//!   documents their own series (NĐ 30/2020 Điều 15 khoản 1).
//! - Incoming documents have one arrival series per agency and year, shared by paper and
//!   electronic documents (Điều 22).

use serde::{Deserialize, Serialize};

use super::kinds::Secrecy;
use super::types::SeriesRule;
use crate::error::{DomainError, ErrorCode};

/// The highest number a series may reach in a year (the metadata's `CodeNumber` is 11
/// characters; this keeps numbers readable and catches runaway counters).
pub const MAX_NUMBER: u32 = 99_999_999;

/// A number series of an agency (the counter key beside agency and year).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Series {
    /// Arrival numbers of incoming documents (sổ văn bản đến).
    Incoming,
    /// Ordinary outgoing administrative documents.
    Administrative,
    /// Legal normative documents of one type (by type code).
    LegalNormative(String),
    /// Secret outgoing documents.
    Secret,
}

impl Series {
    /// The series of an outgoing document of type `code` with `rule` and `secrecy`.
    pub fn outgoing(code: &str, rule: SeriesRule, secrecy: Secrecy) -> Series {
        if secrecy.is_secret() {
            Series::Secret
        } else {
            match rule {
                SeriesRule::Administrative => Series::Administrative,
                SeriesRule::LegalNormative => Series::LegalNormative(code.to_string()),
            }
        }
    }
    /// The stored key: `den`, `hc`, `qppl:<type>`, `mat`.
    pub fn key(&self) -> String {
        match self {
            Series::Incoming => "den".into(),
            Series::Administrative => "hc".into(),
            Series::LegalNormative(t) => format!("qppl:{t}"),
            Series::Secret => "mat".into(),
        }
    }
}

/// A number as written: at least two digits.
pub fn format_number(n: u32) -> String {
    format!("{n:02}")
}

/// An abbreviation of an agency or unit: letters and digits (Vietnamese letters kept: `Đ`),
/// 1–20 characters.
pub fn check_abbreviation(s: &str, field: &str) -> Result<String, DomainError> {
    let s = crate::text::nfc(s);
    let ok = !s.is_empty() && s.chars().count() <= 20 && s.chars().all(|c| c.is_alphanumeric());
    if ok {
        Ok(s)
    } else {
        Err(DomainError::field(
            ErrorCode::DocumentInvalidAbbreviation,
            field,
        ))
    }
}

/// The notation (ký hiệu): `QĐ-UBND`, or for a type without abbreviation `UBND-VP` (or just
/// the issuer when no drafting unit is given).
pub fn notation(type_abbr: Option<&str>, issuer: &str, drafting_unit: Option<&str>) -> String {
    match (type_abbr, drafting_unit) {
        (Some(t), _) => format!("{t}-{issuer}"),
        (None, Some(u)) => format!("{issuer}-{u}"),
        (None, None) => issuer.to_string(),
    }
}

/// What the clerk stamps on an issued document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedNumber {
    pub number: u32,
    pub year: i32,
    /// The series key (`Series::key`).
    pub series: String,
    /// `QĐ-UBND`.
    pub notation: String,
    /// The whole "Số": `05/QĐ-UBND`, or `12/2020/QĐ-UBND` for a legal normative document.
    pub full: String,
    /// Ngày ban hành (local date).
    pub date: chrono::NaiveDate,
}

impl IssuedNumber {
    pub fn new(
        number: u32,
        date: chrono::NaiveDate,
        series: &Series,
        notation: String,
    ) -> Result<IssuedNumber, DomainError> {
        use chrono::Datelike;
        if number == 0 || number > MAX_NUMBER {
            return Err(DomainError::new(ErrorCode::DocumentNumberOutOfRange));
        }
        let full = match series {
            Series::LegalNormative(_) => {
                format!("{}/{}/{}", format_number(number), date.year(), notation)
            }
            _ => format!("{}/{}", format_number(number), notation),
        };
        Ok(IssuedNumber {
            number,
            year: date.year(),
            series: series.key(),
            notation,
            full,
            date,
        })
    }
}

/// The edXML `DocumentId`: `{OrganId},{yyyy/MM/dd},{CodeNumber}/{CodeNotation}`, with the
/// whole "Số" (so a legal normative document's year is part of it: `12/2024/QĐ-UBND`).
pub fn edxml_document_id(organ_id: &str, n: &IssuedNumber) -> String {
    format!("{organ_id},{},{}", n.date.format("%Y/%m/%d"), n.full)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn numbers_and_notations() {
        let d = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap_or_default();
        assert_eq!(format_number(5), "05");
        assert_eq!(format_number(123), "123");
        assert_eq!(notation(Some("QĐ"), "UBND", None), "QĐ-UBND");
        assert_eq!(notation(None, "UBND", Some("VP")), "UBND-VP");
        let n = IssuedNumber::new(5, d, &Series::Administrative, "QĐ-UBND".into()).ok();
        assert_eq!(n.as_ref().map(|n| n.full.as_str()), Some("05/QĐ-UBND"));
        let q = IssuedNumber::new(
            12,
            d,
            &Series::LegalNormative("quyet_dinh_qppl".into()),
            "QĐ-UBND".into(),
        )
        .ok();
        assert_eq!(q.as_ref().map(|n| n.full.as_str()), Some("12/2024/QĐ-UBND"));
        assert_eq!(
            n.map(|n| edxml_document_id("000.00.00.H53", &n)),
            Some("000.00.00.H53,2024/03/01,05/QĐ-UBND".to_string())
        );
        assert!(IssuedNumber::new(0, d, &Series::Administrative, "x".into()).is_err());
        assert_eq!(
            Series::outgoing("quyet_dinh", SeriesRule::Administrative, Secrecy::Secret),
            Series::Secret
        );
        assert_eq!(Series::Incoming.key(), "den");
        assert!(check_abbreviation("UBND", "x").is_ok());
        assert!(check_abbreviation("SGDĐT", "x").is_ok());
        assert!(check_abbreviation("UB-ND", "x").is_err());
        assert!(check_abbreviation("", "x").is_err());
    }
}
