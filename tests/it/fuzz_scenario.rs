//! Property-based fuzzing of the scenario parser and resolver (`generator/src/scenario`,
//! `generator/src/plan/`): arbitrary text, and structure-aware mutations of the shipped
//! scenarios (lines deleted, duplicated, swapped or cut; values replaced by other types or
//! extreme numbers). Never a panic; every error names the file and a line inside it.

use crate::harness;

use proptest::prelude::*;

const SHIPPED: &[&str] = &[
    include_str!("../../scenarios/blog-launch.toml"),
    include_str!("../../scenarios/enterprise.toml"),
    include_str!("../../scenarios/s1-iam-users.toml"),
    include_str!("../../scenarios/s2-app-roles.toml"),
    include_str!("../../scenarios/s3-entra-oidc.toml"),
    include_str!("../../scenarios/s3-okta-saml.toml"),
    include_str!("../../scenarios/s4-gateway-per-user.toml"),
    include_str!("../../scenarios/s4-gateway-shared-role.toml"),
];

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

/// Values a mutation may put where a value was.
const VALUES: &[&str] = &[
    "\"\"",
    "0",
    "-1",
    "1e308",
    "nan",
    "inf",
    "-inf",
    "18446744073709551615",
    "99999999999999999999",
    "true",
    "[]",
    "{}",
    "[[1]]",
    "\"\\u001b[2J\"",
    "\"../../x\"",
    "\"arn:aws:iam::123456789012:role/x\"",
    "\"2026-02-30\"",
    "1979-05-27T07:32:00Z",
    "{ count = 4000000000 }",
    "{ kind = \"ecs\", tasks = 4294967295 }",
    "\"é😀\"",
];

/// A structure-aware edit of a scenario.
#[derive(Debug, Clone)]
enum Edit {
    DeleteLine(usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    Truncate(usize),
    ReplaceValue(usize, usize),
    InsertBytes(usize, String),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<usize>().prop_map(Edit::DeleteLine),
        any::<usize>().prop_map(Edit::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::SwapLines(a, b)),
        any::<usize>().prop_map(Edit::Truncate),
        (any::<usize>(), 0..VALUES.len()).prop_map(|(a, v)| Edit::ReplaceValue(a, v)),
        (any::<usize>(), "[\\[\\]{}=\",.#\\n a-z0-9]{0,12}")
            .prop_map(|(a, s)| Edit::InsertBytes(a, s)),
    ]
}

fn apply(src: &str, e: &Edit) -> String {
    let mut lines: Vec<String> = src.lines().map(String::from).collect();
    let n = lines.len().max(1);
    match e {
        Edit::DeleteLine(i) => {
            if !lines.is_empty() {
                lines.remove(i % n);
            }
        }
        Edit::DuplicateLine(i) => {
            if let Some(l) = lines.get(i % n).cloned() {
                lines.insert(i % n, l);
            }
        }
        Edit::SwapLines(a, b) => {
            if !lines.is_empty() {
                lines.swap(a % n, b % n);
            }
        }
        Edit::Truncate(i) => {
            let s = lines.join("\n");
            let mut cut = i % (s.len() + 1);
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            return s[..cut].to_string();
        }
        Edit::ReplaceValue(i, v) => {
            // The i-th `key = value` line gets a value of another kind.
            let with_eq: Vec<usize> = (0..lines.len())
                .filter(|j| lines[*j].contains(" = "))
                .collect();
            if !with_eq.is_empty() {
                let j = with_eq[i % with_eq.len()];
                let key = lines[j].split(" = ").next().unwrap_or("").to_string();
                lines[j] = format!("{key} = {}", VALUES[*v]);
            }
        }
        Edit::InsertBytes(i, s) => {
            let joined = lines.join("\n");
            let mut at = i % (joined.len() + 1);
            while !joined.is_char_boundary(at) {
                at -= 1;
            }
            return format!("{}{s}{}", &joined[..at], &joined[at..]);
        }
    }
    lines.join("\n")
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn any_text_is_parsed_or_refused(s in any::<String>()) {
        harness::scenario(s.as_bytes());
    }

    #[test]
    fn any_bytes_are_parsed_or_refused(b in prop::collection::vec(any::<u8>(), 0..400)) {
        harness::scenario(&b);
    }

    #[test]
    fn mutated_shipped_scenarios_are_parsed_or_refused(
        which in 0..SHIPPED.len(),
        edits in prop::collection::vec(edit(), 1..4),
    ) {
        let mut src = SHIPPED[which].to_string();
        for e in &edits {
            src = apply(&src, e);
        }
        harness::scenario(src.as_bytes());
    }
}

#[test]
fn shipped_scenarios_pass_the_harness() {
    for s in SHIPPED {
        harness::scenario(s.as_bytes());
    }
}
