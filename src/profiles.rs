//! Verbosity profiles.
