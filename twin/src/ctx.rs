//! What the steps of building a scenario share ([`Ctx`]), where each principal's usage goes
//! ([`Target`]), and when large groups are written compactly.

use curlab_generator::scenario::model::ScenarioFile;

use crate::anon::Renamer;
use crate::profile::Profile;
use crate::write::Notes;

/// In an export with more than [`COMPACT_TOTAL`] principals, an identity provider or gateway
/// with more than this many users is written with generated users (a count and attribute
/// pools) and one workload per model for all of them, so the file stays within the scenario
/// size limit; smaller groups list every user with its own workload.
pub const COMPACT_GROUP: usize = 1000;

/// See [`COMPACT_GROUP`].
pub const COMPACT_TOTAL: usize = 5000;

/// How to build the twin.
#[derive(Debug, Clone)]
pub struct Options {
    /// Salt of the keyed renaming.
    pub salt: String,
    /// Keep every name and value.
    pub keep_names: bool,
    /// Rename tag keys too.
    pub rename_keys: bool,
    /// Scenario (and export) name.
    pub name: String,
    /// Seed written into `[scenario]`.
    pub seed: u64,
}

/// Where a principal's usage goes.
pub(crate) enum Target {
    /// A selector naming exactly this principal.
    One(String),
    /// A group selector whose requests spread over `split` sessions (`per_member`: each of
    /// `split` members is its own requester, so the rate is per member).
    Shared(String, f64, bool),
}

/// What the steps of [`crate::build::build`] share.
pub(crate) struct Ctx<'a> {
    pub(crate) p: &'a Profile,
    pub(crate) o: &'a Options,
    pub(crate) r: Renamer,
    pub(crate) notes: Notes,
    pub(crate) file: ScenarioFile,
    pub(crate) statements: &'a mut Vec<String>,
    /// Source account id → renamed, the first standing in as payer.
    pub(crate) accounts: Vec<(String, String)>,
}

impl Ctx<'_> {
    /// The renamed id of a source account (the payer's when unknown).
    pub(crate) fn acct(&self, a: &str) -> String {
        acct_of(&self.accounts, a)
    }
}

/// The renamed id of a source account among `accounts` (the payer's when unknown).
pub(crate) fn acct_of(accounts: &[(String, String)], a: &str) -> String {
    accounts
        .iter()
        .find(|(s, _)| s == a)
        .map_or_else(|| accounts[0].1.clone(), |(_, t)| t.clone())
}
