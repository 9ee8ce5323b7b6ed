//! Key → hash slot, with Redis's exact `{hash tag}` rules (`cluster.c` `keyHashSlot`).
//!
//! Redis hashes only the text between the first `{` and the first `}` after it, and only if that text is
//! non-empty; otherwise the whole key. (SmartRedis 0.6.1 differs in edge cases such as `{}`: upstream quirk 12. We
//! follow Redis, because the server decides where a key lives.)

pub use smartredis_protocol::cluster::SLOT_COUNT;

use crate::error::{Error, Result};

/// A hash slot, always `< SLOT_COUNT`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slot(u16);

impl Slot {
    /// The slot of `key`.
    pub fn for_key(key: &[u8]) -> Slot {
        Slot(crc16::State::<crc16::XMODEM>::calculate(hash_tag(key)) % SLOT_COUNT)
    }

    /// A slot number, checked against `SLOT_COUNT`.
    pub fn new(n: u16) -> Result<Slot> {
        if n < SLOT_COUNT {
            Ok(Slot(n))
        } else {
            Err(Error::Internal(format!(
                "slot {n} is out of range (0..{SLOT_COUNT})"
            )))
        }
    }

    /// The slot number.
    pub fn get(self) -> u16 {
        self.0
    }
}

/// The part of `key` that is hashed: the non-empty text inside the first `{...}`, else the whole key.
pub fn hash_tag(key: &[u8]) -> &[u8] {
    if let Some(open) = key.iter().position(|&b| b == b'{') {
        if let Some(len) = key[open + 1..].iter().position(|&b| b == b'}') {
            if len > 0 {
                return &key[open + 1..open + 1 + len];
            }
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_slots() {
        // Values from `CLUSTER KEYSLOT` on Redis 7.
        assert_eq!(Slot::for_key(b"foo").get(), 12182);
        assert_eq!(Slot::for_key(b"bar").get(), 5061);
        assert_eq!(Slot::for_key(b"123456789").get(), 0x31C3 % SLOT_COUNT);
        assert_eq!(
            Slot::for_key(b"{user1000}.following"),
            Slot::for_key(b"user1000")
        );
        // An empty first tag hashes the whole key; a second tag is never looked at.
        assert_eq!(Slot::for_key(b"foo{}{bar}").get(), 8363);
        assert_ne!(Slot::for_key(b"foo{}{bar}"), Slot::for_key(b"bar"));
        assert_eq!(Slot::for_key(b"foo{{bar}}zap").get(), 4015);
        assert_eq!(Slot::for_key(b"foo{{bar}}zap"), Slot::for_key(b"{bar"));
    }

    #[test]
    fn hash_tag_rules() {
        assert_eq!(hash_tag(b"{a}b"), b"a");
        assert_eq!(hash_tag(b"x{a}{b}"), b"a");
        assert_eq!(hash_tag(b"{}a"), b"{}a");
        assert_eq!(hash_tag(b"foo{}{bar}"), b"foo{}{bar}");
        assert_eq!(hash_tag(b"foo{{bar}}zap"), b"{bar");
        assert_eq!(hash_tag(b"foo{bar}{zap}"), b"bar");
        assert_eq!(hash_tag(b"no tag"), b"no tag");
        assert_eq!(hash_tag(b"open{only"), b"open{only");
        assert_eq!(hash_tag(b""), b"");
    }

    #[test]
    fn slot_is_validated() {
        assert!(Slot::new(16383).is_ok());
        assert!(Slot::new(16384).is_err());
    }
}
