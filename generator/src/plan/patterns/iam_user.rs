//! IAM users (`[[iam_users]]`, scenario 1 of the launch blog): long-term access keys, the
//! user's own ARN (`arn:aws:iam::<account>:user<path><name>`) and the user's tags. A user
//! named `BedrockAPIKey-…` is written as the API key identity kind, as AWS does.

use curlab_vocab::arn::IdentityKind;

use crate::selector::{Selectable, Target};

use super::super::checks::{check_iam_name, check_iam_path, check_tag_map};
use super::super::context::{root, Ctx};
use super::super::identities::Builder;
use super::super::tags::to_tags;
use super::super::types::Caller;
use super::kind::AccessPattern;

/// Check every user's tags.
pub(crate) fn check_tags(cx: &mut Ctx<'_>) {
    let f = cx.file;
    for (i, u) in f.iam_users.iter().enumerate() {
        check_tag_map(
            cx,
            &u.tags,
            &root().key("iam_users").index(i).key("tags"),
            "the user",
        );
    }
}

/// One caller and one requester per user.
pub(crate) fn build(cx: &mut Ctx<'_>, b: &mut Builder<'_>) {
    let f = cx.file;
    for (i, u) in f.iam_users.iter().enumerate() {
        let p = root().key("iam_users").index(i);
        let Some(acct) = b.account(cx, &u.account, p.key("account")) else {
            continue;
        };
        check_iam_name(cx, "user name", &u.name, p.key("name"));
        check_iam_path(cx, &u.path, p.key("path"));
        if b.user_names
            .insert((acct, u.name.to_lowercase()), i)
            .is_some()
        {
            cx.problem(
                p.key("name"),
                format!("user `{}` is defined twice in this account", u.name),
                "IAM user names are unique per account, ignoring case",
            );
        }
        let tags = b.tags(to_tags(&u.tags));
        let arn = format!(
            "arn:aws:iam::{}:user{}{}",
            b.accounts[acct].id, u.path, u.name
        );
        let identity = if u.name.starts_with("BedrockAPIKey-") {
            IdentityKind::BedrockApiKey
        } else {
            IdentityKind::IamUser
        };
        let c = b.push_caller(Caller {
            arn: arn.into(),
            identity,
            pattern: AccessPattern::IamUser,
            account: acct,
            tags,
            session_keys: 0,
            principal_tags: tags,
            gateway: None,
            active_day: None,
        });
        let r = b.push_requester(vec![(c, 1.0)]);
        b.selectables.push(Selectable {
            target: Target::User,
            account: acct,
            name: u.name.clone(),
            sub: vec![],
            requester: r,
            caller: Some(c),
        });
    }
}
