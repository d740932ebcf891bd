//! Message catalogues: Vietnamese first, English second. Every text people read comes from
//! `locales/*.toml`, never from strings in code; a test checks both catalogues have the same
//! keys and a message for every error code.

use cqdt_domain::ErrorCode;
use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Lang {
    Vi,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().get(..2).map(str::to_ascii_lowercase).as_deref() {
            Some("vi") => Some(Lang::Vi),
            Some("en") => Some(Lang::En),
            _ => None,
        }
    }
}

pub struct Catalog {
    pub ui: HashMap<String, String>,
    pub errors: HashMap<String, String>,
    pub fields: HashMap<String, String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    ui: HashMap<String, String>,
    errors: HashMap<String, String>,
    fields: HashMap<String, String>,
}

pub const VI_SOURCE: &str = include_str!("../locales/vi.toml");
pub const EN_SOURCE: &str = include_str!("../locales/en.toml");

pub fn parse_catalog(src: &str) -> Result<Catalog, String> {
    let raw: RawCatalog = toml::from_str(src).map_err(|e| e.to_string())?;
    Ok(Catalog {
        ui: raw.ui,
        errors: raw.errors,
        fields: raw.fields,
    })
}

fn catalogs() -> &'static (Catalog, Catalog) {
    static C: OnceLock<(Catalog, Catalog)> = OnceLock::new();
    C.get_or_init(|| {
        let empty = || Catalog {
            ui: HashMap::new(),
            errors: HashMap::new(),
            fields: HashMap::new(),
        };
        (
            parse_catalog(VI_SOURCE).unwrap_or_else(|_| empty()),
            parse_catalog(EN_SOURCE).unwrap_or_else(|_| empty()),
        )
    })
}

/// A translator bound to a language, handed to templates as `t`.
#[derive(Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Self {
        Tr { lang }
    }
    fn cat(&self) -> &'static Catalog {
        let c = catalogs();
        match self.lang {
            Lang::Vi => &c.0,
            Lang::En => &c.1,
        }
    }
    /// A UI text; falls back to Vietnamese, then to the key itself.
    pub fn s(&self, key: &str) -> &'static str {
        let c = catalogs();
        self.cat()
            .ui
            .get(key)
            .or_else(|| c.0.ui.get(key))
            .map(String::as_str)
            .unwrap_or("?")
    }
    /// The message for an error code.
    pub fn error(&self, code: ErrorCode) -> &'static str {
        let c = catalogs();
        self.cat()
            .errors
            .get(code.as_str())
            .or_else(|| c.0.errors.get(code.as_str()))
            .map(String::as_str)
            .unwrap_or("Đã có lỗi xảy ra.")
    }
    /// The label of a form field (for messages such as "Tên: không được để trống").
    pub fn field(&self, name: &str) -> String {
        self.cat()
            .fields
            .get(name)
            .cloned()
            .unwrap_or_else(|| name.to_string())
    }
    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn catalogues_parse_and_have_the_same_keys() {
        let vi = parse_catalog(VI_SOURCE).unwrap();
        let en = parse_catalog(EN_SOURCE).unwrap();
        let mut a: Vec<_> = vi.ui.keys().collect();
        let mut b: Vec<_> = en.ui.keys().collect();
        a.sort();
        b.sort();
        assert_eq!(a, b, "ui keys differ between vi and en");
        let mut a: Vec<_> = vi.fields.keys().collect();
        let mut b: Vec<_> = en.fields.keys().collect();
        a.sort();
        b.sort();
        assert_eq!(a, b, "field labels differ between vi and en");
        for v in vi.ui.values().chain(vi.errors.values()) {
            assert!(unicode_normalization::is_nfc(v), "not NFC: {v}");
        }
    }

    #[test]
    fn every_error_code_has_a_message_in_each_language() {
        let vi = parse_catalog(VI_SOURCE).unwrap();
        let en = parse_catalog(EN_SOURCE).unwrap();
        for code in ErrorCode::ALL {
            assert!(
                vi.errors.get(code.as_str()).is_some_and(|m| !m.is_empty()),
                "no Vietnamese message for {code}"
            );
            assert!(
                en.errors.get(code.as_str()).is_some_and(|m| !m.is_empty()),
                "no English message for {code}"
            );
        }
        for key in vi.errors.keys() {
            assert!(
                ErrorCode::parse(key).is_some(),
                "message for unknown code {key}"
            );
        }
    }
}
