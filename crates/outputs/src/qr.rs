//! QR codes: the module matrix (drawn as vector rectangles in the PDF) and an SVG for web pages.

use std::fmt::Write as _;

use qrcode::{Color, EcLevel, QrCode};

use crate::OutputError;

/// Light modules around the code, as the QR specification asks (ISO/IEC 18004: four modules).
pub const QUIET_ZONE: usize = 4;

/// The modules of a QR code (error correction level M, which survives a fold or a stain and keeps
/// a lookup URL at version 3–5), without the quiet zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrModules {
    width: usize,
    dark: Vec<bool>,
}

impl QrModules {
    /// Encodes `data` (a URL, usually) as a QR code.
    pub fn encode(data: &str) -> Result<Self, OutputError> {
        let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
            .map_err(|e| OutputError::Qr(e.to_string()))?;
        Ok(QrModules {
            width: code.width(),
            dark: code
                .to_colors()
                .into_iter()
                .map(|c| c == Color::Dark)
                .collect(),
        })
    }

    /// Modules per side, without the quiet zone.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Whether the module at column `x`, row `y` is dark; outside the code it is light.
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.width && y < self.width && self.dark.get(y * self.width + x).copied() == Some(true)
    }

    /// Runs of dark modules per row, as `(x, y, length)`: few rectangles, no seams between them.
    pub(crate) fn runs(&self) -> Vec<(usize, usize, usize)> {
        let mut runs = Vec::new();
        for y in 0..self.width {
            let mut x = 0;
            while x < self.width {
                if self.is_dark(x, y) {
                    let start = x;
                    while x < self.width && self.is_dark(x, y) {
                        x += 1;
                    }
                    runs.push((start, y, x - start));
                } else {
                    x += 1;
                }
            }
        }
        runs
    }
}

/// An SVG image of the QR code for `url`, for web pages: scalable (`viewBox` in modules, with the
/// quiet zone), crisp edges, black on white, and an accessible name ("Mã QR: …").
///
/// Set its size with CSS (`width: 8rem`); one path draws every dark module.
pub fn qr_svg(url: &str) -> Result<String, OutputError> {
    let code = QrModules::encode(url)?;
    let side = code.width() + 2 * QUIET_ZONE;
    let mut path = String::new();
    for (x, y, len) in code.runs() {
        // Writing to a String cannot fail.
        let _ = write!(
            path,
            "M{} {}h{}v1h-{}z",
            x + QUIET_ZONE,
            y + QUIET_ZONE,
            len,
            len
        );
    }
    let label = escape_xml(&format!("Mã QR: {url}"));
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" \
         shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"{label}\">\
         <title>{label}</title>\
         <rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/>\
         <path fill=\"#000\" d=\"{path}\"/></svg>"
    ))
}

fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
