use super::*;
use crate::xml::xorshift;

fn p(s: &str) -> Result<Document<'_>, Error> {
    parse(s.as_bytes(), Limits::default())
}

#[test]
fn resolves_namespaces_and_normalizes() {
    let d = p("<a:r xmlns:a=\"urn:a\" x=\"1&#9;2\n3\"><b xmlns=\"urn:b\">t&amp;u<![CDATA[<v>]]>\r\nw</b></a:r>")
        .unwrap();
    let root = d.element(d.root()).unwrap();
    assert!(root.is("urn:a", "r"));
    assert_eq!(d.attr_of(root, "x"), Some("1\t2 3"));
    assert_eq!(d.attr(d.root(), "x"), Some("1\t2 3"));
    let (b, be) = d.child_elements(d.root()).next().unwrap();
    assert_eq!(be.ns, "urn:b");
    assert_eq!(d.text(b), "t&u<v>\nw");
}

#[test]
fn refuses_characters_xml_forbids_and_nothing_else() {
    for bad in ["\u{0}", "\u{1}", "\u{1F}", "\u{FFFE}", "\u{FFFF}"] {
        for doc in [
            format!("<r>{bad}</r>"),
            format!("<r a=\"{bad}\"/>"),
            format!("<r/>{bad}"),
        ] {
            assert!(p(&doc).is_err(), "{doc:?} accepted");
        }
    }
    // TAB, LF and CR, and the characters next to the forbidden ones, are allowed.
    for good in [
        "\t\n\r",
        "\u{FFFD}",
        "\u{FEFF}",
        "\u{EFFF}",
        "\u{F3FF}",
        "\u{10FFFF}",
        "\u{EFBE}",
    ] {
        assert!(
            p(&format!("<r a=\"{good}\">{good}</r>")).is_ok(),
            "{good:?} refused"
        );
    }
}

#[test]
fn ascii_names_follow_the_xml_name_rule() {
    // is_ncname's ASCII fast path against XML 1.0 §2.3 on characters, over every ASCII
    // string of one and two characters and a few longer ones.
    let rule = |s: &str| {
        let start = |c: char| c.is_ascii_alphabetic() || c == '_' || !c.is_ascii();
        let mut cs = s.chars();
        cs.next().is_some_and(start)
            && cs.all(|c| start(c) || c.is_ascii_digit() || c == '-' || c == '.')
    };
    let ascii: Vec<char> = (0u8..128).map(char::from).collect();
    for a in &ascii {
        assert_eq!(
            super::super::lexical::is_ncname(&a.to_string()),
            rule(&a.to_string())
        );
        for b in &ascii {
            let s = format!("{a}{b}");
            assert_eq!(super::super::lexical::is_ncname(&s), rule(&s), "{s:?}");
        }
    }
    for s in [
        "Assertion",
        "_x-1.2",
        "1a",
        "a:b",
        "",
        "-a",
        "saml2p",
        "a b",
    ] {
        assert_eq!(super::super::lexical::is_ncname(s), rule(s), "{s:?}");
    }
}

#[test]
fn refuses_hostile_structure() {
    let code = |s: &str| p(s).unwrap_err().code();
    assert_eq!(
        code("<!DOCTYPE r [<!ENTITY x \"y\">]><r>&x;</r>"),
        "doctype_forbidden"
    );
    assert_eq!(code("<r a=\"1\" a=\"2\"/>"), "duplicate_attribute");
    assert_eq!(code("<r ID=\"x\" ID=\"x\"/>"), "duplicate_attribute");
    assert_eq!(
        code("<r xmlns:p=\"u\" xmlns:q=\"u\" p:a=\"1\" q:a=\"2\"/>"),
        "duplicate_attribute"
    );
    // A prefix (or the default namespace) declared twice on one element, either way the
    // check runs.
    for filler in [0usize, 10] {
        let more: String = (0..filler)
            .map(|i| format!(" xmlns:n{i}=\"u{i}\""))
            .collect();
        for twice in ["xmlns:p=\"u\"", "xmlns=\"u\""] {
            let xml = format!("<r {twice}{more} {twice}/>");
            assert_eq!(code(&xml), "duplicate_attribute", "{xml}");
        }
    }
    // Both ways the check runs: pairwise up to eight attributes, sorted beyond.
    for filler in [2usize, 12] {
        let others: String = (0..filler).map(|i| format!(" f{i}=\"v\"")).collect();
        let xml = format!("<r xmlns:p=\"u\" xmlns:q=\"u\" p:a=\"1\"{others} q:a=\"2\"/>");
        assert_eq!(code(&xml), "duplicate_attribute", "{filler}");
        let xml = format!("<r xmlns:p=\"u\" xmlns:q=\"w\" p:a=\"1\"{others} q:a=\"2\"/>");
        assert!(parse(xml.as_bytes(), Limits::default()).is_ok(), "{filler}");
    }
    assert_eq!(code("<r><a ID=\"x\"/><b ID=\"x\"/></r>"), "duplicate_id");
    assert_eq!(code("<r>&ent;</r>"), "xml_malformed");
    assert_eq!(code("<p:r/>"), "xml_malformed");
    assert_eq!(code("<r></s>"), "xml_malformed");
    assert_eq!(code("<r>"), "xml_malformed");
    assert_eq!(code("<r/><r/>"), "xml_malformed");
    assert_eq!(code("<r>&#0;</r>"), "xml_malformed");
    for bad in [
        "<r>&#x+41;</r>",
        "<r>&#+65;</r>",
        "<r a=\"&#x+41;\"/>",
        "<r>&#x;</r>",
        "<r>&#;</r>",
    ] {
        assert_eq!(code(bad), "xml_malformed", "{bad}");
    }
    assert_eq!(p("<r>&#x41;&#66;</r>").unwrap().text(0), "AB");
    assert_eq!(code("<r>\u{1}</r>"), "xml_malformed");
    assert_eq!(code("<r xmlns:=\"u\"/>"), "xml_malformed");
    assert_eq!(code("<r xmlns:1p=\"u\"/>"), "xml_malformed");
    // Names must be XML Names (found by fuzzing: c14n wrote them back unparsable).
    for bad in [
        "<<//>",
        "<a/ >x</a/ >",
        "<<!DOCTYPE1/\n/>",
        "<1a/>",
        "<a:/>",
        "<:a/>",
        "<a b:=\"1\"/>",
        "<a -b=\"1\"/>",
        "<r><?1pi x?></r>",
    ] {
        assert_eq!(code(bad), "xml_malformed", "{bad}");
    }
    assert!(p("<é-1.x_y xmlns:p=\"u\" p:a·b=\"1\"/>").is_ok());
    // Prefix resolution is bounded: at most 512 bindings in scope.
    let decls: String = (0..200).map(|i| format!(" xmlns:p{i}=\"u\"")).collect();
    let nested = format!(
        "<a{decls}><b{}><c{}/></b></a>",
        decls.replace("xmlns:p", "xmlns:q"),
        decls.replace("xmlns:p", "xmlns:r")
    );
    assert_eq!(code(&nested), "xml_malformed");
    assert_eq!(code(""), "xml_malformed");
    let deep = "<a>".repeat(200) + &"</a>".repeat(200);
    assert_eq!(code(&deep), "depth_exceeded");
}

/// Start-tag attribute syntax (XML 1.0 §3.1): white space around `=` and between attributes,
/// either quote, the other quote and `>` inside a value; anything else is refused.
#[test]
fn reads_attribute_syntax_exactly() {
    let d = p("<r a = \"x'>y\"\tb='\"q\"'\n c=\"\"  \r\n/>").unwrap();
    let got: Vec<(&str, &str)> = d
        .attrs(d.element(0).unwrap())
        .iter()
        .map(|a| (a.local, &*a.value))
        .collect();
    assert_eq!(got, [("a", "x'>y"), ("b", "\"q\""), ("c", "")]);
    assert!(p("<r a=\"1\"></r >").is_ok());
    for bad in [
        "<r a=\"1\"b=\"2\"/>",
        "<r a/>",
        "<r a />",
        "<r a=/>",
        "<r a=1/>",
        "<r a='1\"/>",
        "<r =\"1\"/>",
        "<r a=\"1\" =/>",
        "<r a==\"1\"/>",
        "<r a=\"1\" / >",
        "<r a=\"<\"/>",
        "<r a=\"&\"/>",
    ] {
        assert_eq!(p(bad).unwrap_err().code(), "xml_malformed", "{bad}");
    }
}

/// Every element's declarations and attributes are its own, however elements nest (they share
/// two document-wide lists).
#[test]
fn attributes_and_declarations_stay_with_their_element() {
    let d = p(r#"<r xmlns:a="urn:a" a:x="1" y="2"><c xmlns:b="urn:b" xmlns="urn:d" b:z="3"/><e/><f w="4"/></r>"#)
        .unwrap();
    let names = |id: NodeId| -> (Vec<String>, Vec<String>) {
        let e = d.element(id).unwrap();
        let decls = d
            .ns_decls(e)
            .iter()
            .map(|(p, u)| format!("{p}={u}"))
            .collect();
        let attrs = d
            .attrs(e)
            .iter()
            .map(|a| format!("{{{}}}{}={}", a.ns, a.local, a.value))
            .collect();
        (decls, attrs)
    };
    assert_eq!(
        names(d.root()),
        (
            vec!["a=urn:a".into()],
            vec!["{urn:a}x=1".into(), "{}y=2".into()]
        )
    );
    let kids: Vec<NodeId> = d.child_elements(d.root()).map(|(id, _)| id).collect();
    assert_eq!(
        names(kids[0]),
        (
            vec!["b=urn:b".into(), "=urn:d".into()],
            vec!["{urn:b}z=3".into()]
        )
    );
    assert_eq!(names(kids[1]), (vec![], vec![]));
    assert_eq!(names(kids[2]), (vec![], vec!["{}w=4".into()]));
    assert_eq!(d.attr(kids[2], "w"), Some("4"));
    assert_eq!(d.attr(kids[2], "y"), None);
}

/// Names, and values and text that need no change, point into the input (no copies).
#[test]
fn borrows_what_needs_no_change() {
    let input = "<a:r xmlns:a=\"urn:a\" x=\"1\" y=\"&amp;\">t<b>u&amp;v</b></a:r>";
    let d = p(input).unwrap();
    let e = d.element(d.root()).unwrap();
    assert!(matches!(e.ns, Cow::Borrowed("urn:a")));
    assert!(matches!(d.attrs(e)[0].value, Cow::Borrowed("1")));
    assert!(matches!(d.attrs(e)[1].value, Cow::Owned(ref v) if v == "&"));
    let texts: Vec<&Cow<str>> = d
        .nodes
        .iter()
        .filter_map(|n| match &n.kind {
            NodeKind::Text(t) => Some(t),
            _ => None,
        })
        .collect();
    assert!(matches!(texts[0], Cow::Borrowed("t")));
    assert!(matches!(texts[1], Cow::Owned(t) if t == "u&v"));
    let inside = |s: &str| within(input, s).is_some();
    assert!(inside(e.local) && inside(e.prefix));
    assert!(!inside(&String::from("r")));
}

#[test]
fn comment_does_not_split_text() {
    let d = p("<r>ab<!-- c -->cd</r>").unwrap();
    assert_eq!(d.text(d.root()), "abcd");
    let d = p("<r>a<!--x-->b<?p q?>c<e>not mine</e>d</r>").unwrap();
    assert_eq!(d.text(d.root()), "abcd");
    // One text child is lent, not copied; none is empty.
    let d = p("<r>just&amp;this<e/></r>").unwrap();
    assert!(matches!(d.text(d.root()), Cow::Borrowed("just&this")));
    assert_eq!(d.text(d.child_elements(d.root()).next().unwrap().0), "");
}

/// The word-at-a-time scan answers exactly as the byte-by-byte rule, for every byte value in
/// every position of a word and in the tail, and for random strings.
#[test]
fn has_control_or_matches_the_byte_rule() {
    use super::super::lexical::has_control_or;
    let rule = |b: &[u8]| {
        b.iter()
            .any(|&c| c < 0x20 || c == b'&' || c == b'<' || c == b'>')
    };
    for len in 0..20 {
        for pos in 0..len {
            for v in 0..=255u8 {
                let mut b = vec![b'a'; len];
                b[pos] = v;
                assert_eq!(has_control_or(&b, [b'&', b'<', b'>']), rule(&b), "{b:?}");
                // Neighbours that borrow in the word arithmetic (0x00, 0x80, 0xFF).
                for n in [0u8, 0x1F, 0x20, 0x80, 0xFF] {
                    if pos + 1 < len {
                        b[pos + 1] = n;
                        assert_eq!(has_control_or(&b, [b'&', b'<', b'>']), rule(&b), "{b:?}");
                    }
                }
            }
        }
    }
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..20_000 {
        xorshift(&mut seed);
        let len = (seed % 40) as usize;
        let b: Vec<u8> = (0..len)
            .map(|i| {
                let r = (seed >> (i % 8 * 8)) as u8;
                // Mostly printable, sometimes a byte of interest.
                if r % 7 == 0 {
                    [b'&', b'<', b'\t', 0x1F, 0x20, 0xC3][(r / 7 % 6) as usize]
                } else {
                    r | 0x20
                }
            })
            .collect();
        assert_eq!(has_control_or(&b, [b'&', b'<', b'>']), rule(&b), "{b:?}");
    }
}
