//! Logging as SmartRedis does it: one process-wide configuration from `SR_LOG_FILE` and `SR_LOG_LEVEL`, read
//! lazily at the first log call; lines `<context>@<HH-MM-SS>:<data>` (local time) appended to the file or written
//! to stdout.
//!
//! * `SR_LOG_LEVEL`: `quiet`, `info` (default), `debug` or `developer`, any case. A message is written when its
//!   level is at most the configured one, so [`LLQuiet`](SRLoggingLevel::LLQuiet) messages always are.
//! * `SR_LOG_FILE`: the file to append to; unset or empty means stdout.
//! * When either is unset, the first log call writes upstream's warning about the default at `LLInfo`.
//! * An unrecognised level or an unwritable file does not stop logging (it falls back to `info` / stdout), but
//!   [`check_configuration`] reports it, and the client fails its construction with it, as upstream.
//! * If the file becomes unwritable later, logging switches to stdout with an error line.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Mutex, Once, OnceLock};

use crate::enums::SRLoggingLevel;
use crate::error::{Error, Result};

/// The context name of messages from the library itself.
pub const LIBRARY_CONTEXT: &str = "SmartRedis Library";

/// The process-wide logging configuration.
struct LogState {
    level: SRLoggingLevel,
    /// The log file; `None` = stdout. Also serialises writes so lines never interleave.
    file: Mutex<Option<PathBuf>>,
    /// The configuration problem reported by [`check_configuration`].
    error: Option<Error>,
    /// Warnings to write once, right after configuration.
    warnings: Vec<String>,
}

static STATE: OnceLock<LogState> = OnceLock::new();
static WARNINGS: Once = Once::new();

/// Parses an `SR_LOG_LEVEL` value (case-insensitive).
pub fn parse_level(text: &str) -> Option<SRLoggingLevel> {
    match text.to_ascii_lowercase().as_str() {
        "quiet" => Some(SRLoggingLevel::LLQuiet),
        "info" => Some(SRLoggingLevel::LLInfo),
        "debug" => Some(SRLoggingLevel::LLDebug),
        "developer" => Some(SRLoggingLevel::LLDeveloper),
        _ => None,
    }
}

fn configure() -> LogState {
    let mut warnings = Vec::new();
    let mut error = None;
    let level_text = std::env::var("SR_LOG_LEVEL").unwrap_or_default();
    let level = if level_text.is_empty() {
        warnings.push(
            "WARNING: Environment variable SR_LOG_LEVEL is not set. Defaulting to INFO".into(),
        );
        SRLoggingLevel::LLInfo
    } else {
        parse_level(&level_text).unwrap_or_else(|| {
            error = Some(Error::Runtime(format!(
                "Unrecognized logging level: {level_text}"
            )));
            SRLoggingLevel::LLInfo
        })
    };
    let file_text = std::env::var("SR_LOG_FILE").unwrap_or_default();
    let file = if file_text.is_empty() {
        warnings.insert(
            0,
            "WARNING: Environment variable SR_LOG_FILE is not set. Defaulting to stdout".into(),
        );
        None
    } else if open_append(&PathBuf::from(&file_text)).is_ok() {
        Some(PathBuf::from(file_text))
    } else {
        error.get_or_insert(Error::Runtime(format!("Cannot write to file: {file_text}")));
        None
    };
    LogState {
        level,
        file: Mutex::new(file),
        error,
        warnings,
    }
}

fn open_append(path: &PathBuf) -> std::io::Result<std::fs::File> {
    OpenOptions::new().create(true).append(true).open(path)
}

fn state() -> &'static LogState {
    let state = STATE.get_or_init(configure);
    WARNINGS.call_once(|| {
        for w in &state.warnings {
            write_line(state, LIBRARY_CONTEXT, w);
        }
    });
    state
}

/// The configured level (configuring logging if this is the first call).
pub fn configured_level() -> SRLoggingLevel {
    state().level
}

/// Reports a problem with `SR_LOG_LEVEL` or `SR_LOG_FILE` (a runtime error `Unrecognized logging level: <lvl>`
/// or `Cannot write to file: <f>`), configuring logging if needed. Clients call this when they are created.
pub fn check_configuration() -> Result<()> {
    match &state().error {
        Some(e) => Err(e.clone()),
        None => Ok(()),
    }
}

/// The local wall-clock time as `HH-MM-SS`.
fn local_hms() -> String {
    // SAFETY: `time(NULL)` only returns a value; `localtime_r` writes into our zero-initialised `tm`.
    let tm = unsafe {
        let now = libc::time(std::ptr::null_mut());
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&now, &mut tm).is_null() {
            None
        } else {
            Some(tm)
        }
    };
    match tm {
        Some(tm) => format!("{:02}-{:02}-{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec),
        None => "00-00-00".to_string(),
    }
}

/// Formats one log line (with its newline).
pub fn format_line(context: &str, time_hms: &str, data: &str) -> String {
    format!("{context}@{time_hms}:{data}\n")
}

/// Writes one line to the configured destination, switching to stdout if the file cannot be written.
fn write_line(state: &LogState, context: &str, data: &str) {
    let line = format_line(context, &local_hms(), data);
    let mut file = state
        .file
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(path) = file.as_ref() {
        let written = open_append(path).and_then(|mut f| f.write_all(line.as_bytes()));
        if written.is_ok() {
            return;
        }
        let note = format_line(
            LIBRARY_CONTEXT,
            &local_hms(),
            &format!(
                "ERROR: Cannot write to file: {}; logging to stdout",
                path.display()
            ),
        );
        *file = None;
        write_stdout(&note);
    }
    write_stdout(&line);
}

/// Writes `text` to the C library's `stdout` stream, as upstream's `std::cout` does, so log lines keep their order
/// relative to the host program's own `printf` output. NUL bytes are shown as `\0`.
pub(crate) fn write_stdout(text: &str) {
    let text = crate::text::to_cstring(text);
    // SAFETY: a constant format string with one `%s` argument, a valid NUL-terminated string.
    unsafe {
        libc::printf(c"%s".as_ptr(), text.as_ptr());
    }
}

/// Logs `data` under `context` if `level` is enabled (`LLInvalid` messages are dropped). Never fails.
pub fn log_data(context: &str, level: SRLoggingLevel, data: &str) {
    let state = state();
    if level == SRLoggingLevel::LLInvalid || level > state.level {
        return;
    }
    write_line(state, context, data);
}

/// Logs `WARNING: <data>`, as [`log_data`].
pub fn log_warning(context: &str, level: SRLoggingLevel, data: &str) {
    log_data(context, level, &format!("WARNING: {data}"));
}

/// Logs `ERROR: <data>`, as [`log_data`].
pub fn log_error(context: &str, level: SRLoggingLevel, data: &str) {
    log_data(context, level, &format!("ERROR: {data}"));
}

/// Something that logs under a name (SmartRedis's `SRObject`): clients, datasets and [`LogContext`]s.
/// Implement [`log_context`](Self::log_context); the logging methods come for free.
pub trait LogSource {
    /// The context name written in front of each line.
    fn log_context(&self) -> &str;

    /// Logs `data` at `level` under this object's name.
    fn log_data(&self, level: SRLoggingLevel, data: &str) {
        log_data(self.log_context(), level, data);
    }

    /// Logs `WARNING: <data>` at `level` under this object's name.
    fn log_warning(&self, level: SRLoggingLevel, data: &str) {
        log_warning(self.log_context(), level, data);
    }

    /// Logs `ERROR: <data>` at `level` under this object's name.
    fn log_error(&self, level: SRLoggingLevel, data: &str) {
        log_error(self.log_context(), level, data);
    }
}

/// A named logging context, for application code that wants to log through SmartRedis's logger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogContext {
    name: String,
}

impl LogContext {
    /// Creates a context named `name`; logs "New LogContext created" at `LLDebug`, as upstream.
    pub fn new(name: &str) -> LogContext {
        let ctx = LogContext {
            name: name.to_string(),
        };
        ctx.log_data(SRLoggingLevel::LLDebug, "New LogContext created");
        ctx
    }

    /// The context name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl LogSource for LogContext {
    fn log_context(&self) -> &str {
        &self.name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_case_insensitively() {
        assert_eq!(parse_level("QUIET"), Some(SRLoggingLevel::LLQuiet));
        assert_eq!(parse_level("Info"), Some(SRLoggingLevel::LLInfo));
        assert_eq!(parse_level("debug"), Some(SRLoggingLevel::LLDebug));
        assert_eq!(parse_level("developer"), Some(SRLoggingLevel::LLDeveloper));
        assert_eq!(parse_level("loud"), None);
        assert_eq!(parse_level(""), None);
    }

    #[test]
    fn line_format_and_time() {
        assert_eq!(format_line("ctx", "01-02-03", "hi"), "ctx@01-02-03:hi\n");
        let t = local_hms();
        let b = t.as_bytes();
        assert_eq!(b.len(), 8, "{t}");
        assert!(b[2] == b'-' && b[5] == b'-', "{t}");
        assert!(
            t.replace('-', "").bytes().all(|c| c.is_ascii_digit()),
            "{t}"
        );
    }

    #[test]
    fn log_context_names() {
        let ctx = LogContext::new("my ctx");
        assert_eq!(ctx.name(), "my ctx");
        assert_eq!(ctx.log_context(), "my ctx");
    }
}
