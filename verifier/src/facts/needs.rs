//! What a rule needs from the one streaming pass, declared in its [`RuleMeta`](crate::meta::RuleMeta):
//! the columns it reads, the export-wide aggregates it consults at the end, and its own facts
//! about distinct values (a tag key, a principal) that it looks up per row. The engine asks the
//! selected rules for their needs ([`Wanted::of`]) and has exactly that read, collected and
//! worked out; nothing in the scan knows which rule asked.

use std::fmt;

use super::memo::{Fact, FactTable, RuleTable, SharedFacts};
use crate::context::Ctx;
use crate::read::Col;

/// What one rule needs.
#[derive(Debug, Clone, Copy)]
pub struct Needs {
    /// Columns it reads; when one is absent from every data file the rule is skipped (and the
    /// SQL form reports it skipped when the column is null on every row).
    pub columns: &'static [Col],
    /// Export-wide aggregates its `finish` consults.
    pub aggregates: &'static [Aggregate],
    /// Its facts about distinct values, worked out once per distinct value (see [`PerValue`]).
    pub facts: &'static [&'static dyn FactSpec],
}

impl Needs {
    /// Nothing beyond the schema and layout (the base of `..Needs::NONE`).
    pub const NONE: Needs = Needs {
        columns: &[],
        aggregates: &[],
        facts: &[],
    };
}

/// Columns every scan reads, whatever the rules: what rows are classified by (Bedrock,
/// inference, line item type), what samples name, and what the aggregates key on.
pub const BASE_COLUMNS: &[Col] = &[
    Col::LineItemId,
    Col::ProductCode,
    Col::BillingEntity,
    Col::ProductFamily,
    Col::Product,
    Col::Operation,
    Col::LineItemType,
    Col::UnblendedCost,
    Col::PeriodStart,
    Col::UsageStart,
    Col::UsageType,
    Col::UsageAccount,
];

/// An export-wide aggregate the scan can collect (see [`Aggregates`](super::Aggregates)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Aggregate {
    /// Rows with a principal, and the earliest usage start among them.
    FirstPrincipal,
    /// Bedrock inference spend: the total, the part without a principal, and the spend per
    /// usage account and principal.
    Spend,
    /// Bedrock inference spend per `iamPrincipal/` tag key and value.
    SpendByTag,
    /// Every `tags` key spelling, with its first row and row count.
    TagSpellings,
    /// Every line item's identity (id and interval) per billing period, for repeats.
    LineItemIds,
    /// The bill per billing period (Σ unblended of every row; Σ net of the usage rows) and per
    /// principal and period (gross, net, public on-demand and Marketplace-billed cost of its
    /// usage rows).
    Bill,
    /// Commitment rows (Provisioned Throughput, Reserved tier) per usage account, usage type,
    /// resource id and period: their usage amounts and time buckets.
    Commitments,
    /// Rows whose resource id is an application inference profile: per profile, per set of
    /// `resourceTags/` keys, rows and cost per usage start.
    ProfileTags,
}

impl Aggregate {
    /// Columns collecting it reads beyond [`BASE_COLUMNS`].
    pub fn columns(self) -> &'static [Col] {
        match self {
            Aggregate::FirstPrincipal | Aggregate::Spend => &[Col::Principal],
            Aggregate::SpendByTag | Aggregate::TagSpellings => &[Col::Tags],
            // A line item is its id and interval; without an interval, its usage start and end.
            Aggregate::LineItemIds => &[Col::TimeInterval, Col::UsageEnd],
            Aggregate::Bill => &[
                Col::Principal,
                Col::NetUnblendedCost,
                Col::PublicOnDemandCost,
            ],
            Aggregate::Commitments => &[Col::UsageAmount, Col::ResourceId],
            Aggregate::ProfileTags => &[Col::ResourceId, Col::Tags],
        }
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// A set of aggregates: what the accumulators collect.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Track(u8);

impl Track {
    /// The set with `a` added.
    pub fn with(self, a: Aggregate) -> Track {
        Track(self.0 | a.bit())
    }

    /// Whether `a` is collected.
    #[inline]
    pub fn has(self, a: Aggregate) -> bool {
        self.0 & a.bit() != 0
    }
}

/// Which distinct values a [`PerValue`] fact is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distinct {
    /// The distinct values of a text column read in dictionary form.
    Column(Col),
    /// The distinct keys of `tags`.
    TagKey,
    /// The distinct values of `tags`.
    TagValue,
}

impl Distinct {
    /// The column the values come from.
    pub fn column(self) -> Col {
        match self {
            Distinct::Column(c) => c,
            Distinct::TagKey | Distinct::TagValue => Col::Tags,
        }
    }
}

/// A rule's own fact about one distinct value — a tag key's problem, a principal's parse
/// error — declared as a `static` in the rule's file and listed in its [`Needs::facts`]. The
/// scan works it out once per distinct value of each dictionary (a Parquet column chunk's
/// dictionary serves all batches of its row group; a principal's fact is also kept across
/// dictionaries by its interned id), and the rule looks it up per row by dictionary key with
/// [`View::facts`](super::View::facts).
///
/// It must be a `static`, not a `const`: the scan finds a rule's table by the fact's address.
pub struct PerValue<T> {
    /// The values it is about.
    pub of: Distinct,
    /// The fact about one value (`""` for a null tag value).
    pub fact: fn(&str, &Ctx) -> T,
}

impl<T> fmt::Debug for PerValue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PerValue({:?})", self.of)
    }
}

/// A [`PerValue`] fact of any type, as [`Needs::facts`] lists it.
pub trait FactSpec: Sync + fmt::Debug {
    /// The values it is about.
    fn of(&self) -> Distinct;
    /// An empty table for it, for one worker, sharing `shared`'s table by interned id with the
    /// other workers.
    fn table(&self, ctx: &Ctx, shared: &SharedFacts) -> Box<dyn FactTable>;
}

impl<T: Fact> FactSpec for PerValue<T> {
    fn of(&self) -> Distinct {
        self.of
    }

    fn table(&self, ctx: &Ctx, shared: &SharedFacts) -> Box<dyn FactTable> {
        Box::new(RuleTable::new(
            self.fact,
            ctx,
            shared.table::<T>(address(self)),
        ))
    }
}

/// The address a fact is known by.
pub(crate) fn address<S: ?Sized>(spec: &S) -> usize {
    (spec as *const S).cast::<()>() as usize
}

/// What the selected rules need together.
#[derive(Debug, Clone, Default)]
pub struct Wanted {
    /// Columns to read: [`BASE_COLUMNS`] and every rule's, aggregate's and fact's, sorted.
    pub columns: Vec<Col>,
    /// Aggregates to collect.
    pub track: Track,
    /// Per-value facts to work out, each once.
    pub facts: Vec<&'static dyn FactSpec>,
}

impl Wanted {
    /// The union of some rules' needs.
    pub fn of<'a>(needs: impl IntoIterator<Item = &'a Needs>) -> Wanted {
        let mut w = Wanted {
            columns: BASE_COLUMNS.to_vec(),
            ..Default::default()
        };
        for n in needs {
            w.columns.extend_from_slice(n.columns);
            for a in n.aggregates {
                w.track = w.track.with(*a);
                w.columns.extend_from_slice(a.columns());
            }
            for f in n.facts {
                w.columns.push(f.of().column());
                if !w.facts.iter().any(|g| address(*g) == address(*f)) {
                    w.facts.push(*f);
                }
            }
        }
        w.columns.sort();
        w.columns.dedup();
        w
    }
}
