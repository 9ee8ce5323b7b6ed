//! Element types: the eight RedisAI types SmartRedis supports (the table itself is `smartredis_protocol::tensor`).

use smartredis_protocol::TensorType;

use crate::enums::SRTensorType;
use crate::error::{Error, Result};

/// A tensor element type SmartRedis's `SRTensorType` names (never `SRTensorTypeInvalid`, never BOOL or STRING).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DType(TensorType);

impl DType {
    /// Checks `t`; the invalid type is a type error, as upstream's `put_tensor`.
    pub fn new(t: SRTensorType) -> Result<DType> {
        TensorType::from_sr_code(t as i32)
            .map(DType)
            .ok_or_else(|| Error::Type(format!("The tensor type {t:?} is not a valid tensor type")))
    }

    /// Every supported type.
    pub fn all() -> impl Iterator<Item = DType> {
        TensorType::ALL
            .into_iter()
            .filter(|t| t.sr_code().is_some())
            .map(DType)
    }

    /// The C enum value.
    pub fn sr(self) -> SRTensorType {
        // Every DType has an SRTensorType value (`DType::new`, `from_wire_name`); the fallback is never taken.
        self.0
            .sr_code()
            .and_then(|c| SRTensorType::try_from(c).ok())
            .unwrap_or(SRTensorType::SRTensorTypeInvalid)
    }

    /// The shared type this is.
    pub fn tensor_type(self) -> TensorType {
        self.0
    }

    /// RedisAI's name (`DOUBLE`, `FLOAT`, `INT8`, ...).
    pub fn wire_name(self) -> &'static str {
        self.0.name()
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        self.0.size()
    }

    /// Parses RedisAI's name (case-insensitive, as the server); BOOL and STRING are not supported.
    pub fn from_wire_name(name: &[u8]) -> Result<DType> {
        TensorType::parse(name)
            .filter(|t| t.sr_code().is_some())
            .map(DType)
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
    const TYPE: TensorType;
    /// The matching [`DType`].
    fn dtype() -> DType {
        DType(Self::TYPE)
    }
}

macro_rules! element {
    ($($t:ty => $v:ident),* $(,)?) => { $(impl Element for $t { const TYPE: TensorType = TensorType::$v; })* };
}
element!(f64 => Double, f32 => Float, i8 => Int8, i16 => Int16, i32 => Int32, i64 => Int64, u8 => Uint8,
    u16 => Uint16);

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
        let err = DType::new(SRTensorType::SRTensorTypeInvalid).unwrap_err();
        assert_eq!(err.code(), crate::SRError::SRTypeError);
        assert_eq!(
            err.message(),
            "The tensor type SRTensorTypeInvalid is not a valid tensor type"
        );
    }

    /// The C enum (declared in `enums.rs` for cbindgen) and the shared table agree on every value.
    #[test]
    fn c_enum_matches_the_protocol_table() {
        for code in 1..=8 {
            let t = SRTensorType::try_from(code).unwrap();
            let d = DType::new(t).unwrap();
            assert_eq!(d.sr(), t);
            assert_eq!(d.tensor_type().sr_code(), Some(code));
            assert_eq!(
                format!("{t:?}").to_uppercase(),
                format!("SRTENSORTYPE{}", d.wire_name())
            );
        }
        assert!(SRTensorType::try_from(9).is_err());
        for d in DType::all() {
            assert_eq!(d.sr() as i32, d.tensor_type().sr_code().unwrap());
        }
        assert_eq!(<u16 as Element>::dtype().size(), 2);
        assert_eq!(<f32 as Element>::dtype().wire_name(), "FLOAT");
    }
}
