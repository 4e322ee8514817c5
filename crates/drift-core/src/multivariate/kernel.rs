//! Blocked kernel sums behind MMD: the exact Gaussian kernel and random Fourier features, on threads.
//!
//! Every statistic of [`super::mmd`] (the observed split and each permutation) needs three
//! numbers, with `z` the 0/1 membership of the split's first set and `K` the kernel matrix
//! with a zero diagonal: `zᵀKz`, `zᵀK1` and `1ᵀK1` ([`KernelSums`]). The exact pass forms
//! `K` one square block at a time (squared distances as `‖a‖² + ‖b‖² − 2a·b` with a GEMM,
//! clamped at 0, then `exp`), only on and above the block diagonal, and multiplies each
//! block by the memberships of its columns with a second GEMM; nothing of size `N²` is
//! stored. The random-features pass embeds the rows block by block and sums the embeddings
//! of each split's first set with a GEMM, so nothing of size `N · D` is stored either.
//!
//! Work is cut into tasks by a fixed partition that depends on the data's size only; the
//! threads take tasks in any order but their results are folded in task order, so the sums
//! are bit-identical for any number of threads.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2};

/// Rows (and columns) per block of the exact kernel.
const KERNEL_BLOCK: usize = 256;
/// Rows per task of the random-features pass.
const FEATURE_TASK: usize = 4096;
/// Rows embedded at once within a random-features task.
const FEATURE_BLOCK: usize = 256;

/// The pooled rows, reference first, row-major `total × cols`.
pub(super) struct Rows<'a> {
    /// The values.
    pub values: &'a [f64],
    /// Values per row.
    pub cols: usize,
    /// The number of rows (given, so that rows of no columns still count).
    pub total: usize,
}

impl Rows<'_> {
    fn total(&self) -> usize {
        self.total
    }

    /// Rows `start..end` as one row-major slice.
    fn block(&self, start: usize, end: usize) -> &[f64] {
        &self.values[start * self.cols..end * self.cols]
    }
}

/// Which pooled rows each split puts in its first set: split 0 is the observed one, then
/// one per permutation. Stored as one byte per row and split, `O(N · P)`.
pub(super) struct Splits {
    member: Vec<u8>,
    count: usize,
}

impl Splits {
    /// `count` splits of `total` rows, every first set empty.
    pub(super) fn new(total: usize, count: usize) -> Self {
        Splits {
            member: vec![0; total * count],
            count,
        }
    }

    /// Puts `rows` in the first set of split `split`.
    pub(super) fn mark(&mut self, split: usize, rows: impl IntoIterator<Item = usize>) {
        for i in rows {
            self.member[i * self.count + split] = 1;
        }
    }

    /// The number of splits.
    pub(super) fn count(&self) -> usize {
        self.count
    }

    /// Rows `start..end` of the membership as 0/1 floats, row-major with `width >= count`
    /// columns; the columns past `count` are 1 (every row).
    fn block(&self, start: usize, end: usize, width: usize, out: &mut Vec<f64>) {
        out.clear();
        for row in self.member[start * self.count..end * self.count].chunks_exact(self.count) {
            out.extend(row.iter().map(|&m| f64::from(m)));
            out.extend(std::iter::repeat_n(1.0, width - self.count));
        }
    }
}

/// The kernel sums of every split, `K` being the kernel matrix with its diagonal zeroed.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct KernelSums {
    /// Per split, `zᵀKz`: the sum over ordered pairs `i ≠ j` both in the first set.
    pub within_first: Vec<f64>,
    /// Per split, `zᵀK1`: the sum over ordered pairs `i ≠ j` with `i` in the first set.
    pub first_to_all: Vec<f64>,
    /// `1ᵀK1`: the sum over all ordered pairs `i ≠ j`.
    pub total: f64,
}

impl KernelSums {
    fn zero(splits: usize) -> Self {
        KernelSums {
            within_first: vec![0.0; splits],
            first_to_all: vec![0.0; splits],
            total: 0.0,
        }
    }

    fn add(&mut self, other: &KernelSums) {
        add_into(&mut self.within_first, &other.within_first);
        add_into(&mut self.first_to_all, &other.first_to_all);
        self.total += other.total;
    }
}

fn add_into(sum: &mut [f64], part: &[f64]) {
    for (s, p) in sum.iter_mut().zip(part) {
        *s += p;
    }
}

/// `c = alpha · a · b + beta · c` for row-major `a` (`m × k`), `c` (`m × n`) and `b`, which
/// is `k × n` row-major, or its transpose stored row-major (`n × k`) when `b_transposed`.
#[allow(clippy::too_many_arguments)] // the GEMM's own parameter list
fn gemm(
    (m, k, n): (usize, usize, usize),
    alpha: f64,
    a: &[f64],
    b: &[f64],
    b_transposed: bool,
    beta: f64,
    c: &mut [f64],
) {
    let a = ArrayView2::from_shape((m, k), a).expect("a is m x k");
    let mut c = ArrayViewMut2::from_shape((m, n), c).expect("c is m x n");
    if b_transposed {
        let b = ArrayView2::from_shape((n, k), b).expect("b is n x k");
        general_mat_mul(alpha, &a, &b.t(), beta, &mut c);
    } else {
        let b = ArrayView2::from_shape((k, n), b).expect("b is k x n");
        general_mat_mul(alpha, &a, &b, beta, &mut c);
    }
}

/// Runs `task(0..n_tasks)` on up to `threads` threads and folds the results into `init`
/// in task order, whatever order they finish in.
fn ordered_fold<T: Send, A: Send>(
    n_tasks: usize,
    threads: usize,
    init: A,
    task: impl Fn(usize) -> T + Sync,
    fold: impl Fn(&mut A, T) + Sync,
) -> A {
    let threads = threads.clamp(1, n_tasks.max(1));
    if threads == 1 {
        let mut acc = init;
        for t in 0..n_tasks {
            fold(&mut acc, task(t));
        }
        return acc;
    }
    struct State<A, T> {
        acc: A,
        next: usize,
        ready: BTreeMap<usize, T>,
    }
    let state = Mutex::new(State {
        acc: init,
        next: 0,
        ready: BTreeMap::new(),
    });
    let counter = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let t = counter.fetch_add(1, Ordering::Relaxed);
                    if t >= n_tasks {
                        break;
                    }
                    let result = task(t);
                    let mut guard = state.lock().unwrap_or_else(PoisonError::into_inner);
                    let state = &mut *guard;
                    state.ready.insert(t, result);
                    while let Some(result) = state.ready.remove(&state.next) {
                        fold(&mut state.acc, result);
                        state.next += 1;
                    }
                }
            });
        }
    });
    state
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
        .acc
}

/// The exact kernel sums under `k(a, b) = exp(-gamma · ‖a − b‖²)`.
///
/// Task `I` takes the row block `I` and every column block `J ≥ I`: for `J > I` the block
/// stands for itself and its mirror `K_JI = K_IJᵀ`, so `zᵀKz` gets `2 · z_Iᵀ K_IJ z_J` and
/// `zᵀK1` gets the block's row sums (rows `I`) and column sums (rows `J`).
pub(super) fn exact_sums(
    rows: &Rows<'_>,
    gamma: f64,
    splits: &Splits,
    threads: usize,
) -> KernelSums {
    let total = rows.total();
    let norms: Vec<f64> = (0..total)
        .map(|i| rows.block(i, i + 1).iter().map(|v| v * v).sum())
        .collect();
    let n_blocks = total.div_ceil(KERNEL_BLOCK);
    let task = |i_block: usize| exact_task(rows, &norms, gamma, splits, i_block, n_blocks);
    ordered_fold(
        n_blocks,
        threads,
        KernelSums::zero(splits.count()),
        task,
        |acc, part| acc.add(&part),
    )
}

fn block_range(block: usize, size: usize, total: usize) -> (usize, usize) {
    (block * size, ((block + 1) * size).min(total))
}

fn exact_task(
    rows: &Rows<'_>,
    norms: &[f64],
    gamma: f64,
    splits: &Splits,
    i_block: usize,
    n_blocks: usize,
) -> KernelSums {
    let total = rows.total();
    let s = splits.count();
    let (i0, i1) = block_range(i_block, KERNEL_BLOCK, total);
    let bi = i1 - i0;
    let x_i = rows.block(i0, i1);
    let mut part = KernelSums::zero(s);
    // Σ_J α_J K_IJ Z_J, bi × s
    let mut weighted = vec![0.0; bi * s];
    let mut row_sums = vec![0.0; bi];
    let mut kernel = vec![0.0; bi * KERNEL_BLOCK];
    let mut column_sums = vec![0.0; KERNEL_BLOCK];
    let mut z = Vec::with_capacity(KERNEL_BLOCK * s);
    for j_block in i_block..n_blocks {
        let (j0, j1) = block_range(j_block, KERNEL_BLOCK, total);
        let bj = j1 - j0;
        let kernel = &mut kernel[..bi * bj];
        gemm(
            (bi, rows.cols, bj),
            1.0,
            x_i,
            rows.block(j0, j1),
            true,
            0.0,
            kernel,
        );
        let diagonal = j_block == i_block;
        let column_sums = &mut column_sums[..bj];
        column_sums.fill(0.0);
        for (a, k_row) in kernel.chunks_exact_mut(bj).enumerate() {
            let norm_a = norms[i0 + a];
            for (k, &norm_b) in k_row.iter_mut().zip(&norms[j0..j1]) {
                let squared = (norm_a + norm_b - 2.0 * *k).max(0.0);
                *k = (-gamma * squared).exp();
            }
            if diagonal {
                k_row[a] = 0.0;
            }
            row_sums[a] += k_row.iter().sum::<f64>();
            if !diagonal {
                add_into(column_sums, k_row);
            }
        }
        splits.block(j0, j1, s, &mut z);
        gemm(
            (bi, bj, s),
            if diagonal { 1.0 } else { 2.0 },
            kernel,
            &z,
            false,
            1.0,
            &mut weighted,
        );
        if !diagonal {
            for (&c, z_row) in column_sums.iter().zip(z.chunks_exact(s)) {
                for (u, &m) in part.first_to_all.iter_mut().zip(z_row) {
                    *u += m * c;
                }
            }
            part.total += column_sums.iter().sum::<f64>();
        }
    }
    splits.block(i0, i1, s, &mut z);
    for ((z_row, w_row), &r) in z
        .chunks_exact(s)
        .zip(weighted.chunks_exact(s))
        .zip(&row_sums)
    {
        for p in 0..s {
            part.within_first[p] += z_row[p] * w_row[p];
            part.first_to_all[p] += z_row[p] * r;
        }
    }
    part.total += row_sums.iter().sum::<f64>();
    part
}

/// A random Fourier embedding `z(x) = scale · cos(W x + b)`.
pub(super) struct Features<'a> {
    /// `W`, row-major `features × cols`.
    pub weights: &'a [f64],
    /// `b`, one per feature.
    pub offsets: &'a [f64],
    /// `sqrt(2 / features)`.
    pub scale: f64,
}

/// The kernel sums under `k(a, b) = z(a)·z(b)`: with `F` the sum of the first set's
/// embeddings, `A` the sum of all and `Σ‖z‖²` the diagonal, `zᵀKz = ‖F‖² − Σ_first ‖z‖²`,
/// `zᵀK1 = F·A − Σ_first ‖z‖²` and `1ᵀK1 = ‖A‖² − Σ_all ‖z‖²`.
pub(super) fn feature_sums(
    rows: &Rows<'_>,
    features: &Features<'_>,
    splits: &Splits,
    threads: usize,
) -> KernelSums {
    let total = rows.total();
    let n_features = features.offsets.len();
    let s = splits.count();
    // (s + 1) × (D + 1): per split (then all rows), the sum of the embeddings and, last,
    // of their squared norms
    let width = n_features + 1;
    let n_tasks = total.div_ceil(FEATURE_TASK);
    let task = |t: usize| {
        let (start, end) = block_range(t, FEATURE_TASK, total);
        let mut sums = vec![0.0; (s + 1) * width];
        let mut projected = vec![0.0; FEATURE_BLOCK * n_features];
        let mut embedded = vec![0.0; FEATURE_BLOCK * width];
        let mut z = Vec::with_capacity(FEATURE_BLOCK * (s + 1));
        for block_start in (start..end).step_by(FEATURE_BLOCK) {
            let block_end = (block_start + FEATURE_BLOCK).min(end);
            let b = block_end - block_start;
            let projected = &mut projected[..b * n_features];
            gemm(
                (b, rows.cols, n_features),
                1.0,
                rows.block(block_start, block_end),
                features.weights,
                true,
                0.0,
                projected,
            );
            let embedded = &mut embedded[..b * width];
            for (out, proj) in embedded
                .chunks_exact_mut(width)
                .zip(projected.chunks_exact(n_features))
            {
                let mut norm = 0.0;
                for ((e, &p), &offset) in out.iter_mut().zip(proj).zip(features.offsets) {
                    *e = features.scale * (p + offset).cos();
                    norm += *e * *e;
                }
                out[n_features] = norm;
            }
            splits.block(block_start, block_end, s + 1, &mut z);
            // sums += zᵀ · embedded: z is b × (s + 1) row-major, so zᵀ is its transpose
            let z_t = ArrayView2::from_shape((b, s + 1), &z[..]).expect("z is b x (s + 1)");
            let e = ArrayView2::from_shape((b, width), &embedded[..]).expect("b x width");
            let mut out =
                ArrayViewMut2::from_shape((s + 1, width), &mut sums[..]).expect("(s + 1) x width");
            general_mat_mul(1.0, &z_t.t(), &e, 1.0, &mut out);
        }
        sums
    };
    let sums = ordered_fold(
        n_tasks,
        threads,
        vec![0.0; (s + 1) * width],
        task,
        |acc, part| add_into(acc, &part),
    );
    let dot = |a: &[f64], b: &[f64]| -> f64 { a.iter().zip(b).map(|(x, y)| x * y).sum() };
    let all = &sums[s * width..(s + 1) * width];
    let (all_sum, all_norms) = (&all[..n_features], all[n_features]);
    let mut result = KernelSums::zero(s);
    for (p, first) in sums.chunks_exact(width).take(s).enumerate() {
        let (first_sum, first_norms) = (&first[..n_features], first[n_features]);
        result.within_first[p] = dot(first_sum, first_sum) - first_norms;
        result.first_to_all[p] = dot(first_sum, all_sum) - first_norms;
    }
    result.total = dot(all_sum, all_sum) - all_norms;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn splits_of(total: usize, sets: &[Vec<u32>]) -> Splits {
        let mut splits = Splits::new(total, sets.len());
        for (split, set) in sets.iter().enumerate() {
            splits.mark(split, set.iter().map(|&i| i as usize));
        }
        splits
    }

    /// Straight from the definitions, with the kernel matrix in memory.
    fn naive_sums(values: &[f64], cols: usize, gamma: f64, sets: &[Vec<u32>]) -> KernelSums {
        let total = values.len() / cols;
        let row = |i: usize| &values[i * cols..(i + 1) * cols];
        let k = |i: usize, j: usize| {
            if i == j {
                0.0
            } else {
                let d: f64 = row(i)
                    .iter()
                    .zip(row(j))
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum();
                (-gamma * d).exp()
            }
        };
        let mut sums = KernelSums::zero(sets.len());
        for (p, set) in sets.iter().enumerate() {
            let mut member = vec![false; total];
            for &i in set {
                member[i as usize] = true;
            }
            for i in (0..total).filter(|&i| member[i]) {
                for (j, &in_first) in member.iter().enumerate() {
                    sums.first_to_all[p] += k(i, j);
                    if in_first {
                        sums.within_first[p] += k(i, j);
                    }
                }
            }
        }
        sums.total = (0..total)
            .flat_map(|i| (0..total).map(move |j| (i, j)))
            .map(|(i, j)| k(i, j))
            .sum();
        sums
    }

    fn data(total: usize, cols: usize) -> Vec<f64> {
        let mut rng = crate::rng::SeededRng::new(17);
        (0..total * cols).map(|_| 3.0 * rng.uniform()).collect()
    }

    fn sets(total: usize, first: usize, count: usize) -> Vec<Vec<u32>> {
        let mut rng = crate::rng::SeededRng::new(5);
        (0..count)
            .map(|_| {
                let mut order: Vec<u32> = (0..total as u32).collect();
                rng.choose_front(&mut order, first);
                order.truncate(first);
                order
            })
            .collect()
    }

    fn assert_sums_close(got: &KernelSums, want: &KernelSums) {
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-11 * b.abs().max(1.0);
        assert!(
            close(got.total, want.total),
            "{} vs {}",
            got.total,
            want.total
        );
        for p in 0..want.within_first.len() {
            assert!(
                close(got.within_first[p], want.within_first[p]),
                "split {p}"
            );
            assert!(
                close(got.first_to_all[p], want.first_to_all[p]),
                "split {p}"
            );
        }
    }

    #[test]
    fn blocked_exact_sums_equal_the_definition_across_several_blocks() {
        // 600 rows: three row blocks, the last one partial
        let (total, cols) = (600, 3);
        let values = data(total, cols);
        let sets = sets(total, 350, 4);
        let rows = Rows {
            values: &values,
            cols,
            total,
        };
        let got = exact_sums(&rows, 0.4, &splits_of(total, &sets), 1);
        assert_sums_close(&got, &naive_sums(&values, cols, 0.4, &sets));
    }

    #[test]
    fn results_are_bit_identical_for_any_thread_count() {
        let (total, cols) = (1100, 4);
        let values = data(total, cols);
        let sets = sets(total, 500, 6);
        let splits = splits_of(total, &sets);
        let rows = Rows {
            values: &values,
            cols,
            total,
        };
        let one = exact_sums(&rows, 0.3, &splits, 1);
        for threads in [2, 3] {
            assert_eq!(
                exact_sums(&rows, 0.3, &splits, threads),
                one,
                "{threads} threads"
            );
        }
        let weights = data(50, cols);
        let offsets = data(50, 1);
        let features = Features {
            weights: &weights,
            offsets: &offsets,
            scale: 0.2,
        };
        // 9000 rows: three feature tasks
        let (total, values) = (9000, data(9000, cols));
        let splits = splits_of(total, &self::sets(total, 4000, 3));
        let rows = Rows {
            values: &values,
            cols,
            total,
        };
        let one = feature_sums(&rows, &features, &splits, 1);
        for threads in [2, 3] {
            assert_eq!(
                feature_sums(&rows, &features, &splits, threads),
                one,
                "{threads} threads"
            );
        }
    }

    #[test]
    fn feature_sums_equal_the_definition_under_the_feature_kernel() {
        let (total, cols, n_features) = (300, 2, 7);
        let values = data(total, cols);
        let weights = data(n_features, cols);
        let offsets = data(n_features, 1);
        let features = Features {
            weights: &weights,
            offsets: &offsets,
            scale: 0.5,
        };
        let sets = sets(total, 120, 3);
        let rows = Rows {
            values: &values,
            cols,
            total,
        };
        let got = feature_sums(&rows, &features, &splits_of(total, &sets), 2);
        let embed = |i: usize| -> Vec<f64> {
            (0..n_features)
                .map(|k| {
                    let dot: f64 = (0..cols)
                        .map(|c| weights[k * cols + c] * values[i * cols + c])
                        .sum();
                    0.5 * (dot + offsets[k]).cos()
                })
                .collect()
        };
        let embedded: Vec<Vec<f64>> = (0..total).map(embed).collect();
        let k = |i: usize, j: usize| -> f64 {
            if i == j {
                0.0
            } else {
                embedded[i]
                    .iter()
                    .zip(&embedded[j])
                    .map(|(a, b)| a * b)
                    .sum()
            }
        };
        let mut want = KernelSums::zero(sets.len());
        for (p, set) in sets.iter().enumerate() {
            for &i in set {
                for j in 0..total {
                    want.first_to_all[p] += k(i as usize, j);
                }
                for &j in set {
                    want.within_first[p] += k(i as usize, j as usize);
                }
            }
        }
        want.total = (0..total)
            .map(|i| (0..total).map(|j| k(i, j)).sum::<f64>())
            .sum();
        assert_sums_close(&got, &want);
    }
}
