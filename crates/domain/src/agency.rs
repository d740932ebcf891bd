//! Agencies: a tree of any depth, each with its official electronic identifier
//! (`NNN.NN.NN.Xnn`, QĐ 20/2020/QĐ-TTg; see docs/standards-notes.md).

use crate::error::{DomainError, ErrorCode};
use crate::ids::AgencyId;
use crate::text::nfc;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The official agency identifier, e.g. `000.00.00.H53` (UBND tỉnh Tây Ninh).
/// Groups from the right: level-1 unit (letter + 2 digits), level 2, level 3, level 4.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AgencyIdentifier(String);

impl AgencyIdentifier {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = nfc(raw).to_ascii_uppercase();
        let bad = || DomainError::field(ErrorCode::AgencyIdentifierInvalid, "identifier");
        let parts: Vec<&str> = s.split('.').collect();
        let [l4, l3, l2, l1] = parts.as_slice() else {
            return Err(bad());
        };
        let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
        let l1b = l1.as_bytes();
        if !(digits(l4, 3)
            && digits(l3, 2)
            && digits(l2, 2)
            && l1b.len() == 3
            && l1b[0].is_ascii_uppercase()
            && l1b[1].is_ascii_digit()
            && l1b[2].is_ascii_digit())
        {
            return Err(bad());
        }
        // Lower groups may only be used when the groups between them and the level-1 unit are:
        // `001.00.05.H53` would name a level-4 unit without a level-3 parent.
        if (*l4 != "000" && *l3 == "00") || (*l3 != "00" && *l2 == "00") {
            return Err(bad());
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The level the identifier itself encodes (1 = province/ministry … 4).
    pub fn encoded_level(&self) -> u8 {
        let p: Vec<&str> = self.0.split('.').collect();
        if p[0] != "000" {
            4
        } else if p[1] != "00" {
            3
        } else if p[2] != "00" {
            2
        } else {
            1
        }
    }
}

impl TryFrom<String> for AgencyIdentifier {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<AgencyIdentifier> for String {
    fn from(a: AgencyIdentifier) -> Self {
        a.0
    }
}

impl std::fmt::Display for AgencyIdentifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What an agency is. Data, not a closed set in the law, but the UI groups by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgencyKind {
    ProvinceCommittee,
    Department,
    DistrictCommittee,
    CommuneCommittee,
    Unit,
    Other,
}

impl AgencyKind {
    pub const ALL: [AgencyKind; 6] = [
        Self::ProvinceCommittee,
        Self::Department,
        Self::DistrictCommittee,
        Self::CommuneCommittee,
        Self::Unit,
        Self::Other,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProvinceCommittee => "province_committee",
            Self::Department => "department",
            Self::DistrictCommittee => "district_committee",
            Self::CommuneCommittee => "commune_committee",
            Self::Unit => "unit",
            Self::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
}

/// The fields a person supplies for an agency; validated into [`Agency`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgencyInput {
    pub identifier: String,
    #[serde(default)]
    pub parent_identifier: Option<String>,
    pub kind: String,
    pub name: String,
    #[serde(default)]
    pub short_name: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub valid_from: Option<String>,
    #[serde(default)]
    pub valid_to: Option<String>,
    /// Administrative-unit code of the General Statistics Office (mã ĐVHC), when the agency is
    /// the people's committee of an administrative unit.
    #[serde(default)]
    pub gso_code: Option<String>,
    /// Depth in the tree as the file states it; checked against the parent on import.
    #[serde(default)]
    pub level: Option<u8>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A validated agency (without its place in the tree, which the store resolves).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgencyFields {
    pub identifier: AgencyIdentifier,
    pub parent_identifier: Option<AgencyIdentifier>,
    pub kind: AgencyKind,
    pub name: String,
    pub short_name: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    pub gso_code: Option<String>,
    /// The level an import file stated (checked, then dropped); the stored depth is
    /// [`Agency::level`].
    #[serde(skip_serializing, default)]
    pub level: Option<u8>,
    pub note: Option<String>,
}

/// A stored agency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agency {
    pub id: AgencyId,
    pub parent_id: Option<AgencyId>,
    /// Depth in the tree, 1 for a root.
    pub level: u8,
    /// Ancestors from the root down to and including this agency.
    pub path: Vec<AgencyId>,
    #[serde(flatten)]
    pub fields: AgencyFields,
}

impl Agency {
    /// Is `other` this agency or below it?
    pub fn covers(&self, other_path: &[AgencyId]) -> bool {
        other_path.contains(&self.id)
    }
}

fn opt(v: &Option<String>) -> Option<String> {
    crate::text::nfc_opt(v.as_deref())
}

fn check_len(v: &str, max: usize, field: &str) -> Result<(), DomainError> {
    if v.chars().count() > max {
        return Err(DomainError::field(ErrorCode::TooLong, field));
    }
    Ok(())
}

pub fn parse_date(v: &Option<String>, field: &str) -> Result<Option<NaiveDate>, DomainError> {
    match opt(v) {
        None => Ok(None),
        Some(s) => NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| DomainError::field(ErrorCode::InvalidDate, field)),
    }
}

/// Very small e-mail check: one `@`, something on both sides, a dot in the domain, no spaces.
pub fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(char::is_whitespace)
        && !domain.contains('@')
        && s.len() <= 254
}

/// Vietnamese phone numbers: mobiles have 10 digits starting with 0, landlines 11 digits
/// starting with 02 (area code since 2017); `+84` may replace the 0; spaces, dots, dashes and
/// brackets are ignored. Returns the 0-form.
pub fn normalize_phone(s: &str) -> Option<String> {
    let digits: String = s
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')'))
        .collect();
    let national = if let Some(rest) = digits.strip_prefix("+84") {
        format!("0{rest}")
    } else {
        digits
    };
    let ok_len = national.len() == 10 || (national.len() == 11 && national.starts_with("02"));
    (ok_len && national.starts_with('0') && national.bytes().all(|b| b.is_ascii_digit()))
        .then_some(national)
}

impl AgencyInput {
    pub fn validate(&self) -> Result<AgencyFields, DomainError> {
        let identifier = AgencyIdentifier::parse(&self.identifier)?;
        let parent_identifier = match opt(&self.parent_identifier) {
            None => None,
            Some(p) => Some(AgencyIdentifier::parse(&p).map_err(|_| {
                DomainError::field(ErrorCode::AgencyIdentifierInvalid, "parent_identifier")
            })?),
        };
        let kind = AgencyKind::parse(&self.kind)
            .ok_or_else(|| DomainError::field(ErrorCode::InvalidChoice, "kind"))?;
        let name = nfc(&self.name);
        if name.is_empty() {
            return Err(DomainError::field(ErrorCode::Required, "name"));
        }
        check_len(&name, 300, "name")?;
        let short_name = opt(&self.short_name);
        if let Some(s) = &short_name {
            check_len(s, 120, "short_name")?;
        }
        let address = opt(&self.address);
        if let Some(s) = &address {
            check_len(s, 500, "address")?;
        }
        let phone = match opt(&self.phone) {
            None => None,
            Some(p) => Some(
                normalize_phone(&p)
                    .ok_or_else(|| DomainError::field(ErrorCode::InvalidPhone, "phone"))?,
            ),
        };
        let email = match opt(&self.email) {
            None => None,
            Some(e) if valid_email(&e) => Some(e.to_lowercase()),
            Some(_) => return Err(DomainError::field(ErrorCode::InvalidEmail, "email")),
        };
        let valid_from = parse_date(&self.valid_from, "valid_from")?;
        let valid_to = parse_date(&self.valid_to, "valid_to")?;
        if let (Some(f), Some(t)) = (valid_from, valid_to)
            && t < f
        {
            return Err(DomainError::field(ErrorCode::AgencyValidity, "valid_to"));
        }
        if parent_identifier.as_ref() == Some(&identifier) {
            return Err(DomainError::field(
                ErrorCode::AgencyCycle,
                "parent_identifier",
            ));
        }
        let note = opt(&self.note);
        let gso_code = opt(&self.gso_code);
        if let Some(g) = &gso_code
            && (g.len() > 10 || !g.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(DomainError::field(ErrorCode::InvalidFormat, "gso_code"));
        }
        if matches!(self.level, Some(0)) {
            return Err(DomainError::field(ErrorCode::InvalidFormat, "level"));
        }
        Ok(AgencyFields {
            gso_code,
            level: self.level,
            identifier,
            parent_identifier,
            kind,
            name,
            short_name,
            address,
            phone,
            email,
            valid_from,
            valid_to,
            note,
        })
    }
}

impl From<&AgencyFields> for AgencyInput {
    fn from(f: &AgencyFields) -> Self {
        AgencyInput {
            identifier: f.identifier.to_string(),
            parent_identifier: f.parent_identifier.as_ref().map(|p| p.to_string()),
            kind: f.kind.as_str().to_string(),
            name: f.name.clone(),
            short_name: f.short_name.clone(),
            address: f.address.clone(),
            phone: f.phone.clone(),
            email: f.email.clone(),
            valid_from: f.valid_from.map(|d| d.to_string()),
            valid_to: f.valid_to.map(|d| d.to_string()),
            gso_code: f.gso_code.clone(),
            level: f.level,
            note: f.note.clone(),
        }
    }
}

/// Order a batch of agencies so every parent comes before its children; reports the
/// first agency whose parent is neither in the batch nor in `existing`, and cycles.
/// Returns indices into `items`.
pub fn topological_order(
    items: &[AgencyFields],
    existing: &dyn Fn(&AgencyIdentifier) -> bool,
) -> Result<Vec<usize>, (usize, DomainError)> {
    use std::collections::HashMap;
    let mut index: HashMap<&AgencyIdentifier, usize> = HashMap::new();
    for (i, it) in items.iter().enumerate() {
        if index.insert(&it.identifier, i).is_some() {
            return Err((
                i,
                DomainError::field(ErrorCode::AgencyIdentifierTaken, "identifier"),
            ));
        }
    }
    let mut state = vec![0u8; items.len()]; // 0 new, 1 visiting, 2 done
    let mut order = Vec::with_capacity(items.len());
    for start in 0..items.len() {
        let mut stack = vec![start];
        while let Some(&i) = stack.last() {
            if state[i] == 2 {
                stack.pop();
                continue;
            }
            state[i] = 1;
            let parent = items[i]
                .parent_identifier
                .as_ref()
                .and_then(|p| index.get(p).copied());
            match parent {
                Some(p) if state[p] == 0 => stack.push(p),
                Some(p) if state[p] == 1 && p != i => {
                    return Err((
                        i,
                        DomainError::field(ErrorCode::AgencyCycle, "parent_identifier"),
                    ));
                }
                _ => {
                    if parent.is_none()
                        && let Some(p) = &items[i].parent_identifier
                        && !existing(p)
                    {
                        return Err((
                            i,
                            DomainError::field(
                                ErrorCode::AgencyParentNotFound,
                                "parent_identifier",
                            ),
                        ));
                    }
                    state[i] = 2;
                    order.push(i);
                    stack.pop();
                }
            }
        }
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        let p = AgencyIdentifier::parse(" 000.00.00.h53 ").unwrap();
        assert_eq!(p.as_str(), "000.00.00.H53");
        assert_eq!(p.encoded_level(), 1);
        assert_eq!(
            AgencyIdentifier::parse("000.00.07.H53")
                .unwrap()
                .encoded_level(),
            2
        );
        assert_eq!(
            AgencyIdentifier::parse("000.12.07.H53")
                .unwrap()
                .encoded_level(),
            3
        );
        assert_eq!(
            AgencyIdentifier::parse("001.12.07.H53")
                .unwrap()
                .encoded_level(),
            4
        );
        for bad in [
            "",
            "000.00.00.H5",
            "000.00.00.553",
            "00.00.00.H53",
            "000.00.00.H53.1",
            "001.00.07.H53",
            "000.01.00.H53",
            "000.0a.00.H53",
        ] {
            assert!(AgencyIdentifier::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phones_and_emails() {
        assert_eq!(
            normalize_phone("0276 3822 227").as_deref(),
            Some("02763822227")
        );
        assert_eq!(normalize_phone("0376 3822 227"), None);
        assert_eq!(
            normalize_phone("0912.345.678").as_deref(),
            Some("0912345678")
        );
        assert_eq!(
            normalize_phone("+84 912 345 678").as_deref(),
            Some("0912345678")
        );
        assert_eq!(normalize_phone("12345"), None);
        assert!(valid_email("vp@tayninh.gov.vn"));
        assert!(!valid_email("vp@tayninh"));
        assert!(!valid_email("v p@tayninh.gov.vn"));
    }

    fn f(id: &str, parent: Option<&str>) -> AgencyFields {
        AgencyInput {
            identifier: id.into(),
            parent_identifier: parent.map(Into::into),
            kind: "unit".into(),
            name: "X".into(),
            ..Default::default()
        }
        .validate()
        .unwrap()
    }

    #[test]
    fn topological_order_puts_parents_first_and_finds_orphans_and_cycles() {
        let items = vec![
            f("000.01.02.H53", Some("000.00.02.H53")),
            f("000.00.02.H53", Some("000.00.00.H53")),
            f("000.00.00.H53", None),
        ];
        let order = topological_order(&items, &|_| false).unwrap();
        assert_eq!(order, vec![2, 1, 0]);
        let orphan = vec![f("000.00.02.H53", Some("000.00.00.H41"))];
        assert_eq!(
            topological_order(&orphan, &|_| false).unwrap_err().1.code,
            ErrorCode::AgencyParentNotFound
        );
        assert!(topological_order(&orphan, &|p| p.as_str() == "000.00.00.H41").is_ok());
        let cycle = vec![
            f("000.00.02.H53", Some("000.00.03.H53")),
            f("000.00.03.H53", Some("000.00.02.H53")),
        ];
        assert_eq!(
            topological_order(&cycle, &|_| false).unwrap_err().1.code,
            ErrorCode::AgencyCycle
        );
    }
}
