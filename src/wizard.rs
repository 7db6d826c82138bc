//! Guided setup.
