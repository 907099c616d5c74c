//! The "After the first login" section of the Security Settings page (issue #13): the SAML
//! attribute names synced at each sign-in and the group mappings, in English and French, as a
//! plain form (no JavaScript) that posts with the page's CSRF token. Pure: rendered, parsed and
//! tested natively.
//!
//! Form fields: `section=lifecycle`; `attr_first_name`, `attr_last_name`, `attr_groups` (one
//! attribute name per line; empty: the defaults); `mapping_mode` (`additive` or
//! `authoritative`); `require_match` (`on` when checked); `mapping_rules`, one rule per line as
//! `group | workspace | permission_set` (the last two `|` separate, so a group name may hold
//! one).

use jit::admin::SecurityChange;
use jit::lifecycle::{AttributeNames, GroupMappings, MappingMode, MappingRule};
use jit::settings::{CompanySettings, FieldError};

use crate::{html_escape as esc, Lang};

/// The section's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Word {
    Heading,
    Intro,
    FirstName,
    LastName,
    Groups,
    OnePerLine,
    Mode,
    Additive,
    Authoritative,
    RequireMatch,
    Rules,
    RulesHelp,
    Save,
}

impl Word {
    #[cfg(test)]
    pub const ALL: [Word; 13] = [
        Word::Heading,
        Word::Intro,
        Word::FirstName,
        Word::LastName,
        Word::Groups,
        Word::OnePerLine,
        Word::Mode,
        Word::Additive,
        Word::Authoritative,
        Word::RequireMatch,
        Word::Rules,
        Word::RulesHelp,
        Word::Save,
    ];
}

/// A word in `lang` (exhaustive: no key without both texts).
pub fn w(lang: Lang, key: Word) -> &'static str {
    let (en, fr) = match key {
        Word::Heading => ("After the first login", "Après la première connexion"),
        Word::Intro => (
            "At every SAML sign-in, names and groups are read from the signed assertion and the account is updated.",
            "À chaque connexion SAML, les noms et les groupes sont lus dans l'assertion signée et le compte est mis à jour.",
        ),
        Word::FirstName => ("First name attributes", "Attributs du prénom"),
        Word::LastName => ("Last name attributes", "Attributs du nom"),
        Word::Groups => ("Groups attributes", "Attributs des groupes"),
        Word::OnePerLine => (
            "One SAML attribute name per line, tried in order. Leave empty for the defaults.",
            "Un nom d'attribut SAML par ligne, essayés dans l'ordre. Laissez vide pour les valeurs par défaut.",
        ),
        Word::Mode => ("Group mapping mode", "Mode d'association des groupes"),
        Word::Additive => (
            "Additive: grant what the groups give, never remove",
            "Additif : accorder ce que donnent les groupes, ne jamais retirer",
        ),
        Word::Authoritative => (
            "Authoritative: memberships are exactly what the groups give",
            "Faisant autorité : les appartenances sont exactement celles que donnent les groupes",
        ),
        Word::RequireMatch => (
            "Refuse sign-in when no group mapping matches",
            "Refuser la connexion quand aucune association de groupe ne correspond",
        ),
        Word::Rules => ("Group mappings", "Associations de groupes"),
        Word::RulesHelp => (
            "One rule per line: group | workspace | permission set. The first rule that names a workspace wins.",
            "Une règle par ligne : groupe | espace de travail | jeu d'autorisations. La première règle qui nomme un espace de travail l'emporte.",
        ),
        Word::Save => ("Save attribute and group settings", "Enregistrer les attributs et les groupes"),
    };
    match lang {
        Lang::En => en,
        Lang::Fr => fr,
    }
}

/// The rules as the textarea shows them.
pub fn rules_text(m: &GroupMappings) -> String {
    m.rules
        .iter()
        .map(|r| format!("{} | {} | {}\n", r.group, r.workspace, r.permission_set))
        .collect()
}

/// The section, after the SSO form. `csrf` is the page's token.
pub fn section(lang: Lang, company: &str, settings: &CompanySettings, csrf: &str) -> String {
    let names = settings.attribute_names();
    let lines = |l: &[String]| esc(&l.join("\n"));
    let m = &settings.group_mappings;
    let sel = |mode: MappingMode| if m.mode == mode { " selected" } else { "" };
    let area = |id: &str, label: Word, value: String| {
        format!(
            "<p><label for=\"{id}\">{}</label><br><textarea id=\"{id}\" name=\"{id}\" rows=\"4\" cols=\"70\">{value}</textarea></p>",
            w(lang, label)
        )
    };
    format!(
        "<h2 id=\"lifecycle\">{h}</h2><p>{intro}</p><form method=\"post\" action=\"/admin/{c}/security?lang={l}\">\
<input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"section\" value=\"lifecycle\">\
<p>{per_line}</p>{first}{last}{groups}\
<p><label for=\"mapping_mode\">{mode}</label><br><select id=\"mapping_mode\" name=\"mapping_mode\">\
<option value=\"additive\"{sa}>{add}</option><option value=\"authoritative\"{so}>{auth}</option></select></p>\
<p><input type=\"checkbox\" id=\"require_match\" name=\"require_match\"{rm}> <label for=\"require_match\">{rml}</label></p>\
<p>{rules_help}</p>{rules}<p><button id=\"save_lifecycle\" type=\"submit\">{save}</button></p></form>",
        h = w(lang, Word::Heading),
        intro = w(lang, Word::Intro),
        c = esc(company),
        l = lang.tag(),
        csrf = esc(csrf),
        per_line = w(lang, Word::OnePerLine),
        first = area("attr_first_name", Word::FirstName, lines(&names.first_name)),
        last = area("attr_last_name", Word::LastName, lines(&names.last_name)),
        groups = area("attr_groups", Word::Groups, lines(&names.groups)),
        mode = w(lang, Word::Mode),
        sa = sel(MappingMode::Additive),
        so = sel(MappingMode::Authoritative),
        add = w(lang, Word::Additive),
        auth = w(lang, Word::Authoritative),
        rm = if m.require_match { " checked" } else { "" },
        rml = w(lang, Word::RequireMatch),
        rules_help = w(lang, Word::RulesHelp),
        rules = area("mapping_rules", Word::Rules, esc(&rules_text(m))),
        save = w(lang, Word::Save),
    )
}

fn invalid(field: &str, reason: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Non-blank lines, trimmed (the form's CR LF line ends included).
fn lines(v: Option<&str>) -> Vec<String> {
    v.unwrap_or("")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Parse `group | workspace | permission_set` lines.
pub fn parse_rules(text: &str) -> Result<Vec<MappingRule>, FieldError> {
    let mut out = Vec::new();
    for (i, line) in lines(Some(text)).iter().enumerate() {
        let mut parts = line.rsplitn(3, '|').map(str::trim);
        let (Some(ps), Some(ws), Some(group)) = (parts.next(), parts.next(), parts.next()) else {
            let why = "each line is: group | workspace | permission set";
            return Err(invalid(&format!("mapping_rules[{i}]"), why));
        };
        out.push(MappingRule {
            group: group.to_owned(),
            workspace: ws.to_owned(),
            permission_set: ps.to_owned(),
        });
    }
    Ok(out)
}

/// The change the section's form asks for: `get` reads one form field.
pub fn change<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Result<SecurityChange, FieldError> {
    let list = |field: &str, default: fn() -> Vec<String>| {
        let l = lines(get(field));
        if l.is_empty() {
            default()
        } else {
            l
        }
    };
    let attributes = AttributeNames {
        first_name: list(
            "attr_first_name",
            jit::lifecycle::profile::default_first_name,
        ),
        last_name: list("attr_last_name", jit::lifecycle::profile::default_last_name),
        groups: list("attr_groups", jit::lifecycle::profile::default_groups),
    };
    let mode = match get("mapping_mode") {
        Some("authoritative") => MappingMode::Authoritative,
        Some("additive") | None => MappingMode::Additive,
        Some(_) => return Err(invalid("mapping_mode", "additive or authoritative")),
    };
    let mappings = GroupMappings {
        mode,
        require_match: get("require_match") == Some("on"),
        rules: parse_rules(get("mapping_rules").unwrap_or(""))?,
    };
    Ok(SecurityChange {
        attributes: Some(attributes),
        group_mappings: Some(mappings),
        ..SecurityChange::default()
    })
}

#[cfg(test)]
#[path = "lifecycle_form_tests.rs"]
mod tests;
