//! The S3 client: credentials, region and endpoint from the standard AWS chain, a current-thread
//! runtime, and the object operations (list, download, upload, delete) with clear errors.

use std::io::{Read, Write};
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as Key;
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt, RetryConfig, WriteMultipart};

use super::profile::{home_file, load_profile};
use super::uri::S3Args;

/// Files up to this size are uploaded with one PUT; larger ones in parts of this size.
const PART_BYTES: usize = 8 << 20;
/// Parts of one file in flight at once (memory: about `(PARTS_IN_FLIGHT + 1) × PART_BYTES`
/// per file being uploaded).
const PARTS_IN_FLIGHT: usize = 2;
/// Objects transferred at once.
const CONCURRENT_OBJECTS: usize = 4;

/// True when environment variable `name` is set and not empty.
fn env_set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty())
}

/// Environment variable `name`, if set and not empty.
fn env_value(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// A bucket, its client, and the runtime that drives it.
pub(super) struct Bucket {
    rt: tokio::runtime::Runtime,
    store: Arc<AmazonS3>,
    /// The bucket name.
    pub name: String,
    /// Where requests go, for error messages.
    pub(super) endpoint: String,
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
pub(super) fn connect(bucket: &str, args: &S3Args) -> Result<Bucket> {
    // TLS uses ring (Cargo.toml: one crypto backend). Installing it fails only when a provider
    // is already installed, by an earlier connect: that one is ring too.
    let _ = rustls::crypto::ring::default_provider().install_default();
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
    pub(super) fn list(&self, prefix: &str, shown: &str) -> Result<Vec<(String, u64)>> {
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
    pub(super) fn exists(&self, key: &str) -> Result<bool> {
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
    pub(super) fn download(&self, keys: &[String], root: &FsPath) -> Result<u64> {
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
    pub(super) fn upload(
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
    pub(super) fn delete(&self, keys: &[String]) -> Result<(), String> {
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
pub(super) struct UploadFailure {
    /// Keys uploaded before the failure.
    pub(super) uploaded: Vec<String>,
    /// The key that failed.
    pub(super) key: String,
    /// What went wrong.
    pub(super) message: String,
}

/// A byte progress bar on a terminal, else none.
pub(super) fn byte_bar(msg: &str, objects: usize) -> Option<indicatif::ProgressBar> {
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
