//! Vietnamese text at the boundary: NFC normalisation and diacritic folding for search.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Normalise to Unicode NFC and trim surrounding white space.
pub fn nfc(s: &str) -> String {
    s.trim().nfc().collect()
}

/// Normalise an optional text: empty after trimming becomes `None`.
pub fn nfc_opt(s: Option<&str>) -> Option<String> {
    s.map(nfc).filter(|v| !v.is_empty())
}

/// Lower-case, strip diacritics and map đ → d, so "Đăng ký" and "dang ky" compare equal.
pub fn fold(s: &str) -> String {
    s.nfd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| match c {
            'đ' | 'Đ' => 'd',
            other => other,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// Sort key approximating the Vietnamese (`vi`) collation for names: base letters in the
/// Vietnamese alphabet order (a ă â b c d đ e ê … o ô ơ … u ư …), then tones (none, grave,
/// hook, tilde, acute, dot below) as a secondary key.
pub fn vi_sort_key(s: &str) -> (Vec<u32>, Vec<u8>) {
    const ALPHABET: &str = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz";
    let mut primary = Vec::new();
    let mut secondary = Vec::new();
    for ch in s.nfc() {
        let lower: String = ch.to_lowercase().collect();
        for c in lower.chars() {
            let (base, tone) = split_tone(c);
            let rank = ALPHABET
                .chars()
                .position(|a| a == base)
                .map(|p| p as u32 + 1000)
                .unwrap_or(base as u32 + 10_000);
            let rank = if base.is_ascii_digit() {
                base as u32
            } else {
                rank
            };
            primary.push(rank);
            secondary.push(tone);
        }
    }
    (primary, secondary)
}

/// Split a lower-case NFC letter into its base letter (keeping ă â ê ô ơ ư đ) and tone index.
fn split_tone(c: char) -> (char, u8) {
    let mut base = String::new();
    let mut tone = 0u8;
    for d in c.nfd() {
        match d {
            '\u{0300}' => tone = 1, // huyền
            '\u{0309}' => tone = 2, // hỏi
            '\u{0303}' => tone = 3, // ngã
            '\u{0301}' => tone = 4, // sắc
            '\u{0323}' => tone = 5, // nặng
            other => base.push(other),
        }
    }
    let recomposed: String = base.nfc().collect();
    (recomposed.chars().next().unwrap_or(c), tone)
}

/// Compare two names by the Vietnamese collation.
pub fn vi_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    vi_sort_key(a).cmp(&vi_sort_key(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nfc_composes_decomposed_input() {
        let decomposed = "Tây Ninh".nfd().collect::<String>();
        assert_ne!(decomposed, "Tây Ninh");
        assert_eq!(nfc(&format!("  {decomposed} ")), "Tây Ninh");
    }

    #[test]
    fn fold_strips_every_vietnamese_mark() {
        assert_eq!(fold("Đăng ký kết hôn"), "dang ky ket hon");
        assert_eq!(
            fold("Ủy ban nhân dân tỉnh Tây Ninh"),
            "uy ban nhan dan tinh tay ninh"
        );
        assert_eq!(fold("Ưu tiên Ờ Ợ"), "uu tien o o");
    }

    #[test]
    fn vietnamese_order_not_byte_order() {
        let mut names = vec![
            "Đông",
            "Dương",
            "Ấp",
            "Bến Cầu",
            "An",
            "Ă",
            "Châu Thành",
            "Cà",
        ];
        names.sort_by(|a, b| vi_cmp(a, b));
        assert_eq!(
            names,
            vec![
                "An",
                "Ă",
                "Ấp",
                "Bến Cầu",
                "Cà",
                "Châu Thành",
                "Dương",
                "Đông"
            ]
        );
        // tones order: a à ả ã á ạ
        let mut tones = vec!["ạ", "á", "ã", "ả", "à", "a"];
        tones.sort_by(|a, b| vi_cmp(a, b));
        assert_eq!(tones, vec!["a", "à", "ả", "ã", "á", "ạ"]);
    }
}
