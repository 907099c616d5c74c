//! The domain rule's scenarios, shared with the D1 test through wrangler dev.

use pollster::block_on;

use super::tests::{doc, world, NOW};
use super::users::{create_user, NewUser};
use crate::json::{parse, Json};
use crate::json_path::FromJson;
use crate::policy::{decide, email_domain, Decision, Facts, PolicyRefusal};
use crate::ports::{AdminDirectory, Directory, SettingsStore};

/// The scenarios of `tests/api/domain_rule.json`, which `tests/api/test_domain_rule.py` runs
/// against D1 through wrangler dev: the in-memory store must give the same answers.
#[test]
fn the_domain_rule_scenarios_shared_with_the_d1_test() {
    let text = include_str!("../../../../tests/api/domain_rule.json");
    let Ok(Json::Obj(scenarios)) = parse(text.as_bytes()) else {
        panic!("domain_rule.json is not an object");
    };
    let get = |k: &str| {
        scenarios
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v)
            .unwrap()
    };
    let (s, d) = world(true);
    let Json::Arr(users) = get("users") else {
        panic!("users")
    };
    for u in users {
        let nu = NewUser::from_json(u, "users").unwrap();
        block_on(create_user(&s, &d, &doc(true), "acme", nu, NOW)).unwrap();
    }
    let want =
        Vec::<String>::from_json(get("provisionable_domains"), "provisionable_domains").unwrap();
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
    let Json::Arr(logins) = get("first_logins") else {
        panic!("first_logins")
    };
    let settings = doc(true);
    for login in logins {
        let Json::Obj(l) = login else { panic!("login") };
        let field = |k: &str| l.iter().find(|(n, _)| n == k).map(|(_, v)| v).unwrap();
        let email = String::from_json(field("email"), "email")
            .unwrap()
            .to_ascii_lowercase();
        let refusal = match field("refusal") {
            Json::Null => None,
            v => Some(String::from_json(v, "refusal").unwrap()),
        };
        let domain = email_domain(&email).unwrap();
        let facts =
            block_on(d.company_facts("acme", &domain, Some("main"), Some("member"))).unwrap();
        let decision = decide(&Facts {
            email: Some(&email),
            user_exists: false,
            idp_initiated: true,
            provisioning: &settings.provisioning,
            exception_domains: &[],
            domain_has_confirmed_user: facts.domain_has_confirmed_user,
            default_workspace_exists: facts.workspace_exists,
            default_permission_set_exists: facts.permission_set_exists,
        });
        match (decision, refusal.as_deref()) {
            (Decision::Provision { .. }, None) => {}
            (Decision::Refuse(r @ PolicyRefusal::DomainNotAllowed), Some(code)) => {
                assert_eq!(r.code(), code, "{email}")
            }
            (got, want) => panic!("{email}: {got:?}, wanted {want:?}"),
        }
    }
}
