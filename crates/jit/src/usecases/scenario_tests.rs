//! The domain rule's scenarios, shared with the D1 test through wrangler dev.

use pollster::block_on;

use super::tests::{doc, world, NOW};
use super::users::{create_user, NewUser};
use crate::policy::{decide, email_domain, Decision, Facts, PolicyRefusal};
use crate::ports::{AdminDirectory, Directory, SettingsStore};

/// `tests/api/domain_rule.json`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenarios {
    #[allow(dead_code)]
    about: String,
    users: Vec<NewUser>,
    provisionable_domains: Vec<String>,
    first_logins: Vec<FirstLogin>,
}

/// One first login and the refusal code it must get (null: provisioned).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FirstLogin {
    email: String,
    refusal: Option<String>,
}

/// The scenarios of `tests/api/domain_rule.json`, which `tests/api/test_domain_rule.py` runs
/// against D1 through wrangler dev: the in-memory store must give the same answers.
#[test]
fn the_domain_rule_scenarios_shared_with_the_d1_test() {
    let text = include_str!("../../../../tests/api/domain_rule.json");
    let scenarios: Scenarios = crate::wire::from_slice(text.as_bytes()).unwrap();
    let (s, d) = world(true);
    for nu in scenarios.users {
        block_on(create_user(&s, &d, &doc(true), ("acme", "u1"), nu, NOW)).unwrap();
    }
    let want = scenarios.provisionable_domains;
    assert_eq!(
        block_on(d.provisionable_domains("acme")).unwrap(),
        want,
        "live"
    );
    let mirror = block_on(s.company("acme"))
        .unwrap()
        .unwrap()
        .provisionable_domains;
    assert_eq!(mirror, want, "mirror");
    let settings = doc(true);
    for login in scenarios.first_logins {
        let email = login.email.to_ascii_lowercase();
        let refusal = login.refusal;
        let domain = email_domain(&email).unwrap();
        let facts =
            block_on(d.company_facts("acme", &domain, &["main".into()], &["member".into()]))
                .unwrap();
        let decision = decide(&Facts {
            email: Some(&email),
            user_exists: false,
            idp_initiated: true,
            provisioning: &settings.provisioning,
            exception_domains: &[],
            domain_has_confirmed_user: facts.domain_has_confirmed_user,
            uses_default: true,
            default_workspace_exists: facts.missing_workspaces.is_empty(),
            default_permission_set_exists: facts.missing_permission_sets.is_empty(),
        });
        match (decision, refusal.as_deref()) {
            (Decision::Provision, None) => {}
            (Decision::Refuse(r @ PolicyRefusal::DomainNotAllowed), Some(code)) => {
                assert_eq!(r.code(), code, "{email}")
            }
            (got, want) => panic!("{email}: {got:?}, wanted {want:?}"),
        }
    }
}
