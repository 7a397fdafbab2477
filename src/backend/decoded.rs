//! What the last answer to each polled call decoded to, by a digest of its body (or of the
//! part that tells the news): a poll that reads the same bytes again (nothing changed on
//! the server) is not decoded again. Harness NextGen sends the stage graph of every
//! execution in its executions list, about 3 kB each, so decoding that list was most of
//! what an idle dashboard cost.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hasher};
use std::sync::Mutex;

use super::Result;

/// A body by its length and 64-bit hash: bodies kept whole would cost more memory than
/// what they decode to. A false match needs two answers to the same call, of the same
/// length, with the same hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Digest {
    len: usize,
    hash: u64,
}

impl Digest {
    fn of(body: &[u8]) -> Self {
        let mut hasher = DefaultHasher::new();
        hasher.write(body);
        Digest {
            len: body.len(),
            hash: hasher.finish(),
        }
    }
}

/// The last successful decoding of each call, keyed by what tells the calls apart (a
/// project, say).
#[derive(Debug)]
pub struct Decoded<T> {
    last: Mutex<HashMap<String, (Digest, T)>>,
}

impl<T> Default for Decoded<T> {
    fn default() -> Self {
        Decoded {
            last: Mutex::new(HashMap::new()),
        }
    }
}

impl<T: Clone> Decoded<T> {
    /// What `body`, the answer to call `key`, decodes to: from the last answer when it had
    /// the same body, from `decode` otherwise. Failures are not kept.
    pub fn get(&self, key: &str, body: &[u8], decode: impl FnOnce() -> Result<T>) -> Result<T> {
        let digest = Digest::of(body);
        if let Some((seen, value)) = self.lock().get(key)
            && *seen == digest
        {
            return Ok(value.clone());
        }
        let value = decode()?;
        self.lock().insert(key.to_owned(), (digest, value.clone()));
        Ok(value)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Digest, T)>> {
        // A panic while holding the lock leaves a map that is still whole.
        self.last
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::BackendError;

    #[test]
    fn the_same_body_is_decoded_once_per_key() {
        let memo = Decoded::<String>::default();
        let mut decoded = 0;
        let mut get = |key: &str, body: &str| {
            memo.get(key, body.as_bytes(), || {
                decoded += 1;
                Ok(body.to_uppercase())
            })
            .unwrap()
        };
        assert_eq!(get("a", "one"), "ONE");
        assert_eq!(get("a", "one"), "ONE");
        assert_eq!(get("b", "one"), "ONE");
        assert_eq!(get("a", "two"), "TWO");
        assert_eq!(get("a", "one"), "ONE");
        assert_eq!(decoded, 4);
    }

    #[test]
    fn a_failure_is_not_kept() {
        let memo = Decoded::<u32>::default();
        let failed = memo.get("a", b"x", || Err(BackendError::Decode("bad".into())));
        assert!(failed.is_err());
        assert_eq!(memo.get("a", b"x", || Ok(7)).unwrap(), 7);
        assert_eq!(memo.get("a", b"x", || Ok(8)).unwrap(), 7);
    }
}
