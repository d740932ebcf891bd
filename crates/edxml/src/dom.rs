//! A small XML tree: parsed from bytes with limits (no DOCTYPE, no entities beyond the five
//! predefined ones and character references), namespaces resolved, comments and processing
//! instructions dropped. The model, the canonicaliser and the signature work on it.

use crate::{Error, Limits};
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

/// The XML namespace, bound to `xml` by definition.
pub(crate) const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Attr {
    pub prefix: Option<String>,
    pub local: String,
    /// Resolved namespace; `None` for unprefixed attributes.
    pub ns: Option<String>,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Element {
    pub prefix: Option<String>,
    pub local: String,
    /// Resolved namespace; `None` when the element is in no namespace.
    pub ns: Option<String>,
    /// Namespace declarations made on this element: (prefix, `None` for the default; URI,
    /// empty to undeclare the default), in document order.
    pub ns_decls: Vec<(Option<String>, String)>,
    pub attrs: Vec<Attr>,
    pub children: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    Element(Element),
    Text(String),
    /// A processing instruction inside the root element: target and data (the string value,
    /// leading whitespace removed).
    Pi(String, String),
}

impl Element {
    pub fn new(prefix: Option<&str>, local: &str, ns: Option<&str>) -> Self {
        Element {
            prefix: prefix.map(str::to_owned),
            local: local.to_owned(),
            ns: ns.map(str::to_owned),
            ns_decls: Vec::new(),
            attrs: Vec::new(),
            children: Vec::new(),
        }
    }

    pub fn qname(&self) -> String {
        match &self.prefix {
            Some(p) => format!("{p}:{}", self.local),
            None => self.local.clone(),
        }
    }

    pub fn child_elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) | Node::Pi(..) => None,
        })
    }

    /// The first child element with this local name.
    pub fn child(&self, local: &str) -> Option<&Element> {
        self.child_elements().find(|e| e.local == local)
    }

    pub fn children_named<'a>(&'a self, local: &'a str) -> impl Iterator<Item = &'a Element> {
        self.child_elements().filter(move |e| e.local == local)
    }

    /// The concatenated text children.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for n in &self.children {
            if let Node::Text(t) = n {
                s.push_str(t);
            }
        }
        s
    }

    pub fn attr(&self, local: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.local == local && a.ns.is_none())
            .map(|a| a.value.as_str())
    }

    pub fn push(&mut self, e: Element) {
        self.children.push(Node::Element(e));
    }

    pub fn push_text(&mut self, t: &str) {
        if !t.is_empty() {
            self.children.push(Node::Text(t.to_owned()));
        }
    }
}

/// Line number (1-based) of a byte offset.
pub(crate) fn line_of(input: &[u8], pos: usize) -> usize {
    let end = pos.min(input.len());
    input[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

fn malformed(input: &[u8], pos: usize, reason: impl Into<String>) -> Error {
    Error::Malformed {
        line: line_of(input, pos),
        reason: reason.into(),
    }
}

/// Resolve one reference name (between `&` and `;`).
fn resolve_ref(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            let num = name.strip_prefix('#')?;
            let code = if let Some(hex) = num.strip_prefix('x') {
                u32::from_str_radix(hex, 16).ok()?
            } else {
                num.parse::<u32>().ok()?
            };
            let c = char::from_u32(code)?;
            // XML 1.0 Char production.
            let ok = matches!(c, '\t' | '\n' | '\r')
                || ('\u{20}'..='\u{D7FF}').contains(&c)
                || ('\u{E000}'..='\u{FFFD}').contains(&c)
                || c >= '\u{10000}';
            ok.then_some(c)
        }
    }
}

/// Normalise line ends (CRLF and lone CR become LF), as an XML processor must.
fn normalize_eol(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('\r') {
        std::borrow::Cow::Owned(s.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Unescape raw text: line ends normalised first, then references resolved (so `&#xD;`
/// survives as a carriage return). `attribute`: literal whitespace becomes a space.
fn unescape(raw: &str, attribute: bool) -> Result<String, String> {
    let s = normalize_eol(raw);
    let mut out = String::with_capacity(s.len());
    let mut rest: &str = &s;
    while let Some(i) = rest.find(['&', '\t', '\n', '<']) {
        out.push_str(&rest[..i]);
        let c = rest.as_bytes()[i];
        match c {
            b'&' => {
                let after = &rest[i + 1..];
                let end = after
                    .find(';')
                    .filter(|&e| e <= 12)
                    .ok_or_else(|| "unterminated reference".to_owned())?;
                let name = &after[..end];
                let ch = resolve_ref(name).ok_or_else(|| format!("unknown entity &{name};"))?;
                out.push(ch);
                rest = &after[end + 1..];
            }
            b'<' => return Err("'<' in attribute value".into()),
            _ => {
                out.push(if attribute { ' ' } else { c as char });
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

struct Scope {
    decls: Vec<(Option<String>, String)>,
}

fn lookup<'a>(scopes: &'a [Scope], prefix: Option<&str>) -> Option<&'a str> {
    if prefix == Some("xml") {
        return Some(XML_NS);
    }
    for s in scopes.iter().rev() {
        for (p, uri) in s.decls.iter().rev() {
            if p.as_deref() == prefix {
                return Some(uri.as_str());
            }
        }
    }
    None
}

fn split_qname(q: &str) -> (Option<&str>, &str) {
    match q.split_once(':') {
        Some((p, l)) => (Some(p), l),
        None => (None, q),
    }
}

fn start_element(
    input: &[u8],
    pos: usize,
    e: &BytesStart<'_>,
    scopes: &mut Vec<Scope>,
    limits: &Limits,
) -> Result<Element, Error> {
    let qname = std::str::from_utf8(e.name().as_ref())
        .map_err(|_| malformed(input, pos, "element name not UTF-8"))?
        .to_owned();
    let mut decls = Vec::new();
    let mut raw_attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|err| malformed(input, pos, format!("attribute: {err}")))?;
        if a.value.len() > limits.max_attribute_bytes {
            return Err(Error::TooLarge {
                what: "attribute",
                limit: limits.max_attribute_bytes,
            });
        }
        if raw_attrs.len() + decls.len() >= limits.max_attributes {
            return Err(Error::TooLarge {
                what: "attributes on one element",
                limit: limits.max_attributes,
            });
        }
        let key = std::str::from_utf8(a.key.as_ref())
            .map_err(|_| malformed(input, pos, "attribute name not UTF-8"))?
            .to_owned();
        let raw = std::str::from_utf8(&a.value)
            .map_err(|_| malformed(input, pos, "attribute value not UTF-8"))?;
        let value = unescape(raw, true).map_err(|r| malformed(input, pos, r))?;
        if key == "xmlns" {
            decls.push((None, value));
        } else if let Some(p) = key.strip_prefix("xmlns:") {
            if value.is_empty() {
                return Err(malformed(input, pos, "empty namespace for a prefix"));
            }
            decls.push((Some(p.to_owned()), value));
        } else {
            raw_attrs.push((key, value));
        }
    }
    scopes.push(Scope {
        decls: decls.clone(),
    });
    let (prefix, local) = split_qname(&qname);
    let ns = match lookup(scopes, prefix) {
        Some("") => None,
        Some(u) => Some(u.to_owned()),
        None if prefix.is_none() => None,
        None => {
            return Err(malformed(
                input,
                pos,
                format!("undeclared namespace prefix in <{qname}>"),
            ));
        }
    };
    let mut attrs = Vec::with_capacity(raw_attrs.len());
    for (key, value) in raw_attrs {
        let (p, l) = split_qname(&key);
        let ans = match p {
            None => None,
            Some(p) => Some(
                lookup(scopes, Some(p))
                    .ok_or_else(|| {
                        malformed(input, pos, format!("undeclared prefix in attribute {key}"))
                    })?
                    .to_owned(),
            ),
        };
        if attrs.iter().any(|x: &Attr| x.local == l && x.ns == ans) {
            return Err(malformed(input, pos, format!("duplicate attribute {key}")));
        }
        attrs.push(Attr {
            prefix: p.map(str::to_owned),
            local: l.to_owned(),
            ns: ans,
            value,
        });
    }
    Ok(Element {
        prefix: prefix.map(str::to_owned),
        local: local.to_owned(),
        ns,
        ns_decls: decls,
        attrs,
        children: Vec::new(),
    })
}

/// Parse a document into its root element, within `limits`.
pub(crate) fn parse(input: &[u8], limits: &Limits) -> Result<Element, Error> {
    if input.len() > limits.max_package_bytes {
        return Err(Error::TooLarge {
            what: "package",
            limit: limits.max_package_bytes,
        });
    }
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let mut reader = Reader::from_reader(input);
    {
        let c = reader.config_mut();
        c.check_end_names = true;
        c.expand_empty_elements = false;
        c.trim_text(false);
        c.allow_unmatched_ends = false;
    }
    let mut stack: Vec<Element> = Vec::new();
    let mut scopes: Vec<Scope> = Vec::new();
    let mut root: Option<Element> = None;
    let mut elements = 0usize;
    let mut pending = String::new();

    fn flush_into(top: &mut Element, pending: &mut String) {
        if !pending.is_empty() {
            top.children.push(Node::Text(std::mem::take(pending)));
        }
    }

    fn flush(stack: &mut [Element], pending: &mut String) {
        if !pending.is_empty() {
            if let Some(top) = stack.last_mut() {
                top.children.push(Node::Text(std::mem::take(pending)));
            } else {
                pending.clear();
            }
        }
    }

    loop {
        let pos = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let ev = reader.read_event().map_err(|e| {
            malformed(
                input,
                usize::try_from(reader.error_position()).unwrap_or(pos),
                e.to_string(),
            )
        })?;
        match ev {
            Event::DocType(_) => {
                return Err(Error::Doctype {
                    line: line_of(input, pos),
                });
            }
            Event::Decl(d) => {
                if let Some(Ok(enc)) = d.encoding() {
                    let enc = String::from_utf8_lossy(&enc).to_ascii_lowercase();
                    if enc != "utf-8" && enc != "utf8" {
                        return Err(malformed(input, pos, format!("unsupported encoding {enc}")));
                    }
                }
            }
            Event::Start(e) | Event::Empty(e) if root.is_some() => {
                let _ = e;
                return Err(malformed(input, pos, "content after the root element"));
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(ev, Event::Empty(_));
                elements += 1;
                if elements > limits.max_elements {
                    return Err(Error::TooLarge {
                        what: "elements",
                        limit: limits.max_elements,
                    });
                }
                if stack.len() + 1 > limits.max_depth {
                    return Err(Error::TooDeep {
                        limit: limits.max_depth,
                    });
                }
                flush(&mut stack, &mut pending);
                let el = start_element(input, pos, e, &mut scopes, limits)?;
                if empty {
                    scopes.pop();
                    match stack.last_mut() {
                        Some(top) => top.children.push(Node::Element(el)),
                        None => root = Some(el),
                    }
                } else {
                    stack.push(el);
                }
            }
            Event::End(_) => {
                flush(&mut stack, &mut pending);
                scopes.pop();
                let el = stack
                    .pop()
                    .ok_or_else(|| malformed(input, pos, "unexpected end tag"))?;
                match stack.last_mut() {
                    Some(top) => top.children.push(Node::Element(el)),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                let raw =
                    std::str::from_utf8(&t).map_err(|_| malformed(input, pos, "text not UTF-8"))?;
                if stack.is_empty() {
                    if !raw.trim().is_empty() {
                        return Err(malformed(input, pos, "text outside the root element"));
                    }
                } else {
                    let s = unescape(raw, false).map_err(|r| malformed(input, pos, r))?;
                    pending.push_str(&s);
                }
            }
            Event::CData(t) => {
                if stack.is_empty() {
                    return Err(malformed(input, pos, "CDATA outside the root element"));
                }
                let raw = std::str::from_utf8(&t)
                    .map_err(|_| malformed(input, pos, "CDATA not UTF-8"))?;
                pending.push_str(&normalize_eol(raw));
            }
            Event::GeneralRef(r) => {
                if stack.is_empty() {
                    return Err(malformed(input, pos, "reference outside the root element"));
                }
                let name = std::str::from_utf8(&r)
                    .map_err(|_| malformed(input, pos, "reference not UTF-8"))?;
                let c = resolve_ref(name)
                    .ok_or_else(|| malformed(input, pos, format!("unknown entity &{name};")))?;
                pending.push(c);
            }
            Event::PI(pi) => {
                if let Some(top) = stack.last_mut() {
                    let target = std::str::from_utf8(pi.target())
                        .map_err(|_| malformed(input, pos, "PI not UTF-8"))?;
                    let data = std::str::from_utf8(pi.content())
                        .map_err(|_| malformed(input, pos, "PI not UTF-8"))?;
                    let data = normalize_eol(data.trim_start()).into_owned();
                    flush_into(top, &mut pending);
                    top.children.push(Node::Pi(target.to_owned(), data));
                }
                // Outside the root element: dropped (see docs/edxml.md).
            }
            Event::Comment(_) => {}
            Event::Eof => break,
        }
        if pending.len() > limits.max_text_bytes {
            let in_content = stack
                .last()
                .map(|e| e.local == "ContentTransferEncoded")
                .unwrap_or(false);
            if !in_content {
                return Err(Error::TooLarge {
                    what: "text",
                    limit: limits.max_text_bytes,
                });
            }
        }
    }
    if !stack.is_empty() {
        return Err(malformed(input, input.len(), "unexpected end of document"));
    }
    root.ok_or_else(|| malformed(input, input.len(), "no root element"))
}

/// Escape text content as canonical XML does.
pub(crate) fn escape_text(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            _ => out.push(c),
        }
    }
}

/// Escape an attribute value as canonical XML does.
pub(crate) fn escape_attr(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            _ => out.push(c),
        }
    }
}

/// Serialise a tree as written (declarations where they were made, attributes in order).
pub(crate) fn write(el: &Element, out: &mut String) {
    out.push('<');
    let q = el.qname();
    out.push_str(&q);
    for (p, uri) in &el.ns_decls {
        match p {
            Some(p) => {
                out.push_str(" xmlns:");
                out.push_str(p);
            }
            None => out.push_str(" xmlns"),
        }
        out.push_str("=\"");
        escape_attr(uri, out);
        out.push('"');
    }
    for a in &el.attrs {
        out.push(' ');
        if let Some(p) = &a.prefix {
            out.push_str(p);
            out.push(':');
        }
        out.push_str(&a.local);
        out.push_str("=\"");
        escape_attr(&a.value, out);
        out.push('"');
    }
    out.push('>');
    for n in &el.children {
        match n {
            Node::Element(c) => write(c, out),
            Node::Text(t) => escape_text(t, out),
            Node::Pi(t, d) => write_pi(t, d, out),
        }
    }
    out.push_str("</");
    out.push_str(&q);
    out.push('>');
}

/// A processing instruction as canonical XML writes it.
pub(crate) fn write_pi(target: &str, data: &str, out: &mut String) {
    out.push_str("<?");
    out.push_str(target);
    if !data.is_empty() {
        out.push(' ');
        out.push_str(data);
    }
    out.push_str("?>");
}
