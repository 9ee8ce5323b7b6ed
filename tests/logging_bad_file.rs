//! An `SR_LOG_FILE` that cannot be written is reported by `check_configuration` (and creating a client fails);
//! messages go to stdout instead.
//! Own process: logging is configured once per process.

mod common;

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

    common::assert_c_clients_refused();
}
