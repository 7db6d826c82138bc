//! Scripted clients for the demo and capture tests.
