//! Identifier shapes the backends use, drawn from a seeded generator so a seed reproduces them.

use rand::{Rng, RngExt};

const URL_SAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A 22-character URL-safe base64 UUID, the shape of Harness execution and node ids
/// (e.g. `IcZLrBrkR8a32AM_wxiE9A`).
pub(crate) fn url_id<R: Rng>(rng: &mut R) -> String {
    (0..22)
        .map(|_| char::from(URL_SAFE[rng.random_range(0..URL_SAFE.len())]))
        .collect()
}

/// A 24-hex-digit id, the shape of a Mongo ObjectId (approval instance ids).
pub(crate) fn hex_id<R: Rng>(rng: &mut R) -> String {
    format!("{:024x}", rng.random::<u128>() >> 32)
}

/// Five characters from the alphabet Kubernetes uses for `generateName` suffixes (no vowels,
/// no look-alikes), e.g. the `kgfn7` of `release-kgfn7`.
pub(crate) fn k8s_suffix<R: Rng>(rng: &mut R) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    (0..5)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// FNV-1a, 32 bits: how Argo turns node names into node ids and pod name suffixes.
pub(crate) fn fnv32a(s: &str) -> u32 {
    s.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// SplitMix64: spreads consecutive inputs over the whole 64-bit range.
pub(crate) fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A random (version 4) UUID in its usual hyphenated form, for correlation ids.
pub(crate) fn uuid_v4(bits: u128) -> String {
    let b = (bits & !(0xf << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
    let h = format!("{b:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn shapes() {
        let mut rng = StdRng::seed_from_u64(7);
        let u = url_id(&mut rng);
        assert_eq!(u.len(), 22);
        assert!(u.bytes().all(|b| URL_SAFE.contains(&b)));
        let h = hex_id(&mut rng);
        assert_eq!(h.len(), 24);
        assert!(h.bytes().all(|b| b.is_ascii_hexdigit()));
        let id = uuid_v4(u128::MAX);
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        let k = k8s_suffix(&mut rng);
        assert_eq!(k.len(), 5);
    }

    #[test]
    fn fnv32a_matches_the_reference_values() {
        // Published FNV-1a test vectors.
        assert_eq!(fnv32a(""), 0x811c_9dc5);
        assert_eq!(fnv32a("a"), 0xe40c_292c);
        assert_eq!(fnv32a("foobar"), 0xbf9c_f968);
    }
}
