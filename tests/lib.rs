//! End-to-end tests of the `monitor` binary live in `tests/tests.rs`.
