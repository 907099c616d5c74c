//! A small owned XML tree with namespaces resolved, and Exclusive XML Canonicalization.
//!
//! The tree keeps exactly what the XPath data model (XML-DSig §4.3.3.3, "the node-set") needs for
//! canonicalization: elements with their own namespace declarations and attributes, text (CDATA
//! merged in, entity and character references expanded, line endings and attribute values
//! normalized as XML 1.0 §2.11 and §3.3.3 require), comments and processing instructions.

use std::borrow::Cow;

pub mod c14n;
mod lexical;
mod parse;

pub use lexical::MAX_NAMESPACE_URI_BYTES;
pub use parse::{parse, parse_str, Limits};

/// Index of a node in [`Document::nodes`].
pub type NodeId = usize;

/// The XML namespace, bound to the `xml` prefix in every document (Namespaces in XML §3).
pub const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// A parsed, well-formed document with a single root element. Names are borrowed from the
/// parsed bytes, and so are text and attribute values that needed no change (no reference to
/// expand, no line ending or white space to normalize): parsing allocates little.
#[derive(Debug, Clone)]
pub struct Document<'a> {
    pub(crate) nodes: Vec<Node<'a>>,
    pub(crate) root: NodeId,
    /// Every element's children, each element's run contiguous ([`Element::children`] says
    /// where): one vector for the document rather than one per element.
    pub(crate) child_ids: Vec<NodeId>,
    /// Every element's namespace declarations and attributes, each element's run contiguous
    /// ([`Element::ns_decls`] and [`Element::attrs`] say where): two vectors for the document,
    /// not two per element.
    pub(crate) decl_list: Vec<(&'a str, Cow<'a, str>)>,
    pub(crate) attr_list: Vec<Attribute<'a>>,
    /// Length in bytes of the text this document was parsed from.
    pub(crate) source_len: usize,
}

#[derive(Debug, Clone)]
pub(crate) struct Node<'a> {
    pub(crate) parent: Option<NodeId>,
    pub(crate) kind: NodeKind<'a>,
}

#[derive(Debug, Clone)]
pub(crate) enum NodeKind<'a> {
    Element(Element<'a>),
    Text(Cow<'a, str>),
    Comment,
    Pi { target: String, data: String },
}

/// An element: qualified name, resolved namespace, its own declarations and attributes.
#[derive(Debug, Clone)]
pub struct Element<'a> {
    /// Prefix as written, empty for none.
    pub prefix: &'a str,
    pub local: &'a str,
    /// Resolved namespace URI, empty for none.
    pub ns: Cow<'a, str>,
    /// Where this element's namespace declarations are in [`Document::ns_decls`].
    pub(crate) ns_decls: std::ops::Range<u32>,
    /// Where this element's attributes are in [`Document::attrs`].
    pub(crate) attrs: std::ops::Range<u32>,
    /// Where this element's children are in [`Document::child_ids`].
    pub(crate) children: std::ops::Range<usize>,
    /// One past the last node of this element's subtree (its descendants are the nodes after
    /// it up to here).
    pub(crate) end: NodeId,
}

/// A (non-namespace-declaration) attribute, its value normalized (XML 1.0 §3.3.3).
#[derive(Debug, Clone)]
pub struct Attribute<'a> {
    pub prefix: &'a str,
    pub local: &'a str,
    pub ns: Cow<'a, str>,
    pub value: Cow<'a, str>,
}

impl Element<'_> {
    /// True when this element is `{ns}local`.
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.ns == ns && self.local == local
    }
}

/// `r` as a `usize` range, for indexing.
fn span(r: &std::ops::Range<u32>) -> std::ops::Range<usize> {
    r.start as usize..r.end as usize
}

impl<'a> Document<'a> {
    /// The document element.
    pub fn root(&self) -> NodeId {
        self.root
    }

    /// Length in bytes of the text this document was parsed from (sizes work budgets).
    pub fn source_len(&self) -> usize {
        self.source_len
    }

    /// The element at `id`, if that node is an element.
    pub fn element(&self, id: NodeId) -> Option<&Element<'a>> {
        match self.nodes.get(id).map(|n| &n.kind) {
            Some(NodeKind::Element(e)) => Some(e),
            _ => None,
        }
    }

    /// The attributes (namespace declarations aside) of `e`, an element of this document, in
    /// document order, values normalized (XML 1.0 §3.3.3).
    pub fn attrs(&self, e: &Element<'_>) -> &[Attribute<'a>] {
        self.attr_list.get(span(&e.attrs)).unwrap_or(&[])
    }

    /// The namespace declarations made on `e`, an element of this document: (prefix, URI),
    /// prefix empty for `xmlns=`.
    pub fn ns_decls(&self, e: &Element<'_>) -> &[(&'a str, Cow<'a, str>)] {
        self.decl_list.get(span(&e.ns_decls)).unwrap_or(&[])
    }

    /// The value of `e`'s attribute with no namespace and this local name.
    pub fn attr_of(&self, e: &Element<'_>, local: &str) -> Option<&str> {
        self.attrs(e)
            .iter()
            .find(|a| a.ns.is_empty() && a.local == local)
            .map(|a| &*a.value)
    }

    /// The value of the attribute with no namespace and this local name of element `id`.
    pub fn attr(&self, id: NodeId, local: &str) -> Option<&str> {
        self.attr_of(self.element(id)?, local)
    }

    /// The parent of `id` (None for the root).
    pub fn parent(&self, id: NodeId) -> Option<NodeId> {
        self.nodes.get(id).and_then(|n| n.parent)
    }

    /// All child nodes of `id`, in document order.
    pub(crate) fn children(&self, id: NodeId) -> &[NodeId] {
        self.element(id)
            .map(|e| self.element_children(e))
            .unwrap_or(&[])
    }

    /// The child nodes of `e`, an element of this document, in document order.
    pub(crate) fn element_children(&self, e: &Element<'_>) -> &[NodeId] {
        self.child_ids.get(e.children.clone()).unwrap_or(&[])
    }

    /// Element children of `id`, in document order.
    pub fn child_elements(&self, id: NodeId) -> impl Iterator<Item = (NodeId, &Element<'a>)> + '_ {
        self.children(id)
            .iter()
            .filter_map(move |&c| self.element(c).map(|e| (c, e)))
    }

    /// Element children of `id` named `{ns}local`.
    pub fn children_named<'s>(
        &'s self,
        id: NodeId,
        ns: &'s str,
        local: &'s str,
    ) -> impl Iterator<Item = NodeId> + 's {
        self.child_elements(id)
            .filter(move |(_, e)| e.is(ns, local))
            .map(|(c, _)| c)
    }

    /// The first element child of `id` named `{ns}local`.
    pub fn first_child(&self, id: NodeId, ns: &str, local: &str) -> Option<NodeId> {
        self.children_named(id, ns, local).next()
    }

    /// The text of `id`: all its text children joined, comments and PIs skipped. A comment inside
    /// a value therefore never truncates it (the CVE-2017-11427 class of bug). Borrowed when
    /// there is at most one text child (the usual case), joined into a new string otherwise.
    pub fn text(&self, id: NodeId) -> Cow<'_, str> {
        let mut texts = self
            .children(id)
            .iter()
            .filter_map(|&c| match self.nodes.get(c) {
                Some(Node {
                    kind: NodeKind::Text(t),
                    ..
                }) => Some(&**t),
                _ => None,
            });
        let Some(first) = texts.next() else {
            return Cow::Borrowed("");
        };
        match texts.next() {
            None => Cow::Borrowed(first),
            Some(second) => {
                let mut out = String::from(first);
                out.push_str(second);
                texts.for_each(|t| out.push_str(t));
                Cow::Owned(out)
            }
        }
    }

    /// True when `id` has a child that is text with something other than XML white space.
    pub fn has_non_space_text(&self, id: NodeId) -> bool {
        self.children(id).iter().any(|&c| {
            matches!(self.nodes.get(c), Some(Node { kind: NodeKind::Text(t), .. })
                if !t.bytes().all(is_xml_space))
        })
    }

    /// Every element of the subtree rooted at `id` (itself first), in document order. Nodes are
    /// stored in document order, so a subtree is the run from its root to [`Element::end`]:
    /// walking it allocates nothing.
    pub fn descendants(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        let end = self.element(id).map_or(id, |e| e.end.max(id + 1));
        (id..end.min(self.nodes.len())).filter(move |&n| self.element(n).is_some())
    }

    /// True when `ancestor` is `id` or one of its ancestors.
    pub fn is_within(&self, id: NodeId, ancestor: NodeId) -> bool {
        let mut cur = Some(id);
        while let Some(n) = cur {
            if n == ancestor {
                return true;
            }
            cur = self.parent(n);
        }
        false
    }

    /// Number of ancestors of `id` (0 for the root).
    pub fn depth(&self, id: NodeId) -> usize {
        let mut depth = 0;
        let mut cur = self.parent(id);
        while let Some(n) = cur {
            depth += 1;
            cur = self.parent(n);
        }
        depth
    }
}

/// White space as XML 1.0 §2.3 `S` defines it.
pub fn is_xml_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// One step of Marsaglia's xorshift64 (13, 7, 17): the tests' reproducible random inputs.
#[cfg(test)]
fn xorshift(seed: &mut u64) {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
}
