//! Plain explanations of refusal codes for the admin's pages (test sign-in, sign-in log): what
//! the check was and what to change, in English and French. Codes without one fall back to the
//! message a refused user sees ([`jit::Code::message`]).

use jit::Code;

use crate::Lang;

fn pair(code: Code) -> Option<(&'static str, &'static str)> {
    Some(match code {
        Code::AudienceMismatch => (
            "The assertion's Audience is not this company's SP entity ID. At the IdP, set the Audience (Entra: Identifier) to the SP entity ID shown above.",
            "L'Audience de l'assertion n'est pas l'ID d'entité du SP de cette entreprise. Chez le fournisseur, indiquez comme Audience (Entra : Identificateur) l'ID d'entité du SP affiché plus haut.",
        ),
        Code::RecipientMismatch | Code::DestinationMismatch => (
            "The response was addressed to another URL. At the IdP, set the ACS URL (Entra: Reply URL) to the ACS URL shown above.",
            "La réponse était adressée à une autre URL. Chez le fournisseur, indiquez comme URL ACS (Entra : URL de réponse) l'URL ACS affichée plus haut.",
        ),
        Code::UntrustedKey => (
            "The response was signed with a certificate that is not trusted here. Add the IdP's current signing certificate (or import its metadata again).",
            "La réponse a été signée avec un certificat qui n'est pas accepté ici. Ajoutez le certificat de signature actuel du fournisseur (ou réimportez ses métadonnées).",
        ),
        Code::SignatureInvalid | Code::DigestMismatch => (
            "The signature does not verify with the trusted certificates: the IdP signs with another key, or the response was altered.",
            "La signature ne se vérifie pas avec les certificats acceptés : le fournisseur signe avec une autre clé, ou la réponse a été modifiée.",
        ),
        Code::SignatureMissing => (
            "Neither the response nor the assertion is signed. At the IdP, sign the assertion (or the response).",
            "Ni la réponse ni l'assertion ne sont signées. Chez le fournisseur, signez l'assertion (ou la réponse).",
        ),
        Code::IssuerMismatch => (
            "The Issuer is not the IdP entity ID configured here. Check the entity ID, or import the IdP's metadata.",
            "L'émetteur (Issuer) n'est pas l'ID d'entité du fournisseur configuré ici. Vérifiez l'ID d'entité ou importez les métadonnées du fournisseur.",
        ),
        Code::Sha1Forbidden => (
            "The IdP signs with SHA-1, which is refused. Switch the IdP to SHA-256 (Support can allow SHA-1 if that is impossible).",
            "Le fournisseur signe en SHA-1, qui est refusé. Passez-le en SHA-256 (le Support peut autoriser SHA-1 si c'est impossible).",
        ),
        Code::Expired | Code::NotYetValid => (
            "The assertion is outside its validity window: check the IdP's clock, or sign in again.",
            "L'assertion est hors de sa période de validité : vérifiez l'horloge du fournisseur, ou reconnectez-vous.",
        ),
        Code::InResponseToMismatch => (
            "The response does not answer a pending request of this SP (a test that expired or was already used, or a response for another request).",
            "La réponse ne répond à aucune demande en cours de ce SP (un test expiré ou déjà utilisé, ou une réponse à une autre demande).",
        ),
        Code::EmailMissing => (
            "No email address was found. Send the email as the NameID (format emailAddress) or in an email attribute.",
            "Aucune adresse e-mail n'a été trouvée. Envoyez l'e-mail comme NameID (format emailAddress) ou dans un attribut e-mail.",
        ),
        Code::DomainNotAllowed => (
            "The email's domain has no confirmed user in this company and is not an exception domain: the account would not be created.",
            "Le domaine de l'e-mail ne compte aucun utilisateur confirmé dans cette entreprise et n'est pas un domaine d'exception : le compte ne serait pas créé.",
        ),
        Code::ProvisioningDisabled => (
            "Automatic user provisioning is off: a new user would not get an account.",
            "Le provisionnement automatique est désactivé : un nouvel utilisateur n'obtiendrait pas de compte.",
        ),
        Code::NoGroupMatch => (
            "No group mapping matches the user's groups, and a match is required.",
            "Aucune association de groupe ne correspond aux groupes de l'utilisateur, et une correspondance est exigée.",
        ),
        Code::NameIdConflict => (
            "The account with this email is bound to a persistent NameID of this IdP, and this sign-in carried another one or none: the IdP must send the user's persistent NameID (the account is never handed to someone else).",
            "Le compte de cet e-mail est lié à un NameID persistant de ce fournisseur, et cette connexion en portait un autre ou aucun : le fournisseur doit envoyer le NameID persistant de l'utilisateur (le compte n'est jamais remis à quelqu'un d'autre).",
        ),
        Code::UserDeactivated => (
            "The account is deactivated.",
            "Le compte est désactivé.",
        ),
        Code::IdpNotConfigured => (
            "The identity provider is not configured: add its entity ID and signing certificate.",
            "Le fournisseur d'identité n'est pas configuré : ajoutez son ID d'entité et son certificat de signature.",
        ),
        _ => return None,
    })
}

/// The explanation of `code` in `lang`.
pub fn explain(lang: Lang, code: Code) -> &'static str {
    match (pair(code), lang) {
        (Some((en, _)), Lang::En) => en,
        (Some((_, fr)), Lang::Fr) => fr,
        (None, _) => code.message().text(lang),
    }
}

/// The explanation of a stored code string (unknown codes: none).
pub fn explain_str(lang: Lang, code: &str) -> Option<&'static str> {
    Code::ALL
        .iter()
        .find(|c| c.as_str() == code)
        .map(|c| explain(lang, *c))
}
