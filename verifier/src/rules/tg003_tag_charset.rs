//! TG003: a tag key or value breaks the length or character rules.

use curlab_vocab::tags::{IAM_PRINCIPAL_PREFIX, KNOWN_TAG_PREFIXES, MAX_KEY_CHARS, MAX_VALUE_CHARS, TagProblem, check_key, check_value, split_prefix};

use crate::context::Ctx;
use crate::facts::{Distinct, Fact, Needs, PerValue, View};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::read::Col;
use crate::rule::Rule;
use crate::sql::dialect::KEY;
use crate::sql::form::{SqlCx, SqlForm, Violations};
use crate::sql::fragment::{BAD_TAG_CHAR_RE, has_prefix, principal_key, tag_entries};

/// TG003.
pub struct TagCharset;

static META: RuleMeta = RuleMeta {
    code: "TG003",
    name: "tag-length-or-charset",
    family: Family::Tags,
    severity: Severity::Error,
    applies: Applicability::Always,
    needs: Needs {
        columns: &[Col::Tags],
        facts: &[&KEY_PROBLEM, &VALUE_PROBLEMS],
        ..Needs::NONE
    },
    summary: "a tag key or value is too long or has characters IAM does not allow",
    checks: "For every `tags` key (after its source prefix) the key is 1 to 128 characters and the value at most 256. For `iamPrincipal/` tags, which IAM and STS validate, key and value also use only letters, digits, spaces and `_.:/=+-@`. Resource tags of some services allow more characters, so their charset is not checked.",
    why: "IAM and STS reject such tags, so the value cannot come from a real principal or session; usually a tool wrote raw user input into tags or mangled the export.",
    example: "`tags = {\"iamPrincipal/team!\":\"ds\"}` or a 300-character value.",
    fix: "Fix the tags on the IAM user/role or the session tags the IdP or gateway sends (sanitise values), then wait for new rows; re-download the export if it was edited.",
    sql: SqlForm::Query(sql),
};

/// What is wrong with a key itself, if anything (once per distinct key).
static KEY_PROBLEM: PerValue<Option<TagProblem>> = PerValue {
    of: Distinct::TagKey,
    fact: |k, _| key_problem(k),
};

/// What is wrong with a value, by the rules of either kind of key (once per distinct value).
static VALUE_PROBLEMS: PerValue<ValueProblems> = PerValue {
    of: Distinct::TagValue,
    fact: |v, _| value_problems(v),
};

impl Rule for TagCharset {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_batch(&self, v: &View<'_>, _ctx: &Ctx, out: &mut Tally) {
        let keys = v.facts(&KEY_PROBLEM);
        let values = v.facts(&VALUE_PROBLEMS);
        if !keys.any() && !values.any() {
            return;
        }
        for i in 0..v.len {
            for t in v.tags(i) {
                // The key's own problem comes first; then the value's, by the key's rules.
                let value = values.of(&t);
                let problem = keys.of(&t).and_then(Option::as_ref).or(if t.k.iam {
                    value.and_then(|p| p.iam.as_ref())
                } else {
                    value.and_then(|p| p.other.as_ref())
                });
                if let Some(p) = problem {
                    let shown: String = t.value.chars().take(300).collect();
                    out.hit(
                        v.file,
                        v.cost(i),
                        v.sample(
                            i,
                            [
                                ("tag", t.key.to_string()),
                                ("value", shown),
                                ("problem", p.to_string()),
                            ],
                        ),
                    );
                }
            }
        }
    }
}

/// The key's part of the check: for an `iamPrincipal/` key the IAM key rules (the reserved
/// `aws:` prefix is TG004's), for other keys only the length.
fn key_problem(k: &str) -> Option<TagProblem> {
    let (prefix, key) = split_prefix(k).unwrap_or(("", k));
    if prefix == IAM_PRINCIPAL_PREFIX {
        match check_key(key) {
            Err(TagProblem::AwsPrefix) | Ok(()) => None,
            Err(e) => Some(e),
        }
    } else {
        let n = key.chars().count();
        (n == 0 || n > MAX_KEY_CHARS).then_some(TagProblem::KeyLength(n))
    }
}

/// What is wrong with a value under the rules of an `iamPrincipal/` key, and of other keys.
#[derive(Debug, Clone)]
struct ValueProblems {
    /// What `check_value` finds (for `iamPrincipal/` keys).
    iam: Option<TagProblem>,
    /// The value is longer than 256 characters (for other keys).
    other: Option<TagProblem>,
}

impl Fact for ValueProblems {
    fn marked(&self) -> bool {
        self.iam.is_some() || self.other.is_some()
    }
}

/// The value's part of the check.
fn value_problems(v: &str) -> ValueProblems {
    let n = v.chars().count();
    ValueProblems {
        iam: check_value(v).err(),
        other: (n > MAX_VALUE_CHARS).then_some(TagProblem::ValueLength(n)),
    }
}

/// The SQL form: a key (after its prefix) of 0 or over 128 characters, a value over 256, or, for
/// iamPrincipal/ tags, a character IAM does not allow; one per entry.
fn sql(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    let prefix_len = {
        let whens: Vec<String> = KNOWN_TAG_PREFIXES
            .iter()
            .map(|p| format!("WHEN {} THEN {}", has_prefix(KEY, p), p.chars().count()))
            .collect();
        format!("CASE {} ELSE 0 END", whens.join(" "))
    };
    let key_len = format!("(length({KEY}) - {prefix_len})");
    let value = format!("coalesce({}, '')", d.map_get("tags", KEY));
    let cond = format!(
        "({key_len} = 0 OR {key_len} > {MAX_KEY_CHARS} OR length({value}) > {MAX_VALUE_CHARS} OR ({strict} AND ({bad_key} OR {bad_value})))",
        strict = principal_key(KEY),
        bad_key = d.regex(KEY, BAD_TAG_CHAR_RE),
        bad_value = d.regex(&value, BAD_TAG_CHAR_RE),
    );
    tag_entries(d, &cond)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testkit::*;

    #[test]
    fn fires_on_bad_char_and_long_value() {
        assert_eq!(run(&TagCharset, &[inference(), ec2()], &ctx()).count, 0);
        let bad = Row {
            tags: tags(&[("iamPrincipal/team!", "ds")]),
            ..inference()
        };
        let long = "v".repeat(300);
        let long_row = Row {
            tags: tags(&[("resourceTags/x", long.as_str())]),
            ..ec2()
        };
        assert_eq!(run(&TagCharset, &[bad, long_row], &ctx()).count, 2);
    }
}
