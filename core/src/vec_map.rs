//! A map kept as a vector sorted by key: the ordered-map API core uses, at a fraction of BTreeMap's
//! code size.
//!
//! Every `BTreeMap<K, V>` instantiates its node code (search, insert, split, iterate, drop) for that
//! key and value type, several kilobytes of wasm each. Core's internal maps are small and built once
//! then read, which a sorted vector with binary search does as well. Inserting one key at a time is
//! O(n) per key: use it for maps whose size core bounds (catalog rows, resources, search caches), and
//! `collect()` (sorted once) for maps sized by the user's input. Iteration is in key order, so output
//! stays byte for byte what it was, and it serialises as a map like BTreeMap does.

use std::borrow::Borrow;

use serde::ser::{Serialize, SerializeMap, Serializer};

/// An ordered map over a sorted vector of pairs.
#[derive(Debug, Clone, PartialEq)]
pub struct VecMap<K, V> {
    entries: Vec<(K, V)>,
}

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        VecMap { entries: Vec::new() }
    }
}

impl<K: Ord, V> VecMap<K, V> {
    pub fn new() -> Self {
        VecMap::default()
    }

    fn find<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        self.entries.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    /// Inserts, returning the value the key had.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| &self.entries[i].1)
    }

    pub fn get_mut<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.find(key).ok().map(|i| &mut self.entries[i].1)
    }

    /// The value of `key`, inserting `default()` first when it is missing (`entry().or_insert_with`).
    pub fn get_or_insert_with(&mut self, key: K, default: impl FnOnce() -> V) -> &mut V {
        let i = match self.find(&key) {
            Ok(i) => i,
            Err(i) => {
                self.entries.insert(i, (key, default()));
                i
            }
        };
        &mut self.entries[i].1
    }

    pub fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.find(key).is_ok()
    }
}

impl<K: Ord> VecMap<K, ()> {
    /// Set use: adds `key`, true when it was not there yet (`BTreeSet::insert`).
    pub fn add(&mut self, key: K) -> bool {
        self.insert(key, ()).is_none()
    }
}

impl<K, V> VecMap<K, V> {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Pairs in key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> + ExactSizeIterator {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + ExactSizeIterator {
        self.entries.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator {
        self.entries.iter().map(|(_, v)| v)
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for VecMap<K, V> {
    /// The last value wins for a repeated key, as with BTreeMap. Sorts once (core's small merge
    /// sort), so building from many pairs stays O(n log n).
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> Self {
        let mut pairs: Vec<(K, V)> = pairs.into_iter().collect();
        crate::sort::sort_by(&mut pairs, |a, b| a.0.cmp(&b.0));
        let mut entries: Vec<(K, V)> = Vec::with_capacity(pairs.len());
        for pair in pairs {
            match entries.last_mut() {
                // Stable sort: a later pair with the same key comes later, and replaces.
                Some(last) if last.0 == pair.0 => *last = pair,
                _ => entries.push(pair),
            }
        }
        VecMap { entries }
    }
}

impl<K, V> IntoIterator for VecMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a, K, V> IntoIterator for &'a VecMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

impl<K: Ord + Borrow<Q>, Q: Ord + ?Sized, V> std::ops::Index<&Q> for VecMap<K, V> {
    type Output = V;

    /// Panics when the key is missing, as BTreeMap's index does: for keys known to be there.
    fn index(&self, key: &Q) -> &V {
        self.get(key).expect("key present in VecMap")
    }
}

impl<K: Serialize, V: Serialize> Serialize for VecMap<K, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.entries.len()))?;
        for (k, v) in &self.entries {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn behaves_like_a_btree_map() {
        let mut ours = VecMap::new();
        let mut std = BTreeMap::new();
        let mut x: u64 = 7;
        for _ in 0..500 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let key = (x >> 40) % 97;
            assert_eq!(ours.insert(key, x), std.insert(key, x));
            *ours.get_or_insert_with(key / 2, || 0) += 1;
            *std.entry(key / 2).or_insert(0) += 1;
        }
        assert_eq!(ours.len(), std.len());
        assert!(ours.iter().eq(std.iter()));
        assert_eq!(ours.get(&5), std.get(&5));
        assert!(!ours.contains_key(&1000));
        assert_eq!(serde_json::to_string(&ours).unwrap(), serde_json::to_string(&std).unwrap());
        let collected: VecMap<_, _> = vec![("b", 1), ("a", 2), ("b", 3)].into_iter().collect();
        assert_eq!(collected.iter().collect::<Vec<_>>(), vec![(&"a", &2), (&"b", &3)]);
        assert_eq!(collected["b"], 3);
    }
}
