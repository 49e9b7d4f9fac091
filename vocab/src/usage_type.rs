//! Bedrock token usage types: how curlab writes them and how every spelling seen in real bills
//! and AWS Price List data reads back (reference §4.1, §4.2, §10.1; docs/export-format.md).
//!
//! Grammars, one per family (`[]` optional):
//!
//! - form A (AWS-billed): `{R}-{model}-{token}[-{tier}][-long-context][-cross-region-{global|geo}][-batch]`,
//!   token `input-tokens`, `output-tokens`, `cache-read-input-token-count`,
//!   `cache-write-input-token-count[-1h]`; tier `standard`, `priority`, `flex`, `batch`,
//!   `latency-optimized`. Examples: `USE1-Claude4.6Sonnet-input-tokens`,
//!   `USE1-Nova2.0Lite-input-tokens-flex-cross-region-global`,
//!   `USE1-Nova2.0Lite-input-tokens-cross-region-global-batch`,
//!   `USE1-Claude4Sonnet-input-tokens-long-context-cross-region-global`.
//! - form A, bedrock-mantle: `{R}-{model id}-mantle-{token}[-5m|-30m|-1h][-long-ctx]-{tier}`,
//!   token `input-tokens`, `output-tokens`, `cache-read-tokens`, `cache-write-tokens`
//!   (`USE1-openai.gpt-oss-120b-mantle-input-tokens-standard`).
//! - form B (Marketplace), CamelCase: `{R}-MP:{R}_{Name}[_LongContext][_Global|_Geo][_Batch]-Units`,
//!   Name `InputTokenCount`, `OutputTokenCount`, `CacheReadInputTokenCount`,
//!   `CacheWriteInputTokenCount`, `CacheWrite1hInputTokenCount`, or the older
//!   `Million[Batch]InputTokens` shape.
//! - form B, snake_case: `{R}-MP:{R}_{token}[_1h][_long_context][_global|_geo]_{tier}-Units`,
//!   token `input_tokens`, `output_tokens`, `cache_read_tokens`, `cache_write_tokens`
//!   (`USE2-MP:USE2_input_tokens_standard-Units`,
//!   `USE1-MP:USE1_cache_write_tokens_1h_global_standard-Units`).

use crate::bedrock::{BillingForm, ServiceTier, TokenType};

/// How a usage type is spelled: the billing form plus, for Marketplace, the naming family.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Spelling {
    /// Form A: `USE1-Claude4.6Sonnet-input-tokens`.
    Aws,
    /// Form B, CamelCase: `USE1-MP:USE1_InputTokenCount-Units`.
    MarketplaceCamel,
    /// Form B, snake_case (newer models): `USE1-MP:USE1_input_tokens_standard-Units`.
    MarketplaceSnake,
}

impl Spelling {
    /// The billing form this spelling belongs to.
    pub fn form(self) -> BillingForm {
        match self {
            Spelling::Aws => BillingForm::Aws,
            Spelling::MarketplaceCamel | Spelling::MarketplaceSnake => BillingForm::Marketplace,
        }
    }
}

/// Everything that decides a Bedrock usage type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UsageKey {
    /// Token direction.
    pub token: TokenType,
    /// Service tier.
    pub tier: ServiceTier,
    /// Batch inference (50 % price).
    pub batch: bool,
    /// Called through a global cross-region inference profile.
    pub global: bool,
    /// Part of a request above the model's long-context threshold (Claude Sonnet 4 / 4.5:
    /// more than 200K input tokens), billed at the long-context rates.
    pub long_context: bool,
}

fn form_a_token(t: TokenType) -> &'static str {
    match t {
        TokenType::Input => "input-tokens",
        TokenType::Output => "output-tokens",
        TokenType::CacheRead => "cache-read-input-token-count",
        TokenType::CacheWrite => "cache-write-input-token-count",
        TokenType::CacheWrite1h => "cache-write-input-token-count-1h",
    }
}

fn camel_token(t: TokenType) -> &'static str {
    match t {
        TokenType::Input => "InputTokenCount",
        TokenType::Output => "OutputTokenCount",
        TokenType::CacheRead => "CacheReadInputTokenCount",
        TokenType::CacheWrite => "CacheWriteInputTokenCount",
        TokenType::CacheWrite1h => "CacheWrite1hInputTokenCount",
    }
}

fn snake_token(t: TokenType) -> &'static str {
    match t {
        TokenType::Input => "input_tokens",
        TokenType::Output => "output_tokens",
        TokenType::CacheRead => "cache_read_tokens",
        TokenType::CacheWrite => "cache_write_tokens",
        TokenType::CacheWrite1h => "cache_write_tokens_1h",
    }
}

fn tier_word(tier: ServiceTier) -> &'static str {
    match tier {
        ServiceTier::Standard => "standard",
        ServiceTier::Priority => "priority",
        ServiceTier::Flex => "flex",
    }
}

/// Build a Bedrock usage type (grammars in the module documentation).
///
/// Form A: `USE1-Claude4.6Sonnet-input-tokens[-priority|-flex][-long-context][-cross-region-global][-batch]`.
/// Marketplace CamelCase: `USE1-MP:USE1_InputTokenCount[_LongContext][_Global][_Batch]-Units`.
/// Marketplace snake_case: `USE1-MP:USE1_input_tokens[_long_context][_global]_{standard|batch}-Units`.
pub fn usage_type(
    region_code: &str,
    model_token: &str,
    spelling: Spelling,
    key: UsageKey,
) -> String {
    match spelling {
        Spelling::Aws => {
            let mut s = format!("{region_code}-{model_token}-{}", form_a_token(key.token));
            if key.tier != ServiceTier::Standard {
                s.push('-');
                s.push_str(tier_word(key.tier));
            }
            if key.long_context {
                s.push_str("-long-context");
            }
            if key.global {
                s.push_str("-cross-region-global");
            }
            if key.batch {
                s.push_str("-batch");
            }
            s
        }
        Spelling::MarketplaceCamel => {
            let mut s = format!("{region_code}-MP:{region_code}_{}", camel_token(key.token));
            if key.long_context {
                s.push_str("_LongContext");
            }
            if key.global {
                s.push_str("_Global");
            }
            if key.batch {
                s.push_str("_Batch");
            }
            s.push_str("-Units");
            s
        }
        Spelling::MarketplaceSnake => {
            let mut s = format!("{region_code}-MP:{region_code}_{}", snake_token(key.token));
            if key.long_context {
                s.push_str("_long_context");
            }
            if key.global {
                s.push_str("_global");
            }
            s.push('_');
            s.push_str(if key.batch {
                "batch"
            } else {
                tier_word(key.tier)
            });
            s.push_str("-Units");
            s
        }
    }
}

/// A token usage type read back into its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedUsageType<'a> {
    /// Billing region code (`USE1`).
    pub region_code: &'a str,
    /// The model token of a form A usage type (`Claude4.6Sonnet`, `openai.gpt-oss-120b` for
    /// mantle); `None` for Marketplace usage types, which do not name the model.
    pub model: Option<&'a str>,
    /// Spelling family (and so billing form).
    pub spelling: Spelling,
    /// A bedrock-mantle usage type (`…-mantle-…`).
    pub mantle: bool,
    /// Token type.
    pub token: TokenType,
    /// Priority, flex or standard.
    pub tier: ServiceTier,
    /// Batch inference.
    pub batch: bool,
    /// Global cross-region inference.
    pub global: bool,
    /// Geographic cross-region inference (`-cross-region-geo`, `_Geo`), seen in price lists.
    pub geo: bool,
    /// Long-context rate.
    pub long_context: bool,
    /// The latency-optimized tier.
    pub latency_optimized: bool,
}

impl ParsedUsageType<'_> {
    /// The billing form.
    pub fn form(&self) -> BillingForm {
        self.spelling.form()
    }
}

/// Qualifiers after the token, shared by the families.
#[derive(Default)]
struct Quals {
    tier: Option<ServiceTier>,
    batch: bool,
    global: bool,
    geo: bool,
    long_context: bool,
    latency_optimized: bool,
    one_hour: bool,
}

impl Quals {
    /// Apply one word (`priority`, `batch`, `global`, ...); false when it is unknown.
    fn word(&mut self, w: &str) -> bool {
        match w {
            "standard" => self.tier = Some(ServiceTier::Standard),
            "priority" => self.tier = Some(ServiceTier::Priority),
            "flex" => self.tier = Some(ServiceTier::Flex),
            "batch" => self.batch = true,
            "global" => self.global = true,
            "geo" => self.geo = true,
            _ => return false,
        }
        true
    }
}

fn parsed<'a>(
    region_code: &'a str,
    model: Option<&'a str>,
    spelling: Spelling,
    mantle: bool,
    token: TokenType,
    q: Quals,
) -> ParsedUsageType<'a> {
    let token = if q.one_hour && token == TokenType::CacheWrite {
        TokenType::CacheWrite1h
    } else {
        token
    };
    ParsedUsageType {
        region_code,
        model,
        spelling,
        mantle,
        token,
        tier: q.tier.unwrap_or(ServiceTier::Standard),
        batch: q.batch,
        global: q.global,
        geo: q.geo,
        long_context: q.long_context,
        latency_optimized: q.latency_optimized,
    }
}

/// Dash-separated qualifiers of form A and mantle usage types.
fn dash_quals(rest: &str, mantle: bool) -> Option<Quals> {
    let words: Vec<&str> = rest.split('-').filter(|w| !w.is_empty()).collect();
    let mut q = Quals::default();
    let mut i = 0;
    while i < words.len() {
        let (w, next) = (words[i], words.get(i + 1).copied());
        match (w, next) {
            ("cross", Some("region")) => {
                match words.get(i + 2).copied() {
                    Some("global") => q.global = true,
                    Some("geo") => q.geo = true,
                    _ => return None,
                }
                i += 3;
                continue;
            }
            ("long", Some("context" | "ctx")) => {
                q.long_context = true;
                i += 2;
                continue;
            }
            ("latency", Some("optimized")) => {
                q.latency_optimized = true;
                i += 2;
                continue;
            }
            ("1h", _) => q.one_hour = true,
            ("5m" | "30m", _) if mantle => {}
            _ => {
                if !q.word(w) {
                    return None;
                }
            }
        }
        i += 1;
    }
    Some(q)
}

/// Form A token markers and their token types (cache markers first: they are longer).
const FORM_A_MARKERS: [(&str, TokenType); 4] = [
    ("-cache-read-input-token-count", TokenType::CacheRead),
    ("-cache-write-input-token-count", TokenType::CacheWrite),
    ("-input-tokens", TokenType::Input),
    ("-output-tokens", TokenType::Output),
];

const MANTLE_TOKENS: [(&str, TokenType); 4] = [
    ("cache-read-tokens", TokenType::CacheRead),
    ("cache-write-tokens", TokenType::CacheWrite),
    ("input-tokens", TokenType::Input),
    ("output-tokens", TokenType::Output),
];

fn parse_form_a<'a>(region: &'a str, rest: &'a str) -> Option<ParsedUsageType<'a>> {
    if let Some(at) = rest.find("-mantle-") {
        let model = &rest[..at];
        let tail = &rest[at + "-mantle-".len()..];
        let (token, after) = MANTLE_TOKENS
            .iter()
            .find_map(|(m, t)| tail.strip_prefix(m).map(|a| (*t, a)))?;
        if !(after.is_empty() || after.starts_with('-')) || model.is_empty() {
            return None;
        }
        let q = dash_quals(after, true)?;
        return Some(parsed(region, Some(model), Spelling::Aws, true, token, q));
    }
    let (at, marker, token) = FORM_A_MARKERS
        .iter()
        .filter_map(|(m, t)| rest.find(m).map(|i| (i, *m, *t)))
        .min_by_key(|(i, _, _)| *i)?;
    let model = &rest[..at];
    let after = &rest[at + marker.len()..];
    if model.is_empty() || !(after.is_empty() || after.starts_with('-')) {
        return None;
    }
    let q = dash_quals(after, false)?;
    Some(parsed(region, Some(model), Spelling::Aws, false, token, q))
}

fn parse_camel<'a>(region: &'a str, segs: &[&str]) -> Option<ParsedUsageType<'a>> {
    let mut head = *segs.first()?;
    let mut q = Quals::default();
    head = head.strip_prefix("Million").unwrap_or(head);
    if let Some(h) = head.strip_prefix("Batch") {
        q.batch = true;
        head = h;
    }
    let mut cache = None;
    if let Some(h) = head.strip_prefix("CacheRead") {
        cache = Some(TokenType::CacheRead);
        head = h;
    } else if let Some(h) = head.strip_prefix("CacheWrite") {
        cache = Some(TokenType::CacheWrite);
        head = h;
        for d in ["1h", "5m", "30m"] {
            if let Some(h2) = head.strip_prefix(d) {
                q.one_hour = d == "1h";
                head = h2;
            }
        }
    }
    let dir = if let Some(h) = head.strip_prefix("Input") {
        head = h;
        Some(TokenType::Input)
    } else if let Some(h) = head.strip_prefix("Output") {
        head = h;
        Some(TokenType::Output)
    } else {
        None
    };
    if !matches!(head, "TokenCount" | "Tokens") {
        return None;
    }
    let token = match (cache, dir) {
        (Some(c), Some(TokenType::Input) | None) => c,
        (None, Some(d)) => d,
        _ => return None,
    };
    for s in &segs[1..] {
        match *s {
            "Global" => q.global = true,
            "Geo" => q.geo = true,
            "Batch" => q.batch = true,
            "LongContext" => q.long_context = true,
            "LatencyOptimized" => q.latency_optimized = true,
            "Priority" => q.tier = Some(ServiceTier::Priority),
            "Flex" => q.tier = Some(ServiceTier::Flex),
            "Standard" => q.tier = Some(ServiceTier::Standard),
            _ => return None,
        }
    }
    Some(parsed(
        region,
        None,
        Spelling::MarketplaceCamel,
        false,
        token,
        q,
    ))
}

fn parse_snake<'a>(region: &'a str, segs: &[&str]) -> Option<ParsedUsageType<'a>> {
    let (token, rest) = match segs {
        ["cache", "read", "tokens", rest @ ..] => (TokenType::CacheRead, rest),
        ["cache", "write", "tokens", rest @ ..] => (TokenType::CacheWrite, rest),
        ["input", "tokens", rest @ ..] => (TokenType::Input, rest),
        ["output", "tokens", rest @ ..] => (TokenType::Output, rest),
        _ => return None,
    };
    let mut q = Quals::default();
    let mut i = 0;
    while i < rest.len() {
        match (rest[i], rest.get(i + 1).copied()) {
            ("long", Some("context" | "ctx")) => {
                q.long_context = true;
                i += 2;
                continue;
            }
            ("latency", Some("optimized")) => {
                q.latency_optimized = true;
                i += 2;
                continue;
            }
            ("1h", _) if token == TokenType::CacheWrite => q.one_hour = true,
            ("5m" | "30m", _) if token == TokenType::CacheWrite => {}
            (w, _) => {
                if !q.word(w) {
                    return None;
                }
            }
        }
        i += 1;
    }
    Some(parsed(
        region,
        None,
        Spelling::MarketplaceSnake,
        false,
        token,
        q,
    ))
}

/// Read a Bedrock token usage type in any spelling curlab knows (module documentation), or
/// `None` when it is not one (another service, image tokens, reserved throughput, an unknown
/// qualifier).
pub fn parse_usage_type(u: &str) -> Option<ParsedUsageType<'_>> {
    let (region, rest) = u.split_once('-')?;
    if region.is_empty()
        || !region
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return None;
    }
    let Some(body) = rest.strip_prefix("MP:") else {
        return parse_form_a(region, rest);
    };
    let body = body.strip_suffix("-Units")?;
    let (_, body) = body.split_once('_')?;
    let segs: Vec<&str> = body.split('_').collect();
    if segs.first()?.starts_with(|c: char| c.is_ascii_uppercase()) {
        parse_camel(region, &segs)
    } else {
        parse_snake(region, &segs)
    }
}

/// Lower-case substrings that mark a token usage type in any spelling: the looser test SQL
/// engines run (`curlab sql`), and the fallback of [`crate::bedrock::token_type_of`].
pub const TOKEN_NEEDLES: [&str; 14] = [
    "cache-read",
    "cacheread",
    "cache_read",
    "cache-write",
    "cachewrite",
    "cache_write",
    "input-tokens",
    "inputtokencount",
    "inputtokens",
    "input_tokens",
    "output-tokens",
    "outputtokencount",
    "outputtokens",
    "output_tokens",
];

#[cfg(test)]
#[path = "usage_type_tests.rs"]
mod tests;
