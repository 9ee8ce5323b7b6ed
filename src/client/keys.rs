//! Keys: existence and polling of raw keys (never prefixed).

use super::{poll, Client};
use crate::error::{Error, Result};

impl Client {
    /// Whether `key` exists (`EXISTS key`; the key is used as given, without any prefix).
    pub fn key_exists(&mut self, key: &str) -> Result<bool> {
        let v = self.query_key(key, redis::cmd("EXISTS").arg(key), "EXISTS")?;
        match v {
            redis::Value::Int(n) => Ok(n > 0),
            other => Err(Error::Runtime(format!(
                "Unexpected reply to EXISTS {key}: {other:?}"
            ))),
        }
    }

    /// Polls [`key_exists`](Self::key_exists) up to `num_tries` times, `poll_frequency_ms` apart.
    pub fn poll_key(&mut self, key: &str, poll_frequency_ms: i32, num_tries: i32) -> Result<bool> {
        poll(poll_frequency_ms, num_tries, || self.key_exists(key))
    }
}
