//! Several payers (`[[organization.payers]]`): one scenario file describes several
//! organisations, each with its own management (payer) account, member accounts, cost
//! allocation tag activations and CUR 2.0 export. [`split`] turns such a file into one
//! single-payer scenario per payer (which then resolves like any other), and maps the problems
//! those report back to their place in the original file.
//!
//! What goes where: every section that names an account (identities, `[[background]]`,
//! `[[inference_profiles]]`, `[[adjustments]]`) goes to the payer that lists the account;
//! `[[workloads]]` and `[[requests]]` name their `payer`; `[[cost_allocation_tags]]` go to
//! their `payer`, or to every payer without one; `[scenario]`, `[export]`, `[assumptions]`,
//! `[[models]]`, `[discounts]` and `[tax]` are shared.

use std::collections::BTreeMap;

use crate::scenario::model::{AccountSpec, Organization, ScenarioFile};
use crate::scenario::{Path, Problem, Seg};

use super::context::root;

/// One payer's part of a scenario file.
#[derive(Debug, Clone)]
pub struct PayerScenario {
    /// The payer's account id; `None` for a single-payer file (`[organization] payer`), whose
    /// export keeps the single-export layout.
    pub payer_id: Option<String>,
    /// The single-payer scenario of this payer.
    pub file: ScenarioFile,
    /// Index of the payer in `organization.payers`.
    payer_index: usize,
    /// For each array section, the original index of each kept entry.
    kept: BTreeMap<&'static str, Vec<usize>>,
}

impl PayerScenario {
    /// Map a problem of this payer's scenario back to its place in the original file.
    pub fn remap(&self, mut p: Problem) -> Problem {
        if self.payer_id.is_none() {
            return p;
        }
        let segs = std::mem::take(&mut p.path.0);
        let mut out: Vec<Seg> = Vec::with_capacity(segs.len() + 2);
        let mut it = segs.into_iter().peekable();
        match it.next() {
            Some(Seg::Key(k)) if k == "organization" => {
                out.push(Seg::Key(k));
                out.push(Seg::Key("payers".into()));
                out.push(Seg::Index(self.payer_index));
                match it.next() {
                    Some(Seg::Key(s)) if s == "payer" => {} // the payer's own id/name
                    Some(other) => out.push(other),
                    None => {}
                }
            }
            Some(Seg::Key(k)) => {
                let map = self.kept.get(k.as_str());
                out.push(Seg::Key(k));
                if let (Some(map), Some(Seg::Index(i))) = (map, it.peek()) {
                    let orig = map.get(*i).copied().unwrap_or(*i);
                    it.next();
                    out.push(Seg::Index(orig));
                }
            }
            Some(other) => out.push(other),
            None => {}
        }
        out.extend(it);
        p.path = Path(out);
        p
    }
}

/// Split a scenario file by payer. A single-payer file comes back whole (`payer_id` `None`).
pub fn split(file: &ScenarioFile) -> Result<Vec<PayerScenario>, Vec<Problem>> {
    let org = &file.organization;
    if org.payers.is_empty() {
        let mut problems = Vec::new();
        if let Some(payer) = &org.payer {
            // A `payer` key in a single-payer file must name that payer.
            let names = |p: &Option<String>| {
                p.as_deref()
                    .is_none_or(|x| x == payer.id || x == payer.name)
            };
            let bad = |section: &str, i: usize, p: &Option<String>| {
                (!names(p)).then(|| {
                    Problem::new(
                        root().key(section).index(i).key("payer"),
                        format!(
                            "payer `{}` is not this scenario's payer",
                            p.as_deref().unwrap_or_default()
                        ),
                        format!(
                            "write `{}` or `{}`, or leave the key out",
                            payer.id, payer.name
                        ),
                    )
                })
            };
            problems.extend(
                file.workloads
                    .iter()
                    .enumerate()
                    .filter_map(|(i, w)| bad("workloads", i, &w.payer)),
            );
            problems.extend(
                file.requests
                    .iter()
                    .enumerate()
                    .filter_map(|(i, r)| bad("requests", i, &r.payer)),
            );
            problems.extend(
                file.cost_allocation_tags
                    .iter()
                    .enumerate()
                    .filter_map(|(i, a)| bad("cost_allocation_tags", i, &a.payer)),
            );
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        return Ok(vec![PayerScenario {
            payer_id: None,
            file: file.clone(),
            payer_index: 0,
            kept: BTreeMap::new(),
        }]);
    }
    let mut problems = Vec::new();
    let org_path = root().key("organization");
    if org.payer.is_some() || !org.accounts.is_empty() {
        problems.push(Problem::new(
            org_path.key(if org.payer.is_some() {
                "payer"
            } else {
                "accounts"
            }),
            "`payer`/`accounts` and `payers` cannot be combined",
            "with several payers, list each payer's member accounts under its `[[organization.payers]]` entry (`accounts = [...]`)",
        ));
    }
    // Which payer owns each account (by id and by name).
    let mut owner: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, p) in org.payers.iter().enumerate() {
        let own = [(p.id.as_str(), p.name.as_str())];
        let listed = p.accounts.iter().map(|a| (a.id.as_str(), a.name.as_str()));
        for (j, (id, name)) in own.into_iter().chain(listed).enumerate() {
            for key in [id, name] {
                match owner.get(key) {
                    Some(&other) if other != i => {
                        let place = if j == 0 {
                            org_path.key("payers").index(i).key("id")
                        } else {
                            org_path.key("payers").index(i).key("accounts").index(j - 1)
                        };
                        problems.push(Problem::new(
                            place,
                            format!(
                                "account `{key}` belongs to payer {} and to payer {}",
                                org.payers[other].id, p.id
                            ),
                            "an account is a member of one organization: list it under one payer, and give accounts distinct names",
                        ));
                    }
                    _ => {
                        owner.insert(key, i);
                    }
                }
            }
        }
    }
    let names_of_payers = || {
        org.payers
            .iter()
            .map(|p| format!("`{}`", p.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let payer_of = |given: &str| {
        org.payers
            .iter()
            .position(|p| p.id == given || p.name == given)
    };
    // Each array section: which payer(s) every entry goes to.
    let mut routes: BTreeMap<&'static str, Vec<Vec<usize>>> = BTreeMap::new();
    let mut by_account = |section: &'static str,
                          accounts: Vec<Option<&str>>,
                          problems: &mut Vec<Problem>| {
        let mut r = Vec::new();
        for (i, a) in accounts.into_iter().enumerate() {
            match a {
                Some(a) => match owner.get(a) {
                    Some(&p) => r.push(vec![p]),
                    None => {
                        problems.push(Problem::new(
                            root().key(section).index(i).key("account"),
                            format!("account `{a}` is not an account of any payer"),
                            format!(
                                "list it under one `[[organization.payers]]` entry's `accounts` (payers: {})",
                                names_of_payers()
                            ),
                        ));
                        r.push(Vec::new());
                    }
                },
                None if org.payers.len() == 1 => r.push(vec![0]),
                None => {
                    problems.push(Problem::new(
                        root().key(section).index(i),
                        "with several payers, an adjustment needs an `account`",
                        "add `account = \"<id or name>\"`: the account the credit or refund is for decides its payer's export",
                    ));
                    r.push(Vec::new());
                }
            }
        }
        routes.insert(section, r);
    };
    by_account(
        "iam_users",
        file.iam_users
            .iter()
            .map(|x| Some(x.account.as_str()))
            .collect(),
        &mut problems,
    );
    by_account(
        "api_keys",
        file.api_keys
            .iter()
            .map(|x| Some(x.account.as_str()))
            .collect(),
        &mut problems,
    );
    by_account(
        "roles",
        file.roles
            .iter()
            .map(|x| Some(x.account.as_str()))
            .collect(),
        &mut problems,
    );
    by_account(
        "identity_providers",
        file.identity_providers
            .iter()
            .map(|x| Some(x.account.as_str()))
            .collect(),
        &mut problems,
    );
    by_account(
        "gateways",
        file.gateways
            .iter()
            .map(|x| Some(x.account.as_str()))
            .collect(),
        &mut problems,
    );
    by_account(
        "background",
        file.background
            .iter()
            .map(|x| Some(x.account.as_str()))
            .collect(),
        &mut problems,
    );
    by_account(
        "inference_profiles",
        file.inference_profiles
            .iter()
            .map(|x| Some(x.account.as_str()))
            .collect(),
        &mut problems,
    );
    by_account(
        "adjustments",
        file.adjustments
            .iter()
            .map(|x| x.account.as_deref())
            .collect(),
        &mut problems,
    );
    let mut by_payer = |section: &'static str,
                        payers: Vec<Option<&str>>,
                        all_when_absent: bool,
                        problems: &mut Vec<Problem>| {
        let mut r = Vec::new();
        for (i, p) in payers.into_iter().enumerate() {
            match p {
                Some(p) => match payer_of(p) {
                    Some(k) => r.push(vec![k]),
                    None => {
                        problems.push(Problem::new(
                            root().key(section).index(i).key("payer"),
                            format!("`{p}` is not one of the payers"),
                            format!(
                                "name a payer of `[[organization.payers]]` by id or name ({})",
                                names_of_payers()
                            ),
                        ));
                        r.push(Vec::new());
                    }
                },
                None if all_when_absent => r.push((0..org.payers.len()).collect()),
                None if org.payers.len() == 1 => r.push(vec![0]),
                None => {
                    problems.push(Problem::new(
                        root().key(section).index(i),
                        format!("with several payers, every entry of `[[{section}]]` needs a `payer`"),
                        format!(
                            "add `payer = \"<id or name>\"`: the payer whose accounts' principals it uses ({})",
                            names_of_payers()
                        ),
                    ));
                    r.push(Vec::new());
                }
            }
        }
        routes.insert(section, r);
    };
    by_payer(
        "workloads",
        file.workloads.iter().map(|x| x.payer.as_deref()).collect(),
        false,
        &mut problems,
    );
    by_payer(
        "requests",
        file.requests.iter().map(|x| x.payer.as_deref()).collect(),
        false,
        &mut problems,
    );
    by_payer(
        "cost_allocation_tags",
        file.cost_allocation_tags
            .iter()
            .map(|x| x.payer.as_deref())
            .collect(),
        true,
        &mut problems,
    );
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut out = Vec::new();
    for (k, p) in org.payers.iter().enumerate() {
        let mut kept: BTreeMap<&'static str, Vec<usize>> = BTreeMap::new();
        let mut take = |section: &'static str| -> Vec<usize> {
            let idx: Vec<usize> = routes[section]
                .iter()
                .enumerate()
                .filter(|(_, to)| to.contains(&k))
                .map(|(i, _)| i)
                .collect();
            kept.insert(section, idx.clone());
            idx
        };
        fn pick<T: Clone>(v: &[T], idx: &[usize]) -> Vec<T> {
            idx.iter().map(|&i| v[i].clone()).collect()
        }
        let mut f = file.clone();
        f.organization = Organization {
            payer: Some(AccountSpec {
                id: p.id.clone(),
                name: p.name.clone(),
            }),
            accounts: p.accounts.clone(),
            payers: Vec::new(),
        };
        f.iam_users = pick(&file.iam_users, &take("iam_users"));
        f.api_keys = pick(&file.api_keys, &take("api_keys"));
        f.roles = pick(&file.roles, &take("roles"));
        f.identity_providers = pick(&file.identity_providers, &take("identity_providers"));
        f.gateways = pick(&file.gateways, &take("gateways"));
        f.background = pick(&file.background, &take("background"));
        f.inference_profiles = pick(&file.inference_profiles, &take("inference_profiles"));
        f.adjustments = pick(&file.adjustments, &take("adjustments"));
        f.workloads = pick(&file.workloads, &take("workloads"));
        f.requests = pick(&file.requests, &take("requests"));
        f.cost_allocation_tags = pick(&file.cost_allocation_tags, &take("cost_allocation_tags"));
        // The payer keys are resolved here; the single-payer scenario checks them again.
        for w in &mut f.workloads {
            w.payer = None;
        }
        for r in &mut f.requests {
            r.payer = None;
        }
        for a in &mut f.cost_allocation_tags {
            a.payer = None;
        }
        out.push(PayerScenario {
            payer_id: Some(p.id.clone()),
            file: f,
            payer_index: k,
            kept,
        });
    }
    Ok(out)
}

/// One payer's resolved plan.
#[derive(Debug)]
pub struct PayerPlan {
    /// The payer's account id; `None` for a single-payer scenario (single-export layout).
    pub payer_id: Option<String>,
    /// The plan of its export.
    pub plan: super::Plan,
}

/// Split `file` by payer ([`split`]) and resolve each payer's scenario; problems name their
/// place in `file`, each reported once.
pub fn resolve_payers(
    file: &ScenarioFile,
    seed: Option<u64>,
    scale: f64,
) -> Result<Vec<PayerPlan>, Vec<Problem>> {
    let parts = split(file)?;
    let mut plans = Vec::new();
    let mut problems: Vec<Problem> = Vec::new();
    for part in parts {
        match super::resolve(&part.file, seed, scale) {
            Ok(mut plan) => {
                plan.export.several_payers = part.payer_id.is_some();
                plans.push(PayerPlan {
                    payer_id: part.payer_id.clone(),
                    plan,
                });
            }
            Err(ps) => {
                for p in ps {
                    let p = part.remap(p);
                    if !problems.contains(&p) {
                        problems.push(p);
                    }
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(plans)
    } else {
        Err(problems)
    }
}
