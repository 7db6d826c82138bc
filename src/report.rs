//! Summary renderers.
