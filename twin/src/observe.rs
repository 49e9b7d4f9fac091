//! The per-row work of the profile pass, on interned ids: every text column arrives as a
//! dictionary, so each batch works a distinct value out once (account, line item type, usage
//! type, principal, resource id, product name, tag key and value) and rows only index small
//! vectors. A worker keeps its figures by id ([`Acc`]) and turns them into a [`Profile`] of
//! strings once, at the end.

use std::sync::Arc;

use curlab_reader::read::{Batch, Col, DictStr};
use curlab_vocab::bedrock::{
    is_bedrock, is_bedrock_inference, parse_usage_type, BillingForm, RowIdentity, ServiceTier,
    Spelling, TokenType, OP_INVOKE_STREAMING, REGION_CODES,
};
use curlab_vocab::tags::{IAM_PRINCIPAL_PREFIX, RESOURCE_TAGS_PREFIX};

use crate::bill_stats as bill;
use crate::memo::{Interner, Memo, Sticky, NONE};
use crate::profile::{
    region_code_of, CellKey, Map, PrincipalStats, Profile, TagKeyStats, WorkKey, WorkStats,
    MAX_CELLS,
};
use crate::specs::SPARSE_CELLS;

/// A usage type read into what the profile needs.
#[derive(Clone)]
struct Lite {
    /// Form-A model id (`None` for Marketplace rows, named by product).
    model: Option<u32>,
    region: &'static str,
    tier: ServiceTier,
    token: TokenType,
    batch: bool,
    global: bool,
    long: bool,
    spelling: Spelling,
    tokens_per_unit: u64,
    /// Interned usage type.
    ut: u32,
}

/// How a line item type is handled.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Line {
    Usage,
    Tax,
    Credit,
    Refund,
    Discount,
    Other,
}

fn line_of(s: &str) -> Line {
    match s {
        "Usage" => Line::Usage,
        "Tax" => Line::Tax,
        "Credit" => Line::Credit,
        "Refund" => Line::Refund,
        "EdpDiscount" | "PrivateRateDiscount" | "BundledDiscount" | "SppDiscount" | "Discount" => {
            Line::Discount
        }
        _ => Line::Other,
    }
}

/// A workload's cells while reading.
type CellList = Vec<(CellKey, [f64; 5])>;

/// A workload within a principal, by ids: (model, region code, tier, profile or `NONE`).
type IKey = (u32, &'static str, ServiceTier, u32);

#[derive(Debug, Default)]
struct PAcc {
    account: u32,
    /// (tag key id, value id) → rows (`iamPrincipal/` keys).
    tags: Map<(u32, u32), u64>,
    /// Workloads, with their cells while there are at most [`MAX_CELLS`] (kept as a list
    /// while reading: the row's cell is nearly always the last one).
    work: Vec<(IKey, WorkStats, Option<CellList>)>,
    /// Cells seen over all workloads; above [`SPARSE_CELLS`] the caller cannot be replayed
    /// as exact requests, and its cells are dropped.
    cells: usize,
}

#[derive(Debug, Default)]
struct ProfileAcc {
    rows: u64,
    cost: f64,
    /// (tag key id, value id) → rows (`resourceTags/` keys).
    tags: Map<(u32, u32), u64>,
}

#[derive(Debug)]
struct KeyAcc {
    first: i64,
    values: rustc_hash::FxHashSet<u32>,
    bedrock_cost: f64,
}

/// One worker's figures, by id.
#[derive(Debug, Default)]
pub(crate) struct Acc {
    /// What is kept as it is read (rows, spans, periods, background, bill rows, shapes).
    pub p: Profile,
    accounts: Interner,
    pretax: Vec<f64>,
    tax: Vec<Option<f64>>,
    keys: Interner,
    /// Per tag key id: 1 `iamPrincipal/`, 2 `resourceTags/`, 0 other.
    key_kind: Vec<u8>,
    key_acc: Vec<Option<KeyAcc>>,
    values: Interner,
    models: Vec<Arc<str>>,
    model_ids: Map<Arc<str>, u32>,
    uts: Interner,
    usage: Map<(u32, u32), [f64; 3]>,
    profiles: Interner,
    profile_acc: Vec<ProfileAcc>,
    principals: Vec<(String, PAcc)>,
    pidx: Map<String, u32>,
    unattributed: Map<u32, PAcc>,
    last_period_start: Option<i64>,
    row_tags: Vec<(u32, u32)>,
    /// Memos kept across batches: principals, resource ids, tag keys, tag values.
    sticky: [Sticky; 4],
}

fn weekday(ts: i64) -> usize {
    ((ts.div_euclid(86_400) + 3).rem_euclid(7)) as usize // 1970-01-01 was a Thursday
}

fn key_kind(k: &str) -> u8 {
    if k.starts_with(IAM_PRINCIPAL_PREFIX) {
        1
    } else if k.starts_with(RESOURCE_TAGS_PREFIX) {
        2
    } else {
        0
    }
}

impl Acc {
    fn model_id(&mut self, m: &str) -> u32 {
        if let Some(i) = self.model_ids.get(m) {
            return *i;
        }
        let a: Arc<str> = Arc::from(m);
        self.models.push(a.clone());
        let i = (self.models.len() - 1) as u32;
        self.model_ids.insert(a, i);
        i
    }

    fn lite(&mut self, usage_type: &str) -> Option<Lite> {
        let parsed = parse_usage_type(usage_type)?;
        let model = match parsed.model {
            Some(m) if parsed.form() == BillingForm::Aws => Some(self.model_id(m)),
            _ => None,
        };
        Some(Lite {
            model,
            region: REGION_CODES
                .iter()
                .find(|(_, c)| *c == parsed.region_code)
                .map_or("USE1", |(_, c)| *c),
            tier: parsed.tier,
            token: parsed.token,
            batch: parsed.batch,
            global: parsed.global,
            long: parsed.long_context,
            spelling: parsed.spelling,
            tokens_per_unit: parsed.form().tokens_per_unit(),
            ut: self.uts.id(usage_type),
        })
    }

    fn principal(&mut self, arn: &str) -> u32 {
        if let Some(i) = self.pidx.get(arn) {
            return *i;
        }
        self.principals.push((arn.to_string(), PAcc::default()));
        let i = (self.principals.len() - 1) as u32;
        self.pidx.insert(arn.to_string(), i);
        i
    }

    /// Observe one batch.
    pub(crate) fn observe(&mut self, b: &Batch) {
        let d = |c: Col| b.dict(c);
        let (acct_d, line_d) = (d(Col::UsageAccount), d(Col::LineItemType));
        let (code_d, ent_d, fam_d, op_d) = (
            d(Col::ProductCode),
            d(Col::BillingEntity),
            d(Col::ProductFamily),
            d(Col::Operation),
        );
        let tags = b.map(Col::Tags);
        self.sticky[0].refresh(d(Col::Principal));
        self.sticky[1].refresh(d(Col::ResourceId));
        self.sticky[2].refresh(tags.map(|t| &t.keys));
        self.sticky[3].refresh(tags.map(|t| &t.values));
        let (mut p_m, mut r_m, mut tk_m, mut tv_m) = (
            self.sticky[0].take(),
            self.sticky[1].take(),
            self.sticky[2].take(),
            self.sticky[3].take(),
        );
        let (mut acct_m, mut line_m, mut op_m) = (Memo::new(), Memo::new(), Memo::new());
        let mut ut_m: Vec<Option<Option<Lite>>> = Vec::new();

        // `product['product_name']`: which keys of the product map are it, and a memo of its
        // values to their Marketplace model id.
        let product = b.map(Col::Product);
        let mut pn_keys = Memo::new();
        let mut mp_m = Memo::new();
        let mut class: Map<[u32; 6], (bool, bool)> = Map::default();
        let key = |d: Option<&DictStr>, i: usize| -> u32 {
            d.and_then(|d| d.key(i)).map_or(NONE, |k| k as u32)
        };
        fn text(d: Option<&DictStr>, i: usize) -> &str {
            d.and_then(|d| d.get(i)).unwrap_or("")
        }
        let mut row_tags = std::mem::take(&mut self.row_tags);
        for i in 0..b.len {
            self.p.rows += 1;
            let acc = acct_m.of(acct_d, i, |s| {
                if s.is_empty() {
                    NONE
                } else {
                    self.accounts.id(s)
                }
            });
            let cost = b.f64(Col::UnblendedCost, i).unwrap_or(0.0);
            let cost = if cost.is_finite() { cost } else { 0.0 };
            let line = match line_m.of(line_d, i, |s| line_of(s) as u32) {
                NONE => Line::Other,
                x => [
                    Line::Usage,
                    Line::Tax,
                    Line::Credit,
                    Line::Refund,
                    Line::Discount,
                    Line::Other,
                ][x as usize],
            };
            let start = b.ts(Col::UsageStart, i).map(|t| t.div_euclid(1_000_000));
            let period_start = b.ts(Col::PeriodStart, i).or(b.ts(Col::UsageStart, i));
            if let Some(ps) = period_start.filter(|ps| self.last_period_start != Some(*ps)) {
                self.last_period_start = Some(ps);
                if let Some(dt) = chrono::DateTime::from_timestamp(ps.div_euclid(1_000_000), 0) {
                    self.p.periods.insert(dt.format("%Y-%m").to_string());
                }
            }
            let ai = acc as usize;
            if acc != NONE && ai >= self.pretax.len() {
                self.pretax.resize(ai + 1, 0.0);
                self.tax.resize(ai + 1, None);
            }
            if line == Line::Tax {
                if acc != NONE {
                    *self.tax[ai].get_or_insert(0.0) += cost;
                }
                continue;
            }
            if acc != NONE {
                self.pretax[ai] += cost;
            }
            if let (Some(st), Some(en)) = (start, b.ts(Col::UsageEnd, i)) {
                if line == Line::Usage {
                    *self
                        .p
                        .spans
                        .entry(en.div_euclid(1_000_000) - st)
                        .or_default() += 1;
                }
            }
            // The product name's value key in the product map.
            let pn = product.and_then(|m| {
                m.range(i)?.find_map(|j| {
                    let k = m.keys.key(j)?;
                    if pn_keys.at(k, || u32::from(m.keys.values().value(k) == "product_name")) == 1
                    {
                        Some((j, m.values.key(j)))
                    } else {
                        None
                    }
                })
            });
            let pn_key = pn.and_then(|(_, k)| k).map_or(NONE, |k| k as u32);
            let product_name: &str = match (product, pn) {
                (Some(m), Some((j, _))) => m.values.get(j).unwrap_or(""),
                _ => "",
            };
            let ck = [
                key(code_d, i),
                key(ent_d, i),
                key(fam_d, i),
                pn_key,
                key(op_d, i),
                key(line_d, i),
            ];
            let (inference, bedrock) = *class.entry(ck).or_insert_with(|| {
                let ident = RowIdentity {
                    product_code: text(code_d, i),
                    billing_entity: text(ent_d, i),
                    product_family: text(fam_d, i),
                    product_name,
                    operation: text(op_d, i),
                    line_item_type: text(line_d, i),
                };
                (is_bedrock_inference(&ident), is_bedrock(&ident))
            });
            let ts = start.unwrap_or(0);
            // Tag keys: first appearance and values, on every row.
            row_tags.clear();
            if let Some(t) = tags {
                if let Some(r) = t.range(i) {
                    for j in r {
                        let Some(kk) = t.keys.key(j) else { continue };
                        let kid = tk_m.at(kk, || {
                            let s = t.keys.values().value(kk);
                            let id = self.keys.id(s);
                            if id as usize >= self.key_kind.len() {
                                self.key_kind.push(key_kind(s));
                                self.key_acc.push(None);
                            }
                            id
                        });
                        let vid = match t.values.key(j) {
                            Some(vk) => tv_m.at(vk, || {
                                let s = t.values.values().value(vk);
                                if s.is_empty() {
                                    NONE
                                } else {
                                    self.values.id(s)
                                }
                            }),
                            None => NONE,
                        };
                        if vid == NONE {
                            continue;
                        }
                        let e = self.key_acc[kid as usize].get_or_insert_with(|| KeyAcc {
                            first: i64::MAX,
                            values: Default::default(),
                            bedrock_cost: 0.0,
                        });
                        e.first = e.first.min(ts);
                        e.values.insert(vid);
                        if inference {
                            e.bedrock_cost += cost;
                        }
                        row_tags.push((kid, vid));
                    }
                }
            }
            if !inference {
                self.other_row(b, i, line, bedrock, cost, ts, acc, &row_tags, product_name);
                continue;
            }
            self.inference_row(InferenceRow {
                b,
                i,
                cost,
                ts,
                acc,
                ut_m: &mut ut_m,
                p_m: &mut p_m,
                r_m: &mut r_m,
                op_m: &mut op_m,
                mp_m: &mut mp_m,
                pn_key,
                product_name,
                row_tags: &row_tags,
            });
        }
        self.row_tags = row_tags;
        self.sticky[0].put(p_m);
        self.sticky[1].put(r_m);
        self.sticky[2].put(tk_m);
        self.sticky[3].put(tv_m);
    }

    /// A row that is not a model call: credits, refunds, discount rows, Bedrock charges and
    /// background spend.
    #[allow(clippy::too_many_arguments)]
    fn other_row(
        &mut self,
        b: &Batch,
        i: usize,
        line: Line,
        bedrock: bool,
        cost: f64,
        ts: i64,
        acc: u32,
        row_tags: &[(u32, u32)],
        product_name: &str,
    ) {
        let s = |c: Col| b.str(c, i).unwrap_or("");
        let account = self.account_name(acc);
        match line {
            Line::Credit | Line::Refund => {
                let period = self
                    .last_period_start
                    .and_then(|ps| chrono::DateTime::from_timestamp(ps.div_euclid(1_000_000), 0))
                    .map(|d| d.format("%Y-%m").to_string())
                    .unwrap_or_default();
                let key = (
                    line == Line::Credit,
                    period,
                    account,
                    s(Col::ProductCode).to_string(),
                    s(Col::LineItemDescription).to_string(),
                );
                *self.p.bill.adjustments.entry(key).or_default() -= cost;
                return;
            }
            Line::Discount => {
                let ut = s(Col::UsageType);
                let model: Arc<str> = match parse_usage_type(ut) {
                    Some(p) if p.form() == BillingForm::Aws && p.model.is_some() => {
                        Arc::from(p.model.unwrap_or_default())
                    }
                    _ => Arc::from(format!("MP:{product_name}")),
                };
                let lt = s(Col::LineItemType).to_string();
                *self
                    .p
                    .bill
                    .discount_rows
                    .entry((lt, ut.to_string(), model))
                    .or_default() += cost;
                return;
            }
            _ => {}
        }
        let charge = if line == Line::Usage {
            bill::charge(s(Col::UsageType), s(Col::ProductCode))
        } else {
            None
        };
        if charge.is_none() && bedrock {
            self.p.other_bedrock.0 += 1;
            self.p.other_bedrock.1 += cost;
            return;
        }
        if line != Line::Usage {
            return;
        }
        let code = charge.unwrap_or_else(|| s(Col::ProductCode));
        let by_code = self.p.background.entry(account).or_default();
        let bg = match by_code.get_mut(code) {
            Some(x) => x,
            None => by_code.entry(code.to_string()).or_default(),
        };
        bg.cost += cost;
        *bg.regions
            .entry(region_code_of(s(Col::UsageType)).unwrap_or("USE1"))
            .or_default() += 1;
        bg.units.insert(ts);
        for (k, v) in row_tags {
            if self.key_kind[*k as usize] == 2 {
                let key = &self.keys.names[*k as usize][RESOURCE_TAGS_PREFIX.len()..];
                let val = &self.values.names[*v as usize];
                let e = match bg.tags.get_mut(key) {
                    Some(e) => e,
                    None => bg.tags.entry(key.to_string()).or_default(),
                };
                match e.get_mut(val) {
                    Some(n) => *n += 1,
                    None => {
                        e.insert(val.clone(), 1);
                    }
                }
            }
        }
    }

    fn account_name(&self, acc: u32) -> String {
        if acc == NONE {
            String::new()
        } else {
            self.accounts.names[acc as usize].clone()
        }
    }

    fn inference_row(&mut self, r: InferenceRow<'_, '_>) {
        let InferenceRow {
            b,
            i,
            cost,
            ts,
            acc,
            ut_m,
            p_m,
            r_m,
            op_m,
            mp_m,
            pn_key,
            product_name,
            row_tags,
        } = r;
        self.p.bedrock_rows += 1;
        self.p.bedrock_cost += cost;
        self.p.first_bedrock = Some(self.p.first_bedrock.map_or(ts, |f| f.min(ts)));
        let ut_d = b.dict(Col::UsageType);
        let parsed = match ut_d.and_then(|d| d.key(i)) {
            Some(k) => {
                if k >= ut_m.len() {
                    ut_m.resize(k + 1, None);
                }
                if ut_m[k].is_none() {
                    let s = ut_d.map_or("", |d| d.values().value(k));
                    ut_m[k] = Some(self.lite(s));
                }
                ut_m[k].clone().flatten()
            }
            None => None,
        };
        let Some(parsed) = parsed else {
            return;
        };
        let amount = b.f64(Col::UsageAmount, i).unwrap_or(0.0);
        let per_unit = BillingForm::from_pricing_unit(b.str(Col::PricingUnit, i).unwrap_or(""))
            .map_or(parsed.tokens_per_unit, |f| f.tokens_per_unit());
        let tokens = if amount.is_finite() {
            amount * per_unit as f64
        } else {
            0.0
        };
        let model = match parsed.model {
            Some(m) => m,
            None if pn_key != NONE => mp_m.at(pn_key as usize, || {
                self.model_id(&format!("MP:{product_name}"))
            }),
            None => self.model_id("MP:"),
        };
        let u = self.usage.entry((model, parsed.ut)).or_default();
        u[0] += cost;
        if let Some(net) = b.f64(Col::NetUnblendedCost, i).filter(|x| x.is_finite()) {
            self.p.bill.net_rows += 1;
            u[1] += cost;
            u[2] += net - cost;
        }
        let r_d = b.dict(Col::ResourceId);
        let profile = r_m.of(r_d, i, |s| {
            if s.contains(":application-inference-profile/") {
                let id = self.profiles.id(s);
                if id as usize >= self.profile_acc.len() {
                    self.profile_acc.push(ProfileAcc::default());
                }
                id
            } else {
                NONE
            }
        });
        if profile != NONE {
            let pa = &mut self.profile_acc[profile as usize];
            pa.rows += 1;
            pa.cost += cost;
            for (k, v) in row_tags {
                if self.key_kind[*k as usize] == 2 {
                    *pa.tags.entry((*k, *v)).or_default() += 1;
                }
            }
        }
        let p_d = b.dict(Col::Principal);
        let pi = p_m.of(p_d, i, |s| {
            if s.trim().is_empty() {
                NONE
            } else {
                self.principal(s)
            }
        });
        let streaming = {
            let op_d = b.dict(Col::Operation);
            op_m.of(op_d, i, |s| u32::from(s == OP_INVOKE_STREAMING)) == 1
        };
        let ps = if pi != NONE {
            self.p.first_with_principal =
                Some(self.p.first_with_principal.map_or(ts, |f| f.min(ts)));
            &mut self.principals[pi as usize].1
        } else {
            self.unattributed.entry(acc).or_default()
        };
        ps.account = acc;
        for (k, v) in row_tags {
            if self.key_kind[*k as usize] == 1 {
                *ps.tags.entry((*k, *v)).or_default() += 1;
            }
        }
        let ik: IKey = (model, parsed.region, parsed.tier, profile);
        let wi = match ps.work.iter().position(|(k, _, _)| *k == ik) {
            Some(x) => x,
            None => {
                let mut w = WorkStats::new(parsed.spelling);
                w.cells = None;
                ps.work.push((ik, w, Some(Vec::new())));
                ps.work.len() - 1
            }
        };
        let (_, w, cells) = &mut ps.work[wi];
        let t = parsed.token as usize;
        w.tokens[t] += tokens;
        w.cost += cost;
        w.cost_t[t] += cost;
        w.rows += 1;
        w.first = w.first.min(ts);
        w.last = w.last.max(ts);
        w.units.insert(ts);
        if parsed.long {
            w.long_rows += 1;
        }
        if parsed.token != TokenType::Output {
            if parsed.batch {
                w.batch_prompt += tokens;
            }
            if parsed.global {
                w.global_prompt += tokens;
            }
            if streaming {
                w.stream_prompt += tokens;
            }
            let h = (ts.rem_euclid(86_400) / 3600) as usize;
            w.hod[h] += tokens;
            w.wd[weekday(ts)] += tokens;
            self.p.hod[h] += tokens;
            self.p.wd[weekday(ts)] += tokens;
        }
        let mut dense = false;
        if let Some(list) = cells {
            let k = (ts, parsed.batch, parsed.global, streaming, parsed.long);
            match list.iter().rposition(|(c, _)| *c == k) {
                Some(x) => list[x].1[t] += tokens,
                None if list.len() < MAX_CELLS => {
                    let mut v = [0.0; 5];
                    v[t] = tokens;
                    list.push((k, v));
                    ps.cells += 1;
                    dense = ps.cells > SPARSE_CELLS;
                }
                None => *cells = None,
            }
        }
        if dense {
            for (_, _, c) in &mut ps.work {
                *c = None;
            }
        }
    }

    /// The worker's figures as a [`Profile`] of strings.
    pub(crate) fn finish(self) -> Profile {
        let Acc {
            mut p,
            accounts,
            pretax,
            tax,
            keys,
            key_kind: _,
            key_acc,
            values,
            models,
            uts,
            usage,
            profiles,
            profile_acc,
            principals,
            unattributed,
            ..
        } = self;
        let name = |a: u32| -> String {
            if a == NONE {
                String::new()
            } else {
                accounts.names[a as usize].clone()
            }
        };
        for (a, n) in accounts.names.iter().enumerate() {
            p.accounts.insert(n.clone());
            p.pretax
                .insert(n.clone(), pretax.get(a).copied().unwrap_or(0.0));
            if let Some(t) = tax.get(a).copied().flatten() {
                p.tax.insert(n.clone(), t);
            }
        }
        for (kid, k) in key_acc.into_iter().enumerate() {
            if let Some(k) = k {
                p.tag_keys.insert(
                    keys.names[kid].clone(),
                    TagKeyStats {
                        first: k.first,
                        values: k
                            .values
                            .iter()
                            .map(|v| values.names[*v as usize].clone())
                            .collect(),
                        bedrock_cost: k.bedrock_cost,
                    },
                );
            }
        }
        let tags_of = |m: &Map<(u32, u32), u64>, prefix: &str| {
            let mut out: Map<String, Map<String, u64>> = Map::default();
            for ((k, v), n) in m {
                let key = keys.names[*k as usize]
                    .strip_prefix(prefix)
                    .unwrap_or_default();
                *out.entry(key.to_string())
                    .or_default()
                    .entry(values.names[*v as usize].clone())
                    .or_default() += n;
            }
            out
        };
        let profile_arn =
            |x: u32| (x != NONE).then(|| Arc::<str>::from(profiles.names[x as usize].as_str()));
        let stats = |ps: PAcc| PrincipalStats {
            account: name(ps.account),
            tags: tags_of(&ps.tags, IAM_PRINCIPAL_PREFIX),
            work: ps
                .work
                .into_iter()
                .map(|((m, r, t, pr), mut w, cells)| {
                    let k: WorkKey = (models[m as usize].clone(), r, t, profile_arn(pr));
                    w.cells = cells.map(|c| c.into_iter().collect());
                    (k, w)
                })
                .collect(),
        };
        for (arn, ps) in principals {
            p.principals.insert(arn, stats(ps));
        }
        for (a, ps) in unattributed {
            p.unattributed.insert(name(a), stats(ps));
        }
        for (i, pa) in profile_acc.into_iter().enumerate() {
            let s = p
                .bill
                .profiles
                .entry(Arc::from(profiles.names[i].as_str()))
                .or_default();
            s.rows += pa.rows;
            s.cost += pa.cost;
            for (k, vs) in tags_of(&pa.tags, RESOURCE_TAGS_PREFIX) {
                let e = s.tags.entry(k).or_default();
                for (v, n) in vs {
                    *e.entry(v).or_default() += n;
                }
            }
        }
        for ((m, ut), v) in usage {
            let i = p
                .bill
                .usage_index(&models[m as usize], &uts.names[ut as usize]);
            for (x, y) in p.bill.usage[i].2.iter_mut().zip(v) {
                *x += y;
            }
        }
        p
    }
}

/// What [`Acc::inference_row`] needs of the batch and its memos.
struct InferenceRow<'a, 'b> {
    b: &'a Batch,
    i: usize,
    cost: f64,
    ts: i64,
    acc: u32,
    ut_m: &'b mut Vec<Option<Option<Lite>>>,
    p_m: &'b mut Memo,
    r_m: &'b mut Memo,
    op_m: &'b mut Memo,
    mp_m: &'b mut Memo,
    pn_key: u32,
    product_name: &'a str,
    row_tags: &'b [(u32, u32)],
}
