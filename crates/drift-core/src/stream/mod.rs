//! Streaming change detectors (ADWIN, Page-Hinkley, DDM, EDDM, HDDM_A, HDDM_W, KSWIN, CUSUM).
//!
//! Filled in by issue 4; see `docs/detectors.md`.
