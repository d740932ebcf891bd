//! The vendored fonts and text shaping.
//!
//! Liberation Serif stands in for Times New Roman, which the document rules (TT 01/2011/TT-BNV,
//! NĐ 30/2020) name and which may not be redistributed: it has the same metrics, every Vietnamese
//! letter (Latin Extended Additional U+1EA0–U+1EF9, Ơ ơ Ư ư Đ đ) and the đồng sign ₫ (U+20AB).
//! The files come from Debian's `fonts-liberation2` (2.1.5) and are licensed under the SIL Open
//! Font License 1.1 (`fonts/OFL.txt`). krilla embeds a subset of each font that is used.

use krilla::text::{Font, GlyphId, KrillaGlyph};
use rustybuzz::{Direction, UnicodeBuffer};

use crate::OutputError;

static REGULAR: &[u8] = include_bytes!("../fonts/LiberationSerif-Regular.ttf");
static BOLD: &[u8] = include_bytes!("../fonts/LiberationSerif-Bold.ttf");
static ITALIC: &[u8] = include_bytes!("../fonts/LiberationSerif-Italic.ttf");

/// The three faces the slips use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Regular,
    Bold,
    Italic,
}

impl Style {
    fn index(self) -> usize {
        match self {
            Style::Regular => 0,
            Style::Bold => 1,
            Style::Italic => 2,
        }
    }

    fn file_name(self) -> &'static str {
        match self {
            Style::Regular => "LiberationSerif-Regular.ttf",
            Style::Bold => "LiberationSerif-Bold.ttf",
            Style::Italic => "LiberationSerif-Italic.ttf",
        }
    }

    fn bytes(self) -> &'static [u8] {
        match self {
            Style::Regular => REGULAR,
            Style::Bold => BOLD,
            Style::Italic => ITALIC,
        }
    }
}

const STYLES: [Style; 3] = [Style::Regular, Style::Bold, Style::Italic];

/// A glyph run shaped for one face, advances in em units (as krilla wants them).
pub(crate) struct Shaped {
    pub glyphs: Vec<KrillaGlyph>,
    /// Characters the font has no glyph for (the font would draw a box).
    pub missing: Vec<char>,
}

/// The parsed faces: rustybuzz for shaping and measuring, krilla for embedding.
pub(crate) struct Fonts {
    shapers: Vec<rustybuzz::Face<'static>>,
    pdf: Vec<Font>,
}

impl Fonts {
    pub(crate) fn load() -> Result<Self, OutputError> {
        let mut shapers = Vec::with_capacity(STYLES.len());
        let mut pdf = Vec::with_capacity(STYLES.len());
        for style in STYLES {
            let face = rustybuzz::Face::from_slice(style.bytes(), 0)
                .ok_or(OutputError::Font(style.file_name()))?;
            let font =
                Font::new(style.bytes().into(), 0).ok_or(OutputError::Font(style.file_name()))?;
            shapers.push(face);
            pdf.push(font);
        }
        Ok(Fonts { shapers, pdf })
    }

    fn face(&self, style: Style) -> Result<&rustybuzz::Face<'static>, OutputError> {
        self.shapers
            .get(style.index())
            .ok_or(OutputError::Font(style.file_name()))
    }

    pub(crate) fn pdf_font(&self, style: Style) -> Result<Font, OutputError> {
        self.pdf
            .get(style.index())
            .cloned()
            .ok_or(OutputError::Font(style.file_name()))
    }

    /// Shapes one line of left-to-right text (kerning and ligatures from the font).
    pub(crate) fn shape(&self, style: Style, text: &str) -> Result<Shaped, OutputError> {
        let face = self.face(style)?;
        let upem = face.units_per_em() as f32;
        let mut buffer = UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.set_direction(Direction::LeftToRight);
        buffer.guess_segment_properties();
        let output = rustybuzz::shape(face, &[], buffer);
        let infos = output.glyph_infos();
        let positions = output.glyph_positions();
        let mut glyphs = Vec::with_capacity(infos.len());
        let mut missing = Vec::new();
        for (i, (info, pos)) in infos.iter().zip(positions).enumerate() {
            let start = info.cluster as usize;
            let end = infos[i + 1..]
                .iter()
                .find(|next| next.cluster != info.cluster)
                .map_or(text.len(), |next| next.cluster as usize)
                .max(start);
            if info.glyph_id == 0 {
                missing.extend(text.get(start..end).unwrap_or("").chars());
            }
            glyphs.push(KrillaGlyph::new(
                GlyphId::new(info.glyph_id),
                pos.x_advance as f32 / upem,
                pos.x_offset as f32 / upem,
                pos.y_offset as f32 / upem,
                pos.y_advance as f32 / upem,
                start..end,
                None,
            ));
        }
        Ok(Shaped { glyphs, missing })
    }

    /// The advance width of `text` at `size` points.
    pub(crate) fn width(&self, style: Style, size: f32, text: &str) -> f32 {
        match self.shape(style, text) {
            Ok(shaped) => shaped.glyphs.iter().map(|g| g.x_advance).sum::<f32>() * size,
            Err(_) => 0.0,
        }
    }
}
