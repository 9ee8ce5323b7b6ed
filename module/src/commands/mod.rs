//! Command handlers, one file per object kind (tensors, models, scripts, DAGs), plus `AI.CONFIG`.
//! Each handler has the [`crate::guard::Handler`] shape and is registered through [`crate::guarded!`].

pub mod config;
pub mod dag;
pub mod model;
pub mod scan;
pub mod script;
pub mod tensor;

use redis_module::{raw, RedisString};

use crate::tensor::parse::Arg;

/// Arguments are parsed with Redis's own number parsers, so the accepted syntax is exactly RedisAI's.
impl Arg for RedisString {
    fn bytes(&self) -> &[u8] {
        self.as_slice()
    }

    fn to_i64(&self) -> Option<i64> {
        let mut v = 0i64;
        (raw::string_to_longlong(self.inner, &mut v) == raw::Status::Ok).then_some(v)
    }

    fn to_f64(&self) -> Option<f64> {
        let mut v = 0f64;
        (raw::string_to_double(self.inner, &mut v) == raw::Status::Ok).then_some(v)
    }
}
