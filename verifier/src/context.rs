//! What a rule may consult besides the rows: the opened data files, the manifests, the truth
//! and policy files and what follows from them (the activation table, the principal-data start,
//! the granularity). Built once before the scan by the engine, or without data files by
//! `curlab sql`.

use std::collections::BTreeMap;
use std::path::Path;

use curlab_vocab::bedrock::principal_data_start;
use curlab_vocab::truth::{Truth, TruthPrincipal, TRUTH_VERSION};
use curlab_vocab::Granularity;

use crate::error::VerifyError;
use crate::input::{DataFile, ManifestCheck};
use crate::kind::FileKind;
use crate::policy::{self, full_tag_key, Policy};
use crate::read::{parse_ts, Col, Opened};

/// An opened data file.
#[derive(Debug, Clone)]
pub struct FileCtx {
    /// Where and what it is.
    pub file: DataFile,
    /// Its schema.
    pub opened: Opened,
    /// CUR 2.0, legacy CUR or not CUR data (from its columns); only CUR 2.0 files are scanned.
    pub kind: FileKind,
}

/// When a cost allocation tag key took effect.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyActivation {
    /// Rows starting at or after this (UTC µs) carry the key; `None` when unknown.
    pub effective_from: Option<i64>,
    /// First instant of a backfilled month, if any.
    pub backfill_from: Option<i64>,
}

/// Everything a rule may consult besides the rows.
#[derive(Debug, Default)]
pub struct Ctx {
    /// Data files in discovery order.
    pub files: Vec<FileCtx>,
    /// Manifests of export folders.
    pub manifests: Vec<ManifestCheck>,
    /// Whether any input was a Data Exports folder.
    pub has_export_layout: bool,
    /// The truth file, if given.
    pub truth: Option<Truth>,
    /// The policy, if given.
    pub policy: Option<Policy>,
    /// Activated keys and when they took effect (from the truth, else the policy).
    pub activation: Option<BTreeMap<String, KeyActivation>>,
    /// Truth principals by ARN (indices into `truth.principals`; see [`Ctx::truth_principal`]).
    pub truth_principals: PrincipalIndex,
    /// First instant (UTC µs) at which Bedrock rows must carry a principal.
    pub principal_from: i64,
    /// Whether `principal_from` comes from the truth file (else it is the launch date and the
    /// rules use the first day the export shows a principal).
    pub principal_from_truth: bool,
    /// Granularity from the truth file.
    pub granularity: Option<Granularity>,
    /// `--period`, if given.
    pub period: Option<String>,
    /// Compiled `principals.allowed` patterns of the policy.
    pub allowed_principals: Vec<glob::Pattern>,
}

/// The truth's principals by ARN without a copy of the ARNs: indices into
/// `truth.principals` sorted by ARN, found by binary search (a map of ARN copies was 27 MiB at
/// 220k principals). Of principals with the same ARN the last one counts.
#[derive(Debug, Clone, Default)]
pub struct PrincipalIndex(Vec<u32>);

impl PrincipalIndex {
    /// The index of `principals`.
    pub fn of(principals: &[TruthPrincipal]) -> Self {
        let mut ix: Vec<u32> = (0..principals.len() as u32).collect();
        // By ARN, then position: the last of each run of equal ARNs is the one kept.
        ix.sort_by(|a, b| {
            principals[*a as usize]
                .arn
                .cmp(&principals[*b as usize].arn)
                .then(a.cmp(b))
        });
        let mut kept: Vec<u32> = Vec::with_capacity(ix.len());
        for i in ix {
            if let Some(last) = kept.last_mut() {
                if principals[*last as usize].arn == principals[i as usize].arn {
                    *last = i;
                    continue;
                }
            }
            kept.push(i);
        }
        PrincipalIndex(kept)
    }

    /// The position in `principals` (the slice the index was made of) of the principal `arn`.
    pub fn get(&self, principals: &[TruthPrincipal], arn: &str) -> Option<usize> {
        let at = self
            .0
            .binary_search_by(|i| {
                principals
                    .get(*i as usize)
                    .map_or("", |p| p.arn.as_str())
                    .cmp(arn)
            })
            .ok()?;
        Some(self.0[at] as usize)
    }

    /// Positions in `principals`, in ARN order (one per distinct ARN).
    pub fn positions(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().map(|i| *i as usize)
    }
}

impl Ctx {
    /// The position in `truth.principals` of the truth principal `arn`.
    pub fn truth_principal(&self, arn: &str) -> Option<usize> {
        let t = self.truth.as_ref()?;
        self.truth_principals.get(&t.principals, arn)
    }

    /// Whether any CUR 2.0 data file has this column.
    pub fn any_file_has(&self, column: Col) -> bool {
        self.files
            .iter()
            .any(|f| f.kind.is_cur2() && f.opened.schema.has(column.name()))
    }

    /// Whether any data file is CUR 2.0 data (see [`crate::kind`]).
    pub fn any_cur2_file(&self) -> bool {
        self.files.iter().any(|f| f.kind.is_cur2())
    }
}

fn load_truth(path: &Path) -> Result<Truth, VerifyError> {
    // Parsed from a buffered reader, not a string read whole: at a few hundred thousand
    // principals the file is over 150 MB, which would sit in memory beside what it parses into.
    let cannot_read = |e: &dyn std::fmt::Display| {
        VerifyError::read(
            path,
            format!("cannot read truth file: {e}"),
            "check the --truth path",
        )
    };
    let file = std::fs::File::open(path).map_err(|e| cannot_read(&e))?;
    let reader = std::io::BufReader::with_capacity(1 << 16, file);
    let parsed =
        curlab_vocab::truth::sharing_tag_sets(|| serde_json::from_reader::<_, Truth>(reader));
    let mut truth: Truth = parsed.map_err(|e| {
        if e.is_io() {
            return cannot_read(&e);
        }
        VerifyError::Read {
            path: path.to_path_buf(),
            problem: format!("not a curlab truth file: {e}"),
            place: Some(format!("line {}, column {}", e.line(), e.column())),
            fix: "pass the <export>.truth.json written by `curlab generate`".into(),
        }
    })?;
    if truth.curlab_truth_version != TRUTH_VERSION {
        return Err(VerifyError::read(
            path,
            format!(
                "truth format version {} is not supported (expected {TRUTH_VERSION})",
                truth.curlab_truth_version
            ),
            "regenerate the export with this curlab version",
        ));
    }
    // No spare capacity: the vector grew by doubling while read (up to 2 × 160 bytes a principal).
    truth.principals.shrink_to_fit();
    Ok(truth)
}

fn activation_from(
    truth: Option<&Truth>,
    policy: Option<&Policy>,
) -> Option<BTreeMap<String, KeyActivation>> {
    if let Some(t) = truth {
        return Some(
            t.activation
                .iter()
                .map(|a| {
                    (
                        full_tag_key(&a.key),
                        KeyActivation {
                            effective_from: parse_ts(&a.effective_from),
                            backfill_from: a.backfill_from.as_deref().and_then(parse_ts),
                        },
                    )
                })
                .collect(),
        );
    }
    let p = policy?;
    if p.tags.activated.is_none() && p.tags.activation.is_empty() {
        return None;
    }
    let mut map: BTreeMap<String, KeyActivation> = p
        .tags
        .activated
        .iter()
        .flatten()
        .map(|k| {
            (
                full_tag_key(k),
                KeyActivation {
                    effective_from: None,
                    backfill_from: None,
                },
            )
        })
        .collect();
    for a in &p.tags.activation {
        map.insert(
            full_tag_key(&a.key),
            KeyActivation {
                effective_from: parse_ts(&a.effective_from),
                backfill_from: a.backfill_from.as_deref().and_then(parse_ts),
            },
        );
    }
    Some(map)
}

/// The rules' context without data files: truth, policy, the activation table and the instants
/// derived from them. `curlab verify` adds the files; `curlab sql` builds its queries from it.
pub fn context_from_files(
    truth: Option<&Path>,
    policy: Option<&Path>,
    period: Option<String>,
) -> Result<Ctx, VerifyError> {
    let truth = truth.map(load_truth).transpose()?;
    let policy = policy.map(policy::load).transpose()?;
    let launch = principal_data_start()
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp_micros())
        .unwrap_or(0);
    let truth_from = truth
        .as_ref()
        .and_then(|t| t.export.iam_principal_data_from.as_deref())
        .and_then(parse_ts);
    let principal_from = truth_from.map_or(launch, |t| t.max(launch));
    let granularity = truth
        .as_ref()
        .and_then(|t| Granularity::parse(&t.export.time_granularity));
    let truth_principals = truth
        .as_ref()
        .map(|t| PrincipalIndex::of(&t.principals))
        .unwrap_or_default();
    let allowed_principals = policy
        .as_ref()
        .map(|p| {
            p.principals
                .allowed
                .iter()
                .filter_map(|a| glob::Pattern::new(a).ok())
                .collect()
        })
        .unwrap_or_default();
    Ok(Ctx {
        activation: activation_from(truth.as_ref(), policy.as_ref()),
        truth,
        policy,
        truth_principals,
        principal_from,
        principal_from_truth: truth_from.is_some(),
        granularity,
        period,
        allowed_principals,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::PrincipalIndex;
    use curlab_vocab::truth::TruthPrincipal;

    fn principal(arn: &str, account: &str) -> TruthPrincipal {
        TruthPrincipal {
            arn: arn.into(),
            identity: "iam-user".into(),
            pattern: "iam-user".into(),
            account: account.into(),
            tags: Default::default(),
            session_tag_keys: Vec::new(),
            gateway: None,
        }
    }

    #[test]
    fn principal_index_finds_each_arn_and_keeps_the_last_duplicate() {
        let ps = vec![
            principal("arn:aws:iam::2:user/b", "first b"),
            principal("arn:aws:iam::1:user/a", "a"),
            principal("arn:aws:iam::2:user/b", "last b"),
            principal("arn:aws:iam::3:user/c", "c"),
        ];
        let ix = PrincipalIndex::of(&ps);
        assert_eq!(ix.get(&ps, "arn:aws:iam::1:user/a"), Some(1));
        assert_eq!(ix.get(&ps, "arn:aws:iam::2:user/b"), Some(2));
        assert_eq!(ix.get(&ps, "arn:aws:iam::3:user/c"), Some(3));
        assert_eq!(ix.get(&ps, "arn:aws:iam::4:user/d"), None);
        assert_eq!(ix.get(&ps, ""), None);
        assert_eq!(ix.positions().collect::<Vec<_>>(), [1, 2, 3]);
        let empty = PrincipalIndex::default();
        assert_eq!(empty.get(&ps, "arn:aws:iam::1:user/a"), None);
    }
}
