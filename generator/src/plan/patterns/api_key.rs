//! Long-term Bedrock API keys (`[[api_keys]]`, scenario 1): each key is an IAM user
//! `BedrockAPIKey-<id>` (the id drawn from the seed when absent), whose tags are the key's.
//! Key user names share the account's IAM user names.

use curlab_vocab::arn::IdentityKind;
use rand::RngExt;

use crate::seed;
use crate::selector::{Selectable, Target};

use super::super::checks::{check_iam_name, check_tag_map};
use super::super::context::{root, Ctx};
use super::super::identities::Builder;
use super::super::tags::to_tags;
use super::super::types::Caller;
use super::kind::AccessPattern;

/// Check every key user's tags.
pub(crate) fn check_tags(cx: &mut Ctx<'_>) {
    let f = cx.file;
    for (i, k) in f.api_keys.iter().enumerate() {
        check_tag_map(
            cx,
            &k.tags,
            &root().key("api_keys").index(i).key("tags"),
            "the API key user",
        );
    }
}

/// One caller and one requester per key; ids are drawn from the population `api-keys`.
pub(crate) fn build(cx: &mut Ctx<'_>, b: &mut Builder<'_>) {
    let f = cx.file;
    let mut rng = seed::named(cx.seed, "api-keys");
    for (i, k) in f.api_keys.iter().enumerate() {
        let p = root().key("api_keys").index(i);
        let Some(acct) = b.account(cx, &k.account, p.key("account")) else {
            continue;
        };
        let id = k.id.clone().unwrap_or_else(|| {
            const A: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
            (0..4)
                .map(|_| A[rng.random_range(0..A.len())] as char)
                .collect()
        });
        let name = format!("BedrockAPIKey-{id}");
        check_iam_name(cx, "API key user name", &name, p.key("id"));
        if b.user_names
            .insert((acct, name.to_lowercase()), i)
            .is_some()
        {
            cx.problem(
                p.key("id"),
                format!("`{name}` is defined twice in this account"),
                "give each key a distinct id",
            );
        }
        let tags = b.tags(to_tags(&k.tags));
        let arn = format!("arn:aws:iam::{}:user/{}", b.accounts[acct].id, name);
        let c = b.push_caller(Caller {
            arn: arn.into(),
            identity: IdentityKind::BedrockApiKey,
            pattern: AccessPattern::ApiKey,
            account: acct,
            tags,
            session_keys: 0,
            principal_tags: tags,
            gateway: None,
            active_day: None,
        });
        let r = b.push_requester(vec![(c, 1.0)]);
        b.selectables.push(Selectable {
            target: Target::ApiKey,
            account: acct,
            name: id.clone(),
            sub: vec![name],
            requester: r,
            caller: Some(c),
        });
    }
}
