//! `TrustedKey`'s subject, validity and fingerprint against OpenSSL's reading of the same
//! certificates (`openssl x509 -noout -subject -dates -fingerprint -sha256`, values written down
//! here with OpenSSL's ` = ` as `=` and its quotes removed): the test vectors' keys and every
//! real IdP certificate in `../shared/fixtures/real-idp/certs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use saml_verify::{Timestamp, TrustedKey};

/// (file, subject, notBefore, notAfter, SHA-256); `REAL/` is the real-IdP corpus.
const EXPECTED: &[(&str, &str, &str, &str, &str)] = &[
    (
        "vectors/keys/attacker.crt",
        "C=US, O=Decorum Test IdP, CN=idp.decorumsoft.test",
        "2020-01-01T00:00:00.000Z",
        "2099-12-31T23:59:59.000Z",
        "b6af6f9b912959cfb8276dd1cd624d033751b139ff080abef4bea0a3d900978d",
    ),
    (
        "vectors/keys/idp.crt",
        "C=US, O=Decorum Test IdP, CN=idp.decorumsoft.test",
        "2020-01-01T00:00:00.000Z",
        "2099-12-31T23:59:59.000Z",
        "bbbf13ee74b29617e74316a97e841ad9fbfa3f2dbc958d5efe96cca49e4b7351",
    ),
    (
        "vectors/keys/idp2.crt",
        "C=US, O=Decorum Test IdP, CN=idp2.decorumsoft.test (rollover)",
        "2020-01-01T00:00:00.000Z",
        "2099-12-31T23:59:59.000Z",
        "860c418f3ab814eb049e64e47b6a31c87e23f998b71dcabf374bb7586ce6a62b",
    ),
    (
        "vectors/keys/idp4096.crt",
        "C=US, O=Decorum Test IdP, CN=idp4096.decorumsoft.test",
        "2020-01-01T00:00:00.000Z",
        "2099-12-31T23:59:59.000Z",
        "781f708616eaed22f2b8da54819a96b7cceddef9ac2bd4aa07fd6bde947ccdf3",
    ),
    (
        "REAL/adfs_adfs.my.local.pem",
        "CN=ADFS Signing - adfs.my.local",
        "2017-06-15T19:44:25.000Z",
        "2018-06-15T19:44:25.000Z",
        "39927a21bd89d79d06ef88fe272c71a28a6bba35115ed2918aae8014c656a2f6",
    ),
    (
        "REAL/adfs_fs.spstest2.com.pem",
        "CN=ADFS Signing - fs.spstest2.com",
        "2016-11-02T22:29:15.000Z",
        "2017-11-02T22:29:15.000Z",
        "ff96f51eedf59538c4a41799fe534d1f7da0ee95afad9baeaa472ee2b959dbbd",
    ),
    (
        "REAL/auth0_scaleft-test.pem",
        "CN=scaleft-test.auth0.com",
        "2016-07-25T17:49:45.000Z",
        "2030-04-03T17:49:45.000Z",
        "c282049eb6ebf2e9e5965ffb820e9db89fa3196e3082e3a39d3348cb4f2ac02b",
    ),
    (
        "REAL/google-workspace_C02dfl1r1.pem",
        "O=Google Inc., L=Mountain View, CN=Google, OU=Google For Work, C=US, ST=California",
        "2016-01-05T16:17:49.000Z",
        "2021-01-03T16:17:49.000Z",
        "df6f6d4eecf6c2d6515a64bc80430a879c25cfb03b666aeb1e61ce4fe02d7da2",
    ),
    (
        "REAL/okta_dev-116807.pem",
        "C=US, ST=California, L=San Francisco, O=Okta, OU=SSOProvider, CN=dev-116807, emailAddress=info@okta.com",
        "2016-02-09T21:52:06.000Z",
        "2026-02-09T21:53:06.000Z",
        "0f8823909edc8e036a1be2bb65b6ba5a3c11256d0e0c1f7f4c30451092999d5f",
    ),
    (
        "REAL/okta_exkppsa1qwuFV4D7z0h7.pem",
        "C=US, ST=California, L=San Francisco, O=Okta, OU=SSOProvider, CN=dev-513394, emailAddress=info@okta.com",
        "2018-09-07T14:32:59.000Z",
        "2028-09-07T14:33:59.000Z",
        "d40df01ccede49d207cb6d8abd15770a4b6eca14a85448c2959a98f85dc31ed4",
    ),
    (
        "REAL/okta_frontapp-2016.pem",
        "C=US, ST=California, L=San Francisco, O=Okta, OU=SSOProvider, CN=frontapp, emailAddress=info@okta.com",
        "2016-08-17T18:45:31.000Z",
        "2026-08-17T18:46:31.000Z",
        "fd7b61d47ae4a41e9454556a3819c9715f865569b45557fb35be155733f512af",
    ),
    (
        "REAL/okta_skyportsystems.pem",
        "C=US, ST=California, L=San Francisco, O=Okta, OU=SSOProvider, CN=skyportsystems, emailAddress=info@okta.com",
        "2016-11-08T01:15:38.000Z",
        "2026-11-08T01:16:38.000Z",
        "c9a174ad3e732789fc3bc4c6b705ed621c5380fba47abfb038ac845088bc455b",
    ),
    (
        "REAL/okta_subspacesw1-2014.pem",
        "C=US, ST=California, L=San Francisco, O=Okta, OU=SSOProvider, CN=subspacesw1, emailAddress=info@okta.com",
        "2014-05-27T08:29:27.000Z",
        "2044-05-27T08:30:27.000Z",
        "891a94a13eb9388ebf006d3ca33515af2031df5e40e6a4ae1de270c30dacd834",
    ),
    (
        "REAL/onelogin_account-102127.pem",
        "C=US, O=LaunchDarkly, OU=OneLogin IdP, CN=OneLogin Account 102127",
        "2017-03-06T02:46:53.000Z",
        "2022-03-07T02:46:53.000Z",
        "63f0aab9288019b7755858a49d15fd3a626c7ced9507f32952dbe426f1d064fe",
    ),
    (
        "REAL/onelogin_account-32614.pem",
        "C=US, O=ctu, OU=OneLogin IdP, CN=OneLogin Account 32614",
        "2013-09-30T19:35:44.000Z",
        "2018-10-01T19:35:44.000Z",
        "e4713d805c35991de0b6adac8644ad9c32f24a5e7bf8a09daa5654898e7b2c3e",
    ),
    (
        "REAL/onelogin_account-423490.pem",
        "C=US, O=Subspace, OU=OneLogin IdP, CN=OneLogin Account 42349",
        "2014-05-13T18:06:12.000Z",
        "2019-05-14T18:06:12.000Z",
        "e1946d6ae77628a30dfc9b0ad2412594bcacc78fc63f4c08f96ca36336c5c11c",
    ),
    (
        "REAL/onelogin_app.onelogin.com-santa-monica.pem",
        "C=US, ST=California, L=Santa Monica, O=OneLogin, CN=app.onelogin.com",
        "2010-10-11T21:15:12.000Z",
        "2015-10-11T21:15:12.000Z",
        "4d018f0242657b05cb5d6152fa7b144b78d73943e8d65a085045ae46d28f7fd7",
    ),
    (
        "REAL/oracle-oam_jpl.pem",
        "CN=deaoam-dev02.jpl.nasa.gov",
        "2016-06-30T04:54:16.000Z",
        "2026-06-28T04:54:16.000Z",
        "3f60c44b55d027705e4b3169c86683245f371e852c93f49ad870b3070910907d",
    ),
    (
        "REAL/pingfederate_saml.test.nope.pem",
        "C=US, ST=California, O=SAML Test Nope., CN=saml.test.nope",
        "2017-08-08T17:42:27.000Z",
        "2117-07-15T17:42:27.000Z",
        "8c77c38962074a218768f2662891bf314878b188386a1121a832f6c226e18c2d",
    ),
    (
        "REAL/secureworks_idp.pem",
        "C=US, ST=Georgia, L=Atlanta, O=Secureworks, Inc., OU=Security Engineering, CN=idp.secureworks.com-signature, emailAddress=prodcerts@secureworks.com",
        "2016-05-11T11:12:37.000Z",
        "2018-05-11T11:12:37.000Z",
        "fe448e4acbc0ec6f4c22b934f01e5b064d6b0c1761243f283d5aba18de10cc51",
    ),
    (
        "REAL/shibboleth_idp.astuart.co.pem",
        "CN=college.ccctca.edu",
        "2015-06-04T22:10:31.000Z",
        "2035-06-04T22:10:31.000Z",
        "f589a624448ec7d9bc45b5ba7f8262768ebbb232e33cc8e4e77e2ee0f65ce95e",
    ),
    (
        "REAL/shibboleth_testshib.pem",
        "C=US, ST=Pennsylvania, L=Pittsburgh, O=TestShib, CN=idp.testshib.org",
        "2006-08-30T21:12:25.000Z",
        "2016-08-27T21:12:25.000Z",
        "83f3fee451358c5f60769603c27f9f64d3b652b3c97ae7dc5786dee56c72b32d",
    ),
    (
        "REAL/simplesamlphp_openidp.feide.no.pem",
        "C=NO, ST=Trondheim, O=UNINETT, OU=Feide, CN=openidp.feide.no, emailAddress=andreas.solberg@uninett.no",
        "2008-05-08T09:22:48.000Z",
        "2035-09-23T09:22:48.000Z",
        "fcc6e3eedbaf272a76a8eb228d0fac794c7e1b408fb87d29e6c1b44089471153",
    ),
    (
        "REAL/simplesamlphp_wellspring.pem",
        "C=US, ST=Illinois, L=Chicago, O=Wellspring Worldwide, Inc., OU=Systems Engineering, CN=sso.wellspringworldwide.com, emailAddress=it@wellspringworldwide.com",
        "2013-02-27T23:55:08.000Z",
        "2023-02-27T23:55:08.000Z",
        "bcc11c8e14917d48d2fdfd72762b9426c95ce385da7a147ae0eccecbd5901fbb",
    ),
];

fn path(file: &str) -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    match file.strip_prefix("REAL/") {
        Some(f) => here.join("../../../shared/fixtures/real-idp/certs").join(f),
        None => here.join("tests").join(file),
    }
}

#[test]
fn subject_validity_and_fingerprint_match_openssl() {
    for (file, subject, not_before, not_after, sha256) in EXPECTED {
        let pem = std::fs::read(path(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let k = TrustedKey::from_certificate(&pem).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(k.subject(), *subject, "{file}");
        assert_eq!(k.not_before().to_string(), *not_before, "{file}");
        assert_eq!(k.not_after().to_string(), *not_after, "{file}");
        assert_eq!(k.fingerprint(), *sha256, "{file}");
        assert!(k.not_before() < k.not_after(), "{file}");
    }
    assert_eq!(EXPECTED.len(), 24);
    // One GeneralizedTime (after 2049) among them: PingFederate's 2117.
    let ping = TrustedKey::from_certificate(
        &std::fs::read(path("REAL/pingfederate_saml.test.nope.pem")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        ping.not_after(),
        Timestamp::parse("2117-07-15T17:42:27Z").unwrap()
    );
}
