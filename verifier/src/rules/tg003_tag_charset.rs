//! TG003: a tag key or value breaks the length or character rules.

use curlab_vocab::tags::{
    check_key, check_value, split_prefix, TagProblem, IAM_PRINCIPAL_PREFIX, MAX_KEY_CHARS,
    MAX_VALUE_CHARS,
};

use super::{Ctx, Rule, View};
use crate::finding::Tally;
use crate::meta::*;
use crate::view::{K_IAM, K_PROBLEM};

/// TG003.
pub struct TagCharset;

static META: RuleMeta = RuleMeta {
    code: "TG003",
    name: "tag-length-or-charset",
    family: Family::Tags,
    severity: Severity::Error,
    applies: Applicability::Always,
    columns: &["tags"],
    summary: "a tag key or value is too long or has characters IAM does not allow",
    checks: "For every `tags` key (after its source prefix) the key is 1 to 128 characters and the value at most 256. For `iamPrincipal/` tags, which IAM and STS validate, key and value also use only letters, digits, spaces and `_.:/=+-@`. Resource tags of some services allow more characters, so their charset is not checked.",
    why: "IAM and STS reject such tags, so the value cannot come from a real principal or session; usually a tool wrote raw user input into tags or mangled the export.",
    example: "`tags = {\"iamPrincipal/team!\":\"ds\"}` or a 300-character value.",
    fix: "Fix the tags on the IAM user/role or the session tags the IdP or gateway sends (sanitise values), then wait for new rows; re-download the export if it was edited.",
    sql: crate::sql::SqlForm::Query(crate::sql::rules::tg003),
};

impl Rule for TagCharset {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_batch(&self, v: &View<'_>, _ctx: &Ctx, out: &mut Tally) {
        if v.key_flags() & K_PROBLEM == 0 && !v.any_value_problem() {
            return;
        }
        for i in 0..v.len {
            for t in v.tags(i) {
                // The key's own problem comes first; then the value's, by the key's rules.
                let problem = t.k.problem.as_ref().or(if t.k.has(K_IAM) {
                    t.v.problem.as_ref()
                } else {
                    t.v.too_long.as_ref()
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

/// The key's part of the check, once per distinct key: for an `iamPrincipal/` key the IAM
/// key rules (the reserved `aws:` prefix is TG004's), for other keys only the length.
pub(crate) fn key_problem(k: &str) -> Option<TagProblem> {
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

/// The value's part, once per distinct value: what `check_value` finds (for `iamPrincipal/`
/// keys) and whether it is too long (for other keys).
pub(crate) fn value_problems(v: &str) -> (Option<TagProblem>, Option<TagProblem>) {
    let n = v.chars().count();
    (
        check_value(v).err(),
        (n > MAX_VALUE_CHARS).then_some(TagProblem::ValueLength(n)),
    )
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
