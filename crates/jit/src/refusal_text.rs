//! What a person is told when something is refused: a short, opaque reason in English or French
//! (the detail goes to the log only). An exhaustive match, so a new message cannot ship without
//! both texts.

/// Languages of the pages (RFC 5646 primary tags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Fr];

    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }
}

/// The reason shown for a refusal; several codes share one (see [`crate::refusal::Code`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    Expired,
    Replayed,
    DomainNotAllowed,
    NoAccount,
    NoAccess,
    AccountConflict,
    Deactivated,
    EmailMissing,
    NotConfigured,
    SupportOnly,
    Forbidden,
    CsrfInvalid,
    InvalidField,
    SsoNotSetUp,
    Unavailable,
    Malformed,
    NotVerified,
}

impl Message {
    /// The text in `lang`.
    pub fn text(self, lang: Lang) -> &'static str {
        let (en, fr) = self.texts();
        match lang {
            Lang::En => en,
            Lang::Fr => fr,
        }
    }

    /// (English, French).
    fn texts(self) -> (&'static str, &'static str) {
        match self {
            Message::Expired => (
                "This sign-in has expired. Please sign in again from your identity provider.",
                "Cette connexion a expiré. Veuillez vous reconnecter depuis votre fournisseur d'identité.",
            ),
            Message::Replayed => (
                "This sign-in was already used. Please sign in again from your identity provider.",
                "Cette connexion a déjà été utilisée. Veuillez vous reconnecter depuis votre fournisseur d'identité.",
            ),
            Message::DomainNotAllowed => (
                "Accounts with your email domain cannot be created automatically for this company. Ask your administrator, or contact Support.",
                "Les comptes de votre domaine de messagerie ne peuvent pas être créés automatiquement pour cette entreprise. Adressez-vous à votre administrateur ou contactez le Support.",
            ),
            Message::NoAccount => (
                "You do not have an account yet, and it cannot be created automatically. Ask your administrator to add you.",
                "Vous n'avez pas encore de compte, et il ne peut pas être créé automatiquement. Demandez à votre administrateur de vous ajouter.",
            ),
            Message::NoAccess => (
                "Your groups at your identity provider give you no access to this company's dashboard. Ask your administrator.",
                "Vos groupes chez votre fournisseur d'identité ne vous donnent pas accès au tableau de bord de cette entreprise. Adressez-vous à votre administrateur.",
            ),
            Message::AccountConflict => (
                "Your sign-in matches another account of this company. Ask your administrator or Support to check your account.",
                "Votre connexion correspond à un autre compte de cette entreprise. Demandez à votre administrateur ou au Support de vérifier votre compte.",
            ),
            Message::Deactivated => (
                "Your account has been deactivated. Ask your administrator if you need access again.",
                "Votre compte a été désactivé. Adressez-vous à votre administrateur si vous avez de nouveau besoin d'un accès.",
            ),
            Message::EmailMissing => (
                "Your identity provider did not send an email address. Ask your administrator to check the SAML set-up.",
                "Votre fournisseur d'identité n'a pas transmis d'adresse e-mail. Demandez à votre administrateur de vérifier la configuration SAML.",
            ),
            Message::NotConfigured => (
                "This address is not configured.",
                "Cette adresse n'est pas configurée.",
            ),
            Message::SupportOnly => (
                "This change is reserved to Support. Please contact Support.",
                "Cette modification est réservée au service d'assistance (Support). Veuillez le contacter.",
            ),
            Message::Forbidden => (
                "You are not an administrator of this company.",
                "Vous n'êtes pas administrateur de cette entreprise.",
            ),
            Message::CsrfInvalid => (
                "This form has expired. Reload the page and try again.",
                "Ce formulaire a expiré. Rechargez la page et réessayez.",
            ),
            Message::InvalidField => (
                "A value in the form is not valid.",
                "Une valeur du formulaire n'est pas valide.",
            ),
            Message::SsoNotSetUp => (
                "SAML single sign-on is not set up for this company yet. Sign in from your identity provider's portal.",
                "L'authentification unique SAML n'est pas encore configurée pour cette entreprise. Connectez-vous depuis le portail de votre fournisseur d'identité.",
            ),
            Message::Unavailable => (
                "Sign-in is temporarily unavailable. Please try again in a few minutes.",
                "La connexion est momentanément indisponible. Veuillez réessayer dans quelques minutes.",
            ),
            Message::Malformed => (
                "The sign-in request was malformed. Please sign in again from your identity provider.",
                "La demande de connexion était mal formée. Veuillez vous reconnecter depuis votre fournisseur d'identité.",
            ),
            Message::NotVerified => (
                "The sign-in response from your identity provider could not be verified.",
                "La réponse de connexion de votre fournisseur d'identité n'a pas pu être vérifiée.",
            ),
        }
    }
}
