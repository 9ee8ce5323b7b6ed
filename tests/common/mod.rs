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

/// Client creation through the C API fails with SRRuntimeError, as upstream, even with a reachable server.
pub fn assert_c_clients_refused() {
    use smartredis::ffi::client::{SimpleCreateClient, SmartRedisCClient};
    use smartredis::SRError;
    let server = testkit::RedisServer::options().start();
    std::env::set_var("SSDB", server.addr());
    std::env::set_var("SR_DB_TYPE", "Standalone");
    let mut c: *mut std::ffi::c_void = std::ptr::null_mut();
    assert_eq!(
        SimpleCreateClient(c"t".as_ptr(), 1, &mut c),
        SRError::SRRuntimeError
    );
    assert!(c.is_null());
    assert_eq!(
        SmartRedisCClient(false, c"t".as_ptr(), 1, &mut c),
        SRError::SRRuntimeError
    );
    assert!(c.is_null());
}

/// A client of `ssdb` whose commands may take `secs` seconds (the first store of a TF or TFLITE model loads the
/// backend library).
pub fn patient_client(ssdb: &str, db_type: &str, secs: i64) -> Client {
    let cfg = config(ssdb, db_type);
    cfg.override_integer_option("SR_CMD_TIMEOUT", secs).unwrap();
    Client::new(Some(&cfg), "test").unwrap()
}

/// Stores a float32 tensor.
pub fn put(c: &mut Client, name: &str, dims: &[usize], data: &[f32]) {
    c.put_tensor(
        name,
        &smartredis::tensor::TensorRef::from_slice(dims, data).unwrap(),
    )
    .unwrap();
}

/// Fetches a float32 tensor of the given dimensions.
pub fn unpack(c: &mut Client, name: &str, dims: &[usize]) -> Vec<f32> {
    let mut out = vec![0f32; dims.iter().product()];
    c.unpack_tensor(
        name,
        smartredis::tensor::TensorMut::from_slice(dims, &mut out).unwrap(),
    )
    .unwrap();
    out
}

/// A C API client handle (`CreateClient`) for the standalone server `ssdb`, made from options that name it.
pub fn c_client(ssdb: &str) -> *mut std::ffi::c_void {
    use smartredis::ffi::client::CreateClient;
    use smartredis::ffi::configoptions as copts;
    use smartredis::SRError;
    let mut cfg = std::ptr::null_mut();
    assert_eq!(
        copts::create_configoptions_from_environment(c"".as_ptr(), 0, &mut cfg),
        SRError::SRNoError
    );
    for (k, v) in [
        ("SSDB", ssdb),
        ("SR_DB_TYPE", "Standalone"),
        ("SSKEYIN", ""),
        ("SSKEYOUT", ""),
    ] {
        let (kp, vp) = (k.as_ptr().cast(), v.as_ptr().cast());
        assert_eq!(
            copts::override_string_option(cfg, kp, k.len(), vp, v.len()),
            SRError::SRNoError
        );
    }
    let mut c = std::ptr::null_mut();
    assert_eq!(
        CreateClient(cfg, c"t".as_ptr(), 1, &mut c),
        SRError::SRNoError
    );
    assert_eq!(copts::sr_configoptions_free(&mut cfg), SRError::SRNoError);
    c
}

/// `n` deterministic values in [-1, 1) from `seed` (a linear congruential generator): test weights and inputs.
pub fn values(n: usize, seed: u32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(2654435761).wrapping_add(12345);
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(1103515245).wrapping_add(12345);
            ((s >> 8) % 2000) as f32 / 1000.0 - 1.0
        })
        .collect()
}

/// A C API orchestrator options handle (`sr_orchestrator_options_new`) with `dir` as the working directory.
pub fn c_orchestrator_options(dir: &str) -> *mut std::ffi::c_void {
    use smartredis::ffi::orchestrator::*;
    use smartredis::SRError;
    let mut opts: *mut std::ffi::c_void = std::ptr::null_mut();
    assert_eq!(sr_orchestrator_options_new(&mut opts), SRError::SRNoError);
    assert_eq!(
        sr_orchestrator_options_set_dir(opts, dir.as_ptr().cast(), dir.len()),
        SRError::SRNoError
    );
    opts
}
