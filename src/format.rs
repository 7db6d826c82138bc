//! The output formats a person can ask for (`--format`, `--dialect`): plain choices,
//! shared by the capture plan, the saved setup and the renderers in `output`, which alone
//! knows what they look like.

/// `--format` of the commands that print records (not the PAT summary: see
/// [`SummaryFormat`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns for people (default)
    #[default]
    Table,
    /// One JSON document
    Json,
    /// Comma-separated values with a header row
    Csv,
    /// One JSON object per line
    Jsonl,
}

/// The summary formats of `summarize` and `capture` (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SummaryFormat {
    /// Aligned columns for people (default)
    #[default]
    Table,
    /// The stable JSON schema
    Json,
    /// One row per token
    Csv,
    /// One event per request (for Splunk, Elasticsearch, OpenSearch)
    Jsonl,
    /// The SELECT that fetches the seen tokens' database rows
    Sql,
    /// One self-contained page to read, send or print
    Html,
}

/// SQL dialect of `--format sql`: how table and column names are quoted (each variant's
/// line is also its `--help` text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Dialect {
    /// PostgreSQL (names in double quotes)
    #[default]
    Postgres,
    /// MySQL or MariaDB (names in backticks)
    Mysql,
    /// Microsoft SQL Server (names in brackets)
    Sqlserver,
    /// Oracle (names in double quotes, at most 1000 ids per IN list)
    Oracle,
}
