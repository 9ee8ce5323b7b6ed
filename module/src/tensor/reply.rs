//! `AI.TENSORGET` replies (RedisAI `RAI_TensorReply`): labels and type names as bulk strings, integers as
//! integers, floats through `RedisModule_ReplyWithDouble` (RESP2: `%.17g` bulk string; RESP3: double).

use std::os::raw::{c_char, c_long};

use redis_module::{raw, Context};
use smartredis_protocol::commands::reply as label;

use super::dtype::DType;
use super::parse::GetFormat;
use super::tensor::Tensor;

/// Sends a bulk string (one copy into the client's reply buffer, the one Redis forces).
pub fn bulk(ctx: &Context, s: &[u8]) {
    raw::reply_with_string_buffer(ctx.ctx, s.as_ptr().cast::<c_char>(), s.len());
}

/// Opens an array reply of `len` elements.
pub fn array(ctx: &Context, len: usize) {
    raw::reply_with_array(ctx.ctx, len as c_long);
}

/// Sends an integer.
pub fn integer(ctx: &Context, v: i64) {
    raw::reply_with_long_long(ctx.ctx, v);
}

/// Sends the simple string `+OK`.
pub fn ok(ctx: &Context) {
    raw::reply_with_simple_string(ctx.ctx, c"OK".as_ptr());
}

/// Refuses a VALUES reply of more than `VALUES_REPLY_MAX` elements (one element is a reply of its own, so a
/// 32 MiB tensor would build a 128 MiB reply and stall the server): such a tensor is fetched as BLOB.
pub fn check_values(t: &Tensor, f: GetFormat) -> Result<(), &'static str> {
    let max = usize::try_from(crate::config::get().values_reply_max).unwrap_or(0);
    if f.values && t.len() > max {
        return Err(super::parse::msg::VALUES_TOO_LARGE);
    }
    Ok(())
}

/// Sends the tensor in the requested format.
pub fn tensor(ctx: &Context, t: &Tensor, f: GetFormat) {
    if !f.meta {
        if f.values {
            values(ctx, t);
        } else {
            bulk(ctx, t.bytes());
        }
        return;
    }
    let extra = if f.blob || f.values { 2 } else { 0 };
    array(ctx, 4 + extra);
    bulk(ctx, label::DTYPE.as_bytes());
    bulk(ctx, t.dtype.name().as_bytes());
    bulk(ctx, label::SHAPE.as_bytes());
    array(ctx, t.shape.len());
    for &d in &t.shape {
        integer(ctx, d);
    }
    if f.blob {
        bulk(ctx, label::BLOB.as_bytes());
        bulk(ctx, t.bytes());
    } else if f.values {
        bulk(ctx, label::VALUES.as_bytes());
        values(ctx, t);
    }
}

/// Sends the elements as an array of typed values.
fn values(ctx: &Context, t: &Tensor) {
    if t.dtype == DType::String {
        array(ctx, t.len());
        for s in t.string_elements() {
            bulk(ctx, s);
        }
        return;
    }
    let b = t.bytes();
    let size = t.dtype.size();
    array(ctx, b.len() / size);
    for c in b.chunks_exact(size) {
        match t.dtype {
            DType::Float => double(ctx, f32::from_ne_bytes([c[0], c[1], c[2], c[3]]).into()),
            DType::Double => double(ctx, f64::from_ne_bytes(to8(c))),
            DType::Int8 => integer(ctx, (c[0] as i8).into()),
            DType::Int16 => integer(ctx, i16::from_ne_bytes([c[0], c[1]]).into()),
            DType::Int32 => integer(ctx, i32::from_ne_bytes([c[0], c[1], c[2], c[3]]).into()),
            DType::Int64 => integer(ctx, i64::from_ne_bytes(to8(c))),
            DType::Uint8 | DType::Bool => integer(ctx, c[0].into()),
            DType::Uint16 => integer(ctx, u16::from_ne_bytes([c[0], c[1]]).into()),
            DType::String => {}
        }
    }
}

fn double(ctx: &Context, v: f64) {
    raw::reply_with_double(ctx.ctx, v);
}

fn to8(c: &[u8]) -> [u8; 8] {
    let mut a = [0u8; 8];
    a.copy_from_slice(&c[..8]);
    a
}
