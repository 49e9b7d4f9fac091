//! The few places where Athena/Trino, Spark SQL and DuckDB spell the same thing differently.
//!
//! Everything else in the emitted SQL is written once. Timestamps are compared as UTC epoch
//! milliseconds and calendar months are computed on dates, so results do not depend on the
//! engine's session time zone.

/// A SQL dialect curlab writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// Amazon Athena (engine v3, Trino SQL for queries, Hive DDL for tables).
    Athena,
    /// Trino (and Presto-compatible engines).
    Trino,
    /// Apache Spark SQL (3.5 or later; ANSI mode on or off).
    Spark,
    /// DuckDB (1.3 or later).
    DuckDb,
}

/// The lambda variable the map helpers bind to each key.
pub const KEY: &str = "k";

impl Dialect {
    /// Lower-case name, as the command line spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Athena => "athena",
            Dialect::Trino => "trino",
            Dialect::Spark => "spark",
            Dialect::DuckDb => "duckdb",
        }
    }

    /// Name for headers and messages.
    pub fn display(self) -> &'static str {
        match self {
            Dialect::Athena => "Amazon Athena (engine v3)",
            Dialect::Trino => "Trino",
            Dialect::Spark => "Apache Spark SQL",
            Dialect::DuckDb => "DuckDB",
        }
    }

    fn trino(self) -> bool {
        matches!(self, Dialect::Athena | Dialect::Trino)
    }

    /// A string literal.
    pub fn lit(self, s: &str) -> String {
        match self {
            // Spark processes backslash escapes inside literals.
            Dialect::Spark => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
            _ => format!("'{}'", s.replace('\'', "''")),
        }
    }

    /// A quoted identifier (each part of a dotted name quoted separately).
    pub fn ident(self, name: &str) -> String {
        let q = if self == Dialect::Spark { '`' } else { '"' };
        name.split('.')
            .map(|p| format!("{q}{p}{q}"))
            .collect::<Vec<_>>()
            .join(".")
    }

    /// A double literal that parses to the same IEEE value as `x` in every engine.
    pub fn dbl(self, x: f64) -> String {
        format!("{x:e}").replace('e', "E")
    }

    /// The `VARCHAR` type name.
    pub fn varchar(self) -> &'static str {
        if self == Dialect::Spark {
            "STRING"
        } else {
            "VARCHAR"
        }
    }

    /// `expr` as text.
    pub fn to_str(self, expr: &str) -> String {
        format!("CAST({expr} AS {})", self.varchar())
    }

    /// Whether `expr` matches the regular expression `pattern` anywhere (Java syntax for
    /// Athena/Trino/Spark, RE2 for DuckDB; the patterns used here mean the same in both).
    pub fn regex(self, expr: &str, pattern: &str) -> String {
        match self {
            Dialect::DuckDb => format!("regexp_matches({expr}, {})", self.lit(pattern)),
            _ => format!("regexp_like({expr}, {})", self.lit(pattern)),
        }
    }

    /// Whether `hay` contains the literal text `needle` (case-sensitive).
    pub fn contains(self, hay: &str, needle: &str) -> String {
        match self {
            Dialect::Spark => format!("instr({hay}, {}) > 0", self.lit(needle)),
            _ => format!("strpos({hay}, {}) > 0", self.lit(needle)),
        }
    }

    /// `expr` with ASCII letters lower-cased and every other character kept (Rust's
    /// `to_ascii_lowercase`; SQL `lower` would also fold non-ASCII letters).
    pub fn ascii_lower(self, expr: &str) -> String {
        format!(
            "translate({expr}, {}, {})",
            self.lit("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
            self.lit("abcdefghijklmnopqrstuvwxyz")
        )
    }

    /// Integer division of two non-negative BIGINTs.
    pub fn idiv(self, a: &str, b: &str) -> String {
        match self {
            Dialect::Spark => format!("({a} DIV {b})"),
            Dialect::DuckDb => format!("({a} // {b})"),
            _ => format!("({a} / {b})"),
        }
    }

    /// `a / b` as a double, NULL when `b` is 0.
    pub fn ratio(self, a: &str, b: &str) -> String {
        format!("CAST({a} AS DOUBLE) / CAST(nullif({b}, 0) AS DOUBLE)")
    }

    /// A timestamp column as UTC epoch milliseconds (BIGINT).
    pub fn epoch_ms(self, col: &str) -> String {
        match self {
            Dialect::Spark => format!("unix_millis({col})"),
            Dialect::DuckDb => format!("epoch_ms({col})"),
            _ => format!("date_diff('millisecond', TIMESTAMP '1970-01-01 00:00:00', {col})"),
        }
    }

    /// The UTC date of a timestamp column.
    fn utc_date(self, col: &str) -> String {
        match self {
            // unix_millis is an instant; dates from days since the epoch ignore the session
            // time zone.
            Dialect::Spark => {
                format!("date_from_unix_date(CAST(floor(unix_millis({col}) / 86400000) AS INT))")
            }
            _ => format!("CAST({col} AS DATE)"),
        }
    }

    /// Epoch milliseconds of midnight of a date expression.
    fn date_ms(self, date: &str) -> String {
        match self {
            Dialect::Spark => format!("CAST(unix_date({date}) AS BIGINT) * 86400000"),
            _ => format!("date_diff('day', DATE '1970-01-01', {date}) * 86400000"),
        }
    }

    fn month_start(self, date: &str) -> String {
        match self {
            Dialect::Spark => format!("trunc({date}, 'MM')"),
            _ => format!("date_trunc('month', {date})"),
        }
    }

    fn add_month(self, date: &str) -> String {
        match self {
            Dialect::Spark => format!("add_months({date}, 1)"),
            Dialect::DuckDb => format!("CAST({date} + INTERVAL 1 MONTH AS DATE)"),
            _ => format!("date_add('month', 1, {date})"),
        }
    }

    /// Epoch ms of the first instant of the UTC month containing a timestamp column.
    pub fn month_floor_ms(self, col: &str) -> String {
        self.date_ms(&self.month_start(&self.utc_date(col)))
    }

    /// Epoch ms of the first instant of the UTC month after the one containing a timestamp
    /// column.
    pub fn month_next_ms(self, col: &str) -> String {
        self.date_ms(&self.add_month(&self.month_start(&self.utc_date(col))))
    }

    /// The first day of a `YYYY-MM` text (NULL when it is not a month).
    fn period_date(self, period: &str) -> String {
        format!(
            "TRY_CAST(substr({period}, 1, 4) || '-' || substr({period}, 6, 2) || '-01' AS DATE)"
        )
    }

    /// Epoch ms of the first instant of a `YYYY-MM` text.
    pub fn period_start_ms(self, period: &str) -> String {
        self.date_ms(&self.period_date(period))
    }

    /// Epoch ms of the first instant of the month after a `YYYY-MM` text.
    pub fn period_end_ms(self, period: &str) -> String {
        self.date_ms(&self.add_month(&self.period_date(period)))
    }

    /// The value of `key` in a map (NULL when absent).
    pub fn map_get(self, map: &str, key: &str) -> String {
        match self {
            Dialect::DuckDb => format!("{map}[{key}]"),
            _ => format!("element_at({map}, {key})"),
        }
    }

    /// Whether a map has `key` (also when its value is NULL).
    pub fn map_has(self, map: &str, key: &str) -> String {
        match self {
            Dialect::Spark => format!("array_contains(map_keys({map}), {key})"),
            Dialect::DuckDb => format!("list_contains(map_keys({map}), {key})"),
            _ => format!("contains(map_keys({map}), {key})"),
        }
    }

    /// The sum of a `map<string,double>`'s values (NULL values count 0; 0 for an empty map).
    pub fn map_values_sum(self, map: &str) -> String {
        match self {
            Dialect::DuckDb => format!("coalesce(list_sum(map_values({map})), 0)"),
            Dialect::Spark => format!(
                "aggregate(map_values({map}), CAST(0 AS DOUBLE), (s, x) -> s + coalesce(x, 0))"
            ),
            _ => format!(
                "reduce(map_values({map}), CAST(0 AS DOUBLE), (s, x) -> s + coalesce(x, 0), s -> s)"
            ),
        }
    }

    /// How many entries a map has (0 for a NULL map).
    pub fn map_len(self, map: &str) -> String {
        match self {
            Dialect::Spark => format!("CASE WHEN {map} IS NULL THEN 0 ELSE size({map}) END"),
            Dialect::DuckDb => format!("coalesce(len(map_keys({map})), 0)"),
            // Over the keys (an array): sqlglot's Trino-to-DuckDB transpilation, which the tests
            // use, spells `cardinality` as DuckDB's array_length, which takes no map.
            _ => format!("coalesce(cardinality(map_keys({map})), 0)"),
        }
    }

    /// The keys of `map` for which `cond` (an expression of [`KEY`]) holds, as an array.
    pub fn keys_where(self, map: &str, cond: &str) -> String {
        match self {
            Dialect::DuckDb => format!("list_filter(map_keys({map}), lambda {KEY}: {cond})"),
            _ => format!("filter(map_keys({map}), {KEY} -> {cond})"),
        }
    }

    /// How many keys of `map` satisfy `cond` (0 for a NULL map).
    pub fn count_keys(self, map: &str, cond: &str) -> String {
        let keys = self.keys_where(map, cond);
        match self {
            // size(NULL) is -1 outside ANSI mode.
            Dialect::Spark => format!("CASE WHEN {map} IS NULL THEN 0 ELSE size({keys}) END"),
            Dialect::DuckDb => format!("coalesce(len({keys}), 0)"),
            _ => format!("coalesce(cardinality({keys}), 0)"),
        }
    }

    /// The first element of an array (NULL when it is empty).
    pub fn first(self, array: &str) -> String {
        match self {
            Dialect::Spark => format!("try_element_at({array}, 1)"),
            Dialect::DuckDb => format!("({array})[1]"),
            _ => format!("element_at({array}, 1)"),
        }
    }

    /// The keys of `map` satisfying `cond`, joined with `, ` (for samples).
    pub fn join_keys(self, map: &str, cond: &str) -> String {
        self.array_join(&self.keys_where(map, cond), ", ")
    }

    fn array_join(self, array: &str, sep: &str) -> String {
        match self {
            Dialect::DuckDb => format!("array_to_string({array}, {})", self.lit(sep)),
            _ => format!("array_join({array}, {})", self.lit(sep)),
        }
    }

    /// Aggregate: the five smallest values of `expr`, joined with ` | ` (NULL when none).
    /// Memory stays bounded however many rows offend.
    pub fn top5(self, expr: &str) -> String {
        let smallest = match self {
            Dialect::Spark => format!("min_by({expr}, {expr}, 5)"),
            _ => format!("min({expr}, 5)"),
        };
        self.array_join(&smallest, " | ")
    }

    /// Aggregate: every value of `expr`, sorted, joined with `sep` (for small groups).
    pub fn string_agg(self, expr: &str, sep: &str) -> String {
        match self {
            Dialect::Spark => format!(
                "array_join(array_sort(collect_list({expr})), {})",
                self.lit(sep)
            ),
            Dialect::DuckDb => format!("string_agg({expr}, {} ORDER BY {expr})", self.lit(sep)),
            _ => format!(
                "array_join(array_agg({expr} ORDER BY {expr}), {})",
                self.lit(sep)
            ),
        }
    }

    /// A FROM clause yielding one row per (row of `table`, key `k` of its `map` column).
    pub fn from_map_keys(self, table: &str, map: &str) -> String {
        match self {
            Dialect::Spark => {
                format!("{table} LATERAL VIEW explode(map_keys({map})) tag_keys AS {KEY}")
            }
            _ => format!("{table} CROSS JOIN UNNEST(map_keys({map})) AS tag_keys({KEY})"),
        }
    }

    /// Whether this dialect writes Trino SQL (Athena and Trino).
    pub fn is_trino(self) -> bool {
        self.trino()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_escape_per_dialect() {
        assert_eq!(Dialect::Trino.lit("it's"), "'it''s'");
        assert_eq!(Dialect::DuckDb.lit(r"a\z"), r"'a\z'");
        assert_eq!(Dialect::Spark.lit(r"it's a\z"), r"'it\'s a\\z'");
        assert_eq!(Dialect::Spark.ident("db.cur2"), "`db`.`cur2`");
        assert_eq!(Dialect::Athena.ident("cur2"), "\"cur2\"");
    }

    #[test]
    fn doubles_keep_their_value() {
        for x in [0.8, 1e-4, 0.5, 1e-12, 123.456] {
            let s = Dialect::Trino.dbl(x);
            assert_eq!(s.parse::<f64>().unwrap(), x, "{s}");
        }
    }
}
