//! The sign-in page's rule: the SAML SSO button is shown only to someone who has signed in with
//! SAML before (README "Routes"); a first sign-in starts at the IdP (IdP-initiated), the only
//! way a user is provisioned.

use crate::ports::{Directory, User};
use crate::settings::is_identifier;

/// The rule: a user of the company who has a last login (set only by a SAML sign-in).
pub fn shows_sso_button(user: Option<&User>) -> bool {
    user.is_some_and(|u| u.last_login_at.is_some())
}

/// The rule for the email typed on the sign-in page. A malformed company or a storage failure
/// shows no button.
pub async fn sso_button_for<D: Directory>(dir: &D, company: &str, email: &str) -> bool {
    if !is_identifier(company) {
        return false;
    }
    let email = email.trim().to_ascii_lowercase();
    let user = dir.user(company, &email).await.ok().flatten();
    shows_sso_button(user.as_ref())
}
