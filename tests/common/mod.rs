//! Helpers shared by the client test suites.
#![allow(dead_code)]

use smartredis::{Client, ConfigOptions};

/// Options pointing at `ssdb`, with `db_type` ("" = detect) and short timeouts, without touching the environment.
pub fn config(ssdb: &str, db_type: &str) -> ConfigOptions {
    let cfg = ConfigOptions::from_environment("").unwrap();
    cfg.override_string_option("SSDB", ssdb).unwrap();
    cfg.override_string_option("SR_DB_TYPE", db_type).unwrap();
    cfg.override_string_option("SSKEYIN", "").unwrap();
    cfg.override_string_option("SSKEYOUT", "").unwrap();
    cfg.override_integer_option("SR_CONN_TIMEOUT", 2).unwrap();
    cfg.override_integer_option("SR_CONN_INTERVAL", 100)
        .unwrap();
    cfg.override_integer_option("SR_CMD_TIMEOUT", 2).unwrap();
    cfg.override_integer_option("SR_CMD_INTERVAL", 100).unwrap();
    cfg
}

/// A client of `ssdb`.
pub fn client(ssdb: &str, db_type: &str) -> Client {
    Client::new(Some(&config(ssdb, db_type)), "test").unwrap()
}
