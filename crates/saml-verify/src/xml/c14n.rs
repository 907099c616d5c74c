//! Exclusive XML Canonicalization 1.0, without comments (W3C Recommendation, 18 July 2002),
//! applied to the subtree of one element, optionally minus one descendant (the enveloped
//! signature, XML-DSig §6.6.4), written straight into a [`Sink`] (a hasher or a buffer).
//!
//! Namespace rendering follows Exc-C14N §3: a namespace node is output on an element when its
//! prefix is visibly utilized by the element or one of its attributes, or is listed in the
//! InclusiveNamespaces PrefixList (§3.1, then handled as in Canonical XML 1.0), and no output
//! ancestor already rendered the same prefix with the same URI. Text and attribute escaping, the
//! ordering of namespace declarations and attributes, and empty-element expansion follow
//! Canonical XML 1.0 §2.3.
//!
//! Cost: the work is linear in the size of the subtree for any PrefixList and any layout of
//! namespace declarations. The binding of each listed prefix is tracked where namespaces are
//! declared (not looked up at every element), and what output ancestors rendered is a map from
//! prefix to its innermost URI with an undo log. As a second line, every call takes a
//! [`Budget`] of bytes it may write: exclusive c14n can legitimately render the same long
//! declaration on each of many siblings, so output is not bounded by input.

use std::collections::BTreeMap;

use super::lexical::word_has_control_or;
use super::{Attribute, Document, Element, NodeId, NodeKind, XML_NS};

/// Where canonical bytes go. They arrive as `&str` (every piece is a slice of the parsed
/// document or ASCII markup), so a `String` sink holds text that needs no UTF-8 validation
/// when it is parsed again.
pub trait Sink {
    fn write(&mut self, s: &str);
}

impl Sink for Vec<u8> {
    fn write(&mut self, s: &str) {
        self.extend_from_slice(s.as_bytes());
    }
}

impl Sink for String {
    fn write(&mut self, s: &str) {
        self.push_str(s);
    }
}

/// The most bytes one canonicalization may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget(pub usize);

impl Budget {
    /// What a signed SAML message may need: 16 bytes out per byte of the parsed document plus
    /// 1 MiB. Real IdP output canonicalizes to about its own size (each child may re-render a
    /// declaration its parent did not use, so a little more).
    pub fn for_input(input_len: usize) -> Self {
        Budget(input_len.saturating_mul(16).saturating_add(1 << 20))
    }
}

/// Canonicalization stopped: it would have written more than its [`Budget`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetExceeded {
    pub limit: usize,
}

/// Canonicalize the subtree at `apex`, leaving out the subtree at `exclude`.
/// `inclusive_prefixes` is the PrefixList; `#default` names the default namespace.
pub fn canonicalize<S: Sink>(
    doc: &Document,
    apex: NodeId,
    exclude: Option<NodeId>,
    inclusive_prefixes: &[String],
    budget: Budget,
    out: &mut S,
) -> Result<(), BudgetExceeded> {
    let mut inclusive: Vec<&str> = inclusive_prefixes
        .iter()
        .map(|p| if p == "#default" { "" } else { p.as_str() })
        .collect();
    inclusive.sort_unstable();
    inclusive.dedup();
    let mut c = Canon {
        doc,
        exclude,
        inclusive_uri: vec![None; inclusive.len()],
        inclusive,
        scope_undo: Vec::new(),
        rendered: BTreeMap::new(),
        rendered_undo: Vec::new(),
        wanted: Vec::new(),
        left: budget.0,
        limit: budget.0,
        out,
    };
    c.enter_ancestor_scope(apex);
    c.node(apex)
}

/// A namespace binding (prefix, URI), borrowed from the document.
type Binding<'a> = (&'a str, &'a str);

struct Canon<'a, 'o, S: Sink> {
    doc: &'a Document<'a>,
    exclude: Option<NodeId>,
    /// The PrefixList, sorted, `#default` as "".
    inclusive: Vec<&'a str>,
    /// The in-scope URI of each listed prefix (same index), None when it is not declared.
    inclusive_uri: Vec<Option<&'a str>>,
    /// (index, previous URI) for each change to `inclusive_uri`, undone when an element ends.
    scope_undo: Vec<(usize, Option<&'a str>)>,
    /// The innermost URI output ancestors rendered, per prefix.
    rendered: BTreeMap<&'a str, &'a str>,
    /// (prefix, previous rendering) for each change to `rendered`, undone when an element ends.
    rendered_undo: Vec<(&'a str, Option<&'a str>)>,
    /// Scratch list of the current element's candidate bindings (kept to reuse its allocation).
    wanted: Vec<Binding<'a>>,
    /// Bytes the budget still allows, and the budget itself.
    left: usize,
    limit: usize,
    out: &'o mut S,
}

impl<'a, S: Sink> Canon<'a, '_, S> {
    fn write(&mut self, s: &str) -> Result<(), BudgetExceeded> {
        self.left = self
            .left
            .checked_sub(s.len())
            .ok_or(BudgetExceeded { limit: self.limit })?;
        self.out.write(s);
        Ok(())
    }

    /// Bind the listed prefixes as the apex's ancestors declare them, outermost first.
    fn enter_ancestor_scope(&mut self, apex: NodeId) {
        let doc = self.doc;
        let mut chain = Vec::new();
        let mut cur = doc.parent(apex);
        while let Some(n) = cur {
            chain.push(n);
            cur = doc.parent(n);
        }
        for n in chain.into_iter().rev() {
            if let Some(e) = doc.element(n) {
                self.declare(e);
            }
        }
    }

    /// Record the element's declarations of listed prefixes (O(declarations · log |list|)).
    fn declare(&mut self, e: &'a Element<'a>) {
        for (p, u) in self.doc.ns_decls(e) {
            if let Ok(i) = self.inclusive.binary_search(p) {
                if let Some(slot) = self.inclusive_uri.get_mut(i) {
                    self.scope_undo.push((i, slot.replace(&**u)));
                }
            }
        }
    }

    fn node(&mut self, id: NodeId) -> Result<(), BudgetExceeded> {
        if Some(id) == self.exclude {
            return Ok(());
        }
        let doc = self.doc;
        let Some(node) = doc.nodes.get(id) else {
            return Ok(());
        };
        match &node.kind {
            NodeKind::Element(e) => self.element(e),
            NodeKind::Text(t) => escape_text(t, |b| self.write(b)),
            NodeKind::Comment => Ok(()),
            NodeKind::Pi { target, data } => {
                self.write("<?")?;
                self.write(target)?;
                if !data.is_empty() {
                    self.write(" ")?;
                    self.write(data)?;
                }
                self.write("?>")
            }
        }
    }

    /// The namespace declarations `e` outputs, sorted by prefix (Exc-C14N §3; C14N 1.0 §2.3):
    /// candidates are the visibly utilized prefixes, then the inclusive list; a candidate is
    /// output unless an output ancestor already rendered it with the same URI. At one element
    /// every candidate with a given prefix has the same (in-scope) URI, so candidates are
    /// deduplicated by sorting. Returns the undo mark for `rendered`.
    fn declarations(&mut self) -> (usize, std::ops::Range<usize>) {
        let mark = self.rendered_undo.len();
        let mut wanted = std::mem::take(&mut self.wanted);
        wanted.sort_unstable_by(|a, b| a.0.cmp(b.0));
        wanted.dedup_by(|a, b| a.0 == b.0);
        let mut kept = 0;
        for i in 0..wanted.len() {
            let (p, uri) = wanted[i];
            let output = if p == "xml" && uri == XML_NS {
                false
            } else {
                match self.rendered.get(p) {
                    Some(r) => !same_str(r, uri),
                    // An empty default namespace needs no declaration unless one was rendered.
                    None => !(p.is_empty() && uri.is_empty()),
                }
            };
            if output {
                self.rendered_undo.push((p, self.rendered.insert(p, uri)));
                wanted[kept] = (p, uri);
                kept += 1;
            }
        }
        wanted.truncate(kept);
        self.wanted = wanted;
        (mark, 0..kept)
    }

    fn element(&mut self, e: &'a Element<'a>) -> Result<(), BudgetExceeded> {
        let scope_mark = self.scope_undo.len();
        self.declare(e);
        self.wanted.clear();
        self.wanted.push((e.prefix, &e.ns));
        let e_attrs: &'a [Attribute<'a>] = self.doc.attrs(e);
        for a in e_attrs {
            if !a.prefix.is_empty() && a.prefix != "xml" {
                self.wanted.push((a.prefix, &a.ns));
            }
        }
        for (&p, uri) in self.inclusive.iter().zip(&self.inclusive_uri) {
            if let Some(uri) = uri {
                self.wanted.push((p, uri));
            }
        }
        let (rendered_mark, decls) = self.declarations();

        self.write("<")?;
        self.qname(e.prefix, e.local)?;
        for i in decls {
            let Some(&(p, uri)) = self.wanted.get(i) else {
                continue;
            };
            if p.is_empty() {
                self.write(" xmlns=\"")?;
            } else {
                self.write(" xmlns:")?;
                self.write(p)?;
                self.write("=\"")?;
            }
            escape_attr(uri, |b| self.write(b))?;
            self.write("\"")?;
        }
        let mut sorted: [&Attribute; 8] = [&EMPTY_ATTR; 8];
        let mut heap: Vec<&Attribute>;
        let attrs: &mut [&Attribute] = if e_attrs.len() <= sorted.len() {
            for (slot, a) in sorted.iter_mut().zip(e_attrs) {
                *slot = a;
            }
            &mut sorted[..e_attrs.len()]
        } else {
            heap = e_attrs.iter().collect();
            &mut heap
        };
        attrs.sort_unstable_by(|a, b| attribute_order(a, b));
        for a in attrs.iter() {
            self.write(" ")?;
            self.qname(a.prefix, a.local)?;
            self.write("=\"")?;
            escape_attr(&a.value, |b| self.write(b))?;
            self.write("\"")?;
        }
        self.write(">")?;

        for &c in self.doc.element_children(e) {
            self.node(c)?;
        }

        self.write("</")?;
        self.qname(e.prefix, e.local)?;
        self.write(">")?;
        self.leave(rendered_mark, scope_mark);
        Ok(())
    }

    /// Undo what the element added to the rendered map and to the listed prefixes' scope.
    fn leave(&mut self, rendered_mark: usize, scope_mark: usize) {
        for (p, prev) in self.rendered_undo.drain(rendered_mark..).rev() {
            match prev {
                Some(u) => self.rendered.insert(p, u),
                None => self.rendered.remove(p),
            };
        }
        for (i, prev) in self.scope_undo.drain(scope_mark..).rev() {
            if let Some(slot) = self.inclusive_uri.get_mut(i) {
                *slot = prev;
            }
        }
    }

    fn qname(&mut self, prefix: &str, local: &str) -> Result<(), BudgetExceeded> {
        if !prefix.is_empty() {
            self.write(prefix)?;
            self.write(":")?;
        }
        self.write(local)
    }
}

/// Exclusive c14n §2.2 (by reference to Canonical XML 1.0 §2.2, "Attribute Nodes"): attributes
/// in lexicographic order of namespace URI, then local name; no namespace sorts first. Bytes
/// compared inline: the names are short and usually differ in their first byte, where a call
/// to `memcmp` per comparison had cost 4 % of a verification (perf, issue #16).
fn attribute_order(a: &Attribute<'_>, b: &Attribute<'_>) -> std::cmp::Ordering {
    let bytes = |x: &str, y: &str| x.bytes().cmp(y.bytes());
    match (a.ns.is_empty(), b.ns.is_empty()) {
        (true, true) => bytes(a.local, b.local),
        _ => bytes(&a.ns, &b.ns).then_with(|| bytes(a.local, b.local)),
    }
}

/// String equality that skips the byte comparison when both are the same slice (namespace URIs
/// are borrowed from the input, so a URI in scope is usually the very slice compared).
fn same_str(a: &str, b: &str) -> bool {
    std::ptr::eq(a, b) || a == b
}

/// Filler for the fixed attribute-sorting buffer (never written out).
static EMPTY_ATTR: Attribute<'static> = Attribute {
    prefix: "",
    local: "",
    ns: std::borrow::Cow::Borrowed(""),
    value: std::borrow::Cow::Borrowed(""),
};

/// Canonical XML §2.3 text nodes: `&`, `<`, `>` and CR escaped.
fn escape_text<E>(s: &str, write: impl FnMut(&str) -> Result<(), E>) -> Result<(), E> {
    escape(s, write, [b'&', b'<', b'>'], |b| match b {
        b'&' => Some("&amp;"),
        b'<' => Some("&lt;"),
        b'>' => Some("&gt;"),
        b'\r' => Some("&#xD;"),
        _ => None,
    })
}

/// Canonical XML §2.3 attribute values: `&`, `<`, `"`, TAB, LF and CR escaped.
fn escape_attr<E>(s: &str, write: impl FnMut(&str) -> Result<(), E>) -> Result<(), E> {
    escape(s, write, [b'&', b'<', b'"'], |b| match b {
        b'&' => Some("&amp;"),
        b'<' => Some("&lt;"),
        b'"' => Some("&quot;"),
        b'\t' => Some("&#x9;"),
        b'\n' => Some("&#xA;"),
        b'\r' => Some("&#xD;"),
        _ => None,
    })
}

/// Write `s` with `rule`'s replacements. Every byte `rule` replaces is below 0x20 or in `set`,
/// so eight bytes at a time where none is ([`word_has_control_or`]), then byte by byte. Every
/// replaced byte is ASCII, so the pieces between them start and end on character boundaries
/// (`get` never fails; were it to, the piece would be missing and the digest would not match).
fn escape<E>(
    s: &str,
    mut write: impl FnMut(&str) -> Result<(), E>,
    set: [u8; 3],
    rule: impl Fn(u8) -> Option<&'static str>,
) -> Result<(), E> {
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if let Some(w) = bytes
            .get(i..i + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
        {
            if !word_has_control_or(w, set) {
                i += 8;
                continue;
            }
        }
        if let Some(rep) = rule(b) {
            write(s.get(start..i).unwrap_or_default())?;
            write(rep)?;
            start = i + 1;
        }
        i += 1;
    }
    write(s.get(start..).unwrap_or_default())
}

#[cfg(test)]
#[path = "c14n_tests.rs"]
mod tests;
