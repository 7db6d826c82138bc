//! Log scanner.
