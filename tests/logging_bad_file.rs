//! An `SR_LOG_FILE` that cannot be written is reported by `check_configuration` (and creating a client fails);
//! messages go to stdout instead.
//! Own process: logging is configured once per process.

use smartredis::logging::{check_configuration, log_data};
use smartredis::{Error, SRLoggingLevel};

#[test]
fn unwritable_file_is_a_runtime_error() {
    let path = "/nonexistent-smartredis-dir/log.txt";
    std::env::set_var("SR_LOG_FILE", path);
    std::env::set_var("SR_LOG_LEVEL", "quiet");
    log_data("ctx", SRLoggingLevel::LLQuiet, "goes to stdout");
    assert_eq!(
        check_configuration(),
        Err(Error::Runtime(format!("Cannot write to file: {path}")))
    );

    clients_are_refused();
}

/// Client creation through the C API fails with SRRuntimeError, as upstream, even with a reachable server.
fn clients_are_refused() {
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
