//! Two-sample Cramer-von Mises test, as evidently's copy of scipy.stats.cramervonmises_2samp.
