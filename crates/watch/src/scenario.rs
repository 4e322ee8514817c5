//! A seeded synthetic stream for `monitor demo`, the benchmarks and the tests (being written).
