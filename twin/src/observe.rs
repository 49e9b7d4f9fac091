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
use crate::memo::{Interner, Local, Memo, Sticky, NONE};
use crate::profile::{hour_of_day, region_code_of, weekday, HourSet, Map, Profile};
use crate::store::{Dicts, Row, Store};

mod finish;

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

/// Background spend of one account and product code, by id.
#[derive(Debug, Default)]
struct BgAcc {
    cost: f64,
    regions: Map<&'static str, u64>,
    /// (tag key id, value id) → rows (`resourceTags/` keys).
    tags: Map<(u32, u32), u64>,
    units: HourSet,
}

/// One worker's figures other than the callers' (which are in the shared [`Store`]), by
/// global id; small, merged once at the end.
#[derive(Debug)]
pub(crate) struct Acc {
    store: Arc<Store>,
    /// What is kept as it is read (rows, spans, periods, bill rows, shapes).
    pub p: Profile,
    pretax: Vec<f64>,
    tax: Vec<Option<f64>>,
    /// Per tag key id, as far as this worker has seen it: 1 `iamPrincipal/`,
    /// 2 `resourceTags/`, 0 other.
    key_kind: Vec<u8>,
    key_acc: Vec<Option<KeyAcc>>,
    usage: Map<(u32, u32), [f64; 3]>,
    profile_acc: Vec<ProfileAcc>,
    /// Account id → product code (or charge name) → background spend.
    background: Map<u32, Map<String, BgAcc>>,
    last_period_start: Option<i64>,
    row_tags: Vec<(u32, u32)>,
    principal_tags: Vec<(u32, u32)>,
    /// Memos kept across batches: principals, resource ids, tag keys, tag values.
    sticky: [Sticky; 4],
    /// This worker's index of principals and tag values.
    local: [Local; 2],
    /// Interned model keys and inference profile ARNs by id, as far as this worker has
    /// needed them.
    names: [Vec<Option<Arc<str>>>; 2],
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

fn lite(d: &mut Dicts, usage_type: &str) -> Option<Lite> {
    let parsed = parse_usage_type(usage_type)?;
    let model = match parsed.model {
        Some(m) if parsed.form() == BillingForm::Aws => Some(d.models.id(m)),
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
        ut: d.usage_types.id(usage_type),
    })
}

fn grow<T: Default>(v: &mut Vec<T>, i: u32) -> &mut T {
    let i = i as usize;
    if i >= v.len() {
        v.resize_with(i + 1, T::default);
    }
    &mut v[i]
}

impl Acc {
    pub(crate) fn new(store: Arc<Store>) -> Self {
        Acc {
            store,
            p: Profile::default(),
            pretax: Vec::new(),
            tax: Vec::new(),
            key_kind: Vec::new(),
            key_acc: Vec::new(),
            usage: Map::default(),
            profile_acc: Vec::new(),
            background: Map::default(),
            last_period_start: None,
            row_tags: Vec::new(),
            principal_tags: Vec::new(),
            sticky: Default::default(),
            local: Default::default(),
            names: Default::default(),
        }
    }

    /// Observe one batch.
    pub(crate) fn observe(&mut self, b: &Batch) {
        let store = &*self.store.clone();
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
        let mut principal_tags = std::mem::take(&mut self.principal_tags);
        for i in 0..b.len {
            self.p.rows += 1;
            let acc = acct_m.of(acct_d, i, |s| {
                if s.is_empty() {
                    NONE
                } else {
                    store.dicts().accounts.id(s)
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
            if acc != NONE {
                grow(&mut self.pretax, acc);
                grow(&mut self.tax, acc);
            }
            if line == Line::Tax {
                if acc != NONE {
                    *self.tax[acc as usize].get_or_insert(0.0) += cost;
                }
                continue;
            }
            if acc != NONE {
                self.pretax[acc as usize] += cost;
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
            principal_tags.clear();
            if let Some(t) = tags {
                if let Some(r) = t.range(i) {
                    for j in r {
                        let Some(kk) = t.keys.key(j) else { continue };
                        let kid = tk_m.at(kk, || {
                            let s = t.keys.values().value(kk);
                            let id = store.dicts().keys.id(s);
                            *grow(&mut self.key_kind, id) = key_kind(s);
                            id
                        });
                        let vid = match t.values.key(j) {
                            Some(vk) => tv_m.at(vk, || {
                                let s = t.values.values().value(vk);
                                if s.is_empty() {
                                    NONE
                                } else {
                                    self.local[1].id(s, |s| store.dicts().values.id(s))
                                }
                            }),
                            None => NONE,
                        };
                        if vid == NONE {
                            continue;
                        }
                        let e = grow(&mut self.key_acc, kid).get_or_insert_with(|| KeyAcc {
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
                        if self.key_kind[kid as usize] == 1 {
                            principal_tags.push((kid, vid));
                        }
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
                principal_tags: &principal_tags,
            });
        }
        self.row_tags = row_tags;
        self.principal_tags = principal_tags;
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
        match line {
            Line::Credit | Line::Refund => {
                let period = self
                    .last_period_start
                    .and_then(|ps| chrono::DateTime::from_timestamp(ps.div_euclid(1_000_000), 0))
                    .map(|d| d.format("%Y-%m").to_string())
                    .unwrap_or_default();
                let account = if acc == NONE {
                    String::new()
                } else {
                    self.store.dicts().accounts.names[acc as usize].to_string()
                };
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
        let by_code = self.background.entry(acc).or_default();
        let bg = match by_code.get_mut(code) {
            Some(x) => x,
            None => by_code.entry(code.to_string()).or_default(),
        };
        bg.cost += cost;
        *bg.regions
            .entry(region_code_of(s(Col::UsageType)).unwrap_or("USE1"))
            .or_default() += 1;
        bg.units.insert(ts);
        for kv in row_tags {
            if self.key_kind[kv.0 as usize] == 2 {
                *bg.tags.entry(*kv).or_default() += 1;
            }
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
            principal_tags,
        } = r;
        let store = &*self.store.clone();
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
                    ut_m[k] = Some(lite(&mut store.dicts(), s));
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
                store.dicts().models.id(&format!("MP:{product_name}"))
            }),
            None => store.dicts().models.id("MP:"),
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
                store.dicts().profiles.id(s)
            } else {
                NONE
            }
        });
        if profile != NONE {
            let pa = grow(&mut self.profile_acc, profile);
            pa.rows += 1;
            pa.cost += cost;
            for kv in row_tags {
                if self.key_kind[kv.0 as usize] == 2 {
                    *pa.tags.entry(*kv).or_default() += 1;
                }
            }
        }
        let p_d = b.dict(Col::Principal);
        let pi = p_m.of(p_d, i, |s| {
            if s.trim().is_empty() {
                NONE
            } else {
                self.local[0].id(s, |s| store.dicts().principals.id(s))
            }
        });
        let streaming = {
            let op_d = b.dict(Col::Operation);
            op_m.of(op_d, i, |s| u32::from(s == OP_INVOKE_STREAMING)) == 1
        };
        if parsed.token != TokenType::Output {
            let h = hour_of_day(ts);
            self.p.hod[h] += tokens;
            self.p.wd[weekday(ts)] += tokens;
        }
        // The interned strings, borrowed (not cloned: their counts are shared by the workers).
        let [models, profiles] = &mut self.names;
        let shared = |v: &mut Vec<Option<Arc<str>>>, id: u32, d: fn(&Dicts) -> &Interner| {
            let e = grow(v, id);
            if e.is_none() {
                *e = Some(d(&store.dicts()).names[id as usize].clone());
            }
        };
        shared(models, model, |d| &d.models);
        if profile != NONE {
            shared(profiles, profile, |d| &d.profiles);
        }
        let Some(model) = &models[model as usize] else {
            return;
        };
        let profile = profiles.get(profile as usize).and_then(|p| p.as_ref());
        let row = Row {
            account: acc,
            tags: principal_tags,
            model,
            region: parsed.region,
            tier: parsed.tier,
            profile,
            spelling: parsed.spelling,
            token: parsed.token as usize,
            tokens,
            cost,
            ts,
            batch: parsed.batch,
            global: parsed.global,
            streaming,
            long: parsed.long,
        };
        if pi != NONE {
            self.p.first_with_principal =
                Some(self.p.first_with_principal.map_or(ts, |f| f.min(ts)));
            store.add(pi, &row);
        } else {
            store.add_unattributed(&row);
        }
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
    principal_tags: &'b [(u32, u32)],
}
