//! Redis Cluster constants (Redis `cluster.h`), shared by the client's slot routing and the launcher's cluster
//! formation.

/// Number of hash slots of a Redis Cluster (`CLUSTER_SLOTS`).
pub const SLOT_COUNT: u16 = 16384;

/// Distance of a cluster node's bus port from its client port (`CLUSTER_PORT_INCR`).
pub const BUS_PORT_OFFSET: u16 = 10000;

/// The key prefix SmartRedis uses to address a cluster node by its lowest hash slot: the 2 or 3 bytes whose CRC16
/// (XMODEM, as Redis hashes keys) is `slot` and which contain no `{` or `}`, so that `"{" + prefix + "}." + key`
/// lands on `slot`. Byte for byte what SmartRedis 0.6.1 computes (`RedisCluster::_get_crc16_prefix`), which other
/// SmartRedis clients use to find per-node copies (models, scripts, AI.INFO keys). `None` for a slot out of range.
pub fn slot_prefix(slot: u16) -> Option<Vec<u8>> {
    if slot >= SLOT_COUNT {
        return None;
    }
    // Appending bytes to a CRC16 register is polynomial arithmetic: clearing the 16 low bits of `slot << 0` with
    // shifted copies of the polynomial leaves, above them, bytes whose CRC16 is `slot`.
    fn xor_shift(r: &mut u64, start: u32, nbits: u32) {
        for i in 0..nbits {
            if *r & (1u64 << (start + i)) != 0 {
                *r ^= 0x11021u64 << (start + i);
            }
        }
    }
    let bytes =
        |r: u64, n: u32| -> Vec<u8> { (0..n).rev().map(|i| (r >> (16 + 8 * i)) as u8).collect() };
    let mut r = u64::from(slot);
    let mut bit_shifts = 16u32;
    let mut n_chars = 2u32;
    xor_shift(&mut r, 0, 16);
    while bytes(r, n_chars).iter().any(|&b| b == b'{' || b == b'}') {
        if bit_shifts > 24 {
            return None;
        }
        xor_shift(&mut r, bit_shifts, 1);
        bit_shifts += 1;
        n_chars = bit_shifts.div_ceil(8);
    }
    Some(bytes(r, n_chars))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crc16_xmodem(data: &[u8]) -> u16 {
        let mut crc = 0u16;
        for &b in data {
            crc ^= u16::from(b) << 8;
            for _ in 0..8 {
                crc = if crc & 0x8000 != 0 {
                    (crc << 1) ^ 0x1021
                } else {
                    crc << 1
                };
            }
        }
        crc
    }

    #[test]
    fn slot_prefixes_hash_to_their_slot() {
        assert_eq!(slot_prefix(0).unwrap(), [0x00, 0x00]);
        assert_eq!(slot_prefix(5461).unwrap(), b"8M");
        assert_eq!(slot_prefix(10923).unwrap(), [0xed, 0xeb]);
        assert_eq!(slot_prefix(16383).unwrap(), [0x48, 0xd7]);
        assert_eq!(slot_prefix(SLOT_COUNT), None);
        let mut three = 0;
        for slot in 0..SLOT_COUNT {
            let p = slot_prefix(slot).unwrap();
            assert!(
                !p.contains(&b'{') && !p.contains(&b'}'),
                "slot {slot}: {p:?}"
            );
            assert_eq!(crc16_xmodem(&p) % SLOT_COUNT, slot, "slot {slot}: {p:?}");
            three += usize::from(p.len() == 3);
        }
        assert_eq!(three, 255);
    }
}
