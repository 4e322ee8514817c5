//! Fisher's exact test on a 2x2 table, as scipy.stats.fisher_exact (two-sided).
