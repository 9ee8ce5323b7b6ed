//! How a dataset lies in the database, byte for byte as SmartRedis 0.6.1 writes and reads it (reference §4.5,
//! §4.6, `include/metadatabuffer.h`): the key layout and the binary encoding of metadata fields.
//!
//! Keys, with `P` the ensemble prefix (`"SSKEYOUT."`, or empty):
//! - base key `P{name}` (the element stored in aggregation lists),
//! - metadata hash `P{name}.meta`, holding one field per metadata field, the tensor names under
//!   [`TENSOR_NAMES_FIELD`], and the acknowledgement [`ACK_FIELD`] = [`ACK_VALUE`], written last,
//! - tensor `t` under `P{name}.t` (a RedisAI tensor).
//!
//! Every key of a dataset shares the `{name}` hash tag, so in a cluster they all live on one shard.
//!
//! A metadata field value is one byte, the type id (the `SRMetaDataType` value), then:
//! - scalars (ids 1–6): the values, native-endian, back to back (the count is implied by the length);
//! - strings (id 7): for each string its length as a native-endian `size_t` (8 bytes), then its bytes (no NUL).

/// Suffix of the metadata hash key (after the base key).
pub const META_SUFFIX: &str = ".meta";
/// Hash field holding the tensor names, in insertion order, as a string field.
pub const TENSOR_NAMES_FIELD: &str = ".tensor_names";
/// Hash field that marks a dataset as completely written.
pub const ACK_FIELD: &str = ".COMPLETE";
/// Value of [`ACK_FIELD`].
pub const ACK_VALUE: &str = "1";

/// Type id of a string field.
pub const STRING_TYPE_ID: u8 = 7;

/// The base key of dataset `name` under `prefix` (`""` or `"<SSKEYOUT>."`): `prefix{name}`.
pub fn base_key(prefix: &str, name: &str) -> String {
    format!("{prefix}{{{name}}}")
}

/// The metadata hash key of a base key: `base.meta`.
pub fn meta_key(base: &str) -> String {
    format!("{base}{META_SUFFIX}")
}

/// The key of tensor `tensor` of a dataset with base key `base`: `base.tensor`.
pub fn tensor_key(base: &str, tensor: &str) -> String {
    format!("{base}.{tensor}")
}

/// The dataset name inside a base key (as stored in aggregation lists): the text between the first `{` and the
/// last `}`, as upstream reads it. `None` when there is no such pair.
pub fn name_from_base_key(base: &str) -> Option<&str> {
    let open = base.find('{')?;
    let close = base.rfind('}')?;
    (close > open).then(|| &base[open + 1..close])
}

/// Values of one metadata field.
#[derive(Clone, Debug, PartialEq)]
pub enum MetaValues {
    /// `SRMetadataTypeDouble` (1).
    F64(Vec<f64>),
    /// `SRMetadataTypeFloat` (2).
    F32(Vec<f32>),
    /// `SRMetadataTypeInt32` (3).
    I32(Vec<i32>),
    /// `SRMetadataTypeInt64` (4).
    I64(Vec<i64>),
    /// `SRMetadataTypeUint32` (5).
    U32(Vec<u32>),
    /// `SRMetadataTypeUint64` (6).
    U64(Vec<u64>),
    /// `SRMetadataTypeString` (7); strings are bytes (upstream's `std::string`), normally UTF-8.
    Str(Vec<Vec<u8>>),
}

/// Why a metadata value could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecodeError {}

macro_rules! scalar_codec {
    ($($variant:ident: $t:ty = $id:expr),* $(,)?) => {
        impl MetaValues {
            /// The type id (the `SRMetaDataType` value).
            pub fn type_id(&self) -> u8 {
                match self {
                    $(MetaValues::$variant(_) => $id,)*
                    MetaValues::Str(_) => STRING_TYPE_ID,
                }
            }

            /// Number of values.
            pub fn len(&self) -> usize {
                match self {
                    $(MetaValues::$variant(v) => v.len(),)*
                    MetaValues::Str(v) => v.len(),
                }
            }

            /// Whether the field holds no value.
            pub fn is_empty(&self) -> bool {
                self.len() == 0
            }

            /// The empty field of type id `id`, or `None` for an unknown id.
            pub fn empty(id: u8) -> Option<MetaValues> {
                match id {
                    $($id => Some(MetaValues::$variant(Vec::new())),)*
                    STRING_TYPE_ID => Some(MetaValues::Str(Vec::new())),
                    _ => None,
                }
            }

            /// The serialized field value.
            pub fn encode(&self) -> Vec<u8> {
                let mut out = vec![self.type_id()];
                match self {
                    $(MetaValues::$variant(v) => {
                        out.reserve(v.len() * std::mem::size_of::<$t>());
                        for x in v {
                            out.extend_from_slice(&x.to_ne_bytes());
                        }
                    })*
                    MetaValues::Str(v) => {
                        for s in v {
                            out.extend_from_slice(&(s.len() as u64).to_ne_bytes());
                            out.extend_from_slice(s);
                        }
                    }
                }
                out
            }

            /// Decodes a serialized field value. As upstream: the type comes from byte 0; scalar data must be a
            /// whole number of values; a string field must hold complete (length, bytes) entries.
            pub fn decode(buf: &[u8]) -> Result<MetaValues, DecodeError> {
                let Some((&id, rest)) = buf.split_first() else {
                    return Err(DecodeError(
                        "The MetadataField type cannot be retrieved from an empty buffer".into(),
                    ));
                };
                match id {
                    $($id => {
                        const SIZE: usize = std::mem::size_of::<$t>();
                        if rest.len() % SIZE != 0 {
                            return Err(DecodeError(format!(
                                "The data portion of the provided metadata buffer does not contain the \
                                 correct number of bytes for a {SIZE} byte scalar type. It contains {} bytes",
                                rest.len()
                            )));
                        }
                        Ok(MetaValues::$variant(
                            rest.chunks_exact(SIZE)
                                .map(|c| {
                                    let mut a = [0u8; SIZE];
                                    a.copy_from_slice(c);
                                    <$t>::from_ne_bytes(a)
                                })
                                .collect(),
                        ))
                    })*
                    STRING_TYPE_ID => decode_strings(rest).map(MetaValues::Str),
                    other => Err(DecodeError(format!("Unknown metadata type id {other}"))),
                }
            }
        }
    };
}

scalar_codec!(F64: f64 = 1, F32: f32 = 2, I32: i32 = 3, I64: i64 = 4, U32: u32 = 5, U64: u64 = 6);

fn decode_strings(mut rest: &[u8]) -> Result<Vec<Vec<u8>>, DecodeError> {
    let mut out = Vec::new();
    while !rest.is_empty() {
        if rest.len() < 8 {
            return Err(DecodeError(format!(
                "A string metadata field ends with {} bytes, too few for a string length",
                rest.len()
            )));
        }
        let (len, tail) = rest.split_at(8);
        let mut a = [0u8; 8];
        a.copy_from_slice(len);
        let n = u64::from_ne_bytes(a);
        let n = usize::try_from(n)
            .ok()
            .filter(|&n| n <= tail.len())
            .ok_or_else(|| {
                DecodeError(format!(
                    "A string metadata field announces {n} bytes, but only {} remain",
                    tail.len()
                ))
            })?;
        out.push(tail[..n].to_vec());
        rest = &tail[n..];
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_layout() {
        let base = base_key("", "ds");
        assert_eq!(base, "{ds}");
        assert_eq!(meta_key(&base), "{ds}.meta");
        assert_eq!(tensor_key(&base, "t1"), "{ds}.t1");
        let p = base_key("keyout.", "my ds");
        assert_eq!(p, "keyout.{my ds}");
        assert_eq!(meta_key(&p), "keyout.{my ds}.meta");
        assert_eq!(name_from_base_key(&p), Some("my ds"));
        assert_eq!(name_from_base_key("x.{a{b}c}"), Some("a{b}c"));
        assert_eq!(name_from_base_key("none"), None);
        assert_eq!(name_from_base_key("}{"), None);
    }

    // Byte vectors as upstream's MetadataBuffer writes them on a little-endian, 64-bit host.
    #[cfg(target_endian = "little")]
    #[test]
    fn scalar_bytes() {
        assert_eq!(
            MetaValues::F64(vec![1.5]).encode(),
            [&[1u8][..], &[0, 0, 0, 0, 0, 0, 0xf8, 0x3f]].concat()
        );
        assert_eq!(
            MetaValues::F32(vec![1.0, -2.0]).encode(),
            vec![2, 0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]
        );
        assert_eq!(
            MetaValues::I32(vec![-1, 2]).encode(),
            vec![3, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0]
        );
        assert_eq!(
            MetaValues::I64(vec![258]).encode(),
            vec![4, 2, 1, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(
            MetaValues::U32(vec![0xdead_beef]).encode(),
            vec![5, 0xef, 0xbe, 0xad, 0xde]
        );
        assert_eq!(
            MetaValues::U64(vec![u64::MAX]).encode(),
            vec![6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
        );
        // An empty scalar field is the type byte alone.
        assert_eq!(MetaValues::I64(vec![]).encode(), vec![4]);
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn string_bytes() {
        let v = MetaValues::Str(vec![b"ab".to_vec(), Vec::new(), b"xyz".to_vec()]);
        let want: Vec<u8> = [
            &[7u8][..],
            &[2, 0, 0, 0, 0, 0, 0, 0],
            b"ab",
            &[0, 0, 0, 0, 0, 0, 0, 0],
            &[3, 0, 0, 0, 0, 0, 0, 0],
            b"xyz",
        ]
        .concat();
        assert_eq!(v.encode(), want);
        assert_eq!(MetaValues::decode(&want).unwrap(), v);
        assert_eq!(
            MetaValues::decode(&[7]).unwrap(),
            MetaValues::Str(Vec::new())
        );
    }

    #[test]
    fn round_trips_and_rejects_bad_buffers() {
        let all = [
            MetaValues::F64(vec![f64::MIN, 0.0, 3.25]),
            MetaValues::F32(vec![f32::MAX]),
            MetaValues::I32(vec![i32::MIN, i32::MAX]),
            MetaValues::I64(vec![i64::MIN]),
            MetaValues::U32(vec![7, 8, 9]),
            MetaValues::U64(vec![1 << 40]),
            MetaValues::Str(vec!["é".as_bytes().to_vec()]),
        ];
        for (i, v) in all.iter().enumerate() {
            assert_eq!(v.type_id() as usize, i + 1);
            assert_eq!(&MetaValues::decode(&v.encode()).unwrap(), v);
            assert_eq!(MetaValues::empty(v.type_id()).unwrap().len(), 0);
        }
        assert!(MetaValues::decode(&[]).is_err());
        assert!(MetaValues::decode(&[0]).is_err());
        assert!(MetaValues::decode(&[8, 1]).is_err());
        assert!(MetaValues::decode(&[1, 0, 0, 0]).is_err());
        assert!(MetaValues::decode(&[7, 1, 0]).is_err());
        assert!(MetaValues::decode(&[7, 5, 0, 0, 0, 0, 0, 0, 0, b'a']).is_err());
    }
}
