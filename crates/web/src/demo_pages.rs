//! The demo IdP's and demo dashboard's HTML (the worker serves them only with the `demo`
//! feature and `DEMO=1`), built here so that it is tested natively.

use crate::{html_escape as esc, page, Lang};
use jit::ports::User;

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

/// `POST /demo/idp`: the signed response (base64), in a form posting it to the ACS.
pub fn signed_page(email: &str, acs_url: &str, saml_response_b64: &str) -> String {
    let body = format!(
        "<p>Signed a SAML Response for <code>{}</code>. Post it to the service provider:</p>\
<form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"SAMLResponse\" value=\"{}\"><button type=\"submit\">Continue</button></form>",
        esc(email),
        esc(acs_url),
        esc(saml_response_b64)
    );
    page(Lang::En, "Demo identity provider", &body)
}

/// `GET /demo/dashboard`: who signed in (company, email) and their account, or nobody.
pub fn dashboard(session: Option<(&str, &str)>, user: Option<&User>) -> String {
    let Some((company, email)) = session else {
        let body = "<p>Nobody is signed in. Start at the <a href=\"/demo/idp\">demo identity provider</a>.</p>";
        return page(Lang::En, "Demo dashboard", body);
    };
    let details = user.map_or(String::new(), crate::account_html);
    let body = format!(
        "<p>Signed in as <strong>{}</strong> at company <code>{}</code>.</p>{details}<p><a href=\"/demo/idp\">Back to the demo identity provider</a></p>",
        esc(email),
        esc(company)
    );
    page(Lang::En, "Demo dashboard", &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_pages_escape_what_they_show() {
        assert!(idp_page().contains("jon.smith@decorumsoft.eu"));
        let signed = signed_page("a<b@x.com", "https://sp/acs", "PHNhbWw+");
        assert!(signed.contains("a&lt;b@x.com") && signed.contains("PHNhbWw+"));
        assert!(dashboard(None, None).contains("Nobody is signed in"));
        let d = dashboard(Some(("acme", "<jane>@x.com")), None);
        assert!(d.contains("&lt;jane&gt;@x.com") && !d.contains("<jane>"));
    }
}
