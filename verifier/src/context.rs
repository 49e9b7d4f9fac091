//! What a rule may consult besides the rows: the opened data files, the manifests, the truth
//! and policy files and what follows from them (the activation table, the principal-data start,
//! the granularity). Built once before the scan by the engine, or without data files by
//! `curlab sql`.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use curlab_vocab::bedrock::principal_data_start;
use curlab_vocab::truth::{Truth, TRUTH_VERSION};
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
    /// Truth principals by ARN (index into `truth.principals`).
    pub truth_principals: HashMap<String, usize>,
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

impl Ctx {
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
    let truth: Truth = parsed.map_err(|e| {
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
        .map(|t| {
            t.principals
                .iter()
                .enumerate()
                .map(|(i, p)| (p.arn.clone(), i))
                .collect()
        })
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
