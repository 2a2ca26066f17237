//! Deployment ids: short, readable, generated once (`sre-` and six base-36 characters).

use std::hash::{BuildHasher, Hasher};

/// A new deployment id such as `sre-k3x9qf`.
pub fn generate() -> String {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.write_u32(std::process::id());
    let mut n = hasher.finish();
    let alphabet = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut id = String::from("sre-");
    for _ in 0..6 {
        id.push(char::from(alphabet[usize::try_from(n % 36).unwrap_or(0)]));
        n /= 36;
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::rules;

    #[test]
    fn generated_ids_are_valid_and_differ() {
        let a = generate();
        let b = generate();
        assert!(rules::deployment_id(&a).is_ok(), "{a}");
        assert_eq!(a.len(), 10);
        assert_ne!(a, b);
    }
}
