//! Vietnamese formats for dates, times and money, as administrative documents write them.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};

/// `ngày 05 tháng 02 năm 2019`.
///
/// Days below 10 and the months 1 and 2 take a leading zero; the months 3–12 do not
/// (`ngày 15 tháng 3 năm 2019`), as TT 01/2011/TT-BNV Điều 9 and NĐ 30/2020 Phụ lục I write dates.
pub fn date_vi(date: NaiveDate) -> String {
    let month = date.month();
    let month = if month <= 2 {
        format!("{month:02}")
    } else {
        month.to_string()
    };
    format!("ngày {:02} tháng {} năm {}", date.day(), month, date.year())
}

/// `14 giờ 30 phút, ngày 05 tháng 02 năm 2019` (the wording of the forms' "… giờ … phút, ngày …").
pub fn datetime_vi(at: NaiveDateTime) -> String {
    format!(
        "{:02} giờ {:02} phút, {}",
        at.hour(),
        at.minute(),
        date_vi(at.date())
    )
}

/// Whole đồng with a dot every three digits and the đồng sign: `8.000 ₫`, `-1.250.000 ₫`.
pub fn vnd(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 4);
    if amount < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out.push_str(" ₫");
    out
}

/// Upper case for headers and titles (`Ủy ban nhân dân` → `ỦY BAN NHÂN DÂN`); Unicode's case
/// mapping covers every precomposed Vietnamese letter.
pub(crate) fn upper(text: &str) -> String {
    text.to_uppercase()
}

/// The first letter in upper case, for a sentence that starts with a formatted date.
pub(crate) fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
