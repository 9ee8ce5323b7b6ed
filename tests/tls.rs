//! TLS stores (issue 13, item 5): shards started with `tls-port` and a CA and certificate generated for the run,
//! clients verifying them with rustls through `SR_TLS_CA_FILE`; a wrong CA and a plain client are refused at
//! once, with errors that say why.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use smartredis::orchestrator::{access, Auth, Orchestrator, OrchestratorOptions, ShardState, Tls};
use smartredis::tensor::{TensorMut, TensorRef};
use smartredis::Client;

/// Stops the store when the test ends, passes or fails.
struct Store(Orchestrator);

impl Drop for Store {
    fn drop(&mut self) {
        let _ = self.0.stop();
    }
}

fn start(dir: &Path, shards: usize, auth: Auth) -> Store {
    let opts = OrchestratorOptions::new()
        .dir(dir)
        .shards(shards)
        .tls(Tls::Generate)
        .auth(auth)
        .start_timeout(Duration::from_secs(60));
    Store(Orchestrator::launch(opts).unwrap_or_else(|e| panic!("start: {e}")))
}

/// A client's configuration for `addr` (`db_type`: "Standalone" or "Clustered"), verifying TLS certificates with
/// `ca`.
fn tls_config(addr: &str, db_type: &str, ca: &Path) -> smartredis::ConfigOptions {
    let cfg = common::config(addr, db_type);
    cfg.override_string_option("SR_TLS_CA_FILE", ca.to_str().unwrap())
        .unwrap();
    cfg
}

fn round_trip(c: &mut Client) {
    let v = [1.5f64, -2.0, 3.25];
    c.put_tensor("tls-t", &TensorRef::from_slice(&[3], &v).unwrap())
        .unwrap();
    let mut out = [0f64; 3];
    c.unpack_tensor("tls-t", TensorMut::from_slice(&[3], &mut out).unwrap())
        .unwrap();
    assert_eq!(out, v);
}

fn tls_store(shards: usize) {
    let dir = tempfile::tempdir().unwrap();
    let store = start(dir.path(), shards, Auth::Generate);
    let o = &store.0;
    let ca = dir.path().join(access::TLS_DIR).join("ca.crt");
    let env = o.client_env_vars();
    assert!(
        env.iter()
            .any(|(k, v)| k == "SR_TLS_CA_FILE" && v == &ca.display().to_string()),
        "{env:?}"
    );
    let db_type = if shards > 1 {
        "Clustered"
    } else {
        "Standalone"
    };
    let cfg = tls_config(&o.address(), db_type, &ca);
    cfg.override_string_option(
        "SR_PASSWORD_FILE",
        dir.path().join(access::PASSWORD_FILE).to_str().unwrap(),
    )
    .unwrap();
    round_trip(&mut Client::new(Some(&cfg), "tls").unwrap());
    // Bigger than one TLS record, in both directions.
    let mut c = Client::new(Some(&cfg), "tls").unwrap();
    let big: Vec<f32> = (0..300_000).map(|i| i as f32).collect();
    c.put_tensor("big", &TensorRef::from_slice(&[big.len()], &big).unwrap())
        .unwrap();
    let mut back = vec![0f32; big.len()];
    c.unpack_tensor(
        "big",
        TensorMut::from_slice(&[back.len()], &mut back).unwrap(),
    )
    .unwrap();
    assert_eq!(back, big);
    // The launcher's own client, status and an attached one speak TLS too.
    round_trip(&mut o.client("tls").unwrap());
    let mut attached = Orchestrator::attach(dir.path()).unwrap();
    assert!(
        attached
            .status()
            .iter()
            .all(|s| s.state == ShardState::Running),
        "{:?}",
        attached.status()
    );
    drop(store);
    assert!(!ca.exists(), "certificates left behind");
}

#[test]
fn tls_standalone_put_get() {
    tls_store(1);
}

#[test]
fn tls_cluster_put_get() {
    tls_store(3);
}

#[test]
fn wrong_ca_and_plain_clients_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    let store = start(dir.path(), 1, Auth::Off);
    // Another run's CA: a certificate this store's server does not have.
    let other_store = start(other.path(), 1, Auth::Off);
    let wrong_ca = other.path().join(access::TLS_DIR).join("ca.crt");
    let addr = store.0.address();

    let cfg = tls_config(&addr, "Standalone", &wrong_ca);
    cfg.override_integer_option("SR_CONN_TIMEOUT", 10).unwrap();
    let t = Instant::now();
    let e = Client::new(Some(&cfg), "tls").unwrap_err();
    assert!(
        e.message().contains("SR_TLS_CA_FILE") && e.message().contains("certificate"),
        "{e}"
    );
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());

    // A plain client to the TLS port: a clear error within a couple of attempts, not SR_CONN_TIMEOUT.
    let cfg = common::config(&addr, "Standalone");
    cfg.override_integer_option("SR_CONN_TIMEOUT", 10).unwrap();
    let t = Instant::now();
    let e = Client::new(Some(&cfg), "plain").unwrap_err();
    assert!(e.message().contains("SR_TLS_CA_FILE"), "{e}");
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());

    // A TLS client to a plain port: refused at once, saying the peer does not speak TLS.
    let plain = testkit::RedisServer::options().start();
    let cfg = tls_config(
        &plain.addr(),
        "Standalone",
        &dir.path().join(access::TLS_DIR).join("ca.crt"),
    );
    cfg.override_integer_option("SR_CONN_TIMEOUT", 10).unwrap();
    let t = Instant::now();
    let e = Client::new(Some(&cfg), "tls").unwrap_err();
    assert!(e.message().contains("TLS"), "{e}");
    // At most one handshake wait (SR_CMD_TIMEOUT = 2 s here), not SR_CONN_TIMEOUT.
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    drop(other_store);
}

/// The C API: `sr_orchestrator_options_set_tls` with generated files, and `sr_orchestrator_tls_ca_file` naming the
/// CA clients need (`""` before the store serves TLS), then a client from that CA.
#[test]
fn c_api_tls_ca_file() {
    use smartredis::ffi::orchestrator::*;
    use smartredis::SRError;
    use std::ffi::{c_char, c_void};
    let ca_of = |orc: *mut c_void| -> String {
        let mut p: *const c_char = std::ptr::null();
        let mut len = 0usize;
        assert_eq!(
            sr_orchestrator_tls_ca_file(orc, &mut p, &mut len),
            SRError::SRNoError
        );
        // SAFETY: the handle owns `len` bytes at `p`.
        let bytes = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) };
        String::from_utf8(bytes.to_vec()).unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let mut opts = common::c_orchestrator_options(d);
    let ca_given = b"/ca.crt";
    assert_eq!(
        sr_orchestrator_options_set_tls(
            opts,
            true,
            ca_given.as_ptr().cast(),
            ca_given.len(),
            std::ptr::null(),
            0,
            std::ptr::null(),
            0
        ),
        SRError::SRParameterError,
        "a CA without certificate and key"
    );
    assert_eq!(
        sr_orchestrator_options_set_tls(
            opts,
            true,
            std::ptr::null(),
            0,
            std::ptr::null(),
            0,
            std::ptr::null(),
            0
        ),
        SRError::SRNoError
    );
    let mut orc: *mut c_void = std::ptr::null_mut();
    assert_eq!(sr_orchestrator_new(opts, &mut orc), SRError::SRNoError);
    assert_eq!(sr_orchestrator_options_free(&mut opts), SRError::SRNoError);
    assert_eq!(ca_of(orc), "", "no CA before the store starts");
    let mut len = 0usize;
    assert_eq!(
        sr_orchestrator_tls_ca_file(orc, std::ptr::null_mut(), &mut len),
        SRError::SRParameterError
    );
    assert_eq!(sr_orchestrator_start(orc), SRError::SRNoError);
    let ca = ca_of(orc);
    assert_eq!(
        ca,
        dir.path()
            .join(access::TLS_DIR)
            .join("ca.crt")
            .display()
            .to_string()
    );
    let attached = Orchestrator::attach(dir.path()).unwrap();
    let cfg = tls_config(&attached.address(), "Standalone", Path::new(&ca));
    round_trip(&mut Client::new(Some(&cfg), "c-api-tls").unwrap());
    assert_eq!(sr_orchestrator_stop(orc), SRError::SRNoError);
    assert_eq!(sr_orchestrator_free(&mut orc), SRError::SRNoError);
}

/// A TLS client pointed at a plain port with the default `SR_CMD_TIMEOUT` (100 s): the plain server may never answer
/// the handshake, which is given up after 10 s at most, with an error that says what is wrong.
#[test]
fn tls_client_to_a_plain_port_gives_up_within_ten_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let store = start(dir.path(), 1, Auth::Off);
    let ca = dir.path().join(access::TLS_DIR).join("ca.crt");
    let plain = testkit::RedisServer::options().start();
    let cfg = tls_config(&plain.addr(), "Standalone", &ca);
    cfg.override_integer_option("SR_CMD_TIMEOUT", 100).unwrap();
    cfg.override_integer_option("SR_CONN_TIMEOUT", 100).unwrap();
    let t = Instant::now();
    let e = Client::new(Some(&cfg), "tls").unwrap_err();
    assert!(e.message().contains("serve TLS"), "{e}");
    assert!(t.elapsed() < Duration::from_secs(15), "{:?}", t.elapsed());
    drop(store);
}
