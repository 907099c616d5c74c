//! The lexical layer of the parser: attributes split into namespace declarations and ordinary
//! attributes (Namespaces in XML §3, §6.3), QNames and NCNames (§4; XML 1.0 §2.3), attribute
//! value normalization (XML 1.0 §3.3.3), line endings (§2.11) and character references (§4.1).

use std::borrow::Cow;

use super::{is_xml_space, Attribute, XML_NS};
use crate::Error;

/// A name and a value: a namespace declaration (prefix, URI; prefix empty for `xmlns=`) or an
/// ordinary attribute (qualified name as written, normalized value).
pub(super) type Pair<'a> = (&'a str, Cow<'a, str>);

/// Split the attributes in a start tag's `content` (its name is the first `name_len` bytes)
/// into the namespace declarations, appended to `decls` (the document's list of them), and the
/// ordinary attributes, written to `attrs` (a buffer the parser reuses from one tag to the
/// next, cleared here).
pub(super) fn read_attributes<'a>(
    content: &'a str,
    name_len: usize,
    max: usize,
    decls: &mut Vec<Pair<'a>>,
    attrs: &mut Vec<Pair<'a>>,
) -> Result<(), Error> {
    let first = decls.len();
    attrs.clear();
    // Duplicates are checked by the parser, after namespace resolution ([`duplicate_attribute`],
    // which also catches two of one QName), and here for declarations
    // ([`duplicate_declaration`]).
    let mut at = name_len;
    while let Some((key, raw)) = next_attribute(content, &mut at)? {
        if decls.len() - first + attrs.len() >= max {
            return Err(Error::malformed("too many attributes"));
        }
        if key == "xmlns" || key.starts_with("xmlns:") {
            check_namespace_uri(raw)?;
        }
        let value = normalize_attr_value(raw)?;
        if key == "xmlns" {
            decls.push(("", value));
        } else if let Some(p) = key.strip_prefix("xmlns:") {
            if !is_ncname(p) {
                return Err(Error::malformed(format!("bad namespace prefix {p:?}")));
            }
            if value.is_empty() {
                return Err(Error::malformed(format!("prefix {p} bound to empty URI")));
            }
            if p == "xmlns" || (p == "xml") != (value == XML_NS) {
                return Err(Error::malformed(format!("reserved prefix {p} rebound")));
            }
            decls.push((p, value));
        } else {
            attrs.push((key, value));
        }
    }
    duplicate_declaration(decls.get(first..).unwrap_or(&[]))
}

/// The next attribute of a start tag's `content` from byte `at` on, as written: name and
/// unnormalized value (XML 1.0 §3.1: `(S Attribute)* S?`, `Attribute ::= Name Eq AttValue`,
/// `Eq ::= S? '=' S?`, the value in matching single or double quotes). None after the last.
/// The name's characters are checked when it is split ([`split_qname`]) and the value's when
/// it is normalized ([`normalize_attr_value`]: no `<`, references well-formed).
fn next_attribute<'a>(
    content: &'a str,
    at: &mut usize,
) -> Result<Option<(&'a str, &'a str)>, Error> {
    let b = content.as_bytes();
    let skip_space = |mut i: usize| {
        while b.get(i).copied().is_some_and(is_xml_space) {
            i += 1;
        }
        i
    };
    let start = skip_space(*at);
    if start >= b.len() {
        *at = start;
        return Ok(None);
    }
    if start == *at {
        return Err(Error::malformed(
            "attributes must be separated by white space",
        ));
    }
    let mut i = start;
    while b.get(i).is_some_and(|&c| c != b'=' && !is_xml_space(c)) {
        i += 1;
    }
    let key = content.get(start..i).filter(|k| !k.is_empty());
    let eq = skip_space(i);
    let (Some(key), Some(b'=')) = (key, b.get(eq)) else {
        return Err(Error::malformed("expected name=\"value\" in a start tag"));
    };
    let open = skip_space(eq + 1);
    let quote = match b.get(open) {
        Some(&q @ (b'"' | b'\'')) => q,
        _ => {
            return Err(Error::malformed(format!(
                "the value of {key} is not quoted"
            )))
        }
    };
    let close = b
        .get(open + 1..)
        .and_then(|rest| rest.iter().position(|&c| c == quote))
        .map(|n| open + 1 + n);
    let value = close.and_then(|c| content.get(open + 1..c));
    match (value, close) {
        (Some(value), Some(c)) => {
            *at = c + 1;
            Ok(Some((key, value)))
        }
        _ => Err(Error::malformed(format!(
            "the value of {key} is not closed"
        ))),
    }
}

/// Longest namespace URI accepted, in bytes. Real ones are under 100 (SAML's is 37).
pub const MAX_NAMESPACE_URI_BYTES: usize = 512;

/// A namespace URI is used as written, never normalized: no reference (`&`), no `"` and no
/// white space (none belongs in a URI reference, RFC 3986 §2), and at most [`MAX_NAMESPACE_URI_BYTES`].
/// Every element and attribute then borrows its resolved namespace from the input, so resolving
/// costs no copy, and comparing two of them is bounded.
fn check_namespace_uri(raw: &str) -> Result<(), Error> {
    if raw.len() > MAX_NAMESPACE_URI_BYTES {
        return Err(Error::malformed(format!(
            "a namespace URI is longer than {MAX_NAMESPACE_URI_BYTES} bytes"
        )));
    }
    // `"` too: c14n writes it back as `&quot;`, which would then be refused on the re-parse.
    if raw
        .bytes()
        .any(|b| b == b'&' || b == b'"' || is_xml_space(b))
    {
        return Err(Error::malformed(
            "a namespace URI holds a reference, a quote or white space",
        ));
    }
    Ok(())
}

/// Namespaces in XML §6.3: no two attributes with the same local name and namespace. Up to
/// eight (every element SAML defines) pairwise, without allocating; beyond, sorted, so the
/// check is O(n log n) comparisons of bounded names however many attributes there are.
pub(super) fn duplicate_attribute(attrs: &[Attribute<'_>]) -> Result<(), Error> {
    let same = |a: &Attribute<'_>, b: &Attribute<'_>| a.local == b.local && a.ns == b.ns;
    let found = if attrs.len() <= 8 {
        attrs
            .iter()
            .enumerate()
            .find_map(|(i, a)| attrs[i + 1..].iter().find(|b| same(a, b)))
            .map(|a| (a.local, &*a.ns))
    } else {
        let mut names: Vec<(&str, &str)> = attrs.iter().map(|a| (a.local, &*a.ns)).collect();
        names.sort_unstable();
        names.windows(2).find(|w| w[0] == w[1]).map(|w| w[0])
    };
    match found {
        Some((local, ns)) => Err(Error::DuplicateAttribute {
            name: format!("{{{ns}}}{local}"),
        }),
        None => Ok(()),
    }
}

/// XML 1.0 §3.1 (well-formedness: unique attribute specification): no prefix declared twice
/// on one element (`xmlns` counts as the empty prefix). Pairwise up to eight, sorted beyond.
fn duplicate_declaration(decls: &[Pair<'_>]) -> Result<(), Error> {
    let found = if decls.len() <= 8 {
        decls
            .iter()
            .enumerate()
            .find_map(|(i, (p, _))| decls[i + 1..].iter().find(|(q, _)| p == q))
            .map(|(p, _)| *p)
    } else {
        let mut prefixes: Vec<&str> = decls.iter().map(|(p, _)| *p).collect();
        prefixes.sort_unstable();
        prefixes.windows(2).find(|w| w[0] == w[1]).map(|w| w[0])
    };
    match found {
        Some("") => Err(Error::DuplicateAttribute {
            name: "xmlns".into(),
        }),
        Some(p) => Err(Error::DuplicateAttribute {
            name: format!("xmlns:{p}"),
        }),
        None => Ok(()),
    }
}

/// Split a QName (Namespaces in XML §4) into prefix and local part, both NCNames.
pub(super) fn split_qname(q: &str) -> Result<(&str, &str), Error> {
    // A byte scan: names are short, and ':' is ASCII, so its index is a char boundary.
    let colon = q.bytes().position(|b| b == b':');
    let (p, l) = match colon.and_then(|i| Some((q.get(..i)?, q.get(i + 1..)?))) {
        None => ("", q),
        Some((p, l)) if is_ncname(p) => (p, l),
        _ => ("", ""),
    };
    if !is_ncname(l) {
        return Err(Error::malformed(format!("bad name {q:?}")));
    }
    Ok((p, l))
}

/// An NCName: an XML 1.0 (fifth edition) §2.3 Name without colons.
pub(crate) fn is_ncname(s: &str) -> bool {
    // The same rule on bytes for the usual all-ASCII name, in one pass: a letter or `_`, then
    // letters, digits, `_`, `-`, `.` (a non-ASCII byte ends the pass: the general rule below).
    let b = s.as_bytes();
    if b.first()
        .is_some_and(|&c| c.is_ascii_alphabetic() || c == b'_')
    {
        match b
            .iter()
            .position(|&c| !(c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.')))
        {
            None => return true,
            Some(i) if b[i].is_ascii() => return false,
            Some(_) => {}
        }
    }
    let mut chars = s.chars();
    chars.next().is_some_and(is_name_start) && chars.all(|c| is_name_start(c) || is_name_char(c))
}

fn is_name_start(c: char) -> bool {
    matches!(c, 'A'..='Z' | 'a'..='z' | '_'
        | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}'
        | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}'
        | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}'
        | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

fn is_name_char(c: char) -> bool {
    matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// XML 1.0 §2.11: CR LF and lone CR become LF.
pub(super) fn normalize_newlines(s: &str) -> Cow<'_, str> {
    if !s.contains('\r') {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.replace("\r\n", "\n").replace('\r', "\n"))
}

/// XML 1.0 §3.3.3 for CDATA-typed attributes (there is no DTD): newlines normalized, each
/// literal white-space character becomes a space, then references are expanded (so `&#xA;`
/// survives as a line feed). Borrowed when there is nothing to change.
pub(super) fn normalize_attr_value(raw: &str) -> Result<Cow<'_, str>, Error> {
    // All five are ASCII, so a byte test finds exactly them (UTF-8 never uses bytes below 0x80
    // inside a multi-byte character) without decoding characters.
    if !has_control_or(raw.as_bytes(), [b'&', b'<', b'<']) {
        return Ok(Cow::Borrowed(raw));
    }
    let raw = normalize_newlines(raw);
    let mut out = String::with_capacity(raw.len());
    let mut rest: &str = &raw;
    while let Some(i) = rest.find(['&', '\t', '\n', '<']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        match tail.as_bytes()[0] {
            b'&' => {
                let end = tail
                    .find(';')
                    .ok_or_else(|| Error::malformed("unterminated reference in attribute"))?;
                out.push(resolve_reference(&tail[1..end])?);
                rest = &tail[end + 1..];
            }
            b'<' => return Err(Error::malformed("'<' in attribute value")),
            _ => {
                out.push(' ');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    Ok(Cow::Owned(out))
}

/// True when `b` holds a byte below 0x20 (TAB, LF or CR once `Char` is checked) or one of
/// `set`. Eight bytes at a time ([`word_has_control_or`]): this scan of every attribute value had
/// been 2 % of a verification byte by byte (perf, issue #16).
pub(super) fn has_control_or(b: &[u8], set: [u8; 3]) -> bool {
    let words = b.chunks_exact(8);
    let tail = words.remainder();
    // (A word that did not convert, which cannot happen, counts as a hit: callers then take
    // their exact, byte-by-byte path.)
    words
        .into_iter()
        .any(|w| <[u8; 8]>::try_from(w).map_or(true, |w| word_has_control_or(w, set)))
        || tail.iter().any(|&c| c < 0x20 || set.contains(&c))
}

/// True when one of the eight bytes of `w` is below 0x20 or in `set`: the "haszero" and
/// "hasless" word tests of Anderson's Bit Twiddling Hacks, exact for whether any byte matches
/// (the borrows they propagate only ever follow a byte that matched).
pub(super) fn word_has_control_or(w: [u8; 8], set: [u8; 3]) -> bool {
    const LO: u64 = u64::from_ne_bytes([1; 8]);
    const HI: u64 = LO << 7;
    let w = u64::from_ne_bytes(w);
    let zero = |v: u64| v.wrapping_sub(LO) & !v & HI;
    let below_space = w.wrapping_sub(LO * 0x20) & !w & HI;
    let [x, y, z] = set.map(|c| zero(w ^ (LO * u64::from(c))));
    below_space | x | y | z != 0
}

/// The five predefined entities and character references (XML 1.0 §4.1, §4.6). Any other
/// entity would need a DTD, which is refused.
pub(super) fn resolve_reference(name: &str) -> Result<char, Error> {
    let c = match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => {
            // XML 1.0 §4.1 CharRef: digits only (Rust's parsers would also take a leading '+').
            let code = if let Some(hex) = name.strip_prefix("#x") {
                hex.bytes()
                    .all(|b| b.is_ascii_hexdigit())
                    .then(|| u32::from_str_radix(hex, 16).ok())
                    .flatten()
            } else if let Some(dec) = name.strip_prefix('#') {
                dec.bytes()
                    .all(|b| b.is_ascii_digit())
                    .then(|| dec.parse::<u32>().ok())
                    .flatten()
            } else {
                return Err(Error::malformed(format!("undefined entity &{name};")));
            };
            let c = code
                .and_then(char::from_u32)
                .ok_or_else(|| Error::malformed(format!("bad character reference &{name};")))?;
            if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r')
                || matches!(c, '\u{FFFE}' | '\u{FFFF}')
            {
                return Err(Error::malformed(format!(
                    "character reference &{name}; not allowed"
                )));
            }
            c
        }
    };
    Ok(c)
}
