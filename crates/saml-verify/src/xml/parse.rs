//! quick-xml events into a [`Document`], with the checks a signature verifier needs first.
//!
//! Refused: any DOCTYPE (so no DTD, no external or internal entity, no billion laughs), nesting
//! deeper than [`Limits::max_depth`], duplicate attributes (XML 1.0 §3.1 and, after namespace
//! resolution, Namespaces in XML §6.3), duplicate `ID` attributes anywhere, unbound prefixes,
//! characters outside XML 1.0 §2.2 `Char`, and anything not well-formed.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::lexical::{
    duplicate_attribute, is_ncname, normalize_newlines, read_attributes, resolve_reference,
    split_qname,
};
use super::{is_xml_space, Attribute, Document, Element, Node, NodeId, NodeKind, XML_NS};
use crate::Error;

/// Structural limits applied while parsing.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deepest element nesting allowed (the root is depth 1).
    pub max_depth: usize,
    /// Most attributes (declarations included) on one element.
    pub max_attributes: usize,
    /// Most namespace bindings in scope at once (all open elements' declarations).
    pub max_namespaces_in_scope: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 128,
            max_attributes: 256,
            max_namespaces_in_scope: 512,
        }
    }
}

/// Parse `input` (UTF-8) into a document that borrows its names, and its text and values when
/// they need no unescaping or normalization, from `input`.
pub fn parse(input: &[u8], limits: Limits) -> Result<Document<'_>, Error> {
    let text = std::str::from_utf8(input).map_err(|_| Error::malformed("not UTF-8"))?;
    parse_str(text, limits)
}

/// [`parse`] of text already known to be UTF-8 (canonical bytes written to a `String`, which
/// are parsed again without a second validation); every other check is the same.
pub fn parse_str(text: &str, limits: Limits) -> Result<Document<'_>, Error> {
    check_chars(text)?;
    let mut p = Parser {
        input: text,
        doc: Document {
            // About one node per 40 bytes in IdP output: grow once or not at all.
            nodes: Vec::with_capacity(text.len() / 40),
            root: 0,
            child_ids: Vec::with_capacity(text.len() / 40),
            decl_list: Vec::with_capacity(16),
            attr_list: Vec::with_capacity(text.len() / 80),
            source_len: text.len(),
        },
        // Room for a SAML message's depth and breadth: each grows once or not at all.
        stack: Vec::with_capacity(16),
        open_children: Vec::with_capacity(64),
        child_marks: Vec::with_capacity(16),
        bindings: BTreeMap::from([("xml", vec![Cow::Borrowed(XML_NS)])]),
        scopes: Vec::with_capacity(16),
        scope_marks: Vec::with_capacity(16),
        ids: BTreeSet::new(),
        limits,
        seen_root: false,
        raw_attrs: Vec::with_capacity(16),
    };
    p.scopes.push("xml");
    let mut reader = Reader::from_str(text);
    let cfg = reader.config_mut();
    cfg.check_comments = true;
    cfg.check_end_names = true;
    cfg.expand_empty_elements = false;
    cfg.trim_text(false);
    loop {
        let at = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| Error::malformed(format!("{e} (near byte {at})")))?;
        match event {
            Event::Eof => break,
            ev => p.event(ev)?,
        }
    }
    if !p.stack.is_empty() {
        return Err(Error::malformed("unexpected end of document"));
    }
    if !p.seen_root {
        return Err(Error::malformed("no document element"));
    }
    Ok(p.doc)
}

/// XML 1.0 §2.2: only TAB, LF and CR among the C0 controls; no U+FFFE or U+FFFF.
///
/// Branch-free over 64-byte chunks, which the compiler vectorizes: a `char` search and a byte
/// `any` had been 8 % of a whole verification (perf, issue #16). U+FFFE and U+FFFF are
/// `EF BF BE` and `EF BF BF` in UTF-8 (RFC 3629 §3) and 0xEF is only ever a lead byte, so in
/// valid UTF-8 those byte triples are exactly the two characters; only a chunk holding 0xEF is
/// looked at again.
fn check_chars(text: &str) -> Result<(), Error> {
    let b = text.as_bytes();
    let mut bad = false;
    for (i, chunk) in b.chunks(64).enumerate() {
        let (c0, ef) = chunk.iter().fold((0u8, 0u8), |(c0, ef), &c| {
            let control = (c < 0x20) & (c != b'\t') & (c != b'\n') & (c != b'\r');
            (c0 | u8::from(control), ef | u8::from(c == 0xEF))
        });
        bad |= c0 != 0;
        if ef != 0 {
            let at = i * 64;
            bad |= chunk.iter().enumerate().any(|(j, &c)| {
                c == 0xEF
                    && b.get(at + j + 1) == Some(&0xBF)
                    && matches!(b.get(at + j + 2), Some(0xBE | 0xBF))
            });
        }
    }
    if bad {
        return Err(Error::malformed("character not allowed in XML"));
    }
    Ok(())
}

struct Parser<'a> {
    /// The whole input, which every borrowed name and value points into.
    input: &'a str,
    doc: Document<'a>,
    stack: Vec<NodeId>,
    /// The children seen so far of every open element, outermost first; `child_marks` says
    /// where each open element's start. An element's run moves to `doc.child_ids` when it ends.
    open_children: Vec<NodeId>,
    child_marks: Vec<usize>,
    /// In-scope namespace bindings: each prefix's URIs, innermost last (a lookup is one map
    /// search, however many bindings are in scope).
    bindings: BTreeMap<&'a str, Vec<Cow<'a, str>>>,
    /// The prefixes declared by open elements, innermost last, to undo when each one ends.
    scopes: Vec<&'a str>,
    scope_marks: Vec<usize>,
    /// Every `ID` seen. Ordered, not hashed: on wasm32 std's hash keys have little entropy, so
    /// chosen IDs could collide in a hash set and make inserting quadratic.
    ids: BTreeSet<Cow<'a, str>>,
    limits: Limits,
    seen_root: bool,
    /// The current start tag's ordinary attributes as read, before their prefixes are
    /// resolved: one buffer for the whole parse, not one allocation per element.
    raw_attrs: Vec<super::lexical::Pair<'a>>,
}

/// `part` as a slice of `input` with `input`'s lifetime, when `part` lies inside `input` (a
/// quick-xml start tag read from a `&str` reader borrows it, but its API only lends it for the
/// event's own lifetime). Found by address: distinct live allocations never overlap.
fn within<'t>(input: &'t str, part: &str) -> Option<&'t str> {
    let start = (part.as_ptr() as usize).checked_sub(input.as_ptr() as usize)?;
    input.get(start..start.checked_add(part.len())?)
}

/// `start..end` as a `u32` range: an element's place in the document's attribute lists.
fn range32(start: usize, end: usize) -> Result<std::ops::Range<u32>, Error> {
    match (u32::try_from(start), u32::try_from(end)) {
        (Ok(s), Ok(e)) => Ok(s..e),
        _ => Err(Error::malformed("too many attributes in the document")),
    }
}

/// The text of an event read from a `&str` reader: always borrowed from the input.
pub(super) fn borrowed(b: Cow<'_, str>) -> Result<&str, Error> {
    match b {
        Cow::Borrowed(b) => Ok(b),
        Cow::Owned(_) => Err(Error::malformed("unexpected owned event")),
    }
}

impl<'a> Parser<'a> {
    fn event(&mut self, event: Event<'a>) -> Result<(), Error> {
        match event {
            Event::Start(s) => self.start(&s, false),
            Event::Empty(s) => self.start(&s, true),
            Event::End(_) => {
                self.close();
                Ok(())
            }
            Event::Text(t) => self.text(normalize_newlines(borrowed(t.into_inner())?)),
            Event::CData(c) => {
                if self.stack.is_empty() {
                    return Err(Error::malformed("CDATA outside the document element"));
                }
                self.text(normalize_newlines(borrowed(c.into_inner())?))
            }
            Event::GeneralRef(r) => {
                let c = resolve_reference(&r)?;
                if self.stack.is_empty() {
                    return Err(Error::malformed("reference outside the document element"));
                }
                self.text(Cow::Owned(c.to_string()))
            }
            Event::Comment(_) => {
                if !self.stack.is_empty() {
                    self.push(NodeKind::Comment)?;
                }
                Ok(())
            }
            Event::PI(pi) => self.pi(&pi),
            Event::Decl(_) if self.seen_root || !self.doc.nodes.is_empty() => {
                Err(Error::malformed("misplaced XML declaration"))
            }
            Event::Decl(d) => {
                if let Some(Ok(enc)) = d.encoding() {
                    let enc: &str = &enc;
                    if !enc.eq_ignore_ascii_case("utf-8") {
                        return Err(Error::malformed(format!("encoding {enc} (only UTF-8)")));
                    }
                }
                Ok(())
            }
            Event::DocType(_) => Err(Error::DoctypeForbidden),
            Event::Eof => Ok(()),
        }
    }

    /// A processing instruction (XML 1.0 §2.6); kept inside the document element only.
    fn pi(&mut self, pi: &quick_xml::events::BytesPI<'_>) -> Result<(), Error> {
        let target = pi.target();
        if !is_ncname(target) {
            return Err(Error::malformed(format!(
                "bad processing instruction target {target:?}"
            )));
        }
        if target.eq_ignore_ascii_case("xml") {
            return Err(Error::malformed("misplaced XML declaration"));
        }
        if !self.stack.is_empty() {
            let data = pi.content();
            let data = normalize_newlines(
                data.trim_start_matches(|c: char| c.is_ascii() && is_xml_space(c as u8)),
            )
            .into_owned();
            let target = target.to_owned();
            self.push(NodeKind::Pi { target, data })?;
        }
        Ok(())
    }

    fn text(&mut self, t: Cow<'a, str>) -> Result<(), Error> {
        if self.stack.is_empty() {
            if t.bytes().all(is_xml_space) {
                return Ok(());
            }
            return Err(Error::malformed("text outside the document element"));
        }
        // Adjacent text (split by references or CDATA) is one text node in the data model.
        let mark = self.child_marks.last().copied().unwrap_or(0);
        if let Some(&last) = self.open_children.get(mark..).and_then(<[_]>::last) {
            if let Some(Node {
                kind: NodeKind::Text(s),
                ..
            }) = self.doc.nodes.get_mut(last)
            {
                s.to_mut().push_str(&t);
                return Ok(());
            }
        }
        self.push(NodeKind::Text(t)).map(|_| ())
    }

    fn push(&mut self, kind: NodeKind<'a>) -> Result<NodeId, Error> {
        let id = self.doc.nodes.len();
        let parent = self.stack.last().copied();
        self.doc.nodes.push(Node { parent, kind });
        if parent.is_some() {
            self.open_children.push(id);
        }
        Ok(id)
    }

    fn start(&mut self, s: &BytesStart<'_>, empty: bool) -> Result<(), Error> {
        if self.stack.is_empty() {
            if self.seen_root {
                return Err(Error::malformed("more than one document element"));
            }
            self.seen_root = true;
        }
        if self.stack.len() >= self.limits.max_depth {
            return Err(Error::DepthExceeded {
                limit: self.limits.max_depth,
            });
        }
        let name_len = s.name().as_ref().len();
        let content = within(self.input, s).ok_or_else(|| Error::malformed("bad tag"))?;
        let name = content
            .get(..name_len)
            .ok_or_else(|| Error::malformed("bad tag"))?;
        let mut raw_attrs = std::mem::take(&mut self.raw_attrs);
        let decls_start = self.doc.decl_list.len();
        read_attributes(
            content,
            name_len,
            self.limits.max_attributes,
            &mut self.doc.decl_list,
            &mut raw_attrs,
        )?;
        self.scope_marks.push(self.scopes.len());
        for (p, u) in self.doc.decl_list.get(decls_start..).unwrap_or(&[]) {
            self.scopes.push(p);
            self.bindings.entry(p).or_default().push(u.clone());
        }
        // Bound the bindings kept in scope (memory; resolution is a map search).
        if self.scopes.len() > self.limits.max_namespaces_in_scope {
            return Err(Error::malformed("too many namespace declarations in scope"));
        }

        let (prefix, local) = split_qname(name)?;
        let ns = self.resolve(prefix)?;
        let attrs_start = self.doc.attr_list.len();
        for (qname, value) in raw_attrs.drain(..) {
            let (aprefix, alocal) = split_qname(qname)?;
            let ans = if aprefix.is_empty() {
                Cow::Borrowed("")
            } else {
                self.resolve(aprefix)?
            };
            self.doc.attr_list.push(Attribute {
                prefix: aprefix,
                local: alocal,
                ns: ans,
                value,
            });
        }
        self.raw_attrs = raw_attrs;
        let attrs = self.doc.attr_list.get(attrs_start..).unwrap_or(&[]);
        // Two of one attribute first (`ID="x" ID="x"` is a duplicate attribute), then the IDs.
        duplicate_attribute(attrs)?;
        if let Some(a) = attrs.iter().find(|a| a.ns.is_empty() && a.local == "ID") {
            if !self.ids.insert(a.value.clone()) {
                return Err(Error::DuplicateId {
                    id: a.value.clone().into_owned(),
                });
            }
        }
        let ns_decls = range32(decls_start, self.doc.decl_list.len())?;
        let attrs = range32(attrs_start, self.doc.attr_list.len())?;
        let id = self.push(NodeKind::Element(Element {
            prefix,
            local,
            ns,
            ns_decls,
            attrs,
            children: 0..0,
            end: 0,
        }))?;
        if self.stack.is_empty() {
            self.doc.root = id;
        }
        self.stack.push(id);
        self.child_marks.push(self.open_children.len());
        if empty {
            self.close();
        }
        Ok(())
    }

    /// The innermost open element ends: its children take their place in `doc.child_ids`
    /// and the bindings it declared go out of scope.
    fn close(&mut self) {
        if let Some(id) = self.stack.pop() {
            let mark = self.child_marks.pop().unwrap_or(self.open_children.len());
            let start = self.doc.child_ids.len();
            self.doc.child_ids.extend(
                self.open_children
                    .drain(mark.min(self.open_children.len())..),
            );
            let end = self.doc.child_ids.len();
            let subtree_end = self.doc.nodes.len();
            if let Some(Node {
                kind: NodeKind::Element(e),
                ..
            }) = self.doc.nodes.get_mut(id)
            {
                e.children = start..end;
                e.end = subtree_end;
            }
        }
        self.leave_scope();
    }

    /// Drop the bindings the innermost open element declared.
    fn leave_scope(&mut self) {
        let mark = self.scope_marks.pop().unwrap_or(1);
        for p in self.scopes.drain(mark..) {
            if let Some(stack) = self.bindings.get_mut(p) {
                stack.pop();
            }
        }
    }

    fn resolve(&self, prefix: &str) -> Result<Cow<'a, str>, Error> {
        match self.bindings.get(prefix).and_then(|s| s.last()) {
            Some(uri) => Ok(uri.clone()),
            None if prefix.is_empty() => Ok(Cow::Borrowed("")),
            None => Err(Error::malformed(format!("unbound prefix {prefix}"))),
        }
    }
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
