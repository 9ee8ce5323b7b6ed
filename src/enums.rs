//! The enumerations of SmartRedis's `sr_enums.h`, with upstream's names and values.
//!
//! They are `#[repr(C)]` so the generated header declares them as upstream does, and they are used as they are
//! by the Rust API. C callers may pass any integer, so the C ABI takes raw `c_int`s and converts them with
//! `TryFrom<i32>`, which rejects unknown values with a parameter error naming the enum.

use crate::error::Error;

/// Element type of a tensor.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SRTensorType {
    /// Invalid or uninitialised.
    SRTensorTypeInvalid = 0,
    /// 64-bit float.
    SRTensorTypeDouble = 1,
    /// 32-bit float.
    SRTensorTypeFloat = 2,
    /// 8-bit signed integer.
    SRTensorTypeInt8 = 3,
    /// 16-bit signed integer.
    SRTensorTypeInt16 = 4,
    /// 32-bit signed integer.
    SRTensorTypeInt32 = 5,
    /// 64-bit signed integer.
    SRTensorTypeInt64 = 6,
    /// 8-bit unsigned integer.
    SRTensorTypeUint8 = 7,
    /// 16-bit unsigned integer.
    SRTensorTypeUint16 = 8,
}

/// Memory layout of a caller's tensor buffer.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SRMemoryLayout {
    /// Invalid or uninitialised.
    SRMemLayoutInvalid = 0,
    /// Nested arrays of pointers (`double**` for 2-D), row-major.
    SRMemLayoutNested = 1,
    /// One contiguous row-major (C order) buffer.
    SRMemLayoutContiguous = 2,
    /// Nested, column-major. Declared by upstream but supported by no operation.
    SRMemLayoutFortranNested = 3,
    /// One contiguous column-major (Fortran order) buffer.
    SRMemLayoutFortranContiguous = 4,
}

/// Type of a dataset metadata field.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SRMetaDataType {
    /// Invalid or uninitialised.
    SRMetadataTypeInvalid = 0,
    /// 64-bit float.
    SRMetadataTypeDouble = 1,
    /// 32-bit float.
    SRMetadataTypeFloat = 2,
    /// 32-bit signed integer.
    SRMetadataTypeInt32 = 3,
    /// 64-bit signed integer.
    SRMetadataTypeInt64 = 4,
    /// 32-bit unsigned integer.
    SRMetadataTypeUint32 = 5,
    /// 64-bit unsigned integer.
    SRMetadataTypeUint64 = 6,
    /// String.
    SRMetadataTypeString = 7,
}

/// Logging verbosity.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SRLoggingLevel {
    /// Invalid or uninitialised.
    LLInvalid = 0,
    /// Nothing but messages logged at this level.
    LLQuiet = 1,
    /// Informational messages (the default).
    LLInfo = 2,
    /// Debugging messages.
    LLDebug = 3,
    /// Everything, including library internals.
    LLDeveloper = 4,
}

/// Implements `TryFrom<i32>` for a C enum, rejecting values outside its list.
macro_rules! enum_from_c_int {
    ($name:ident { $($variant:ident),+ $(,)? }) => {
        impl TryFrom<i32> for $name {
            type Error = Error;
            fn try_from(value: i32) -> Result<Self, Error> {
                $(if value == $name::$variant as i32 {
                    return Ok($name::$variant);
                })+
                Err(Error::Parameter(format!("{value} is not a valid {}", stringify!($name))))
            }
        }
    };
}

enum_from_c_int!(SRTensorType {
    SRTensorTypeInvalid,
    SRTensorTypeDouble,
    SRTensorTypeFloat,
    SRTensorTypeInt8,
    SRTensorTypeInt16,
    SRTensorTypeInt32,
    SRTensorTypeInt64,
    SRTensorTypeUint8,
    SRTensorTypeUint16,
});
enum_from_c_int!(SRMemoryLayout {
    SRMemLayoutInvalid,
    SRMemLayoutNested,
    SRMemLayoutContiguous,
    SRMemLayoutFortranNested,
    SRMemLayoutFortranContiguous,
});
enum_from_c_int!(SRMetaDataType {
    SRMetadataTypeInvalid,
    SRMetadataTypeDouble,
    SRMetadataTypeFloat,
    SRMetadataTypeInt32,
    SRMetadataTypeInt64,
    SRMetadataTypeUint32,
    SRMetadataTypeUint64,
    SRMetadataTypeString,
});
enum_from_c_int!(SRLoggingLevel {
    LLInvalid,
    LLQuiet,
    LLInfo,
    LLDebug,
    LLDeveloper
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_unknown_values_are_rejected() {
        assert_eq!(
            SRTensorType::try_from(8).unwrap(),
            SRTensorType::SRTensorTypeUint16
        );
        assert_eq!(
            SRMemoryLayout::try_from(4).unwrap(),
            SRMemoryLayout::SRMemLayoutFortranContiguous
        );
        assert_eq!(
            SRMetaDataType::try_from(7).unwrap(),
            SRMetaDataType::SRMetadataTypeString
        );
        assert_eq!(
            SRLoggingLevel::try_from(3).unwrap(),
            SRLoggingLevel::LLDebug
        );
        let err = SRTensorType::try_from(9).unwrap_err();
        assert_eq!(err.code(), crate::SRError::SRParameterError);
        assert!(err.message().contains("SRTensorType"));
        assert!(SRLoggingLevel::try_from(-1).is_err());
    }
}
