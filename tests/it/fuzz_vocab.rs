//! Property-based fuzzing of the ARN parser (`vocab/src/arn.rs`), the tag rules
//! (`vocab/src/tags.rs`) and the Bedrock usage-type parser (`vocab/src/usage_type.rs`): arbitrary strings and structure-aware mutations of valid ARNs and
//! keys, through the same entry points as the `cargo fuzz` targets (`fuzz/harness_vocab.rs`).
//! Case counts are bounded for CI (`PROPTEST_CASES` raises them).

use crate::harness_vocab as harness;

use proptest::prelude::*;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(cases),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// ARNs of every shape curlab knows.
fn valid_arn() -> impl Strategy<Value = String> {
    let partition = prop_oneof!["aws", "aws-cn", "aws-us-gov"];
    let account = "[0-9]{12}";
    let name = "[A-Za-z0-9_+=,.@-]{1,64}";
    (partition, account, name, name, 0..7u8).prop_map(|(p, a, n, s, k)| match k {
        0 => format!("arn:{p}:iam::{a}:user/{n}"),
        1 => format!("arn:{p}:iam::{a}:user/team/{n}"),
        2 => format!("arn:{p}:iam::{a}:role/{n}"),
        3 => format!("arn:{p}:sts::{a}:assumed-role/{n}/{s}"),
        // GetFederationToken names are 2-32 characters.
        4 => format!("arn:{p}:sts::{a}:federated-user/{}", federated_name(&n)),
        // The account root user.
        5 => format!("arn:{p}:iam::{a}:root"),
        // Role names are 1-64 characters: `AWSReservedSSO_` + permission set (≤32) + `_` + 16 hex.
        _ => format!(
            "arn:{p}:sts::{a}:assumed-role/AWSReservedSSO_{}_0123456789abcdef/{s}",
            n.chars().take(32).collect::<String>()
        ),
    })
}

/// A user name cut or padded to GetFederationToken's 2-32 characters.
fn federated_name(n: &str) -> String {
    let mut f: String = n.chars().take(32).collect();
    if f.len() < 2 {
        f.push('x');
    }
    f
}

/// One edit of a string: insert, delete or replace a character, or cut it.
fn mutate(s: String, at: usize, c: char, how: u8) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    let i = if chars.is_empty() {
        0
    } else {
        at % (chars.len() + 1)
    };
    match how % 5 {
        0 => chars.insert(i, c),
        1 if i < chars.len() => {
            chars.remove(i);
        }
        2 if i < chars.len() => chars[i] = c,
        3 => chars.truncate(i),
        _ => chars.extend(std::iter::repeat_n(c, at % 300)),
    }
    chars.into_iter().collect()
}

fn hostile_char() -> impl Strategy<Value = char> {
    prop_oneof![
        any::<char>(),
        prop::sample::select(vec![
            ':', '/', '\0', '\u{1b}', '\u{202e}', 'é', '😀', ' ', '\n', '%', '*'
        ]),
    ]
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn arn_parser_survives_any_string(s in any::<String>()) {
        harness::arn(s.as_bytes());
    }

    #[test]
    fn arn_parser_survives_any_bytes(b in prop::collection::vec(any::<u8>(), 0..200)) {
        harness::arn(&b);
    }

    #[test]
    fn valid_arns_parse(arn in valid_arn()) {
        prop_assert!(curlab_vocab::arn::parse_principal(&arn).is_ok(), "{}", arn);
        harness::arn(arn.as_bytes());
    }

    #[test]
    fn mutated_arns_never_panic(arn in valid_arn(), at in any::<usize>(), c in hostile_char(), how in any::<u8>()) {
        harness::arn(mutate(arn, at, c, how).as_bytes());
    }

    #[test]
    fn tag_rules_survive_any_string(s in any::<String>()) {
        harness::tags(s.as_bytes());
    }

    #[test]
    fn mutated_tag_keys_never_panic(
        key in prop_oneof!["iamPrincipal/[a-z]{1,10}", "aws:[a-z]{1,5}", "resourceTags/user:[A-Za-z]{1,8}", "[A-Za-z0-9 _.:/=+@-]{0,140}"],
        at in any::<usize>(), c in hostile_char(), how in any::<u8>(),
    ) {
        harness::tags(mutate(key, at, c, how).as_bytes());
    }
}

/// Usage-type-like strings: a region code, a model token, a token word and qualifiers in any
/// order, in the three spelling families.
fn usage_type_like() -> impl Strategy<Value = String> {
    let region = prop::sample::select(vec!["USE1", "USW2", "EU", "APS3", "use1", ""]);
    let model = "[A-Za-z0-9.]{0,14}(-[A-Za-z0-9]{1,5}){0,2}";
    let dash_token = prop::sample::select(vec![
        "input-tokens",
        "output-tokens",
        "cache-read-input-token-count",
        "cache-write-input-token-count",
        "mantle-input-tokens",
        "mantle-cache-write-tokens",
        "input-image-count",
    ]);
    let dash_q = prop::collection::vec(
        prop::sample::select(vec![
            "priority",
            "flex",
            "standard",
            "batch",
            "long-context",
            "long-ctx",
            "1h",
            "5m",
            "cross-region-global",
            "cross-region-geo",
            "cross-region",
            "latency-optimized",
            "x",
        ]),
        0..4,
    );
    let mp_token = prop::sample::select(vec![
        "InputTokenCount",
        "CacheWrite1hInputTokenCount",
        "MillionBatchInputTokens",
        "input_tokens",
        "cache_write_tokens_1h",
        "output",
    ]);
    let mp_q = prop::collection::vec(
        prop::sample::select(vec![
            "Global",
            "Batch",
            "LongContext",
            "global",
            "standard",
            "batch",
            "long_context",
            "priority",
            "Geo",
            "x",
        ]),
        0..4,
    );
    (
        region,
        model,
        dash_token,
        dash_q,
        mp_token,
        mp_q,
        any::<bool>(),
    )
        .prop_map(|(r, m, t, q, mt, mq, mp)| {
            if mp {
                let mut s = format!("{r}-MP:{r}_{mt}");
                for x in mq {
                    s.push('_');
                    s.push_str(x);
                }
                s + "-Units"
            } else {
                let mut s = format!("{r}-{m}-{t}");
                for x in q {
                    s.push('-');
                    s.push_str(x);
                }
                s
            }
        })
}

/// The usage-type parser never panics; what it reads, `token_type_of` agrees with, and the
/// builder writes the parts back into a usage type that reads the same.
fn check_usage_type(s: &str) {
    use curlab_vocab::bedrock::{
        parse_usage_type, token_type_of, usage_type, ServiceTier, Spelling, UsageKey,
    };
    let Some(p) = parse_usage_type(s) else {
        let _ = token_type_of(s);
        return;
    };
    assert_eq!(token_type_of(s), Some(p.token), "{s:?}");
    let key = UsageKey {
        token: p.token,
        tier: p.tier,
        batch: p.batch,
        global: p.global,
        long_context: p.long_context,
    };
    let unwritable = p.mantle
        || p.geo
        || p.latency_optimized
        || (p.spelling == Spelling::MarketplaceCamel && p.tier != ServiceTier::Standard)
        || (p.spelling == Spelling::MarketplaceSnake && p.batch && p.tier != ServiceTier::Standard);
    if unwritable {
        return;
    }
    let again = usage_type(p.region_code, p.model.unwrap_or("m"), p.spelling, key);
    let q =
        parse_usage_type(&again).unwrap_or_else(|| panic!("{again:?} (from {s:?}) does not parse"));
    assert_eq!(
        (
            q.token,
            q.tier,
            q.batch,
            q.global,
            q.long_context,
            q.spelling
        ),
        (
            p.token,
            p.tier,
            p.batch,
            p.global,
            p.long_context,
            p.spelling
        ),
        "{s:?} → {again:?}"
    );
    if p.model.is_some() {
        assert_eq!(q.model, p.model, "{s:?} → {again:?}");
    }
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn usage_type_parser_survives_any_string(s in any::<String>()) {
        check_usage_type(&s);
    }

    #[test]
    fn usage_type_like_strings_read_back(s in usage_type_like(), at in any::<usize>(), c in hostile_char(), how in any::<u8>(), edit in any::<bool>()) {
        let s = if edit { mutate(s, at, c, how) } else { s };
        check_usage_type(&s);
    }
}

/// Crashes found by fuzzing, kept as regression tests.
mod regressions {
    /// `check_key` sliced `key[..4]` to look for `aws:`; byte 4 inside `é` panicked.
    #[test]
    fn tag_key_with_a_multibyte_char_at_byte_4() {
        assert!(curlab_vocab::tags::check_key("abcé").is_ok());
        assert!(curlab_vocab::tags::check_key("aws:é").is_err());
        // The regression is the panic when slicing at byte 4; whether an emoji is an allowed
        // tag character is decided by the charset rule, not here.
        let _ = curlab_vocab::tags::check_key("aw😀x");
        super::harness::tags("abcé".as_bytes());
    }
}
