//! The demo IdP's and demo dashboard's pages (feature `demo`, served only when the `DEMO` var
//! is `1`): whole HTML documents, so that `src/demo.rs` only reads the request and answers.

use crate::{html_escape as esc, page, Lang};

/// Who the demo IdP offers to sign in as, and what happens to each.
pub const PEOPLE: [(&str, &str); 3] = [
    (
        "jane.smith@decorumsoft.com",
        "new user, same domain as a confirmed user: provisioned",
    ),
    (
        "jon.smith@decorumsoft.com",
        "existing confirmed user: signed in",
    ),
    (
        "jon.smith@decorumsoft.eu",
        "new user, decorumsoft.eu has no user: refused",
    ),
];

/// `GET /demo/idp`: pick who signs in.
pub fn idp_page() -> String {
    let mut body = String::from("<p>A development identity provider. Each button signs an IdP-initiated SAML Response for company <code>decorumsoft</code> and posts it to the service provider.</p>");
    for (email, what) in PEOPLE {
        body.push_str(&format!(
            "<form method=\"post\" action=\"/demo/idp\"><input type=\"hidden\" name=\"company\" value=\"decorumsoft\"><input type=\"hidden\" name=\"email\" value=\"{e}\">\
<button type=\"submit\">Sign in as {e}</button> <small>({w})</small></form>",
            e = esc(email),
            w = esc(what)
        ));
    }
    body.push_str("<form method=\"post\" action=\"/demo/idp\"><input type=\"hidden\" name=\"company\" value=\"decorumsoft\"><input name=\"email\" placeholder=\"someone@decorumsoft.com\"> <button type=\"submit\">Sign in</button></form>");
    page(Lang::En, "Demo identity provider", &body)
}

/// `POST /demo/idp`'s answer: the signed response (base64), to post to the ACS.
pub fn continue_page(email: &str, acs_url: &str, response_b64: &str) -> String {
    let body = format!(
        "<p>Signed a SAML Response for <code>{}</code>. Post it to the service provider:</p>\
<form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"SAMLResponse\" value=\"{}\"><button type=\"submit\">Continue</button></form>",
        esc(email),
        esc(acs_url),
        esc(response_b64)
    );
    page(Lang::En, "Demo identity provider", &body)
}

/// `GET /demo/dashboard`: who is signed in (None: nobody) and their account's HTML.
pub fn dashboard_page(signed_in: Option<(&str, &str)>, account: &str) -> String {
    let body = match signed_in {
        None => "<p>Nobody is signed in. Start at the <a href=\"/demo/idp\">demo identity provider</a>.</p>".to_string(),
        Some((email, company)) => format!(
            "<p>Signed in as <strong>{}</strong> at company <code>{}</code>.</p>{account}<p><a href=\"/demo/idp\">Back to the demo identity provider</a></p>",
            esc(email),
            esc(company)
        ),
    };
    page(Lang::En, "Demo dashboard", &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_escape_what_they_show() {
        assert!(idp_page().contains("Sign in as jane.smith@decorumsoft.com"));
        let c = continue_page("<a>@x.com", "https://sp/acs", "PHg+");
        assert!(c.contains("&lt;a&gt;@x.com") && c.contains("value=\"PHg+\""));
        assert!(dashboard_page(None, "").contains("Nobody is signed in"));
        let d = dashboard_page(Some(("j@x.com", "acme")), "<dl></dl>");
        assert!(d.contains("<strong>j@x.com</strong>") && d.contains("<dl></dl>"));
    }
}
