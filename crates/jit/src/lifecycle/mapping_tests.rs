//! The group mapping as a table: mode, require_match, overage, new and existing users.
#![allow(clippy::unwrap_used, clippy::panic)]

use super::mapping::{apply, matched, memberships, MappingRefusal, Outcome};
use super::{GroupMappings, Groups, MappingMode, MappingRule, Membership};

fn rule(group: &str, ws: &str, ps: &str) -> MappingRule {
    MappingRule {
        group: group.into(),
        workspace: ws.into(),
        permission_set: ps.into(),
    }
}

fn m(ws: &str, ps: &str) -> Membership {
    Membership::new(ws, ps)
}

fn mappings(mode: MappingMode, require_match: bool) -> GroupMappings {
    GroupMappings {
        mode,
        require_match,
        rules: vec![
            rule("Braze-Admins", "main", "admin"),
            rule("Braze-Users", "main", "member"),
            rule("Sales", "sales", "member"),
            // Entra ID: a group object ID.
            rule("5d6a8b1e-0f3c-4f7e-9a51-3c2b1d0e9f77", "ops", "viewer"),
        ],
    }
}

fn listed(g: &[&str]) -> Groups {
    Groups::Listed(g.iter().map(|s| s.to_string()).collect())
}

#[test]
fn first_matching_rule_wins_per_workspace_and_names_compare_exactly() {
    let mp = mappings(MappingMode::Additive, false);
    let g = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        matched(&mp, &g(&["Braze-Users", "Braze-Admins"])),
        [m("main", "admin")]
    );
    assert_eq!(matched(&mp, &g(&["braze-admins", "Braze-Admins "])), []);
    assert_eq!(
        matched(&mp, &g(&["Sales", "5d6a8b1e-0f3c-4f7e-9a51-3c2b1d0e9f77"])),
        [m("ops", "viewer"), m("sales", "member")]
    );
}

#[allow(clippy::type_complexity)]
#[test]
fn mapping_table() {
    use MappingMode::{Additive as Add, Authoritative as Auth};
    let def = Some(m("main", "member"));
    let cur = vec![m("main", "member"), m("old", "viewer")];
    let none: Vec<Membership> = vec![];
    let admins = listed(&["Braze-Admins"]);
    let nothing = listed(&["Unrelated"]);
    let empty = listed(&[]);
    #[rustfmt::skip]
    let table: Vec<(&str, MappingMode, bool, &Groups, Option<&Vec<Membership>>, Result<Outcome, MappingRefusal>)> = vec![
        ("new, match", Add, false, &admins, None, Ok(Outcome::Replace(vec![m("main", "admin")]))),
        ("new, match, authoritative", Auth, true, &admins, None, Ok(Outcome::Replace(vec![m("main", "admin")]))),
        ("new, no match: default", Add, false, &nothing, None, Ok(Outcome::Replace(vec![m("main", "member")]))),
        ("new, no match, require_match", Add, true, &nothing, None, Err(MappingRefusal::NoGroupMatch)),
        ("new, no groups sent, require_match", Auth, true, &empty, None, Err(MappingRefusal::NoGroupMatch)),
        ("new, overage: default", Add, false, &Groups::Overage, None, Ok(Outcome::Replace(vec![m("main", "member")]))),
        ("new, overage, require_match", Auth, true, &Groups::Overage, None, Err(MappingRefusal::GroupsOverage)),
        ("existing, additive, match: add", Add, false, &admins, Some(&cur), Ok(Outcome::Add(vec![m("main", "admin")]))),
        ("existing, additive, no match: keep", Add, false, &nothing, Some(&cur), Ok(Outcome::Keep)),
        ("existing, additive, no match, require_match, has some: keep", Add, true, &nothing, Some(&cur), Ok(Outcome::Keep)),
        ("existing, additive, no match, require_match, has none", Add, true, &nothing, Some(&none), Err(MappingRefusal::NoGroupMatch)),
        ("existing, authoritative, match: exactly", Auth, false, &admins, Some(&cur), Ok(Outcome::Replace(vec![m("main", "admin")]))),
        ("existing, authoritative, removed from every group: default", Auth, false, &nothing, Some(&cur), Ok(Outcome::Replace(vec![m("main", "member")]))),
        ("existing, authoritative, removed, require_match", Auth, true, &nothing, Some(&cur), Err(MappingRefusal::NoGroupMatch)),
        ("existing, overage: keep (never read as no groups)", Auth, false, &Groups::Overage, Some(&cur), Ok(Outcome::Keep)),
        ("existing, overage, require_match, has some: keep", Auth, true, &Groups::Overage, Some(&cur), Ok(Outcome::Keep)),
        ("existing, overage, require_match, has none", Auth, true, &Groups::Overage, Some(&none), Err(MappingRefusal::GroupsOverage)),
    ];
    for (case, mode, require, groups, current, want) in table {
        let mp = mappings(mode, require);
        let got = memberships(&mp, groups, current.map(Vec::as_slice), def.clone());
        assert_eq!(got, want, "{case}");
    }
}

#[test]
fn no_rules_means_mapping_is_off() {
    let off = GroupMappings {
        mode: MappingMode::Authoritative,
        require_match: true,
        rules: vec![],
    };
    let cur = vec![m("old", "viewer")];
    let got = memberships(&off, &listed(&[]), Some(&cur), None);
    assert_eq!(got, Ok(Outcome::Keep));
    let new = memberships(&off, &listed(&[]), None, Some(m("main", "member")));
    assert_eq!(new, Ok(Outcome::Replace(vec![m("main", "member")])));
}

#[test]
fn apply_adds_sets_and_replaces() {
    let cur = vec![m("old", "viewer"), m("main", "member")];
    let add = Outcome::Add(vec![m("main", "admin"), m("sales", "member")]);
    assert_eq!(
        apply(&cur, &add),
        [m("main", "admin"), m("old", "viewer"), m("sales", "member")]
    );
    assert_eq!(
        apply(&cur, &Outcome::Keep),
        [m("main", "member"), m("old", "viewer")]
    );
    let rep = Outcome::Replace(vec![m("sales", "member")]);
    assert_eq!(apply(&cur, &rep), [m("sales", "member")]);
}

#[test]
fn settings_checks_name_the_rule() {
    let mut mp = mappings(MappingMode::Additive, false);
    assert!(mp.check().is_ok());
    mp.rules[2].group = " Sales".into();
    assert_eq!(mp.check().unwrap_err().0, "group_mappings.rules[2].group");
    mp.rules[2].group = "Sales\nteam".into();
    assert_eq!(
        mp.check().unwrap_err().0,
        "group_mappings.rules[2].group",
        "a line break"
    );
    mp.rules = (0..201)
        .map(|i| rule(&format!("g{i}"), "main", "member"))
        .collect();
    assert_eq!(mp.check().unwrap_err().0, "group_mappings.rules");
}

#[test]
fn the_document_round_trips_and_refuses_unknown_members() {
    let json = r#"{"mode":"authoritative","require_match":true,"rules":[{"group":"Braze-Admins","workspace":"main","permission_set":"admin"}]}"#;
    let mp: GroupMappings = serde_json::from_str(json).unwrap();
    assert_eq!(mp.mode, MappingMode::Authoritative);
    assert_eq!(serde_json::to_string(&mp).unwrap(), json);
    assert!(serde_json::from_str::<GroupMappings>(r#"{"mode":"Additive"}"#).is_err());
    assert!(serde_json::from_str::<GroupMappings>(r#"{"rules":[],"extra":1}"#).is_err());
    let bad_rule = r#"{"rules":[{"group":"g","workspace":"w"}]}"#;
    assert!(serde_json::from_str::<GroupMappings>(bad_rule).is_err());
}
