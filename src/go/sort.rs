//! Go's `sort.Sort`: pattern-defeating quicksort, ported from the Go standard
//! library (`src/sort/sort.go` and the generated `src/sort/zsortinterface.go`,
//! Go 1.19 through 1.25).
//!
//! Original: Copyright 2009/2022 The Go Authors; BSD-3-Clause licence.
//!
//! `sort.Sort` is not stable, and Helm's index order for versions of equal
//! precedence (e.g. differing only in build metadata) is whatever permutation
//! Go's pdqsort produces. Reproducing it requires the same sequence of `Less`
//! and `Swap` calls, so every function below mirrors its Go counterpart
//! statement by statement, including Go's signed index arithmetic.
//!
//! The only difference between Go releases is the xorshift generator used by
//! `breakPatterns`: Go 1.19–1.23 shift by 13, 17, 5; Go 1.24 and later by
//! 13, 7, 17 (golang/go#70144). It only matters once a partition came out
//! badly unbalanced.

/// Sorts like Go ≥ 1.24's `sort.Sort(data)` where `data.Less(i, j)` is
/// `less(&v[i], &v[j])` and `Swap` swaps elements. Go's `sort.Reverse` is
/// `sort(v, |a, b| less(b, a))`.
pub fn sort<T>(v: &mut [T], less: impl FnMut(&T, &T) -> bool) {
    go_sort(v, less, Xorshift::GO1_24);
}

/// Same as [`sort`] but with the `breakPatterns` generator of Go 1.19–1.23
/// (the toolchain of Helm 3.17).
pub fn sort_go1_23<T>(v: &mut [T], less: impl FnMut(&T, &T) -> bool) {
    go_sort(v, less, Xorshift::GO1_19);
}

/// `sort.Sort`: `pdqsort(data, 0, n, bits.Len(uint(n)))` for n > 1.
fn go_sort<T, F: FnMut(&T, &T) -> bool>(v: &mut [T], less: F, shifts: [u32; 3]) {
    let n = v.len();
    if n <= 1 {
        return;
    }
    let Ok(len) = isize::try_from(n) else {
        return;
    };
    let limit = bits_len(n);
    let mut data = Data { v, less, shifts };
    pdqsort(&mut data, 0, len, limit);
}

/// `bits.Len(uint(x))`: number of bits needed to represent `x`.
fn bits_len(x: usize) -> isize {
    // At most 64, so the conversion is lossless.
    (usize::BITS - x.leading_zeros()) as isize
}

/// The `sort.Interface` view of the slice. Indices are Go `int`s; an index
/// outside the slice (impossible for a consistent `less`) makes `Less` false
/// and `Swap` a no-op instead of panicking.
struct Data<'a, T, F> {
    v: &'a mut [T],
    less: F,
    shifts: [u32; 3],
}

impl<T, F: FnMut(&T, &T) -> bool> Data<'_, T, F> {
    fn less(&mut self, i: isize, j: isize) -> bool {
        let (Ok(i), Ok(j)) = (usize::try_from(i), usize::try_from(j)) else {
            return false;
        };
        match (self.v.get(i), self.v.get(j)) {
            (Some(a), Some(b)) => (self.less)(a, b),
            _ => false,
        }
    }

    fn swap(&mut self, i: isize, j: isize) {
        if let (Ok(i), Ok(j)) = (usize::try_from(i), usize::try_from(j)) {
            if i < self.v.len() && j < self.v.len() {
                self.v.swap(i, j);
            }
        }
    }
}

/// `sortedHint`
#[derive(Clone, Copy, PartialEq, Eq)]
enum SortedHint {
    Unknown,
    Increasing,
    Decreasing,
}

/// `xorshift`, with the shift triple of the Go release being reproduced.
struct Xorshift {
    state: u64,
    shifts: [u32; 3],
}

impl Xorshift {
    const GO1_19: [u32; 3] = [13, 17, 5];
    const GO1_24: [u32; 3] = [13, 7, 17];

    fn next(&mut self) -> u64 {
        let [a, b, c] = self.shifts;
        self.state ^= self.state << a;
        self.state ^= self.state >> b;
        self.state ^= self.state << c;
        self.state
    }
}

/// `nextPowerOfTwo`: `1 << bits.Len(uint(length))`.
fn next_power_of_two(length: isize) -> u64 {
    let len = u64::try_from(length).unwrap_or(0);
    1u64.checked_shl(u64::BITS - len.leading_zeros())
        .unwrap_or(0)
}

/// `insertionSort` sorts data[a:b].
fn insertion_sort<T, F: FnMut(&T, &T) -> bool>(data: &mut Data<'_, T, F>, a: isize, b: isize) {
    let mut i = a + 1;
    while i < b {
        let mut j = i;
        while j > a && data.less(j, j - 1) {
            data.swap(j, j - 1);
            j -= 1;
        }
        i += 1;
    }
}

/// `siftDown` implements the heap property on data[lo:hi]; `first` is the
/// offset of the heap's root in the slice.
fn sift_down<T, F: FnMut(&T, &T) -> bool>(
    data: &mut Data<'_, T, F>,
    lo: isize,
    hi: isize,
    first: isize,
) {
    let mut root = lo;
    loop {
        let mut child = 2 * root + 1;
        if child >= hi {
            break;
        }
        if child + 1 < hi && data.less(first + child, first + child + 1) {
            child += 1;
        }
        if !data.less(first + root, first + child) {
            return;
        }
        data.swap(first + root, first + child);
        root = child;
    }
}

/// `heapSort`
fn heap_sort<T, F: FnMut(&T, &T) -> bool>(data: &mut Data<'_, T, F>, a: isize, b: isize) {
    let first = a;
    let lo = 0;
    let hi = b - a;

    let mut i = (hi - 1) / 2;
    while i >= 0 {
        sift_down(data, i, hi, first);
        i -= 1;
    }

    let mut i = hi - 1;
    while i >= 0 {
        data.swap(first, first + i);
        sift_down(data, lo, i, first);
        i -= 1;
    }
}

/// `pdqsort` sorts data[a:b]; `limit` is the number of allowed bad pivots
/// before falling back to heapsort.
fn pdqsort<T, F: FnMut(&T, &T) -> bool>(
    data: &mut Data<'_, T, F>,
    mut a: isize,
    mut b: isize,
    mut limit: isize,
) {
    const MAX_INSERTION: isize = 12;

    let mut was_balanced = true;
    let mut was_partitioned = true;

    loop {
        let length = b - a;

        if length <= MAX_INSERTION {
            insertion_sort(data, a, b);
            return;
        }

        if limit == 0 {
            heap_sort(data, a, b);
            return;
        }

        if !was_balanced {
            break_patterns(data, a, b);
            limit -= 1;
        }

        let (mut pivot, mut hint) = choose_pivot(data, a, b);
        if hint == SortedHint::Decreasing {
            reverse_range(data, a, b);
            pivot = (b - 1) - (pivot - a);
            hint = SortedHint::Increasing;
        }

        if was_balanced
            && was_partitioned
            && hint == SortedHint::Increasing
            && partial_insertion_sort(data, a, b)
        {
            return;
        }

        if a > 0 && !data.less(a - 1, pivot) {
            let mid = partition_equal(data, a, b, pivot);
            a = mid;
            continue;
        }

        let (mid, already_partitioned) = partition(data, a, b, pivot);
        was_partitioned = already_partitioned;

        let (left_len, right_len) = (mid - a, b - mid);
        let balance_threshold = length / 8;
        if left_len < right_len {
            was_balanced = left_len >= balance_threshold;
            pdqsort(data, a, mid, limit);
            a = mid + 1;
        } else {
            was_balanced = right_len >= balance_threshold;
            pdqsort(data, mid + 1, b, limit);
            b = mid;
        }
    }
}

/// `partition` does one quicksort partition around data[pivot], returning the
/// pivot's new index and whether nothing had to move.
fn partition<T, F: FnMut(&T, &T) -> bool>(
    data: &mut Data<'_, T, F>,
    a: isize,
    b: isize,
    pivot: isize,
) -> (isize, bool) {
    data.swap(a, pivot);
    let (mut i, mut j) = (a + 1, b - 1);

    while i <= j && data.less(i, a) {
        i += 1;
    }
    while i <= j && !data.less(j, a) {
        j -= 1;
    }
    if i > j {
        data.swap(j, a);
        return (j, true);
    }
    data.swap(i, j);
    i += 1;
    j -= 1;

    loop {
        while i <= j && data.less(i, a) {
            i += 1;
        }
        while i <= j && !data.less(j, a) {
            j -= 1;
        }
        if i > j {
            break;
        }
        data.swap(i, j);
        i += 1;
        j -= 1;
    }
    data.swap(j, a);
    (j, false)
}

/// `partitionEqual` partitions data[a:b] into elements equal to data[pivot]
/// followed by elements greater than it.
fn partition_equal<T, F: FnMut(&T, &T) -> bool>(
    data: &mut Data<'_, T, F>,
    a: isize,
    b: isize,
    pivot: isize,
) -> isize {
    data.swap(a, pivot);
    let (mut i, mut j) = (a + 1, b - 1);

    loop {
        while i <= j && !data.less(a, i) {
            i += 1;
        }
        while i <= j && data.less(a, j) {
            j -= 1;
        }
        if i > j {
            break;
        }
        data.swap(i, j);
        i += 1;
        j -= 1;
    }
    i
}

/// `partialInsertionSort` partially sorts data[a:b] and reports whether it is
/// sorted. The leftward shift loop runs down to index 1 rather than `a + 1`,
/// exactly as Go's does.
fn partial_insertion_sort<T, F: FnMut(&T, &T) -> bool>(
    data: &mut Data<'_, T, F>,
    a: isize,
    b: isize,
) -> bool {
    const MAX_STEPS: usize = 5;
    const SHORTEST_SHIFTING: isize = 50;

    let mut i = a + 1;
    for _ in 0..MAX_STEPS {
        while i < b && !data.less(i, i - 1) {
            i += 1;
        }

        if i == b {
            return true;
        }

        if b - a < SHORTEST_SHIFTING {
            return false;
        }

        data.swap(i, i - 1);

        if i - a >= 2 {
            let mut j = i - 1;
            while j >= 1 {
                if !data.less(j, j - 1) {
                    break;
                }
                data.swap(j, j - 1);
                j -= 1;
            }
        }
        if b - i >= 2 {
            let mut j = i + 1;
            while j < b {
                if !data.less(j, j - 1) {
                    break;
                }
                data.swap(j, j - 1);
                j += 1;
            }
        }
    }
    false
}

/// `breakPatterns` scatters three elements around the middle, using an
/// xorshift generator seeded with the length (so it is deterministic).
fn break_patterns<T, F: FnMut(&T, &T) -> bool>(data: &mut Data<'_, T, F>, a: isize, b: isize) {
    let length = b - a;
    if length >= 8 {
        let mut random = Xorshift {
            state: u64::try_from(length).unwrap_or(0),
            shifts: data.shifts,
        };
        let modulus = next_power_of_two(length);

        let mut idx = a + (length / 4) * 2 - 1;
        while idx <= a + (length / 4) * 2 + 1 {
            // `int(uint(random.Next()) & (modulus - 1))`: below 2 * length.
            let mut other = isize::try_from(random.next() & modulus.wrapping_sub(1)).unwrap_or(0);
            if other >= length {
                other -= length;
            }
            data.swap(idx, a + other);
            idx += 1;
        }
    }
}

/// `choosePivot` chooses a pivot in data[a:b]: static below 8 elements,
/// median of three below 50, Tukey's ninther otherwise. The hint reports
/// whether the sampled elements looked increasing or decreasing.
fn choose_pivot<T, F: FnMut(&T, &T) -> bool>(
    data: &mut Data<'_, T, F>,
    a: isize,
    b: isize,
) -> (isize, SortedHint) {
    const SHORTEST_NINTHER: isize = 50;
    const MAX_SWAPS: usize = 4 * 3;

    let l = b - a;

    let mut swaps = 0usize;
    let mut i = a + l / 4;
    let mut j = a + l / 4 * 2;
    let mut k = a + l / 4 * 3;

    if l >= 8 {
        if l >= SHORTEST_NINTHER {
            i = median_adjacent(data, i, &mut swaps);
            j = median_adjacent(data, j, &mut swaps);
            k = median_adjacent(data, k, &mut swaps);
        }
        j = median(data, i, j, k, &mut swaps);
    }

    match swaps {
        0 => (j, SortedHint::Increasing),
        MAX_SWAPS => (j, SortedHint::Decreasing),
        _ => (j, SortedHint::Unknown),
    }
}

/// `order2` returns (x, y) with data[x] <= data[y].
fn order2<T, F: FnMut(&T, &T) -> bool>(
    data: &mut Data<'_, T, F>,
    a: isize,
    b: isize,
    swaps: &mut usize,
) -> (isize, isize) {
    if data.less(b, a) {
        *swaps += 1;
        return (b, a);
    }
    (a, b)
}

/// `median` returns the index of the median of data[a], data[b], data[c].
fn median<T, F: FnMut(&T, &T) -> bool>(
    data: &mut Data<'_, T, F>,
    a: isize,
    b: isize,
    c: isize,
    swaps: &mut usize,
) -> isize {
    let (a, b) = order2(data, a, b, swaps);
    let (b, _) = order2(data, b, c, swaps);
    let (_, b) = order2(data, a, b, swaps);
    b
}

/// `medianAdjacent`: median of data[a-1], data[a], data[a+1].
fn median_adjacent<T, F: FnMut(&T, &T) -> bool>(
    data: &mut Data<'_, T, F>,
    a: isize,
    swaps: &mut usize,
) -> isize {
    median(data, a - 1, a, a + 1, swaps)
}

/// `reverseRange` reverses data[a:b].
fn reverse_range<T, F: FnMut(&T, &T) -> bool>(data: &mut Data<'_, T, F>, a: isize, b: isize) {
    let mut i = a;
    let mut j = b - 1;
    while i < j {
        data.swap(i, j);
        i += 1;
        j -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::go::semver::Version;

    /// Helm's `ChartVersions.Less`: a version that fails to parse sorts first.
    fn helm_less(a: &str, b: &str) -> bool {
        let Ok(i) = Version::parse(a) else {
            return true;
        };
        let Ok(j) = Version::parse(b) else {
            return false;
        };
        i.compare(&j).is_lt()
    }

    /// `sort.Sort(sort.Reverse(versions))` on `1.0.{i%3}+bNN`, NN = i, with
    /// the input in byte order as produced by Helm's directory glob.
    fn helm_tie_sort(n: usize, glob_order: bool, go1_23: bool) -> Vec<String> {
        let mut v: Vec<String> = (0..n).map(|i| format!("1.0.{}+b{:02}", i % 3, i)).collect();
        if glob_order {
            v.sort();
        }
        if go1_23 {
            sort_go1_23(&mut v, |a, b| helm_less(b, a));
        } else {
            sort(&mut v, |a, b| helm_less(b, a));
        }
        v
    }

    #[test]
    fn helm_ties_13_glob_order() {
        let want = [
            "1.0.2+b02",
            "1.0.2+b11",
            "1.0.2+b08",
            "1.0.2+b05",
            "1.0.1+b04",
            "1.0.1+b01",
            "1.0.1+b07",
            "1.0.1+b10",
            "1.0.0+b00",
            "1.0.0+b12",
            "1.0.0+b09",
            "1.0.0+b06",
            "1.0.0+b03",
        ];
        assert_eq!(helm_tie_sort(13, true, false), want);
        assert_eq!(helm_tie_sort(13, true, true), want);
    }

    #[test]
    fn helm_ties_30_glob_order() {
        let want = [
            "1.0.2+b02",
            "1.0.2+b29",
            "1.0.2+b26",
            "1.0.2+b23",
            "1.0.2+b20",
            "1.0.2+b17",
            "1.0.2+b14",
            "1.0.2+b11",
            "1.0.2+b08",
            "1.0.2+b05",
            "1.0.1+b13",
            "1.0.1+b28",
            "1.0.1+b07",
            "1.0.1+b10",
            "1.0.1+b01",
            "1.0.1+b16",
            "1.0.1+b19",
            "1.0.1+b22",
            "1.0.1+b25",
            "1.0.1+b04",
            "1.0.0+b00",
            "1.0.0+b27",
            "1.0.0+b24",
            "1.0.0+b21",
            "1.0.0+b18",
            "1.0.0+b15",
            "1.0.0+b12",
            "1.0.0+b09",
            "1.0.0+b06",
            "1.0.0+b03",
        ];
        assert_eq!(helm_tie_sort(30, true, false), want);
        assert_eq!(helm_tie_sort(30, true, true), want);
    }

    #[test]
    fn helm_ties_60_glob_order() {
        let want = [
            "1.0.2+b02",
            "1.0.2+b59",
            "1.0.2+b56",
            "1.0.2+b53",
            "1.0.2+b50",
            "1.0.2+b47",
            "1.0.2+b44",
            "1.0.2+b41",
            "1.0.2+b38",
            "1.0.2+b35",
            "1.0.2+b32",
            "1.0.2+b29",
            "1.0.2+b26",
            "1.0.2+b23",
            "1.0.2+b20",
            "1.0.2+b17",
            "1.0.2+b14",
            "1.0.2+b11",
            "1.0.2+b08",
            "1.0.2+b05",
            "1.0.1+b31",
            "1.0.1+b01",
            "1.0.1+b07",
            "1.0.1+b10",
            "1.0.1+b13",
            "1.0.1+b16",
            "1.0.1+b19",
            "1.0.1+b22",
            "1.0.1+b25",
            "1.0.1+b28",
            "1.0.1+b04",
            "1.0.1+b34",
            "1.0.1+b37",
            "1.0.1+b40",
            "1.0.1+b43",
            "1.0.1+b46",
            "1.0.1+b49",
            "1.0.1+b52",
            "1.0.1+b55",
            "1.0.1+b58",
            "1.0.0+b00",
            "1.0.0+b57",
            "1.0.0+b54",
            "1.0.0+b51",
            "1.0.0+b48",
            "1.0.0+b45",
            "1.0.0+b42",
            "1.0.0+b39",
            "1.0.0+b36",
            "1.0.0+b33",
            "1.0.0+b30",
            "1.0.0+b27",
            "1.0.0+b24",
            "1.0.0+b21",
            "1.0.0+b18",
            "1.0.0+b15",
            "1.0.0+b12",
            "1.0.0+b09",
            "1.0.0+b06",
            "1.0.0+b03",
        ];
        assert_eq!(helm_tie_sort(60, true, false), want);
        assert_eq!(helm_tie_sort(60, true, true), want);
    }

    #[test]
    fn helm_ties_13_index_order() {
        let want = [
            "1.0.2+b08",
            "1.0.2+b02",
            "1.0.2+b11",
            "1.0.2+b05",
            "1.0.1+b01",
            "1.0.1+b04",
            "1.0.1+b10",
            "1.0.1+b07",
            "1.0.0+b06",
            "1.0.0+b09",
            "1.0.0+b00",
            "1.0.0+b03",
            "1.0.0+b12",
        ];
        assert_eq!(helm_tie_sort(13, false, false), want);
        assert_eq!(helm_tie_sort(13, false, true), want);
    }

    /// Sorts `(key, id)` pairs by key and returns the ids and the number of
    /// `less` calls.
    fn sort_ids(keys: &[u32], go1_23: bool) -> (Vec<usize>, usize) {
        let mut v: Vec<(u32, usize)> = keys.iter().copied().zip(0..).collect();
        let mut calls = 0;
        let less = |a: &(u32, usize), b: &(u32, usize)| {
            calls += 1;
            a.0 < b.0
        };
        if go1_23 {
            sort_go1_23(&mut v, less);
        } else {
            sort(&mut v, less);
        }
        (v.into_iter().map(|(_, id)| id).collect(), calls)
    }

    /// Permutations recorded from Go 1.19 (= 1.23) and from Go's sort with
    /// the Go 1.24 xorshift; these inputs reach `breakPatterns`.
    #[test]
    fn permutations_differ_between_go_releases() {
        type Case = (&'static [u32], &'static [usize], &'static [usize], usize);
        let cases: &[Case] = &[
            (
                &[1, 1, 0, 0, 1, 0, 0, 1, 1, 1, 0, 1, 1, 2],
                &[6, 5, 2, 3, 10, 0, 1, 7, 4, 9, 8, 11, 12, 13],
                &[6, 5, 2, 3, 10, 4, 8, 12, 1, 9, 0, 11, 7, 13],
                46,
            ),
            (
                &[0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1],
                &[6, 0, 12, 3, 9, 4, 1, 10, 7, 13, 5, 8, 11, 2],
                &[6, 12, 9, 3, 0, 4, 1, 10, 7, 13, 8, 5, 2, 11],
                53,
            ),
            (
                &[0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0],
                &[6, 0, 2, 3, 4, 5, 1, 13, 10, 9, 8, 11, 12, 7],
                &[6, 12, 2, 3, 4, 5, 8, 0, 1, 9, 10, 11, 13, 7],
                41,
            ),
        ];
        for (keys, want_old, want_new, want_calls) in cases {
            let (old, calls) = sort_ids(keys, true);
            assert_eq!(old, *want_old, "go1.23 {keys:?}");
            assert_eq!(calls, *want_calls, "less calls {keys:?}");
            assert_eq!(sort_ids(keys, false).0, *want_new, "go1.24 {keys:?}");
        }
    }

    #[test]
    fn tie_permutations_match_go() {
        let cases: &[(&[u32], &[usize], usize)] = &[
            (
                &[0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 1, 0, 1, 1, 1, 0, 1],
                &[
                    9, 18, 14, 12, 10, 0, 5, 13, 8, 6, 4, 11, 3, 7, 2, 15, 16, 17, 1, 19,
                ],
                44,
            ),
            (
                &[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0],
                &[
                    12, 19, 18, 17, 16, 15, 14, 13, 5, 9, 10, 11, 8, 7, 6, 0, 4, 3, 2, 1,
                ],
                40,
            ),
            (
                &[2, 1, 1, 1, 0, 2, 1, 1, 2, 1, 1, 0, 1, 2, 0, 1, 0, 2, 2, 2],
                &[
                    4, 16, 14, 11, 15, 2, 6, 7, 1, 9, 10, 3, 12, 13, 5, 0, 8, 17, 18, 19,
                ],
                51,
            ),
        ];
        for (keys, want, want_calls) in cases {
            for go1_23 in [true, false] {
                let (ids, calls) = sort_ids(keys, go1_23);
                assert_eq!(ids, *want, "{keys:?}");
                assert_eq!(calls, *want_calls, "less calls {keys:?}");
            }
        }
    }

    fn pattern(kind: u32, n: usize) -> Vec<u32> {
        (0..n)
            .map(|i| {
                let i64 = i as u64;
                let r = match kind {
                    0 => (i64 * i64 * 7 + 3) % 5,
                    1 => (n - i) as u64,
                    2 => i.min(n - i) as u64,
                    3 => (i64.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) % 10,
                    _ => i64 % 3,
                };
                r as u32
            })
            .collect()
    }

    /// Hash of the resulting id permutation (`h = h*31 + id`) and the number
    /// of `less` calls, recorded from Go for large inputs.
    #[test]
    fn large_inputs_match_go() {
        let cases: &[(usize, u32, bool, u64, usize)] = &[
            (1000, 0, true, 13729496114385439606, 3469),
            (1000, 0, false, 8846721904762467806, 3469),
            (1000, 1, true, 16177271117900716940, 1011),
            (1000, 1, false, 16177271117900716940, 1011),
            (1000, 2, true, 1617129167478078332, 9698),
            (1000, 2, false, 3490950974196625544, 9690),
            (1000, 3, true, 9784957561638657290, 4693),
            (1000, 3, false, 2072057567304796958, 4692),
            (1000, 4, true, 8090260489075067558, 2722),
            (1000, 4, false, 8090260489075067558, 2722),
            (5000, 0, true, 1767673539631115318, 18070),
            (5000, 0, false, 6573171833347797818, 18071),
            (5000, 1, true, 13234365468435700156, 5011),
            (5000, 1, false, 13234365468435700156, 5011),
            (5000, 2, true, 12425723718253075720, 59106),
            (5000, 2, false, 4449368192930670176, 59126),
            (5000, 3, true, 14973834575837889862, 24701),
            (5000, 3, false, 16691499337885195262, 25201),
            (5000, 4, true, 11642079014525936732, 13388),
            (5000, 4, false, 11642079014525936732, 13388),
        ];
        for &(n, kind, go1_23, want_hash, want_calls) in cases {
            let (ids, calls) = sort_ids(&pattern(kind, n), go1_23);
            let hash = ids
                .iter()
                .fold(0u64, |h, &id| h.wrapping_mul(31).wrapping_add(id as u64));
            assert_eq!(
                (hash, calls),
                (want_hash, want_calls),
                "n={n} kind={kind} go1_23={go1_23}"
            );
        }
    }

    #[test]
    fn small_and_sorted_inputs() {
        let mut empty: [u8; 0] = [];
        sort(&mut empty, |a, b| a < b);
        let mut one = [1];
        sort(&mut one, |a, b| a < b);
        assert_eq!(one, [1]);
        // Up to 12 elements Go uses insertion sort, which keeps ties in order.
        let (ids, _) = sort_ids(&[2, 1, 2, 1, 0, 2, 1, 0, 0, 2, 1, 2], false);
        assert_eq!(ids, [4, 7, 8, 1, 3, 6, 10, 0, 2, 5, 9, 11]);
        let mut v: Vec<u32> = (0..10_000).rev().collect();
        sort(&mut v, |a, b| a < b);
        assert!(v.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn inconsistent_less_does_not_panic() {
        let mut v: Vec<u32> = (0..2000).collect();
        let mut state = 1u32;
        sort(&mut v, |_, _| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
            state & 0x100 != 0
        });
        v.sort_unstable();
        assert!(v.iter().copied().eq(0..2000));
    }
}
