#![allow(clippy::unwrap_used)]

use super::*;
use jit::lifecycle::profile::default_groups;

fn form<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> {
    move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| *v)
}

#[test]
fn every_word_has_both_languages_and_they_differ() {
    for k in Word::ALL {
        assert!(!w(Lang::En, k).is_empty() && !w(Lang::Fr, k).is_empty());
        assert_ne!(w(Lang::En, k), w(Lang::Fr, k), "{k:?}");
    }
}

#[test]
fn the_form_becomes_a_change() {
    let f = [
        ("section", "lifecycle"),
        ("attr_first_name", "givenName\r\n\r\n  firstName \r\n"),
        ("attr_groups", ""),
        ("mapping_mode", "authoritative"),
        ("require_match", "on"),
        (
            "mapping_rules",
            "Braze-Admins | main | admin\r\nA|B group | ops | viewer\r\n",
        ),
    ];
    let c = change(form(&f)).unwrap();
    let a = c.attributes.unwrap();
    assert_eq!(a.first_name, ["givenName", "firstName"]);
    assert_eq!(a.groups, default_groups(), "empty: the defaults");
    let m = c.group_mappings.unwrap();
    assert_eq!(
        (m.mode, m.require_match),
        (MappingMode::Authoritative, true)
    );
    assert_eq!(m.rules[1].group, "A|B group", "the last two bars separate");
    assert_eq!(
        (
            m.rules[1].workspace.as_str(),
            m.rules[1].permission_set.as_str()
        ),
        ("ops", "viewer")
    );
}

#[test]
fn malformed_rules_and_modes_name_the_field() {
    let bad_rule = [("mapping_rules", "ok | main | admin\nmissing a part | main")];
    assert_eq!(
        change(form(&bad_rule)).unwrap_err().field,
        "mapping_rules[1]"
    );
    let bad_mode = [("mapping_mode", "sometimes")];
    assert_eq!(change(form(&bad_mode)).unwrap_err().field, "mapping_mode");
    let unchecked = [("mapping_rules", "")];
    let m = change(form(&unchecked)).unwrap().group_mappings.unwrap();
    assert!(!m.require_match && m.rules.is_empty() && m.mode == MappingMode::Additive);
}

#[test]
fn the_section_round_trips_what_is_stored_and_escapes_it() {
    let mut s: CompanySettings = serde_json::from_str(
        r#"{"version":1,"display_name":"A","dashboard_url":"https://d/","saml":{"idp_entity_id":"i","idp_certificates":[]},"provisioning":{"enabled":false}}"#,
    )
    .unwrap();
    s.group_mappings.rules = parse_rules("<Admins> | main | admin").unwrap();
    s.group_mappings.require_match = true;
    let en = section(Lang::En, "acme", &s, "tok");
    assert!(en.contains("&lt;Admins&gt; | main | admin"));
    assert!(en.contains("name=\"require_match\" checked"));
    assert!(en.contains("value=\"tok\""));
    assert!(
        en.contains("firstName\nhttp://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname")
    );
    let fr = section(Lang::Fr, "acme", &s, "tok");
    assert!(fr.contains("Après la première connexion"));
    assert_eq!(
        parse_rules(&rules_text(&s.group_mappings)).unwrap(),
        s.group_mappings.rules
    );
}
