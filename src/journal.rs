//! Level journal.
