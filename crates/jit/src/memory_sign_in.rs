//! The in-memory store's [`crate::ports::Directory::write_sign_in`]: the same guards as the D1
//! batch (an insert that yields to an existing email, updates only of an active account), and
//! all or nothing.

use std::collections::BTreeMap;

use crate::lifecycle::mapping::{apply as apply_outcome, Outcome};
use crate::lifecycle::plan::{MembershipWrite, Plan, Write};
use crate::policy::email_domain;
use crate::ports::{StoreError, User};

/// Users by (company, email).
pub type Users = BTreeMap<(String, String), User>;

/// Apply `plan` to `users`; `Ok(false)` (nothing written) when the account changed under it.
pub fn apply(users: &mut Users, plan: &Plan) -> Result<bool, StoreError> {
    match &plan.write {
        Write::Create(u) => {
            let key = (u.company.clone(), u.email.clone());
            let bound_elsewhere = u.name_id.is_some()
                && users.values().any(|o| {
                    o.company == u.company
                        && o.name_id == u.name_id
                        && o.name_id_issuer == u.name_id_issuer
                });
            // D1's `ON CONFLICT DO NOTHING` yields to the binding's unique index too.
            if bound_elsewhere || users.contains_key(&key) {
                return Ok(false);
            }
            users.insert(key, u.clone());
            Ok(true)
        }
        Write::Update(up) => {
            let Some(old_key) = users
                .iter()
                .find(|(_, u)| u.company == up.company && u.id == up.user_id && u.active)
                .map(|(k, _)| k.clone())
            else {
                return Ok(false);
            };
            let new_key = (up.company.clone(), up.email.clone());
            if new_key != old_key && users.contains_key(&new_key) {
                return Err(StoreError::Unavailable("UNIQUE constraint: email".into()));
            }
            let Some(mut u) = users.remove(&old_key) else {
                return Ok(false);
            };
            if email_domain(&up.email).is_none() {
                users.insert(old_key, u);
                return Err(StoreError::Unavailable("email without a domain".into()));
            }
            u.email = up.email.clone();
            u.first_name = up.first_name.clone();
            u.last_name = up.last_name.clone();
            u.last_login_at = Some(up.last_login_at.clone());
            if let Some(b) = &up.bind {
                u.name_id = Some(b.name_id.clone());
                u.name_id_issuer = Some(b.issuer.clone());
            }
            u.memberships = match &up.memberships {
                MembershipWrite::Keep => u.memberships,
                MembershipWrite::Upsert(m) => {
                    apply_outcome(&u.memberships, &Outcome::Add(m.clone()))
                }
                MembershipWrite::Replace(m) => apply_outcome(&[], &Outcome::Replace(m.clone())),
            };
            users.insert(new_key, u);
            Ok(true)
        }
    }
}
