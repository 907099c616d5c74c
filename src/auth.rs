//! Who is calling: Support (the `SUPPORT_TOKEN` secret), a company admin by per-company admin
//! token (`sat_<id>.<secret>`, hash in D1), or a company admin by session cookie (a user whose
//! permission set is an admin one). The rules are `jit::usecases::tokens::bearer_role` and
//! `jit::usecases::caller`; what a role may do is decided in `jit::admin`.

use jit::admin::Role;
use jit::session::{self, Claims};
use jit::usecases::{caller::is_company_admin, tokens::bearer_role};
use worker::{Env, Request};

use crate::d1::D1Directory;
use crate::platform::{now, secret, session_secret};
use crate::respond::header;

/// Why a caller is not let in.
pub enum AuthError {
    /// No valid credentials: 401.
    Unauthorized,
    /// A signed-in user who is not an admin of their company: 403.
    NotAdmin,
    /// Storage failed while checking: 503.
    Unavailable,
}

/// The valid session of this request, with the raw cookie value (the CSRF token binds to it).
pub fn session(req: &Request, env: &Env) -> Option<(Claims, String)> {
    let secret = session_secret(env);
    let cookie = header(req, "Cookie");
    let value = web::cookie(cookie.as_deref(), session::COOKIE_NAME)?;
    let claims = session::check(secret.as_bytes(), value, now().unix_seconds())?;
    Some((claims, value.to_owned()))
}

/// Whether the session's user is an admin of the session's company.
pub async fn session_is_admin(claims: &Claims, dir: &D1Directory) -> Result<bool, AuthError> {
    is_company_admin(dir, &claims.company, &claims.email, claims.uid.as_deref())
        .await
        .map_err(|_| AuthError::Unavailable)
}

/// Authenticate the caller of an admin route.
pub async fn caller(req: &Request, env: &Env, dir: &D1Directory) -> Result<Role, AuthError> {
    let authorization = header(req, "Authorization").unwrap_or_default();
    if let Some(token) = authorization.strip_prefix("Bearer ") {
        let support = secret(env, "SUPPORT_TOKEN");
        return match bearer_role(dir, token, &support).await {
            Ok(Some(role)) => Ok(role),
            Ok(None) => Err(AuthError::Unauthorized),
            Err(_) => Err(AuthError::Unavailable),
        };
    }
    let Some((claims, _)) = session(req, env) else {
        return Err(AuthError::Unauthorized);
    };
    if session_is_admin(&claims, dir).await? {
        Ok(Role::Admin {
            company: claims.company,
        })
    } else {
        Err(AuthError::NotAdmin)
    }
}
