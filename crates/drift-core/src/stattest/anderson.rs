//! Anderson-Darling k-sample test (two samples), as scipy.stats.anderson_ksamp.
