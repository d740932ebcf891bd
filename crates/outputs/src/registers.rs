//! The document registers of NĐ 30/2020/NĐ-CP Phụ lục IV, printed in the register's layout
//! (Điều 22 khoản 3 điểm b: documents registered in the system "phải được in ra giấy đầy đủ các
//! trường thông tin theo mẫu Sổ đăng ký văn bản đến, ký nhận và đóng sổ"), as A4 landscape PDF and
//! as XLSX:
//!
//! - [`IncomingRegister`]: Sổ đăng ký văn bản đến (Phụ lục IV mục VI, ten columns);
//! - [`OutgoingRegister`]: Sổ đăng ký văn bản đi (mục I, ten columns);
//! - [`FollowUpRegister`]: Sổ theo dõi giải quyết văn bản đến (mục VIII, seven columns).
//!
//! The column titles are the appendix's own words ([`RegisterKind::column_titles`]). The
//! urgency and secrecy marks (Hỏa tốc, Thượng khẩn, Khẩn; Tuyệt mật, Tối mật, Mật) have no column
//! of their own in the appendix; they head the Ghi chú cell in bold, the column for "những điều
//! cần thiết".

use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, FormatBorder};
use unicode_normalization::UnicodeNormalization;

use crate::OutputError;
use crate::fonts::Fonts;
use crate::layout::{Align, Col, Composer, Geometry, MM, Span, b, i, r};
use crate::render::{DocInfo, to_pdf, workbook};
use crate::vi::date_vi;

/// Table text size: the ten columns of a register fit A4 landscape at 10.5 pt.
const TABLE: f32 = 10.5;
/// Rows are at least two lines tall: room to sign in "Ký nhận".
const MIN_LINES: usize = 2;

/// Which register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegisterKind {
    /// Sổ đăng ký văn bản đến.
    Incoming,
    /// Sổ đăng ký văn bản đi.
    Outgoing,
    /// Sổ theo dõi giải quyết văn bản đến.
    FollowUp,
}

impl RegisterKind {
    /// The register's name as printed (in capitals on the page): "Sổ đăng ký văn bản đến".
    pub fn title(self) -> &'static str {
        match self {
            RegisterKind::Incoming => "Sổ đăng ký văn bản đến",
            RegisterKind::Outgoing => "Sổ đăng ký văn bản đi",
            RegisterKind::FollowUp => "Sổ theo dõi giải quyết văn bản đến",
        }
    }

    /// The column titles, in order, as Phụ lục IV writes them; the printed columns are numbered
    /// (1), (2), … under them.
    pub fn column_titles(self) -> &'static [&'static str] {
        match self {
            RegisterKind::Incoming => &INCOMING,
            RegisterKind::Outgoing => &OUTGOING,
            RegisterKind::FollowUp => &FOLLOW_UP,
        }
    }

    /// What an empty register says in its table.
    fn empty_note(self) -> &'static str {
        match self {
            RegisterKind::FollowUp => "Không có văn bản nào được theo dõi trong sổ.",
            _ => "Không có văn bản nào được đăng ký trong sổ.",
        }
    }

    /// Sheet names stay under Excel's 31 characters.
    fn sheet_name(self, year: i32) -> String {
        match self {
            RegisterKind::Incoming => format!("Sổ văn bản đến {year}"),
            RegisterKind::Outgoing => format!("Sổ văn bản đi {year}"),
            RegisterKind::FollowUp => format!("Theo dõi giải quyết {year}"),
        }
    }
}

const INCOMING: [&str; 10] = [
    "Ngày đến",
    "Số đến",
    "Tác giả",
    "Số, ký hiệu văn bản",
    "Ngày tháng văn bản",
    "Tên loại và trích yếu nội dung văn bản",
    "Đơn vị hoặc người nhận",
    "Ngày chuyển",
    "Ký nhận",
    "Ghi chú",
];
const OUTGOING: [&str; 10] = [
    "Số, ký hiệu văn bản",
    "Ngày tháng văn bản",
    "Tên loại và trích yếu nội dung văn bản",
    "Người ký",
    "Nơi nhận văn bản",
    "Đơn vị, người nhận bản lưu",
    "Số lượng bản",
    "Ngày chuyển",
    "Ký nhận",
    "Ghi chú",
];
const FOLLOW_UP: [&str; 7] = [
    "Số đến",
    "Tên loại, số, ký hiệu, ngày, tháng và tên cơ quan, tổ chức ban hành văn bản",
    "Đơn vị hoặc người nhận",
    "Thời hạn giải quyết",
    "Tiến độ giải quyết",
    "Số, ký hiệu văn bản trả lời",
    "Ghi chú",
];

/// Column widths in mm; `None` takes what is left of the 252 mm text width. Dates need 20 mm at
/// 10.5 pt ("31/12/2026" and the cell's padding), notations 30 mm ("1234/QĐ-UBND").
const INCOMING_MM: [Option<f32>; 10] = [
    Some(20.0),
    Some(13.0),
    Some(27.0),
    Some(30.0),
    Some(20.0),
    None,
    Some(25.0),
    Some(20.0),
    Some(18.0),
    Some(25.0),
];
const OUTGOING_MM: [Option<f32>; 10] = [
    Some(30.0),
    Some(20.0),
    None,
    Some(24.0),
    Some(30.0),
    Some(24.0),
    Some(13.0),
    Some(20.0),
    Some(18.0),
    Some(25.0),
];
const FOLLOW_UP_MM: [Option<f32>; 7] = [
    Some(15.0),
    None,
    Some(38.0),
    Some(22.0),
    Some(45.0),
    Some(32.0),
    Some(30.0),
];

/// The header of a register: who keeps it and what it covers (the cover and first page of the
/// appendix's registers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterHeader {
    /// The superior agency (tên cơ quan, tổ chức chủ quản), if any: first line, regular capitals.
    pub parent: Option<String>,
    /// The agency that keeps the register: second line, bold capitals.
    pub agency: String,
    /// "Năm 2026".
    pub year: i32,
    /// A separate series kept in its own register, printed under the title (e.g. "Văn bản quy
    /// phạm pháp luật", "Quyết định"); `None` for the agency's general register.
    pub series: Option<String>,
    /// "Quyển số: …" when the year's register runs to several volumes.
    pub volume: Option<String>,
    /// "Từ số … đến số …" (first and last number in this printout).
    pub numbers: Option<(String, String)>,
    /// "Từ ngày … đến ngày …", both days included.
    pub period: Option<(NaiveDate, NaiveDate)>,
    /// The day it is printed ("In ngày …" under the table; the PDF's date). No clock here.
    pub printed_on: NaiveDate,
}

/// One line of the Sổ đăng ký văn bản đến.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingEntry {
    /// (1) Ngày đến.
    pub received_on: NaiveDate,
    /// (2) Số đến, as the register writes it.
    pub number: String,
    /// (3) Tác giả: the issuing agency.
    pub author: String,
    /// (4) Số, ký hiệu văn bản ("15/UBND-VP"); `None` when the document has none.
    pub notation: Option<String>,
    /// (5) Ngày tháng văn bản.
    pub dated: Option<NaiveDate>,
    /// (6) Tên loại ("Quyết định", "Công văn"); printed before the subject.
    pub type_name: String,
    /// (6) Trích yếu nội dung ("V/v …" for a công văn).
    pub subject: String,
    /// (7) Đơn vị hoặc người nhận.
    pub recipient: Option<String>,
    /// (8) Ngày chuyển.
    pub transferred_on: Option<NaiveDate>,
    /// (9) Ký nhận: who received it, when the system recorded it; blank to sign by hand.
    pub signed_for: Option<String>,
    /// Mức độ khẩn ("Hỏa tốc", "Thượng khẩn", "Khẩn"), shown in bold at the head of (10).
    pub urgency: Option<String>,
    /// Độ mật ("Tuyệt mật", "Tối mật", "Mật"), shown in bold at the head of (10).
    pub secrecy: Option<String>,
    /// (10) Ghi chú.
    pub note: Option<String>,
}

/// One line of the Sổ đăng ký văn bản đi.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEntry {
    /// (1) Số, ký hiệu văn bản ("05/QĐ-UBND").
    pub notation: String,
    /// (2) Ngày tháng văn bản.
    pub dated: NaiveDate,
    /// (3) Tên loại, printed before the subject.
    pub type_name: String,
    /// (3) Trích yếu nội dung.
    pub subject: String,
    /// (4) Người ký.
    pub signer: String,
    /// (5) Nơi nhận văn bản; a line break ("\n") between recipients is kept.
    pub recipients: String,
    /// (6) Đơn vị, người nhận bản lưu.
    pub archive: String,
    /// (7) Số lượng bản.
    pub copies: String,
    /// (8) Ngày chuyển.
    pub transferred_on: Option<NaiveDate>,
    /// (9) Ký nhận.
    pub signed_for: Option<String>,
    /// Mức độ khẩn, at the head of (10).
    pub urgency: Option<String>,
    /// Độ mật, at the head of (10).
    pub secrecy: Option<String>,
    /// (10) Ghi chú.
    pub note: Option<String>,
}

/// One line of the Sổ theo dõi giải quyết văn bản đến.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUpEntry {
    /// (1) Số đến.
    pub number: String,
    /// (2) Tên loại: "Công văn số 15/UBND-VP ngày 05/01/2026 của <issuer>", then the subject on
    /// its own line.
    pub type_name: String,
    /// (2) Số, ký hiệu.
    pub notation: Option<String>,
    /// (2) Ngày tháng.
    pub dated: Option<NaiveDate>,
    /// (2) Tên cơ quan, tổ chức ban hành văn bản.
    pub issuer: String,
    /// (2) Trích yếu nội dung.
    pub subject: String,
    /// (3) Đơn vị hoặc người nhận.
    pub recipient: String,
    /// (4) Thời hạn giải quyết.
    pub deadline: Option<NaiveDate>,
    /// (5) Tiến độ giải quyết ("Đã giải quyết ngày 12/01/2026", "Đang giải quyết, quá hạn 2 ngày").
    pub progress: String,
    /// (6) Số, ký hiệu văn bản trả lời.
    pub reply: Option<String>,
    /// Mức độ khẩn, at the head of (7).
    pub urgency: Option<String>,
    /// Độ mật, at the head of (7).
    pub secrecy: Option<String>,
    /// (7) Ghi chú.
    pub note: Option<String>,
}

/// The Sổ đăng ký văn bản đến.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingRegister {
    pub header: RegisterHeader,
    /// In register order (by Số đến).
    pub entries: Vec<IncomingEntry>,
}

/// The Sổ đăng ký văn bản đi.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingRegister {
    pub header: RegisterHeader,
    /// In register order (by number).
    pub entries: Vec<OutgoingEntry>,
}

/// The Sổ theo dõi giải quyết văn bản đến.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUpRegister {
    pub header: RegisterHeader,
    /// In register order (by Số đến).
    pub entries: Vec<FollowUpEntry>,
}

/// A cell as both outputs need it.
enum Cell {
    Text(String),
    Date(Option<NaiveDate>),
    /// Ghi chú: the marks in bold, then the note.
    Note {
        marks: String,
        note: String,
    },
}

fn short_date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

fn note(urgency: &Option<String>, secrecy: &Option<String>, note: &Option<String>) -> Cell {
    let marks: Vec<&str> = [urgency, secrecy]
        .into_iter()
        .filter_map(|m| m.as_deref())
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .collect();
    Cell::Note {
        marks: marks.join(", "),
        note: opt(note),
    }
}

/// "Quyết định về việc …": the type, then the subject.
fn type_and_subject(type_name: &str, subject: &str) -> String {
    [type_name.trim(), subject.trim()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

impl Cell {
    fn spans(&self) -> Vec<Span> {
        match self {
            Cell::Text(t) => vec![r(t.clone())],
            Cell::Date(d) => vec![r(d.map(short_date).unwrap_or_default())],
            Cell::Note { marks, note } => match (marks.is_empty(), note.is_empty()) {
                (true, _) => vec![r(note.clone())],
                (false, true) => vec![b(marks.clone())],
                (false, false) => vec![b(marks.clone()), r(format!("\n{note}"))],
            },
        }
    }

    fn plain(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Date(d) => d.map(short_date).unwrap_or_default(),
            Cell::Note { marks, note } => [marks.as_str(), note.as_str()]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

impl IncomingEntry {
    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::Date(Some(self.received_on)),
            Cell::Text(self.number.clone()),
            Cell::Text(self.author.clone()),
            Cell::Text(opt(&self.notation)),
            Cell::Date(self.dated),
            Cell::Text(type_and_subject(&self.type_name, &self.subject)),
            Cell::Text(opt(&self.recipient)),
            Cell::Date(self.transferred_on),
            Cell::Text(opt(&self.signed_for)),
            note(&self.urgency, &self.secrecy, &self.note),
        ]
    }
}

impl OutgoingEntry {
    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::Text(self.notation.clone()),
            Cell::Date(Some(self.dated)),
            Cell::Text(type_and_subject(&self.type_name, &self.subject)),
            Cell::Text(self.signer.clone()),
            Cell::Text(self.recipients.clone()),
            Cell::Text(self.archive.clone()),
            Cell::Text(self.copies.clone()),
            Cell::Date(self.transferred_on),
            Cell::Text(opt(&self.signed_for)),
            note(&self.urgency, &self.secrecy, &self.note),
        ]
    }
}

impl FollowUpEntry {
    /// "Công văn số 15/UBND-VP ngày 05/01/2026 của Sở Nội vụ" and the subject on the next line.
    fn document(&self) -> String {
        let mut first = self.type_name.trim().to_string();
        if let Some(n) = self.notation.as_deref().filter(|n| !n.trim().is_empty()) {
            first.push_str(&format!(" số {}", n.trim()));
        }
        if let Some(d) = self.dated {
            first.push_str(&format!(" ngày {}", short_date(d)));
        }
        if !self.issuer.trim().is_empty() {
            first.push_str(&format!(" của {}", self.issuer.trim()));
        }
        let first = first.trim().to_string();
        match (first.is_empty(), self.subject.trim().is_empty()) {
            (_, true) => first,
            (true, false) => self.subject.trim().to_string(),
            (false, false) => format!("{first}\n{}", self.subject.trim()),
        }
    }

    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::Text(self.number.clone()),
            Cell::Text(self.document()),
            Cell::Text(self.recipient.clone()),
            Cell::Date(self.deadline),
            Cell::Text(self.progress.clone()),
            Cell::Text(opt(&self.reply)),
            note(&self.urgency, &self.secrecy, &self.note),
        ]
    }
}

/// What the three registers have in common once their rows are cells.
struct Table<'a> {
    kind: RegisterKind,
    header: &'a RegisterHeader,
    widths_mm: &'a [Option<f32>],
    /// Columns whose text is centred (dates, numbers); the others are left-aligned.
    centred: &'a [usize],
    rows: Vec<Vec<Cell>>,
}

impl IncomingRegister {
    pub fn kind(&self) -> RegisterKind {
        RegisterKind::Incoming
    }

    fn table(&self) -> Table<'_> {
        Table {
            kind: self.kind(),
            header: &self.header,
            widths_mm: &INCOMING_MM,
            centred: &[0, 1, 4, 7],
            rows: self.entries.iter().map(IncomingEntry::cells).collect(),
        }
    }

    /// The register on A4 landscape pages: the agency block and title, then the table with its
    /// numbered column titles on every page; pages numbered "Trang n/N".
    pub fn render_pdf(&self) -> Result<Vec<u8>, OutputError> {
        self.table().render_pdf()
    }

    /// The register as an XLSX workbook of one sheet, set up to print like the PDF.
    pub fn render_xlsx(&self) -> Result<Vec<u8>, OutputError> {
        self.table().render_xlsx()
    }
}

impl OutgoingRegister {
    pub fn kind(&self) -> RegisterKind {
        RegisterKind::Outgoing
    }

    fn table(&self) -> Table<'_> {
        Table {
            kind: self.kind(),
            header: &self.header,
            widths_mm: &OUTGOING_MM,
            centred: &[1, 6, 7],
            rows: self.entries.iter().map(OutgoingEntry::cells).collect(),
        }
    }

    /// As [`IncomingRegister::render_pdf`].
    pub fn render_pdf(&self) -> Result<Vec<u8>, OutputError> {
        self.table().render_pdf()
    }

    /// As [`IncomingRegister::render_xlsx`].
    pub fn render_xlsx(&self) -> Result<Vec<u8>, OutputError> {
        self.table().render_xlsx()
    }
}

impl FollowUpRegister {
    pub fn kind(&self) -> RegisterKind {
        RegisterKind::FollowUp
    }

    fn table(&self) -> Table<'_> {
        Table {
            kind: self.kind(),
            header: &self.header,
            widths_mm: &FOLLOW_UP_MM,
            centred: &[0, 3],
            rows: self.entries.iter().map(FollowUpEntry::cells).collect(),
        }
    }

    /// As [`IncomingRegister::render_pdf`].
    pub fn render_pdf(&self) -> Result<Vec<u8>, OutputError> {
        self.table().render_pdf()
    }

    /// As [`IncomingRegister::render_xlsx`].
    pub fn render_xlsx(&self) -> Result<Vec<u8>, OutputError> {
        self.table().render_xlsx()
    }
}

impl RegisterHeader {
    /// The lines under the title, in order: series, year, numbers, period, volume.
    fn lines(&self) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        if let Some(series) = self.series.as_deref().filter(|s| !s.trim().is_empty()) {
            out.push((format!("({})", series.trim()), true));
        }
        out.push((format!("Năm {}", self.year), true));
        if let Some((from, to)) = &self.numbers {
            out.push((format!("Từ số {from} đến số {to}"), false));
        }
        if let Some((from, to)) = self.period {
            out.push((
                format!("Từ ngày {} đến ngày {}", short_date(from), short_date(to)),
                false,
            ));
        }
        if let Some(volume) = self.volume.as_deref().filter(|v| !v.trim().is_empty()) {
            out.push((format!("Quyển số: {}", volume.trim()), false));
        }
        out
    }

    fn closing(&self, entries: usize) -> String {
        let printed = date_vi(self.printed_on);
        if entries == 0 {
            format!("In {printed}.")
        } else {
            format!("Sổ gồm {entries} văn bản. In {printed}.")
        }
    }
}

impl Table<'_> {
    fn titles(&self) -> &'static [&'static str] {
        self.kind.column_titles()
    }

    fn render_pdf(&self) -> Result<Vec<u8>, OutputError> {
        let fonts = Fonts::load()?;
        let mut c = Composer::with_geometry(&fonts, Geometry::LANDSCAPE);
        let h = self.header;
        c.agency_block(h.parent.as_deref(), &h.agency, 95.0 * MM);
        c.paragraph(&[b(self.kind.title().to_uppercase())], 16.0, Align::Center);
        for (line, bold) in h.lines() {
            let span = if bold { b(line) } else { r(line) };
            c.paragraph(&[span], 13.0, Align::Center);
        }
        c.space(8.0);

        let fixed: f32 = self.widths_mm.iter().flatten().sum::<f32>() * MM;
        let rest = (c.text_width() - fixed).max(30.0 * MM);
        let cols: Vec<Col> = self
            .widths_mm
            .iter()
            .enumerate()
            .map(|(n, w)| Col {
                width: w.map_or(rest, |w| w * MM),
                align: if self.centred.contains(&n) {
                    Align::Center
                } else {
                    Align::Left
                },
            })
            .collect();
        let heads = vec![
            self.titles().iter().map(|t| vec![b(*t)]).collect(),
            (1..=self.titles().len())
                .map(|n| vec![i(format!("({n})"))])
                .collect::<Vec<_>>(),
        ];
        let rows: Vec<Vec<Vec<Span>>> = self
            .rows
            .iter()
            .map(|row| row.iter().map(Cell::spans).collect())
            .collect();
        c.ruled_table(
            &cols,
            &heads,
            &rows,
            TABLE,
            MIN_LINES,
            &[i(self.kind.empty_note())],
        );
        c.space(6.0);
        c.paragraph(&[i(h.closing(self.rows.len()))], 11.0, Align::Left);
        let pages = c.finish_numbered_at_foot(10.0, |n, total| format!("Trang {n}/{total}"));
        let title = format!("{} năm {}", self.kind.title(), h.year);
        to_pdf(
            &pages,
            &fonts,
            &DocInfo {
                title: &title,
                subject: &h.agency,
                date: h.printed_on,
            },
        )
    }

    /// Row (0-based) of the column titles; the numbers are on the next row, the entries after.
    const HEAD_ROW: u32 = 10;

    fn render_xlsx(&self) -> Result<Vec<u8>, OutputError> {
        let x = |e: rust_xlsxwriter::XlsxError| OutputError::Xlsx(e.to_string());
        let nfc = |s: &str| s.nfc().collect::<String>();
        let h = self.header;
        let ncols = u16::try_from(self.titles().len()).unwrap_or(1);
        let last = ncols - 1;
        let font = |f: Format| f.set_font_name("Times New Roman").set_font_size(11);
        let plain = font(Format::new());
        let bold = font(Format::new().set_bold());
        let centred = |f: Format| f.set_align(FormatAlign::Center);
        let head = font(
            Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_border(FormatBorder::Thin),
        );
        let numbers = font(
            Format::new()
                .set_italic()
                .set_align(FormatAlign::Center)
                .set_border(FormatBorder::Thin),
        );
        let cell = font(
            Format::new()
                .set_text_wrap()
                .set_align(FormatAlign::Top)
                .set_border(FormatBorder::Thin),
        );
        let cell_c = cell.clone().set_align(FormatAlign::Center);
        let date = cell_c.clone().set_num_format("dd/mm/yyyy");

        let title = format!("{} năm {}", self.kind.title(), h.year);
        let mut wb = workbook(&DocInfo {
            title: &title,
            subject: &h.agency,
            date: h.printed_on,
        })?;
        let ws = wb.add_worksheet();
        ws.set_name(self.kind.sheet_name(h.year)).map_err(x)?;
        if let Some(parent) = &h.parent {
            ws.write_with_format(0, 0, nfc(&parent.to_uppercase()), &plain)
                .map_err(x)?;
        }
        ws.write_with_format(1, 0, nfc(&h.agency.to_uppercase()), &bold)
            .map_err(x)?;
        ws.merge_range(
            3,
            0,
            3,
            last,
            &self.kind.title().to_uppercase(),
            &centred(bold.clone().set_font_size(14)),
        )
        .map_err(x)?;
        for (row, (line, is_bold)) in (4u32..).zip(h.lines()) {
            let f = if is_bold { &bold } else { &plain };
            ws.merge_range(row, 0, row, last, &nfc(&line), &centred(f.clone()))
                .map_err(x)?;
        }

        let top = Self::HEAD_ROW;
        for (col, title) in (0u16..).zip(self.titles()) {
            ws.write_with_format(top, col, *title, &head).map_err(x)?;
            ws.write_with_format(top + 1, col, format!("({})", col + 1), &numbers)
                .map_err(x)?;
        }
        let mut row = top + 2;
        if self.rows.is_empty() {
            ws.merge_range(
                row,
                0,
                row,
                last,
                self.kind.empty_note(),
                &centred(cell.clone().set_italic()),
            )
            .map_err(x)?;
            row += 1;
        }
        for entry in &self.rows {
            for (col, value) in (0u16..).zip(entry) {
                let centre = self.centred.contains(&usize::from(col));
                match value {
                    Cell::Date(Some(d)) => {
                        let when = ExcelDateTime::from_ymd(
                            u16::try_from(d.year()).unwrap_or(1900),
                            u8::try_from(d.month()).unwrap_or(1),
                            u8::try_from(d.day()).unwrap_or(1),
                        )
                        .map_err(x)?;
                        ws.write_datetime_with_format(row, col, &when, &date)
                            .map_err(x)?;
                    }
                    other => {
                        let f = if centre { &cell_c } else { &cell };
                        let text = nfc(&other.plain());
                        if text.is_empty() {
                            ws.write_blank(row, col, f).map_err(x)?;
                        } else {
                            ws.write_with_format(row, col, text, f).map_err(x)?;
                        }
                    }
                }
            }
            row += 1;
        }
        ws.write_with_format(
            row + 1,
            0,
            h.closing(self.rows.len()),
            &font(Format::new().set_italic()),
        )
        .map_err(x)?;

        // Widths: about 1.9 mm per Excel character unit; the open column gets what is left.
        let fixed: f32 = self.widths_mm.iter().flatten().sum();
        for (col, w) in (0u16..).zip(self.widths_mm) {
            let mm = w.unwrap_or((252.0 - fixed).max(30.0));
            ws.set_column_width(col, f64::from((mm / 1.9).round()))
                .map_err(x)?;
        }
        ws.set_landscape();
        ws.set_paper_size(9); // A4
        ws.set_margins(1.18, 0.59, 0.79, 0.79, 0.3, 0.3); // 30, 15, 20, 20 mm
        ws.set_repeat_rows(top, top + 1).map_err(x)?;
        ws.set_print_fit_to_pages(1, 0);
        ws.set_footer("&CTrang &P/&N");
        ws.set_freeze_panes(top + 2, 0).map_err(x)?;
        wb.save_to_buffer().map_err(x)
    }
}
