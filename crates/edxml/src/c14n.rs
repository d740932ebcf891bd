//! Canonical XML of an element subtree: exclusive C14N 1.0
//! (<http://www.w3.org/2001/10/xml-exc-c14n#>, optionally with an InclusiveNamespaces
//! PrefixList) and inclusive C14N 1.0 (<http://www.w3.org/TR/2001/REC-xml-c14n-20010315>), both
//! without comments (the tree keeps none).
//!
//! What it renders: no XML declaration; elements as start/end pairs; namespace declarations
//! first, sorted by prefix (the default first), then attributes sorted by (namespace URI, local
//! name); text with `&` `<` `>` and CR escaped, attribute values with `&` `<` `"` TAB LF CR
//! escaped. Line ends were normalised and references resolved by the parser.
//!
//! Not supported (not produced by edXML tools): inheritance of `xml:*` attributes from
//! ancestors outside the subtree in inclusive mode; document subsets other than "the subtree
//! minus one excluded element" (which is what an enveloped signature needs).

use crate::dom::{Element, Node, XML_NS, escape_attr, escape_text, write_pi};
use std::collections::BTreeMap;

/// Which canonicalisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Exclusive C14N; the prefixes of the InclusiveNamespaces PrefixList (`None` = `#default`)
    /// are treated the inclusive way.
    Exclusive(Vec<Option<String>>),
    /// Inclusive C14N 1.0.
    Inclusive,
}

type NsMap = BTreeMap<Option<String>, String>;

/// Canonicalise `el` (with the namespace context `ancestors_ns` of its ancestors, outermost
/// first), leaving out the subtree `exclude` (compared by address).
pub(crate) fn canonicalize(
    el: &Element,
    ancestors_ns: &[(Option<String>, String)],
    exclude: Option<&Element>,
    mode: &Mode,
) -> String {
    let mut in_scope: NsMap = NsMap::new();
    for (p, u) in ancestors_ns {
        in_scope.insert(p.clone(), u.clone());
    }
    let mut out = String::with_capacity(4096);
    let rendered = NsMap::new();
    walk(el, &in_scope, &rendered, exclude, mode, &mut out);
    out
}

fn walk(
    el: &Element,
    parent_scope: &NsMap,
    rendered: &NsMap,
    exclude: Option<&Element>,
    mode: &Mode,
    out: &mut String,
) {
    if let Some(x) = exclude
        && std::ptr::eq(x, el)
    {
        return;
    }
    let mut scope = parent_scope.clone();
    for (p, u) in &el.ns_decls {
        scope.insert(p.clone(), u.clone());
    }
    // Prefixes to consider.
    let mut candidates: Vec<Option<String>> = Vec::new();
    match mode {
        Mode::Inclusive => candidates.extend(scope.keys().cloned()),
        Mode::Exclusive(list) => {
            candidates.push(el.prefix.clone());
            for a in &el.attrs {
                if a.prefix.is_some() {
                    candidates.push(a.prefix.clone());
                }
            }
            for p in list {
                if scope.contains_key(p) {
                    candidates.push(p.clone());
                }
            }
        }
    }
    candidates.sort();
    candidates.dedup();
    let mut new_rendered = rendered.clone();
    let mut decls: Vec<(Option<String>, String)> = Vec::new();
    for p in candidates {
        if p.as_deref() == Some("xml") {
            continue;
        }
        let uri = scope.get(&p).cloned().unwrap_or_default();
        if uri == XML_NS {
            continue;
        }
        let already = rendered.get(&p);
        let render = if uri.is_empty() {
            // Only the default namespace can be empty: undeclare it if an output ancestor
            // declared a non-empty one.
            p.is_none() && already.is_some_and(|u| !u.is_empty())
        } else {
            already != Some(&uri)
        };
        if render {
            new_rendered.insert(p.clone(), uri.clone());
            decls.push((p, uri));
        }
    }
    // decls are sorted: None (default) before Some, Some by prefix.
    let mut attrs: Vec<&crate::dom::Attr> = el.attrs.iter().collect();
    attrs.sort_by(|a, b| {
        let an = a.ns.as_deref().unwrap_or("");
        let bn = b.ns.as_deref().unwrap_or("");
        an.cmp(bn).then_with(|| a.local.cmp(&b.local))
    });
    let q = el.qname();
    out.push('<');
    out.push_str(&q);
    for (p, uri) in &decls {
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
    for a in attrs {
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
            Node::Element(c) => walk(c, &scope, &new_rendered, exclude, mode, out),
            Node::Text(t) => escape_text(t, out),
            Node::Pi(t, d) => write_pi(t, d, out),
        }
    }
    out.push_str("</");
    out.push_str(&q);
    out.push('>');
}

/// Canonicalise a whole document given as bytes (exclusive C14N, no comments). For tests and
/// tools; the signature code canonicalises parsed trees directly.
pub fn canonicalize_document(
    input: &[u8],
    mode: &Mode,
    limits: &crate::Limits,
) -> Result<String, crate::Error> {
    let root = crate::dom::parse(input, limits)?;
    Ok(canonicalize(&root, &[], None, mode))
}
