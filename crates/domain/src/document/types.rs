//! Document types (tên loại văn bản) and their abbreviations, as data: a CSV table with a
//! validity period per row, so an abbreviation that changed (TT 01/2011 → NĐ 30/2020 on
//! 5 March 2020) is looked up by date. The application embeds `data/documents/document-types.csv`.
//!
//! Columns: `code,name,abbreviation,series,valid_from,valid_to,source`; `abbreviation` empty for
//! types without one (Công văn, Thư công); `series` is `administrative` (the agency's ordinary
//! series) or `legal_normative` (a series of its own per type, number with the year); dates
//! `YYYY-MM-DD`, empty for open.

use chrono::NaiveDate;
use serde::Serialize;

use crate::error::{DomainError, ErrorCode};
use crate::text::nfc;

/// How documents of a type are numbered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SeriesRule {
    /// The agency's series of ordinary administrative documents.
    Administrative,
    /// A series per type (VBQPPL, NĐ 30/2020 Điều 15 khoản 1), number written with the year.
    LegalNormative,
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentType {
    pub code: String,
    pub name: String,
    pub abbreviation: Option<String>,
    pub series: SeriesRule,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    pub source: String,
}

impl DocumentType {
    pub fn valid_on(&self, d: NaiveDate) -> bool {
        self.valid_from.is_none_or(|f| f <= d) && self.valid_to.is_none_or(|t| d <= t)
    }
}

/// A bad line of the table (1-based, the header is line 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeLineError {
    pub line: usize,
    pub field: &'static str,
    pub code: ErrorCode,
}

/// The table of document types.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DocumentTypes {
    pub rows: Vec<DocumentType>,
}

const HEADER: [&str; 7] = [
    "code",
    "name",
    "abbreviation",
    "series",
    "valid_from",
    "valid_to",
    "source",
];

/// Split one CSV line (RFC 4180 quoting, no embedded line breaks).
fn split_csv(line: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    cur.push('"');
                } else {
                    quoted = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == '"' && at_start {
            quoted = true;
            at_start = false;
        } else if c == ',' {
            out.push(std::mem::take(&mut cur));
            at_start = true;
        } else {
            cur.push(c);
            at_start = false;
        }
    }
    if quoted {
        return None;
    }
    out.push(cur);
    Some(out)
}

impl DocumentTypes {
    /// Parse the CSV text; every bad line is reported (all or nothing).
    pub fn parse(csv: &str) -> Result<DocumentTypes, Vec<TypeLineError>> {
        let mut errors = Vec::new();
        let mut rows: Vec<DocumentType> = Vec::new();
        let mut lines = csv.lines().enumerate();
        let err = |line, field, code| TypeLineError { line, field, code };
        match lines.next() {
            Some((_, h)) => {
                let h = split_csv(h.trim_start_matches('\u{feff}').trim_end_matches('\r'));
                if h.as_deref()
                    .map(|v| v.iter().map(|s| s.trim()).collect::<Vec<_>>())
                    != Some(HEADER.to_vec())
                {
                    return Err(vec![err(1, "header", ErrorCode::ImportFormat)]);
                }
            }
            None => return Err(vec![err(1, "header", ErrorCode::ImportFormat)]),
        }
        for (i, raw) in lines {
            let line = i + 1;
            let raw = raw.trim_end_matches('\r');
            if raw.trim().is_empty() {
                continue;
            }
            let Some(f) = split_csv(raw).filter(|f| f.len() == HEADER.len()) else {
                errors.push(err(line, "line", ErrorCode::ImportFormat));
                continue;
            };
            let code = f[0].trim().to_string();
            if code.is_empty()
                || !code
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                errors.push(err(line, "code", ErrorCode::InvalidFormat));
                continue;
            }
            let name = nfc(&f[1]);
            if name.is_empty() {
                errors.push(err(line, "name", ErrorCode::Required));
                continue;
            }
            let abbreviation = Some(nfc(&f[2])).filter(|a| !a.is_empty());
            if abbreviation
                .as_deref()
                .is_some_and(|a| a.chars().any(|c| !c.is_alphanumeric()))
            {
                errors.push(err(line, "abbreviation", ErrorCode::InvalidFormat));
                continue;
            }
            let series = match f[3].trim() {
                "administrative" => SeriesRule::Administrative,
                "legal_normative" => SeriesRule::LegalNormative,
                _ => {
                    errors.push(err(line, "series", ErrorCode::InvalidChoice));
                    continue;
                }
            };
            let date = |s: &str| -> Result<Option<NaiveDate>, ()> {
                let s = s.trim();
                if s.is_empty() {
                    return Ok(None);
                }
                NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map(Some)
                    .map_err(|_| ())
            };
            let Ok(valid_from) = date(&f[4]) else {
                errors.push(err(line, "valid_from", ErrorCode::InvalidDate));
                continue;
            };
            let Ok(valid_to) = date(&f[5]) else {
                errors.push(err(line, "valid_to", ErrorCode::InvalidDate));
                continue;
            };
            if let (Some(a), Some(b)) = (valid_from, valid_to)
                && b < a
            {
                errors.push(err(line, "valid_to", ErrorCode::InvalidDate));
                continue;
            }
            let row = DocumentType {
                code,
                name,
                abbreviation,
                series,
                valid_from,
                valid_to,
                source: nfc(&f[6]),
            };
            // Two rows of one code must not be in effect on the same day.
            let overlaps = rows.iter().any(|r| {
                r.code == row.code
                    && r.valid_from
                        .is_none_or(|f| row.valid_to.is_none_or(|t| f <= t))
                    && row
                        .valid_from
                        .is_none_or(|f| r.valid_to.is_none_or(|t| f <= t))
            });
            if overlaps {
                errors.push(err(line, "valid_from", ErrorCode::DocumentTypesInvalid));
                continue;
            }
            rows.push(row);
        }
        if errors.is_empty() {
            Ok(DocumentTypes { rows })
        } else {
            Err(errors)
        }
    }

    /// The row of type `code` in effect on `date`.
    pub fn on(&self, code: &str, date: NaiveDate) -> Result<&DocumentType, DomainError> {
        let mut any = false;
        for r in self.rows.iter().filter(|r| r.code == code) {
            any = true;
            if r.valid_on(date) {
                return Ok(r);
            }
        }
        Err(DomainError::field(
            if any {
                ErrorCode::DocumentTypeNotInEffect
            } else {
                ErrorCode::DocumentTypeUnknown
            },
            "type_code",
        ))
    }

    /// The abbreviation of type `code` on `date` (`None` for Công văn and Thư công).
    pub fn abbreviation_on(
        &self,
        code: &str,
        date: NaiveDate,
    ) -> Result<Option<&str>, DomainError> {
        Ok(self.on(code, date)?.abbreviation.as_deref())
    }

    /// The types in effect on `date`, in table order.
    pub fn in_effect(&self, date: NaiveDate) -> impl Iterator<Item = &DocumentType> {
        self.rows.iter().filter(move |r| r.valid_on(date))
    }

    /// The type whose name (folded) is `name` on `date`: for packages that only give a name.
    pub fn by_name(&self, name: &str, date: NaiveDate) -> Option<&DocumentType> {
        let n = crate::text::fold(&nfc(name));
        self.in_effect(date)
            .find(|r| crate::text::fold(&r.name) == n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = include_str!("../../../../data/documents/document-types.csv");

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn bundled_table_parses_and_abbreviations_follow_the_date() {
        let t = DocumentTypes::parse(TABLE).unwrap_or_default();
        assert!(t.rows.len() > 30);
        assert_eq!(
            t.abbreviation_on("quyet_dinh", d(2024, 1, 2)),
            Ok(Some("QĐ"))
        );
        assert_eq!(t.abbreviation_on("cong_van", d(2024, 1, 2)), Ok(None));
        assert_eq!(
            t.abbreviation_on("giay_uy_quyen", d(2020, 3, 5)),
            Ok(Some("GUQ"))
        );
        assert_eq!(
            t.abbreviation_on("giay_uy_quyen", d(2020, 3, 4)),
            Ok(Some("UQ"))
        );
        assert_eq!(t.abbreviation_on("hop_dong", d(2024, 1, 2)), Ok(Some("HĐ")));
        assert_eq!(
            t.abbreviation_on("huong_dan", d(2024, 1, 2)),
            Ok(Some("HD"))
        );
        assert_eq!(
            t.abbreviation_on("giay_di_duong", d(2021, 1, 1))
                .map_err(|e| e.code),
            Err(ErrorCode::DocumentTypeNotInEffect)
        );
        assert_eq!(
            t.abbreviation_on("khong_co", d(2021, 1, 1))
                .map_err(|e| e.code),
            Err(ErrorCode::DocumentTypeUnknown)
        );
        assert_eq!(
            t.on("quyet_dinh_qppl", d(2021, 1, 1)).map(|r| r.series),
            Ok(SeriesRule::LegalNormative)
        );
        assert_eq!(
            t.by_name("cong van", d(2021, 1, 1))
                .map(|r| r.code.as_str()),
            Some("cong_van")
        );
    }

    #[test]
    fn errors_are_line_numbered() {
        let csv = "code,name,abbreviation,series,valid_from,valid_to,source\n\
                   ok,Được,OK,administrative,,,x\n\
                   Bad,Tên,B,administrative,,,x\n\
                   ok2,,B,administrative,,,x\n\
                   ok3,Tên,B,weekly,,,x\n\
                   ok4,Tên,B,administrative,2020-13-01,,x\n\
                   ok,Lặp,OK2,administrative,2020-01-01,,x\n\
                   ok5,\"Tên, có phẩy\",B,administrative,,,\"nguồn, có phẩy\"\n\
                   short,line\n";
        let e = DocumentTypes::parse(csv).err().unwrap_or_default();
        let got: Vec<(usize, &str)> = e.iter().map(|e| (e.line, e.field)).collect();
        assert_eq!(
            got,
            vec![
                (3, "code"),
                (4, "name"),
                (5, "series"),
                (6, "valid_from"),
                (7, "valid_from"),
                (9, "line")
            ]
        );
        assert_eq!(
            DocumentTypes::parse("x,y\n").err().map(|e| e[0].line),
            Some(1)
        );
    }
}
