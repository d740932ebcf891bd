//! A small page composer: A4 pages with the margins of NĐ 30/2020, paragraphs wrapped at the text
//! width, the national header, tables that break across pages, signature blocks and QR codes.
//!
//! Composing produces a display list (`Page` of `Item`s, points from the top left corner, y
//! down); `render.rs` paints it into a PDF. Keeping the two apart keeps the layout testable and
//! the PDF code short.

use unicode_normalization::UnicodeNormalization;

use crate::fonts::{Fonts, Style};
use crate::qr::{QUIET_ZONE, QrModules};
use crate::vi;

/// Points per millimetre.
pub(crate) const MM: f32 = 72.0 / 25.4;
/// A4: 210 × 297 mm = 595.28 × 841.89 pt.
pub(crate) const PAGE_W: f32 = 210.0 * MM;
pub(crate) const PAGE_H: f32 = 297.0 * MM;
/// Margins of NĐ 30/2020 Phụ lục I: top and bottom 20 mm, left 30 mm, right 15–20 mm.
pub(crate) const TOP: f32 = 20.0 * MM;
pub(crate) const BOTTOM: f32 = 20.0 * MM;
pub(crate) const LEFT: f32 = 30.0 * MM;
pub(crate) const RIGHT: f32 = 15.0 * MM;
/// The text width: 165 mm.
pub(crate) const WIDTH: f32 = PAGE_W - LEFT - RIGHT;

/// Body text size (NĐ 30/2020: 13–14 pt; slips are forms, 13 keeps form 01 on one page).
pub(crate) const BODY: f32 = 13.0;
/// Table text size.
pub(crate) const SMALL: f32 = 11.0;
/// Line height as a multiple of the font size.
const LEADING: f32 = 1.25;
/// Liberation Serif's ascent and descent (hhea), in em.
const ASCENT: f32 = 0.891;
const DESCENT: f32 = 0.216;
/// Rule width for tables and the header's lines.
pub(crate) const RULE: f32 = 0.6;
const PAD_X: f32 = 4.0;
/// QR codes are 32 mm wide with their quiet zone (a version-5 code: 0.7 mm modules).
const QR_W: f32 = 32.0 * MM;
/// Space after a paragraph.
const PARA_GAP: f32 = 2.0;
const PAD_Y: f32 = 3.0;

/// One thing to draw. Coordinates in points from the page's top left corner, y down.
#[derive(Debug, Clone)]
pub(crate) enum Item {
    Text {
        x: f32,
        baseline: f32,
        style: Style,
        size: f32,
        text: String,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
    },
    /// Filled black rectangles `(x, y, w, h)`, one path (the QR code's modules).
    Fill {
        rects: Vec<(f32, f32, f32, f32)>,
    },
    /// A clickable area that opens `url`.
    Link {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        url: String,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct Page {
    /// Width and height in points.
    pub size: (f32, f32),
    pub items: Vec<Item>,
}

/// A page's size and margins, in points.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Geometry {
    pub w: f32,
    pub h: f32,
    pub top: f32,
    pub bottom: f32,
    pub left: f32,
    /// The text width (the page less the left and right margins).
    pub width: f32,
}

impl Geometry {
    /// A4 portrait with NĐ 30/2020's margins (the slips and reports).
    pub(crate) const PORTRAIT: Geometry = Geometry {
        w: PAGE_W,
        h: PAGE_H,
        top: TOP,
        bottom: BOTTOM,
        left: LEFT,
        width: WIDTH,
    };
    /// A4 landscape (297 × 210 mm) with the same margins, the binding on the left: a 252 mm
    /// wide text area (the registers).
    pub(crate) const LANDSCAPE: Geometry = Geometry {
        w: PAGE_H,
        h: PAGE_W,
        top: TOP,
        bottom: BOTTOM,
        left: LEFT,
        width: PAGE_H - LEFT - RIGHT,
    };

    fn page(self) -> Page {
        Page {
            size: (self.w, self.h),
            items: Vec::new(),
        }
    }
}

/// A piece of text in one style; `\n` forces a line break.
#[derive(Debug, Clone)]
pub(crate) struct Span {
    pub style: Style,
    pub text: String,
}

pub(crate) fn r(text: impl Into<String>) -> Span {
    Span {
        style: Style::Regular,
        text: text.into(),
    }
}

pub(crate) fn b(text: impl Into<String>) -> Span {
    Span {
        style: Style::Bold,
        text: text.into(),
    }
}

pub(crate) fn i(text: impl Into<String>) -> Span {
    Span {
        style: Style::Italic,
        text: text.into(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Center,
}

/// A table column.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Col {
    pub width: f32,
    pub align: Align,
}

/// A signature block: title (bold capitals), note in italics, room to sign, the name in bold.
#[derive(Debug, Clone)]
pub(crate) struct Signature {
    pub title: String,
    pub note: String,
    pub name: Option<String>,
}

/// A laid-out line: runs of one style each, x relative to the line start.
#[derive(Debug, Clone, Default)]
struct Line {
    runs: Vec<(Style, String, f32)>,
    width: f32,
}

impl Line {
    fn push(&mut self, style: Style, text: &str, w: f32) {
        match self.runs.last_mut() {
            Some((s, t, _)) if *s == style => t.push_str(text),
            _ => self.runs.push((style, text.to_owned(), self.width)),
        }
        self.width += w;
    }
}

/// Words glued without a space between them (possibly in several styles), spaces, forced breaks.
enum Token {
    Word(Vec<(Style, String)>),
    Space(Style),
    Break,
}

fn tokenize(spans: &[Span]) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word: Vec<(Style, String)> = Vec::new();
    let flush = |word: &mut Vec<(Style, String)>, tokens: &mut Vec<Token>| {
        if !word.is_empty() {
            tokens.push(Token::Word(std::mem::take(word)));
        }
    };
    for span in spans {
        for c in span.text.nfc() {
            if c == '\n' {
                flush(&mut word, &mut tokens);
                tokens.push(Token::Break);
            } else if c.is_whitespace() {
                flush(&mut word, &mut tokens);
                tokens.push(Token::Space(span.style));
            } else {
                match word.last_mut() {
                    Some((s, t)) if *s == span.style => t.push(c),
                    _ => word.push((span.style, c.to_string())),
                }
            }
        }
    }
    flush(&mut word, &mut tokens);
    tokens
}

fn line_height(size: f32) -> f32 {
    size * LEADING
}

fn baseline_offset(size: f32) -> f32 {
    (size * LEADING - (ASCENT + DESCENT) * size) / 2.0 + ASCENT * size
}

/// Builds pages top to bottom with a cursor.
pub(crate) struct Composer<'f> {
    fonts: &'f Fonts,
    g: Geometry,
    pages: Vec<Page>,
    /// Top of the next line on the current page.
    y: f32,
    /// Room kept free on the right of paragraphs (beside a QR code), and where that ends.
    inset: f32,
    aside_bottom: f32,
}

impl<'f> Composer<'f> {
    pub(crate) fn new(fonts: &'f Fonts) -> Self {
        Self::with_geometry(fonts, Geometry::PORTRAIT)
    }

    pub(crate) fn with_geometry(fonts: &'f Fonts, g: Geometry) -> Self {
        Composer {
            fonts,
            g,
            pages: vec![g.page()],
            y: g.top,
            inset: 0.0,
            aside_bottom: g.top,
        }
    }

    /// The text width of this composer's pages.
    pub(crate) fn text_width(&self) -> f32 {
        self.g.width
    }

    /// The pages, numbered at the top centre from page 2 on (NĐ 30/2020 Phụ lục I).
    pub(crate) fn finish(mut self) -> Vec<Page> {
        if self.pages.len() > 1 {
            for (n, page) in self.pages.iter_mut().enumerate().skip(1) {
                let text = (n + 1).to_string();
                let w = self.fonts.width(Style::Regular, BODY, &text);
                page.items.push(Item::Text {
                    x: self.g.left + (self.g.width - w) / 2.0,
                    baseline: self.g.top / 2.0 + BODY / 2.0,
                    style: Style::Regular,
                    size: BODY,
                    text,
                });
            }
        }
        self.pages
    }

    /// The pages, each numbered `label(n, total)` at the bottom centre in `size` points (the
    /// registers: "Trang 3/12" on every page, so a missing page shows).
    pub(crate) fn finish_numbered_at_foot(
        mut self,
        size: f32,
        label: impl Fn(usize, usize) -> String,
    ) -> Vec<Page> {
        let total = self.pages.len();
        for (n, page) in self.pages.iter_mut().enumerate() {
            let text = label(n + 1, total);
            let w = self.fonts.width(Style::Regular, size, &text);
            page.items.push(Item::Text {
                x: self.g.left + (self.g.width - w) / 2.0,
                baseline: self.g.h - self.g.bottom / 2.0 + size / 3.0,
                style: Style::Regular,
                size,
                text,
            });
        }
        self.pages
    }

    fn push(&mut self, item: Item) {
        if let Some(page) = self.pages.last_mut() {
            page.items.push(item);
        }
    }

    fn new_page(&mut self) {
        self.pages.push(self.g.page());
        self.y = self.g.top;
        self.inset = 0.0;
    }

    fn room(&self) -> f32 {
        self.g.h - self.g.bottom - self.y
    }

    /// Starts a new page unless `height` fits below the cursor.
    fn ensure(&mut self, height: f32) {
        if height > self.room() && self.y > self.g.top {
            self.new_page();
        }
    }

    /// Vertical space; never carried over to a new page.
    pub(crate) fn space(&mut self, height: f32) {
        self.y = (self.y + height).min(self.g.h - self.g.bottom);
    }

    fn text(&mut self, x: f32, baseline: f32, style: Style, size: f32, text: &str) {
        if !text.is_empty() {
            self.push(Item::Text {
                x,
                baseline,
                style,
                size,
                text: text.to_owned(),
            });
        }
    }

    fn rule(&mut self, x1: f32, y1: f32, x2: f32, y2: f32) {
        self.push(Item::Line { x1, y1, x2, y2 });
    }

    fn width_of(&self, style: Style, size: f32, text: &str) -> f32 {
        self.fonts.width(style, size, text)
    }

    /// Greedy line breaking at spaces; a word wider than the line is broken between letters.
    fn wrap(&self, spans: &[Span], size: f32, width: f32, first_indent: f32) -> Vec<Line> {
        let mut lines = Vec::new();
        let mut line = Line::default();
        let mut pending: Option<Style> = None;
        let avail = |lines: &Vec<Line>| {
            if lines.is_empty() {
                width - first_indent
            } else {
                width
            }
        };
        for token in tokenize(spans) {
            match token {
                Token::Break => {
                    lines.push(std::mem::take(&mut line));
                    pending = None;
                }
                Token::Space(style) => {
                    if !line.runs.is_empty() {
                        pending = Some(style);
                    }
                }
                Token::Word(pieces) => {
                    let word_w: f32 = pieces.iter().map(|(s, t)| self.width_of(*s, size, t)).sum();
                    let space_w = pending.map_or(0.0, |s| self.width_of(s, size, " "));
                    if line.width + space_w + word_w > avail(&lines) + 0.01 && !line.runs.is_empty()
                    {
                        lines.push(std::mem::take(&mut line));
                        pending = None;
                    }
                    if let Some(style) = pending.take() {
                        line.push(style, " ", space_w);
                    }
                    if line.width + word_w <= avail(&lines) + 0.01 {
                        for (style, text) in &pieces {
                            let w = self.width_of(*style, size, text);
                            line.push(*style, text, w);
                        }
                    } else {
                        // Too long for any line (a long URL): break between letters.
                        for (style, text) in &pieces {
                            for c in text.chars() {
                                let mut buf = [0u8; 4];
                                let s = c.encode_utf8(&mut buf);
                                let w = self.width_of(*style, size, s);
                                if line.width + w > avail(&lines) + 0.01 && !line.runs.is_empty() {
                                    lines.push(std::mem::take(&mut line));
                                }
                                line.push(*style, s, w);
                            }
                        }
                    }
                }
            }
        }
        if !line.runs.is_empty() || lines.is_empty() {
            lines.push(line);
        }
        lines
    }

    fn draw_line(&mut self, line: &Line, x: f32, baseline: f32, size: f32) {
        for (style, text, dx) in &line.runs {
            self.text(x + dx, baseline, *style, size, text);
        }
    }

    fn align_dx(align: Align, width: f32, line: &Line, indent: f32) -> f32 {
        match align {
            Align::Left => indent,
            Align::Center => ((width - line.width) / 2.0).max(0.0),
        }
    }

    /// Places wrapped lines at a fixed position (no page break); returns the bottom.
    fn place(
        &mut self,
        spans: &[Span],
        x: f32,
        width: f32,
        top: f32,
        size: f32,
        align: Align,
    ) -> f32 {
        let lines = self.wrap(spans, size, width, 0.0);
        let mut y = top;
        for line in &lines {
            let dx = Self::align_dx(align, width, line, 0.0);
            self.draw_line(line, x + dx, y + baseline_offset(size), size);
            y += line_height(size);
        }
        y
    }

    /// Like `place`, centred, with lines of even length: the narrowest width that needs no more
    /// lines than the full width ("ỦY BAN NHÂN DÂN / PHƯỜNG HIỆP NINH", not a lone last word).
    fn place_balanced(&mut self, spans: &[Span], x: f32, width: f32, top: f32, size: f32) -> f32 {
        let n = self.wrap(spans, size, width, 0.0).len();
        let (mut lo, mut hi) = (0.0, width);
        if n > 1 {
            for _ in 0..20 {
                let mid = (lo + hi) / 2.0;
                if self.wrap(spans, size, mid, 0.0).len() <= n {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
        }
        let lines = self.wrap(spans, size, hi, 0.0);
        let mut y = top;
        for line in &lines {
            let dx = Self::align_dx(Align::Center, width, line, 0.0);
            self.draw_line(line, x + dx, y + baseline_offset(size), size);
            y += line_height(size);
        }
        y
    }

    /// A paragraph across the text width; breaks across pages between lines.
    pub(crate) fn paragraph(&mut self, spans: &[Span], size: f32, align: Align) {
        self.paragraph_at(
            self.g.left,
            self.g.width - self.inset,
            spans,
            size,
            align,
            0.0,
        );
        self.space(PARA_GAP);
    }

    /// A paragraph whose first line is indented (1 cm, as running text in NĐ 30/2020).
    pub(crate) fn prose(&mut self, spans: &[Span]) {
        self.paragraph_at(
            self.g.left,
            self.g.width - self.inset,
            spans,
            BODY,
            Align::Left,
            10.0 * MM,
        );
        self.space(PARA_GAP);
    }

    /// A paragraph with a hanging indent: continuation lines start at `hang` (numbered lists).
    pub(crate) fn hanging(&mut self, label: &str, spans: &[Span], hang: f32) {
        let label_w = self.width_of(Style::Regular, BODY, label);
        let lines = self.wrap(spans, BODY, self.g.width - hang, 0.0);
        for (n, line) in lines.iter().enumerate() {
            let lh = line_height(BODY);
            self.ensure(lh);
            let baseline = self.y + baseline_offset(BODY);
            if n == 0 {
                self.text(
                    self.g.left + hang - label_w.min(hang),
                    baseline,
                    Style::Regular,
                    BODY,
                    label,
                );
            }
            self.draw_line(line, self.g.left + hang, baseline, BODY);
            self.y += lh;
        }
    }

    fn paragraph_at(
        &mut self,
        x: f32,
        width: f32,
        spans: &[Span],
        size: f32,
        align: Align,
        indent: f32,
    ) {
        let lines = self.wrap(spans, size, width, indent);
        for (n, line) in lines.iter().enumerate() {
            let lh = line_height(size);
            self.ensure(lh);
            let first_indent = if n == 0 { indent } else { 0.0 };
            let dx = Self::align_dx(align, width, line, first_indent);
            let baseline = self.y + baseline_offset(size);
            self.draw_line(line, x + dx, baseline, size);
            self.y += lh;
        }
    }

    /// The header of an administrative document (NĐ 30/2020 Phụ lục I, ô 1–4): on the left the
    /// governing agency (regular capitals), the issuing unit (bold capitals) with a short rule
    /// under it and the number line; on the right the national title, the motto with a rule as
    /// long as the motto, and the place and date line in italics.
    pub(crate) fn national_header(
        &mut self,
        parent: Option<&str>,
        unit: &str,
        number: Option<&str>,
        date_line: Option<&str>,
    ) {
        const LEFT_W: f32 = 78.0 * MM;
        const HEAD: f32 = 12.5;
        const MOTTO: f32 = 13.0;
        let right_x = self.g.left + LEFT_W;
        let right_w = self.g.width - LEFT_W;
        let top = self.y;

        // Left column.
        let mut y = top;
        if let Some(parent) = parent {
            y = self.place_balanced(&[r(vi::upper(parent))], self.g.left, LEFT_W, y, HEAD);
        }
        let unit_upper = vi::upper(unit);
        let unit_lines = self.wrap(&[b(unit_upper.clone())], HEAD, LEFT_W, 0.0);
        let widest = unit_lines.iter().map(|l| l.width).fold(0.0, f32::max);
        y = self.place_balanced(&[b(unit_upper)], self.g.left, LEFT_W, y, HEAD);
        let rule_w = widest * 0.4;
        let rule_y = y + 3.0;
        self.rule(
            self.g.left + (LEFT_W - rule_w) / 2.0,
            rule_y,
            self.g.left + (LEFT_W + rule_w) / 2.0,
            rule_y,
        );
        let mut left_bottom = rule_y + 6.0;

        // Right column.
        let title = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM";
        let title_size =
            HEAD.min(HEAD * (right_w - 2.0) / self.width_of(Style::Bold, HEAD, title).max(1.0));
        let mut ry = self.place(
            &[b(title)],
            right_x,
            right_w,
            top,
            title_size,
            Align::Center,
        );
        let motto = "Độc lập - Tự do - Hạnh phúc";
        let motto_w = self.width_of(Style::Bold, MOTTO, motto);
        ry = self.place(&[b(motto)], right_x, right_w, ry, MOTTO, Align::Center);
        let motto_rule = ry + 2.0;
        self.rule(
            right_x + (right_w - motto_w) / 2.0,
            motto_rule,
            right_x + (right_w + motto_w) / 2.0,
            motto_rule,
        );
        let mut right_bottom = motto_rule + 6.0;

        // The number (left) and the date line (right) share a line below the rules.
        let line_top = left_bottom.max(right_bottom);
        if let Some(number) = number {
            left_bottom = self.place(
                &[r(number)],
                self.g.left,
                LEFT_W,
                line_top,
                BODY,
                Align::Center,
            );
        }
        if let Some(date_line) = date_line {
            right_bottom = self.place(
                &[i(date_line)],
                right_x,
                right_w,
                line_top,
                BODY,
                Align::Center,
            );
        }
        self.y = left_bottom.max(right_bottom) + 14.0;
    }

    /// A register's agency block at the upper left: the superior agency (regular capitals) and
    /// the agency (bold capitals), centred in a column `col_w` wide, with a short rule under them.
    pub(crate) fn agency_block(&mut self, parent: Option<&str>, unit: &str, col_w: f32) {
        const HEAD: f32 = 12.5;
        let left = self.g.left;
        let mut y = self.y;
        if let Some(parent) = parent {
            y = self.place_balanced(&[r(vi::upper(parent))], left, col_w, y, HEAD);
        }
        let unit_upper = vi::upper(unit);
        let widest = self
            .wrap(&[b(unit_upper.clone())], HEAD, col_w, 0.0)
            .iter()
            .map(|l| l.width)
            .fold(0.0, f32::max);
        y = self.place_balanced(&[b(unit_upper)], left, col_w, y, HEAD);
        let rule_w = widest * 0.4;
        let rule_y = y + 3.0;
        self.rule(
            left + (col_w - rule_w) / 2.0,
            rule_y,
            left + (col_w + rule_w) / 2.0,
            rule_y,
        );
        self.y = rule_y + 14.0;
    }

    /// The document's name: bold capitals, centred.
    pub(crate) fn title(&mut self, text: &str) {
        self.paragraph(&[b(vi::upper(text))], 14.0, Align::Center);
        self.space(2.0);
    }

    /// A table with a header row (centred) repeated on every page it spans, text at `size`.
    /// Rows do not split; a row taller than a page overflows the bottom margin (slip rows are
    /// short).
    pub(crate) fn table(
        &mut self,
        cols: &[Col],
        header: &[Vec<Span>],
        rows: &[Vec<Vec<Span>>],
        size: f32,
    ) {
        let header_h = self.row_height(cols, header, size);
        let first_h = rows
            .first()
            .map_or(0.0, |row| self.row_height(cols, row, size));
        self.ensure(header_h + first_h);
        self.table_row(cols, header, true, size);
        for row in rows {
            let h = self.row_height(cols, row, size);
            if h > self.room() && self.y > self.g.top {
                self.new_page();
                self.table_row(cols, header, true, size);
            }
            self.table_row(cols, row, false, size);
        }
    }

    /// A register's table: `heads` (the column titles and their numbers) on top of every page the
    /// table spans, then `rows`, each at least `min_lines` lines tall (room to sign). A row that
    /// does not fit below the cursor moves to the next page; a row taller than a whole page is
    /// split between pages at a line, so no text is ever cut. With no rows, `empty` fills one
    /// cell across the table.
    pub(crate) fn ruled_table(
        &mut self,
        cols: &[Col],
        heads: &[Vec<Vec<Span>>],
        rows: &[Vec<Vec<Span>>],
        size: f32,
        min_lines: usize,
        empty: &[Span],
    ) {
        let lh = line_height(size);
        let heads_h: f32 = heads.iter().map(|h| self.row_height(cols, h, size)).sum();
        let total: f32 = cols.iter().map(|c| c.width).sum();
        // The titles stay with at least the first two lines of the first row.
        self.ensure(heads_h + 2.0 * lh + 2.0 * PAD_Y);
        self.heads(cols, heads, size);
        if rows.is_empty() {
            let col = [Col {
                width: total,
                align: Align::Center,
            }];
            self.table_row(&col, &[empty.to_vec()], false, size);
            return;
        }
        let page_lines = self.lines_in(self.g.h - self.g.bottom - self.g.top - heads_h, lh);
        let mut fresh = true;
        for row in rows {
            let wrapped: Vec<Vec<Line>> = cols
                .iter()
                .zip(row)
                .map(|(col, cell)| self.wrap(cell, size, col.width - 2.0 * PAD_X, 0.0))
                .collect();
            let n = wrapped
                .iter()
                .map(Vec::len)
                .fold(min_lines.max(1), usize::max);
            let mut start = 0;
            while start < n {
                let left = n - start;
                let here = self.lines_in(self.room(), lh);
                if left <= here {
                    self.row_slice(cols, &wrapped, start, n, size);
                    fresh = false;
                    break;
                }
                if !fresh && (left <= page_lines || here < 2) {
                    self.new_page();
                    self.heads(cols, heads, size);
                    fresh = true;
                    continue;
                }
                // Taller than what a page holds: fill this page and go on on the next.
                let take = here.max(1);
                self.row_slice(cols, &wrapped, start, start + take, size);
                start += take;
                self.new_page();
                self.heads(cols, heads, size);
                fresh = true;
            }
        }
    }

    /// How many table lines fit in `height`.
    fn lines_in(&self, height: f32, lh: f32) -> usize {
        let n = ((height - 2.0 * PAD_Y) / lh + 0.001).floor();
        if n > 0.0 { n as usize } else { 0 }
    }

    fn heads(&mut self, cols: &[Col], heads: &[Vec<Vec<Span>>], size: f32) {
        for h in heads {
            self.table_row(cols, h, true, size);
        }
    }

    /// Lines `from..to` of a row's wrapped cells, ruled as one row.
    fn row_slice(&mut self, cols: &[Col], cells: &[Vec<Line>], from: usize, to: usize, size: f32) {
        let lh = line_height(size);
        let h = (to - from) as f32 * lh + 2.0 * PAD_Y;
        let top = self.y;
        let left = self.g.left;
        let total: f32 = cols.iter().map(|c| c.width).sum();
        self.rule(left, top, left + total, top);
        self.rule(left, top + h, left + total, top + h);
        let mut x = left;
        self.rule(x, top, x, top + h);
        for (col, lines) in cols.iter().zip(cells) {
            let inner = col.width - 2.0 * PAD_X;
            let mut y = top + PAD_Y;
            for line in lines.iter().take(to).skip(from) {
                let dx = Self::align_dx(col.align, inner, line, 0.0);
                self.draw_line(line, x + PAD_X + dx, y + baseline_offset(size), size);
                y += lh;
            }
            x += col.width;
            self.rule(x, top, x, top + h);
        }
        self.y = top + h;
    }

    fn row_height(&self, cols: &[Col], cells: &[Vec<Span>], size: f32) -> f32 {
        let lines = cols
            .iter()
            .zip(cells)
            .map(|(col, cell)| self.wrap(cell, size, col.width - 2.0 * PAD_X, 0.0).len())
            .max()
            .unwrap_or(1);
        lines as f32 * line_height(size) + 2.0 * PAD_Y
    }

    fn table_row(&mut self, cols: &[Col], cells: &[Vec<Span>], header: bool, size: f32) {
        let h = self.row_height(cols, cells, size);
        let top = self.y;
        let total: f32 = cols.iter().map(|c| c.width).sum();
        self.rule(self.g.left, top, self.g.left + total, top);
        self.rule(self.g.left, top + h, self.g.left + total, top + h);
        let mut x = self.g.left;
        self.rule(x, top, x, top + h);
        for (col, cell) in cols.iter().zip(cells) {
            let inner = col.width - 2.0 * PAD_X;
            let (align, dy) = if header {
                let n = self.wrap(cell, size, inner, 0.0).len() as f32;
                (
                    Align::Center,
                    (h - 2.0 * PAD_Y - n * line_height(size)) / 2.0,
                )
            } else {
                (col.align, 0.0)
            };
            self.place(cell, x + PAD_X, inner, top + PAD_Y + dy, size, align);
            x += col.width;
            self.rule(x, top, x, top + h);
        }
        self.y = top + h;
    }

    fn signature_height(&self, sig: &Signature, width: f32) -> f32 {
        let title = self
            .wrap(&[b(vi::upper(&sig.title))], BODY, width, 0.0)
            .len();
        let note = self.wrap(&[i(sig.note.clone())], BODY, width, 0.0).len();
        (title + note + 1) as f32 * line_height(BODY) + 62.0
    }

    /// A QR code at the right edge from the cursor down; the paragraphs that follow keep clear
    /// of it until `end_aside`.
    pub(crate) fn aside_qr(&mut self, code: &QrModules, url: &str) {
        self.ensure(QR_W);
        self.qr(
            code,
            url,
            self.g.left + self.g.width - QR_W,
            self.y,
            QR_W,
            false,
        );
        self.inset = QR_W + 4.0 * MM;
        self.aside_bottom = self.y + QR_W;
    }

    pub(crate) fn end_aside(&mut self) {
        if self.inset > 0.0 {
            self.y = self.y.max(self.aside_bottom);
            self.inset = 0.0;
        }
    }

    /// The signature band: the QR code (when given) on the left with its caption, and the
    /// signature blocks side by side; one block alone goes on the right half, as in the forms.
    pub(crate) fn signatures(&mut self, sigs: &[Signature], qr: Option<(&QrModules, &str)>) {
        let (first_x, band_w) = match (qr.is_some(), sigs.len()) {
            (_, 0) => (self.g.left, self.g.width),
            (false, 1) => (self.g.left + self.g.width / 2.0, self.g.width / 2.0),
            (true, 1) => (
                self.g.left + QR_W + 12.0 * MM,
                self.g.width - QR_W - 12.0 * MM,
            ),
            (false, _) => (self.g.left, self.g.width),
            (true, _) => (self.g.left + QR_W, self.g.width - QR_W),
        };
        let col_w = band_w / sigs.len().max(1) as f32;
        let sig_h = sigs
            .iter()
            .map(|s| self.signature_height(s, col_w))
            .fold(0.0, f32::max);
        let qr_h = if qr.is_some() {
            QR_W + 2.0 * line_height(9.0)
        } else {
            0.0
        };
        self.ensure(sig_h.max(qr_h) + 8.0);
        let top = self.y + 8.0;
        if let Some((code, url)) = qr {
            self.qr(code, url, self.g.left, top, QR_W, true);
        }
        let mut bottom = top + qr_h;
        for (n, sig) in sigs.iter().enumerate() {
            let x = first_x + n as f32 * col_w;
            let mut y = self.place(
                &[b(vi::upper(&sig.title))],
                x,
                col_w,
                top,
                BODY,
                Align::Center,
            );
            y = self.place(&[i(sig.note.clone())], x, col_w, y, BODY, Align::Center);
            y += 62.0;
            if let Some(name) = &sig.name {
                y = self.place(&[b(name.clone())], x, col_w, y, BODY, Align::Center);
            }
            bottom = bottom.max(y);
        }
        self.y = bottom + 6.0;
    }

    /// A QR code `side` wide (quiet zone included) with a link to `url` and, if asked, a
    /// caption below.
    fn qr(&mut self, code: &QrModules, url: &str, x: f32, top: f32, side: f32, caption: bool) {
        let modules = (code.width() + 2 * QUIET_ZONE) as f32;
        let m = side / modules;
        let origin_x = x + QUIET_ZONE as f32 * m;
        let origin_y = top + QUIET_ZONE as f32 * m;
        let rects = code
            .runs()
            .into_iter()
            .map(|(cx, cy, len)| {
                (
                    origin_x + cx as f32 * m,
                    origin_y + cy as f32 * m,
                    len as f32 * m,
                    m,
                )
            })
            .collect();
        self.push(Item::Fill { rects });
        self.push(Item::Link {
            x,
            y: top,
            w: side,
            h: side,
            url: url.to_owned(),
        });
        if !caption {
            return;
        }
        self.place(
            &[i("Quét mã để tra cứu")],
            x,
            side,
            top + side - 2.0 * m,
            9.0,
            Align::Center,
        );
    }
}
