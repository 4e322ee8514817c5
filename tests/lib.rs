//! End-to-end tests of the `monitor` binary live in `tests.rs`; this library is empty.
