//! Biểu II.06a/VPCP/KSTT (TT 01/2020/TT-VPCP): "Tình hình, kết quả giải quyết thủ tục hành
//! chính", as an A4 PDF and as an XLSX workbook, from the numbers the report use case computed.
//! The thirteen columns are standards.md §1.5's.

use chrono::NaiveDate;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder};

use crate::OutputError;
use crate::fonts::Fonts;
use crate::layout::{Align, BODY, Col, Composer, MM, WIDTH, b, i, r};
use crate::render::{DocInfo, to_pdf, workbook};
use crate::vi::{date_vi, vnd};

/// One line of the report: (1) TT, (2) lĩnh vực, (3)–(13).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ii06aSheetLine {
    pub number: u32,
    pub field: String,
    /// Columns (3) to (13) in order.
    pub cells: [u64; 11],
}

/// The report as printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ii06aSheet {
    /// Header: the governing agency (first line), if any.
    pub parent: Option<String>,
    /// Header: the reporting unit (second line, bold).
    pub unit: String,
    /// "Đơn vị báo cáo".
    pub reporting_unit: String,
    /// "Đơn vị nhận báo cáo".
    pub receiving_unit: String,
    /// Period, both days included.
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub lines: Vec<Ii06aSheetLine>,
    pub total: [u64; 11],
    /// The date line ("Tây Ninh, ngày …").
    pub place: String,
    pub issued_on: NaiveDate,
}

/// Headers of columns (3)–(13), with the groups they belong to.
const GROUPS: [(&str, usize); 3] = [
    ("Số hồ sơ nhận giải quyết", 4),
    ("Kết quả giải quyết — Số hồ sơ đã giải quyết", 4),
    ("Số hồ sơ đang giải quyết", 3),
];
const HEADS: [&str; 11] = [
    "Tổng số",
    "Trong kỳ: trực tuyến",
    "Trong kỳ: trực tiếp, dịch vụ bưu chính",
    "Từ kỳ trước",
    "Tổng số",
    "Trước hạn",
    "Đúng hạn",
    "Quá hạn",
    "Tổng số",
    "Trong hạn",
    "Quá hạn",
];
const TITLE: &str = "Tình hình, kết quả giải quyết thủ tục hành chính";
const FORM: &str = "Biểu II.06a/VPCP/KSTT";

fn period_text(from: NaiveDate, to: NaiveDate) -> String {
    format!(
        "Kỳ báo cáo: từ {} đến {}",
        from.format("%d/%m/%Y"),
        to.format("%d/%m/%Y")
    )
}

/// Numbers as the forms write them (dots between thousands), without the currency.
fn num(n: u64) -> String {
    vnd(i64::try_from(n).unwrap_or(i64::MAX))
        .trim_end_matches(" ₫")
        .to_string()
}

impl Ii06aSheet {
    /// The report on A4 portrait pages; the table's header repeats on every page.
    pub fn render_pdf(&self) -> Result<Vec<u8>, OutputError> {
        let fonts = Fonts::load()?;
        let mut c = Composer::new(&fonts);
        c.national_header(self.parent.as_deref(), &self.unit, None, None);
        c.paragraph(&[i(FORM)], 10.0, Align::Left);
        c.title(TITLE);
        c.paragraph(&[r(period_text(self.from, self.to))], BODY, Align::Center);
        c.paragraph(
            &[r("Đơn vị báo cáo: "), b(&self.reporting_unit)],
            11.0,
            Align::Left,
        );
        c.paragraph(
            &[r("Đơn vị nhận báo cáo: "), b(&self.receiving_unit)],
            11.0,
            Align::Left,
        );
        c.paragraph(&[i("Đơn vị tính: số hồ sơ")], 10.0, Align::Left);
        c.space(4.0);
        // (1) 8 mm, (2) what is left, (3)–(13) 11.5 mm each.
        let numbers_w = 11.5 * MM;
        let mut cols = vec![
            Col {
                width: 8.0 * MM,
                align: Align::Center,
            },
            Col {
                width: WIDTH - 8.0 * MM - 11.0 * numbers_w,
                align: Align::Left,
            },
        ];
        cols.extend((0..11).map(|_| Col {
            width: numbers_w,
            align: Align::Center,
        }));
        // The widest number decides the size (the cells have 7.4 mm inside their padding):
        // Liberation Serif's digits are 0.5 em, a dot 0.25 em.
        let widest = self
            .lines
            .iter()
            .flat_map(|l| l.cells)
            .chain(self.total)
            .map(|n| {
                let s = num(n);
                s.chars()
                    .map(|c| if c == '.' { 0.25 } else { 0.5 })
                    .sum::<f32>()
            })
            .fold(1.0f32, f32::max);
        let size = ((numbers_w - 8.5) / widest).clamp(5.0, 7.5);
        let mut header = vec![vec![b("TT")], vec![b("Lĩnh vực, công việc giải quyết")]];
        let mut k = 0;
        for (group, n) in GROUPS {
            for j in 0..n {
                let mut cell = Vec::new();
                if j == 0 {
                    cell.push(i(format!("{group}:\n")));
                }
                cell.push(b(HEADS[k]));
                header.push(cell);
                k += 1;
            }
        }
        let mut rows: Vec<Vec<Vec<crate::layout::Span>>> =
            vec![(1..=13).map(|n| vec![i(format!("({n})"))]).collect()];
        for l in &self.lines {
            let mut row = vec![vec![r(l.number.to_string())], vec![r(&l.field)]];
            row.extend(l.cells.iter().map(|n| vec![r(num(*n))]));
            rows.push(row);
        }
        let mut total = vec![vec![r("")], vec![b("Tổng cộng")]];
        total.extend(self.total.iter().map(|n| vec![b(num(*n))]));
        rows.push(total);
        c.table(&cols, &header, &rows, size);
        c.space(8.0);
        c.paragraph(
            &[i(format!("{}, {}", self.place, date_vi(self.issued_on)))],
            BODY,
            Align::Left,
        );
        to_pdf(
            &c.finish(),
            &fonts,
            &DocInfo {
                title: &format!("{FORM} — {TITLE}"),
                subject: &period_text(self.from, self.to),
                date: self.issued_on,
            },
        )
    }

    /// The report as an XLSX workbook: one sheet with the form's header, the two header rows,
    /// the column numbers, one row per field and the total; numbers as numbers.
    pub fn render_xlsx(&self) -> Result<Vec<u8>, OutputError> {
        let x = |e: rust_xlsxwriter::XlsxError| OutputError::Xlsx(e.to_string());
        let mut wb = workbook(&DocInfo {
            title: &format!("{FORM} — {TITLE}"),
            subject: &period_text(self.from, self.to),
            date: self.issued_on,
        })?;
        let ws = wb.add_worksheet();
        ws.set_name("II.06a").map_err(x)?;
        let bold = Format::new().set_bold();
        let head = Format::new()
            .set_bold()
            .set_text_wrap()
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::VerticalCenter)
            .set_border(FormatBorder::Thin);
        let cell = Format::new().set_border(FormatBorder::Thin);
        let numf = Format::new()
            .set_border(FormatBorder::Thin)
            .set_num_format("#,##0");
        let totalf = Format::new()
            .set_bold()
            .set_border(FormatBorder::Thin)
            .set_num_format("#,##0");
        let center = Format::new()
            .set_italic()
            .set_align(FormatAlign::Center)
            .set_border(FormatBorder::Thin);
        ws.write_with_format(0, 0, self.parent.as_deref().unwrap_or(""), &bold)
            .map_err(x)?;
        ws.write_with_format(1, 0, self.unit.as_str(), &bold)
            .map_err(x)?;
        ws.write(0, 10, FORM).map_err(x)?;
        ws.write_with_format(3, 0, TITLE.to_uppercase(), &bold)
            .map_err(x)?;
        ws.write(4, 0, period_text(self.from, self.to)).map_err(x)?;
        ws.write(5, 0, format!("Đơn vị báo cáo: {}", self.reporting_unit))
            .map_err(x)?;
        ws.write(
            6,
            0,
            format!("Đơn vị nhận báo cáo: {}", self.receiving_unit),
        )
        .map_err(x)?;
        ws.write(7, 0, "Đơn vị tính: số hồ sơ").map_err(x)?;
        let top: u32 = 9;
        ws.merge_range(top, 0, top + 1, 0, "TT", &head).map_err(x)?;
        ws.merge_range(top, 1, top + 1, 1, "Lĩnh vực, công việc giải quyết", &head)
            .map_err(x)?;
        let mut col: u16 = 2;
        let mut k = 0;
        for (group, n) in GROUPS {
            let last = col + u16::try_from(n).unwrap_or(1) - 1;
            ws.merge_range(top, col, top, last, group, &head)
                .map_err(x)?;
            for _ in 0..n {
                ws.write_with_format(top + 1, col, HEADS[k], &head)
                    .map_err(x)?;
                col += 1;
                k += 1;
            }
        }
        for n in 0..13u16 {
            ws.write_with_format(top + 2, n, format!("({})", n + 1), &center)
                .map_err(x)?;
        }
        let mut row = top + 3;
        for l in &self.lines {
            ws.write_with_format(row, 0, l.number, &cell).map_err(x)?;
            ws.write_with_format(row, 1, l.field.as_str(), &cell)
                .map_err(x)?;
            for (j, v) in l.cells.iter().enumerate() {
                ws.write_with_format(row, 2 + j as u16, *v as f64, &numf)
                    .map_err(x)?;
            }
            row += 1;
        }
        ws.write_with_format(row, 0, "", &cell).map_err(x)?;
        ws.write_with_format(row, 1, "Tổng cộng", &totalf)
            .map_err(x)?;
        for (j, v) in self.total.iter().enumerate() {
            ws.write_with_format(row, 2 + j as u16, *v as f64, &totalf)
                .map_err(x)?;
        }
        ws.write(
            row + 2,
            8,
            format!("{}, {}", self.place, date_vi(self.issued_on)),
        )
        .map_err(x)?;
        ws.set_column_width(0, 5).map_err(x)?;
        ws.set_column_width(1, 40).map_err(x)?;
        for c in 2..13u16 {
            ws.set_column_width(c, 12).map_err(x)?;
        }
        ws.set_row_height(top + 1, 45).map_err(x)?;
        wb.save_to_buffer().map_err(x)
    }
}
