//! `AI.TENSORSET` / `AI.TENSORGET` argument parsing, in RedisAI's exact validation order and error texts
//! (`src/execution/parsing/tensor_commands_parsing.c`, `src/redis_ai_objects/tensor.c`).

use smartredis_protocol::commands::keyword;

use super::dtype::DType;

/// Error texts, byte for byte as RedisAI sends them.
pub mod msg {
    /// Unknown type name.
    pub const INVALID_TYPE: &str = "ERR invalid data type";
    /// BLOB not followed by exactly one argument.
    pub const BLOB_ARITY: &str =
        "ERR a single binary string should come after the BLOB argument in 'AI.TENSORSET' command";
    /// VALUES not followed by exactly product(shape) arguments.
    pub const VALUES_ARITY: &str = "ERR wrong number of values was given in 'AI.TENSORSET' command";
    /// A dimension that is not an integer > 0.
    pub const BAD_SHAPE: &str = "ERR invalid or negative value found in tensor shape";
    /// A VALUES item that does not parse or is out of range.
    pub const INVALID_VALUE: &str = "ERR invalid value";
    /// Numeric/BOOL blob of the wrong length.
    pub const BLOB_LENGTH: &str = "ERR data length does not match tensor shape and type";
    /// A BOOL blob byte other than 0 or 1.
    pub const BOOL_BLOB: &str = "ERR BOOL tensor elements must be 0 or 1";
    /// A STRING blob that is not exactly product(shape) NUL-terminated strings.
    pub const STRING_BLOB: &str =
        "ERR Number of string elements in data blob does not match tensor length";
    /// A STRING VALUES item with an inner NUL.
    pub const STRING_NUL: &str = "ERR C-string value contains null character";
    /// A zero-filled tensor larger than `TENSOR_ZERO_FILL_MAX` (ours; RedisAI would try to allocate it).
    pub const TOO_LARGE: &str = "ERR tensor is too large";
    /// `AI.TENSORGET ... VALUES` of a tensor with more than `VALUES_REPLY_MAX` elements (ours).
    pub const VALUES_TOO_LARGE: &str =
        "ERR tensor has more elements than VALUES_REPLY_MAX allows in a VALUES reply: get it as BLOB";
    /// AI.TENSORGET on a missing key.
    pub const EMPTY_KEY: &str = "ERR tensor key is empty or in a different shard";
    /// AI.TENSORGET with an unknown format token.
    pub const BAD_FORMAT: &str = "ERR unsupported data format";
    /// AI.TENSORGET with both BLOB and VALUES.
    pub const BLOB_AND_VALUES: &str = "ERR both BLOB and VALUES specified";
}

/// The default largest tensor `AI.TENSORSET key TYPE dims...` (no data) will zero-fill (`TENSOR_ZERO_FILL_MAX`):
/// 512 MiB, Redis's default `proto-max-bulk-len`, i.e. no larger than a client could send as a BLOB. A larger
/// request answers [`msg::TOO_LARGE`] instead of aborting the server on a failed allocation.
pub const MAX_ZERO_FILL_BYTES: usize = crate::config::DEFAULT_TENSOR_ZERO_FILL_MAX as usize;

/// One command argument as the parser needs it. Implemented over `RedisModuleString` with Redis's own number
/// parsers (`RedisModule_StringToLongLong` / `StringToDouble`) so the accepted syntax is exactly Redis's.
pub trait Arg {
    /// The raw bytes.
    fn bytes(&self) -> &[u8];
    /// Parses as a strict decimal 64-bit integer.
    fn to_i64(&self) -> Option<i64>;
    /// Parses as a double (no NaN).
    fn to_f64(&self) -> Option<f64>;
}

/// Where a parsed tensor's data comes from.
#[derive(Debug, PartialEq)]
pub enum DataSource {
    /// The argument at this index of the slice given to [`parse_tensorset`] is the (validated) blob.
    Blob(usize),
    /// Bytes built from VALUES or zero-filled.
    Built(Vec<u8>),
}

/// A validated `AI.TENSORSET`.
#[derive(Debug, PartialEq)]
pub struct TensorSpec {
    /// Element type.
    pub dtype: DType,
    /// Dimensions (empty for a scalar).
    pub shape: Vec<i64>,
    /// The payload.
    pub data: DataSource,
}

/// Parses `type [dim ...] [BLOB data | VALUES v ...]` (argv from position 2 on; the caller has checked the arity
/// and the key type).
pub fn parse_tensorset<A: Arg>(args: &[A]) -> Result<TensorSpec, &'static str> {
    let type_arg = args.first().ok_or(msg::INVALID_TYPE)?;
    let dtype = DType::parse(type_arg.bytes()).ok_or(msg::INVALID_TYPE)?;
    let mut shape = Vec::new();
    // Element count; None once it overflows (no such tensor can be given data).
    let mut len: Option<usize> = Some(1);
    let mut pos = 1;
    let mut format = None;
    while pos < args.len() {
        let tok = args[pos].bytes();
        let remaining = args.len() - 1 - pos;
        if tok.eq_ignore_ascii_case(keyword::BLOB.as_bytes()) {
            if remaining != 1 {
                return Err(msg::BLOB_ARITY);
            }
            format = Some(true);
            pos += 1;
            break;
        } else if tok.eq_ignore_ascii_case(keyword::VALUES.as_bytes()) {
            if Some(remaining) != len {
                return Err(msg::VALUES_ARITY);
            }
            format = Some(false);
            pos += 1;
            break;
        }
        match args[pos].to_i64() {
            Some(d) if d > 0 => {
                shape.push(d);
                len = len.and_then(|l| l.checked_mul(usize::try_from(d).ok()?));
            }
            _ => return Err(msg::BAD_SHAPE),
        }
        pos += 1;
    }
    let data = match format {
        Some(true) => {
            let n = len.ok_or(msg::BLOB_LENGTH)?;
            validate_blob(dtype, n, args[pos].bytes())?;
            DataSource::Blob(pos)
        }
        Some(false) => {
            let n = len.ok_or(msg::VALUES_ARITY)?;
            crate::config::check_headroom(n.saturating_mul(dtype.size()))?;
            DataSource::Built(values_to_bytes(dtype, &args[pos..])?)
        }
        None => {
            let n = len.ok_or(msg::TOO_LARGE)?;
            let bytes = n.checked_mul(dtype.size()).ok_or(msg::TOO_LARGE)?;
            let cap = usize::try_from(crate::config::get().tensor_zero_fill_max).unwrap_or(0);
            if bytes > cap {
                return Err(msg::TOO_LARGE);
            }
            crate::config::check_headroom(bytes)?;
            // STRING: n empty strings, i.e. n NUL terminators.
            DataSource::Built(vec![0u8; bytes])
        }
    };
    Ok(TensorSpec { dtype, shape, data })
}

/// Checks a BLOB against the type and element count.
///
/// RedisAI never checks the last byte of a BOOL blob (its loop stops at `len-1`); we deliberately check every
/// byte, so a BOOL tensor can only ever hold 0 and 1.
pub fn validate_blob(dtype: DType, n: usize, blob: &[u8]) -> Result<(), &'static str> {
    match dtype {
        DType::String => {
            let count = blob.iter().filter(|&&b| b == 0).count();
            if blob.last() != Some(&0) || count != n {
                return Err(msg::STRING_BLOB);
            }
        }
        _ => {
            if Some(blob.len()) != n.checked_mul(dtype.size()) {
                return Err(msg::BLOB_LENGTH);
            }
            if dtype == DType::Bool && blob.iter().any(|&b| b > 1) {
                return Err(msg::BOOL_BLOB);
            }
        }
    }
    Ok(())
}

/// Converts VALUES arguments to the tensor's byte layout (little-endian / host order).
fn values_to_bytes<A: Arg>(dtype: DType, values: &[A]) -> Result<Vec<u8>, &'static str> {
    if dtype == DType::String {
        let mut out = Vec::with_capacity(values.iter().map(|v| v.bytes().len() + 1).sum());
        for v in values {
            let s = v.bytes();
            let s = s.strip_suffix(&[0]).unwrap_or(s);
            if s.contains(&0) {
                return Err(msg::STRING_NUL);
            }
            out.extend_from_slice(s);
            out.push(0);
        }
        return Ok(out);
    }
    let mut out = Vec::with_capacity(values.len() * dtype.size());
    for v in values {
        if dtype.is_float() {
            let x = v.to_f64().ok_or(msg::INVALID_VALUE)?;
            match dtype {
                DType::Float => out.extend_from_slice(&(x as f32).to_ne_bytes()),
                _ => out.extend_from_slice(&x.to_ne_bytes()),
            }
            continue;
        }
        let x = v.to_i64().ok_or(msg::INVALID_VALUE)?;
        // RedisAI's `_ValOverflow` casts to unsigned before comparing, which rejects every negative value of the
        // signed types (`INT8 VALUES -1` fails). We deliberately fix that: signed types accept their full
        // two's-complement range, so `INT8 VALUES -128 127` works as it does through `BLOB`.
        let (lo, hi) = dtype.int_range();
        if x < lo || x > hi {
            return Err(msg::INVALID_VALUE);
        }
        match dtype.size() {
            1 => out.push(x as u8),
            2 => out.extend_from_slice(&(x as u16).to_ne_bytes()),
            4 => out.extend_from_slice(&(x as u32).to_ne_bytes()),
            _ => out.extend_from_slice(&x.to_ne_bytes()),
        }
    }
    Ok(out)
}

/// What `AI.TENSORGET` should send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GetFormat {
    /// Include `dtype` and `shape`.
    pub meta: bool,
    /// Include the raw bytes.
    pub blob: bool,
    /// Include the values.
    pub values: bool,
}

/// Parses the format tokens of `AI.TENSORGET key [META] [BLOB | VALUES]` (argv from position 2 on; 0..=2 tokens).
/// No token means META + BLOB. Tokens may repeat and come in any order.
pub fn parse_tensorget_format<A: Arg>(tokens: &[A]) -> Result<GetFormat, &'static str> {
    if tokens.is_empty() {
        return Ok(GetFormat {
            meta: true,
            blob: true,
            values: false,
        });
    }
    let mut f = GetFormat {
        meta: false,
        blob: false,
        values: false,
    };
    for t in tokens {
        let t = t.bytes();
        if t.eq_ignore_ascii_case(keyword::BLOB.as_bytes()) {
            f.blob = true;
        } else if t.eq_ignore_ascii_case(keyword::VALUES.as_bytes()) {
            f.values = true;
        } else if t.eq_ignore_ascii_case(keyword::META.as_bytes()) {
            f.meta = true;
        } else {
            return Err(msg::BAD_FORMAT);
        }
    }
    if f.blob && f.values {
        return Err(msg::BLOB_AND_VALUES);
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Arg for &str {
        fn bytes(&self) -> &[u8] {
            self.as_bytes()
        }
        fn to_i64(&self) -> Option<i64> {
            self.parse().ok()
        }
        fn to_f64(&self) -> Option<f64> {
            self.parse().ok()
        }
    }

    fn set(args: &[&str]) -> Result<TensorSpec, &'static str> {
        parse_tensorset(args)
    }

    #[test]
    fn validation_order_and_texts() {
        assert_eq!(set(&["FLOATX", "2"]).unwrap_err(), msg::INVALID_TYPE);
        assert_eq!(set(&["FLOAT", "0"]).unwrap_err(), msg::BAD_SHAPE);
        assert_eq!(set(&["FLOAT", "x", "BLOB"]).unwrap_err(), msg::BAD_SHAPE);
        assert_eq!(set(&["FLOAT", "2", "BLOB"]).unwrap_err(), msg::BLOB_ARITY);
        assert_eq!(
            set(&["FLOAT", "2", "VALUES", "1"]).unwrap_err(),
            msg::VALUES_ARITY
        );
        assert_eq!(
            set(&["INT8", "2", "VALUES", "1", "128"]).unwrap_err(),
            msg::INVALID_VALUE
        );
        assert_eq!(
            set(&["BOOL", "2", "BLOB", "\u{0}\u{2}"]).unwrap_err(),
            msg::BOOL_BLOB
        );
        assert_eq!(
            set(&["STRING", "2", "BLOB", "a\u{0}b"]).unwrap_err(),
            msg::STRING_BLOB
        );
        assert_eq!(
            set(&["FLOAT", "1099511627776", "1099511627776"]).unwrap_err(),
            msg::TOO_LARGE
        );
    }

    #[test]
    fn negative_signed_values_are_accepted() {
        let t = set(&["INT8", "2", "VALUES", "-128", "127"]).unwrap();
        assert_eq!(t.data, DataSource::Built(vec![0x80, 0x7f]));
        assert_eq!(
            set(&["UINT8", "VALUES", "-1"]).unwrap_err(),
            msg::INVALID_VALUE
        );
    }

    #[test]
    fn scalars_and_zero_fill() {
        let t = set(&["FLOAT", "VALUES", "3"]).unwrap();
        assert!(t.shape.is_empty());
        assert_eq!(t.data, DataSource::Built(3f32.to_ne_bytes().to_vec()));
        assert_eq!(
            set(&["STRING", "3"]).unwrap().data,
            DataSource::Built(vec![0, 0, 0])
        );
        assert_eq!(
            set(&["UINT8", "2", "BLOB", "ab"]).unwrap().data,
            DataSource::Blob(3)
        );
    }
}
