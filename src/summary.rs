//! Per-token summary.
