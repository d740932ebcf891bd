//! The text of a PDF for document search (issue 5): the `TextExtractor` port of `cqdt-app`
//! over the bounded reader of `sign::pdf_read` (cross-reference chain, objects, Flate streams).
//!
//! What is read: every page's content streams and the Form XObjects they draw (nested at most
//! `max_depth`), text shown with `Tj`, `TJ`, `'` and `"`, marked-content `/ActualText`, fonts
//! with a `ToUnicode` CMap (`bfchar`, `bfrange`; what `cqdt-outputs` writes for its embedded
//! fonts, one- or two-byte codes) and simple fonts by their encoding (WinAnsi, with
//! `/Differences` glyph names) when they have none. Images are never decoded, so a scan yields
//! no text. A new text object, a move to another line or a wide `TJ` gap is a word break.
//!
//! Hostile input: the file, every decoded stream (a Flate bomb is cut at `max_stream`), all
//! decoded bytes together, pages, operators, CMap entries and the text are bounded; nesting is
//! bounded (objects by the reader, forms here, each form drawn once); malformed input ends the
//! stream it is in (the text so far is kept) or the file (an error), never a panic.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use cqdt_app::documents::TextExtractor;
use cqdt_domain::text::nfc;

use crate::sign::pdf_read::{Dict, Lexer, Obj, PdfDoc, is_regular, is_ws};

/// Bounds on the work done for one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextLimits {
    /// Larger files are not read.
    pub max_file: usize,
    /// Decoded size of one stream (content, form, CMap).
    pub max_stream: u64,
    /// Decoded size of all streams of the file together.
    pub max_decoded: u64,
    pub max_pages: usize,
    /// Content-stream operators interpreted, all pages together.
    pub max_ops: usize,
    /// Code-to-text entries of one CMap (a `bfrange` counts each code).
    pub max_cmap_entries: usize,
    /// Characters of text kept.
    pub max_chars: usize,
    /// Form XObjects nested.
    pub max_depth: usize,
}

impl Default for TextLimits {
    fn default() -> Self {
        TextLimits {
            max_file: 64 << 20,
            max_stream: 8 << 20,
            max_decoded: 32 << 20,
            max_pages: 2_000,
            max_ops: 2_000_000,
            max_cmap_entries: 100_000,
            max_chars: cqdt_app::documents::text::MAX_TEXT_CHARS,
            max_depth: 8,
        }
    }
}

/// Why a PDF's text could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextError {
    TooLarge,
    Encrypted,
    Unreadable(String),
}

impl std::fmt::Display for TextError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TextError::TooLarge => write!(f, "PDF too large to read its text"),
            TextError::Encrypted => write!(f, "encrypted PDF"),
            TextError::Unreadable(m) => write!(f, "{m}"),
        }
    }
}

/// The `TextExtractor` of the server: PDFs only, within `limits`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PdfText {
    pub limits: TextLimits,
}

impl TextExtractor for PdfText {
    fn extract(&self, file_type: &str, bytes: &[u8]) -> Option<String> {
        if file_type != "pdf" {
            return None;
        }
        match extract_text(bytes, &self.limits) {
            Ok(t) if !t.trim().is_empty() => Some(t),
            Ok(_) => None,
            Err(e) => {
                tracing::debug!(error = %e, "no text read from a PDF");
                None
            }
        }
    }
}

/// The text of a PDF, pages in order, NFC.
pub fn extract_text(bytes: &[u8], limits: &TextLimits) -> Result<String, TextError> {
    if bytes.len() > limits.max_file {
        return Err(TextError::TooLarge);
    }
    let doc = PdfDoc::load(bytes).map_err(|e| TextError::Unreadable(e.to_string()))?;
    if doc.trailer.get(b"Encrypt").is_some() {
        return Err(TextError::Encrypted);
    }
    let (_, _, catalog) = doc
        .catalog()
        .map_err(|e| TextError::Unreadable(e.to_string()))?;
    let mut x = Extractor {
        doc: &doc,
        lim: *limits,
        decoded: 0,
        ops: 0,
        out: String::new(),
        chars: 0,
        fonts: HashMap::new(),
        forms: HashSet::new(),
        done: false,
    };
    let Some(Obj::Ref(root, _)) = catalog.get(b"Pages") else {
        return Err(TextError::Unreadable("catalogue without /Pages".into()));
    };
    // Depth-first over the page tree, pages in order, resources inherited.
    let mut stack: Vec<(u32, Option<Rc<Dict>>)> = vec![(*root, None)];
    let mut seen = HashSet::new();
    let mut pages = 0usize;
    while let Some((n, inherited)) = stack.pop() {
        if x.done || pages >= limits.max_pages || seen.len() > 4 * limits.max_pages + 64 {
            break;
        }
        if !seen.insert(n) {
            continue;
        }
        let Ok(Obj::Dict(node)) = doc.get(n) else {
            continue;
        };
        let resources = match node.get(b"Resources").map(|r| x.dict(r)) {
            Some(Some(d)) => Some(Rc::new(d)),
            _ => inherited,
        };
        if node.name(b"Type") != Some(b"Page")
            && let Some(kids) = node.get(b"Kids")
        {
            if let Some(Obj::Array(kids)) = x.resolve(kids) {
                for k in kids.iter().rev() {
                    if let Obj::Ref(kn, _) = k {
                        stack.push((*kn, resources.clone()));
                    }
                }
            }
            continue;
        }
        pages += 1;
        let res = resources.unwrap_or_default();
        let content = x.page_content(&node);
        x.break_with('\n');
        x.run(&content, &res, 0);
        x.break_with('\n');
    }
    Ok(nfc(x.out.trim()))
}

/// A font: how its codes become text.
struct Font {
    /// Bytes per code (1 for simple fonts, 2 for Identity-H composite fonts …).
    code_len: usize,
    /// From the `ToUnicode` CMap.
    map: HashMap<u32, String>,
    /// Simple fonts without a mapping for a code: their encoding.
    simple: Option<Vec<Option<char>>>,
}

impl Font {
    fn fallback() -> Font {
        Font {
            code_len: 1,
            map: HashMap::new(),
            simple: Some(win_ansi()),
        }
    }

    fn decode(&self, s: &[u8], out: &mut String) {
        for code in s.chunks(self.code_len.max(1)) {
            let c = code.iter().fold(0u32, |a, b| (a << 8) | u32::from(*b));
            if let Some(t) = self.map.get(&c) {
                out.push_str(t);
            } else if let Some(enc) = &self.simple
                && let Some(Some(ch)) = enc.get(c as usize)
            {
                out.push(*ch);
            }
        }
    }
}

struct Extractor<'d, 'a> {
    doc: &'d PdfDoc<'a>,
    lim: TextLimits,
    decoded: u64,
    ops: usize,
    out: String,
    chars: usize,
    /// Fonts by object number.
    fonts: HashMap<u32, Rc<Font>>,
    /// Forms already drawn (each once: no loops, no blow-up).
    forms: HashSet<u32>,
    /// A limit was reached: stop.
    done: bool,
}

fn num(o: &Obj) -> Option<f64> {
    match o {
        Obj::Int(i) => Some(*i as f64),
        Obj::Real(r) => std::str::from_utf8(r).ok()?.parse().ok(),
        _ => None,
    }
}

impl Extractor<'_, '_> {
    fn resolve(&self, o: &Obj) -> Option<Obj> {
        self.doc.resolve(o).ok()
    }

    fn dict(&self, o: &Obj) -> Option<Dict> {
        match self.resolve(o)? {
            Obj::Dict(d) => Some(d),
            _ => None,
        }
    }

    /// A stream's data within what is left of the budget.
    fn stream(&mut self, n: u32) -> Option<(Dict, Vec<u8>)> {
        let left = self.lim.max_decoded.saturating_sub(self.decoded);
        if left == 0 {
            self.done = true;
            return None;
        }
        let (d, data) = self.doc.stream(n, self.lim.max_stream.min(left)).ok()?;
        self.decoded = self.decoded.saturating_add(data.len() as u64);
        Some((d, data))
    }

    fn page_content(&mut self, page: &Dict) -> Vec<u8> {
        let refs: Vec<u32> = match page.get(b"Contents") {
            Some(Obj::Ref(n, _)) => match self.doc.get(*n) {
                Ok(Obj::Array(a)) => a
                    .iter()
                    .filter_map(|o| match o {
                        Obj::Ref(n, _) => Some(*n),
                        _ => None,
                    })
                    .collect(),
                _ => vec![*n],
            },
            Some(Obj::Array(a)) => a
                .iter()
                .filter_map(|o| match o {
                    Obj::Ref(n, _) => Some(*n),
                    _ => None,
                })
                .collect(),
            _ => vec![],
        };
        let mut all = Vec::new();
        for n in refs.into_iter().take(10_000) {
            if let Some((_, data)) = self.stream(n) {
                all.extend_from_slice(&data);
                all.push(b'\n');
            }
        }
        all
    }

    fn push_text(&mut self, t: &str) {
        for c in t.chars() {
            if self.chars >= self.lim.max_chars {
                self.done = true;
                return;
            }
            let c = if c.is_control() || c == '\u{a0}' {
                ' '
            } else {
                c
            };
            self.out.push(c);
            self.chars += 1;
        }
    }

    /// A word break (`' '`) or line break (`'\n'`), unless the text already ends with one.
    fn break_with(&mut self, c: char) {
        match self.out.chars().last() {
            None => {}
            Some('\n') => {}
            Some(' ') if c == ' ' => {}
            Some(' ') => {
                self.out.pop();
                self.out.push(c);
            }
            Some(_) => {
                self.out.push(c);
                self.chars += 1;
            }
        }
    }

    fn font(&mut self, resources: &Dict, name: &[u8]) -> Rc<Font> {
        let entry = resources
            .get(b"Font")
            .and_then(|f| self.dict(f))
            .and_then(|fonts| fonts.get(name).cloned());
        let key = match &entry {
            Some(Obj::Ref(n, _)) => Some(*n),
            _ => None,
        };
        if let Some(k) = key
            && let Some(f) = self.fonts.get(&k)
        {
            return f.clone();
        }
        let font = Rc::new(
            entry
                .and_then(|e| self.dict(&e))
                .map(|fd| self.load_font(&fd))
                .unwrap_or_else(Font::fallback),
        );
        if let Some(k) = key
            && self.fonts.len() < 4096
        {
            self.fonts.insert(k, font.clone());
        }
        font
    }

    fn load_font(&mut self, fd: &Dict) -> Font {
        let composite = fd.name(b"Subtype") == Some(b"Type0");
        let mut font = Font {
            code_len: if composite { 2 } else { 1 },
            map: HashMap::new(),
            simple: None,
        };
        if let Some(Obj::Ref(n, _)) = fd.get(b"ToUnicode")
            && let Some((_, data)) = self.stream(*n)
        {
            let (map, code_len) = parse_cmap(&data, self.lim.max_cmap_entries);
            font.map = map;
            if let Some(l) = code_len {
                font.code_len = l;
            }
        }
        if !composite {
            let mut enc = win_ansi();
            if let Some(Obj::Dict(e)) = fd.get(b"Encoding").and_then(|e| self.resolve(e))
                && let Some(Obj::Array(diffs)) = e.get(b"Differences").and_then(|d| self.resolve(d))
            {
                let mut code: usize = 0;
                for d in diffs.iter().take(1024) {
                    match d {
                        Obj::Int(i) => code = usize::try_from(*i).unwrap_or(usize::MAX),
                        Obj::Name(n) => {
                            if let Some(slot) = enc.get_mut(code) {
                                *slot = glyph_char(n);
                            }
                            code = code.saturating_add(1);
                        }
                        _ => {}
                    }
                }
            }
            font.simple = Some(enc);
        }
        font
    }

    /// Interpret a content stream for its text.
    fn run(&mut self, data: &[u8], resources: &Dict, depth: usize) {
        let mut lx = Lexer::new(data, 0);
        let mut operands: Vec<Obj> = Vec::new();
        let mut font = Rc::new(Font::fallback());
        // Marked content: the ActualText of each open span (None: none); while one is open,
        // the glyphs inside are replaced by it.
        let mut marked: Vec<Option<String>> = Vec::new();
        let mut last_y: Option<f64> = None;
        while !self.done {
            lx.skip_ws();
            let Some(c) = lx.peek() else {
                break;
            };
            let operator = is_regular(c) && !matches!(c, b'0'..=b'9' | b'+' | b'-' | b'.');
            if !operator {
                match lx.object() {
                    Ok(o) if operands.len() < 64 => operands.push(o),
                    Ok(_) => {}
                    // Malformed: the rest of this stream is not read.
                    Err(_) => break,
                }
                continue;
            }
            let op = lx.regular_token();
            match op {
                b"true" | b"false" | b"null" => {
                    if operands.len() < 64 {
                        operands.push(Obj::Null);
                    }
                    continue;
                }
                _ => {}
            }
            self.ops += 1;
            if self.ops > self.lim.max_ops {
                self.done = true;
                break;
            }
            let hidden = marked.iter().any(Option::is_some);
            match op {
                b"BI" => {
                    // An inline image: skip its data up to ` EI`.
                    match skip_inline_image(data, lx.pos) {
                        Some(p) => lx.pos = p,
                        None => break,
                    }
                }
                b"BT" => self.break_with(' '),
                b"Tf" => {
                    if let Some(Obj::Name(n)) =
                        operands.len().checked_sub(2).and_then(|i| operands.get(i))
                    {
                        font = self.font(resources, n);
                    }
                }
                b"Td" | b"TD" => {
                    let ty = operands.last().and_then(num).unwrap_or(0.0);
                    self.break_with(if ty.abs() > 0.01 { '\n' } else { ' ' });
                }
                b"Tm" => {
                    let y = operands.get(5).and_then(num);
                    let moved = matches!((last_y, y), (Some(a), Some(b)) if (a - b).abs() > 0.01);
                    last_y = y;
                    self.break_with(if moved { '\n' } else { ' ' });
                }
                b"T*" => self.break_with('\n'),
                b"Tj" | b"'" | b"\"" => {
                    if op != b"Tj" {
                        self.break_with('\n');
                    }
                    if let (Some(Obj::Str(s)), false) = (operands.last(), hidden) {
                        let mut t = String::new();
                        font.decode(s, &mut t);
                        self.push_text(&t);
                    }
                }
                b"TJ" => {
                    if let (Some(Obj::Array(items)), false) = (operands.last(), hidden) {
                        let mut t = String::new();
                        for it in items {
                            match it {
                                Obj::Str(s) => font.decode(s, &mut t),
                                other => {
                                    if num(other).is_some_and(|v| v < -200.0) && !t.ends_with(' ') {
                                        t.push(' ');
                                    }
                                }
                            }
                        }
                        self.push_text(&t);
                    }
                }
                // Spans nested deeper than 64 are not tracked.
                b"BMC" if marked.len() < 64 => marked.push(None),
                b"BDC" if marked.len() < 64 => {
                    let actual = match operands.last() {
                        Some(Obj::Dict(d)) => match d.get(b"ActualText") {
                            Some(Obj::Str(s)) => Some(text_string(s)),
                            _ => None,
                        },
                        _ => None,
                    };
                    marked.push(actual);
                }
                b"EMC" => {
                    if let Some(Some(t)) = marked.pop()
                        && !marked.iter().any(Option::is_some)
                    {
                        self.push_text(&t);
                    }
                }
                b"Do" => {
                    if let Some(Obj::Name(n)) = operands.last() {
                        self.form(resources, n, depth);
                    }
                }
                _ => {}
            }
            operands.clear();
        }
    }

    /// Draw a Form XObject's text (images are not decoded).
    fn form(&mut self, resources: &Dict, name: &[u8], depth: usize) {
        if depth >= self.lim.max_depth {
            return;
        }
        let Some(Obj::Ref(n, _)) = resources
            .get(b"XObject")
            .and_then(|x| self.dict(x))
            .and_then(|x| x.get(name).cloned())
        else {
            return;
        };
        if !self.forms.insert(n) || self.forms.len() > 10_000 {
            return;
        }
        // The dictionary first: an image's data is never decoded.
        let Ok(Obj::Dict(d)) = self.doc.get(n) else {
            return;
        };
        if d.name(b"Subtype") != Some(b"Form") {
            return;
        }
        let Some((d, data)) = self.stream(n) else {
            return;
        };
        let own = d.get(b"Resources").and_then(|r| self.dict(r));
        self.break_with(' ');
        self.run(&data, own.as_ref().unwrap_or(resources), depth + 1);
        self.break_with(' ');
    }
}

/// Where the content goes on after an inline image whose `BI` ends at `from`: past the first
/// `EI` that stands alone after `ID`.
fn skip_inline_image(data: &[u8], from: usize) -> Option<usize> {
    let rest = data.get(from..)?;
    let id = rest
        .windows(3)
        .position(|w| is_ws(w[0]) && &w[1..] == b"ID")?;
    let start = from + id + 3;
    let body = data.get(start..)?;
    let ei = body
        .windows(4)
        .position(|w| is_ws(w[0]) && &w[1..3] == b"EI" && (is_ws(w[3]) || !is_regular(w[3])));
    match ei {
        Some(p) => Some(start + p + 3),
        None if body.ends_with(b"EI") => Some(data.len()),
        None => None,
    }
}

/// A PDF text string (ActualText): UTF-16BE with its byte-order mark, else PDFDocEncoding
/// (read as Latin-1, which it equals for letters).
fn text_string(s: &[u8]) -> String {
    if let Some(rest) = s.strip_prefix(&[0xfe, 0xff]) {
        utf16be(rest)
    } else {
        s.iter().map(|b| char::from(*b)).collect()
    }
}

fn utf16be(b: &[u8]) -> String {
    let units = b
        .chunks(2)
        .map(|c| (u16::from(c[0]) << 8) | u16::from(c.get(1).copied().unwrap_or(0)));
    char::decode_utf16(units)
        .map(|r| r.unwrap_or('\u{fffd}'))
        .collect()
}

fn code_of(s: &[u8]) -> Option<u32> {
    (!s.is_empty() && s.len() <= 4).then(|| s.iter().fold(0u32, |a, b| (a << 8) | u32::from(*b)))
}

/// A `ToUnicode` CMap: code → text, and the code length of its first codespace range.
fn parse_cmap(data: &[u8], max_entries: usize) -> (HashMap<u32, String>, Option<usize>) {
    #[derive(PartialEq)]
    enum Mode {
        None,
        Space,
        Char,
        Range,
    }
    let mut map = HashMap::new();
    let mut code_len = None;
    let mut mode = Mode::None;
    let mut ops: Vec<Obj> = Vec::new();
    let mut lx = Lexer::new(data, 0);
    loop {
        lx.skip_ws();
        let Some(c) = lx.peek() else {
            break;
        };
        if is_regular(c) && !matches!(c, b'0'..=b'9' | b'+' | b'-' | b'.') {
            mode = match lx.regular_token() {
                b"begincodespacerange" => Mode::Space,
                b"beginbfchar" => Mode::Char,
                b"beginbfrange" => Mode::Range,
                b"endcodespacerange" | b"endbfchar" | b"endbfrange" => Mode::None,
                _ => mode,
            };
            ops.clear();
            continue;
        }
        let Ok(o) = lx.object() else {
            break;
        };
        if mode == Mode::None {
            continue;
        }
        ops.push(o);
        match mode {
            Mode::Space if ops.len() == 2 => {
                if code_len.is_none()
                    && let Some(Obj::Str(lo)) = ops.first()
                    && (1..=4).contains(&lo.len())
                {
                    code_len = Some(lo.len());
                }
                ops.clear();
            }
            Mode::Char if ops.len() == 2 => {
                if let (Some(Obj::Str(src)), Some(dst)) = (ops.first(), ops.get(1))
                    && let Some(code) = code_of(src)
                    && map.len() < max_entries
                {
                    match dst {
                        Obj::Str(d) => {
                            map.insert(code, utf16be(d));
                        }
                        Obj::Name(n) => {
                            if let Some(ch) = glyph_char(n) {
                                map.insert(code, ch.to_string());
                            }
                        }
                        _ => {}
                    }
                }
                ops.clear();
            }
            Mode::Range if ops.len() == 3 => {
                if let (Some(Obj::Str(lo)), Some(Obj::Str(hi))) = (ops.first(), ops.get(1))
                    && let (Some(lo), Some(hi)) = (code_of(lo), code_of(hi))
                    && hi >= lo
                    && hi - lo <= 0xffff
                {
                    match ops.get(2) {
                        Some(Obj::Str(d)) => {
                            let mut units: Vec<u16> = d
                                .chunks(2)
                                .map(|c| {
                                    (u16::from(c[0]) << 8)
                                        | u16::from(c.get(1).copied().unwrap_or(0))
                                })
                                .collect();
                            if let Some(last) = units.last().copied() {
                                for (k, code) in (lo..=hi).enumerate() {
                                    if map.len() >= max_entries {
                                        break;
                                    }
                                    let Ok(k) = u16::try_from(k) else { break };
                                    if let Some(u) = units.last_mut() {
                                        *u = last.wrapping_add(k);
                                    }
                                    let t: String = char::decode_utf16(units.iter().copied())
                                        .map(|r| r.unwrap_or('\u{fffd}'))
                                        .collect();
                                    map.insert(code, t);
                                }
                            }
                        }
                        Some(Obj::Array(ds)) => {
                            for (code, d) in (lo..=hi).zip(ds) {
                                if map.len() >= max_entries {
                                    break;
                                }
                                if let Obj::Str(d) = d {
                                    map.insert(code, utf16be(d));
                                }
                            }
                        }
                        _ => {}
                    }
                }
                ops.clear();
            }
            _ => {
                if ops.len() > 3 {
                    ops.clear();
                }
            }
        }
    }
    (map, code_len)
}

/// WinAnsiEncoding (ISO 32000-1 Annex D), the fallback of simple fonts.
fn win_ansi() -> Vec<Option<char>> {
    const HIGH: [(u8, char); 27] = [
        (0x80, '€'),
        (0x82, '‚'),
        (0x83, 'ƒ'),
        (0x84, '„'),
        (0x85, '…'),
        (0x86, '†'),
        (0x87, '‡'),
        (0x88, 'ˆ'),
        (0x89, '‰'),
        (0x8a, 'Š'),
        (0x8b, '‹'),
        (0x8c, 'Œ'),
        (0x8e, 'Ž'),
        (0x91, '‘'),
        (0x92, '’'),
        (0x93, '“'),
        (0x94, '”'),
        (0x95, '•'),
        (0x96, '–'),
        (0x97, '—'),
        (0x98, '˜'),
        (0x99, '™'),
        (0x9a, 'š'),
        (0x9b, '›'),
        (0x9c, 'œ'),
        (0x9e, 'ž'),
        (0x9f, 'Ÿ'),
    ];
    let mut t: Vec<Option<char>> = (0u8..=255)
        .map(|b| match b {
            0x20..=0x7e | 0xa0..=0xff => Some(char::from(b)),
            _ => None,
        })
        .collect();
    for (b, c) in HIGH {
        if let Some(slot) = t.get_mut(usize::from(b)) {
            *slot = Some(c);
        }
    }
    t
}

/// The character of a glyph name: `uniXXXX`, `uXXXX[XX]`, one-letter names, digits and the
/// common punctuation (the Adobe Glyph List's most used names).
fn glyph_char(name: &[u8]) -> Option<char> {
    let s = std::str::from_utf8(name).ok()?;
    let hex = |h: &str| u32::from_str_radix(h, 16).ok().and_then(char::from_u32);
    if let Some(h) = s.strip_prefix("uni")
        && h.len() >= 4
    {
        return h.get(..4).and_then(hex);
    }
    if let Some(h) = s.strip_prefix('u')
        && (4..=6).contains(&h.len())
        && h.chars().all(|c| c.is_ascii_hexdigit())
    {
        return hex(h);
    }
    let mut cs = s.chars();
    if let (Some(c), None) = (cs.next(), cs.next())
        && c.is_ascii_alphabetic()
    {
        return Some(c);
    }
    const NAMES: [(&str, char); 30] = [
        ("space", ' '),
        ("zero", '0'),
        ("one", '1'),
        ("two", '2'),
        ("three", '3'),
        ("four", '4'),
        ("five", '5'),
        ("six", '6'),
        ("seven", '7'),
        ("eight", '8'),
        ("nine", '9'),
        ("period", '.'),
        ("comma", ','),
        ("colon", ':'),
        ("semicolon", ';'),
        ("hyphen", '-'),
        ("slash", '/'),
        ("parenleft", '('),
        ("parenright", ')'),
        ("quotesingle", '\''),
        ("quotedbl", '"'),
        ("quoteright", '’'),
        ("quoteleft", '‘'),
        ("endash", '–'),
        ("emdash", '—'),
        ("percent", '%'),
        ("ampersand", '&'),
        ("question", '?'),
        ("exclam", '!'),
        ("numbersign", '#'),
    ];
    NAMES.iter().find(|(n, _)| *n == s).map(|(_, c)| *c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmap_bfchar_and_bfrange() {
        let cmap = b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n\
            1 begincodespacerange <0000> <FFFF> endcodespacerange\n\
            2 beginbfchar <0003> <0020> <0010> <1EA1> endbfchar\n\
            2 beginbfrange <0020> <0022> <0061> <0030> <0031> [<00F2> <0110>] endbfrange\n\
            endcmap";
        let (map, len) = parse_cmap(cmap, 1000);
        assert_eq!(len, Some(2));
        assert_eq!(map.get(&0x10).map(String::as_str), Some("ạ"));
        assert_eq!(map.get(&0x22).map(String::as_str), Some("c"));
        assert_eq!(map.get(&0x31).map(String::as_str), Some("Đ"));
        assert_eq!(map.get(&0x03).map(String::as_str), Some(" "));
        assert_eq!(parse_cmap(cmap, 2).0.len(), 2, "entries are bounded");
    }

    #[test]
    fn glyph_names() {
        assert_eq!(glyph_char(b"uni1EA1"), Some('ạ'));
        assert_eq!(glyph_char(b"u1EA1"), Some('ạ'));
        assert_eq!(glyph_char(b"a"), Some('a'));
        assert_eq!(glyph_char(b"seven"), Some('7'));
        assert_eq!(glyph_char(b"nonsense"), None);
    }

    #[test]
    fn inline_images_are_skipped() {
        let data = b"BI /W 2 /H 2 /BPC 8 /CS /G ID \x00EI\xffxx EI Q";
        let p = skip_inline_image(data, 2).unwrap();
        assert_eq!(&data[p..], b" Q");
    }
}
