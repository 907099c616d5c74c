//! The demo dashboard's account panel: what D1 holds of the signed-in user (issue #13:
//! memberships, synced names, NameID binding, active).

use jit::ports::User;

use crate::html_escape as esc;

fn or_dash(v: Option<&str>) -> String {
    esc(v.unwrap_or("-"))
}

/// The account as an HTML list (every value escaped).
pub fn account_html(u: &User) -> String {
    let memberships: String = if u.memberships.is_empty() {
        "<li>none</li>".into()
    } else {
        u.memberships
            .iter()
            .map(|m| {
                format!(
                    "<li>workspace <code>{}</code>: permission set <code>{}</code></li>",
                    esc(&m.workspace),
                    esc(&m.permission_set)
                )
            })
            .collect()
    };
    format!(
        "<ul><li>name: {} {}</li><li>memberships:<ul>{memberships}</ul></li>\
         <li>persistent NameID: <code>{}</code></li><li>active: {}</li>\
         <li>created via: <code>{}</code> at {}</li><li>last login: {}</li></ul>",
        or_dash(u.first_name.as_deref()),
        or_dash(u.last_name.as_deref()),
        or_dash(u.name_id.as_deref()),
        if u.active { "yes" } else { "no" },
        esc(&u.created_via),
        esc(&u.created_at),
        or_dash(u.last_login_at.as_deref()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use jit::lifecycle::Membership;

    #[test]
    fn every_value_is_escaped_and_memberships_listed() {
        let u = User {
            first_name: Some("<b>Jane</b>".into()),
            memberships: vec![
                Membership::new("main", "admin"),
                Membership::new("ops", "viewer"),
            ],
            active: true,
            ..User::default()
        };
        let h = account_html(&u);
        assert!(h.contains("&lt;b&gt;Jane"));
        assert!(h.contains("<code>ops</code>: permission set <code>viewer</code>"));
        assert!(h.contains("active: yes"));
    }
}
