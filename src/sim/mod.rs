//! Simulated Jira.
