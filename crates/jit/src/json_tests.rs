//! The JSON reader and writer, against serde_json as an independent implementation.

use super::*;
use proptest::prelude::*;

/// serde_json's reading of a document, in this module's terms (None: it refused it).
fn reference(input: &[u8]) -> Option<Json> {
    serde_json::from_slice::<serde_json::Value>(input)
        .ok()
        .map(|v| from_serde(&v))
}

fn from_serde(v: &serde_json::Value) -> Json {
    use serde_json::Value as V;
    match v {
        V::Null => Json::Null,
        V::Bool(b) => Json::Bool(*b),
        V::Number(n) => n
            .as_i64()
            .map_or_else(|| Json::Num(n.to_string()), Json::Int),
        V::String(s) => Json::Str(s.clone()),
        V::Array(a) => Json::Arr(a.iter().map(from_serde).collect()),
        V::Object(m) => Json::Obj(m.iter().map(|(k, v)| (k.clone(), from_serde(v))).collect()),
    }
}

/// Close enough: serde_json (without `float_roundtrip`) may be off in the last bit.
fn close(x: &str, y: f64) -> bool {
    x.parse::<f64>()
        .is_ok_and(|x| x == y || (x - y).abs() <= 1e-15 * x.abs().max(y.abs()))
}

/// Numbers compare by value: serde_json rewrites `1e2` as `100.0`.
fn same(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Num(x), Json::Num(y)) => y.parse::<f64>().is_ok_and(|y| close(x, y)),
        // serde_json reads `-0` as the float -0.0.
        (Json::Int(x), Json::Num(y)) | (Json::Num(y), Json::Int(x)) => close(y, *x as f64),
        (Json::Arr(x), Json::Arr(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        // serde_json's map is sorted by key; ours keeps document order.
        (Json::Obj(x), Json::Obj(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| b.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// Does the value hold a number too large for an f64?
fn huge(v: &Json) -> bool {
    match v {
        Json::Num(x) => x.parse::<f64>().is_ok_and(f64::is_infinite),
        Json::Arr(items) => items.iter().any(huge),
        Json::Obj(members) => members.iter().any(|(_, v)| huge(v)),
        _ => false,
    }
}

#[test]
fn reads_every_kind_of_value() {
    let v = parse(
        br#" {"a": [1, -0, 2.5, 1e3, -9223372036854775808, 9223372036854775808],
        "b": {"c": null, "d": true, "e": false}, "s": "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00y"} "#,
    )
    .unwrap();
    let a = v.get("a").unwrap();
    assert_eq!(
        a,
        &Json::Arr(vec![
            Json::Int(1),
            Json::Int(0),
            Json::Num("2.5".into()),
            Json::Num("1e3".into()),
            Json::Int(i64::MIN),
            Json::Num("9223372036854775808".into()),
        ])
    );
    assert_eq!(v.get("b").unwrap().get("d"), Some(&Json::Bool(true)));
    assert_eq!(v.get("b").unwrap().get("c"), Some(&Json::Null));
    assert_eq!(
        v.get("s").unwrap().as_str(),
        Some("x\"\\/\u{8}\u{c}\n\r\té\u{1F600}y")
    );
}

#[test]
fn refuses_what_rfc_8259_does_not_allow() {
    for bad in [
        "",
        " ",
        "{",
        "[1,]",
        "[,1]",
        "{\"a\":1,}",
        "{\"a\" 1}",
        "{a:1}",
        "01",
        "1.",
        ".5",
        "-",
        "+1",
        "1e",
        "1e+",
        "0x10",
        "tru",
        "nul",
        "True",
        "\"\\x\"",
        "\"\\u12\"",
        "\"\\ud800\"",
        "\"\\udc00\"",
        "\"\\ud800\\u0041\"",
        "\"a\u{1}\"",
        "\"open",
        "[1] 2",
        "NaN",
        "[1 2]",
        "{\"a\":1 \"b\":2}",
        "'a'",
        "\u{feff}1",
    ] {
        assert!(parse(bad.as_bytes()).is_err(), "accepted {bad:?}");
        assert!(
            reference(bad.as_bytes()).is_none(),
            "serde_json accepts {bad:?}"
        );
    }
    assert_eq!(parse(b"[\xff]").unwrap_err().offset, 1);
}

#[test]
fn refuses_repeated_keys_and_deep_nesting() {
    let e = parse(br#"{"x": {"a": 1, "b": 2, "a": 3}}"#).unwrap_err();
    assert_eq!((e.offset, e.reason), (6, "an object repeats a key"));
    let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
    assert!(parse(ok.as_bytes()).is_ok());
    let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
    assert_eq!(
        parse(deep.as_bytes()).unwrap_err().reason,
        "nested too deeply"
    );
    // A stack-exhausting document is refused, not a crash.
    assert!(parse("[".repeat(1 << 20).as_bytes()).is_err());
}

#[test]
fn a_body_of_many_keys_is_read_quickly() {
    let body = (0..20_000)
        .map(|i| format!("\"k{i}\":{i}"))
        .collect::<Vec<_>>()
        .join(",");
    let v = parse(format!("{{{body}}}").as_bytes()).unwrap();
    assert_eq!(v.get("k19999"), Some(&Json::Int(19999)));
}

#[test]
fn writes_compact_json_with_minimal_escapes() {
    let v = obj([
        ("s", "a\"b\\c\nd\u{1}\u{1f}é/\u{2028}".into()),
        ("n", Json::Int(-5)),
        ("o", Json::from(None::<String>)),
        ("l", vec!["x", "y"].into()),
    ]);
    assert_eq!(
        v.dump(),
        "{\"s\":\"a\\\"b\\\\c\\nd\\u0001\\u001fé/\u{2028}\",\"n\":-5,\"o\":null,\"l\":[\"x\",\"y\"]}"
    );
    assert_eq!(parse(v.dump().as_bytes()).unwrap(), v);
}

/// JSON-ish token soup: mostly almost-JSON, so both readers get past the first byte.
fn soup() -> impl Strategy<Value = String> {
    let tokens = prop::sample::select(vec![
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        " ",
        "\n",
        "\"a\"",
        "\"b\"",
        "\"\\u00e9\"",
        "\"\\ud83d\\ude00\"",
        "\"\\ud800\"",
        "\"\\/\"",
        "\"é\"",
        "\"\u{7}\"",
        "\"\\q\"",
        "0",
        "-0",
        "12",
        "01",
        "1.5",
        "1.",
        "2e-3",
        "1E+2",
        "-",
        "true",
        "false",
        "null",
        "nul",
        "\"",
        "\\",
        "99999999999999999999",
    ]);
    prop::collection::vec(tokens, 0..24).prop_map(|t| t.concat())
}

fn value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value as V;
    let leaf = prop_oneof![
        Just(V::Null),
        any::<bool>().prop_map(V::Bool),
        any::<i64>().prop_map(V::from),
        any::<u64>().prop_map(V::from),
        (-1e300f64..1e300).prop_map(V::from),
        any::<String>().prop_map(V::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(V::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..6)
                .prop_map(|m| V::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn agrees_with_serde_json_on_token_soup(doc in soup()) {
        let ours = parse(doc.as_bytes());
        let theirs = reference(doc.as_bytes());
        match (&ours, &theirs) {
            (Ok(a), Some(b)) => prop_assert!(same(a, b), "{doc:?}: {a:?} vs {b:?}"),
            (Err(e), Some(_)) => prop_assert_eq!(e.reason, "an object repeats a key", "{}", doc),
            // serde_json refuses numbers beyond f64 (RFC 8259 §6 lets readers limit range);
            // here they stay text, and no field takes such a number.
            (Ok(a), None) => prop_assert!(huge(a), "{doc:?}: only we accept it: {a:?}"),
            (Err(_), None) => {}
        }
    }

    #[test]
    fn reads_what_serde_json_writes(v in value()) {
        let text = serde_json::to_string(&v).unwrap();
        let ours = parse(text.as_bytes()).unwrap();
        prop_assert!(same(&ours, &from_serde(&v)), "{text}");
    }

    #[test]
    fn writes_strings_as_serde_json_does(s in any::<String>()) {
        let mut ours = String::new();
        write_str(&mut ours, &s);
        prop_assert_eq!(ours, serde_json::to_string(&s).unwrap());
    }
}
