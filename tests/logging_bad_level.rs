//! An unrecognised `SR_LOG_LEVEL` is reported by `check_configuration` (clients fail with it), while logging
//! itself keeps working at the default level; creating a client fails. Own process: logging is configured once
//! per process.

use smartredis::logging::{check_configuration, configured_level, log_data};
use smartredis::{Error, SRLoggingLevel};

#[test]
fn bad_level_is_a_runtime_error() {
    std::env::set_var("SR_LOG_LEVEL", "loud");
    std::env::set_var("SR_LOG_FILE", "/dev/null");
    log_data("ctx", SRLoggingLevel::LLInfo, "still logs");
    assert_eq!(
        check_configuration(),
        Err(Error::Runtime("Unrecognized logging level: loud".into()))
    );
    assert_eq!(configured_level(), SRLoggingLevel::LLInfo);

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
