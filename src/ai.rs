//! Builders for the RedisAI commands, exactly as SmartRedis 0.6.1 sends them (reference §5).
//!
//! Tensor commands are encoded here as RESP bytes (the hot path: the payload itself is never copied into them);
//! the rest are `redis::Cmd`s.

use smartredis_protocol::commands::{keyword, TENSORGET, TENSORSET};

use crate::tensor::DType;
use crate::transport::resp::push_bulk;

/// The RESP encoding of `AI.TENSORSET key TYPE d0 .. dn BLOB` followed by the blob's length line `$<len>\r\n`.
/// The caller sends this, then `blob_len` payload bytes, then `\r\n`.
pub fn tensorset_header(key: &[u8], dtype: DType, dims: &[usize], blob_len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + key.len() + 12 * dims.len());
    out.push(b'*');
    out.extend_from_slice((dims.len() + 5).to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
    push_bulk(&mut out, TENSORSET.as_bytes());
    push_bulk(&mut out, key);
    push_bulk(&mut out, dtype.wire_name().as_bytes());
    for d in dims {
        push_bulk(&mut out, d.to_string().as_bytes());
    }
    push_bulk(&mut out, keyword::BLOB.as_bytes());
    out.push(b'$');
    out.extend_from_slice(blob_len.to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
    out
}

/// The RESP encoding of `AI.TENSORGET key META BLOB`; the reply is
/// `["dtype", TYPE, "shape", [d...], "blob", <bytes>]`.
pub fn tensorget(key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(48 + key.len());
    out.extend_from_slice(b"*4\r\n");
    push_bulk(&mut out, TENSORGET.as_bytes());
    push_bulk(&mut out, key);
    push_bulk(&mut out, keyword::META.as_bytes());
    push_bulk(&mut out, keyword::BLOB.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::Element;

    #[test]
    fn encodes_like_redis_cmd() {
        let h = tensorset_header(b"k", f32::dtype(), &[2, 3], 24);
        let mut full = h.clone();
        full.extend_from_slice(&[0u8; 24]);
        full.extend_from_slice(b"\r\n");
        let cmd = redis::cmd("AI.TENSORSET")
            .arg("k")
            .arg("FLOAT")
            .arg(2)
            .arg(3)
            .arg("BLOB")
            .arg(&[0u8; 24][..])
            .get_packed_command();
        assert_eq!(full, cmd);
        let g = redis::cmd("AI.TENSORGET")
            .arg("k")
            .arg("META")
            .arg("BLOB")
            .get_packed_command();
        assert_eq!(tensorget(b"k"), g);
    }
}
