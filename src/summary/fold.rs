//! Counts per key in bounded memory whatever the log holds: past a limit the rarest keys
//! are folded into one "other" count (with how many keys it holds), so anyone who can
//! send a request (a random Bearer value, a new User-Agent, a new path each time) cannot
//! make the summary grow without bound.
//!
//! Keys are kept up to half as many again as the limit, then the rarest are folded down to
//! the limit at once: a fold selects (linear) every `limit / 2` new keys, a constant
//! amortised cost per key. Which of equally heavy keys fold follows the table's order,
//! which FxHash (no random seed) fixes for a given input. A key folded
//! away and seen again starts a new count (its earlier ones stay in "other").

use std::collections::HashMap;

/// What is counted per key: something with a weight (how often) that can absorb another.
pub(crate) trait Count: Default {
    /// How much the key weighs when choosing what to fold.
    fn weight(&self) -> u64;
    /// Add `other` to `self`.
    fn absorb(&mut self, other: &Self);
}

impl Count for u64 {
    fn weight(&self) -> u64 {
        *self
    }
    fn absorb(&mut self, other: &Self) {
        *self += other;
    }
}

/// (successes, failures).
impl Count for (u64, u64) {
    fn weight(&self) -> u64 {
        self.0 + self.1
    }
    fn absorb(&mut self, other: &Self) {
        self.0 += other.0;
        self.1 += other.1;
    }
}

/// Counts per key, at most about 1.5 times `limit` keys at a time (see the module's text).
#[derive(Debug)]
pub(crate) struct Folding<V> {
    keys: Keys<V>,
    other: V,
    /// Keys folded into `other`.
    folded: u64,
}

/// Most groups count a handful of keys (a token's one or two IPs): a short list searched
/// in place costs one allocation; a table takes over past [`FEW`].
#[derive(Debug)]
enum Keys<V> {
    Few(Vec<(String, V)>),
    Many(HashMap<String, V, rustc_hash::FxBuildHasher>),
}

const FEW: usize = 8;

impl<V: Default> Default for Folding<V> {
    fn default() -> Self {
        Folding {
            keys: Keys::Few(Vec::new()),
            other: V::default(),
            folded: 0,
        }
    }
}

/// The heaviest keys, most first (ties by key), and what was folded.
pub(crate) struct Ranked<V> {
    /// At most the limit given to [`Folding::ranked`].
    pub kept: Vec<(String, V)>,
    /// The rest together, with how many keys; `None` when nothing was folded.
    pub other: Option<(V, u64)>,
}

impl<V: Count + Clone> Folding<V> {
    /// The count of `key`, added when new (folding the rarest first when 1.5 times
    /// `limit` keys are held already).
    pub(crate) fn entry(&mut self, key: &str, limit: usize) -> &mut V {
        if let Keys::Few(v) = &mut self.keys {
            if let Some(i) = v.iter().position(|(k, _)| k == key) {
                let Keys::Few(v) = &mut self.keys else {
                    unreachable!("matched above")
                };
                return &mut v[i].1;
            }
            if v.len() < FEW.min(limit.max(1)) {
                v.push((key.to_string(), V::default()));
                let Keys::Few(v) = &mut self.keys else {
                    unreachable!("matched above")
                };
                return &mut v.last_mut().expect("pushed").1;
            }
            let map = std::mem::take(v).into_iter().collect();
            self.keys = Keys::Many(map);
        }
        let Keys::Many(map) = &mut self.keys else {
            unreachable!("made a table above")
        };
        if !map.contains_key(key) {
            if map.len() > limit.max(1) + limit / 2 {
                Self::fold(map, limit, &mut self.other, &mut self.folded);
            }
            map.insert(key.to_string(), V::default());
        }
        map.get_mut(key).expect("inserted above")
    }

    /// Fold all but the `keep` heaviest keys into `other` (linear: a selection, not a sort).
    fn fold(
        map: &mut HashMap<String, V, rustc_hash::FxBuildHasher>,
        keep: usize,
        other: &mut V,
        folded: &mut u64,
    ) {
        if map.len() <= keep {
            return;
        }
        let mut all: Vec<(String, V)> = map.drain().collect();
        // Ties by weight only: the table's order is fixed (FxHash has no random seed).
        all.select_nth_unstable_by(keep, |a, b| b.1.weight().cmp(&a.1.weight()));
        for (_, v) in all.drain(keep..) {
            other.absorb(&v);
            *folded += 1;
        }
        map.extend(all);
    }

    /// The `limit` heaviest keys and the rest folded, for a report (nothing changes).
    pub(crate) fn ranked(&self, limit: usize) -> Ranked<V> {
        let mut all: Vec<(String, V)> = match &self.keys {
            Keys::Few(v) => v.clone(),
            Keys::Many(m) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        };
        sort(&mut all);
        let mut other = self.other.clone();
        let mut folded = self.folded;
        if all.len() > limit {
            for (_, v) in all.drain(limit..) {
                other.absorb(&v);
                folded += 1;
            }
        }
        Ranked {
            kept: all,
            other: (folded > 0).then_some((other, folded)),
        }
    }

    /// Keys held now (at most 1.5 times the limit).
    #[cfg(test)]
    pub(crate) fn held(&self) -> usize {
        match &self.keys {
            Keys::Few(v) => v.len(),
            Keys::Many(m) => m.len(),
        }
    }
}

/// Heaviest first, ties by key.
fn sort<V: Count>(v: &mut [(String, V)]) {
    v.sort_by(|a, b| b.1.weight().cmp(&a.1.weight()).then_with(|| a.0.cmp(&b.0)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rarest_fold_and_the_heaviest_stay() {
        let mut f: Folding<u64> = Folding::default();
        // A busy key among a flood of keys seen once.
        for i in 0..100_000u64 {
            *f.entry(&format!("k{i}"), 10) += 1;
            *f.entry("busy", 10) += 1;
            assert!(f.held() <= 16);
        }
        let r = f.ranked(10);
        assert_eq!(r.kept.len(), 10);
        assert_eq!(r.kept[0], ("busy".to_string(), 100_000));
        let (rest, keys) = r.other.unwrap();
        let kept: u64 = r.kept.iter().map(|(_, n)| n).sum();
        assert_eq!(kept + rest, 200_000, "nothing is lost");
        assert_eq!(
            keys,
            100_001 - 10,
            "every key seen once, but the ten kept, is folded"
        );
        // Under the limit nothing folds.
        let mut g: Folding<(u64, u64)> = Folding::default();
        g.entry("a", 10).0 += 2;
        g.entry("b", 10).1 += 1;
        let r = g.ranked(10);
        assert!(r.other.is_none());
        assert_eq!(r.kept, [("a".into(), (2, 0)), ("b".into(), (0, 1))]);
    }
}
