//! Command-line arguments, parsed by hand (no dependency, exact error messages).

pub const USAGE: &str =
    "usage: saml-check verify --idp-cert FILE [--idp-cert FILE]... --idp-entity-id URI
                  --sp-entity-id URI --acs-url URL [--now RFC3339] [--skew-seconds N]
                  [--allow-sha1] [--in-response-to ID] [--sp-key FILE]... RESPONSE_FILE... | -

  FILE          a PEM or DER certificate, or the IdP's metadata XML (its signing certificates)
  --sp-key      an SP private key (PEM) that decrypts EncryptedAssertions; repeatable
  RESPONSE_FILE the XML of a SAML Response, or the base64 SAMLResponse form value; - for stdin
One JSON object per response on stdout. Exit 0 when all verified, 1 otherwise, 2 on usage errors.";

/// Parsed `verify` arguments.
#[derive(Debug, Default)]
pub struct Args {
    pub idp_certs: Vec<String>,
    pub idp_entity_id: String,
    pub sp_entity_id: String,
    pub acs_url: String,
    pub now: Option<String>,
    pub skew_seconds: Option<u32>,
    pub allow_sha1: bool,
    pub in_response_to: Option<String>,
    pub sp_keys: Vec<String>,
    pub responses: Vec<String>,
}

/// `Ok(None)` means help was asked for.
pub fn parse(argv: &[String]) -> Result<Option<Args>, String> {
    let mut it = argv.iter();
    match it.next().map(String::as_str) {
        Some("verify") => {}
        Some("-h" | "--help" | "help") => return Ok(None),
        Some(other) => return Err(format!("unknown command {other:?}")),
        None => return Err("missing command".into()),
    }
    let mut a = Args::default();
    let (mut idp, mut sp, mut acs) = (None, None, None);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--idp-cert" => a.idp_certs.push(value(arg)?),
            "--idp-entity-id" => idp = Some(value(arg)?),
            "--sp-entity-id" => sp = Some(value(arg)?),
            "--acs-url" => acs = Some(value(arg)?),
            "--now" => a.now = Some(value(arg)?),
            "--skew-seconds" => {
                let v = value(arg)?;
                a.skew_seconds = Some(
                    v.parse()
                        .map_err(|_| format!("--skew-seconds {v:?} is not a number"))?,
                );
            }
            "--allow-sha1" => a.allow_sha1 = true,
            "--in-response-to" => a.in_response_to = Some(value(arg)?),
            "--sp-key" => a.sp_keys.push(value(arg)?),
            "-" => a.responses.push(arg.clone()),
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            file => a.responses.push(file.to_owned()),
        }
    }
    if a.idp_certs.is_empty() {
        return Err("--idp-cert is required".into());
    }
    a.idp_entity_id = idp.ok_or("--idp-entity-id is required")?;
    a.sp_entity_id = sp.ok_or("--sp-entity-id is required")?;
    a.acs_url = acs.ok_or("--acs-url is required")?;
    if a.responses.is_empty() {
        return Err("no response file given".into());
    }
    Ok(Some(a))
}
