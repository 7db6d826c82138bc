//! The `AccessLogValve` pattern: compiled once, then used to split lines on bytes.
