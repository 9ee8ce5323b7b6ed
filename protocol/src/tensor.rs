//! Tensor element types: the one table of RedisAI names, element sizes, DLPack codes and SmartRedis enum values
//! (RedisAI `src/redis_ai_objects/tensor.c`, SmartRedis `sr_enums.h`).

/// DLPack type codes as RedisAI's dlpack fork numbers them (stored in RDB).
pub mod dlpack {
    /// Signed integers.
    pub const INT: u8 = 0;
    /// Unsigned integers.
    pub const UINT: u8 = 1;
    /// IEEE floats.
    pub const FLOAT: u8 = 2;
    /// Booleans (upstream DLPack's kDLBool).
    pub const BOOL: u8 = 6;
    /// NUL-terminated strings (RedisAI's fork; confirmed by the v4 RDB vector).
    pub const STRING: u8 = 7;
}

/// The ten element types a RedisAI tensor may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TensorType {
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

/// Everything known about one element type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TypeInfo {
    /// The type.
    pub ty: TensorType,
    /// The upper-case name RedisAI parses (case-insensitively) and replies with.
    pub name: &'static str,
    /// DLPack type code ([`dlpack`]).
    pub dlpack_code: u8,
    /// DLPack bits per element (for STRING: the bits of one NUL terminator).
    pub dlpack_bits: u8,
    /// The value of SmartRedis's C enum `SRTensorType` (and of `enum_fortran.inc`), or `None` where SmartRedis has
    /// no such type (BOOL, STRING: the client neither sends nor receives them).
    pub sr_code: Option<i32>,
}

const fn info(
    ty: TensorType,
    name: &'static str,
    dlpack_code: u8,
    dlpack_bits: u8,
    sr_code: Option<i32>,
) -> TypeInfo {
    TypeInfo {
        ty,
        name,
        dlpack_code,
        dlpack_bits,
        sr_code,
    }
}

/// The type table, in RedisAI's documentation order.
pub const TYPES: [TypeInfo; 10] = [
    info(TensorType::Float, "FLOAT", dlpack::FLOAT, 32, Some(2)),
    info(TensorType::Double, "DOUBLE", dlpack::FLOAT, 64, Some(1)),
    info(TensorType::Int8, "INT8", dlpack::INT, 8, Some(3)),
    info(TensorType::Int16, "INT16", dlpack::INT, 16, Some(4)),
    info(TensorType::Int32, "INT32", dlpack::INT, 32, Some(5)),
    info(TensorType::Int64, "INT64", dlpack::INT, 64, Some(6)),
    info(TensorType::Uint8, "UINT8", dlpack::UINT, 8, Some(7)),
    info(TensorType::Uint16, "UINT16", dlpack::UINT, 16, Some(8)),
    info(TensorType::Bool, "BOOL", dlpack::BOOL, 8, None),
    info(TensorType::String, "STRING", dlpack::STRING, 8, None),
];

impl TensorType {
    /// All types, in RedisAI's documentation order.
    pub const ALL: [TensorType; 10] = {
        let mut all = [TensorType::Float; 10];
        let mut i = 0;
        while i < TYPES.len() {
            all[i] = TYPES[i].ty;
            i += 1;
        }
        all
    };

    /// This type's row of [`TYPES`].
    pub const fn info(self) -> &'static TypeInfo {
        // TYPES lists the variants in declaration order (checked by a test).
        &TYPES[self as usize]
    }

    /// The upper-case RedisAI name (`FLOAT`, `INT64`, ...).
    pub const fn name(self) -> &'static str {
        self.info().name
    }

    /// Parses a RedisAI type name case-insensitively (`float`, `INT64`, ...).
    pub fn parse(name: &[u8]) -> Option<TensorType> {
        TYPES
            .iter()
            .find(|t| t.name.as_bytes().eq_ignore_ascii_case(name))
            .map(|t| t.ty)
    }

    /// The DLPack `(code, bits)` pair stored in RDB.
    pub const fn dlpack(self) -> (u8, u8) {
        (self.info().dlpack_code, self.info().dlpack_bits)
    }

    /// The inverse of [`TensorType::dlpack`] (RDB stores both as 64-bit unsigned integers).
    pub fn from_dlpack(code: u64, bits: u64) -> Option<TensorType> {
        TYPES
            .iter()
            .find(|t| (u64::from(t.dlpack_code), u64::from(t.dlpack_bits)) == (code, bits))
            .map(|t| t.ty)
    }

    /// Bytes per element; for STRING the size of one NUL terminator (elements are variable-length).
    pub const fn size(self) -> usize {
        self.info().dlpack_bits as usize / 8
    }

    /// SmartRedis's `SRTensorType` value, if SmartRedis has this type.
    pub const fn sr_code(self) -> Option<i32> {
        self.info().sr_code
    }

    /// The type with SmartRedis's `SRTensorType` value `code` (`None` for `SRTensorTypeInvalid` and unknown values).
    pub fn from_sr_code(code: i32) -> Option<TensorType> {
        TYPES.iter().find(|t| t.sr_code == Some(code)).map(|t| t.ty)
    }

    /// Whether elements are IEEE floats.
    pub const fn is_float(self) -> bool {
        self.info().dlpack_code == dlpack::FLOAT
    }

    /// The inclusive range of values an integer element holds (BOOL: `0..=1`; `(0, 0)` for FLOAT, DOUBLE, STRING).
    pub const fn int_range(self) -> (i64, i64) {
        match self {
            TensorType::Int8 => (i8::MIN as i64, i8::MAX as i64),
            TensorType::Int16 => (i16::MIN as i64, i16::MAX as i64),
            TensorType::Int32 => (i32::MIN as i64, i32::MAX as i64),
            TensorType::Int64 => (i64::MIN, i64::MAX),
            TensorType::Uint8 => (0, u8::MAX as i64),
            TensorType::Uint16 => (0, u16::MAX as i64),
            TensorType::Bool => (0, 1),
            TensorType::Float | TensorType::Double | TensorType::String => (0, 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_in_declaration_order() {
        for (i, t) in TYPES.iter().enumerate() {
            assert_eq!(t.ty as usize, i, "{}", t.name);
            assert_eq!(TensorType::ALL[i], t.ty);
        }
    }

    #[test]
    fn names_dlpack_and_codes_round_trip() {
        for t in TensorType::ALL {
            assert_eq!(
                TensorType::parse(t.name().to_lowercase().as_bytes()),
                Some(t)
            );
            let (c, b) = t.dlpack();
            assert_eq!(TensorType::from_dlpack(c.into(), b.into()), Some(t));
            if let Some(code) = t.sr_code() {
                assert_eq!(TensorType::from_sr_code(code), Some(t));
            }
        }
        assert_eq!(TensorType::parse(b"INT"), None);
        assert_eq!(TensorType::parse(b"UINT32"), None);
        assert_eq!(TensorType::from_sr_code(0), None);
        assert_eq!(TensorType::from_sr_code(9), None);
        assert_eq!(
            (TensorType::Uint16.size(), TensorType::Double.size()),
            (2, 8)
        );
        assert!(TensorType::Float.is_float() && !TensorType::Int64.is_float());
    }
}
