//! Paints composed pages into a PDF with krilla: A4 pages, text in the embedded (subset) fonts,
//! rules, the QR code as vector rectangles and link annotations.
//!
//! The file is PDF/A-2u (archival, every glyph mapped to Unicode so text can be searched and
//! extracted); krilla's validator refuses a glyph the font lacks instead of printing a box.

use chrono::{Datelike, NaiveDate};
use krilla::Document;
use krilla::SerializeSettings;
use krilla::action::LinkAction;
use krilla::annotation::{Annotation, LinkAnnotation, Target};
use krilla::configure::{Archival, ConfigurationBuilder, Validator};
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::{DateTime, Metadata};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};

use crate::OutputError;
use crate::fonts::Fonts;
use crate::layout::{Item, Page, RULE};

/// A new workbook whose properties carry the legal date instead of the clock, so the same
/// register or report renders to the same bytes (the creation time is the only part of an
/// XLSX file that would otherwise change from one run to the next).
pub(crate) fn workbook(info: &DocInfo) -> Result<rust_xlsxwriter::Workbook, OutputError> {
    let x = |e: rust_xlsxwriter::XlsxError| OutputError::Xlsx(e.to_string());
    let created = rust_xlsxwriter::ExcelDateTime::from_ymd(
        u16::try_from(info.date.year()).unwrap_or(1970),
        u8::try_from(info.date.month()).unwrap_or(1),
        u8::try_from(info.date.day()).unwrap_or(1),
    )
    .map_err(x)?;
    let properties = rust_xlsxwriter::DocProperties::new()
        .set_title(info.title)
        .set_subject(info.subject)
        .set_author("cqdt")
        .set_creation_datetime(&created);
    let mut wb = rust_xlsxwriter::Workbook::new();
    wb.set_properties(&properties);
    Ok(wb)
}

/// What the PDF says about itself.
pub(crate) struct DocInfo<'a> {
    pub title: &'a str,
    pub subject: &'a str,
    /// The slip's legal date; PDF/A needs a document date and there is no clock here.
    pub date: NaiveDate,
}

pub(crate) fn to_pdf(
    pages: &[Page],
    fonts: &Fonts,
    info: &DocInfo,
) -> Result<Vec<u8>, OutputError> {
    let configuration = ConfigurationBuilder::new()
        .set_validator(Validator::A(Archival::A2_U))
        .finish()
        .map_err(|e| OutputError::Pdf(format!("{e:?}")))?;
    let settings = SerializeSettings {
        configuration,
        ..SerializeSettings::default()
    };
    let mut document = Document::new_with(settings);
    let date = DateTime::new(u16::try_from(info.date.year()).unwrap_or(1970))
        .month(u8::try_from(info.date.month()).unwrap_or(1))
        .day(u8::try_from(info.date.day()).unwrap_or(1));
    document.set_metadata(
        Metadata::new()
            .title(info.title.to_owned())
            .description(info.subject.to_owned())
            .language("vi".to_owned())
            .creator("cqdt".to_owned())
            .creation_date(date),
    );

    for page in pages {
        let page_settings = PageSettings::from_wh(page.size.0, page.size.1)
            .ok_or(OutputError::Pdf("page size".into()))?;
        let mut pdf_page = document.start_page_with(page_settings);
        let mut links = Vec::new();
        {
            let mut surface = pdf_page.surface();
            for item in &page.items {
                match item {
                    Item::Text {
                        x,
                        baseline,
                        style,
                        size,
                        text,
                    } => {
                        let shaped = fonts.shape(*style, text)?;
                        if let Some(c) = shaped.missing.first() {
                            return Err(OutputError::MissingGlyph(*c));
                        }
                        surface.set_fill(Some(Fill::default()));
                        surface.set_stroke(None);
                        surface.draw_glyphs(
                            Point::from_xy(*x, *baseline),
                            &shaped.glyphs,
                            fonts.pdf_font(*style)?,
                            text,
                            *size,
                            false,
                        );
                    }
                    Item::Line { x1, y1, x2, y2 } => {
                        let mut pb = PathBuilder::new();
                        pb.move_to(*x1, *y1);
                        pb.line_to(*x2, *y2);
                        if let Some(path) = pb.finish() {
                            surface.set_fill(None);
                            surface.set_stroke(Some(Stroke {
                                width: RULE,
                                ..Stroke::default()
                            }));
                            surface.draw_path(&path);
                        }
                    }
                    Item::Fill { rects } => {
                        let mut pb = PathBuilder::new();
                        for (x, y, w, h) in rects {
                            if let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) {
                                pb.push_rect(rect);
                            }
                        }
                        if let Some(path) = pb.finish() {
                            surface.set_stroke(None);
                            surface.set_fill(Some(Fill::default()));
                            surface.draw_path(&path);
                        }
                    }
                    Item::Link { x, y, w, h, url } => {
                        if let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) {
                            links.push((rect, url.clone()));
                        }
                    }
                }
            }
            surface.finish();
        }
        for (rect, url) in links {
            pdf_page.add_annotation(Annotation::new_link(
                LinkAnnotation::new(rect, Target::Action(LinkAction::new(url.clone()).into())),
                Some(format!("Tra cứu hồ sơ: {url}")),
            ));
        }
        pdf_page.finish();
    }
    document
        .finish()
        .map_err(|e| OutputError::Pdf(format!("{e:?}")))
}
