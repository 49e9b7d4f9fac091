//! `[[background]]`: non-Bedrock services, their generated resource ids and resource tags
//! (what they cost and how their rows read is [`crate::background`]).

use curlab_vocab::bedrock;

use crate::scenario::model::{BackgroundService, GuardrailPrincipal};
use crate::seed;
use crate::size::scaled;

use super::checks::check_tag_map;
use super::context::{root, Ctx};
use super::identities::{select, Builder};
use super::tags::to_tags;
use super::types::{Account, BackgroundPlan};

/// Check the resource tags of every entry.
pub(crate) fn check_tags(cx: &mut Ctx<'_>) {
    let f = cx.file;
    for (i, b) in f.background.iter().enumerate() {
        check_tag_map(
            cx,
            &b.resource_tags,
            &root().key("background").index(i).key("resource_tags"),
            "the resource",
        );
    }
}

/// The caller of a guardrail entry (`caller`), when `guardrail_principal = "caller"` writes
/// it on the rows: a selector that names exactly one principal.
fn guardrail_caller(
    cx: &mut Ctx<'_>,
    b: &Builder<'_>,
    bg: &crate::scenario::model::BackgroundSpec,
    p: &crate::scenario::Path,
) -> Option<usize> {
    let on_rows = cx.file.assumptions.guardrail_principal == GuardrailPrincipal::Caller;
    match (&bg.caller, bg.service) {
        (Some(_), s) if s != BackgroundService::BedrockGuardrails => {
            cx.problem(
                p.key("caller"),
                "`caller` is only for `bedrock-guardrails` entries",
                "leave `caller` out of this entry",
            );
            None
        }
        (None, BackgroundService::BedrockGuardrails) if on_rows => {
            cx.problem(
                p.key("service"),
                "guardrail_principal = \"caller\" needs the principal whose requests the guardrail screens",
                "add caller = \"role:<name>\" (or user:, api-key:, idp:, gateway:) naming one principal to this entry",
            );
            None
        }
        (Some(sel), _) => {
            let sel = sel.clone();
            let callers: Vec<usize> = select(cx, b, &sel, p.key("caller"))
                .into_iter()
                .flat_map(|r| b.requesters[r].callers.iter().map(|(c, _)| *c))
                .collect::<std::collections::BTreeSet<usize>>()
                .into_iter()
                .collect();
            match callers.as_slice() {
                [one] => on_rows.then_some(*one),
                [] => None, // `select` said why
                many => {
                    cx.problem(
                        p.key("caller"),
                        format!("selector `{sel}` names {} principals; a guardrail's caller is one", many.len()),
                        "name one principal: a user, an API key, or a role with one session (e.g. a Lambda function)",
                    );
                    None
                }
            }
        }
        (None, _) => None,
    }
}

/// Resolve the background entries; resource ids are drawn from the population `bg:<index>`.
pub(crate) fn resolve_background(
    cx: &mut Ctx<'_>,
    accounts: &[Account],
    b: &Builder<'_>,
) -> Vec<BackgroundPlan> {
    let mut out = Vec::new();
    let specs = cx.file.background.clone();
    for (i, bg) in specs.iter().enumerate() {
        let p = root().key("background").index(i);
        let caller = guardrail_caller(cx, b, bg, &p);
        let Some(acct) = accounts
            .iter()
            .position(|a| a.id == bg.account || a.name == bg.account)
        else {
            cx.problem(
                p.key("account"),
                format!("unknown account `{}`", bg.account),
                "use the id or name of an account in [organization]",
            );
            continue;
        };
        if bedrock::region_code(&bg.region).is_none() {
            cx.problem(
                p.key("region"),
                format!("unknown region `{}`", bg.region),
                "use e.g. us-east-1",
            );
            continue;
        }
        let n = scaled(u64::from(bg.resources), cx.scale);
        if n > 100_000 {
            cx.problem(
                p.key("resources"),
                format!("{n} resources is more than curlab generates per entry (100,000)"),
                "lower resources or --scale",
            );
            continue;
        }
        let mut rng = seed::named(cx.seed, &format!("bg:{i}"));
        let id = &accounts[acct].id;
        let resources = (0..n)
            .map(|k| match bg.service {
                BackgroundService::Ec2 => format!("i-0{}", seed::hex(&mut rng, 16)),
                BackgroundService::S3 => format!(
                    "{}-data-{k}-{}",
                    accounts[acct]
                        .name
                        .to_lowercase()
                        .replace(|c: char| !c.is_ascii_alphanumeric(), "-"),
                    seed::hex(&mut rng, 6)
                ),
                BackgroundService::Lambda => format!(
                    "arn:aws:lambda:{}:{id}:function:fn-{k}-{}",
                    bg.region,
                    seed::hex(&mut rng, 6)
                ),
                BackgroundService::Cloudwatch => {
                    format!("arn:aws:logs:{}:{id}:log-group:/app/service-{k}", bg.region)
                }
                BackgroundService::DataTransfer => format!("i-0{}", seed::hex(&mut rng, 16)),
                BackgroundService::Rds => {
                    format!(
                        "arn:aws:rds:{}:{id}:db:db-{k}-{}",
                        bg.region,
                        seed::hex(&mut rng, 6)
                    )
                }
                BackgroundService::Eks => format!(
                    "arn:aws:eks:{}:{id}:cluster/cluster-{k}-{}",
                    bg.region,
                    seed::hex(&mut rng, 6)
                ),
                BackgroundService::Ses => format!(
                    "arn:aws:ses:{}:{id}:identity/mail{k}.example.com",
                    bg.region
                ),
                BackgroundService::Sns => format!(
                    "arn:aws:sns:{}:{id}:topic-{k}-{}",
                    bg.region,
                    seed::hex(&mut rng, 6)
                ),
                BackgroundService::Sqs => format!(
                    "arn:aws:sqs:{}:{id}:queue-{k}-{}",
                    bg.region,
                    seed::hex(&mut rng, 6)
                ),
                BackgroundService::SecretsManager => format!(
                    "arn:aws:secretsmanager:{}:{id}:secret:app/secret-{k}-{}",
                    bg.region,
                    seed::hex(&mut rng, 6)
                ),
                BackgroundService::BedrockProvisionedThroughput => format!(
                    "arn:aws:bedrock:{}:{id}:provisioned-model/{}",
                    bg.region,
                    seed::hex(&mut rng, 12)
                ),
                // A reservation names no resource [choice]: the row's resource id is null.
                BackgroundService::BedrockReservedTier => String::new(),
                BackgroundService::BedrockGuardrails => format!(
                    "arn:aws:bedrock:{}:{id}:guardrail/{}",
                    bg.region,
                    seed::hex(&mut rng, 12)
                ),
                BackgroundService::BedrockRerank => format!(
                    "arn:aws:bedrock:{}::foundation-model/amazon.rerank-v1:0",
                    bg.region
                ),
                BackgroundService::BedrockAgentcoreRuntime => format!(
                    "arn:aws:bedrock-agentcore:{}:{id}:runtime/agent_{k}-{}",
                    bg.region,
                    seed::hex(&mut rng, 10)
                ),
                // Cache storage names no resource [choice]: the row's resource id is null.
                BackgroundService::BedrockCacheStorage => String::new(),
                BackgroundService::OpensearchServerless => format!(
                    "arn:aws:aoss:{}:{id}:collection/{}",
                    bg.region,
                    seed::hex(&mut rng, 20)
                ),
            })
            .collect();
        out.push(BackgroundPlan {
            service: bg.service,
            account: acct,
            region: bg.region.clone(),
            resources,
            tags: to_tags(&bg.resource_tags),
            caller,
        });
    }
    out
}
