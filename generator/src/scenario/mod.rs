//! Scenario files: parse TOML, check every value, and report problems with file, line and hint.

pub mod model;

use std::fmt;

pub use model::ScenarioFile;

/// One step of a path into the TOML document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// A table key.
    Key(String),
    /// An array index.
    Index(usize),
}

/// A place in the scenario file, as a path of keys and indices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Path(pub Vec<Seg>);

impl Path {
    /// The document root.
    pub fn root() -> Self {
        Path(Vec::new())
    }
    /// This path plus a key.
    pub fn key(&self, k: &str) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Key(k.to_string()));
        p
    }
    /// This path plus an index.
    pub fn index(&self, i: usize) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Index(i));
        p
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for seg in &self.0 {
            match seg {
                Seg::Key(k) => {
                    if !first {
                        f.write_str(".")?;
                    }
                    let bare = !k.is_empty()
                        && k.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                    if bare {
                        f.write_str(k)?;
                    } else {
                        write!(f, "{k:?}")?;
                    }
                }
                Seg::Index(i) => write!(f, "[{i}]")?,
            }
            first = false;
        }
        Ok(())
    }
}

/// A problem found in a scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where in the document.
    pub path: Path,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

impl Problem {
    /// A new problem.
    pub fn new(path: Path, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Problem {
            path,
            message: message.into(),
            hint: hint.into(),
        }
    }
}

/// Why a scenario could not be loaded; its `Display` names the file, line and fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// File name as given.
    pub file: String,
    /// Each problem with its 1-based line and column when known.
    pub problems: Vec<(Option<(usize, usize)>, Problem)>,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        writeln!(
            f,
            "{} has {n} problem{}:",
            self.file,
            if n == 1 { "" } else { "s" }
        )?;
        for (pos, p) in &self.problems {
            match pos {
                Some((line, col)) => write!(f, "  {}:{line}:{col}", self.file)?,
                None => write!(f, "  {}", self.file)?,
            }
            if !p.path.0.is_empty() {
                write!(f, " at `{}`", p.path)?;
            }
            writeln!(f, ": {}", p.message)?;
            if !p.hint.is_empty() {
                writeln!(f, "    hint: {}", p.hint)?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}

fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let before = &src[..offset.min(src.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.len(), |i| before.len() - i - 1)
        + 1;
    (line, col)
}

/// Find the line and column of a path in the TOML source (the deepest part that exists).
pub(crate) fn locate(src: &str, path: &Path) -> Option<(usize, usize)> {
    use toml::de::{DeTable, DeValue};
    let doc = DeTable::parse(src).ok()?;
    let mut span = doc.span();
    let mut table = doc.get_ref();
    let mut current: Option<&toml::Spanned<DeValue<'_>>> = None;
    for seg in &path.0 {
        let next = match (seg, current.map(|v| v.get_ref())) {
            (Seg::Key(k), None) => table.get(k.as_str()),
            (Seg::Key(k), Some(DeValue::Table(t))) => t.get(k.as_str()),
            (Seg::Index(i), Some(DeValue::Array(a))) => a.get(*i),
            _ => None,
        };
        let Some(v) = next else { break };
        span = v.span();
        current = Some(v);
        if let DeValue::Table(t) = v.get_ref() {
            table = t;
        }
    }
    Some(line_col(src, span.start))
}

/// Deepest nesting of arrays and inline tables a scenario may use. Real scenarios nest two or
/// three levels; the limit keeps a hostile file from exhausting the parser's stack.
pub(crate) const MAX_NESTING: usize = 64;

/// The position (line, column) where `[`/`{` nesting outside strings and comments first exceeds
/// `max`, if it does. Table headers (`[a]`, `[[a]]`) open and close on their line and never
/// reach the limit.
pub(crate) fn too_deep(src: &str, max: usize) -> Option<(usize, usize)> {
    let b = src.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            q @ (b'"' | b'\'') => {
                let triple = b.get(i..i + 3) == Some(&[q, q, q][..]);
                if triple {
                    i += 3;
                    while i < b.len() && b.get(i..i + 3) != Some(&[q, q, q][..]) {
                        i += if q == b'"' && b[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 2;
                } else {
                    i += 1;
                    while i < b.len() && b[i] != q && b[i] != b'\n' {
                        i += if q == b'"' && b[i] == b'\\' { 2 } else { 1 };
                    }
                }
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return Some(line_col(src, i));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Parse and check a scenario. `file` names the source in messages.
pub fn parse(src: &str, file: &str) -> Result<ScenarioFile, ScenarioError> {
    if let Some(pos) = too_deep(src, MAX_NESTING) {
        return Err(ScenarioError {
            file: file.to_string(),
            problems: vec![(
                Some(pos),
                Problem::new(
                    Path::root(),
                    format!("arrays or inline tables nested deeper than {MAX_NESTING} levels"),
                    "scenarios nest a few levels at most; look for a runaway `[` or `{`",
                ),
            )],
        });
    }
    match toml::from_str::<ScenarioFile>(src) {
        Ok(s) => Ok(s),
        Err(e) => {
            let pos = e.span().map(|s| line_col(src, s.start));
            let message = e.message().trim().to_string();
            // A document that does not even parse as untyped TOML has a syntax error; say so,
            // since "see the docs" does not help with an unclosed quote.
            let syntax = toml::de::DeTable::parse(src).is_err();
            let hint = if syntax {
                "this is not valid TOML here: check quotes, brackets, commas and `key = value`"
                    .to_string()
            } else if message.starts_with("invalid type") {
                "write the value with the type docs/scenarios.md gives for this key (strings in quotes, numbers bare, true/false)".to_string()
            } else if message.starts_with("unknown field") {
                "check the spelling; docs/scenarios.md lists every key".to_string()
            } else if message.starts_with("missing field") {
                "add the key; docs/scenarios.md shows an example".to_string()
            } else {
                "see docs/scenarios.md for the expected form".to_string()
            };
            Err(ScenarioError {
                file: file.to_string(),
                problems: vec![(pos, Problem::new(Path::root(), message, hint))],
            })
        }
    }
}

/// Attach source positions to problems found after parsing.
pub fn with_positions(src: &str, file: &str, problems: Vec<Problem>) -> ScenarioError {
    ScenarioError {
        file: file.to_string(),
        problems: problems
            .into_iter()
            .map(|p| (locate(src, &p.path), p))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_nested_paths() {
        let src = "[scenario]\nname = \"x\"\n\n[[roles]]\nname = \"a\"\n\n[[roles]]\nname = \"b\"\ntags = { team = \"x\" }\n";
        let p = Path::root().key("roles").index(1).key("tags").key("team");
        assert_eq!(locate(src, &p).map(|(l, _)| l), Some(9));
        let p = Path::root().key("roles").index(0).key("name");
        assert_eq!(locate(src, &p).map(|(l, _)| l), Some(5));
        assert_eq!(p.to_string(), "roles[0].name");
    }
}
