//! Two-sample t-test with pooled variance, as scipy.stats.ttest_ind.
