//! Model and script key naming shared by every SmartRedis client (an interoperability invariant: the Python,
//! C++ and Fortran clients of SmartRedis 0.6.1 must find what this one stores, byte for byte).
//!
//! - In a cluster a model or script is stored on **every** primary, under `{<prefix>}.<key>`, where `<prefix>` is
//!   the 2- or 3-byte string whose CRC16 is the primary's lowest slot ([`cluster_prefix`]), so the copy lands on
//!   that primary. Reads use the copy of the primary with the lowest slot.
//! - Multi-GPU copies are `<key>.GPU:<i>` on device `GPU:<i>`, plus `<key>` itself on device `GPU`.
//! - In a cluster, `run_model`/`run_script` copy their inputs and outputs to temporary keys on the model's
//!   primary, `{<prefix>}.<name>.TMP` (this crate adds a per-call token before `.TMP`; only the hash tag matters).

use crate::cluster::SLOT_COUNT;

/// The CRC16 (XMODEM) generator polynomial, with its x^16 term.
const POLY: u64 = 0x11021;

/// Largest bit shift the prefix search may reach (upstream's bound: at most 3 bytes).
const MAX_SHIFT: u32 = 24;

/// The device of the base copy of a multi-GPU model or script.
pub const GPU: &str = "GPU";

/// Suffix of the temporary keys `run_model`/`run_script` use in a cluster.
pub const TMP_SUFFIX: &str = ".TMP";

fn xor_shift(r: &mut u64, start: u32, nbits: u32) {
    for i in start..start + nbits {
        if *r & (1 << i) != 0 {
            *r ^= POLY << i;
        }
    }
}

fn prefix_bytes(r: u64, n_chars: u32) -> Vec<u8> {
    (0..n_chars)
        .rev()
        .map(|i| ((r >> 16) >> (8 * i)) as u8)
        .collect()
}

/// The hash-tag text whose CRC16 is `slot`, as SmartRedis computes it (`RedisCluster::_get_crc16_prefix`): the
/// 16-bit polynomial remainder, lengthened one bit at a time while it contains `{` or `}`. 16129 slots get two
/// bytes, 255 get three. `None` for a slot outside the cluster's range.
pub fn cluster_prefix(slot: u16) -> Option<Vec<u8>> {
    if slot >= SLOT_COUNT {
        return None;
    }
    let mut r = u64::from(slot);
    let mut bit_shifts = 16;
    let mut n_chars = 2;
    xor_shift(&mut r, 0, 16);
    while prefix_bytes(r, n_chars)
        .iter()
        .any(|&b| b == b'{' || b == b'}')
    {
        if bit_shifts > MAX_SHIFT {
            return None;
        }
        xor_shift(&mut r, bit_shifts, 1);
        bit_shifts += 1;
        n_chars = bit_shifts.div_ceil(8);
    }
    Some(prefix_bytes(r, n_chars))
}

/// `{<prefix>}.<key>`: the key of a model or script copy (or a temporary tensor) on the primary of `prefix`.
pub fn cluster_key(prefix: &[u8], key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(prefix.len() + key.len() + 3);
    out.push(b'{');
    out.extend_from_slice(prefix);
    out.extend_from_slice(b"}.");
    out.extend_from_slice(key);
    out
}

/// `<key>.GPU:<gpu>`: the key of the copy of a multi-GPU model or script on one GPU.
pub fn gpu_key(key: &str, gpu: i32) -> String {
    format!("{key}.{}", gpu_device(gpu))
}

/// `GPU:<gpu>`: the device of that copy.
pub fn gpu_device(gpu: i32) -> String {
    format!("{GPU}:{gpu}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_match_smartredis() {
        assert_eq!(cluster_prefix(0).unwrap(), [0x00, 0x00]);
        assert_eq!(cluster_prefix(5461).unwrap(), b"8M");
        assert_eq!(cluster_prefix(10923).unwrap(), [0xed, 0xeb]);
        assert_eq!(cluster_prefix(16383).unwrap(), [0x48, 0xd7]);
        assert_eq!(cluster_prefix(SLOT_COUNT), None);
        let lens = (0..SLOT_COUNT).map(|s| cluster_prefix(s).unwrap().len());
        let three = lens.filter(|&l| l == 3).count();
        assert_eq!(three, 255);
        for s in 0..SLOT_COUNT {
            let p = cluster_prefix(s).unwrap();
            assert!(!p.contains(&b'{') && !p.contains(&b'}'), "slot {s}");
        }
    }

    #[test]
    fn key_layouts() {
        assert_eq!(cluster_key(b"8M", b"m"), b"{8M}.m");
        assert_eq!(gpu_key("m", 3), "m.GPU:3");
        assert_eq!(gpu_device(0), "GPU:0");
    }
}
