//! Stable sorting that costs the web bundle almost nothing.
//!
//! The standard library's sorts are fast but large: every `sort_by` call site instantiates driftsort
//! and its small-sort networks for its element type and comparator, about 4 KB of wasm each, and the
//! planner had 28 of them (115 KB of the bundle). Here one non-generic bottom-up merge sort orders
//! *indices* through a `dyn` comparator, and a few lines per call site move the elements into that
//! order. Core never sorts more than a few thousand items, so the indirection costs nothing that
//! shows. Same contract as `slice::sort_by`: stable, and total for any comparator.

use std::cmp::Ordering;

/// Sorts `v` stably by `compare` (like `slice::sort_by`).
pub fn sort_by<T>(v: &mut [T], mut compare: impl FnMut(&T, &T) -> Ordering) {
    let order = stable_order(v.len(), &mut |a, b| compare(&v[a], &v[b]) == Ordering::Greater);
    permute(v, order);
}

/// Sorts `v` stably by a key (like `slice::sort_by_key`).
pub fn sort_by_key<T, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `v` stably in ascending order (like `slice::sort`).
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// Sorts and removes consecutive duplicates (the `sort(); dedup()` idiom).
pub fn sort_dedup<T: Ord>(v: &mut Vec<T>) {
    sort(v);
    v.dedup();
}

/// A BTreeMap from pairs, the last value winning for a repeated key (like `collect()`, whose bulk
/// build sorts the pairs first and so instantiates a driftsort per key and value type).
pub fn map_from<K: Ord, V>(pairs: impl IntoIterator<Item = (K, V)>) -> std::collections::BTreeMap<K, V> {
    let mut map = std::collections::BTreeMap::new();
    for (key, value) in pairs {
        map.insert(key, value);
    }
    map
}

/// For each of `n` items, whether an earlier item has the same key: the `!seen.insert(key)` test of
/// a duplicate check, for all items at once (one sort, no set type to instantiate).
pub fn repeats<'a>(n: usize, key: &dyn Fn(usize) -> &'a str) -> Vec<bool> {
    let order = stable_order(n, &mut |a, b| key(a) > key(b));
    let mut repeated = vec![false; n];
    for pair in order.windows(2) {
        // Stable, so equal keys are in item order: the later of each equal pair is the repeat.
        if key(pair[0]) == key(pair[1]) {
            repeated[pair[1]] = true;
        }
    }
    repeated
}

/// The stable ascending order of `n` items as indices: `order[i]` is the item that goes to place `i`.
/// `greater(a, b)` says item `a` must come after item `b`.
fn stable_order(n: usize, greater: &mut dyn FnMut(usize, usize) -> bool) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    if n < 2 {
        return order;
    }
    let mut buffer = order.clone();
    let mut width = 1;
    while width < n {
        let mut start = 0;
        while start < n {
            let middle = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            let (mut left, mut right) = (start, middle);
            for slot in &mut buffer[start..end] {
                // Take from the left run unless its head must come after the right run's head: stable.
                let take_right = left == middle || (right < end && greater(order[left], order[right]));
                if take_right {
                    *slot = order[right];
                    right += 1;
                } else {
                    *slot = order[left];
                    left += 1;
                }
            }
            start = end;
        }
        std::mem::swap(&mut order, &mut buffer);
        width *= 2;
    }
    order
}

/// Moves the elements of `v` so that `v[i]` becomes the old `v[order[i]]`, following each cycle of
/// the permutation with swaps.
fn permute<T>(v: &mut [T], mut order: Vec<usize>) {
    const DONE: usize = usize::MAX;
    for start in 0..v.len() {
        let mut at = start;
        while order[at] != DONE {
            let from = order[at];
            order[at] = DONE;
            if from == start {
                break;
            }
            v.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (no dependency) for test data.
    fn numbers(seed: u64, n: usize, range: u64) -> Vec<u64> {
        let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (0..n)
            .map(|_| {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (x >> 33) % range
            })
            .collect()
    }

    #[test]
    fn sorts_like_the_standard_library_and_keeps_equal_items_in_order() {
        for n in [0, 1, 2, 3, 7, 8, 9, 31, 64, 100, 1000, 4099] {
            for seed in 0..6 {
                // Pairs of (key, original position): stability shows in the second field.
                let items: Vec<(u64, usize)> =
                    numbers(seed, n, 1 + n as u64 / 3).into_iter().enumerate().map(|(i, k)| (k, i)).collect();
                let mut ours = items.clone();
                sort_by(&mut ours, |a, b| a.0.cmp(&b.0));
                let mut std = items.clone();
                std.sort_by_key(|a| a.0);
                assert_eq!(ours, std, "n={n} seed={seed}");
            }
        }
    }

    #[test]
    fn handles_sorted_reversed_and_float_keys() {
        let mut up: Vec<u32> = (0..500).collect();
        sort(&mut up);
        assert!(up.windows(2).all(|w| w[0] <= w[1]));
        let mut down: Vec<u32> = (0..500).rev().collect();
        sort(&mut down);
        assert_eq!(down, up);
        let mut floats = vec![3.5, -1.0, f64::INFINITY, 0.0, -0.0, 2.25];
        sort_by(&mut floats, f64::total_cmp);
        assert_eq!(floats, vec![-1.0, -0.0, 0.0, 2.25, 3.5, f64::INFINITY]);
    }

    #[test]
    fn by_key_and_dedup() {
        let mut words = vec!["pear", "fig", "apple", "kiwi", "fig"];
        sort_by_key(&mut words, |w| w.len());
        assert_eq!(words, vec!["fig", "fig", "pear", "kiwi", "apple"]);
        let mut v = vec![3, 1, 3, 2, 1];
        sort_dedup(&mut v);
        assert_eq!(v, vec![1, 2, 3]);
    }

    #[test]
    fn map_from_is_collect() {
        let pairs = vec![("b", 1), ("a", 2), ("b", 3)];
        let ours = map_from(pairs.clone());
        let std: std::collections::BTreeMap<_, _> = pairs.into_iter().collect();
        assert_eq!(ours, std);
        assert_eq!(ours["b"], 3);
    }

    #[test]
    fn repeats_is_a_set_insert_test() {
        for (seed, n, range) in [(1, 0, 1), (2, 1, 1), (3, 50, 7), (4, 300, 40), (5, 300, 1000)] {
            let keys: Vec<String> = numbers(seed, n, range).into_iter().map(|x| format!("k{x}")).collect();
            let mut seen = std::collections::BTreeSet::new();
            let expected: Vec<bool> = keys.iter().map(|k| !seen.insert(k)).collect();
            assert_eq!(repeats(keys.len(), &|i| &keys[i]), expected, "seed {seed}");
        }
    }

    #[test]
    fn an_inconsistent_comparator_neither_panics_nor_loses_items() {
        let mut v: Vec<u64> = numbers(9, 300, 50);
        let mut flip = false;
        sort_by(&mut v, |_, _| {
            flip = !flip;
            if flip {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        });
        let mut expected = numbers(9, 300, 50);
        expected.sort();
        let mut got = v.clone();
        got.sort();
        assert_eq!(got, expected);
    }
}
