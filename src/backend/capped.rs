//! Lists decoded with an item limit that holds while decoding, not after.
//!
//! Every field of a list item may have a default, so `{}` is a valid item: a hostile or
//! broken server can fit millions of items into a body well under the byte cap
//! ([`crate::backend::http::DEFAULT_BODY_LIMIT`]), each of which decodes to a struct of
//! hundreds of bytes. Truncating after decoding would already have paid for all of them;
//! [`at_most`] stops with an error at the first item past the limit.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, Error as _, SeqAccess, Visitor};

/// The most Argo workflows, and Harness executions, one read of a backend keeps.
pub const MAX_EXECUTIONS: usize = 10_000;
/// The most Harness pipelines one read of a backend keeps.
pub const MAX_PIPELINES: usize = 5_000;

/// What the error says when a list is longer than `max`.
pub fn too_many(max: usize) -> String {
    format!("more than {max} items (flightdeck's limit); refusing the rest")
}

/// A JSON array (or `null`, read as empty) of at most `N` items; a longer one fails while
/// decoding, at item `N + 1`. Use with `#[serde(deserialize_with = "capped::at_most::<_, _, N>")]`.
pub fn at_most<'de, D, T, const N: usize>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    deserializer.deserialize_any(Capped::<T> {
        max: N,
        item: PhantomData,
    })
}

/// [`at_most`] for an optional field: `null` and absent stay `None`.
pub fn at_most_opt<'de, D, T, const N: usize>(deserializer: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    deserializer.deserialize_option(OptCapped::<T> {
        max: N,
        item: PhantomData,
    })
}

struct Capped<T> {
    max: usize,
    item: PhantomData<T>,
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for Capped<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an array of at most {} items", self.max)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Vec<T>, E> {
        Ok(Vec::new())
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Vec<T>, E> {
        Ok(Vec::new())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        // The size hint comes from the server: never trust it for more than a small start.
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(self.max).min(1024));
        while let Some(item) = seq.next_element()? {
            if out.len() == self.max {
                return Err(A::Error::custom(too_many(self.max)));
            }
            out.push(item);
        }
        Ok(out)
    }
}

struct OptCapped<T> {
    max: usize,
    item: PhantomData<T>,
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for OptCapped<T> {
    type Value = Option<Vec<T>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "null or an array of at most {} items", self.max)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer
            .deserialize_seq(Capped::<T> {
                max: self.max,
                item: PhantomData,
            })
            .map(Some)
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct List {
        #[serde(default, deserialize_with = "super::at_most::<_, _, 3>")]
        items: Vec<serde_json::Value>,
        #[serde(default, deserialize_with = "super::at_most_opt::<_, _, 2>")]
        maybe: Option<Vec<u8>>,
    }

    #[test]
    fn up_to_the_limit_decodes() {
        let l: List = serde_json::from_str(r#"{"items":[{},{},{}],"maybe":[1,2]}"#).unwrap();
        assert_eq!(l.items.len(), 3);
        assert_eq!(l.maybe, Some(vec![1, 2]));
        let l: List = serde_json::from_str(r#"{"items":null,"maybe":null}"#).unwrap();
        assert!(l.items.is_empty());
        assert_eq!(l.maybe, None);
        let l: List = serde_json::from_str("{}").unwrap();
        assert_eq!(l.maybe, None);
    }

    #[test]
    fn past_the_limit_is_an_error_that_says_so() {
        let e = serde_json::from_str::<List>(r#"{"items":[{},{},{},{}]}"#).unwrap_err();
        assert!(e.to_string().contains("more than 3 items"), "{e}");
        let e = serde_json::from_str::<List>(r#"{"maybe":[1,2,3]}"#).unwrap_err();
        assert!(e.to_string().contains("more than 2 items"), "{e}");
    }

    #[test]
    fn a_million_empty_items_stop_at_the_limit() {
        let body = format!(r#"{{"items":[{}{{}}]}}"#, "{},".repeat(1_000_000));
        let e = serde_json::from_str::<List>(&body).unwrap_err();
        assert!(e.to_string().contains("more than 3 items"), "{e}");
    }
}
