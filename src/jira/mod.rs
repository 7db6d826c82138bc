//! Jira HTTP client.
