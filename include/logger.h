/*
 * logger.h: the C++ logging functions of SmartRedis. Logging is configured from SR_LOG_FILE and SR_LOG_LEVEL
 * by the library itself; these functions never throw. In C this header is empty (use c_logger.h).
 */
#ifndef SMARTREDIS_LOGGER_H
#define SMARTREDIS_LOGGER_H

#ifdef __cplusplus

#include <string>

#include "sr_enums.h"
#include "srobject.h"
#include "c_logger.h"

namespace SmartRedis {

/// Logs `data` at `level` under the context name `context`.
inline void log_data(const std::string& context, SRLoggingLevel level, const std::string& data)
{
    log_data_noexcept_string(context.data(), context.size(), level, data.data(), data.size());
}
/// Logs "WARNING: " + `data` at `level` under the context name `context`.
inline void log_warning(const std::string& context, SRLoggingLevel level, const std::string& data)
{
    log_warning_noexcept_string(context.data(), context.size(), level, data.data(), data.size());
}
/// Logs "ERROR: " + `data` at `level` under the context name `context`.
inline void log_error(const std::string& context, SRLoggingLevel level, const std::string& data)
{
    log_error_noexcept_string(context.data(), context.size(), level, data.data(), data.size());
}
/// Logs `data` at `level` under the context of `context` (a Client, LogContext, ...).
inline void log_data(const SRObject* context, SRLoggingLevel level, const std::string& data)
{
    context->log_data(level, data);
}
/// Logs "WARNING: " + `data` at `level` under the context of `context`.
inline void log_warning(const SRObject* context, SRLoggingLevel level, const std::string& data)
{
    context->log_warning(level, data);
}
/// Logs "ERROR: " + `data` at `level` under the context of `context`.
inline void log_error(const SRObject* context, SRLoggingLevel level, const std::string& data)
{
    context->log_error(level, data);
}

/// Upstream's logging singleton, kept for source compatibility; it forwards to the functions above.
class Logger
{
    public:
        /// The one instance.
        static Logger& get_instance()
        {
            static Logger instance;
            return instance;
        }
        Logger(const Logger&) = delete;
        Logger& operator=(const Logger&) = delete;

        /// Kept for compatibility: the library reads SR_LOG_FILE and SR_LOG_LEVEL on first use by itself.
        void configure_logging() {}
        /// Logs `data` at `level` under the context name `context`.
        void log_data(const std::string& context, SRLoggingLevel level, const std::string& data)
        {
            SmartRedis::log_data(context, level, data);
        }
        /// Logs "WARNING: " + `data` at `level` under the context name `context`.
        void log_warning(const std::string& context, SRLoggingLevel level, const std::string& data)
        {
            SmartRedis::log_warning(context, level, data);
        }
        /// Logs "ERROR: " + `data` at `level` under the context name `context`.
        void log_error(const std::string& context, SRLoggingLevel level, const std::string& data)
        {
            SmartRedis::log_error(context, level, data);
        }

    private:
        Logger() = default;
};

} // namespace SmartRedis

#endif /* __cplusplus */
#endif /* SMARTREDIS_LOGGER_H */
