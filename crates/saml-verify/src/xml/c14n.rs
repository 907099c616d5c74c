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

use super::{Attribute, Document, Element, NodeId, NodeKind, XML_NS};

/// Where canonical bytes go.
pub trait Sink {
    fn write(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    fn write(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// Writes to two sinks at once (the digest and the buffer that is re-parsed after verifying).
pub struct Tee<'a, A: Sink, B: Sink>(pub &'a mut A, pub &'a mut B);

impl<A: Sink, B: Sink> Sink for Tee<'_, A, B> {
    fn write(&mut self, bytes: &[u8]) {
        self.0.write(bytes);
        self.1.write(bytes);
    }
}

/// Canonicalize the subtree at `apex`, leaving out the subtree at `exclude`.
/// `inclusive_prefixes` is the PrefixList; `#default` names the default namespace.
pub fn canonicalize<S: Sink>(
    doc: &Document,
    apex: NodeId,
    exclude: Option<NodeId>,
    inclusive_prefixes: &[String],
    out: &mut S,
) {
    let mut c = Canon {
        doc,
        exclude,
        inclusive: inclusive_prefixes
            .iter()
            .map(|p| if p == "#default" { "" } else { p.as_str() })
            .collect(),
        in_scope: ancestor_scope(doc, apex),
        rendered: Vec::new(),
        wanted: Vec::new(),
        out,
    };
    c.node(apex);
}

/// A namespace binding (prefix, URI), borrowed from the document.
type Binding<'a> = (&'a str, &'a str);

/// The namespace bindings in scope at `id`'s parent, outermost first.
fn ancestor_scope<'a>(doc: &'a Document<'_>, id: NodeId) -> Vec<Binding<'a>> {
    let mut chain = Vec::new();
    let mut cur = doc.parent(id);
    while let Some(n) = cur {
        chain.push(n);
        cur = doc.parent(n);
    }
    let mut scope = Vec::new();
    for n in chain.into_iter().rev() {
        if let Some(e) = doc.element(n) {
            scope.extend(e.ns_decls.iter().map(|(p, u)| (*p, &**u)));
        }
    }
    scope
}

struct Canon<'a, 'o, S: Sink> {
    doc: &'a Document<'a>,
    exclude: Option<NodeId>,
    inclusive: Vec<&'a str>,
    /// Every binding in scope (document order), innermost last.
    in_scope: Vec<Binding<'a>>,
    /// Bindings rendered by output ancestors, innermost last.
    rendered: Vec<Binding<'a>>,
    /// Scratch list of the current element's candidate bindings (kept to reuse its allocation).
    wanted: Vec<Binding<'a>>,
    out: &'o mut S,
}

impl<'a, S: Sink> Canon<'a, '_, S> {
    fn node(&mut self, id: NodeId) {
        if Some(id) == self.exclude {
            return;
        }
        let doc = self.doc;
        let Some(node) = doc.nodes.get(id) else {
            return;
        };
        match &node.kind {
            NodeKind::Element(e) => self.element(e),
            NodeKind::Text(t) => escape_text(t, self.out),
            NodeKind::Comment => {}
            NodeKind::Pi { target, data } => {
                self.out.write(b"<?");
                self.out.write(target.as_bytes());
                if !data.is_empty() {
                    self.out.write(b" ");
                    self.out.write(data.as_bytes());
                }
                self.out.write(b"?>");
            }
        }
    }

    fn lookup(list: &[Binding<'a>], prefix: &str) -> Option<&'a str> {
        list.iter()
            .rev()
            .find(|(p, _)| *p == prefix)
            .map(|(_, u)| *u)
    }

    /// The namespace declarations `e` outputs, sorted by prefix (Exc-C14N §3; C14N 1.0 §2.3):
    /// candidates are the visibly utilized prefixes, then the inclusive list; a candidate is
    /// output unless an output ancestor already rendered it with the same URI.
    fn declarations(&mut self, e: &'a Element<'a>) -> usize {
        let mut wanted = std::mem::take(&mut self.wanted);
        wanted.clear();
        let mut want = |p: &'a str, uri: &'a str| {
            if !wanted.iter().any(|(q, _)| *q == p) {
                wanted.push((p, uri));
            }
        };
        want(e.prefix, &e.ns);
        for a in &e.attrs {
            if !a.prefix.is_empty() && a.prefix != "xml" {
                want(a.prefix, &a.ns);
            }
        }
        for &p in &self.inclusive {
            if let Some(uri) = Self::lookup(&self.in_scope, p) {
                want(p, uri);
            }
        }
        let mark = self.rendered.len();
        for &(p, uri) in &wanted {
            let output = if p == "xml" && uri == XML_NS {
                false
            } else {
                match Self::lookup(&self.rendered[..mark], p) {
                    Some(r) => r != uri,
                    // An empty default namespace needs no declaration unless one was rendered.
                    None => !(p.is_empty() && uri.is_empty()),
                }
            };
            if output {
                self.rendered.push((p, uri));
            }
        }
        self.wanted = wanted;
        self.rendered[mark..].sort_unstable_by(|a, b| a.0.cmp(b.0));
        mark
    }

    fn element(&mut self, e: &'a Element<'a>) {
        let scope_mark = self.in_scope.len();
        self.in_scope
            .extend(e.ns_decls.iter().map(|(p, u)| (*p, &**u)));
        let rendered_mark = self.declarations(e);

        self.out.write(b"<");
        write_qname(e.prefix, e.local, self.out);
        for &(p, uri) in &self.rendered[rendered_mark..] {
            if p.is_empty() {
                self.out.write(b" xmlns=\"");
            } else {
                self.out.write(b" xmlns:");
                self.out.write(p.as_bytes());
                self.out.write(b"=\"");
            }
            escape_attr(uri, self.out);
            self.out.write(b"\"");
        }
        let mut sorted: [&Attribute; 8] = [&EMPTY_ATTR; 8];
        let mut heap: Vec<&Attribute>;
        let attrs: &mut [&Attribute] = if e.attrs.len() <= sorted.len() {
            for (slot, a) in sorted.iter_mut().zip(&e.attrs) {
                *slot = a;
            }
            &mut sorted[..e.attrs.len()]
        } else {
            heap = e.attrs.iter().collect();
            &mut heap
        };
        attrs.sort_unstable_by(|a, b| (&a.ns, &a.local).cmp(&(&b.ns, &b.local)));
        for a in attrs.iter() {
            self.out.write(b" ");
            write_qname(a.prefix, a.local, self.out);
            self.out.write(b"=\"");
            escape_attr(&a.value, self.out);
            self.out.write(b"\"");
        }
        self.out.write(b">");

        for &c in &e.children {
            self.node(c);
        }

        self.out.write(b"</");
        write_qname(e.prefix, e.local, self.out);
        self.out.write(b">");
        self.rendered.truncate(rendered_mark);
        self.in_scope.truncate(scope_mark);
    }
}

/// Filler for the fixed attribute-sorting buffer (never written out).
static EMPTY_ATTR: Attribute<'static> = Attribute {
    prefix: "",
    local: "",
    ns: std::borrow::Cow::Borrowed(""),
    value: std::borrow::Cow::Borrowed(""),
};

fn write_qname<S: Sink>(prefix: &str, local: &str, out: &mut S) {
    if !prefix.is_empty() {
        out.write(prefix.as_bytes());
        out.write(b":");
    }
    out.write(local.as_bytes());
}

/// Canonical XML §2.3 text nodes: `&`, `<`, `>` and CR escaped.
fn escape_text<S: Sink>(s: &str, out: &mut S) {
    escape(s, out, |b| match b {
        b'&' => Some(b"&amp;"),
        b'<' => Some(b"&lt;"),
        b'>' => Some(b"&gt;"),
        b'\r' => Some(b"&#xD;"),
        _ => None,
    });
}

/// Canonical XML §2.3 attribute values: `&`, `<`, `"`, TAB, LF and CR escaped.
fn escape_attr<S: Sink>(s: &str, out: &mut S) {
    escape(s, out, |b| match b {
        b'&' => Some(b"&amp;"),
        b'<' => Some(b"&lt;"),
        b'"' => Some(b"&quot;"),
        b'\t' => Some(b"&#x9;"),
        b'\n' => Some(b"&#xA;"),
        b'\r' => Some(b"&#xD;"),
        _ => None,
    });
}

fn escape<S: Sink>(s: &str, out: &mut S, rule: impl Fn(u8) -> Option<&'static [u8]>) {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if let Some(rep) = rule(b) {
            out.write(&bytes[start..i]);
            out.write(rep);
            start = i + 1;
        }
    }
    out.write(&bytes[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::{parse, Limits};

    fn c14n(s: &str, prefixes: &[&str]) -> String {
        let d = parse(s.as_bytes(), Limits::default()).unwrap();
        let mut out = Vec::new();
        let p: Vec<String> = prefixes.iter().map(|s| s.to_string()).collect();
        canonicalize(&d, d.root(), None, &p, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn renders_only_utilized_namespaces() {
        assert_eq!(
            c14n(
                "<a:r xmlns:a=\"urn:a\" xmlns:b=\"urn:b\" z=\"1\" b:y=\"2\" a:x=\"3\"><c/></a:r>",
                &[]
            ),
            "<a:r xmlns:a=\"urn:a\" xmlns:b=\"urn:b\" z=\"1\" a:x=\"3\" b:y=\"2\"><c></c></a:r>"
        );
        assert_eq!(
            c14n("<r xmlns=\"urn:d\" xmlns:u=\"urn:u\"><a:c xmlns:a=\"urn:d\"><e xmlns=\"\"/></a:c></r>", &[]),
            "<r xmlns=\"urn:d\"><a:c xmlns:a=\"urn:d\"><e xmlns=\"\"></e></a:c></r>"
        );
        assert_eq!(
            c14n("<r xmlns:u=\"urn:u\"><c/></r>", &["u"]),
            "<r xmlns:u=\"urn:u\"><c></c></r>"
        );
    }

    #[test]
    fn escapes_and_drops_comments() {
        assert_eq!(
            c14n("<r a=\"&lt;&amp;&quot;&#9;&#xA;&#xD;&gt;\">&lt;&gt;&amp;&#xD;<!--x--><?p  d ?></r>", &[]),
            "<r a=\"&lt;&amp;&quot;&#x9;&#xA;&#xD;>\">&lt;&gt;&amp;&#xD;<?p d ?></r>"
        );
    }

    #[test]
    fn subtree_keeps_ancestor_bindings_it_uses() {
        let d = parse(
            b"<p:r xmlns:p=\"urn:p\" xmlns:q=\"urn:q\"><p:s><q:t/></p:s></p:r>",
            Limits::default(),
        )
        .unwrap();
        let (s, _) = d.child_elements(d.root()).next().unwrap();
        let mut out = Vec::new();
        canonicalize(&d, s, None, &[], &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<p:s xmlns:p=\"urn:p\"><q:t xmlns:q=\"urn:q\"></q:t></p:s>"
        );
    }
}
