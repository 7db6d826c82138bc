//! Seeded users and personal access tokens of the simulated Jira, the token store the
//! server mutates (new tokens, revocations, batched last-access times), and the Java
//! `toString` spellings the PAT plugin uses when it logs them (jira-facts §2, §5).
//!
//! Everything here is a simulator secret: passwords and raw tokens are meant to be
//! printed by `jira-patrol sim` and read by tests.

use base64::Engine as _;
use jiff::{SignedDuration, Timestamp};

/// A Jira user of the simulator.
#[derive(Debug, Clone)]
pub struct SimUser {
    /// Login name (what `X-AUSERNAME` and the log's USERNAME column show).
    pub name: String,
    /// User key: `admin` for old users, `JIRAUSER10100` style for users created since Jira 8.
    pub key: String,
    /// Password (simulator secret, meant to be shown).
    pub password: String,
    /// Full name as REST shows it (`displayName`).
    pub display_name: String,
    /// E-mail address (`emailAddress`).
    pub email: String,
    /// Member of System Administrators.
    pub admin: bool,
    /// Jira Administrators only (not System Administrators): the logging page refuses it.
    pub jira_admin: bool,
    /// false = deactivated: cannot log in, its tokens fail.
    pub active: bool,
}

/// A personal access token as the simulator's "database" holds it.
#[derive(Debug, Clone)]
pub struct SimToken {
    /// Database row id (`ID`, what REST calls `id` and `Storing auth time` logs).
    pub id: u64,
    /// The 12 ASCII digits encoded in the token (`TOKEN_ID`, never exposed by REST).
    pub token_id: String,
    /// Key of the owner (`USER_KEY`, what the log names).
    pub user_key: String,
    /// Login name of the owner (convenience for tests; Jira stores only the key).
    pub owner: String,
    /// The name its owner gave it.
    pub name: String,
    /// The 44-character token string a client sends as `Authorization: Bearer ...`.
    pub raw: String,
    /// `{PKCS5S2}` + 64 Base64 characters, as logged by the validator.
    pub hashed: String,
    /// When it was created.
    pub created_at: Timestamp,
    /// Last use as the batcher job last wrote it; `None` = never used.
    pub last_accessed_at: Option<Timestamp>,
    /// `None` = never expires (Jira stores 9999-12-31).
    pub expiring_at: Option<Timestamp>,
}

impl SimToken {
    /// Expired at `now` (an expiry at `now` counts as expired).
    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.expiring_at.is_some_and(|e| e <= now)
    }

    /// Expired now.
    pub fn expired(&self) -> bool {
        self.is_expired(Timestamp::now())
    }
}

/// The seeded users and tokens (a snapshot taken at start; tokens created later over REST
/// are not listed here).
#[derive(Debug, Clone)]
pub struct SimAccounts {
    /// Every seeded user, active or not.
    pub users: Vec<SimUser>,
    /// Every seeded token, valid or not.
    pub tokens: Vec<SimToken>,
}

impl SimAccounts {
    /// A seeded user by login name.
    pub fn user(&self, name: &str) -> Option<&SimUser> {
        self.users.iter().find(|u| u.name == name)
    }

    /// A seeded token by its (exact) name.
    pub fn token(&self, name: &str) -> Option<&SimToken> {
        self.tokens.iter().find(|t| t.name == name)
    }

    /// A seeded token by its 12-digit token id.
    pub fn token_by_id(&self, token_id: &str) -> Option<&SimToken> {
        self.tokens.iter().find(|t| t.token_id == token_id)
    }

    /// The seeded tokens of one owner (login name).
    pub fn tokens_of<'a>(&'a self, owner: &'a str) -> impl Iterator<Item = &'a SimToken> + 'a {
        self.tokens.iter().filter(move |t| t.owner == owner)
    }

    /// The deterministic seed set, with token dates relative to `now`.
    ///
    /// | user  | password | key           | admin | active |
    /// |-------|----------|---------------|-------|--------|
    /// | admin | admin    | admin         | yes   | yes    |
    /// | jdoe  | jdoe     | JIRAUSER10100 | no    | yes    |
    /// | gone  | gone     | JIRAUSER10200 | no    | no     |
    /// | jadmin | jadmin  | JIRAUSER10300 | Jira Administrators only | yes |
    /// | sysop | `Sys0p-s3cret-pw` | JIRAUSER10400 | yes | yes |
    /// | 100200300400 | 100200300400 | 100200300400 | no | yes |
    ///
    /// `sysop`'s password is unlike any word Jira prints, so a test can prove it never
    /// shows up anywhere (`admin`'s is in every admin path).
    ///
    /// The last is an old user whose key is the lower-cased user name, twelve digits: a
    /// trap for anything that takes a twelve-digit run for a token id.
    ///
    /// Tokens (row id, token id, owner, name, state): 1 `355510638677` admin `test`;
    /// 2 `104857600013` admin `ci, deploy (prod)=1` (never expires); 3 `230419881234` jdoe
    /// `Jira→Slack «bridge» ü`; 4 `600000004711` jdoe `old laptop` (expired 5 days ago:
    /// still listed until pruned 30 days after expiry);
    /// 5 `987654321098` gone `cron job` (owner inactive); 6 `777000111222` admin
    /// `release-bot [eu], expiringAt=never` (never used: `lastAccessedAt=null`; a name that
    /// fools naive `key=value` or bracket parsing of the TokenDTO line); 7 `405060708090`
    /// `100200300400` `nightly export`; 8 `313131313131` `JIRAUSER10900` `legacy sync`, whose
    /// owner was deleted (the pruning job removes it; owner name `(deleted user)`).
    pub fn seeded(now: Timestamp) -> SimAccounts {
        // Whole seconds, so the fractions below are the KB's (`.933`, `.734685`).
        let now = Timestamp::from_second(now.as_second()).unwrap_or(now);
        let user = |name: &str, key: &str, display: &str, admin: bool, active: bool| SimUser {
            name: name.into(),
            key: key.into(),
            password: name.into(),
            display_name: display.into(),
            email: format!("{name}@example.com"),
            admin,
            jira_admin: admin,
            active,
        };
        let users = vec![
            user("admin", "admin", "Administrator", true, true),
            user("jdoe", "JIRAUSER10100", "Jane Doe", false, true),
            user("gone", "JIRAUSER10200", "Former Employee", false, false),
            SimUser {
                jira_admin: true,
                ..user("jadmin", "JIRAUSER10300", "Project Admin", false, true)
            },
            SimUser {
                password: "Sys0p-s3cret-pw".into(),
                ..user("sysop", "JIRAUSER10400", "System Operator", true, true)
            },
            user("100200300400", "100200300400", "Old Account", false, true),
        ];
        let days = |d: i64| SignedDuration::from_hours(24 * d);
        let ago = |d: i64| now - days(d);
        let ahead = |d: i64| now + days(d);
        let mk = |id: u64,
                  token_id: &str,
                  owner: &SimUser,
                  name: &str,
                  created: Timestamp,
                  accessed: Option<Timestamp>,
                  expiring: Option<Timestamp>| {
            let secret = seeded_secret(token_id);
            SimToken {
                id,
                token_id: token_id.into(),
                user_key: owner.key.clone(),
                owner: owner.name.clone(),
                name: name.into(),
                raw: encode_token(token_id, &secret),
                hashed: fake_hash(&secret),
                created_at: created + SignedDuration::from_micros(933_000),
                last_accessed_at: accessed.map(|t| t + SignedDuration::from_micros(734_685)),
                expiring_at: expiring.map(|t| t + SignedDuration::from_micros(933_000)),
            }
        };
        let (admin, jdoe, gone) = (&users[0], &users[1], &users[2]);
        let numeric = users
            .iter()
            .find(|u| u.key == "100200300400")
            .expect("seeded above");
        // Not among the users: deleted, only its token row is left.
        let deleted = user(
            "(deleted user)",
            "JIRAUSER10900",
            "Deleted User",
            false,
            false,
        );
        let tokens = vec![
            mk(
                1,
                "355510638677",
                admin,
                "test",
                ago(13),
                Some(ago(1)),
                Some(ahead(77)),
            ),
            mk(
                2,
                "104857600013",
                admin,
                "ci, deploy (prod)=1",
                ago(200),
                Some(ago(2)),
                None,
            ),
            mk(
                3,
                "230419881234",
                jdoe,
                "Jira→Slack «bridge» ü",
                ago(40),
                None,
                Some(ahead(325)),
            ),
            mk(
                4,
                "600000004711",
                jdoe,
                "old laptop",
                ago(300),
                Some(ago(60)),
                Some(ago(5)),
            ),
            mk(
                5,
                "987654321098",
                gone,
                "cron job",
                ago(30),
                Some(ago(3)),
                Some(ahead(335)),
            ),
            mk(
                6,
                "777000111222",
                admin,
                "release-bot [eu], expiringAt=never",
                ago(2),
                None,
                Some(ahead(200)),
            ),
            mk(
                7,
                "405060708090",
                numeric,
                "nightly export",
                ago(90),
                Some(ago(1)),
                None,
            ),
            mk(
                8,
                "313131313131",
                &deleted,
                "legacy sync",
                ago(700),
                Some(ago(500)),
                None,
            ),
        ];
        SimAccounts { users, tokens }
    }
}

/// `Base64(12 digits + ':' + 20 bytes)` = 44 characters (jira-facts §5), with Java's basic
/// alphabet (`+`, `/`), as the plugin's `TokenUtils` writes it.
pub fn encode_token(token_id: &str, secret: &[u8; 20]) -> String {
    let mut raw = Vec::with_capacity(33);
    raw.extend_from_slice(token_id.as_bytes());
    raw.push(b':');
    raw.extend_from_slice(secret);
    base64::engine::general_purpose::STANDARD.encode(raw)
}

/// Why a bearer value is not a token, in the words of the plugin's exception
/// (`java.util.Base64` / `TokenUtils`), which the filter logs as `Auth failure: [...]`.
pub fn decode_token(raw: &str) -> Result<(String, Vec<u8>), String> {
    if let Some(c) = raw
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')))
    {
        return Err(format!("Illegal base64 character {:x}", c as u32));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(raw)
        .map_err(|_| "Input byte array has wrong 4-byte ending unit".to_string())?;
    if bytes.len() != 33 || bytes[12] != b':' {
        return Err("Token format is invalid".into());
    }
    Ok((
        String::from_utf8_lossy(&bytes[..12]).into_owned(),
        bytes[13..].to_vec(),
    ))
}

/// 20 secret bytes derived from the token id, so seeded tokens are the same every run.
fn seeded_secret(token_id: &str) -> [u8; 20] {
    let mut state = token_id.bytes().fold(0x5EED_0F1A_u64, |h, b| {
        h.wrapping_mul(31).wrapping_add(b as u64)
    });
    let mut out = [0u8; 20];
    for chunk in out.chunks_mut(8) {
        let v = splitmix64(&mut state).to_le_bytes();
        chunk.copy_from_slice(&v[..chunk.len()]);
    }
    out
}

/// Fresh random bytes for tokens created at runtime (no RNG crate needed for a simulator).
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        if std::io::Read::read_exact(&mut f, &mut out).is_ok() {
            return out;
        }
    }
    use std::hash::{BuildHasher, Hasher};
    let mut state = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
        ^ Timestamp::now().as_nanosecond() as u64;
    for chunk in out.chunks_mut(8) {
        let v = splitmix64(&mut state).to_le_bytes();
        chunk.copy_from_slice(&v[..chunk.len()]);
    }
    out
}

/// Twelve random digits, never starting with 0 (every token id seen in the wild is 12 long).
pub fn random_token_id() -> String {
    let b = random_bytes::<8>();
    let n = u64::from_le_bytes(b) % 900_000_000_000 + 100_000_000_000;
    n.to_string()
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A stand-in for the PBKDF2 hash: same spelling and length as Jira's (`{PKCS5S2}` + Base64
/// of 48 bytes), derived from the secret so it is stable; never used for verification.
pub fn fake_hash(secret: &[u8]) -> String {
    let mut state = secret
        .iter()
        .fold(0x00C0_FFEE_u64, |h, &b| h.rotate_left(5) ^ b as u64);
    let mut bytes = [0u8; 48];
    for chunk in bytes.chunks_mut(8) {
        chunk.copy_from_slice(&splitmix64(&mut state).to_le_bytes());
    }
    format!(
        "{{PKCS5S2}}{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// `java.sql.Timestamp.toString()` in the JVM's zone, here a fixed offset:
/// `2022-10-11 14:51:57.933`, fraction without trailing zeros but at least one digit (`.0`),
/// and no offset written, as Jira writes the dates of `TokenDTO` (jira-facts §2).
pub fn java_sql_timestamp_in(t: Timestamp, jvm: jiff::tz::Offset) -> String {
    let dt = jvm.to_datetime(t);
    let nanos = dt.subsec_nanosecond();
    let mut frac = format!("{nanos:09}");
    while frac.len() > 1 && frac.ends_with('0') {
        frac.pop();
    }
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{frac}",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

/// `java.time.Instant.toString()`: fraction in groups of three digits, `Z` suffix.
pub fn java_instant(t: Timestamp) -> String {
    let dt = jiff::tz::Offset::UTC.to_datetime(t);
    let nanos = dt.subsec_nanosecond();
    let frac = if nanos == 0 {
        String::new()
    } else if nanos % 1_000_000 == 0 {
        format!(".{:03}", nanos / 1_000_000)
    } else if nanos % 1_000 == 0 {
        format!(".{:06}", nanos / 1_000)
    } else {
        format!(".{nanos:09}")
    };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{frac}Z",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

/// Jira REST date spelling: `2022-10-11T14:51:57.933+0000`.
pub fn rest_date(t: Timestamp) -> String {
    let dt = jiff::tz::Offset::UTC.to_datetime(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}+0000",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.subsec_nanosecond() / 1_000_000
    )
}

/// The "never" expiry Jira stores (9999-12-31; beyond jiff's range, so spelled directly).
pub const NEVER_SQL: &str = "9999-12-31 00:00:00.0";
/// The "never" expiry as REST shows it.
pub const NEVER_REST: &str = "9999-12-31T00:00:00.000+0000";

/// `expiringAt` as `Timestamp.toString()` shows it in a JVM at offset `jvm`.
pub fn expiry_sql_in(t: Option<Timestamp>, jvm: jiff::tz::Offset) -> String {
    t.map(|t| java_sql_timestamp_in(t, jvm))
        .unwrap_or_else(|| NEVER_SQL.to_string())
}

/// `expiringAt` as REST shows it ([`NEVER_REST`] for none).
pub fn expiry_rest(t: Option<Timestamp>) -> String {
    t.map(rest_date).unwrap_or_else(|| NEVER_REST.to_string())
}

/// `TokenDTO(...)` exactly as Lombok's `toString` renders it in the KB line (a JVM in UTC).
pub fn token_dto(t: &SimToken) -> String {
    token_dto_in(t, jiff::tz::Offset::UTC)
}

/// [`token_dto`] of a JVM at offset `jvm`: its dates are that zone's local time.
pub fn token_dto_in(t: &SimToken, jvm: jiff::tz::Offset) -> String {
    let ts = |t: Timestamp| java_sql_timestamp_in(t, jvm);
    format!(
        "TokenDTO(id={}, userKey={}, hashedToken={}, tokenId={}, name={}, createdAt={}, lastAccessedAt={}, expiringAt={}, notificationState=NOT_SENT)",
        t.id,
        t.user_key,
        t.hashed,
        t.token_id,
        t.name,
        ts(t.created_at),
        t.last_accessed_at.map(ts).unwrap_or_else(|| "null".into()),
        expiry_sql_in(t.expiring_at, jvm),
    )
}

/// Micro-second precision, as a Postgres-backed Jira returns timestamps.
pub fn now_micros() -> Timestamp {
    let now = Timestamp::now();
    let micros = now.as_microsecond();
    Timestamp::from_microsecond(micros).unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_tokens_have_the_documented_shape() {
        let a = SimAccounts::seeded(Timestamp::now());
        for t in &a.tokens {
            assert_eq!(t.raw.len(), 44, "{}", t.name);
            let (id, secret) = decode_token(&t.raw).unwrap();
            assert_eq!(id, t.token_id);
            assert_eq!(secret.len(), 20);
            assert_eq!(t.hashed.len(), "{PKCS5S2}".len() + 64);
        }
        // Deterministic across runs.
        let b = SimAccounts::seeded(Timestamp::now());
        assert_eq!(a.tokens[1].raw, b.tokens[1].raw);
        assert_ne!(a.tokens[0].raw, a.tokens[1].raw);
    }

    #[test]
    fn java_spellings_match_the_kb() {
        let t: Timestamp = "2022-10-11T14:56:45.734685Z".parse().unwrap();
        let utc = jiff::tz::Offset::UTC;
        assert_eq!(java_sql_timestamp_in(t, utc), "2022-10-11 14:56:45.734685");
        let t: Timestamp = "2022-10-11T14:51:57.933Z".parse().unwrap();
        assert_eq!(java_sql_timestamp_in(t, utc), "2022-10-11 14:51:57.933");
        // The JVM's local time, no offset written.
        let tokyo = jiff::tz::Offset::from_hours(9).unwrap();
        assert_eq!(java_sql_timestamp_in(t, tokyo), "2022-10-11 23:51:57.933");
        let t: Timestamp = "2022-10-11T15:04:09.233632Z".parse().unwrap();
        assert_eq!(java_instant(t), "2022-10-11T15:04:09.233632Z");
        let t: Timestamp = "2022-10-11T15:04:09.230Z".parse().unwrap();
        assert_eq!(java_instant(t), "2022-10-11T15:04:09.230Z");
        assert_eq!(expiry_sql_in(None, utc), "9999-12-31 00:00:00.0");
    }

    #[test]
    fn garbage_bearer_values_do_not_decode() {
        assert_eq!(
            decode_token("not base64!").unwrap_err(),
            "Illegal base64 character 20"
        );
        let no_colon = base64::engine::general_purpose::STANDARD.encode("123456789012");
        assert_eq!(
            decode_token(&no_colon).unwrap_err(),
            "Token format is invalid"
        );
    }
}
