//! The body of `/login/{company}`: the email form, and after it is posted, the SAML SSO link
//! for someone who has signed in with SAML before, or a note that there is none.

use crate::page_text::{t, Text};
use crate::{html_escape as esc, Lang};

/// The email form, `email` filled in (escaped).
pub fn form(lang: Lang, company: &str, email: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/login/{c}?lang={l}\"><label for=\"email\">{label}</label><br>\
<input id=\"email\" name=\"email\" type=\"email\" value=\"{e}\" required> <button id=\"continue\" type=\"submit\">{cont}</button></form>",
        c = esc(company),
        l = lang.tag(),
        label = t(lang, Text::EmailLabel),
        e = esc(email),
        cont = t(lang, Text::Continue),
    )
}

/// The form again, then the SSO link when `known` (the address has signed in with SAML
/// before), else the note. The link is a link, not a form: CSP `form-action 'self'` would block
/// a form's redirect to the IdP's origin.
pub fn answer(lang: Lang, company: &str, email: &str, known: bool) -> String {
    if known {
        format!(
            "{}<p><a id=\"sso\" role=\"button\" href=\"/saml/{c}/login?email={e}\">{sso}</a></p>",
            form(lang, company, email),
            c = esc(company),
            e = esc(&jit::sp_initiated::percent_encode(email)),
            sso = t(lang, Text::SsoButton),
        )
    } else {
        format!(
            "{}<p id=\"no_sso\">{}</p>",
            form(lang, company, email),
            t(lang, Text::NoSso)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_links_only_known_addresses() {
        let known = answer(Lang::En, "acme", "a\"b@x.com", true);
        assert!(known.contains("value=\"a&quot;b@x.com\""), "{known}");
        assert!(
            known.contains("href=\"/saml/acme/login?email=a%22b%40x.com\""),
            "{known}"
        );
        let unknown = answer(Lang::Fr, "acme", "jo@x.com", false);
        assert!(unknown.contains("id=\"no_sso\"") && !unknown.contains("id=\"sso\""));
        assert!(form(Lang::Fr, "a<b", "").contains("action=\"/login/a&lt;b?lang=fr\""));
    }
}
