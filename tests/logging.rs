//! Logging end to end, in its own process: `SR_LOG_FILE` and `SR_LOG_LEVEL` are read once, at the first log call,
//! so this file holds a single test that sets them first.

use smartredis::logging::{self, check_configuration, configured_level};
use smartredis::{LogContext, LogSource, SRLoggingLevel};

#[test]
fn logs_to_file_with_level_filter() {
    let path = std::env::temp_dir().join(format!("smartredis-log-{}.txt", std::process::id()));
    let _ = std::fs::remove_file(&path);
    std::env::set_var("SR_LOG_FILE", &path);
    std::env::set_var("SR_LOG_LEVEL", "Debug");

    check_configuration().unwrap();
    assert_eq!(configured_level(), SRLoggingLevel::LLDebug);
    let ctx = LogContext::new("rust ctx");
    ctx.log_data(SRLoggingLevel::LLInfo, "info line");
    ctx.log_warning(SRLoggingLevel::LLQuiet, "quiet line");
    ctx.log_error(SRLoggingLevel::LLDeveloper, "too verbose");
    logging::log_error("plain", SRLoggingLevel::LLDebug, "debug line");
    logging::log_data("plain", SRLoggingLevel::LLInvalid, "invalid level");

    let text = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    let lines: Vec<(&str, &str)> = text
        .lines()
        .map(|l| {
            let (ctx, rest) = l.split_once('@').unwrap();
            let (time, data) = rest.split_once(':').unwrap();
            assert_eq!(time.len(), 8, "{l}");
            assert_eq!(&time[2..3], "-", "{l}");
            (ctx, data)
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            ("rust ctx", "New LogContext created"),
            ("rust ctx", "info line"),
            ("rust ctx", "WARNING: quiet line"),
            ("plain", "ERROR: debug line"),
        ]
    );
}
