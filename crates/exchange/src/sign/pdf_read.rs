//! A small, defensive PDF reader: just enough of ISO 32000 to add an incremental update and to
//! find signature dictionaries. It reads the cross-reference chain (classic tables, xref
//! streams and hybrid files), objects at file offsets and in object streams, Flate streams with
//! PNG predictors, and writes objects back. Every size, depth and count is bounded; malformed
//! input is an error, never a panic.

use super::SignError;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::rc::Rc;

/// Nesting depth of arrays and dictionaries.
const MAX_DEPTH: usize = 64;
/// Cross-reference sections followed through /Prev and /XRefStm.
const MAX_SECTIONS: usize = 512;
/// Decoded size of one stream (xref or object stream).
const MAX_DECODED: u64 = 64 * 1024 * 1024;
/// Objects in one object stream.
const MAX_OBJSTM_OBJECTS: usize = 100_000;
/// References followed one after another (a reference to a reference ...).
const MAX_REF_CHAIN: usize = 16;

fn err(msg: impl Into<String>) -> SignError {
    SignError::Invalid(format!("PDF: {}", msg.into()))
}

type R<T> = Result<T, SignError>;

/// A PDF object. Reals keep their source text so that objects are written back unchanged.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Obj {
    Null,
    Bool(bool),
    Int(i64),
    Real(Vec<u8>),
    Name(Vec<u8>),
    Str(Vec<u8>),
    Array(Vec<Obj>),
    Dict(Dict),
    Ref(u32, u16),
}

/// A dictionary, in source order.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Dict(pub Vec<(Vec<u8>, Obj)>);

impl Dict {
    pub fn get(&self, key: &[u8]) -> Option<&Obj> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn set(&mut self, key: &[u8], value: Obj) {
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) => *v = value,
            None => self.0.push((key.to_vec(), value)),
        }
    }

    pub fn name(&self, key: &[u8]) -> Option<&[u8]> {
        match self.get(key) {
            Some(Obj::Name(n)) => Some(n),
            _ => None,
        }
    }

    pub fn int(&self, key: &[u8]) -> Option<i64> {
        match self.get(key) {
            Some(Obj::Int(i)) => Some(*i),
            _ => None,
        }
    }
}

pub(crate) fn is_ws(c: u8) -> bool {
    matches!(c, 0 | 9 | 10 | 12 | 13 | 32)
}

fn is_delim(c: u8) -> bool {
    matches!(
        c,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

pub(crate) fn is_regular(c: u8) -> bool {
    !is_ws(c) && !is_delim(c)
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// A cursor over the file's bytes.
pub(crate) struct Lexer<'a> {
    pub data: &'a [u8],
    pub pos: usize,
}

impl<'a> Lexer<'a> {
    pub fn new(data: &'a [u8], pos: usize) -> Self {
        Lexer { data, pos }
    }

    pub fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    pub fn rest(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or(&[])
    }

    pub fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if is_ws(c) {
                self.pos += 1;
            } else if c == b'%' {
                while let Some(c) = self.peek() {
                    if c == b'\n' || c == b'\r' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    /// A keyword (`obj`, `stream`, `xref`, `trailer`, `R` …) after optional whitespace.
    pub fn keyword(&mut self, kw: &[u8]) -> bool {
        self.skip_ws();
        let rest = self.rest();
        if rest.starts_with(kw) && rest.get(kw.len()).is_none_or(|c| !is_regular(*c)) {
            self.pos += kw.len();
            true
        } else {
            false
        }
    }

    pub fn regular_token(&mut self) -> &'a [u8] {
        let start = self.pos;
        while self.peek().is_some_and(is_regular) {
            self.pos += 1;
        }
        self.data.get(start..self.pos).unwrap_or(&[])
    }

    /// An unsigned integer token.
    pub fn uint(&mut self) -> Option<u64> {
        self.skip_ws();
        let start = self.pos;
        let tok = self.regular_token();
        let parsed = if !tok.is_empty() && tok.iter().all(u8::is_ascii_digit) {
            std::str::from_utf8(tok).ok().and_then(|s| s.parse().ok())
        } else {
            None
        };
        if parsed.is_none() {
            self.pos = start;
        }
        parsed
    }

    pub fn object(&mut self) -> R<Obj> {
        self.object_at_depth(0)
    }

    fn object_at_depth(&mut self, depth: usize) -> R<Obj> {
        if depth > MAX_DEPTH {
            return Err(err("objects nested too deeply"));
        }
        self.skip_ws();
        let Some(c) = self.peek() else {
            return Err(err("unexpected end of file"));
        };
        match c {
            b'/' => {
                self.pos += 1;
                Ok(Obj::Name(self.name_body()))
            }
            b'(' => self.literal_string(),
            b'<' if self.rest().starts_with(b"<<") => {
                self.pos += 2;
                Ok(Obj::Dict(self.dict_body(depth, None)?))
            }
            b'<' => self.hex_string(),
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_ws();
                    match self.peek() {
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(Obj::Array(items));
                        }
                        Some(_) => items.push(self.object_at_depth(depth + 1)?),
                        None => return Err(err("unterminated array")),
                    }
                }
            }
            b'+' | b'-' | b'.' | b'0'..=b'9' => self.number_or_ref(),
            _ => {
                let tok = self.regular_token();
                match tok {
                    b"true" => Ok(Obj::Bool(true)),
                    b"false" => Ok(Obj::Bool(false)),
                    b"null" => Ok(Obj::Null),
                    _ => Err(err(format!(
                        "unexpected token at offset {}",
                        self.pos.saturating_sub(tok.len())
                    ))),
                }
            }
        }
    }

    fn name_body(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some(c) = self.peek() {
            if !is_regular(c) {
                break;
            }
            self.pos += 1;
            if c == b'#' {
                let h = self.data.get(self.pos).copied().and_then(hex_val);
                let l = self.data.get(self.pos + 1).copied().and_then(hex_val);
                if let (Some(h), Some(l)) = (h, l) {
                    out.push(h * 16 + l);
                    self.pos += 2;
                    continue;
                }
            }
            out.push(c);
        }
        out
    }

    /// The entries of a dictionary after `<<`. With `spans`, records where each value starts
    /// and ends in the file.
    fn dict_body(
        &mut self,
        depth: usize,
        mut spans: Option<&mut Vec<(Vec<u8>, usize, usize)>>,
    ) -> R<Dict> {
        let mut dict = Dict::default();
        loop {
            self.skip_ws();
            if self.rest().starts_with(b">>") {
                self.pos += 2;
                return Ok(dict);
            }
            match self.peek() {
                Some(b'/') => self.pos += 1,
                Some(_) => return Err(err(format!("dictionary key expected at {}", self.pos))),
                None => return Err(err("unterminated dictionary")),
            }
            let key = self.name_body();
            self.skip_ws();
            let start = self.pos;
            let value = self.object_at_depth(depth + 1)?;
            if let Some(s) = spans.as_deref_mut() {
                s.push((key.clone(), start, self.pos));
            }
            // Later duplicates are ignored, as most readers do.
            if dict.get(&key).is_none() {
                dict.0.push((key, value));
            }
        }
    }

    fn literal_string(&mut self) -> R<Obj> {
        self.pos += 1;
        let mut out = Vec::new();
        let mut level = 1usize;
        loop {
            let Some(c) = self.peek() else {
                return Err(err("unterminated string"));
            };
            self.pos += 1;
            match c {
                b'(' => {
                    level += 1;
                    out.push(c);
                }
                b')' => {
                    level -= 1;
                    if level == 0 {
                        return Ok(Obj::Str(out));
                    }
                    out.push(c);
                }
                b'\\' => {
                    let Some(e) = self.peek() else {
                        return Err(err("unterminated string"));
                    };
                    self.pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'\r' => {
                            if self.peek() == Some(b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push((v & 0xff) as u8);
                        }
                        other => out.push(other),
                    }
                }
                _ => out.push(c),
            }
        }
    }

    fn hex_string(&mut self) -> R<Obj> {
        self.pos += 1;
        let mut out = Vec::new();
        let mut high: Option<u8> = None;
        loop {
            let Some(c) = self.peek() else {
                return Err(err("unterminated hex string"));
            };
            self.pos += 1;
            if c == b'>' {
                if let Some(h) = high {
                    out.push(h << 4);
                }
                return Ok(Obj::Str(out));
            }
            if is_ws(c) {
                continue;
            }
            let v = hex_val(c).ok_or_else(|| err("bad hex string"))?;
            match high.take() {
                Some(h) => out.push((h << 4) | v),
                None => high = Some(v),
            }
        }
    }

    fn number_or_ref(&mut self) -> R<Obj> {
        let start = self.pos;
        let tok = self.regular_token();
        let is_int = !tok.is_empty()
            && tok
                .iter()
                .enumerate()
                .all(|(i, c)| c.is_ascii_digit() || (i == 0 && (*c == b'+' || *c == b'-')))
            && tok.iter().any(u8::is_ascii_digit);
        if !is_int {
            let ok = tok.iter().enumerate().all(|(i, c)| {
                c.is_ascii_digit() || *c == b'.' || (i == 0 && (*c == b'+' || *c == b'-'))
            });
            if !ok {
                return Err(err(format!("bad number at offset {start}")));
            }
            return Ok(Obj::Real(tok.to_vec()));
        }
        let value: i64 = std::str::from_utf8(tok)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| err(format!("integer out of range at offset {start}")))?;
        // `n g R`?
        if value >= 0 && tok.iter().all(u8::is_ascii_digit) {
            let save = self.pos;
            if let Some(generation) = self.uint()
                && self.keyword(b"R")
            {
                if let (Ok(n), Ok(g)) = (u32::try_from(value), u16::try_from(generation)) {
                    return Ok(Obj::Ref(n, g));
                }
                return Err(err(format!("bad reference at offset {start}")));
            }
            self.pos = save;
        }
        Ok(Obj::Int(value))
    }
}

/// A decoded stream: its dictionary and data.
type DecodedStream = Rc<(Dict, Vec<u8>)>;

/// Where an object lives, from the cross-reference chain.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Entry {
    Offset(usize, u16),
    InStream(u32, usize),
    Free,
}

/// An indirect object as read from its offset: the object, and for a stream the dictionary's
/// data start.
pub(crate) struct Indirect {
    pub obj: Obj,
    pub stream_start: Option<usize>,
}

/// A parsed PDF: the newest cross-reference entry of every object and the newest trailer.
pub(crate) struct PdfDoc<'a> {
    pub data: &'a [u8],
    entries: HashMap<u32, Entry>,
    /// The newest trailer (for an xref stream, its dictionary).
    pub trailer: Dict,
    /// Offset of the newest cross-reference section (`startxref`).
    pub startxref: usize,
    /// The newest section is an xref stream (the update then writes one too).
    pub xref_stream: bool,
    /// Decoded object streams (dictionary, data), decoded once, bounded in total.
    object_streams: RefCell<HashMap<u32, DecodedStream>>,
}

fn as_usize(v: i64) -> Option<usize> {
    usize::try_from(v).ok()
}

impl<'a> PdfDoc<'a> {
    pub fn load(data: &'a [u8]) -> R<Self> {
        if !data.starts_with(b"%PDF-") && !data.windows(5).take(1024).any(|w| w == b"%PDF-") {
            return Err(err("not a PDF (no %PDF- header)"));
        }
        let tail_start = data.len().saturating_sub(2048);
        let tail = data.get(tail_start..).unwrap_or(&[]);
        let pos = tail
            .windows(9)
            .rposition(|w| w == b"startxref")
            .ok_or_else(|| err("no startxref"))?;
        let mut lx = Lexer::new(data, tail_start + pos + 9);
        let startxref = lx
            .uint()
            .and_then(|v| usize::try_from(v).ok())
            .ok_or_else(|| err("bad startxref"))?;
        let mut doc = PdfDoc {
            data,
            entries: HashMap::new(),
            trailer: Dict::default(),
            startxref,
            xref_stream: false,
            object_streams: RefCell::new(HashMap::new()),
        };
        let mut visited = HashSet::new();
        let mut queue = vec![startxref];
        let mut first = true;
        while let Some(off) = queue.pop() {
            if !visited.insert(off) {
                continue;
            }
            if visited.len() > MAX_SECTIONS {
                return Err(err("too many cross-reference sections"));
            }
            let (trailer, is_stream) = doc.read_section(off)?;
            if first {
                doc.trailer = trailer.clone();
                doc.xref_stream = is_stream;
                first = false;
            }
            // /Prev is read after /XRefStm (hybrid files): push it first.
            if let Some(prev) = trailer.int(b"Prev") {
                queue.push(as_usize(prev).ok_or_else(|| err("bad /Prev"))?);
            }
            if let Some(xs) = trailer.int(b"XRefStm") {
                queue.push(as_usize(xs).ok_or_else(|| err("bad /XRefStm"))?);
            }
        }
        Ok(doc)
    }

    fn insert(&mut self, num: u32, entry: Entry) {
        self.entries.entry(num).or_insert(entry);
    }

    /// One cross-reference section: its entries go into the map (newer ones win) and its
    /// trailer is returned.
    fn read_section(&mut self, off: usize) -> R<(Dict, bool)> {
        let mut lx = Lexer::new(self.data, off);
        if lx.keyword(b"xref") {
            loop {
                lx.skip_ws();
                if lx.keyword(b"trailer") {
                    break;
                }
                let (Some(first), Some(count)) = (lx.uint(), lx.uint()) else {
                    return Err(err("bad xref subsection"));
                };
                if count > (self.data.len() / 18) as u64 {
                    return Err(err("xref subsection larger than the file"));
                }
                for i in 0..count {
                    let (Some(o), Some(g)) = (lx.uint(), lx.uint()) else {
                        return Err(err("bad xref entry"));
                    };
                    let num = first
                        .checked_add(i)
                        .and_then(|v| u32::try_from(v).ok())
                        .ok_or_else(|| err("bad object number"))?;
                    let entry = if lx.keyword(b"n") {
                        Entry::Offset(
                            usize::try_from(o).map_err(|_| err("bad offset"))?,
                            u16::try_from(g).map_err(|_| err("bad generation"))?,
                        )
                    } else if lx.keyword(b"f") {
                        Entry::Free
                    } else {
                        return Err(err("bad xref entry type"));
                    };
                    self.insert(num, entry);
                }
            }
            match lx.object()? {
                Obj::Dict(d) => Ok((d, false)),
                _ => Err(err("trailer is not a dictionary")),
            }
        } else {
            let ind = self.indirect_at(off, None)?;
            let Obj::Dict(dict) = &ind.obj else {
                return Err(err("cross-reference stream expected"));
            };
            if dict.name(b"Type") != Some(b"XRef") {
                return Err(err("cross-reference section not found at startxref"));
            }
            let data = self.stream_data(dict, ind.stream_start, 0)?;
            let w: Vec<usize> = match dict.get(b"W") {
                Some(Obj::Array(a)) if a.len() == 3 => a
                    .iter()
                    .map(|o| match o {
                        Obj::Int(i) => as_usize(*i).filter(|v| *v <= 8),
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| err("bad /W"))?,
                _ => return Err(err("bad /W")),
            };
            let row = w.iter().sum::<usize>();
            if row == 0 {
                return Err(err("bad /W"));
            }
            let size = dict
                .int(b"Size")
                .ok_or_else(|| err("xref stream without /Size"))?;
            let index: Vec<i64> = match dict.get(b"Index") {
                Some(Obj::Array(a)) => a
                    .iter()
                    .map(|o| match o {
                        Obj::Int(i) => Some(*i),
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| err("bad /Index"))?,
                _ => vec![0, size],
            };
            let mut rows = data.chunks_exact(row);
            for pair in index.chunks(2) {
                let [first, count] = pair else {
                    return Err(err("bad /Index"));
                };
                let (Some(first), Some(count)) = (as_usize(*first), as_usize(*count)) else {
                    return Err(err("bad /Index"));
                };
                for i in 0..count {
                    let Some(r) = rows.next() else {
                        return Err(err("xref stream shorter than its /Index"));
                    };
                    let field = |k: usize, default: u64| -> u64 {
                        let start: usize = w.iter().take(k).sum();
                        let bytes = r.get(start..start + w[k]).unwrap_or(&[]);
                        if bytes.is_empty() {
                            default
                        } else {
                            bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
                        }
                    };
                    let num = first
                        .checked_add(i)
                        .and_then(|v| u32::try_from(v).ok())
                        .ok_or_else(|| err("bad object number"))?;
                    let entry = match field(0, 1) {
                        0 => Entry::Free,
                        1 => Entry::Offset(
                            usize::try_from(field(1, 0)).map_err(|_| err("bad offset"))?,
                            u16::try_from(field(2, 0)).map_err(|_| err("bad generation"))?,
                        ),
                        2 => Entry::InStream(
                            u32::try_from(field(1, 0)).map_err(|_| err("bad object stream"))?,
                            usize::try_from(field(2, 0)).map_err(|_| err("bad index"))?,
                        ),
                        _ => continue, // unknown types are ignored (ISO 32000-1 7.5.8.3)
                    };
                    self.insert(num, entry);
                }
            }
            Ok((dict.clone(), true))
        }
    }

    /// `n g obj <object> [stream]` at `off`; checks the object number when `expect` is given.
    pub fn indirect_at(&self, off: usize, expect: Option<u32>) -> R<Indirect> {
        if off >= self.data.len() {
            return Err(err(format!(
                "object offset {off} beyond the end of the file"
            )));
        }
        let mut lx = Lexer::new(self.data, off);
        let (Some(n), Some(_g)) = (lx.uint(), lx.uint()) else {
            return Err(err(format!("no object at offset {off}")));
        };
        if !lx.keyword(b"obj") {
            return Err(err(format!("no object at offset {off}")));
        }
        if let Some(e) = expect
            && u64::from(e) != n
        {
            return Err(err(format!(
                "object {e} expected at offset {off}, found {n}"
            )));
        }
        let obj = lx.object()?;
        let mut stream_start = None;
        if matches!(obj, Obj::Dict(_)) && lx.keyword(b"stream") {
            // EOL after `stream` is CRLF or LF (a lone CR is tolerated).
            if lx.data.get(lx.pos) == Some(&b'\r') {
                lx.pos += 1;
            }
            if lx.data.get(lx.pos) == Some(&b'\n') {
                lx.pos += 1;
            }
            stream_start = Some(lx.pos);
        }
        Ok(Indirect { obj, stream_start })
    }

    /// Where object `num` is stored in the file (None when in an object stream or absent).
    pub fn offset_of(&self, num: u32) -> Option<usize> {
        match self.entries.get(&num) {
            Some(Entry::Offset(o, _)) => Some(*o),
            _ => None,
        }
    }

    /// One more than the highest object number in the cross-reference chain.
    pub fn next_free_number(&self) -> u32 {
        self.entries.keys().max().map_or(1, |m| m.saturating_add(1))
    }

    /// The generation number of object `num` (0 for objects in object streams).
    pub fn generation_of(&self, num: u32) -> u16 {
        match self.entries.get(&num) {
            Some(Entry::Offset(_, g)) => *g,
            _ => 0,
        }
    }

    /// The object `num` (streams: their dictionary). Missing and free objects are null.
    pub fn get(&self, num: u32) -> R<Obj> {
        self.get_depth(num, 0)
    }

    fn get_depth(&self, num: u32, depth: usize) -> R<Obj> {
        if depth > MAX_REF_CHAIN {
            return Err(err("reference chain too long"));
        }
        match self.entries.get(&num).copied() {
            None | Some(Entry::Free) => Ok(Obj::Null),
            Some(Entry::Offset(off, _)) => Ok(self.indirect_at(off, Some(num))?.obj),
            Some(Entry::InStream(stm, idx)) => self.in_object_stream(stm, idx, num, depth),
        }
    }

    fn in_object_stream(&self, stm: u32, idx: usize, num: u32, depth: usize) -> R<Obj> {
        let cached = self.object_streams.borrow().get(&stm).cloned();
        let stream = match cached {
            Some(s) => s,
            None => {
                let Some(Entry::Offset(off, _)) = self.entries.get(&stm).copied() else {
                    return Err(err(format!("object stream {stm} not found")));
                };
                let ind = self.indirect_at(off, Some(stm))?;
                let Obj::Dict(dict) = ind.obj else {
                    return Err(err("object stream is not a stream"));
                };
                let data = self.stream_data(&dict, ind.stream_start, depth + 1)?;
                let mut cache = self.object_streams.borrow_mut();
                let total: usize = cache.values().map(|s| s.1.len()).sum();
                if total.saturating_add(data.len()) as u64 > MAX_DECODED {
                    return Err(err("object streams too large"));
                }
                let s = Rc::new((dict, data));
                cache.insert(stm, s.clone());
                s
            }
        };
        let (dict, data) = (&stream.0, &stream.1);
        let n = dict
            .int(b"N")
            .and_then(as_usize)
            .filter(|n| *n <= MAX_OBJSTM_OBJECTS)
            .ok_or_else(|| err("bad object stream /N"))?;
        let first = dict
            .int(b"First")
            .and_then(as_usize)
            .ok_or_else(|| err("bad object stream /First"))?;
        if idx >= n {
            return Err(err("object stream index out of range"));
        }
        let mut lx = Lexer::new(data, 0);
        let mut found = None;
        for i in 0..n {
            let (Some(onum), Some(rel)) = (lx.uint(), lx.uint()) else {
                return Err(err("bad object stream header"));
            };
            if i == idx {
                found = Some((onum, rel));
                break;
            }
        }
        let Some((onum, rel)) = found else {
            return Err(err("object not in its object stream"));
        };
        if onum != u64::from(num) {
            return Err(err("object stream holds another object"));
        }
        let start = usize::try_from(rel)
            .ok()
            .and_then(|r| r.checked_add(first))
            .filter(|s| *s < data.len())
            .ok_or_else(|| err("bad object stream offset"))?;
        let mut lx = Lexer::new(data, start);
        lx.object()
    }

    /// Follow a reference (a direct object is returned as is).
    pub fn resolve(&self, obj: &Obj) -> R<Obj> {
        match obj {
            Obj::Ref(n, _) => self.get(*n),
            other => Ok(other.clone()),
        }
    }

    /// A stream's decoded data.
    fn stream_data(&self, dict: &Dict, start: Option<usize>, depth: usize) -> R<Vec<u8>> {
        self.stream_data_max(dict, start, depth, MAX_DECODED)
    }

    /// The stream object `num`: its dictionary and data decoded to at most `max` bytes (more
    /// is an error: a decompression bomb is cut there).
    pub fn stream(&self, num: u32, max: u64) -> R<(Dict, Vec<u8>)> {
        let off = self
            .offset_of(num)
            .ok_or_else(|| err(format!("stream {num} not found")))?;
        let ind = self.indirect_at(off, Some(num))?;
        let Obj::Dict(dict) = ind.obj else {
            return Err(err("not a stream"));
        };
        let data = self.stream_data_max(&dict, ind.stream_start, 0, max.min(MAX_DECODED))?;
        if data.len() as u64 > max {
            return Err(err("stream too large"));
        }
        Ok((dict, data))
    }

    fn stream_data_max(
        &self,
        dict: &Dict,
        start: Option<usize>,
        depth: usize,
        max: u64,
    ) -> R<Vec<u8>> {
        let start = start.ok_or_else(|| err("stream expected"))?;
        let len = match dict.get(b"Length") {
            Some(Obj::Int(i)) => *i,
            Some(Obj::Ref(n, _)) => match self.get_depth(*n, depth + 1)? {
                Obj::Int(i) => i,
                _ => return Err(err("bad stream /Length")),
            },
            _ => return Err(err("stream without /Length")),
        };
        let end = as_usize(len)
            .and_then(|l| start.checked_add(l))
            .filter(|e| *e <= self.data.len())
            .ok_or_else(|| err("stream runs past the end of the file"))?;
        let raw = self.data.get(start..end).unwrap_or(&[]);
        let filters: Vec<Vec<u8>> = match dict.get(b"Filter") {
            None => Vec::new(),
            Some(Obj::Name(n)) => vec![n.clone()],
            Some(Obj::Array(a)) => a
                .iter()
                .map(|o| match o {
                    Obj::Name(n) => Ok(n.clone()),
                    _ => Err(err("bad /Filter")),
                })
                .collect::<R<Vec<_>>>()?,
            _ => return Err(err("bad /Filter")),
        };
        let parms = match dict.get(b"DecodeParms") {
            Some(Obj::Dict(d)) => Some(d.clone()),
            Some(Obj::Array(a)) => match a.first() {
                Some(Obj::Dict(d)) => Some(d.clone()),
                _ => None,
            },
            _ => None,
        };
        match filters.as_slice() {
            [] => Ok(raw.to_vec()),
            [f] if f == b"FlateDecode" || f == b"Fl" => {
                let mut out = Vec::new();
                flate2::read::ZlibDecoder::new(raw)
                    .take(max + 1)
                    .read_to_end(&mut out)
                    .map_err(|e| err(format!("Flate: {e}")))?;
                if out.len() as u64 > max {
                    return Err(err("stream too large"));
                }
                match parms {
                    Some(p) if p.int(b"Predictor").unwrap_or(1) >= 10 => {
                        let columns = p.int(b"Columns").unwrap_or(1);
                        let colors = p.int(b"Colors").unwrap_or(1);
                        let bpc = p.int(b"BitsPerComponent").unwrap_or(8);
                        png_unpredict(&out, columns, colors, bpc)
                    }
                    Some(p) if p.int(b"Predictor").unwrap_or(1) > 1 => {
                        Err(err("TIFF predictor not supported"))
                    }
                    _ => Ok(out),
                }
            }
            _ => Err(err("unsupported stream filter")),
        }
    }

    /// The catalogue's reference and dictionary.
    pub fn catalog(&self) -> R<(u32, u16, Dict)> {
        let Some(Obj::Ref(n, g)) = self.trailer.get(b"Root") else {
            return Err(err("trailer without /Root"));
        };
        match self.get(*n)? {
            Obj::Dict(d) => Ok((*n, *g, d)),
            _ => Err(err("catalogue is not a dictionary")),
        }
    }

    /// The first page: its reference and dictionary.
    pub fn first_page(&self, catalog: &Dict) -> R<(u32, u16, Dict)> {
        let Some(Obj::Ref(root, _)) = catalog.get(b"Pages") else {
            return Err(err("catalogue without /Pages"));
        };
        // Depth-first, first leaf wins; bounded by a visited set.
        let mut stack = vec![*root];
        let mut visited = HashSet::new();
        while let Some(n) = stack.pop() {
            if !visited.insert(n) || visited.len() > 100_000 {
                continue;
            }
            let Obj::Dict(node) = self.get(n)? else {
                continue;
            };
            match node.get(b"Kids") {
                Some(kids) if node.name(b"Type") != Some(b"Page") => {
                    if let Obj::Array(kids) = self.resolve(kids)? {
                        for k in kids.iter().rev() {
                            if let Obj::Ref(kn, _) = k {
                                stack.push(*kn);
                            }
                        }
                    }
                }
                _ => {
                    if node.name(b"Type") == Some(b"Page") || node.get(b"Kids").is_none() {
                        return Ok((n, self.generation_of(n), node));
                    }
                }
            }
        }
        Err(err("the document has no page"))
    }
}

fn png_unpredict(data: &[u8], columns: i64, colors: i64, bpc: i64) -> R<Vec<u8>> {
    let bpp_bits = colors
        .checked_mul(bpc)
        .filter(|v| *v > 0 && *v <= 64)
        .ok_or_else(|| err("bad predictor parameters"))?;
    let bpp = usize::try_from((bpp_bits + 7) / 8).map_err(|_| err("bad predictor"))?;
    let row = columns
        .checked_mul(bpp_bits)
        .and_then(|b| usize::try_from((b + 7) / 8).ok())
        .filter(|r| *r > 0 && *r <= 1 << 20)
        .ok_or_else(|| err("bad predictor parameters"))?;
    let mut out = Vec::with_capacity(data.len());
    let mut prev = vec![0u8; row];
    for chunk in data.chunks(row + 1) {
        let Some((&ft, line)) = chunk.split_first() else {
            break;
        };
        let mut cur = line.to_vec();
        cur.resize(row, 0);
        for i in 0..row {
            let a = if i >= bpp { cur[i - bpp] } else { 0 };
            let b = prev[i];
            let c = if i >= bpp { prev[i - bpp] } else { 0 };
            let add = match ft {
                0 => 0,
                1 => a,
                2 => b,
                3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
                4 => {
                    let p = i16::from(a) + i16::from(b) - i16::from(c);
                    let (pa, pb, pc) = (
                        (p - i16::from(a)).abs(),
                        (p - i16::from(b)).abs(),
                        (p - i16::from(c)).abs(),
                    );
                    if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    }
                }
                _ => return Err(err("bad PNG predictor")),
            };
            cur[i] = cur[i].wrapping_add(add);
        }
        out.extend_from_slice(&cur);
        prev = cur;
    }
    Ok(out)
}

/// The dictionary of the object at `off` with the file spans of its values, for checking that a
/// signature's ByteRange leaves out exactly its own /Contents.
pub(crate) fn dict_spans_at(data: &[u8], off: usize) -> R<Vec<(Vec<u8>, usize, usize)>> {
    let mut lx = Lexer::new(data, off);
    let (Some(_), Some(_)) = (lx.uint(), lx.uint()) else {
        return Err(err("no object"));
    };
    if !lx.keyword(b"obj") {
        return Err(err("no object"));
    }
    lx.skip_ws();
    if !lx.rest().starts_with(b"<<") {
        return Err(err("not a dictionary"));
    }
    lx.pos += 2;
    let mut spans = Vec::new();
    lx.dict_body(0, Some(&mut spans))?;
    Ok(spans)
}

// ---- Writing ----

fn write_name(out: &mut Vec<u8>, name: &[u8]) {
    out.push(b'/');
    for &c in name {
        if (0x21..=0x7e).contains(&c) && !is_delim(c) && c != b'#' {
            out.push(c);
        } else {
            out.extend_from_slice(format!("#{c:02X}").as_bytes());
        }
    }
}

pub(crate) fn write_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'<');
    for b in bytes {
        out.extend_from_slice(format!("{b:02X}").as_bytes());
    }
    out.push(b'>');
}

/// Serialise an object (strings as hex strings, which is lossless).
pub(crate) fn write_obj(out: &mut Vec<u8>, obj: &Obj) {
    match obj {
        Obj::Null => out.extend_from_slice(b"null"),
        Obj::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Obj::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Obj::Real(r) => out.extend_from_slice(r),
        Obj::Name(n) => write_name(out, n),
        Obj::Str(s) => write_hex(out, s),
        Obj::Ref(n, g) => out.extend_from_slice(format!("{n} {g} R").as_bytes()),
        Obj::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                write_obj(out, item);
            }
            out.push(b']');
        }
        Obj::Dict(d) => write_dict(out, d),
    }
}

pub(crate) fn write_dict(out: &mut Vec<u8>, d: &Dict) {
    out.extend_from_slice(b"<<");
    for (k, v) in &d.0 {
        write_name(out, k);
        out.push(b' ');
        write_obj(out, v);
    }
    out.extend_from_slice(b">>");
}

/// A PDF text string: PDFDocEncoding when printable ASCII, else UTF-16BE with a BOM.
pub(crate) fn text_string(s: &str) -> Obj {
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        Obj::Str(s.as_bytes().to_vec())
    } else {
        let mut v = vec![0xfe, 0xff];
        for u in s.encode_utf16() {
            v.extend_from_slice(&u.to_be_bytes());
        }
        Obj::Str(v)
    }
}

/// A PDF text string back to Rust.
pub(crate) fn decode_text(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xfe, 0xff]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        bytes.iter().map(|&b| char::from(b)).collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_nested_objects_and_writes_them_back() {
        let src = b"<< /A [1 -2 +3.5 (a\\(b\\)c) <4142> /N#20x true null 12 0 R] /B << /C .5 >> >>";
        let obj = Lexer::new(src, 0).object().unwrap();
        let mut out = Vec::new();
        write_obj(&mut out, &obj);
        let again = Lexer::new(&out, 0).object().unwrap();
        assert_eq!(obj, again);
        let Obj::Dict(d) = obj else { panic!() };
        let Some(Obj::Array(a)) = d.get(b"A") else {
            panic!()
        };
        assert_eq!(a[3], Obj::Str(b"a(b)c".to_vec()));
        assert_eq!(a[5], Obj::Name(b"N x".to_vec()));
        assert_eq!(a[8], Obj::Ref(12, 0));
    }

    #[test]
    fn hostile_nesting_and_truncation_are_errors() {
        let deep = vec![b'['; 10_000];
        assert!(Lexer::new(&deep, 0).object().is_err());
        assert!(Lexer::new(b"<< /A (abc", 0).object().is_err());
        assert!(PdfDoc::load(b"%PDF-1.7\nstartxref\n999999\n%%EOF").is_err());
        assert!(
            PdfDoc::load(b"%PDF-1.7\nxref\n0 99999999999\ntrailer<<>>\nstartxref\n9\n%%EOF")
                .is_err()
        );
    }

    #[test]
    fn png_up_predictor() {
        let data = [2u8, 1, 2, 2, 1, 1];
        assert_eq!(png_unpredict(&data, 2, 1, 8).unwrap(), vec![1, 2, 2, 3]);
    }
}
