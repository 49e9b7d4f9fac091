//! Property tests of the generator core: random small scenarios, written as TOML text, parsed,
//! resolved and simulated day by day exactly as `curlab generate` does (minus the files).
//!
//! Checked on every generated scenario:
//! (a) row costs (integer `cost_e16`) sum exactly to the truth totals: Bedrock, background,
//!     tax, per principal, per `iamPrincipal/` tag value, unattributed;
//! (b) where a session tag and a principal tag collide (ignoring case), the row carries the
//!     session's value, under the spelling `[assumptions] override_key_spelling` names;
//! (c) every principal parses, has a valid session name, the identity kind it was built as,
//!     and the row's usage account; it is present exactly when the rules say so;
//! (d) `tags` holds only activated keys, only on rows starting once the activation took effect
//!     (or inside a backfill) — checked by recomputing each row's whole tag map from the
//!     scenario as written, independently of `plan/`.

use std::collections::{BTreeMap, BTreeSet};

use curlab_generator::plan;
use curlab_generator::rows::e16_to_usd;
use curlab_generator::scenario;
use curlab_generator::sim;
use curlab_generator::{Plan, Row, RowKind, TagTable};
use curlab_vocab::arn::{check_session_name, parse_principal, sanitize_session_name, IdentityKind};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// The random scenario, as the test's own model.
// ---------------------------------------------------------------------------------------------

const ACCOUNTS: [&str; 2] = ["111111111111", "222222222222"];
const BASE_KEYS: [&str; 5] = ["team", "cost-center", "project", "env", "owner"];
const VALUES: [&str; 6] = ["ds", "eng", "ml", "fin", "x y", "a:b/c"];

/// `(key, value)` pairs in scenario order; keys differ ignoring case.
type Tags = Vec<(String, String)>;

/// A key spelled one of three ways, so principal and session tags overlap case-insensitively.
fn spell(base: &str, variant: u8) -> String {
    match variant % 3 {
        0 => base.to_string(),
        1 => {
            let mut c = base.chars();
            c.next()
                .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
        }
        _ => base.to_uppercase(),
    }
}

/// A spelling variant, lower case most often so that activations (mostly lower case) match
/// and principal/session collisions often differ only in case.
fn variant() -> impl Strategy<Value = u8> {
    prop::sample::select(vec![0u8, 0, 1, 2])
}

fn tag_map(max: usize) -> impl Strategy<Value = Tags> {
    prop::collection::vec((0..BASE_KEYS.len(), variant(), 0..VALUES.len()), 0..=max).prop_map(|v| {
        let mut seen = BTreeSet::new();
        v.into_iter()
            .filter(|(k, _, _)| seen.insert(*k))
            .map(|(k, c, val)| (spell(BASE_KEYS[k], c), VALUES[val].to_string()))
            .collect()
    })
}

/// Session tag key → user attribute (`a_<base key>`), keys differing ignoring case.
fn session_map() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((0..BASE_KEYS.len(), variant()), 0..=3).prop_map(|v| {
        let mut seen = BTreeSet::new();
        v.into_iter()
            .filter(|(k, _)| seen.insert(*k))
            .map(|(k, c)| {
                (
                    spell(BASE_KEYS[k], c),
                    format!("a_{}", BASE_KEYS[k].replace('-', "_")),
                )
            })
            .collect()
    })
}

/// Attribute values for every attribute a session map may read.
fn attributes() -> impl Strategy<Value = BTreeMap<String, String>> {
    prop::collection::vec(0..VALUES.len(), BASE_KEYS.len()).prop_map(|v| {
        BASE_KEYS
            .iter()
            .zip(v)
            .map(|(k, i)| (format!("a_{}", k.replace('-', "_")), VALUES[i].to_string()))
            .collect()
    })
}

#[derive(Debug, Clone)]
enum Naming {
    Fixed(String),
    Lambda(Vec<String>),
    Ecs(u32),
    Ec2(u32),
    Batch(u32),
}

fn session_name() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_+=,.@-]{2,24}"
}

fn naming() -> impl Strategy<Value = Naming> {
    prop_oneof![
        session_name().prop_map(Naming::Fixed),
        prop::collection::btree_set(session_name(), 1..3)
            .prop_map(|s| Naming::Lambda(s.into_iter().collect())),
        (1u32..3).prop_map(Naming::Ecs),
        (1u32..3).prop_map(Naming::Ec2),
        (1u32..3).prop_map(Naming::Batch),
    ]
}

#[derive(Debug, Clone)]
struct AppRole {
    account: usize,
    tags: Tags,
    session_tags: Tags,
    trust: bool,
    naming: Naming,
}

fn app_role() -> impl Strategy<Value = AppRole> {
    (0..2usize, tag_map(3), tag_map(2), any::<bool>(), naming()).prop_map(
        |(account, tags, session_tags, trust, naming)| AppRole {
            account,
            trust: trust || !session_tags.is_empty(),
            tags,
            session_tags,
            naming,
        },
    )
}

#[derive(Debug, Clone)]
struct Idp {
    /// 0 Okta SAML, 1 Entra OIDC, 2 Identity Center.
    kind: u8,
    account: usize,
    by_email: bool,
    role_tags: Tags,
    session_tags: Vec<(String, String)>,
    /// Listed users: attributes per user (names are `i<idp>u<n>`).
    users: Vec<BTreeMap<String, String>>,
    /// Generated users; each attribute pool has one value, so their attributes are known.
    generated: u64,
    pool: BTreeMap<String, String>,
    /// Chain into a second role with these tags, passing the session keys selected here.
    chain: Option<(Tags, Vec<bool>)>,
}

fn idp() -> impl Strategy<Value = Idp> {
    (
        0u8..3,
        0..2usize,
        any::<bool>(),
        tag_map(3),
        session_map(),
        prop::collection::vec(attributes(), 1..3),
        0u64..3,
        attributes(),
        prop::option::of((tag_map(3), prop::collection::vec(any::<bool>(), 3))),
    )
        .prop_map(
            |(kind, account, by_email, role_tags, session_tags, users, generated, pool, chain)| {
                Idp {
                    kind,
                    account,
                    by_email,
                    role_tags,
                    session_tags,
                    users,
                    generated,
                    pool,
                    // Identity Center roles are AWS-managed; curlab chains only from Okta/Entra roles.
                    chain: if kind == 2 { None } else { chain },
                }
            },
        )
}

#[derive(Debug, Clone)]
struct Gateway {
    account: usize,
    per_user: bool,
    by_tenant: bool,
    prefix: &'static str,
    exec_defined: bool,
    exec_tags: Tags,
    exec_tasks: u32,
    inv_tags: Tags,
    session_tags: Vec<(String, String)>,
    /// Listed users: (id, attributes incl. `tenant`).
    users: Vec<(String, BTreeMap<String, String>)>,
    generated: u64,
    pool: BTreeMap<String, String>,
}

const TENANTS: [&str; 3] = [
    "acme",
    "globex corp/eu",
    "a-tenant-id-that-is-much-longer-than-sixty-four-characters-for-sure-0001",
];

fn gateway() -> impl Strategy<Value = Gateway> {
    let user = ("[a-z0-9 /:#]{1,80}", attributes(), 0..TENANTS.len());
    (
        (
            0..2usize,
            any::<bool>(),
            any::<bool>(),
            prop::sample::select(vec!["", "gw-", "a b/"]),
        ),
        (
            any::<bool>(),
            tag_map(2),
            1u32..3,
            tag_map(3),
            session_map(),
        ),
        prop::collection::vec(user, 1..4),
        (0u64..3, attributes(), 0..TENANTS.len()),
    )
        .prop_map(
            |(
                (account, per_user, by_tenant, prefix),
                (exec_defined, exec_tags, exec_tasks, inv_tags, session_tags),
                users,
                (generated, mut pool, gt),
            )| {
                let mut seen = BTreeSet::new();
                let users = users
                    .into_iter()
                    .filter(|(id, _, _)| seen.insert(id.clone()))
                    .map(|(id, mut attrs, t)| {
                        attrs.insert("tenant".into(), TENANTS[t].into());
                        (id, attrs)
                    })
                    .collect();
                pool.insert("tenant".into(), TENANTS[gt].into());
                Gateway {
                    account,
                    per_user,
                    by_tenant,
                    prefix,
                    exec_defined,
                    exec_tags,
                    exec_tasks,
                    inv_tags,
                    // Session tags without per-user sessions are an error; only give them when on.
                    session_tags: if per_user { session_tags } else { Vec::new() },
                    users,
                    generated,
                    pool,
                }
            },
        )
}

#[derive(Debug, Clone)]
struct Activation {
    key: String,
    /// Hours after 2026-02-15T00:00Z.
    at_hour: i64,
    delay: u32,
    /// Months before the activation month the backfill starts (None: no backfill).
    backfill_back: Option<u32>,
}

fn activation() -> impl Strategy<Value = Activation> {
    (
        (0..BASE_KEYS.len(), 0u8..3),
        0i64..(120 * 24),
        0u32..49,
        prop::option::of(0u32..3),
    )
        .prop_map(|((k, c), at_hour, delay, backfill_back)| Activation {
            key: spell(BASE_KEYS[k], c),
            at_hour,
            delay,
            backfill_back,
        })
}

const MODELS: [&str; 5] = [
    "claude-sonnet-4.6",
    "claude-opus-4.6",
    "nova-micro",
    "gpt-oss-120b",
    "claude-haiku-4.5",
];

#[derive(Debug, Clone)]
struct Workload {
    selectors: Vec<prop::sample::Index>,
    model: usize,
    rate: f64,
    input: f64,
    output: f64,
    cache: (f64, f64, f64),
    shares: (f64, f64, f64),
    tier: usize,
    hours: usize,
}

fn workload() -> impl Strategy<Value = Workload> {
    (
        prop::collection::vec(any::<prop::sample::Index>(), 1..3),
        0..MODELS.len(),
        0.2f64..4.0,
        (10.0f64..3000.0, 5.0f64..800.0),
        (0.0f64..0.4, 0.0f64..0.3, 0.0f64..0.2),
        (0.0f64..1.0, 0.0f64..0.6, 0.0f64..1.0),
        (0..3usize, 0..3usize),
    )
        .prop_map(
            |(selectors, model, rate, (input, output), cache, shares, (tier, hours))| Workload {
                selectors,
                model,
                rate,
                input,
                output,
                cache,
                shares,
                tier,
                hours,
            },
        )
}

#[derive(Debug, Clone)]
struct Request {
    who: prop::sample::Index,
    /// Seconds after the first period's start.
    at: prop::sample::Index,
    model: usize,
    tokens: [u64; 5],
    flags: (bool, bool, bool),
    tier: usize,
}

fn request() -> impl Strategy<Value = Request> {
    (
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        0..MODELS.len(),
        (
            0u64..200_000,
            0u64..60_000,
            0u64..50_000,
            0u64..20_000,
            0u64..10_000,
        ),
        (any::<bool>(), any::<bool>(), any::<bool>()),
        0..3usize,
    )
        .prop_map(|(who, at, model, t, flags, tier)| Request {
            who,
            at,
            model,
            tokens: [t.0, t.1, t.2, t.3, t.4],
            flags,
            tier,
        })
}

#[derive(Debug, Clone)]
struct Spec {
    periods: &'static [&'static str],
    granularity: &'static str,
    enabled_on: Option<&'static str>,
    spelling_session: bool,
    batch_caller: bool,
    opus_marketplace: bool,
    users: Vec<(usize, Tags)>,
    keys: Vec<(usize, Tags)>,
    roles: Vec<AppRole>,
    idps: Vec<Idp>,
    gateway: Option<Gateway>,
    activations: Vec<Activation>,
    background: Option<(Tags, Option<usize>)>,
    workloads: Vec<Workload>,
    requests: Vec<Request>,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        (
            prop::sample::select(vec![
                &["2026-04"][..],
                &["2026-05"][..],
                &["2026-04", "2026-05"][..],
            ]),
            prop::sample::select(vec!["HOURLY", "DAILY", "MONTHLY"]),
            prop::option::of(prop::sample::select(vec!["2026-04-15", "2026-05-10"])),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
        ),
        (
            prop::collection::vec((0..2usize, tag_map(4)), 1..4),
            prop::collection::vec((0..2usize, tag_map(3)), 0..3),
            prop::collection::vec(app_role(), 0..3),
            prop::collection::vec(idp(), 0..3),
            prop::option::of(gateway()),
        ),
        (
            prop::collection::vec(activation(), 0..8),
            prop::option::of((tag_map(2), prop::option::of(0..BASE_KEYS.len()))),
            prop::collection::vec(workload(), 1..3),
            prop::collection::vec(request(), 0..5),
        ),
    )
        .prop_map(
            |(
                (
                    periods,
                    granularity,
                    enabled_on,
                    spelling_session,
                    batch_caller,
                    opus_marketplace,
                ),
                (users, keys, roles, idps, gateway),
                (activations, background, workloads, requests),
            )| {
                let mut seen = BTreeSet::new();
                let activations = activations
                    .into_iter()
                    .filter(|a| seen.insert(a.key.clone()))
                    .collect();
                Spec {
                    periods,
                    granularity,
                    enabled_on,
                    spelling_session,
                    batch_caller,
                    opus_marketplace,
                    users,
                    keys,
                    roles,
                    idps,
                    gateway,
                    activations,
                    background,
                    workloads,
                    requests,
                }
            },
        )
}

// ---------------------------------------------------------------------------------------------
// Rendering the model as a scenario file.
// ---------------------------------------------------------------------------------------------

const FEB_15: i64 = 1_771_113_600; // 2026-02-15T00:00:00Z

fn q(s: &str) -> String {
    // JSON string escapes are valid TOML basic-string escapes.
    serde_json::to_string(s).unwrap()
}

fn inline(tags: &[(String, String)]) -> String {
    let parts: Vec<String> = tags
        .iter()
        .map(|(k, v)| format!("{} = {}", q(k), q(v)))
        .collect();
    format!("{{ {} }}", parts.join(", "))
}

fn inline_map(m: &BTreeMap<String, String>) -> String {
    let v: Vec<(String, String)> = m.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    inline(&v)
}

fn pools(m: &BTreeMap<String, String>) -> String {
    let parts: Vec<String> = m
        .iter()
        .map(|(k, v)| format!("{} = [{}]", q(k), q(v)))
        .collect();
    format!("{{ {} }}", parts.join(", "))
}

fn role_name(i: usize) -> String {
    format!("App{i}")
}

fn month_start(label: &str) -> i64 {
    plan::parse_month(label)
        .and_then(|(y, m)| chrono::NaiveDate::from_ymd_opt(y, m, 1))
        .map(|d| plan::day_of(d) * 86_400)
        .unwrap()
}

fn month_label_back(ts: i64, back: u32) -> String {
    use chrono::Datelike;
    let d = chrono::DateTime::from_timestamp(ts, 0)
        .unwrap()
        .date_naive();
    let mut months = d.year() * 12 + d.month0() as i32 - back as i32;
    if months < 0 {
        months = 0;
    }
    format!("{:04}-{:02}", months / 12, months % 12 + 1)
}

/// Selectors naming exactly one caller, for explicit requests.
fn single_callers(s: &Spec) -> Vec<String> {
    let mut out: Vec<String> = (0..s.users.len())
        .map(|i| format!("user:user{i}"))
        .collect();
    out.extend((0..s.keys.len()).map(|i| format!("api-key:k{i}x")));
    for (i, r) in s.roles.iter().enumerate() {
        if let Naming::Fixed(n) = &r.naming {
            out.push(format!("role:{}/{n}", role_name(i)));
        }
    }
    for (i, d) in s.idps.iter().enumerate() {
        out.extend((0..d.users.len()).map(|u| format!("idp:idp{i}/i{i}u{u}")));
    }
    if let Some(g) = &s.gateway {
        if g.per_user {
            out.extend(g.users.iter().map(|(id, _)| format!("gateway:gw/{id}")));
        }
    }
    out
}

/// Selectors for workloads: every kind, wildcard or named.
fn group_selectors(s: &Spec) -> Vec<String> {
    let mut out = vec!["user:*".to_string()];
    if !s.keys.is_empty() {
        out.push("api-key:*".into());
    }
    out.extend(
        (0..s.roles.len())
            .map(role_name)
            .map(|n| format!("role:{n}")),
    );
    out.extend((0..s.idps.len()).map(|i| format!("idp:idp{i}")));
    if s.gateway.is_some() {
        out.push("gateway:gw".into());
    }
    out
}

fn days(s: &Spec) -> i64 {
    let start = month_start(s.periods[0]);
    let last = s.periods[s.periods.len() - 1];
    let (y, m) = plan::parse_month(last).unwrap();
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    (month_start(&format!("{ny:04}-{nm:02}")) - start) / 86_400
}

fn has_cache(model: usize) -> (bool, bool) {
    // (cache read / 5-minute write, 1-hour write) prices exist.
    match MODELS[model] {
        "gpt-oss-120b" => (false, false),
        "nova-micro" => (true, false),
        _ => (true, true),
    }
}

/// The service tier to write: priority and flex exist only for the models AWS sells in them
/// (of these, gpt-oss-120b), and curlab models them for AWS-billed models only.
fn tier(model: usize, tier: usize) -> &'static str {
    if MODELS[model] == "gpt-oss-120b" {
        ["standard", "priority", "flex"][tier]
    } else {
        "standard"
    }
}

fn render(s: &Spec) -> String {
    let mut t = String::new();
    let periods: Vec<String> = s.periods.iter().map(|p| q(p)).collect();
    t += &format!("[scenario]\nname = \"prop\"\nseed = 7\n\n[export]\nbilling_periods = [{}]\ntime_granularity = \"{}\"\n", periods.join(", "), s.granularity);
    if let Some(d) = s.enabled_on {
        t += &format!("iam_principal_data_enabled_on = \"{d}\"\n");
    }
    t += &format!(
        "\n[organization]\npayer = {{ id = \"{}\", name = \"payer\" }}\naccounts = [{{ id = \"{}\", name = \"member\" }}]\n\n[assumptions]\noverride_key_spelling = \"{}\"\nbatch_principal = \"{}\"\n",
        ACCOUNTS[0],
        ACCOUNTS[1],
        if s.spelling_session { "session" } else { "principal" },
        if s.batch_caller { "caller" } else { "none" },
    );
    if s.opus_marketplace {
        t += "\n[[models]]\nid = \"claude-opus-4.6\"\nbilling = \"marketplace\"\n";
    }
    for (i, (a, tags)) in s.users.iter().enumerate() {
        t += &format!(
            "\n[[iam_users]]\naccount = \"{}\"\nname = \"user{i}\"\npath = \"/p{i}/\"\ntags = {}\n",
            ACCOUNTS[*a],
            inline(tags)
        );
    }
    for (i, (a, tags)) in s.keys.iter().enumerate() {
        t += &format!(
            "\n[[api_keys]]\naccount = \"{}\"\nid = \"k{i}x\"\ntags = {}\n",
            ACCOUNTS[*a],
            inline(tags)
        );
    }
    for (i, r) in s.roles.iter().enumerate() {
        let sessions = match &r.naming {
            Naming::Fixed(n) => format!("{{ kind = \"fixed\", name = {} }}", q(n)),
            Naming::Lambda(f) => format!(
                "{{ kind = \"lambda\", functions = [{}] }}",
                f.iter().map(|x| q(x)).collect::<Vec<_>>().join(", ")
            ),
            Naming::Ecs(n) => format!("{{ kind = \"ecs\", tasks = {n} }}"),
            Naming::Ec2(n) => format!("{{ kind = \"ec2\", instances = {n} }}"),
            Naming::Batch(n) => {
                format!("{{ kind = \"batch\", prefix = \"job\", jobs_per_day = {n} }}")
            }
        };
        t += &format!(
            "\n[[roles]]\naccount = \"{}\"\nname = \"{}\"\ntags = {}\ntrust_allows_tag_session = {}\nsessions = {sessions}\nsession_tags = {}\n",
            ACCOUNTS[r.account],
            role_name(i),
            inline(&r.tags),
            r.trust,
            inline(&r.session_tags)
        );
    }
    for (i, d) in s.idps.iter().enumerate() {
        let acct = ACCOUNTS[d.account];
        if d.kind != 2 {
            t += &format!("\n[[roles]]\naccount = \"{acct}\"\nname = \"Shared{i}\"\ntags = {}\ntrust_allows_tag_session = true\n", inline(&d.role_tags));
        }
        if let Some((tags, _)) = &d.chain {
            t += &format!("\n[[roles]]\naccount = \"{acct}\"\nname = \"Chain{i}\"\ntags = {}\ntrust_allows_tag_session = true\n", inline(tags));
        }
        let kind = ["okta-saml", "entra-oidc", "identity-center"][d.kind as usize];
        t += &format!("\n[[identity_providers]]\nname = \"idp{i}\"\nkind = \"{kind}\"\naccount = \"{acct}\"\n");
        if d.kind == 2 {
            t += &format!("permission_set = \"PS{i}\"\n");
        } else {
            t += &format!("role = \"Shared{i}\"\n");
        }
        if d.kind == 1 {
            t += "claim_form = \"nested\"\n";
        }
        t += &format!(
            "session_name = \"{}\"\nsession_tags = {}\n",
            if d.by_email { "email" } else { "username" },
            inline(&d.session_tags)
        );
        if let Some((_, pass)) = &d.chain {
            let keys: Vec<String> = d
                .session_tags
                .iter()
                .zip(pass)
                .filter(|(_, p)| **p)
                .map(|((k, _), _)| q(k))
                .collect();
            t += &format!(
                "transitive_keys = [{}]\nchain_to = \"Chain{i}\"\n",
                keys.join(", ")
            );
        }
        t += &format!(
            "\n[identity_providers.users]\ncount = {}\ndomain = \"ex.org\"\nattributes = {}\n",
            d.generated,
            pools(&d.pool)
        );
        for (u, attrs) in d.users.iter().enumerate() {
            t += &format!("\n[[identity_providers.users.list]]\nname = \"i{i}u{u}\"\nemail = \"i{i}u{u}@ex.org\"\nattributes = {}\n", inline_map(attrs));
        }
    }
    if let Some(g) = &s.gateway {
        let acct = ACCOUNTS[g.account];
        if g.exec_defined {
            t += &format!("\n[[roles]]\naccount = \"{acct}\"\nname = \"GwExec\"\ntags = {}\nsessions = {{ kind = \"ecs\", tasks = {} }}\n", inline(&g.exec_tags), g.exec_tasks);
        }
        t += &format!("\n[[roles]]\naccount = \"{acct}\"\nname = \"GwInvoke\"\ntags = {}\ntrust_allows_tag_session = true\n", inline(&g.inv_tags));
        t += &format!(
            "\n[[gateways]]\nname = \"gw\"\naccount = \"{acct}\"\nexecution_role = \"GwExec\"\ninvocation_role = \"GwInvoke\"\nper_user_sessions = {}\nsession_name_from = \"{}\"\nsession_name_prefix = {}\nsession_tags = {}\n",
            g.per_user,
            if g.by_tenant { "tenant" } else { "user" },
            q(g.prefix),
            inline(&g.session_tags)
        );
        t += &format!(
            "\n[gateways.users]\ncount = {}\nattributes = {}\n",
            g.generated,
            pools(&g.pool)
        );
        for (id, attrs) in &g.users {
            t += &format!(
                "\n[[gateways.users.list]]\nname = {}\nattributes = {}\n",
                q(id),
                inline_map(attrs)
            );
        }
    }
    for a in &s.activations {
        let at = FEB_15 + a.at_hour * 3600;
        t += &format!("\n[[cost_allocation_tags]]\nkey = {}\nactivated_at = \"{}\"\neffect_delay_hours = {}\n", q(&a.key), plan::rfc3339(at), a.delay);
        if let Some(back) = a.backfill_back {
            t += &format!("backfill_from = \"{}\"\n", month_label_back(at, back));
        }
    }
    if let Some((tags, activate)) = &s.background {
        t += &format!("\n[[background]]\nservice = \"ec2\"\naccount = \"{}\"\nresources = 1\nresource_tags = {}\n", ACCOUNTS[1], inline(tags));
        if let Some(k) = activate {
            t += &format!("\n[[cost_allocation_tags]]\nkey = \"{}\"\nsource = \"resource\"\nactivated_at = \"2026-04-20\"\n", BASE_KEYS[*k]);
        }
    }
    t += "\n[tax]\nrate = 0.08\n";
    let groups = group_selectors(s);
    for w in &s.workloads {
        let sel: BTreeSet<String> = w.selectors.iter().map(|i| i.get(&groups).clone()).collect();
        let sel: Vec<String> = sel.iter().map(|x| q(x)).collect();
        let (c, c1) = has_cache(w.model);
        let (cr, cw, cw1) = (
            if c { w.cache.0 } else { 0.0 },
            if c { w.cache.1 } else { 0.0 },
            if c1 { w.cache.2 } else { 0.0 },
        );
        t += &format!(
            "\n[[workloads]]\nprincipals = [{}]\nmodel = \"{}\"\nrequests_per_day = {}\ninput_tokens = {{ mean = {} }}\noutput_tokens = {{ mean = {} }}\ncache_read_share = {cr}\ncache_write_share = {cw}\ncache_write_1h_share = {cw1}\nstreaming_share = {}\nbatch_share = {}\nglobal_share = {}\nservice_tier = \"{}\"\nhour_shape = \"{}\"\n",
            sel.join(", "),
            MODELS[w.model],
            w.rate,
            w.input,
            w.output,
            w.shares.0,
            // Batch is a tier of its own: no batch share in priority or flex.
            if tier(w.model, w.tier) == "standard" { w.shares.1 } else { 0.0 },
            w.shares.2,
            tier(w.model, w.tier),
            ["business", "flat", "nightly"][w.hours],
        );
    }
    let singles = single_callers(s);
    let span = days(s) * 86_400;
    for r in &s.requests {
        let (c, c1) = has_cache(r.model);
        let tok = r.tokens;
        let at = month_start(s.periods[0]) + r.at.index(span as usize) as i64;
        t += &format!(
            "\n[[requests]]\ntime = \"{}\"\nprincipal = {}\nmodel = \"{}\"\ninput_tokens = {}\noutput_tokens = {}\ncache_read_tokens = {}\ncache_write_tokens = {}\ncache_write_1h_tokens = {}\nstreaming = {}\nbatch = {}\nglobal = {}\nservice_tier = \"{}\"\n",
            plan::rfc3339(at),
            q(r.who.get(&singles).as_str()),
            MODELS[r.model],
            tok[0],
            tok[1],
            if c { tok[2] } else { 0 },
            if c { tok[3] } else { 0 },
            if c1 { tok[4] } else { 0 },
            r.flags.0,
            r.flags.1 && tier(r.model, r.tier) == "standard",
            r.flags.2,
            tier(r.model, r.tier),
        );
    }
    t
}

// ---------------------------------------------------------------------------------------------
// What each principal should look like, from the model alone.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Expect {
    kind: IdentityKind,
    account: &'static str,
    principal_tags: Tags,
    session_tags: Tags,
}

fn session_tags_of(map: &[(String, String)], attrs: &BTreeMap<String, String>) -> Tags {
    map.iter()
        .filter_map(|(k, a)| attrs.get(a).map(|v| (k.clone(), v.clone())))
        .collect()
}

/// The expected origin of a principal ARN, or `None` when the model has no such identity.
fn expect(s: &Spec, arn: &str) -> Option<Expect> {
    let p = parse_principal(arn).ok()?;
    let account = *ACCOUNTS.iter().find(|a| **a == p.account)?;
    let plain = |kind, account: usize, tags: &Tags| {
        Some(Expect {
            kind,
            account: ACCOUNTS[account],
            principal_tags: tags.clone(),
            session_tags: vec![],
        })
    };
    match p.kind {
        IdentityKind::IamUser => {
            let i: usize = p.name.strip_prefix("user")?.parse().ok()?;
            let (a, tags) = s.users.get(i)?;
            (p.path == format!("/p{i}/")).then_some(())?;
            plain(IdentityKind::IamUser, *a, tags)
        }
        IdentityKind::BedrockApiKey => {
            let i: usize = p
                .name
                .strip_prefix("BedrockAPIKey-k")?
                .strip_suffix('x')?
                .parse()
                .ok()?;
            let (a, tags) = s.keys.get(i)?;
            plain(IdentityKind::BedrockApiKey, *a, tags)
        }
        IdentityKind::AssumedRole | IdentityKind::IdentityCenter => {
            let session = p.session?;
            let role = p.name;
            let e = |kind, principal_tags: &Tags, session_tags: Tags| {
                Some(Expect {
                    kind,
                    account,
                    principal_tags: principal_tags.clone(),
                    session_tags,
                })
            };
            if let Some(i) = role
                .strip_prefix("App")
                .and_then(|x| x.parse::<usize>().ok())
            {
                let r = s.roles.get(i)?;
                return e(IdentityKind::AssumedRole, &r.tags, r.session_tags.clone());
            }
            if role == "GwExec" {
                let g = s.gateway.as_ref()?;
                let tags = if g.exec_defined {
                    g.exec_tags.clone()
                } else {
                    vec![]
                };
                return e(IdentityKind::AssumedRole, &tags, vec![]);
            }
            if role == "GwInvoke" {
                let g = s.gateway.as_ref()?;
                // Sessions are shared by every user whose (prefixed, sanitised) id maps to the
                // same name; the first such user, listed before generated, supplies the tags.
                let key = |attrs: &BTreeMap<String, String>, id: &str| {
                    let raw = if g.by_tenant {
                        attrs.get("tenant").cloned().unwrap_or_default()
                    } else {
                        id.to_string()
                    };
                    sanitize_session_name(&format!("{}{raw}", g.prefix))
                };
                let attrs = g
                    .users
                    .iter()
                    .find(|(id, a)| key(a, id) == session)
                    .map(|(_, a)| a.clone())
                    .unwrap_or_else(|| g.pool.clone());
                return e(
                    IdentityKind::AssumedRole,
                    &g.inv_tags,
                    session_tags_of(&g.session_tags, &attrs),
                );
            }
            let (i, chained) = if let Some(i) = role.strip_prefix("Shared") {
                (i.parse::<usize>().ok()?, false)
            } else if let Some(i) = role.strip_prefix("Chain") {
                (i.parse::<usize>().ok()?, true)
            } else {
                let rest = role.strip_prefix("AWSReservedSSO_PS")?;
                (rest.split('_').next()?.parse::<usize>().ok()?, false)
            };
            let d = s.idps.get(i)?;
            let attrs = (0..d.users.len())
                .find(|u| {
                    if d.by_email {
                        session == format!("i{i}u{u}@ex.org")
                    } else {
                        session == format!("i{i}u{u}")
                    }
                })
                .map(|u| d.users[u].clone())
                .unwrap_or_else(|| d.pool.clone());
            let st = session_tags_of(&d.session_tags, &attrs);
            if chained {
                let (tags, pass) = d.chain.as_ref()?;
                let passed: BTreeSet<&String> = d
                    .session_tags
                    .iter()
                    .zip(pass)
                    .filter(|(_, p)| **p)
                    .map(|((k, _), _)| k)
                    .collect();
                let transitive = st.into_iter().filter(|(k, _)| passed.contains(k)).collect();
                return e(IdentityKind::AssumedRole, tags, transitive);
            }
            if d.kind == 2 {
                return e(IdentityKind::IdentityCenter, &vec![], st);
            }
            e(IdentityKind::AssumedRole, &d.role_tags, st)
        }
        _ => None,
    }
}

/// Principal tags overlaid by session tags, matched ignoring case (reference §5.2).
fn effective(e: &Expect, session_spelling: bool) -> Tags {
    let mut out = e.principal_tags.clone();
    for (k, v) in &e.session_tags {
        match out.iter().position(|(pk, _)| pk.eq_ignore_ascii_case(k)) {
            Some(i) => {
                let key = if session_spelling {
                    k.clone()
                } else {
                    out[i].0.clone()
                };
                out[i] = (key, v.clone());
            }
            None => out.push((k.clone(), v.clone())),
        }
    }
    out
}

/// Whether an IAM-principal key is on rows starting at `t`, from the model's activations.
fn active(s: &Spec, key: &str, t: i64) -> bool {
    s.activations.iter().any(|a| {
        let at = FEB_15 + a.at_hour * 3600;
        let effective = at + i64::from(a.delay) * 3600;
        let backfill = a
            .backfill_back
            .map(|b| month_start(&month_label_back(at, b)));
        a.key == key && (t >= effective || backfill.is_some_and(|b| t >= b))
    })
}

// ---------------------------------------------------------------------------------------------
// Running the generator.
// ---------------------------------------------------------------------------------------------

fn resolve(src: &str) -> Result<Plan, String> {
    let file = scenario::parse(src, "prop.toml").map_err(|e| e.to_string())?;
    plan::resolve(&file, None, 1.0)
        .map_err(|p| scenario::with_positions(src, "prop.toml", p).to_string())
}

fn run(plan: &Plan) -> (Vec<Row>, sim::TruthParts, curlab_vocab::truth::Truth) {
    let tags = TagTable::new(plan);
    let mut rows = Vec::new();
    let parts = sim::run_in_order(plan, &tags, |chunk| rows.extend(chunk.rows));
    let truth = sim::build_truth(plan, &tags, &parts);
    (rows, parts, truth)
}

const LAUNCH: i64 = 1_775_606_400; // 2026-04-08T00:00:00Z

fn is_batch(usage_type: &str) -> bool {
    usage_type.contains("-batch") || usage_type.contains("_Batch")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn rows_match_the_truth_and_the_tag_and_principal_rules(s in spec()) {
        let src = render(&s);
        let plan = match resolve(&src) {
            Ok(p) => p,
            Err(e) => return Err(TestCaseError::fail(format!("a valid scenario was rejected:\n{e}\n{src}"))),
        };
        let (rows, parts, truth) = run(&plan);
        let bedrock: Vec<&Row> = rows.iter().filter(|r| r.kind == RowKind::Bedrock).collect();

        // (a) Exact sums. The truth's integers are pico-dollars; rows are 1e-16 USD.
        let sum = |it: &mut dyn Iterator<Item = &Row>| it.map(|r| r.cost_e16).sum::<i128>();
        let bedrock_e16 = sum(&mut bedrock.iter().copied());
        prop_assert_eq!(bedrock_e16, parts.delta.bedrock as i128 * 10_000);
        prop_assert_eq!(truth.bedrock_cost_total, e16_to_usd(bedrock_e16));
        let unattributed = sum(&mut bedrock.iter().copied().filter(|r| r.principal.is_none()));
        prop_assert_eq!(unattributed, parts.delta.unattributed as i128 * 10_000);
        prop_assert_eq!(truth.unattributed_bedrock_cost, e16_to_usd(unattributed));
        let background = sum(&mut rows.iter().filter(|r| r.kind == RowKind::Background));
        prop_assert_eq!(background, parts.background_e16);
        prop_assert_eq!(truth.background_cost_total, e16_to_usd(background));
        let tax = sum(&mut rows.iter().filter(|r| r.kind == RowKind::Tax));
        prop_assert_eq!(truth.tax_cost_total, e16_to_usd(tax));
        prop_assert_eq!(truth.rows, rows.len() as u64);
        let mut by_principal: BTreeMap<String, i128> = BTreeMap::new();
        let mut by_tag: BTreeMap<String, BTreeMap<String, i128>> = BTreeMap::new();
        for r in &bedrock {
            if let Some(p) = &r.principal {
                *by_principal.entry(p.to_string()).or_default() += r.cost_e16;
            }
            for (k, v) in r.tags.iter() {
                *by_tag.entry(k.clone()).or_default().entry(v.clone()).or_default() += r.cost_e16;
            }
        }
        let want: BTreeMap<String, f64> = by_principal.iter().map(|(k, v)| (k.clone(), e16_to_usd(*v))).collect();
        prop_assert_eq!(&truth.by_principal, &want);
        let want: BTreeMap<String, BTreeMap<String, f64>> = by_tag
            .iter()
            .map(|(k, m)| (k.clone(), m.iter().map(|(v, c)| (v.clone(), e16_to_usd(*c))).collect()))
            .collect();
        prop_assert_eq!(&truth.by_tag, &want);

        let principal_from = s.enabled_on.map_or(LAUNCH, |d| month_start(&d[..7]) + (d[8..].parse::<i64>().unwrap() - 1) * 86_400).max(LAUNCH);
        for r in &bedrock {
            // (c) Presence: after principal data starts, except batch rows when batch rows
            // carry no principal.
            let want_principal = r.start >= principal_from && (s.batch_caller || !is_batch(&r.sku.usage_type));
            prop_assert_eq!(r.principal.is_some(), want_principal, "row {:?} at {}", r.sku.usage_type, r.start);
            let row_account = plan.accounts[r.account].id.as_str();
            let Some(arn) = &r.principal else {
                // Rows without a principal still follow the activation rules.
                for (k, _) in r.tags.iter() {
                    let bare = k.strip_prefix("iamPrincipal/");
                    prop_assert!(bare.is_some_and(|b| active(&s, b, r.start)), "tag {} on an unattributed row at {}", k, r.start);
                }
                continue;
            };
            // (c) Grammar, session name, identity kind, account.
            let parsed = parse_principal(arn);
            prop_assert!(parsed.is_ok(), "{} does not parse: {:?}", arn, parsed.err());
            let parsed = parsed.unwrap();
            if let Some(session) = parsed.session {
                prop_assert!(check_session_name(session).is_ok(), "bad session name in {}", arn);
            }
            let e = expect(&s, arn);
            prop_assert!(e.is_some(), "{} is not an identity of the scenario", arn);
            let e = e.unwrap();
            prop_assert_eq!(parsed.kind, e.kind, "{}", arn);
            prop_assert_eq!(parsed.account, row_account, "{}", arn);
            prop_assert_eq!(e.account, row_account, "{}", arn);

            // (b) Session beats principal tag on a case-insensitive collision.
            let tags: BTreeMap<&str, &str> = r.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            for (sk, sv) in &e.session_tags {
                let Some((pk, _)) = e.principal_tags.iter().find(|(pk, _)| pk.eq_ignore_ascii_case(sk)) else { continue };
                let surviving = if s.spelling_session { sk } else { pk };
                for (k, v) in &tags {
                    if k.strip_prefix("iamPrincipal/").is_some_and(|b| b.eq_ignore_ascii_case(sk)) {
                        prop_assert_eq!(*v, sv.as_str(), "{} on {}: the principal tag won", k, arn);
                        prop_assert_eq!(&k["iamPrincipal/".len()..], surviving.as_str(), "spelling on {}", arn);
                    }
                }
                if r.start >= LAUNCH && active(&s, surviving, r.start) {
                    let key = format!("iamPrincipal/{surviving}");
                    prop_assert_eq!(tags.get(key.as_str()).copied(), Some(sv.as_str()), "{} missing on {}", key, arn);
                }
            }

            // (d) The whole map: activated keys only, only once active, from the model.
            let mut want: Vec<(String, String)> = effective(&e, s.spelling_session)
                .into_iter()
                .filter(|(k, _)| r.start >= LAUNCH && active(&s, k, r.start))
                .map(|(k, v)| (format!("iamPrincipal/{k}"), v))
                .collect();
            want.sort();
            prop_assert_eq!(r.tags.as_ref(), &want, "tags of {} at {}", arn, r.start);
        }
        for r in rows.iter().filter(|r| r.kind != RowKind::Bedrock) {
            prop_assert!(r.principal.is_none());
            prop_assert!(r.tags.iter().all(|(k, _)| k.starts_with("resourceTags/")));
        }
        // Resource tags: only the activated key, only from its activation on (no delay given,
        // so the default 24 h applies).
        if let Some((btags, activated)) = &s.background {
            let from = 1_776_643_200 + 24 * 3600; // 2026-04-20 + 24 h
            for r in rows.iter().filter(|r| r.kind == RowKind::Background) {
                let want: Vec<(String, String)> = btags
                    .iter()
                    .filter(|(k, _)| activated.is_some_and(|a| BASE_KEYS[a] == k.as_str()) && r.start >= from)
                    .map(|(k, v)| (format!("resourceTags/{k}"), v.clone()))
                    .collect();
                prop_assert_eq!(r.tags.as_ref(), &want);
            }
        }
    }
}
