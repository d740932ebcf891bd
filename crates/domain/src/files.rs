//! Files attached to dossiers (scanned or uploaded parts, supplements, results): which types
//! are accepted, recognised by their content rather than by the name or the browser's word,
//! and the rules on names and sizes. Pure: the bytes come in as a slice.

use crate::ErrorCode;
use crate::text::nfc;
use serde::{Deserialize, Serialize};

/// A type of file the platform accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileType {
    Pdf,
    Jpeg,
    Png,
    Tiff,
    /// Word 2007+ (`.docx`).
    Docx,
    /// Excel 2007+ (`.xlsx`).
    Xlsx,
    /// OpenDocument text (`.odt`).
    Odt,
    /// Word 97–2003 (`.doc`), still common in agencies.
    Doc,
    /// Excel 97–2003 (`.xls`).
    Xls,
}

impl FileType {
    pub const ALL: &'static [FileType] = &[
        FileType::Pdf,
        FileType::Jpeg,
        FileType::Png,
        FileType::Tiff,
        FileType::Docx,
        FileType::Xlsx,
        FileType::Odt,
        FileType::Doc,
        FileType::Xls,
    ];

    pub fn media_type(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Jpeg => "image/jpeg",
            FileType::Png => "image/png",
            FileType::Tiff => "image/tiff",
            FileType::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            FileType::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            FileType::Odt => "application/vnd.oasis.opendocument.text",
            FileType::Doc => "application/msword",
            FileType::Xls => "application/vnd.ms-excel",
        }
    }

    /// File name extensions (lower case, without the dot) that may carry this type.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            FileType::Pdf => &["pdf"],
            FileType::Jpeg => &["jpg", "jpeg"],
            FileType::Png => &["png"],
            FileType::Tiff => &["tif", "tiff"],
            FileType::Docx => &["docx"],
            FileType::Xlsx => &["xlsx"],
            FileType::Odt => &["odt"],
            FileType::Doc => &["doc"],
            FileType::Xls => &["xls"],
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FileType::Pdf => "pdf",
            FileType::Jpeg => "jpeg",
            FileType::Png => "png",
            FileType::Tiff => "tiff",
            FileType::Docx => "docx",
            FileType::Xlsx => "xlsx",
            FileType::Odt => "odt",
            FileType::Doc => "doc",
            FileType::Xls => "xls",
        }
    }

    pub fn parse(s: &str) -> Option<FileType> {
        FileType::ALL.iter().copied().find(|t| t.as_str() == s)
    }
}

/// Container formats recognised by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Magic {
    Pdf,
    Jpeg,
    Png,
    Tiff,
    /// A ZIP archive (OOXML, ODF): told apart by the entries named inside.
    Zip,
    /// An OLE2 compound file (Word/Excel 97–2003): told apart by the extension.
    Ole,
}

fn magic(bytes: &[u8]) -> Option<Magic> {
    // PDF readers accept the header within the first 1024 bytes; so do we, but nothing else
    // may precede it except whitespace or a BOM-like prefix some scanners write.
    if bytes.windows(5).take(1024).any(|w| w == b"%PDF-") {
        return Some(Magic::Pdf);
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(Magic::Jpeg);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(Magic::Png);
    }
    if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        return Some(Magic::Tiff);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Some(Magic::Zip);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Some(Magic::Ole);
    }
    None
}

/// Does the ZIP archive name an entry starting with `prefix` (in a local file header)?
fn zip_has_entry(bytes: &[u8], prefix: &[u8]) -> bool {
    // Local file header: signature PK\3\4, name length at 26, extra length at 28, name at 30.
    let mut i = 0;
    while i + 30 <= bytes.len() {
        if &bytes[i..i + 4] == b"PK\x03\x04" {
            let n = u16::from_le_bytes([bytes[i + 26], bytes[i + 27]]) as usize;
            let start = i + 30;
            if let Some(name) = bytes.get(start..start + n)
                && name.starts_with(prefix)
            {
                return true;
            }
            i = start;
        } else {
            i += 1;
        }
        if i > 4 << 20 {
            break;
        }
    }
    false
}

/// The lower-case extension of a file name, if any.
pub fn extension(name: &str) -> Option<String> {
    let (_, ext) = name.rsplit_once('.')?;
    (!ext.is_empty() && ext.len() <= 8).then(|| ext.to_ascii_lowercase())
}

/// What the content is, checked against the name's extension. The extension must be one of
/// the type's (a PDF named `.jpg` is refused: the clerk who opens it would be misled).
pub fn identify(bytes: &[u8], name: &str) -> Result<FileType, ErrorCode> {
    if bytes.is_empty() {
        return Err(ErrorCode::UploadEmpty);
    }
    let ext = extension(name);
    let ty = match magic(bytes) {
        Some(Magic::Pdf) => FileType::Pdf,
        Some(Magic::Jpeg) => FileType::Jpeg,
        Some(Magic::Png) => FileType::Png,
        Some(Magic::Tiff) => FileType::Tiff,
        Some(Magic::Zip) => {
            if zip_has_entry(bytes, b"word/") {
                FileType::Docx
            } else if zip_has_entry(bytes, b"xl/") {
                FileType::Xlsx
            } else if zip_has_entry(bytes, b"mimetype") && ext.as_deref() == Some("odt") {
                FileType::Odt
            } else {
                return Err(ErrorCode::UploadTypeNotAllowed);
            }
        }
        Some(Magic::Ole) => match ext.as_deref() {
            Some("doc") => FileType::Doc,
            Some("xls") => FileType::Xls,
            _ => return Err(ErrorCode::UploadTypeNotAllowed),
        },
        None => return Err(ErrorCode::UploadTypeNotAllowed),
    };
    match ext {
        Some(e) if ty.extensions().contains(&e.as_str()) => Ok(ty),
        _ => Err(ErrorCode::UploadTypeMismatch),
    }
}

/// A file name as it is kept and shown: NFC, no folder part, no control characters, at most
/// 200 characters (the extension kept). Empty after cleaning: an error.
pub fn clean_name(name: &str) -> Result<String, ErrorCode> {
    let n = nfc(name);
    let base = n.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| {
            if matches!(c, '"' | '<' | '>' | '|' | ':' | '*' | '?') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        return Err(ErrorCode::UploadNameInvalid);
    }
    if cleaned.chars().count() <= 200 {
        return Ok(cleaned);
    }
    let ext = extension(&cleaned)
        .map(|e| format!(".{e}"))
        .unwrap_or_default();
    let keep = 200 - ext.chars().count();
    Ok(cleaned.chars().take(keep).collect::<String>() + &ext)
}

/// What a file is attached as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// One of the procedure's dossier parts (thành phần hồ sơ), by its 1-based position.
    Part,
    /// Brought in answer to a supplement request.
    Supplement,
    /// The result of the procedure (kết quả giải quyết), for online return.
    Result,
    /// Any other paper the officers attach while processing (opinions, minutes…).
    Working,
}

impl FileKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Part => "part",
            FileKind::Supplement => "supplement",
            FileKind::Result => "result",
            FileKind::Working => "working",
        }
    }
    pub fn parse(s: &str) -> Option<FileKind> {
        match s.trim() {
            "part" => Some(FileKind::Part),
            "supplement" => Some(FileKind::Supplement),
            "result" => Some(FileKind::Result),
            "working" => Some(FileKind::Working),
            _ => None,
        }
    }
}

/// Size limits of uploads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileLimits {
    /// One file.
    pub max_file_bytes: u64,
    /// All the files of one dossier (or draft) together.
    pub max_dossier_bytes: u64,
    /// Files per dossier (or draft).
    pub max_files: u32,
}

impl Default for FileLimits {
    fn default() -> Self {
        Self {
            max_file_bytes: 20 << 20,
            max_dossier_bytes: 100 << 20,
            max_files: 50,
        }
    }
}

impl FileLimits {
    /// May a file of `size` bytes join `count` files of `total` bytes?
    pub fn check(&self, size: u64, count: u32, total: u64) -> Result<(), ErrorCode> {
        if size > self.max_file_bytes {
            return Err(ErrorCode::UploadTooLarge);
        }
        if count >= self.max_files || total.saturating_add(size) > self.max_dossier_bytes {
            return Err(ErrorCode::UploadDossierFull);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zip_with(name: &str) -> Vec<u8> {
        let mut v = b"PK\x03\x04".to_vec();
        v.extend_from_slice(&[0u8; 22]);
        v.extend_from_slice(&(name.len() as u16).to_le_bytes());
        v.extend_from_slice(&0u16.to_le_bytes());
        v.extend_from_slice(name.as_bytes());
        v.extend_from_slice(b"rest");
        v
    }

    #[test]
    fn content_decides_and_extension_must_agree() {
        assert_eq!(identify(b"%PDF-1.7\n...", "to-khai.pdf"), Ok(FileType::Pdf));
        assert_eq!(identify(b"%PDF-1.7\n...", "TO KHAI.PDF"), Ok(FileType::Pdf));
        assert_eq!(
            identify(b"%PDF-1.7\n...", "anh.jpg"),
            Err(ErrorCode::UploadTypeMismatch)
        );
        assert_eq!(
            identify(&[0xFF, 0xD8, 0xFF, 0xE0, 1], "a.jpeg"),
            Ok(FileType::Jpeg)
        );
        assert_eq!(identify(b"\x89PNG\r\n\x1a\nxx", "a.png"), Ok(FileType::Png));
        assert_eq!(
            identify(b"MZ\x90\0", "virus.pdf"),
            Err(ErrorCode::UploadTypeNotAllowed)
        );
        assert_eq!(
            identify(b"<html>", "a.pdf"),
            Err(ErrorCode::UploadTypeNotAllowed)
        );
        assert_eq!(identify(b"", "a.pdf"), Err(ErrorCode::UploadEmpty));
        assert_eq!(
            identify(&zip_with("word/document.xml"), "don.docx"),
            Ok(FileType::Docx)
        );
        assert_eq!(
            identify(&zip_with("xl/workbook.xml"), "bang.xlsx"),
            Ok(FileType::Xlsx)
        );
        assert_eq!(
            identify(&zip_with("evil.exe"), "don.docx"),
            Err(ErrorCode::UploadTypeNotAllowed)
        );
        let ole = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0];
        assert_eq!(identify(&ole, "cv.doc"), Ok(FileType::Doc));
        assert_eq!(
            identify(&ole, "cv.msi"),
            Err(ErrorCode::UploadTypeNotAllowed)
        );
    }

    #[test]
    fn names_are_cleaned() {
        assert_eq!(
            clean_name("C:\\Users\\a\\Tờ khai.pdf").as_deref(),
            Ok("Tờ khai.pdf")
        );
        assert_eq!(clean_name("../../etc/passwd").as_deref(), Ok("passwd"));
        assert_eq!(clean_name("a\u{0}b<c>.pdf").as_deref(), Ok("ab_c_.pdf"));
        assert_eq!(clean_name("  ..  "), Err(ErrorCode::UploadNameInvalid));
        let long = format!("{}.pdf", "â".repeat(300));
        let c = clean_name(&long).unwrap();
        assert_eq!(c.chars().count(), 200);
        assert!(c.ends_with(".pdf"));
        // NFD in, NFC out.
        assert_eq!(clean_name("To\u{302}\u{301}.pdf").as_deref(), Ok("Tố.pdf"));
    }

    #[test]
    fn limits() {
        let l = FileLimits {
            max_file_bytes: 10,
            max_dossier_bytes: 25,
            max_files: 3,
        };
        assert_eq!(l.check(10, 0, 0), Ok(()));
        assert_eq!(l.check(11, 0, 0), Err(ErrorCode::UploadTooLarge));
        assert_eq!(l.check(10, 2, 16), Err(ErrorCode::UploadDossierFull));
        assert_eq!(l.check(5, 3, 0), Err(ErrorCode::UploadDossierFull));
    }
}
