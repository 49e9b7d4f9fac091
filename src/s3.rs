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
//! Credentials and region come from the standard AWS chain (see [`connect`] and docs/s3.md).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use curlab_vocab::export_layout::{self as layout, Area, Located};
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as Key;
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt, RetryConfig, WriteMultipart};

/// Files up to this size are uploaded with one PUT; larger ones in parts of this size.
const PART_BYTES: usize = 8 << 20;
/// Parts of one file in flight at once (memory: about `(PARTS_IN_FLIGHT + 1) × PART_BYTES`
/// per file being uploaded).
const PARTS_IN_FLIGHT: usize = 2;
/// Objects transferred at once.
const CONCURRENT_OBJECTS: usize = 4;

/// Where the S3 endpoint is, for commands that take `s3://` URIs.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct S3Args {
    /// S3-compatible endpoint (MinIO, Ceph, moto, LocalStack, ...), e.g. http://127.0.0.1:9000;
    /// default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's endpoint_url, else AWS.
    /// Only used for s3:// URIs.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

/// `s3://bucket/key`, the key without leading or trailing slashes (empty: the bucket root).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Uri {
    /// Bucket name.
    pub bucket: String,
    /// Key or prefix, without leading or trailing `/`.
    pub key: String,
}

impl S3Uri {
    /// `Some` for `s3://…` strings (an error if malformed), `None` for anything else.
    pub fn parse(s: &str) -> Result<Option<S3Uri>> {
        let Some(rest) = s.strip_prefix("s3://") else {
            return Ok(None);
        };
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        let valid_bucket = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
            && !bucket.starts_with(['-', '.'])
            && !bucket.ends_with(['-', '.']);
        if !valid_bucket {
            bail!("{s}: `{bucket}` is not an S3 bucket name; fix: write s3://BUCKET/PREFIX with a bucket of 3-63 lowercase letters, digits, dots or hyphens");
        }
        let key = key.trim_matches('/');
        if key.split('/').any(|seg| seg == "." || seg == "..")
            || (!key.is_empty() && key.split('/').any(str::is_empty))
        {
            bail!("{s}: the key has an empty, `.` or `..` segment; fix: write the prefix as it appears in `aws s3 ls`, without `//`, `.` or `..`");
        }
        Ok(Some(S3Uri {
            bucket: bucket.to_string(),
            key: key.to_string(),
        }))
    }

    /// This URI with `rel` (a relative key, `/`-separated) appended.
    pub fn join(&self, rel: &str) -> S3Uri {
        S3Uri {
            bucket: self.bucket.clone(),
            key: join_key(&self.key, rel),
        }
    }

    fn object_key(&self) -> Result<Key> {
        Key::parse(&self.key).with_context(|| format!("{self}: not a valid object key"))
    }
}

impl std::fmt::Display for S3Uri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

fn join_key(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a}/{b}"),
    }
}

/// True for arguments that name an S3 location.
pub fn is_s3(s: &str) -> bool {
    s.starts_with("s3://")
}

// ---------------------------------------------------------------------------------------------
// Credentials, region and endpoint
// ---------------------------------------------------------------------------------------------

/// One profile's settings from the shared credentials and config files.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Profile {
    /// The profile name.
    pub name: String,
    /// `key = value` settings, credentials file over config file.
    pub settings: BTreeMap<String, String>,
    /// Whether either file had a section for it.
    pub found: bool,
}

/// Parse an AWS shared config or credentials file and return the section for `section`.
/// Indented lines (sub-settings such as `s3 =` blocks) are ignored.
fn ini_section(text: &str, section: &str) -> Option<BTreeMap<String, String>> {
    let mut current: Option<String> = None;
    let mut out: Option<BTreeMap<String, String>> = None;
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let line = line.trim();
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
            current = Some(name.clone());
            if name == section && out.is_none() {
                out = Some(BTreeMap::new());
            }
            continue;
        }
        if current.as_deref() == Some(section) {
            if let (Some(map), Some((k, v))) = (out.as_mut(), line.split_once('=')) {
                let v = v.trim();
                if !v.is_empty() {
                    map.insert(k.trim().to_ascii_lowercase(), v.to_string());
                }
            }
        }
    }
    out
}

fn home_file(env: &str, default: &str) -> Option<PathBuf> {
    match std::env::var_os(env) {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(default)),
    }
}

/// Load profile `name` from `credentials` (sections `[name]`) and `config` (sections
/// `[profile name]`, or `[default]`).
pub fn load_profile(
    name: &str,
    credentials: Option<&FsPath>,
    config: Option<&FsPath>,
) -> Result<Profile> {
    let read = |p: Option<&FsPath>| -> Result<Option<String>> {
        match p {
            Some(p) if p.exists() => std::fs::read_to_string(p)
                .map(Some)
                .with_context(|| format!("reading AWS profile file {}", p.display())),
            _ => Ok(None),
        }
    };
    let mut profile = Profile {
        name: name.to_string(),
        ..Default::default()
    };
    if let Some(text) = read(config)? {
        let section = if name == "default" {
            "default".to_string()
        } else {
            format!("profile {name}")
        };
        if let Some(map) = ini_section(&text, &section) {
            profile.found = true;
            profile.settings.extend(map);
        }
    }
    if let Some(text) = read(credentials)? {
        if let Some(map) = ini_section(&text, name) {
            profile.found = true;
            profile.settings.extend(map);
        }
    }
    Ok(profile)
}

fn env_set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty())
}

fn env_value(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// A bucket, its client, and the runtime that drives it.
pub struct Bucket {
    rt: tokio::runtime::Runtime,
    store: Arc<AmazonS3>,
    /// The bucket name.
    pub name: String,
    /// Where requests go, for error messages.
    endpoint: String,
}

/// Open `bucket` with credentials, region and endpoint from the standard AWS chain:
///
/// 1. credentials: `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`; else the
///    static keys of profile `AWS_PROFILE` (default `default`) in `~/.aws/credentials` or
///    `~/.aws/config` (`AWS_SHARED_CREDENTIALS_FILE`, `AWS_CONFIG_FILE`); else web identity
///    (`AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`), the ECS/EKS container endpoint, or the
///    EC2 instance role (not when `AWS_EC2_METADATA_DISABLED=true`);
/// 2. region: `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region`, else (on AWS) the
///    bucket's own region, looked up with one HeadBucket request;
/// 3. endpoint: `--endpoint-url`, `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, the profile's
///    `endpoint_url`, else AWS. Custom endpoints use path-style requests; `http://` is allowed
///    for them.
pub fn connect(bucket: &str, args: &S3Args) -> Result<Bucket> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the S3 client runtime")?;
    let profile_name = env_value("AWS_PROFILE").unwrap_or_else(|| "default".into());
    let profile = load_profile(
        &profile_name,
        home_file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials").as_deref(),
        home_file("AWS_CONFIG_FILE", ".aws/config").as_deref(),
    )?;
    if env_set("AWS_PROFILE") && !profile.found {
        bail!("AWS_PROFILE={profile_name}: no such profile in ~/.aws/credentials or ~/.aws/config; fix: check the name (`aws configure list-profiles`) or unset AWS_PROFILE");
    }
    let setting = |k: &str| profile.settings.get(k).cloned();
    let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);

    // Credentials: the environment wins (from_env read it); then the profile's static keys.
    let env_keys = env_set("AWS_ACCESS_KEY_ID");
    let mut source = if env_keys {
        "the environment (AWS_ACCESS_KEY_ID)".to_string()
    } else {
        String::new()
    };
    if !env_keys {
        match (
            setting("aws_access_key_id"),
            setting("aws_secret_access_key"),
        ) {
            (Some(id), Some(secret)) => {
                builder = builder
                    .with_access_key_id(id)
                    .with_secret_access_key(secret);
                if let Some(token) = setting("aws_session_token") {
                    builder = builder.with_token(token);
                }
                source = format!("profile {profile_name}");
            }
            _ => {
                let unsupported: Vec<&str> = [
                    "role_arn",
                    "source_profile",
                    "credential_process",
                    "sso_session",
                    "sso_start_url",
                    "login_session",
                ]
                .into_iter()
                .filter(|k| profile.settings.contains_key(*k))
                .collect();
                if profile.found && !unsupported.is_empty() {
                    bail!(
                        "profile {profile_name} gets its credentials through {} , which curlab does not resolve itself; fix: run `eval \"$(aws configure export-credentials --profile {profile_name} --format env)\"` first, or use a profile with aws_access_key_id/aws_secret_access_key",
                        unsupported.join(", ")
                    );
                }
                let ambient = env_set("AWS_WEB_IDENTITY_TOKEN_FILE")
                    || env_set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
                    || env_set("AWS_CONTAINER_CREDENTIALS_FULL_URI");
                if !ambient
                    && std::env::var("AWS_EC2_METADATA_DISABLED")
                        .is_ok_and(|v| v.eq_ignore_ascii_case("true"))
                {
                    bail!("no AWS credentials: none in the environment, no profile {profile_name} with keys, and AWS_EC2_METADATA_DISABLED=true rules out the instance role; fix: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE");
                }
                source = if ambient {
                    "web identity or container credentials".into()
                } else {
                    "the EC2 instance role (no keys in the environment or profile)".into()
                };
            }
        }
    }

    // Endpoint: flag, then environment (from_env read AWS_ENDPOINT_URL[_S3]), then profile.
    let endpoint = args
        .endpoint_url
        .clone()
        .or_else(|| env_value("AWS_ENDPOINT_URL_S3"))
        .or_else(|| env_value("AWS_ENDPOINT_URL"))
        .or_else(|| env_value("AWS_ENDPOINT"))
        .or_else(|| setting("endpoint_url"));
    if let Some(url) = &endpoint {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            bail!("endpoint `{url}` is not an http:// or https:// URL; fix: pass e.g. --endpoint-url http://127.0.0.1:9000");
        }
        builder = builder
            .with_endpoint(url.trim_end_matches('/'))
            .with_virtual_hosted_style_request(false)
            .with_allow_http(url.starts_with("http://"));
    }
    let mut options = ClientOptions::new()
        .with_connect_timeout(Duration::from_secs(10))
        .with_timeout(Duration::from_secs(300));
    if let Some(url) = &endpoint {
        options = options.with_allow_http(url.starts_with("http://"));
    }

    // Region.
    let region = env_value("AWS_REGION")
        .or_else(|| env_value("AWS_DEFAULT_REGION"))
        .or_else(|| setting("region"));
    let region = match (region, &endpoint) {
        (Some(r), _) => r,
        (None, Some(_)) => "us-east-1".into(),
        (None, None) => rt
            .block_on(object_store::aws::resolve_bucket_region(bucket, &options))
            .map_err(|e| {
                anyhow!(
                    "s3://{bucket}/: cannot find the bucket's region: {}; fix: check the bucket name, or set AWS_REGION",
                    short_error(&e)
                )
            })?,
    };
    builder = builder.with_region(&region);
    builder = builder
        .with_client_options(options)
        .with_retry(RetryConfig {
            max_retries: 4,
            retry_timeout: Duration::from_secs(60),
            ..Default::default()
        });
    let store = builder
        .build()
        .map_err(|e| anyhow!("s3://{bucket}/: cannot configure the S3 client: {e}"))?;
    let endpoint = match endpoint {
        Some(url) => format!("endpoint {url}, credentials from {source}"),
        None => format!("region {region}, credentials from {source}"),
    };
    Ok(Bucket {
        rt,
        store: Arc::new(store),
        name: bucket.to_string(),
        endpoint,
    })
}

/// The first line of an object_store error, without its nested sources repeated.
fn short_error(e: &object_store::Error) -> String {
    let mut s = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        let t = inner.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = inner.source();
    }
    s.replace('\n', " ")
}

impl Bucket {
    /// A clear error for a failed request on `uri`: what S3 said, and the likely fix.
    fn explain(&self, uri: &str, doing: &str, e: &object_store::Error) -> anyhow::Error {
        let raw = short_error(e);
        let fix = if raw.contains("NoSuchBucket") {
            format!(
                "the bucket `{}` does not exist there; fix: check the bucket name, the region and --endpoint-url",
                self.name
            )
        } else if raw.contains("InvalidAccessKeyId")
            || raw.contains("SignatureDoesNotMatch")
            || raw.contains("ExpiredToken")
            || raw.contains("InvalidToken")
            || matches!(e, object_store::Error::Unauthenticated { .. })
        {
            "the credentials were rejected; fix: check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN or the AWS_PROFILE keys".to_string()
        } else if raw.contains("AccessDenied")
            || matches!(e, object_store::Error::PermissionDenied { .. })
        {
            format!("access denied; fix: grant these credentials s3:ListBucket, s3:GetObject (verify, report) or s3:PutObject and s3:DeleteObject (generate) on {uri}")
        } else if raw.contains("error sending request")
            || raw.contains("connect")
            || raw.contains("dns")
        {
            "the endpoint did not answer; fix: check the network, --endpoint-url or AWS_ENDPOINT_URL".to_string()
        } else {
            "fix: check the URI, the credentials and the endpoint".to_string()
        };
        anyhow!("{uri}: {doing} failed ({}): {raw}; {fix}", self.endpoint)
    }

    /// Every object under `prefix` (a key prefix ending in `/`, or empty), as (key, size).
    fn list(&self, prefix: &str, shown: &str) -> Result<Vec<(String, u64)>> {
        let store = self.store.clone();
        let p = if prefix.is_empty() {
            None
        } else {
            Some(Key::parse(prefix.trim_end_matches('/')).map_err(|e| anyhow!("{shown}: {e}"))?)
        };
        let found: Vec<(String, u64)> = self
            .rt
            .block_on(async move {
                store
                    .list(p.as_ref())
                    .map_ok(|m| (m.location.as_ref().to_string(), m.size))
                    .try_collect()
                    .await
            })
            .map_err(|e| self.explain(shown, "listing", &e))?;
        let mut found = found;
        found.sort();
        Ok(found)
    }

    /// Whether object `key` exists.
    fn exists(&self, key: &str) -> Result<bool> {
        let k = Key::parse(key)?;
        let store = self.store.clone();
        match self.rt.block_on(async move { store.head(&k).await }) {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(self.explain(
                &format!("s3://{}/{key}", self.name),
                "checking the object",
                &e,
            )),
        }
    }

    /// Download `keys` into `root/<key>` (streamed to disk, `CONCURRENT_OBJECTS` at a time).
    fn download(&self, keys: &[String], root: &FsPath) -> Result<u64> {
        let bar = byte_bar("downloading", keys.len());
        let store = self.store.clone();
        let bucket = self.name.clone();
        let work = keys.iter().map(|key| {
            let store = store.clone();
            let dest = root.join(key);
            let key = key.clone();
            let bar = bar.clone();
            async move {
                let k = Key::parse(&key).map_err(|e| (key.clone(), Err(e.to_string())))?;
                let r = store.get(&k).await.map_err(|e| (key.clone(), Ok(e)))?;
                let mut stream = r.into_stream();
                let mut file = std::fs::File::create(&dest).map_err(|e| {
                    (
                        key.clone(),
                        Err(format!("cannot create {}: {e}", dest.display())),
                    )
                })?;
                let mut n = 0u64;
                while let Some(chunk) = stream.next().await {
                    let chunk = chunk.map_err(|e| (key.clone(), Ok(e)))?;
                    file.write_all(&chunk).map_err(|e| {
                        (
                            key.clone(),
                            Err(format!("cannot write {}: {e}", dest.display())),
                        )
                    })?;
                    n += chunk.len() as u64;
                    if let Some(b) = &bar {
                        b.inc(chunk.len() as u64);
                    }
                }
                Ok::<u64, (String, Result<object_store::Error, String>)>(n)
            }
        });
        for key in keys {
            if let Some(dir) = root.join(key).parent() {
                std::fs::create_dir_all(dir).with_context(|| {
                    format!("creating the local mirror folder {}", dir.display())
                })?;
            }
        }
        let result: Result<Vec<u64>, _> = self.rt.block_on(
            futures_util::stream::iter(work)
                .buffer_unordered(CONCURRENT_OBJECTS)
                .try_collect(),
        );
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        match result {
            Ok(sizes) => Ok(sizes.iter().sum()),
            Err((key, Ok(e))) => {
                Err(self.explain(&format!("s3://{bucket}/{key}"), "downloading", &e))
            }
            Err((key, Err(msg))) => Err(anyhow!("s3://{bucket}/{key}: {msg}")),
        }
    }

    /// Upload local file `path` to `key`: one PUT when small, else a multipart upload with
    /// bounded memory.
    async fn upload_one(store: Arc<AmazonS3>, path: PathBuf, key: String) -> Result<u64, String> {
        let k = Key::parse(&key).map_err(|e| e.to_string())?;
        let len = std::fs::metadata(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?
            .len();
        if len as usize <= PART_BYTES {
            let bytes =
                std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            store
                .put(&k, bytes.into())
                .await
                .map_err(|e| short_error(&e))?;
            return Ok(len);
        }
        let upload = store.put_multipart(&k).await.map_err(|e| short_error(&e))?;
        let mut w = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        let mut file = std::fs::File::open(&path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = match file.read(&mut buf) {
                Ok(n) => n,
                Err(e) => {
                    let _ = w.abort().await;
                    return Err(format!("cannot read {}: {e}", path.display()));
                }
            };
            if n == 0 {
                break;
            }
            if let Err(e) = w.wait_for_capacity(PARTS_IN_FLIGHT).await {
                let _ = w.abort().await;
                return Err(short_error(&e));
            }
            w.write(&buf[..n]);
        }
        w.finish().await.map_err(|e| short_error(&e))?;
        Ok(len)
    }

    /// Upload `(local file, key)` pairs, `CONCURRENT_OBJECTS` at a time. On failure returns
    /// the keys that were uploaded, the failed key and the message.
    fn upload(
        &self,
        files: &[(PathBuf, String)],
        bar: &Option<indicatif::ProgressBar>,
    ) -> Result<(), UploadFailure> {
        let store = self.store.clone();
        let work = files.iter().map(|(path, key)| {
            let store = store.clone();
            let (path, key) = (path.clone(), key.clone());
            let bar = bar.clone();
            async move {
                match Bucket::upload_one(store, path, key.clone()).await {
                    Ok(n) => {
                        if let Some(b) = &bar {
                            b.inc(n);
                        }
                        Ok(key)
                    }
                    Err(msg) => Err((key, msg)),
                }
            }
        });
        let mut done = Vec::new();
        let failure = self.rt.block_on(async {
            let mut stream = futures_util::stream::iter(work).buffer_unordered(CONCURRENT_OBJECTS);
            let mut failure = None;
            while let Some(r) = stream.next().await {
                match r {
                    Ok(key) => done.push(key),
                    Err(f) => {
                        failure.get_or_insert(f);
                    }
                }
            }
            failure
        });
        match failure {
            None => Ok(()),
            Some((key, message)) => Err(UploadFailure {
                uploaded: done,
                key,
                message,
            }),
        }
    }

    /// Delete `keys`; returns the first failure's message.
    fn delete(&self, keys: &[String]) -> Result<(), String> {
        let store = self.store.clone();
        let work = keys.iter().map(|key| {
            let store = store.clone();
            let key = key.clone();
            async move {
                let k = Key::parse(&key).map_err(|e| format!("{key}: {e}"))?;
                match store.delete(&k).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                    Err(e) => Err(format!("{key}: {}", short_error(&e))),
                }
            }
        });
        self.rt.block_on(
            futures_util::stream::iter(work)
                .buffer_unordered(CONCURRENT_OBJECTS)
                .try_collect::<Vec<()>>(),
        )?;
        Ok(())
    }
}

/// An upload that stopped part-way.
struct UploadFailure {
    uploaded: Vec<String>,
    key: String,
    message: String,
}

fn byte_bar(msg: &str, objects: usize) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let b = indicatif::ProgressBar::new(0);
    b.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} {bytes} ({bytes_per_sec})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    b.set_message(format!("{msg} {objects} objects"));
    Some(b)
}

// ---------------------------------------------------------------------------------------------
// generate --out s3://…
// ---------------------------------------------------------------------------------------------

/// Every file under `dir`, relative, `/`-separated, sorted.
fn walk(dir: &FsPath) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).with_context(|| format!("listing {}", d.display()))? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap_or(&p);
                out.push(
                    rel.components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/"),
                );
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Generate the export of `plan` locally, then upload it under `out`:
/// `<out>/<export>/data/…` first, then `<out>/<export>.truth.json`, then the manifests
/// `<out>/<export>/metadata/…` last. An existing export there is replaced only with `force`;
/// objects of the old export that the new one does not have are deleted after the new
/// manifests are in place.
pub fn generate(
    plan: &curlab_generator::plan::Plan,
    out: &S3Uri,
    args: &S3Args,
    force: bool,
    opts: &crate::export::GenerateOptions,
    progress: &dyn Fn(usize, usize),
) -> Result<crate::export::Summary> {
    let name = &plan.export.name;
    if opts.part.is_some() {
        bail!("--parts cannot write to {out}: every part would write its own manifest for the same billing period; fix: generate the parts into local folders and upload their union (e.g. `aws s3 sync`)");
    }
    let bucket = connect(&out.bucket, args)?;
    let export_uri = out.join(name);
    let truth_key = join_key(&out.key, &format!("{name}.truth.json"));
    // Check the bucket and what is there before spending time generating.
    let existing: Vec<String> = bucket
        .list(&format!("{}/", export_uri.key), &format!("{export_uri}/"))?
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let truth_exists = bucket.exists(&truth_key)?;
    if (!existing.is_empty() || truth_exists) && !force {
        bail!(
            "{export_uri}/ already exists ({} object{}{}); fix: pass --force to replace it, or choose another --out",
            existing.len(),
            if existing.len() == 1 { "" } else { "s" },
            if truth_exists { " and the truth file" } else { "" }
        );
    }
    let tmp = tempfile::Builder::new()
        .prefix(".curlab-s3-")
        .tempdir()
        .context("creating a local temporary folder for the export (set TMPDIR to choose where)")?;
    let summary = crate::export::generate(plan, tmp.path(), false, opts, progress)?;
    let local_export = tmp.path().join(name);
    let rels = walk(&local_export)?;
    let to_key = |rel: &str| join_key(&export_uri.key, rel);
    let (manifests, data): (Vec<&String>, Vec<&String>) = rels.iter().partition(|r| {
        r.strip_prefix(layout::METADATA_DIR)
            .is_some_and(|rest| rest.starts_with('/'))
    });
    let data: Vec<(PathBuf, String)> = data
        .into_iter()
        .map(|r| (local_export.join(r), to_key(r)))
        .collect();
    let mut last: Vec<(PathBuf, String)> = vec![(
        tmp.path().join(format!("{name}.truth.json")),
        truth_key.clone(),
    )];
    last.extend(
        manifests
            .into_iter()
            .map(|r| (local_export.join(r), to_key(r))),
    );
    let total = data.len() + last.len();
    let bar = byte_bar(&format!("uploading {name} to {out}:"), total);
    let mut uploaded: Vec<String> = Vec::new();
    for (step, batch) in [&data, &last[..1].to_vec(), &last[1..].to_vec()]
        .into_iter()
        .enumerate()
    {
        if let Err(f) = bucket.upload(batch, &bar) {
            if let Some(b) = &bar {
                b.finish_and_clear();
            }
            uploaded.extend(f.uploaded);
            return Err(upload_error(
                &bucket,
                &export_uri,
                &f.key,
                &f.message,
                step,
                &uploaded,
                total,
                &existing,
                truth_exists,
            ));
        }
        uploaded.extend(batch.iter().map(|(_, k)| k.clone()));
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    // Replace, not merge: drop what the old export had and the new one does not.
    let new: BTreeSet<&String> = uploaded.iter().collect();
    let stale: Vec<String> = existing
        .iter()
        .filter(|k| !new.contains(k))
        .cloned()
        .collect();
    if !stale.is_empty() {
        bucket.delete(&stale).map_err(|e| {
            anyhow!("{export_uri}/: the new export is complete, but deleting {} object(s) of the old one failed: {e}; fix: delete them by hand (`aws s3 rm`), or re-run with --force", stale.len())
        })?;
    }
    Ok(summary)
}

#[allow(clippy::too_many_arguments)]
fn upload_error(
    bucket: &Bucket,
    export_uri: &S3Uri,
    key: &str,
    message: &str,
    step: usize,
    uploaded: &[String],
    total: usize,
    existing: &[String],
    truth_existed: bool,
) -> anyhow::Error {
    let stage = ["a data file", "the truth file", "a manifest"][step.min(2)];
    let head = format!(
        "uploading s3://{}/{key} ({stage}) failed ({}): {message}; {} of {total} objects were uploaded and no new manifest was written",
        bucket.name,
        bucket.endpoint,
        uploaded.len()
    );
    if existing.is_empty() && !truth_existed {
        // Nothing was there before: take the partial upload away again.
        match bucket.delete(uploaded) {
            Ok(()) => anyhow!("{head}; the objects uploaded so far were deleted again, so {export_uri}/ is empty; fix: check the permissions and the endpoint, then re-run"),
            Err(e) => anyhow!("{head}; deleting them again failed too ({e}), so {export_uri}/ holds data files without a manifest, which Data Exports readers ignore; fix: delete the prefix (`aws s3 rm --recursive {export_uri}/`) or re-run with --force"),
        }
    } else {
        anyhow!("{head}; {export_uri}/ now mixes new data files with the previous export's manifest (which may list files that were overwritten); fix: re-run with --force once the cause is fixed")
    }
}

// ---------------------------------------------------------------------------------------------
// verify / report s3://…
// ---------------------------------------------------------------------------------------------

/// A local copy of what the reader needs from one `s3://` location.
pub struct Mirror {
    _tmp: tempfile::TempDir,
    /// `<tmp>/<bucket>`: local paths are this joined with the key.
    root: PathBuf,
    /// The URI as given (normalised).
    uri: S3Uri,
    /// The local path to hand to the reader.
    pub local: PathBuf,
    /// Whether the URI named a single object (not a prefix).
    single: bool,
    /// Objects downloaded, and their bytes.
    pub fetched: (usize, u64),
}

impl Mirror {
    /// The local path as a string, for the reader's PATH arguments.
    pub fn local_arg(&self) -> String {
        self.local.to_string_lossy().into_owned()
    }

    /// A path as the reader displays it (relative to the PATH given, or a file name for a
    /// single object) → its `s3://` URI.
    pub fn display(&self, shown: &str) -> String {
        if self.single {
            return self.uri.to_string();
        }
        let rel = shown.trim_start_matches("./");
        format!("{}", self.uri.join(rel))
    }

    /// A note that starts with a displayed path (`<path>: remark`) → the same with its URI.
    pub fn note(&self, note: &str) -> String {
        for (i, _) in note.match_indices(": ") {
            let head = &note[..i];
            if !head.is_empty() && self.local.join(head).exists() {
                return format!("{}{}", self.display(head), &note[i..]);
            }
        }
        self.text(note)
    }

    /// Replace the local mirror's paths in free text (error messages) by `s3://` URIs.
    pub fn text(&self, s: &str) -> String {
        let root = self.root.to_string_lossy();
        s.replace(&format!("{root}/"), &format!("s3://{}/", self.uri.bucket))
            .replace(root.as_ref(), &format!("s3://{}", self.uri.bucket))
    }
}

/// Keys under a listing, classified the way the local reader will see them.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Objects to download.
    pub fetch: Vec<String>,
    /// Objects to stand in as empty files (superseded execution folders: the reader notes
    /// them but never opens them).
    pub placeholders: Vec<String>,
}

/// Decide which listed objects the reader needs. `manifest_dirs(root, period)` returns the
/// execution folders (`data/BILLING_PERIOD=P/<exec>`) the period's newest manifest points into,
/// `None` when there is no readable manifest. `base` is the listed prefix (`""` or ending `/`).
pub fn plan_fetch(
    keys: &[String],
    base: &str,
    period: Option<&str>,
    mut manifest_dirs: impl FnMut(&str, &str) -> Option<BTreeSet<String>>,
) -> Plan {
    let mut plan = Plan::default();
    // (root, period) → exec folder name → files; and files directly in the period folder.
    let mut execs: BTreeMap<(String, String), BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for key in keys {
        let name = key.rsplit('/').next().unwrap_or(key);
        if let Some(Located {
            period: p, rest, ..
        }) = layout::locate(key, Area::Metadata)
        {
            if layout::is_manifest_name(name)
                && rest.split('/').count() <= 2
                && period.is_none_or(|w| w == p)
            {
                plan.fetch.push(key.clone());
            }
            continue;
        }
        if !layout::is_data_file_name(name) {
            continue;
        }
        if let Some(Located {
            root,
            period: p,
            rest,
        }) = layout::locate(key, Area::Data)
        {
            if period.is_some_and(|w| w != p) {
                continue;
            }
            match rest.split_once('/') {
                None => plan.fetch.push(key.clone()),
                Some((exec, file)) if !file.contains('/') => execs
                    .entry((root.to_string(), p.to_string()))
                    .or_default()
                    .entry(exec.to_string())
                    .or_default()
                    .push(key.clone()),
                Some(_) => {} // deeper than the reader looks
            }
            continue;
        }
        // A plain folder of data files: only those directly under the prefix.
        if key.strip_prefix(base).is_some_and(|rel| !rel.contains('/')) {
            plan.fetch.push(key.clone());
        }
    }
    for ((root, p), dirs) in execs {
        let current = manifest_dirs(&root, &p).unwrap_or_else(|| {
            dirs.keys()
                .last()
                .map(|d| exec_dir(&p, d))
                .into_iter()
                .collect()
        });
        for (exec, files) in dirs {
            if current.contains(&exec_dir(&p, &exec)) {
                plan.fetch.extend(files);
            } else {
                plan.placeholders.extend(files);
            }
        }
    }
    plan.fetch.sort();
    plan.placeholders.sort();
    plan
}

/// `data/BILLING_PERIOD=<period>/<exec>`: an execution folder relative to its export.
fn exec_dir(period: &str, exec: &str) -> String {
    format!(
        "{}/{}/{exec}",
        layout::DATA_DIR,
        layout::period_folder(period)
    )
}

/// The execution folders a manifest's `dataFiles` point into (`data/BILLING_PERIOD=P/<exec>`).
fn manifest_exec_dirs(text: &str, export_name: &str) -> Option<BTreeSet<String>> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let files = v.get("dataFiles")?.as_array()?;
    Some(
        files
            .iter()
            .filter_map(|f| f.as_str())
            .map(|u| layout::data_relative(u, export_name))
            .filter_map(|d| layout::parent_dir(&d).map(str::to_string))
            .collect(),
    )
}

/// Copy what the local reader needs from `uri` into a temporary folder mirroring the keys.
pub fn mirror(given: &str, period: Option<&str>, args: &S3Args) -> Result<Mirror> {
    let uri = S3Uri::parse(given)?.ok_or_else(|| anyhow!("{given}: not an s3:// URI"))?;
    if given.contains(['*', '?']) {
        bail!("{given}: globs are not supported in s3:// URIs; fix: give the export's prefix (s3://BUCKET/PREFIX/EXPORT/) or one object");
    }
    let bucket = connect(&uri.bucket, args)?;
    let tmp = tempfile::Builder::new()
        .prefix(".curlab-s3-")
        .tempdir()
        .context(
            "creating a local temporary folder for the download (set TMPDIR to choose where)",
        )?;
    let root = tmp.path().join(&uri.bucket);
    std::fs::create_dir_all(&root)?;
    // A `data/` (or `metadata/`) folder is read with its whole export, as the local reader
    // does: list the parent.
    let list_key = match uri.key.rsplit_once('/') {
        Some((parent, layout::DATA_DIR | layout::METADATA_DIR)) => parent.to_string(),
        None if matches!(uri.key.as_str(), layout::DATA_DIR | layout::METADATA_DIR) => {
            String::new()
        }
        _ => uri.key.clone(),
    };
    let list_prefix = if list_key.is_empty() {
        String::new()
    } else {
        format!("{list_key}/")
    };
    let shown = format!("s3://{}/{list_prefix}", uri.bucket);
    let listed = bucket.list(&list_prefix, &shown)?;
    let base = if uri.key.is_empty() {
        String::new()
    } else {
        format!("{}/", uri.key)
    };
    let under_given = listed.iter().any(|(k, _)| k.starts_with(&base));
    if !under_given {
        // Not a prefix: maybe one object.
        if !uri.key.is_empty() && bucket.exists(&uri.key)? {
            let bytes = bucket.download(std::slice::from_ref(&uri.key), &root)?;
            return Ok(Mirror {
                local: root.join(&uri.key),
                root,
                uri,
                single: true,
                fetched: (1, bytes),
                _tmp: tmp,
            });
        }
        let shown = if uri.key.is_empty() {
            uri.to_string()
        } else {
            format!("{uri}/")
        };
        bail!("{shown}: no objects under this prefix (and no object of that name); fix: check the bucket and prefix (`aws s3 ls {shown}`) and --endpoint-url");
    }
    let keys: Vec<String> = listed.into_iter().map(|(k, _)| k).collect();
    // The folder structure is mirrored whole (cheap), so the reader sees every billing period
    // and export folder; only files are fetched selectively.
    let dirs: BTreeSet<&str> = keys
        .iter()
        .filter_map(|k| k.rsplit_once('/').map(|(d, _)| d))
        .collect();
    for d in dirs {
        let dir = root.join(d);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("creating the local mirror folder {}", dir.display()))?;
    }
    // Manifests are small: fetch them first, to know which execution folders are current.
    let manifests: Vec<String> = plan_fetch(&keys, &base, period, |_, _| None)
        .fetch
        .into_iter()
        .filter(|k| layout::is_manifest_name(k))
        .collect();
    let mut fetched = (manifests.len(), bucket.download(&manifests, &root)?);
    let plan = plan_fetch(&keys, &base, period, |export_root, p| {
        let prefix = join_key(
            export_root,
            &format!("{}/{}/", layout::METADATA_DIR, layout::period_folder(p)),
        );
        // The newest manifest, as the reader picks it: last in path order, one level deep.
        let mut candidates: Vec<&String> = manifests
            .iter()
            .filter(|m| {
                m.strip_prefix(&prefix)
                    .is_some_and(|r| r.split('/').count() <= 2)
            })
            .collect();
        candidates.sort_by(|a, b| a.split('/').cmp(b.split('/')));
        let newest = candidates.last()?;
        let text = std::fs::read_to_string(root.join(newest)).ok()?;
        let export_name = export_root.rsplit('/').next().unwrap_or(export_root);
        manifest_exec_dirs(&text, export_name)
    });
    let data: Vec<String> = plan
        .fetch
        .iter()
        .filter(|k| !manifests.contains(k))
        .cloned()
        .collect();
    fetched.0 += data.len();
    fetched.1 += bucket.download(&data, &root)?;
    for key in &plan.placeholders {
        let path = root.join(key);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    }
    let local = root.join(&uri.key);
    std::fs::create_dir_all(&local)?;
    Ok(Mirror {
        local,
        root,
        uri,
        single: false,
        fetched,
        _tmp: tmp,
    })
}

/// Download one object (a `--truth` or `--policy` file) to a temporary file.
pub fn fetch_file(given: &str, args: &S3Args) -> Result<Mirror> {
    let uri = S3Uri::parse(given)?.ok_or_else(|| anyhow!("{given}: not an s3:// URI"))?;
    if uri.key.is_empty() {
        bail!("{given}: names a bucket, not an object; fix: give the file's full URI, e.g. s3://BUCKET/PREFIX/EXPORT.truth.json");
    }
    uri.object_key()?;
    let bucket = connect(&uri.bucket, args)?;
    let tmp = tempfile::Builder::new().prefix(".curlab-s3-").tempdir()?;
    let root = tmp.path().join(&uri.bucket);
    let bytes = bucket.download(std::slice::from_ref(&uri.key), &root)?;
    Ok(Mirror {
        local: root.join(&uri.key),
        root,
        uri,
        single: true,
        fetched: (1, bytes),
        _tmp: tmp,
    })
}

/// Mirrors for the `s3://` arguments among `paths`; the paths rewritten to the local copies.
pub struct Mirrors {
    /// One per `s3://` argument.
    pub mirrors: Vec<Mirror>,
    /// The paths to hand to the reader.
    pub paths: Vec<String>,
}

impl Mirrors {
    /// Mirror the `s3://` arguments among `paths` (at most one: displays are relative to the
    /// PATH given, so they could not be told apart).
    pub fn open(paths: &[String], period: Option<&str>, args: &S3Args) -> Result<Mirrors> {
        let s3: Vec<&String> = paths.iter().filter(|p| is_s3(p)).collect();
        if s3.len() > 1 || (s3.len() == 1 && paths.len() > 1) {
            bail!("{}: an s3:// PATH must be the only PATH; fix: give the prefix that holds the export (s3://BUCKET/PREFIX/EXPORT/) once", s3.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "));
        }
        let mut mirrors = Vec::new();
        let mut out = Vec::new();
        for p in paths {
            if is_s3(p) {
                let m = mirror(p, period, args)?;
                if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
                    eprintln!(
                        "read {} object(s), {:.1} MiB, from {p}",
                        m.fetched.0,
                        m.fetched.1 as f64 / 1_048_576.0
                    );
                }
                out.push(m.local_arg());
                mirrors.push(m);
            } else {
                out.push(p.clone());
            }
        }
        Ok(Mirrors {
            mirrors,
            paths: out,
        })
    }

    /// A displayed path → its URI (unchanged for local paths).
    pub fn display(&self, shown: &str) -> String {
        match self.mirrors.first() {
            Some(m) => m.display(shown),
            None => shown.to_string(),
        }
    }

    /// A note → with its URI.
    pub fn note(&self, note: &str) -> String {
        match self.mirrors.first() {
            Some(m) => m.note(note),
            None => note.to_string(),
        }
    }

    /// Free text with local mirror paths → with URIs.
    pub fn text(&self, s: &str) -> String {
        self.mirrors
            .iter()
            .fold(s.to_string(), |acc, m| m.text(&acc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_uris() {
        let u = S3Uri::parse("s3://my-bucket/a/b/").unwrap().unwrap();
        assert_eq!((u.bucket.as_str(), u.key.as_str()), ("my-bucket", "a/b"));
        assert_eq!(
            u.join("x/y.json").to_string(),
            "s3://my-bucket/a/b/x/y.json"
        );
        let root = S3Uri::parse("s3://bkt").unwrap().unwrap();
        assert_eq!(root.key, "");
        assert_eq!(root.join("e").to_string(), "s3://bkt/e");
        assert!(S3Uri::parse("out/x").unwrap().is_none());
        assert!(S3Uri::parse("s3://Bad_Bucket/x").is_err());
        assert!(S3Uri::parse("s3://bucket/a//b").is_err());
        assert!(S3Uri::parse("s3://bucket/a/../b").is_err());
    }

    #[test]
    fn reads_profiles() {
        let dir = tempfile::tempdir().unwrap();
        let creds = dir.path().join("credentials");
        let config = dir.path().join("config");
        std::fs::write(
            &creds,
            "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = s1\n\n# c\n[lab]\naws_access_key_id=AKIALAB\naws_secret_access_key = s2\naws_session_token = t2\n",
        )
        .unwrap();
        std::fs::write(
            &config,
            "[default]\nregion = eu-west-1\n[profile lab]\nregion = us-west-2\ns3 =\n  addressing_style = path\nendpoint_url = http://127.0.0.1:9\n[profile sso]\nsso_session = corp\n",
        )
        .unwrap();
        let p = load_profile("lab", Some(&creds), Some(&config)).unwrap();
        assert!(p.found);
        assert_eq!(p.settings["aws_access_key_id"], "AKIALAB");
        assert_eq!(p.settings["aws_session_token"], "t2");
        assert_eq!(p.settings["region"], "us-west-2");
        assert_eq!(p.settings["endpoint_url"], "http://127.0.0.1:9");
        assert!(!p.settings.contains_key("addressing_style"));
        let d = load_profile("default", Some(&creds), Some(&config)).unwrap();
        assert_eq!(d.settings["region"], "eu-west-1");
        assert_eq!(d.settings["aws_secret_access_key"], "s1");
        let s = load_profile("sso", Some(&creds), Some(&config)).unwrap();
        assert!(s.found && s.settings.contains_key("sso_session"));
        assert!(
            !load_profile("nope", Some(&creds), Some(&config))
                .unwrap()
                .found
        );
        assert!(!load_profile("lab", None, None).unwrap().found);
    }

    #[test]
    fn picks_current_execution_folders() {
        let keys: Vec<String> = [
            "p/exp/data/BILLING_PERIOD=2026-04/2026-05-01T00:00:00.000Z-aaa/exp-00001.snappy.parquet",
            "p/exp/data/BILLING_PERIOD=2026-04/2026-05-02T00:00:00.000Z-bbb/exp-00001.snappy.parquet",
            "p/exp/data/BILLING_PERIOD=2026-05/exp-00001.snappy.parquet",
            "p/exp/data/BILLING_PERIOD=2026-06/2026-07-01T00:00:00.000Z-ccc/exp-00001.csv.gz",
            "p/exp/data/BILLING_PERIOD=2026-06/2026-07-02T00:00:00.000Z-ddd/exp-00001.csv.gz",
            "p/exp/metadata/BILLING_PERIOD=2026-04/exp-Manifest.json",
            "p/exp/metadata/BILLING_PERIOD=2026-05/exp-Manifest.json",
            "p/exp/notes.txt",
            "p/loose.parquet",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // 2026-04's manifest points at the older folder; 2026-06 has no manifest (latest wins).
        let plan = plan_fetch(&keys, "p/", None, |root, p| {
            assert_eq!(root, "p/exp");
            (p == "2026-04").then(|| {
                ["data/BILLING_PERIOD=2026-04/2026-05-01T00:00:00.000Z-aaa".to_string()]
                    .into_iter()
                    .collect()
            })
        });
        assert_eq!(plan.placeholders, vec![keys[1].clone(), keys[3].clone(),]);
        assert!(plan.fetch.contains(&keys[0]));
        assert!(plan.fetch.contains(&keys[2]));
        assert!(plan.fetch.contains(&keys[4]));
        assert!(plan.fetch.contains(&keys[5]));
        assert!(plan.fetch.contains(&"p/loose.parquet".to_string()));
        assert!(!plan.fetch.iter().any(|k| k.ends_with("notes.txt")));
        let only_may = plan_fetch(&keys, "p/", Some("2026-05"), |_, _| None);
        assert_eq!(
            only_may.fetch,
            vec![
                keys[2].clone(),
                keys[6].clone(),
                "p/loose.parquet".to_string()
            ]
        );
        assert!(only_may.placeholders.is_empty());
    }

    #[test]
    fn manifest_dirs() {
        let m = r#"{"dataFiles": ["s3://b/p/exp/data/BILLING_PERIOD=2026-04/2026-05-01T00:00:00.000Z-aaa/exp-00001.snappy.parquet"]}"#;
        let dirs = manifest_exec_dirs(m, "exp").unwrap();
        assert_eq!(
            dirs.into_iter().collect::<Vec<_>>(),
            vec!["data/BILLING_PERIOD=2026-04/2026-05-01T00:00:00.000Z-aaa".to_string()]
        );
        assert!(manifest_exec_dirs("not json", "exp").is_none());
    }
}
