//! The Security Settings page's certificate banner (issue #15, README "Certificate rollover"):
//! one line per pinned IdP certificate that expires within 30 days or has expired, in English
//! or French. Pure, for the page to call with the company's pinned certificates and `now`.

use saml_verify::{Timestamp, TrustedKey};

use crate::{html_escape as esc, Lang};

/// Days before NotAfter from which a certificate is shown (the 30-day warning's threshold).
pub const BANNER_DAYS: i64 = 30;

/// `<div class="banner" role="alert">…</div>` listing the certificates of `certs` that expire
/// within [`BANNER_DAYS`] of `now` (or have expired), or None when there are none.
pub fn expiry_banner(lang: Lang, certs: &[TrustedKey], now: Timestamp) -> Option<String> {
    let lines: Vec<String> = certs
        .iter()
        .filter(|k| jit::expiry::within(k.not_after(), now, BANNER_DAYS))
        .map(|k| line(lang, k, now))
        .collect();
    if lines.is_empty() {
        return None;
    }
    let items: String = lines.iter().map(|l| format!("<li>{l}</li>")).collect();
    Some(format!(
        "<div class=\"banner\" role=\"alert\"><ul>{items}</ul></div>"
    ))
}

fn line(lang: Lang, k: &TrustedKey, now: Timestamp) -> String {
    let fp = k.fingerprint();
    let short = fp.get(..16).unwrap_or(&fp);
    let date = k.not_after().to_string();
    let date = date.get(..10).unwrap_or(&date);
    let who = format!("{} (SHA-256 {short}…)", esc(k.subject()));
    let days = (k.not_after().unix_seconds() - now.unix_seconds()).div_euclid(86_400);
    match (lang, now >= k.not_after()) {
        (Lang::En, true) => format!(
            "The identity provider's certificate {who} expired on {date}. Add its successor \
             now, or import the identity provider's metadata again."
        ),
        (Lang::Fr, true) => format!(
            "Le certificat du fournisseur d'identité {who} a expiré le {date}. Ajoutez son \
             successeur dès maintenant, ou importez de nouveau les métadonnées du fournisseur \
             d'identité."
        ),
        (Lang::En, false) => format!(
            "The identity provider's certificate {who} expires on {date} (in {days} days). \
             Add its successor before then, or let the daily refresh from the metadata URL \
             pick it up."
        ),
        (Lang::Fr, false) => format!(
            "Le certificat du fournisseur d'identité {who} expire le {date} (dans {days} \
             jours). Ajoutez son successeur d'ici là, ou laissez l'actualisation quotidienne \
             depuis l'URL des métadonnées le prendre en compte."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDP: &str = include_str!("../../saml-verify/tests/vectors/keys/idp.crt");

    #[test]
    fn shown_from_thirty_days_before_in_both_languages() {
        let k = TrustedKey::from_certificate(IDP.as_bytes()).unwrap();
        let at = |days: i64| k.not_after().plus_seconds(-days * 86_400);
        let certs = std::slice::from_ref(&k);
        assert_eq!(expiry_banner(Lang::En, certs, at(31)), None);
        assert_eq!(expiry_banner(Lang::En, &[], at(0)), None);
        let en = expiry_banner(Lang::En, certs, at(30)).unwrap();
        assert!(en.contains("expires on 2099-12-31 (in 30 days)"), "{en}");
        assert!(
            en.contains("CN=idp.decorumsoft.test (SHA-256 bbbf13ee74b29617…)"),
            "{en}"
        );
        let fr = expiry_banner(Lang::Fr, certs, at(6)).unwrap();
        assert!(fr.contains("expire le 2099-12-31 (dans 6 jours)"), "{fr}");
        let gone = expiry_banner(Lang::En, certs, at(-2)).unwrap();
        assert!(gone.contains("expired on 2099-12-31"), "{gone}");
        let fr_gone = expiry_banner(Lang::Fr, certs, at(-2)).unwrap();
        assert!(fr_gone.contains("a expiré le 2099-12-31"), "{fr_gone}");
        assert!(en.starts_with("<div class=\"banner\" role=\"alert\"><ul><li>"));
    }
}
