//! IdP groups to workspace memberships: settings `group_mappings`, and the one pure function
//! ([`memberships`]) that SAML sign-in (and SCIM group pushes) apply.
//!
//! - A rule matches when its `group` equals one of the user's groups exactly (Entra ID sends
//!   group object IDs: put the ID in `group`).
//! - Rules are read in order; for a workspace named by several matching rules, the first wins.
//! - `additive`: the user gains what the matching rules give (a matched workspace takes the
//!   rule's permission set) and keeps every other membership.
//! - `authoritative`: the user's memberships are exactly what the matching rules give.
//! - No rule matches: a new user gets the default workspace and permission set, unless
//!   `require_match`; an existing user under `authoritative` gets the same defaults (what a new
//!   user would get), under `additive` keeps what they have. With `require_match`, a sign-in
//!   that would leave the user with no membership is refused (`no_group_match`).
//! - Entra's groups overage claim: memberships are left as they are (an existing user), never
//!   read as "no groups"; a new user is treated as one whom no rule matched, except that
//!   `require_match` refuses with `groups_overage`.
//! - No rules at all: mapping is off, and memberships are left as they are.

use serde::{Deserialize, Serialize};

use super::profile::{Groups, MAX_VALUE_CHARS};
use super::Membership;

/// Most rules a company may have.
pub const MAX_RULES: usize = 200;

/// `additive` or `authoritative`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MappingMode {
    #[default]
    Additive,
    Authoritative,
}

impl MappingMode {
    pub fn as_str(self) -> &'static str {
        match self {
            MappingMode::Additive => "additive",
            MappingMode::Authoritative => "authoritative",
        }
    }
}

/// One rule: members of `group` get `workspace` with `permission_set`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingRule {
    pub group: String,
    pub workspace: String,
    pub permission_set: String,
}

/// Settings `group_mappings`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupMappings {
    #[serde(default)]
    pub mode: MappingMode,
    #[serde(default)]
    pub require_match: bool,
    #[serde(default)]
    pub rules: Vec<MappingRule>,
}

impl GroupMappings {
    /// The default document (no rules): not written out.
    pub fn is_default(&self) -> bool {
        *self == GroupMappings::default()
    }

    /// Settings checks that need no catalog: rule count and group names. The workspaces and
    /// permission sets rules name are checked against the catalog by the settings document.
    pub fn check(&self) -> Result<(), (String, String)> {
        if self.rules.len() > MAX_RULES {
            return Err((
                "group_mappings.rules".into(),
                format!("at most {MAX_RULES}"),
            ));
        }
        for (i, r) in self.rules.iter().enumerate() {
            let g = &r.group;
            let bad = g.trim().is_empty()
                || g.trim() != g
                || g.chars().count() > MAX_VALUE_CHARS
                || g.chars().any(char::is_control);
            if bad {
                return Err((
                    format!("group_mappings.rules[{i}].group"),
                    "1 to 256 characters, no control characters or surrounding white space".into(),
                ));
            }
        }
        Ok(())
    }
}

/// What the user's memberships become.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Leave them as they are (mapping off, or the groups are unknown: overage).
    Keep,
    /// Add these (and set their permission sets), keep the rest.
    Add(Vec<Membership>),
    /// Exactly these.
    Replace(Vec<Membership>),
}

/// Why the mapping refuses a sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MappingRefusal {
    /// `require_match` and the user would be left with no membership.
    NoGroupMatch,
    /// `require_match`, a new user, and the groups were not sent (Entra's overage claim).
    GroupsOverage,
}

/// The memberships matching rules give, one per workspace (first matching rule wins), sorted.
pub fn matched(mappings: &GroupMappings, groups: &[String]) -> Vec<Membership> {
    let mut out: Vec<Membership> = Vec::new();
    for r in &mappings.rules {
        let hit = groups.iter().any(|g| g == &r.group);
        if hit && !out.iter().any(|m| m.workspace == r.workspace) {
            out.push(Membership::new(&r.workspace, &r.permission_set));
        }
    }
    out.sort();
    out
}

/// Apply the mappings to one sign-in. `current` is None for a new user; `default` is the
/// company's default membership, when it has one.
pub fn memberships(
    mappings: &GroupMappings,
    groups: &Groups,
    current: Option<&[Membership]>,
    default: Option<Membership>,
) -> Result<Outcome, MappingRefusal> {
    let fallback = |require: bool, refusal: MappingRefusal| match (require, &default) {
        (true, _) => Err(refusal),
        (false, Some(d)) => Ok(Outcome::Replace(vec![d.clone()])),
        (false, None) => Ok(Outcome::Replace(Vec::new())),
    };
    if mappings.rules.is_empty() {
        return match current {
            Some(_) => Ok(Outcome::Keep),
            None => fallback(false, MappingRefusal::NoGroupMatch),
        };
    }
    let listed = match groups {
        Groups::Overage => {
            return match current {
                Some(c) if mappings.require_match && c.is_empty() => {
                    Err(MappingRefusal::GroupsOverage)
                }
                Some(_) => Ok(Outcome::Keep),
                None => fallback(mappings.require_match, MappingRefusal::GroupsOverage),
            };
        }
        Groups::Listed(g) => g,
    };
    let given = matched(mappings, listed);
    match (current, mappings.mode) {
        (_, _) if !given.is_empty() => Ok(match (current, mappings.mode) {
            (Some(_), MappingMode::Additive) => Outcome::Add(given),
            _ => Outcome::Replace(given),
        }),
        (None, _) | (Some(_), MappingMode::Authoritative) => {
            fallback(mappings.require_match, MappingRefusal::NoGroupMatch)
        }
        (Some(c), MappingMode::Additive) if mappings.require_match && c.is_empty() => {
            Err(MappingRefusal::NoGroupMatch)
        }
        (Some(_), MappingMode::Additive) => Ok(Outcome::Keep),
    }
}

/// The memberships after `outcome`, sorted by workspace.
pub fn apply(current: &[Membership], outcome: &Outcome) -> Vec<Membership> {
    let mut out: Vec<Membership> = match outcome {
        Outcome::Keep => current.to_vec(),
        Outcome::Replace(m) => m.clone(),
        Outcome::Add(add) => {
            let mut kept: Vec<Membership> = current
                .iter()
                .filter(|c| !add.iter().any(|a| a.workspace == c.workspace))
                .cloned()
                .collect();
            kept.extend(add.iter().cloned());
            kept
        }
    };
    out.sort();
    out
}
