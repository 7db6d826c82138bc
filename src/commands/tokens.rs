//! `jira-patrol tokens`: every personal access token in Jira, used or not, from its token
//! search (System Administrators on Data Center, jira-facts §5): owner, name, created,
//! expires, last used, days idle. A capture sees only the tokens used in its window; this
//! is the list to hold it against (which tokens nobody uses, which expire soon).

use super::conn::{ConnArgs, UserFlag};
use super::output_args::OutputArgs;
use crate::format::OutputFormat;
use crate::inventory::time;
use crate::jira::SearchedToken;
use crate::output::table::Column;
use crate::output::{Cell, Records};
use crate::untrusted::Untrusted;
use jiff::{SignedDuration, Timestamp};
use std::time::Duration;

/// `jira-patrol tokens`: the token inventory's filters, format and connection.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "--user is the login name, as in every command; before, it picked \
an owner here. A --user that cannot be a login (a token logs in and no JIRA_PASSWORD is \
set) still does, with a note."
)]
pub struct TokensArgs {
    /// Only tokens of this owner (user key or login name); repeatable
    #[arg(long = "owner", value_name = "USER")]
    pub owners: Vec<String>,
    /// Only tokens not used for this long (never-used ones count from their creation),
    /// e.g. 90d, 12w
    #[arg(long, value_name = "AGE")]
    pub unused_for: Option<String>,
    /// Only tokens that expire within this time, e.g. 30d (expired ones included)
    #[arg(long, value_name = "AGE")]
    pub expiring_within: Option<String>,
    /// Output format and file.
    #[command(flatten)]
    pub out: OutputArgs<OutputFormat>,
    /// How to reach Jira.
    #[command(flatten)]
    pub conn: ConnArgs,
}

/// An age like `90d`, `12w`, `36h`; a bare number is days (see [`crate::duration::age`]).
fn parse_age(flag: &str, s: &str) -> anyhow::Result<Duration> {
    crate::duration::age(s).map_err(|e| anyhow::anyhow!("{flag}: {e}"))
}

/// Which tokens to show.
struct Filter {
    users: Vec<String>,
    unused_for: Option<SignedDuration>,
    expiring_within: Option<SignedDuration>,
}

impl Filter {
    fn accepts(&self, t: &SearchedToken, now: Timestamp) -> bool {
        if !self.users.is_empty() {
            let hit = |v: Option<&Untrusted>| {
                v.is_some_and(|v| self.users.iter().any(|u| u.eq_ignore_ascii_case(v.raw())))
            };
            if !hit(Some(&t.user_key)) && !hit(t.username.as_ref()) {
                return false;
            }
        }
        if let Some(age) = self.unused_for {
            match idle_since(t) {
                Some(since) if now.duration_since(since) >= age => {}
                Some(_) => return false,
                // No date at all: it cannot be shown to be idle that long.
                None => return false,
            }
        }
        if let Some(within) = self.expiring_within {
            match t.expires_at {
                Some(at) if at.duration_since(now) <= within => {}
                _ => return false,
            }
        }
        true
    }
}

/// Since when a token is idle: its last use, else its creation.
fn idle_since(t: &SearchedToken) -> Option<Timestamp> {
    t.last_accessed_at.or(t.created_at)
}

/// List Jira's tokens (all pages of the search), filtered, as `args.out.format`.
pub fn run(args: TokensArgs) -> anyhow::Result<()> {
    args.out.check_paths()?;
    let to_signed = |d: Duration| SignedDuration::try_from(d).unwrap_or(SignedDuration::MAX);
    let mut owners = args.owners.clone();
    let conn = match args.conn.user_flag(true)? {
        UserFlag::Login => args.conn.clone(),
        UserFlag::Owner(u) => {
            owners.push(u);
            args.conn.without_user()
        }
    };
    let filter = Filter {
        users: owners,
        unused_for: args
            .unused_for
            .as_deref()
            .map(|s| parse_age("--unused-for", s))
            .transpose()?
            .map(to_signed),
        expiring_within: args
            .expiring_within
            .as_deref()
            .map(|s| parse_age("--expiring-within", s))
            .transpose()?
            .map(to_signed),
    };
    let client = conn.connect()?;
    let mut tokens = client.search_tokens()?;
    let now = Timestamp::now();
    tokens.retain(|t| filter.accepts(t, now));
    tokens.sort_by(|a, b| {
        let owner = |t: &SearchedToken| {
            t.username
                .as_ref()
                .unwrap_or(&t.user_key)
                .raw()
                .to_lowercase()
        };
        owner(a)
            .cmp(&owner(b))
            .then(a.created_at.cmp(&b.created_at))
            .then(a.id.cmp(&b.id))
    });
    let format = args.out.format;
    let target = args.out.target();
    let records = records(&tokens, now, format == OutputFormat::Table);
    args.out.write(|out| {
        records.render(format, target, out)?;
        if format == OutputFormat::Table {
            writeln!(out)?;
            crate::output::table::write_prose(
                out,
                target.width(),
                "",
                &format!(
                    "{} token(s). DB ID is the token's database id: Jira's REST never shows the 12-digit TOKEN ID that logs and reports name. Jira writes the last use in batches about every minute.",
                    tokens.len()
                ),
            )?;
        }
        Ok(())
    })
}

/// One row per token. Tables say `never` where JSON and CSV leave the value empty (`null`,
/// `-`): a machine reads the absence, a person reads the word.
fn records(tokens: &[SearchedToken], now: Timestamp, human: bool) -> Records {
    let mut r = Records::with_table(
        "tokens",
        &[
            "id",
            "user_key",
            "username",
            "name",
            "created_at",
            "expires_at",
            "last_accessed_at",
            "days_idle",
        ],
        &[
            Column::id("DB ID"),
            Column::id("USER KEY").priority(30),
            Column::name("OWNER", 70),
            Column::name("NAME", 80),
            Column::time("CREATED").priority(40),
            Column::time("EXPIRES"),
            Column::time("LAST USED"),
            // The last use says it too: the first to go.
            Column::count("DAYS IDLE").short("IDLE").priority(20),
        ],
    );
    let never = |c: Option<String>| match (c, human) {
        (Some(s), _) => Cell::Time(s),
        (None, true) => Cell::word("never"),
        (None, false) => Cell::Null,
    };
    for t in tokens {
        let idle = idle_since(t).map(|s| now.duration_since(s).as_secs().max(0) / 86_400);
        r.push(vec![
            t.id.into(),
            (&t.user_key).into(),
            t.username.clone().into(),
            (&t.name).into(),
            t.created_at.map(time).map(Cell::Time).into(),
            never(t.expires_at.map(time)),
            never(t.last_accessed_at.map(time)),
            idle.into(),
        ]);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(last: Option<i64>, created: i64, expires: Option<i64>) -> SearchedToken {
        let now = Timestamp::now();
        let days = |d: i64| now - SignedDuration::from_hours(24 * d);
        SearchedToken {
            id: 1,
            name: "t".into(),
            user_key: "JIRAUSER10100".into(),
            username: Some("jdoe".into()),
            full_name: None,
            created_at: Some(days(created)),
            last_accessed_at: last.map(days),
            expires_at: expires.map(|d| now + SignedDuration::from_hours(24 * d)),
        }
    }

    #[test]
    fn filters_by_owner_idleness_and_expiry() {
        let now = Timestamp::now();
        let f = |users: &[&str], unused: Option<i64>, expiring: Option<i64>| Filter {
            users: users.iter().map(|u| u.to_string()).collect(),
            unused_for: unused.map(|d| SignedDuration::from_hours(24 * d)),
            expiring_within: expiring.map(|d| SignedDuration::from_hours(24 * d)),
        };
        let used_lately = token(Some(2), 400, Some(100));
        let never_used_old = token(None, 200, None);
        assert!(f(&["JDOE"], None, None).accepts(&used_lately, now));
        assert!(f(&["JIRAUSER10100"], None, None).accepts(&used_lately, now));
        assert!(!f(&["admin"], None, None).accepts(&used_lately, now));
        assert!(!f(&[], Some(90), None).accepts(&used_lately, now));
        assert!(f(&[], Some(90), None).accepts(&never_used_old, now));
        assert!(!f(&[], None, Some(30)).accepts(&used_lately, now));
        assert!(f(&[], None, Some(120)).accepts(&used_lately, now));
        assert!(
            !f(&[], None, Some(3650)).accepts(&never_used_old, now),
            "a token that never expires never expires within anything"
        );
        assert!(f(&[], None, Some(1)).accepts(&token(None, 10, Some(-5)), now));
    }

    #[test]
    fn ages_default_to_days() {
        assert_eq!(
            parse_age("--x", "90").unwrap(),
            Duration::from_secs(90 * 86400)
        );
        assert_eq!(
            parse_age("--x", "2w").unwrap(),
            Duration::from_secs(14 * 86400)
        );
        assert!(parse_age("--x", "soon").is_err());
    }
}
