//! Epps-Singleton two-sample test, as scipy.stats.epps_singleton_2samp.
