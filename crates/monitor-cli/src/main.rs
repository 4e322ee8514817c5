//! The `monitor` binary.
fn main() {}
