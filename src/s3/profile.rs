//! The AWS shared config and credentials files (`~/.aws/config`, `~/.aws/credentials`): the
//! static keys, region and endpoint of one profile. A small INI reader of its own: object_store
//! reads only environment variables, and the AWS SDK's config loader would bring the whole SDK
//! for a dozen lines of parsing.

use std::collections::BTreeMap;
use std::path::{Path as FsPath, PathBuf};

use anyhow::{Context, Result};

/// One profile's settings from the shared credentials and config files.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Profile {
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

/// `$env`, else `~/<default>`.
pub(super) fn home_file(env: &str, default: &str) -> Option<PathBuf> {
    match std::env::var_os(env) {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(default)),
    }
}

/// Load profile `name` from `credentials` (sections `[name]`) and `config` (sections
/// `[profile name]`, or `[default]`).
pub(super) fn load_profile(
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
