//! Clients of a store that requires a password: `SR_PASSWORD` or `SR_PASSWORD_FILE` (suffixed like `SSDB`), sent
//! on every connection (reconnections included); a missing or wrong password is a clear error at once, not a
//! retry until `SR_CONN_TIMEOUT`; the secret never shows in `Debug` output.

mod common;

use std::time::{Duration, Instant};

use smartredis::config::ClientSettings;
use smartredis::tensor::{TensorMut, TensorRef};
use smartredis::{Client, ConfigOptions};
use testkit::RedisServer;

const SECRET: &str = "s3cret pass";

/// A server with the module that requires [`SECRET`] (set after start, so the fixture's readiness probe works).
fn server() -> RedisServer {
    let server = RedisServer::with_module();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("requirepass")
        .arg(SECRET)
        .query(&mut server.connection())
        .unwrap();
    server
}

fn round_trip(c: &mut Client) {
    let v = [1.0f32, 2.0];
    c.put_tensor("t", &TensorRef::from_slice(&[2], &v).unwrap())
        .unwrap();
    let mut out = [0f32; 2];
    c.unpack_tensor("t", TensorMut::from_slice(&[2], &mut out).unwrap())
        .unwrap();
    assert_eq!(out, v);
}

fn config(server: &RedisServer) -> ConfigOptions {
    let cfg = common::config(&server.addr(), "Standalone");
    cfg.override_integer_option("SR_CONN_TIMEOUT", 5).unwrap();
    cfg
}

#[test]
fn password_from_sr_password() {
    let server = server();
    let cfg = config(&server);
    cfg.override_string_option("SR_PASSWORD", SECRET).unwrap();
    let settings = ClientSettings::from_config(&cfg).unwrap();
    assert!(!format!("{settings:?}").contains(SECRET));
    let mut c = Client::new(Some(&cfg), "auth").unwrap();
    round_trip(&mut c);
    // Every connection authenticates: the server drops this one, the next command reconnects and succeeds.
    let _: () = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("normal")
        .query(&mut {
            let mut con = server.connection();
            let _: () = redis::cmd("AUTH").arg(SECRET).query(&mut con).unwrap();
            con
        })
        .unwrap();
    round_trip(&mut c);
}

#[test]
fn password_from_sr_password_file() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("password");
    std::fs::write(&file, format!("{SECRET}\n")).unwrap();
    let cfg = config(&server);
    cfg.override_string_option("SR_PASSWORD_FILE", file.to_str().unwrap())
        .unwrap();
    round_trip(&mut Client::new(Some(&cfg), "auth").unwrap());
    // An unreadable file names the variable.
    let cfg = config(&server);
    cfg.override_string_option("SR_PASSWORD_FILE", "/nonexistent/password")
        .unwrap();
    let e = Client::new(Some(&cfg), "auth").unwrap_err();
    assert!(e.message().contains("SR_PASSWORD_FILE"), "{e}");
}

#[test]
fn missing_or_wrong_password_fails_at_once_and_says_why() {
    let server = server();
    let start = Instant::now();
    let e = Client::new(Some(&config(&server)), "auth").unwrap_err();
    assert!(e.message().contains("SR_PASSWORD"), "{e}");
    let cfg = config(&server);
    cfg.override_string_option("SR_PASSWORD", "wrong").unwrap();
    let e = Client::new(Some(&cfg), "auth").unwrap_err();
    assert!(e.message().contains("refused the password"), "{e}");
    // Not retried until SR_CONN_TIMEOUT (5 s here).
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}
