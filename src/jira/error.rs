//! What can go wrong talking to Jira, as cases callers branch on. Each message is one or
//! two lines: what happened, then what to do. No variant carries a token or a password
//! (the client never puts one in a URL, and reqwest errors are reduced to their kind).

use crate::level::Level;

/// A failure talking to Jira; its message says what happened and what to do.
#[derive(Debug, thiserror::Error)]
pub enum JiraError {
    /// The base URL cannot be used (or a value meant for a URL part is not one).
    #[error("bad Jira URL '{url}': {why}")]
    BadUrl {
        /// Jira's base URL as given.
        url: String,
        /// What is wrong with it.
        why: String,
    },

    /// No connection (DNS, refused, reset, proxy).
    #[error(
        "cannot reach Jira at {url}: {reason}\ncheck --url / JIRA_URL, the network and any proxy"
    )]
    Unreachable {
        /// Jira's base URL as given.
        url: String,
        /// The underlying cause, in words.
        reason: String,
    },

    /// Jira did not answer in time.
    #[error("Jira at {url} did not answer within {secs} s\nretry later or raise --timeout")]
    Timeout {
        /// Jira's base URL as given.
        url: String,
        /// The timeout.
        secs: u64,
    },

    /// The TLS handshake failed: an untrusted certificate, or an unusable `--ca-cert`.
    #[error("the TLS certificate of {url} is not trusted: {reason}\npass the CA that signed it with --ca-cert FILE (PEM); verification is never turned off")]
    Tls {
        /// Jira's base URL as given.
        url: String,
        /// The underlying cause, in words.
        reason: String,
    },

    /// `user` is `None` when the credential was a personal access token.
    #[error("{}", auth_failed(.user.as_deref()))]
    AuthFailed {
        /// The user name.
        user: Option<String>,
    },

    /// Too many failed logins: Jira wants a CAPTCHA first.
    #[error("Jira requires a CAPTCHA for '{user}' after failed logins\nlog in once in a browser to clear it, then retry")]
    CaptchaRequired {
        /// The user name.
        user: String,
    },

    /// Jira refuses password logins altogether.
    #[error("password logins are disabled on this Jira ({detail})\nuse a personal access token (JIRA_TOKEN) instead")]
    BasicAuthDisabled {
        /// What Jira said.
        detail: String,
    },

    /// The account lacks the System Administrators permission.
    #[error("'{user}' is not a Jira System Administrator, which the logging page requires (Jira Administrators is not enough)\nuse an account with the System Administrators global permission")]
    NotAdmin {
        /// The user name.
        user: String,
    },

    /// Login or websudo is handed to an identity provider: no password session possible.
    #[error("{}", single_sign_on(*.stage, .target, *.token_tried))]
    SingleSignOn {
        /// See the message.
        stage: SsoStage,
        /// Where Jira sent us: a path, or the identity provider's host (no query).
        target: String,
        /// A personal access token was tried first and did not get through.
        token_tried: bool,
    },

    /// Websudo stands before the admin page and only a token was given.
    #[error("Jira asks for administrator re-authentication (websudo), which a personal access token alone cannot pass\nset JIRA_USER and JIRA_PASSWORD (same admin account), or have an admin set jira.websudo.is.disabled=true")]
    WebSudoNeedsPassword,

    /// Websudo refused the password.
    #[error("websudo (administrator re-authentication) failed for '{user}': Jira did not accept the password\ncheck JIRA_PASSWORD; nothing was changed")]
    WebSudoFailed {
        /// The user name.
        user: String,
    },

    /// Jira refused the request's XSRF token.
    #[error("Jira rejected the request's XSRF token (atl_token) on {path}; nothing was changed\nretry; if it keeps happening, a proxy may strip the X-Atlassian-Token header")]
    XsrfRejected {
        /// The request path (no query).
        path: String,
    },

    /// Jira kept answering 5xx.
    #[error("Jira answered HTTP {status} on {path} (after {attempts} attempts)\nretry later, or look at Jira's atlassian-jira.log")]
    Server {
        /// The last HTTP status.
        status: u16,
        /// The request path (no query).
        path: String,
        /// How many requests were made.
        attempts: u32,
    },

    /// Something answered at the URL, but not Jira: its REST API is not there (a 404).
    #[error("{url} answered, but not as Jira: {path} gave HTTP {status}\ncheck the URL: it may lack Jira's context path (e.g. https://host/jira) or name another server")]
    NotJira {
        /// Jira's base URL as given.
        url: String,
        /// The request path (no query).
        path: String,
        /// The HTTP status it answered.
        status: u16,
    },

    /// An answer jira-patrol does not know how to read.
    #[error("unexpected answer from Jira on {path}: {what}\nthis Jira may differ from what jira-patrol knows: run `jira-patrol diagnose` and send the bundle it writes")]
    UnexpectedPage {
        /// The request path (no query).
        path: String,
        /// What was unexpected.
        what: String,
    },

    /// A level change was accepted but reads back differently.
    #[error("Jira accepted {logger} = {wanted} but reads it back as {got}\nruntime level changes may not take effect (Jira 9.5+ needs its log4j2 JVM arguments in setenv.sh)")]
    LevelNotApplied {
        /// The logger.
        logger: String,
        /// The level asked for.
        wanted: Level,
        /// The level read back.
        got: String,
    },

    /// A level change was accepted for a logger the logging page does not list.
    #[error("Jira accepted {logger} = {wanted}, but Jira's logging page does not show this logger, so the level cannot be read back\nits level before the change was not visible either: check the log it writes to, and set it back by hand if needed")]
    HiddenLogger {
        /// The logger.
        logger: String,
        /// The level asked for.
        wanted: Level,
    },

    /// The token search refused the caller's permission (the plugin's 401
    /// `AuthorisationException`, or a 403): only System Administrators see every user's tokens.
    #[error("'{user}' is not a System Administrator, and Jira lists every user's personal access tokens only to System Administrators: use an account with that global permission")]
    TokenSearchForbidden {
        /// The user name.
        user: String,
    },

    /// The token search answered its invalid-licence error: it exists on Data Center only.
    #[error("only Jira Data Center lists every user's personal access tokens, and this Jira's licence is not Data Center (Jira says: {message}); on Server each user sees their own under Profile > Personal Access Tokens")]
    ServerLicence {
        /// Jira's own message.
        message: String,
    },

    /// Any other HTTP-level failure.
    #[error("HTTP error talking to {url}: {reason}")]
    Http {
        /// Jira's base URL as given.
        url: String,
        /// The underlying cause, in words.
        reason: String,
    },
}

/// Which step Jira handed to single sign-on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SsoStage {
    /// The login itself.
    Login,
    /// Administrator re-authentication.
    WebSudo,
}

fn single_sign_on(stage: SsoStage, target: &str, token_tried: bool) -> String {
    let what = match stage {
        SsoStage::Login => "login",
        SsoStage::WebSudo => "administrator re-authentication (websudo)",
    };
    let tried = if token_tried {
        "; the personal access token was tried and did not get past it"
    } else {
        ""
    };
    let pat = if token_tried {
        ""
    } else {
        "a personal access token (JIRA_TOKEN), if this Jira lets it pass websudo; "
    };
    format!(
        "Jira sends its {what} to single sign-on ({target}), so jira-patrol cannot open the password session it needs{tried}\n\
         ways out: {pat}a local administrator account that logs in with a password; or websudo disabled (jira.websudo.is.disabled = true in jira-config.properties)"
    )
}

fn auth_failed(user: Option<&str>) -> String {
    match user {
        None => "Jira did not accept the personal access token (it treated the request as anonymous)\n\
                 the token is unknown, expired or revoked, or its owner is inactive: use a valid token, or use JIRA_USER/JIRA_PASSWORD"
            .to_string(),
        Some(u) => format!(
            "Jira rejected the user name or password for '{u}'\n\
             check JIRA_USER and JIRA_PASSWORD (the account may also be inactive)"
        ),
    }
}

impl JiraError {
    /// What a person can do about this error, in one sentence (the setup wizard's
    /// "what to do"); every kind of error is advised here and nowhere else.
    pub fn advice(&self) -> &'static str {
        match self {
            JiraError::Unreachable { .. }
            | JiraError::Timeout { .. }
            | JiraError::BadUrl { .. }
            | JiraError::NotJira { .. } => {
                "Check the URL (scheme, host, port, context path such as /jira) and that this machine can reach Jira."
            }
            JiraError::Tls { .. } => {
                "Jira's certificate is signed by a CA this machine does not trust: give that CA's certificate (PEM)."
            }
            JiraError::AuthFailed { user: Some(_) } | JiraError::WebSudoFailed { .. } => {
                "Type the password again (it is case-sensitive), or choose another way to log in."
            }
            JiraError::AuthFailed { user: None } => {
                "The token is unknown, expired or revoked, or its owner is inactive: type it again, or create a new one in Jira (Profile > Personal Access Tokens)."
            }
            JiraError::CaptchaRequired { .. } => {
                "Log in once in a browser to clear the CAPTCHA, then try again."
            }
            JiraError::BasicAuthDisabled { .. } => "Use a personal access token instead.",
            JiraError::NotAdmin { .. } => {
                "Changing log levels needs the System Administrators permission: log in with such an account."
            }
            JiraError::WebSudoNeedsPassword => {
                "Jira asks admins to re-enter their password (websudo) and a token alone cannot: use the user name and password of the same admin account."
            }
            _ => "Try again; if it persists, look at Jira's atlassian-jira.log.",
        }
    }

    /// Errors worth retrying (the server or the network may recover).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            JiraError::Unreachable { .. } | JiraError::Timeout { .. } | JiraError::Server { .. }
        )
    }
}
