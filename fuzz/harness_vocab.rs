//! The fuzz entry points for the vocabulary (ARN parser, tag rules), shared by the `cargo fuzz`
//! targets `arn` and `tags`, `tests/it/fuzz_vocab.rs` and `tests/it/fuzz_corpus.rs`. They depend on
//! `curlab-vocab` only, so those targets build in a minute. Each must never panic; a violated
//! property panics with the input.
#![allow(dead_code)]

/// The ARN parser: never panics; what it accepts is well-formed.
pub fn arn(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    if let Ok(p) = curlab_vocab::arn::parse_principal(&s) {
        assert!(
            curlab_vocab::arn::is_account_id(p.account),
            "account {:?} of {s:?}",
            p.account
        );
        assert!(
            matches!(p.partition, "aws" | "aws-cn" | "aws-us-gov"),
            "partition of {s:?}"
        );
        assert!(s.starts_with("arn:"), "accepted {s:?}");
        if let Some(role) = p.role_arn() {
            let again = curlab_vocab::arn::parse_principal(&role)
                .unwrap_or_else(|e| panic!("role ARN {role:?} of {s:?} does not parse: {e}"));
            assert_eq!(again.account, p.account);
        }
        let _ = p.kind.as_str();
    }
    let _ = curlab_vocab::arn::check_session_name(&s);
    let name = curlab_vocab::arn::sanitize_session_name(&s);
    if !name.is_empty() {
        assert!(
            name.chars().all(curlab_vocab::arn::is_iam_name_char),
            "sanitized {s:?} to {name:?}"
        );
    }
}

/// The tag rules: never panic; an accepted key or value obeys the documented limits.
pub fn tags(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    if curlab_vocab::tags::check_key(&s).is_ok() {
        let n = s.chars().count();
        assert!((1..=128).contains(&n), "key {s:?} of {n} chars accepted");
        assert!(
            !s.to_ascii_lowercase().starts_with("aws:"),
            "key {s:?} accepted"
        );
    }
    if curlab_vocab::tags::check_value(&s).is_ok() {
        assert!(s.chars().count() <= 256, "value {s:?} accepted");
    }
    if let Some((prefix, rest)) = curlab_vocab::tags::split_prefix(&s) {
        assert!(s.len() >= prefix.len() && s.ends_with(rest), "split {s:?}");
    }
    let col = curlab_vocab::tags::resource_tags_column_key(&s);
    assert!(
        !col.contains(['\n', '\r', '"']),
        "column key {col:?} of {s:?}"
    );
}
