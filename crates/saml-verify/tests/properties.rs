//! Property tests (proptest, fixed case counts, deterministic seed per run is proptest's default
//! random seed; failures persist under proptest-regressions/):
//!
//! (a) exclusive c14n is idempotent on generated documents, for the document element and for
//!     subtrees (with an excluded child, with an InclusiveNamespaces PrefixList);
//! (b) parse -> canonicalize -> parse yields the same tree (element names, namespaces,
//!     attributes, text; comments dropped) and loses no element;
//! (c) any single-byte change inside a signed element of a valid vector makes `verify` fail.
//!
//! Generated documents use prefixes `a`, `b`, `saml` and the default namespace, `xmlns=""`
//! undeclarations, redeclarations to other URIs, `xml:` and namespaced attributes, text and
//! attribute values with `& < > " ' \r \t \n`, character references, non-ASCII, CDATA, comments
//! and processing instructions, single and double quotes, white space inside tags.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
#[path = "../../../fuzz/src/lib.rs"]
mod harness;

use std::ops::Range;
use std::path::PathBuf;

use proptest::prelude::*;
use proptest::test_runner::Config;
use saml_verify::xml::c14n::{canonicalize, Budget};
use saml_verify::xml::{parse, Document, Limits};

// ---------------------------------------------------------------------------------------------
// A model of small XML documents and its serialization.

const PREFIXES: &[&str] = &["", "a", "b", "saml"];
const LOCALS: &[&str] = &["r", "e", "Assertion", "x-y", "n.1", "_u", "lang"];
/// Namespace URIs as written in a declaration (index 0, the empty URI, only for `xmlns=""`).
/// None has a reference or white space: the parser refuses those in namespace URIs.
const URIS: &[&str] = &[
    "",
    "urn:a",
    "urn:b",
    "http://www.w3.org/2000/09/xmldsig#",
    "urn:x>y",
    "urn:t:1",
    "urn:\u{e9}\u{1F600}",
    "urn:q>",
];
/// Attribute value pieces; "QUOTE" becomes the quote character not delimiting the value.
const ATTR: &[&str] = &[
    "v",
    "0",
    " ",
    "\t",
    "\n",
    "\r",
    "\r\n",
    "&amp;",
    "&lt;",
    ">",
    "&gt;",
    "&quot;",
    "&apos;",
    "&#x9;",
    "&#xA;",
    "&#xD;",
    "&#13;",
    "\u{e9}",
    "\u{1F600}",
    "QUOTE",
    "#_a",
];
/// Text pieces as written in content.
const TEXT: &[&str] = &[
    "t",
    "Z",
    " ",
    "\t",
    "\n",
    "\r",
    "\r\n",
    "&amp;",
    "&lt;",
    "&gt;",
    ">",
    "\"",
    "'",
    "&quot;",
    "&apos;",
    "&#xD;",
    "&#13;",
    "&#9;",
    "&#x1F600;",
    "\u{e9}",
    "\u{1F600}",
    "a@b.c",
    "x=\"1\"",
];
const CDATA: &[&str] = &["<a>", "&amp;", "]", "\r\n", "\r", "x y", "\"'", "&#xD;"];
const COMMENT: &[&str] = &[" c ", "<e/>", "&amp;", "- x", "\r\n", "\u{e9}"];
const PI_TARGETS: &[&str] = &["pi", "x-y", "tgt"];
const PI_DATA: &[&str] = &[" d", " a=\"b\"", " <&>", "\r\n", " ?", "  \u{e9}"];
const SEPS: &[&str] = &[" ", "  ", "\n", "\t", "\r\n"];

#[derive(Debug, Clone)]
enum Child {
    El(El),
    Text(Vec<usize>),
    CData(Vec<usize>),
    Comment(Vec<usize>),
    Pi(usize, Vec<usize>),
}

#[derive(Debug, Clone)]
struct El {
    prefix: usize,
    local: usize,
    /// (prefix index, URI index) declared here.
    decls: Vec<(usize, usize)>,
    /// (prefix index: 0 none, 1..=3 PREFIXES, 4 `xml`; local index; value pieces; separator).
    attrs: Vec<(usize, usize, Vec<usize>, usize)>,
    children: Vec<Child>,
    self_close: bool,
    single_quotes: bool,
}

#[derive(Debug, Clone)]
struct Doc {
    prolog: usize,
    root: El,
}

fn pieces(n: usize, max: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0..n, 0..max)
}

fn element(children: BoxedStrategy<Vec<Child>>) -> impl Strategy<Value = El> {
    (
        0..PREFIXES.len(),
        0..LOCALS.len(),
        prop::collection::vec((0..PREFIXES.len(), 0..URIS.len()), 0..3),
        prop::collection::vec(
            (
                0..5usize,
                0..LOCALS.len(),
                pieces(ATTR.len(), 6),
                0..SEPS.len(),
            ),
            0..4,
        ),
        children,
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(prefix, local, decls, attrs, children, self_close, single_quotes)| El {
                prefix,
                local,
                decls,
                attrs,
                children,
                self_close,
                single_quotes,
            },
        )
}

fn doc_strategy() -> impl Strategy<Value = Doc> {
    let leaf = element(Just(Vec::new()).boxed());
    let tree = leaf.prop_recursive(6, 96, 3, |inner| {
        let child = prop_oneof![
            5 => inner.prop_map(Child::El),
            3 => pieces(TEXT.len(), 6).prop_map(Child::Text),
            1 => pieces(CDATA.len(), 4).prop_map(Child::CData),
            1 => pieces(COMMENT.len(), 3).prop_map(Child::Comment),
            1 => (0..PI_TARGETS.len(), pieces(PI_DATA.len(), 3)).prop_map(|(t, d)| Child::Pi(t, d)),
        ];
        element(prop::collection::vec(child, 0..6).boxed())
    });
    (0..4usize, tree).prop_map(|(prolog, root)| Doc { prolog, root })
}

/// Namespace bindings in scope, as written (the key for "same URI" is the written form, which
/// is good enough: distinct written URIs in [`URIS`] are distinct values).
type Scope = Vec<(String, String)>;

fn bound(scope: &Scope, p: &str) -> Option<String> {
    scope
        .iter()
        .rev()
        .find(|(q, _)| q == p)
        .map(|(_, u)| u.clone())
}

/// Serialize, binding every prefix used (declaring it here when not in scope) and dropping
/// attributes that would collide after namespace resolution, so the result is well-formed.
/// Returns the number of elements written.
fn write_el(e: &El, scope: &mut Scope, out: &mut String) -> usize {
    let mark = scope.len();
    let mut decls: Vec<(String, String)> = Vec::new();
    for &(p, u) in &e.decls {
        let p = PREFIXES[p];
        // Only the default namespace may be bound to the empty URI.
        let u = if p.is_empty() {
            URIS[u]
        } else {
            URIS[u.max(1)]
        };
        if !decls.iter().any(|(q, _)| q == p) {
            decls.push((p.to_owned(), u.to_owned()));
        }
    }
    let need = |p: &str, decls: &mut Vec<(String, String)>| {
        if !p.is_empty()
            && p != "xml"
            && !decls.iter().any(|(q, _)| q == p)
            && bound(scope, p).is_none()
        {
            decls.push((p.to_owned(), format!("urn:bound:{p}")));
        }
    };
    let prefix = PREFIXES[e.prefix];
    need(prefix, &mut decls);
    let mut attrs: Vec<(String, String, usize)> = Vec::new();
    let mut keys: Vec<(String, &str)> = Vec::new();
    for (p, l, v, sep) in &e.attrs {
        let p = match p {
            0 => "",
            4 => "xml",
            i => PREFIXES[*i],
        };
        need(p, &mut decls);
        let ns = match p {
            "" => String::new(),
            "xml" => "xml".into(),
            p => decls
                .iter()
                .find(|(q, _)| q == p)
                .map(|(_, u)| u.clone())
                .or_else(|| bound(scope, p))
                .unwrap_or_default(),
        };
        let l = LOCALS[*l];
        // No ID-typed attribute names (their values must be unique document-wide).
        if keys.iter().any(|(n, k)| *n == ns && *k == l) {
            continue;
        }
        keys.push((ns, l));
        let q = if p.is_empty() {
            l.to_owned()
        } else {
            format!("{p}:{l}")
        };
        let (quote, other) = if e.single_quotes {
            ("'", "\"")
        } else {
            ("\"", "'")
        };
        let value: String = v
            .iter()
            .map(|&i| if ATTR[i] == "QUOTE" { other } else { ATTR[i] })
            .collect();
        attrs.push((q, format!("{quote}{value}{quote}"), *sep));
    }
    scope.extend(decls.iter().cloned());
    let qname = if prefix.is_empty() {
        LOCALS[e.local].to_owned()
    } else {
        format!("{prefix}:{}", LOCALS[e.local])
    };
    out.push('<');
    out.push_str(&qname);
    for (p, u) in &decls {
        out.push(' ');
        out.push_str(if p.is_empty() { "xmlns" } else { "xmlns:" });
        out.push_str(p);
        out.push_str("=\"");
        out.push_str(u);
        out.push('"');
    }
    for (q, v, sep) in &attrs {
        out.push_str(SEPS[*sep]);
        out.push_str(q);
        out.push('=');
        out.push_str(v);
    }
    let mut count = 1;
    if e.children.is_empty() && e.self_close {
        out.push_str("/>");
    } else {
        out.push('>');
        for c in &e.children {
            match c {
                Child::El(k) => count += write_el(k, scope, out),
                Child::Text(t) => t.iter().for_each(|&i| out.push_str(TEXT[i])),
                Child::CData(t) => {
                    out.push_str("<![CDATA[");
                    t.iter().for_each(|&i| out.push_str(CDATA[i]));
                    out.push_str("]]>");
                }
                Child::Comment(t) => {
                    out.push_str("<!--");
                    t.iter().for_each(|&i| out.push_str(COMMENT[i]));
                    out.push_str(" -->");
                }
                Child::Pi(target, d) => {
                    out.push_str("<?");
                    out.push_str(PI_TARGETS[*target]);
                    d.iter().for_each(|&i| out.push_str(PI_DATA[i]));
                    out.push_str("?>");
                }
            }
        }
        out.push_str("</");
        out.push_str(&qname);
        out.push('>');
    }
    scope.truncate(mark);
    count
}

fn serialize(d: &Doc) -> (String, usize) {
    let mut out = String::from(match d.prolog {
        0 => "",
        1 => "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
        2 => "<?xml version='1.0'?>\r\n<!-- before --><?pi before?>\n",
        _ => "\n\t ",
    });
    let mut scope = Scope::new();
    let n = write_el(&d.root, &mut scope, &mut out);
    if d.prolog == 2 {
        out.push_str("\n<!-- after -->\n");
    }
    (out, n)
}

fn c14n(doc: &Document) -> Vec<u8> {
    let mut out = Vec::new();
    canonicalize(
        doc,
        doc.root(),
        None,
        &[],
        Budget::for_input(doc.source_len()),
        &mut out,
    )
    .unwrap();
    out
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        max_shrink_iters: 2000,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config(4000))]

    /// (a) c14n(parse(c14n(doc))) == c14n(doc), for the root and (through the harness) for
    /// subtrees with an exclusion and with a PrefixList.
    #[test]
    fn c14n_is_idempotent(d in doc_strategy()) {
        let (xml, _) = serialize(&d);
        let doc = parse(xml.as_bytes(), Limits::default());
        prop_assert!(doc.is_ok(), "generated document refused: {:?}\n{xml:?}", doc.as_ref().err());
        let doc = doc.unwrap();
        let c1 = c14n(&doc);
        let doc2 = parse(&c1, Limits::default());
        prop_assert!(doc2.is_ok(), "canonical form refused: {:?}\n{:?}", doc2.as_ref().err(), String::from_utf8_lossy(&c1));
        let c2 = c14n(&doc2.unwrap());
        prop_assert_eq!(String::from_utf8_lossy(&c1), String::from_utf8_lossy(&c2), "input {:?}", xml);
        harness::check_document(&doc);
    }

    /// (b) parse -> c14n -> parse describes the same tree, and no element is lost.
    #[test]
    fn c14n_preserves_the_tree(d in doc_strategy()) {
        let (xml, elements) = serialize(&d);
        let doc = parse(xml.as_bytes(), Limits::default()).unwrap();
        prop_assert_eq!(doc.descendants(doc.root()).count(), elements, "input {:?}", xml);
        let c1 = c14n(&doc);
        let doc2 = parse(&c1, Limits::default()).unwrap();
        if let Err(why) = harness::tree_eq(&doc, doc.root(), &doc2, doc2.root(), None) {
            prop_assert!(false, "{}\ninput:     {:?}\ncanonical: {:?}", why, xml, String::from_utf8_lossy(&c1));
        }
    }
}

/// The generator is not vacuous: over a fixed sample, the documents it writes use every
/// feature the properties above are meant to cover.
#[test]
fn generator_covers_the_features() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = doc_strategy();
    let features = [
        "xmlns=\"\"",
        "xmlns=\"urn",
        "xmlns:a=",
        "xmlns:saml=",
        " a:",
        " xml:",
        "<saml:",
        "<![CDATA[",
        "<!--",
        "<?pi",
        "&amp;",
        "&lt;",
        "&#xD;",
        "\r",
        "\t",
        "'",
        "/>",
    ];
    let mut seen = vec![0usize; features.len()];
    let (mut elements, mut deep) = (0, 0);
    for _ in 0..300 {
        let d = strategy.new_tree(&mut runner).unwrap().current();
        let (xml, n) = serialize(&d);
        elements += n;
        deep += usize::from(n >= 8);
        for (i, f) in features.iter().enumerate() {
            seen[i] += usize::from(xml.contains(f));
        }
        assert!(parse(xml.as_bytes(), Limits::default()).is_ok(), "{xml:?}");
    }
    for (f, n) in features.iter().zip(&seen) {
        assert!(*n >= 10, "feature {f:?} in only {n}/300 documents");
    }
    assert!(
        elements >= 900 && deep >= 20,
        "{elements} elements, {deep} documents of 8+"
    );
}

// ---------------------------------------------------------------------------------------------
// (c) single-byte changes inside a signed element.
//
// Positions mutated: bytes of text nodes (CDATA content included), of attribute values
// (namespace declarations included) and of element and attribute names (start and end tags),
// inside the signed element. Deliberately excluded, because a change there may legitimately
// leave the signed canonical form unchanged:
// - the ds:Signature subtree: removed by the enveloped-signature transform; its SignedInfo is
//   covered by SignatureValue, but KeyInfo is not signed at all, and keys are pinned;
// - white space inside tags (between attributes, around `=`, before `>` or `/>`), the quote
//   characters and `=`, `<`, `>`, `/` of the markup: quote style and that white space are not
//   in the canonical form, and changing markup characters is a different test (ill-formed);
// - comments and processing instructions' content: c14n without comments drops comments (none
//   occur inside the signed elements of these vectors anyway);
// - bytes outside the signed element (XML declaration; for the Assertion-signed vector, the
//   unsigned Response envelope, which the verifier reads only for Destination/Status).
// Replacement bytes are printable ASCII 0x21..=0x7E other than `& < > " '`: never white space,
// because a TAB or LF in an attribute value normalizes to a space (a space replacing either
// would not change the value), and never a character that starts markup or a reference or
// closes a quoted value (those are covered by "ill-formed must fail" only by accident).

#[derive(Debug, Clone, Copy, PartialEq)]
enum Class {
    Text,
    AttrValue,
    Name,
}

fn vector(name: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/vectors/valid")
            .join(name),
    )
    .unwrap()
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> usize {
    from + hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap_or_else(|| panic!("{:?} not found", String::from_utf8_lossy(needle)))
}

/// The signed element `[start, end)` and the ds:Signature inside it.
fn signed_ranges(xml: &[u8], open: &str, close: &str) -> (Range<usize>, Range<usize>) {
    let start = find(xml, open.as_bytes(), 0);
    let end = find(xml, close.as_bytes(), start) + close.len();
    let s = find(xml, b"<ds:Signature", start);
    let e = find(xml, b"</ds:Signature>", s) + "</ds:Signature>".len();
    assert!(start < s && e < end);
    (start..end, s..e)
}

/// Classify the bytes of `range` minus `skip` with a small lexer for the (simple, known)
/// markup of the vectors.
fn classify(xml: &[u8], range: Range<usize>, skip: Range<usize>) -> Vec<(usize, Class)> {
    let ws = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    let mut out = Vec::new();
    let mut i = range.start;
    while i < range.end {
        if skip.contains(&i) {
            i = skip.end;
            continue;
        }
        let rest = &xml[i..];
        if rest.starts_with(b"<!--") {
            i = find(xml, b"-->", i) + 3;
        } else if rest.starts_with(b"<?") {
            i = find(xml, b"?>", i) + 2;
        } else if rest.starts_with(b"<![CDATA[") {
            let close = find(xml, b"]]>", i);
            out.extend((i + 9..close).map(|k| (k, Class::Text)));
            i = close + 3;
        } else if xml[i] == b'<' {
            i += 1;
            if xml[i] == b'/' {
                i += 1;
            }
            while !ws(xml[i]) && xml[i] != b'>' && xml[i] != b'/' {
                out.push((i, Class::Name));
                i += 1;
            }
            loop {
                while ws(xml[i]) {
                    i += 1;
                }
                match xml[i] {
                    b'>' => {
                        i += 1;
                        break;
                    }
                    b'/' => i += 1,
                    _ => {
                        while xml[i] != b'=' && !ws(xml[i]) {
                            out.push((i, Class::Name));
                            i += 1;
                        }
                        while xml[i] != b'\'' && xml[i] != b'"' {
                            i += 1;
                        }
                        let q = xml[i];
                        i += 1;
                        while xml[i] != q {
                            out.push((i, Class::AttrValue));
                            i += 1;
                        }
                        i += 1;
                    }
                }
            }
        } else {
            out.push((i, Class::Text));
            i += 1;
        }
    }
    out
}

struct Target {
    xml: Vec<u8>,
    positions: Vec<(usize, Class)>,
}

fn target(name: &str, open: &str, close: &str) -> Target {
    let xml = vector(name);
    let (signed, sig) = signed_ranges(&xml, open, close);
    let positions = classify(&xml, signed, sig);
    Target { xml, positions }
}

/// Printable ASCII that neither starts markup or a reference nor closes a quoted value.
fn replacement_bytes() -> Vec<u8> {
    (0x21u8..=0x7e).filter(|b| !b"&<>\"'".contains(b)).collect()
}

fn mutate_and_verify(t: &Target, pick: usize, class_choice: u8, repl: usize) -> Result<(), String> {
    // Names are far fewer than text and values: pick them a quarter of the time.
    let want = match class_choice % 8 {
        0 | 1 => Class::Name,
        2..=4 => Class::AttrValue,
        _ => Class::Text,
    };
    let pool: Vec<usize> = t
        .positions
        .iter()
        .filter(|(_, c)| *c == want)
        .map(|(p, _)| *p)
        .collect();
    let pos = pool[pick % pool.len()];
    let bytes = replacement_bytes();
    let mut b = bytes[repl % bytes.len()];
    if b == t.xml[pos] {
        b = bytes[(repl + 1) % bytes.len()];
    }
    let mut m = t.xml.clone();
    m[pos] = b;
    let (trust, _, now) = harness::fuzz_trust();
    match saml_verify::verify(&m, trust, *now, None) {
        Err(_) => Ok(()),
        Ok(a) => Err(format!(
            "ACCEPTED after changing byte {pos} ({want:?}) from {:?} to {:?}: {a:?}\ncontext: {:?}",
            t.xml[pos] as char,
            b as char,
            String::from_utf8_lossy(&m[pos.saturating_sub(60)..(pos + 60).min(m.len())])
        )),
    }
}

fn assertion_signed() -> &'static Target {
    static T: std::sync::OnceLock<Target> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        target(
            "generic-assertion-signed.xml",
            "<saml:Assertion",
            "</saml:Assertion>",
        )
    })
}

fn response_signed() -> &'static Target {
    static T: std::sync::OnceLock<Target> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        target(
            "generic-response-signed.xml",
            "<samlp:Response",
            "</samlp:Response>",
        )
    })
}

#[test]
fn unmodified_vectors_verify_and_positions_cover_all_classes() {
    let (trust, _, now) = harness::fuzz_trust();
    for t in [assertion_signed(), response_signed()] {
        assert!(saml_verify::verify(&t.xml, trust, *now, None).is_ok());
        for c in [Class::Text, Class::AttrValue, Class::Name] {
            let n = t.positions.iter().filter(|(_, k)| *k == c).count();
            assert!(n >= 50, "{c:?}: {n} positions");
        }
    }
}

/// Every candidate position once, with one fixed replacement each: a deterministic sweep on top
/// of the random cases below.
#[test]
fn every_position_changed_once_fails() {
    let (trust, _, now) = harness::fuzz_trust();
    let bytes = replacement_bytes();
    let mut failures = Vec::new();
    for t in [assertion_signed(), response_signed()] {
        for (k, &(pos, class)) in t.positions.iter().enumerate() {
            let mut b = bytes[k % bytes.len()];
            if b == t.xml[pos] {
                b = bytes[(k + 1) % bytes.len()];
            }
            let mut m = t.xml.clone();
            m[pos] = b;
            if let Ok(a) = saml_verify::verify(&m, trust, *now, None) {
                failures.push(format!(
                    "byte {pos} ({class:?}) {:?} -> {:?} accepted as {:?}",
                    t.xml[pos] as char, b as char, a.name_id
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

proptest! {
    #![proptest_config(config(4000))]

    /// (c) on the Assertion of generic-assertion-signed.xml.
    #[test]
    fn byte_change_in_signed_assertion_fails(pick in any::<usize>(), class in any::<u8>(), repl in any::<usize>()) {
        if let Err(why) = mutate_and_verify(assertion_signed(), pick, class, repl) {
            prop_assert!(false, "{}", why);
        }
    }

    /// (c) on the whole Response of generic-response-signed.xml.
    #[test]
    fn byte_change_in_signed_response_fails(pick in any::<usize>(), class in any::<u8>(), repl in any::<usize>()) {
        if let Err(why) = mutate_and_verify(response_signed(), pick, class, repl) {
            prop_assert!(false, "{}", why);
        }
    }
}
