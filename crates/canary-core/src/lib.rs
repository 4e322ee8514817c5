//! Canary analysis for model rollouts: pure data in, verdicts out.
//!
//! This crate will hold the canary judge (Kayenta-style Mann-Whitney classification with
//! rate metrics tested as rates and an honest `Inconclusive` below a minimum sample count),
//! the rollout state machine (Argo Rollouts' step and analysis semantics) and the paired
//! shadow comparison. Like `drift-core` it is a leaf: no I/O, no clock, no async runtime.
//!
//! It is empty until its issue lands; nothing here pretends to judge a canary yet.
