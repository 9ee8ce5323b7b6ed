//! An unrecognised `SR_LOG_LEVEL` is reported by `check_configuration` (clients fail with it), while logging
//! itself keeps working at the default level; creating a client fails. Own process: logging is configured once
//! per process.

mod common;

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

    common::assert_c_clients_refused();
}
