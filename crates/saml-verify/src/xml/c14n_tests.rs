use super::*;
use crate::xml::{parse, xorshift, Limits};

fn c14n(s: &str, prefixes: &[&str]) -> String {
    let d = parse(s.as_bytes(), Limits::default()).unwrap();
    let mut out = Vec::new();
    let p: Vec<String> = prefixes.iter().map(|s| s.to_string()).collect();
    canonicalize(&d, d.root(), None, &p, Budget(1 << 20), &mut out).unwrap();
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
        c14n(
            "<r xmlns=\"urn:d\" xmlns:u=\"urn:u\"><a:c xmlns:a=\"urn:d\"><e xmlns=\"\"/></a:c></r>",
            &[]
        ),
        "<r xmlns=\"urn:d\"><a:c xmlns:a=\"urn:d\"><e xmlns=\"\"></e></a:c></r>"
    );
    assert_eq!(
        c14n("<r xmlns:u=\"urn:u\"><c/></r>", &["u"]),
        "<r xmlns:u=\"urn:u\"><c></c></r>"
    );
}

/// The word-at-a-time escaping writes what escaping byte by byte writes, for strings that
/// put each special byte at every offset of a word and for random strings.
#[test]
fn escaping_matches_the_byte_rule() {
    fn naive(s: &str, attr: bool) -> String {
        s.chars()
            .map(|c| match (c, attr) {
                ('&', _) => "&amp;".to_owned(),
                ('<', _) => "&lt;".to_owned(),
                ('>', false) => "&gt;".to_owned(),
                ('"', true) => "&quot;".to_owned(),
                ('\t', true) => "&#x9;".to_owned(),
                ('\n', true) => "&#xA;".to_owned(),
                ('\r', _) => "&#xD;".to_owned(),
                (c, _) => c.to_string(),
            })
            .collect()
    }
    let run = |s: &str, attr: bool| {
        let mut out = String::new();
        let w = |b: &str| -> Result<(), ()> {
            out.push_str(b);
            Ok(())
        };
        if attr {
            escape_attr(s, w)
        } else {
            escape_text(s, w)
        }
        .unwrap();
        out
    };
    let specials = ['&', '<', '>', '"', '\t', '\n', '\r', 'é', '\u{1F}', ' '];
    let mut cases: Vec<String> = Vec::new();
    for len in 0..19 {
        for pos in 0..len {
            for c in specials {
                let mut s: Vec<char> = "abcdefghijklmnopqrs".chars().take(len).collect();
                s[pos] = c;
                cases.push(s.into_iter().collect());
            }
        }
    }
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    for _ in 0..5_000 {
        xorshift(&mut seed);
        let len = (seed % 30) as usize;
        cases.push(
            (0..len)
                .map(|i| {
                    let r = (seed >> (i % 8 * 8)) as usize;
                    if r % 5 == 0 {
                        specials[r / 5 % specials.len()]
                    } else {
                        'x'
                    }
                })
                .collect(),
        );
    }
    for s in &cases {
        assert_eq!(run(s, false), naive(s, false), "{s:?}");
        assert_eq!(run(s, true), naive(s, true), "{s:?}");
    }
}

#[test]
fn escapes_and_drops_comments() {
    assert_eq!(
        c14n(
            "<r a=\"&lt;&amp;&quot;&#9;&#xA;&#xD;&gt;\">&lt;&gt;&amp;&#xD;<!--x--><?p  d ?></r>",
            &[]
        ),
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
    canonicalize(&d, s, None, &[], Budget(1 << 20), &mut out).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "<p:s xmlns:p=\"urn:p\"><q:t xmlns:q=\"urn:q\"></q:t></p:s>"
    );
}
