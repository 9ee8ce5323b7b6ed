//! The crate's one error type, and the only place where errors are mapped to the C ABI's `SRError` codes.

use std::sync::Arc;

use crate::orchestrator::Error as OrchestratorError;

/// Error codes of the C ABI, with SmartRedis 0.6.1's names and values (`srexception.h`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SRError {
    /// No error.
    SRNoError = 0,
    /// Memory allocation failed.
    SRBadAllocError = 1,
    /// The database answered with an error, or could not be reached.
    SRDatabaseError = 2,
    /// An internal error (a bug): please report it.
    SRInternalError = 3,
    /// A runtime error (bad state, bad environment, I/O).
    SRRuntimeError = 4,
    /// A caller-supplied parameter was invalid.
    SRParameterError = 5,
    /// An operation did not finish in time.
    SRTimeoutError = 6,
    /// A key (in the database or in a configuration) was not found.
    SRKeyError = 7,
    /// Uninitialised or invalid error code.
    SRInvalidError = 8,
    /// A value had the wrong type.
    SRTypeError = 9,
}

/// Everything that can go wrong in the library. Each variant carries the message shown to the user
/// (`SRGetLastError` in C, `what()` in C++) and maps to exactly one [`SRError`] code. Two errors are equal when
/// their codes and messages are.
#[derive(Debug, Clone)]
pub enum Error {
    /// Memory allocation failed.
    BadAlloc(String),
    /// The database answered with an error, or could not be reached.
    Database(String),
    /// A bug inside the library.
    Internal(String),
    /// A runtime error (bad state, bad environment, I/O).
    Runtime(String),
    /// A caller-supplied parameter was invalid.
    Parameter(String),
    /// An operation did not finish in time.
    Timeout(String),
    /// A key (in the database or in a configuration) was not found.
    Key(String),
    /// A value had the wrong type.
    Type(String),
    /// The orchestrator failed; the orchestrator's error is kept as the source (its kind and its own cause). A bad
    /// option or network interface is a parameter error, a failed command to a shard a database error, anything
    /// else a runtime error.
    Orchestrator {
        /// The orchestrator error's text.
        message: String,
        /// The orchestrator error.
        source: Arc<OrchestratorError>,
    },
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for Error {
    /// The orchestrator error behind an [`Error::Orchestrator`] (its own source is its cause).
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Orchestrator { source, .. } => Some(&**source),
            _ => None,
        }
    }
}

impl PartialEq for Error {
    fn eq(&self, other: &Self) -> bool {
        self.code() == other.code() && self.message() == other.message()
    }
}

impl Eq for Error {}

impl From<OrchestratorError> for Error {
    fn from(e: OrchestratorError) -> Self {
        Error::Orchestrator {
            message: e.to_string(),
            source: Arc::new(e),
        }
    }
}

impl Error {
    /// The C ABI code for this error.
    pub fn code(&self) -> SRError {
        match self {
            Error::BadAlloc(_) => SRError::SRBadAllocError,
            Error::Database(_) => SRError::SRDatabaseError,
            Error::Internal(_) => SRError::SRInternalError,
            Error::Runtime(_) => SRError::SRRuntimeError,
            Error::Parameter(_) => SRError::SRParameterError,
            Error::Timeout(_) => SRError::SRTimeoutError,
            Error::Key(_) => SRError::SRKeyError,
            Error::Type(_) => SRError::SRTypeError,
            Error::Orchestrator { source, .. } => match **source {
                OrchestratorError::InvalidOption(_) | OrchestratorError::Interface { .. } => {
                    SRError::SRParameterError
                }
                OrchestratorError::Redis { .. } => SRError::SRDatabaseError,
                _ => SRError::SRRuntimeError,
            },
        }
    }

    /// The message carried by this error.
    pub fn message(&self) -> &str {
        match self {
            Error::BadAlloc(m)
            | Error::Database(m)
            | Error::Internal(m)
            | Error::Runtime(m)
            | Error::Parameter(m)
            | Error::Timeout(m)
            | Error::Key(m)
            | Error::Type(m)
            | Error::Orchestrator { message: m, .. } => m,
        }
    }
}

impl From<redis::RedisError> for Error {
    /// Errors of the `redis` crate (used to build commands and convert replies): timeouts → timeout errors,
    /// I/O → database errors, server replies → upstream's "Redis error when executing command" runtime error,
    /// and everything else (unexpected reply types, parse errors) → runtime errors.
    fn from(e: redis::RedisError) -> Self {
        if e.is_timeout() {
            Error::Timeout(format!("Redis timeout: {e}"))
        } else if e.is_io_error() || e.is_connection_dropped() {
            Error::Database(format!("Redis IO error when executing command: {e}"))
        } else if matches!(
            e.kind(),
            redis::ErrorKind::Server(_) | redis::ErrorKind::Extension
        ) {
            Error::Runtime(format!("Redis error when executing command: {e}"))
        } else {
            Error::Runtime(format!("Unexpected reply from the database: {e}"))
        }
    }
}

/// Result type of the whole crate.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_upstream_values() {
        assert_eq!(SRError::SRNoError as i32, 0);
        assert_eq!(Error::Key("k".into()).code() as i32, 7);
        assert_eq!(Error::Type("t".into()).code() as i32, 9);
        assert_eq!(SRError::SRInvalidError as i32, 8);
        assert_eq!(Error::Timeout("late".into()).message(), "late");
    }

    #[test]
    fn redis_errors_map_to_codes() {
        let io: redis::RedisError =
            std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset").into();
        assert_eq!(Error::from(io).code(), SRError::SRDatabaseError);
        let t: redis::RedisError = std::io::Error::new(std::io::ErrorKind::TimedOut, "slow").into();
        assert_eq!(Error::from(t).code(), SRError::SRTimeoutError);
        let ty: redis::RedisError = (redis::ErrorKind::UnexpectedReturnType, "not an int").into();
        assert_eq!(Error::from(ty).code(), SRError::SRRuntimeError);
    }

    #[test]
    fn orchestrator_errors_keep_their_kind_and_cause() {
        use std::error::Error as _;
        let bad = Error::from(OrchestratorError::InvalidOption(
            "shards must be at least 1".into(),
        ));
        assert_eq!(bad.code(), SRError::SRParameterError);
        assert_eq!(
            bad.message(),
            "invalid orchestrator option: shards must be at least 1"
        );
        let io = Error::from(OrchestratorError::Io {
            path: "/nowhere".into(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "gone"),
        });
        assert_eq!(io.code(), SRError::SRRuntimeError);
        let orc = io.source().unwrap();
        assert!(matches!(
            orc.downcast_ref::<OrchestratorError>(),
            Some(OrchestratorError::Io { .. })
        ));
        let cause = orc
            .source()
            .unwrap()
            .downcast_ref::<std::io::Error>()
            .unwrap();
        assert_eq!(cause.kind(), std::io::ErrorKind::NotFound);
        let redis_failure = Error::from(OrchestratorError::Redis {
            shard: 0,
            port: 1,
            context: "PING".into(),
            source: (redis::ErrorKind::Io, "reset").into(),
        });
        assert_eq!(redis_failure.code(), SRError::SRDatabaseError);
    }
}
