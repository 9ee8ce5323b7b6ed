//! Tensor element types: names, DLPack codes and value ranges (RedisAI `src/redis_ai_objects/tensor.c`).

/// DLPack type codes as RedisAI's dlpack fork numbers them.
pub mod code {
    /// Signed integers.
    pub const INT: u64 = 0;
    /// Unsigned integers.
    pub const UINT: u64 = 1;
    /// IEEE floats.
    pub const FLOAT: u64 = 2;
    /// Booleans (upstream DLPack's kDLBool).
    pub const BOOL: u64 = 6;
    /// NUL-terminated strings (RedisAI's fork; confirmed by the v4 RDB vector).
    pub const STRING: u64 = 7;
}

/// The ten element types a tensor may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DType {
    /// 32-bit float.
    Float,
    /// 64-bit float.
    Double,
    /// 8-bit signed integer.
    Int8,
    /// 16-bit signed integer.
    Int16,
    /// 32-bit signed integer.
    Int32,
    /// 64-bit signed integer.
    Int64,
    /// 8-bit unsigned integer.
    Uint8,
    /// 16-bit unsigned integer.
    Uint16,
    /// One byte, 0 or 1.
    Bool,
    /// Variable-length NUL-terminated strings.
    String,
}

impl DType {
    /// All types, in RedisAI's documentation order.
    pub const ALL: [DType; 10] = [
        DType::Float,
        DType::Double,
        DType::Int8,
        DType::Int16,
        DType::Int32,
        DType::Int64,
        DType::Uint8,
        DType::Uint16,
        DType::Bool,
        DType::String,
    ];

    /// Parses a type name case-insensitively (`float`, `INT64`, ...).
    pub fn parse(name: &[u8]) -> Option<DType> {
        DType::ALL
            .into_iter()
            .find(|t| t.name().as_bytes().eq_ignore_ascii_case(name))
    }

    /// The upper-case name RedisAI replies with.
    pub fn name(self) -> &'static str {
        match self {
            DType::Float => "FLOAT",
            DType::Double => "DOUBLE",
            DType::Int8 => "INT8",
            DType::Int16 => "INT16",
            DType::Int32 => "INT32",
            DType::Int64 => "INT64",
            DType::Uint8 => "UINT8",
            DType::Uint16 => "UINT16",
            DType::Bool => "BOOL",
            DType::String => "STRING",
        }
    }

    /// The DLPack `(code, bits)` pair stored in RDB.
    pub fn dlpack(self) -> (u64, u64) {
        match self {
            DType::Float => (code::FLOAT, 32),
            DType::Double => (code::FLOAT, 64),
            DType::Int8 => (code::INT, 8),
            DType::Int16 => (code::INT, 16),
            DType::Int32 => (code::INT, 32),
            DType::Int64 => (code::INT, 64),
            DType::Uint8 => (code::UINT, 8),
            DType::Uint16 => (code::UINT, 16),
            DType::Bool => (code::BOOL, 8),
            DType::String => (code::STRING, 8),
        }
    }

    /// The inverse of [`DType::dlpack`].
    pub fn from_dlpack(code: u64, bits: u64) -> Option<DType> {
        DType::ALL.into_iter().find(|t| t.dlpack() == (code, bits))
    }

    /// Bytes per element; for STRING the size of one NUL terminator (elements are variable-length).
    pub fn size(self) -> usize {
        (self.dlpack().1 / 8) as usize
    }

    /// Whether `VALUES` are parsed as doubles.
    pub fn is_float(self) -> bool {
        matches!(self, DType::Float | DType::Double)
    }

    /// The inclusive range `VALUES` accepts for an integer type (BOOL is `0..=1`).
    ///
    /// RedisAI's `_ValOverflow` casts to unsigned before comparing, which rejects every negative value of the signed
    /// types (`INT8 VALUES -1` fails). We deliberately fix that: signed types accept their full two's-complement
    /// range, so `INT8 VALUES -128 127` works as it does through `BLOB`.
    pub fn int_range(self) -> (i64, i64) {
        match self {
            DType::Int8 => (i8::MIN.into(), i8::MAX.into()),
            DType::Int16 => (i16::MIN.into(), i16::MAX.into()),
            DType::Int32 => (i32::MIN.into(), i32::MAX.into()),
            DType::Int64 => (i64::MIN, i64::MAX),
            DType::Uint8 => (0, u8::MAX.into()),
            DType::Uint16 => (0, u16::MAX.into()),
            DType::Bool => (0, 1),
            DType::Float | DType::Double | DType::String => (0, 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_case_insensitively() {
        for t in DType::ALL {
            assert_eq!(DType::parse(t.name().to_lowercase().as_bytes()), Some(t));
            let (c, b) = t.dlpack();
            assert_eq!(DType::from_dlpack(c, b), Some(t));
        }
        assert_eq!(DType::parse(b"INT"), None);
        assert_eq!(DType::parse(b"UINT32"), None);
        assert_eq!(DType::parse(b"FLOAT16"), None);
    }
}
