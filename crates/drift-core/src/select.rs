//! Automatic test selection, by evidently's rule.

use crate::column::ColumnKind;
use crate::stattest::StatTest;

/// Reference sizes up to this use the small-sample tests (evidently: 1000 rows).
const SMALL_REFERENCE_ROWS: usize = 1000;

/// evidently's `_get_default_stattest`: the test for a column from the reference's row count
/// (after cleaning), the column kind and the number of distinct values over both sides.
///
/// | reference rows | kind        | distinct values | test            |
/// |----------------|-------------|-----------------|-----------------|
/// | <= 1000        | numeric     | > 5             | `ks`            |
/// | <= 1000        | any         | 3 to 5 (any for categorical) | `chisquare` |
/// | <= 1000        | any         | <= 2            | `z`             |
/// | > 1000         | numeric     | > 5             | `wasserstein`   |
/// | > 1000         | numeric <= 5, or categorical |  | `jensenshannon` |
pub fn auto_test(kind: ColumnKind, n_reference: usize, n_unique_both: usize) -> StatTest {
    let few_values = n_unique_both <= 5;
    if n_reference <= SMALL_REFERENCE_ROWS {
        match kind {
            ColumnKind::Numeric if !few_values => StatTest::Ks,
            _ if n_unique_both > 2 => StatTest::ChiSquare,
            _ => StatTest::Z,
        }
    } else {
        match kind {
            ColumnKind::Numeric if !few_values => StatTest::Wasserstein,
            _ => StatTest::JensenShannon,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_evidently_boundaries() {
        assert_eq!(auto_test(ColumnKind::Numeric, 1000, 6), StatTest::Ks);
        assert_eq!(
            auto_test(ColumnKind::Numeric, 1001, 6),
            StatTest::Wasserstein
        );
        assert_eq!(auto_test(ColumnKind::Numeric, 1000, 5), StatTest::ChiSquare);
        assert_eq!(auto_test(ColumnKind::Numeric, 1000, 2), StatTest::Z);
        assert_eq!(
            auto_test(ColumnKind::Numeric, 5000, 5),
            StatTest::JensenShannon
        );
        assert_eq!(
            auto_test(ColumnKind::Categorical, 10, 40),
            StatTest::ChiSquare
        );
        assert_eq!(auto_test(ColumnKind::Categorical, 10, 2), StatTest::Z);
        assert_eq!(
            auto_test(ColumnKind::Categorical, 1001, 2),
            StatTest::JensenShannon
        );
    }
}
