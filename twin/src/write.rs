//! The scenario as TOML text the parser accepts, with comments saying what was inferred.
//! Every field of the model is written (the struct is destructured whole, so a new field is a
//! compile error here rather than silently dropped), and `parse(write(s))` gives `s` back.

use std::collections::BTreeMap;
use std::fmt::Write;

use curlab_generator::scenario::model::*;
use curlab_vocab::bedrock::{BillingForm, ServiceTier};

/// Comments to write: a header, and lines above items of array tables.
#[derive(Debug, Default, Clone)]
pub struct Notes {
    header: Vec<String>,
    items: BTreeMap<(String, usize), Vec<String>>,
}

impl Notes {
    /// A comment at the top of the file.
    pub fn header(&mut self, text: String) {
        self.header.push(text);
    }

    /// A comment at the top of the file, before the others.
    pub fn header_first(&mut self, text: String) {
        self.header.insert(0, text);
    }

    /// A comment above item `index` of the array table (or table) `section`.
    pub fn item(&mut self, section: &str, index: usize, text: String) {
        self.items
            .entry((section.to_string(), index))
            .or_default()
            .push(text);
    }

    fn of(&self, section: &str, index: usize) -> &[String] {
        self.items
            .get(&(section.to_string(), index))
            .map_or(&[], |v| v.as_slice())
    }
}

fn comment(out: &mut String, text: &str) {
    let mut line = String::from("#");
    for word in text.split_whitespace() {
        if line.len() + word.len() + 1 > 98 && line.len() > 1 {
            out.push_str(&line);
            out.push('\n');
            line = String::from("#");
        }
        line.push(' ');
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
}

/// A TOML basic string.
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        string(k)
    }
}

fn float(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x.is_infinite() {
        if x > 0.0 { "inf" } else { "-inf" }.into()
    } else {
        format!("{x:?}")
    }
}

fn tags(m: &TagMap) -> String {
    let parts: Vec<String> = m
        .iter()
        .map(|(k, v)| format!("{} = {}", key(k), string(v)))
        .collect();
    format!("{{ {} }}", parts.join(", ")).replace("{  }", "{}")
}

fn strings(v: &[String]) -> String {
    let parts: Vec<String> = v.iter().map(|s| string(s)).collect();
    format!("[{}]", parts.join(", "))
}

fn floats(v: &[f64]) -> String {
    let parts: Vec<String> = v.iter().map(|x| float(*x)).collect();
    format!("[{}]", parts.join(", "))
}

fn tier(t: ServiceTier) -> &'static str {
    match t {
        ServiceTier::Standard => "standard",
        ServiceTier::Priority => "priority",
        ServiceTier::Flex => "flex",
    }
}

fn service(s: BackgroundService) -> &'static str {
    match s {
        BackgroundService::Ec2 => "ec2",
        BackgroundService::S3 => "s3",
        BackgroundService::Lambda => "lambda",
        BackgroundService::Cloudwatch => "cloudwatch",
        BackgroundService::DataTransfer => "data-transfer",
        BackgroundService::Rds => "rds",
        BackgroundService::Eks => "eks",
        BackgroundService::Ses => "ses",
        BackgroundService::Sns => "sns",
        BackgroundService::Sqs => "sqs",
        BackgroundService::SecretsManager => "secrets-manager",
        BackgroundService::BedrockProvisionedThroughput => "bedrock-provisioned-throughput",
        BackgroundService::BedrockReservedTier => "bedrock-reserved-tier",
        BackgroundService::BedrockGuardrails => "bedrock-guardrails",
        BackgroundService::BedrockRerank => "bedrock-rerank",
        BackgroundService::BedrockAgentcoreRuntime => "bedrock-agentcore-runtime",
        BackgroundService::BedrockCacheStorage => "bedrock-cache-storage",
        BackgroundService::OpensearchServerless => "opensearch-serverless",
    }
}

fn account_list(o: &mut Out, accounts: &[AccountSpec]) {
    o.s.push_str("accounts = [\n");
    for a in accounts {
        let _ = writeln!(o.s, "  {},", account(a));
    }
    o.s.push_str("]\n");
}

fn account(a: &AccountSpec) -> String {
    format!("{{ id = {}, name = {} }}", string(&a.id), string(&a.name))
}

struct Out {
    s: String,
}

impl Out {
    fn kv(&mut self, k: &str, v: impl std::fmt::Display) {
        let _ = writeln!(self.s, "{} = {v}", key(k));
    }
    fn str(&mut self, k: &str, v: &str) {
        self.kv(k, string(v));
    }
    fn opt_str(&mut self, k: &str, v: &Option<String>) {
        if let Some(v) = v {
            self.str(k, v);
        }
    }
    fn opt_f(&mut self, k: &str, v: Option<f64>) {
        if let Some(v) = v {
            self.kv(k, float(v));
        }
    }
    fn header(&mut self, h: &str, notes: &[String]) {
        self.s.push('\n');
        for n in notes {
            comment(&mut self.s, n);
        }
        self.s.push_str(h);
        self.s.push('\n');
    }
}

fn users(o: &mut Out, table: &str, u: &UsersSpec) {
    let UsersSpec {
        count,
        domain,
        attributes,
        list,
    } = u;
    o.header(&format!("[{table}.users]"), &[]);
    o.kv("count", count);
    o.str("domain", domain);
    if !attributes.is_empty() {
        let parts: Vec<String> = attributes
            .iter()
            .map(|(k, v)| format!("{} = {}", key(k), strings(v)))
            .collect();
        o.kv("attributes", format!("{{ {} }}", parts.join(", ")));
    }
    if !list.is_empty() {
        o.s.push_str("list = [\n");
        for UserSpec {
            name,
            email,
            attributes,
        } in list
        {
            let mut parts = vec![format!("name = {}", string(name))];
            if let Some(e) = email {
                parts.push(format!("email = {}", string(e)));
            }
            parts.push(format!("attributes = {}", tags(attributes)));
            let _ = writeln!(o.s, "  {{ {} }},", parts.join(", "));
        }
        o.s.push_str("]\n");
    }
}

/// Write a scenario as TOML, with `notes` as comments.
pub fn write(f: &ScenarioFile, notes: &Notes) -> String {
    let ScenarioFile {
        scenario,
        export,
        organization,
        assumptions,
        iam_users,
        api_keys,
        roles,
        identity_providers,
        gateways,
        cost_allocation_tags,
        workloads,
        requests,
        models,
        background,
        tax,
        discounts,
        adjustments,
        inference_profiles,
    } = f;
    let mut o = Out { s: String::new() };
    for h in &notes.header {
        comment(&mut o.s, h);
    }
    let Meta {
        name,
        description,
        seed,
    } = scenario;
    o.header("[scenario]", notes.of("scenario", 0));
    o.str("name", name);
    o.str("description", description);
    o.kv("seed", seed);

    let ExportSpec {
        name,
        billing_periods,
        time_granularity,
        include_resources,
        include_iam_principal_data,
        iam_principal_data_enabled_on,
        include_split_cost_allocation_data,
        include_capacity_reservation_data,
        include_manual_discount_compatibility,
        legacy_113_columns,
        format,
        delivery,
        s3_bucket,
        s3_prefix,
        invoice_finalized,
        max_rows_per_file,
    } = export;
    o.header("[export]", notes.of("export", 0));
    o.opt_str("name", name);
    o.kv("billing_periods", strings(billing_periods));
    o.str("time_granularity", time_granularity.as_str());
    o.kv("include_resources", include_resources);
    o.kv("include_iam_principal_data", include_iam_principal_data);
    o.opt_str(
        "iam_principal_data_enabled_on",
        iam_principal_data_enabled_on,
    );
    o.kv(
        "include_split_cost_allocation_data",
        include_split_cost_allocation_data,
    );
    o.kv(
        "include_capacity_reservation_data",
        include_capacity_reservation_data,
    );
    o.kv(
        "include_manual_discount_compatibility",
        include_manual_discount_compatibility,
    );
    o.kv("legacy_113_columns", legacy_113_columns);
    o.str("format", format.as_str());
    o.str(
        "delivery",
        match delivery {
            Delivery::Overwrite => "overwrite",
            Delivery::CreateNew => "create-new",
        },
    );
    o.str("s3_bucket", s3_bucket);
    o.str("s3_prefix", s3_prefix);
    o.kv("invoice_finalized", invoice_finalized);
    o.kv("max_rows_per_file", max_rows_per_file);

    // A twin is built from one export, so it has one payer; a scenario read back may have
    // several (`[[organization.payers]]`), written as such.
    let Organization {
        payer,
        accounts,
        payers,
    } = organization;
    o.header("[organization]", notes.of("organization", 0));
    if let Some(payer) = payer {
        o.kv("payer", account(payer));
    }
    if payers.is_empty() || !accounts.is_empty() {
        account_list(&mut o, accounts);
    }
    for p in payers {
        o.header("[[organization.payers]]", &[]);
        o.str("id", &p.id);
        o.str("name", &p.name);
        account_list(&mut o, &p.accounts);
    }

    let Assumptions {
        override_key_spelling,
        batch_principal,
        missing_principal,
        profile_resource_id,
        guardrail_principal,
    } = assumptions;
    o.header("[assumptions]", notes.of("assumptions", 0));
    o.str(
        "override_key_spelling",
        match override_key_spelling {
            KeySpelling::Session => "session",
            KeySpelling::Principal => "principal",
        },
    );
    o.str(
        "batch_principal",
        match batch_principal {
            BatchPrincipal::Caller => "caller",
            BatchPrincipal::None => "none",
        },
    );
    o.str(
        "missing_principal",
        match missing_principal {
            MissingPrincipal::Null => "null",
            MissingPrincipal::Empty => "empty",
        },
    );
    o.str(
        "profile_resource_id",
        match profile_resource_id {
            ProfileResourceId::Profile => "profile",
            ProfileResourceId::FoundationModel => "foundation-model",
        },
    );
    // Written only when not the default (a twin never infers it: guardrail rows of an export
    // that carry a principal are not told apart from the default's).
    if *guardrail_principal == GuardrailPrincipal::Caller {
        o.str("guardrail_principal", "caller");
    }

    for (i, u) in iam_users.iter().enumerate() {
        let IamUserSpec {
            account,
            name,
            path,
            tags: t,
        } = u;
        o.header("[[iam_users]]", notes.of("iam_users", i));
        o.str("account", account);
        o.str("name", name);
        o.str("path", path);
        o.kv("tags", tags(t));
    }
    for (i, k) in api_keys.iter().enumerate() {
        let ApiKeySpec {
            account,
            id,
            tags: t,
        } = k;
        o.header("[[api_keys]]", notes.of("api_keys", i));
        o.str("account", account);
        o.opt_str("id", id);
        o.kv("tags", tags(t));
    }
    for (i, r) in roles.iter().enumerate() {
        let RoleSpec {
            account,
            name,
            path,
            tags: t,
            trust_allows_tag_session,
            sessions,
            session_tags,
        } = r;
        o.header("[[roles]]", notes.of("roles", i));
        o.str("account", account);
        o.str("name", name);
        o.str("path", path);
        o.kv("tags", tags(t));
        o.kv("trust_allows_tag_session", trust_allows_tag_session);
        if let Some(s) = sessions {
            let v = match s {
                SessionNaming::Fixed { name } => {
                    format!("{{ kind = \"fixed\", name = {} }}", string(name))
                }
                SessionNaming::Lambda { functions } => {
                    format!(
                        "{{ kind = \"lambda\", functions = {} }}",
                        strings(functions)
                    )
                }
                SessionNaming::Ecs { tasks } => format!("{{ kind = \"ecs\", tasks = {tasks} }}"),
                SessionNaming::Ec2 { instances } => {
                    format!("{{ kind = \"ec2\", instances = {instances} }}")
                }
                SessionNaming::Batch {
                    prefix,
                    jobs_per_day,
                } => format!(
                    "{{ kind = \"batch\", prefix = {}, jobs_per_day = {jobs_per_day} }}",
                    string(prefix)
                ),
            };
            o.kv("sessions", v);
        }
        o.kv("session_tags", tags(session_tags));
    }
    for (i, p) in identity_providers.iter().enumerate() {
        let IdpSpec {
            name,
            kind,
            account,
            role,
            permission_set,
            session_name,
            session_tags,
            transitive_keys,
            claim_form,
            chain_to,
            users: u,
        } = p;
        o.header("[[identity_providers]]", notes.of("identity_providers", i));
        o.str("name", name);
        o.str("kind", kind.as_str());
        o.str("account", account);
        o.opt_str("role", role);
        o.opt_str("permission_set", permission_set);
        o.str(
            "session_name",
            match session_name {
                SessionNameSource::Email => "email",
                SessionNameSource::Username => "username",
            },
        );
        o.kv("session_tags", tags(session_tags));
        o.kv("transitive_keys", strings(transitive_keys));
        if let Some(c) = claim_form {
            o.str(
                "claim_form",
                match c {
                    ClaimForm::Nested => "nested",
                    ClaimForm::Flattened => "flattened",
                },
            );
        }
        o.opt_str("chain_to", chain_to);
        users(&mut o, "identity_providers", u);
    }
    for (i, g) in gateways.iter().enumerate() {
        let GatewaySpec {
            name,
            account,
            execution_role,
            invocation_role,
            per_user_sessions,
            session_name_from,
            session_name_prefix,
            session_tags,
            credential_ttl_minutes,
            users: u,
        } = g;
        o.header("[[gateways]]", notes.of("gateways", i));
        o.str("name", name);
        o.str("account", account);
        o.str("execution_role", execution_role);
        o.str("invocation_role", invocation_role);
        o.kv("per_user_sessions", per_user_sessions);
        o.str(
            "session_name_from",
            match session_name_from {
                GatewaySessionKey::User => "user",
                GatewaySessionKey::Tenant => "tenant",
            },
        );
        o.str("session_name_prefix", session_name_prefix);
        o.kv("session_tags", tags(session_tags));
        o.kv("credential_ttl_minutes", credential_ttl_minutes);
        users(&mut o, "gateways", u);
    }
    for (i, t) in cost_allocation_tags.iter().enumerate() {
        let TagActivationSpec {
            payer,
            key: k,
            source,
            activated_at,
            effect_delay_hours,
            backfill_from,
        } = t;
        o.header(
            "[[cost_allocation_tags]]",
            notes.of("cost_allocation_tags", i),
        );
        o.str("key", k);
        o.str(
            "source",
            match source {
                TagSource::IamPrincipal => "iam-principal",
                TagSource::Resource => "resource",
            },
        );
        o.str("activated_at", activated_at);
        o.kv("effect_delay_hours", effect_delay_hours);
        o.opt_str("backfill_from", backfill_from);
        o.opt_str("payer", payer);
    }
    for (i, w) in workloads.iter().enumerate() {
        let WorkloadSpec {
            payer,
            principals,
            model,
            region,
            requests_per_day,
            input_tokens,
            output_tokens,
            cache_read_share,
            cache_write_share,
            cache_write_1h_share,
            streaming_share,
            batch_share,
            service_tier,
            global_share,
            weekday_shape,
            hour_shape,
            start,
            end,
            inference_profile,
        } = w;
        o.header("[[workloads]]", notes.of("workloads", i));
        o.kv("principals", strings(principals));
        o.str("model", model);
        o.str("region", region);
        o.kv("requests_per_day", float(*requests_per_day));
        for (k, d) in [
            ("input_tokens", input_tokens),
            ("output_tokens", output_tokens),
        ] {
            o.kv(
                k,
                format!("{{ mean = {}, cv = {} }}", float(d.mean), float(d.cv)),
            );
        }
        o.kv("cache_read_share", float(*cache_read_share));
        o.kv("cache_write_share", float(*cache_write_share));
        o.kv("cache_write_1h_share", float(*cache_write_1h_share));
        o.kv("streaming_share", float(*streaming_share));
        o.kv("batch_share", float(*batch_share));
        o.str("service_tier", tier(*service_tier));
        o.kv("global_share", float(*global_share));
        o.kv("weekday_shape", floats(weekday_shape));
        match hour_shape {
            HourShape::Named(n) => o.str("hour_shape", n),
            HourShape::Weights(v) => o.kv("hour_shape", floats(v)),
        }
        o.opt_str("start", start);
        o.opt_str("end", end);
        o.opt_str("inference_profile", inference_profile);
        o.opt_str("payer", payer);
    }
    for (i, r) in requests.iter().enumerate() {
        let RequestSpec {
            payer,
            time,
            principal,
            model,
            region,
            input_tokens,
            output_tokens,
            cache_read_tokens,
            cache_write_tokens,
            cache_write_1h_tokens,
            streaming,
            batch,
            global,
            service_tier,
        } = r;
        o.header("[[requests]]", notes.of("requests", i));
        o.str("time", time);
        o.str("principal", principal);
        o.str("model", model);
        o.str("region", region);
        o.kv("input_tokens", input_tokens);
        o.kv("output_tokens", output_tokens);
        o.kv("cache_read_tokens", cache_read_tokens);
        o.kv("cache_write_tokens", cache_write_tokens);
        o.kv("cache_write_1h_tokens", cache_write_1h_tokens);
        o.kv("streaming", streaming);
        o.kv("batch", batch);
        o.kv("global", global);
        o.str("service_tier", tier(*service_tier));
        o.opt_str("payer", payer);
    }
    for (i, m) in models.iter().enumerate() {
        let ModelSpec {
            id,
            billing,
            usage_name,
            display_name,
            provider,
            model_id,
            product_code,
            input,
            output,
            cache_read,
            cache_write,
            cache_write_1h,
            regional_premium,
            service_tiers,
            long_context,
            marketplace_spelling,
        } = m;
        o.header("[[models]]", notes.of("models", i));
        o.str("id", id);
        if let Some(b) = billing {
            o.str(
                "billing",
                match b {
                    BillingForm::Aws => "aws",
                    BillingForm::Marketplace => "marketplace",
                },
            );
        }
        o.opt_str("usage_name", usage_name);
        o.opt_str("display_name", display_name);
        o.opt_str("provider", provider);
        o.opt_str("model_id", model_id);
        o.opt_str("product_code", product_code);
        o.opt_f("input", *input);
        o.opt_f("output", *output);
        o.opt_f("cache_read", *cache_read);
        o.opt_f("cache_write", *cache_write);
        o.opt_f("cache_write_1h", *cache_write_1h);
        o.opt_f("regional_premium", *regional_premium);
        if let Some(t) = service_tiers {
            let v: Vec<String> = t.iter().map(|t| tier(*t).to_string()).collect();
            o.kv("service_tiers", strings(&v));
        }
        if let Some(l) = long_context {
            o.kv("long_context", l);
        }
        if let Some(s) = marketplace_spelling {
            o.str(
                "marketplace_spelling",
                match s {
                    MarketplaceSpelling::Camel => "camel",
                    MarketplaceSpelling::Snake => "snake",
                },
            );
        }
    }
    for (i, b) in background.iter().enumerate() {
        let BackgroundSpec {
            service: s,
            account,
            region,
            resources,
            resource_tags,
            caller,
        } = b;
        o.header("[[background]]", notes.of("background", i));
        o.str("service", service(*s));
        o.str("account", account);
        o.str("region", region);
        o.kv("resources", resources);
        o.kv("resource_tags", tags(resource_tags));
        o.opt_str("caller", caller);
    }
    if let Some(TaxSpec { rate, tax_type }) = tax {
        o.header("[tax]", notes.of("tax", 0));
        o.kv("rate", float(*rate));
        o.str("tax_type", tax_type);
    }
    for (i, pr) in inference_profiles.iter().enumerate() {
        let InferenceProfileSpec {
            name,
            account,
            region,
            id,
            tags: t,
        } = pr;
        o.header("[[inference_profiles]]", notes.of("inference_profiles", i));
        o.str("name", name);
        o.str("account", account);
        o.str("region", region);
        o.opt_str("id", id);
        o.kv("tags", tags(t));
    }
    if let Some(DiscountsSpec {
        edp_percent,
        private_rates,
        representation,
    }) = discounts
    {
        o.header("[discounts]", notes.of("discounts", 0));
        o.kv("edp_percent", float(*edp_percent));
        o.str("representation", representation.as_str());
        for PrivateRateSpec {
            model,
            product_code,
            percent,
        } in private_rates
        {
            o.header("[[discounts.private_rates]]", &[]);
            o.opt_str("model", model);
            o.opt_str("product_code", product_code);
            o.kv("percent", float(*percent));
        }
    }
    for (i, a) in adjustments.iter().enumerate() {
        let AdjustmentSpec {
            kind,
            period,
            amount,
            account,
            product_code,
            description,
            restated_at,
        } = a;
        o.header("[[adjustments]]", notes.of("adjustments", i));
        o.str(
            "type",
            match kind {
                AdjustmentKind::Credit => "credit",
                AdjustmentKind::Refund => "refund",
            },
        );
        o.str("period", period);
        o.kv("amount", float(*amount));
        o.opt_str("account", account);
        o.str("product_code", product_code);
        o.opt_str("description", description);
        o.opt_str("restated_at", restated_at);
    }
    o.s
}
