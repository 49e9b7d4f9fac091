//! Exports in Amazon S3 (or an S3-compatible store): `curlab generate --out s3://…`,
//! `curlab verify s3://…` and `curlab report s3://…`.
//!
//! All S3 traffic lives here, on a small current-thread tokio runtime, so the generator and
//! verifier crates stay synchronous and file based:
//! - **generate** builds the export exactly as the local path does, in a local temporary
//!   folder, then uploads it: data files first, then the truth file, manifests last;
//! - **verify / report** list the prefix, download the objects the local reader needs into a
//!   temporary folder that mirrors the keys (streamed to disk, so memory stays bounded), run the
//!   local code path on it, and show `s3://` URIs instead of the temporary paths.
//!
//! One job per file: [`uri`] parses `s3://` URIs; [`client`] sets up the client
//! (credentials, region, endpoint) and moves objects; [`profile`] reads the AWS shared config
//! and credentials files; [`upload`] is `generate --out s3://…`; [`download`] mirrors what
//! `verify` and `report` read. Credentials and region come from the standard AWS chain (see
//! [`client::connect`] and docs/s3.md).

mod client;
mod download;
mod profile;
mod upload;
mod uri;

pub(crate) use download::{fetch_file, Mirror, Mirrors};
pub(crate) use upload::generate;
pub(crate) use uri::{is_s3, S3Args, S3Uri};
