//! The reads an RDB payload decoder makes, behind one small interface: Redis's `RedisModuleIO` in the server,
//! a byte slice in the fuzz targets (`fuzz/`), so that the decoding of tensors, models and scripts is pure code.

use std::ptr::NonNull;

use redis_module::raw;

use crate::tensor::tensor::{HeldString, TensorData};

/// A source of RDB values, read in order.
pub trait RdbInput {
    /// The next unsigned integer.
    fn unsigned(&mut self) -> Result<u64, &'static str>;
    /// The next signed integer.
    fn signed(&mut self) -> Result<i64, &'static str>;
    /// The next string buffer.
    fn buffer(&mut self) -> Result<Vec<u8>, &'static str>;
    /// The next string buffer as a tensor's data: Redis's own string, held without a copy, in the server.
    fn tensor_data(&mut self) -> Result<TensorData, &'static str> {
        self.buffer().map(TensorData::owned)
    }

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
    fn tensor_data(&mut self) -> Result<TensorData, &'static str> {
        // SAFETY: LoadString returns a new string we own, or NULL on an IO error.
        let s = unsafe { raw::RedisModule_LoadString.map(|f| f(self.0)) }
            .and_then(NonNull::new)
            .ok_or("short read")?;
        // SAFETY: we own the single reference LoadString returned.
        Ok(TensorData::Held(unsafe { HeldString::adopt(s) }))
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
    use crate::tensor::rdb::{decode_header, decode_tensor, ENCVER};

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
    fn string_tensor_v4_reads_the_element_offsets() {
        // STRING (DLPack 7, 8 bits), 2 elements "a" and "bc": offsets 0 and 2 after the data, as RedisAI 1.2.7.
        let head = [u(7), u(8), u(1), u(2), buf(b"a\0bc\0")].concat();
        let t = decode_tensor(
            &mut SliceInput(&[head.clone(), u(0), u(2)].concat()),
            ENCVER,
        )
        .unwrap();
        assert_eq!((t.shape, t.data.bytes()), (vec![2], &b"a\0bc\0"[..]));
        for bad in [
            head.clone(),                        // offsets missing
            [head.clone(), u(0)].concat(),       // one missing
            [head.clone(), u(0), u(3)].concat(), // not at an element
            [head.clone(), u(1), u(2)].concat(), // first not 0
        ] {
            assert!(decode_tensor(&mut SliceInput(&bad), ENCVER).is_err());
        }
        // Before v4 there are no offsets.
        let v0 = [
            u(1),
            u(0),
            u(8),
            u(7),
            u(1),
            u(1),
            u(2),
            u(1),
            u(0),
            buf(b"a\0bc\0"),
        ]
        .concat();
        assert_eq!(decode_tensor(&mut SliceInput(&v0), 0).unwrap().shape, [2]);
    }

    /// Every committed seed of the `rdb_decode` fuzz target (`fuzz/seeds/rdb_decode`, framed as that target reads
    /// them: a selector byte, then `SliceInput` values) is a valid value for the decoder it selects.
    #[test]
    fn fuzz_seeds_decode() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/seeds/rdb_decode");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            let (&which, rest) = data.split_first().unwrap();
            let (mut r, encver) = (SliceInput(rest), i32::from(which >> 2) % 6);
            let ok = match which % 3 {
                0 => decode_tensor(&mut r, encver)
                    .map(drop)
                    .map_err(String::from),
                1 => decode_model(&mut r, encver).map(drop),
                _ => decode_script(&mut r, encver).map(drop),
            };
            assert_eq!(ok, Ok(()), "{}", path.display());
            assert!(r.0.is_empty(), "{}: bytes left over", path.display());
            seen += 1;
        }
        assert!(seen >= 5);
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
