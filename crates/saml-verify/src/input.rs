//! The HTTP-POST binding's `SAMLResponse` value (SAML bindings §3.5.4): base64 of the XML, often
//! line-wrapped with CRLF. Raw XML is accepted too (for tools). DEFLATE belongs to the Redirect
//! binding and is never applied: there is no inflation, so no decompression bomb.

use std::borrow::Cow;

use base64::Engine;

use crate::Error;

/// Largest decoded response accepted, in bytes (1 MiB). Real responses are 4 to 40 KB.
pub const MAX_RESPONSE_BYTES: usize = 1 << 20;

/// Largest encoded input looked at: base64 of the cap plus generous line breaks.
pub const MAX_ENCODED_BYTES: usize = MAX_RESPONSE_BYTES / 3 * 4 + MAX_RESPONSE_BYTES / 8 + 8;

/// Decode `input` to the XML bytes of the response.
pub fn decode(input: &[u8]) -> Result<Cow<'_, [u8]>, Error> {
    let body = trim_ascii(input);
    if body.is_empty() {
        return Err(Error::InputEmpty);
    }
    let looks_xml = body.first() == Some(&b'<') || body.starts_with(b"\xEF\xBB\xBF");
    if looks_xml {
        if body.len() > MAX_RESPONSE_BYTES {
            return Err(Error::InputTooLarge {
                size: body.len(),
                limit: MAX_RESPONSE_BYTES,
            });
        }
        let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
        return Ok(Cow::Borrowed(body));
    }
    if body.len() > MAX_ENCODED_BYTES {
        return Err(Error::InputTooLarge {
            size: body.len() / 4 * 3,
            limit: MAX_RESPONSE_BYTES,
        });
    }
    let compact: Vec<u8> = body
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let mut decoded = base64::engine::general_purpose::STANDARD
        .decode(&compact)
        .map_err(|_| Error::Base64Invalid)?;
    if decoded.len() > MAX_RESPONSE_BYTES {
        return Err(Error::InputTooLarge {
            size: decoded.len(),
            limit: MAX_RESPONSE_BYTES,
        });
    }
    let xml = trim_ascii(&decoded);
    if xml.is_empty() {
        return Err(Error::InputEmpty);
    }
    let xml = xml.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(xml);
    if xml.first() != Some(&b'<') {
        return Err(Error::malformed("the decoded SAMLResponse is not XML"));
    }
    // `xml` lies inside `decoded`: keep that range in place rather than copy it.
    let start = xml.as_ptr() as usize - decoded.as_ptr() as usize;
    let end = start + xml.len();
    decoded.truncate(end);
    decoded.drain(..start);
    Ok(Cow::Owned(decoded))
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &b[start..end]
}

/// Decode base64 text from inside an XML element (XML-DSig `base64Binary`): white space ignored.
pub(crate) fn base64_text(text: &str) -> Option<Vec<u8>> {
    // A run at a time between white space (IdPs wrap base64 every 64 or 76 characters), not a
    // byte at a time.
    let mut compact = Vec::with_capacity(text.len());
    for run in text.as_bytes().split(u8::is_ascii_whitespace) {
        compact.extend_from_slice(run);
    }
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_wrapped_base64_and_raw_xml() {
        assert_eq!(&*decode(b"PHIv\r\nPg==\r\n").unwrap(), b"<r/>");
        assert_eq!(&*decode(b"  <r/>\n").unwrap(), b"<r/>");
        // Decoded, then trimmed of white space and a byte order mark in place.
        let trimmed = decode(b"CiDvu788ciBhPSIxIi8+IAo=").unwrap();
        assert_eq!(&*trimmed, br#"<r a="1"/>"#);
        assert!(matches!(decode(b"<r/>").unwrap(), Cow::Borrowed(_)));
        assert_eq!(decode(b"").unwrap_err().code(), "input_empty");
        assert_eq!(decode(b"   ").unwrap_err().code(), "input_empty");
        assert_eq!(decode(b"!!notbase64").unwrap_err().code(), "base64_invalid");
        assert_eq!(decode(b"aGVsbG8=").unwrap_err().code(), "xml_malformed");
        let big = vec![b'<'; MAX_RESPONSE_BYTES + 1];
        assert_eq!(decode(&big).unwrap_err().code(), "input_too_large");
    }
}
