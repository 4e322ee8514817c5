//! Column builders shared by the readers: kind inference, forced kinds, interned labels.

use std::hash::{BuildHasher, Hasher};

use drift_core::{ColumnData, NumericValues};

use crate::error::excerpt;

/// The kind a caller asked for, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Forced {
    /// Numeric while every value is a number, categorical after.
    Auto,
    /// Every non-missing value must be a number.
    Numeric,
    /// Every value is a label, numbers included (as written in text files).
    Categorical,
}

/// Why a value could not be added; the reader adds the file and the position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PushError {
    /// A value in a column forced numeric that is not a number (the value, cut short).
    NotANumber(String),
    /// More distinct labels than `u32` codes.
    TooManyLabels,
}

/// Empty cells, `NA` and `null` (any case) are missing values.
pub(crate) fn is_missing(text: &str) -> bool {
    text.is_empty() || text.eq_ignore_ascii_case("na") || text.eq_ignore_ascii_case("null")
}

/// Parses a number as `str::parse::<f64>` does, with a shortcut for plain decimals.
///
/// `[+-]digits[.digits]` with at most 19 digits whose integer mantissa is at most 2^53
/// and with at most 22 decimals is `mantissa / 10^decimals`: both exact in `f64`, so the
/// one division rounds correctly and gives the same value as `str::parse` (the fast path
/// of Clinger, 1990). Anything else (exponents, `NaN`, `inf`, long mantissas) goes to
/// `str::parse`.
#[inline]
pub(crate) fn parse_number(text: &str) -> Result<f64, std::num::ParseFloatError> {
    const POW10: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    let bytes = text.as_bytes();
    let (negative, digits) = match bytes {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, bytes),
    };
    if (1..=20).contains(&digits.len()) {
        let mut mantissa: u64 = 0;
        let mut decimals = 0usize;
        let mut dot = false;
        let mut plain = true;
        for &b in digits {
            match b {
                b'0'..=b'9' => {
                    // wraps only past 19 digits, which are refused below
                    mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(b - b'0'));
                    decimals += usize::from(dot);
                }
                b'.' if !dot => dot = true,
                _ => {
                    plain = false;
                    break;
                }
            }
        }
        let n_digits = digits.len() - usize::from(dot);
        if plain
            && (1..=19).contains(&n_digits)
            && mantissa <= 1 << 53
            && let Some(scale) = POW10.get(decimals)
        {
            let value = if decimals == 0 {
                mantissa as f64
            } else {
                mantissa as f64 / scale
            };
            return Ok(if negative { -value } else { value });
        }
    }
    text.parse::<f64>()
}

/// `str::trim`, skipped when both ends are visible ASCII (the usual field).
#[inline]
fn trim(text: &str) -> &str {
    let bytes = text.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) if first.is_ascii_graphic() && last.is_ascii_graphic() => text,
        _ => text.trim(),
    }
}

/// The label of a number in a categorical column: its shortest round-trip form.
pub(crate) fn number_label(value: f64) -> String {
    value.to_string()
}

/// A column being built: numeric while every value is a number, categorical after.
pub(crate) struct ColumnBuilder {
    forced: Forced,
    values: Values,
}

enum Values {
    Numeric(NumericValues),
    Categorical {
        interner: Interner,
        codes: Vec<Option<u32>>,
    },
}

impl ColumnBuilder {
    /// An empty column of the given forced kind.
    pub(crate) fn new(forced: Forced) -> Self {
        let values = match forced {
            Forced::Categorical => Values::Categorical {
                interner: Interner::default(),
                codes: Vec::new(),
            },
            Forced::Auto | Forced::Numeric => Values::Numeric(NumericValues::default()),
        };
        ColumnBuilder { forced, values }
    }

    /// Rows so far.
    pub(crate) fn len(&self) -> usize {
        match &self.values {
            Values::Numeric(values) => values.len(),
            Values::Categorical { codes, .. } => codes.len(),
        }
    }

    /// Makes room for `additional` more rows.
    pub(crate) fn reserve(&mut self, additional: usize) {
        match &mut self.values {
            Values::Numeric(values) => values.reserve(additional),
            Values::Categorical { codes, .. } => codes.reserve(additional),
        }
    }

    /// A missing value.
    pub(crate) fn push_missing(&mut self) {
        match &mut self.values {
            Values::Numeric(values) => values.push(None),
            Values::Categorical { codes, .. } => codes.push(None),
        }
    }

    /// `count` missing values (a JSON key first seen late).
    pub(crate) fn push_missing_n(&mut self, count: usize) {
        match &mut self.values {
            Values::Numeric(values) => values.push_missing(count),
            Values::Categorical { codes, .. } => codes.resize(codes.len() + count, None),
        }
    }

    /// Text whose kind is inferred (a CSV field, a JSON string): trimmed, and missing when
    /// empty, `NA` or `null`.
    #[inline]
    pub(crate) fn push_text(&mut self, text: &str) -> Result<(), PushError> {
        let text = trim(text);
        if is_missing(text) {
            self.push_missing();
            return Ok(());
        }
        if let Values::Numeric(values) = &mut self.values {
            match parse_number(text) {
                Ok(value) => {
                    values.push(Some(value));
                    return Ok(());
                }
                Err(_) if self.forced == Forced::Numeric => {
                    return Err(PushError::NotANumber(excerpt(text)));
                }
                Err(_) => self.become_categorical()?,
            }
        }
        self.push_interned(text)
    }

    /// A number by type (a JSON number, a Parquet numeric value).
    pub(crate) fn push_number(&mut self, value: f64) -> Result<(), PushError> {
        match &mut self.values {
            Values::Numeric(values) => {
                values.push(Some(value));
                Ok(())
            }
            Values::Categorical { .. } => self.push_interned(&number_label(value)),
        }
    }

    /// A label by type (a JSON boolean, a Parquet string): taken as it is, and makes the
    /// column categorical unless it is forced numeric, where it must parse as a number.
    pub(crate) fn push_label(&mut self, label: &str) -> Result<(), PushError> {
        if let Values::Numeric(values) = &mut self.values {
            if self.forced == Forced::Numeric {
                let value = label
                    .trim()
                    .parse::<f64>()
                    .map_err(|_| PushError::NotANumber(excerpt(label)))?;
                values.push(Some(value));
                return Ok(());
            }
            self.become_categorical()?;
        }
        self.push_interned(label)
    }

    #[cfg_attr(not(feature = "parquet"), allow(dead_code))] // used by the Parquet reader
    /// Makes the column categorical (numbers so far become labels), unless forced numeric.
    /// Returns whether it is categorical now.
    pub(crate) fn make_categorical(&mut self) -> Result<bool, PushError> {
        if self.forced == Forced::Numeric {
            return Ok(false);
        }
        self.become_categorical()?;
        Ok(true)
    }

    #[cfg_attr(not(feature = "parquet"), allow(dead_code))] // used by the Parquet reader
    /// The code of a label (the column must be categorical; see [`Self::make_categorical`]).
    pub(crate) fn intern(&mut self, label: &str) -> Result<u32, PushError> {
        match &mut self.values {
            Values::Categorical { interner, .. } => interner.code(label),
            Values::Numeric(_) => Err(PushError::NotANumber(excerpt(label))),
        }
    }

    #[cfg_attr(not(feature = "parquet"), allow(dead_code))] // used by the Parquet reader
    /// A code from [`Self::intern`], or a missing value.
    pub(crate) fn push_code(&mut self, code: Option<u32>) {
        if let Values::Categorical { codes, .. } = &mut self.values {
            codes.push(code);
        }
    }

    fn push_interned(&mut self, label: &str) -> Result<(), PushError> {
        if let Values::Categorical { interner, codes } = &mut self.values {
            codes.push(Some(interner.code(label)?));
        }
        Ok(())
    }

    /// The first label of a numeric column: the numbers so far become labels.
    fn become_categorical(&mut self) -> Result<(), PushError> {
        if let Values::Numeric(values) = &mut self.values {
            let mut interner = Interner::default();
            let mut codes = Vec::with_capacity(values.capacity());
            for value in values.iter() {
                codes.push(match value {
                    Some(value) => Some(interner.code(&number_label(value))?),
                    None => None,
                });
            }
            self.values = Values::Categorical { interner, codes };
        }
        Ok(())
    }

    /// The finished column, its vectors trimmed to their length.
    pub(crate) fn finish(self) -> ColumnData {
        match self.values {
            Values::Numeric(mut values) => {
                values.shrink_to_fit();
                ColumnData::Numeric(values)
            }
            Values::Categorical {
                interner,
                mut codes,
            } => {
                codes.shrink_to_fit();
                ColumnData::Categorical {
                    labels: interner.into_labels(),
                    codes,
                }
            }
        }
    }
}

/// Labels to `u32` codes, in first-seen order, each label stored once.
///
/// A hash table of codes (hashed by their label) answers every lookup, behind a small
/// direct-mapped cache for labels of up to 16 bytes, compared as two words and a length:
/// most categorical values are short, and a cache hit costs no hashing of bytes nor a
/// string comparison.
pub(crate) struct Interner {
    labels: Vec<String>,
    table: hashbrown::HashTable<u32>,
    cache: Vec<CacheEntry>,
}

/// A cached short label: its bytes as two little-endian words, its length, its code.
#[derive(Clone, Copy, PartialEq, Eq)]
struct CacheEntry {
    low: u64,
    high: u64,
    len: u32,
    code: u32,
}

/// Entries of the cache (a power of two).
const CACHE_SLOTS: usize = 256;

/// A cache entry that matches no label (a length of 17 is never cached).
const EMPTY: CacheEntry = CacheEntry {
    low: 0,
    high: 0,
    len: 17,
    code: 0,
};

impl Default for Interner {
    fn default() -> Self {
        Interner {
            labels: Vec::new(),
            table: hashbrown::HashTable::new(),
            cache: vec![EMPTY; CACHE_SLOTS],
        }
    }
}

/// Two words that, with the length, tell apart any two labels of at most 16 bytes: the
/// bytes are read as (possibly overlapping) little-endian pieces that together cover them
/// all, without a copy of variable length.
#[inline]
fn words(label: &[u8]) -> (u64, u64) {
    let n = label.len();
    let u64_at = |at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&label[at..at + 8]);
        u64::from_le_bytes(w)
    };
    let u32_at = |at: usize| {
        let mut w = [0u8; 4];
        w.copy_from_slice(&label[at..at + 4]);
        u64::from(u32::from_le_bytes(w))
    };
    match n {
        8..=16 => (u64_at(0), u64_at(n - 8)),
        4..=7 => (u32_at(0) | (u32_at(n - 4) << 32), 0),
        1..=3 => (
            u64::from(label[0]) | (u64::from(label[n / 2]) << 8) | (u64::from(label[n - 1]) << 16),
            0,
        ),
        _ => (0, 0),
    }
}

fn hash_label(label: &str) -> u64 {
    FxBuild.hash_one(label)
}

impl Interner {
    /// The label's code, a new one when first seen.
    #[inline]
    pub(crate) fn code(&mut self, label: &str) -> Result<u32, PushError> {
        let bytes = label.as_bytes();
        if bytes.len() > 16 {
            return self.lookup(label);
        }
        let (low, high) = words(bytes);
        let len = bytes.len() as u32;
        let slot = ((low ^ high.rotate_left(29) ^ u64::from(len)).wrapping_mul(FX_K) >> 56)
            as usize
            % CACHE_SLOTS;
        if let Some(entry) = self.cache.get(slot)
            && entry.low == low
            && entry.high == high
            && entry.len == len
        {
            return Ok(entry.code);
        }
        let code = self.lookup(label)?;
        if let Some(entry) = self.cache.get_mut(slot) {
            *entry = CacheEntry {
                low,
                high,
                len,
                code,
            };
        }
        Ok(code)
    }

    /// The label's code from the hash table, a new one when first seen.
    fn lookup(&mut self, label: &str) -> Result<u32, PushError> {
        let hash = hash_label(label);
        let labels = &self.labels;
        if let Some(&code) = self.table.find(hash, |&code| {
            labels.get(code as usize).is_some_and(|l| l == label)
        }) {
            return Ok(code);
        }
        let code = u32::try_from(self.labels.len()).map_err(|_| PushError::TooManyLabels)?;
        self.labels.push(label.to_owned());
        let labels = &self.labels;
        self.table.insert_unique(hash, code, |&code| {
            labels.get(code as usize).map_or(0, |l| hash_label(l))
        });
        Ok(code)
    }

    /// The labels, indexed by code.
    pub(crate) fn into_labels(self) -> Vec<String> {
        self.labels
    }
}

/// A fast non-cryptographic hash (the Fx hash of rustc) for interning short labels.
///
/// Not resistant to crafted collisions: a file built to collide slows reading down, it
/// does not change a result. Reading the user's own files, speed is worth more here.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxBuild;

impl BuildHasher for FxBuild {
    type Hasher = FxHasher;
    fn build_hasher(&self) -> FxHasher {
        FxHasher(0)
    }
}

/// The hasher of [`FxBuild`].
pub(crate) struct FxHasher(u64);

const FX_K: u64 = 0xf135_7aea_2e62_a9c5;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0 ^ word).wrapping_mul(FX_K);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes([
                c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
            ]));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0.rotate_left(26)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels_and_codes(data: ColumnData) -> (Vec<String>, Vec<Option<u32>>) {
        match data {
            ColumnData::Categorical { labels, codes } => (labels, codes),
            ColumnData::Numeric(values) => panic!("numeric: {values:?}"),
        }
    }

    #[test]
    fn text_is_numeric_until_a_label_arrives() {
        let mut column = ColumnBuilder::new(Forced::Auto);
        for text in [" 1 ", "NaN", "-inf", "NA", "", "nUlL", "2.5e1"] {
            column.push_text(text).expect("auto never fails");
        }
        let ColumnData::Numeric(values) = column.finish() else {
            panic!("numeric expected")
        };
        assert_eq!(values.len(), 7);
        assert_eq!(values.get(0), Some(1.0));
        assert!(values.get(1).is_some_and(f64::is_nan));
        assert_eq!(values.get(2), Some(f64::NEG_INFINITY));
        assert_eq!(
            [values.get(3), values.get(4), values.get(5)],
            [None, None, None]
        );
        assert_eq!(values.get(6), Some(25.0));

        let mut column = ColumnBuilder::new(Forced::Auto);
        for text in ["1", "", "2.50", "x", "1"] {
            column.push_text(text).expect("auto never fails");
        }
        let (labels, codes) = labels_and_codes(column.finish());
        assert_eq!(labels, ["1", "2.5", "x"]);
        assert_eq!(codes, [Some(0), None, Some(1), Some(2), Some(0)]);
    }

    #[test]
    fn forced_kinds() {
        let mut column = ColumnBuilder::new(Forced::Categorical);
        column.push_text("007").expect("label");
        column.push_number(7.0).expect("label");
        let (labels, _) = labels_and_codes(column.finish());
        assert_eq!(labels, ["007", "7"]);

        let mut column = ColumnBuilder::new(Forced::Numeric);
        column.push_text("1").expect("number");
        column.push_text("NA").expect("missing");
        assert_eq!(
            column.push_text(" oops "),
            Err(PushError::NotANumber("oops".into()))
        );
        assert_eq!(
            column.push_label("true"),
            Err(PushError::NotANumber("true".into()))
        );
        column.push_label("2").expect("a string that parses");
        assert_eq!(
            column.finish(),
            ColumnData::Numeric(vec![Some(1.0), None, Some(2.0)].into())
        );
    }

    #[test]
    fn labels_and_numbers_by_type() {
        let mut column = ColumnBuilder::new(Forced::Auto);
        column.push_number(1.0).expect("number");
        column.push_label("true").expect("label");
        column.push_missing_n(2);
        column.push_number(0.5).expect("number");
        let (labels, codes) = labels_and_codes(column.finish());
        assert_eq!(labels, ["1", "true", "0.5"]);
        assert_eq!(codes, [Some(0), Some(1), None, None, Some(2)]);
    }

    #[test]
    fn the_number_shortcut_agrees_with_str_parse() {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut texts: Vec<String> = [
            "0",
            "-0",
            "+0",
            "0.0",
            "5.",
            ".5",
            "-.5",
            ".",
            "-",
            "+",
            "",
            "1e5",
            "1.5E-3",
            "NaN",
            "inf",
            "-infinity",
            "0x10",
            "1_000",
            "1.2.3",
            "--1",
            "9007199254740992",
            "9007199254740993",
            "0.1",
            "0.30000000000000004",
            "123456789012345678901",
            "1234567890123456789",
            "0.0000000000000000000001",
            "0.00000000000000000000001",
            "00000000000000000001",
            "99999999999999999999",
            "-18446744073709551616",
            "1,5",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        for _ in 0..20_000 {
            let r = next();
            let digits = (r % 20) as usize + 1;
            let mantissa = next() % 10u64.pow(digits.min(19) as u32);
            let text = format!("{mantissa:0digits$}");
            let dot = (next() % (digits as u64 + 1)) as usize;
            let sign = ["", "-", "+"][(r >> 40) as usize % 3];
            texts.push(format!("{sign}{}.{}", &text[..dot], &text[dot..]));
            texts.push(format!("{sign}{text}"));
        }
        for text in &texts {
            let ours = parse_number(text).map(f64::to_bits).ok();
            let std = text.parse::<f64>().map(f64::to_bits).ok();
            assert_eq!(ours, std, "{text:?}");
        }
    }

    #[test]
    fn short_labels_that_differ_get_different_codes() {
        // every string over {a, b} up to 11 bytes, and longer ones differing in one byte
        let mut labels: Vec<String> = vec![String::new()];
        for len in 1..=11 {
            for bits in 0..(1u32 << len) {
                labels.push(
                    (0..len)
                        .map(|i| if bits >> i & 1 == 1 { 'b' } else { 'a' })
                        .collect(),
                );
            }
        }
        for len in 12..=20 {
            for at in 0..len {
                let mut label = vec![b'x'; len];
                label[at] = b'y';
                labels.push(String::from_utf8(label).expect("ascii"));
            }
        }
        let mut interner = Interner::default();
        for round in 0..2 {
            for (i, label) in labels.iter().enumerate() {
                assert_eq!(
                    interner.code(label),
                    Ok(i as u32),
                    "{label:?} round {round}"
                );
            }
        }
        assert_eq!(interner.into_labels(), labels);
    }

    #[test]
    fn interner_keeps_first_seen_order_across_many_labels() {
        let mut interner = Interner::default();
        for label in ["abcdefgh1", "abcdefgh2", "abcdefgh1", "a", "", "a"] {
            interner.code(label).expect("code");
        }
        assert_eq!(interner.into_labels(), ["abcdefgh1", "abcdefgh2", "a", ""]);
        let mut interner = Interner::default();
        for round in 0..2 {
            for i in 0..1000u32 {
                assert_eq!(interner.code(&format!("label-{i}")), Ok(i), "round {round}");
            }
        }
        let labels = interner.into_labels();
        assert_eq!(labels.len(), 1000);
        assert_eq!(labels[999], "label-999");
    }
}
