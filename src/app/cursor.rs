//! A list cursor keyed by item identity, so refreshes, re-sorts and new rows never move the
//! selection to a different item.

use crate::domain::ItemKey;

/// The identity of a shown row: a listed item, or an audit entry (entries are only ever
/// appended, so an entry's position from the oldest is stable).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RowKey {
    Item(ItemKey),
    Audit(usize),
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cursor {
    /// The selected item's identity; authoritative while that item exists.
    key: Option<RowKey>,
    /// Where the selection was last seen: used when the selected item disappears, so the
    /// cursor lands on its neighbour instead of jumping to the top.
    index: usize,
    /// The user put the cursor on its item (moved it, or acted on it). Until then it stays
    /// on the first row in display order as rows arrive: which backend answers first must
    /// not decide where it rests.
    chosen: bool,
}

impl Cursor {
    /// The selected row within `keys`, re-anchoring when the selected item is gone.
    pub fn resolve(&mut self, keys: &[RowKey]) -> Option<usize> {
        if keys.is_empty() {
            self.index = 0;
            return None;
        }
        if !self.chosen {
            self.index = 0;
            self.key = Some(keys[0].clone());
            return Some(0);
        }
        if let Some(key) = &self.key
            && let Some(i) = keys.iter().position(|k| k == key)
        {
            self.index = i;
            return Some(i);
        }
        let i = self.index.min(keys.len() - 1);
        self.index = i;
        self.key = Some(keys[i].clone());
        Some(i)
    }

    /// The row last resolved; current after [`Cursor::resolve`] on the same keys.
    pub fn index(&self) -> usize {
        self.index
    }

    pub fn key(&self) -> Option<&RowKey> {
        self.key.as_ref()
    }

    /// Moves by `delta` rows (clamped); returns whether the selection changed.
    pub fn step(&mut self, keys: &[RowKey], delta: isize) -> bool {
        let Some(i) = self.resolve(keys) else {
            return false;
        };
        let last = keys.len() as isize - 1;
        let j = (i as isize + delta).clamp(0, last) as usize;
        self.set(keys, j);
        i != j
    }

    pub fn set(&mut self, keys: &[RowKey], index: usize) {
        if let Some(key) = keys.get(index) {
            self.index = index;
            self.key = Some(key.clone());
            self.chosen = true;
        }
    }

    /// Keeps the cursor on the item it is on from now on, wherever its row goes.
    pub fn hold(&mut self) {
        self.chosen = self.key.is_some();
    }

    /// Puts the cursor on `key`, wherever that row is (found at the next resolve).
    pub fn select(&mut self, key: RowKey) {
        self.key = Some(key);
        self.chosen = true;
    }

    pub fn is_chosen(&self) -> bool {
        self.chosen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(ids: &[&str]) -> Vec<RowKey> {
        ids.iter()
            .map(|id| RowKey::Item(ItemKey::new("b", "p", id)))
            .collect()
    }

    #[test]
    fn rests_on_the_first_row_until_chosen() {
        let mut c = Cursor::default();
        assert_eq!(c.resolve(&keys(&["late"])), Some(0));
        // Rows of a slower backend arrive above: still the first row.
        let after = keys(&["early", "late"]);
        assert_eq!(c.resolve(&after), Some(0));
        assert_eq!(c.key(), Some(&after[0]));
        c.hold();
        let more = keys(&["new", "early", "late"]);
        assert_eq!(c.resolve(&more), Some(1), "held: it follows its item");
    }

    #[test]
    fn follows_the_item_not_the_row() {
        let mut c = Cursor::default();
        let before = keys(&["a", "b", "c"]);
        c.step(&before, 1);
        assert_eq!(c.resolve(&before), Some(1));
        // A new row arrives on top: the cursor stays on "b".
        let after = keys(&["new", "a", "b", "c"]);
        assert_eq!(c.resolve(&after), Some(2));
        assert_eq!(c.key(), Some(&RowKey::Item(ItemKey::new("b", "p", "b"))));
    }

    #[test]
    fn lands_on_the_neighbour_when_the_item_goes() {
        let mut c = Cursor::default();
        let before = keys(&["a", "b", "c"]);
        c.set(&before, 2);
        assert_eq!(c.resolve(&keys(&["a", "b"])), Some(1));
        assert_eq!(c.resolve(&[]), None);
    }

    #[test]
    fn steps_are_clamped() {
        let mut c = Cursor::default();
        let k = keys(&["a", "b"]);
        assert!(!c.step(&k, -5));
        assert!(c.step(&k, 10));
        assert_eq!(c.resolve(&k), Some(1));
    }
}
