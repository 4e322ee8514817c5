//! Mann-Whitney U test, as scipy.stats.mannwhitneyu with method auto.
