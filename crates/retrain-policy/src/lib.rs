//! Retraining decisions from drift reports, live performance and business guardrails.
//!
//! This crate will hold the policy (rules over signals combined with all/any), the
//! guardrails (cooldown, rolling caps, freeze windows, budget, circuit breaker, hysteresis),
//! the `RetrainDecision` that explains itself, and the durable job queue (a trait with an
//! embedded SQLite implementation) with its dispatchers.
//!
//! It is empty until its issue lands; nothing here pretends to decide yet.
