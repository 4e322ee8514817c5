//! Mergeable, bounded-size column profiles and drift computed from them.
//!
//! Filled in by issue 4; see `docs/profiles.md`.
