//! TG003: a tag key or value breaks the length or character rules.

use curlab_vocab::tags::{
    check_key, check_value, split_prefix, TagProblem, IAM_PRINCIPAL_PREFIX, MAX_KEY_CHARS,
    MAX_VALUE_CHARS,
};

use super::{Ctx, Rule};
use crate::finding::Tally;
use crate::meta::*;
use crate::row::Row;

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

    fn check_row(&self, row: &Row<'_>, _ctx: &Ctx, out: &mut Tally) {
        for (k, v) in row.tags.unwrap_or(&[]) {
            let (prefix, key) = split_prefix(k).unwrap_or(("", k.as_str()));
            let strict = prefix == IAM_PRINCIPAL_PREFIX;
            let problem = if strict {
                match check_key(key) {
                    Err(TagProblem::AwsPrefix) | Ok(()) => check_value(v).err(),
                    Err(e) => Some(e),
                }
            } else {
                let (kn, vn) = (key.chars().count(), v.chars().count());
                if kn == 0 || kn > MAX_KEY_CHARS {
                    Some(TagProblem::KeyLength(kn))
                } else if vn > MAX_VALUE_CHARS {
                    Some(TagProblem::ValueLength(vn))
                } else {
                    None
                }
            };
            if let Some(p) = problem {
                let shown: String = v.chars().take(300).collect();
                out.hit(
                    row.file,
                    row.cost,
                    row.sample([
                        ("tag", k.clone()),
                        ("value", shown),
                        ("problem", p.to_string()),
                    ]),
                );
            }
        }
    }
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
