//! The crate's one error type, and the only place where errors are mapped to the C ABI's `SRError` codes.

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
/// (`SRGetLastError` in C, `what()` in C++) and maps to exactly one [`SRError`] code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Memory allocation failed.
    #[error("{0}")]
    BadAlloc(String),
    /// The database answered with an error, or could not be reached.
    #[error("{0}")]
    Database(String),
    /// A bug inside the library.
    #[error("{0}")]
    Internal(String),
    /// A runtime error (bad state, bad environment, I/O).
    #[error("{0}")]
    Runtime(String),
    /// A caller-supplied parameter was invalid.
    #[error("{0}")]
    Parameter(String),
    /// An operation did not finish in time.
    #[error("{0}")]
    Timeout(String),
    /// A key (in the database or in a configuration) was not found.
    #[error("{0}")]
    Key(String),
    /// A value had the wrong type.
    #[error("{0}")]
    Type(String),
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
            | Error::Type(m) => m,
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
}
