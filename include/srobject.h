/*
 * srobject.h: SmartRedis::SRObject, the base of every C++ object that can be a logging context.
 * In C this header is empty (upstream's C headers include it).
 */
#ifndef SMARTREDIS_SROBJECT_H
#define SMARTREDIS_SROBJECT_H

#ifdef __cplusplus

#include <string>

#include "sr_enums.h"
#include "c_logger.h"

namespace SmartRedis {

/// A named logging context. Subclasses that own a C handle (Client, LogContext) log through it.
class SRObject
{
    public:
        /// A context named `logging_name`.
        SRObject(const std::string& logging_name) : _lname(logging_name) {}
        virtual ~SRObject() = default;
        SRObject(const SRObject&) = default;
        SRObject& operator=(const SRObject&) = default;
        SRObject(SRObject&&) = default;
        SRObject& operator=(SRObject&&) = default;

        /// Logs `data` at `level` under this context. Never throws.
        virtual void log_data(SRLoggingLevel level, const std::string& data) const
        {
            const void* handle = _c_log_context();
            if (handle != nullptr)
                log_data_noexcept(handle, level, data.data(), data.size());
            else
                log_data_noexcept_string(_lname.data(), _lname.size(), level, data.data(), data.size());
        }
        /// Logs "WARNING: " + `data` at `level` under this context. Never throws.
        virtual void log_warning(SRLoggingLevel level, const std::string& data) const
        {
            const void* handle = _c_log_context();
            if (handle != nullptr)
                log_warning_noexcept(handle, level, data.data(), data.size());
            else
                log_warning_noexcept_string(_lname.data(), _lname.size(), level, data.data(), data.size());
        }
        /// Logs "ERROR: " + `data` at `level` under this context. Never throws.
        virtual void log_error(SRLoggingLevel level, const std::string& data) const
        {
            const void* handle = _c_log_context();
            if (handle != nullptr)
                log_error_noexcept(handle, level, data.data(), data.size());
            else
                log_error_noexcept_string(_lname.data(), _lname.size(), level, data.data(), data.size());
        }
        /// The context name written in front of every log line.
        virtual std::string get_context() const { return _lname; }

    protected:
        /// The C handle logged through (a client or log context handle), or nullptr to log by name.
        virtual const void* _c_log_context() const noexcept { return nullptr; }

        /// The context name.
        std::string _lname;
};

} // namespace SmartRedis

#endif /* __cplusplus */
#endif /* SMARTREDIS_SROBJECT_H */
