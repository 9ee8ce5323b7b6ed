//! Element types: the eight RedisAI types SmartRedis supports.

use crate::enums::SRTensorType;
use crate::error::{Error, Result};

/// A valid tensor element type (never `SRTensorTypeInvalid`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DType(SRTensorType);

const ALL: [(SRTensorType, &str, usize); 8] = [
    (SRTensorType::SRTensorTypeDouble, "DOUBLE", 8),
    (SRTensorType::SRTensorTypeFloat, "FLOAT", 4),
    (SRTensorType::SRTensorTypeInt8, "INT8", 1),
    (SRTensorType::SRTensorTypeInt16, "INT16", 2),
    (SRTensorType::SRTensorTypeInt32, "INT32", 4),
    (SRTensorType::SRTensorTypeInt64, "INT64", 8),
    (SRTensorType::SRTensorTypeUint8, "UINT8", 1),
    (SRTensorType::SRTensorTypeUint16, "UINT16", 2),
];

impl DType {
    /// Checks `t`; the invalid type is a type error, as upstream's `put_tensor`.
    pub fn new(t: SRTensorType) -> Result<DType> {
        if t == SRTensorType::SRTensorTypeInvalid {
            return Err(Error::Type(
                "The tensor type SRTensorTypeInvalid is not a valid tensor type".into(),
            ));
        }
        Ok(DType(t))
    }

    /// Every supported type.
    pub fn all() -> impl Iterator<Item = DType> {
        ALL.iter().map(|(t, _, _)| DType(*t))
    }

    fn entry(self) -> &'static (SRTensorType, &'static str, usize) {
        ALL.iter()
            .find(|(t, _, _)| *t == self.0)
            .expect("DType holds a valid type")
    }

    /// The C enum value.
    pub fn sr(self) -> SRTensorType {
        self.0
    }

    /// RedisAI's name (`DOUBLE`, `FLOAT`, `INT8`, ...).
    pub fn wire_name(self) -> &'static str {
        self.entry().1
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        self.entry().2
    }

    /// Parses RedisAI's name (case-insensitive, as the server).
    pub fn from_wire_name(name: &[u8]) -> Result<DType> {
        ALL.iter()
            .find(|(_, n, _)| n.as_bytes().eq_ignore_ascii_case(name))
            .map(|(t, _, _)| DType(*t))
            .ok_or_else(|| {
                Error::Runtime(format!(
                    "The database returned the unsupported tensor type {}",
                    String::from_utf8_lossy(name)
                ))
            })
    }
}

/// Rust element types that map to a tensor type.
pub trait Element: Copy + Default + 'static {
    /// The matching tensor type.
    const TYPE: SRTensorType;
    /// The matching [`DType`].
    fn dtype() -> DType {
        DType(Self::TYPE)
    }
}

macro_rules! element {
    ($($t:ty => $v:ident),* $(,)?) => { $(impl Element for $t { const TYPE: SRTensorType = SRTensorType::$v; })* };
}
element!(f64 => SRTensorTypeDouble, f32 => SRTensorTypeFloat, i8 => SRTensorTypeInt8, i16 => SRTensorTypeInt16,
    i32 => SRTensorTypeInt32, i64 => SRTensorTypeInt64, u8 => SRTensorTypeUint8, u16 => SRTensorTypeUint16);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_sizes() {
        assert_eq!(DType::all().count(), 8);
        let d = DType::new(SRTensorType::SRTensorTypeUint16).unwrap();
        assert_eq!((d.wire_name(), d.size()), ("UINT16", 2));
        assert_eq!(DType::from_wire_name(b"double").unwrap(), f64::dtype());
        assert!(DType::from_wire_name(b"BOOL").is_err());
        assert_eq!(
            DType::new(SRTensorType::SRTensorTypeInvalid)
                .unwrap_err()
                .code(),
            crate::SRError::SRTypeError
        );
    }
}
