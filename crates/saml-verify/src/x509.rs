//! What an operator reads off an IdP certificate: its subject (RFC 5280 §4.1.2.6) as a readable
//! distinguished name, and its validity (§4.1.2.5). Bounds-checked DER reads through [`der`];
//! anything unexpected is None, never a panic.

use crate::der::{expect, tlv};
use crate::time::Timestamp;

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const OID: u8 = 0x06;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;

/// Subject and validity of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CertInfo {
    pub subject: String,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
}

/// Read the subject and validity of a DER certificate.
pub(crate) fn info(der: &[u8]) -> Option<CertInfo> {
    let cert = expect(der, SEQUENCE)?;
    let tbs = expect(cert.body, SEQUENCE)?;
    let mut rest = tbs.body;
    if tlv(rest)?.tag == 0xA0 {
        rest = tlv(rest)?.rest; // [0] version
    }
    rest = tlv(rest)?.rest; // serialNumber
    rest = expect(rest, SEQUENCE)?.rest; // signature
    rest = expect(rest, SEQUENCE)?.rest; // issuer
    let validity = expect(rest, SEQUENCE)?;
    let nb = tlv(validity.body)?;
    let na = tlv(nb.rest)?;
    if !na.rest.is_empty() {
        return None;
    }
    let subject = expect(validity.rest, SEQUENCE)?;
    Some(CertInfo {
        subject: name(subject.body)?,
        not_before: time(nb.tag, nb.body)?,
        not_after: time(na.tag, na.body)?,
    })
}

/// RFC 5280 §4.1.2.5: UTCTime `YYMMDDHHMMSSZ` (YY ≥ 50 is 19YY) or GeneralizedTime
/// `YYYYMMDDHHMMSSZ`, both in UTC, seconds present, no fraction.
pub(crate) fn time(tag: u8, body: &[u8]) -> Option<Timestamp> {
    let text = core::str::from_utf8(body).ok()?;
    let digits = text.strip_suffix('Z')?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let full = match (tag, digits.len()) {
        (UTC_TIME, 12) => {
            let yy: u32 = digits.get(..2)?.parse().ok()?;
            let century = if yy >= 50 { "19" } else { "20" };
            format!("{century}{digits}")
        }
        (GENERALIZED_TIME, 14) => digits.to_owned(),
        _ => return None,
    };
    let p = |r: core::ops::Range<usize>| full.get(r);
    Timestamp::parse(&format!(
        "{}-{}-{}T{}:{}:{}Z",
        p(0..4)?,
        p(4..6)?,
        p(6..8)?,
        p(8..10)?,
        p(10..12)?,
        p(12..14)?
    ))
}

/// A Name (RDNSequence) as `C=US, O=Okta, CN=dev-1`, in the certificate's order (as OpenSSL
/// prints it); the values of a multi-valued RDN joined by ` + `.
fn name(mut rdns: &[u8]) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    while !rdns.is_empty() {
        let set = expect(rdns, SET)?;
        rdns = set.rest;
        let mut values: Vec<String> = Vec::new();
        let mut atvs = set.body;
        while !atvs.is_empty() {
            let atv = expect(atvs, SEQUENCE)?;
            atvs = atv.rest;
            let oid = expect(atv.body, OID)?;
            let value = tlv(oid.rest)?;
            values.push(format!(
                "{}={}",
                label(oid.body),
                text(value.tag, value.body)
            ));
        }
        parts.push(values.join(" + "));
    }
    Some(parts.join(", "))
}

/// The usual short name of an attribute type, or its dotted OID.
fn label(oid: &[u8]) -> String {
    let known: &[(&[u8], &str)] = &[
        (&[0x55, 0x04, 0x03], "CN"),
        (&[0x55, 0x04, 0x04], "SN"),
        (&[0x55, 0x04, 0x05], "serialNumber"),
        (&[0x55, 0x04, 0x06], "C"),
        (&[0x55, 0x04, 0x07], "L"),
        (&[0x55, 0x04, 0x08], "ST"),
        (&[0x55, 0x04, 0x09], "street"),
        (&[0x55, 0x04, 0x0a], "O"),
        (&[0x55, 0x04, 0x0b], "OU"),
        (&[0x55, 0x04, 0x0c], "title"),
        (&[0x55, 0x04, 0x2a], "GN"),
        (
            &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01],
            "emailAddress",
        ),
        (
            &[0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19],
            "DC",
        ),
        (
            &[0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01],
            "UID",
        ),
    ];
    match known.iter().find(|(k, _)| *k == oid) {
        Some((_, l)) => (*l).to_owned(),
        None => dotted(oid),
    }
}

/// X.690 §8.19: an OID's arcs (at most 64 bits each; anything longer shows as `?`).
fn dotted(oid: &[u8]) -> String {
    let mut arcs: Vec<String> = Vec::new();
    let mut acc: u64 = 0;
    for &b in oid {
        let Some(next) = acc.checked_mul(128).map(|a| a | u64::from(b & 0x7f)) else {
            return "?".into();
        };
        acc = next;
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (acc / 40).min(2);
                arcs.push(first.to_string());
                arcs.push((acc - first * 40).to_string());
            } else {
                arcs.push(acc.to_string());
            }
            acc = 0;
        }
    }
    arcs.join(".")
}

/// A DirectoryString's text: PrintableString, UTF8String, IA5String, T61String (read as
/// Latin-1); other types (BMPString, UniversalString) and control characters show as `?`.
fn text(tag: u8, body: &[u8]) -> String {
    let s: String = match tag {
        0x0c => String::from_utf8_lossy(body).into_owned(),
        0x13 | 0x16 | 0x14 => body.iter().map(|&b| char::from(b)).collect(),
        _ => "?".into(),
    };
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_time_forms() {
        let t = |tag, s: &str| time(tag, s.as_bytes()).map(|t| t.to_string());
        assert_eq!(
            t(UTC_TIME, "491231235959Z").as_deref(),
            Some("2049-12-31T23:59:59.000Z")
        );
        assert_eq!(
            t(UTC_TIME, "500101000000Z").as_deref(),
            Some("1950-01-01T00:00:00.000Z")
        );
        assert_eq!(
            t(GENERALIZED_TIME, "21170715174227Z").as_deref(),
            Some("2117-07-15T17:42:27.000Z")
        );
        for (tag, bad) in [
            (UTC_TIME, "4912312359Z"),
            (UTC_TIME, "491231235959"),
            (UTC_TIME, "491231235959+0100"),
            (UTC_TIME, "20491231235959Z"),
            (GENERALIZED_TIME, "491231235959Z"),
            (GENERALIZED_TIME, "20491231235959.5Z"),
            (GENERALIZED_TIME, "2049123123595aZ"),
            (GENERALIZED_TIME, "20490231235959Z"),
            (0x04, "491231235959Z"),
        ] {
            assert_eq!(t(tag, bad), None, "{bad}");
        }
    }

    #[test]
    fn names_and_oids() {
        assert_eq!(
            dotted(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d]),
            "1.2.840.113549"
        );
        assert_eq!(dotted(&[0x55, 0x1d, 0x0f]), "2.5.29.15");
        assert_eq!(text(0x1e, &[0, 0x41]), "?");
        assert_eq!(text(0x0c, "Zoë\n".as_bytes()), "Zoë?");
        assert_eq!(text(0x14, &[0x5a, 0xe9]), "Zé");
        // SET { SEQ { OID CN, PrintableString "a" }, SEQ { OID O, UTF8String "b" } }
        let rdn = [
            0x31, 0x14, 0x30, 0x08, 0x06, 0x03, 0x55, 0x04, 0x03, 0x13, 0x01, b'a', 0x30, 0x08,
            0x06, 0x03, 0x55, 0x04, 0x0a, 0x0c, 0x01, b'b',
        ];
        assert_eq!(name(&rdn).as_deref(), Some("CN=a + O=b"));
        assert_eq!(name(&rdn[..rdn.len() - 1]), None);
        assert_eq!(name(&[]).as_deref(), Some(""));
    }

    #[test]
    fn truncated_certificates_are_none() {
        assert_eq!(info(&[]), None);
        assert_eq!(info(&[0x30, 0x03, 0x30, 0x01, 0x02]), None);
    }
}
