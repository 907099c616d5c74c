//! The worker's pure HTTP and HTML: form decoding (WHATWG URL §5.1), content negotiation
//! (RFC 9110 §12.5), refusal pages, security headers, SP metadata, cookies; the admin and
//! sign-in pages' texts in [`page_text`]. No `worker` and no I/O here, so all of it is
//! unit-tested natively; `src/` (the worker adapter) calls it.
#![forbid(unsafe_code)]

pub mod account;
pub mod cert_banner;
pub use account::account_html;
pub mod demo_pages;
#[cfg(feature = "demo")]
pub mod demo_sign;
pub mod explain;
pub mod json_out;
pub mod lifecycle_form;
pub mod login_page;
pub mod page_text;
pub mod setup_pages;
pub mod setup_text;
pub mod sp_key_cache;

pub use jit::refusal_text::Lang;
use jit::{Code, Refusal};

/// Largest ACS form body read (bytes): a 1 MiB response is 1.4 MiB of base64.
pub const MAX_FORM_BYTES: usize = 2 << 20;
/// Largest support-API JSON body read (bytes): the JSON reader's own cap, so the two cannot drift.
pub const MAX_JSON_BYTES: usize = jit::wire::MAX_BYTES;

/// Headers on every response: no framing, no sniffing, no referrer, a locked-down CSP.
pub const SECURITY_HEADERS: [(&str, &str); 5] = [
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store"),
];

/// Pick English or French from `Accept-Language` (RFC 9110 §12.5.4), English by default.
pub fn negotiate_lang(accept_language: Option<&str>) -> Lang {
    let mut best = (Lang::En, 0u16);
    for part in accept_language.unwrap_or("").split(',') {
        let mut it = part.split(';');
        let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = it
            .find_map(|p| p.trim().strip_prefix("q=").and_then(qvalue))
            .unwrap_or(1000);
        let lang = match tag.split('-').next() {
            Some("fr") => Lang::Fr,
            Some("en") => Lang::En,
            _ => continue,
        };
        if q > best.1 {
            best = (lang, q);
        }
    }
    best.0
}

/// An RFC 9110 §12.4.2 qvalue in thousandths: `0[.ddd]` or `1[.000]` (no float parsing, which
/// would pull a float parser into the worker).
fn qvalue(v: &str) -> Option<u16> {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = frac
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0u16, |acc, b| acc * 10 + u16::from(b - b'0'));
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// True when the client asked for JSON rather than a page.
pub fn wants_json(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| a.contains("application/json"))
}

/// Decode an `application/x-www-form-urlencoded` body (WHATWG URL §5.1) into pairs.
pub fn parse_form(body: &[u8]) -> Result<Vec<(String, String)>, Refusal> {
    let mut out = Vec::new();
    for pair in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let (k, v) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &b""[..]),
        };
        out.push((percent_decode(k)?, percent_decode(v)?));
    }
    Ok(out)
}

fn percent_decode(s: &[u8]) -> Result<String, Refusal> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < s.len() => match (hex(s[i + 1]), hex(s[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| Refusal::new(Code::FormNotUtf8, "form value is not UTF-8"))
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The single value of `name` in a decoded form: missing and repeated fields are refused
/// (a repeated SAMLResponse is how parser-differential attacks start).
pub fn single<'a>(
    form: &'a [(String, String)],
    name: &str,
    required: bool,
) -> Result<Option<&'a str>, Refusal> {
    let mut values = form
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str());
    let first = values.next();
    if values.next().is_some() {
        return Err(Refusal::new(
            Code::FormFieldDuplicate,
            format!("{name} given more than once"),
        ));
    }
    match first {
        None | Some("") if required => Err(Refusal::new(
            Code::FormFieldMissing,
            format!("{name} is missing"),
        )),
        v => Ok(v),
    }
}

/// `application/x-www-form-urlencoded`, with or without parameters.
pub fn is_form_content_type(ct: Option<&str>) -> bool {
    ct.and_then(|c| c.split(';').next()).is_some_and(|m| {
        m.trim()
            .eq_ignore_ascii_case("application/x-www-form-urlencoded")
    })
}

/// Escape text for HTML element content and attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A plain page: a title and paragraphs (already escaped HTML).
pub fn page(lang: Lang, title: &str, body_html: &str) -> String {
    format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
<title>{t}</title><style>body{{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#222}}\
code{{background:#f3f3f3;padding:0 .3em}}button{{font-size:1rem;padding:.4rem .9rem;margin:.2rem 0}}</style></head>\
<body><h1>{t}</h1>{body_html}</body></html>",
        lang.tag(),
        t = html_escape(title),
    )
}

/// The refusal page for a person.
pub fn refusal_page(code: Code, reference: &str, lang: Lang) -> String {
    let (title, ref_label, code_label) = match lang {
        Lang::En => ("Sign-in failed", "Reference", "Error code"),
        Lang::Fr => ("Échec de la connexion", "Référence", "Code d'erreur"),
    };
    let body = format!(
        "<p>{}</p><p>{ref_label}: <code>{}</code><br>{code_label}: <code>{}</code></p>",
        html_escape(code.message().text(lang)),
        html_escape(reference),
        html_escape(code.as_str())
    );
    page(lang, title, &body)
}

/// SP metadata (SAML metadata §2.4.4 SPSSODescriptor): one HTTP-POST ACS, emailAddress NameID,
/// and a KeyDescriptor `use="encryption"` (§2.4.1.1) per encryption certificate (base64 DER).
pub fn sp_metadata(entity_id: &str, acs_url: &str, encryption_certs: &[String]) -> String {
    let mut keys = String::new();
    for cert in encryption_certs {
        keys.push_str(&format!(
            "<md:KeyDescriptor use=\"encryption\"><ds:KeyInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:X509Data>\
<ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>\
<md:EncryptionMethod Algorithm=\"http://www.w3.org/2009/xmlenc11#aes256-gcm\"/>\
<md:EncryptionMethod Algorithm=\"http://www.w3.org/2009/xmlenc11#aes128-gcm\"/>\
<md:EncryptionMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#aes256-cbc\"/>\
<md:EncryptionMethod Algorithm=\"http://www.w3.org/2009/xmlenc11#rsa-oaep\"/>\
<md:EncryptionMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p\"/></md:KeyDescriptor>",
            html_escape(cert)
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"{}\">\
<md:SPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">{keys}\
<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>\
<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>\
<md:AssertionConsumerService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" Location=\"{}\" index=\"0\" isDefault=\"true\"/>\
</md:SPSSODescriptor></md:EntityDescriptor>\n",
        html_escape(entity_id),
        html_escape(acs_url)
    )
}

/// The base64 body of a PEM certificate, as metadata carries it.
pub fn pem_body(pem: &str) -> String {
    pem.lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::trim)
        .collect()
}

/// This company's SP decryption keys from the `SP_KEYS` secret: a JSON object mapping company
/// IDs to arrays of PEM private keys. Errors never quote key material.
pub fn sp_keys_from_secret(
    secret: &str,
    company: &str,
) -> Result<Vec<saml_verify::DecryptionKey>, String> {
    if secret.trim().is_empty() {
        return Ok(Vec::new());
    }
    let shape = || "SP_KEYS is not a JSON object of company -> [PEM]".to_owned();
    // A company listed twice makes the whole secret invalid (README "Company settings").
    let Ok(jit::wire::UniqueMap(map)) =
        jit::wire::from_slice::<jit::wire::UniqueMap<Vec<String>>>(secret.as_bytes())
    else {
        return Err(shape());
    };
    let pems = map
        .into_iter()
        .find(|(id, _)| id == company)
        .map(|(_, list)| list)
        .unwrap_or_default();
    pems.iter()
        .enumerate()
        .map(|(i, pem)| {
            saml_verify::DecryptionKey::from_pem(pem)
                .map_err(|_| format!("SP_KEYS[{company}][{i}] is not an RSA private key in PEM"))
        })
        .collect()
}

/// True for origins on the loopback interface, where cookies cannot be `Secure`.
pub fn is_loopback_origin(origin: &str) -> bool {
    let host = origin.strip_prefix("http://").unwrap_or("");
    let host = host.split(['/', ':']).next().unwrap_or("");
    matches!(host, "127.0.0.1" | "localhost") || origin.starts_with("http://[::1]")
}

/// The `Set-Cookie` value for a session.
pub fn session_cookie(value: &str, secure: bool) -> String {
    format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        jit::session::COOKIE_NAME,
        jit::session::MAX_AGE_SECONDS,
        if secure { "; Secure" } else { "" }
    )
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie<'a>(header: Option<&'a str>, name: &str) -> Option<&'a str> {
    header?
        .split(';')
        .find_map(|c| c.trim().strip_prefix(name)?.strip_prefix('='))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode_and_refuse_ambiguity() {
        let f = parse_form(b"SAMLResponse=PHI%2B%2F%3D&RelayState=%2Freports+x&x").unwrap();
        assert_eq!(single(&f, "SAMLResponse", true).unwrap(), Some("PHI+/="));
        assert_eq!(single(&f, "RelayState", false).unwrap(), Some("/reports x"));
        assert_eq!(single(&f, "Nope", false).unwrap(), None);
        assert_eq!(
            single(&f, "Nope", true).unwrap_err().code,
            "form_field_missing"
        );
        let dup = parse_form(b"SAMLResponse=a&SAMLResponse=b").unwrap();
        assert_eq!(
            single(&dup, "SAMLResponse", true).unwrap_err().code,
            "form_field_duplicate"
        );
        assert_eq!(parse_form(b"a=%FF%FE").unwrap_err().code, "form_not_utf8");
        assert_eq!(parse_form(b"a=%4").unwrap()[0].1, "%4");
        assert_eq!(parse_form(b"a=%").unwrap()[0].1, "%");
        assert_eq!(
            single(&parse_form(b"SAMLResponse=").unwrap(), "SAMLResponse", true)
                .unwrap_err()
                .code,
            "form_field_missing"
        );
    }

    #[test]
    fn negotiates_language_and_format() {
        assert_eq!(negotiate_lang(Some("fr-FR,fr;q=0.9,en;q=0.8")), Lang::Fr);
        assert_eq!(negotiate_lang(Some("en-US,fr;q=0.5")), Lang::En);
        assert_eq!(negotiate_lang(Some("de, fr;q=0.4")), Lang::Fr);
        assert_eq!(negotiate_lang(None), Lang::En);
        assert_eq!(negotiate_lang(Some("en;q=0.5, fr;q=0.501")), Lang::Fr);
        assert_eq!(negotiate_lang(Some("fr;q=0, en;q=0.001")), Lang::En);
        assert_eq!(negotiate_lang(Some("fr;q=0")), Lang::En);
        for (v, q) in [
            ("0", Some(0)),
            ("0.5", Some(500)),
            ("0.123", Some(123)),
            ("1", Some(1000)),
        ] {
            assert_eq!(qvalue(v), q, "{v}");
        }
        for v in ["1.000", "0.", "1."] {
            assert!(qvalue(v).is_some(), "{v}");
        }
        for v in ["", "2", "1.5", "0.1234", "-0", "0.x", "abc", ".5"] {
            assert_eq!(qvalue(v), None, "{v}");
        }
        assert!(wants_json(Some("application/json")));
        assert!(!wants_json(Some("text/html,*/*")));
        assert!(is_form_content_type(Some(
            "application/x-www-form-urlencoded; charset=UTF-8"
        )));
        assert!(!is_form_content_type(Some("text/plain")));
        assert!(!is_form_content_type(None));
    }

    #[test]
    fn pages_escape_and_translate() {
        let p = refusal_page(Code::DomainNotAllowed, "<ref>", Lang::Fr);
        assert!(p.contains("lang=\"fr\"") && p.contains("&lt;ref&gt;") && p.contains("domaine"));
        assert!(refusal_page(Code::Expired, "r1", Lang::En).contains("expired"));
        let md = sp_metadata(
            "https://x/saml/a/metadata",
            "https://x/saml/a/acs",
            &["MIIB".into()],
        );
        assert!(md.contains("entityID=\"https://x/saml/a/metadata\""));
        assert!(md.contains("use=\"encryption\"") && md.contains(">MIIB<"));
        assert!(!sp_metadata("e", "a", &[]).contains("KeyDescriptor"));
    }

    #[test]
    fn cookies_and_origins() {
        assert!(is_loopback_origin("http://127.0.0.1:8787"));
        assert!(is_loopback_origin("http://localhost:8787"));
        assert!(!is_loopback_origin("https://sso.example.com"));
        assert!(!is_loopback_origin("http://127.0.0.1.evil.io"));
        assert!(session_cookie("v", true).ends_with("; Secure"));
        assert!(!session_cookie("v", false).contains("Secure"));
        assert_eq!(
            cookie(Some("a=1; saml_jit_session=v1.x.y"), "saml_jit_session"),
            Some("v1.x.y")
        );
        assert_eq!(
            cookie(Some("saml_jit_sessionx=1"), "saml_jit_session"),
            None
        );
    }
}

/// Percent-decode a path segment (an email in `/users/{email}`).
pub fn path_segment(raw: &str) -> Option<String> {
    percent_decode(raw.replace('+', "%2B").as_bytes()).ok()
}

#[cfg(test)]
mod secret_tests {
    use super::*;

    #[test]
    fn sp_keys_come_from_the_secret_without_echoing_it() {
        assert!(sp_keys_from_secret("", "acme").unwrap().is_empty());
        assert!(sp_keys_from_secret("{}", "acme").unwrap().is_empty());
        let err = sp_keys_from_secret(
            r#"{"acme":["-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----"]}"#,
            "acme",
        )
        .unwrap_err();
        assert!(!err.contains("c2VjcmV0") && err.contains("SP_KEYS[acme][0]"));
        assert!(sp_keys_from_secret("not json", "acme")
            .unwrap_err()
            .contains("SP_KEYS"));
        let pem = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../demo/dev-idp.key"
        ))
        .unwrap();
        let secret = serde_json::json!({ "acme": [pem] }).to_string();
        assert_eq!(sp_keys_from_secret(&secret, "acme").unwrap().len(), 1);
        // A company listed twice voids the secret, whichever company signs in.
        let twice = format!(
            r#"{{"acme":[],"other":[],"acme":{}}}"#,
            serde_json::json!([pem])
        );
        assert!(sp_keys_from_secret(&twice, "other").is_err());
        assert!(sp_keys_from_secret(&twice, "acme").is_err());
        assert!(sp_keys_from_secret(r#"{"acme":"pem"}"#, "acme").is_err());
        assert!(
            format!("{:?}", sp_keys_from_secret(&secret, "acme").unwrap()).contains("redacted")
        );
    }

    #[test]
    fn secrets_compare_exactly() {
        assert_eq!(
            path_segment("jon%40decorumsoft.com").as_deref(),
            Some("jon@decorumsoft.com")
        );
        assert_eq!(path_segment("a+b%40x.com").as_deref(), Some("a+b@x.com"));
    }
}
