//! Words and markup of the admin and sign-in pages, in English and French (wording of the product
//! page in `shared/seeds/`). Pure: rendered and tested natively.

use jit::endpoints::SpEndpoints;
use jit::settings::CompanySettings;

use crate::{html_escape as esc, Lang};

/// A UI string of the pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    SecurityTitle,
    SamlSso,
    Provisioning,
    DefaultWorkspace,
    DefaultPermissionSet,
    Save,
    Saved,
    SupportNote,
    SpDetails,
    SpEntityId,
    AcsUrl,
    Metadata,
    ExceptionDomains,
    None,
    ProvisionableDomains,
    WhyConfirmed,
    WhyException,
    DomainsRule,
    LoginTitle,
    EmailLabel,
    Continue,
    SsoButton,
    NoSso,
}

impl Text {
    #[cfg(test)]
    const ALL: [Text; 23] = [
        Text::SecurityTitle,
        Text::SamlSso,
        Text::Provisioning,
        Text::DefaultWorkspace,
        Text::DefaultPermissionSet,
        Text::Save,
        Text::Saved,
        Text::SupportNote,
        Text::SpDetails,
        Text::SpEntityId,
        Text::AcsUrl,
        Text::Metadata,
        Text::ExceptionDomains,
        Text::None,
        Text::ProvisionableDomains,
        Text::WhyConfirmed,
        Text::WhyException,
        Text::DomainsRule,
        Text::LoginTitle,
        Text::EmailLabel,
        Text::Continue,
        Text::SsoButton,
        Text::NoSso,
    ];
}

/// A UI string in `lang` (an exhaustive match: no key without both texts).
pub fn t(lang: Lang, key: Text) -> &'static str {
    let (en, fr) = match key {
        Text::SecurityTitle => ("Security Settings", "Paramètres de sécurité"),
        Text::SamlSso => ("SAML SSO", "SSO SAML"),
        Text::Provisioning => ("Automatic user provisioning", "Provisionnement automatique des utilisateurs (Automatic user provisioning)"),
        Text::DefaultWorkspace => ("Default workspace", "Espace de travail par défaut"),
        Text::DefaultPermissionSet => ("Default permission set", "Jeu d'autorisations par défaut"),
        Text::Save => ("Save changes", "Enregistrer les modifications"),
        Text::Saved => ("Your changes were saved.", "Vos modifications ont été enregistrées."),
        Text::SupportNote => (
            "Automatic user provisioning is on. To turn it off, contact Support.",
            "Le provisionnement automatique est activé. Pour le désactiver, contactez le service d'assistance (Support).",
        ),
        Text::SpDetails => ("For your identity provider", "Pour votre fournisseur d'identité"),
        Text::SpEntityId => ("SP entity ID (Audience)", "ID d'entité du SP (audience)"),
        Text::AcsUrl => ("ACS URL (single sign-on URL)", "URL ACS (URL d'authentification unique)"),
        Text::Metadata => ("SP metadata", "Métadonnées du SP"),
        Text::ExceptionDomains => ("Exception domains (granted by Support)", "Domaines d'exception (accordés par le service d'assistance)"),
        Text::None => ("None", "Aucun"),
        Text::ProvisionableDomains => ("Domains that can be provisioned", "Domaines pouvant être provisionnés"),
        Text::WhyConfirmed => ("has a confirmed user", "compte un utilisateur confirmé"),
        Text::WhyException => ("exception granted by Support", "exception accordée par le service d'assistance"),
        Text::DomainsRule => (
            "Only email domains that already have at least one confirmed, non-impersonation user in your company can be provisioned. To make an exception, contact Support.",
            "Seuls les domaines d'e-mail qui comptent déjà au moins un utilisateur confirmé, sans usurpation d'identité, dans votre entreprise peuvent être provisionnés. Pour faire une exception, contactez le service d'assistance.",
        ),
        Text::LoginTitle => ("Sign in", "Connexion"),
        Text::EmailLabel => ("Email address", "Adresse e-mail"),
        Text::Continue => ("Continue", "Continuer"),
        Text::SsoButton => ("Sign in with SAML SSO", "Se connecter avec SAML SSO"),
        Text::NoSso => (
            "For your first sign-in, open this application from your identity provider's portal. After that, the SAML single sign-on button appears here.",
            "Pour votre première connexion, ouvrez cette application depuis le portail de votre fournisseur d'identité. Ensuite, le bouton d'authentification unique SAML s'affiche ici.",
        ),
    };
    match lang {
        Lang::En => en,
        Lang::Fr => fr,
    }
}

/// What the Security Settings page shows.
pub struct SecurityView<'a> {
    pub company: &'a str,
    pub settings: &'a CompanySettings,
    /// Domains with a confirmed, non-impersonation user (from D1).
    pub confirmed_domains: &'a [String],
    pub csrf: &'a str,
    pub sp: &'a SpEndpoints,
    pub saved: bool,
    /// For the certificate expiry banner.
    pub now: saml_verify::Timestamp,
}

fn options(list: &[jit::settings::Named], selected: Option<&str>) -> String {
    list.iter()
        .map(|n| {
            let sel = if Some(n.id.as_str()) == selected {
                " selected"
            } else {
                ""
            };
            format!(
                "<option value=\"{}\"{sel}>{}</option>",
                esc(&n.id),
                esc(&n.name)
            )
        })
        .collect()
}

/// The page body: the SAML SSO section with its form, the SP details, the domains.
pub fn security_body(lang: Lang, v: &SecurityView<'_>) -> String {
    let p = &v.settings.provisioning;
    let c = esc(v.company);
    let keys: Vec<saml_verify::TrustedKey> = v
        .settings
        .saml
        .idp_certificates
        .iter()
        .filter_map(|pem| saml_verify::TrustedKey::from_certificate(pem.as_bytes()).ok())
        .collect();
    let banner = crate::cert_banner::expiry_banner(lang, &keys, v.now).unwrap_or_default();
    let saved = if v.saved {
        format!(
            "<p id=\"saved\"><strong>{}</strong></p>",
            t(lang, Text::Saved)
        )
    } else {
        String::new()
    };
    let toggle = if p.enabled {
        // Locked on: the disabled box is not submitted, so the form states "on" itself.
        format!(
            "<input type=\"checkbox\" id=\"provisioning_enabled\" checked disabled><input type=\"hidden\" name=\"provisioning_enabled\" value=\"on\">\
 <label for=\"provisioning_enabled\">{}</label><p id=\"support_note\">{}</p>",
            t(lang, Text::Provisioning),
            t(lang, Text::SupportNote)
        )
    } else {
        format!(
            "<input type=\"checkbox\" id=\"provisioning_enabled\" name=\"provisioning_enabled\"> <label for=\"provisioning_enabled\">{}</label>",
            t(lang, Text::Provisioning)
        )
    };
    let exceptions = if v.settings.exception_domains.is_empty() {
        format!("<li>{}</li>", t(lang, Text::None))
    } else {
        v.settings
            .exception_domains
            .iter()
            .map(|d| format!("<li>{}</li>", esc(d)))
            .collect()
    };
    let mut provisionable: Vec<String> = v
        .confirmed_domains
        .iter()
        .map(|d| {
            format!(
                "<li><code>{}</code>: {}</li>",
                esc(d),
                t(lang, Text::WhyConfirmed)
            )
        })
        .collect();
    for d in v
        .settings
        .exception_domains
        .iter()
        .filter(|d| !v.confirmed_domains.contains(d))
    {
        provisionable.push(format!(
            "<li><code>{}</code>: {}</li>",
            esc(d),
            t(lang, Text::WhyException)
        ));
    }
    if provisionable.is_empty() {
        provisionable.push(format!("<li>{}</li>", t(lang, Text::None)));
    }
    format!(
        "{banner}{saved}<h2>{sso}</h2><form method=\"post\" action=\"/admin/{c}/security?lang={l}\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
<p>{toggle}</p><p><label for=\"default_workspace\">{dw}</label><br><select id=\"default_workspace\" name=\"default_workspace\">{wso}</select></p>\
<p><label for=\"default_permission_set\">{dp}</label><br><select id=\"default_permission_set\" name=\"default_permission_set\">{pso}</select></p>\
<p><button id=\"save\" type=\"submit\">{save}</button></p></form>\
<h2>{spd}</h2><p>{eid}: <code id=\"sp_entity_id\">{eid_v}</code><br>{acs}: <code id=\"acs_url\">{acs_v}</code><br>\
<a id=\"metadata_url\" href=\"{md_v}\">{md}</a></p>{idp}\
<h2>{exh}</h2><ul id=\"exception_domains\">{exceptions}</ul><h2>{pdh}</h2><p>{rule}</p><ul id=\"provisionable_domains\">{pd}</ul>{lifecycle}",
        sso = t(lang, Text::SamlSso),
        l = lang.tag(),
        csrf = esc(v.csrf),
        dw = t(lang, Text::DefaultWorkspace),
        wso = options(&v.settings.workspaces, p.default_workspace.as_deref()),
        dp = t(lang, Text::DefaultPermissionSet),
        pso = options(&v.settings.permission_sets, p.default_permission_set.as_deref()),
        save = t(lang, Text::Save),
        spd = t(lang, Text::SpDetails),
        eid = t(lang, Text::SpEntityId),
        acs = t(lang, Text::AcsUrl),
        eid_v = esc(&v.sp.entity_id),
        acs_v = esc(&v.sp.acs_url),
        md_v = esc(&v.sp.metadata_url),
        md = t(lang, Text::Metadata),
        exh = t(lang, Text::ExceptionDomains),
        pdh = t(lang, Text::ProvisionableDomains),
        rule = t(lang, Text::DomainsRule),
        pd = provisionable.concat(),
        lifecycle = crate::lifecycle_form::section(lang, v.company, v.settings, v.csrf),
        idp = crate::setup_pages::idp_section(
            lang,
            v.company,
            v.settings,
            v.csrf,
            &crate::setup_pages::cert_views(v.settings)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(enabled: bool) -> CompanySettings {
        let json = format!(
            r#"{{"version":1,"display_name":"D","dashboard_url":"https://d.example","saml":{{"idp_entity_id":"i","idp_certificates":[]}},
            "provisioning":{{"enabled":{enabled},"default_workspace":"main","default_permission_set":"member"}},"exception_domains":["decorumsoft.eu"],
            "workspaces":[{{"id":"main","name":"Main <ws>"}}],"permission_sets":[{{"id":"member","name":"Member"}}]}}"#
        );
        CompanySettings::parse(json.as_bytes()).unwrap()
    }

    #[test]
    fn every_text_has_both_languages() {
        for key in Text::ALL {
            let (en, fr) = (t(Lang::En, key), t(Lang::Fr, key));
            assert!(!en.is_empty() && !fr.is_empty() && en != fr, "{key:?}");
        }
    }

    #[test]
    fn renders_both_languages_and_locks_the_toggle_once_on() {
        let s = settings(true);
        let v = SecurityView {
            company: "acme",
            settings: &s,
            confirmed_domains: &["decorumsoft.com".into()],
            csrf: "tok",
            sp: &SpEndpoints::of("https://sso.example", "acme"),
            saved: false,
            now: saml_verify::Timestamp(1_767_225_600_000),
        };
        let en = security_body(Lang::En, &v);
        assert!(
            en.contains("Automatic user provisioning")
                && en.contains("Save changes")
                && en.contains("contact Support")
        );
        assert!(
            en.contains("disabled") && en.contains("name=\"provisioning_enabled\" value=\"on\"")
        );
        assert!(
            en.contains("Main &lt;ws&gt;")
                && en.contains("decorumsoft.eu</code>: exception granted by Support")
        );
        assert!(en.contains("<code id=\"acs_url\">https://sso.example/saml/acme/acs</code>"));
        let fr = security_body(Lang::Fr, &v);
        assert!(
            fr.contains("Provisionnement automatique des utilisateurs")
                && fr.contains("Enregistrer les modifications")
                && fr.contains("Support")
        );
        let off = settings(false);
        let v = SecurityView {
            settings: &off,
            ..v
        };
        assert!(!security_body(Lang::En, &v).contains("disabled"));
    }
}
