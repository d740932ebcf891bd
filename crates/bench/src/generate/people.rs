//! Applicants and their form values: Vietnamese names with diacritics (surnames weighted as in
//! the population), 12-digit căn cước numbers (province code, sex and century digit, year of
//! birth), mobile phones, addresses in the receiving commune or district, and a value for every
//! field of a procedure's form by its type.

use super::rng::Rng;
use chrono::NaiveDate;
use cqdt_domain::procedure::{FieldType, FormField};
use std::collections::BTreeMap;

/// (surname, weight in ‰ of the population)
const SURNAMES: &[(&str, f64)] = &[
    ("Nguyễn", 380.0),
    ("Trần", 110.0),
    ("Lê", 95.0),
    ("Phạm", 70.0),
    ("Huỳnh", 40.0),
    ("Hoàng", 20.0),
    ("Phan", 45.0),
    ("Võ", 39.0),
    ("Vũ", 10.0),
    ("Đặng", 21.0),
    ("Bùi", 20.0),
    ("Đỗ", 14.0),
    ("Hồ", 13.0),
    ("Ngô", 13.0),
    ("Dương", 10.0),
    ("Lý", 5.0),
    ("Trương", 8.0),
    ("Đinh", 5.0),
    ("Lâm", 5.0),
    ("Mai", 4.0),
    ("Tô", 3.0),
    ("Châu", 3.0),
    ("Thái", 3.0),
    ("Cao", 3.0),
];

const MIDDLE_MALE: &[&str] = &[
    "Văn", "Văn", "Văn", "Minh", "Hoàng", "Thanh", "Hữu", "Đức", "Quốc", "Công", "Ngọc", "Tấn",
    "Thành", "Trung", "Gia", "Nhật",
];
const MIDDLE_FEMALE: &[&str] = &[
    "Thị", "Thị", "Thị", "Ngọc", "Thanh", "Thu", "Kim", "Mỹ", "Bích", "Hồng", "Phương", "Minh",
    "Thùy", "Diễm", "Tuyết",
];
const GIVEN_MALE: &[&str] = &[
    "Hùng", "Dũng", "Tuấn", "Minh", "Hải", "Phúc", "Long", "Nam", "Khoa", "Tài", "Lộc", "Phước",
    "Thành", "Trung", "Hiếu", "Nhân", "Tâm", "Sơn", "Cường", "Đạt", "Khang", "Bảo", "Huy", "Quang",
    "Thịnh", "Vinh", "Toàn", "Nghĩa", "Trí", "Thắng", "Lực", "Hòa",
];
const GIVEN_FEMALE: &[&str] = &[
    "Lan", "Hương", "Mai", "Hoa", "Linh", "Trang", "Ngọc", "Thảo", "Nhung", "Yến", "Phương",
    "Hạnh", "Thủy", "Loan", "Diễm", "Vy", "Trinh", "Nga", "Hằng", "Oanh", "Tuyết", "Nhi", "Hiền",
    "Dung", "Xuân", "Thanh", "Ánh", "My", "Quyên", "Uyên",
];
const STREETS: &[&str] = &[
    "Cách Mạng Tháng Tám",
    "30 Tháng 4",
    "Trần Hưng Đạo",
    "Nguyễn Trãi",
    "Lê Lợi",
    "Điện Biên Phủ",
    "Hoàng Lê Kha",
    "Trưng Nữ Vương",
    "Nguyễn Văn Linh",
    "Tôn Đức Thắng",
    "Lạc Long Quân",
    "Bời Lời",
    "Huỳnh Tấn Phát",
    "Phạm Văn Đồng",
    "Nguyễn Chí Thanh",
];
const HAMLETS: &[&str] = &[
    "ấp Bình Trung",
    "ấp Tân Lập",
    "ấp Thạnh Hòa",
    "ấp Bến Mương",
    "ấp Phước Hội",
    "ấp Long Châu",
    "ấp Ninh Hưng",
    "khu phố 1",
    "khu phố 2",
    "khu phố 3",
    "khu phố 4",
];
/// Birth provinces' căn cước codes: mostly Tây Ninh (072), then neighbours.
const PROVINCE_CODES: &[(&str, f64)] = &[
    ("072", 85.0),
    ("079", 4.0),
    ("074", 3.0),
    ("080", 3.0),
    ("070", 2.0),
    ("087", 1.0),
    ("036", 1.0),
    ("038", 1.0),
];
const MOBILE_PREFIXES: &[&str] = &[
    "090", "091", "093", "094", "096", "097", "098", "086", "088", "089", "032", "033", "034",
    "035", "036", "037", "038", "039", "070", "076", "077", "078", "079", "081", "082", "083",
    "084", "085",
];
const ETHNIC: &[(&str, f64)] = &[("Kinh", 97.0), ("Khmer", 1.5), ("Hoa", 1.0), ("Chăm", 0.5)];
const PHRASES: &[&str] = &[
    "Theo hồ sơ kèm theo",
    "Bổ sung thông tin hộ tịch",
    "Phục vụ thủ tục vay vốn ngân hàng",
    "Sử dụng để nộp hồ sơ xin việc",
    "Kinh doanh tạp hóa",
    "Mua bán nông sản",
    "Sửa chữa xe máy",
    "Cà phê, giải khát",
    "Thay đổi địa chỉ theo đơn",
    "Đề nghị giải quyết theo quy định",
    "Cập nhật thông tin cá nhân",
    "Chuyển nhượng quyền sử dụng đất nông nghiệp",
];

pub struct Tables {
    surnames: Vec<f64>,
    provinces: Vec<f64>,
    ethnic: Vec<f64>,
}

impl Tables {
    pub fn new() -> Tables {
        Tables {
            surnames: super::rng::cumulative(SURNAMES.iter().map(|s| s.1)),
            provinces: super::rng::cumulative(PROVINCE_CODES.iter().map(|s| s.1)),
            ethnic: super::rng::cumulative(ETHNIC.iter().map(|s| s.1)),
        }
    }
}

/// A generated person.
#[derive(Debug, Clone)]
pub struct Person {
    pub name: String,
    pub born: NaiveDate,
    pub id_number: String,
    pub phone: String,
    pub email: Option<String>,
    pub address: String,
}

pub fn name(t: &Tables, r: &mut Rng, female: bool) -> String {
    let surname = SURNAMES[r.weighted(&t.surnames)].0;
    let (middle, given) = if female {
        (r.pick(MIDDLE_FEMALE), r.pick(GIVEN_FEMALE))
    } else {
        (r.pick(MIDDLE_MALE), r.pick(GIVEN_MALE))
    };
    // A quarter of names carry two middle names (Nguyễn Thị Thu Hà).
    if r.chance(0.25) {
        let second = if female {
            r.pick(MIDDLE_FEMALE)
        } else {
            r.pick(MIDDLE_MALE)
        };
        if second != middle {
            return format!("{surname} {middle} {second} {given}");
        }
    }
    format!("{surname} {middle} {given}")
}

fn ascii(s: &str) -> String {
    cqdt_domain::text::fold(s)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

pub fn id_number(t: &Tables, r: &mut Rng, female: bool, born: NaiveDate) -> String {
    use chrono::Datelike;
    let province = PROVINCE_CODES[r.weighted(&t.provinces)].0;
    let century = if born.year() >= 2000 { 2 } else { 0 } + u32::from(female);
    format!(
        "{province}{century}{:02}{:06}",
        born.year().rem_euclid(100),
        r.below(1_000_000)
    )
}

pub fn phone(r: &mut Rng) -> String {
    format!("{}{:07}", r.pick(MOBILE_PREFIXES), r.below(10_000_000))
}

/// `place`: the commune (or district) name, `district`: its district's, if any.
pub fn address(r: &mut Rng, place: &str, district: Option<&str>) -> String {
    let street = if r.chance(0.4) {
        format!("Số {}, đường {}", r.range(1, 320), r.pick(STREETS))
    } else {
        format!("Tổ {}, {}", r.range(1, 25), r.pick(HAMLETS))
    };
    match district {
        Some(d) => format!("{street}, {place}, {d}, tỉnh Tây Ninh"),
        None => format!("{street}, {place}, tỉnh Tây Ninh"),
    }
}

pub fn person(t: &Tables, r: &mut Rng, year: i32, place: &str, district: Option<&str>) -> Person {
    let female = r.chance(0.52);
    let age = r.range(18, 80) as i32;
    let born = NaiveDate::from_yo_opt(year - age, r.range(1, 365) as u32).unwrap_or(NaiveDate::MIN);
    let name = name(t, r, female);
    let id_number = id_number(t, r, female, born);
    let phone = phone(r);
    let email = r.chance(0.3).then(|| {
        format!(
            "{}{}@gmail.com",
            ascii(&name).to_lowercase(),
            r.range(1, 999)
        )
    });
    let address = address(r, place, district);
    Person {
        name,
        born,
        id_number,
        phone,
        email,
        address,
    }
}

fn truncate(s: String, max: usize) -> String {
    if s.chars().count() <= max {
        s
    } else {
        s.chars()
            .take(max)
            .collect::<String>()
            .trim_end()
            .to_string()
    }
}

/// A value for every field of the form (optional fields filled most of the time), as the
/// applicant would type it; the caller validates with the procedure.
pub fn form_values(
    t: &Tables,
    r: &mut Rng,
    fields: &[FormField],
    who: &Person,
    year: i32,
    place: &str,
    district: Option<&str>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for f in fields {
        if !f.required && r.chance(0.35) {
            continue;
        }
        let key = f.key.as_str();
        let max = f
            .max_length
            .map_or(f.field_type.default_max_length(), |m| m as usize);
        let v = match f.field_type {
            FieldType::Choice => match f.choices.as_slice() {
                [] => continue,
                cs => r.pick(cs).clone(),
            },
            FieldType::Date => {
                let d = if key.contains("sinh") {
                    if key == "ngay_sinh" {
                        who.born
                    } else {
                        NaiveDate::from_yo_opt(year - r.range(0, 70) as i32, r.range(1, 365) as u32)
                            .unwrap_or(who.born)
                    }
                } else {
                    NaiveDate::from_yo_opt(year, r.range(1, 365) as u32).unwrap_or(who.born)
                };
                d.format("%Y-%m-%d").to_string()
            }
            FieldType::IdNumber => {
                if key.contains("nguoi_yeu_cau") || key.contains("chu_") || r.chance(0.5) {
                    who.id_number.clone()
                } else {
                    let female = r.chance(0.5);
                    let born = NaiveDate::from_yo_opt(year - r.range(18, 70) as i32, 100)
                        .unwrap_or(who.born);
                    id_number(t, r, female, born)
                }
            }
            FieldType::Phone => who.phone.clone(),
            FieldType::Email => match &who.email {
                Some(e) => e.clone(),
                None => continue,
            },
            FieldType::Address => address(r, place, district),
            FieldType::Number => {
                if key.contains("von") {
                    format!("{}", r.range(5, 2000) * 10_000_000)
                } else if key.contains("dien_tich") {
                    format!("{}.{}", r.range(40, 600), r.below(10))
                } else {
                    format!("{}", r.range(1, 9))
                }
            }
            FieldType::Text => {
                if key.contains("ho_ten") {
                    if key.contains("nguoi_yeu_cau") || key.contains("chu_") {
                        who.name.clone()
                    } else {
                        let female = key.contains("ben_nu") || r.chance(0.5);
                        name(t, r, female)
                    }
                } else if key.contains("dan_toc") {
                    ETHNIC[r.weighted(&t.ethnic)].0.to_string()
                } else if key.contains("quoc_tich") {
                    "Việt Nam".to_string()
                } else if key.contains("so_giay_to") {
                    who.id_number.clone()
                } else if key.starts_with("ten_") {
                    let kind = *r.pick(&["Cửa hàng", "Hộ kinh doanh", "Công ty TNHH"]);
                    let female = r.chance(0.5);
                    format!("{kind} {}", name(t, r, female))
                } else if key.contains("so_") || key.starts_with("ma_") {
                    format!("{}/{}", r.range(1, 9999), r.range(2015, year as u64))
                } else {
                    r.pick(PHRASES).to_string()
                }
            }
        };
        out.insert(f.key.clone(), truncate(v, max));
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn people_are_valid_and_deterministic() {
        let t = Tables::new();
        let a = person(
            &t,
            &mut Rng::new(7, 1),
            2025,
            "UBND phường 1",
            Some("UBND TP Tây Ninh"),
        );
        let b = person(
            &t,
            &mut Rng::new(7, 1),
            2025,
            "UBND phường 1",
            Some("UBND TP Tây Ninh"),
        );
        assert_eq!(a.name, b.name);
        assert_eq!(a.id_number.len(), 12);
        assert!(a.id_number.bytes().all(|c| c.is_ascii_digit()));
        assert!(cqdt_domain::agency::normalize_phone(&a.phone).is_some());
        for i in 0..200 {
            let p = person(&t, &mut Rng::new(1, i), 2025, "x", None);
            assert!(
                cqdt_domain::agency::normalize_phone(&p.phone).is_some(),
                "{}",
                p.phone
            );
            if let Some(e) = &p.email {
                assert!(cqdt_domain::agency::valid_email(e), "{e}");
            }
        }
    }
}
