//! Timed capture windows (issue 5).
