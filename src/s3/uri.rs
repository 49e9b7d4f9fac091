//! `s3://bucket/key` URIs and the `--endpoint-url` option.

use anyhow::{bail, Context, Result};
use object_store::path::Path as Key;

/// Where the S3 endpoint is, for commands that take `s3://` URIs.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct S3Args {
    /// S3-compatible endpoint (MinIO, Ceph, moto, LocalStack, ...), e.g. http://127.0.0.1:9000;
    /// default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's endpoint_url, else AWS.
    /// Only used for s3:// URIs.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

/// `s3://bucket/key`, the key without leading or trailing slashes (empty: the bucket root).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct S3Uri {
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

    pub(super) fn object_key(&self) -> Result<Key> {
        Key::parse(&self.key).with_context(|| format!("{self}: not a valid object key"))
    }
}

impl std::fmt::Display for S3Uri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

/// `a/b`, or whichever is not empty.
pub(super) fn join_key(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a}/{b}"),
    }
}

/// True for arguments that name an S3 location.
pub(crate) fn is_s3(s: &str) -> bool {
    s.starts_with("s3://")
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
}
