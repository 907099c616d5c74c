//! Where the browser goes after sign-in: the dashboard, or a RelayState (SAML bindings §3.5.3)
//! that is a relative path or lies under the dashboard URL. Never an open redirect.

/// Longest RelayState followed.
pub const MAX_RELAY_STATE: usize = 2048;

/// The redirect target, and whether the RelayState was followed.
pub fn target(relay_state: Option<&str>, dashboard_url: &str) -> (String, bool) {
    let Some(rs) = relay_state.filter(|r| !r.is_empty()) else {
        return (dashboard_url.to_owned(), false);
    };
    let clean =
        rs.len() <= MAX_RELAY_STATE && rs.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
    if clean {
        if rs.starts_with('/') && !rs.starts_with("//") {
            return (format!("{}{rs}", origin(dashboard_url)), true);
        }
        if let Some(rest) = rs.strip_prefix(dashboard_url) {
            let boundary = dashboard_url.ends_with('/')
                || rest.is_empty()
                || rest.starts_with(['/', '?', '#']);
            if boundary && !rest.starts_with("//") {
                return (rs.to_owned(), true);
            }
        }
    }
    (dashboard_url.to_owned(), false)
}

/// `scheme://authority` of an absolute URL.
fn origin(url: &str) -> &str {
    let start = url.find("://").map_or(0, |i| i + 3);
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    &url[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_safe_targets_are_followed() {
        let d = "https://dash.example.com/app";
        #[rustfmt::skip]
        let table = [
            (None, d, false),
            (Some(""), d, false),
            (Some("/reports?x=1"), "https://dash.example.com/reports?x=1", true),
            (Some("https://dash.example.com/app/reports"), "https://dash.example.com/app/reports", true),
            (Some("https://dash.example.com/app?tab=2"), "https://dash.example.com/app?tab=2", true),
            (Some("https://dash.example.com/apple"), d, false),
            (Some("https://dash.example.com.evil.io/app"), d, false),
            (Some("https://evil.io/"), d, false),
            (Some("//evil.io/x"), d, false),
            (Some("/\\evil.io"), d, false),
            (Some("/\tevil"), d, false),
            (Some("/ok path"), d, false),
            (Some("javascript:alert(1)"), d, false),
            (Some("https://dash.example.com/app//evil.io"), d, false),
        ];
        for (rs, want, followed) in table {
            assert_eq!(target(rs, d), (want.to_string(), followed), "{rs:?}");
        }
    }
}
