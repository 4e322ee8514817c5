//! The 1M-per-side samples of `reference/values/scipy_cvm_anderson.json`, rebuilt from the
//! formula the reference script uses (values `k / denominator`), for the tests of `cvm` and
//! `anderson`.

use serde_json::Value;
use test_support::sorted;

/// Both samples of one `large` entry, sorted.
pub(crate) fn large_samples(entry: &Value) -> (Vec<f64>, Vec<f64>) {
    let get = |key: &str| entry[key].as_u64().expect(key);
    let (n, modulus, shift) = (get("n"), get("modulus"), get("shift_units"));
    let denominator = get("denominator") as f64;
    let x = (0..n)
        .map(|i| ((i * get("mult_x")) % modulus) as f64 / denominator)
        .collect();
    let y = (0..n)
        .map(|i| (((i * get("mult_y") + get("add_y")) % modulus) + shift) as f64 / denominator)
        .collect();
    (sorted(x), sorted(y))
}
