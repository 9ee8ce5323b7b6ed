//! The reads an RDB payload decoder makes, behind one small interface: Redis's `RedisModuleIO` in the server,
//! a byte slice in the fuzz targets (`fuzz/`), so that the decoding of tensors, models and scripts is pure code.

use redis_module::raw;

/// A source of RDB values, read in order.
pub trait RdbInput {
    /// The next unsigned integer.
    fn unsigned(&mut self) -> Result<u64, &'static str>;
    /// The next signed integer.
    fn signed(&mut self) -> Result<i64, &'static str>;
    /// The next string buffer.
    fn buffer(&mut self) -> Result<Vec<u8>, &'static str>;

    /// The next string buffer as text, without its trailing NUL (invalid UTF-8 replaced).
    fn cstr(&mut self) -> Result<String, &'static str> {
        let mut b = self.buffer()?;
        if b.last() == Some(&0) {
            b.pop();
        }
        Ok(String::from_utf8_lossy(&b).into_owned())
    }
}

/// The `RedisModuleIO` of an `rdb_load` callback.
pub struct ModuleIo(pub *mut raw::RedisModuleIO);

impl RdbInput for ModuleIo {
    fn unsigned(&mut self) -> Result<u64, &'static str> {
        raw::load_unsigned(self.0).map_err(|_| "short read")
    }
    fn signed(&mut self) -> Result<i64, &'static str> {
        raw::load_signed(self.0).map_err(|_| "short read")
    }
    fn buffer(&mut self) -> Result<Vec<u8>, &'static str> {
        let b = raw::load_string_buffer(self.0).map_err(|_| "short read")?;
        Ok(b.as_ref().to_vec())
    }
}

/// RDB values framed in a byte slice: integers as 8 little-endian bytes, a buffer as a 4-byte little-endian
/// length and its bytes. What the fuzz targets feed the decoders.
pub struct SliceInput<'a>(pub &'a [u8]);

impl SliceInput<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], &'static str> {
        if self.0.len() < n {
            return Err("short read");
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn eight(&mut self) -> Result<[u8; 8], &'static str> {
        self.take(8)?.try_into().map_err(|_| "short read")
    }
}

impl RdbInput for SliceInput<'_> {
    fn unsigned(&mut self) -> Result<u64, &'static str> {
        Ok(u64::from_le_bytes(self.eight()?))
    }
    fn signed(&mut self) -> Result<i64, &'static str> {
        Ok(i64::from_le_bytes(self.eight()?))
    }
    fn buffer(&mut self) -> Result<Vec<u8>, &'static str> {
        let len: [u8; 4] = self.take(4)?.try_into().map_err(|_| "short read")?;
        Ok(self.take(u32::from_le_bytes(len) as usize)?.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::rdb::decode_model;
    use crate::script::rdb::decode_script;
    use crate::tensor::rdb::{decode_header, ENCVER};

    fn u(v: u64) -> Vec<u8> {
        v.to_le_bytes().to_vec()
    }

    fn buf(b: &[u8]) -> Vec<u8> {
        let mut v = (b.len() as u32).to_le_bytes().to_vec();
        v.extend_from_slice(b);
        v
    }

    #[test]
    fn tensor_header_v4_and_v0() {
        // FLOAT 2x3.
        let v4 = [u(2), u(32), u(2), u(2), u(3)].concat();
        let (dtype, shape, len) = decode_header(&mut SliceInput(&v4), ENCVER).unwrap();
        assert_eq!((dtype.name(), shape, len), ("FLOAT", vec![2, 3], 6));
        // v0: CPU, device 0, 64 bits, code 0 (INT64), 1 lane, 1 dim of 3, stride and offset.
        let v0 = [u(1), u(0), u(64), u(0), u(1), u(1), u(3), u(1), u(0)].concat();
        let (dtype, shape, _) = decode_header(&mut SliceInput(&v0), 0).unwrap();
        assert_eq!((dtype.name(), shape), ("INT64", vec![3]));
        // Truncated, a zero dimension, too many dimensions, an element count past usize: errors, no panic.
        assert_eq!(
            decode_header(&mut SliceInput(&v4[..20]), ENCVER).unwrap_err(),
            "short read"
        );
        let zero = [u(2), u(32), u(1), u(0)].concat();
        assert!(decode_header(&mut SliceInput(&zero), ENCVER).is_err());
        let deep = [u(2), u(32), u(1 << 40)].concat();
        assert!(decode_header(&mut SliceInput(&deep), ENCVER).is_err());
        let huge = [u(2), u(32), u(2), u(1 << 40), u(1 << 40)].concat();
        assert_eq!(
            decode_header(&mut SliceInput(&huge), ENCVER).unwrap_err(),
            "tensor too large"
        );
    }

    #[test]
    fn model_blob_must_match_its_declared_length() {
        let head = [
            u(3),
            buf(b"CPU\0"),
            buf(b"tag"),
            u(0),
            u(0),
            u(0),
            u(0),
            u(0),
        ]
        .concat();
        let ok = [head.clone(), u(6), u(2), buf(b"abc"), buf(b"def")].concat();
        let (meta, blob) = decode_model(&mut SliceInput(&ok), ENCVER).unwrap();
        assert_eq!(
            (meta.device.as_str(), blob.as_slice()),
            ("CPU", &b"abcdef"[..])
        );
        // A length claimed far beyond the chunks (and beyond memory) is refused without reserving it.
        let lying = [head.clone(), u(u64::MAX >> 1), u(1), buf(b"abc")].concat();
        assert!(decode_model(&mut SliceInput(&lying), ENCVER).is_err());
        let long = [head, u(2), u(2), buf(b"abc"), buf(b"def")].concat();
        assert!(decode_model(&mut SliceInput(&long), ENCVER).is_err());
    }

    #[test]
    fn script_fields() {
        let s = [
            buf(b"CPU\0"),
            buf(b""),
            buf(b"def f(a): return a\0"),
            u(1),
            buf(b"f\0"),
        ]
        .concat();
        let (device, _, source, entry) = decode_script(&mut SliceInput(&s), ENCVER).unwrap();
        assert_eq!(
            (device.as_str(), source.as_str()),
            ("CPU", "def f(a): return a")
        );
        assert_eq!(entry, ["f"]);
        let many = [buf(b"CPU\0"), buf(b""), buf(b"x\0"), u(u64::MAX)].concat();
        assert!(decode_script(&mut SliceInput(&many), ENCVER).is_err());
    }
}
