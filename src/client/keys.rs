//! Keys: existence and polling of raw keys (never prefixed).

use super::{poll, Client};
use crate::error::Result;

impl Client {
    /// Whether `key` exists (`EXISTS key`; the key is used as given, without any prefix).
    pub fn key_exists(&mut self, key: &str) -> Result<bool> {
        let v = self.query_key(key, redis::cmd("EXISTS").arg(key), "EXISTS")?;
        let n: i64 = redis::from_redis_value(v).map_err(redis::RedisError::from)?;
        Ok(n > 0)
    }

    /// Polls [`key_exists`](Self::key_exists) up to `num_tries` times, `poll_frequency_ms` apart.
    pub fn poll_key(&mut self, key: &str, poll_frequency_ms: i32, num_tries: i32) -> Result<bool> {
        poll(poll_frequency_ms, num_tries, || self.key_exists(key))
    }
}
