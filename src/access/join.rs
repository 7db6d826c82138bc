//! The join of PAT requests to access-log lines.
