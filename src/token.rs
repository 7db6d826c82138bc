//! PAT token ids.
