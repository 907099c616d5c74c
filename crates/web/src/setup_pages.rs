//! The self-service set-up pages (issue #15), pure HTML: the Identity provider and Test sign-in
//! sections of the Security Settings page, the test sign-in report, and the sign-in log. Every
//! value is escaped; forms post with the page's CSRF token; no JavaScript.

use jit::ports::AuditRow;
use jit::settings::CompanySettings;
use jit::test_sign_in::Report;

use crate::explain::explain_str;
use crate::setup_text::{s, S};
use crate::{html_escape as esc, Lang};

/// A trusted certificate as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertView {
    pub fingerprint: String,
    pub subject: Option<String>,
    /// `not before – not after`, when known.
    pub validity: Option<String>,
}

/// The certificates of `settings`, as far as they parse.
pub fn cert_views(settings: &CompanySettings) -> Vec<CertView> {
    settings
        .saml
        .idp_certificates
        .iter()
        .filter_map(|pem| saml_verify::TrustedKey::from_certificate(pem.as_bytes()).ok())
        .map(|k| CertView {
            fingerprint: k.fingerprint(),
            subject: Some(k.subject().to_owned()),
            validity: Some(format!("{} – {}", k.not_before(), k.not_after())),
        })
        .collect()
}

fn field(id: &str, label: S, lang: Lang, input: String) -> String {
    format!(
        "<p><label for=\"{id}\">{}</label><br>{input}</p>",
        s(lang, label)
    )
}

/// The Identity provider section (form with `section=idp`) and the Test sign-in section.
pub fn idp_section(
    lang: Lang,
    company: &str,
    settings: &CompanySettings,
    csrf: &str,
    certs: &[CertView],
) -> String {
    let c = esc(company);
    let l = lang.tag();
    let saml = &settings.saml;
    let text = |id: &str, v: &str| {
        format!(
            "<input type=\"text\" id=\"{id}\" name=\"{id}\" size=\"70\" value=\"{}\">",
            esc(v)
        )
    };
    let area = |id: &str| {
        format!("<textarea id=\"{id}\" name=\"{id}\" rows=\"4\" cols=\"70\"></textarea>")
    };
    let rows: String = certs
        .iter()
        .map(|k| {
            format!(
                "<li><code class=\"fingerprint\">{}</code>{}{}</li>",
                esc(&k.fingerprint),
                k.subject.as_deref().map_or(String::new(), |v| format!(
                    "<br>{}: {}",
                    s(lang, S::Subject),
                    esc(v)
                )),
                k.validity.as_deref().map_or(String::new(), |v| format!(
                    "<br>{}: {}",
                    s(lang, S::Valid),
                    esc(v)
                )),
            )
        })
        .collect();
    let certs_html = if certs.is_empty() {
        format!("<li>{}</li>", s(lang, S::NoCerts))
    } else {
        rows
    };
    let sha1 = if saml.allow_sha1 {
        s(lang, S::Yes)
    } else {
        s(lang, S::No)
    };
    format!(
        "<h2 id=\"idp\">{h}</h2><p>{intro}</p><p id=\"entra_note\">{entra}</p>\
<h3>{trusted} ({fp})</h3><ul id=\"idp_certificates\">{certs_html}</ul>\
<p id=\"allow_sha1\">{sha1_l}: {sha1} {so}</p>\
<form method=\"post\" action=\"/admin/{c}/security?lang={l}\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"section\" value=\"idp\">\
{url}{xml}{eid}{sso}{pem}<p>{help}</p><p><button id=\"save_idp\" type=\"submit\">{save}</button></p></form>\
<h2 id=\"test\">{th}</h2><p>{ti}</p><p><a id=\"start_test\" href=\"/admin/{c}/test/start?lang={l}\">{tb}</a></p><p><a id=\"log_link\" href=\"/admin/{c}/log?lang={l}\">{log}</a></p>",
        h = s(lang, S::IdpHeading),
        intro = s(lang, S::IdpIntro),
        entra = s(lang, S::EntraNote),
        trusted = s(lang, S::Trusted),
        fp = s(lang, S::Fingerprint),
        sha1_l = s(lang, S::Sha1),
        so = s(lang, S::SupportOnly),
        csrf = esc(csrf),
        url = field("idp_metadata_url", S::MetadataUrl, lang, text("idp_metadata_url", "")),
        xml = field("idp_metadata_xml", S::MetadataXml, lang, area("idp_metadata_xml")),
        eid = field("idp_entity_id", S::EntityId, lang, text("idp_entity_id", &saml.idp_entity_id)),
        sso = field("idp_sso_url", S::SsoUrl, lang, text("idp_sso_url", saml.idp_sso_url.as_deref().unwrap_or(""))),
        pem = field("idp_certificates", S::Certificates, lang, area("idp_certificates")),
        help = s(lang, S::CertsHelp),
        save = s(lang, S::SaveIdp),
        th = s(lang, S::TestHeading),
        ti = s(lang, S::TestIntro),
        tb = s(lang, S::TestButton),
        log = s(lang, S::LogTitle),
    )
}

/// Split pasted PEM text into certificates (each `-----BEGIN CERTIFICATE-----` block).
pub fn split_pems(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        cur.push_str(line);
        cur.push('\n');
        if line.starts_with("-----END") {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur);
    }
    out
}

fn row(label: &str, value: &str) -> String {
    format!("<tr><th scope=\"row\">{label}</th><td>{value}</td></tr>")
}

/// The report of a test sign-in.
pub fn report_body(lang: Lang, company: &str, r: &Report) -> String {
    let mut rows = Vec::new();
    let explained = |code: &str| explain_str(lang, code).unwrap_or("");
    match &r.failure {
        Some(f) => rows.push(row(
            s(lang, S::Verification),
            &format!(
                "<strong class=\"fail\">{}</strong>: <code id=\"failed_code\">{}</code><br><span id=\"explanation\">{}</span><br><small>{}</small>",
                s(lang, S::FailedCheck),
                esc(&f.code),
                explained(&f.code),
                esc(&f.detail)
            ),
        )),
        None => rows.push(row(s(lang, S::Verification), &format!("<strong class=\"ok\">{}</strong>", s(lang, S::Passed)))),
    }
    if r.failure.is_none() {
        let email = r.email.as_deref().map_or("-".into(), esc);
        let source = r.email_source.as_deref().map_or(String::new(), |v| {
            format!(" ({} {})", s(lang, S::EmailSource), esc(v))
        });
        rows.push(row(
            s(lang, S::Email),
            &format!("<span id=\"report_email\">{email}</span>{source}"),
        ));
        let format = r.name_id_format.as_deref().unwrap_or("");
        rows.push(row(
            s(lang, S::NameId),
            &format!(
                "<code>{}</code> <small>{}</small>",
                esc(&r.name_id),
                esc(format)
            ),
        ));
        let names = format!(
            "{} {}",
            r.first_name.as_deref().unwrap_or("-"),
            r.last_name.as_deref().unwrap_or("-")
        );
        rows.push(row(s(lang, S::Names), &esc(&names)));
        let groups = if r.groups_overage {
            s(lang, S::Overage).to_owned()
        } else if r.groups.is_empty() {
            s(lang, S::NoneYet).to_owned()
        } else {
            esc(&r.groups.join(", "))
        };
        rows.push(row(s(lang, S::Groups), &groups));
        let account = match (r.user_exists, r.user_active) {
            (true, true) => S::Exists,
            (true, false) => S::ExistsInactive,
            _ => S::New,
        };
        rows.push(row(s(lang, S::Account), s(lang, account)));
        if let Some(d) = &r.domain {
            let why = match (&r.domain_witness, r.exception_domain) {
                (Some(w), _) => format!("{} {}", s(lang, S::ByUser), esc(w)),
                (None, true) => s(lang, S::ByException).to_owned(),
                (None, false) => s(lang, S::NotQualified).to_owned(),
            };
            rows.push(row(
                s(lang, S::Domain),
                &format!(
                    "<code>{}</code>: <span id=\"domain_why\">{why}</span>",
                    esc(d)
                ),
            ));
        }
    }
    let outcome = match r.outcome.as_str() {
        "sign_in" => s(lang, S::WouldSignIn).to_owned(),
        "provision" => s(lang, S::WouldProvision).to_owned(),
        code => format!(
            "{}: <code id=\"outcome_code\">{}</code> {}",
            s(lang, S::WouldRefuse),
            esc(code),
            explained(code)
        ),
    };
    rows.push(row(
        s(lang, S::Outcome),
        &format!("<span id=\"outcome\">{outcome}</span>"),
    ));
    if r.failure.is_none() {
        let ms: Vec<String> = r
            .memberships
            .iter()
            .map(|m| {
                format!(
                    "<code>{}</code> / <code>{}</code>",
                    esc(&m.workspace),
                    esc(&m.permission_set)
                )
            })
            .collect();
        let ms = if ms.is_empty() {
            s(lang, S::NoneYet).to_owned()
        } else {
            ms.join("<br>")
        };
        rows.push(row(
            s(lang, S::Memberships),
            &format!("<span id=\"memberships\">{ms}</span>"),
        ));
    }
    format!(
        "<table id=\"report\">{}</table><p id=\"nothing_written\">{}</p><p><a href=\"/admin/{}/security?lang={}\">{}</a></p>",
        rows.concat(),
        s(lang, S::NothingWritten),
        esc(company),
        lang.tag(),
        s(lang, S::Back)
    )
}

/// The sign-in log: a table of attempts and the link to older ones (`next`: the cursor).
pub fn log_body(lang: Lang, company: &str, rows: &[(i64, AuditRow)], next: Option<i64>) -> String {
    let c = esc(company);
    let l = lang.tag();
    let body: String = rows
        .iter()
        .map(|(_, r)| {
            let result = match r.event.as_str() {
                "refused" => s(lang, S::Refused),
                "provisioned" => s(lang, S::Provisioned),
                _ => s(lang, S::SignedIn),
            };
            let reason = r.reason.as_deref().map_or(String::new(), |code| {
                format!("<code>{}</code> {}", esc(code), explain_str(lang, code).unwrap_or(""))
            });
            format!(
                "<tr><td>{}</td><td>{}</td><td>{result}</td><td>{reason}</td><td><code class=\"reference\">{}</code></td></tr>",
                esc(&r.at),
                esc(r.email.as_deref().unwrap_or("-")),
                esc(&r.reference)
            )
        })
        .collect();
    let older = next.map_or(String::new(), |n| {
        format!(
            "<p><a id=\"older\" href=\"/admin/{c}/log?lang={l}&amp;before={n}\">{}</a></p>",
            s(lang, S::Older)
        )
    });
    format!(
        "<p>{}</p><table id=\"log\"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>{body}</table>{older}<p><a href=\"/admin/{c}/security?lang={l}\">{}</a></p>",
        s(lang, S::LogIntro),
        s(lang, S::Time),
        s(lang, S::Email),
        s(lang, S::Result),
        s(lang, S::Reason),
        s(lang, S::Reference),
        s(lang, S::Back)
    )
}

#[cfg(test)]
#[path = "setup_pages_tests.rs"]
mod tests;

/// The change the Identity provider form asks for (`get` reads one form field): empty fields
/// keep their value; metadata (URL or XML) is resolved by the caller as the API's is.
pub fn idp_change<'a>(get: impl Fn(&str) -> Option<&'a str>) -> jit::admin::SecurityChange {
    let val = |k: &str| {
        get(k)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let pems = get("idp_certificates")
        .map(split_pems)
        .filter(|p| !p.is_empty());
    jit::admin::SecurityChange {
        idp_metadata_url: val("idp_metadata_url"),
        idp_metadata_xml: val("idp_metadata_xml"),
        idp_entity_id: val("idp_entity_id"),
        idp_sso_url: val("idp_sso_url"),
        idp_certificates: pems,
        ..Default::default()
    }
}
