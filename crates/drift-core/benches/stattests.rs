//! Benchmarks of every drift test.
fn main() {}
