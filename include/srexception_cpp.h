/*
 * srexception_cpp.h: the C++ exception hierarchy of SmartRedis (namespace SmartRedis), over the C ABI.
 *
 * Included by srexception.h when compiled as C++, and by every C++ header of this library. Each class maps to
 * one SRError code; SmartRedis::internal::check() turns a failed C call into the matching exception, carrying
 * the text of SRGetLastError() and the location of SRGetLastErrorLocation().
 */
#ifndef SMARTREDIS_SREXCEPTION_CPP_H
#define SMARTREDIS_SREXCEPTION_CPP_H

#ifdef __cplusplus

#include <exception>
#include <string>

#include "srexception.h"

namespace SmartRedis {

/// Base class of every SmartRedis exception; also thrown for codes with no subclass (SRInvalidError).
class Exception : public std::exception
{
    public:
        /// An exception with a message and no known location.
        Exception(const char* what_arg) : _msg(what_arg != nullptr ? what_arg : ""), _loc("unavailable") {}
        /// An exception with a message and no known location.
        Exception(const std::string& what_arg) : _msg(what_arg), _loc("unavailable") {}
        /// An exception raised at `file`:`line` (used by the SR*Exception macros).
        Exception(const char* what_arg, const char* file, int line)
          : _msg(what_arg != nullptr ? what_arg : ""), _loc(_location(file, line)) {}
        /// An exception raised at `file`:`line` (used by the SR*Exception macros).
        Exception(const std::string& what_arg, const char* file, int line)
          : _msg(what_arg), _loc(_location(file, line)) {}
        /// An exception whose location text is already formatted (as SRGetLastErrorLocation returns it).
        Exception(const std::string& what_arg, const std::string& location) : _msg(what_arg), _loc(location) {}

        Exception(const Exception&) = default;
        Exception& operator=(const Exception&) = default;
        ~Exception() override = default;

        /// The SRError code this exception stands for.
        virtual SRError to_error_code() const noexcept { return SRInvalidError; }
        /// The class name, as upstream reports it.
        virtual std::string exception_class() const { return "Exception"; }
        /// The message.
        const char* what() const noexcept override { return _msg.c_str(); }
        /// Where it was raised: "\"<file>\", line <n>", a C function name, or "unavailable".
        virtual const char* where() const noexcept { return _loc.c_str(); }

    protected:
        std::string _msg;
        std::string _loc;

    private:
        static std::string _location(const char* file, int line)
        {
            return std::string("\"") + (file != nullptr ? file : "") + "\", line " + std::to_string(line);
        }
};

/// Declares one Exception subclass bound to one SRError code.
#define SR_DEFINE_EXCEPTION_CLASS(NAME, CODE)                                          \
    class NAME : public Exception                                                      \
    {                                                                                  \
        public:                                                                        \
            using Exception::Exception;                                                \
            SRError to_error_code() const noexcept override { return CODE; }           \
            std::string exception_class() const override { return #NAME; }            \
    };

SR_DEFINE_EXCEPTION_CLASS(BadAllocException, SRBadAllocError)
SR_DEFINE_EXCEPTION_CLASS(DatabaseException, SRDatabaseError)
SR_DEFINE_EXCEPTION_CLASS(RuntimeException, SRRuntimeError)
SR_DEFINE_EXCEPTION_CLASS(ParameterException, SRParameterError)
SR_DEFINE_EXCEPTION_CLASS(TimeoutException, SRTimeoutError)
SR_DEFINE_EXCEPTION_CLASS(InternalException, SRInternalError)
SR_DEFINE_EXCEPTION_CLASS(KeyException, SRKeyError)
SR_DEFINE_EXCEPTION_CLASS(TypeException, SRTypeError)

#undef SR_DEFINE_EXCEPTION_CLASS

/// Helpers shared by the header-only C++ layer; not part of the SmartRedis API.
namespace internal {

/// Throws the exception matching `code`, with this thread's last error text and location.
[[noreturn]] inline void throw_error(SRError code)
{
    const char* msg = SRGetLastError();
    const char* loc = SRGetLastErrorLocation();
    const std::string what(msg != nullptr ? msg : "unknown error");
    const std::string where(loc != nullptr ? loc : "unavailable");
    switch (code) {
        case SRBadAllocError:  throw BadAllocException(what, where);
        case SRDatabaseError:  throw DatabaseException(what, where);
        case SRInternalError:  throw InternalException(what, where);
        case SRRuntimeError:   throw RuntimeException(what, where);
        case SRParameterError: throw ParameterException(what, where);
        case SRTimeoutError:   throw TimeoutException(what, where);
        case SRKeyError:       throw KeyException(what, where);
        case SRTypeError:      throw TypeException(what, where);
        default:               throw Exception(what, where);
    }
}

/// Returns if `code` is SRNoError, else throws the matching exception.
inline void check(SRError code)
{
    if (code != SRNoError)
        throw_error(code);
}

} // namespace internal
} // namespace SmartRedis

/* Upstream's convenience macros: an exception that records the throwing file and line. */
#define SRBadAllocException(txt)  SmartRedis::BadAllocException(txt, __FILE__, __LINE__)
#define SRDatabaseException(txt)  SmartRedis::DatabaseException(txt, __FILE__, __LINE__)
#define SRRuntimeException(txt)   SmartRedis::RuntimeException(txt, __FILE__, __LINE__)
#define SRParameterException(txt) SmartRedis::ParameterException(txt, __FILE__, __LINE__)
#define SRTimeoutException(txt)   SmartRedis::TimeoutException(txt, __FILE__, __LINE__)
#define SRInternalException(txt)  SmartRedis::InternalException(txt, __FILE__, __LINE__)
#define SRKeyException(txt)       SmartRedis::KeyException(txt, __FILE__, __LINE__)
#define SRTypeException(txt)      SmartRedis::TypeException(txt, __FILE__, __LINE__)

#endif /* __cplusplus */
#endif /* SMARTREDIS_SREXCEPTION_CPP_H */
